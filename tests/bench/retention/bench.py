"""Benchmark of `relay48 purge` (prints figures; not a pass/fail test).

Seeds N closed cases full of personal data (tests/lib/retention_seed.py:
victim, holders, narrative, evidence, IBANs or card data, a noted
acknowledgement, a case-page token, an Idempotency-Key row, a beneficiary
link, an access-log row each) and N/10 open ones, then runs `relay48 purge`
with its clock 400 days ahead (everything of the closed cases due):
  batched   batches of 1 000 rows (the default): rows per class, time, rows/s,
            and the longest transaction (how long its row locks were held);
  baseline  the same purge on an identical database in one transaction per
            class (--batch-rows 100000): what batching costs, what it saves;
  again     the batched purge run a second time (idempotent: 0 rows).
  tests/bench/retention/run.sh [--cases N]
"""
import datetime
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))
from retention_seed import seed_sql  # noqa: E402
from stack import RELAY_BIN, SRC, pg_url, psql  # noqa: E402

CHUNK = 10000


def arg(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def relay(db, *args, clock=None):
    env = dict(os.environ, RELAY48_DATABASE_URL=pg_url(db),
               RELAY48_SQL_DIR=os.path.join(SRC, "sql"))
    if clock:
        env["RELAY48_CLOCK_FIXED"] = clock
    t = time.monotonic()
    out = subprocess.run([RELAY_BIN, *args], env=env, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"relay48 {' '.join(args)}: {out.stderr}")
    return out.stdout, time.monotonic() - t


def classes(out):
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^([a-z_]+)\s+\d+ [ds]\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)$",
                     line)
        if m:
            rows[m.group(1)] = {"rows": int(m.group(2)), "linked": int(m.group(3)),
                                "batches": int(m.group(4)), "s": float(m.group(5)),
                                "max_ms": float(m.group(6))}
    return rows


def seed(db, n):
    psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', db="postgres")
    psql(f'CREATE DATABASE "{db}"', db="postgres")
    relay(db, "migrate")
    t = time.monotonic()
    for first in range(1, n + 1, CHUNK):
        psql(seed_sql("7001", first, min(CHUNK, n - first + 1),
                      closed_at="now() - interval '2 days'"), db=db)
    for first in range(1, n // 10 + 1, CHUNK):
        psql(seed_sql("7002", first, min(CHUNK, n // 10 - first + 1), state="open"), db=db)
    psql("VACUUM ANALYZE", db=db)
    return time.monotonic() - t


def main():
    n = arg("--cases", 100000)
    clock = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=400)) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"== seeding {n} closed cases and {n // 10} open ones, twice")
    print(f"seeded in {seed('bench_retention_a', n):.1f} s and "
          f"{seed('bench_retention_b', n):.1f} s")
    size = psql("SELECT pg_size_pretty(pg_database_size('bench_retention_a'))", db="postgres")
    print(f"database: {size}")

    out, _ = relay("bench_retention_a", "purge", "--dry-run", clock=clock)
    print(out, end="")
    out, wall = relay("bench_retention_a", "purge", clock=clock)
    print("== batched (batches of 1000 rows)")
    print(out, end="")
    batched = classes(out)
    total = sum(c["rows"] for c in batched.values())
    longest = max(c["max_ms"] for c in batched.values())

    out, wall_b = relay("bench_retention_b", "purge", "--batch-rows", "100000", clock=clock)
    print("== baseline (one transaction per class)")
    print(out, end="")
    base = classes(out)
    longest_b = max(c["max_ms"] for c in base.values())

    out, wall_again = relay("bench_retention_a", "purge", clock=clock)
    again = sum(c["rows"] for c in classes(out).values())

    left = psql("SELECT count(*) FROM cases WHERE ref LIKE 'R48-7001-%' AND (details::text ~ "
                "'(Victime|faux conseiller|mail-|E2E|CH7001|SHOP|Titulaire|SECURIS)' "
                "OR debtor_iban IS NOT NULL OR creditor_iban IS NOT NULL "
                "OR card_last4 IS NOT NULL OR receipt IS NOT NULL)", db="bench_retention_a")
    kept = psql("SELECT count(*) FROM cases WHERE ref LIKE 'R48-7002-%' AND details ? 'narrative'",
                db="bench_retention_a")
    print("== figures")
    print(f"batched : {total} rows ({n} closed cases) in {wall:.2f} s wall, "
          f"{total / wall:.0f} rows/s, {n / wall:.0f} cases/s; longest transaction "
          f"{longest:.0f} ms")
    print(f"baseline: one transaction per class: {wall_b:.2f} s wall, longest transaction "
          f"{longest_b:.0f} ms (x{longest_b / max(longest, 0.001):.0f} the batched one's)")
    print(f"again   : {again} rows in {wall_again:.2f} s (idempotent)")
    print(f"left    : {left} closed cases with personal data; {kept} of {n // 10} open cases "
          f"untouched")
    print(f"reproduce: tests/bench/retention/run.sh --cases {n}")


if __name__ == "__main__":
    main()
