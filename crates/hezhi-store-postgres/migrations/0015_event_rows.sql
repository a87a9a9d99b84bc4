-- Why: the SQLite backend moved `case_events` out of a WITHOUT ROWID table, whose long rows
-- each took an overflow page of their own. PostgreSQL stores a long row's payload out of line
-- and compressed already (TOAST), so its table stays as it is; this file keeps the two
-- backends' migration lists alike.

SELECT 1;
