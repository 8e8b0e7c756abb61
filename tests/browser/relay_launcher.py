"""Start one relay48 for the browser tests, as tests/lib/stack.py does for
the integration tests: a fresh database, migrated, a relay on a free port
with its clock frozen (clock.fixed) at the time given as argv[1]. Prints one
JSON line {"base", "db_url", "log"} once the relay is ready, then waits until
its stdin closes (the test ended, or died) and stops the relay."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import Relay, fresh_database, pg_url  # noqa: E402


def main():
    now = sys.argv[1] if len(sys.argv) > 1 else "2026-03-28T12:00:00Z"
    db = fresh_database("browser")
    relay = Relay(db, name="browser", env={
        "RELAY48_CLOCK_FIXED": now,
        "RELAY48_WEB_RATE_PER_MINUTE": "1000",
        "RELAY48_WEB_RATE_BURST": "1000",
    })
    relay.migrate()
    relay.start()
    try:
        print(json.dumps({"base": relay.base, "db_url": pg_url(db), "log": relay.log_path}),
              flush=True)
        sys.stdin.read()
    finally:
        rc = relay.stop()
        print(json.dumps({"stopped": rc}), flush=True)


if __name__ == "__main__":
    main()
