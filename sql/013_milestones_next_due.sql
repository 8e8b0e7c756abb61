-- relay48 escalation: what the claim needs to know of a milestone's later
-- siblings, on the milestone itself (docs/escalation.md, "Firing").
--
-- next_due_at: the earliest due_at of the case's milestones that come after
-- this one (alert < reminder < critical < expiry, which is severity order);
-- 'infinity' for the expiry; NULL when unknown (rows written before this
-- migration, or by hand). A milestone whose next_due_at is still in the
-- future when it is claimed is the most severe of its case that is due:
-- no later one is due, so none has fired, and the ones before it collapse
-- into it. The claim then skips reading the case's other milestones (a
-- third of its time). NULL or a past next_due_at: the claim reads them all,
-- as before.
--
-- The intake writes it with the milestones (relay/store.c). Nothing in the
-- relay moves a due_at afterwards; the trigger below keeps the column safe
-- when something else does (an operator, a test, the benchmark): a
-- milestone moved earlier lowers the next_due_at of the pending ones before
-- it. One moved later leaves theirs too early, which only costs the full
-- read.
ALTER TABLE milestones ADD COLUMN next_due_at timestamptz;

CREATE FUNCTION relay48_milestone_rank(name text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE name WHEN 'alert' THEN 0 WHEN 'reminder' THEN 1 WHEN 'critical' THEN 2 ELSE 3 END
$$;

CREATE FUNCTION relay48_milestone_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE milestones m SET next_due_at = NEW.due_at
    WHERE m.case_id = NEW.case_id AND m.state = 'pending'
      AND relay48_milestone_rank(m.name) < relay48_milestone_rank(NEW.name)
      AND m.next_due_at > NEW.due_at;
    RETURN NULL;
END $$;

CREATE TRIGGER milestones_moved_earlier AFTER UPDATE OF due_at ON milestones
FOR EACH ROW WHEN (NEW.due_at < OLD.due_at) EXECUTE FUNCTION relay48_milestone_moved();
