"""Data protection against the real PostgreSQL and Kafka: retention per data
class, `relay48 purge` with a shifted clock, the access log of case reads,
the relay's own purge job, and the Kafka topics' retention.

Cases come in through the HTTP API and the web form, with personal values
unique to each case; some are closed (resolved by acknowledgements, expired
by the scheduler with an 8 s window, expired on arrival), some stay open;
banks and police read some (the access log). Then `relay48 purge` runs with
clock.fixed 45 days ahead (narrative and idempotency due, the rest not yet;
one case closed 100 days before), then 400 days ahead (everything due), then
again (nothing left: idempotent). After it, every personal value of a closed
case is searched in every table: 0 found; the open cases keep theirs. A
seeded volume (3 000 closed cases, 300 open) runs through the same purge in
batches, with its figures printed."""
import datetime
import hashlib
import http.client
import os
import re
import sys
import time
import urllib.parse
import uuid
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from reports import card, fr_iban, now_utc, rfc3339, transfer  # noqa: E402
from retention_seed import seed_sql  # noqa: E402
from stack import SRC, Relay, fresh_database, ops, psql, run_tests, wait_until  # noqa: E402

WINDOW_INST = 8  # s: the expired cases' window
relay = None
db = None
keys = {}
cases = {}  # name -> {"ref", "values": personal strings, "closed": bool}
reads = []  # (key name, ref, route) of every case read
T0 = None  # the real time of the first purge


def sql(q):
    return psql(q, db=db)


def auth(who):
    return {"Authorization": f"Bearer {keys[who]}"}


def shifted(days):
    return rfc3339(T0 + datetime.timedelta(days=days))


def purge(*args, days=0, check=True):
    env = {"RELAY48_CLOCK_FIXED": shifted(days)} if days else {}
    saved = dict(relay.env)
    relay.env.update(env)
    try:
        out = relay.run("purge", *args, check=check)
    finally:
        relay.env = saved
    return out


def summary(out):
    """{class: purged (or due) rows} from relay48 purge's table."""
    rows = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^([a-z_]+)\s+\d+ [ds]\s+\S+\s+(\d+)\s", line)
        if m:
            rows[m.group(1)] = int(m.group(2))
    return rows


def personal_transfer(tag, **over):
    """A transfer whose every personal value names the case."""
    body = transfer(
        executed_at=over.pop("executed_at", None),
        debtor={"iban": fr_iban("30004"), "name": f"Titulaire {tag}"},
        creditor={"iban": over.pop("creditor_iban", None) or fr_iban("30003"),
                  "name": f"Beneficiaire {tag}"},
        victim={"name": f"Victime {tag}", "email": f"{tag}@example.org",
                "phone": "+33 5 61 %02d %02d %02d" % (len(cases), len(cases) + 1, len(cases) + 2),
                "postal_code": "31000", "type": "person"},
        narrative=f"Recit {tag}: un faux conseiller a fait valider un virement.",
        evidence=[{"file_name": f"mail-{tag}.eml", "sha256": hashlib.sha256(tag.encode()).hexdigest()}],
        end_to_end_id=f"E2E{tag}", uetr=str(uuid.uuid4()), channel_ref=f"CH{tag}", **over)
    values = [body["debtor"]["iban"], body["creditor"]["iban"], f"Titulaire {tag}",
              f"Beneficiaire {tag}", f"Victime {tag}", f"{tag}@example.org",
              body["victim"]["phone"], f"Recit {tag}", f"mail-{tag}.eml", f"E2E{tag}",
              body["uetr"], f"CH{tag}"]
    return body, values


def report(name, body, values, idem=True):
    h = dict(auth("partner"))
    if idem:
        h["Idempotency-Key"] = f"idem-{name}-{os.getpid()}"
    s, _, r = relay.post_json("/v1/reports", body, h)
    assert s == 201, r
    cases[name] = {"ref": r["ref"], "values": values, "closed": False}
    return r


def ack(who, name, body):
    s, _, r = relay.post_json(f"/v1/cases/{cases[name]['ref']}/acks", body, auth(who))
    assert s == 201, r
    return r


def read(who, name):
    ref = cases[name]["ref"]
    s, _, r = relay.get(f"/v1/cases/{ref}", auth(who))
    assert s == 200, r
    reads.append((who, ref, "case"))
    return r


# ---- the web form ---------------------------------------------------------------------


def web_report(name):
    conn = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=15)
    conn.request("GET", "/", headers={"Host": f"127.0.0.1:{relay.port}"})
    page = conn.getresponse().read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    paris = (now_utc() - datetime.timedelta(hours=2)).astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    tag = f"web{os.getpid()}"
    fields = {"kind": "transfer", "lang": "fr", "executed_at": paris.strftime("%Y-%m-%dT%H:%M"),
              "amount": "2 500,00", "currency": "EUR", "rail": "sct",
              "debtor_iban": fr_iban("30004"), "creditor_iban": fr_iban("30003"),
              "creditor_name": f"Beneficiaire {tag}", "victim_type": "person",
              "victim_name": f"Victime {tag}", "email": f"{tag}@example.org",
              "phone": "05 61 99 98 97", "postal_code": "31000",
              "scenario": "fake_bank_advisor", "narrative": f"Recit {tag}, par le formulaire.",
              "csrf": csrf}
    conn.request("POST", "/report", urllib.parse.urlencode(fields),
                 {"Host": f"127.0.0.1:{relay.port}",
                  "Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 303, resp.status
    location = resp.getheader("Location")
    conn.close()
    ref = re.search(r"/case/(R48-[0-9A-Z-]+)\?t=", location).group(1)
    cases[name] = {"ref": ref, "closed": False, "page": location,
                   "values": [fields["debtor_iban"], fields["creditor_iban"],
                              f"Beneficiaire {tag}", f"Victime {tag}", f"{tag}@example.org",
                              f"Recit {tag}"]}


# ---- the tests ------------------------------------------------------------------------


def test_cases_in_closed_and_read():
    global T0
    # open: two transfers, one naming the beneficiary account of a closed one
    shared = fr_iban("30003")
    body, v = personal_transfer("open1", creditor_iban=shared)
    report("open1", body, v)
    body, v = personal_transfer("open2")
    report("open2", body, v)
    # resolved: the creditor's bank froze the funds (notes on both answers)
    for i in range(3):
        name = f"resolved{i}"
        body, v = personal_transfer(name, creditor_iban=shared if i == 0 else None)
        report(name, body, v)
        ack("bnp", name, {"status": "received", "note": f"Note bnp {name}",
                          "party_ref": f"BNP-{name}"})
        ack("soge", name, {"status": "funds_frozen", "note": f"Note soge {name}",
                           "party_ref": f"SG-{name}",
                           "amount": {"value": "12500.00", "currency": "EUR"}})
        cases[name]["values"] += [f"Note bnp {name}", f"BNP-{name}", f"Note soge {name}",
                                  f"SG-{name}"]
        cases[name]["closed"] = True
    cases["resolved0"]["values"].remove(shared)  # an open case still names it
    # expired by the scheduler: sct_inst with an 8 s window
    for i in range(2):
        name = f"expired{i}"
        body, v = personal_transfer(name, rail="sct_inst", executed_at=rfc3339(now_utc()))
        report(name, body, v)
        cases[name]["closed"] = True
    # expired on arrival: executed three days ago (state open, window closed)
    body, v = personal_transfer("late", executed_at=rfc3339(now_utc() - datetime.timedelta(days=3)))
    r = report("late", body, v)
    assert r["window_state"] == "expired_on_arrival", r
    cases["late"]["closed"] = True
    # a card, resolved by its issuer saying it is too late
    # Letters between the numbers: fifteen digits in a row pass Luhn one time
    # in ten, and the intake rightly refuses what looks like a card number.
    receipt = f"PCV-P{os.getpid()}T{int(time.time())}"
    body = card(receipt=receipt, issuer_bic="BNPAFRPP", narrative="Recit carte: achats inconnus.",
                victim={"name": "Victime carte", "email": "carte@example.org",
                        "postal_code": "75011"})
    body["operations"][0]["merchant"] = "SHOP CARTE UNIQUE"
    report("card", body, [receipt, "Victime carte", "carte@example.org", "Recit carte",
                          "SHOP CARTE UNIQUE"])
    ack("bnp", "card", {"status": "too_late", "note": "Note carte"})
    cases["card"]["values"].append("Note carte")
    cases["card"]["closed"] = True
    # the web form: a token and a form nonce; resolved
    web_report("web")
    ack("soge", "web", {"status": "funds_returned", "amount": {"value": "2500.00",
                                                                "currency": "EUR"}})
    cases["web"]["closed"] = True

    # reads: banks and police, one case at a time and a list
    for name in ("resolved0", "resolved1", "open1", "card"):
        read("bnp", name)
    read("police31", "resolved2")
    read("national", "late")
    s, _, page = relay.get("/v1/cases?state=resolved", auth("soge"))
    assert s == 200 and len(page["items"]) == 4, page
    reads.extend(("soge", i["ref"], "list") for i in page["items"])

    closed = [c["ref"] for c in cases.values() if c["closed"]]
    refs = ",".join(f"'{r}'" for r in closed)
    wait_until(lambda: sql(f"SELECT count(*) FROM cases WHERE ref IN ({refs}) "
                           f"AND closed_at IS NOT NULL") == str(len(closed)),
               WINDOW_INST + 20, "every closed case stamped closed_at")
    assert sql(f"SELECT count(*) FROM cases WHERE state = 'expired' AND ref IN ({refs})") == "2"
    assert sql("SELECT count(*) FROM cases WHERE state = 'open' AND closed_at IS NOT NULL "
               "AND window_state <> 'expired_on_arrival'") == "0"
    wait_until(lambda: sql("SELECT (SELECT count(*) FROM outbox) + "
                           "(SELECT count(*) FROM intake_batches)") == "0", 20,
               "the outbox and the intake batches published")
    T0 = now_utc()


def test_access_log_rows():
    rows = sql("SELECT key_id, party, role, ref, route FROM case_access_log ORDER BY id")
    got = [tuple(line.split("|")) for line in rows.splitlines()]
    assert len(got) == len(reads), (got, reads)
    for (who, ref, route), (key_id, party, role, gref, groute) in zip(reads, got):
        assert keys[who].startswith(f"r48_{key_id}_"), (who, key_id)
        assert party == f"test-{who}" and role == ROLES[who], (party, role)
        assert (gref, groute) == (ref, route)
    assert sql("SELECT count(*) FROM case_access_log WHERE request_id = '' OR at IS NULL") == "0"
    s, _, m = relay.get("/metrics")
    assert f"relay48_case_access_rows_total {len(reads)}" in m, m


def test_no_row_no_read():
    ref = cases["open2"]["ref"]
    s, _, r = relay.get(f"/v1/cases/{ref}", auth("bnp"))
    assert s == 200
    reads.append(("bnp", ref, "case"))
    sql("ALTER TABLE case_access_log ADD CONSTRAINT t_blocked CHECK (false) NOT VALID")
    try:
        s, h, r = relay.get(f"/v1/cases/{ref}", auth("bnp"))
        assert s == 503 and h.get("retry-after"), (s, r)
        assert r["code"] == "database_unavailable" and "victim" not in r, r
        s, _, r = relay.get("/v1/cases?state=open", auth("bnp"))
        assert s == 503, r
    finally:
        sql("ALTER TABLE case_access_log DROP CONSTRAINT t_blocked")
    s, _, r = relay.get(f"/v1/cases/{ref}", auth("bnp"))
    assert s == 200 and r["victim"]["name"] == "Victime open2", r
    reads.append(("bnp", ref, "case"))
    assert sql("SELECT count(*) FROM case_access_log") == str(len(reads))


def found_all(values):
    """{value: {table: rows}} of where each value appears, the whole database
    over (each row as text), in one query."""
    quoted = ",".join("('" + v.replace("'", "''") + "')" for v in values)
    union = " UNION ALL ".join(
        f"SELECT v.x, '{t}', count(*) FROM v JOIN {t} r ON strpos(r::text, v.x) > 0 GROUP BY v.x"
        for t in TABLES)
    hits = {v: {} for v in values}
    for line in sql(f"WITH v(x) AS (VALUES {quoted}) {union}").splitlines():
        value, table, n = line.rsplit("|", 2)
        hits[value][table] = int(n)
    return hits


def found(value):
    return found_all([value])[value]


def case_row(name):
    return sql(f"SELECT row_to_json(c)::text FROM cases c WHERE ref = '{cases[name]['ref']}'")


def tokens_of(name):
    return int(sql(f"SELECT count(*) FROM case_access_tokens t JOIN cases c ON c.id = t.case_id "
                   f"WHERE c.ref = '{cases[name]['ref']}'"))


def idem_of(name):
    return int(sql(f"SELECT count(*) FROM idempotency_keys WHERE case_ref = "
                   f"'{cases[name]['ref']}'"))


def test_purge_45_days_on():
    """Narrative and idempotency (30 d) are due; identity, notes, tokens (90
    d), payment (180 d), the access log (365 d) are not, but for one case
    closed 100 days before."""
    old = cases["resolved1"]["ref"]
    sql(f"UPDATE cases SET closed_at = closed_at - interval '100 days' WHERE ref = '{old}'")
    sql(f"UPDATE acknowledgements SET created_at = created_at - interval '100 days' "
        f"WHERE case_id = (SELECT id FROM cases WHERE ref = '{old}')")
    out = purge("--dry-run", days=45)
    due = summary(out)
    assert "nothing changed" in out.stdout, out.stdout
    assert "Recit resolved0" in case_row("resolved0")
    closed = [n for n, c in cases.items() if c["closed"]]
    assert due["narrative"] == len(closed), (due, out.stdout)
    assert due["identity"] == 1 and due["tokens"] == 0 and due["payment"] == 0, due
    assert due["notes"] == 2, due  # resolved1's two answers
    assert due["access_log"] == 0, due

    out = purge(days=45)
    got = summary(out)
    assert got["narrative"] == len(closed) and got["identity"] == 1 and got["notes"] == 2, \
        out.stdout
    assert got["idempotency"] == len(closed), got  # the web form's: its nonce
    assert got["tokens"] == 0 and got["payment"] == 0 and got["access_log"] == 0, got
    for name, c in cases.items():
        row = case_row(name)
        if not c["closed"]:
            assert f"Recit {name}" in row and f"Victime {name}" in row, row
            assert idem_of(name) == 1
            continue
        assert "Recit" not in row and "mail-" not in row, row
        assert idem_of(name) == 0, name
        if name == "resolved1":  # closed 145 days before: identity too, not payment
            assert "Victime" not in row and '"victim": {"type": "person"}' in \
                sql(f"SELECT details::text FROM cases WHERE ref = '{c['ref']}'"), row
            assert "E2E" in row and c["values"][0] in row, row  # the debtor's IBAN
        elif name not in ("card", "web"):
            assert f"Victime {name}" in row and "E2E" in row, row
    assert tokens_of("web") == 1
    assert sql("SELECT count(*) FROM case_access_log") == str(len(reads))


def test_purge_400_days_on():
    """Everything of the closed cases is due: not one of their personal
    values is left in any table; the open cases keep all of theirs."""
    out = purge("--dry-run", days=400)
    due = summary(out)
    out = purge(days=400)
    got = summary(out)
    for k in due:
        assert got[k] == due[k], (k, due, got)
    assert got["access_log"] == len(reads), got
    print(out.stdout, end="")
    everything = found_all([v for c in cases.values() for v in c["values"]])
    for name, c in cases.items():
        for value in c["values"]:
            hits = everything[value]
            if c["closed"]:
                assert not hits, (name, value, hits)
            else:
                assert hits.get("cases") == 1, (name, value, hits)
        if c["closed"]:
            row = sql(f"SELECT card_last4, receipt, debtor_iban, creditor_iban, details::text "
                      f"FROM cases WHERE ref = '{c['ref']}'")
            assert row.split("|")[:4] == ["", "", "", ""], row
            assert tokens_of(name) == 0 and idem_of(name) == 0
            assert sql(f"SELECT count(*) FROM mule_links l JOIN cases k ON k.id = l.case_id "
                       f"WHERE k.ref = '{c['ref']}'") == "0"
            assert sql(f"SELECT count(*) FROM acknowledgements a JOIN cases k ON k.id = a.case_id "
                       f"WHERE k.ref = '{c['ref']}' AND (note IS NOT NULL "
                       f"OR party_ref IS NOT NULL)") == "0"
        else:
            assert idem_of(name) == 1
    # the statistics stay: states, amounts, BICs, answers' statuses
    assert sql(f"SELECT state || ' ' || amount_minor || ' ' || creditor_bic FROM cases "
               f"WHERE ref = '{cases['resolved0']['ref']}'") == "resolved 1250000 SOGEFRPP"
    assert sql(f"SELECT string_agg(status, ',' ORDER BY a.id) FROM acknowledgements a "
               f"JOIN cases c ON c.id = a.case_id WHERE c.ref = '{cases['resolved0']['ref']}'") \
        == "received,funds_frozen"
    # the account an open case still names stays, with its link to that case
    shared = cases["open1"]["values"][1]
    assert sql(f"SELECT count(*) FROM mule_links WHERE iban = '{shared}'") == "1"
    assert sql(f"SELECT count(*) FROM mule_accounts WHERE iban = '{shared}'") == "1"
    assert sql("SELECT count(*) FROM case_access_log") == "0"
    # a bank still reads a closed case: its facts, no personal data
    s, _, r = relay.get(f"/v1/cases/{cases['resolved0']['ref']}", auth("bnp"))
    assert s == 200 and r["victim"] == {"type": "person"} and "debtor" not in r, r
    reads.append(("bnp", cases["resolved0"]["ref"], "case"))
    assert sql("SELECT count(*) FROM case_access_log") == "1"


def test_purge_is_idempotent():
    out = purge(days=400)
    got = summary(out)
    assert got.pop("access_log") == 1, got  # the read just above, 400 days ago by then
    assert set(got.values()) == {0}, out.stdout
    out = purge(days=400)
    assert set(summary(out).values()) == {0} and "total: 0 rows purged" in out.stdout


def test_purge_cli():
    out = relay.run("purge", "--class", "nope", check=False)
    assert out.returncode == 2 and "unknown class" in out.stderr
    out = relay.run("purge", "--batch-rows", "5", check=False)
    assert out.returncode == 2
    out = relay.run("purge", "--help")
    assert "narrative" in out.stdout and "access_log" in out.stdout
    out = purge("--class", "access_log", "--class", "tokens")
    assert set(summary(out)) == {"access_log", "tokens"}, out.stdout
    assert "relay48 purge: access_log 0/0 rows" in out.stderr, out.stderr  # not a terminal
    saved = relay.env["RELAY48_DATABASE_URL"]
    relay.env["RELAY48_DATABASE_URL"] = "postgresql://relay48@127.0.0.1:1/none"
    try:
        out = relay.run("purge", check=False)
    finally:
        relay.env["RELAY48_DATABASE_URL"] = saved
    assert out.returncode == 1 and "cannot connect" in out.stderr, out.stderr


def test_seeded_volume_in_batches():
    """3 000 closed cases (closed 2 days ago) and 300 open ones, seeded;
    batches of 1 000 rows; figures printed."""
    sql(seed_sql("9001", 1, 3000, closed_at="now() - interval '2 days'"))
    sql(seed_sql("9002", 1, 300, state="open"))
    out = purge("--dry-run", days=400)
    due = summary(out)
    assert due["narrative"] == 3000 and due["identity"] == 3000 and due["payment"] == 3000, due
    assert due["tokens"] == 3000 and due["idempotency"] == 3000 and due["notes"] == 3000, due
    assert due["access_log"] == 3300, due  # by age: the open cases' reads too
    t = time.monotonic()
    out = purge(days=400)
    elapsed = time.monotonic() - t
    got = summary(out)
    assert got == due, (got, due)
    assert re.search(r"^payment\s+180 d\s+\S+\s+3000\s+4800\s+4\s", out.stdout, re.M), out.stdout
    print(out.stdout, end="")
    print(f"seeded: {sum(got.values())} rows in {elapsed:.2f} s (relay48 purge, batches of 1000)")
    left = sql("SELECT count(*) FROM cases WHERE ref LIKE 'R48-9001-%' AND (details::text "
               "~ '(Victime|faux conseiller|mail-|E2E|CH9001|SHOP)' OR debtor_iban IS NOT NULL "
               "OR creditor_iban IS NOT NULL OR card_last4 IS NOT NULL OR receipt IS NOT NULL)")
    assert left == "0", left
    assert sql("SELECT count(*) FROM cases WHERE ref LIKE 'R48-9002-%' AND details::text "
               "~ 'Victime' AND (debtor_iban IS NOT NULL OR card_last4 IS NOT NULL)") == "300"
    assert sql("SELECT count(*) FROM mule_accounts WHERE iban LIKE 'FR7630003000020%9001%'") == "0"
    assert sql("SELECT count(*) FROM mule_links l JOIN cases c ON c.id = l.case_id "
               "WHERE c.ref LIKE 'R48-9002-%'") == "240"
    assert sql("SELECT count(*) FROM case_access_tokens t JOIN cases c ON c.id = t.case_id "
               "WHERE c.ref LIKE 'R48-9002-%'") == "300"
    out = purge(days=400)
    assert set(summary(out).values()) == {0}, out.stdout


def test_the_relay_purges_on_its_own():
    """The relay's job, with its clock 400 days ahead: a case closed since
    the CLI runs is purged within seconds of the start; open ones are not."""
    body, v = personal_transfer("late2", executed_at=rfc3339(now_utc() - datetime.timedelta(days=3)))
    report("late2", body, v)
    cases["late2"]["closed"] = True
    assert relay.stop("TERM") == 0
    relay.env.update({"RELAY48_CLOCK_FIXED": shifted(400), "RELAY48_RETENTION_INTERVAL_S": "2"})
    relay.start()
    wait_until(lambda: "retention.purged" in relay.log(), 30, "the relay's purge job")
    hits = found_all(cases["late2"]["values"] + cases["open2"]["values"])
    for value in cases["late2"]["values"]:
        assert not hits[value], (value, hits[value])
    for value in cases["open2"]["values"]:
        assert hits[value].get("cases") == 1, (value, hits[value])
    s, _, m = relay.get("/metrics")
    assert 'relay48_retention_runs_total{outcome="ok"}' in m, m
    assert 'relay48_retention_purged_rows_total{class="narrative"}' in m, m
    line = [ln for ln in relay.log().splitlines() if "retention.purged" in ln][0]
    assert "narrative=1 identity=1 payment=1" in line, line


def test_kafka_topics_keep_no_longer_than_the_database():
    """Each topic's retention, as the broker has it (ops/kafka.sh retention),
    as proto/asyncapi.yaml documents it, and within the shortest retention
    of the personal data it carries (retention.ms + segment.ms)."""
    cfg = {}
    for line in relay.run("config").stdout.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("retention."):
            cfg[parts[0]] = int(parts[1])
    carries = {  # the personal data on each topic (proto/README.md)
        "relay48.reports.v1": ["retention.payment_days"],  # IBAN tokens
        "relay48.escalations.bank.v1": ["retention.narrative_days", "retention.identity_days",
                                        "retention.payment_days"],
        "relay48.escalations.police.v1": ["retention.narrative_days", "retention.identity_days",
                                          "retention.payment_days"],
        "relay48.case-events.v1": ["retention.notes_days"],
        "relay48.deliveries.dlq.v1": ["retention.narrative_days", "retention.identity_days",
                                      "retention.payment_days"],
    }
    live = {}
    for line in ops("kafka.sh", "retention").splitlines():
        topic, retention_ms, segment_ms = line.split()
        live[topic] = (int(retention_ms), int(segment_ms))
    with open(os.path.join(SRC, "proto", "asyncapi.yaml")) as f:
        spec = f.read()
    documented = dict(re.findall(r"topic: (relay48\.[a-z.-]+v1)\n.*?retention\.ms: (\d+)", spec,
                                 re.S))
    for topic, keys in carries.items():
        retention_ms, segment_ms = live[topic]
        assert int(documented[topic]) == retention_ms, (topic, documented[topic], retention_ms)
        shortest_ms = min(cfg[k] for k in keys) * 86400000
        assert retention_ms + segment_ms <= shortest_ms, (topic, retention_ms, segment_ms, keys)
        print(f"{topic}: kept {retention_ms // 86400000} d + a {segment_ms // 86400000} d segment"
              f" <= {shortest_ms // 86400000} d ({', '.join(keys)})")


ROLES = {"partner": "partner", "bnp": "bank:BNPAFRPP", "soge": "bank:SOGEFRPP",
         "police31": "police:31", "national": "police:NATIONAL"}
TABLES = ["cases", "acknowledgements", "case_addressees", "milestones", "outbox",
          "idempotency_keys", "mule_accounts", "mule_links", "case_access_tokens", "webhook_ids",
          "case_access_log"]


def setup():
    global relay, db
    db = fresh_database("retention")
    relay = Relay(db, name="retention", env={
        "RELAY48_WINDOW_SCT_INST": str(WINDOW_INST),
        "RELAY48_WINDOW_REMINDER_BEFORE": "4",
        "RELAY48_WINDOW_CRITICAL_BEFORE": "2",
        "RELAY48_KEYS_REFRESH_MS": "200",
        "RELAY48_WEB_RATE_PER_MINUTE": "1000",
        "RELAY48_WEB_RATE_BURST": "1000",
        "RELAY48_RETENTION_INTERVAL_S": "0",
    })
    relay.migrate()
    for who, role in ROLES.items():
        keys[who] = relay.create_key(f"test-{who}", role)
    relay.start()
    # (an empty page: no access row)
    wait_until(lambda: relay.get("/v1/cases", auth("bnp"))[0] == 200, 10, "the key cache loaded")


if __name__ == "__main__":
    setup()
    try:
        run_tests(globals())
    finally:
        assert relay.stop("TERM") == 0, "relay48 did not drain and exit 0"
