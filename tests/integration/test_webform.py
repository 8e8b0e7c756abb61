"""The victim's web form without a browser, against the real PostgreSQL and
Kafka: GET / and its headers, POST /report to a case page (303, token, only
its hash stored), the anti-forgery token (403), a foreign Origin (403), the
rate limit (429 with Retry-After), a double submit that makes one case, the
French errors with the values kept, a full card number refused and never
echoed, the case page (Paris deadline, time left, answers, 404 without the
right token). The relay's clock is frozen at 2026-03-28T12:00:00Z
(clock.fixed) so that a transfer of 28 March 2026 at 10:00 is still inside
its window."""
import hashlib
import http.client
import os
import re
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from reports import fr_iban, luhn_pan  # noqa: E402
from stack import Relay, fresh_database, psql, run_tests, wait_until  # noqa: E402

NOW = "2026-03-28T12:00:00Z"
relay = None
db = None
log_secrets = []  # values that must never reach the relay's log


def setup():
    global relay, db
    db = fresh_database("webform")
    relay = Relay(db, name="webform", env={
        "RELAY48_CLOCK_FIXED": NOW,
        "RELAY48_WEB_RATE_PER_MINUTE": "1000",
        "RELAY48_WEB_RATE_BURST": "1000",
    })
    relay.migrate()
    relay.start()


def sql(q):
    return psql(q, db=db)


def start_short_lived(r):
    """Start a relay that this test stops soon after: wait until it has
    loaded its reference data first. A relay stopped while the bank directory
    load is in flight frees the directory before the connection whose
    callback writes to it (relay.c's shutdown order; AddressSanitizer reports
    a use after free), which is not what these tests are about."""
    r.start()
    wait_until(lambda: "bankdir.loaded" in r.log(), 30, "the bank directory loaded")
    return r


def request(method, path, body=None, headers=None, target=None):
    """(status, headers lower-cased, text) without following redirects."""
    r = target or relay
    conn = http.client.HTTPConnection("127.0.0.1", r.port, timeout=15)
    h = {"Host": f"127.0.0.1:{r.port}"}
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=h)
    resp = conn.getresponse()
    text = resp.read().decode("utf-8", "replace")
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, hdrs, text


def csrf_of(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, page[:2000]
    return m.group(1)


def fresh_csrf(kind="transfer", target=None):
    status, _, page = request("GET", "/?kind=card" if kind == "card" else "/", target=target)
    assert status == 200, status
    return csrf_of(page)


def transfer_fields(**over):
    f = {
        "kind": "transfer",
        "lang": "fr",
        "executed_at": "2026-03-28T10:00",
        "amount": "12 500,00",
        "currency": "EUR",
        "rail": "unknown",
        "debtor_iban": fr_iban("30004"),
        "creditor_iban": fr_iban("30003"),
        "creditor_name": "SECURIS CONSEIL SAS",
        "victim_type": "public_body",
        "victim_name": "Mairie de Saint-Exemple",
        "email": "mairie@example.org",
        "phone": "05 61 00 00 00",
        "postal_code": "31000",
        "scenario": "fake_cyber_partnership",
        "narrative": "Un faux partenariat de cybersécurité proposé à la mairie.",
    }
    f.update(over)
    return f


def post(fields, headers=None, target=None, csrf=True):
    fields = dict(fields)
    if csrf is True:
        fields["csrf"] = fresh_csrf(fields.get("kind", "transfer"), target)
    elif csrf:
        fields["csrf"] = csrf
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    return request("POST", "/report", urllib.parse.urlencode(fields), h, target)


def case_count():
    return int(sql("SELECT count(*) FROM cases"))


def check_security_headers(h):
    csp = h.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp, csp
    assert h.get("x-content-type-options") == "nosniff", h
    assert h.get("referrer-policy") == "no-referrer", h


def test_form_page():
    status, h, page = request("GET", "/")
    assert status == 200
    check_security_headers(h)
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["cache-control"] == "no-store"
    assert '<html lang="fr">' in page
    assert "Signaler une fraude" in page and "IBAN" in page
    assert 'type="datetime-local"' in page
    status, _, page = request("GET", "/?lang=en")
    assert '<html lang="en">' in page and "Report a fraud" in page
    status, _, page = request("GET", "/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page
    status, _, page = request("GET", "/?kind=card")
    assert 'name="card_bin"' in page and 'name="debtor_iban"' not in page
    # no external resource anywhere
    assert "http://" not in page and "https://" not in page


def test_static_files():
    status, h, css = request("GET", "/static/style.css")
    assert status == 200 and h["content-type"].startswith("text/css"), h
    check_security_headers(h)
    assert "@import" not in css and "url(" not in css
    status, h, js = request("GET", "/static/app.js")
    assert status == 200 and h["content-type"].startswith("text/javascript"), h
    assert "crypto.subtle.digest('SHA-256'" in js
    status, h, _ = request("GET", "/static/nope.js")
    assert status == 404
    check_security_headers(h)


def test_submit_transfer_and_case_page():
    fields = transfer_fields()
    log_secrets.extend([fields["debtor_iban"], fields["creditor_iban"]])
    before = case_count()
    status, h, body = post(fields)
    assert status == 303, (status, body[:3000])
    check_security_headers(h)
    m = re.fullmatch(r"/case/(R48-[0-9A-Z-]{14})\?t=([A-Za-z0-9_-]{43})", h["location"])
    assert m, h["location"]
    ref, token = m.group(1), m.group(2)
    log_secrets.append(token)
    assert case_count() == before + 1
    row = sql(f"SELECT channel, submitted_by, kind, start_at AT TIME ZONE 'UTC', "
              f"deadline_at AT TIME ZONE 'UTC', amount_minor FROM cases WHERE ref = '{ref}'")
    assert row == "web|web|transfer|2026-03-28 09:00:00|2026-03-30 09:00:00|1250000", row
    # only the token's SHA-256 is stored
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert sql(f"SELECT encode(token_hash, 'hex') FROM case_access_tokens t JOIN cases c "
               f"ON c.id = t.case_id WHERE c.ref = '{ref}'") == digest
    assert sql(f"SELECT count(*) FROM case_access_tokens WHERE token_hash = "
               f"convert_to('{token}', 'UTF8')") == "0"

    status, h, page = request("GET", h["location"])
    assert status == 200, page[:2000]
    check_security_headers(h)
    assert h["cache-control"] == "no-store"
    assert ref in page
    assert "30 mars 2026 à 11:00" in page, page
    assert "45 h" in page  # 12:00Z to 09:00Z two days later
    for step in ("Appelez tout de suite le service fraude", "Portez plainte",
                 "Gardez les e-mails"):
        assert step in page, step
    assert page.index("Appelez tout de suite") < page.index("Portez plainte") \
        < page.index("Gardez les e-mails")
    assert "Pas encore de réponse." in page
    assert fields["debtor_iban"] not in page  # the case page repeats no account number

    status, _, page = request("GET", f"/case/{ref}?t={token}&lang=en")
    assert status == 200 and "30 March 2026 at 11:00" in page

    # wrong, missing or malformed token: the same plain 404
    for path in (f"/case/{ref}?t={'A' * 43}", f"/case/{ref}", f"/case/{ref}?t=short",
                 f"/case/R48-0000-0000-0000?t={token}", "/case/nope?t=x",
                 f"/case/{'%C3%A0' * 40}?t={token}"):  # a segment longer than any ref
        status, h, page = request("GET", path)
        assert status == 404, (path, status)
        assert h["content-type"] == "text/html; charset=utf-8"
        check_security_headers(h)
        assert ref not in page


def test_double_submit_makes_one_case():
    fields = transfer_fields()
    fields["csrf"] = fresh_csrf()
    before = case_count()
    # one after the other (a reload of the post) ...
    s1, h1, _ = post(fields, csrf=None)
    s2, h2, _ = post(fields, csrf=None)
    assert s1 == 303 and s2 == 303, (s1, s2)
    ref1 = h1["location"].split("?")[0]
    ref2 = h2["location"].split("?")[0]
    assert ref1 == ref2
    assert h1["location"] != h2["location"]  # each answer has a token of its own
    for loc in (h1["location"], h2["location"]):
        assert request("GET", loc)[0] == 200
    # ... and at the same time (a double click)
    fields = transfer_fields()
    fields["csrf"] = fresh_csrf()
    results = []

    def send():
        results.append(post(fields, csrf=None))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r[0] for r in results] == [303] * 4, [r[0] for r in results]
    assert len({r[1]["location"].split("?")[0] for r in results}) == 1
    assert case_count() == before + 2
    # the same form sent again with other values (back, edit, send): 409, the
    # form again with a notice and a fresh nonce; sent again, a new case
    changed = dict(fields, amount="13 000,00")
    status, _, page = post(changed, csrf=None)
    assert status == 409, status
    assert "avait déjà été envoyé" in page
    assert 'value="13 000,00"' in page
    status, _, _ = post(changed, csrf=csrf_of(page))
    assert status == 303
    assert case_count() == before + 3


def test_csrf_token_required():
    before = case_count()
    fields = transfer_fields()
    status, h, page = post(fields, csrf=False)
    assert status == 403, status
    check_security_headers(h)
    # the form comes back with what was typed and a fresh token
    assert fields["debtor_iban"] in page and "Mairie de Saint-Exemple" in page
    token = csrf_of(page)
    # altered tokens
    for bad in ("garbage", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
                token.replace("1.", "2.", 1)):
        status, _, _ = post(fields, csrf=bad)
        assert status == 403, bad
    # a token of another relay (another random key) is refused too
    other = start_short_lived(Relay(db, name="webform-other", env={"RELAY48_CLOCK_FIXED": NOW}))
    try:
        foreign = fresh_csrf(target=other)
    finally:
        other.stop()
    status, _, _ = post(fields, csrf=foreign)
    assert status == 403
    assert case_count() == before
    # the fresh token of the 403 page works
    status, _, _ = post(fields, csrf=token)
    assert status == 303


def test_foreign_origin_refused():
    before = case_count()
    fields = transfer_fields()
    for headers in ({"Origin": "http://evil.example"},
                    {"Origin": "http://127.0.0.1:1"},
                    {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"},
                    {"Origin": "null", "Sec-Fetch-Site": "cross-site"}):
        status, h, page = post(fields, headers=headers)
        assert status == 403, (headers, status)
        check_security_headers(h)
        assert fields["debtor_iban"] not in page
    assert case_count() == before
    # the relay's own origin, and what a same-origin post sends under no-referrer
    status, _, _ = post(fields, headers={"Origin": f"http://127.0.0.1:{relay.port}",
                                         "Sec-Fetch-Site": "same-origin"})
    assert status == 303
    status, _, _ = post(transfer_fields(), headers={"Origin": "null",
                                                    "Sec-Fetch-Site": "same-origin"})
    assert status == 303


def test_invalid_iban_in_french_with_values_kept():
    before = case_count()
    good = fr_iban("30004")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    fields = transfer_fields(debtor_iban=bad, narrative="Il m'a appelé <vers 9h>.")
    status, h, page = post(fields)
    assert status == 422, status
    check_security_headers(h)
    assert case_count() == before
    assert "Cet IBAN n&#39;est pas valide" in page, page
    assert "4 derniers caractères" in page
    assert 'id="f-debtor_iban-error"' in page
    assert re.search(r'id="f-debtor_iban"[^>]*aria-describedby="f-debtor_iban-hint '
                     r'f-debtor_iban-error" aria-invalid="true" value="' + bad + '"', page), page
    assert '<a href="#f-debtor_iban">' in page  # the summary links to the field
    # every other value is kept, escaped
    assert f'value="{fields["creditor_iban"]}"' in page
    assert 'value="12 500,00"' in page
    assert 'value="fake_cyber_partnership" checked' in page
    assert "Il m&#39;a appelé &lt;vers 9h&gt;." in page
    assert "<vers 9h>" not in page
    # English
    fields["lang"] = "en"
    status, _, page = post(fields)
    assert status == 422 and "This IBAN is not valid" in page


def test_full_card_number_refused():
    pan = luhn_pan("497010")
    spaced = " ".join(pan[i:i + 4] for i in range(0, 16, 4))
    log_secrets.extend([pan, spaced])
    before = case_count()
    fields = {
        "kind": "card", "lang": "fr", "card_bin": spaced, "card_last4": pan[-4:],
        "op_at": "2026-03-28T08:14", "op_amount": "849,90", "op_currency": "EUR",
        "op_merchant": "ELECTRO-DISCOUNT", "op_country": "NL", "op_channel": "online",
        "victim_type": "person", "victim_name": "Jeanne Martin", "email": "jeanne@example.org",
    }
    status, _, page = post(fields)
    assert status == 422, status
    assert "N&#39;écrivez jamais le numéro complet de la carte" in page
    assert pan not in page and spaced not in page and pan[6:12] not in page
    # typed into the account of what happened: refused, shown back masked
    fields.update(card_bin=pan[:6], narrative=f"Ma carte {spaced} a été débitée.")
    status, _, page = post(fields)
    assert status == 422, status
    assert "numéro de carte complet" in page
    assert spaced not in page and "XXXX XXXX XXXX XXXX" in page
    assert case_count() == before
    # the right way: first 6 and last 4
    fields.update(narrative="Carte toujours en ma possession.")
    status, h, _ = post(fields)
    assert status == 303, status
    ref = h["location"].split("?")[0].rsplit("/", 1)[1]
    row = sql(f"SELECT kind, card_bin, card_last4, receipt LIKE 'WEB-%' FROM cases "
              f"WHERE ref = '{ref}'")
    assert row == f"card|{pan[:6]}|{pan[-4:]}|t", row
    status, _, page = request("GET", h["location"])
    assert "opposition" in page  # the card step of "what to do now"
    assert sql("SELECT count(*) FROM cases WHERE details::text LIKE '%" + pan[6:12] + "%'") == "0"


def test_bad_requests():
    status, h, _ = request("POST", "/report", '{"kind":"transfer"}',
                           {"Content-Type": "application/json"})
    assert status == 415
    check_security_headers(h)
    status, _, _ = request("POST", "/report", "a=%zz",
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400
    status, _, _ = request("POST", "/report", "a=" + "x" * 70000,
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    status, _, _ = request("DELETE", "/report")
    assert status == 405


def test_expired_window_page():
    # received 3 days after the transfer: expired on arrival, said plainly
    status, h, _ = post(transfer_fields(executed_at="25/03/2026 10:00"))
    assert status == 303, status
    status, _, page = request("GET", h["location"])
    assert "Le délai urgent est passé" in page
    assert "27 mars 2026 à 10:00" in page
    assert 'id="time-left"' not in page


def test_answers_on_the_case_page():
    status, h, _ = post(transfer_fields())
    assert status == 303
    ref = h["location"].split("?")[0].rsplit("/", 1)[1]
    sql("INSERT INTO acknowledgements (case_id, party, status, amount_minor, currency, note, "
        "request_hash, created_at) SELECT id, 'bank:' || creditor_bic, 'funds_frozen', 1250000, "
        "'EUR', 'Fonds bloqués <ok>', '\\x00'::bytea, '2026-03-28 12:30:00+00' FROM cases "
        f"WHERE ref = '{ref}'")
    status, _, page = request("GET", h["location"])
    assert status == 200
    assert "A bloqué l&#39;argent." in page, page
    assert "28 mars 2026 à 13:30" in page
    assert "Fonds bloqués &lt;ok&gt;" in page
    assert "12\u202f500,00\u00a0EUR" in page


def test_police_shown_alerted_once_the_reminder_fired():
    """sql/015: the page lists the police unit as alerted from its reminder's
    fired time (no case_addressees row is written for it by the scheduler)."""
    status, h, body = post(transfer_fields(amount="950,00"))
    assert status == 303, (status, body)
    ref = h["location"].split("?")[0].rsplit("/", 1)[1]
    status, _, page = request("GET", h["location"])
    assert status == 200 and "Pas encore alertée" in page, page  # under the threshold
    sql("UPDATE milestones m SET state = 'fired', fired_at = '2026-03-29 09:15:00+00' FROM cases c "
        f"WHERE c.id = m.case_id AND c.ref = '{ref}' AND m.name = 'reminder'")
    status, _, page = request("GET", h["location"])
    assert status == 200 and "Pas encore alertée" not in page, page
    assert re.search(r'Gendarmerie et police .*?</h3>\s*<p class="meta">Alertée le <time '
                     r'datetime="2026-03-29T09:15:00Z">29 mars 2026 à 11:15</time>', page), page


def test_rate_limit():
    limited = Relay(db, name="webform-rate", env={
        "RELAY48_CLOCK_FIXED": NOW,
        "RELAY48_WEB_RATE_PER_MINUTE": "1",
        "RELAY48_WEB_RATE_BURST": "2",
    })
    start_short_lived(limited)
    try:
        fields = transfer_fields(debtor_iban="not an iban")  # no case needed to count
        codes = []
        for _ in range(3):
            status, h, page = post(fields, target=limited)
            codes.append(status)
        assert codes == [422, 422, 429], codes
        check_security_headers(h)
        assert int(h["retry-after"]) >= 1, h
        assert "Trop d&#39;envois" in page
        # GET / is not limited
        assert request("GET", "/", target=limited)[0] == 200
    finally:
        limited.stop()


def test_nothing_secret_in_the_log():
    log = relay.log()
    for secret in log_secrets:
        assert secret not in log, secret
    assert "POST /report 303" in log


if __name__ == "__main__":
    setup()
    try:
        run_tests(globals())
    finally:
        assert relay.stop("TERM") == 0, "relay48 did not drain and exit 0"
