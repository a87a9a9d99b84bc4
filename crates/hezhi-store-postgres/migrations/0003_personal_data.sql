-- Why: parties' ID numbers, phones and addresses are encrypted at rest (DESIGN §5), by
-- envelope encryption; the PostgreSQL twin of the SQLite file of the same name. `data_keys`
-- holds the keys that encrypt them, each wrapped under the master key from configuration,
-- which never reaches the database: changing the master key re-wraps these few rows and
-- leaves the append-only history alone. Values name the data key that encrypted them
-- (`enc1:<id>:…`), so old keys stay for reading and the newest encrypts. `case_party_keys`
-- holds keyed hashes (HMAC-SHA256 under the lookup key) of the parties' normalized phones and
-- ID numbers, written with the case, so that a person's cases are found by exact value
-- without storing it; like every case-side table it leads its key with `county`.

CREATE TABLE data_keys (
    id         INTEGER PRIMARY KEY,
    purpose    TEXT NOT NULL,
    cipher     TEXT NOT NULL,
    wrapped    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX data_keys_one_lookup_key ON data_keys (purpose) WHERE purpose = 'lookup';

CREATE TABLE case_party_keys (
    county  TEXT COLLATE "C" NOT NULL,
    case_id UUID NOT NULL,
    kind    TEXT COLLATE "C" NOT NULL,
    hash    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (county, case_id, kind, hash)
);
CREATE INDEX case_party_keys_lookup ON case_party_keys (kind, hash);
