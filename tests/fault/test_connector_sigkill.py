"""Fault: a connector killed with SIGKILL mid-stream, restarted in the same
consumer group: the bank connector first, then the police one. What it had
read but not committed is read again and delivered again under the same
webhook-id (the desks de-duplicate on it); nothing is skipped. Nothing
acknowledged is lost, nothing duplicated after de-duplication by id
(docs/reliability.md)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fault  # noqa: E402
from stack import run_tests, wait_until  # noqa: E402

SCENARIO = "connector_sigkill"


def kill_mid_stream(p, role):
    """kill -9 while its desks are receiving, restart at once; returns how
    many deliveries its desks had before."""
    desks = [d for party, d in p.desks.items() if party.startswith(role)]
    before = sum(len(d.got()) for d in desks)
    wait_until(lambda: sum(len(d.got()) for d in desks) > before + 20, 20,
               f"{role} deliveries flowing")
    c = p.connectors[role]
    c.kill()
    time.sleep(0.5)
    c.start()
    return sum(len(d.got()) for d in desks)


def test_connector_sigkill_mid_stream():
    p = fault.Pipeline(SCENARIO).start()
    for d in p.desks.values():
        d.delay = 0.02  # deliveries in flight at the kill
    load = fault.Load(p, threads=4, rate=16.0, duration=25.0).start()
    seen = {}
    try:
        time.sleep(6.0)
        seen["bank"] = kill_mid_stream(p, "bank")
        time.sleep(6.0)
        seen["police"] = kill_mid_stream(p, "police")
        load.wait()
        c = p.settle(load)
    finally:
        load.stop()
        problems = p.stop()
    failures = fault.report(
        SCENARIO, c, load,
        f"bank connector killed after {seen.get('bank')} deliveries, police connector after "
        f"{seen.get('police')}; delivered again under the same webhook-id: "
        f"{c['deliveries_total'] - c['delivered']}")
    assert not failures and not problems, failures + problems


run_tests(globals())
