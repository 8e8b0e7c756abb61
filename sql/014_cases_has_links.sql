-- relay48 escalation: whether a case can have linked cases, on the case
-- (docs/escalation.md, "Firing").
--
-- Every escalation of a case lists the other open cases naming the same
-- beneficiary IBAN (linked_cases). Most cases share their IBAN with no
-- other, yet the scheduler's claim looked their links up on mule_links for
-- every milestone it fired: a fifth of a claim of 1 500.
--
-- has_links: true once another case named the same beneficiary IBAN while
-- both were open; false when none has; NULL when unknown (rows written
-- before this migration, or by something other than the intake), which
-- costs only the lookup. Only the intake links cases, and it keeps the
-- column in the same statement (relay/store.c): a new case that finds open
-- cases on its IBAN is written true and sets them true too. Cases of one
-- IBAN are taken in one at a time (the mule_accounts row lock), in id
-- order, and a case is never opened again, so every open case that shares
-- its IBAN with another open case is true: the later of the two found the
-- earlier open (and among the first 100 it lists, or the earlier had found
-- 100 open ones itself).
ALTER TABLE cases ADD COLUMN has_links boolean;

-- The intake marks the cases it found (relay/store.c) through this function,
-- not an UPDATE in its statement: that statement is planned once per
-- connection, generically, and on a database still empty (every start of a
-- new installation, every test) the plan scanned every case for each batch
-- until autovacuum analysed the table (tests/bench/intake: 230 -> 630 us of
-- PostgreSQL a report). EXECUTE plans with the ids at hand and the table's
-- size of the moment, and runs only for the rare batch with links.
CREATE FUNCTION relay48_mark_linked(ids bigint[]) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    EXECUTE 'UPDATE cases SET has_links = true WHERE id = ANY ($1) AND has_links IS NOT TRUE'
        USING ids;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
