-- relay48 escalation: the police unit a reminder or a critical reached is
-- known from the milestone fired, not written at each firing
-- (docs/escalation.md, "Who a case was addressed to").
--
-- Every reminder and every critical goes to the case's police unit
-- ('police:' and its département, NATIONAL when unknown: escalate_addressees
-- in relay/escalate.c). The scheduler wrote that unit into case_addressees
-- at the first of them, in its fire statement (an ON CONFLICT insert, the
-- claim reading the parties already recorded to leave them out): in a burst
-- of 50 000 reminders, about 30 % of PostgreSQL's CPU and 40 % of its WAL
-- (docs/escalation.md, "Session of 26 Nov 2026, late evening"). A
-- fired reminder or critical says the same: the police unit was addressed,
-- at its fired_at.
--
-- case_addressees keeps the banks (written at intake: a reminder reaches
-- the banks the alert of an open window reached, from the same BICs, fixed
-- at intake), a police unit the alert reached (amount, linked IBAN, expired
-- on arrival), and a police unit's row from its first answer on (its
-- first_ack_at, relay/acks.c). Rows the scheduler wrote before this
-- migration stay and are read as before. Who a case was addressed to is
-- relay48_addressees(case): every reader goes through it, but the bank
-- list of GET /v1/cases and the bank webhooks, which read banks only.
CREATE FUNCTION relay48_addressees(case_id bigint)
RETURNS TABLE (party text, role text, first_escalated_at timestamptz, first_ack_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT a.party, a.role, a.first_escalated_at, a.first_ack_at
    FROM case_addressees a WHERE a.case_id = $1
    UNION ALL
    SELECT 'police:' || coalesce(nullif(c.departement, ''), 'NATIONAL'), 'police', f.at, NULL
    FROM cases c CROSS JOIN LATERAL (
        SELECT min(m.fired_at) AS at FROM milestones m
        WHERE m.case_id = c.id AND m.name IN ('reminder', 'critical') AND m.state = 'fired') f
    WHERE c.id = $1 AND f.at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM case_addressees a WHERE a.case_id = $1 AND a.role = 'police')
$$;
