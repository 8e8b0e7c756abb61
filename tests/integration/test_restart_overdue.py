"""Kill -9 the relay while milestones are due, restart it once more of them
fell due: each milestone fires once, those overdue together collapse into
the most severe per case (no burst of stale reminders), none is lost, and
what was committed but not confirmed by Kafka is published again."""
import hashlib
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench", "timers"))
from seed import cases_sql  # noqa: E402
from stack import (Relay, fresh_database, kafka_mark, kafka_messages, psql, run_tests,  # noqa: E402
                   wait_until)

N = 4000
BANK, POLICE = "relay48.escalations.bank.v1", "relay48.escalations.police.v1"
db = None
started = []  # stopped at exit even when an assertion failed


def sql(q):
    return psql(q, db=db)


def states(name):
    rows = sql(f"SELECT state, count(*) FROM milestones WHERE name = '{name}' GROUP BY state")
    return {r.split("|")[0]: int(r.split("|")[1]) for r in rows.splitlines() if r}


def derived_id(ref, milestone, fired_us, type_, role):
    """The ce_id of a milestone's event (relay/escalate.c, ids_uuid_derived),
    computed here on its own: the same whoever publishes it, and when."""
    name = f"milestone|{ref}|{milestone}|{fired_us}|{type_}|{role}".encode()
    b = bytearray(hashlib.sha256(name).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x80  # version 8
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 9562 variant
    return str(uuid.UUID(bytes=bytes(b)))


def test_kill_while_due_then_restart():
    due = float(sql("SELECT extract(epoch FROM date_trunc('second', now()) + interval '6 s')"))
    at = f"to_timestamp({due})"
    kafka_mark(BANK, POLICE)
    sql(cases_sql("3000", 0, N, at, f"{at} + interval '4 s'", f"{at} + interval '1 hour'"))

    # A slow relay (small batches, one connection) killed in the middle of the reminders
    slow = Relay(db, name="restart-a", env={"RELAY48_SCHEDULER_BATCH_MAX": "5",
                                            "RELAY48_SCHEDULER_CONNECTIONS": "1"})
    started.append(slow)
    slow.start()
    wait_until(lambda: states("reminder").get("fired", 0) > 0, 30, "the first reminders")
    slow.proc.kill()  # SIGKILL
    slow.proc.wait()
    slow.stop()
    before = states("reminder")
    print(f"  killed with reminders {before}", flush=True)
    assert before.get("pending", 0) > 0, "every reminder fired before the kill: too fast to test"

    # down until the critical milestones are overdue too
    wait_until(lambda: time.time() > due + 5, 30, "the critical milestones overdue")
    # many small batches at once: a case's overdue reminder and critical are
    # often claimed by two of them, and must still collapse
    relay = Relay(db, name="restart-b", env={"RELAY48_SCHEDULER_BATCH_MAX": "100",
                                             "RELAY48_SCHEDULER_CONNECTIONS": "8"})
    started.append(relay)
    t0 = time.monotonic()
    relay.start(wait_ready=False)
    wait_until(lambda: states("critical").get("pending", 0) == 0 and
               states("reminder").get("pending", 0) == 0, 60, "everything fired after restart")
    print(f"  after restart: all fired within {time.monotonic() - t0:.2f}s of start", flush=True)

    rem, crit = states("reminder"), states("critical")
    print(f"  reminder {rem}, critical {crit}", flush=True)
    assert crit == {"fired": N}, crit  # none lost
    assert rem.get("fired", 0) == before.get("fired", 0), (rem, before)  # no stale reminder
    assert rem.get("skipped", 0) == before.get("pending", 0), (rem, before)  # collapsed
    fired_refs = set(sql("SELECT c.ref FROM milestones m JOIN cases c ON c.id = m.case_id "
                         "WHERE m.name = 'reminder' AND m.state = 'fired'").split())

    wait_until(lambda: sql("SELECT count(*) FROM firings") == "0", 60, "the firings confirmed")
    banks = kafka_messages(BANK, expect=2 * (N + len(fired_refs)), timeout=60)
    police = kafka_messages(POLICE, expect=N + len(fired_refs), timeout=60)
    per = {}
    for m in banks + police:
        v = m["value"]
        per.setdefault((v["ref"], v["milestone"], v.get("role", "police")), set()).add(
            m["headers"]["ce_id"])
    twice = [k for k, ids in per.items() if len(ids) != 1]
    assert not twice, f"fired twice: {twice[:5]}"
    # each id is the one derived from the milestone's fired_at as committed,
    # whether the killed relay, the sweep or the new relay published it
    fired_us = {}
    for row in sql("SELECT c.ref, m.name, floor(extract(epoch FROM m.fired_at) * 1000000)::bigint "
                   "FROM milestones m JOIN cases c ON c.id = m.case_id "
                   "WHERE m.state = 'fired' AND m.name IN ('reminder', 'critical')").splitlines():
        ref, name, us = row.split("|")
        fired_us[(ref, name)] = us
    wrong = [k for k, ids in per.items() if ids != {derived_id(
        k[0], k[1], fired_us[(k[0], k[1])],
        "escalation.police" if k[2] == "police" else "escalation.bank", k[2])}]
    assert not wrong, f"ids not derived from fired_at: {wrong[:5]}"
    reminded = {k[0] for k in per if k[1] == "reminder"}
    assert reminded == fired_refs, (len(reminded), len(fired_refs))
    assert sum(1 for k in per if k[1] == "critical") == 3 * N
    assert sum(1 for k in per if k[1] == "reminder") == 3 * len(fired_refs)
    s, _, metrics = relay.get("/metrics")
    assert 'relay48_milestones_skipped_total{reason="collapsed"}' in metrics
    assert relay.stop("TERM") == 0


def setup():
    global db
    db = fresh_database("restart_overdue")
    Relay(db).migrate()


if __name__ == "__main__":
    setup()
    try:
        run_tests(globals())
    finally:
        for r in started:
            r.stop("KILL")
