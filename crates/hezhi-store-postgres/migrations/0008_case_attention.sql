-- Why: the centre's dispatcher works two short lists besides the queue — cases a unit returned,
-- which wait to be dispatched again, and extension requests, which wait for a decision. What a
-- case waits on the centre for is kept in its own indexed column, written with every change of
-- the case, so those lists are read by index and never by scanning the cases' data.
-- The PostgreSQL twin of the SQLite file.

ALTER TABLE cases ADD COLUMN attention TEXT COLLATE "C";
UPDATE cases SET attention = CASE
    WHEN jsonb_typeof(data -> 'pending_extension') = 'object' THEN 'extension'
    WHEN state = 'triaged' AND COALESCE((data ->> 'returned_count')::integer, 0) > 0
        THEN 'returned'
END;
CREATE INDEX cases_attention ON cases (attention, id) WHERE attention IS NOT NULL;
