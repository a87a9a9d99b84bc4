-- Why: a user may hold several roles, each bound to a region subtree or to a unit, granted
-- and revoked over time; an API token acts under one of them. Existing users keep their one
-- role as their first assignment (with the user's id as its id), and their tokens are bound to
-- it. The old columns users.role and users.region are dropped; users.unit stays unread,
-- because SQLite cannot drop a column that carries a foreign key.

CREATE TABLE role_assignments (
    id         BLOB PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL,
    region     TEXT,
    unit       BLOB REFERENCES units (id),
    granted_at INTEGER NOT NULL,
    granted_by BLOB,
    revoked_at INTEGER
);
CREATE INDEX role_assignments_user ON role_assignments (user_id);

INSERT INTO role_assignments (id, user_id, role, region, unit, granted_at)
    SELECT id, id, role, region, unit, created_at FROM users;

ALTER TABLE api_tokens ADD COLUMN assignment_id BLOB REFERENCES role_assignments (id);
UPDATE api_tokens SET assignment_id = user_id;

ALTER TABLE users DROP COLUMN role;
ALTER TABLE users DROP COLUMN region;
