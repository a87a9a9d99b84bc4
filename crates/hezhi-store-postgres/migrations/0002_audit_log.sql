-- Why: the audit log — every sign-in, role change, case command, reveal of personal data and
-- export — append-only and hash-chained: one chain per county for what concerns its cases
-- (so counties never wait on each other) and the chain '-' for the rest. The head of each
-- chain is kept in audit_heads, so that removing the last entries is noticed too.

CREATE TABLE audit_log (
    chain     TEXT COLLATE "C" NOT NULL,
    seq       BIGINT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    actor     UUID,
    action    TEXT NOT NULL,
    case_id   UUID,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_case ON audit_log (case_id, at);

CREATE TABLE audit_heads (
    chain TEXT COLLATE "C" PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_log_is_never_updated_or_deleted
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_is_never_truncated
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
