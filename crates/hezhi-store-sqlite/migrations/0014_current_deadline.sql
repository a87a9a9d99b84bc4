-- Why: the case row's due_at now holds the deadline the case runs against at present — of
-- handling while it is open and its clock runs, of verification once resolved, of follow-up
-- once verified, none while its clock is stopped — so that the reminder list and the queue
-- see the same deadline as the sweeper. Rows written before held the handling deadline in
-- every state: closed stages lose it (no case had a verification or follow-up deadline yet).

UPDATE cases SET due_at = NULL
    WHERE state NOT IN ('reported', 'accepted', 'triaged', 'dispatched', 'in_progress');
