"""Two relay48 processes on one database, 10 000 reminders due at the same
instant: every milestone fires exactly once (one event id per case, milestone
and addressee on Kafka, whatever at-least-once delivery repeats), and both
relays take part."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench", "timers"))
from seed import cases_sql  # noqa: E402
from stack import (Relay, fresh_database, kafka_mark, kafka_messages, psql, run_tests,  # noqa: E402
                   wait_until)

N = 10000
BANK, POLICE = "relay48.escalations.bank.v1", "relay48.escalations.police.v1"
relays = []
db = None


def sql(q):
    return psql(q, db=db)


def metric(relay, series):
    s, _, text = relay.get("/metrics")
    for line in text.splitlines():
        if line.startswith(series + " "):
            return int(line.split()[1])
    return 0


def test_each_milestone_fires_once():
    # due 8 s from now, on the database's clock: both relays are up and idle
    due = float(sql("SELECT extract(epoch FROM date_trunc('second', now()) + interval '8 s')"))
    at = f"to_timestamp({due})"
    kafka_mark(BANK, POLICE)
    sql(cases_sql("2000", 0, N, at, f"{at} + interval '1 hour'", f"{at} + interval '2 hours'"))
    assert sql("SELECT count(*) FROM milestones WHERE state = 'pending' AND name = 'reminder'") \
        == str(N)
    wait_until(lambda: sql("SELECT count(*) FROM milestones WHERE name = 'reminder' "
                           "AND state = 'pending'") == "0", 60, "every reminder fired")
    fired = sql("SELECT count(*), extract(epoch FROM max(fired_at) - min(due_at)), "
                "extract(epoch FROM min(fired_at) - min(due_at)) FROM milestones "
                "WHERE name = 'reminder' AND state = 'fired'").split("|")
    assert int(fired[0]) == N, fired
    print(f"  {N} reminders fired by two relays, first {float(fired[2]):.3f}s and last "
          f"{float(fired[1]):.3f}s after the due instant", flush=True)
    wait_until(lambda: sql("SELECT count(*) FROM firings") == "0", 60, "the firings confirmed")

    banks = kafka_messages(BANK, lambda m: m["value"].get("milestone") == "reminder",
                           expect=2 * N, timeout=60)
    police = kafka_messages(POLICE, lambda m: m["value"].get("milestone") == "reminder",
                            expect=N, timeout=60)
    per = {}
    for m in banks + police:
        k = (m["value"]["ref"], m["value"].get("role", "police"))
        per.setdefault(k, set()).add(m["headers"]["ce_id"])
    print(f"  on Kafka: {len(banks)} bank and {len(police)} police escalations, "
          f"{len(per)} (case, addressee) pairs", flush=True)
    assert len(per) == 3 * N, len(per)
    twice = [k for k, ids in per.items() if len(ids) != 1]
    assert not twice, f"{len(twice)} escalations with several event ids: {twice[:5]}"
    # one event id per (case, milestone, addressee), derived: as many distinct ids as events
    ids = {m["headers"]["ce_id"] for m in banks + police}
    assert len(ids) == 3 * N

    # both relays fired some, and together exactly N
    counts = [metric(r, 'relay48_milestones_fired_total{milestone="reminder"}') for r in relays]
    print(f"  fired per relay: {counts}", flush=True)
    assert sum(counts) == N, counts
    assert all(c > 0 for c in counts), counts


def setup():
    global db
    db = fresh_database("two_relays")
    for name in ("relay-a", "relay-b"):
        relays.append(Relay(db, name=name, env={"RELAY48_SCHEDULER_STATS_INTERVAL_MS": "1000"}))
    relays[0].migrate()
    for r in relays:
        r.start()


if __name__ == "__main__":
    setup()
    try:
        run_tests(globals())
    finally:
        for r in relays:
            assert r.stop("TERM") == 0, "relay48 did not drain and exit 0"
