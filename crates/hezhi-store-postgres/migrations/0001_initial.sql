-- Why: the first schema, the PostgreSQL twin of the SQLite file of the same name. Reference
-- data (regions, categories, units), users and their API tokens, and the case register:
-- `case_events` is the append-only history and `cases` its projection, written in the same
-- transaction. Every case-side table leads its primary key with `county`, and every unique
-- index on them includes it, so that the four can be distributed by county (Citus) with each
-- case's rows on one shard. Codes compare bytewise (COLLATE "C") as in SQLite, so that "within
-- a region" is a range scan whatever the database's locale.

CREATE TABLE regions (
    code   TEXT COLLATE "C" PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT COLLATE "C"
);
CREATE INDEX regions_parent ON regions (parent, code);

CREATE TABLE categories (
    kind    TEXT COLLATE "C" NOT NULL,
    code    TEXT COLLATE "C" NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    PRIMARY KEY (kind, code)
);

CREATE TABLE units (
    id         UUID PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    kind       TEXT NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    categories JSONB NOT NULL
);
CREATE INDEX units_region ON units (region);

CREATE TABLE users (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL CONSTRAINT users_name_unique UNIQUE,
    role       TEXT NOT NULL,
    region     TEXT COLLATE "C",
    unit       UUID REFERENCES units (id),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE case_counters (
    county TEXT COLLATE "C" NOT NULL,
    year   INTEGER NOT NULL,
    last   BIGINT NOT NULL,
    PRIMARY KEY (county, year)
);

CREATE TABLE cases (
    county        TEXT COLLATE "C" NOT NULL,
    id            UUID NOT NULL,
    number        TEXT COLLATE "C" NOT NULL,
    tracking_code TEXT COLLATE "C" NOT NULL,
    state         TEXT COLLATE "C" NOT NULL,
    kind          TEXT COLLATE "C" NOT NULL,
    category      TEXT COLLATE "C" NOT NULL,
    region        TEXT COLLATE "C" NOT NULL,
    urgency       TEXT COLLATE "C",
    reported_by   UUID NOT NULL,
    due_at        TIMESTAMPTZ,
    version       BIGINT NOT NULL,
    reported_at   TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    data          JSONB NOT NULL,
    CONSTRAINT cases_pkey PRIMARY KEY (county, id)
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
    county  TEXT COLLATE "C" NOT NULL,
    case_id UUID NOT NULL,
    unit_id UUID NOT NULL,
    part    TEXT NOT NULL,
    PRIMARY KEY (county, case_id, unit_id)
);
CREATE INDEX case_units_unit ON case_units (unit_id, case_id);

CREATE TABLE case_events (
    county   TEXT COLLATE "C" NOT NULL,
    case_id  UUID NOT NULL,
    sequence BIGINT NOT NULL,
    type     TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    actor    UUID NOT NULL,
    role     TEXT NOT NULL,
    payload  JSONB NOT NULL,
    PRIMARY KEY (county, case_id, sequence)
);

CREATE FUNCTION case_events_are_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER case_events_are_never_updated_or_deleted
    BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_are_append_only();
CREATE TRIGGER case_events_are_never_truncated
    BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION case_events_are_append_only();

CREATE TABLE idempotency_keys (
    user_id      UUID NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    receipt      JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key)
);
