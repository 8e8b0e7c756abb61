"""The relay48 half of tests/bench/timers/run.sh: durable timers fired
through PostgreSQL and Kafka.

  bench.py [--pending 1000000] [--due 50000] [--steady-rate 1000]
           [--steady-seconds 20] [--restart 50000] [--warmup 20000]
           [--phases instant,steady,restart]

Environment: RELAY48_BIN (the release binary), RELAY48_DATABASE_URL (an
empty database), RELAY48_KAFKA_BOOTSTRAP_SERVERS, RELAY48_SQL_DIR,
RELAY48_BENCH_OUT (figures and logs; default /tmp), RELAY48_BENCH_PG_PID and
RELAY48_BENCH_KAFKA_PID (the servers' pids, for the CPU seconds each spent in
the instant phase: figures that the load of a shared machine moves little),
RELAY48_BENCH_PERF (a file: `perf record -a -g` over the instant burst).

Every milestone is a reminder: it fires two bank escalations and one police
escalation (three Kafka events, about 1 KB each). First, unmeasured, --warmup
reminders (0: none) fired at once: a Kafka broker just started compiles its
hot paths during the first bursts. Phases:
  instant  --due reminders due at the same instant T among --pending pending
           milestones: T -> the last escalation confirmed by Kafka (its outbox
           row or its firing row deleted from the delivery reports), and how
           late the first was;
  steady   --steady-rate reminders due per second for --steady-seconds:
           lateness (Kafka timestamp of the milestone's last event - due time)
           p50/p99/max;
  restart  the relay stopped, --restart reminders made overdue, the relay
           started: start -> every one fired and confirmed by Kafka.
Prints one JSON line per phase.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from seed import cases_sql  # noqa: E402
sys.path.insert(0, os.path.join(HERE, ".."))
from cpu import cpu_snapshot, cpu_spent  # noqa: E402

BIN = os.environ["RELAY48_BIN"]
DB = os.environ["RELAY48_DATABASE_URL"]
BROKERS = os.environ["RELAY48_KAFKA_BOOTSTRAP_SERVERS"]
TOPICS = ("relay48.escalations.bank.v1", "relay48.escalations.police.v1")
OUT = os.environ.get("RELAY48_BENCH_OUT", "/tmp")
TAG_FUTURE, TAG_INSTANT, TAG_STEADY, TAG_RESTART, TAG_WARMUP = "1000", "1001", "1002", "1003", "1004"


def psql(q):
    out = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", DB, "-c", q],
                         capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


class Poller:
    """One psql session asked the same question again and again (~10 ms apart).
    No parallel query: a count over the pending index planned with two parallel
    workers starts two server processes per question (~19 ms of server time
    each, measured with pg_stat_statements: more than the firing itself)."""

    def __init__(self):
        env = dict(os.environ, PGOPTIONS="-c max_parallel_workers_per_gather=0")
        self.p = subprocess.Popen(["psql", "-X", "-q", "-tA", DB], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1, env=env)

    def ask(self, q):
        self.p.stdin.write(q.rstrip(";") + ";\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def ref_range(tag, n):
    return f"c.ref BETWEEN 'R48-{tag}-0000-0000' AND 'R48-{tag}-{(n - 1) // 10000:04d}-{(n - 1) % 10000:04d}'"


def seed(tag, n, far_days):
    """n cases whose three milestones are due in far_days days (to be moved later)."""
    for first in range(0, n, 50000):
        count = min(50000, n - first)
        at = f"now() + interval '{far_days} days'"
        psql(cases_sql(tag, first, count, at, f"{at} + interval '1 hour'",
                       f"{at} + interval '2 hours'"))


def start_relay(name, port):
    env = dict(os.environ, RELAY48_HTTP_PORT=str(port), RELAY48_INSTANCE=name,
               RELAY48_LOG_LEVEL="warn")
    log = open(f"{OUT}/relay48-bench-timers-{name}.log", "ab")
    p = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            out = subprocess.run(["curl", "-fs", f"http://127.0.0.1:{port}/readyz"],
                                 capture_output=True, timeout=2)
            if out.returncode == 0:
                return p
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.05)
    raise RuntimeError("relay48 not ready")


def stop_relay(p):
    p.send_signal(signal.SIGTERM)
    return p.wait(60)


def kafka_times(tag, since_ms):
    """{ref: [timestamps ms]} of the reminder escalations of tag on Kafka."""
    times = {}
    for topic in TOPICS:
        out = subprocess.run(["kcat", "-b", BROKERS, "-C", "-t", topic, "-o", f"s@{since_ms}",
                              "-e", "-q", "-f", "%T\t%s\n"], capture_output=True, text=True,
                             timeout=600).stdout
        for line in out.splitlines():
            ts, _, value = line.partition("\t")
            if f'"R48-{tag}-' not in value or '"milestone":"reminder"' not in value:
                continue
            ref = value.split('"ref":"', 1)[1][:18]
            times.setdefault(ref, []).append(int(ts))
    return times


def backlog_sql():
    """Whether events are committed and not yet confirmed by Kafka: outbox
    rows, and the firings (sql/007_firing.sql) of a relay that has them."""
    tables = ["outbox"]
    if psql("SELECT to_regclass('firings') IS NOT NULL") == "t":
        tables.append("firings")
    # 0 or 1 per table, by its primary key: a count would read every page of
    # a table its deletes have bloated (the outbox after a burst).
    return " + ".join(f"(SELECT count(*) FROM (SELECT 1 FROM {t} ORDER BY id LIMIT 1) b)"
                      for t in tables)


def wait_done(poll, until, timeout=600):
    """Poll until no milestone due by `until` (SQL) is pending and nothing
    fired is unconfirmed; the database's clock (epoch seconds) when that was
    seen. Cheap queries about every 10 ms, so as not to load the server being
    measured: the backlog (small tables) first; only when it is empty, whether
    a milestone due is still pending (the first entry of the pending index:
    an index scan stops there, and the entries of fired milestones it passes
    are marked dead in the index the first time); then the backlog again, as
    a batch may have committed between the two questions."""
    backlog = f"SELECT {backlog_sql()}, extract(epoch FROM clock_timestamp())"
    pending = (f"SELECT count(*) FROM (SELECT 1 FROM milestones WHERE state = 'pending' "
               f"AND due_at <= {until} ORDER BY due_at LIMIT 1) p")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if poll.ask(backlog).split("|")[0] == "0" and poll.ask(pending) == "0":
            left, now = poll.ask(backlog).split("|")
            if left == "0":
                return float(now)
        time.sleep(0.01)
    raise RuntimeError("timed out")


def reset(tag, n, far_days):
    """Put the reminders of tag back as seeded (for --no-seed runs)."""
    psql(f"UPDATE milestones m SET state = 'pending', fired_at = NULL, "
         f"due_at = now() + interval '{far_days} days' FROM cases c "
         f"WHERE c.id = m.case_id AND {ref_range(tag, n)} AND m.name = 'reminder' "
         f"AND m.state <> 'pending'")
    # police rows: written by relays before sql/015 (now known from the
    # fired reminder, which the UPDATE above puts back to pending)
    psql(f"DELETE FROM case_addressees a USING cases c WHERE c.id = a.case_id "
         f"AND {ref_range(tag, n)} AND a.party LIKE 'police:%'")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))]


def phase_warmup(args, port):
    """Unmeasured: --warmup reminders fired at once before the measured phases,
    so that the Kafka broker's JVM has compiled its hot paths (a broker just
    started spends a few % of the burst in its JIT compiler threads; the
    peers use no Kafka, and a broker in service is warm)."""
    if args.no_seed:
        reset(TAG_WARMUP, args.warmup, 33)
    t = time.monotonic()
    relay = start_relay("bench-warmup", port)
    poll = Poller()
    try:
        psql(f"UPDATE milestones m SET due_at = now() FROM cases c "
             f"WHERE c.id = m.case_id AND {ref_range(TAG_WARMUP, args.warmup)} "
             f"AND m.name = 'reminder'")
        wait_done(poll, "now()")
    finally:
        poll.close()
        rc = stop_relay(relay)
    psql("VACUUM ANALYZE milestones")
    res = {"phase": "warmup", "milestones": args.warmup,
           "seconds": round(time.monotonic() - t, 1), "relay_exit": rc,
           "note": "unmeasured: warms the Kafka broker's JIT before the measured phases"}
    print(json.dumps(res), flush=True)
    return res


def phase_instant(args, port):
    if args.no_seed:
        reset(TAG_INSTANT, args.due, 30)
    relay = start_relay("bench-instant", port)
    poll = Poller()
    try:
        t_due = float(psql("SELECT extract(epoch FROM date_trunc('second', now()) + interval '12 s')"))
        since = int(time.time() * 1000) - 1000  # nothing of this run is older
        psql(f"UPDATE milestones m SET due_at = to_timestamp({t_due}) FROM cases c "
             f"WHERE c.id = m.case_id AND {ref_range(TAG_INSTANT, args.due)} AND m.name = 'reminder'")
        psql("VACUUM ANALYZE milestones")
        lsn0 = psql("SELECT pg_current_wal_lsn()")
        # CPU from just before the due instant: over the 12 s of waiting an
        # idle Kafka broker alone spends about 0.25 s (its JVM's background
        # work, measured), more than the burst itself costs it (0.08-0.22 s).
        time.sleep(max(0.0, t_due - 0.05 - time.time()))
        cpu0 = cpu_snapshot(relay.pid)
        perf = None
        if os.environ.get("RELAY48_BENCH_PERF"):
            # a profile of the whole machine over the burst (perf report -i FILE)
            perf = subprocess.Popen(["perf", "record", "-a", "-g", "-q", "-o",
                                     os.environ["RELAY48_BENCH_PERF"]], stderr=subprocess.DEVNULL)
        t_end = wait_done(poll, f"to_timestamp({t_due})")
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        cpu = cpu_spent(cpu0, cpu_snapshot(relay.pid))
        wal = int(psql(f"SELECT pg_current_wal_lsn() - '{lsn0}'::pg_lsn"))
        fired = psql(f"SELECT extract(epoch FROM min(m.fired_at)), extract(epoch FROM max(m.fired_at)), "
                     f"count(*) FROM milestones m JOIN cases c ON c.id = m.case_id "
                     f"WHERE {ref_range(TAG_INSTANT, args.due)} AND m.name = 'reminder' "
                     f"AND m.state = 'fired'").split("|")
    finally:
        poll.close()
        rc = stop_relay(relay)
    times = kafka_times(TAG_INSTANT, since)
    firsts = [min(v) for v in times.values()]
    lasts = [max(v) for v in times.values()]
    elapsed = t_end - t_due
    res = {"phase": "instant", "due": args.due, "pending": args.pending,
           "fired": int(fired[2]), "refs_on_kafka": len(times),
           "events_on_kafka": sum(len(v) for v in times.values()),
           "elapsed_s": round(elapsed, 3),
           "milestones_per_s": round(args.due / elapsed),
           "events_per_s": round(3 * args.due / elapsed),
           "first_fired_after_ms": round((float(fired[0]) - t_due) * 1000),
           "last_fired_after_ms": round((float(fired[1]) - t_due) * 1000),
           "first_on_kafka_after_ms": min(firsts) - int(t_due * 1000),
           "last_on_kafka_after_ms": max(lasts) - int(t_due * 1000),
           "wal_mb": round(wal / 1e6, 1),
           "cpu_s": cpu,
           "relay_exit": rc,
           "note": "elapsed = due instant -> last escalation confirmed by Kafka (outbox and firings empty)"}
    print(json.dumps(res), flush=True)
    return res


def phase_steady(args, port):
    n = args.steady_rate * args.steady_seconds
    if args.no_seed:
        reset(TAG_STEADY, n, 31)
    relay = start_relay("bench-steady", port)
    poll = Poller()
    try:
        t0 = float(psql("SELECT extract(epoch FROM date_trunc('second', now()) + interval '5 s')"))
        since = int(time.time() * 1000) - 1000
        step_ms = 1000.0 / args.steady_rate
        psql(f"UPDATE milestones m SET due_at = to_timestamp({t0}) + "
             f"make_interval(secs => (split_part(c.ref, '-', 3)::int * 10000 + "
             f"split_part(c.ref, '-', 4)::int) * {step_ms / 1000.0}) FROM cases c "
             f"WHERE c.id = m.case_id AND {ref_range(TAG_STEADY, n)} AND m.name = 'reminder'")
        wait_done(poll, f"to_timestamp({t0 + args.steady_seconds + 1})",
                  timeout=args.steady_seconds + 120)
        due = {}
        for line in psql(f"SELECT c.ref, floor(extract(epoch FROM m.due_at) * 1000)::bigint, "
                         f"floor(extract(epoch FROM m.fired_at - m.due_at) * 1000)::bigint "
                         f"FROM milestones m JOIN cases c ON c.id = m.case_id "
                         f"WHERE {ref_range(TAG_STEADY, n)} AND m.name = 'reminder'").splitlines():
            ref, d, late = line.split("|")
            due[ref] = (int(d), int(late))
    finally:
        poll.close()
        rc = stop_relay(relay)
    times = kafka_times(TAG_STEADY, since)
    kafka_late = [max(v) - due[r][0] for r, v in times.items() if r in due]
    fired_late = [v[1] for v in due.values()]
    res = {"phase": "steady", "rate_per_s": args.steady_rate, "seconds": args.steady_seconds,
           "milestones": n, "on_kafka": len(kafka_late),
           "lateness_kafka_ms": {"p50": pct(kafka_late, 0.5), "p99": pct(kafka_late, 0.99),
                                 "max": max(kafka_late)},
           "lateness_fired_ms": {"p50": pct(fired_late, 0.5), "p99": pct(fired_late, 0.99),
                                 "max": max(fired_late)},
           "relay_exit": rc,
           "note": "lateness_kafka = Kafka timestamp of the milestone's last escalation - due time"}
    print(json.dumps(res), flush=True)
    return res


def phase_restart(args, port):
    if args.no_seed:
        reset(TAG_RESTART, args.restart, 32)
    psql(f"UPDATE milestones m SET due_at = now() - interval '1 s' FROM cases c "
         f"WHERE c.id = m.case_id AND {ref_range(TAG_RESTART, args.restart)} AND m.name = 'reminder'")
    psql("VACUUM ANALYZE milestones")
    poll = Poller()
    t_start = float(poll.ask("SELECT extract(epoch FROM clock_timestamp())"))
    relay = start_relay("bench-restart", port)
    try:
        t_ready = float(poll.ask("SELECT extract(epoch FROM clock_timestamp())"))
        t_end = wait_done(poll, "now()")
        last = float(psql(f"SELECT extract(epoch FROM max(m.fired_at)) FROM milestones m "
                          f"JOIN cases c ON c.id = m.case_id WHERE {ref_range(TAG_RESTART, args.restart)} "
                          f"AND m.name = 'reminder'"))
    finally:
        poll.close()
        rc = stop_relay(relay)
    res = {"phase": "restart", "overdue": args.restart,
           "all_confirmed_after_start_s": round(t_end - t_start, 3),
           "last_fired_after_start_s": round(last - t_start, 3),
           "ready_after_start_s": round(t_ready - t_start, 3),
           "milestones_per_s": round(args.restart / (t_end - t_start)),
           "relay_exit": rc,
           "note": "start = process spawned; includes connecting and the first claim"}
    print(json.dumps(res), flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pending", type=int, default=1000000)
    ap.add_argument("--due", type=int, default=50000)
    ap.add_argument("--steady-rate", type=int, default=1000)
    ap.add_argument("--steady-seconds", type=int, default=20)
    ap.add_argument("--restart", type=int, default=50000)
    ap.add_argument("--warmup", type=int, default=20000)
    ap.add_argument("--phases", default="instant,steady,restart")
    ap.add_argument("--port", type=int, default=18481)
    ap.add_argument("--no-seed", action="store_true")
    args = ap.parse_args()
    phases = args.phases.split(",")
    if not args.no_seed:
        t = time.monotonic()
        subprocess.run([BIN, "migrate"], check=True, capture_output=True)
        steady_n = args.steady_rate * args.steady_seconds
        seed(TAG_INSTANT, args.due, 30)
        seed(TAG_STEADY, steady_n, 31)
        seed(TAG_RESTART, args.restart, 32)
        if args.warmup:
            seed(TAG_WARMUP, args.warmup, 33)
        future = max(0, (args.pending - 3 * (args.due + steady_n + args.restart + args.warmup)) // 3)
        seed(TAG_FUTURE, future, 10)
        psql("VACUUM ANALYZE")
        psql("CHECKPOINT")
        pending = psql("SELECT count(*) FROM milestones WHERE state = 'pending'")
        print(json.dumps({"phase": "seed", "cases": int(psql("SELECT count(*) FROM cases")),
                          "pending_milestones": int(pending),
                          "seconds": round(time.monotonic() - t, 1)}), flush=True)
    results = {}
    if args.warmup:
        results["warmup"] = phase_warmup(args, args.port)
    if "instant" in phases:
        results["instant"] = phase_instant(args, args.port)
    if "steady" in phases:
        results["steady"] = phase_steady(args, args.port)
    if "restart" in phases:
        results["restart"] = phase_restart(args, args.port)
    with open(f"{OUT}/relay48-bench-timers.json", "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
