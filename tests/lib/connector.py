"""Helpers for the connector tests (stdlib only): the relay48-connector
process, a local HTTPS test endpoint with a self-signed certificate made by
the `openssl` command, an independent Standard Webhooks verifier, and a
producer of escalations through kcat.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import atexit
import uuid

import stack
from stack import BUILD, brokers, free_port, pg_url, wait_until

CONNECTOR_BIN = os.environ.get("RELAY48_CONNECTOR_BIN") or os.path.join(BUILD, "relay48-connector")
MASTER_KEY = "4d" * 32  # tests only


# ----------------------------------------------------------------------------- signatures

def verify_signature(secret_text, headers, body, now=None, tolerance=300):
    """Standard Webhooks, written from the specification (not from relay48's
    code): HMAC-SHA256 under the base64-decoded bytes after "whsec_" of
    "<webhook-id>.<webhook-timestamp>.<body>", base64, any of the
    space-separated "v1," signatures; the timestamp within the tolerance.
    Returns None when valid, else why not."""
    if not secret_text.startswith("whsec_"):
        return "secret is not whsec_"
    text = secret_text[len("whsec_"):]
    key = base64.b64decode(text + "=" * (-len(text) % 4))
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sig = headers.get("webhook-signature")
    if not msg_id or not ts or not sig:
        return "missing webhook headers"
    if not ts.isdigit():
        return "bad timestamp"
    now = time.time() if now is None else now
    if abs(now - int(ts)) > tolerance:
        return "timestamp outside the tolerance"
    mac = hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256)
    expected = base64.b64encode(mac.digest()).decode()
    for part in sig.split(" "):
        version, _, value = part.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "no matching v1 signature"


# ----------------------------------------------------------------------------- the endpoint

def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key) paths."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=relay48 test endpoint",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class Endpoint:
    """A local HTTPS (or plain HTTP) server that records every POST, by path.
    plan[path] is a list of answers used in turn, the last one repeated:
    (status, headers dict, body) or a callable(request) -> that tuple."""

    def __init__(self, tls=True, directory=None):
        self.requests = []
        self.plan = {}
        self.lock = threading.Lock()
        self.delay = 0.0
        self.tmp = directory or tempfile.mkdtemp(prefix="relay48-endpoint-")
        self.tls = tls
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                req = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": body, "at": time.time(), "status": None}
                try:
                    req["json"] = json.loads(body)
                except ValueError:
                    req["json"] = None
                with outer.lock:
                    outer.requests.append(req)
                    answers = outer.plan.get(self.path) or [(200, {}, b'{"received":true}')]
                    answer = answers.pop(0) if len(answers) > 1 else answers[0]
                if callable(answer):
                    answer = answer(req)
                if outer.delay:
                    time.sleep(outer.delay)
                status, headers, out = answer
                req["status"] = status
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request, client_address):
                pass  # a client killed mid-request (kill -9 tests): not the test's concern

        self.port = free_port()
        self.server = Server(("127.0.0.1", self.port), Handler)
        if tls:
            self.cert, self.key = make_certificate(self.tmp)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.cert, self.key)
            # The handshake happens in the handler's thread, not in accept().
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True,
                                                 do_handshake_on_connect=False)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def got(self, path=None, match=None):
        with self.lock:
            reqs = list(self.requests)
        return [r for r in reqs if (path is None or r["path"] == path) and
                (match is None or match(r))]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port():
    """A port nothing listens on (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ----------------------------------------------------------------------------- the connector

_live = set()


@atexit.register
def _kill_leftovers():
    """A test that failed half-way leaves no connector running behind it."""
    for c in list(_live):
        if c.proc is not None and c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait()


class Connector:
    """One relay48-connector process with its own group, port and log."""

    def __init__(self, db, role, ca_file=None, group=None, start_ms=None, env=None, name=None):
        self.role = role
        self.port = free_port()
        self.name = name or f"connector-{role}"
        self.log_path = os.path.join(BUILD, "test-logs", f"{self.name}-{self.port}.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.env = dict(os.environ)
        self.env.update({
            "RELAY48_DATABASE_URL": pg_url(db),
            "RELAY48_KAFKA_BOOTSTRAP_SERVERS": brokers(),
            "RELAY48_INSTANCE": self.name,
            "RELAY48_MASTER_KEY": MASTER_KEY,
            "RELAY48_CONNECTOR_HTTP_PORT": str(self.port),
            "RELAY48_CONNECTOR_GROUP": group or f"test-{role}-{uuid.uuid4().hex[:10]}",
            # Records produced from now on (same clock as kcat's CreateTime).
            "RELAY48_CONNECTOR_START_MS": str(start_ms or int(time.time() * 1000)),
            "RELAY48_CONNECTOR_REGISTRY_REFRESH_MS": "500",
            "RELAY48_PROBE_INTERVAL_MS": "250",
            "RELAY48_KAFKA_AUTO_COMMIT_INTERVAL_MS": "1000",
            # a consumer leaving the group is noticed fast (kill -9 tests)
            "RELAY48_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "RELAY48_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
        })
        if ca_file:
            self.env["RELAY48_CONNECTOR_CA_FILE"] = ca_file
        self.env.update(env or {})
        self.proc = None
        self.logf = None

    def start(self, wait_ready=True, timeout=40):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([CONNECTOR_BIN, "--role", self.role], env=self.env,
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        _live.add(self)
        if wait_ready:
            wait_until(lambda: self.ready(), timeout, f"connector {self.role} /readyz")
        return self

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"connector exited {self.proc.returncode}: {self.log()[-2000:]}")
        return stack.http("GET", f"http://127.0.0.1:{self.port}/readyz")[0] == 200

    def metrics(self):
        status, _, text = stack.http("GET", f"http://127.0.0.1:{self.port}/metrics")
        assert status == 200, text
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, v = line.rpartition(" ")
                try:
                    values[name] = float(v)
                except ValueError:
                    pass
        return values

    def stop(self, sig="TERM", timeout=30):
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

    def kill(self):
        """kill -9: nothing is flushed, nothing committed."""
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self.logf.close()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self, event=None):
        out = []
        for line in self.log().splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if event is None or d.get("event") == event:
                out.append(d)
        return out


# ----------------------------------------------------------------------------- producing

def produce(topic, key, value, ce_id=None, ce_type=None, ce_time=None):
    """One record with CloudEvents headers through kcat; returns its ce_id."""
    ce_id = ce_id or str(uuid.uuid4())
    ce_type = ce_type or ("escalation.bank" if "bank" in topic else "escalation.police")
    ce_time = ce_time or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    data = value if isinstance(value, (bytes, str)) else json.dumps(value)
    if isinstance(data, str):
        data = data.encode()
    cmd = ["kcat", "-b", brokers(), "-P", "-t", topic, "-k", key, "-D", "\x1e",
           "-H", "ce_specversion=1.0", "-H", f"ce_id={ce_id}", "-H", "ce_source=urn:relay48:test",
           "-H", f"ce_type={ce_type}", "-H", f"ce_time={ce_time}",
           "-H", "content-type=application/json"]
    subprocess.run(cmd, input=data, check=True, capture_output=True, timeout=60)
    return ce_id


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def bank_escalation(ref, bic, role="creditor_bank", deadline_in=3600, milestone="alert",
                    e2e="E2E-2026032810000042", debtor_bic="BNPAFRPP"):
    """An escalation.bank payload (proto/schemas/event_escalation_bank.json)."""
    now = time.time()
    creditor_bic = bic if role == "creditor_bank" else "QNTOFRP1"
    ev = {
        "ref": ref, "milestone": milestone, "severity": "alert", "role": role, "bic": bic,
        "bank_name": "Test bank", "kind": "transfer", "rail": "sct_inst",
        "received_at": utc(now - 60), "start_at": utc(now - 3600),
        "deadline_at": utc(now + deadline_in),
        "amount": {"value": "12500.00", "currency": "EUR"},
        "debtor": {"iban": "FR7630004008190001234567879", "bic": bic if role == "debtor_bank"
                   else debtor_bic, "name": "Commune de Saint-Genis-les-Ollières"},
        "creditor": {"iban": "FR7616958000017412589630158", "bic": creditor_bic,
                     "name": "SECURIS <CONSEIL> & Fils"},
        "scenario": "fake_bank_advisor", "narrative": "Un faux conseiller.",
        "victim": {"name": "Mairie de Saint-Genis", "email": "secretariat@mairie.example",
                   "phone": "+33 4 78 57 00 00"},
        "linked_cases": [], "ack_url": f"/v1/cases/{ref}/acks",
    }
    if e2e:
        ev["end_to_end_id"] = e2e
    return ev


def police_escalation(ref, departement="31", postal_code="31000", deadline_in=3600):
    now = time.time()
    return {
        "ref": ref, "milestone": "alert", "severity": "alert", "departement": departement,
        "departement_name": "Haute-Garonne", "national_queue": departement == "NATIONAL",
        "reasons": ["amount_threshold"], "kind": "transfer", "rail": "sct_inst",
        "received_at": utc(now - 60), "start_at": utc(now - 3600),
        "deadline_at": utc(now + deadline_in), "window_state": "open",
        "amount": {"value": "12500.00", "currency": "EUR"}, "debtor_bic": "BNPAFRPP",
        "creditor": {"iban": "FR7616958000017412589630158", "bic": "QNTOFRP1",
                     "name": "SECURIS CONSEIL SAS"},
        "scenario": "fake_bank_advisor",
        "victim": {"name": "Claire Martin", "email": "claire@example.org",
                   "phone": "+33 6 12 34 56 78", "postal_code": postal_code},
        "linked_cases": [], "ack_url": f"/v1/cases/{ref}/acks",
    }


_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ref():
    import random
    parts = ["".join(random.choice(_REF_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "R48-" + "-".join(parts)


def new_bic():
    import random
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "T" + "".join(random.choice(letters) for _ in range(3)) + "FRP" + \
        random.choice("123456789")
