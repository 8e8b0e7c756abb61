-- relay48: the index of a party's cases for banks only (docs/escalation.md,
-- "Firing", and docs/api.md, GET /v1/cases).
--
-- GET /v1/cases finds a bank's own cases through case_addressees by party;
-- a police key's list goes by département (cases_departement_state_deadline)
-- and never read this index. Yet every police escalation wrote an entry in
-- it: the reminder of a case is most often the one that first reaches the
-- police, so a burst of reminders paid a second B-tree insert a milestone
-- (2.8 ms of the 15.4 a batch of 1 500 costs the fire statement). The list
-- query says role <> 'police', so that the planner can use the partial index.
DROP INDEX IF EXISTS case_addressees_party;
CREATE INDEX case_addressees_bank ON case_addressees (party, case_id) WHERE role <> 'police';
