"""Fault: PostgreSQL crashed (stopped in immediate mode, as a power cut
would leave it) under load, then started again. While it is down the relay
answers 503 with Retry-After (database_unavailable) and never 201 without a
row; a report caught mid-commit is held and retried under its reference;
intake is back within 2 s of PostgreSQL being ready again, without a restart
of the relay; the milestones due meanwhile fire after it. Nothing
acknowledged is lost, nothing duplicated after de-duplication by id
(docs/reliability.md)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fault  # noqa: E402
import stack  # noqa: E402
from stack import ops, run_tests, wait_until  # noqa: E402

SCENARIO = "pg_crash"
OUTAGE = 4.0
BACK_WITHIN = 2.0


def test_pg_crash_under_load():
    p = fault.Pipeline(SCENARIO).start()
    load = fault.Load(p, threads=4, rate=16.0, duration=25.0).start()
    refusals, probes = [], []
    back = None
    try:
        time.sleep(6.0)
        ops("pg.sh", "crash")
        crashed_at = time.monotonic()
        time.sleep(1.0)
        # New reports sent while it is down: refused at once, never a 201.
        while time.monotonic() - crashed_at < OUTAGE:
            rec = load.submit(once=True)
            probes.append(rec)
            refusals.append(rec["last"])
            time.sleep(0.25)
        # Started in the background; "ready" is the first moment a new
        # connection gets an answer, found by polling.
        starting = subprocess.Popen([os.path.join(stack.SRC, "ops", "pg.sh"), "start"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: subprocess.run(
            ["psql", "-X", "-tA", "-c", "SELECT 1", stack.pg_url() + "?connect_timeout=1"],
            capture_output=True, timeout=10).returncode == 0, 60, "PostgreSQL ready",
            interval=0.01)
        ready_at = time.monotonic()
        while time.monotonic() - ready_at < 10.0:
            rec = load.submit(once=True)
            probes.append(rec)
            if rec["acked"]:
                back = rec["acked_at"] - ready_at
                break
            time.sleep(0.05)
        starting.wait(60)
        load.wait()
        for rec in probes:  # the refused ones are sent again, as a client would
            if not rec["acked"]:
                load.submit(rec, stop_at=time.monotonic() + 30)
        c = p.settle(load)
    finally:
        load.stop()
        fault.restore_servers()
        problems = p.stop()
    statuses = {}
    for s, h, r in refusals:
        statuses[s] = statuses.get(s, 0) + 1
    failures = fault.report(
        SCENARIO, c, load,
        f"intake back {back:.2f}s after PostgreSQL was ready again" if back is not None else
        "intake not back within 10 s")
    print(f"  new reports sent during the outage: {statuses} (every 503 with Retry-After)",
          flush=True)
    bad = [(s, h.get("retry-after"), r) for s, h, r in refusals
           if s != 503 or not h.get("retry-after") or
           not isinstance(r, dict) or r.get("code") != "database_unavailable"]
    if not refusals or bad:
        failures.append(f"during the outage, answers other than 503 database_unavailable with "
                        f"Retry-After: {bad[:3]}")
    if back is None or back >= BACK_WITHIN:
        failures.append(f"intake back after {back} s (limit {BACK_WITHIN} s)")
    assert not failures and not problems, failures + problems


run_tests(globals())
