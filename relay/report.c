/*
 * report.c — reads one report (see report.h).
 *
 * A validation context collects field errors (bounded) and an
 * out-of-memory flag. One reader per object of the contract (amount, party,
 * victim, evidence, card, operation) checks the object's members against a
 * closed list, reads each string through get_string (type, NUL, trimming,
 * length in code points, control characters, card numbers in free text) and
 * writes what it accepts into struct report and the details object. Every
 * reader goes on after an error so that one reply lists every bad field.
 *
 * Pure: no I/O, no global state; `now` is a parameter.
 */
#include "report.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "amount.h"
#include "card.h"
#include "iban.h"
#include "postal.h"
#include "timeutil.h"

/* Field errors one call appends at most: a body made of thousands of
 * unknown members must not turn into a reply of thousands of errors. The
 * call still fails when more are found. */
#define REPORT_MAX_ERRORS 100

/* Longest error pointer written (proto/schemas/common.json field_error). */
#define POINTER_MAX 512

/* Maximum lengths in Unicode code points, after trimming (proto/schemas). */
#define LEN_NAME        200
#define LEN_EMAIL       254
#define LEN_PHONE       32
#define LEN_IBAN        42
#define LEN_BIC         11
#define LEN_TIME        35
#define LEN_AMOUNT      20
#define LEN_CURRENCY    3
#define LEN_NARRATIVE   4000
#define LEN_FILE_NAME   255
#define LEN_SHA256      64
#define LEN_E2E         35
#define LEN_UETR        36
#define LEN_CHANNEL_REF 64
#define LEN_RECEIPT     64
#define LEN_MERCHANT    200
#define LEN_COUNTRY     2
#define LEN_POSTAL      5
#define LEN_BIN         8
#define LEN_LAST4       4
#define LEN_ENUM        SIZE_MAX /* an enumeration answers invalid_enum, never too_long */

/* get_string flags. */
#define F_REQUIRED  0x01u /* absent: required */
#define F_NONEMPTY  0x02u /* nothing left after trimming: too_short */
#define F_NO_CTRL   0x04u /* a C0 control character or DEL: invalid_format */
#define F_MULTILINE 0x08u /* with F_NO_CTRL: TAB, LF and CR are allowed */
#define F_ASCII     0x10u /* only printable ASCII (0x20..0x7E), else invalid_format */
#define F_NO_PAN    0x20u /* a card number in it: full_card_number_refused */
#define F_TEXT      (F_NONEMPTY | F_NO_CTRL | F_NO_PAN) /* names, merchant, file name */

/* Room for a trimmed copy of card.pan: the contract allows 23 characters.
 * Anything longer is refused without being copied. */
#define PAN_BUF 64

#define DETAIL_PAN_REFUSED                                                                         \
    "a full card number may not be sent here; give only the first 6 and last 4 digits"

#define DETAIL_UNKNOWN_UNNAMED                                                                     \
    "A member of this object is not part of the contract (its name is not repeated)."

enum { S_BAD = -1, S_ABSENT = 0, S_OK = 1 };

struct ctx {
    json_t *errors;
    const char *prefix;
    int64_t now;
    struct report_limits limits;
    int appended; /* errors this call appended */
    int failed;   /* at least one field error */
    int oom;      /* an allocation failed */
};

/* What report_from_json took out of card.pan before wiping it. */
struct pan_in {
    int present;   /* card.pan exists */
    int is_string; /* and is a string */
    int unusable;  /* too long to copy, or holds a NUL */
    char buf[PAN_BUF];
};

static const char *const scenarios[] = {
    "fake_bank_advisor", "ceo_fraud",     "forged_invoice", "fake_cyber_partnership",
    "fake_investment",   "fake_delivery", "romance",        "other"};
static const char *const victim_types[] = {"person", "company", "public_body"};
static const char *const card_channels[] = {"online", "contactless", "chip_pin",
                                            "atm",    "magstripe",   "other"};
static const char *const kinds[] = {"transfer", "card"};

static const char *const transfer_keys[] = {
    "kind",     "executed_at",   "amount", "rail",      "debtor",   "creditor",   "victim",
    "scenario", "end_to_end_id", "uetr",   "narrative", "evidence", "channel_ref"};
static const char *const card_keys[] = {"kind",       "receipt",  "card",
                                        "operations", "victim",   "issuer_bic",
                                        "narrative",  "scenario", "rail"};
static const char *const amount_keys[] = {"value", "currency"};
static const char *const party_keys[] = {"iban", "bic", "name"};
static const char *const victim_keys[] = {"name", "email", "phone", "postal_code", "type"};
static const char *const evidence_keys[] = {"file_name", "sha256"};
static const char *const card_member_keys[] = {"bin", "last4", "pan"};
static const char *const operation_keys[] = {"at", "amount", "merchant", "country", "channel"};

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_hex(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static void str_free(char **s)
{
    if (*s != NULL) {
        explicit_bzero(*s, strlen(*s));
        RELAY_FREE(*s);
    }
}

/* Appends {"pointer": prefix + ptr, "code", "detail"} to the errors. */
static void add_error(struct ctx *c, const char *ptr, const char *code, const char *detail)
{
    json_t *e;

    c->failed = 1;
    if (c->appended >= REPORT_MAX_ERRORS) {
        return;
    }
    e = json_object();
    if (e == NULL) {
        c->oom = 1;
        return;
    }
    if (json_object_set_new(e, "pointer", json_sprintf("%s%s", c->prefix, ptr)) != 0 ||
        json_object_set_new(e, "code", json_string(code)) != 0 ||
        json_object_set_new(e, "detail", json_string(detail)) != 0) {
        json_decref(e);
        c->oom = 1;
        return;
    }
    if (json_array_append_new(c->errors, e) != 0) {
        c->oom = 1;
        return;
    }
    c->appended++;
}

/* Sets obj[key] = value, taking ownership of value (NULL: out of memory). */
static void put(struct ctx *c, json_t *obj, const char *key, json_t *value)
{
    if (json_object_set_new(obj, key, value) != 0) {
        c->oom = 1;
    }
}

static void put_str(struct ctx *c, json_t *obj, const char *key, const char *s)
{
    put(c, obj, key, json_string(s));
}

/* base + "/" + name, for the fixed member names of the contract. */
static void ptr_join(char *out, size_t size, const char *base, const char *name)
{
    int n = snprintf(out, size, "%s/%s", base, name);

    assert(n > 0 && (size_t)n < size);
    (void)n;
}

static void ptr_index(char *out, size_t size, const char *base, size_t i)
{
    int n = snprintf(out, size, "%s/%zu", base, i);

    assert(n > 0 && (size_t)n < size);
    (void)n;
}

/*
 * An unknown member: its pointer is base + "/" + the name escaped as RFC 6901
 * says ('~' -> "~0", '/' -> "~1"). A name that looks like a card number, or
 * too long for a pointer, is not repeated: the error points at the object.
 */
static void unknown_member(struct ctx *c, const char *base, const char *key)
{
    char ptr[POINTER_MAX + 1];
    size_t n = strlen(base);
    size_t plen = strlen(c->prefix);
    size_t room = plen < POINTER_MAX ? POINTER_MAX - plen : 0;

    if (card_looks_like_pan(key) || n + 1 > room) {
        add_error(c, base, "unknown_field", DETAIL_UNKNOWN_UNNAMED);
        return;
    }
    memcpy(ptr, base, n);
    ptr[n++] = '/';
    for (const char *k = key; *k != '\0'; k++) {
        size_t need = (*k == '~' || *k == '/') ? 2 : 1;

        if (n + need > room) {
            add_error(c, base, "unknown_field", DETAIL_UNKNOWN_UNNAMED);
            return;
        }
        if (need == 2) {
            ptr[n++] = '~';
            ptr[n++] = *k == '~' ? '0' : '1';
        } else {
            ptr[n++] = *k;
        }
    }
    ptr[n] = '\0';
    /* Escaping ("/" -> "~1") can join digit groups into a card number. */
    if (card_looks_like_pan(ptr + strlen(base))) {
        add_error(c, base, "unknown_field", DETAIL_UNKNOWN_UNNAMED);
        return;
    }
    add_error(c, ptr, "unknown_field", "This member is not part of the contract.");
}

/* Every member of obj must be one of allowed[]; unknown_field otherwise. */
static void check_members(struct ctx *c, json_t *obj, const char *base, const char *const *allowed,
                          size_t n)
{
    const char *key;
    json_t *value;

    json_object_foreach(obj, key, value)
    {
        size_t i = 0;

        while (i < n && strcmp(key, allowed[i]) != 0) {
            i++;
        }
        if (i == n) {
            unknown_member(c, base, key);
        }
    }
}

/*
 * Reads obj[key] as a string: the type, no NUL, trimmed of ASCII
 * whitespace, at most max_cp code points, then what flags ask. S_OK with a
 * trimmed copy in *out (caller frees with str_free), S_ABSENT (an error
 * when F_REQUIRED), or S_BAD with the error appended.
 */
static int get_string(struct ctx *c, json_t *obj, const char *key, const char *ptr, unsigned flags,
                      size_t max_cp, char **out)
{
    json_t *v = json_object_get(obj, key);
    const char *s;
    const char *end;
    size_t cp = 0;
    size_t len;
    char detail[64];
    char *copy;

    *out = NULL;
    if (v == NULL) {
        if (flags & F_REQUIRED) {
            add_error(c, ptr, "required", "This member is required.");
        }
        return S_ABSENT;
    }
    if (!json_is_string(v)) {
        add_error(c, ptr, "invalid_type", "Expected a string.");
        return S_BAD;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (memchr(s, '\0', len) != NULL) {
        add_error(c, ptr, "invalid_format", "A NUL character is not allowed.");
        return S_BAD;
    }
    end = s + len;
    while (s < end && is_space(*s)) {
        s++;
    }
    while (end > s && is_space(end[-1])) {
        end--;
    }
    len = (size_t)(end - s);
    for (const char *p = s; p < end; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80) {
            cp++;
        }
    }
    if (cp > max_cp) {
        snprintf(detail, sizeof(detail), "At most %zu characters.", max_cp);
        add_error(c, ptr, "too_long", detail);
        return S_BAD;
    }
    if ((flags & F_NONEMPTY) && cp == 0) {
        add_error(c, ptr, "too_short", "Must not be empty.");
        return S_BAD;
    }
    for (const char *p = s; p < end; p++) {
        unsigned char b = (unsigned char)*p;

        if ((flags & F_NO_CTRL) && (b < 0x20 || b == 0x7F) &&
            !((flags & F_MULTILINE) && (b == '\t' || b == '\n' || b == '\r'))) {
            add_error(c, ptr, "invalid_format", "Control characters are not allowed.");
            return S_BAD;
        }
        if ((flags & F_ASCII) && (b < 0x20 || b > 0x7E)) {
            add_error(c, ptr, "invalid_format", "Only printable ASCII characters are allowed.");
            return S_BAD;
        }
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        c->oom = 1;
        return S_BAD;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    if ((flags & F_NO_PAN) && card_looks_like_pan(copy)) {
        str_free(&copy);
        add_error(c, ptr, "full_card_number_refused", DETAIL_PAN_REFUSED);
        return S_BAD;
    }
    *out = copy;
    return S_OK;
}

/* "Expected one of: a, b, c." */
static void enum_detail(char *out, size_t size, const char *const *values, size_t n)
{
    size_t used = 0;
    int w = snprintf(out, size, "Expected one of:");

    used = w > 0 ? (size_t)w : 0;
    for (size_t i = 0; i < n && used < size; i++) {
        w = snprintf(out + used, size - used, "%s %s", i == 0 ? "" : ",", values[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    if (used < size) {
        snprintf(out + used, size - used, ".");
    }
}

/* A string that must be one of values[]: S_OK with *out = values[i]. */
static int get_enum(struct ctx *c, json_t *obj, const char *key, const char *ptr, unsigned flags,
                    const char *const *values, size_t n, const char **out)
{
    char *s;
    char detail[256];
    int rc = get_string(c, obj, key, ptr, flags, LEN_ENUM, &s);

    *out = NULL;
    if (rc != S_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, values[i]) == 0) {
            *out = values[i];
            str_free(&s);
            return S_OK;
        }
    }
    str_free(&s);
    enum_detail(detail, sizeof(detail), values, n);
    add_error(c, ptr, "invalid_enum", detail);
    return S_BAD;
}

/* obj[key] as an object: S_OK, S_ABSENT (required error when asked), S_BAD. */
static int get_object(struct ctx *c, json_t *obj, const char *key, const char *ptr, int required,
                      json_t **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL) {
        if (required) {
            add_error(c, ptr, "required", "This member is required.");
        }
        return S_ABSENT;
    }
    if (!json_is_object(v)) {
        add_error(c, ptr, "invalid_type", "Expected an object.");
        return S_BAD;
    }
    *out = v;
    return S_OK;
}

/*
 * An RFC 3339 time with its offset, no further than limits.future_skew
 * after now and no older than now - limits.max_age (both bounds included).
 */
static int get_time(struct ctx *c, json_t *obj, const char *key, const char *ptr, int64_t *t)
{
    char *s;
    enum rfc3339_error e;
    int rc = get_string(c, obj, key, ptr, F_REQUIRED, LEN_TIME, &s);

    if (rc != S_OK) {
        return rc;
    }
    e = rfc3339_parse(s, t);
    str_free(&s);
    if (e == RFC3339_NO_OFFSET) {
        add_error(c, ptr, "time_without_offset",
                  "Give the time with its offset, e.g. 2026-03-28T10:00:00+01:00.");
        return S_BAD;
    }
    if (e != RFC3339_OK) {
        add_error(c, ptr, "invalid_time",
                  "Not an RFC 3339 date-time, e.g. 2026-03-28T10:00:00+01:00.");
        return S_BAD;
    }
    /* t and now are both within 0..TIMEUTIL_TIME_MAX: no overflow. */
    if (*t > c->now && *t - c->now > c->limits.future_skew) {
        add_error(c, ptr, "time_in_future", "This time is later than the relay's clock.");
        return S_BAD;
    }
    if (*t < c->now && c->now - *t > c->limits.max_age) {
        add_error(c, ptr, "time_too_old", "This time is older than the relay accepts.");
        return S_BAD;
    }
    return S_OK;
}

static const char *amount_message(enum amount_error e)
{
    switch (e) {
    case AMOUNT_EMPTY:
        return "Give the amount, e.g. 12500.00.";
    case AMOUNT_BAD_SYNTAX:
        return "Write the amount as a decimal string, e.g. 12500.00: digits, an optional '.' and "
               "decimals; no sign, space or ','.";
    case AMOUNT_TOO_MANY_DECIMALS:
        return "The amount has more decimals than its currency.";
    case AMOUNT_NOT_POSITIVE:
        return "The amount must be greater than zero.";
    case AMOUNT_TOO_LARGE:
        return "The amount is too large.";
    case AMOUNT_UNKNOWN_CURRENCY:
    case AMOUNT_OK:
        break;
    }
    return "Invalid amount.";
}

/* obj.amount = {value, currency}: S_OK with minor units and the currency. */
static int get_amount(struct ctx *c, json_t *obj, const char *ptr, int64_t *minor, char currency[4])
{
    char pv[64];
    char pc[64];
    char *value = NULL;
    char *cur = NULL;
    json_t *a;
    int rv;
    int rc;
    int ok = 0;

    *minor = 0;
    currency[0] = '\0';
    if (get_object(c, obj, "amount", ptr, 1, &a) != S_OK) {
        return S_BAD;
    }
    check_members(c, a, ptr, amount_keys, RELAY_ARRAY_LEN(amount_keys));
    ptr_join(pv, sizeof(pv), ptr, "value");
    ptr_join(pc, sizeof(pc), ptr, "currency");
    rv = get_string(c, a, "value", pv, F_REQUIRED, LEN_AMOUNT, &value);
    rc = get_string(c, a, "currency", pc, F_REQUIRED, LEN_CURRENCY, &cur);
    if (rc == S_OK && currency_exponent(cur) < 0) {
        add_error(c, pc, "invalid_currency",
                  "Not an ISO 4217 currency code with minor units, in upper case (e.g. EUR).");
        rc = S_BAD;
    }
    if (rv == S_OK && rc == S_OK) {
        enum amount_error e = amount_parse(value, cur, minor);

        if (e != AMOUNT_OK) {
            add_error(c, pv, "invalid_amount", amount_message(e));
        } else {
            memcpy(currency, cur, 4);
            ok = 1;
        }
    } else if (rv == S_OK) {
        /* No usable currency: still say what is wrong whatever the
         * currency (CLF has the most decimals, 4). */
        int64_t ignored;
        enum amount_error e = amount_parse(value, "CLF", &ignored);

        if (e == AMOUNT_EMPTY || e == AMOUNT_BAD_SYNTAX || e == AMOUNT_TOO_MANY_DECIMALS ||
            e == AMOUNT_NOT_POSITIVE) {
            add_error(c, pv, "invalid_amount", amount_message(e));
        }
    }
    str_free(&value);
    str_free(&cur);
    return ok ? S_OK : S_BAD;
}

/* A BIC, normalised; an 11-character BIC with branch XXX is written in its
 * 8-character form, as relay48 publishes it. out = "" when absent. */
static int get_bic(struct ctx *c, json_t *obj, const char *key, const char *ptr, char out[12])
{
    char *s;
    int rc = get_string(c, obj, key, ptr, 0, LEN_BIC, &s);

    out[0] = '\0';
    if (rc != S_OK) {
        return rc;
    }
    if (bic_normalise(s, out) != 0) {
        str_free(&s);
        add_error(c, ptr, "invalid_bic",
                  "Not a BIC (ISO 9362): 8 or 11 letters and digits, e.g. BNPAFRPP.");
        return S_BAD;
    }
    str_free(&s);
    if (strlen(out) == 11 && strcmp(out + 8, "XXX") == 0) {
        out[8] = '\0';
    }
    return S_OK;
}

/* debtor / creditor: {iban, bic?, name?}; details[key] = {name} when named. */
static int get_party(struct ctx *c, json_t *root, const char *key, char iban[35], char bic[12],
                     json_t *details)
{
    char base[32];
    char p[64];
    char *s = NULL;
    json_t *party;
    int ok = 1;

    iban[0] = '\0';
    bic[0] = '\0';
    ptr_join(base, sizeof(base), "", key);
    if (get_object(c, root, key, base, 1, &party) != S_OK) {
        return S_BAD;
    }
    check_members(c, party, base, party_keys, RELAY_ARRAY_LEN(party_keys));
    ptr_join(p, sizeof(p), base, "iban");
    if (get_string(c, party, "iban", p, F_REQUIRED, LEN_IBAN, &s) == S_OK) {
        enum iban_error e = iban_validate(s, iban);

        if (e != IBAN_OK) {
            add_error(c, p, "invalid_iban", iban_error_message(e));
            ok = 0;
        }
    } else {
        ok = 0;
    }
    str_free(&s);
    ptr_join(p, sizeof(p), base, "bic");
    if (get_bic(c, party, "bic", p, bic) == S_BAD) {
        ok = 0;
    }
    ptr_join(p, sizeof(p), base, "name");
    switch (get_string(c, party, "name", p, F_TEXT, LEN_NAME, &s)) {
    case S_OK: {
        json_t *d = json_object();

        if (d != NULL) {
            put_str(c, d, "name", s);
        }
        put(c, details, key, d);
        break;
    }
    case S_BAD:
        ok = 0;
        break;
    default:
        break;
    }
    str_free(&s);
    return ok ? S_OK : S_BAD;
}

/* One '@' with text on both sides, a '.' inside the domain, no blank nor
 * control character. */
static int email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    const char *domain;
    size_t dlen;

    for (const char *p = s; *p != '\0'; p++) {
        unsigned char b = (unsigned char)*p;

        if (b <= 0x20 || b == 0x7F) {
            return 0;
        }
    }
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL) {
        return 0;
    }
    /* a '.' with text before and after it, anywhere in the domain */
    domain = at + 1;
    dlen = strlen(domain);
    for (size_t i = 1; i + 1 < dlen; i++) {
        if (domain[i] == '.') {
            return 1;
        }
    }
    return 0;
}

/* Digits, spaces, '.', '-', '(', ')', a '+' only in front; 6 digits at least. */
static int phone_ok(const char *s)
{
    int digits = 0;

    for (const char *p = s; *p != '\0'; p++) {
        if (is_digit(*p)) {
            digits++;
        } else if (*p == '+') {
            if (p != s) {
                return 0;
            }
        } else if (*p != ' ' && *p != '.' && *p != '-' && *p != '(' && *p != ')') {
            return 0;
        }
    }
    return digits >= 6;
}

/* victim: {name, email?, phone?, postal_code?, type?} -> details.victim,
 * and the postal code and its département into the report. */
static void get_victim(struct ctx *c, json_t *root, struct report *r, json_t *details)
{
    json_t *v;
    json_t *d;
    char *s = NULL;
    const char *type;

    if (get_object(c, root, "victim", "/victim", 1, &v) != S_OK) {
        return;
    }
    check_members(c, v, "/victim", victim_keys, RELAY_ARRAY_LEN(victim_keys));
    d = json_object();
    if (d == NULL) {
        c->oom = 1;
        return;
    }
    if (get_string(c, v, "name", "/victim/name", F_REQUIRED | F_TEXT, LEN_NAME, &s) == S_OK) {
        put_str(c, d, "name", s);
    }
    str_free(&s);
    if (get_string(c, v, "email", "/victim/email", F_NO_PAN, LEN_EMAIL, &s) == S_OK) {
        if (email_ok(s)) {
            put_str(c, d, "email", s);
        } else {
            add_error(c, "/victim/email", "invalid_email",
                      "Not an e-mail address: one '@', a domain with a '.', no spaces.");
        }
    }
    str_free(&s);
    if (get_string(c, v, "phone", "/victim/phone", 0, LEN_PHONE, &s) == S_OK) {
        if (phone_ok(s)) {
            put_str(c, d, "phone", s);
        } else {
            add_error(c, "/victim/phone", "invalid_format",
                      "Not a telephone number: at least 6 digits, with only spaces, '.', '-', "
                      "'(', ')' and a leading '+' besides.");
        }
    }
    str_free(&s);
    if (get_string(c, v, "postal_code", "/victim/postal_code", 0, LEN_POSTAL, &s) == S_OK) {
        /* A well-formed code of no département (Monaco, unallocated) is
         * kept: the case goes to the national police queue. */
        int five_digits = strlen(s) == 5;
        for (size_t i = 0; five_digits && i < 5; i++)
            five_digits = s[i] >= '0' && s[i] <= '9';
        if (five_digits) {
            if (postal_departement(s, r->departement) != 0)
                r->departement[0] = '\0';
            memcpy(r->postal_code, s, 6);
            put_str(c, d, "postal_code", s);
        } else {
            add_error(c, "/victim/postal_code", "invalid_postal_code",
                      "Not a French postal code: 5 digits, e.g. 69290.");
        }
    }
    str_free(&s);
    if (get_enum(c, v, "type", "/victim/type", 0, victim_types, RELAY_ARRAY_LEN(victim_types),
                 &type) == S_OK) {
        put_str(c, d, "type", type);
    }
    put(c, details, "victim", d);
}

/* A string member copied into details as is (after its checks). */
static void get_text_into(struct ctx *c, json_t *root, const char *key, const char *ptr,
                          unsigned flags, size_t max_cp, json_t *details)
{
    char *s = NULL;

    if (get_string(c, root, key, ptr, flags, max_cp, &s) == S_OK && s[0] != '\0') {
        put_str(c, details, key, s);
    }
    str_free(&s);
}

static void get_scenario(struct ctx *c, json_t *root, unsigned flags, struct report *r)
{
    const char *s;

    if (get_enum(c, root, "scenario", "/scenario", flags, scenarios, RELAY_ARRAY_LEN(scenarios),
                 &s) == S_OK) {
        snprintf(r->scenario, sizeof(r->scenario), "%s", s);
    }
}

/* UUID version 4 (8-4-4-4-12 hex, either case), written in lower case. */
static void get_uetr(struct ctx *c, json_t *root, json_t *details)
{
    char *s = NULL;
    int ok;

    if (get_string(c, root, "uetr", "/uetr", 0, LEN_UETR, &s) != S_OK) {
        return;
    }
    ok = strlen(s) == 36 && s[14] == '4' && strchr("89abAB", s[19]) != NULL;
    for (size_t i = 0; ok && i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            ok = s[i] == '-';
        } else {
            ok = is_hex(s[i]);
            if (s[i] >= 'A' && s[i] <= 'F') {
                s[i] = (char)(s[i] - 'A' + 'a');
            }
        }
    }
    if (ok) {
        put_str(c, details, "uetr", s);
    } else {
        add_error(c, "/uetr", "invalid_format",
                  "Expected a UUID version 4, e.g. 3f2b8c1e-7d4a-4b9e-8c2f-1a2b3c4d5e6f.");
    }
    str_free(&s);
}

static void get_evidence(struct ctx *c, json_t *root, json_t *details)
{
    json_t *ev = json_object_get(root, "evidence");
    json_t *list;
    size_t n;
    char detail[64];

    if (ev == NULL) {
        return;
    }
    if (!json_is_array(ev)) {
        add_error(c, "/evidence", "invalid_type", "Expected an array.");
        return;
    }
    n = json_array_size(ev);
    if (n > REPORT_MAX_EVIDENCE) {
        snprintf(detail, sizeof(detail), "At most %d items.", REPORT_MAX_EVIDENCE);
        add_error(c, "/evidence", "too_many_items", detail);
        n = REPORT_MAX_EVIDENCE;
    }
    list = json_array();
    if (list == NULL) {
        c->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(ev, i);
        char base[32];
        char p[64];
        char *name = NULL;
        char *hash = NULL;
        int ok = 1;

        ptr_index(base, sizeof(base), "/evidence", i);
        if (!json_is_object(item)) {
            add_error(c, base, "invalid_type", "Expected an object.");
            continue;
        }
        check_members(c, item, base, evidence_keys, RELAY_ARRAY_LEN(evidence_keys));
        ptr_join(p, sizeof(p), base, "file_name");
        ok &=
            get_string(c, item, "file_name", p, F_REQUIRED | F_TEXT, LEN_FILE_NAME, &name) == S_OK;
        ptr_join(p, sizeof(p), base, "sha256");
        if (get_string(c, item, "sha256", p, F_REQUIRED, LEN_SHA256, &hash) == S_OK) {
            int good = strlen(hash) == 64;

            for (size_t k = 0; good && k < 64; k++) {
                good = is_digit(hash[k]) || (hash[k] >= 'a' && hash[k] <= 'f');
            }
            if (!good) {
                add_error(c, p, "invalid_format",
                          "Expected the SHA-256 as 64 lower-case hexadecimal digits.");
                ok = 0;
            }
        } else {
            ok = 0;
        }
        if (ok) {
            json_t *e = json_object();

            if (e != NULL) {
                put_str(c, e, "file_name", name);
                put_str(c, e, "sha256", hash);
            }
            if (json_array_append_new(list, e) != 0) {
                c->oom = 1;
            }
        }
        str_free(&name);
        str_free(&hash);
    }
    if (json_array_size(list) > 0) {
        put(c, details, "evidence", list);
    } else {
        json_decref(list);
    }
}

static void get_transfer_rail(struct ctx *c, json_t *root, struct report *r)
{
    char *s = NULL;

    r->rail = RAIL_SCT;
    if (get_string(c, root, "rail", "/rail", 0, LEN_ENUM, &s) == S_OK &&
        rail_parse(s, &r->rail) != 0) {
        add_error(c, "/rail", "invalid_enum",
                  "Expected one of: sct, sct_inst, swift, card, unknown.");
    }
    str_free(&s);
}

static void parse_transfer(struct ctx *c, json_t *root, struct report *r, json_t *details)
{
    int debtor;
    int creditor;

    check_members(c, root, "", transfer_keys, RELAY_ARRAY_LEN(transfer_keys));
    if (get_time(c, root, "executed_at", "/executed_at", &r->start_at) != S_OK) {
        r->start_at = 0;
    }
    (void)get_amount(c, root, "/amount", &r->amount_minor, r->currency);
    get_transfer_rail(c, root, r);
    debtor = get_party(c, root, "debtor", r->debtor_iban, r->debtor_bic, details);
    creditor = get_party(c, root, "creditor", r->creditor_iban, r->creditor_bic, details);
    if (debtor == S_OK && creditor == S_OK && strcmp(r->debtor_iban, r->creditor_iban) == 0) {
        add_error(c, "/creditor/iban", "invalid_iban",
                  "the beneficiary account is the victim's own account");
    }
    get_victim(c, root, r, details);
    get_scenario(c, root, F_REQUIRED, r);
    get_text_into(c, root, "end_to_end_id", "/end_to_end_id", F_NONEMPTY | F_ASCII | F_NO_PAN,
                  LEN_E2E, details);
    get_uetr(c, root, details);
    get_text_into(c, root, "narrative", "/narrative", F_NO_CTRL | F_MULTILINE | F_NO_PAN,
                  LEN_NARRATIVE, details);
    get_evidence(c, root, details);
    get_text_into(c, root, "channel_ref", "/channel_ref", F_NONEMPTY | F_ASCII | F_NO_PAN,
                  LEN_CHANNEL_REF, details);
}

static const char *card_message(enum card_error e)
{
    switch (e) {
    case CARD_BAD_CHAR:
        return "The card number may only hold digits, spaces and hyphens.";
    case CARD_BAD_LENGTH:
        return "The card number must have 12 to 19 digits.";
    case CARD_LUHN:
        return "The card number's check digit does not match (typing error?).";
    case CARD_OK:
        break;
    }
    return "Invalid card number.";
}

/* card: {bin, last4} or {pan}, not both, not neither. The pan was taken out
 * (and the JSON's copy wiped) by pan_take before anything else. */
static void get_card(struct ctx *c, json_t *root, const struct pan_in *pan, struct report *r)
{
    json_t *card;
    char *s = NULL;

    if (get_object(c, root, "card", "/card", 1, &card) != S_OK) {
        return;
    }
    check_members(c, card, "/card", card_member_keys, RELAY_ARRAY_LEN(card_member_keys));
    if (pan->present) {
        char bin[7];
        char last4[5];
        enum card_error e;

        if (json_object_get(card, "bin") != NULL || json_object_get(card, "last4") != NULL) {
            add_error(c, "/card", "invalid_card", "Give either bin and last4, or pan, not both.");
            return;
        }
        if (!pan->is_string) {
            add_error(c, "/card/pan", "invalid_type", "Expected a string.");
            return;
        }
        if (pan->unusable) {
            add_error(c, "/card/pan", "invalid_card",
                      "The card number may only hold 12 to 19 digits, spaces and hyphens.");
            return;
        }
        e = card_reduce_pan(pan->buf, bin, last4);
        if (e != CARD_OK) {
            add_error(c, "/card/pan", "invalid_card", card_message(e));
            return;
        }
        memcpy(r->card_bin, bin, sizeof(bin));
        memcpy(r->card_last4, last4, sizeof(last4));
        return;
    }
    if (json_object_get(card, "bin") == NULL && json_object_get(card, "last4") == NULL) {
        add_error(c, "/card", "invalid_card", "Give bin and last4 (or pan).");
        return;
    }
    if (get_string(c, card, "bin", "/card/bin", F_REQUIRED, LEN_BIN, &s) == S_OK) {
        if (card_check_bin(s) == 0) {
            snprintf(r->card_bin, sizeof(r->card_bin), "%s", s);
        } else {
            add_error(c, "/card/bin", "invalid_card", "Give the first 6 or 8 digits of the card.");
        }
    }
    str_free(&s);
    if (get_string(c, card, "last4", "/card/last4", F_REQUIRED, LEN_LAST4, &s) == S_OK) {
        if (card_check_last4(s) == 0) {
            snprintf(r->card_last4, sizeof(r->card_last4), "%s", s);
        } else {
            add_error(c, "/card/last4", "invalid_card", "Give the last 4 digits of the card.");
        }
    }
    str_free(&s);
}

/* One operation; S_OK with its time, amount and details entry. */
static int get_operation(struct ctx *c, json_t *item, const char *base, int64_t *at, int64_t *minor,
                         char currency[4], json_t **out)
{
    char p[64];
    char *merchant = NULL;
    char *country = NULL;
    const char *channel = NULL;
    int ok = 1;

    *out = NULL;
    check_members(c, item, base, operation_keys, RELAY_ARRAY_LEN(operation_keys));
    ptr_join(p, sizeof(p), base, "at");
    ok &= get_time(c, item, "at", p, at) == S_OK;
    ptr_join(p, sizeof(p), base, "amount");
    ok &= get_amount(c, item, p, minor, currency) == S_OK;
    ptr_join(p, sizeof(p), base, "merchant");
    ok &= get_string(c, item, "merchant", p, F_REQUIRED | F_TEXT, LEN_MERCHANT, &merchant) == S_OK;
    ptr_join(p, sizeof(p), base, "country");
    if (get_string(c, item, "country", p, F_REQUIRED, LEN_COUNTRY, &country) == S_OK) {
        if (strlen(country) != 2 || country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' ||
            country[1] > 'Z') {
            add_error(c, p, "invalid_format",
                      "Expected an ISO 3166-1 alpha-2 country code in upper case, e.g. FR.");
            ok = 0;
        }
    } else {
        ok = 0;
    }
    ptr_join(p, sizeof(p), base, "channel");
    ok &= get_enum(c, item, "channel", p, F_REQUIRED, card_channels, RELAY_ARRAY_LEN(card_channels),
                   &channel) == S_OK;
    if (ok) {
        char at_utc[TIMEUTIL_UTC_SIZE];
        char value[AMOUNT_FORMAT_MAX];
        json_t *d = json_object();
        json_t *amount = json_object();

        if (d == NULL || amount == NULL || rfc3339_format_utc(*at, at_utc, sizeof(at_utc)) != 0 ||
            amount_format(*minor, currency, value, sizeof(value)) != 0) {
            json_decref(d);
            json_decref(amount);
            c->oom = 1;
        } else {
            put_str(c, amount, "value", value);
            put_str(c, amount, "currency", currency);
            put_str(c, d, "at", at_utc);
            put(c, d, "amount", amount);
            put_str(c, d, "merchant", merchant);
            put_str(c, d, "country", country);
            put_str(c, d, "channel", channel);
            *out = d;
        }
    }
    str_free(&merchant);
    str_free(&country);
    return ok ? S_OK : S_BAD;
}

/*
 * operations: 1..REPORT_MAX_OPERATIONS. The window starts at the earliest;
 * the amount is the sum of those in the first operation's currency, and
 * mixed_currencies says whether others exist.
 */
static void get_operations(struct ctx *c, json_t *root, struct report *r, json_t *details)
{
    json_t *ops = json_object_get(root, "operations");
    json_t *list;
    size_t n;
    int64_t start = INT64_MAX;
    int64_t sum = 0;
    int first_ok = 0;
    int overflow = 0;
    char detail[64];

    if (ops == NULL) {
        add_error(c, "/operations", "required", "This member is required.");
        return;
    }
    if (!json_is_array(ops)) {
        add_error(c, "/operations", "invalid_type", "Expected an array.");
        return;
    }
    n = json_array_size(ops);
    if (n == 0) {
        add_error(c, "/operations", "too_few_items", "At least 1 item.");
        return;
    }
    if (n > REPORT_MAX_OPERATIONS) {
        snprintf(detail, sizeof(detail), "At most %d items.", REPORT_MAX_OPERATIONS);
        add_error(c, "/operations", "too_many_items", detail);
        n = REPORT_MAX_OPERATIONS;
    }
    list = json_array();
    if (list == NULL) {
        c->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(ops, i);
        json_t *d = NULL;
        char base[32];
        char currency[4];
        int64_t at = 0;
        int64_t minor = 0;

        ptr_index(base, sizeof(base), "/operations", i);
        if (!json_is_object(item)) {
            add_error(c, base, "invalid_type", "Expected an object.");
            continue;
        }
        if (get_operation(c, item, base, &at, &minor, currency, &d) != S_OK) {
            continue;
        }
        if (json_array_append_new(list, d) != 0) {
            c->oom = 1;
        }
        if (at < start) {
            start = at;
        }
        if (i == 0) {
            first_ok = 1;
            memcpy(r->currency, currency, sizeof(r->currency));
        }
        if (!first_ok) {
            continue;
        }
        if (strcmp(currency, r->currency) != 0) {
            r->mixed_currencies = 1;
        } else if (!overflow) {
            /* sum <= AMOUNT_MAX_MINOR and minor <= AMOUNT_MAX_MINOR: no int64 overflow */
            sum += minor;
            if (sum > AMOUNT_MAX_MINOR) {
                overflow = 1;
            }
        }
    }
    if (overflow) {
        add_error(c, "/operations", "invalid_amount",
                  "The operations add up to more than the largest amount accepted.");
    }
    r->start_at = start == INT64_MAX ? 0 : start;
    r->amount_minor = overflow ? 0 : sum;
    put(c, details, "operations", list);
}

static void parse_card_report(struct ctx *c, json_t *root, const struct pan_in *pan,
                              struct report *r, json_t *details)
{
    char *s = NULL;

    check_members(c, root, "", card_keys, RELAY_ARRAY_LEN(card_keys));
    r->rail = RAIL_CARD;
    if (get_string(c, root, "receipt", "/receipt", F_REQUIRED | F_NONEMPTY | F_NO_PAN, LEN_RECEIPT,
                   &s) == S_OK) {
        size_t ok = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

        if (s[ok] == '\0') {
            snprintf(r->receipt, sizeof(r->receipt), "%s", s);
        } else {
            add_error(c, "/receipt", "invalid_format",
                      "Expected 1 to 64 letters, digits, '.', '_' or '-'.");
        }
    }
    str_free(&s);
    get_card(c, root, pan, r);
    get_operations(c, root, r, details);
    get_victim(c, root, r, details);
    (void)get_bic(c, root, "issuer_bic", "/issuer_bic", r->issuer_bic);
    get_text_into(c, root, "narrative", "/narrative", F_NO_CTRL | F_MULTILINE | F_NO_PAN,
                  LEN_NARRATIVE, details);
    get_scenario(c, root, 0, r);
    if (get_string(c, root, "rail", "/rail", 0, LEN_ENUM, &s) == S_OK && strcmp(s, "card") != 0) {
        add_error(c, "/rail", "invalid_enum", "A card report's rail is card.");
    }
    str_free(&s);
}

/*
 * Takes card.pan out of the object before anything else reads it: a trimmed
 * copy goes into pan->buf (the caller wipes it), and the JSON string's own
 * bytes are wiped in place. Number values are zeroed the same way.
 */
static void pan_take(json_t *obj, struct pan_in *pan)
{
    json_t *card = json_object_get(obj, "card");
    json_t *v = json_is_object(card) ? json_object_get(card, "pan") : NULL;

    if (v == NULL) {
        return;
    }
    pan->present = 1;
    if (json_is_string(v)) {
        /* jansson hands out a const pointer to its own buffer; writing zeros
         * over it keeps its length and frees nothing. */
        char *bytes = (char *)json_string_value(v);
        size_t len = json_string_length(v);
        const char *b = bytes;
        const char *e = bytes + len;

        pan->is_string = 1;
        while (b < e && is_space(*b)) {
            b++;
        }
        while (e > b && is_space(e[-1])) {
            e--;
        }
        if ((size_t)(e - b) >= PAN_BUF || memchr(b, '\0', (size_t)(e - b)) != NULL) {
            pan->unusable = 1;
        } else {
            memcpy(pan->buf, b, (size_t)(e - b));
            pan->buf[e - b] = '\0';
        }
        explicit_bzero(bytes, len);
    } else if (json_is_integer(v)) {
        (void)json_integer_set(v, 0);
    } else if (json_is_real(v)) {
        (void)json_real_set(v, 0);
    }
}

void report_limits_default(struct report_limits *l)
{
    l->future_skew = 300;
    l->max_age = INT64_C(396) * 86400;
}

int report_from_json(json_t *obj, int64_t now, const struct report_limits *limits,
                     const char *pointer_prefix, struct report *out, json_t *errors)
{
    struct ctx c;
    struct pan_in pan;
    json_t *details = NULL;
    const char *kind = NULL;

    assert(out != NULL && json_is_array(errors));
    memset(out, 0, sizeof(*out));
    memset(&pan, 0, sizeof(pan));
    memset(&c, 0, sizeof(c));
    c.errors = errors;
    c.prefix = pointer_prefix != NULL ? pointer_prefix : "";
    c.now = now < TIMEUTIL_TIME_MIN ? TIMEUTIL_TIME_MIN
                                    : (now > TIMEUTIL_TIME_MAX ? TIMEUTIL_TIME_MAX : now);
    if (limits != NULL) {
        c.limits = *limits;
    } else {
        report_limits_default(&c.limits);
    }

    if (!json_is_object(obj)) {
        add_error(&c, "", "invalid_type", "Expected an object.");
        return -1;
    }
    pan_take(obj, &pan);
    /* Without a kind, which fields to expect is unknown: nothing more is checked. */
    if (get_enum(&c, obj, "kind", "/kind", F_REQUIRED, kinds, RELAY_ARRAY_LEN(kinds), &kind) ==
        S_OK) {
        details = json_object();
    }
    if (kind == NULL) {
        /* the error is in */
    } else if (details == NULL) {
        c.oom = 1;
    } else if (strcmp(kind, "transfer") == 0) {
        out->kind = REPORT_TRANSFER;
        parse_transfer(&c, obj, out, details);
    } else {
        out->kind = REPORT_CARD;
        parse_card_report(&c, obj, &pan, out, details);
    }
    explicit_bzero(&pan, sizeof(pan));
    if (c.oom && !c.failed) {
        /* Not the client's fault: the caller answers 5xx on this code. */
        add_error(&c, "", "internal_error", "The relay could not allocate memory.");
    }
    if (c.failed || c.oom) {
        json_decref(details);
        explicit_bzero(out, sizeof(*out));
        return -1;
    }
    out->details = details;
    return 0;
}

/* 1 when no container is nested deeper than max (the root is level 1). */
static int depth_ok(json_t *j, int level, int max)
{
    if (!json_is_object(j) && !json_is_array(j)) {
        return 1;
    }
    if (level > max) {
        return 0;
    }
    if (json_is_object(j)) {
        const char *key;
        json_t *v;

        json_object_foreach(j, key, v)
        {
            if (!depth_ok(v, level + 1, max)) {
                return 0;
            }
        }
    } else {
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (!depth_ok(json_array_get(j, i), level + 1, max)) {
                return 0;
            }
        }
    }
    return 1;
}

/*
 * Zeroes every string and number of a parsed tree before it is freed, so
 * that a card number sent where it should not be (a transfer's "card", an
 * unknown member) does not linger in freed memory. Member names are left:
 * jansson owns them. Recursion is bounded by jansson's parser (2048 levels).
 */
static void wipe_tree(json_t *j)
{
    const char *key;
    json_t *v;

    switch (json_typeof(j)) {
    case JSON_OBJECT:
        json_object_foreach(j, key, v)
        {
            wipe_tree(v);
        }
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(j); i++) {
            wipe_tree(json_array_get(j, i));
        }
        break;
    case JSON_STRING:
        explicit_bzero((char *)json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        (void)json_integer_set(j, 0);
        break;
    case JSON_REAL:
        (void)json_real_set(j, 0);
        break;
    default:
        break;
    }
}

/*
 * The caller's body is const and not ours to wipe: the HTTP layer wipes
 * its buffer. Nor can the copies jansson's lexer makes while parsing be
 * wiped from here (its buffers are freed inside json_loadb). What this
 * function owns, the parsed tree and the parser's error text, is wiped
 * before it is freed.
 */
int report_parse(const char *body, size_t len, int64_t now, const struct report_limits *limits,
                 struct report *out, json_t *errors)
{
    json_error_t jerr;
    json_t *root;
    int rc;

    assert(out != NULL && json_is_array(errors));
    memset(out, 0, sizeof(*out));
    if (body == NULL) {
        return -2;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    /* the error text may quote the body */
    explicit_bzero(&jerr, sizeof(jerr));
    if (root == NULL) {
        return -2;
    }
    if (!json_is_object(root) || !depth_ok(root, 1, REPORT_MAX_DEPTH)) {
        wipe_tree(root);
        json_decref(root);
        return -2;
    }
    rc = report_from_json(root, now, limits, "", out, errors);
    wipe_tree(root);
    json_decref(root);
    return rc;
}

void report_free(struct report *r)
{
    if (r == NULL) {
        return;
    }
    json_decref(r->details);
    explicit_bzero(r, sizeof(*r));
}

struct hasher {
    EVP_MD_CTX *md;
    int ok;
};

/* name NUL, 8-byte big-endian length, bytes: no two field lists collide. */
static void hash_field(struct hasher *h, const char *name, const char *value, size_t len)
{
    unsigned char n[8];

    for (int i = 0; i < 8; i++) {
        n[i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    }
    if (h->ok &&
        (EVP_DigestUpdate(h->md, name, strlen(name) + 1) != 1 ||
         EVP_DigestUpdate(h->md, n, sizeof(n)) != 1 || EVP_DigestUpdate(h->md, value, len) != 1)) {
        h->ok = 0;
    }
}

static void hash_cstr(struct hasher *h, const char *name, const char *s, size_t size)
{
    hash_field(h, name, s, strnlen(s, size));
}

static void hash_int(struct hasher *h, const char *name, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%" PRId64, v);

    hash_field(h, name, buf, n > 0 ? (size_t)n : 0);
}

static int hash_dump(const char *buffer, size_t size, void *data)
{
    return EVP_DigestUpdate((EVP_MD_CTX *)data, buffer, size) == 1 ? 0 : -1;
}

/*
 * The version tag, every field of the struct, then details as compact JSON
 * with sorted keys (details hold only objects, arrays and strings: no
 * number formatting can differ). On an allocation failure the hash is
 * random, so it matches nothing: an idempotent retry then conflicts rather
 * than answering with another report's case.
 */
void report_hash(const struct report *r, unsigned char out[32])
{
    struct hasher h = {NULL, 0};
    const char *kind;
    const char *rail;
    unsigned int n = 0;

    assert(r != NULL && out != NULL);
    kind = report_kind_name(r->kind);
    rail = rail_name(r->rail);
    h.md = EVP_MD_CTX_new();
    h.ok = h.md != NULL && EVP_DigestInit_ex(h.md, EVP_sha256(), NULL) == 1;
    hash_field(&h, "relay48.report", "1", 1);
    hash_cstr(&h, "kind", kind != NULL ? kind : "?", 16);
    hash_cstr(&h, "rail", rail != NULL ? rail : "?", 16);
    hash_int(&h, "start_at", r->start_at);
    hash_int(&h, "amount_minor", r->amount_minor);
    hash_cstr(&h, "currency", r->currency, sizeof(r->currency));
    hash_cstr(&h, "debtor_iban", r->debtor_iban, sizeof(r->debtor_iban));
    hash_cstr(&h, "debtor_bic", r->debtor_bic, sizeof(r->debtor_bic));
    hash_cstr(&h, "creditor_iban", r->creditor_iban, sizeof(r->creditor_iban));
    hash_cstr(&h, "creditor_bic", r->creditor_bic, sizeof(r->creditor_bic));
    hash_cstr(&h, "card_bin", r->card_bin, sizeof(r->card_bin));
    hash_cstr(&h, "card_last4", r->card_last4, sizeof(r->card_last4));
    hash_cstr(&h, "issuer_bic", r->issuer_bic, sizeof(r->issuer_bic));
    hash_cstr(&h, "receipt", r->receipt, sizeof(r->receipt));
    hash_cstr(&h, "scenario", r->scenario, sizeof(r->scenario));
    hash_cstr(&h, "postal_code", r->postal_code, sizeof(r->postal_code));
    hash_cstr(&h, "departement", r->departement, sizeof(r->departement));
    hash_int(&h, "mixed_currencies", r->mixed_currencies);
    hash_field(&h, "details", "", 0);
    if (h.ok) {
        if (r->details == NULL) {
            h.ok = EVP_DigestUpdate(h.md, "null", 4) == 1;
        } else {
            h.ok =
                json_dump_callback(r->details, hash_dump, h.md, JSON_COMPACT | JSON_SORT_KEYS) == 0;
        }
    }
    if (h.ok) {
        h.ok = EVP_DigestFinal_ex(h.md, out, &n) == 1 && n == 32;
    }
    EVP_MD_CTX_free(h.md);
    if (!h.ok && RAND_bytes(out, 32) != 1) {
        abort(); /* neither SHA-256 nor the RNG: nothing safe to answer */
    }
}

const char *report_kind_name(enum report_kind k)
{
    switch (k) {
    case REPORT_TRANSFER:
        return "transfer";
    case REPORT_CARD:
        return "card";
    }
    return NULL;
}

const char *report_channel_name(enum report_channel c)
{
    switch (c) {
    case CHANNEL_API:
        return "api";
    case CHANNEL_WEB:
        return "web";
    case CHANNEL_BANK:
        return "bank";
    case CHANNEL_PERCEVAL:
        return "perceval";
    }
    return NULL;
}
