"""relay48 key: create prints a key of the documented shape once and the
database keeps only its SHA-256 (checked on a pg_dump of the whole test
database); list; revoke; bad roles and usage; duplicate party names; and
`key verify`, which answers through the daemon's cache: a revoked key is
refused, and a new key accepted, within the refresh period."""
import hashlib
import os
import queue
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import RELAY_BIN, Relay, fresh_database, pg_url, psql  # noqa: E402

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
KEY_RE = re.compile(rf"^r48_([{ALPHABET}]{{10}})_([{ALPHABET}]{{40}})$")

relay = None
db = None


def setup():
    global relay, db
    db = fresh_database("keys")
    relay = Relay(db, name="keys")
    relay.migrate()


def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


def create(party, role):
    out = relay.run("key", "create", "--party", party, "--role", role)
    lines = out.stdout.splitlines()
    assert len(lines) == 1, out.stdout
    key = lines[0]
    m = KEY_RE.match(key)
    assert m, key
    return key, m.group(1), out.stderr


def test_create_stores_only_the_hash():
    key, kid, hint = create("CERT-FR", "partner")
    assert key not in hint and m_secret(key) not in hint, hint
    assert kid in hint and "once" in hint, hint
    row = psql(f"SELECT party, role, encode(key_hash, 'hex'), revoked_at IS NULL "
               f"FROM api_keys WHERE id = '{kid}'", db=db)
    assert row == f"CERT-FR|partner|{sha256(key)}|t", row
    dump = subprocess.run(["pg_dump", "--no-owner", "--data-only", pg_url(db)],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    assert kid in dump and sha256(key) in dump, "the dump should hold the row"
    assert key not in dump
    assert m_secret(key) not in dump


def m_secret(key):
    return KEY_RE.match(key).group(2)


def test_roles_are_stored_canonical():
    _, kid, _ = create("BNP Paribas fraud desk", "bank:bnpafrppxxx")
    assert psql(f"SELECT role FROM api_keys WHERE id = '{kid}'", db=db) == "bank:BNPAFRPP"
    _, kid, _ = create("Gendarmerie Corse-du-Sud", "police:2a")
    assert psql(f"SELECT role FROM api_keys WHERE id = '{kid}'", db=db) == "police:2A"
    for role in ("police:31", "police:974", "police:NATIONAL", "platform", "bank:AGRIFRPP882"):
        _, kid, _ = create(f"party {role}", role)
        assert psql(f"SELECT role FROM api_keys WHERE id = '{kid}'", db=db) == role


def test_list_shows_keys_never_hashes():
    key, kid, _ = create("Victim help line", "partner")
    out = relay.run("key", "list").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "PARTY", "ROLE", "CREATED", "REVOKED"], lines[0]
    mine = [ln for ln in lines if ln.startswith(kid)]
    assert len(mine) == 1, out
    assert "Victim help line" in mine[0] and " partner " in mine[0], mine[0]
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+-$", mine[0]), mine[0]
    assert sha256(key) not in out and key not in out


def test_revoke():
    key, kid, _ = create("Partner to revoke", "partner")
    out = relay.run("key", "revoke", kid)
    assert out.returncode == 0 and "revoked" in out.stderr, out.stderr
    assert psql(f"SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = '{kid}'", db=db) == "t"
    mine = [ln for ln in relay.run("key", "list").stdout.splitlines() if ln.startswith(kid)]
    assert re.search(r"Z\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", mine[0]), mine[0]
    first = psql(f"SELECT revoked_at FROM api_keys WHERE id = '{kid}'", db=db)
    # Again: idempotent, the first revocation time is kept.
    out = relay.run("key", "revoke", kid)
    assert out.returncode == 0 and "already" in out.stderr, out.stderr
    assert psql(f"SELECT revoked_at FROM api_keys WHERE id = '{kid}'", db=db) == first
    # By the whole key, as someone holding a leaked key would.
    key2, kid2, _ = create("Partner with a leaked key", "partner")
    assert relay.run("key", "revoke", key2).returncode == 0
    assert psql(f"SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = '{kid2}'", db=db) == "t"
    # Unknown and malformed ids.
    out = relay.run("key", "revoke", "zzzzzzzzzz", check=False)
    assert out.returncode == 1 and "no key with id zzzzzzzzzz" in out.stderr, out.stderr
    out = relay.run("key", "revoke", "not-an-id", check=False)
    assert out.returncode == 2 and "not a key id" in out.stderr, out.stderr


def test_bad_roles_and_usage():
    before = psql("SELECT count(*) FROM api_keys", db=db)
    for role, word in (("bank:bad", "BIC"), ("police:99", "département"), ("admin", "unknown role"),
                       ("bank:BNPAFRPP1", "BIC"), ("police:", "unknown role"), ("", "empty role")):
        out = relay.run("key", "create", "--party", "X", "--role", role, check=False)
        assert out.returncode == 2, (role, out.returncode, out.stderr)
        assert word in out.stderr and out.stdout == "", (role, out.stderr)
    cases = (
        ["key"],
        ["key", "create", "--party", "X"],
        ["key", "create", "--role", "partner"],
        ["key", "create", "--party", "", "--role", "partner"],
        ["key", "create", "--party", "X", "--role", "partner", "extra"],
        ["key", "revoke"],
        ["key", "list", "--all"],
        ["key", "rotate"],
    )
    for args in cases:
        out = relay.run(*args, check=False)
        assert out.returncode == 2, (args, out.returncode, out.stderr)
        assert out.stderr.strip() and out.stdout == "", (args, out.stderr)
    assert psql("SELECT count(*) FROM api_keys", db=db) == before
    out = relay.run("key", "--help")
    assert "create" in out.stdout and "revoke" in out.stdout


def test_duplicate_party_names():
    k1, id1, _ = create("Same Name", "partner")
    k2, id2, _ = create("Same Name", "partner")
    assert k1 != k2 and id1 != id2
    assert psql("SELECT count(*) FROM api_keys WHERE party = 'Same Name'", db=db) == "2"


def test_database_down_is_a_clear_error():
    out = subprocess.run([RELAY_BIN, "key", "list"], capture_output=True, text=True, timeout=60,
                         env=dict(relay.env, RELAY48_DATABASE_URL="postgresql://x@127.0.0.1:1/x"))
    assert out.returncode == 1 and "cannot connect" in out.stderr, out.stderr


class Verifier:
    """A `relay48 key verify` process: one line in, one answer out."""

    def __init__(self, refresh_ms):
        self.proc = subprocess.Popen([RELAY_BIN, "key", "verify", "--refresh-ms", str(refresh_ms)],
                                     env=relay.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def ask(self, text, timeout=10):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer in {timeout}s; stderr: {self.proc.stderr.read()}")

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait(30)
        return rc


def test_verify_through_the_cache():
    key, kid, _ = create("Banque fraud desk", "bank:BNPAFRPP")
    v = Verifier(refresh_ms=200)
    try:
        assert v.ask(key) == f"ok {kid} bank:BNPAFRPP Banque fraud desk"
        assert v.ask("Bearer " + key) == f"ok {kid} bank:BNPAFRPP Banque fraud desk"
        assert v.ask("bearer   " + key).startswith(f"ok {kid} ")
        # Same id, another secret: the hash does not match.
        tampered = key[:-1] + ("0" if key[-1] != "0" else "1")
        assert v.ask(tampered) == "refused"
        assert v.ask("r48_zzzzzzzzzz_" + "0" * 40) == "refused"
        assert v.ask("Basic " + key) == "refused"
        assert v.ask(key.upper()) == "refused"
        # Revoked: refused within the refresh period (plus one query).
        relay.run("key", "revoke", kid)
        t0 = time.monotonic()
        assert v.ask(key) == "refused"
        assert time.monotonic() - t0 < 2.0
        # A new key is accepted by the same running cache.
        key2, kid2, _ = create("Police Haute-Garonne", "police:31")
        assert v.ask(key2) == f"ok {kid2} police:31 Police Haute-Garonne"
    finally:
        rc = v.close()
    assert rc == 1  # some keys were refused
    assert key not in v.proc.stderr.read()


def test_verify_one_key_exit_code():
    key, kid, _ = create("One-shot check", "platform")
    out = subprocess.run([RELAY_BIN, "key", "verify"], env=relay.env, input=key + "\n",
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout == f"ok {kid} platform One-shot check\n", out
    out = subprocess.run([RELAY_BIN, "key", "verify"], env=relay.env, input="nonsense\n",
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and out.stdout == "refused\n", out


if __name__ == "__main__":
    from stack import run_tests
    setup()
    run_tests(globals())
