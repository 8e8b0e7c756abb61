"""POST /v1/declarations/perceval against the real PostgreSQL and Kafka: one
declaration becomes a card case of channel perceval escalated to its issuing
bank with the operations listed; the issuer from the BIN table when the
declaration does not name it; a batch of 100 with 7 bad items gives 93 cases
and 7 itemised errors, in order; a receipt sent twice (in two requests, in one
batch, or at the same moment) gives one case; a full card number sent in a
declaration appears nowhere (pg_dump, topics, logs); keys, media type,
malformed and oversized bodies."""
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from reports import card, luhn_pan  # noqa: E402
from stack import (Relay, fresh_database, kafka_mark, kafka_messages, psql, run_tests,  # noqa: E402
                   unique, wait_until)

PATH = "/v1/declarations/perceval"
relay = None
db = None
key = None
partner_key = None


def sql(q):
    return psql(q, db=db)


def declaration(receipt=None, pan=None, issuer_bic="BNPAFRPP", **extra):
    """A card report in the declaration's shape: the declarant, no kind."""
    body = card(pan=pan, receipt=receipt or f"PCV-{unique(12)}")
    del body["kind"]
    body["declarant"] = body.pop("victim")
    if issuer_bic:
        body["issuer_bic"] = issuer_bic
    body.update(extra)
    return body


def post(body, k=None, headers=None):
    h = {"Authorization": f"Bearer {k or key}"}
    h.update(headers or {})
    return relay.post_json(PATH, body, h)


def test_one_declaration_becomes_a_card_case():
    kafka_mark("relay48.escalations.bank.v1", "relay48.reports.v1")
    d = declaration()
    d["operations"].append({"at": d["operations"][0]["at"],
                            "amount": {"value": "80.00", "currency": "EUR"},
                            "merchant": "DAB RUE DE RIVOLI", "country": "FR", "channel": "atm"})
    status, h, resp = post(d)
    assert status == 201, resp
    assert resp["created"] == 1 and resp["invalid"] == 0
    res = resp["results"][0]
    assert res["index"] == 0 and res["status"] == "created" and res["receipt"] == d["receipt"]
    ref = res["ref"]
    assert h["location"] == f"/v1/cases/{ref}"
    assert res["window_state"] == "open" and res["deadline_at"].endswith("Z")
    row = sql(f"SELECT kind, channel, rail, receipt, card_bin, card_last4, creditor_bic, "
              f"amount_minor FROM cases WHERE ref = '{ref}'")
    assert row == f"card|perceval|card|{d['receipt']}|497010|4242|BNPAFRPP|32990", row
    assert sql(f"SELECT submitted_by FROM cases WHERE ref = '{ref}'") == key.split("_")[1]
    esc = kafka_messages("relay48.escalations.bank.v1", lambda m: m["value"].get("ref") == ref,
                         expect=1)
    assert len(esc) == 1 and esc[0]["key"] == "BNPAFRPP", esc
    v = esc[0]["value"]
    assert v["role"] == "issuer_bank" and v["receipt"] == d["receipt"]
    assert v["card"] == {"bin": "497010", "last4": "4242"}
    assert [o["merchant"] for o in v["operations"]] == ["SHOP EXEMPLE", "DAB RUE DE RIVOLI"]
    assert v["actions"] == ["block_card", "dispute_operations"], v
    acc = kafka_messages("relay48.reports.v1", lambda m: m["key"] == ref, expect=1)
    assert acc[0]["value"]["channel"] == "perceval"


def test_issuer_from_the_bin_table():
    d = declaration(issuer_bic=None)
    d["card"] = {"bin": "49999912", "last4": "0007"}
    status, _, resp = post(d)
    assert status == 201, resp
    ref = resp["results"][0]["ref"]
    assert sql(f"SELECT creditor_bic, flags FROM cases WHERE ref = '{ref}'") == "CMCIFRPP|{}"
    # an unknown BIN: the case is flagged, as any card case of an unknown issuer
    d = declaration(issuer_bic=None)
    d["card"] = {"bin": "512345", "last4": "0008"}
    status, _, resp = post(d)
    assert status == 201, resp
    ref = resp["results"][0]["ref"]
    assert "unknown_issuer_bank" in sql(f"SELECT flags FROM cases WHERE ref = '{ref}'")


def test_batch_of_100_with_7_bad():
    before = int(sql("SELECT count(*) FROM cases"))
    bad_at = sorted(random.sample(range(100), 7))
    items = []
    for i in range(100):
        d = declaration()
        if i in bad_at:
            kind = bad_at.index(i) % 3
            if kind == 0:
                d["card"] = {"bin": "4970", "last4": "42"}
            elif kind == 1:
                d["declarant"]["email"] = "not-an-email"
            else:
                d["operations"][0]["amount"]["currency"] = "EUX"
        items.append(d)
    status, _, resp = post({"declarations": items})
    assert status == 200, resp
    assert (resp["created"], resp["existing"], resp["invalid"], resp["unavailable"]) == \
        (93, 0, 7, 0), {k: resp[k] for k in ("created", "existing", "invalid", "unavailable")}
    results = resp["results"]
    assert [r["index"] for r in results] == list(range(100))
    for i, r in enumerate(results):
        if i in bad_at:
            assert r["status"] == "invalid" and "ref" not in r, r
            assert r["errors"] and all(e["pointer"].startswith(f"/declarations/{i}/")
                                       for e in r["errors"]), r
        else:
            assert r["status"] == "created" and r["receipt"] == items[i]["receipt"], r
    assert int(sql("SELECT count(*) FROM cases")) == before + 93
    refs = {r["ref"] for r in results if "ref" in r}
    assert len(refs) == 93
    kinds = [results[i]["errors"][0]["pointer"].split("/", 3)[3] for i in bad_at]
    assert any(k.startswith("card") for k in kinds) and "declarant/email" in kinds


def test_receipt_sent_twice_gives_one_case():
    d = declaration()
    s1, _, r1 = post(d)
    assert s1 == 201, r1
    ref = r1["results"][0]["ref"]
    # the same receipt again, even with other operations: the existing case
    again = copy.deepcopy(d)
    again["operations"][0]["amount"]["value"] = "1.00"
    s2, h2, r2 = post(again)
    assert s2 == 200, r2
    assert r2["results"][0]["status"] == "existing" and r2["results"][0]["ref"] == ref
    assert h2["location"] == f"/v1/cases/{ref}"
    assert sql(f"SELECT count(*) FROM cases WHERE receipt = '{d['receipt']}'") == "1"
    # twice in one batch, with a new one and a known one
    fresh = declaration()
    s3, _, r3 = post({"declarations": [fresh, d, fresh]})
    assert s3 == 200, r3
    st = [(r["status"], r.get("ref")) for r in r3["results"]]
    assert st[0][0] == "created" and st[1] == ("existing", ref) and st[2] == ("existing", st[0][1])
    assert sql(f"SELECT count(*) FROM cases WHERE receipt = '{fresh['receipt']}'") == "1"


def test_receipt_sent_at_the_same_moment_gives_one_case():
    """Two requests racing on one receipt: the unique index decides, and the
    loser answers 'existing', never a 5xx nor a second case."""
    for _ in range(5):
        d = declaration()
        out = [None] * 6
        def send(i):
            out[i] = post(d if i % 2 == 0 else {"declarations": [d]})
        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(out))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        refs = set()
        for status, _, resp in out:
            assert status in (200, 201), (status, resp)
            assert resp["results"][0]["status"] in ("created", "existing"), resp
            refs.add(resp["results"][0]["ref"])
        assert len(refs) == 1, out
        assert sql(f"SELECT count(*) FROM cases WHERE receipt = '{d['receipt']}'") == "1"
        assert sum(resp["results"][0]["status"] == "created" for _, _, resp in out) == 1


def test_full_card_number_appears_nowhere():
    pan = luhn_pan("497010", 16)
    spaced = " ".join(pan[i:i + 4] for i in range(0, 16, 4))
    topics = ("relay48.reports.v1", "relay48.escalations.bank.v1", "relay48.escalations.police.v1")
    kafka_mark(*topics)
    d = declaration(pan=spaced, operations=[{
        "at": card()["operations"][0]["at"], "amount": {"value": "15000.00", "currency": "EUR"},
        "merchant": "BIJOUTERIE EN LIGNE", "country": "FR", "channel": "online"}])
    # and one with the card number in free text: refused, and not echoed
    leak = declaration(narrative=f"ma carte {pan} a été débitée")
    status, _, resp = post({"declarations": [d, leak]})
    assert status == 200, resp
    ok, refused = resp["results"]
    assert ok["status"] == "created" and refused["status"] == "invalid", resp
    assert refused["errors"][0]["code"] == "full_card_number_refused"
    assert pan not in json.dumps(resp) and spaced not in json.dumps(resp)
    ref = ok["ref"]
    assert sql(f"SELECT card_bin, card_last4 FROM cases WHERE ref = '{ref}'") == \
        f"{pan[:6]}|{pan[-4:]}"
    dump = subprocess.run(["pg_dump", relay.env["RELAY48_DATABASE_URL"]], capture_output=True,
                          text=True, timeout=60).stdout
    assert pan not in dump and spaced not in dump and pan[6:12] not in dump
    seen = 0
    for topic in topics:
        for m in kafka_messages(topic, lambda m: ref in json.dumps(m["value"]), expect=1,
                                timeout=10):
            seen += 1
            text = json.dumps(m)
            assert pan not in text and spaced not in text, topic
    assert seen >= 3  # accepted, the issuer, the police (15 000 EUR)
    log = relay.log()
    assert pan not in log and spaced not in log


def test_refusals():
    d = declaration()
    status, h, resp = relay.post_json(PATH, d)
    assert status == 401 and "www-authenticate" in h, resp
    status, _, resp = post(d, k=partner_key)
    assert status == 403, resp
    status, _, resp = relay.request("POST", PATH, json.dumps(d),
                                    {"Authorization": f"Bearer {key}",
                                     "Content-Type": "text/plain"})
    assert status == 415, resp
    for raw in ("{", "[]", '{"declarations": [], "declarations": []}'):
        status, _, resp = post(raw)
        assert status == 400 and resp["code"] == "invalid_json", (raw, resp)
    status, _, resp = post({"declarations": []})
    assert status == 422 and resp["errors"][0]["code"] == "too_few_items", resp
    status, _, resp = post({"declarations": [d] * 501})
    assert status == 422 and resp["errors"][0]["code"] == "too_many_items", resp
    # one invalid declaration alone: a problem with its fields
    bad = declaration()
    bad["declarant"]["email"] = "nope"
    bad["kind"] = "card"
    status, _, resp = post(bad)
    assert status == 422 and resp["code"] == "invalid_request", resp
    assert sorted(e["pointer"] for e in resp["errors"]) == ["/declarant/email", "/kind"], resp
    # larger than perceval.body_limit
    status, _, resp = post(b'{"declarations": [' + b" " * (1 << 20) + b"]}")
    assert status == 413, resp


def main():
    global relay, db, key, partner_key
    db = fresh_database("perceval")
    relay = Relay(db, name="perceval")
    relay.migrate()
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("bin,bic,name\n49999912,CMCIFRPP,Test issuer (not a real BIN range)\n")
        bins = f.name
    relay.run("bin", "import", bins)
    os.unlink(bins)
    key = relay.create_key("perceval-platform", "platform")
    partner_key = relay.create_key("some-csirt", "partner")
    relay.start()
    wait_until(lambda: post({})[0] != 401, 10, "keys loaded")
    try:
        run_tests(globals())
    finally:
        rc = relay.stop()
        assert rc == 0, f"relay exited {rc}"


if __name__ == "__main__":
    main()
