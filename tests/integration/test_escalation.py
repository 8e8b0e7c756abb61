"""The escalation engine against the real PostgreSQL and Kafka, with a window
of 60 s (reminder 30 s and critical 10 s before the deadline): alert,
reminder, critical and expiry on time on the right topics; acknowledgements
(403 for a party not addressed, 404 for one that cannot see the case, 200 for
an identical repeat); funds_frozen from the creditor's bank resolves the case
and stops what remains; every bank answering no_funds/too_late resolves it
too; the case reads of banks and police with their cursor."""
import datetime
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from contract import check  # noqa: E402
from reports import fr_iban, now_utc, rfc3339, transfer  # noqa: E402
from stack import (Relay, fresh_database, kafka_mark, kafka_messages, psql, run_tests,  # noqa: E402
                   wait_until)

WINDOW, REMINDER_BEFORE, CRITICAL_BEFORE = 60, 30, 10
BANK, POLICE, EVENTS = ("relay48.escalations.bank.v1", "relay48.escalations.police.v1",
                        "relay48.case-events.v1")
relay = None
db = None
keys = {}
cases = {}  # name -> (ref, deadline epoch)


def sql(q):
    return psql(q, db=db)


def auth(who):
    return {"Authorization": f"Bearer {keys[who]}"}


def ack(who, ref, body):
    return relay.post_json(f"/v1/cases/{ref}/acks", body, auth(who))


def epoch(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def of(ref):
    return lambda m: isinstance(m["value"], dict) and m["value"].get("ref") == ref


def test_cases_are_created_with_their_alert_fired():
    start = now_utc()
    for name, amount in (("big", "12500.00"), ("small", "950.00"), ("norecovery", "800.00")):
        s, _, r = relay.post_json("/v1/reports", transfer(amount=amount, executed_at=rfc3339(start)),
                                  auth("partner"))
        assert s == 201, r
        assert r["milestones"][0]["state"] == "pending"  # the answer says what the plan said
        cases[name] = (r["ref"], epoch(r["deadline_at"]))
        assert epoch(r["deadline_at"]) - epoch(r["received_at"]) <= WINDOW
    ref = cases["big"][0]
    assert sql(f"SELECT m.state FROM milestones m JOIN cases c ON c.id = m.case_id "
               f"WHERE c.ref = '{ref}' AND m.name = 'alert'") == "fired"
    assert sql(f"SELECT string_agg(a.party || '=' || a.role, ',' ORDER BY a.party) "
               f"FROM case_addressees a JOIN cases c ON c.id = a.case_id WHERE c.ref = '{ref}'") \
        == "bank:BNPAFRPP=debtor_bank,bank:SOGEFRPP=creditor_bank,police:31=police"
    small = cases["small"][0]
    assert sql(f"SELECT string_agg(a.party, ',' ORDER BY a.party) FROM case_addressees a "
               f"JOIN cases c ON c.id = a.case_id WHERE c.ref = '{small}'") == \
        "bank:BNPAFRPP,bank:SOGEFRPP"


def test_next_due_at_written_and_kept_safe():
    """sql/013: each milestone knows the earliest due of the ones after it (the
    claim skips reading a case's other milestones when that is still ahead);
    a due time moved earlier lowers it on the pending ones before."""
    # banks and a département no other test here lists
    s, _, r = relay.post_json("/v1/reports", transfer(
        amount="900.00", executed_at=rfc3339(now_utc()), debtor_bank="30002",
        creditor_bank="30002", postal_code="69001"), auth("partner"))
    assert s == 201, r
    ref = r["ref"]
    of_case = f"FROM milestones m JOIN cases c ON c.id = m.case_id WHERE c.ref = '{ref}'"
    assert sql("SELECT count(*) FILTER (WHERE m.next_due_at = coalesce((SELECT min(n.due_at) "
               "FROM milestones n WHERE n.case_id = m.case_id AND relay48_milestone_rank(n.name) "
               "> relay48_milestone_rank(m.name)), 'infinity')), count(*), "
               "count(*) FILTER (WHERE m.name = 'expiry' AND m.next_due_at = 'infinity') "
               + of_case) == "4|4|1"
    due = dict(line.split("|") for line in sql(
        f"SELECT m.name, m.due_at {of_case}").splitlines())
    assert sql(f"SELECT m.next_due_at = '{due['reminder']}' {of_case} AND m.name = 'alert'") == "t"

    def ids(names):
        return (f"(m.case_id, m.name) IN (SELECT m.case_id, m.name {of_case} "
                f"AND m.name IN ({names}))")
    first, critical = ids("'alert','reminder'"), ids("'critical'")
    sql(f"UPDATE milestones m SET next_due_at = 'infinity' WHERE {first}")
    sql(f"UPDATE milestones m SET due_at = due_at - interval '1 s' WHERE {critical}")
    after = dict(line.split("|") for line in sql(
        f"SELECT m.name, m.next_due_at = (SELECT n.due_at FROM milestones n "
        f"WHERE n.case_id = m.case_id AND n.name = 'critical') {of_case}").splitlines())
    assert after["reminder"] == "t"  # pending, before it: lowered to the new due
    assert after["alert"] == "f"  # fired: left alone
    # moved later (a day: it fires during no other test): left early, which
    # only costs the claim its full read
    pending = ids("'reminder','critical','expiry'")
    sql(f"UPDATE milestones m SET due_at = due_at + interval '1 day' WHERE {pending}")
    assert sql(f"SELECT m.next_due_at = (SELECT n.due_at - interval '1 day' FROM milestones n "
               f"WHERE n.case_id = m.case_id AND n.name = 'critical') {of_case} "
               f"AND m.name = 'reminder'") == "t"


def test_who_may_acknowledge():
    ref = cases["small"][0]
    body = {"status": "received"}
    s, _, r = ack("police31", ref, body)  # its jurisdiction, but not escalated to police yet
    assert s == 403 and r["code"] == "forbidden", r
    s, _, r = ack("national", ref, body)  # sees every case, was not addressed
    assert s == 403, r
    s, _, r = ack("crly", ref, body)  # another bank: cannot see it
    assert s == 404 and r["code"] == "not_found", r
    s, _, r = ack("police75", ref, body)
    assert s == 404, r
    s, _, r = ack("partner", ref, body)
    assert s == 403, r
    s, _, r = relay.post_json(f"/v1/cases/{ref}/acks", body)
    assert s == 401, r
    s, _, r = ack("soge", "R48-0000-0000-0000", body)
    assert s == 404, r
    s, _, r = ack("soge", ref, {"status": "funds_frozen"})
    assert s == 422 and r["errors"][0]["pointer"] == "/amount", r
    s, _, r = ack("soge", ref, {"status": "frozen", "note": "x" * 2001, "extra": 1})
    assert s == 422, r
    assert {(e["pointer"], e["code"]) for e in r["errors"]} == {
        ("/status", "invalid_enum"), ("/note", "too_long"), ("/extra", "unknown_field")}, r
    s, _, r = relay.request("POST", f"/v1/cases/{ref}/acks", "{", dict(
        auth("soge"), **{"Content-Type": "application/json"}))
    assert s == 400, r
    assert sql(f"SELECT count(*) FROM acknowledgements") == "0"


def test_acknowledgement_is_stored_published_and_idempotent():
    kafka_mark(EVENTS)
    ref = cases["small"][0]
    body = {"status": "received", "party_ref": "BNP-2026-0001", "note": "Reçu, en cours."}
    s, _, r1 = ack("bnp", ref, body)
    assert s == 201, r1
    assert r1["party"] == "bank:BNPAFRPP" and r1["role"] == "debtor_bank", r1
    assert r1["case_state"] == "open"
    check(r1, "ack_response.json")
    s, h, r2 = ack("bnp", ref, body)
    assert s == 200 and h.get("idempotency-replayed") == "true", r2
    assert r2 == r1
    s, _, r3 = ack("bnp", ref, {"status": "recall_requested"})
    assert s == 201, r3
    assert sql("SELECT count(*) FROM acknowledgements") == "2"
    evs = kafka_messages(EVENTS, of(ref), expect=2)
    assert [m["headers"]["ce_type"] for m in evs] == ["case.acknowledged"] * 2, evs
    assert evs[0]["key"] == ref and evs[0]["value"]["party_ref"] == "BNP-2026-0001"
    for m in evs:
        check(m["value"], "event_case_acknowledged.json")
    # the response time of the bank, kept per case
    assert sql(f"SELECT count(*) FROM case_addressees a JOIN cases c ON c.id = a.case_id "
               f"WHERE c.ref = '{ref}' AND a.party = 'bank:BNPAFRPP' "
               f"AND a.first_ack_at >= a.first_escalated_at") == "1"
    s, _, metrics = relay.get("/metrics")
    assert 'relay48_bank_first_ack_seconds_count{bic="BNPAFRPP"} 1' in metrics, metrics


def test_funds_frozen_by_the_creditor_bank_resolves():
    ref = cases["small"][0]
    s, _, r = ack("soge", ref, {"status": "funds_frozen",
                               "amount": {"value": "950.00", "currency": "EUR"}})
    assert s == 201, r
    assert r["case_state"] == "resolved" and r["amount"] == {"value": "950.00", "currency": "EUR"}
    assert sql(f"SELECT state FROM cases WHERE ref = '{ref}'") == "resolved"
    assert sql(f"SELECT string_agg(m.name || '=' || m.state, ',' ORDER BY m.due_at) "
               f"FROM milestones m JOIN cases c ON c.id = m.case_id WHERE c.ref = '{ref}'") == \
        "alert=fired,reminder=skipped,critical=skipped,expiry=skipped"
    evs = kafka_messages(EVENTS, lambda m: of(ref)(m) and m["headers"]["ce_type"] ==
                         "case.resolved", expect=1)
    assert len(evs) == 1 and evs[0]["value"]["reason"] == "funds_frozen", evs
    check(evs[0]["value"], "event_case_resolved.json")


def test_every_bank_without_funds_resolves():
    ref = cases["norecovery"][0]
    s, _, r = ack("bnp", ref, {"status": "too_late"})
    assert s == 201 and r["case_state"] == "open", r
    s, _, r = ack("soge", ref, {"status": "no_funds"})
    assert s == 201 and r["case_state"] == "resolved", r
    evs = kafka_messages(EVENTS, lambda m: of(ref)(m) and m["headers"]["ce_type"] ==
                         "case.resolved", expect=1)
    assert evs and evs[0]["value"]["reason"] == "no_recovery", evs


def test_case_reads():
    big, small = cases["big"][0], cases["small"][0]
    s, _, c = relay.get(f"/v1/cases/{small}", auth("soge"))
    assert s == 200, c
    check(c, "case_view.json")
    assert c["state"] == "resolved" and c["addressed_as"] == "creditor_bank"
    assert [a["status"] for a in c["acknowledgements"]] == [
        "received", "recall_requested", "funds_frozen"], c
    assert c["debtor"]["iban"].startswith("FR") and c["victim"]["name"] == "Claire Martin"
    assert [m["state"] for m in c["milestones"]] == ["fired", "skipped", "skipped", "skipped"]
    s, _, c = relay.get(f"/v1/cases/{big}", auth("police31"))
    assert s == 200 and c["addressed_as"] == "police", c
    check(c, "case_view.json")
    assert "debtor" not in c and c["debtor_bic"] == "BNPAFRPP"  # police: the BIC only
    assert c["victim"]["postal_code"] == "31000"
    assert relay.get(f"/v1/cases/{big}", auth("crly"))[0] == 404
    assert relay.get(f"/v1/cases/{big}", auth("police75"))[0] == 404
    assert relay.get(f"/v1/cases/{big}", auth("partner"))[0] == 403
    assert relay.get(f"/v1/cases/{big}", auth("national"))[0] == 200

    # the open cases of a bank, by deadline, a page of one at a time
    seen, cursor = [], None
    for _ in range(5):
        q = "/v1/cases?state=open&order=deadline&limit=1" + (f"&cursor={cursor}" if cursor else "")
        s, _, page = relay.get(q, auth("bnp"))
        assert s == 200, page
        check(page, "case_list.json")
        seen += [i["ref"] for i in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == [big], seen
    s, _, page = relay.get("/v1/cases?state=resolved", auth("soge"))
    assert sorted(i["ref"] for i in page["items"]) == sorted([small, cases["norecovery"][0]])
    s, _, page = relay.get("/v1/cases", auth("police31"))
    assert [i["ref"] for i in page["items"]] == [big], page
    assert page["items"][0]["next_milestone"]["name"] == "reminder"
    assert relay.get("/v1/cases", auth("police75"))[2]["items"] == []
    s, _, r = relay.get("/v1/cases?cursor=xyz", auth("bnp"))
    assert s == 422 and r["errors"][0]["parameter"] == "cursor", r
    s, _, r = relay.get("/v1/cases?state=gone", auth("bnp"))
    assert s == 422, r
    s, _, r = relay.get("/v1/cases?colour=red", auth("bnp"))
    assert s == 422 and r["errors"] == [{"parameter": "colour", "code": "unknown_field", "detail":
                                         r["errors"][0]["detail"]}], r
    # names the contract cannot write back in `parameter` (1-64 visible ASCII): left out
    s, _, r = relay.get("/v1/cases?%C3%A4=1", auth("bnp"))  # names are written back as sent
    assert s == 422 and r["errors"][0]["parameter"] == "%C3%A4", r
    for query in ("=x", "a" * 65 + "=1", "state"):
        s, _, r = relay.get("/v1/cases?" + query, auth("bnp"))
        assert s == 422 and "parameter" not in r["errors"][0], (query, r)
        assert r["errors"][0]["detail"], r
        check(r, "problem.json")
    assert f'"ref":"{big}"' in relay.log() or big in relay.log()  # access lines


def fired_at(ref, name):
    return sql(f"SELECT extract(epoch FROM m.fired_at - m.due_at) FROM milestones m "
               f"JOIN cases c ON c.id = m.case_id WHERE c.ref = '{ref}' AND m.name = '{name}'")


def test_reminder_critical_expiry_on_time():
    ref, deadline = cases["big"]
    kafka_mark(BANK, POLICE, EVENTS)
    # reminder: both banks again (high) and the police
    wait_until(lambda: time.time() > deadline - REMINDER_BEFORE + 1, 60, "the reminder")
    banks = kafka_messages(BANK, lambda m: of(ref)(m) and m["value"]["milestone"] == "reminder",
                           expect=2)
    assert sorted((m["key"], m["value"]["role"], m["value"]["severity"]) for m in banks) == [
        ("BNPAFRPP", "debtor_bank", "high"), ("SOGEFRPP", "creditor_bank", "high")], banks
    assert banks[0]["value"]["kind"] == "transfer" and banks[0]["value"]["victim"]["name"]
    for m in banks:
        check(m["value"], "event_escalation_bank.json")
    pol = kafka_messages(POLICE, lambda m: of(ref)(m) and m["value"]["milestone"] == "reminder",
                         expect=1)
    assert len(pol) == 1 and pol[0]["key"] == "31" and pol[0]["value"]["reasons"] == ["reminder"]
    check(pol[0]["value"], "event_escalation_police.json")
    assert 0 <= float(fired_at(ref, "reminder")) < 1.5, fired_at(ref, "reminder")

    wait_until(lambda: time.time() > deadline - CRITICAL_BEFORE + 1, 30, "the critical")
    crit = kafka_messages(BANK, lambda m: of(ref)(m) and m["value"]["milestone"] == "critical",
                          expect=2)
    assert {m["value"]["severity"] for m in crit} == {"critical"} and len(crit) == 2, crit
    assert len(kafka_messages(POLICE, lambda m: of(ref)(m) and m["value"]["milestone"] ==
                              "critical", expect=1)) == 1
    assert 0 <= float(fired_at(ref, "critical")) < 1.5

    wait_until(lambda: time.time() > deadline + 1, 20, "the deadline")
    exp = kafka_messages(EVENTS, lambda m: of(ref)(m) and m["headers"]["ce_type"] ==
                         "window.expired", expect=1)
    assert len(exp) == 1, exp
    check(exp[0]["value"], "event_window_expired.json")
    assert sorted(exp[0]["value"]["addressed_to"]) == ["bank:BNPAFRPP", "bank:SOGEFRPP",
                                                       "police:31"]
    assert 0 <= float(fired_at(ref, "expiry")) < 1.5
    assert sql(f"SELECT state FROM cases WHERE ref = '{ref}'") == "expired"
    # out of the urgent queue
    assert ref not in [i["ref"] for i in relay.get("/v1/cases", auth("bnp"))[2]["items"]]
    s, _, page = relay.get("/v1/cases?state=expired", auth("national"))
    assert s == 200 and [i["ref"] for i in page["items"]] == [ref], page
    assert "addressed_as" not in page["items"][0]  # the national desk was not addressed

    # the resolved cases fired nothing after their resolution
    for name in ("small", "norecovery"):
        r = cases[name][0]
        assert kafka_messages(BANK, lambda m, r=r: of(r)(m), timeout=1) == []
        assert kafka_messages(EVENTS, lambda m, r=r: of(r)(m) and m["headers"]["ce_type"] ==
                              "window.expired", timeout=1) == []
    s, _, metrics = relay.get("/metrics")
    assert 'relay48_milestones_fired_total{milestone="reminder"}' in metrics
    assert "relay48_milestone_lateness_seconds_count" in metrics
    # counted at the first gauges tick, then every scheduler.pending_interval_ms
    assert re.search(r"^relay48_milestones_pending \d+$", metrics, re.M), metrics
    # every escalation confirmed by Kafka (outbox rows, firings and intake batches leave their tables on
    # their delivery reports)
    wait_until(lambda: sql("SELECT (SELECT count(*) FROM outbox) + (SELECT count(*) FROM firings)"
                           " + (SELECT count(*) FROM intake_batches)")
               == "0", 15, "the outbox and the firings published")


def test_linked_cases_in_later_escalations():
    """sql/014: the intake marks both sides of a link (has_links); a case's
    later escalations list the open cases linked to it since, and the claim
    looks links up only for the marked ones (and the unknown, NULL)."""
    mule = fr_iban("30002")
    refs = []
    for creditor_iban in (mule, mule, None, None):
        s, _, r = relay.post_json("/v1/reports", transfer(
            amount="900.00", executed_at=rfc3339(now_utc()), debtor_bank="30002",
            creditor_bank="30002", creditor_iban=creditor_iban, postal_code="69001"),
            auth("partner"))
        assert s == 201, r
        refs.append(r["ref"])
    first, second, alone, unknown = refs
    listed = ",".join(f"'{r}'" for r in refs)
    assert sql(f"SELECT string_agg(ref || '=' || has_links, ',' ORDER BY id) FROM cases "
               f"WHERE ref IN ({listed})") == \
        f"{first}=true,{second}=true,{alone}=false,{unknown}=false"
    # links written by hand between the last two, both ways: the one left as
    # a row written before sql/014 (NULL) looks its links up, the one the
    # intake marked false does not
    sql(f"UPDATE cases SET has_links = NULL WHERE ref = '{unknown}'")
    sql(f"INSERT INTO mule_links (iban, case_id) SELECT a.creditor_iban, b.id FROM cases a, cases b "
        f"WHERE (a.ref, b.ref) IN (('{alone}', '{unknown}'), ('{unknown}', '{alone}'))")
    kafka_mark(BANK)
    sql(f"UPDATE milestones m SET due_at = now() FROM cases c WHERE c.id = m.case_id "
        f"AND c.ref IN ({listed}) AND m.name = 'reminder'")
    for ref, linked in ((first, [second]), (second, [first]), (alone, []), (unknown, [alone])):
        got = kafka_messages(BANK, lambda m, ref=ref: of(ref)(m) and
                             m["value"]["milestone"] == "reminder", expect=2)
        assert sorted(m["value"]["role"] for m in got) == ["creditor_bank", "debtor_bank"], got
        for m in got:
            assert m["value"]["linked_cases"] == linked, (ref, m)
            check(m["value"], "event_escalation_bank.json")
    # nothing else of theirs fires while the relay drains
    sql(f"UPDATE milestones m SET due_at = due_at + interval '1 day' FROM cases c "
        f"WHERE c.id = m.case_id AND c.ref IN ({listed}) AND m.state = 'pending'")


def test_police_reached_by_the_reminder_may_answer():
    """sql/015: the police unit a reminder reaches is known from the fired
    milestone (the scheduler writes no row for it): before the reminder it
    sees the case but may not answer it (403), after it it may, and its first
    answer writes its row with the time it was reached and answered."""
    s, _, r = relay.post_json("/v1/reports", transfer(
        amount="900.00", executed_at=rfc3339(now_utc()), postal_code="75001"), auth("partner"))
    assert s == 201, r
    ref = r["ref"]
    case = f"FROM cases c, relay48_addressees(c.id) a WHERE c.ref = '{ref}'"
    assert sql(f"SELECT string_agg(a.party, ',' ORDER BY a.party) {case}") == \
        "bank:BNPAFRPP,bank:SOGEFRPP"  # under the threshold: the banks only
    s, _, c = relay.get(f"/v1/cases/{ref}", auth("police75"))
    assert s == 200 and "addressed_as" not in c, c
    s, _, r = ack("police75", ref, {"status": "received"})
    assert s == 403 and r["code"] == "forbidden", r

    kafka_mark(POLICE)
    sql(f"UPDATE milestones m SET due_at = now() FROM cases c WHERE c.id = m.case_id "
        f"AND c.ref = '{ref}' AND m.name = 'reminder'")
    pol = kafka_messages(POLICE, lambda m: of(ref)(m) and m["value"]["milestone"] == "reminder",
                         expect=1)
    assert len(pol) == 1 and pol[0]["key"] == "75", pol
    assert sql(f"SELECT count(*) FROM case_addressees a JOIN cases c ON c.id = a.case_id "
               f"WHERE c.ref = '{ref}' AND a.role = 'police'") == "0"
    assert sql(f"SELECT string_agg(a.party || '=' || a.role, ',' ORDER BY a.party) {case}") == \
        "bank:BNPAFRPP=debtor_bank,bank:SOGEFRPP=creditor_bank,police:75=police"
    reached = (f"(SELECT m.fired_at FROM milestones m JOIN cases c ON c.id = m.case_id "
               f"WHERE c.ref = '{ref}' AND m.name = 'reminder')")
    assert sql(f"SELECT a.first_escalated_at = {reached} AND a.first_ack_at IS NULL {case} "
               f"AND a.party = 'police:75'") == "t"
    s, _, c = relay.get(f"/v1/cases/{ref}", auth("police75"))
    assert s == 200 and c["addressed_as"] == "police", c
    assert [a["party"] for a in c["addressees"]][-1] == "police:75", c
    assert ack("national", ref, {"status": "received"})[0] == 403  # not the unit reached

    s, _, r = ack("police75", ref, {"status": "received", "note": "PV 2026/123"})
    assert s == 201, r
    assert sql(f"SELECT count(*) FROM case_addressees a JOIN cases c ON c.id = a.case_id "
               f"WHERE c.ref = '{ref}' AND a.party = 'police:75' AND a.role = 'police' "
               f"AND a.first_escalated_at = {reached} "
               f"AND a.first_ack_at >= a.first_escalated_at") == "1"
    assert sql(f"SELECT count(*) {case} AND a.party = 'police:75'") == "1"  # not twice
    s, _, r = ack("police75", ref, {"status": "received", "note": "PV 2026/123"})
    assert s == 200, r  # the same answer again
    s, _, c = relay.get(f"/v1/cases/{ref}", auth("police75"))
    assert s == 200 and c["acknowledgements"][0]["role"] == "police", c
    assert "first_ack_at" in [a for a in c["addressees"] if a["party"] == "police:75"][0], c
    # nothing else of it fires while the relay drains
    sql(f"UPDATE milestones m SET due_at = due_at + interval '1 day' FROM cases c "
        f"WHERE c.id = m.case_id AND c.ref = '{ref}' AND m.state = 'pending'")


def setup():
    global relay, db
    db = fresh_database("escalation")
    relay = Relay(db, name="escalation", env={
        "RELAY48_WINDOW_SCT": str(WINDOW),
        "RELAY48_WINDOW_REMINDER_BEFORE": str(REMINDER_BEFORE),
        "RELAY48_WINDOW_CRITICAL_BEFORE": str(CRITICAL_BEFORE),
        "RELAY48_KEYS_REFRESH_MS": "200",
    })
    relay.migrate()
    for who, role in (("partner", "partner"), ("bnp", "bank:BNPAFRPP"),
                      ("soge", "bank:SOGEFRPP"), ("crly", "bank:CRLYFRPP"),
                      ("police31", "police:31"), ("police75", "police:75"),
                      ("national", "police:NATIONAL")):
        keys[who] = relay.create_key(f"test-{who}", role)
    relay.start()
    wait_until(lambda: relay.get("/v1/cases", auth("bnp"))[0] == 200, 10, "the key cache loaded")


if __name__ == "__main__":
    setup()
    try:
        run_tests(globals())
    finally:
        assert relay.stop("TERM") == 0, "relay48 did not drain and exit 0"
