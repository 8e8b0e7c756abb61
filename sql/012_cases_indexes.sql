-- relay48 intake: one index fewer on cases (docs/intake.md, "Measured").
--
-- cases_open_deadline (deadline_at WHERE state = 'open'): no statement of
-- the relay filters open cases on deadline_at alone; the lists ask for a
-- state in deadline order, which cases_state_deadline (state, deadline_at,
-- id) serves. pg_stat_user_indexes after tests/bench/intake showed it
-- never scanned. Each new case paid its B-tree insert.
DROP INDEX IF EXISTS cases_open_deadline;
