-- Lists that scale (issue 10): a declaration's searchable text (its
-- reference, id, parties' names, HS codes and goods descriptions,
-- lower-cased by the application so that neither engine's LOWER or
-- collation is relied on). Rows written before this migration get their
-- stored document lower-cased by the engine, which finds the same words
-- (and, on SQLite, only ASCII case-folded) until the declaration is next
-- written.
ALTER TABLE customs_declarations ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE customs_declarations SET search_text = LOWER(doc);
-- Lists filtered by creation date.
CREATE INDEX customs_decl_created ON customs_declarations (created_at);
