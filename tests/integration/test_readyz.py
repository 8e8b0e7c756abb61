"""/readyz follows the real servers: the Kafka broker stopped and started
again, PostgreSQL stopped and started again, and the relay recovers from both
without a restart."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from reports import transfer  # noqa: E402
from stack import Relay, fresh_database, ops, wait_until  # noqa: E402

relay = None


def setup():
    global relay
    db = fresh_database("readyz")
    relay = Relay(db, name="readyz")
    relay.migrate()
    relay.start()


def test_ready_with_both_servers():
    status, headers, body = relay.get("/readyz")
    assert status == 200, body
    assert body["checks"] == {"database": "ok", "kafka": "ok"}, body
    status, _, body = relay.get("/healthz")
    assert status == 200 and body == {"status": "ok"}


def test_ready_means_a_key_works_at_once():
    """A load balancer sends reports as soon as /readyz says 200: the API
    keys must be loaded by then, or a valid key would get 401."""
    for attempt in range(3):
        other = Relay(relay.db, name=f"readyz-keys-{attempt}")
        key = other.create_key(f"partner-readyz-{attempt}", "partner")
        other.start(wait_ready=False)
        try:
            wait_until(lambda: other.get("/readyz")[0] == 200, 30, "/readyz 200")
            status, _, body = other.post_json("/v1/reports", transfer(),
                                              {"Authorization": f"Bearer {key}"})
            assert status == 201, (status, body)
        finally:
            other.stop("TERM")


def test_kafka_down_then_back():
    ops("kafka.sh", "stop")
    try:
        status, headers, body = wait_until(
            lambda: (lambda r: r if r[0] == 503 else None)(relay.get("/readyz")), 30,
            "/readyz 503 with the broker stopped")
        assert headers["content-type"] == "application/problem+json", headers
        assert body["checks"]["kafka"] == "down", body
        assert body["checks"]["database"] == "ok", body
        assert "kafka" in body["detail"], body
        assert relay.get("/healthz")[0] == 200  # alive, only not ready
    finally:
        ops("kafka.sh", "start")
    wait_until(lambda: relay.get("/readyz")[0] == 200, 60, "/readyz 200 after the broker is back")


def test_postgres_down_then_back():
    ops("pg.sh", "stop")
    try:
        status, headers, body = wait_until(
            lambda: (lambda r: r if r[0] == 503 else None)(relay.get("/readyz")), 30,
            "/readyz 503 with PostgreSQL stopped")
        assert body["checks"]["database"] == "down", body
        assert body["checks"]["kafka"] == "ok", body
        assert headers.get("retry-after") == "1", headers
    finally:
        ops("pg.sh", "start")
    wait_until(lambda: relay.get("/readyz")[0] == 200, 30, "/readyz 200 after PostgreSQL is back")


def test_sigterm_drains_and_exits_zero():
    assert relay.stop("TERM") == 0
    assert '"event":"relay.stopped"' in relay.log()


if __name__ == "__main__":
    from stack import run_tests
    setup()
    try:
        run_tests(globals())
    finally:
        if relay:
            relay.stop("KILL")
