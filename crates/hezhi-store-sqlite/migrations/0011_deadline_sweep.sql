-- Why: the deadline sweeper warns about cases nearing their deadline and marks those past it.
-- Its cost must grow with the cases coming due, not with the cases stored: each case carries
-- the time it must next be looked at (its warning time, then its deadline; none once closed
-- or found overdue), written with every change of the case, and the sweeper reads only the
-- rows whose time has come, by index. Open cases written before this column get their
-- deadline as that time, so none is missed.

ALTER TABLE cases ADD COLUMN next_sweep_at INTEGER;
UPDATE cases SET next_sweep_at = due_at
    WHERE due_at IS NOT NULL
      AND state IN ('reported', 'accepted', 'triaged', 'dispatched', 'in_progress');
CREATE INDEX cases_next_sweep ON cases (next_sweep_at) WHERE next_sweep_at IS NOT NULL;
