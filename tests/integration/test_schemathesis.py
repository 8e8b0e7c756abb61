"""Contract fuzzing: schemathesis (from PyPI, in a virtual environment this
test makes once and reuses) against proto/openapi.yaml and a live relay48 on
a fresh database, every operation, RELAY48_ST_EXAMPLES (1000) fuzzed cases
each plus the schema's examples and the coverage phase, with the checks
not_a_server_error, status_code_conformance, response_schema_conformance,
content_type_conformance, response_headers_conformance,
negative_data_rejection, ignored_auth, and proto_schema_conformance (every
JSON answer against its JSON Schema in proto/schemas, tests/contract/hooks.py).
The figure is 0 failures.

Keys for each party come from `relay48 key create`, two banks from `relay48
bank add` (their webhook secrets sign the fuzzed webhooks), and a few cases
and case pages are made first so that the case operations meet cases that
exist (tests/contract/hooks.py says how schemathesis is helped, and why none
of it makes an invalid request valid). The operations are split over
RELAY48_ST_SHARDS (2) schemathesis processes run side by side (one Python
process is bound by the GIL; the relay is not the bottleneck). It prints one
line per operation (cases checked by phase, positive and negative, status
codes, ignored_auth probes) and the time, and writes them to
build/schemathesis/figures.json. docs/reliability.md "Contract fuzzing".

Knobs: RELAY48_ST_EXAMPLES, RELAY48_ST_SEED (random unless given; printed,
for a replay), RELAY48_ST_SHARDS, RELAY48_ST_VENV (the venv's directory).
"""
import fcntl
import hashlib
import http.client
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from reports import fr_iban, transfer  # noqa: E402
from stack import BUILD, SRC, Relay, fresh_database, run_tests, wait_until  # noqa: E402

CONTRACT = os.path.join(SRC, "tests", "contract")
REQUIREMENTS = os.path.join(CONTRACT, "requirements.txt")
OUT = os.path.join(BUILD, "schemathesis")
EXAMPLES = int(os.environ.get("RELAY48_ST_EXAMPLES", "1000"))
SHARDS = max(1, int(os.environ.get("RELAY48_ST_SHARDS", "2")))
CHECKS = ["not_a_server_error", "status_code_conformance", "response_schema_conformance",
          "content_type_conformance", "response_headers_conformance",
          "negative_data_rejection", "ignored_auth",
          "proto_schema_conformance"]  # tests/contract/hooks.py: answers against proto/schemas
MASTER = "5c" * 32
# Operations by the time their generation takes (declareCardFrauds and
# createReport cost the most), dealt so that shards end together.
OPERATIONS = ["declareCardFrauds", "createReport", "receiveBankWebhook", "postReportForm",
              "acknowledgeCase", "getCasePage", "listCases", "getCase", "getReportForm",
              "getHealthz", "getReadyz", "getMetrics"]
# Operations with no input at all: schemathesis has one case to send.
NO_INPUT = {"GET /healthz", "GET /readyz", "GET /metrics"}
SECURED = {"POST /v1/reports", "POST /v1/declarations/perceval", "POST /v1/cases/{ref}/acks",
           "GET /v1/cases/{ref}", "GET /v1/cases", "POST /v1/webhooks/banks/{bic}"}

relay = None
figures = {}


def venv():
    """The virtual environment with tests/contract/requirements.txt, made
    once per requirements and Python version; a lock keeps two runs from
    building it at the same time."""
    with open(REQUIREMENTS, "rb") as f:
        digest = hashlib.sha256(f.read() + sys.version.encode()).hexdigest()[:12]
    path = os.environ.get("RELAY48_ST_VENV") or os.path.join(
        os.path.expanduser("~"), ".cache", "relay48", f"venv-schemathesis-{digest}")
    exe = os.path.join(path, "bin", "schemathesis")
    stamp = os.path.join(path, ".relay48-requirements")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(stamp) and os.path.exists(exe):
            return exe
        t0 = time.monotonic()
        shutil.rmtree(path, ignore_errors=True)
        out = subprocess.run([sys.executable, "-m", "venv", path], capture_output=True, text=True)
        assert out.returncode == 0, (
            f"python3 -m venv failed (Debian: apt-get install python3-venv): {out.stderr}")
        out = subprocess.run([os.path.join(path, "bin", "python"), "-m", "pip", "install",
                              "--disable-pip-version-check", "--no-input", "-q", "-r",
                              REQUIREMENTS], capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, f"pip install -r {REQUIREMENTS} failed:\n{out.stderr[-3000:]}"
        with open(stamp, "w") as f:
            f.write(digest + "\n")
        print(f"venv: made {path} in {time.monotonic() - t0:.0f}s", flush=True)
        return exe


def page_request(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=15)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    text = resp.read().decode("utf-8", "replace")
    location = resp.getheader("Location")
    conn.close()
    return resp.status, location, text


def case_page():
    """A case made through the web form: its ref and its page's token."""
    _, _, page = page_request("GET", "/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    fields = {"csrf": csrf, "kind": "transfer", "lang": "fr",
              "executed_at": time.strftime("%Y-%m-%dT%H:00", time.localtime(time.time() - 7200)),
              "amount": "1 250,00", "currency": "EUR", "rail": "unknown",
              "debtor_iban": fr_iban("30004"), "creditor_iban": fr_iban("30003"),
              "victim_type": "person", "victim_name": "Claire Martin",
              "email": "claire.martin@example.org", "postal_code": "31000", "scenario": "other"}
    status, location, text = page_request(
        "POST", "/report", urllib.parse.urlencode(fields),
        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, (status, text[:500])
    m = re.fullmatch(r"/case/(R48-[0-9A-Z-]+)\?t=([A-Za-z0-9_-]{43})(&lang=en)?", location)
    assert m, location
    return [m.group(1), m.group(2)]


def setup():
    global relay
    db = fresh_database("schemathesis")
    relay = Relay(db, name="schemathesis", env={
        "RELAY48_WEBHOOKS_ENABLED": "1",
        "RELAY48_MASTER_KEY": MASTER,
        "RELAY48_WEB_RATE_PER_MINUTE": "100000",
        "RELAY48_WEB_RATE_BURST": "10000",
        "RELAY48_KEYS_REFRESH_MS": "200",
        "RELAY48_BANKS_REFRESH_MS": "200",
    })
    relay.migrate()
    keys = {}
    for name, role in (("PARTNER", "partner"), ("PLATFORM", "platform"),
                       ("BANK", "bank:BNPAFRPP"), ("POLICE", "police:NATIONAL")):
        keys[name] = relay.create_key(f"schemathesis-{name.lower()}", role)
    secrets = {}
    for bic, name in (("BNPAFRPP", "BNP Paribas"), ("SOGEFRPP", "Societe Generale")):
        secrets[bic] = relay.run("bank", "add", "--bic", bic, "--name", name, "--endpoint",
                                 f"https://{bic.lower()}.example/relay48").stdout.strip()
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("bin,bic,name\n497010,CRLYFRPP,Test issuer (not a real BIN range)\n")
    relay.run("bin", "import", f.name)
    os.unlink(f.name)
    relay.start()
    auth = {"Authorization": "Bearer " + keys["PARTNER"]}
    wait_until(lambda: relay.post_json("/v1/reports", {}, auth)[0] == 422, 10, "keys loaded")
    bank_refs = []
    for _ in range(8):  # addressed to BNPAFRPP, the bank whose key reads and acknowledges
        s, _, r = relay.post_json("/v1/reports", transfer(debtor_bank="30004"), auth)
        assert s == 201, (s, r)
        bank_refs.append(r["ref"])
    os.makedirs(OUT, exist_ok=True)
    context = {"base": relay.base, "bank_secrets": secrets, "bank_refs": bank_refs,
               "pages": [case_page() for _ in range(4)]}
    with open(os.path.join(OUT, "context.json"), "w") as f:
        json.dump(context, f)
    return keys


def shard_command(exe, ops, seed, summary):
    cmd = [exe, "--config-file", os.path.join(CONTRACT, "schemathesis.toml"), "run",
           os.path.join(SRC, "proto", "openapi.yaml"), "--url", relay.base,
           "--checks", ",".join(CHECKS), "--phases", "examples,coverage,fuzzing",
           "--max-examples", str(EXAMPLES), "--seed", str(seed), "--workers", "1",
           # no example database: its Pareto front costs more than half the time
           "--generation-database", "none", "--suppress-health-check", "all",
           # credentials come from hooks.py; ignored_auth probes without them
           "--generation-with-security-parameters", "false",
           "--request-timeout", "10", "--no-color", "--output-truncate", "false",
           "--report", "junit", "--report-junit-path",
           os.path.join(OUT, os.path.basename(summary).replace(".json", ".junit.xml"))]
    for op in ops:
        cmd += ["--include-operation-id", op]
    return cmd


def test_contract():
    exe = venv()
    keys = setup()
    seed = int(os.environ.get("RELAY48_ST_SEED") or random.randrange(2 ** 63))
    print(f"seed {seed} (RELAY48_ST_SEED={seed} replays it), {EXAMPLES} examples an operation, "
          f"{SHARDS} shards", flush=True)
    env = dict(os.environ)
    env.update({f"RELAY48_ST_KEY_{k}": v for k, v in keys.items()})
    env.update({"RELAY48_ST_CONTEXT": os.path.join(OUT, "context.json"),
                "SCHEMATHESIS_HOOKS": "hooks", "PYTHONPATH": CONTRACT,
                "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"})
    t0 = time.monotonic()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = []
    for n in range(SHARDS):
        ops = OPERATIONS[n::SHARDS]
        summary = os.path.join(OUT, f"shard{n}.json")
        if os.path.exists(summary):
            os.unlink(summary)
        log = open(os.path.join(OUT, f"shard{n}.log"), "w")
        procs.append((n, summary, log, subprocess.Popen(
            shard_command(exe, ops, seed, summary), env=dict(env, RELAY48_ST_SUMMARY=summary),
            stdout=log, stderr=subprocess.STDOUT, cwd=OUT)))
    codes = {}
    for n, summary, log, p in procs:
        try:
            codes[n] = p.wait(timeout=800)
        except subprocess.TimeoutExpired:
            p.kill()
            codes[n] = p.wait()
        log.close()
    elapsed = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    ops, errors = {}, []
    for n, summary, _, _ in procs:
        with open(os.path.join(OUT, f"shard{n}.log")) as f:
            text = f.read()
        if codes[n] != 0:
            print(f"---- shard {n} exited {codes[n]}; its output:\n{text[-20000:]}", flush=True)
        assert os.path.exists(summary), f"shard {n} wrote no summary (exit {codes[n]})"
        with open(summary) as f:
            data = json.load(f)
        ops.update(data["operations"])
        errors += data["errors"]

    print(f"{'operation':32} {'examples':>8} {'coverage':>8} {'fuzzing':>8} {'pos':>6} "
          f"{'neg':>6} {'probes':>6}  statuses", flush=True)
    failures = []
    for label in sorted(ops):
        o = ops[label]
        ph = o["phases"]
        n = {p: ph.get(p, {}).get("cases", 0) for p in ("examples", "coverage", "fuzzing")}
        pos = sum(v.get("positive", 0) for v in ph.values())
        neg = sum(v.get("negative", 0) for v in ph.values())
        statuses = {}
        for by in o["statuses"].values():
            for code, c in by.items():
                statuses[code] = statuses.get(code, 0) + c
        print(f"{label:32} {n['examples']:8} {n['coverage']:8} {n['fuzzing']:8} {pos:6} {neg:6} "
              f"{o['probes']:6}  " + " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())),
              flush=True)
        failures += [dict(f, operation=label) for f in o["failures"]]
        figures[label] = {"cases": n, "positive": pos, "negative": neg, "statuses": statuses,
                          "auth_probes": o["probes"], "probe_statuses": o["probe_statuses"],
                          "failures": len(o["failures"])}
    total = sum(sum(f["cases"].values()) for f in figures.values())
    print(f"{total} cases, {len(failures)} failures, {len(errors)} errors, {elapsed:.0f}s "
          f"({cpu:.0f} CPU s in schemathesis; seed {seed})", flush=True)
    with open(os.path.join(OUT, "figures.json"), "w") as f:
        json.dump({"seed": seed, "examples": EXAMPLES, "shards": SHARDS,
                   "seconds": round(elapsed), "schemathesis_cpu_seconds": round(cpu),
                   "cases": total, "failures": failures,
                   "errors": errors, "operations": figures}, f, indent=1, sort_keys=True)

    assert not failures, json.dumps(failures, indent=1)[:5000]
    assert not errors, json.dumps(errors, indent=1)[:5000]
    assert all(c == 0 for c in codes.values()), codes
    assert len(ops) == len(OPERATIONS), sorted(ops)
    for label, f in figures.items():
        floor = 1 if label in NO_INPUT else EXAMPLES
        assert f["cases"]["fuzzing"] >= floor, (label, f["cases"])
        if label in SECURED:  # ignored_auth sent its probes without / with bad credentials
            assert f["auth_probes"] >= 2 and set(f["probe_statuses"]) == {"401"}, (label, f)
    # the relay took all of it: still alive, ready, and no sanitizer report
    assert relay.get("/readyz")[0] == 200


if __name__ == "__main__":
    try:
        run_tests(globals())
    finally:
        if relay is not None:
            rc = relay.stop()
            assert rc == 0, f"relay48 exited {rc}"
