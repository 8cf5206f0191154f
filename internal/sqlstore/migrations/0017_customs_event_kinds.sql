-- Declaration history events say what happened as a kind and typed
-- parameters (JSON), so every language can render them (issue 10). Rows
-- written before have kind '' and only their English detail, which the
-- customs package reads back into a kind (customs.Event.Structured).
ALTER TABLE customs_events ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE customs_events ADD COLUMN params TEXT NOT NULL DEFAULT '';
