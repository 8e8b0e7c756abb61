-- relay48 escalation engine: who each case was addressed to, what they
-- answered, the wake-up of the schedulers when a milestone falls due soon,
-- and the indexes of the case reads (docs/escalation.md).

-- What a bank or a police unit answered on a case (POST /v1/cases/{ref}/acks).
-- Every acknowledgement is kept; an identical repeat (same party, same
-- normalised body) is the same row. The victim's case page reads this table
-- joined to cases.
CREATE TABLE acknowledgements (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    party        text NOT NULL,                 -- 'bank:BNPAFRPP' or 'police:31'
    status       text NOT NULL CHECK (status IN ('received', 'recall_requested', 'funds_frozen',
                                                 'funds_returned', 'no_funds', 'rejected',
                                                 'too_late')),
    amount_minor bigint CHECK (amount_minor > 0),
    currency     char(3),
    note         text,
    party_ref    text,
    request_hash bytea NOT NULL,                -- SHA-256 of the normalised body
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((amount_minor IS NULL) = (currency IS NULL))
);
CREATE UNIQUE INDEX acknowledgements_once ON acknowledgements (case_id, party, request_hash);

-- The parties a case was addressed to (its escalations), with the time of the
-- first escalation to each and of its first acknowledgement: the per-bank
-- response time. Written in the same transaction as the escalations' outbox
-- rows (the intake's statement for the alert, the scheduler's for the
-- others). role: debtor_bank, creditor_bank, issuer_bank, police.
CREATE TABLE case_addressees (
    case_id            bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    party              text NOT NULL,
    role               text NOT NULL CHECK (role IN ('debtor_bank', 'creditor_bank', 'issuer_bank',
                                                     'police')),
    first_escalated_at timestamptz NOT NULL,
    first_ack_at       timestamptz,
    PRIMARY KEY (case_id, party)
);
-- A bank's or a unit's own cases (GET /v1/cases).
CREATE INDEX case_addressees_party ON case_addressees (party, case_id);

-- GET /v1/cases?state=...&order=deadline: a département's cases, and every
-- case (police:NATIONAL), in deadline order.
CREATE INDEX cases_departement_state_deadline ON cases (departement, state, deadline_at, id);
CREATE INDEX cases_state_deadline ON cases (state, deadline_at, id);

-- The alert of a case is fired by the intake's own commit (its events are in
-- that transaction): alerts of cases written before this migration too.
UPDATE milestones SET state = 'fired', fired_at = coalesce(fired_at, now())
WHERE name = 'alert' AND state = 'pending';

-- Wake the schedulers of every relay when a pending milestone falls due
-- within a minute (a late report, a milestone made due earlier): each
-- scheduler also looks for the next due time at least every scheduler.poll_ms
-- (at most 60 s), so later ones need no wake-up. The payload is the due time
-- in milliseconds since the epoch. Inserts: one notification per statement;
-- updates: only those that set due_at (the scheduler's own updates, which
-- set the state, call nothing).
CREATE FUNCTION relay48_milestones_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    soon timestamptz;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        soon := NEW.due_at;
    ELSE
        SELECT min(due_at) INTO soon FROM new_rows
        WHERE state = 'pending' AND due_at < now() + interval '60 seconds';
    END IF;
    IF soon IS NOT NULL THEN
        PERFORM pg_notify('relay48_milestones',
                          (floor(extract(epoch FROM soon) * 1000))::bigint::text);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER milestones_notify_insert AFTER INSERT ON milestones
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION relay48_milestones_notify();
CREATE TRIGGER milestones_notify_due AFTER UPDATE OF due_at ON milestones
    FOR EACH ROW WHEN (NEW.state = 'pending' AND NEW.due_at < now() + interval '60 seconds'
                       AND NEW.due_at IS DISTINCT FROM OLD.due_at)
    EXECUTE FUNCTION relay48_milestones_notify();

-- Fail the statement (and so the transaction) when a condition the relay
-- relies on does not hold: the scheduler checks that every milestone it
-- fires was still pending.
CREATE FUNCTION relay48_assert(ok boolean, what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'relay48: %', what;
    END IF;
    RETURN true;
END
$$;
