-- The shipments list's text search (issue 14): a shipment's searchable
-- text (its reference, id, origin and destination as UN/LOCODEs and place
-- names, its declaration's reference and goods descriptions), lower-cased
-- by the application when the shipment is written, so that neither
-- engine's LOWER or collation is relied on. Rows written before this
-- migration get their reference, id and locodes, lower-cased by the engine
-- (place names and the declaration's words are not known to SQL).
ALTER TABLE logistics_shipments ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE logistics_shipments SET search_text = LOWER(reference || ' ' || id || ' ' || origin || ' ' || destination);
