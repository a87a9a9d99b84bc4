-- Why: the first schema. Reference data (regions, categories, units), users and their API
-- tokens, and the case register: `case_events` is the append-only history and `cases` its
-- projection, written in the same transaction. Every case-side table leads with `county`, the
-- key a distributed deployment shards by (see ARCHITECTURE.md). Times are Unix milliseconds.

CREATE TABLE regions (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT
) WITHOUT ROWID;
CREATE INDEX regions_parent ON regions (parent, code);

CREATE TABLE categories (
    kind    TEXT NOT NULL,
    code    TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    PRIMARY KEY (kind, code)
) WITHOUT ROWID;

CREATE TABLE units (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    region     TEXT NOT NULL,
    categories TEXT NOT NULL
);
CREATE INDEX units_region ON units (region);

CREATE TABLE users (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    region     TEXT,
    unit       BLOB REFERENCES units (id),
    created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE case_counters (
    county TEXT NOT NULL,
    year   INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (county, year)
) WITHOUT ROWID;

CREATE TABLE cases (
    county        TEXT NOT NULL,
    id            BLOB NOT NULL,
    number        TEXT NOT NULL,
    tracking_code TEXT NOT NULL,
    state         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    category      TEXT NOT NULL,
    region        TEXT NOT NULL,
    urgency       TEXT,
    reported_by   BLOB NOT NULL,
    due_at        INTEGER,
    version       INTEGER NOT NULL,
    reported_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (county, id)
);
CREATE UNIQUE INDEX cases_number ON cases (county, number);
CREATE UNIQUE INDEX cases_tracking_code ON cases (county, tracking_code);
CREATE INDEX cases_tracking_lookup ON cases (tracking_code);
CREATE INDEX cases_newest ON cases (id);
CREATE INDEX cases_region ON cases (region, id);
CREATE INDEX cases_state ON cases (state, id);
CREATE INDEX cases_reporter ON cases (reported_by, id);
CREATE INDEX cases_due ON cases (due_at)
    WHERE state IN ('reported', 'accepted', 'triaged', 'dispatched', 'in_progress');

CREATE TABLE case_units (
    county  TEXT NOT NULL,
    case_id BLOB NOT NULL,
    unit_id BLOB NOT NULL,
    part    TEXT NOT NULL,
    PRIMARY KEY (county, case_id, unit_id)
) WITHOUT ROWID;
CREATE INDEX case_units_unit ON case_units (unit_id, case_id);

CREATE TABLE case_events (
    county   TEXT NOT NULL,
    case_id  BLOB NOT NULL,
    sequence INTEGER NOT NULL,
    type     TEXT NOT NULL,
    at       INTEGER NOT NULL,
    actor    BLOB NOT NULL,
    role     TEXT NOT NULL,
    payload  TEXT NOT NULL,
    PRIMARY KEY (county, case_id, sequence)
) WITHOUT ROWID;

CREATE TRIGGER case_events_are_never_updated BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
CREATE TRIGGER case_events_are_never_deleted BEFORE DELETE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;

CREATE TABLE idempotency_keys (
    user_id      BLOB NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    receipt      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
