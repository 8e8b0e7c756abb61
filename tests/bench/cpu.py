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


def cpu_snapshot(relay_pid):
    """CPU seconds so far of the relay, of PostgreSQL (the postmaster, its live
    processes and the backends it reaped: RELAY48_BENCH_PG_PID) and of Kafka
    (RELAY48_BENCH_KAFKA_PID): what the firing costs whatever else runs on the
    machine."""
    snap = {"relay48": proc_ticks(relay_pid)}
    pg = os.environ.get("RELAY48_BENCH_PG_PID")
    if pg:
        total = proc_ticks(pg, children=True)
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    ppid = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1]
                except OSError:
                    continue
                if ppid == pg:
                    total += proc_ticks(d)
        snap["postgresql"] = total
    kafka = os.environ.get("RELAY48_BENCH_KAFKA_PID")
    if kafka:
        snap["kafka"] = proc_ticks(kafka)
    return snap


def cpu_spent(before, after):
    return {k: round((after[k] - before[k]) / TICK, 2) for k in before if k in after}


if __name__ == "__main__":
    print(json.dumps(cpu_snapshot(sys.argv[1])))
