"""Helpers for relay48's integration, fault and browser tests.

Stdlib only. The servers are the real ones that ops/pg.sh and ops/kafka.sh
started; each test makes its own database and its own relay48 process on a
free port, so tests do not see each other's rows.
"""
import json
import os
import random
import socket
import string
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

SRC = os.environ.get("RELAY48_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("RELAY48_BUILD_DIR") or os.path.join(SRC, "build")
RELAY_BIN = os.environ.get("RELAY48_BIN") or os.path.join(BUILD, "relay48")


def ops(script, *args, check=True):
    """Run ops/<script> and return its stdout."""
    out = subprocess.run([os.path.join(SRC, "ops", script), *args], capture_output=True,
                         text=True, timeout=300)
    if check and out.returncode != 0:
        raise RuntimeError(f"ops/{script} {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def pg_url(db=None):
    url = ops("pg.sh", "url")
    return url if db is None else url.rsplit("/", 1)[0] + "/" + db


def brokers():
    return ops("kafka.sh", "brokers")


def psql(sql, db=None, check=True):
    out = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", pg_url(db), "-c", sql],
                         capture_output=True, text=True, timeout=60)
    if check and out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def fresh_database(prefix):
    """A new empty database named after the test; dropped first if left over."""
    name = f"t_{prefix}_{os.getpid()}"
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', db="postgres")
    psql(f'CREATE DATABASE "{name}"', db="postgres")
    return name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(n=8):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


class Relay:
    """One relay48 process with its own port and log file."""

    def __init__(self, db, name="relay", env=None, args=("serve",)):
        self.db = db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(BUILD, "test-logs", f"{name}-{self.port}.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.env = dict(os.environ)
        self.env.update({
            "RELAY48_HTTP_PORT": str(self.port),
            "RELAY48_DATABASE_URL": pg_url(db),
            "RELAY48_KAFKA_BOOTSTRAP_SERVERS": brokers(),
            "RELAY48_SQL_DIR": os.path.join(SRC, "sql"),
            "RELAY48_PROBE_INTERVAL_MS": "250",
            "RELAY48_INSTANCE": name,
            "RELAY48_TOKEN_KEY": "5e" * 32,
            # Tests drive load through one key; the per-key limit (600 a
            # minute by default) is test_connection_abuse's business.
            "RELAY48_API_RATE_PER_MINUTE": "1000000",
            "RELAY48_API_RATE_BURST": "100000",
        })
        self.env.update(env or {})
        self.args = list(args)
        self.proc = None

    def run(self, *args, check=True, input=None):
        """Run a relay48 subcommand with this relay's configuration."""
        out = subprocess.run([RELAY_BIN, *args], env=self.env, capture_output=True, text=True,
                             timeout=120, input=input)
        if check and out.returncode != 0:
            raise RuntimeError(f"relay48 {' '.join(args)}: {out.returncode} {out.stderr.strip()}")
        return out

    def migrate(self):
        return self.run("migrate")

    def create_key(self, party="partner-test", role="partner"):
        """A new API key of this relay's database; returns the key."""
        return self.run("key", "create", "--party", party, "--role", role).stdout.strip()

    def start(self, wait_ready=True, timeout=30):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([RELAY_BIN, *self.args], env=self.env, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        wait_until(lambda: self.get("/healthz")[0] == 200, timeout, "relay /healthz")
        if wait_ready:
            wait_until(lambda: self.get("/readyz")[0] == 200, timeout, "relay /readyz")
        return self

    def stop(self, sig="TERM", timeout=20):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(getattr(__import__("signal"), "SIG" + sig))
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        self.logf.close()
        text = self.log()
        if "ERROR: AddressSanitizer" in text or "ERROR: LeakSanitizer" in text or \
                "runtime error:" in text:
            raise AssertionError(f"sanitizer report in {self.log_path}")
        return rc

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def request(self, method, path, body=None, headers=None, timeout=10):
        return http(method, self.base + path, body, headers, timeout)

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_json(self, path, obj, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        data = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
        return self.request("POST", path, data, h)


def http(method, url, body=None, headers=None, timeout=10):
    """(status, headers dict lower-cased, parsed JSON body or text)."""
    if isinstance(body, str):
        body = body.encode()
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, hdrs, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError) as e:
        return 0, {}, str(e)
    h = {k.lower(): v for k, v in hdrs.items()}
    text = raw.decode("utf-8", "replace")
    if "json" in h.get("content-type", ""):
        try:
            return status, h, json.loads(text)
        except ValueError:
            pass
    return status, h, text


def wait_until(pred, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # a server still starting may refuse
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


_marks = {}


def kafka_mark(*topics):
    """From now on kafka_messages reads only what was produced after this
    moment (topics hold earlier tests' events): a start timestamp, which the
    broker turns into offsets (kcat -o s@ms), minus a second of slack."""
    now_ms = int(time.time() * 1000) - 1000
    for topic in topics:
        _marks[topic] = now_ms


def _consume(topic):
    fmt = "%k\t%p\t%o\t%h\t%s\n"
    start = f"s@{_marks[topic]}" if topic in _marks else "beginning"
    return subprocess.run(["kcat", "-b", brokers(), "-C", "-t", topic, "-o", start, "-e", "-q",
                           "-f", fmt], capture_output=True, text=True, timeout=60).stdout


def kafka_messages(topic, match=None, timeout=15, expect=None):
    """Messages of topic (since kafka_mark, else from the beginning) as dicts
    with key, headers, value (parsed JSON), partition, offset. match(msg)
    filters; stops when `expect` matched messages were read or at timeout."""
    deadline = time.monotonic() + timeout
    found = []
    while time.monotonic() < deadline:
        text = _consume(topic)
        found = []
        for line in text.splitlines():
            parts = line.split("\t", 4)
            if len(parts) != 5:
                continue
            key, part, off, hdrs, value = parts
            try:
                v = json.loads(value)
            except ValueError:
                v = value
            headers = {}
            for kv in hdrs.split(","):
                if "=" in kv:
                    k, _, val = kv.partition("=")
                    headers[k] = val
            msg = {"key": key, "partition": int(part), "offset": int(off), "headers": headers,
                   "value": v}
            if match is None or match(msg):
                found.append(msg)
        if expect is None or len(found) >= expect:
            return found
        time.sleep(0.5)
    return found


def run_tests(module_globals):
    """Run every test_* function of the calling module in file order; print a
    closing line ctest and CI can read; exit non-zero on any failure."""
    tests = [(n, f) for n, f in module_globals.items() if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, fn in tests:
        t0 = time.monotonic()
        try:
            fn()
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {name} ({time.monotonic() - t0:.1f}s)", flush=True)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not passed else 0)
