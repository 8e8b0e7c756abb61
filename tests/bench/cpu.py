"""CPU seconds of the processes a benchmark runs against, read from /proc:
a figure the load of a shared machine moves far less than elapsed time.
Used by tests/bench/timers/bench.py and tests/bench/intake/run.sh
(`python3 tests/bench/cpu.py RELAY_PID` prints a snapshot as JSON)."""
import json
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")


def proc_ticks(pid, children=False):
    """CPU ticks (user + system) of a process, and of its reaped children."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    t = int(fields[11]) + int(fields[12])
    return t + int(fields[13]) + int(fields[14]) if children else t


def process_kind(title):
    """What a PostgreSQL process is, from its title ("postgres: walwriter",
    "postgres: relay48 bench_timers 127.0.0.1(4242) idle"): its kind, or the
    user and database of a backend."""
    words = title.removeprefix("postgres: ").split()
    if len(words) >= 3 and "(" in words[2]:
        return f"backend {words[0]} {words[1]}"
    return " ".join(words[:2])


def cpu_snapshot(relay_pid):
    """CPU seconds so far of the relay, of PostgreSQL (the postmaster, its live
    processes and the backends it reaped: RELAY48_BENCH_PG_PID) and of Kafka
    (RELAY48_BENCH_KAFKA_PID): what the firing costs whatever else runs on the
    machine."""
    snap = {"relay48": proc_ticks(relay_pid)}
    pg = os.environ.get("RELAY48_BENCH_PG_PID")
    if pg:
        own = proc_ticks(pg)
        total = proc_ticks(pg, children=True)
        by = {"postmaster": own, "exited": total - own}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    ppid = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1]
                    title = open(f"/proc/{d}/cmdline").read().split("\0")[0]
                except OSError:
                    continue
                if ppid == pg:
                    t = proc_ticks(d)
                    total += t
                    by[f"{d} {process_kind(title)}"] = t
        snap["postgresql"] = total
        if os.environ.get("RELAY48_BENCH_PG_DETAIL"):
            snap["postgresql_by_process"] = by
    kafka = os.environ.get("RELAY48_BENCH_KAFKA_PID")
    if kafka:
        snap["kafka"] = proc_ticks(kafka)
    return snap


def cpu_spent(before, after):
    """Seconds spent between two snapshots; with RELAY48_BENCH_PG_DETAIL, per
    PostgreSQL process too (summed by kind, which adds up to "postgresql";
    "exited": processes reaped in between, such as autovacuum workers)."""
    out = {k: round((after[k] - before[k]) / TICK, 2)
           for k in before if k in after and isinstance(before[k], int)}
    if "postgresql_by_process" in after:
        b0 = before.get("postgresql_by_process", {})
        kinds = {}
        for key, t in after["postgresql_by_process"].items():
            kind = key.split(" ", 1)[1] if " " in key else key
            kinds[kind] = kinds.get(kind, 0) + t - b0.get(key, 0)
        out["postgresql_by_kind"] = {k: round(v / TICK, 2) for k, v in sorted(kinds.items()) if v}
    return out


if __name__ == "__main__":
    print(json.dumps(cpu_snapshot(sys.argv[1])))
