"""Schemathesis hooks for relay48's contract fuzzing.

Loaded by tests/integration/test_schemathesis.py through SCHEMATHESIS_HOOKS;
it reads what the test set up (base URL, bank secrets, seeded cases) from the
JSON file named by RELAY48_ST_CONTEXT. Two kinds of help, neither of which
turns an invalid request into a valid one, then a check and a summary:

1. Credentials. The bearer keys of the parties (partner, platform, a bank,
   a police unit), from RELAY48_ST_KEY_*. Bank webhooks are signed the
   Standard Webhooks way over the raw body: a requests auth object signs the
   prepared request, so the generated body is what is signed and exercised.
   A webhook-id or webhook-timestamp that matches its schema is replaced by a
   fresh one (ids must not repeat: a repeated id is answered with the first
   answer; the timestamp must be within 5 minutes); one that does not is
   sent as generated. The web form's anti-forgery token is fetched from
   GET / and put in place of a generated one that fits its schema.
   ignored_auth's probes are sent without these (schemathesis derives them
   without auth), so they show that a call without a key or with a wrong
   one, and an unsigned or badly signed webhook, are refused.

2. Plausible values in positive cases. A schema cannot say "within the last
   396 days" or "ISO 7064 check digits", so random valid-by-schema reports
   would all stop at 422. In about nine positive cases in ten the hooks
   replace times, IBANs, amounts, card numbers and the web form's checked
   fields by values that satisfy both the schema and the relay's rules
   (adding the form's fields a report needs: they are declared), case
   references and webhook BICs by ones that exist, and a report's
   Idempotency-Key by a unique one, so that the commits (201, 303), the
   acknowledgements and the case views are exercised with fuzzed text in
   every other field. A component generated negative is never touched.

3. A check, proto_schema_conformance: every JSON answer against its JSON
   Schema in proto/schemas (openapi.yaml leaves some out).

4. A summary: a CLI event handler counts, per operation and phase, the
   cases checked, positive and negative, the status codes, ignored_auth's
   probes and every failure, and writes them to RELAY48_ST_SUMMARY.
"""
import base64
import datetime
import hashlib
import hmac
import itertools
import json
import os
import re
import sys
import threading
import time
import urllib.parse

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import cli
from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine import events

with open(os.environ["RELAY48_ST_CONTEXT"], encoding="utf-8") as _f:
    CTX = json.load(_f)

# tests/lib/contract.py: proto/schemas and check_proto.py's validator.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import contract  # noqa: E402

BASE = CTX["base"]

# ---- 1. credentials ---------------------------------------------------------

WEBHOOK_ID = re.compile(r"[!-\-/-~]{1,100}")
WEBHOOK_TS = re.compile(r"[0-9]{1,18}")
# Ids and idempotency keys made here are unique to this process (shards run
# side by side, and a relay remembers webhook ids across runs).
_RUN = os.urandom(4).hex()
_OURS = re.compile(r"^st[0-9a-f]{8}-[0-9]+-")
_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _unique(value, limit):
    with _ids_lock:
        n = next(_ids)
    return f"st{_RUN}-{n}-{_OURS.sub('', value)}"[:limit]


def _bank_key(bic):
    """The signing key of a registered bank, as the relay finds it: any case,
    a branch code XXX may be left out; None for an unknown bank."""
    bic = bic.upper()
    if len(bic) == 11 and bic.endswith("XXX"):
        bic = bic[:8]
    secret = CTX["bank_secrets"].get(bic)
    return base64.b64decode(secret[len("whsec_"):]) if secret else None


def _header(r, name):
    v = r.headers.get(name)
    if isinstance(v, bytes):
        try:
            v = v.decode("ascii")
        except UnicodeDecodeError:
            return None
    return v


class WebhookSigner(requests.auth.AuthBase):
    """Signs a bank webhook over the body exactly as it will be sent."""

    def __call__(self, r):
        path = urllib.parse.urlsplit(r.url).path
        key = _bank_key(urllib.parse.unquote(path.rsplit("/", 1)[-1]))
        msg_id = _header(r, "webhook-id")
        ts = _header(r, "webhook-timestamp")
        if msg_id is not None and WEBHOOK_ID.fullmatch(msg_id):
            msg_id = _unique(msg_id, 100)
            r.headers["webhook-id"] = msg_id
        if ts is not None and WEBHOOK_TS.fullmatch(ts):
            ts = str(int(time.time()))
            r.headers["webhook-timestamp"] = ts
        if key is not None and msg_id is not None and ts is not None:
            body = r.body or b""
            if isinstance(body, str):
                body = body.encode("utf-8")
            mac = hmac.new(key, msg_id.encode("utf-8", "surrogateescape") + b"." +
                           ts.encode("utf-8", "surrogateescape") + b"." + body,
                           hashlib.sha256).digest()
            r.headers["webhook-signature"] = "v1," + base64.b64encode(mac).decode()
        return r


_session = threading.local()


def _fresh_csrf():
    s = getattr(_session, "s", None)
    if s is None:
        s = _session.s = requests.Session()
    page = s.get(BASE + "/", timeout=10).text
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    return m.group(1) if m else ""


class FormToken(requests.auth.AuthBase):
    """Puts a fresh anti-forgery token in place of a generated one that fits
    the schema (at most 100 characters); every other byte is left as is."""

    def __call__(self, r):
        ctype = _header(r, "Content-Type") or ""
        if not ctype.startswith("application/x-www-form-urlencoded") or not r.body:
            return r
        body = r.body if isinstance(r.body, bytes) else r.body.encode("utf-8")
        parts = body.split(b"&")
        changed = False
        for i, part in enumerate(parts):
            name, eq, value = part.partition(b"=")
            if urllib.parse.unquote_to_bytes(name.replace(b"+", b" ")) != b"csrf" or not eq:
                continue
            if len(urllib.parse.unquote_plus(value.decode("latin-1"))) > 100:
                continue
            parts[i] = b"csrf=" + urllib.parse.quote(_fresh_csrf()).encode()
            changed = True
        if changed:
            r.body = b"&".join(parts)
            r.headers["Content-Length"] = str(len(r.body))
        return r


class BearerKey(requests.auth.AuthBase):
    """Authorization: Bearer <one of the keys the test made>."""

    def __init__(self, key):
        self.key = key

    def __call__(self, r):
        r.headers["Authorization"] = "Bearer " + self.key
        return r


# Each operation with the party the contract names for it. (Not as headers
# in schemathesis.toml's [[operations]]: schemathesis 4.32 keeps such a header
# on the worker's session, so the next operation tested, the bank webhook
# say, is sent the previous one's Authorization too.)
for _op, _party in (("createReport", "PARTNER"), ("declareCardFrauds", "PLATFORM"),
                    ("getCase", "BANK"), ("acknowledgeCase", "BANK"), ("listCases", "POLICE")):
    schemathesis.auth.set_from_requests(
        BearerKey(os.environ["RELAY48_ST_KEY_" + _party])).apply_to(operation_id=_op)
schemathesis.auth.set_from_requests(WebhookSigner()).apply_to(operation_id="receiveBankWebhook")
schemathesis.auth.set_from_requests(FormToken()).apply_to(operation_id="postReportForm")

# ---- 2. plausible values ----------------------------------------------------


def _iban(country, bban):
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


# Bank codes of the shipped directory (sql/data/bank_directory.csv) and a few
# other countries' shapes; check digits computed.
_IBANS = [
    _iban("FR", "30004" + "00001" + "00012345678" + "06"),
    _iban("FR", "30003" + "00001" + "00098765432" + "71"),
    _iban("FR", "16958" + "00001" + "74125896301" + "58"),
    _iban("FR", "30002" + "00550" + "0000157841Z" + "25"),
    _iban("DE", "37040044" + "0532013000"),
    _iban("BE", "539007547034"),
    _iban("ES", "2100" + "0418" + "45" + "0200051332"),
    _iban("NL", "ABNA" + "0417164300"),
    _iban("IT", "X" + "05428" + "11101" + "000000123456"),
]


def _spelled_iban(iban, style):
    if style == 1:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    if style == 2:
        return iban.lower()
    return iban


ibans = st.builds(_spelled_iban, st.sampled_from(_IBANS), st.integers(0, 2))

_MINOR = {"EUR": 2, "USD": 2, "CHF": 2, "GBP": 2, "JPY": 0, "XPF": 0, "KWD": 3, "CLF": 4}


@st.composite
def amounts(draw):
    currency = draw(st.sampled_from(sorted(_MINOR)))
    minor = _MINOR[currency]
    whole = draw(st.integers(0, 10 ** (13 - minor) - 1))
    decimals = draw(st.integers(0, minor))
    frac = "".join(draw(st.sampled_from("0123456789")) for _ in range(decimals))
    if whole == 0 and not frac.strip("0"):
        whole = 1
    lead = "0" * draw(st.integers(0, 2))
    value = f"{lead}{whole}" + (f".{frac}" if frac else "")
    return {"value": value, "currency": currency}


_OFFSETS = ["Z", "z", "+00:00", "-00:00", "+01:00", "+02:00", "-05:30", "+14:00", "-12:00"]


@st.composite
def recent_times(draw):
    """An RFC 3339 time with an offset between a minute and 395 days ago."""
    ago = draw(st.integers(60, 395 * 86400))
    off = draw(st.sampled_from(_OFFSETS))
    utc = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=ago)
    if off in ("Z", "z"):
        local = utc
    else:
        sign = 1 if off[0] == "+" else -1
        local = utc + sign * datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
    sep = draw(st.sampled_from("Tt"))
    frac = draw(st.sampled_from(["", ".5", ".123456789"]))
    return local.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + frac + off


def _luhn(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


@st.composite
def pans(draw):
    n = draw(st.integers(13, 19))
    digits = _luhn("4970" + "".join(draw(st.sampled_from("0123456789")) for _ in range(n - 5)))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(digits[i:i + 4] for i in range(0, len(digits), 4)) if sep else digits


def _plausible_report(draw, report):
    """Semantic fix-ups of a report (or declaration) that is valid by schema."""
    if not isinstance(report, dict):
        return
    if report.get("kind", "card") == "transfer" or "executed_at" in report:
        if "executed_at" in report:
            report["executed_at"] = draw(recent_times())
        for party in ("debtor", "creditor"):
            if isinstance(report.get(party), dict) and "iban" in report[party]:
                report[party]["iban"] = draw(ibans)
        if isinstance(report.get("amount"), dict):
            report["amount"] = draw(amounts())
    ops = report.get("operations")
    if isinstance(ops, list):
        currency = draw(amounts())["currency"]
        for op in ops:
            if isinstance(op, dict):
                op["at"] = draw(recent_times())
                if isinstance(op.get("amount"), dict):
                    a = draw(amounts())
                    # mostly one currency per declaration, as issuers list them
                    if draw(st.integers(0, 9)) != 9:
                        minor = _MINOR[currency]
                        whole = a["value"].split(".")[0].lstrip("0")[:13 - minor] or "1"
                        a = {"value": whole, "currency": currency}
                    op["amount"] = a
    card = report.get("card")
    if isinstance(card, dict) and "pan" in card:
        card["pan"] = draw(pans())


@st.composite
def paris_wall_times(draw):
    """A past time as a victim types it in the form (Europe/Paris, no offset)."""
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
        minutes=draw(st.integers(120, 300 * 24 * 60)))
    return t.strftime(draw(st.sampled_from(["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"])))


@st.composite
def typed_amounts(draw):
    """An amount as people type it: 12 500,00 or 12500.00 or 849,9."""
    whole = draw(st.integers(1, 9_999_999))
    cents = draw(st.integers(0, 99))
    style = draw(st.integers(0, 2))
    if style == 0:
        return f"{whole:,}".replace(",", " ") + f",{cents:02d}"
    if style == 1:
        return f"{whole}.{cents:02d}"
    return str(whole)


_FORM_VALUES = {
    # field: strategy of a value the form takes (lengths within the schema's)
    "executed_at": paris_wall_times(), "op_at": paris_wall_times(),
    "amount": typed_amounts(), "op_amount": typed_amounts(),
    "currency": st.sampled_from(["EUR", "CHF", "GBP", "USD", "XPF"]),
    "op_currency": st.sampled_from(["EUR", "CHF", "GBP", "USD"]),
    "debtor_iban": ibans, "creditor_iban": ibans,
    "email": st.from_regex(r"[a-z][a-z0-9.]{0,20}@example\.(org|fr)", fullmatch=True),
    "phone": st.sampled_from(["05 61 00 00 00", "+33 6 12 34 56 78", "0561000000"]),
    "postal_code": st.from_regex(r"(0[1-9]|[1-8][0-9]|9[0-5]|97)[0-9]{3}", fullmatch=True),
    "scenario": st.sampled_from(["fake_bank_advisor", "ceo_fraud", "forged_invoice",
                                 "fake_cyber_partnership", "fake_investment", "other"]),
    "card_bin": st.sampled_from(["497010", "49701012", "513100"]),
    "card_last4": st.from_regex(r"[0-9]{4}", fullmatch=True),
    "receipt": st.from_regex(r"PCV-[0-9]{6,12}", fullmatch=True),
    "op_country": st.sampled_from(["FR", "NL", "DE", "US"]),
}


_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=80)
_FORM_NEEDS = {
    "transfer": ["executed_at", "amount", "currency", "debtor_iban", "creditor_iban",
                 "victim_name", "email", "scenario"],
    "card": ["card_bin", "card_last4", "op_at", "op_amount", "op_currency", "op_merchant",
             "op_country", "op_channel", "victim_name", "email"],
}


def _plausible_form(draw, form):
    """The fields a report needs, added when the generated form lacks them
    (they are declared, so the form stays valid), and the ones the relay
    checks beyond their length made to pass; names, merchant and narrative
    stay as generated (or drawn as free text when added)."""
    if not isinstance(form, dict) or form.get("kind") not in _FORM_NEEDS:
        return
    for name in _FORM_NEEDS[form["kind"]]:
        if name not in form:
            form[name] = "" if name not in _FORM_VALUES else None
    for name, values in _FORM_VALUES.items():
        if name in form and (form[name] is None or isinstance(form[name], str)):
            form[name] = draw(values)
    for name in ("victim_name", "op_merchant"):
        if form.get(name) == "":
            form[name] = draw(_TEXT)
    if form.get("op_channel") == "":
        form["op_channel"] = draw(st.sampled_from(["online", "contactless", "atm"]))
    hashes = form.get("evidence_sha256")
    if isinstance(hashes, list):
        form["evidence_sha256"] = [draw(st.from_regex(r"[0-9a-f]{64}", fullmatch=True))
                                   for _ in hashes]


def _positive(case, location):
    return case.meta is None or not case.meta.is_negative_at(location)


def _operation_id(context):
    return context.operation.definition.raw.get("operationId")


@schemathesis.hook("flatmap_case")
def relay48_plausible(context, case):
    op = _operation_id(context)

    @st.composite
    def fixed(draw):
        if draw(st.integers(0, 9)) == 9:  # a few cases as generated (hypothesis favours 0)
            return case
        if op in ("getCase", "acknowledgeCase") and CTX["bank_refs"] and \
                _positive(case, ParameterLocation.PATH):
            case.path_parameters["ref"] = draw(st.sampled_from(CTX["bank_refs"]))
        elif op == "getCasePage" and CTX["pages"] and _positive(case, ParameterLocation.PATH) \
                and _positive(case, ParameterLocation.QUERY) and isinstance(case.query, dict):
            ref, token = draw(st.sampled_from(CTX["pages"]))
            case.path_parameters["ref"] = ref
            case.query["t"] = token
        elif op == "receiveBankWebhook":
            if _positive(case, ParameterLocation.PATH):
                bic = draw(st.sampled_from(sorted(CTX["bank_secrets"])))
                case.path_parameters["bic"] = draw(
                    st.sampled_from([bic, bic.lower(), bic + "XXX"]))
            body = case.body
            if _positive(case, ParameterLocation.BODY) and isinstance(body, dict) and \
                    isinstance(body.get("data"), dict):
                if body.get("type") == "fraud_report.created":
                    _plausible_report(draw, body["data"])
                elif CTX["bank_refs"] and "ref" in body["data"]:
                    body["data"]["ref"] = draw(st.sampled_from(CTX["bank_refs"]))
        elif op == "postReportForm" and _positive(case, ParameterLocation.BODY):
            _plausible_form(draw, case.body)
        elif op in ("createReport", "declareCardFrauds") and \
                _positive(case, ParameterLocation.BODY):
            key = (case.headers or {}).get("Idempotency-Key")
            if isinstance(key, str) and _positive(case, ParameterLocation.HEADER):
                # generated keys repeat ("0"), which makes most reports 409s
                case.headers["Idempotency-Key"] = _unique(key, 128)
            body = case.body
            if isinstance(body, dict) and isinstance(body.get("declarations"), list):
                for decl in body["declarations"]:
                    _plausible_report(draw, decl)
            else:
                _plausible_report(draw, body)
        return case

    return fixed()


# ---- 3. the answers against proto/schemas -------------------------------------

# openapi.yaml copies some schemas and leaves others out ("not copied here":
# case views and lists, the webhook's answers), so response_schema_conformance
# cannot see them all. This check validates every JSON answer against its
# JSON Schema in proto/schemas, the contract's source of truth.
_ANSWERS = {
    ("createReport", 201): "report_created_response.json",
    ("createReport", 200): "report_created_response.json",
    ("acknowledgeCase", 201): "ack_response.json",
    ("acknowledgeCase", 200): "ack_response.json",
    ("getCase", 200): "case_view.json",
    ("listCases", 200): "case_list.json",
    ("declareCardFrauds", 201): "perceval_response.json",
    ("declareCardFrauds", 200): "perceval_response.json",
    ("getHealthz", 200): "health.json",
    ("getReadyz", 200): "ready.json",
}


@schemathesis.check
def proto_schema_conformance(ctx, response, case):
    """A JSON answer validates against its proto/schemas JSON Schema; every
    problem+json against problem.json."""
    ctype = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    op = case.operation.definition.raw.get("operationId")
    if ctype == "application/problem+json":
        schema = "problem.json"
    elif ctype != "application/json":
        return None
    elif op == "receiveBankWebhook" and response.status_code == 201:
        kind = case.body.get("type") if isinstance(case.body, dict) else None
        schema = "report_created_response.json" if kind == "fraud_report.created" \
            else "ack_response.json"
    else:
        schema = _ANSWERS.get((op, response.status_code))
        if schema is None:
            raise AssertionError(f"no JSON answer is documented for {op} "
                                 f"{response.status_code}")
    try:
        value = response.json()
    except ValueError:
        raise AssertionError(f"{ctype} answer that is not JSON") from None
    errs = contract.errors(value, schema)
    if errs:
        raise AssertionError(f"answer violates proto/schemas/{schema}: " + "; ".join(errs[:5]))
    return None


# ---- 4. summary ---------------------------------------------------------------


@cli.handler()
class Relay48Summary(cli.EventHandler):
    """Per operation and phase: cases checked (positive, negative), status
    codes, ignored_auth probes, failures; written as JSON at the end."""

    def __init__(self, *args, **params):
        self.ops = {}
        self.errors = []
        self.started = time.monotonic()

    def _op(self, label):
        return self.ops.setdefault(label, {"phases": {}, "statuses": {}, "probes": 0,
                                          "probe_statuses": {}, "failures": []})

    def handle_event(self, ctx, event):
        if isinstance(event, events.ScenarioFinished):
            rec = event.recorder
            op = self._op(rec.label)
            phase = op["phases"].setdefault(event.phase.value,
                                            {"cases": 0, "positive": 0, "negative": 0})
            for case_id, node in rec.cases.items():
                inter = rec.interactions.get(case_id)
                status = str(inter.response.status_code) if inter and inter.response else "none"
                if case_id in rec.checks:
                    phase["cases"] += 1
                    meta = node.value.meta
                    mode = meta.generation.mode.value if meta is not None else "positive"
                    phase[mode] = phase.get(mode, 0) + 1
                    by = op["statuses"].setdefault(f"{event.phase.value}/{mode}", {})
                    by[status] = by.get(status, 0) + 1
                    for check in rec.checks[case_id]:
                        if check.failure_info is not None:
                            f = check.failure_info.failure
                            op["failures"].append({"check": check.name, "title": f.title,
                                                   "status": status, "phase": event.phase.value})
                elif node.parent_id is not None:
                    op["probes"] += 1
                    op["probe_statuses"][status] = op["probe_statuses"].get(status, 0) + 1
        elif isinstance(event, events.NonFatalError):
            self.errors.append({"label": getattr(event, "label", "?"),
                                "message": str(getattr(event, "info", event))[:2000]})
        elif isinstance(event, events.EngineFinished):
            path = os.environ.get("RELAY48_ST_SUMMARY")
            if path:
                with open(path, "w", encoding="utf-8") as f:
                    json.dump({"operations": self.ops, "errors": self.errors,
                               "seconds": round(time.monotonic() - self.started, 1)}, f,
                              indent=1, sort_keys=True)
