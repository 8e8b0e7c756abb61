"""Valid report bodies for tests: IBANs with correct check digits, and
transfers and card reports in the shape of proto/schemas."""
import datetime
import random


def iban(country, bban):
    """An IBAN with ISO 13616 check digits for country + bban."""
    rearranged = bban + country + "00"
    digits = "".join(str(int(c, 36)) for c in rearranged)
    check = 98 - int(digits) % 97
    return f"{country}{check:02d}{bban}"


def fr_iban(bank_code, account=None):
    account = account or "".join(random.choice("0123456789") for _ in range(11))
    return iban("FR", f"{bank_code}00001{account}{random.randint(10, 97)}")


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def rfc3339(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def transfer(amount="12500.00", executed_at=None, debtor_bank="30004", creditor_bank="30003",
             creditor_iban=None, postal_code="31000", **extra):
    body = {
        "kind": "transfer",
        "executed_at": executed_at or rfc3339(now_utc() - datetime.timedelta(hours=2)),
        "amount": {"value": amount, "currency": "EUR"},
        "rail": "sct",
        "debtor": {"iban": fr_iban(debtor_bank), "name": "Mairie de Saint-Exemple"},
        "creditor": {"iban": creditor_iban or fr_iban(creditor_bank), "name": "Cyber Partenaires SAS"},
        "victim": {"name": "Claire Martin", "email": "claire.martin@example.org",
                   "phone": "+33 5 61 00 00 00", "postal_code": postal_code,
                   "type": "public_body"},
        "scenario": "fake_cyber_partnership",
        "narrative": "Un faux partenariat de cybersécurité proposé à la mairie.",
    }
    body.update(extra)
    return body


def card(pan=None, receipt=None, amount="249.90", **extra):
    body = {
        "kind": "card",
        "receipt": receipt or f"PCV-{random.randint(10**9, 10**10)}",
        "card": {"pan": pan} if pan else {"bin": "497010", "last4": "4242"},
        "operations": [{"at": rfc3339(now_utc() - datetime.timedelta(hours=3)),
                        "amount": {"value": amount, "currency": "EUR"},
                        "merchant": "SHOP EXEMPLE", "country": "FR", "channel": "online"}],
        "victim": {"name": "Jean Dupont", "email": "jean.dupont@example.org",
                   "postal_code": "75011"},
    }
    body.update(extra)
    return body


def luhn_pan(prefix="497010", length=16):
    """A card number that passes Luhn."""
    body = prefix + "".join(random.choice("0123456789") for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)
