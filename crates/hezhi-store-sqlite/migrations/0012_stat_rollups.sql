-- Why: leaders ask for the indicators of any region subtree over any period, at the scale of a
-- province (millions of cases a year). Reading the event log for each question would grow
-- with the cases stored. Each case's contribution (see hezhi_domain::indicators) is kept
-- added up per region and China day, on the case's own region and on every region above it,
-- in the same transaction as the events that change it; a question then reads one row per
-- day of its period. `hezhi stats rebuild` recomputes the table from the event log.

CREATE TABLE stat_rollups (
    region TEXT NOT NULL,
    day TEXT NOT NULL,
    reported INTEGER NOT NULL DEFAULT 0,
    dispatched INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0,
    due_for_closure INTEGER NOT NULL DEFAULT 0,
    closed_of_due INTEGER NOT NULL DEFAULT 0,
    closed_on_time INTEGER NOT NULL DEFAULT 0,
    screened INTEGER NOT NULL DEFAULT 0,
    prevented INTEGER NOT NULL DEFAULT 0,
    mediations INTEGER NOT NULL DEFAULT 0,
    mediations_settled INTEGER NOT NULL DEFAULT 0,
    first_contact INTEGER NOT NULL DEFAULT 0,
    reworked INTEGER NOT NULL DEFAULT 0,
    followed_up INTEGER NOT NULL DEFAULT 0,
    satisfied INTEGER NOT NULL DEFAULT 0,
    basically_satisfied INTEGER NOT NULL DEFAULT 0,
    resolved_locally INTEGER NOT NULL DEFAULT 0,
    amount_yuan INTEGER NOT NULL DEFAULT 0,
    people INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region, day)
) WITHOUT ROWID;
