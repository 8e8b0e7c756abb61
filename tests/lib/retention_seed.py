"""SQL that writes cases full of personal data straight into relay48's
tables (fast: no HTTP, no Kafka), for the retention test and benchmark.

Each case i of a seed (refs R48-<tag>-NNNN-NNNN, tag 4 digits) carries what
the purge must remove: the victim's name, e-mail, phone and postal code, the
account holders' names, a narrative and an evidence file, IBANs, payment
references (transfers: 4 in 5) or a receipt, card last 4 digits and an
operation (cards: 1 in 5); with one acknowledgement holding a note and a
party_ref, one case-page token, one Idempotency-Key row, the beneficiary's
account link (transfers) and one access-log row. Closed cases are resolved
and expired by halves, closed at the SQL expression given.
"""


def seed_sql(tag, first, count, closed_at="now() - interval '1 day'", state="closed"):
    """INSERT statements for cases first..first+count-1; state "closed"
    (resolved or expired, closed_at as given) or "open"."""
    assert len(tag) == 4 and tag.isdigit()
    last = first + count - 1
    ref = f"'R48-{tag}-' || lpad((i / 10000)::text, 4, '0') || '-' || lpad((i % 10000)::text, 4, '0')"
    if state == "open":
        st, closed, start = "'open'", "NULL::timestamptz", "now() - interval '2 hours'"
    else:
        st = "CASE WHEN i % 2 = 0 THEN 'resolved' ELSE 'expired' END"
        closed, start = closed_at, f"({closed_at}) - interval '3 days'"
    lo = f"R48-{tag}-{first // 10000:04d}-{first % 10000:04d}"
    hi = f"R48-{tag}-{last // 10000:04d}-{last % 10000:04d}"
    return f"""
INSERT INTO cases (ref, kind, channel, rail, state, window_state, start_at, received_at,
                   deadline_at, amount_minor, currency, debtor_iban, debtor_bic, creditor_iban,
                   creditor_bic, card_bin, card_last4, receipt, scenario, departement, details,
                   closed_at)
SELECT {ref},
       CASE WHEN i % 5 = 0 THEN 'card' ELSE 'transfer' END, 'api',
       CASE WHEN i % 5 = 0 THEN 'card' ELSE 'sct' END, {st}, 'open',
       {start}, {start}, {start} + interval '48 hours', 1250000, 'EUR',
       CASE WHEN i % 5 <> 0 THEN 'FR7630004000010{tag}' || lpad(i::text, 8, '0') END, 'BNPAFRPP',
       CASE WHEN i % 5 <> 0 THEN 'FR7630003000020{tag}' || lpad(i::text, 8, '0') END,
       CASE WHEN i % 5 <> 0 THEN 'SOGEFRPP' ELSE 'BNPAFRPP' END,
       CASE WHEN i % 5 = 0 THEN '497010' END, CASE WHEN i % 5 = 0 THEN '4242' END,
       CASE WHEN i % 5 = 0 THEN 'PCV-{tag}-' || i END, 'fake_bank_advisor', '31',
       jsonb_build_object(
         'victim', jsonb_build_object('name', 'Victime {tag} ' || i,
                                      'email', 'v{tag}.' || i || '@example.org',
                                      'phone', '+33 5 61 00 00 00', 'postal_code', '31000',
                                      'type', 'person'),
         'narrative', 'Un faux conseiller bancaire {tag} ' || i || ' a fait valider un virement.',
         'evidence', jsonb_build_array(jsonb_build_object('file_name', 'mail-{tag}-' || i || '.eml',
                                       'sha256', encode(sha256(('e' || i)::bytea), 'hex'))))
       || CASE WHEN i % 5 = 0 THEN jsonb_build_object('operations', jsonb_build_array(
              jsonb_build_object('at', '2026-01-01T00:00:00Z', 'merchant', 'SHOP {tag} ' || i,
                                 'country', 'FR', 'channel', 'online',
                                 'amount', jsonb_build_object('value', '12500.00',
                                                              'currency', 'EUR'))))
          ELSE jsonb_build_object('debtor', jsonb_build_object('name', 'Titulaire {tag} ' || i),
                                  'creditor', jsonb_build_object('name', 'SECURIS {tag} ' || i),
                                  'end_to_end_id', 'E2E{tag}' || i, 'channel_ref', 'CH{tag}' || i)
          END,
       {closed}
FROM generate_series({first}, {last}) AS i;
INSERT INTO acknowledgements (case_id, party, status, note, party_ref, request_hash)
SELECT id, 'bank:BNPAFRPP', 'received', 'Note {tag} ' || id, 'REF-{tag}-' || id,
       sha256(('ack' || id)::bytea)
FROM cases WHERE ref BETWEEN '{lo}' AND '{hi}';
INSERT INTO case_access_tokens (token_hash, case_id)
SELECT sha256(('tok{tag}' || id)::bytea), id FROM cases WHERE ref BETWEEN '{lo}' AND '{hi}';
INSERT INTO idempotency_keys (party, key, request_hash, case_ref, response)
SELECT 'seed-partner', 'idem-' || ref, sha256(ref::bytea), ref, jsonb_build_object('ref', ref)
FROM cases WHERE ref BETWEEN '{lo}' AND '{hi}';
INSERT INTO mule_accounts (iban)
SELECT creditor_iban FROM cases
WHERE ref BETWEEN '{lo}' AND '{hi}' AND creditor_iban IS NOT NULL ON CONFLICT DO NOTHING;
INSERT INTO mule_links (iban, case_id)
SELECT creditor_iban, id FROM cases WHERE ref BETWEEN '{lo}' AND '{hi}' AND creditor_iban IS NOT NULL;
INSERT INTO case_access_log (at, key_id, party, role, ref, route, request_id)
SELECT {"now() - interval '1 day'" if state == "open" else closed_at}, 'seedkey000', 'seed-bank',
       'bank:BNPAFRPP', ref, 'case', 'seed' || id
FROM cases WHERE ref BETWEEN '{lo}' AND '{hi}';
"""


def seed_rows_per_case():
    """Rows of personal data a closed seeded case leaves to the purge, by
    class (a transfer; a card has no mule link)."""
    return {"narrative": 1, "identity": 1, "payment": 1, "notes": 1, "tokens": 1,
            "idempotency": 1, "access_log": 1}
