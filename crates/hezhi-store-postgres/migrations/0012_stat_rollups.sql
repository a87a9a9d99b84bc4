-- Why: leaders ask for the indicators of any region subtree over any period, at the scale of a
-- province (millions of cases a year). Reading the event log for each question would grow
-- with the cases stored. Each case's contribution (see hezhi_domain::indicators) is kept
-- added up per region and China day, on the case's own region and on every region above it,
-- in the same transaction as the events that change it; a question then reads one row per
-- day of its period. `hezhi stats rebuild` recomputes the table from the event log.

CREATE TABLE stat_rollups (
    region TEXT NOT NULL,
    day DATE NOT NULL,
    reported BIGINT NOT NULL DEFAULT 0,
    dispatched BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    due_for_closure BIGINT NOT NULL DEFAULT 0,
    closed_of_due BIGINT NOT NULL DEFAULT 0,
    closed_on_time BIGINT NOT NULL DEFAULT 0,
    screened BIGINT NOT NULL DEFAULT 0,
    prevented BIGINT NOT NULL DEFAULT 0,
    mediations BIGINT NOT NULL DEFAULT 0,
    mediations_settled BIGINT NOT NULL DEFAULT 0,
    first_contact BIGINT NOT NULL DEFAULT 0,
    reworked BIGINT NOT NULL DEFAULT 0,
    followed_up BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    basically_satisfied BIGINT NOT NULL DEFAULT 0,
    resolved_locally BIGINT NOT NULL DEFAULT 0,
    amount_yuan BIGINT NOT NULL DEFAULT 0,
    people BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region, day)
);
