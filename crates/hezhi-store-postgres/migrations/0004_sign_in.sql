-- Why: staff sign in with a password (argon2id) and, where required, a TOTP code, and get a
-- session whose id the server keeps only as a SHA-256. Failed sign-ins are counted per name
-- and per client address to slow guessing, in the database so that every server process
-- sees the same counts. API tokens get an id, so that they can be listed and revoked without
-- being shown. Credentials live in a table of their own beside `users`: a user record says
-- who someone is, not how they prove it. The PostgreSQL twin of the SQLite file.

CREATE TABLE user_credentials (
    user_id              UUID PRIMARY KEY REFERENCES users (id),
    password_hash        TEXT,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at  TIMESTAMPTZ,
    totp_secret          TEXT,
    totp_confirmed_at    TIMESTAMPTZ,
    totp_last_step       BIGINT
);

CREATE TABLE sessions (
    id_hash              TEXT PRIMARY KEY,
    user_id              UUID NOT NULL REFERENCES users (id),
    csrf_token           TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    last_seen_at         TIMESTAMPTZ NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    must_enrol_totp      BOOLEAN NOT NULL,
    client               TEXT,
    revoked_at           TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE sign_in_failures (
    scope           TEXT NOT NULL,
    key             TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);

ALTER TABLE api_tokens ADD COLUMN id UUID;
UPDATE api_tokens SET id = gen_random_uuid() WHERE id IS NULL;
ALTER TABLE api_tokens ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);
