-- Why: residents sign in with their phone and a one-time code sent by SMS. Neither the phone
-- nor the code is stored: a phone is known by its keyed hash (HMAC with the lookup key, as in
-- `case_party_keys`), a code by a keyed hash bound to that phone. One row per phone holds the
-- code last sent, how often it was tried, and how many codes the current window has seen, so
-- that the sending limits and the burning of a code are single-row updates, atomic across
-- server processes. Each phone that signed in maps to one resident user. The PostgreSQL twin
-- of the SQLite file.

CREATE TABLE resident_codes (
    phone_key         TEXT PRIMARY KEY,
    code_hash         TEXT NOT NULL,
    sent_at           TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    tries             INTEGER NOT NULL,
    used_at           TIMESTAMPTZ,
    window_started_at TIMESTAMPTZ NOT NULL,
    sent_in_window    INTEGER NOT NULL
);

CREATE TABLE resident_phones (
    phone_key  TEXT PRIMARY KEY,
    user_id    UUID NOT NULL UNIQUE REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
