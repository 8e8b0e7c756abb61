"""The intake's events built again from the database (docs/intake.md,
"Outbox to Kafka"): a batch committed whose events Kafka never confirmed
(the relay died after its COMMIT, before the delivery reports) is left as
its intake_batches row; a relay's sweep builds its events again from the
case rows with the same ce_ids and the same bytes, linked cases included,
and deletes the row once Kafka confirmed them."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import stack  # noqa: E402
from reports import fr_iban, transfer  # noqa: E402
from stack import Relay, fresh_database, kafka_mark, psql, run_tests, wait_until  # noqa: E402

TOPICS = ("relay48.reports.v1", "relay48.escalations.bank.v1", "relay48.escalations.police.v1")
relay = None
db = None
key = None


def sql(q):
    return psql(q, db=db)


def post(body):
    return relay.post_json("/v1/reports", body, {"Authorization": f"Bearer {key}"})


def events(ref):
    """(topic, ce_id, ce_type, key, value as produced) of the case's events
    since the mark, sorted: the value is compared byte for byte."""
    out = []
    for topic in TOPICS:
        for line in stack._consume(topic).splitlines():
            parts = line.split("\t", 4)
            if len(parts) != 5:
                continue
            k, _, _, hdrs, value = parts
            headers = dict(h.partition("=")[::2] for h in hdrs.split(",") if "=" in h)
            try:
                v = json.loads(value)
            except ValueError:
                continue
            if isinstance(v, dict) and v.get("ref") == ref:
                out.append((topic, headers.get("ce_id"), headers.get("ce_type"), k, value))
    return sorted(out)


def published(ref, n):
    wait_until(lambda: len(events(ref)) >= n, 20, f"{n} events of {ref} on Kafka")
    wait_until(lambda: sql("SELECT count(*) FROM intake_batches") == "0", 10,
               "the intake batches confirmed and deleted")
    return events(ref)


def as_left_by_a_dead_relay(*refs):
    """The state a relay killed after COMMIT leaves: the batch row, its
    events never confirmed; then a relay starts (its first sweep takes every
    row whatever its age)."""
    relay.stop("KILL")
    ids = ",".join(sql(f"SELECT id FROM cases WHERE ref = '{r}'") for r in refs)
    sql("INSERT INTO intake_batches (instance, created_at, case_ids) "
        f"VALUES ('dead', now() - interval '1 minute', ARRAY[{ids}]::bigint[])")
    relay.start()


def test_a_batch_left_after_commit_is_sent_again_with_the_same_ids_and_bytes():
    s, _, r = post(transfer(amount="12500.00"))  # banks and police
    assert s == 201, r
    ref = r["ref"]
    first = published(ref, 4)
    assert [e[2] for e in first].count("escalation.bank") == 2, first
    assert len({e[1] for e in first}) == 4, first
    as_left_by_a_dead_relay(ref)
    again = published(ref, 8)
    assert len(again) == 8, again
    # each event twice, the copy identical: same ce_id, key and bytes
    assert again[0::2] == first and again[1::2] == first, (first, again)


def test_linked_cases_survive_a_resend():
    iban = fr_iban("30003")
    s1, _, r1 = post(transfer(amount="50.00", creditor_iban=iban))
    s2, _, r2 = post(transfer(amount="60.00", creditor_iban=iban))
    assert s1 == 201 and s2 == 201, (r1, r2)
    assert r2["linked_cases"] == [r1["ref"]], r2
    first = published(r2["ref"], 4)  # accepted, two banks, police for the link
    police = [json.loads(e[4]) for e in first if e[2] == "escalation.police"]
    assert len(police) == 1 and police[0]["reasons"] == ["linked_iban"], first
    assert all(json.loads(e[4])["linked_cases"] == [r1["ref"]] for e in first), first
    # The link is what the commit found, not what a query finds later: the
    # first case resolved meanwhile still shows in the events sent again.
    sql(f"UPDATE cases SET state = 'resolved' WHERE ref = '{r1['ref']}'")
    as_left_by_a_dead_relay(r2["ref"])
    again = published(r2["ref"], 8)
    assert len(again) == 8, again
    assert again[0::2] == first and again[1::2] == first, (first, again)


def test_a_batch_of_purged_cases_is_deleted():
    sql("INSERT INTO intake_batches (instance, created_at, case_ids) "
        "VALUES ('dead', now() - interval '1 minute', ARRAY[-1]::bigint[])")
    relay.stop("TERM")
    relay.start()
    wait_until(lambda: sql("SELECT count(*) FROM intake_batches") == "0", 10,
               "a batch with nothing to send deleted")


def setup():
    global relay, db, key
    db = fresh_database("resend")
    relay = Relay(db, name="intake")
    relay.migrate()
    kafka_mark(*TOPICS)
    key = relay.create_key("partner-resend", "partner")
    relay.start()
    wait_until(lambda: post(transfer(amount="1.00"))[0] == 201, 10, "the key cache loaded")


if __name__ == "__main__":
    setup()
    try:
        run_tests(globals())
    finally:
        assert relay.stop("TERM") == 0, "relay48 did not drain and exit 0"
