"""Fault: relay48 killed with SIGKILL at random moments under load, ten
times, restarted each time on the same port. Clients retry under their
Idempotency-Key; what was committed before a kill is published again by the
next process (the outbox), the reminders it was firing are fired once.
Nothing acknowledged is lost, nothing is duplicated after de-duplication by
id (docs/reliability.md)."""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fault  # noqa: E402
from stack import run_tests  # noqa: E402

SCENARIO = "relay_sigkill"
KILLS = 10


def test_relay_sigkill_under_load():
    p = fault.Pipeline(SCENARIO).start()
    load = fault.Load(p, threads=4, rate=16.0, duration=30.0).start()
    downtime = []
    try:
        for _ in range(KILLS):
            time.sleep(random.uniform(1.0, 2.2))
            t0 = time.monotonic()
            p.restart_relay()
            downtime.append(time.monotonic() - t0)
        load.wait()
        c = p.settle(load)
    finally:
        load.stop()
        problems = p.stop()
    failures = fault.report(
        SCENARIO, c, load,
        f"{KILLS} SIGKILLs at {', '.join(f'{d:.1f}' for d in downtime)} s of downtime each")
    assert not failures and not problems, failures + problems


run_tests(globals())
