"""`relay48 bank` and `relay48 bin` against the real PostgreSQL: a bank and its
whsec_ secret printed once and stored only sealed (AES-256-GCM under the master
key, from the environment or a file); rotation with an overlap; list; disable
and enable; argument errors; a missing master key is a clear error, for the
command and for `relay48 serve` with webhooks enabled; the BIN table's import
and lookup."""
import base64
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import RELAY_BIN, Relay, fresh_database, psql, run_tests  # noqa: E402

MASTER = "a1" * 32
relay = None
db = None


def sql(q):
    return psql(q, db=db)


def bank(*args, env=None, master=MASTER):
    e = dict(relay.env)
    e.pop("RELAY48_MASTER_KEY", None)
    if master is not None:
        e["RELAY48_MASTER_KEY"] = master
    e.update(env or {})
    return subprocess.run([RELAY_BIN, "bank", *args], env=e, capture_output=True, text=True,
                          timeout=60)


def secret_bytes(text):
    assert re.match(r"^whsec_[A-Za-z0-9+/]+={0,2}$", text), text
    return base64.b64decode(text[6:])


def test_add_prints_the_secret_once_and_stores_it_sealed():
    out = bank("add", "--bic", "bnpafrppxxx", "--name", "BNP Paribas",
               "--endpoint", "https://fraud.bnp.example/relay48", "--format", "json")
    assert out.returncode == 0, out.stderr
    secret = out.stdout.strip()
    key = secret_bytes(secret)
    assert len(key) == 32
    assert "whsec_" not in out.stderr and "/v1/webhooks/banks/BNPAFRPP" in out.stderr
    # the BIC is normalised (XXX dropped); the secret is sealed, not in clear
    row = sql("SELECT bic, name, endpoint, format, disabled_at IS NULL FROM banks")
    assert row == "BNPAFRPP|BNP Paribas|https://fraud.bnp.example/relay48|json|t", row
    sealed = bytes.fromhex(sql("SELECT encode(sealed, 'hex') FROM bank_secrets"))
    assert len(sealed) == 32 + 29 and sealed[0] == 1
    assert key not in sealed and secret.encode() not in sealed
    dump = subprocess.run(["pg_dump", relay.env["RELAY48_DATABASE_URL"]], capture_output=True,
                          text=True, timeout=60).stdout
    assert secret not in dump and secret[6:] not in dump
    # a second add of the same bank is refused
    again = bank("add", "--bic", "BNPAFRPP", "--name", "BNP", "--endpoint", "https://x.example")
    assert again.returncode == 1 and "already registered" in again.stderr, again.stderr
    assert again.stdout == ""


def test_list_never_shows_a_secret():
    out = bank("list", master=None)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["BIC", "NAME", "FORMAT", "ENDPOINT", "SECRETS", "CREATED",
                                "DISABLED"]
    assert "BNPAFRPP" in lines[1] and " 1 " in lines[1] and "whsec" not in out.stdout


def test_rotation_overlap():
    first = sql("SELECT id FROM bank_secrets WHERE bic = 'BNPAFRPP'")
    out = bank("rotate-secret", "--bic", "BNPAFRPP", "--overlap-hours", "2")
    assert out.returncode == 0, out.stderr
    new = secret_bytes(out.stdout.strip())
    assert len(new) == 32
    assert "stays valid" in out.stderr
    hours = sql(f"SELECT round(extract(epoch FROM valid_until - now()) / 3600) FROM bank_secrets "
                f"WHERE id = {first}")
    assert hours == "2", hours
    assert sql("SELECT count(*) FROM bank_secrets WHERE bic = 'BNPAFRPP' AND "
               "valid_until IS NULL") == "1"
    assert " 2 " in bank("list", master=None).stdout.splitlines()[1]
    # an overlap of 0: the previous secrets stop at once
    out = bank("rotate-secret", "--bic", "BNPAFRPP", "--overlap-hours", "0")
    assert out.returncode == 0, out.stderr
    assert "refused from now on" in out.stderr
    assert " 1 " in bank("list", master=None).stdout.splitlines()[1]
    assert sql("SELECT count(*) FROM bank_secrets WHERE bic = 'BNPAFRPP'") == "3"
    # a longer overlap never extends a validity already shorter
    out = bank("rotate-secret", "--bic", "BNPAFRPP", "--overlap-hours", "48")
    assert out.returncode == 0, out.stderr
    assert sql("SELECT count(*) FROM bank_secrets WHERE bic = 'BNPAFRPP' AND valid_until > now()"
               " + interval '47 hours'") == "1"
    assert bank("rotate-secret", "--bic", "SOGEFRPP").returncode == 1  # no such bank


def test_disable_and_enable():
    out = bank("disable", "--bic", "BNPAFRPP", master=None)
    assert out.returncode == 0 and "disabled" in out.stderr, out.stderr
    assert sql("SELECT disabled_at IS NOT NULL FROM banks WHERE bic = 'BNPAFRPP'") == "t"
    out = bank("disable", "--bic", "BNPAFRPP", master=None)
    assert out.returncode == 0 and "already" in out.stderr, out.stderr
    assert bank("list", master=None).stdout.splitlines()[1].split()[-1] != "-"
    out = bank("enable", "--bic", "BNPAFRPP", master=None)
    assert out.returncode == 0, out.stderr
    assert bank("list", master=None).stdout.splitlines()[1].split()[-1] == "-"
    assert bank("disable", "--bic", "CRLYFRPP", master=None).returncode == 1


def test_usage_errors():
    cases = [
        ("add", "--bic", "BNPA", "--name", "x", "--endpoint", "https://x.example"),
        ("add", "--bic", "CRLYFRPP", "--name", "x", "--endpoint", "ftp://x.example"),
        ("add", "--bic", "CRLYFRPP", "--name", "x", "--endpoint", "https://"),
        ("add", "--bic", "CRLYFRPP", "--name", "x", "--endpoint", "https://x.example",
         "--format", "xml"),
        ("add", "--bic", "CRLYFRPP", "--name", "", "--endpoint", "https://x.example"),
        ("add", "--bic", "CRLYFRPP", "--endpoint", "https://x.example"),
        ("rotate-secret", "--bic", "BNPAFRPP", "--overlap-hours", "-1"),
        ("rotate-secret", "--bic", "BNPAFRPP", "--overlap-hours", "721"),
        ("rotate-secret",),
        ("frobnicate",),
        ("list", "--bic", "BNPAFRPP"),
    ]
    for args in cases:
        out = bank(*args)
        assert out.returncode == 2, (args, out.returncode, out.stderr)
        assert out.stdout == "", args
    assert bank().returncode == 2
    assert bank("--help").returncode == 0
    assert sql("SELECT count(*) FROM banks") == "1"


def test_master_key_missing_or_bad_is_a_clear_error():
    out = bank("add", "--bic", "CRLYFRPP", "--name", "LCL", "--endpoint", "https://x.example",
               master=None)
    assert out.returncode == 1, out.stderr
    assert "RELAY48_MASTER_KEY" in out.stderr and "secrets.master_key_file" in out.stderr
    out = bank("add", "--bic", "CRLYFRPP", "--name", "LCL", "--endpoint", "https://x.example",
               master="1234")
    assert out.returncode == 1 and "64 hex digits" in out.stderr, out.stderr
    assert sql("SELECT count(*) FROM banks WHERE bic = 'CRLYFRPP'") == "0"
    # the daemon with webhooks enabled refuses to start, and says why
    r = Relay(db, name="nomaster", env={"RELAY48_WEBHOOKS_ENABLED": "1"})
    r.env.pop("RELAY48_MASTER_KEY", None)
    p = subprocess.run([RELAY_BIN, "serve"], env=r.env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode != 0
    assert "RELAY48_MASTER_KEY" in p.stderr and "webhooks.enabled" in p.stderr, p.stderr


def test_master_key_from_a_file():
    with tempfile.NamedTemporaryFile("w", suffix=".key", delete=False) as f:
        f.write(MASTER + "\n")
        path = f.name
    try:
        out = bank("add", "--bic", "CRLYFRPP", "--name", "LCL", "--endpoint",
                   "http://127.0.0.1:1/hook", "--format", "camt056", master=None,
                   env={"RELAY48_SECRETS_MASTER_KEY_FILE": path})
        assert out.returncode == 0, out.stderr
        assert sql("SELECT format FROM banks WHERE bic = 'CRLYFRPP'") == "camt056"
        # a file that does not exist is named in the error
        out = bank("rotate-secret", "--bic", "CRLYFRPP", master=None,
                   env={"RELAY48_SECRETS_MASTER_KEY_FILE": path + ".missing"})
        assert out.returncode == 1 and path + ".missing" in out.stderr, out.stderr
    finally:
        os.unlink(path)


def test_bin_table_import_and_lookup():
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("\ufeffBIN,BIC,Name\n"
                "400000,bnpafrppxxx,\"Test issuer, six digits\"\n"
                "40000012,SOGEFRPP,Test issuer eight digits\n"
                "4000,BNPAFRPP,too short\n"
                "400001,NOTABIC,bad bic\n"
                "\n")
        path = f.name
    try:
        out = relay.run("bin", "import", path, check=False)
        assert out.returncode == 1, out.stderr  # bad lines were skipped
        assert f"{path}:4:" in out.stderr and f"{path}:5:" in out.stderr, out.stderr
        assert "2 rows" in out.stderr
        assert sql("SELECT bin, bic FROM card_bins ORDER BY bin") == \
            "400000|BNPAFRPP\n40000012|SOGEFRPP"
        assert relay.run("bin", "lookup", "40000012").stdout == "SOGEFRPP\tTest issuer eight digits\n"
        assert relay.run("bin", "lookup", "40000099").stdout.startswith("BNPAFRPP\t")
        assert relay.run("bin", "lookup", "400000").stdout.startswith("BNPAFRPP\t")
        out = relay.run("bin", "lookup", "499999", check=False)
        assert out.returncode == 1 and out.stdout == "unknown\n"
        assert relay.run("bin", "lookup", "4000001234567899", check=False).returncode == 2
    finally:
        os.unlink(path)


def main():
    global relay, db
    db = fresh_database("banks_cli")
    relay = Relay(db, name="banks-cli")
    relay.migrate()
    run_tests(globals())


if __name__ == "__main__":
    main()
