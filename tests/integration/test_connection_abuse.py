"""Connection abuse (issue #8 item 4) against one relay with the real
PostgreSQL and Kafka: 5 000 idle connections and slow-header clients hold
connections but do not stop intake, and are closed after
http.request_timeout; past http.max_connections the connection waiting the
longest is closed, and intake still gets in; an oversized request head is
answered 431 problem+json (or, past evhttp's backstop, closed); a partner
flooding at 10x its per-key rate limit is answered 429 for what exceeds the
limit while signed bank webhooks interleaved with it all go through (their
p99 against a quiet baseline of the same run, the issue's "within 20 %",
is measured by `tests/bench/abuse/run.sh`, which runs this file with
`--bench N`).

Prints the figures (connections held, intake during the abuse, 429 ratio,
webhook p50/p99 quiet and under flood). Stdlib only; the flood and the
webhook clients run in their own processes, so that they do not share a
GIL, and the flood at a fixed rate from one thread, so that it does not
load the machine the relay runs on.
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import math
import multiprocessing
import os
import random
import resource
import selectors
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from reports import transfer  # noqa: E402
from stack import Relay, fresh_database, run_tests, unique, wait_until  # noqa: E402

MASTER = "c3" * 32
REQUEST_TIMEOUT_S = 6   # http.request_timeout of this relay (default 20)
CAP = 6000              # http.max_connections of this relay (default 8192)
HEADER_LIMIT = 16384    # http.header_limit, the default
IDLE = 5000
SLOW = 100
RATE_PER_MIN = 600      # api.rate_per_minute, the default: 10 a second
BURST = 2               # api.rate_burst (default 60; see the flood test)
FLOOD_PER_S = 10 * RATE_PER_MIN / 60   # 10x the limit: 100 a second
PHASE_S = 0.5           # quiet and flood phases alternate, half a second each
CYCLES = 56             # 56 quiet + 56 flood phases: 56 s
SETTLE_S = 0.05         # webhook samples this soon after a switch are not counted
WEBHOOKS = 3            # webhook clients, each in its own process
WEBHOOK_EVERY_S = 0.04  # each client's pace (25 a second)
SEED = 48               # of the order of the phases

relay = None
db = None
partner_key = None  # the probes' reports
flood_key = None    # the flood's (the limit is per key)
bank_secret = None


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise AssertionError(f"this test needs {need} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def metric(series):
    """A series of /metrics ("name" or "name{labels}"), 0 when absent."""
    status, _, text = relay.get("/metrics")
    assert status == 200, status
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == series:
            return float(value)
    return 0.0


def post_report():
    """One report on a new connection, as a partner sends it; (status, seconds)."""
    t0 = time.monotonic()
    status = relay.post_json("/v1/reports", transfer(),
                             {"Authorization": f"Bearer {partner_key}"})[0]
    return status, time.monotonic() - t0


PROBE_EVERY_S = 0.125  # 8 reports a second: under the probe key's rate limit


class IntakeProbe:
    """A report every PROBE_EVERY_S on a new connection, in a thread, while
    abuse goes on."""

    def __init__(self):
        self.results = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            status, secs = post_report()
            self.results.append((t, status, secs))
            self.stop.wait(max(0.0, PROBE_EVERY_S - (time.monotonic() - t)))

    def __enter__(self):
        self.t0 = time.monotonic()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)
        self.t1 = time.monotonic()

    def check(self, what):
        statuses = [s for _, s, _ in self.results]
        lat = sorted(secs for _, _, secs in self.results)
        bad = [(round(t - self.t0, 2), s) for t, s, _ in self.results if s != 201]
        print(f"  intake during {what}: {len(statuses)} reports over {self.t1 - self.t0:.1f} s, "
              f"{statuses.count(201)} answered 201, p50 {pct(lat, 50) * 1000:.1f} ms, "
              f"max {lat[-1] * 1000:.1f} ms", flush=True)
        assert len(statuses) >= 20, statuses
        assert not bad, f"intake failed during {what} at (s, status): {bad[:10]}"


def pct(sorted_values, p):
    """Nearest-rank percentile of a sorted list."""
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


opened = {}  # socket -> monotonic time it was connected


def open_idle(n):
    """n connections that send nothing."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
        opened[s] = time.monotonic()
        s.setblocking(False)
        socks.append(s)
    return socks


def watch_closes(socks, deadline_s):
    """Wait until the server closed every socket (EOF or reset), or the
    deadline; {socket: (monotonic time of the close, bytes received)}."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed = {}
    got = {}
    end = time.monotonic() + deadline_s
    while len(closed) < len(socks) and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            except BlockingIOError:
                continue
            if data:
                got[s] = got.get(s, b"") + data
                continue
            closed[s] = (time.monotonic(), got.get(s, b""))
            sel.unregister(s)
    sel.close()
    return closed


def test_idle_and_slow_clients_do_not_stop_intake():
    head = (b"POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"X-Slow: " + b"a" * 400)
    with IntakeProbe() as probe:
        t_open = time.monotonic()
        idle = open_idle(IDLE)
        slow = open_idle(SLOW)
        t_opened = time.monotonic()
        stop = threading.Event()

        sent = {s: 0 for s in slow}

        def trickle():
            # One byte a second to each slow client: evhttp's own timeout
            # (http.timeout) restarts at every byte; http.request_timeout not.
            i = 0
            while not stop.is_set() and i < len(head):
                for s in slow:
                    try:
                        s.send(head[i:i + 1])
                        sent[s] += 1
                    except OSError:
                        pass
                i += 1
                stop.wait(1.0)

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        wait_until(lambda: metric("relay48_http_connections") >= IDLE + SLOW, 10,
                   "the relay holding every idle and slow connection")
        held = metric("relay48_http_connections")
        print(f"  held: {int(held)} connections ({IDLE} idle, {SLOW} slow-header) "
              f"opened in {t_opened - t_open:.2f} s", flush=True)
        closed = watch_closes(idle + slow, REQUEST_TIMEOUT_S + 5)
        stop.set()
        trickler.join(5)
    for s in idle + slow:
        s.close()
    probe.check(f"{IDLE} idle and {SLOW} slow-header connections")
    assert len(closed) == IDLE + SLOW, f"{IDLE + SLOW - len(closed)} connections still open"
    after = sorted(t - opened[s] for s, (t, _) in closed.items())
    slow_after = sorted(closed[s][0] - opened[s] for s in slow)
    print(f"  closed by the relay after {after[0]:.2f} .. {after[-1]:.2f} s "
          f"(http.request_timeout {REQUEST_TIMEOUT_S} s; slow-header clients "
          f"{slow_after[0]:.2f} .. {slow_after[-1]:.2f} s, having sent "
          f"{min(sent.values())} .. {max(sent.values())} bytes of their head)", flush=True)
    # closed at the timeout (swept every second at most), not before
    assert after[0] >= REQUEST_TIMEOUT_S - 0.5, after[0]
    assert after[-1] <= REQUEST_TIMEOUT_S + 2.5, after[-1]
    assert all(data == b"" for _, data in closed.values()), "a closed client got an answer"
    assert metric('relay48_http_connections_closed_total{reason="request_timeout"}') >= IDLE + SLOW


def test_cap_closes_the_longest_waiting():
    before = metric('relay48_http_connections_closed_total{reason="evicted"}')
    extra = 500
    first = open_idle(extra)
    time.sleep(0.3)  # the oldest, clearly
    rest = open_idle(CAP - extra)
    time.sleep(0.3)
    over = open_idle(extra)  # past the cap: each closes one of `first`
    closed = watch_closes(first, 3)
    # At the cap, every new connection (these requests' own) closes the one
    # waiting the longest, and gets in.
    held = metric("relay48_http_connections")
    t0 = time.monotonic()
    reports = []
    for _ in range(20):
        reports.append(post_report())
        time.sleep(max(0.0, PROBE_EVERY_S - reports[-1][1]))
    t1 = time.monotonic()
    mine = 1 + len(reports) + 1  # the two metric reads and the reports
    evicted = metric('relay48_http_connections_closed_total{reason="evicted"}') - before
    closed_rest = watch_closes(rest, 0.2)
    closed_over = watch_closes(over, 0.2)
    for s in first + rest + over:
        s.close()
    lat = sorted(secs for _, secs in reports)
    print(f"  cap {CAP}: opened {CAP + extra} idle connections; the relay held {int(held)}, "
          f"closed the {len(closed)} oldest; at the cap {len(reports)} reports on new "
          f"connections in {t1 - t0:.2f} s: {[st for st, _ in reports].count(201)} answered 201, "
          f"max {lat[-1] * 1000:.1f} ms; evicted {int(evicted)} in all", flush=True)
    assert held <= CAP, held
    assert len(closed) == extra, f"only {len(closed)} of the {extra} oldest were closed"
    assert all(data == b"" for _, data in closed.values())
    assert all(st == 201 for st, _ in reports), reports
    assert not closed_over, f"{len(closed_over)} of the newest connections were closed"
    assert len(closed_rest) <= mine, (len(closed_rest), mine)
    assert extra <= evicted <= extra + mine, evicted


def raw_request(head, timeout=10):
    """Send a raw request head; (status or 0 when closed without one, headers, body)."""
    with socket.create_connection(("127.0.0.1", relay.port), timeout=timeout) as s:
        try:
            s.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data:
                    hdr, _, rest = data.partition(b"\r\n\r\n")
                    n = [int(v) for k, _, v in (ln.partition(b":") for ln in hdr.split(b"\r\n"))
                         if k.strip().lower() == b"content-length"]
                    if n and len(rest) >= n[0]:
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    if not data.startswith(b"HTTP/1."):
        return 0, {}, b""
    hdr, _, body = data.partition(b"\r\n\r\n")
    lines = hdr.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


def head_of(size):
    """A GET /healthz head of about size bytes, in 1 000-byte headers."""
    base = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    lines = []
    total = len(base) + 2
    i = 0
    while total < size:
        n = min(1000, size - total)
        line = b"X-Pad-%d: " % i
        line += b"p" * max(1, n - len(line) - 2) + b"\r\n"
        lines.append(line)
        total += len(line)
        i += 1
    return base + b"".join(lines) + b"\r\n"


def test_oversized_headers():
    status, _, _ = raw_request(head_of(HEADER_LIMIT - 200))
    assert status == 200, status
    for size in (HEADER_LIMIT + 1000, int(HEADER_LIMIT * 1.8)):
        status, headers, body = raw_request(head_of(size))
        assert status == 431, (size, status, body[:200])
        assert headers["content-type"] == "application/problem+json", headers
        problem = json.loads(body)
        assert problem["code"] == "headers_too_large" and problem["status"] == 431, problem
    # Past twice the limit evhttp stops reading: its own answer (413 for too
    # many header lines, 400 for one line too long, text/html) and a close,
    # or a reset while we still send; never more buffered.
    big = head_of(HEADER_LIMIT * 10)
    status_big, _, _ = raw_request(big)
    assert status_big in (0, 400, 413), status_big
    one_line = b"GET /healthz HTTP/1.1\r\nX-Huge: " + b"h" * (HEADER_LIMIT * 3) + b"\r\n\r\n"
    status_line, _, _ = raw_request(one_line)
    assert status_line in (0, 400, 413), status_line
    print(f"  request head {HEADER_LIMIT - 200} B: 200; {HEADER_LIMIT + 1000} B and "
          f"{int(HEADER_LIMIT * 1.8)} B: 431 headers_too_large; {HEADER_LIMIT * 10} B: "
          f"{status_big or 'reset'} and closed by evhttp; one {HEADER_LIMIT * 3} B line: "
          f"{status_line or 'reset'} and closed", flush=True)
    assert relay.get("/healthz")[0] == 200
    assert post_report()[0] == 201


# ---- flood and webhook latency -------------------------------------------------

def signature(key, msg_id, ts, body):
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def webhook_body():
    return json.dumps({"type": "fraud_report.created",
                       "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                       "data": transfer(amount="4200.00")}).encode()


def schedule(seed):
    """CYCLES pairs of phases, each pair quiet-flood or flood-quiet at
    random (seeded, so that every process computes the same): strict
    alternation would line up the relay's own periodic work (scheduler poll,
    outbox sweep, key refresh: multiples of 0.5 s) with one kind of phase."""
    rng = random.Random(seed)
    phases = []
    for _ in range(CYCLES):
        pair = ["quiet", "flood"]
        rng.shuffle(pair)
        phases += pair
    return phases


def phase_at(t, start, phases):
    """('quiet' | 'flood' | None, seconds since the phase began) at monotonic t."""
    k, into = divmod(t - start, PHASE_S)
    if k < 0 or k >= len(phases):
        return None, 0.0
    return phases[int(k)], into


class FloodConn:
    """One keep-alive connection of the flood: a request out at a time."""

    def __init__(self, port, sel):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setblocking(False)
        self.sel = sel
        self.buf = b""
        self.sent_at = None  # None: idle
        sel.register(self.sock, selectors.EVENT_READ, self)

    def send(self, request):
        self.sent_at = time.monotonic()
        self.sock.sendall(request)  # small: fits the socket buffer

    def answer(self):
        """(status, seconds) once a whole answer is in, None before; 0 when closed."""
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            sent_at = self.sent_at
            self.close()
            return None if sent_at is None else (0, time.monotonic() - sent_at)
        self.buf += data
        head, sep, body = self.buf.partition(b"\r\n\r\n")
        if not sep:
            return None
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(body) < length:
            return None
        self.buf = body[length:]
        status = int(head.split(b" ", 2)[1])
        secs = time.monotonic() - self.sent_at
        self.sent_at = None
        return status, secs

    def close(self):
        self.sel.unregister(self.sock)
        self.sock.close()
        self.sent_at = None
        self.sock = None


def flood(port, key, bodies, start, phases, out):
    """The flood, in its own process: FLOOD_PER_S requests a second during
    the flood phases and none during the quiet ones, each sent at its
    planned time on an idle keep-alive connection (a new one when all are
    busy). One thread, requests built beforehand, answers read with
    selectors: the load generator costs the shared machine little, so what
    the webhooks feel is the relay's doing. Puts {status: count}, the 429s'
    latencies, and the requests planned."""
    requests = [(b"POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Authorization: Bearer " + key.encode() + b"\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(b) + b)
                for b in bodies]
    plan = [start + k * PHASE_S + j / FLOOD_PER_S
            for k, phase in enumerate(phases) if phase == "flood"
            for j in range(int(round(PHASE_S * FLOOD_PER_S)))]
    sel = selectors.DefaultSelector()
    conns = []
    counts = {}
    lat429 = []

    def settle(timeout):
        for sk, _ in sel.select(timeout):
            got = sk.data.answer()
            if got is not None:
                status, secs = got
                counts[status] = counts.get(status, 0) + 1
                if status == 429:
                    lat429.append(secs)

    for n, at in enumerate(plan):
        while time.monotonic() < at:
            settle(max(0.0, at - time.monotonic()))
        # a request planned in a phase now over is not sent late
        if time.monotonic() - at > PHASE_S / 2:
            continue
        conns = [c for c in conns if c.sock is not None]
        idle = next((c for c in conns if c.sent_at is None), None)
        if idle is None:
            idle = FloodConn(port, sel)
            conns.append(idle)
        idle.send(requests[n % len(requests)])
    end = time.monotonic() + 10
    while any(c.sent_at is not None for c in conns if c.sock) and time.monotonic() < end:
        settle(0.1)
    for c in conns:
        if c.sock:
            c.close()
    out.put({"counts": counts, "lat429": lat429, "planned": len(plan),
             "connections": len(conns)})


def webhooks(port, secret, start, phases, out):
    """A webhook client, in its own process: one keep-alive connection, one
    signed fraud_report.created every WEBHOOK_EVERY_S from before the
    schedule to its end, the same code in quiet and flood phases. Puts
    {"quiet": [seconds...], "flood": [...], "statuses": {status: count}}."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples = {"quiet": [], "flood": []}
    statuses = {}
    # Before the schedule: warm-up (statements, caches), not counted.
    next_at = time.monotonic()
    end = start + 2 * CYCLES * PHASE_S
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if next_at > now:
            time.sleep(next_at - now)
        next_at += WEBHOOK_EVERY_S
        raw = webhook_body()
        msg_id = "msg_" + unique(20)
        ts = str(int(time.time()))
        headers = {"webhook-id": msg_id, "webhook-timestamp": ts,
                   "webhook-signature": signature(secret, msg_id, ts, raw),
                   "Content-Type": "application/json"}
        t0 = time.monotonic()
        conn.request("POST", "/v1/webhooks/banks/BNPAFRPP", raw, headers)
        r = conn.getresponse()
        r.read()
        secs = time.monotonic() - t0
        statuses[r.status] = statuses.get(r.status, 0) + 1
        phase, into = phase_at(t0, start, phases)
        if phase and into >= SETTLE_S:
            samples[phase].append(secs)
    conn.close()
    out.put({"quiet": samples["quiet"], "flood": samples["flood"], "statuses": statuses})


def measure(seed):
    """One run of the schedule: the flood and the webhook clients, each in
    its own process. Returns the flood's result, the phases, and the
    webhooks' quiet and flood latencies and statuses."""
    bodies = [json.dumps(transfer(amount=f"{100 + i}.00")).encode() for i in range(400)]
    ctx = multiprocessing.get_context("spawn")
    flood_out, hook_out = ctx.Queue(), ctx.Queue()
    phases = schedule(seed)
    # The children are up and have imported before the schedule starts.
    start = time.monotonic() + 3.0
    children = [ctx.Process(target=flood,
                            args=(relay.port, flood_key, bodies, start, phases, flood_out))]
    children += [ctx.Process(target=webhooks,
                             args=(relay.port, bank_secret, start, phases, hook_out))
                 for _ in range(WEBHOOKS)]
    for c in children:
        c.start()
    hooks = [hook_out.get(timeout=2 * CYCLES * PHASE_S + 60) for _ in range(WEBHOOKS)]
    result = flood_out.get(timeout=60)
    for c in children:
        c.join(30)
        assert c.exitcode == 0, c.exitcode
    statuses = {}
    for h in hooks:
        for st, n in h["statuses"].items():
            statuses[st] = statuses.get(st, 0) + n
    return (result, phases, [x for h in hooks for x in h["quiet"]],
            [x for h in hooks for x in h["flood"]], statuses)


def check_flood(result, phases):
    """The limiter's figures of one run: only 201 and 429, no more admitted
    than the limit allows, 429 for at least 99 % of the rest."""
    counts = result["counts"]
    sent = sum(counts.values())
    limited = counts.get(429, 0)
    accepted = counts.get(201, 0)
    other = {s: n for s, n in counts.items() if s not in (201, 429)}
    # What the limit lets through in each run of flood phases: a full bucket
    # (the quiet phase before refilled it) plus the refill during the run.
    runs = sum(1 for k, ph in enumerate(phases)
               if ph == "flood" and (k == 0 or phases[k - 1] == "quiet"))
    allowance = runs * BURST + CYCLES * RATE_PER_MIN / 60 * PHASE_S
    excess = sent - allowance
    lat429 = sorted(result["lat429"])
    print(f"  flood: {sent} requests in {CYCLES} phases of {PHASE_S:g} s ({runs} runs) at "
          f"{FLOOD_PER_S:.0f}/s (10x api.rate_per_minute={RATE_PER_MIN}, burst {BURST}): "
          f"{limited} answered 429 ({100 * limited / sent:.2f} % of all), {accepted} 201 "
          f"(the limit allows {allowance:.0f}), other {other or 'none'}; "
          f"{result['connections']} keep-alive connections", flush=True)
    print(f"  beyond the limit: {excess:.0f} requests, {min(limited, excess):.0f} of them 429 "
          f"({100 * min(limited, excess) / excess:.2f} %); 429 latency p50 "
          f"{pct(lat429, 50) * 1000:.2f} ms, p99 {pct(lat429, 99) * 1000:.2f} ms", flush=True)
    assert not other, other
    assert sent >= 0.9 * result["planned"], (sent, result["planned"])  # the flood was 10x
    assert accepted <= allowance + runs, (accepted, allowance)
    assert limited >= 0.99 * excess, (limited, excess)


def report_webhooks(what, q, f, statuses):
    q, f = sorted(q), sorted(f)
    ratio = pct(f, 99) / pct(q, 99)
    print(f"  signed webhooks, {what}: quiet n={len(q)} p50 {pct(q, 50) * 1000:.2f} ms "
          f"p99 {pct(q, 99) * 1000:.2f} ms; under flood n={len(f)} p50 "
          f"{pct(f, 50) * 1000:.2f} ms p99 {pct(f, 99) * 1000:.2f} ms; p99 ratio {ratio:.3f}; "
          f"statuses {statuses}", flush=True)
    assert set(statuses) == {201}, statuses
    assert len(q) >= 1200 and len(f) >= 1200, (len(q), len(f))
    return ratio


# How the flood is measured. The baseline is quiet (no flood) and measured
# in the same run: half-second quiet and flood phases, in pairs of random
# order, so that whatever else loads this shared machine, and the relay's own
# periodic work, falls on both alike. Webhook samples of the first SETTLE_S
# of a phase are not counted (requests in flight across the switch). The
# flood's key has a burst of 2: every flood phase follows a quiet one that
# refilled its bucket, and a burst of 60 (the default) at each of 56 phase
# starts would admit a burst of reports 56 times, where a long flood does it
# once; with 2, what gets through is the rate, as in the middle of a long
# flood. "429 for at least 99 %" is counted over the requests beyond what
# the limit allows (burst + rate x time): at 10x the rate a token bucket lets
# a tenth through by design, which the test checks too (no more admitted
# than allowed, nothing but 201 and 429).
#
# The webhooks' p99 "within 20 % of normal" is a speed target, and speed
# targets are checked by a benchmark that prints figures
# (tests/bench/abuse/run.sh: several runs, each ratio and the pooled one):
# the p99 of some 1 900 samples a side is the 19th slowest, and unchanged
# code gave ratios from 0.69 to 1.22 here, so a 1.2 bound in the test suite
# failed CI on noise (1.207 pooled over two runs). What this test asserts
# about the webhooks is what does not depend on the machine's other load:
# every one answered 201 during the flood, enough of them measured on both
# sides, and their median not slowed: the p50 ratio (under flood / quiet)
# at most P50_BOUND. The median is robust where the p99 is not: unchanged
# code gave p50 ratios of 0.98 to 1.02, while 2 ms of busy loop added to
# each 429 gave 1.50 (p99 ratio 1.25) and 5 ms gave 1.73 (p99 1.58).
P50_BOUND = 1.2


def measure_webhooks_under_flood(seed):
    """One run: the flood checked, the webhooks reported; returns the
    quiet and flood samples."""
    result, phases, q, f, statuses = measure(seed)
    check_flood(result, phases)
    report_webhooks(f"seed {seed}", q, f, statuses)
    return q, f


def test_flood_gets_429_and_webhooks_go_through():
    q, f = measure_webhooks_under_flood(SEED)
    ratio = pct(sorted(f), 50) / pct(sorted(q), 50)
    print(f"  webhook p50 ratio {ratio:.3f} (bound {P50_BOUND})", flush=True)
    assert ratio <= P50_BOUND, ratio


def bench(runs):
    """tests/bench/abuse/run.sh: the flood measured `runs` times (each with
    its own order of phases), each run's webhook p99 ratio and the pooled
    one against the issue's bound of 1.20. Prints figures; asserts only the
    flood's own checks."""
    qs, fs, ratios = [], [], []
    for k in range(runs):
        q, f = measure_webhooks_under_flood(SEED + k)
        ratios.append(pct(sorted(f), 99) / pct(sorted(q), 99))
        qs += q
        fs += f
    pooled = report_webhooks(f"pooled over {runs} runs", qs, fs, {201: len(qs) + len(fs)})
    print(f"webhook p99 ratio (under flood / quiet): runs "
          f"{', '.join(f'{r:.3f}' for r in ratios)}; pooled {pooled:.3f}; "
          f"target <= 1.20: {'met' if pooled <= 1.2 else 'NOT met'}", flush=True)
    print(f"reproduce: tests/bench/abuse/run.sh {runs}", flush=True)


def main():
    global relay, db, partner_key, flood_key, bank_secret
    raise_nofile(CAP + 1000)
    db = fresh_database("abuse")
    relay = Relay(db, name="abuse", env={
        "RELAY48_HTTP_MAX_CONNECTIONS": str(CAP),
        "RELAY48_HTTP_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT_S),
        "RELAY48_API_RATE_PER_MINUTE": str(RATE_PER_MIN),
        "RELAY48_API_RATE_BURST": str(BURST),
        "RELAY48_WEBHOOKS_ENABLED": "1",
        "RELAY48_MASTER_KEY": MASTER,
        "RELAY48_BANKS_REFRESH_MS": "200",
    })
    relay.migrate()
    partner_key = relay.create_key("partner-probe")
    flood_key = relay.create_key("partner-flood")
    out = relay.run("bank", "add", "--bic", "BNPAFRPP", "--name", "BNP Paribas", "--endpoint",
                    "https://bnpafrpp.example/relay48").stdout.strip()
    bank_secret = base64.b64decode(out[len("whsec_"):])
    relay.start()
    wait_until(lambda: post_report()[0] == 201, 10, "the key cache's first load")
    try:
        if len(sys.argv) > 2 and sys.argv[1] == "--bench":
            bench(int(sys.argv[2]))
        else:
            run_tests(globals())
    finally:
        rc = relay.stop()
        assert rc == 0, f"relay exited {rc}"


if __name__ == "__main__":
    main()
