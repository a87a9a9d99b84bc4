-- Why: the audit log — every sign-in, role change, case command, reveal of personal data and
-- export — append-only and hash-chained: one chain per county for what concerns its cases
-- (so counties never wait on each other) and the chain '-' for the rest. The head of each
-- chain is kept in audit_heads, so that removing the last entries is noticed too.

CREATE TABLE audit_log (
    chain     TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    at        INTEGER NOT NULL,
    actor     BLOB,
    action    TEXT NOT NULL,
    case_id   BLOB,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
) WITHOUT ROWID;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_case ON audit_log (case_id, at);

CREATE TABLE audit_heads (
    chain TEXT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER audit_log_is_never_updated BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_is_never_deleted BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
