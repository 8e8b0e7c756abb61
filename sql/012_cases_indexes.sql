-- relay48 intake: one index fewer on cases (docs/intake.md, "Measured").
--
-- cases_open_deadline (deadline_at WHERE state = 'open') was made for the
-- urgent queue before the lists had their own indexes; every query that
-- asks for open cases in deadline order is served by cases_state_deadline
-- (state, deadline_at, id), and pg_stat_user_indexes showed no scan of it
-- under the test suite and the benchmarks. Each new case paid its B-tree
-- insert.
DROP INDEX IF EXISTS cases_open_deadline;
