-- 0004: a plan's late charges itemised (interest, compensation, dunning fees) with the
-- regime they come from and the order in which that regime applies a payment within the
-- debt; NULL for plans proposed without charges (or before this migration: total only).
ALTER TABLE payment_plan ADD COLUMN late_interest_minor INTEGER CHECK (late_interest_minor >= 0);
ALTER TABLE payment_plan ADD COLUMN late_compensation_minor INTEGER CHECK (late_compensation_minor >= 0);
ALTER TABLE payment_plan ADD COLUMN late_fees_minor INTEGER CHECK (late_fees_minor >= 0);
ALTER TABLE payment_plan ADD COLUMN charges_regime TEXT;
ALTER TABLE payment_plan ADD COLUMN charges_order TEXT;

-- The dunning run refreshes the plans still live (accepted, active, breached) before it
-- decides: one indexed lookup, cheap when a tenant has no plans.
CREATE INDEX payment_plan_by_state ON payment_plan (tenant, state);
