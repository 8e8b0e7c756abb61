"""relay48-connector against the real Kafka and PostgreSQL and a local HTTPS
test endpoint (self-signed certificate made by `openssl`, trusted through
connector.ca_file): signed deliveries checked by an independent Standard
Webhooks implementation; retries, Retry-After, the dead-letter topic past a
deadline; http:// and redirects refused; 410 disables; order per case; kill -9
and restart without loss; SIGTERM drain; police routing with office hours and
the 24/7 fallback; and a report posted to the relay reaching the banks."""
import json
import os
import sys
import time
import uuid
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "unit"))
import check_proto  # noqa: E402
import connector as cn  # noqa: E402
import stack  # noqa: E402
from reports import transfer  # noqa: E402
from stack import Relay, fresh_database, kafka_mark, kafka_messages, psql, run_tests, wait_until  # noqa: E402

BANK_TOPIC = "relay48.escalations.bank.v1"
POLICE_TOPIC = "relay48.escalations.police.v1"
DLQ_TOPIC = "relay48.deliveries.dlq.v1"
CAMT = "{urn:iso:std:iso:20022:tech:xsd:camt.056.001.08}"

db = fresh_database("connector")
relay = Relay(db, name="relay-conn", env={"RELAY48_MASTER_KEY": cn.MASTER_KEY})
relay.migrate()
ep = cn.Endpoint()
plain = cn.Endpoint(tls=False)
STORE = check_proto.Store(os.path.join(stack.SRC, "proto", "schemas"))
T0_MS = int(time.time() * 1000) - 2000
kafka_mark(DLQ_TOPIC)
bank_conn = None  # one connector for the bank tests that need no restart
banks_added = 0


def schema_errors(value, schema_file):
    return check_proto.validate(value, STORE.docs[schema_file], STORE, schema_file, True)


def add_bank(fmt="json", endpoint=None, path=None):
    """A bank with a fresh BIC whose endpoint is a path of the test endpoint."""
    bic = cn.new_bic()
    path = path or f"/bank/{bic}"
    url = endpoint or ep.url(path)
    out = relay.run("bank", "add", "--bic", bic, "--name", f"Bank {bic}", "--endpoint", url,
                    "--format", fmt)
    secret = out.stdout.strip()
    assert secret.startswith("whsec_"), out
    global banks_added
    banks_added += 1
    return bic, secret, path


def bank_connector():
    global bank_conn
    if bank_conn is None:
        bank_conn = cn.Connector(db, "bank", ca_file=ep.cert, start_ms=T0_MS, name="conn-bank",
                                 env={"RELAY48_CONNECTOR_REJECT_MAX_ATTEMPTS": "2"}).start()
    return bank_conn


def wait_registry():
    """A bank added after the connector started is known at its next registry
    load (every 500 ms here): wait until it has all of them."""
    if bank_conn is not None:
        wait_until(lambda: bank_conn.metrics().get("relay48_connector_destinations", 0) >=
                   banks_added, 20, "the registry reloaded")


def dead_letters(ce_id, expect=1, timeout=30):
    return kafka_messages(DLQ_TOPIC, lambda m: isinstance(m["value"], dict) and
                          m["value"].get("event_id") == ce_id, timeout=timeout, expect=expect)


def check_delivery(req, secret, ce_id, ref):
    h = req["headers"]
    why = cn.verify_signature(secret, h, req["body"])
    assert why is None, why
    assert h["webhook-id"] == ce_id
    assert h["content-type"] == "application/json"
    assert h["user-agent"].startswith("relay48-connector/")
    body = req["json"]
    assert body["id"] == ce_id and body["data"]["ref"] == ref, body
    errs = schema_errors(body, "delivery_escalation.json")
    assert not errs, errs
    return body


# ----------------------------------------------------------------------------- bank role

def test_signed_deliveries_json_and_camt056():
    c = bank_connector()
    a_bic, a_secret, a_path = add_bank("json")
    b_bic, b_secret, b_path = add_bank("camt056")
    wait_registry()
    ref_a, ref_b = cn.new_ref(), cn.new_ref()
    id_a = cn.produce(BANK_TOPIC, a_bic, cn.bank_escalation(ref_a, a_bic, role="creditor_bank"))
    id_b = cn.produce(BANK_TOPIC, b_bic, cn.bank_escalation(ref_b, b_bic, role="debtor_bank"))
    wait_until(lambda: ep.got(a_path) and ep.got(b_path), 20, "both deliveries")
    a = check_delivery(ep.got(a_path)[0], a_secret, id_a, ref_a)
    b = check_delivery(ep.got(b_path)[0], b_secret, id_b, ref_b)
    # The beneficiary's bank freezes: no recall request for it.
    assert "recall_request" not in a and "recall_request_xml" not in a
    assert a["destination"] == f"bank:{a_bic}" and a["attempt"] == 1
    assert 3500 <= a["time_left_s"] <= 3600 and a["ack_url"] == f"/v1/cases/{ref_a}/acks"
    # The victim's bank gets the pre-filled camt.056 recall, and its XML (format camt056).
    rr = b["recall_request"]
    assert rr["reason_code"] == "FRAD" and rr["message_type"] == "camt.056.001.08"
    assert rr["original_end_to_end_id"] == "E2E-2026032810000042"
    assert rr["original_amount"] == {"value": "12500.00", "currency": "EUR"}
    assert rr["assigner_bic"] == b_bic and rr["assignee_bic"] == "QNTOFRP1"
    doc = ET.fromstring(b["recall_request_xml"].encode())
    assert doc.tag == CAMT + "Document"
    assert doc.find(f".//{CAMT}CxlRsnInf/{CAMT}Rsn/{CAMT}Cd").text == "FRAD"
    amt = doc.find(f".//{CAMT}OrgnlIntrBkSttlmAmt")
    assert amt.get("Ccy") == "EUR" and amt.text == "12500.00"
    # Escaped in the XML, read back intact.
    assert doc.find(f".//{CAMT}Cdtr/{CAMT}Pty/{CAMT}Nm").text == "SECURIS <CONSEIL> & Fils"
    # Delivered once each (2xx: done), and counted.
    time.sleep(1.5)
    assert len(ep.got(a_path)) == 1 and len(ep.got(b_path)) == 1
    m = c.metrics()
    assert m.get(f'relay48_connector_delivered_total{{destination="bank:{a_bic}"}}') == 1, m
    # A log line per attempt, without personal data.
    lines = [d for d in c.log_lines("deliver.attempt") if d.get("ref") in (ref_a, ref_b)]
    assert len(lines) == 2, lines
    text = json.dumps(lines)
    for secret_data in ("FR7630004008190001234567879", "FR7616958000017412589630158",
                        "Mairie", "secretariat@", "+33", "https://"):
        assert secret_data not in text, secret_data


def test_fails_three_times_then_accepted_in_order():
    bank_connector()
    bic, secret, path = add_bank()
    x, y = cn.new_ref(), cn.new_ref()

    def answer(req):
        body = req["json"] or {}
        if body.get("data", {}).get("ref") == x and body["data"]["milestone"] == "alert" and \
                body.get("attempt", 0) <= 3:
            return (500, {}, b"busy")
        return (200, {}, b"ok")
    ep.plan[path] = [answer]
    wait_registry()
    x_alert = cn.produce(BANK_TOPIC, bic, cn.bank_escalation(x, bic, milestone="alert"))
    x_reminder = cn.produce(BANK_TOPIC, bic, cn.bank_escalation(x, bic, milestone="reminder"))
    y_alert = cn.produce(BANK_TOPIC, bic, cn.bank_escalation(y, bic))
    wait_until(lambda: len(ep.got(path)) >= 6, 30, "4 attempts of x, x's reminder, y")
    time.sleep(1.5)
    got = ep.got(path)
    by_id = {}
    for r in got:
        check_delivery(r, secret, r["headers"]["webhook-id"], r["json"]["data"]["ref"])
        by_id.setdefault(r["headers"]["webhook-id"], []).append(r)
    assert [r["json"]["attempt"] for r in by_id[x_alert]] == [1, 2, 3, 4], by_id[x_alert]
    assert len(by_id[x_reminder]) == 1 and len(by_id[y_alert]) == 1, got
    first, success = by_id[x_alert][0]["at"], by_id[x_alert][3]["at"]
    assert by_id[x_alert][1]["at"] - first <= 5.0  # the first retry within 5 s
    # A later escalation of the case never before the earlier one succeeded...
    assert by_id[x_reminder][0]["at"] >= success
    # ...while another case of the same bank kept flowing.
    assert by_id[y_alert][0]["at"] < success


def test_retry_after_429_is_honoured():
    bank_connector()
    bic, secret, path = add_bank()
    ep.plan[path] = [(429, {"Retry-After": "2"}, b"slow down"), (200, {}, b"ok")]
    wait_registry()
    ce = cn.produce(BANK_TOPIC, bic, cn.bank_escalation(cn.new_ref(), bic))
    wait_until(lambda: len(ep.got(path)) >= 2, 20, "the attempt after Retry-After")
    r1, r2 = ep.got(path)[:2]
    assert r1["headers"]["webhook-id"] == r2["headers"]["webhook-id"] == ce
    gap = r2["at"] - r1["at"]
    assert 1.9 <= gap <= 3.5, gap
    time.sleep(1)
    assert len(ep.got(path)) == 2


def test_dead_letter_after_the_deadline():
    c = bank_connector()
    down_bic, _, _ = add_bank(endpoint=f"https://127.0.0.1:{cn.closed_port()}/desk")
    busy_bic, _, busy_path = add_bank()
    ep.plan[busy_path] = [(503, {}, b"maintenance")]
    wait_registry()
    ref = cn.new_ref()
    t0 = time.time()
    down = cn.produce(BANK_TOPIC, down_bic, cn.bank_escalation(ref, down_bic, deadline_in=6))
    busy = cn.produce(BANK_TOPIC, busy_bic, cn.bank_escalation(ref, busy_bic, deadline_in=6))
    for ce, bic in ((down, down_bic), (busy, busy_bic)):
        dl = dead_letters(ce)
        assert len(dl) == 1, dl
        msg = dl[0]
        v = msg["value"]
        assert not schema_errors(v, "event_dlq.json"), schema_errors(v, "event_dlq.json")
        assert not schema_errors(msg["headers"], "kafka_headers.json")
        assert msg["key"] == bic and msg["headers"]["ce_type"] == "delivery.failed"
        assert v["reason"] == "deadline_reached" and v["attempts"] >= 2, v
        assert v["destination"] == f"bank:{bic}" and v["source_topic"] == BANK_TOPIC
        assert v["original"]["ref"] == ref and v["source_type"] == "escalation.bank"
        assert "https://" not in json.dumps(v)  # never the endpoint
        if ce == down:
            assert v["last_error"] and "last_status" not in v, v
        else:
            assert v["last_status"] == 503 and v["last_answer"] == "maintenance", v
    assert time.time() - t0 < 25
    assert c.metrics().get('relay48_connector_dlq_total{reason="deadline_reached"}', 0) >= 2


def test_http_endpoint_and_redirects_are_refused():
    bank_connector()
    http_bic, _, http_path = add_bank(endpoint=plain.url("/plain"))
    redir_bic, _, redir_path = add_bank()
    ep.plan[redir_path] = [(302, {"Location": ep.url("/elsewhere")}, b"")]
    wait_registry()
    ce_http = cn.produce(BANK_TOPIC, http_bic, cn.bank_escalation(cn.new_ref(), http_bic))
    ce_redir = cn.produce(BANK_TOPIC, redir_bic, cn.bank_escalation(cn.new_ref(), redir_bic))
    v = dead_letters(ce_http)[0]["value"]
    assert v["reason"] == "insecure_endpoint" and v["attempts"] == 0, v
    v = dead_letters(ce_redir)[0]["value"]
    assert v["reason"] == "rejected" and v["last_status"] == 302, v
    assert v["attempts"] == 2  # connector.reject_max_attempts
    assert plain.got() == [] and ep.got("/elsewhere") == []
    assert len(ep.got(redir_path)) == 2


def test_410_disables_the_endpoint():
    c = bank_connector()
    bic, _, path = add_bank()
    ep.plan[path] = [(410, {}, b"gone")]
    wait_registry()
    first = cn.produce(BANK_TOPIC, bic, cn.bank_escalation(cn.new_ref(), bic))
    v = dead_letters(first)[0]["value"]
    assert v["reason"] == "endpoint_gone" and v["last_status"] == 410 and v["attempts"] == 1
    assert psql(f"SELECT count(*) FROM delivery_endpoints_gone WHERE party = 'bank:{bic}'",
                db=db) == "1"
    second = cn.produce(BANK_TOPIC, bic, cn.bank_escalation(cn.new_ref(), bic))
    v = dead_letters(second)[0]["value"]
    assert v["reason"] == "endpoint_gone" and v["attempts"] == 0, v
    assert len(ep.got(path)) == 1
    assert c.metrics().get("relay48_connector_endpoints_disabled_total", 0) >= 1
    assert any("410" in d["msg"] for d in c.log_lines("deliver.endpoint_gone"))


# ----------------------------------------------------------------------------- end to end

def test_report_to_the_banks_end_to_end():
    """POST /v1/reports on the relay -> Kafka -> relay48-connector -> both banks."""
    c = bank_connector()
    secrets = {}
    for bic in ("BNPAFRPP", "SOGEFRPP"):
        secrets[bic] = relay.run("bank", "add", "--bic", bic, "--name", bic, "--endpoint",
                                 ep.url(f"/e2e/{bic}"), "--format", "camt056").stdout.strip()
        global banks_added
        banks_added += 1
    wait_registry()
    key = relay.create_key()
    try:
        relay.start()
        body = transfer(amount="12500.00")
        # relay.start() waited for /readyz, which waits for the keys.
        status, _, resp = relay.post_json("/v1/reports", body, {"Authorization": f"Bearer {key}"})
        assert status == 201, resp
        ref = resp["ref"]

        def mine(bic):
            return ep.got(f"/e2e/{bic}", lambda r: (r["json"] or {}).get("data", {}).get(
                "ref") == ref)
        wait_until(lambda: mine("BNPAFRPP") and mine("SOGEFRPP"), 30, "both banks reached")
        debtor, creditor = mine("BNPAFRPP")[0], mine("SOGEFRPP")[0]
        for bic, r in (("BNPAFRPP", debtor), ("SOGEFRPP", creditor)):
            assert cn.verify_signature(secrets[bic], r["headers"], r["body"]) is None
            # The envelope is the connector's; /data is the relay's event as
            # published (checked by the relay's own tests), passed on unchanged.
            errs = [e for e in schema_errors(r["json"], "delivery_escalation.json")
                    if not e.startswith("/data")]
            assert not errs, errs
            assert r["json"]["data"] == json.loads(json.dumps(r["json"]["data"]))
        assert debtor["json"]["data"]["role"] == "debtor_bank"
        assert debtor["json"]["recall_request"]["reason_code"] == "FRAD"
        ET.fromstring(debtor["json"]["recall_request_xml"].encode())
        assert creditor["json"]["data"]["role"] == "creditor_bank"
        assert "recall_request" not in creditor["json"]
        assert creditor["json"]["data"]["creditor"]["iban"] == body["creditor"]["iban"]
    finally:
        relay.stop()


def stop_shared_connector():
    """The tests below run connectors of their own: the shared one, which
    reads every bank of this database, must not deliver their escalations."""
    global bank_conn
    if bank_conn is not None:
        assert bank_conn.stop() == 0
        bank_conn = None




def test_kill9_mid_stream_and_restart_loses_nothing():
    stop_shared_connector()
    banks = [add_bank() for _ in range(4)]
    for _, _, path in banks:
        ep.plan[path] = [(200, {}, b"ok")]
    start = int(time.time() * 1000) - 1000
    produced = {}  # ce_id -> (bic, ref, milestone)
    for i in range(30):
        ref = cn.new_ref()
        for k, milestone in enumerate(("alert", "reminder", "critical")[: 1 + i % 3]):
            bic = banks[i % 4][0]
            ce = cn.produce(BANK_TOPIC, bic, cn.bank_escalation(ref, bic, milestone=milestone))
            produced[ce] = (bic, ref, milestone)
    paths = {path for _, _, path in banks}
    ep.delay = 0.03
    group = f"test-kill-{uuid.uuid4().hex[:8]}"
    c = cn.Connector(db, "bank", ca_file=ep.cert, group=group, start_ms=start, name="conn-kill")
    c.start()

    def received():
        return [r for r in ep.got() if r["path"] in paths]
    wait_until(lambda: len(received()) >= len(produced) // 3, 30, "a third delivered")
    c.kill()
    before = len(received())
    time.sleep(0.5)
    c = cn.Connector(db, "bank", ca_file=ep.cert, group=group, start_ms=start,
                     name="conn-kill2").start()
    wait_until(lambda: set(produced) <= {r["headers"]["webhook-id"] for r in received()}, 60,
               "every escalation delivered")
    time.sleep(2)
    ep.delay = 0.0
    c.stop()
    got = received()
    secrets = {bic: secret for bic, secret, _ in banks}
    seen = {}
    for r in got:
        wid = r["headers"]["webhook-id"]
        assert wid in produced, wid  # nothing but what was produced
        bic, ref, milestone = produced[wid]
        assert cn.verify_signature(secrets[bic], r["headers"], r["body"]) is None
        # a duplicate is the same escalation under the same webhook-id
        assert r["json"]["data"]["ref"] == ref and r["json"]["data"]["milestone"] == milestone
        seen.setdefault(wid, []).append(r)
    assert set(seen) == set(produced)
    # Order per case held, restarts included: first arrivals in milestone order.
    by_ref = {}
    for wid, rs in seen.items():
        bic, ref, milestone = produced[wid]
        by_ref.setdefault(ref, {})[milestone] = min(r["at"] for r in rs)
    for ref, ms in by_ref.items():
        order = [ms[m] for m in ("alert", "reminder", "critical") if m in ms]
        assert order == sorted(order), (ref, ms)
    dups = len(got) - len(produced)
    print(f"    {len(produced)} escalations, {before} received before kill -9, "
          f"{len(got)} deliveries in all, {dups} duplicates (same webhook-id)")


def test_sigterm_finishes_what_is_in_flight():
    bic, secret, path = add_bank()
    start = int(time.time() * 1000) - 1000
    ids = [cn.produce(BANK_TOPIC, bic, cn.bank_escalation(cn.new_ref(), bic)) for _ in range(4)]
    ep.plan[path] = [lambda req: (time.sleep(1.5), (200, {}, b"ok"))[1]]
    group = f"test-term-{uuid.uuid4().hex[:8]}"
    c = cn.Connector(db, "bank", ca_file=ep.cert, group=group, start_ms=start, name="conn-term",
                     env={"RELAY48_CONNECTOR_MAX_INFLIGHT_PER_DESTINATION": "2"}).start()
    wait_until(lambda: len(ep.got(path)) >= 1, 20, "deliveries in flight")
    rc = c.stop("TERM")
    assert rc == 0, c.log()[-2000:]
    done = {d["msg"] for d in c.log_lines("deliver.attempt") if "outcome=success" in d["msg"]}
    assert len(done) >= 1
    log = c.log()
    assert "connector.drain" in log and "connector.revoked" in log
    first = {r["headers"]["webhook-id"] for r in ep.got(path)}
    ep.plan[path] = [(200, {}, b"ok")]
    c = cn.Connector(db, "bank", ca_file=ep.cert, group=group, start_ms=start,
                     name="conn-term2").start()
    wait_until(lambda: set(ids) <= {r["headers"]["webhook-id"] for r in ep.got(path)}, 30,
               "the rest after the restart")
    time.sleep(1.5)
    c.stop()
    counts = {}
    for r in ep.got(path):
        counts[r["headers"]["webhook-id"]] = counts.get(r["headers"]["webhook-id"], 0) + 1
    # What was answered 2xx before SIGTERM was committed at close: not sent again.
    finished_before = [i for i in first if counts[i] == 1]
    assert len(finished_before) >= 1, counts
    assert set(counts) == set(ids)


# ----------------------------------------------------------------------------- police role

def add_unit(dept, name, path, hours=None, fallback=False):
    args = ["unit", "add", "--dept", dept, "--name", name, "--endpoint", ep.url(path)]
    if hours:
        args += ["--hours", hours]
    if fallback:
        args.append("--fallback")
    out = relay.run(*args)
    assert out.stdout.startswith("whsec_"), out
    return out.stdout.strip()


def test_unit_command():
    out = relay.run("unit", "add", "--dept", "31", "--name", "x", "--endpoint",
                    "http://127.0.0.1/x", check=False)
    assert out.returncode == 2 and "https" in out.stderr
    out = relay.run("unit", "add", "--dept", "20", "--name", "x", "--endpoint",
                    "https://127.0.0.1/x", check=False)
    assert out.returncode == 2
    out = relay.run("unit", "add", "--dept", "31", "--name", "x", "--endpoint",
                    "https://127.0.0.1/x", "--hours", "mon-fri 9:00-12:00", check=False)
    assert out.returncode == 2 and "office hours" in out.stderr


def test_police_routing_office_hours_and_fallback():
    """The office hours and fallbacks through the real consumer. Toulouse itself
    is the unit test's (tests/unit/test_routing.c): the police topic is shared
    with every other test of this Kafka, many of which escalate Toulouse
    cases; Haute-Corse (20200) and Mayotte (97600) stay quiet."""
    sec_unit = add_unit("2B", "Brigade de recherches de Bastia", "/police/2B")
    sec_fb = add_unit("2B", "CORG Haute-Corse 24/7", "/police/2B-fallback", fallback=True)
    sec_nat = add_unit("NATIONAL", "Permanence nationale 24/7", "/police/national",
                       fallback=True)
    listing = relay.run("unit", "list").stdout
    assert "Brigade de recherches de Bastia" in listing and "whsec_" not in listing
    tuesday, sunday = "2026-03-31T10:00:00+02:00", "2026-03-29T10:00:00+02:00"

    def delivered(ref):
        return ep.got(match=lambda r: (r["json"] or {}).get("data", {}).get("ref") == ref)

    def run(clock, cases):
        c = cn.Connector(db, "police", ca_file=ep.cert, name="conn-police",
                         env={"RELAY48_CLOCK_FIXED": clock}).start()
        try:
            out = {}
            for ref, dept, postal in cases:
                out[ref] = cn.produce(POLICE_TOPIC, dept, cn.police_escalation(ref, dept, postal))
            wait_until(lambda: all(any(r["status"] == 200 for r in delivered(ref)) for ref in out),
                       30, "police deliveries")
        finally:
            assert c.stop() == 0
        return out

    def where(ref):
        return [(r["path"], r["json"]["unit"]["routing"], r) for r in delivered(ref)]

    # Tuesday 10:00 in Paris: a Bastia postal code reaches the Haute-Corse unit.
    r1, r2 = cn.new_ref(), cn.new_ref()
    ids = run(tuesday, [(r1, "2B", "20200"), (r2, "976", "97600")])
    (path, routing, req), = where(r1)
    assert (path, routing) == ("/police/2B", "office_hours")
    assert cn.verify_signature(sec_unit, req["headers"], req["body"]) is None
    assert req["headers"]["webhook-id"] == ids[r1]
    assert req["json"]["destination"] == "police:2B"
    assert not schema_errors(req["json"], "delivery_escalation.json")
    # Mayotte has no unit: the national 24/7 desk.
    (path, routing, req), = where(r2)
    assert (path, routing) == ("/police/national", "fallback_no_unit")
    assert cn.verify_signature(sec_nat, req["headers"], req["body"]) is None
    # Sunday 10:00: the 24/7 unit of Haute-Corse.
    r3 = cn.new_ref()
    run(sunday, [(r3, "2B", "20200")])
    (path, routing, req), = where(r3)
    assert (path, routing) == ("/police/2B-fallback", "fallback_closed")
    assert cn.verify_signature(sec_fb, req["headers"], req["body"]) is None
    # Tuesday again, the unit keeps failing: after 3 failures, the fallback.
    ep.plan["/police/2B"] = [(500, {}, b"down")]
    r4 = cn.new_ref()
    run(tuesday, [(r4, "2B", "20200")])
    seq = where(r4)
    assert [p for p, _, _ in seq[:3]] == ["/police/2B"] * 3, [(p, w) for p, w, _ in seq]
    assert seq[3][0] == "/police/2B-fallback" and seq[3][1] == "fallback_failing"
    assert seq[3][2]["json"]["attempt"] == 4 and len(seq) == 4
    ep.plan.pop("/police/2B")


try:
    run_tests(globals())
finally:
    if bank_conn is not None and bank_conn.proc is not None:
        bank_conn.stop()
    ep.close()
    plain.close()
