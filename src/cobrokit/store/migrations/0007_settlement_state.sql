-- 0007: where a settlement offer (quita) stands. The dunning run evaluates the open ones
-- against the payments before it decides (cobrokit.store.settlements.refresh_settlements):
-- honoured (the lump sum arrived by the deadline; the discount is written off with credit
-- notes) or lapsed (the deadline passed; the whole debt is owed again). closed_on is the
-- day it happened; state_note says when the run noticed.
ALTER TABLE settlement ADD COLUMN state TEXT NOT NULL DEFAULT 'open'
    CHECK (state IN ('open', 'honoured', 'lapsed'));
ALTER TABLE settlement ADD COLUMN closed_on TEXT NOT NULL DEFAULT '';
ALTER TABLE settlement ADD COLUMN state_note TEXT NOT NULL DEFAULT '';

-- One indexed lookup per run: cheap when a tenant has no open settlement.
CREATE INDEX settlement_by_state ON settlement (tenant, state, pay_by);
