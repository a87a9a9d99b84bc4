-- Why: the deadline sweeper sends its reminders by SMS as well as in the app, and a staff
-- member's phone is not otherwise stored. Kept in a table of its own, encrypted with the
-- personal-data keys (like parties' phones), set by a system administrator; users without a
-- row get their reminders in the app only.

CREATE TABLE staff_phones (
    user_id    UUID PRIMARY KEY REFERENCES users (id),
    phone      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
