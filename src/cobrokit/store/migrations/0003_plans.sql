-- 0003: payment plans (versioned, with instalments and history), promises to pay,
-- settlements (quita) and rewards. Amounts are integers in ISO 4217 minor units; dates
-- are ISO text; rates and percentages are decimal strings ("6", "2.5"); every row
-- carries its tenant and every primary key includes it.

-- One row per plan version. Versions of a plan share ``id``; a renegotiated version
-- points to the one it replaced with ``previous_version``.
CREATE TABLE payment_plan (
    tenant            TEXT NOT NULL,
    id                TEXT NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 1),
    debtor_id         TEXT NOT NULL,
    currency          TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('proposed', 'accepted', 'active', 'completed',
                                                     'breached', 'cancelled', 'renegotiated')),
    created_on        TEXT NOT NULL,
    instalments       INTEGER NOT NULL CHECK (instalments >= 1),
    frequency         TEXT NOT NULL CHECK (frequency IN ('week', 'fortnight', 'month')),
    start_date        TEXT NOT NULL,
    down_minor        INTEGER CHECK (down_minor IS NULL OR down_minor > 0),
    down_percent      TEXT,
    annual_rate       TEXT NOT NULL DEFAULT '0',
    method            TEXT NOT NULL CHECK (method IN ('equal', 'french')),
    grace_days        INTEGER NOT NULL CHECK (grace_days >= 0),
    late_charges_minor INTEGER CHECK (late_charges_minor IS NULL OR late_charges_minor >= 0),
    previous_version  INTEGER,
    PRIMARY KEY (tenant, id, version),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtor (tenant, id),
    FOREIGN KEY (tenant, id, previous_version) REFERENCES payment_plan (tenant, id, version)
);
CREATE INDEX payment_plan_by_debtor ON payment_plan (tenant, debtor_id, state);

-- The invoices a plan version covers and their open principal when it was made.
CREATE TABLE plan_debt (
    tenant            TEXT NOT NULL,
    plan_id           TEXT NOT NULL,
    version           INTEGER NOT NULL,
    invoice_id        TEXT NOT NULL,
    open_minor        INTEGER NOT NULL CHECK (open_minor > 0),
    PRIMARY KEY (tenant, plan_id, version, invoice_id),
    FOREIGN KEY (tenant, plan_id, version) REFERENCES payment_plan (tenant, id, version),
    FOREIGN KEY (tenant, invoice_id) REFERENCES invoice (tenant, id)
);

-- The schedule: number 0 is the down payment, 1..N the instalments.
-- amount_minor = principal_minor + interest_minor.
CREATE TABLE plan_instalment (
    tenant            TEXT NOT NULL,
    plan_id           TEXT NOT NULL,
    version           INTEGER NOT NULL,
    number            INTEGER NOT NULL CHECK (number >= 0),
    kind              TEXT NOT NULL CHECK (kind IN ('down_payment', 'instalment')),
    due_date          TEXT NOT NULL,
    amount_minor      INTEGER NOT NULL CHECK (amount_minor >= 0),
    principal_minor   INTEGER NOT NULL CHECK (principal_minor >= 0),
    interest_minor    INTEGER NOT NULL CHECK (interest_minor >= 0),
    with_charges_minor INTEGER CHECK (with_charges_minor IS NULL OR with_charges_minor >= 0),
    PRIMARY KEY (tenant, plan_id, version, number),
    FOREIGN KEY (tenant, plan_id, version) REFERENCES payment_plan (tenant, id, version),
    CHECK (amount_minor = principal_minor + interest_minor)
);

-- Append-only history of each plan version's lifecycle.
CREATE TABLE plan_event (
    tenant            TEXT NOT NULL,
    plan_id           TEXT NOT NULL,
    version           INTEGER NOT NULL,
    seq               INTEGER NOT NULL CHECK (seq >= 0),
    on_date           TEXT NOT NULL,
    kind              TEXT NOT NULL,
    from_state        TEXT,
    to_state          TEXT NOT NULL,
    note              TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, plan_id, version, seq),
    FOREIGN KEY (tenant, plan_id, version) REFERENCES payment_plan (tenant, id, version)
);

-- Promises to pay.
CREATE TABLE promise (
    tenant            TEXT NOT NULL,
    id                TEXT NOT NULL,
    debtor_id         TEXT NOT NULL,
    promised_date     TEXT NOT NULL,
    currency          TEXT NOT NULL,
    amount_minor      INTEGER NOT NULL CHECK (amount_minor > 0),
    created_on        TEXT NOT NULL,
    channel           TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, id),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtor (tenant, id),
    CHECK (promised_date >= created_on)
);
CREATE INDEX promise_by_debtor ON promise (tenant, debtor_id, promised_date);

-- Settlement offers (quita): pay amount by pay_by and the balance is settled.
CREATE TABLE settlement (
    tenant            TEXT NOT NULL,
    id                TEXT NOT NULL,
    debtor_id         TEXT NOT NULL,
    currency          TEXT NOT NULL,
    balance_minor     INTEGER NOT NULL CHECK (balance_minor > 0),
    amount_minor      INTEGER NOT NULL CHECK (amount_minor > 0),
    floor_minor       INTEGER NOT NULL CHECK (floor_minor > 0),
    pay_by            TEXT NOT NULL,
    created_on        TEXT NOT NULL,
    invoice_ids       TEXT NOT NULL DEFAULT '[]',
    note              TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, id),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtor (tenant, id),
    CHECK (amount_minor < balance_minor AND amount_minor >= floor_minor)
);
CREATE INDEX settlement_by_debtor ON settlement (tenant, debtor_id);

-- Rewards: a discount on the next purchase.
CREATE TABLE reward (
    tenant            TEXT NOT NULL,
    code              TEXT NOT NULL,
    debtor_id         TEXT NOT NULL,
    percent           TEXT NOT NULL,
    granted_on        TEXT NOT NULL,
    expires_on        TEXT NOT NULL,
    reason            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, code),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtor (tenant, id),
    CHECK (expires_on >= granted_on)
);
CREATE INDEX reward_by_debtor ON reward (tenant, debtor_id);
