-- 0006: a fee can be voided. When the notice of its stage is superseded (the client paid
-- before it went out) the fee for that notice is not owed; the row stays, so its key still
-- prevents a second charge for the same stage and cycle.
ALTER TABLE fee ADD COLUMN voided_on TEXT NOT NULL DEFAULT '';
