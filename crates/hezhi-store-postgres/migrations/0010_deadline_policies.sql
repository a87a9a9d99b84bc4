-- Why: deadlines (限时办结) follow a policy that administrators change over time, and a case
-- keeps running under the version it started with. Each saved version is a row, never
-- changed (its rules and warning share as JSON); the newest applies to new cases. Version 1 is the shipped default and is not
-- stored.

CREATE TABLE deadline_policies (
    version   BIGINT PRIMARY KEY,
    policy    TEXT NOT NULL,
    saved_at  TIMESTAMPTZ NOT NULL,
    saved_by  UUID
);
