-- Why: staff sign in with a password (argon2id) and, where required, a TOTP code, and get a
-- session whose id the server keeps only as a SHA-256. Failed sign-ins are counted per name
-- and per client address to slow guessing, in the database so that every server process
-- sees the same counts. API tokens get an id, so that they can be listed and revoked without
-- being shown. Credentials live in a table of their own beside `users`: a user record says
-- who someone is, not how they prove it. Times are Unix milliseconds.

CREATE TABLE user_credentials (
    user_id              BLOB PRIMARY KEY REFERENCES users (id),
    password_hash        TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    password_changed_at  INTEGER,
    totp_secret          TEXT,
    totp_confirmed_at    INTEGER,
    totp_last_step       INTEGER
);

CREATE TABLE sessions (
    id_hash              TEXT PRIMARY KEY,
    user_id              BLOB NOT NULL REFERENCES users (id),
    csrf_token           TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    last_seen_at         INTEGER NOT NULL,
    must_change_password INTEGER NOT NULL,
    must_enrol_totp      INTEGER NOT NULL,
    client               TEXT,
    revoked_at           INTEGER
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE sign_in_failures (
    scope           TEXT NOT NULL,
    key             TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

ALTER TABLE api_tokens ADD COLUMN id BLOB;
UPDATE api_tokens SET id = randomblob(16) WHERE id IS NULL;
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);
