"""Bank directory and départements: `relay48 migrate` loads the shipped
sql/data/bank_directory.csv and sql/002_departements.sql; `relay48 directory
import` upserts a CSV in batches, names bad lines by number, is idempotent,
draws a progress bar only on a terminal; `relay48 directory lookup` finds the
BIC of an IBAN."""
import os
import pty
import select
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import RELAY_BIN, SRC, Relay, fresh_database, psql  # noqa: E402

relay = None
db = None
tmp = tempfile.mkdtemp(prefix="relay48-directory-")


def setup():
    global relay, db
    db = fresh_database("directory")
    relay = Relay(db, name="directory")
    out = relay.migrate()
    assert "directory:" in out.stdout, out.stdout


def fr_iban(bank, branch="00001", account="12345678901", key="97"):
    """A French IBAN with valid check digits (ISO 13616 MOD 97-10)."""
    bban = bank + branch + account + key
    digits = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(digits) % 97:02d}{bban}"


def write_csv(name, lines):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(lines))
    return path


def test_migrate_loads_the_shipped_directory():
    shipped = open(os.path.join(SRC, "sql", "data", "bank_directory.csv"), encoding="utf-8")
    rows = [ln for ln in shipped.read().splitlines()[1:] if ln.strip()]
    assert psql("SELECT count(*) FROM bank_directory", db=db) == str(len(rows))
    assert int(psql("SELECT count(*) FROM bank_directory WHERE country = 'FR'", db=db)) >= 25
    assert psql("SELECT bic FROM bank_directory WHERE country = 'FR' AND bank_code = '30004'",
                db=db) == "BNPAFRPP"
    assert psql("SELECT name FROM bank_directory WHERE country = 'FR' AND bank_code = '30003'",
                db=db) == "Société Générale"


def test_migrate_loads_the_departements():
    assert psql("SELECT count(*) FROM departements", db=db) == "108"
    assert psql("SELECT name FROM departements WHERE code = '31'", db=db) == "Haute-Garonne"
    assert psql("SELECT name FROM departements WHERE code = '2A'", db=db) == "Corse-du-Sud"
    assert psql("SELECT name FROM departements WHERE code = '21'", db=db) == "Côte-d'Or"
    assert psql("SELECT name FROM departements WHERE code = '974'", db=db) == "La Réunion"
    assert psql("SELECT name FROM departements WHERE code = 'NATIONAL'", db=db) == "File nationale"


def test_migrate_again_keeps_what_is_there():
    psql("UPDATE bank_directory SET name = 'Renamed by an operator' "
         "WHERE country = 'FR' AND bank_code = '30004'", db=db)
    count = psql("SELECT count(*) FROM bank_directory", db=db)
    out = relay.migrate()
    assert ", 0 added" in out.stdout, out.stdout
    assert psql("SELECT count(*) FROM bank_directory", db=db) == count
    assert psql("SELECT name FROM bank_directory WHERE country = 'FR' AND bank_code = '30004'",
                db=db) == "Renamed by an operator"
    # An explicit import of the shipped file makes it win.
    shipped = os.path.join(SRC, "sql", "data", "bank_directory.csv")
    out = relay.run("directory", "import", shipped)
    assert "(1 new or changed), 0 bad lines" in out.stderr, out.stderr
    assert psql("SELECT name FROM bank_directory WHERE country = 'FR' AND bank_code = '30004'",
                db=db).startswith("BNP Paribas")


def test_migrate_without_the_data_file():
    """A sql.dir without data/bank_directory.csv migrates, with an empty directory."""
    sql = os.path.join(tmp, "sql")
    os.makedirs(sql, exist_ok=True)
    for name in os.listdir(os.path.join(SRC, "sql")):
        if name.endswith(".sql"):
            with open(os.path.join(SRC, "sql", name), "rb") as src, \
                    open(os.path.join(sql, name), "wb") as dst:
                dst.write(src.read())
    other = fresh_database("directory_nodata")
    try:
        r = Relay(other, name="directory-nodata", env={"RELAY48_SQL_DIR": sql})
        out = r.migrate()
        assert "directory:" not in out.stdout, out.stdout
        assert psql("SELECT count(*) FROM bank_directory", db=other) == "0"
        assert psql("SELECT count(*) FROM departements", db=other) == "108"
    finally:
        psql(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)', db="postgres")


def big_csv():
    """1200 good rows (country ZZ, three batches of at most 500) and 3 bad
    lines; returns the path and the line numbers of the bad ones."""
    lines = ["country,bank_code,bic,name\r\n"]
    bad = {}
    good = 0
    while good < 1200:
        n = len(lines) + 1  # the line number of what is appended
        if n == 10:
            lines.append("ZZ,BAD1,NOTABIC,Bad BIC\r\n")
            bad[n] = "invalid BIC"
        elif n == 600:
            lines.append("ZZ,BAD2,TSTAZZ2A\r\n")
            bad[n] = "3 fields"
        elif n == 1100:
            lines.append('zz,BAD3,TSTAZZ2A,"lower-case country"\r\n')
            bad[n] = "country"
        else:
            name = f'"Test bank {good}, ""quoted"""' if good % 7 == 0 else f"Test bank {good}"
            lines.append(f"ZZ,{good:05d},TSTAZZ2A{good % 1000:03d},{name}\r\n")
            good += 1
    return write_csv("big.csv", lines), bad


def test_import_1200_rows_and_3_bad_lines():
    path, bad = big_csv()
    out = relay.run("directory", "import", path, check=False)
    assert out.returncode == 1, (out.returncode, out.stderr)
    for n, why in bad.items():
        assert f"{path}:{n}: " in out.stderr, (n, out.stderr)
        line = [ln for ln in out.stderr.splitlines() if ln.startswith(f"{path}:{n}: ")][0]
        assert why in line, line
    assert out.stderr.count(f"{path}:") == 3, out.stderr
    assert "1200 rows imported" in out.stderr and "(1200 new or changed), 3 bad lines" in out.stderr
    assert "\r" not in out.stderr  # no progress bar into a pipe
    assert psql("SELECT count(*) FROM bank_directory WHERE country = 'ZZ'", db=db) == "1200"
    assert psql("SELECT name FROM bank_directory WHERE country = 'ZZ' AND bank_code = '00007'",
                db=db) == 'Test bank 7, "quoted"'
    assert psql("SELECT bic FROM bank_directory WHERE country = 'ZZ' AND bank_code = '00999'",
                db=db) == "TSTAZZ2A999"


def test_reimport_is_idempotent():
    path, _ = big_csv()
    before = psql("SELECT max(updated_at) FROM bank_directory WHERE country = 'ZZ'", db=db)
    out = relay.run("directory", "import", path, check=False)
    assert out.returncode == 1
    assert "1200 rows imported" in out.stderr and "(0 new or changed)" in out.stderr, out.stderr
    assert psql("SELECT count(*) FROM bank_directory WHERE country = 'ZZ'", db=db) == "1200"
    # Unchanged rows are not rewritten.
    assert psql("SELECT max(updated_at) FROM bank_directory WHERE country = 'ZZ'", db=db) == before


def test_import_clean_file_updates_and_later_line_wins():
    path = write_csv("small.csv", [
        "\ufeffCountry,Bank_Code,BIC,Name\n",
        "ZZ,00001,TSTAZZ2AXXX,First name\n",
        "\n",
        "ZZ,00002,tstazz2b,Another bank\n",
        "ZZ,00001,TSTAZZ2A,Second name\n",
    ])
    out = relay.run("directory", "import", path)
    assert out.returncode == 0, out.stderr
    assert "3 rows imported" in out.stderr and "0 bad lines" in out.stderr, out.stderr
    assert psql("SELECT bic || ' ' || name FROM bank_directory "
                "WHERE country = 'ZZ' AND bank_code = '00001'", db=db) == "TSTAZZ2A Second name"
    assert psql("SELECT bic FROM bank_directory WHERE country = 'ZZ' AND bank_code = '00002'",
                db=db) == "TSTAZZ2B"


def test_import_refuses_a_file_without_header():
    count = psql("SELECT count(*) FROM bank_directory", db=db)
    path = write_csv("noheader.csv", ["ZZ,77777,TSTAZZ2A,No header\n"])
    out = relay.run("directory", "import", path, check=False)
    assert out.returncode == 1 and f"{path}:1: the first line must be the header" in out.stderr
    empty = write_csv("empty.csv", [])
    out = relay.run("directory", "import", empty, check=False)
    assert out.returncode == 1 and "is empty" in out.stderr, out.stderr
    out = relay.run("directory", "import", os.path.join(tmp, "missing.csv"), check=False)
    assert out.returncode == 1 and "No such file" in out.stderr, out.stderr
    assert psql("SELECT count(*) FROM bank_directory", db=db) == count
    for args in (["directory"], ["directory", "import"], ["directory", "import", "a", "b"],
                 ["directory", "export"]):
        out = relay.run(*args, check=False)
        assert out.returncode == 2, (args, out.stderr)


def test_progress_bar_on_a_terminal():
    path, _ = big_csv()
    master, slave = pty.openpty()
    proc = subprocess.Popen([RELAY_BIN, "directory", "import", path], env=relay.env,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    data = b""
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    assert proc.wait(60) == 1
    text = data.decode("utf-8", "replace")
    assert "\r[" in text and "/1203 rows" in text, text  # 1200 good + 3 bad data lines
    assert "[##############################] 1203/1203 rows" in text, text
    assert "1200 rows imported" in text, text


def test_lookup():
    out = relay.run("directory", "lookup", "FR7630004000031234567890143")
    assert out.stdout.startswith("BNPAFRPP\t"), out.stdout
    # Typed with spaces and in lower case, without quotes.
    out = relay.run("directory", "lookup", "fr76", "3000", "4000", "0312", "3456", "7890", "143")
    assert out.stdout.startswith("BNPAFRPP\t"), out.stdout
    out = relay.run("directory", "lookup", fr_iban("18206"))
    assert out.stdout == "AGRIFRPP882\tCrédit Agricole Paris et Île-de-France\n", out.stdout
    out = relay.run("directory", "lookup", "DE89370400440532013000")
    assert out.stdout.startswith("COBADEFF\t"), out.stdout
    out = relay.run("directory", "lookup", fr_iban("99999"), check=False)
    assert out.returncode == 1 and out.stdout == "unknown\n", out
    out = relay.run("directory", "lookup", "FR7630004000031234567890144", check=False)
    assert out.returncode == 2 and "invalid IBAN" in out.stderr, out
    out = relay.run("directory", "lookup", check=False)
    assert out.returncode == 2


if __name__ == "__main__":
    from stack import run_tests
    setup()
    run_tests(globals())
