-- 0002: the dunning run's journal, outbox, ladder state, fees and contact log.

-- Append-only record of every decision, skip reason, notice, delivery and failure.
CREATE TABLE journal (
    seq           INTEGER PRIMARY KEY,  -- append-only: rowids only grow
    tenant        TEXT NOT NULL,
    run_id        TEXT NOT NULL DEFAULT '',
    as_of         TEXT NOT NULL,
    debtor_id     TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL,
    stage         TEXT NOT NULL DEFAULT '',
    cycle         TEXT NOT NULL DEFAULT '',
    channel       TEXT NOT NULL DEFAULT '',
    key           TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '{}',
    recorded_at   TEXT NOT NULL
);
CREATE INDEX journal_by_debtor ON journal (tenant, debtor_id, seq);

-- Where each debtor stands on the ladder, per currency (one notice stream per currency).
CREATE TABLE ladder_state (
    tenant        TEXT NOT NULL,
    debtor_id     TEXT NOT NULL,
    currency      TEXT NOT NULL,
    ladder        TEXT NOT NULL,
    cycle         INTEGER NOT NULL,
    stage         TEXT NOT NULL DEFAULT '',
    stage_index   INTEGER NOT NULL DEFAULT -1,
    stage_date    TEXT NOT NULL DEFAULT '',
    repeats       INTEGER NOT NULL DEFAULT 0,
    last_contact  TEXT NOT NULL DEFAULT '',
    sent_stages   TEXT NOT NULL DEFAULT '',
    pre_due       TEXT NOT NULL DEFAULT '',
    suspended     INTEGER NOT NULL DEFAULT 0,
    promise_seen  TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '',
    plan_seen     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, debtor_id, currency)
) WITHOUT ROWID;

-- Effects to carry out, written in the same transaction as the decision that made them.
-- A row is also the journal's record of that decision: its decision columns (key, stage,
-- cycle, channel, as_of, payload, run_id, created_at) never change; status changes are
-- journaled by the dispatcher.
-- status: planned -> sending -> sent | failed_retryable | failed_permanent | unknown
--         | refused (a guardrail) | render_failed | superseded (paid before sending)
CREATE TABLE outbox (
    key           TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    debtor_id     TEXT NOT NULL,
    currency      TEXT NOT NULL,
    stage         TEXT NOT NULL,
    cycle         TEXT NOT NULL,
    channel       TEXT NOT NULL,
    fallback      TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL DEFAULT 'notice',
    status        TEXT NOT NULL DEFAULT 'planned',
    attempts      INTEGER NOT NULL DEFAULT 0,
    as_of         TEXT NOT NULL,
    not_before    TEXT NOT NULL DEFAULT '',
    provider_id   TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    payload       TEXT NOT NULL DEFAULT '{}',
    run_id        TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX outbox_by_status ON outbox (status, not_before);
CREATE INDEX outbox_by_debtor ON outbox (tenant, debtor_id, as_of);
-- Status callbacks find their row by the provider's message id (only sent rows have one).
CREATE INDEX outbox_by_provider ON outbox (tenant, provider_id) WHERE provider_id != '';

-- Dunning fees: the key (tenant/debtor/stage/cycle) makes a second charge impossible.
CREATE TABLE fee (
    key           TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    debtor_id     TEXT NOT NULL,
    stage         TEXT NOT NULL,
    cycle         TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor >= 0),
    as_of         TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX fee_by_debtor ON fee (tenant, debtor_id, cycle);

-- Outcomes of calls and visits, and the client's reason for not paying.
CREATE TABLE contact (
    seq           INTEGER PRIMARY KEY,  -- append-only: rowids only grow
    tenant        TEXT NOT NULL,
    debtor_id     TEXT NOT NULL,
    date          TEXT NOT NULL,
    channel       TEXT NOT NULL DEFAULT 'call',
    outcome       TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    invoice_id    TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    recorded_at   TEXT NOT NULL
);
CREATE INDEX contact_by_debtor ON contact (tenant, debtor_id, date);
