"""POST /v1/webhooks/banks/{bic} against the real PostgreSQL and Kafka: a signed
fraud_report.created becomes a case of channel bank with its events; a flipped
bit in body, id or timestamp, a timestamp ±301 s away, an id or timestamp with
'.', an unknown or disabled bank: one and the same 401; ±299 s accepted; two
signatures with the second valid accepted; a replayed webhook-id answered as
the first time and processed once; a rotation's overlap honoured then closed;
invalid events 400/422 remembered; a case.acknowledged from a bank that was
not addressed on the case is 403."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from reports import card, luhn_pan, transfer  # noqa: E402
from stack import (RELAY_BIN, Relay, fresh_database, kafka_mark, kafka_messages, psql,  # noqa: E402
                   run_tests, unique, wait_until)

MASTER = "b7" * 32
REFRESH_MS = 200
relay = None
db = None
secrets = {}  # BIC -> key bytes


def sql(q):
    return psql(q, db=db)


def bank_cmd(*args):
    env = dict(relay.env)
    env["RELAY48_MASTER_KEY"] = MASTER
    out = subprocess.run([RELAY_BIN, "bank", *args], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def key_of(secret_text):
    return base64.b64decode(secret_text[len("whsec_"):])


def signature(key, msg_id, ts, body):
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def deliver(bic, body, key=None, msg_id=None, ts=None, sig=None, content_type="application/json",
            skew=0):
    """POST an event; body is a dict (dumped) or bytes (sent as they are)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    msg_id = msg_id or "msg_" + unique(20)
    ts = ts if ts is not None else str(int(time.time()) + skew)
    if sig is None:
        sig = signature(key if key is not None else secrets[bic], msg_id, ts, raw)
    headers = {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig,
               "Content-Type": content_type}
    status, h, resp = relay.request("POST", f"/v1/webhooks/banks/{bic}", raw, headers)
    return status, h, resp, msg_id


def event(data, type_="fraud_report.created"):
    return {"type": type_,
            "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "data": data}


def cases():
    return int(sql("SELECT count(*) FROM cases"))


def assert_refused(status, resp):
    assert status == 401, (status, resp)
    assert resp["code"] == "unauthorized"
    assert resp["detail"] == "the webhook signature could not be verified", resp


def test_signed_fraud_report_becomes_a_case():
    kafka_mark("relay48.reports.v1", "relay48.escalations.bank.v1")
    body = transfer(amount="4200.00")
    status, h, resp, msg_id = deliver("BNPAFRPP", event(body))
    assert status == 201, resp
    ref = resp["ref"]
    assert h["location"] == f"/v1/cases/{ref}"
    assert resp["window_state"] == "open"
    row = sql(f"SELECT channel, submitted_by, kind, amount_minor FROM cases WHERE ref = '{ref}'")
    assert row == "bank|bank:BNPAFRPP|transfer|420000", row
    # remembered with its answer; the intake's Idempotency-Key ties it to the webhook-id
    assert sql(f"SELECT status FROM webhook_ids WHERE webhook_id = '{msg_id}'") == "201"
    assert sql(f"SELECT case_ref FROM idempotency_keys WHERE party = 'bank:BNPAFRPP' "
               f"AND key = 'webhook:{msg_id}'") == ref
    acc = kafka_messages("relay48.reports.v1", lambda m: m["key"] == ref, expect=1)
    assert len(acc) == 1 and acc[0]["value"]["channel"] == "bank", acc
    banks = kafka_messages("relay48.escalations.bank.v1", lambda m: m["value"].get("ref") == ref,
                           expect=2)
    assert sorted(m["key"] for m in banks) == ["BNPAFRPP", "SOGEFRPP"], banks


def test_flipped_bits_are_refused_alike():
    raw = json.dumps(event(transfer())).encode()
    msg_id = "msg_" + unique(20)
    ts = str(int(time.time()))
    sig = signature(secrets["BNPAFRPP"], msg_id, ts, raw)
    before = cases()
    bodies = []
    # a bit of the body
    flipped = bytearray(raw)
    flipped[len(flipped) // 2] ^= 0x01
    s, _, r, _ = deliver("BNPAFRPP", bytes(flipped), msg_id=msg_id, ts=ts, sig=sig)
    assert_refused(s, r)
    bodies.append(r)
    # a bit of the id
    s, _, r, _ = deliver("BNPAFRPP", raw, msg_id=msg_id[:-1] + chr(ord(msg_id[-1]) ^ 0x01),
                         ts=ts, sig=sig)
    assert_refused(s, r)
    bodies.append(r)
    # a bit of the timestamp (one second off, still within the tolerance)
    s, _, r, _ = deliver("BNPAFRPP", raw, msg_id=msg_id, ts=str(int(ts) ^ 1), sig=sig)
    assert_refused(s, r)
    bodies.append(r)
    # a bit of the signature
    mac = bytearray(base64.b64decode(sig[3:]))
    mac[0] ^= 0x80
    s, _, r, _ = deliver("BNPAFRPP", raw, msg_id=msg_id, ts=ts,
                         sig="v1," + base64.b64encode(bytes(mac)).decode())
    assert_refused(s, r)
    bodies.append(r)
    # no signature header at all, another bank's secret, an unknown bank
    status, _, r = relay.request("POST", "/v1/webhooks/banks/BNPAFRPP", raw,
                                 {"webhook-id": msg_id, "webhook-timestamp": ts,
                                  "Content-Type": "application/json"})
    assert_refused(status, r)
    bodies.append(r)
    s, _, r, _ = deliver("BNPAFRPP", raw, key=secrets["SOGEFRPP"], msg_id=msg_id, ts=ts)
    assert_refused(s, r)
    bodies.append(r)
    s, _, r, _ = deliver("AGRIFRPP", raw, key=secrets["BNPAFRPP"], msg_id=msg_id, ts=ts)
    assert_refused(s, r)
    bodies.append(r)
    s, _, r, _ = deliver("not-a-bic", raw, key=secrets["BNPAFRPP"], msg_id=msg_id, ts=ts)
    assert_refused(s, r)
    bodies.append(r)
    # one body whatever failed: nothing tells which part
    assert all(b == bodies[0] for b in bodies), bodies
    assert cases() == before
    # the unmodified message is accepted
    s, _, r, _ = deliver("BNPAFRPP", raw, msg_id=msg_id, ts=ts, sig=sig)
    assert s == 201, r
    # the operator sees why in the metrics
    _, _, metrics = relay.get("/metrics")
    assert 'relay48_webhooks_refused_total{reason="mismatch"}' in metrics
    assert 'relay48_webhooks_refused_total{reason="unknown_bank"}' in metrics


def test_timestamp_tolerance():
    for skew in (-299, 299):
        s, _, r, _ = deliver("BNPAFRPP", event(transfer()), skew=skew)
        assert s == 201, (skew, r)
    for skew in (-301, 301, -86400):
        s, _, r, _ = deliver("BNPAFRPP", event(transfer()), skew=skew)
        assert_refused(s, r)


def test_dot_in_id_or_timestamp_is_refused():
    before = cases()
    s, _, r, _ = deliver("BNPAFRPP", event(transfer()), msg_id="msg.with.dots")
    assert_refused(s, r)
    s, _, r, _ = deliver("BNPAFRPP", event(transfer()), ts=f"{int(time.time())}.0")
    assert_refused(s, r)
    assert cases() == before


def test_second_of_two_signatures_valid():
    raw = json.dumps(event(transfer())).encode()
    msg_id, ts = "msg_" + unique(20), str(int(time.time()))
    good = signature(secrets["BNPAFRPP"], msg_id, ts, raw)
    bad = signature(b"\x00" * 32, msg_id, ts, raw)
    s, _, r, _ = deliver("BNPAFRPP", raw, msg_id=msg_id, ts=ts, sig=f"{bad} {good}")
    assert s == 201, r


def test_replayed_id_is_answered_as_the_first_time():
    raw = json.dumps(event(transfer(amount="777.00"))).encode()
    msg_id, ts = "msg_" + unique(20), str(int(time.time()))
    s1, h1, r1, _ = deliver("BNPAFRPP", raw, msg_id=msg_id, ts=ts)
    assert s1 == 201, r1
    before = cases()
    s2, h2, r2, _ = deliver("BNPAFRPP", raw, msg_id=msg_id, ts=ts)
    assert (s2, r2) == (s1, r1)
    assert h2.get("webhook-replayed") == "true" and "webhook-replayed" not in h1
    assert h2["location"] == h1["location"]
    # signed again later (a retry of the sender): same answer, no second case
    s3, _, r3, _ = deliver("BNPAFRPP", raw, msg_id=msg_id, skew=5)
    assert (s3, r3) == (s1, r1)
    assert cases() == before
    assert sql(f"SELECT count(*) FROM cases WHERE amount_minor = 77700") == "1"


def test_invalid_events_are_remembered():
    s, _, r, msg_id = deliver("BNPAFRPP", b"{not json")
    assert s == 400 and r["code"] == "invalid_json", r
    s2, _, r2, _ = deliver("BNPAFRPP", b"{not json", msg_id=msg_id)
    assert (s2, r2) == (s, r)
    bad = transfer()
    bad["amount"]["value"] = "12,50"
    del bad["victim"]
    s, _, r, msg_id = deliver("BNPAFRPP", event(bad))
    assert s == 422, r
    pointers = sorted(e["pointer"] for e in r["errors"])
    assert pointers == ["/data/amount/value", "/data/victim"], pointers
    s, _, r, _ = deliver("BNPAFRPP", {"type": "case.closed", "data": {}, "extra": 1})
    assert s == 422
    assert sorted(e["pointer"] for e in r["errors"]) == ["/extra", "/type"], r
    s, _, r, _ = deliver("BNPAFRPP", {"type": "fraud_report.created"})
    assert s == 422 and r["errors"][0]["pointer"] == "/data", r
    # after a valid signature, the content type is checked
    s, _, r, _ = deliver("BNPAFRPP", event(transfer()), content_type="text/plain")
    assert s == 415, r


def test_rotation_overlap_honoured_then_closed():
    old = secrets["BNPAFRPP"]
    old_id = sql("SELECT max(id) FROM bank_secrets WHERE bic = 'BNPAFRPP'")
    new = key_of(bank_cmd("rotate-secret", "--bic", "BNPAFRPP", "--overlap-hours", "1"))
    wait_until(lambda: deliver("BNPAFRPP", event(transfer()), key=new)[0] == 201, 5,
               "the new secret loaded")
    # during the overlap both are valid, and a header with both signatures too
    s, _, r, _ = deliver("BNPAFRPP", event(transfer()), key=old)
    assert s == 201, r
    raw = json.dumps(event(transfer())).encode()
    msg_id, ts = "msg_" + unique(20), str(int(time.time()))
    both = f"{signature(old, msg_id, ts, raw)} {signature(new, msg_id, ts, raw)}"
    s, _, r, _ = deliver("BNPAFRPP", raw, msg_id=msg_id, ts=ts, sig=both)
    assert s == 201, r
    # the overlap ends (as if the hour had passed): the old secret is refused
    sql(f"UPDATE bank_secrets SET valid_until = now() WHERE id = {old_id}")
    wait_until(lambda: deliver("BNPAFRPP", event(transfer()), key=old)[0] == 401, 5,
               "the old secret refused")
    s, _, r, _ = deliver("BNPAFRPP", event(transfer()), key=new)
    assert s == 201, r
    secrets["BNPAFRPP"] = new


def test_disabled_bank_is_refused():
    bank_cmd("disable", "--bic", "CRLYFRPP")
    wait_until(lambda: deliver("CRLYFRPP", event(transfer()))[0] == 401, 5, "bank disabled")
    s, _, r, _ = deliver("CRLYFRPP", event(transfer()))
    assert_refused(s, r)
    bank_cmd("enable", "--bic", "CRLYFRPP")
    wait_until(lambda: deliver("CRLYFRPP", event(transfer()))[0] == 201, 5, "bank enabled")


def test_ack_from_a_bank_not_addressed_is_403():
    s, _, created, _ = deliver("BNPAFRPP", event(transfer(amount="1500.00")))
    assert s == 201, created
    ref = created["ref"]
    # addressed: the debtor's bank (BNPAFRPP) and the creditor's (SOGEFRPP); not CRLYFRPP
    assert sql(f"SELECT string_agg(a.party, ',' ORDER BY a.party) FROM case_addressees a "
               f"JOIN cases c ON c.id = a.case_id WHERE c.ref = '{ref}'") == \
        "bank:BNPAFRPP,bank:SOGEFRPP"
    ack = {"ref": ref, "status": "funds_frozen", "amount": {"value": "1500.00", "currency": "EUR"}}
    s, _, r, msg_id = deliver("CRLYFRPP", event(ack, "case.acknowledged"))
    assert s == 403 and r["code"] == "forbidden", r
    # remembered like any answer
    s2, _, r2, _ = deliver("CRLYFRPP", event(ack, "case.acknowledged"), msg_id=msg_id)
    assert (s2, r2) == (s, r)
    # a case that does not exist: the same 403 (whether it exists is not the bank's to learn)
    s, _, r, _ = deliver("CRLYFRPP", event({"ref": "R48-0000-0000-0000", "status": "received"},
                                           "case.acknowledged"))
    assert s == 403, r
    # an invalid acknowledgement is 422 with pointers under /data
    s, _, r, _ = deliver("SOGEFRPP", event({"ref": ref, "status": "funds_frozen"},
                                           "case.acknowledged"))
    assert s == 422 and [e["pointer"] for e in r["errors"]] == ["/data/amount"], r
    s, _, r, _ = deliver("SOGEFRPP", event({"ref": "R48", "status": "maybe"},
                                           "case.acknowledged"))
    assert s == 422
    assert sorted(e["pointer"] for e in r["errors"]) == ["/data/ref", "/data/status"], r
    assert sql(f"SELECT count(*) FROM acknowledgements") == "0"


def test_ack_from_an_addressed_bank():
    s, _, created, _ = deliver("BNPAFRPP", event(transfer(amount="2500.00")))
    assert s == 201, created
    ref = created["ref"]
    kafka_mark("relay48.case-events.v1")
    ack = {"ref": ref, "status": "funds_frozen", "amount": {"value": "2500.00", "currency": "EUR"},
           "party_ref": "SG-" + unique(6)}
    s, _, r, msg_id = deliver("SOGEFRPP", event(ack, "case.acknowledged"))
    assert s == 201, r
    assert sql(f"SELECT k.party, k.status FROM acknowledgements k JOIN cases c "
               f"ON c.id = k.case_id WHERE c.ref = '{ref}'") == "bank:SOGEFRPP|funds_frozen"
    events = kafka_messages("relay48.case-events.v1", lambda m: m["key"] == ref, expect=2)
    assert {m["headers"]["ce_type"] for m in events} >= {"case.acknowledged"}, events
    s2, _, r2, _ = deliver("SOGEFRPP", event(ack, "case.acknowledged"), msg_id=msg_id)
    assert (s2, r2) == (s, r)


def test_card_number_in_a_bank_report_goes_nowhere():
    pan = luhn_pan("497010")
    kafka_mark("relay48.reports.v1", "relay48.escalations.bank.v1",
               "relay48.escalations.police.v1")
    s, _, r, _ = deliver("BNPAFRPP", event(card(pan=pan)))
    assert s == 201, r
    ref = r["ref"]
    assert sql(f"SELECT card_bin, card_last4 FROM cases WHERE ref = '{ref}'") == \
        f"{pan[:6]}|{pan[-4:]}"
    dump = subprocess.run(["pg_dump", relay.env["RELAY48_DATABASE_URL"]], capture_output=True,
                          text=True, timeout=60).stdout
    assert pan not in dump
    for topic in ("relay48.reports.v1", "relay48.escalations.bank.v1"):
        msgs = kafka_messages(topic, lambda m: ref in json.dumps(m["value"]), expect=1)
        assert msgs and all(pan not in json.dumps(m) for m in msgs), topic
    assert pan not in relay.log()


def main():
    global relay, db
    db = fresh_database("webhooks")
    relay = Relay(db, name="webhooks", env={"RELAY48_WEBHOOKS_ENABLED": "1",
                                            "RELAY48_MASTER_KEY": MASTER,
                                            "RELAY48_BANKS_REFRESH_MS": str(REFRESH_MS)})
    relay.migrate()
    for bic, name in (("BNPAFRPP", "BNP Paribas"), ("SOGEFRPP", "Societe Generale"),
                      ("CRLYFRPP", "LCL")):
        secrets[bic] = key_of(bank_cmd("add", "--bic", bic, "--name", name, "--endpoint",
                                       f"https://{bic.lower()}.example/relay48"))
    relay.start()
    wait_until(lambda: deliver("BNPAFRPP", b"{}")[0] != 401, 10, "banks loaded")
    try:
        run_tests(globals())
    finally:
        rc = relay.stop()
        assert rc == 0, f"relay exited {rc}"


if __name__ == "__main__":
    main()
