"""Fault: a bank's fraud desk down for 2 minutes (its listener closed and its
connections cut: connection refused) under load, then back on the same
port. The bank connector retries with backoff and jitter (here with
connector.retry_max_ms = 5 s, so that the first retry after the desk is back
comes within 5 s; the default ceiling is 5 min, docs/connectors.md); the
other bank and the police keep receiving meanwhile; when the desk is back
everything it missed reaches it, in order per case. Nothing acknowledged is
lost, nothing duplicated after de-duplication by id (docs/reliability.md)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fault  # noqa: E402
from stack import run_tests, wait_until  # noqa: E402

SCENARIO = "endpoint_down"
OUTAGE = 120.0
RETRY_MAX_MS = 5000
DOWN = f"bank:{fault.CREDITOR_BIC}"


def test_bank_endpoint_down_2_minutes():
    p = fault.Pipeline(SCENARIO, connector_env={
        "RELAY48_CONNECTOR_RETRY_MAX_MS": str(RETRY_MAX_MS)}).start()
    desk = p.desks[DOWN]
    others = [d for party, d in p.desks.items() if party != DOWN]
    load = fault.Load(p, threads=4, rate=12.0, duration=30.0).start()
    try:
        time.sleep(3.0)
        desk.down()
        down_at = time.monotonic()
        before = len(desk.got())
        others_before = sum(len(d.got()) for d in others)
        load.wait()
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))
        others_during = sum(len(d.got()) for d in others) - others_before
        metrics = p.connectors["bank"].metrics()
        retries = int(metrics.get(f'relay48_connector_retries_total{{destination="{DOWN}"}}', 0))
        dlq = int(sum(v for k, v in metrics.items()
                      if k.startswith("relay48_connector_dlq_total")))
        desk.up()
        up_at = time.time()
        wait_until(lambda: len(desk.got()) > before, 60, "the first delivery after the desk is back")
        c = p.settle(load, timeout=120)
        after = [r["at"] - up_at for r in desk.got() if r["at"] >= up_at]
    finally:
        load.stop()
        problems = p.stop()
    failures = fault.report(
        SCENARIO, c, load,
        f"{DOWN} down {OUTAGE:.0f}s: {retries} retries meanwhile, {others_during} deliveries to "
        f"the other desks meanwhile, {dlq} dead letters; back: {len(after)} deliveries to it, the "
        f"first {min(after):.1f}s and the last {max(after):.1f}s after")
    if others_during == 0:
        failures.append("the other desks received nothing while one was down")
    assert not failures and not problems, failures + problems


run_tests(globals())
