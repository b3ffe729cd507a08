-- 0001: the ledger. Amounts are integers in the currency's ISO 4217 minor units;
-- dates are ISO text (YYYY-MM-DD), which sorts and compares correctly.
CREATE TABLE debtor (
    tenant        TEXT NOT NULL,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    tax_id        TEXT NOT NULL DEFAULT '',
    emails        TEXT NOT NULL DEFAULT '[]',
    phones        TEXT NOT NULL DEFAULT '[]',
    address       TEXT NOT NULL DEFAULT '{}',
    locale        TEXT NOT NULL DEFAULT 'en',
    timezone      TEXT NOT NULL DEFAULT 'UTC',
    country       TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '[]',
    cease_contact INTEGER NOT NULL DEFAULT 0,
    insolvent     INTEGER NOT NULL DEFAULT 0,
    hold          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE invoice (
    tenant        TEXT NOT NULL,
    id            TEXT NOT NULL,
    debtor_id     TEXT NOT NULL,
    number        TEXT NOT NULL DEFAULT '',
    issue_date    TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    external_ref  TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL DEFAULT 'sqlite',
    disputed      INTEGER NOT NULL DEFAULT 0,
    hold          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtor (tenant, id)
);
CREATE INDEX invoice_by_debtor ON invoice (tenant, debtor_id, due_date);

CREATE TABLE payment (
    tenant        TEXT NOT NULL,
    id            TEXT NOT NULL,
    debtor_id     TEXT NOT NULL,
    date          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    method        TEXT NOT NULL DEFAULT 'transfer',
    description   TEXT NOT NULL DEFAULT '',
    external_ref  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, id),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtor (tenant, id)
);
CREATE INDEX payment_by_debtor ON payment (tenant, debtor_id, date);

-- Part of a payment applied to one invoice; ``date`` repeats the payment's date so that
-- "open as of D" needs no join.
CREATE TABLE allocation (
    tenant        TEXT NOT NULL,
    payment_id    TEXT NOT NULL,
    invoice_id    TEXT NOT NULL,
    date          TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (tenant, payment_id, invoice_id),
    FOREIGN KEY (tenant, payment_id) REFERENCES payment (tenant, id),
    FOREIGN KEY (tenant, invoice_id) REFERENCES invoice (tenant, id)
);
CREATE INDEX allocation_by_invoice ON allocation (tenant, invoice_id, date, amount_minor);

CREATE TABLE credit_note (
    tenant        TEXT NOT NULL,
    id            TEXT NOT NULL,
    debtor_id     TEXT NOT NULL,
    invoice_id    TEXT NOT NULL DEFAULT '',
    date          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    reason        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, id),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtor (tenant, id)
);
CREATE INDEX credit_note_by_invoice ON credit_note (tenant, invoice_id, date);

-- When each backend last brought the tenant's payments up to date (freshness guard).
CREATE TABLE sync_state (
    tenant        TEXT NOT NULL,
    backend       TEXT NOT NULL,
    synced_at     TEXT NOT NULL,
    PRIMARY KEY (tenant, backend)
);
