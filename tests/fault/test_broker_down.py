"""Fault: the Kafka broker killed (SIGKILL) for 30 s under load, then
started again. Intake goes on meanwhile (a 201 means committed in
PostgreSQL); the events wait in the outbox and the connectors wait for the
broker; when it is back the backlog drains and every escalation reaches its
desk. Nothing acknowledged is lost, nothing duplicated after de-duplication
by id (docs/reliability.md)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fault  # noqa: E402
from stack import ops, run_tests, wait_until  # noqa: E402

SCENARIO = "broker_down"
OUTAGE = 30.0


# What Kafka has not confirmed: outbox rows (acknowledgements) and intake
# batches (the new cases' events, docs/intake.md).
UNCONFIRMED = "SELECT (SELECT count(*) FROM outbox) + (SELECT count(*) FROM intake_batches)"


def test_broker_down_30s_under_load():
    p = fault.Pipeline(SCENARIO).start()
    load = fault.Load(p, threads=4, rate=12.0, duration=45.0).start()
    acked_during = peak = 0
    try:
        time.sleep(5.0)
        ops("kafka.sh", "kill")
        down_at = time.monotonic()
        acked_before = sum(1 for r in load.reports if r["acked"])
        while time.monotonic() - down_at < OUTAGE:
            peak = max(peak, int(p.sql(UNCONFIRMED)))
            time.sleep(1.0)
        acked_during = sum(1 for r in load.reports if r["acked"]) - acked_before
        start_at = time.monotonic()
        ops("kafka.sh", "start")  # returns when the broker answers, topics checked
        back_at = time.monotonic()
        outage, starting = start_at - down_at, back_at - start_at
        wait_until(lambda: p.sql(UNCONFIRMED) == "0", 120,
                   "the outbox backlog drained")
        drained = time.monotonic() - back_at
        load.wait()
        c = p.settle(load, timeout=150)
    finally:
        load.stop()
        fault.restore_servers()
        problems = p.stop()
    failures = fault.report(
        SCENARIO, c, load,
        f"broker killed, started again {outage:.0f}s later (its start took {starting:.0f}s); "
        f"{acked_during} reports acknowledged while it was down; unconfirmed rows peak {peak}, "
        f"drained {drained:.1f}s after the broker was back")
    if acked_during == 0:
        failures.append("no report acknowledged while the broker was down")
    assert not failures and not problems, failures + problems


run_tests(globals())
