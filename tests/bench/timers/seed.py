"""SQL that writes cases with their milestones straight into relay48's
tables (fast: no HTTP, no Kafka), for the scheduler's tests and benchmark.

Every case is a transfer from BNPAFRPP to SOGEFRPP, victim in Haute-Garonne
(police key 31), with its alert already fired (as the intake leaves it), its
addressees recorded and its beneficiary IBAN in mule_accounts and mule_links
(as the intake records every one); each case has a beneficiary IBAN of its
own (the tag is in it), so no case is linked to another: what most are
(has_links false, as the intake writes it, sql/014_cases_has_links.sql).
Each milestone's next_due_at is written as the intake writes it
(sql/013_milestones_next_due.sql). Times are SQL expressions evaluated by the server,
so the database's clock is the only clock.
"""


def cases_sql(tag, first, count, reminder_at, critical_at, expiry_at):
    """INSERT statements for cases first..first+count-1 (refs R48-<tag>-NNNN-NNNN,
    tag 4 digits) whose reminder, critical and expiry are due at the given SQL
    expressions (timestamptz)."""
    assert len(tag) == 4 and tag.isdigit()
    last = first + count - 1
    return f"""
INSERT INTO cases (ref, kind, channel, rail, window_state, start_at, received_at, deadline_at,
                   amount_minor, currency, debtor_iban, debtor_bic, creditor_iban, creditor_bic,
                   scenario, departement, details, has_links)
SELECT 'R48-{tag}-' || lpad((i / 10000)::text, 4, '0') || '-' || lpad((i % 10000)::text, 4, '0'),
       'transfer', 'api', 'sct', 'open', {expiry_at} - interval '48 hours', now(), {expiry_at},
       1250000, 'EUR', 'FR7630004000010000' || lpad(i::text, 9, '0'), 'BNPAFRPP',
       'FR76{tag}3000020' || lpad(i::text, 12, '0'), 'SOGEFRPP', 'fake_bank_advisor', '31',
       jsonb_build_object('victim', jsonb_build_object('name', 'Victime ' || i,
                          'email', 'v' || i || '@example.org', 'phone', '+33 5 61 00 00 00',
                          'postal_code', '31000'),
                          'creditor', jsonb_build_object('name', 'SECURIS CONSEIL SAS'),
                          'narrative', 'Un faux conseiller bancaire a fait valider un virement.'),
       false
FROM generate_series({first}, {last}) AS i;
INSERT INTO milestones (case_id, name, due_at, severity, state, fired_at, next_due_at)
SELECT c.id, m.name, m.due_at, m.severity, m.state, m.fired_at, m.next_due_at
FROM cases c, LATERAL (VALUES ('alert', c.received_at, 'alert', 'fired', c.received_at,
                               least({reminder_at}, {critical_at}, {expiry_at})),
                              ('reminder', {reminder_at}, 'high', 'pending', NULL::timestamptz,
                               least({critical_at}, {expiry_at})),
                              ('critical', {critical_at}, 'critical', 'pending', NULL, {expiry_at}),
                              ('expiry', {expiry_at}, 'expired', 'pending', NULL,
                               'infinity'::timestamptz))
     AS m(name, due_at, severity, state, fired_at, next_due_at)
WHERE c.ref BETWEEN 'R48-{tag}-{first // 10000:04d}-{first % 10000:04d}'
                AND 'R48-{tag}-{last // 10000:04d}-{last % 10000:04d}';
INSERT INTO mule_accounts (iban, first_seen_at, last_seen_at)
SELECT c.creditor_iban, c.received_at, c.received_at FROM cases c
WHERE c.ref BETWEEN 'R48-{tag}-{first // 10000:04d}-{first % 10000:04d}'
                AND 'R48-{tag}-{last // 10000:04d}-{last % 10000:04d}';
INSERT INTO mule_links (iban, case_id)
SELECT c.creditor_iban, c.id FROM cases c
WHERE c.ref BETWEEN 'R48-{tag}-{first // 10000:04d}-{first % 10000:04d}'
                AND 'R48-{tag}-{last // 10000:04d}-{last % 10000:04d}';
INSERT INTO case_addressees (case_id, party, role, first_escalated_at)
SELECT c.id, a.party, a.role, c.received_at
FROM cases c, (VALUES ('bank:BNPAFRPP', 'debtor_bank'), ('bank:SOGEFRPP', 'creditor_bank')) AS a(party, role)
WHERE c.ref BETWEEN 'R48-{tag}-{first // 10000:04d}-{first % 10000:04d}'
                AND 'R48-{tag}-{last // 10000:04d}-{last % 10000:04d}';
"""
