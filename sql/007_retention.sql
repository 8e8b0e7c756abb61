-- relay48 data protection (docs/reliability.md, "Data protection"): when a
-- case closed, the access log of case reads, and the index the purge of
-- idempotency records needs.

-- When the case left the open state (resolved, expired, closed): retention
-- is counted from here. Set by the triggers below on every change of state,
-- so every path that closes a case (an acknowledgement, the scheduler's
-- expiry, an operator's UPDATE) stamps it; a case resolved after it expired
-- is stamped again, so the later closure counts. NULL while open. A report
-- that arrived after its deadline (window_state expired_on_arrival) keeps
-- the state open, but nothing of its window is left: it is closed from its
-- arrival. The intake's other rows do not call the function (WHEN).
ALTER TABLE cases ADD COLUMN closed_at timestamptz;

UPDATE cases c SET closed_at = CASE
    WHEN c.state = 'resolved' THEN coalesce(
        (SELECT max(k.created_at) FROM acknowledgements k WHERE k.case_id = c.id), c.deadline_at)
    WHEN c.state = 'open' THEN c.received_at
    ELSE coalesce(
        (SELECT m.fired_at FROM milestones m WHERE m.case_id = c.id AND m.name = 'expiry'),
        c.deadline_at)
    END
WHERE c.state <> 'open' OR c.window_state = 'expired_on_arrival';

CREATE FUNCTION relay48_cases_closed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.closed_at := CASE WHEN NEW.state = 'open' AND NEW.window_state <> 'expired_on_arrival'
                          THEN NULL ELSE now() END;
    RETURN NEW;
END
$$;
CREATE TRIGGER cases_closed_at BEFORE UPDATE OF state ON cases
    FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state)
    EXECUTE FUNCTION relay48_cases_closed_at();
CREATE TRIGGER cases_closed_at_insert BEFORE INSERT ON cases
    FOR EACH ROW WHEN (NEW.closed_at IS NULL
                       AND (NEW.state <> 'open' OR NEW.window_state = 'expired_on_arrival'))
    EXECUTE FUNCTION relay48_cases_closed_at();

-- Who read which case through the API (GET /v1/cases/{ref}, and each case
-- of a GET /v1/cases page): one row per party and case. Written before the
-- answer is sent (relay/accesslog.h: no row, no read). key_id is the public
-- part of the API key; role is what it acts as ('bank:BNPAFRPP',
-- 'police:31'); party the name the key was created with. Kept
-- retention.access_log_days, counted from the read.
CREATE TABLE case_access_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    key_id     text NOT NULL,
    party      text NOT NULL,
    role       text NOT NULL,
    ref        text NOT NULL,                  -- cases.ref
    route      text NOT NULL CHECK (route IN ('case', 'list')),
    request_id text NOT NULL
);
-- "Who read this case?" (a data subject's request, an audit).
CREATE INDEX case_access_log_ref ON case_access_log (ref, at);
-- "What did this key read?"
CREATE INDEX case_access_log_key ON case_access_log (key_id, at);

-- The purge deletes a closed case's Idempotency-Key rows by its ref.
CREATE INDEX idempotency_keys_case_ref ON idempotency_keys (case_ref);
