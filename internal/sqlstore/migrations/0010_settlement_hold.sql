-- The settlement centre's decisions on queued instructions. A hold makes
-- every cycle carry the instruction untouched (reason 'held') until the
-- centre releases it; releasing deletes the row. A cancellation by the
-- centre keeps its reason with the instruction (the payer's own
-- cancellations need none).

CREATE TABLE settlement_holds (
    seq       BIGINT PRIMARY KEY,
    reason    TEXT NOT NULL,
    held_by   TEXT NOT NULL,
    held_at   BIGINT NOT NULL
);

ALTER TABLE settlement_instructions ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
