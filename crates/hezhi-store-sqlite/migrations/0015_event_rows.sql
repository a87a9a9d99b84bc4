-- Why: `case_events` was a WITHOUT ROWID table. SQLite keeps the rows of such a table in
-- index pages, which hold only about a quarter of a page in place and move the rest of a
-- longer row to an overflow page of its own: a report's event (one to two kilobytes of JSON)
-- took a whole extra 4 KiB page, and the event log was 2.5 times the size of its contents.
-- As an ordinary table with a unique index on the same key, an event sits whole in a table
-- page. The key, the triggers and every query stay as they were.

CREATE TABLE case_events_by_row (
    county   TEXT NOT NULL,
    case_id  BLOB NOT NULL,
    sequence INTEGER NOT NULL,
    type     TEXT NOT NULL,
    at       INTEGER NOT NULL,
    actor    BLOB NOT NULL,
    role     TEXT NOT NULL,
    payload  TEXT NOT NULL,
    UNIQUE (county, case_id, sequence)
);

INSERT INTO case_events_by_row (county, case_id, sequence, type, at, actor, role, payload)
    SELECT county, case_id, sequence, type, at, actor, role, payload
    FROM case_events
    ORDER BY county, case_id, sequence;

-- Dropping a table fires no DELETE trigger: the append-only guards go with it and come back
-- on the new table below.
DROP TABLE case_events;
ALTER TABLE case_events_by_row RENAME TO case_events;

CREATE TRIGGER case_events_are_never_updated BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
CREATE TRIGGER case_events_are_never_deleted BEFORE DELETE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
