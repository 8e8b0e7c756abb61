"""`relay48 secrets reseal` against the real PostgreSQL and Kafka: banks and a
police unit get their secrets under master key A; a relay runs with key B
and refuses the banks' webhooks; a re-seal with a wrong old key fails, names
the rows and changes no byte; the re-seal from A to B succeeds, the running
relay then accepts a webhook signed with a bank's secret, and a second run
fails unless --skip-resealed (which then changes nothing); a secret added
under the old key after the run (a half-done rotation) is re-sealed by a run
with --skip-resealed; usage errors. No output ever holds a secret or a key."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from reports import transfer  # noqa: E402
from stack import RELAY_BIN, Relay, fresh_database, psql, run_tests, unique, wait_until  # noqa: E402

KEY_A = "a3" * 32
KEY_B = "5c" * 32
KEY_WRONG = "e1" * 32
REFRESH_MS = 200
relay = None
db = None
tmpdir = None
secrets = {}  # owner ("bank:BIC", "unit:ID") -> whsec_ text
outputs = []  # every stdout and stderr of the command, checked at the end


def sql(q):
    return psql(q, db=db)


def key_file(name, hex_digits):
    path = os.path.join(tmpdir, name)
    with open(path, "w") as f:
        f.write(hex_digits + "\n")
    return path


def command(*args, master):
    env = dict(relay.env)
    env["RELAY48_MASTER_KEY"] = master
    out = subprocess.run([RELAY_BIN, *args], env=env, capture_output=True, text=True,
                         timeout=60)
    return out


def reseal(*args, master=KEY_B):
    out = command("secrets", "reseal", *args, master=master)
    outputs.append(out.stdout)
    outputs.append(out.stderr)
    return out


def sealed_rows():
    return sql("SELECT 'b', id, encode(sealed, 'hex') FROM bank_secrets"
               " UNION ALL SELECT 'u', id, encode(sealed, 'hex') FROM police_unit_secrets"
               " ORDER BY 1, 2")


def add_bank(bic, master):
    out = command("bank", "add", "--bic", bic, "--name", bic, "--endpoint",
                  f"https://{bic.lower()}.example/relay48", master=master)
    assert out.returncode == 0, out.stderr
    secrets["bank:" + bic] = out.stdout.strip()


def signature(key, msg_id, ts, body):
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def deliver(bic):
    raw = json.dumps({"type": "fraud_report.created", "data": transfer()}).encode()
    msg_id = "msg_" + unique(20)
    ts = str(int(time.time()))
    key = base64.b64decode(secrets["bank:" + bic][len("whsec_"):])
    headers = {"webhook-id": msg_id, "webhook-timestamp": ts,
               "webhook-signature": signature(key, msg_id, ts, raw),
               "Content-Type": "application/json"}
    status, _, _ = relay.request("POST", f"/v1/webhooks/banks/{bic}", raw, headers)
    return status


def test_relay_on_the_new_key_refuses_secrets_sealed_under_the_old():
    assert deliver("BNPAFRPP") == 401
    assert "banks.secret_unopened" in relay.log()


def test_usage_errors():
    for args in ((), ("--skip-resealed",), ("--old-key-file",), ("--old-key-file", ""),
                 ("--old-key-file", key_file("a.key", KEY_A), "--frobnicate")):
        out = reseal(*args)
        assert out.returncode == 2, (args, out.returncode, out.stderr)
        assert out.stdout == "", args
    assert command("secrets", "frobnicate", master=KEY_B).returncode == 2
    assert command("secrets", "--help", master=KEY_B).returncode == 0
    # the old key is the configured one: nothing to do, and said so
    out = reseal("--old-key-file", key_file("b.key", KEY_B))
    assert out.returncode == 2 and "the old key is the configured master key" in out.stderr
    # an old key file missing or malformed; the new key missing
    out = reseal("--old-key-file", os.path.join(tmpdir, "missing.key"))
    assert out.returncode == 1 and "--old-key-file" in out.stderr and "missing.key" in out.stderr
    out = reseal("--old-key-file", key_file("short.key", KEY_A[:40]))
    assert out.returncode == 1 and "64 hex digits" in out.stderr, out.stderr
    out = reseal("--old-key-file", key_file("a.key", KEY_A), master="")
    assert out.returncode == 1 and "RELAY48_MASTER_KEY" in out.stderr, out.stderr


def test_wrong_old_key_changes_nothing_and_names_the_rows():
    before = sealed_rows()
    out = reseal("--old-key-file", key_file("wrong.key", KEY_WRONG))
    assert out.returncode == 1, out.stderr
    ids = sql("SELECT id FROM bank_secrets ORDER BY id").split()
    for i in ids:
        assert f"bank_secrets row {i} (bank " in out.stderr, out.stderr
    unit_row = sql("SELECT id FROM police_unit_secrets")
    assert f"police_unit_secrets row {unit_row} (unit " in out.stderr, out.stderr
    assert "does not open under the old key" in out.stderr
    assert f"{len(ids) + 1} of {len(ids) + 1} secrets would not re-seal: nothing changed" in \
        out.stderr, out.stderr
    assert out.stdout == ""
    assert sealed_rows() == before


def test_reseal_from_the_old_key_to_the_new():
    before = sealed_rows()
    out = reseal("--old-key-file", key_file("a.key", KEY_A))
    assert out.returncode == 0, out.stderr
    nbank = int(sql("SELECT count(*) FROM bank_secrets"))
    assert out.stdout == (f"secrets reseal: bank_secrets: {nbank} re-sealed, 0 already under the"
                          " new key\n"
                          "secrets reseal: police_unit_secrets: 1 re-sealed, 0 already under the"
                          " new key\n"), out.stdout
    assert "restart the relays and connectors" in out.stderr
    after = sealed_rows()
    b, a = before.splitlines(), after.splitlines()
    assert len(a) == len(b) == nbank + 1
    for old, new in zip(b, a):
        o, n = old.split("|"), new.split("|")
        assert o[:2] == n[:2] and len(o[2]) == len(n[2]) and o[2] != n[2], (old, new)
    # the relay running with key B now opens the secrets it reloads
    wait_until(lambda: deliver("BNPAFRPP") == 201, 10, "webhook accepted under the new key")
    assert deliver("SOGEFRPP") == 201


def test_second_run_fails_unless_skip_resealed():
    before = sealed_rows()
    out = reseal("--old-key-file", key_file("a.key", KEY_A))
    assert out.returncode == 1
    assert "already sealed under the new key" in out.stderr and "--skip-resealed" in out.stderr
    assert sealed_rows() == before
    out = reseal("--old-key-file", key_file("a.key", KEY_A), "--skip-resealed")
    assert out.returncode == 0, out.stderr
    nbank = sql("SELECT count(*) FROM bank_secrets")
    # the unit's secret is "already under the new key": it opens under B
    assert f"bank_secrets: 0 re-sealed, {nbank} already under the new key" in out.stdout
    assert "police_unit_secrets: 0 re-sealed, 1 already under the new key" in out.stdout
    assert sealed_rows() == before


def test_half_done_rotation_is_finished_with_skip_resealed():
    # a bank added under the old key after the run (a command still on key A)
    add_bank("CRLYFRPP", KEY_A)
    crly = sql("SELECT encode(sealed, 'hex') FROM bank_secrets WHERE bic = 'CRLYFRPP'")
    others = sql("SELECT encode(sealed, 'hex') FROM bank_secrets WHERE bic <> 'CRLYFRPP'"
                 " ORDER BY id")
    out = reseal("--old-key-file", key_file("a.key", KEY_A))
    assert out.returncode == 1 and "already sealed under the new key" in out.stderr
    out = reseal("--old-key-file", key_file("a.key", KEY_A), "--skip-resealed")
    assert out.returncode == 0, out.stderr
    assert "bank_secrets: 1 re-sealed" in out.stdout, out.stdout
    assert sql("SELECT encode(sealed, 'hex') FROM bank_secrets WHERE bic = 'CRLYFRPP'") != crly
    assert sql("SELECT encode(sealed, 'hex') FROM bank_secrets WHERE bic <> 'CRLYFRPP'"
               " ORDER BY id") == others
    wait_until(lambda: deliver("CRLYFRPP") == 201, 10, "the late bank accepted")


def test_no_secret_and_no_key_in_any_output():
    assert outputs and any(outputs)
    text = "\n".join(outputs)
    for k in (KEY_A, KEY_B, KEY_WRONG):
        assert k not in text and k.upper() not in text
    for s in secrets.values():
        raw = base64.b64decode(s[len("whsec_"):])
        assert s not in text and s[len("whsec_"):] not in text and raw.hex() not in text
    # nor in the relay's log
    log = relay.log()
    assert KEY_B not in log and all(s not in log for s in secrets.values())


def main():
    global relay, db, tmpdir
    tmpdir = tempfile.mkdtemp(prefix="relay48-reseal-")
    db = fresh_database("secrets_reseal")
    relay = Relay(db, name="secrets-reseal", env={"RELAY48_WEBHOOKS_ENABLED": "1",
                                                  "RELAY48_MASTER_KEY": KEY_B,
                                                  "RELAY48_BANKS_REFRESH_MS": str(REFRESH_MS)})
    relay.migrate()
    add_bank("BNPAFRPP", KEY_A)
    add_bank("SOGEFRPP", KEY_A)
    # a rotation: the bank's previous secret stays a row of its own, still re-sealed
    out = command("bank", "rotate-secret", "--bic", "SOGEFRPP", "--overlap-hours", "0",
                  master=KEY_A)
    assert out.returncode == 0, out.stderr
    secrets["bank:SOGEFRPP:old"] = secrets["bank:SOGEFRPP"]
    secrets["bank:SOGEFRPP"] = out.stdout.strip()
    out = command("unit", "add", "--dept", "31", "--name", "BR Toulouse", "--endpoint",
                  "https://br31.example/r48", master=KEY_A)
    assert out.returncode == 0, out.stderr
    secrets["unit"] = out.stdout.strip()
    relay.start()
    wait_until(lambda: "banks.loaded" in relay.log(), 10, "banks loaded")
    try:
        run_tests(globals())
    finally:
        rc = relay.stop()
        assert rc == 0, f"relay exited {rc}"
        for name in os.listdir(tmpdir):
            os.unlink(os.path.join(tmpdir, name))
        os.rmdir(tmpdir)


if __name__ == "__main__":
    main()
