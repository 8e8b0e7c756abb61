"""The fault suite's harness (tests/fault/, docs/reliability.md), stdlib only.

A Pipeline is the whole real stack on a database of its own: PostgreSQL and
Kafka (the ones ops/ started), relay48, relay48-connector --role bank and
--role police, and three local HTTPS desks (the fraud desks of BNP Paribas
and Société Générale, the 24/7 police unit of Haute-Garonne), each on a port
of its own so that one can go down while the others stay up. A Load sends a
bounded stream of reports from a few client threads, each report under its
own Idempotency-Key and retried with it as a careful partner would (after a
connection error, after a 503's Retry-After). The scenario injects one fault
meanwhile; then settle() waits until everything committed has gone through,
and count() counts at every stage:

  sent       reports sent (distinct Idempotency-Keys)
  acked      of those, answered 201 (or 200, the replay of a 201)
  stored     cases in PostgreSQL
  published  distinct event ids on relay48.reports.v1 and the bank and
             police escalation topics, for the stored cases
  delivered  distinct webhook-ids the desks answered 2xx
  lost       acknowledged reports without a case, expected events never
             published (one report.accepted per case, one escalation per
             fired milestone and addressee), escalations never delivered
  duplicated_after_dedup
             what survives de-duplication by id: several cases for one
             report, several event ids for one (case, milestone, addressee),
             several delivered webhook-ids for one escalation

Every report is a 12 500 EUR transfer from a BNP account (30004) to a
Société Générale one (30003) of a Toulouse victim: its alert goes to both
banks and to the police of département 31. A share of them was executed
24 h before now plus a few seconds, so that their reminder falls due during
the run and the scheduler fires it (both banks and the police again) through
the fault too.
"""
import atexit
import datetime
import http.server
import json
import os
import random
import socket
import ssl
import tempfile
import threading
import time
import uuid

import connector as cn
import stack
from reports import now_utc, rfc3339, transfer
from stack import Relay, fresh_database, kafka_mark, kafka_messages, ops, psql, wait_until

REPORTS = "relay48.reports.v1"
BANK = "relay48.escalations.bank.v1"
POLICE = "relay48.escalations.police.v1"
DLQ = "relay48.deliveries.dlq.v1"
HEADER = "scenario sent acked stored published delivered lost duplicated_after_dedup"
BANKS = {"BNPAFRPP": "30004", "SOGEFRPP": "30003"}
DEBTOR_BIC, CREDITOR_BIC, DEPT = "BNPAFRPP", "SOGEFRPP", "31"
SUMMARY_DIR = os.path.join(stack.BUILD, "test-logs", "fault")


# ----------------------------------------------------------------------------- the desks

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with self.server.desk.lock:
            self.server.desk.conns.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.server.desk.lock:
                self.server.desk.conns.discard(self.connection)

    def do_POST(self):
        desk = self.server.desk
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        # The arrival time orders the deliveries: the connector sends a
        # case's next escalation only once this one was answered, so arrivals
        # are in its order, while a time taken after the answer is not (this
        # thread can be preempted after the flush, and the next request's
        # thread stamp first: CI once saw a reminder "before" its alert, 42
        # ms apart, delivered in order).
        arrived = time.time()
        if desk.delay:
            time.sleep(desk.delay)
        out = b'{"received":true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
        self.wfile.flush()
        # Recorded once answered: what a desk counts as received.
        req = {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
               "at": arrived}
        with desk.lock:
            desk.requests.append(req)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a connector killed mid-request, a desk taken down: expected here


class Desk:
    """An HTTPS desk on a port of its own that records every POST it answered
    2xx. down() closes the listener and cuts the live connections
    (connection refused, as a desk whose server is off); up() listens again
    on the same port with the same certificate."""

    def __init__(self, party, directory):
        self.party = party
        self.requests = []
        self.lock = threading.Lock()
        self.conns = set()
        self.delay = 0.0
        d = os.path.join(directory, party.replace(":", "-"))
        os.makedirs(d, exist_ok=True)
        self.cert, self.key = cn.make_certificate(d)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(self.cert, self.key)
        self.port = stack.free_port()
        self.server = None
        self.down_since = None
        self.up()

    def url(self):
        return f"https://127.0.0.1:{self.port}/desk/{self.party.replace(':', '/')}"

    def up(self):
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.desk = self
        # The handshake happens in the handler's thread, not in accept().
        server.socket = self.ctx.wrap_socket(server.socket, server_side=True,
                                             do_handshake_on_connect=False)
        self.server = server
        self.down_since = None
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def down(self):
        server, self.server = self.server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                socket.socket.shutdown(c, socket.SHUT_RDWR)
            except OSError:
                pass
        self.down_since = time.time()

    def got(self):
        with self.lock:
            return list(self.requests)


# ----------------------------------------------------------------------------- the stack

_pipelines = []


@atexit.register
def _leftovers():
    """A scenario that failed half-way leaves no relay48 behind it."""
    for p in _pipelines:
        if p.relay.proc is not None and p.relay.proc.poll() is None:
            p.relay.proc.kill()
            p.relay.proc.wait()


class Pipeline:
    """relay48 + both connectors + the three desks on a fresh database."""

    def __init__(self, scenario, relay_env=None, connector_env=None):
        self.scenario = scenario
        self.db = fresh_database(f"fault_{scenario}")
        self.tmp = tempfile.mkdtemp(prefix=f"relay48-fault-{scenario}-")
        env = {"RELAY48_MASTER_KEY": cn.MASTER_KEY,
               # rows of a killed relay are looked for every 0.5 s, not 2 s
               "RELAY48_OUTBOX_SWEEP_INTERVAL_MS": "500"}
        env.update(relay_env or {})
        self.relay = Relay(self.db, name=f"fault-{scenario}", env=env)
        _pipelines.append(self)
        self.relay.migrate()
        self.key = self.relay.create_key(f"fault-{scenario}", "partner")
        self.desks = {}
        self.secrets = {}
        for bic in BANKS:
            party = f"bank:{bic}"
            self.desks[party] = Desk(party, self.tmp)
            self.secrets[party] = self.relay.run(
                "bank", "add", "--bic", bic, "--name", f"Fraud desk {bic}", "--endpoint",
                self.desks[party].url()).stdout.strip()
        party = f"police:{DEPT}"
        self.desks[party] = Desk(party, self.tmp)
        self.secrets[party] = self.relay.run(
            "unit", "add", "--dept", DEPT, "--name", "Permanence 24/7 Haute-Garonne",
            "--endpoint", self.desks[party].url(), "--fallback").stdout.strip()
        self.ca = os.path.join(self.tmp, "desks-ca.pem")
        with open(self.ca, "w") as out:
            for d in self.desks.values():
                with open(d.cert) as f:
                    out.write(f.read())
        kafka_mark(REPORTS, BANK, POLICE, DLQ)
        start_ms = int(time.time() * 1000) - 1000
        self.connectors = {
            role: cn.Connector(self.db, role, ca_file=self.ca, start_ms=start_ms,
                               name=f"fault-{scenario}-{role}", env=connector_env)
            for role in ("bank", "police")}
        self.started_at = None

    def start(self):
        for c in self.connectors.values():
            c.start()
        self.relay.start()
        self.wait_relay_serving()
        self.started_at = time.monotonic()
        return self

    def wait_relay_serving(self, timeout=30):
        """/readyz and the key cache: a partner key is known (403 on a bank
        read rather than 401)."""
        wait_until(lambda: self.relay.get("/v1/cases", self.auth())[0] == 403, timeout,
                   "the relay's key cache")

    def restart_relay(self):
        self.relay.proc.kill()  # SIGKILL: nothing flushed, nothing drained
        self.relay.proc.wait()
        self.relay.stop()
        self.relay.start()

    def stop(self):
        """SIGTERM everything: each must drain and exit 0."""
        problems = []
        for name, proc in [("relay", self.relay)] + list(self.connectors.items()):
            try:
                rc = proc.stop("TERM")
                if rc not in (0, None):
                    problems.append(f"{name} exited {rc}")
            except AssertionError as e:
                problems.append(str(e))
        for d in self.desks.values():
            d.down()
        return problems

    def auth(self):
        return {"Authorization": f"Bearer {self.key}"}

    def sql(self, q):
        return psql(q, db=self.db)

    # ------------------------------------------------------------------------- counting

    def cases(self):
        out = {}
        for line in self.sql("SELECT ref, debtor_iban FROM cases").splitlines():
            ref, iban = line.split("|")
            out.setdefault(iban, []).append(ref)
        return out

    def expected_events(self):
        """(topic, ref, milestone, party) of every event the stored cases
        owe: report.accepted, and an escalation per fired milestone and
        addressee (both banks and the police, whose amount threshold every
        report of the load passes)."""
        exp = set()
        rows = self.sql("SELECT c.ref, m.name, c.debtor_bic, c.creditor_bic, c.departement "
                        "FROM cases c JOIN milestones m ON m.case_id = c.id "
                        "WHERE m.state = 'fired'")
        refs = set(self.sql("SELECT ref FROM cases").split())
        for ref in refs:
            exp.add((REPORTS, ref, "report.accepted", ""))
        for line in rows.splitlines():
            ref, ms, debtor, creditor, dept = line.split("|")
            for bic in {debtor, creditor}:
                exp.add((BANK, ref, ms, f"bank:{bic}"))
            exp.add((POLICE, ref, ms, f"police:{dept}"))
        return refs, exp

    def published(self, refs):
        """{(topic, ref, milestone, party): {ce_id}}, and per topic
        (distinct ids, records)."""
        per, topics = {}, {}
        for topic in (REPORTS, BANK, POLICE):
            ids, total = set(), 0
            for m in kafka_messages(topic, timeout=5):
                v = m["value"] if isinstance(m["value"], dict) else {}
                ref = v.get("ref") or m["key"]
                if ref not in refs:
                    continue  # another scenario's
                ce = m["headers"].get("ce_id")
                if topic == REPORTS:
                    k = (topic, ref, m["headers"].get("ce_type"), "")
                elif topic == BANK:
                    k = (topic, ref, v.get("milestone"), f"bank:{v.get('bic') or m['key']}")
                else:
                    k = (topic, ref, v.get("milestone"), f"police:{v.get('departement')}")
                per.setdefault(k, set()).add(ce)
                ids.add(ce)
                total += 1
            topics[topic] = (len(ids), total)
        return per, topics

    def deliveries(self, refs):
        """{(ref, milestone, party): {webhook-id}}, distinct ids, total, bad
        signatures, reminders received before their case's alert."""
        per, ids, total, bad, first = {}, set(), 0, 0, {}
        for party, desk in self.desks.items():
            for r in desk.got():
                try:
                    body = json.loads(r["body"])
                except ValueError:
                    bad += 1
                    continue
                data = body.get("data") or {}
                if data.get("ref") not in refs:
                    continue
                if cn.verify_signature(self.secrets[party], r["headers"], r["body"],
                                       now=r["at"]) is not None:
                    bad += 1
                wid = r["headers"].get("webhook-id")
                k = (data["ref"], data.get("milestone"), party)
                per.setdefault(k, set()).add(wid)
                first[k] = min(first.get(k, r["at"]), r["at"])
                ids.add(wid)
                total += 1
        # Order per case and desk: a reminder never received before the alert.
        disorder = sorted(k for k in first if k[1] == "reminder" and
                          first[k] < first.get((k[0], "alert", k[2]), 0))
        return per, len(ids), total, bad, disorder

    def dead_letters(self, refs):
        return [m for m in kafka_messages(DLQ, timeout=5)
                if isinstance(m["value"], dict) and
                (m["value"].get("original") or {}).get("ref") in refs]

    def count(self, load):
        cases = self.cases()
        refs, expected = self.expected_events()
        published, topics = self.published(refs)
        delivered, ndelivered, ndeliveries, bad_sig, disorder = self.deliveries(refs)
        acked = {r["ref"] for r in load.reports if r["acked"]}
        lost_rows = sorted(acked - refs)
        unpublished = sorted(expected - set(published))
        # Every escalation published must reach its desk (report.accepted has no desk).
        undelivered = sorted(k for k in published if k[0] != REPORTS and
                             not (delivered.get(k[1:], set()) & published[k]))
        dup_cases = sum(len(v) - 1 for v in cases.values())
        dup_answers = sum(1 for r in load.reports if len(set(r["refs"])) > 1)
        dup_events = sum(len(v) - 1 for v in published.values())
        dup_deliveries = sum(len(v) - 1 for v in delivered.values())
        foreign = sorted(k for k, ids in delivered.items()
                         if not ids <= published.get((BANK if k[2].startswith("bank:")
                                                      else POLICE,) + k, set()))
        return {
            "sent": len(load.reports),
            "acked": len(acked),
            "stored": sum(len(v) for v in cases.values()),
            "published": sum(d for d, _ in topics.values()),
            "delivered": ndelivered,
            "lost": len(lost_rows) + len(unpublished) + len(undelivered),
            "duplicated_after_dedup": dup_cases + dup_answers + dup_events + dup_deliveries,
            "topics": topics,
            "deliveries_total": ndeliveries,
            "bad_signatures": bad_sig,
            "disorder": disorder,
            "dead_letters": len(self.dead_letters(refs)),
            "expected_events": len(expected),
            "lost_rows": lost_rows,
            "unpublished": unpublished,
            "undelivered": undelivered,
            "foreign": foreign,
            "dups": (dup_cases, dup_answers, dup_events, dup_deliveries),
            "reminders": sum(1 for k in expected if k[0] == BANK and k[2] == "reminder") // 2,
        }

    def settle(self, load, timeout=120):
        """Wait until every due milestone fired, the outbox is empty and the
        count shows nothing missing (or the timeout); return the count."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        c = None
        while True:
            due = self.sql("SELECT count(*) FROM milestones WHERE state = 'pending' "
                           "AND due_at <= now()")
            outbox = self.sql("SELECT count(*) FROM outbox")
            if due == "0" and outbox == "0":
                c = self.count(load)
                if c["lost"] == 0:
                    break
            if time.monotonic() > deadline:
                c = c or self.count(load)
                c["settle_timeout"] = f"due={due} outbox={outbox}"
                break
            time.sleep(1.0)
        # Late duplicates (a redelivery after a restart) land within a moment.
        time.sleep(2.0)
        c = self.count(load)
        c["settled_s"] = time.monotonic() - t0
        return c


# ----------------------------------------------------------------------------- the load

class Load:
    """`threads` clients sending `rate` reports a second in all for
    `duration` seconds. Each report is retried under its Idempotency-Key
    after a connection error (0) or a 503 (after its Retry-After) until it
    is answered 201/200, or until `give_up` seconds after the load ended.
    Any other answer is kept as unexpected, and not retried."""

    def __init__(self, pipeline, threads=4, rate=16.0, duration=30.0, reminder_share=0.5,
                 give_up=60.0):
        self.p = pipeline
        self.threads = threads
        self.rate = rate
        self.duration = duration
        self.reminder_share = reminder_share
        self.give_up = give_up
        self.reports = []
        self.answers = {}
        self.unexpected = []
        self.bad_503 = []
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.workers = []
        self.t_start = self.t_end = None

    def body(self):
        if random.random() < self.reminder_share:
            # the reminder (deadline - 24 h, deadline = executed_at + 48 h)
            # falls due before the load ends (or 3 s after), so that settle()
            # sees every reminder of the run fired
            left = self.t_start + self.duration - time.monotonic()
            lead = random.uniform(1.0, max(3.0, left))
            executed = now_utc() + datetime.timedelta(seconds=lead) - datetime.timedelta(days=1)
        else:
            executed = now_utc() - datetime.timedelta(hours=2)
        return transfer(amount="12500.00", executed_at=rfc3339(executed),
                        debtor_bank=BANKS[DEBTOR_BIC], creditor_bank=BANKS[CREDITOR_BIC],
                        postal_code="31000")

    def answer(self, status, headers, body):
        with self.lock:
            self.answers[status] = self.answers.get(status, 0) + 1
            if status == 503 and (not headers.get("retry-after") or
                                  not isinstance(body, dict) or not body.get("code")):
                self.bad_503.append((headers, body))

    def submit(self, rec=None, stop_at=None, once=False):
        """Send one report until it is acknowledged (or given up; once: one
        attempt); returns its record, whose "last" is the last answer
        (status, headers, body). Thread-safe."""
        if rec is None:
            rec = {"key": str(uuid.uuid4()), "body": self.body(), "answers": [], "refs": [],
                   "acked": False, "ref": None, "acked_at": None}
            with self.lock:
                self.reports.append(rec)
        headers = dict(self.p.auth())
        headers["Idempotency-Key"] = rec["key"]
        while True:
            s, h, r = self.p.relay.post_json("/v1/reports", rec["body"], headers)
            rec["answers"].append(s)
            rec["last"] = (s, h, r)
            self.answer(s, h, r)
            if s in (200, 201) and isinstance(r, dict) and r.get("ref"):
                rec["refs"].append(r["ref"])
                rec["ref"] = rec["ref"] or r["ref"]
                rec["acked"] = True
                rec["acked_at"] = time.monotonic()
                return rec
            if s not in (0, 503):
                with self.lock:
                    self.unexpected.append((rec["key"], s, r))
                return rec
            if once or (stop_at is not None and time.monotonic() > stop_at):
                return rec
            if s == 503:
                try:
                    wait = float(h.get("retry-after", "1"))
                except ValueError:
                    wait = 1.0
                time.sleep(min(max(wait, 0.1), 5.0))
            else:
                time.sleep(0.2)

    def _worker(self):
        interval = self.threads / self.rate
        nxt = time.monotonic()
        stop_at = self.t_start + self.duration + self.give_up
        while not self.stop_flag.is_set() and time.monotonic() < self.t_start + self.duration:
            self.submit(stop_at=stop_at)
            nxt += interval
            pause = nxt - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:
                nxt = time.monotonic()

    def start(self):
        self.t_start = time.monotonic()
        self.workers = [threading.Thread(target=self._worker, daemon=True)
                        for _ in range(self.threads)]
        for w in self.workers:
            w.start()
        return self

    def elapsed(self):
        return time.monotonic() - self.t_start

    def wait(self):
        for w in self.workers:
            w.join()
        self.t_end = time.monotonic()

    def stop(self):
        self.stop_flag.set()
        self.wait()


# ----------------------------------------------------------------------------- the verdict

def report(scenario, c, load, extra=""):
    """Print the scenario's line (and the detail below it), keep it under
    build/test-logs/fault/, and return the list of failures."""
    line = (f"{scenario} {c['sent']} {c['acked']} {c['stored']} {c['published']} "
            f"{c['delivered']} {c['lost']} {c['duplicated_after_dedup']}")
    t = c["topics"]
    detail = (f"  topics (distinct/total): reports {t[REPORTS][0]}/{t[REPORTS][1]}, "
              f"bank {t[BANK][0]}/{t[BANK][1]}, police {t[POLICE][0]}/{t[POLICE][1]}; "
              f"deliveries (distinct/total) {c['delivered']}/{c['deliveries_total']}; "
              f"reminders fired {c['reminders']}, received before their alert "
              f"{len(c['disorder'])}; answers {dict(sorted(load.answers.items()))}; "
              f"dead letters {c['dead_letters']}; settled in {c.get('settled_s', 0):.1f}s")
    print(HEADER, flush=True)
    print(line, flush=True)
    print(detail + (f"\n  {extra}" if extra else ""), flush=True)
    os.makedirs(SUMMARY_DIR, exist_ok=True)
    with open(os.path.join(SUMMARY_DIR, f"{scenario}.txt"), "w") as f:
        f.write(f"{HEADER}\n{line}\n{detail}\n" + (f"  {extra}\n" if extra else ""))
    failures = []
    if c["lost"]:
        failures.append(f"lost {c['lost']}: rows {c['lost_rows'][:5]}, unpublished "
                        f"{c['unpublished'][:5]}, undelivered {c['undelivered'][:5]}")
    if c["duplicated_after_dedup"]:
        failures.append(f"duplicates after de-duplication (cases, answers, events, "
                        f"deliveries) = {c['dups']}")
    if c["foreign"]:
        failures.append(f"deliveries under an id never published: {c['foreign'][:5]}")
    if c["disorder"]:
        failures.append(f"{len(c['disorder'])} reminders received before their case's alert: "
                        f"{c['disorder'][:5]}")
    if c["dead_letters"]:
        failures.append(f"{c['dead_letters']} escalations in the dead-letter topic")
    if c["bad_signatures"]:
        failures.append(f"{c['bad_signatures']} deliveries with a bad signature")
    if load.unexpected:
        failures.append(f"unexpected answers: {load.unexpected[:5]}")
    if load.bad_503:
        failures.append(f"503 without Retry-After or problem code: {load.bad_503[:3]}")
    if c["acked"] == 0:
        failures.append("nothing acknowledged")
    if "settle_timeout" in c:
        failures.append(f"did not settle: {c['settle_timeout']}")
    return failures


def restore_servers():
    """The broker and PostgreSQL running again, whatever the scenario did."""
    ops("pg.sh", "start")
    ops("kafka.sh", "start")
