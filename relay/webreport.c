/* webreport.c — the victim's form as a report; see webreport.h. */
#include "webreport.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "card.h"
#include "iban.h"
#include "timeutil.h"

#define VALUE_MAX 8200 /* FORM_MAX_VALUE and its NUL, with room */

static const char *const field_names[WF_COUNT] = {
    [WF_CARD_BIN] = "card_bin",
    [WF_CARD_LAST4] = "card_last4",
    [WF_RECEIPT] = "receipt",
    [WF_EXECUTED_AT] = "executed_at",
    [WF_OP_AT] = "op_at",
    [WF_AMOUNT] = "amount",
    [WF_CURRENCY] = "currency",
    [WF_OP_AMOUNT] = "op_amount",
    [WF_OP_CURRENCY] = "op_currency",
    [WF_OP_MERCHANT] = "op_merchant",
    [WF_OP_COUNTRY] = "op_country",
    [WF_OP_CHANNEL] = "op_channel",
    [WF_RAIL] = "rail",
    [WF_DEBTOR_IBAN] = "debtor_iban",
    [WF_CREDITOR_IBAN] = "creditor_iban",
    [WF_CREDITOR_NAME] = "creditor_name",
    [WF_VICTIM_TYPE] = "victim_type",
    [WF_VICTIM_NAME] = "victim_name",
    [WF_EMAIL] = "email",
    [WF_PHONE] = "phone",
    [WF_POSTAL_CODE] = "postal_code",
    [WF_SCENARIO] = "scenario",
    [WF_NARRATIVE] = "narrative",
    [WF_EVIDENCE] = "evidence",
};

/* Maximum lengths of proto/schemas, in code points, for "too long". */
static const int field_max[WF_COUNT] = {
    [WF_RECEIPT] = 64,       [WF_OP_MERCHANT] = 200,   [WF_DEBTOR_IBAN] = 42,
    [WF_CREDITOR_IBAN] = 42, [WF_CREDITOR_NAME] = 200, [WF_VICTIM_NAME] = 200,
    [WF_EMAIL] = 254,        [WF_PHONE] = 32,          [WF_POSTAL_CODE] = 5,
    [WF_NARRATIVE] = 4000,   [WF_EVIDENCE] = 255,
};

const char *webreport_field_name(enum wf_field f)
{
    return (int)f >= 0 && f < WF_COUNT ? field_names[f] : "";
}

enum msg webreport_field_label(enum wf_field f, enum wf_kind kind)
{
    switch (f) {
    case WF_CARD_BIN:
        return M_L_CARD_BIN;
    case WF_CARD_LAST4:
        return M_L_CARD_LAST4;
    case WF_RECEIPT:
        return M_L_RECEIPT;
    case WF_EXECUTED_AT:
        return M_L_EXECUTED_AT;
    case WF_OP_AT:
        return M_L_OP_AT;
    case WF_AMOUNT:
    case WF_OP_AMOUNT:
        return M_L_AMOUNT;
    case WF_CURRENCY:
    case WF_OP_CURRENCY:
        return M_L_CURRENCY;
    case WF_OP_MERCHANT:
        return M_L_OP_MERCHANT;
    case WF_OP_COUNTRY:
        return M_L_OP_COUNTRY;
    case WF_OP_CHANNEL:
        return M_L_OP_CHANNEL;
    case WF_RAIL:
        return M_L_RAIL;
    case WF_DEBTOR_IBAN:
        return M_L_DEBTOR_IBAN;
    case WF_CREDITOR_IBAN:
        return M_L_CREDITOR_IBAN;
    case WF_CREDITOR_NAME:
        return M_L_CREDITOR_NAME;
    case WF_VICTIM_TYPE:
        return M_L_VICTIM_TYPE;
    case WF_VICTIM_NAME:
        return M_L_VICTIM_NAME;
    case WF_EMAIL:
        return M_L_EMAIL;
    case WF_PHONE:
        return M_L_PHONE;
    case WF_POSTAL_CODE:
        return M_L_POSTAL;
    case WF_SCENARIO:
        return M_L_SCENARIO;
    case WF_NARRATIVE:
        return M_L_NARRATIVE;
    case WF_EVIDENCE:
    case WF_COUNT:
        break;
    }
    (void)kind;
    return M_L_EVIDENCE;
}

enum wf_kind webreport_kind(const struct form *f)
{
    const char *k = form_get(f, "kind");
    return k && strcmp(k, "card") == 0 ? WF_CARD : WF_TRANSFER;
}

/* ---- values ------------------------------------------------------------- */

/* Length of a blank at s: ASCII space, TAB, CR, LF, U+00A0, U+202F; or 0. */
static size_t blank_at(const char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
        return 1;
    if (n >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
        return 2;
    if (n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] == 0xAF)
        return 3;
    return 0;
}

static size_t blank_before(const char *s, size_t n)
{
    if (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        return 1;
    if (n >= 2 && (unsigned char)s[n - 2] == 0xC2 && (unsigned char)s[n - 1] == 0xA0)
        return 2;
    if (n >= 3 && (unsigned char)s[n - 3] == 0xE2 && (unsigned char)s[n - 2] == 0x80 &&
        (unsigned char)s[n - 1] == 0xAF)
        return 3;
    return 0;
}

void webreport_value(const struct form *f, const char *name, char *out, size_t out_size)
{
    const char *v = f ? form_get(f, name) : NULL;
    if (out_size == 0)
        return;
    out[0] = '\0';
    if (!v)
        return;
    size_t n = strlen(v), k;
    while ((k = blank_at(v, n)) > 0) {
        v += k;
        n -= k;
    }
    while ((k = blank_before(v, n)) > 0)
        n -= k;
    if (n >= out_size)
        n = out_size - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

/* Every blank inside (no-break spaces included) becomes one ASCII space. */
static void blanks_to_space(char *s)
{
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = blank_at(s + i, n - i);
        if (k) {
            s[o++] = ' ';
            i += k;
        } else {
            s[o++] = s[i++];
        }
    }
    s[o] = '\0';
}

/* Remove every blank. */
static void drop_blanks(char *s)
{
    blanks_to_space(s);
    size_t o = 0;
    for (size_t i = 0; s[i]; i++)
        if (s[i] != ' ')
            s[o++] = s[i];
    s[o] = '\0';
}

/* "12 500,00 €" -> "12500.00"; "12.500,00" -> "12500.00"; "EUR" and "€"
 * dropped. Anything else is left for amount_parse to refuse. */
static void normalise_amount(char *s)
{
    drop_blanks(s);
    size_t o = 0;
    for (size_t i = 0; s[i];) {
        if ((unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x82 &&
            (unsigned char)s[i + 2] == 0xAC) { /* € */
            i += 3;
        } else if (strncmp(s + i, "EUR", 3) == 0 || strncmp(s + i, "eur", 3) == 0) {
            i += 3;
        } else {
            s[o++] = s[i++];
        }
    }
    s[o] = '\0';
    char *comma = strchr(s, ',');
    if (comma && !strchr(comma + 1, ',')) {
        /* A comma is the decimal mark: dots before it group thousands. */
        o = 0;
        for (size_t i = 0; s[i]; i++) {
            if (s + i < comma && s[i] == '.')
                continue;
            s[o++] = s[i] == ',' ? '.' : s[i];
        }
        s[o] = '\0';
    }
}

static int two_digits(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

/* "28/03/2026 10:00", "28/03/2026 à 10h00", "28/03/2026, 10:00" ->
 * "2026-03-28T10:00"; anything else is copied as is (the datetime-local
 * shape, or garbage that localtime_paris_parse refuses). */
static void normalise_datetime(const char *in, char *out, size_t out_size)
{
    int d, m, hh, mm;
    const char *p = in;
    snprintf(out, out_size, "%s", in);
    if (strlen(in) < 15 || two_digits(p, &d) || p[2] != '/' || two_digits(p + 3, &m) || p[5] != '/')
        return;
    for (int i = 6; i < 10; i++)
        if (p[i] < '0' || p[i] > '9')
            return;
    const char *t = p + 10;
    while (*t == ' ' || *t == ',')
        t++;
    if (strncmp(t, "\xC3\xA0 ", 3) == 0) /* "à " */
        t += 3;
    if (two_digits(t, &hh) || (t[2] != ':' && t[2] != 'h') || two_digits(t + 3, &mm) || t[5])
        return;
    snprintf(out, out_size, "%.4s-%02d-%02dT%02d:%02d", p + 6, m, d, hh, mm);
}

/* ---- errors ------------------------------------------------------------- */

static void set_error(struct wf_errors *e, enum wf_field f, enum msg m, int64_t n)
{
    if (e->e[f].set)
        return;
    e->e[f].set = 1;
    e->e[f].msg = m;
    e->e[f].n = n;
    e->count++;
}

static enum msg required_msg(enum wf_field f)
{
    switch (f) {
    case WF_EXECUTED_AT:
        return M_E_REQ_EXECUTED_AT;
    case WF_AMOUNT:
    case WF_OP_AMOUNT:
        return M_E_REQ_AMOUNT;
    case WF_DEBTOR_IBAN:
        return M_E_REQ_DEBTOR_IBAN;
    case WF_CREDITOR_IBAN:
        return M_E_REQ_CREDITOR_IBAN;
    case WF_VICTIM_NAME:
        return M_E_REQ_VICTIM_NAME;
    case WF_SCENARIO:
        return M_E_REQ_SCENARIO;
    case WF_CARD_BIN:
        return M_E_REQ_CARD_BIN;
    case WF_CARD_LAST4:
        return M_E_REQ_CARD_LAST4;
    case WF_OP_AT:
        return M_E_REQ_OP_AT;
    case WF_OP_MERCHANT:
        return M_E_REQ_OP_MERCHANT;
    case WF_OP_COUNTRY:
        return M_E_REQ_OP_COUNTRY;
    case WF_CURRENCY:
    case WF_OP_CURRENCY:
        return M_E_CURRENCY;
    case WF_RAIL:
    case WF_VICTIM_TYPE:
    case WF_OP_CHANNEL:
        return M_E_CHOOSE;
    default:
        return M_E_REQUIRED;
    }
}

/* Pointer of report_from_json -> field. Longest prefixes first; a prefix
 * matches whole segments only. */
static const struct {
    const char *prefix;
    enum wf_field field;
} pointer_map[] = {
    {"/executed_at", WF_EXECUTED_AT},
    {"/amount/currency", WF_CURRENCY},
    {"/amount", WF_AMOUNT},
    {"/rail", WF_RAIL},
    {"/debtor/iban", WF_DEBTOR_IBAN},
    {"/debtor", WF_DEBTOR_IBAN},
    {"/creditor/name", WF_CREDITOR_NAME},
    {"/creditor/iban", WF_CREDITOR_IBAN},
    {"/creditor", WF_CREDITOR_IBAN},
    {"/victim/name", WF_VICTIM_NAME},
    {"/victim/email", WF_EMAIL},
    {"/victim/phone", WF_PHONE},
    {"/victim/postal_code", WF_POSTAL_CODE},
    {"/victim/type", WF_VICTIM_TYPE},
    {"/victim", WF_VICTIM_NAME},
    {"/scenario", WF_SCENARIO},
    {"/narrative", WF_NARRATIVE},
    {"/evidence", WF_EVIDENCE},
    {"/card/last4", WF_CARD_LAST4},
    {"/card/bin", WF_CARD_BIN},
    {"/card", WF_CARD_BIN},
    {"/receipt", WF_RECEIPT},
    {"/operations/0/at", WF_OP_AT},
    {"/operations/0/amount/currency", WF_OP_CURRENCY},
    {"/operations/0/amount", WF_OP_AMOUNT},
    {"/operations/0/merchant", WF_OP_MERCHANT},
    {"/operations/0/country", WF_OP_COUNTRY},
    {"/operations/0/channel", WF_OP_CHANNEL},
    {"/operations", WF_OP_AMOUNT},
};

static int field_of_pointer(const char *ptr, enum wf_field *out)
{
    for (size_t i = 0; i < RELAY_ARRAY_LEN(pointer_map); i++) {
        size_t n = strlen(pointer_map[i].prefix);
        if (strncmp(ptr, pointer_map[i].prefix, n) == 0 && (ptr[n] == '\0' || ptr[n] == '/')) {
            *out = pointer_map[i].field;
            return 0;
        }
    }
    return -1;
}

static enum msg iban_msg(const char *value, int64_t *n)
{
    char norm[IBAN_MAX + 1];
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s", value ? value : "");
    blanks_to_space(tmp);
    switch (iban_validate(tmp, norm)) {
    case IBAN_EMPTY:
        return M_E_REQUIRED;
    case IBAN_TOO_LONG:
        return M_E_IBAN_TOO_LONG;
    case IBAN_BAD_CHAR:
        return M_E_IBAN_BAD_CHAR;
    case IBAN_UNKNOWN_COUNTRY:
        return M_E_IBAN_COUNTRY;
    case IBAN_BAD_LENGTH: {
        char cc[3] = {norm[0], norm[1], '\0'};
        char n2[IBAN_MAX + 1];
        if (iban_normalise(tmp, n2) == IBAN_OK) {
            cc[0] = n2[0];
            cc[1] = n2[1];
        }
        int len = iban_country_length(cc);
        if (len > 0) {
            *n = len;
            return M_E_IBAN_LENGTH;
        }
        return M_E_IBAN_CHECK;
    }
    case IBAN_BAD_FORMAT:
    case IBAN_BAD_CHECKSUM:
        return M_E_IBAN_CHECK;
    case IBAN_OK:
        break;
    }
    return M_E_IBAN_SAME; /* valid: only the same-account rule refuses it */
}

struct vals {
    char v[WF_COUNT][VALUE_MAX];
};

static void map_error(struct wf_errors *errs, const struct vals *vals, const char *ptr,
                      const char *code)
{
    enum wf_field f;
    if (field_of_pointer(ptr, &f) != 0) {
        errs->general = 1;
        return;
    }
    int64_t n = 0;
    enum msg m = M_E_UNREADABLE;
    if (strcmp(code, "required") == 0 || strcmp(code, "too_short") == 0) {
        m = required_msg(f);
    } else if (strcmp(code, "invalid_iban") == 0) {
        m = iban_msg(vals->v[f], &n);
    } else if (strcmp(code, "invalid_amount") == 0) {
        const char *cur = vals->v[f == WF_OP_AMOUNT ? WF_OP_CURRENCY : WF_CURRENCY];
        int exp = currency_exponent(cur);
        n = exp >= 0 ? exp : 2;
        m = M_E_AMOUNT;
    } else if (strcmp(code, "invalid_currency") == 0) {
        m = M_E_CURRENCY;
    } else if (strcmp(code, "invalid_time") == 0 || strcmp(code, "time_without_offset") == 0) {
        m = M_E_TIME;
    } else if (strcmp(code, "time_in_future") == 0) {
        m = M_E_TIME_FUTURE;
    } else if (strcmp(code, "time_too_old") == 0) {
        m = M_E_TIME_OLD;
    } else if (strcmp(code, "invalid_email") == 0) {
        m = M_E_EMAIL;
    } else if (strcmp(code, "invalid_postal_code") == 0) {
        m = M_E_POSTAL;
    } else if (strcmp(code, "invalid_enum") == 0) {
        m = f == WF_CURRENCY || f == WF_OP_CURRENCY ? M_E_CURRENCY : M_E_CHOOSE;
    } else if (strcmp(code, "too_long") == 0) {
        m = M_E_TOO_LONG;
        n = field_max[f] ? field_max[f] : 200;
    } else if (strcmp(code, "too_many_items") == 0) {
        m = f == WF_EVIDENCE ? M_E_TOO_MANY_EVIDENCE : M_E_UNREADABLE;
    } else if (strcmp(code, "full_card_number_refused") == 0) {
        if (f == WF_CARD_BIN || f == WF_CARD_LAST4) {
            m = M_E_PAN_CARD_FIELD;
            errs->show[f] = WF_HIDE;
        } else {
            m = M_E_PAN_TEXT;
            errs->show[f] = f == WF_EVIDENCE ? WF_HIDE : WF_MASK_PAN;
        }
    } else if (strcmp(code, "invalid_card") == 0) {
        m = f == WF_CARD_LAST4 ? M_E_LAST4 : vals->v[WF_CARD_BIN][0] ? M_E_BIN : M_E_REQ_CARD_BIN;
    } else if (strcmp(code, "invalid_format") == 0) {
        switch (f) {
        case WF_PHONE:
            m = M_E_PHONE;
            break;
        case WF_RECEIPT:
            m = M_E_RECEIPT;
            break;
        case WF_OP_COUNTRY:
            m = M_E_COUNTRY;
            break;
        case WF_EVIDENCE:
            m = M_E_EVIDENCE;
            break;
        default:
            m = M_E_CHARS;
            break;
        }
    } else if (f == WF_EVIDENCE) {
        m = M_E_EVIDENCE;
    }
    set_error(errs, f, m, n);
}

/* ---- building ----------------------------------------------------------- */

static int put_str(json_t *obj, const char *key, const char *value)
{
    if (!value || !*value)
        return 0;
    return json_object_set_new(obj, key, json_string(value));
}

static int digits_in(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s >= '0' && *s <= '9';
    return n;
}

/* The executed_at / operation time: RFC 3339 UTC, or an error on field. */
static int form_time(const char *value, enum wf_field f, struct wf_errors *errs, char *out,
                     size_t out_size)
{
    char norm[64];
    int64_t t;
    out[0] = '\0';
    if (!value[0])
        return 0; /* report_from_json says it is required */
    normalise_datetime(value, norm, sizeof(norm));
    enum rfc3339_error e = localtime_paris_parse(norm, &t);
    if (e != RFC3339_OK || rfc3339_format_utc(t, out, out_size) != 0) {
        out[0] = '\0';
        set_error(errs, f, M_E_TIME, 0);
        return -1;
    }
    return 0;
}

/* A card report's receipt when the victim has none: stable per form. */
static void derived_receipt(const char *nonce, char out[21])
{
    char msg[128];
    unsigned char md[EVP_MAX_MD_SIZE];
    int n = snprintf(msg, sizeof(msg), "relay48/web-receipt/1:%s", nonce ? nonce : "");
    if (n < 0 || (size_t)n >= sizeof(msg) ||
        !EVP_Digest(msg, (size_t)n, md, NULL, EVP_sha256(), NULL))
        memset(md, 0, sizeof(md));
    memcpy(out, "WEB-", 4);
    for (int i = 0; i < 8; i++)
        snprintf(out + 4 + 2 * i, 3, "%02X", md[i]);
}

static int add_victim(json_t *root, const struct vals *v)
{
    json_t *victim = json_object();
    if (!victim || json_object_set_new(root, "victim", victim) != 0)
        return -1;
    return put_str(victim, "name", v->v[WF_VICTIM_NAME]) |
           put_str(victim, "email", v->v[WF_EMAIL]) | put_str(victim, "phone", v->v[WF_PHONE]) |
           put_str(victim, "postal_code", v->v[WF_POSTAL_CODE]) |
           put_str(victim, "type", v->v[WF_VICTIM_TYPE]);
}

static json_t *amount_json(const char *value, const char *currency)
{
    json_t *a = json_object();
    if (a && (put_str(a, "value", value) | put_str(a, "currency", currency)) != 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *evidence_json(const struct form *f, struct wf_errors *errs)
{
    size_t names = form_count(f, "evidence_name");
    size_t hashes = form_count(f, "evidence_sha256");
    if (names == 0 && hashes == 0)
        return NULL;
    if (names != hashes) {
        set_error(errs, WF_EVIDENCE, M_E_EVIDENCE, 0);
        return NULL;
    }
    if (names > WEBREPORT_MAX_EVIDENCE) {
        set_error(errs, WF_EVIDENCE, M_E_TOO_MANY_EVIDENCE, 0);
        return NULL;
    }
    json_t *a = json_array();
    for (size_t i = 0; a && i < names; i++) {
        json_t *item = json_pack("{s:s, s:s}", "file_name", form_get_nth(f, "evidence_name", i),
                                 "sha256", form_get_nth(f, "evidence_sha256", i));
        if (!item || json_array_append_new(a, item) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static int build_transfer(const struct form *f, struct vals *v, struct wf_errors *errs,
                          json_t *root)
{
    char t[TIMEUTIL_UTC_SIZE];
    int rc = json_object_set_new(root, "kind", json_string("transfer"));
    (void)form_time(v->v[WF_EXECUTED_AT], WF_EXECUTED_AT, errs, t, sizeof(t));
    rc |= put_str(root, "executed_at", t);
    char amount[VALUE_MAX];
    snprintf(amount, sizeof(amount), "%s", v->v[WF_AMOUNT]);
    normalise_amount(amount);
    rc |= json_object_set_new(root, "amount", amount_json(amount, v->v[WF_CURRENCY]));
    rc |= put_str(root, "rail", v->v[WF_RAIL][0] ? v->v[WF_RAIL] : "unknown");
    blanks_to_space(v->v[WF_DEBTOR_IBAN]);
    blanks_to_space(v->v[WF_CREDITOR_IBAN]);
    json_t *debtor = json_object(), *creditor = json_object();
    rc |= json_object_set_new(root, "debtor", debtor);
    rc |= json_object_set_new(root, "creditor", creditor);
    if (!debtor || !creditor)
        return -1;
    rc |= put_str(debtor, "iban", v->v[WF_DEBTOR_IBAN]);
    rc |= put_str(creditor, "iban", v->v[WF_CREDITOR_IBAN]);
    rc |= put_str(creditor, "name", v->v[WF_CREDITOR_NAME]);
    rc |= add_victim(root, v);
    rc |= put_str(root, "scenario", v->v[WF_SCENARIO]);
    rc |= put_str(root, "narrative", v->v[WF_NARRATIVE]);
    json_t *ev = evidence_json(f, errs);
    if (ev)
        rc |= json_object_set_new(root, "evidence", ev);
    return rc ? -1 : 0;
}

static int build_card(struct vals *v, const char *nonce, struct wf_errors *errs, json_t *root)
{
    char t[TIMEUTIL_UTC_SIZE];
    char receipt[21];
    int rc = json_object_set_new(root, "kind", json_string("card"));
    if (v->v[WF_RECEIPT][0]) {
        rc |= put_str(root, "receipt", v->v[WF_RECEIPT]);
    } else {
        derived_receipt(nonce, receipt);
        rc |= put_str(root, "receipt", receipt);
    }
    json_t *card = json_object();
    rc |= json_object_set_new(root, "card", card);
    if (!card)
        return -1;
    drop_blanks(v->v[WF_CARD_BIN]);
    drop_blanks(v->v[WF_CARD_LAST4]);
    rc |= put_str(card, "bin", v->v[WF_CARD_BIN]);
    rc |= put_str(card, "last4", v->v[WF_CARD_LAST4]);
    json_t *op = json_object();
    json_t *ops = json_array();
    if (!op || !ops || json_array_append_new(ops, op) != 0) {
        json_decref(ops);
        return -1;
    }
    rc |= json_object_set_new(root, "operations", ops);
    (void)form_time(v->v[WF_OP_AT], WF_OP_AT, errs, t, sizeof(t));
    rc |= put_str(op, "at", t);
    char amount[VALUE_MAX];
    snprintf(amount, sizeof(amount), "%s", v->v[WF_OP_AMOUNT]);
    normalise_amount(amount);
    rc |= json_object_set_new(op, "amount", amount_json(amount, v->v[WF_OP_CURRENCY]));
    rc |= put_str(op, "merchant", v->v[WF_OP_MERCHANT]);
    for (char *p = v->v[WF_OP_COUNTRY]; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    rc |= put_str(op, "country", v->v[WF_OP_COUNTRY]);
    rc |= put_str(op, "channel", v->v[WF_OP_CHANNEL]);
    rc |= add_victim(root, v);
    rc |= put_str(root, "narrative", v->v[WF_NARRATIVE]);
    return rc ? -1 : 0;
}

int webreport_build(const struct form *f, const char *nonce, int64_t now,
                    const struct report_limits *limits, struct report *out, struct wf_errors *errs)
{
    memset(errs, 0, sizeof(*errs));
    memset(out, 0, sizeof(*out));
    enum wf_kind kind = webreport_kind(f);
    int rc = -2;
    json_t *root = NULL, *rerrors = NULL;
    struct vals *v = calloc(1, sizeof(*v));
    if (!v)
        return -2;
    for (int i = 0; i < WF_COUNT; i++)
        if (i != WF_EVIDENCE)
            webreport_value(f, field_names[i], v->v[i], sizeof(v->v[i]));

    /* A full card number goes no further, whatever field it was typed in. */
    for (int i = 0; i < WF_COUNT; i++) {
        int pan = card_looks_like_pan(v->v[i]);
        if (i == WF_CARD_BIN && digits_in(v->v[i]) > 8)
            pan = 1;
        if (i == WF_CARD_LAST4 && digits_in(v->v[i]) > 4)
            pan = 1;
        if (!pan)
            continue;
        int card_box = i == WF_CARD_BIN || i == WF_CARD_LAST4;
        set_error(errs, (enum wf_field)i, card_box ? M_E_PAN_CARD_FIELD : M_E_PAN_TEXT, 0);
        errs->show[i] = card_box ? WF_HIDE : WF_MASK_PAN;
        explicit_bzero(v->v[i], sizeof(v->v[i]));
    }
    for (size_t i = 0; i < form_count(f, "evidence_name"); i++) {
        if (card_looks_like_pan(form_get_nth(f, "evidence_name", i))) {
            set_error(errs, WF_EVIDENCE, M_E_PAN_TEXT, 0);
            errs->show[WF_EVIDENCE] = WF_HIDE;
        }
    }
    if (!v->v[WF_EMAIL][0] && !v->v[WF_PHONE][0])
        set_error(errs, WF_EMAIL, M_E_NEED_CONTACT, 0);

    root = json_object();
    rerrors = json_array();
    if (!root || !rerrors)
        goto done;
    if ((kind == WF_CARD ? build_card(v, nonce, errs, root) : build_transfer(f, v, errs, root)) !=
        0)
        goto done;
    if (errs->show[WF_EVIDENCE] == WF_HIDE)
        json_object_del(root, "evidence");

    int vr = report_from_json(root, now, limits, "", out, rerrors);
    if (vr == 0 && errs->count == 0 && !errs->general) {
        rc = 0;
        goto done;
    }
    if (vr == 0)
        report_free(out);
    size_t i;
    json_t *e;
    json_array_foreach(rerrors, i, e)
    {
        const char *ptr = json_string_value(json_object_get(e, "pointer"));
        const char *code = json_string_value(json_object_get(e, "code"));
        if (strcmp(code ? code : "", "internal_error") == 0)
            goto done;
        map_error(errs, v, ptr ? ptr : "", code ? code : "");
    }
    /* Both IBANs valid and equal: report_from_json's "own account" rule. */
    if (errs->e[WF_CREDITOR_IBAN].set && errs->e[WF_CREDITOR_IBAN].msg == M_E_IBAN_SAME &&
        errs->e[WF_DEBTOR_IBAN].set)
        errs->e[WF_CREDITOR_IBAN].msg = M_E_IBAN_CHECK;
    if (errs->count == 0 && !errs->general)
        errs->general = 1;
    rc = -1;
done:
    json_decref(root);
    json_decref(rerrors);
    explicit_bzero(v, sizeof(*v));
    free(v);
    return rc;
}

void webreport_mask_pan(const char *text, char *out, size_t out_size)
{
    if (out_size == 0)
        return;
    size_t n = strlen(text ? text : "");
    if (n >= out_size)
        n = out_size - 1;
    memcpy(out, text ? text : "", n);
    out[n] = '\0';
    /* Chains of digit groups joined by one separator; mask those of 12
     * digits or more (a superset of card_looks_like_pan's candidates). */
    size_t i = 0;
    while (i < n) {
        if (out[i] < '0' || out[i] > '9') {
            i++;
            continue;
        }
        size_t start = i, end = i, digits = 0;
        size_t j = i;
        for (;;) {
            while (j < n && out[j] >= '0' && out[j] <= '9') {
                digits++;
                j++;
            }
            end = j;
            size_t sep = 0;
            if (j < n && (out[j] == ' ' || out[j] == '-'))
                sep = 1;
            else if (j + 1 < n && (unsigned char)out[j] == 0xC2 &&
                     (unsigned char)out[j + 1] == 0xA0)
                sep = 2;
            else if (j + 2 < n && (unsigned char)out[j] == 0xE2 &&
                     (unsigned char)out[j + 1] == 0x80 && (unsigned char)out[j + 2] == 0xAF)
                sep = 3;
            if (sep && j + sep < n && out[j + sep] >= '0' && out[j + sep] <= '9')
                j += sep;
            else
                break;
        }
        if (digits >= 12)
            for (size_t k = start; k < end; k++)
                if (out[k] >= '0' && out[k] <= '9')
                    out[k] = 'X';
        i = end > i ? end : i + 1;
    }
}
