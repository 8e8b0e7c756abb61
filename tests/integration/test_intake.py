"""POST /v1/reports against the real PostgreSQL and Kafka: a report in, a
row in each table, its events on each topic with the right key, headers and
body; idempotency; errors; linking of a known beneficiary IBAN; a full card
number stored, published and logged nowhere."""
import json
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import stack  # noqa: E402
from contract import check  # noqa: E402
from reports import card, fr_iban, luhn_pan, transfer  # noqa: E402
from stack import (Relay, fresh_database, kafka_mark, kafka_messages, pg_url, psql, run_tests,  # noqa: E402
                   unique, wait_until)

REF = re.compile(r"^R48-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
relay = None
db = None
key = None


def auth(extra=None):
    h = {"Authorization": f"Bearer {key}"}
    h.update(extra or {})
    return h


def post(body, headers=None):
    return relay.post_json("/v1/reports", body, auth(headers))


def sql(q):
    return psql(q, db=db)


def test_transfer_is_committed_and_published():
    body = transfer(amount="12500.00")
    status, headers, resp = post(body)
    assert status == 201, resp
    ref = resp["ref"]
    assert REF.match(ref), ref
    assert headers["location"] == f"/v1/cases/{ref}"
    assert resp["window_state"] == "open"
    assert [m["name"] for m in resp["milestones"]] == ["alert", "reminder", "critical", "expiry"]
    assert resp["milestones"][0]["state"] == "pending"
    assert resp["deadline_at"].endswith("Z") and resp["received_at"].endswith("Z")
    assert "police_escalation" in resp["flags"]  # 12 500 EUR >= threshold
    assert resp["linked_cases"] == []
    check(resp, "report_created_response.json")

    # rows, committed before the 201
    assert sql(f"SELECT count(*) FROM cases WHERE ref = '{ref}'") == "1"
    row = sql(f"SELECT amount_minor, currency, debtor_bic, creditor_bic, departement, state "
              f"FROM cases WHERE ref = '{ref}'")
    assert row == "1250000|EUR|BNPAFRPP|SOGEFRPP|31|open", row
    assert sql(f"SELECT count(*) FROM milestones m JOIN cases c ON c.id = m.case_id "
               f"WHERE c.ref = '{ref}'") == "4"

    # events: report.accepted, two bank escalations keyed by BIC, police keyed by département
    acc = kafka_messages("relay48.reports.v1", lambda m: m["key"] == ref, expect=1)
    assert len(acc) == 1, acc
    v = acc[0]["value"]
    check(v, "event_report_accepted.json")
    assert v["type"] if "type" in v else True
    assert acc[0]["headers"]["ce_type"] == "report.accepted"
    assert acc[0]["headers"]["ce_specversion"] == "1.0"
    assert acc[0]["headers"]["content-type"] == "application/json"
    assert acc[0]["headers"]["ce_source"] == "urn:relay48:intake"
    assert re.match(r"^[0-9a-f-]{36}$", acc[0]["headers"]["ce_id"])
    assert len(v["debtor_iban_token"]) == 64 and len(v["creditor_iban_token"]) == 64
    raw = json.dumps(v)
    assert body["debtor"]["iban"] not in raw and body["creditor"]["iban"] not in raw
    assert "Claire" not in raw  # no personal data on the reports topic

    banks = kafka_messages("relay48.escalations.bank.v1", lambda m: m["value"].get("ref") == ref,
                           expect=2)
    assert sorted((m["key"], m["value"]["role"]) for m in banks) == [
        ("BNPAFRPP", "debtor_bank"), ("SOGEFRPP", "creditor_bank")], banks
    for m in banks:
        check(m["value"], "event_escalation_bank.json")
        assert m["headers"]["ce_type"] == "escalation.bank"
        assert m["value"]["severity"] == "alert"
        assert m["value"]["creditor"]["iban"] == body["creditor"]["iban"]
        assert m["value"]["ack_url"] == f"/v1/cases/{ref}/acks"
    police = kafka_messages("relay48.escalations.police.v1",
                            lambda m: m["value"].get("ref") == ref, expect=1)
    assert len(police) == 1 and police[0]["key"] == "31", police
    check(police[0]["value"], "event_escalation_police.json")
    assert police[0]["value"]["reasons"] == ["amount_threshold"]
    assert police[0]["value"]["departement_name"] == "Haute-Garonne"

    # published right after the commit, its batch row deleted from the delivery
    # reports, well before the sweep, which only takes rows older than 10 s
    wait_until(lambda: sql("SELECT count(*) FROM intake_batches b CROSS JOIN "
                           "unnest(b.case_ids) AS u(id) JOIN cases c ON c.id = u.id "
                           f"WHERE c.ref = '{ref}'") == "0", 3,
               "its intake batch deleted once Kafka confirmed its events")


def test_small_amount_goes_to_banks_only():
    status, _, resp = post(transfer(amount="950.00"))
    assert status == 201, resp
    assert "police_escalation" not in resp["flags"]
    ref = resp["ref"]
    banks = kafka_messages("relay48.escalations.bank.v1", lambda m: m["value"].get("ref") == ref,
                           expect=2)
    assert len(banks) == 2, banks
    assert kafka_messages("relay48.escalations.police.v1",
                          lambda m: m["value"].get("ref") == ref, timeout=2) == []


def test_idempotency_key():
    k = "idem-" + unique()
    body = transfer(amount="3000.00")
    s1, _, r1 = post(body, {"Idempotency-Key": k})
    assert s1 == 201, r1
    s2, h2, r2 = post(body, {"Idempotency-Key": k})
    assert s2 == 200, r2
    assert r2 == r1
    assert h2.get("idempotency-replayed") == "true"
    # the same report with other spacing and key order is the same report
    spaced = dict(reversed(list(body.items())))
    spaced["debtor"] = {"name": body["debtor"]["name"],
                        "iban": " ".join(body["debtor"]["iban"][i:i + 4] for i in range(0, 27, 4))}
    s3, _, r3 = post(spaced, {"Idempotency-Key": k})
    assert s3 == 200 and r3["ref"] == r1["ref"], (s3, r3)
    other = dict(body, amount={"value": "3000.01", "currency": "EUR"})
    s4, _, r4 = post(other, {"Idempotency-Key": k})
    assert s4 == 409 and r4["code"] == "idempotency_conflict", r4
    assert sql(f"SELECT count(*) FROM idempotency_keys WHERE key = '{k}'") == "1"
    assert sql(f"SELECT count(*) FROM cases WHERE ref = '{r1['ref']}'") == "1"


def test_bad_requests_are_4xx_problems():
    cases = 0
    s, h, r = relay.post_json("/v1/reports", transfer())
    assert s == 401 and h["content-type"] == "application/problem+json", r
    assert h.get("www-authenticate", "").startswith("Bearer")
    s, _, r = relay.post_json("/v1/reports", transfer(),
                              {"Authorization": "Bearer r48_aaaaaaaaaa_" + "b" * 40})
    assert s == 401, r
    s, _, r = relay.request("POST", "/v1/reports", json.dumps(transfer()),
                            auth({"Content-Type": "text/plain"}))
    assert s == 415 and r["code"] == "unsupported_media_type", r
    s, _, r = relay.request("POST", "/v1/reports", '{"kind": "transfer",', auth(
        {"Content-Type": "application/json"}))
    assert s == 400 and r["code"] == "invalid_json", r
    s, _, r = relay.request("POST", "/v1/reports", "{}" + " " * 70000,
                            auth({"Content-Type": "application/json"}))
    assert s == 413 and r["code"] == "payload_too_large", r
    bad = transfer()
    bad["debtor"]["iban"] = bad["debtor"]["iban"][:-2] + ("00" if bad["debtor"]["iban"][-2:] != "00" else "11")
    bad["amount"]["value"] = "12.345"
    s, _, r = post(bad)
    assert s == 422 and r["code"] == "invalid_request", r
    check(r, "problem.json")
    pointers = {e["pointer"]: e["code"] for e in r["errors"]}
    assert pointers.get("/debtor/iban") == "invalid_iban", r
    assert pointers.get("/amount/value") == "invalid_amount", r
    s, _, r = post(transfer(), {"Idempotency-Key": "x" * 129})
    assert s == 422, r
    s, h, r = relay.request("GET", "/v1/reports")
    assert s == 405 and h.get("allow") == "POST", (s, h, r)
    # methods libevent knows but no route takes: a 405 problem, not evhttp's 501 page
    for method in ("TRACE", "PUT", "DELETE", "OPTIONS", "PATCH"):
        s, h, r = relay.request(method, "/v1/reports")
        assert s == 405 and h.get("allow") == "POST", (method, s, h, r)
        assert h["content-type"] == "application/problem+json" and r["code"] == "method_not_allowed"
    s, h, r = relay.request("TRACE", "/v1/cases/R48-0000-0000-0000")
    assert s == 405 and h.get("allow") == "GET, HEAD", (s, h, r)
    assert sql("SELECT count(*) FROM cases WHERE details->'victim'->>'name' = 'nobody'") == "0"
    cases += 1


def test_no_request_hides_in_a_head_or_trace_body():
    """libevent reads no body for HEAD and TRACE: one sent anyway must not be
    read as a second request on the connection (the relay closes it)."""
    inner = b"GET /metrics HTTP/1.1\r\nHost: relay\r\n\r\n"
    for line in (b"HEAD /healthz", b"TRACE /healthz", b"HEAD /v1/cases/R48-0000-0000-0000"):
        for framing in (b"Content-Length: %d" % len(inner), b"Transfer-Encoding: chunked"):
            with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as sock:
                sock.sendall(line + b" HTTP/1.1\r\nHost: relay\r\n" + framing + b"\r\n\r\n" +
                             inner)
                data = b""
                while True:
                    chunk = sock.recv(65536)  # the relay closes: no timeout expected
                    if not chunk:
                        break
                    data += chunk
            assert data.count(b"HTTP/1.1 ") == 1 and b"relay48_" not in data, (line, framing, data)


def test_linked_beneficiary_iban():
    mule = fr_iban("30003")
    s1, _, r1 = post(transfer(amount="500.00", creditor_iban=mule))
    assert s1 == 201 and r1["linked_cases"] == [], r1
    s2, _, r2 = post(transfer(amount="700.00", creditor_iban=mule))
    assert s2 == 201, r2
    assert r2["linked_cases"] == [r1["ref"]], r2
    assert "linked_iban" in r2["flags"] and "police_escalation" in r2["flags"], r2
    police = kafka_messages("relay48.escalations.police.v1",
                            lambda m: m["value"].get("ref") == r2["ref"], expect=1)
    assert len(police) == 1, police
    assert police[0]["value"]["reasons"] == ["linked_iban"]
    assert police[0]["value"]["linked_cases"] == [r1["ref"]]
    acc = kafka_messages("relay48.reports.v1", lambda m: m["key"] == r2["ref"], expect=1)
    assert acc[0]["value"]["linked_cases"] == [r1["ref"]]
    # the first, small, case raised no police escalation
    assert kafka_messages("relay48.escalations.police.v1",
                          lambda m: m["value"].get("ref") == r1["ref"], timeout=2) == []
    assert sql(f"SELECT count(*) FROM mule_links WHERE iban = '{mule}'") == "2"


def test_concurrent_reports_batched_together():
    """Many reports at once are committed in shared transactions (one
    statement a batch): reports on one beneficiary IBAN still each see all
    the ones committed before them, and one Idempotency-Key still makes one
    case, however the batches fall."""
    import threading
    mule = fr_iban("30003")
    k = "idem-batch-" + unique()
    same = transfer(amount="4100.00")
    results = {"mule": [], "idem": [], "other": []}
    lock = threading.Lock()

    def one(kind, body, headers=None):
        s, _, r = post(body, headers)
        with lock:
            results[kind].append((s, r))

    threads = [threading.Thread(target=one, args=("mule", transfer(amount=f"{600 + i}.00",
                                                                     creditor_iban=mule)))
               for i in range(10)]
    threads += [threading.Thread(target=one, args=("idem", same, {"Idempotency-Key": k}))
                for _ in range(6)]
    threads += [threading.Thread(target=one, args=("other", transfer(amount=f"{900 + i}.00")))
                for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s == 201 for s, _ in results["mule"]), results["mule"]
    assert all(s == 201 for s, _ in results["other"]), results["other"]
    # each saw exactly the cases committed before it: 0, 1, ..., 9 links
    mule_cases = sorted((r for _, r in results["mule"]), key=lambda r: len(r["linked_cases"]))
    assert [len(r["linked_cases"]) for r in mule_cases] == list(range(10)), \
        [r["linked_cases"] for r in mule_cases]
    for i, r in enumerate(mule_cases):
        assert r["linked_cases"] == [m["ref"] for m in mule_cases[:i]], (i, r["linked_cases"])
    assert all(r["linked_cases"] == [] for _, r in results["other"])
    statuses = sorted(s for s, _ in results["idem"])
    assert statuses == [200] * 5 + [201], statuses
    assert len({r["ref"] for _, r in results["idem"]}) == 1, results["idem"]
    assert sql(f"SELECT count(*) FROM idempotency_keys WHERE key = '{k}'") == "1"
    refs = ",".join(f"'{r['ref']}'" for kind in results for _, r in results[kind])
    assert sql(f"SELECT count(DISTINCT ref) FROM cases WHERE ref IN ({refs})") == "35"
    assert sql(f"SELECT count(*) FROM mule_links WHERE iban = '{mule}'") == "10"
    # every case of the shared IBAN marked (sql/014: the first by the second),
    # none of the others: the scheduler looks links up only for the marked
    mule_refs = ",".join(f"'{r['ref']}'" for r in mule_cases)
    assert sql(f"SELECT count(*) FILTER (WHERE has_links), count(*) FROM cases "
               f"WHERE ref IN ({mule_refs})") == "10|10"
    other_refs = ",".join(f"'{r['ref']}'" for _, r in results["other"])
    assert sql(f"SELECT count(*) FILTER (WHERE NOT has_links) FROM cases "
               f"WHERE ref IN ({other_refs})") == "24"


def test_batch_delay_gathers_and_sends():
    """store.batch_delay_ms > 0: an idle relay waits that long for more
    reports, then commits what came in one batch (the wait once ended the
    same way it began, re-armed, and nothing was ever sent)."""
    import threading
    import time
    other = Relay(db, name="intake-gather", env={"RELAY48_STORE_BATCH_DELAY_MS": "100"})
    other.start()
    try:
        def batches():
            m = re.search(r"^relay48_intake_batch_size_count (\d+)$", other.get("/metrics")[2], re.M)
            return int(m.group(1)) if m else 0
        before = batches()
        statuses = []
        lock = threading.Lock()

        def one(i):
            st, _, _ = other.post_json("/v1/reports", transfer(amount=f"{300 + i}.00"), auth())
            with lock:
                statuses.append(st)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - t0
        assert statuses == [201] * 8, statuses
        assert took >= 0.1, f"answered after {took:.3f} s: the batch did not wait"
        assert batches() - before <= 2, f"{batches() - before} batches for 8 reports sent at once"
    finally:
        assert other.stop("TERM") == 0


def test_full_card_number_appears_nowhere():
    pan = luhn_pan("497010")
    s, _, r = post(card(pan=pan, victim={"name": "Jean Dupont"}))
    assert s == 201, r
    check(r, "report_created_response.json")
    # no BIN table entry, no issuer_bic, no postal code
    assert {"unknown_issuer_bank", "national_queue"} <= set(r["flags"]), r
    ref = r["ref"]
    assert sql(f"SELECT card_bin || ' ' || card_last4 FROM cases WHERE ref = '{ref}'") == \
        f"{pan[:6]} {pan[-4:]}"
    # refused in free text
    s, _, r2 = post(card(narrative=f"ma carte {pan} a été débitée"))
    assert s == 422, r2
    assert any(e["code"] == "full_card_number_refused" for e in r2["errors"]), r2
    assert pan not in json.dumps(r2)
    dump = subprocess.run(["pg_dump", "--data-only", pg_url(db)], capture_output=True, text=True,
                          timeout=120)
    assert dump.returncode == 0, dump.stderr
    assert ref in dump.stdout
    assert pan not in dump.stdout
    wait_until(lambda: kafka_messages("relay48.escalations.bank.v1",
                                      lambda m: m["value"].get("ref") == ref, timeout=2), 15,
               "the card escalation on Kafka")
    for topic in ("relay48.reports.v1", "relay48.escalations.bank.v1",
                  "relay48.escalations.police.v1"):
        assert pan not in stack._consume(topic), topic  # everything since this test began
    assert pan not in relay.log()


def setup():
    global relay, db, key
    db = fresh_database("intake")
    relay = Relay(db, name="intake")
    relay.migrate()
    kafka_mark("relay48.reports.v1", "relay48.escalations.bank.v1",
               "relay48.escalations.police.v1")
    key = relay.create_key("partner-intake", "partner")
    relay.start()
    wait_until(lambda: post(transfer(amount="1.00"))[0] == 201, 10, "the key cache loaded")


if __name__ == "__main__":
    setup()
    try:
        run_tests(globals())
    finally:
        assert relay.stop("TERM") == 0, "relay48 did not drain and exit 0"
