-- relay48 scheduler: what a firing costs the database (docs/escalation.md,
-- "Firing" and "Benchmark").
--
-- case_addressees loses its foreign key on cases. Every escalation that
-- reaches a new party (the police at the reminder, most often) inserts a
-- row, and the key's check read the case row and locked it FOR KEY SHARE:
-- about 4.7 us a row and a dirtied page of cases (and, after a checkpoint,
-- its full-page image in the WAL) in the scheduler's fire statement. The
-- rows are only ever written for a case that exists: by the intake's own
-- statement, with the case, and by the scheduler for a case it has just
-- read, whose milestone it holds locked (a case is never deleted while it
-- has pending milestones: retention nulls columns, it deletes no case). The
-- key's ON DELETE CASCADE is kept by a statement trigger, for an operator's
-- DELETE of cases.
ALTER TABLE case_addressees DROP CONSTRAINT IF EXISTS case_addressees_case_id_fkey;

CREATE FUNCTION relay48_cases_delete_addressees() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM case_addressees a USING gone g WHERE a.case_id = g.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER cases_delete_addressees AFTER DELETE ON cases
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION relay48_cases_delete_addressees();

-- A firing row names up to scheduler.batch_max milestones (about 18 KB of
-- arrays for 1000): compressed with lz4 rather than pglz, which cost more
-- than the insert itself.
ALTER TABLE firings ALTER COLUMN case_ids SET COMPRESSION lz4;
ALTER TABLE firings ALTER COLUMN names SET COMPRESSION lz4;
