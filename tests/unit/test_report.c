/*
 * test_report.c — unit tests of relay/report.c: a transfer and a card
 * report read into struct report and details, every field error at its
 * pointer (several at once), unknown members at depth, bodies that are not
 * a JSON object (400), the time bounds around an injected clock, card sums,
 * the normalised hash, and a full card number that must go nowhere.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iban.h"
#include "report.h"

#define NOW      INT64_C(1774699200) /* 2026-03-28T12:00:00Z */
#define NOW_CARD INT64_C(1775980800) /* 2026-04-12T08:00:00Z */
#define DAY      INT64_C(86400)

#define PAN_SPACED "4970 1012 3456 4825"
#define PAN_DIGITS "4970101234564825"

#define DETAIL_PAN                                                                                 \
    "a full card number may not be sent here; give only the first 6 and last 4 digits"

static const char TRANSFER[] =
    "{\"kind\": \"transfer\","
    " \"executed_at\": \"2026-03-28T10:00:00+01:00\","
    " \"amount\": {\"value\": \"12500.00\", \"currency\": \"EUR\"},"
    " \"rail\": \"sct_inst\","
    " \"debtor\": {\"iban\": \"FR76 3000 4008 1900 0123 4567 879\", \"bic\": \"BNPAFRPP\","
    "   \"name\": \"Commune de Saint-Genis-les-Olli\\u00e8res\"},"
    " \"creditor\": {\"iban\": \"FR76 1695 8000 0174 1258 9630 158\","
    "   \"name\": \"SECURIS CONSEIL SAS\"},"
    " \"victim\": {\"name\": \"Mairie de Saint-Genis-les-Olli\\u00e8res\","
    "   \"email\": \"secretariat@mairie-sgo.example\", \"phone\": \"+33 4 78 57 00 00\","
    "   \"postal_code\": \"69290\", \"type\": \"public_body\"},"
    " \"scenario\": \"fake_bank_advisor\","
    " \"end_to_end_id\": \"E2E-2026032810000042\","
    " \"narrative\": \"Un faux conseiller m'a appel\\u00e9.\\nIl avait mon nom.\","
    " \"evidence\": [{\"file_name\": \"appel-conseiller-28-03.eml\","
    "   \"sha256\": \"c624a7e2351c5ef1a7323bfb03b36fe5a17fed235cc0247dcc622b667830501b\"}],"
    " \"channel_ref\": \"CSIRT-ARA-2026-00417\"}";

static const char CARD[] =
    "{\"kind\": \"card\", \"receipt\": \"PCV-2026-04-12-000731\","
    " \"card\": {\"bin\": \"49701012\", \"last4\": \"4821\"},"
    " \"operations\": ["
    "  {\"at\": \"2026-04-11T22:14:05+02:00\", \"amount\": {\"value\": \"849.9\","
    "   \"currency\": \"EUR\"}, \"merchant\": \"ELECTRO-DISCOUNT.EXAMPLE\", \"country\": \"NL\","
    "   \"channel\": \"online\"},"
    "  {\"at\": \"2026-04-11T20:31:40Z\", \"amount\": {\"value\": \"1299.00\", \"currency\": "
    "   \"EUR\"}, \"merchant\": \"PHONESHOP ONLINE\", \"country\": \"IE\", \"channel\": "
    "   \"online\"},"
    "  {\"at\": \"2026-04-11T19:02:11+00:00\", \"amount\": {\"value\": \"400\", \"currency\": "
    "   \"EUR\"}, \"merchant\": \"DAB LILLE FLANDRES\", \"country\": \"FR\", \"channel\": "
    "   \"atm\"}],"
    " \"victim\": {\"name\": \"Jeanne Martin\", \"email\": \"jeanne.martin@example.org\","
    "   \"postal_code\": \"59000\"},"
    " \"issuer_bic\": \"cmcifrppxxx\","
    " \"narrative\": \"Carte toujours en ma possession.\"}";

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);

    if (j == NULL) {
        fail_msg("test JSON does not load: %s (line %d)", e.text, e.line);
    }
    return j;
}

/*
 * Sets (or with value NULL removes) the member at a '/'-separated path;
 * numeric tokens index arrays. Takes ownership of value.
 */
static void set_path(json_t *root, const char *path, json_t *value)
{
    char buf[256];
    char *tok;
    char *next;
    json_t *cur = root;

    snprintf(buf, sizeof(buf), "%s", path + 1);
    tok = buf;
    for (;;) {
        next = strchr(tok, '/');
        if (next != NULL) {
            *next = '\0';
        }
        if (json_is_array(cur)) {
            size_t i = (size_t)strtoul(tok, NULL, 10);

            if (next == NULL) {
                if (value == NULL) {
                    assert_int_equal(json_array_remove(cur, i), 0);
                } else {
                    assert_int_equal(json_array_set_new(cur, i, value), 0);
                }
                return;
            }
            cur = json_array_get(cur, i);
        } else {
            if (next == NULL) {
                if (value == NULL) {
                    assert_int_equal(json_object_del(cur, tok), 0);
                } else {
                    assert_int_equal(json_object_set_new(cur, tok, value), 0);
                }
                return;
            }
            cur = json_object_get(cur, tok);
        }
        assert_non_null(cur);
        tok = next + 1;
    }
}

static void set_str(json_t *root, const char *path, const char *s)
{
    set_path(root, path, json_string(s));
}

static int run_text(const char *text, int64_t now, struct report *r, json_t *errors)
{
    struct report_limits l;

    report_limits_default(&l);
    return report_parse(text, strlen(text), now, &l, r, errors);
}

static int run_json(json_t *body, int64_t now, struct report *r, json_t *errors)
{
    char *text = json_dumps(body, JSON_COMPACT);
    int rc;

    assert_non_null(text);
    rc = run_text(text, now, r, errors);
    free(text);
    return rc;
}

static void dump_fail(json_t *errors, const char *pointer, const char *code)
{
    char *d = json_dumps(errors, JSON_INDENT(1));

    fail_msg("no error %s at \"%s\" in %s", code, pointer, d != NULL ? d : "?");
}

/* The error with that exact pointer and code; fails the test if absent. */
static json_t *find_error(json_t *errors, const char *pointer, const char *code)
{
    size_t i;
    json_t *e;

    json_array_foreach(errors, i, e)
    {
        const char *p = json_string_value(json_object_get(e, "pointer"));
        const char *c = json_string_value(json_object_get(e, "code"));

        assert_non_null(p);
        assert_non_null(c);
        assert_non_null(json_string_value(json_object_get(e, "detail")));
        if (strcmp(p, pointer) == 0 && strcmp(c, code) == 0) {
            return e;
        }
    }
    dump_fail(errors, pointer, code);
    return NULL;
}

static void expect_only(json_t *errors, const char *pointer, const char *code)
{
    if (json_array_size(errors) != 1) {
        char *d = json_dumps(errors, JSON_INDENT(1));

        fail_msg("want only %s at %s, got %s", code, pointer, d != NULL ? d : "?");
    }
    (void)find_error(errors, pointer, code);
}

/* A cleared report: what -1 and -2 leave behind. */
static void assert_cleared(const struct report *r)
{
    static const struct report zero;

    assert_null(r->details);
    assert_memory_equal(r, &zero, sizeof(zero));
}

/* Applies one change to a valid transfer, expects exactly that one error. */
static void transfer_one_error(const char *path, json_t *value, const char *pointer,
                               const char *code)
{
    json_t *body = load(TRANSFER);
    json_t *errors = json_array();
    struct report r;

    set_path(body, path, value);
    assert_int_equal(run_json(body, NOW, &r, errors), -1);
    assert_cleared(&r);
    expect_only(errors, pointer, code);
    report_free(&r);
    json_decref(errors);
    json_decref(body);
}

static void card_one_error(const char *path, json_t *value, const char *pointer, const char *code)
{
    json_t *body = load(CARD);
    json_t *errors = json_array();
    struct report r;

    set_path(body, path, value);
    assert_int_equal(run_json(body, NOW_CARD, &r, errors), -1);
    assert_cleared(&r);
    expect_only(errors, pointer, code);
    json_decref(errors);
    json_decref(body);
}

static void test_names_and_limits(void **state)
{
    struct report_limits l;

    (void)state;
    report_limits_default(&l);
    assert_int_equal(l.future_skew, 300);
    assert_int_equal(l.max_age, 396 * DAY);
    assert_string_equal(report_kind_name(REPORT_TRANSFER), "transfer");
    assert_string_equal(report_kind_name(REPORT_CARD), "card");
    assert_null(report_kind_name((enum report_kind)7));
    assert_string_equal(report_channel_name(CHANNEL_API), "api");
    assert_string_equal(report_channel_name(CHANNEL_WEB), "web");
    assert_string_equal(report_channel_name(CHANNEL_BANK), "bank");
    assert_string_equal(report_channel_name(CHANNEL_PERCEVAL), "perceval");
    assert_null(report_channel_name((enum report_channel)9));
}

static void test_transfer_valid(void **state)
{
    json_t *errors = json_array();
    struct report r;
    json_t *d;
    json_t *v;
    json_t *ev;

    (void)state;
    assert_int_equal(run_text(TRANSFER, NOW, &r, errors), 0);
    assert_int_equal(json_array_size(errors), 0);
    assert_int_equal(r.kind, REPORT_TRANSFER);
    assert_int_equal(r.rail, RAIL_SCT_INST);
    assert_int_equal(r.start_at, INT64_C(1774688400)); /* 2026-03-28T09:00:00Z */
    assert_int_equal(r.amount_minor, 1250000);
    assert_string_equal(r.currency, "EUR");
    assert_string_equal(r.debtor_iban, "FR7630004008190001234567879");
    assert_string_equal(r.debtor_bic, "BNPAFRPP");
    assert_string_equal(r.creditor_iban, "FR7616958000017412589630158");
    assert_string_equal(r.creditor_bic, "");
    assert_string_equal(r.card_bin, "");
    assert_string_equal(r.card_last4, "");
    assert_string_equal(r.issuer_bic, "");
    assert_string_equal(r.receipt, "");
    assert_string_equal(r.scenario, "fake_bank_advisor");
    assert_string_equal(r.postal_code, "69290");
    assert_string_equal(r.departement, "69");
    assert_int_equal(r.mixed_currencies, 0);

    d = r.details;
    assert_non_null(d);
    /* victim, debtor, creditor, narrative, evidence, end_to_end_id, channel_ref */
    assert_int_equal(json_object_size(d), 7);
    v = json_object_get(d, "victim");
    assert_int_equal(json_object_size(v), 5);
    assert_string_equal(json_string_value(json_object_get(v, "name")),
                        "Mairie de Saint-Genis-les-Olli\xc3\xa8res");
    assert_string_equal(json_string_value(json_object_get(v, "email")),
                        "secretariat@mairie-sgo.example");
    assert_string_equal(json_string_value(json_object_get(v, "phone")), "+33 4 78 57 00 00");
    assert_string_equal(json_string_value(json_object_get(v, "postal_code")), "69290");
    assert_string_equal(json_string_value(json_object_get(v, "type")), "public_body");
    assert_int_equal(json_object_size(json_object_get(d, "debtor")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "debtor"), "name")),
                        "Commune de Saint-Genis-les-Olli\xc3\xa8res");
    assert_int_equal(json_object_size(json_object_get(d, "creditor")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "creditor"), "name")),
                        "SECURIS CONSEIL SAS");
    assert_string_equal(json_string_value(json_object_get(d, "narrative")),
                        "Un faux conseiller m'a appel\xc3\xa9.\nIl avait mon nom.");
    assert_string_equal(json_string_value(json_object_get(d, "end_to_end_id")),
                        "E2E-2026032810000042");
    assert_string_equal(json_string_value(json_object_get(d, "channel_ref")),
                        "CSIRT-ARA-2026-00417");
    ev = json_object_get(d, "evidence");
    assert_int_equal(json_array_size(ev), 1);
    assert_int_equal(json_object_size(json_array_get(ev, 0)), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "file_name")),
                        "appel-conseiller-28-03.eml");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "sha256")),
                        "c624a7e2351c5ef1a7323bfb03b36fe5a17fed235cc0247dcc622b667830501b");
    assert_null(json_object_get(d, "uetr"));
    assert_null(json_object_get(d, "operations"));
    /* no IBAN in details: they are fields of the struct */
    assert_null(json_object_get(json_object_get(d, "debtor"), "iban"));

    report_free(&r);
    assert_cleared(&r);
    report_free(&r); /* twice is harmless */
    json_decref(errors);
}

/* The smallest transfer: defaults, trimming, and what is left out. */
static void test_transfer_minimal_trim_defaults(void **state)
{
    static const char body[] =
        "{\"kind\":\" transfer \",\"executed_at\":\"\\t2026-03-28T11:59:00Z \","
        "\"amount\":{\"value\":\" 0012.5\",\"currency\":\"EUR\"},"
        "\"debtor\":{\"iban\":\"  de89 3704 0044 0532 0130 00 \"},"
        "\"creditor\":{\"iban\":\"GB29NWBK60161331926819\",\"bic\":\" nwbkgb2lxxx \"},"
        "\"victim\":{\"name\":\"  Jo  \"},\"scenario\":\"other\","
        "\"uetr\":\"3F2B8C1E-7D4A-4B9E-8C2F-1A2B3C4D5E6F\",\"narrative\":\"  \","
        "\"evidence\":[]}";
    json_t *errors = json_array();
    struct report r;
    json_t *d;

    (void)state;
    assert_int_equal(run_text(body, NOW, &r, errors), 0);
    assert_int_equal(r.rail, RAIL_SCT);
    assert_int_equal(r.start_at, NOW - 60);
    assert_int_equal(r.amount_minor, 1250);
    assert_string_equal(r.debtor_iban, "DE89370400440532013000");
    assert_string_equal(r.debtor_bic, "");
    assert_string_equal(r.creditor_bic, "NWBKGB2L");
    assert_string_equal(r.postal_code, "");
    assert_string_equal(r.departement, "");
    d = r.details;
    assert_int_equal(json_object_size(d), 2); /* victim, uetr */
    assert_int_equal(json_object_size(json_object_get(d, "victim")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "victim"), "name")),
                        "Jo");
    assert_string_equal(json_string_value(json_object_get(d, "uetr")),
                        "3f2b8c1e-7d4a-4b9e-8c2f-1a2b3c4d5e6f");
    report_free(&r);
    json_decref(errors);
}

static void test_card_valid(void **state)
{
    json_t *errors = json_array();
    struct report r;
    json_t *ops;
    json_t *op;

    (void)state;
    assert_int_equal(run_text(CARD, NOW_CARD, &r, errors), 0);
    assert_int_equal(json_array_size(errors), 0);
    assert_int_equal(r.kind, REPORT_CARD);
    assert_int_equal(r.rail, RAIL_CARD);
    assert_int_equal(r.start_at, INT64_C(1775934131)); /* 2026-04-11T19:02:11Z, the third */
    assert_int_equal(r.amount_minor, 84990 + 129900 + 40000);
    assert_string_equal(r.currency, "EUR");
    assert_int_equal(r.mixed_currencies, 0);
    assert_string_equal(r.card_bin, "49701012");
    assert_string_equal(r.card_last4, "4821");
    assert_string_equal(r.issuer_bic, "CMCIFRPP");
    assert_string_equal(r.receipt, "PCV-2026-04-12-000731");
    assert_string_equal(r.scenario, "");
    assert_string_equal(r.debtor_iban, "");
    assert_string_equal(r.creditor_iban, "");
    assert_string_equal(r.postal_code, "59000");
    assert_string_equal(r.departement, "59");

    assert_int_equal(json_object_size(r.details), 3); /* victim, narrative, operations */
    assert_int_equal(json_object_size(json_object_get(r.details, "victim")), 3);
    ops = json_object_get(r.details, "operations");
    assert_int_equal(json_array_size(ops), 3);
    op = json_array_get(ops, 0);
    assert_int_equal(json_object_size(op), 5);
    assert_string_equal(json_string_value(json_object_get(op, "at")), "2026-04-11T20:14:05Z");
    assert_string_equal(json_string_value(json_object_get(json_object_get(op, "amount"), "value")),
                        "849.90");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(op, "amount"), "currency")), "EUR");
    assert_string_equal(json_string_value(json_object_get(op, "merchant")),
                        "ELECTRO-DISCOUNT.EXAMPLE");
    assert_string_equal(json_string_value(json_object_get(op, "country")), "NL");
    assert_string_equal(json_string_value(json_object_get(op, "channel")), "online");
    op = json_array_get(ops, 2);
    assert_string_equal(json_string_value(json_object_get(op, "at")), "2026-04-11T19:02:11Z");
    assert_string_equal(json_string_value(json_object_get(json_object_get(op, "amount"), "value")),
                        "400.00");
    report_free(&r);
    json_decref(errors);
}

/* 1 when needle occurs anywhere in the len bytes (memmem is a GNU extension). */
static int contains(const void *bytes, size_t len, const char *needle)
{
    const unsigned char *b = bytes;
    size_t n = strlen(needle);

    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(b + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void assert_no_pan(const void *bytes, size_t len)
{
    assert_false(contains(bytes, len, PAN_DIGITS));
    assert_false(contains(bytes, len, PAN_SPACED));
    /* nor the middle digits, which neither bin nor last4 hold */
    assert_false(contains(bytes, len, "123456"));
}

static void test_card_pan_reduced_and_wiped(void **state)
{
    json_t *body = load(CARD);
    json_t *errors = json_array();
    json_t *pan;
    struct report r;
    char *text;

    (void)state;
    set_path(body, "/card", json_pack("{s:s}", "pan", " " PAN_SPACED " "));
    text = json_dumps(body, JSON_COMPACT);
    assert_non_null(strstr(text, PAN_SPACED));
    assert_int_equal(run_text(text, NOW_CARD, &r, errors), 0);
    assert_string_equal(r.card_bin, "497010");
    assert_string_equal(r.card_last4, "4825");
    assert_no_pan(&r, sizeof(r));
    free(text);
    text = json_dumps(r.details, JSON_COMPACT);
    assert_no_pan(text, strlen(text));
    free(text);
    report_free(&r);

    /* report_from_json wipes the object's own copy in place */
    pan = json_object_get(json_object_get(body, "card"), "pan");
    assert_int_equal(report_from_json(body, NOW_CARD, NULL, "", &r, errors), 0);
    assert_int_equal(json_string_length(pan), strlen(PAN_SPACED) + 2);
    for (size_t i = 0; i < json_string_length(pan); i++) {
        assert_int_equal(json_string_value(pan)[i], '\0');
    }
    assert_string_equal(r.card_bin, "497010");
    assert_no_pan(&r, sizeof(r));
    report_free(&r);
    assert_int_equal(json_array_size(errors), 0);
    json_decref(errors);
    json_decref(body);
}

/*
 * A jansson allocator that looks into every block it frees: after
 * report_parse, no freed block may still hold the card number. jansson's
 * lexer keeps the raw text of a token, quote first, in a buffer that the
 * next token overwrites from its second byte, so a PAN at the start of a
 * short string does not survive there; a PAN deeper inside a long string can
 * survive in a lexer buffer that was outgrown and freed, which report.c
 * cannot reach (see its comment on report_parse). These bodies test what
 * report.c owns: the parsed tree.
 */
#define HOOK_HEADER 16
static int freed_with_pan;

static void *hook_malloc(size_t n)
{
    unsigned char *p = malloc(n + HOOK_HEADER);

    if (p == NULL) {
        return NULL;
    }
    memcpy(p, &n, sizeof(n));
    return p + HOOK_HEADER;
}

static void hook_free(void *ptr)
{
    unsigned char *p;
    size_t n;

    if (ptr == NULL) {
        return;
    }
    p = (unsigned char *)ptr - HOOK_HEADER;
    memcpy(&n, p, sizeof(n));
    if (contains(ptr, n, PAN_DIGITS) || contains(ptr, n, PAN_SPACED)) {
        freed_with_pan++;
    }
    free(p);
}

static void parse_hooked(const char *body, int64_t now, int rc_want)
{
    json_t *errors;
    struct report r;

    json_set_alloc_funcs(hook_malloc, hook_free);
    freed_with_pan = 0;
    errors = json_array();
    assert_int_equal(run_text(body, now, &r, errors), rc_want);
    report_free(&r);
    json_decref(errors);
    json_set_alloc_funcs(malloc, free);
    if (freed_with_pan != 0) {
        fail_msg("%d freed block(s) held the card number", freed_with_pan);
    }
}

static void test_parsed_tree_wiped(void **state)
{
    static const char card[] =
        "{\"kind\":\"card\",\"receipt\":\"R1\",\"card\":{\"pan\":\"" PAN_SPACED "\"},"
        "\"operations\":[{\"at\":\"2026-04-11T22:14:05+02:00\",\"amount\":{\"value\":\"1.00\","
        "\"currency\":\"EUR\"},\"merchant\":\"M\",\"country\":\"FR\",\"channel\":\"atm\"}],"
        "\"victim\":{\"name\":\"P\"}}";
    static const char misplaced[] =
        "{\"kind\":\"transfer\",\"card\":{\"pan\":\"" PAN_SPACED "\"},"
        "\"victim\":{\"name\":\"" PAN_DIGITS "\",\"note\":\"" PAN_SPACED "\"},"
        "\"x\":[\"" PAN_DIGITS "\"],\"narrative\":\"" PAN_SPACED ".\"}";
    static const char no_kind[] =
        "{\"card\":{\"pan\":\"" PAN_SPACED "\"},\"y\":\"" PAN_DIGITS "\"}";
    static const char too_deep[] =
        "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[\"" PAN_DIGITS "\"]}}}}}}}}";

    (void)state;
    parse_hooked(card, NOW_CARD, 0);
    parse_hooked(misplaced, NOW, -1);
    parse_hooked(no_kind, NOW, -1);
    parse_hooked(too_deep, NOW, -2);
}

/* A PAN that fails: the error says why, and never repeats it. */
static void test_card_pan_invalid_not_echoed(void **state)
{
    static const char *const bad[] = {"4970 1012 3456 4826", "4970 1012 3456 482x", "4970 1012 34",
                                      "4970101234564825123456789012345678901234"
                                      "567890123456789012345678901234567890"};
    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bad); i++) {
        json_t *body = load(CARD);
        json_t *errors = json_array();
        struct report r;
        char *text;

        set_path(body, "/card", json_pack("{s:s}", "pan", bad[i]));
        assert_int_equal(run_json(body, NOW_CARD, &r, errors), -1);
        expect_only(errors, "/card/pan", "invalid_card");
        text = json_dumps(errors, JSON_COMPACT);
        assert_null(strstr(text, "4970"));
        assert_null(strstr(text, "1012"));
        free(text);
        json_decref(errors);
        json_decref(body);
    }
    /* pan and bin together */
    card_one_error("/card/pan", json_string(PAN_SPACED), "/card", "invalid_card");
    /* a pan that is a number */
    card_one_error("/card", json_pack("{s:I}", "pan", (json_int_t)INT64_C(4970101234564825)),
                   "/card/pan", "invalid_type");
}

/* report_parse wipes a PAN sent where no PAN belongs too (and refuses it). */
static void test_pan_in_free_text_refused(void **state)
{
    static const char *const transfer_paths[] = {
        "/narrative",     "/victim/name",          "/debtor/name", "/creditor/name",
        "/end_to_end_id", "/evidence/0/file_name", "/channel_ref"};
    static const char *const card_paths[] = {"/operations/1/merchant", "/receipt", "/narrative"};
    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(transfer_paths); i++) {
        json_t *body = load(TRANSFER);
        json_t *errors = json_array();
        struct report r;
        json_t *e;
        char *text;

        set_str(body, transfer_paths[i],
                strcmp(transfer_paths[i], "/narrative") == 0
                    ? "Il m'a demand\xc3\xa9 ma carte " PAN_SPACED " et le code."
                    : PAN_DIGITS);
        assert_int_equal(run_json(body, NOW, &r, errors), -1);
        expect_only(errors, transfer_paths[i], "full_card_number_refused");
        e = find_error(errors, transfer_paths[i], "full_card_number_refused");
        assert_string_equal(json_string_value(json_object_get(e, "detail")), DETAIL_PAN);
        text = json_dumps(errors, JSON_COMPACT);
        assert_no_pan(text, strlen(text));
        free(text);
        json_decref(errors);
        json_decref(body);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(card_paths); i++) {
        card_one_error(card_paths[i], json_string(PAN_DIGITS), card_paths[i],
                       "full_card_number_refused");
    }
    /* an IBAN or a SIRET in the narrative is not a card number */
    {
        json_t *body = load(TRANSFER);
        json_t *errors = json_array();
        struct report r;

        set_str(body, "/narrative", "Vers FR76 1695 8000 0174 1258 9630 158, SIRET 73282932000074");
        assert_int_equal(run_json(body, NOW, &r, errors), 0);
        report_free(&r);
        json_decref(errors);
        json_decref(body);
    }
}

/* Many errors in one body: all reported, each at its pointer. */
static void test_transfer_errors_collected(void **state)
{
    json_t *body = load(TRANSFER);
    json_t *errors = json_array();
    struct report r;
    json_t *e;
    char *text;

    (void)state;
    set_str(body, "/executed_at", "2026-03-28T10:00:00");
    set_str(body, "/amount/value", "12,50");
    set_str(body, "/amount/currency", "XAU");
    set_str(body, "/rail", "sepa");
    set_str(body, "/debtor/iban", "FR76 3000 4008 1900 0123 4567 878");
    set_str(body, "/creditor/bic", "BNP");
    set_str(body, "/victim/email", "mairie.example");
    set_str(body, "/victim/phone", "04 78 57 x");
    set_str(body, "/victim/postal_code", "2099");
    set_str(body, "/victim/type", "alien");
    set_path(body, "/victim/nickname", json_string("Jo"));
    set_str(body, "/scenario", "phishing");
    set_str(body, "/end_to_end_id", "E2E-caf\xc3\xa9");
    set_str(body, "/uetr", "3f2b8c1e-7d4a-1b9e-8c2f-1a2b3c4d5e6f");
    json_array_append_new(json_object_get(body, "evidence"),
                          json_pack("{s:s}", "sha256",
                                    "C624A7E2351C5EF1A7323BFB03B36FE5A17FED235CC0247DCC622B6678305"
                                    "01B"));
    set_str(body, "/evidence/0/sha256", "c624");
    assert_int_equal(run_json(body, NOW, &r, errors), -1);
    assert_cleared(&r);
    find_error(errors, "/executed_at", "time_without_offset");
    find_error(errors, "/amount/currency", "invalid_currency");
    find_error(errors, "/amount/value", "invalid_amount");
    find_error(errors, "/rail", "invalid_enum");
    e = find_error(errors, "/debtor/iban", "invalid_iban");
    assert_string_equal(json_string_value(json_object_get(e, "detail")),
                        iban_error_message(IBAN_BAD_CHECKSUM));
    find_error(errors, "/creditor/bic", "invalid_bic");
    find_error(errors, "/victim/email", "invalid_email");
    find_error(errors, "/victim/phone", "invalid_format");
    find_error(errors, "/victim/postal_code", "invalid_postal_code");
    find_error(errors, "/victim/type", "invalid_enum");
    find_error(errors, "/victim/nickname", "unknown_field");
    find_error(errors, "/scenario", "invalid_enum");
    find_error(errors, "/end_to_end_id", "invalid_format");
    find_error(errors, "/uetr", "invalid_format");
    find_error(errors, "/evidence/0/sha256", "invalid_format");
    find_error(errors, "/evidence/1/file_name", "required");
    find_error(errors, "/evidence/1/sha256", "invalid_format");
    assert_int_equal(json_array_size(errors), 17);
    /* no detail repeats a value sent */
    text = json_dumps(errors, JSON_COMPACT);
    assert_null(strstr(text, "3000"));
    assert_null(strstr(text, "mairie.example"));
    assert_null(strstr(text, "alien"));
    free(text);
    json_decref(errors);
    json_decref(body);
}

static void test_required(void **state)
{
    json_t *errors = json_array();
    struct report r;

    (void)state;
    assert_int_equal(run_text("{}", NOW, &r, errors), -1);
    expect_only(errors, "/kind", "required");
    json_array_clear(errors);

    assert_int_equal(run_text("{\"kind\":\"transfer\"}", NOW, &r, errors), -1);
    assert_int_equal(json_array_size(errors), 6);
    find_error(errors, "/executed_at", "required");
    find_error(errors, "/amount", "required");
    find_error(errors, "/debtor", "required");
    find_error(errors, "/creditor", "required");
    find_error(errors, "/victim", "required");
    find_error(errors, "/scenario", "required");
    json_array_clear(errors);

    assert_int_equal(run_text("{\"kind\":\"card\",\"card\":{},\"operations\":[{}],\"victim\":{}}",
                              NOW, &r, errors),
                     -1);
    assert_int_equal(json_array_size(errors), 8);
    find_error(errors, "/receipt", "required");
    find_error(errors, "/card", "invalid_card"); /* neither bin and last4 nor pan */
    find_error(errors, "/operations/0/at", "required");
    find_error(errors, "/operations/0/amount", "required");
    find_error(errors, "/operations/0/merchant", "required");
    find_error(errors, "/operations/0/country", "required");
    find_error(errors, "/operations/0/channel", "required");
    find_error(errors, "/victim/name", "required");
    json_array_clear(errors);

    transfer_one_error("/debtor/iban", NULL, "/debtor/iban", "required");
    transfer_one_error("/amount/currency", NULL, "/amount/currency", "required");
    transfer_one_error("/victim/name", json_string("   "), "/victim/name", "too_short");
    json_decref(errors);
}

static void test_kind(void **state)
{
    json_t *errors = json_array();
    struct report r;

    (void)state;
    assert_int_equal(run_text("{\"kind\":\"wire\",\"x\":1}", NOW, &r, errors), -1);
    expect_only(errors, "/kind", "invalid_enum");
    json_array_clear(errors);
    assert_int_equal(run_text("{\"kind\":5}", NOW, &r, errors), -1);
    expect_only(errors, "/kind", "invalid_type");
    json_decref(errors);
}

static void test_invalid_types(void **state)
{
    (void)state;
    transfer_one_error("/amount", json_string("12500.00"), "/amount", "invalid_type");
    transfer_one_error("/amount/value", json_integer(12500), "/amount/value", "invalid_type");
    transfer_one_error("/debtor", json_string("FR76"), "/debtor", "invalid_type");
    transfer_one_error("/evidence", json_object(), "/evidence", "invalid_type");
    transfer_one_error("/evidence/0", json_string("x"), "/evidence/0", "invalid_type");
    transfer_one_error("/victim/name", json_true(), "/victim/name", "invalid_type");
    transfer_one_error("/narrative", json_null(), "/narrative", "invalid_type");
    card_one_error("/operations", json_object(), "/operations", "invalid_type");
    card_one_error("/operations/1", json_array(), "/operations/1", "invalid_type");
    card_one_error("/card", json_string("49701012"), "/card", "invalid_type");
}

static void test_too_long(void **state)
{
    char buf[4100];
    char utf8[401];

    (void)state;
    memset(buf, 'a', 201);
    buf[201] = '\0';
    transfer_one_error("/victim/name", json_string(buf), "/victim/name", "too_long");
    transfer_one_error("/debtor/name", json_string(buf), "/debtor/name", "too_long");
    card_one_error("/operations/0/merchant", json_string(buf), "/operations/0/merchant",
                   "too_long");
    /* 200 characters of two bytes each: not too long */
    for (int i = 0; i < 200; i++) {
        utf8[2 * i] = '\xc3';
        utf8[2 * i + 1] = '\xa9';
    }
    utf8[400] = '\0';
    {
        json_t *body = load(TRANSFER);
        json_t *errors = json_array();
        struct report r;

        set_str(body, "/victim/name", utf8);
        assert_int_equal(run_json(body, NOW, &r, errors), 0);
        report_free(&r);
        json_decref(errors);
        json_decref(body);
    }
    memset(buf, 'x', 4001);
    buf[4001] = '\0';
    transfer_one_error("/narrative", json_string(buf), "/narrative", "too_long");
    /* 43 characters with spaces */
    transfer_one_error("/debtor/iban", json_string("FR76  3000   4008   1900   0123   4567  879"),
                       "/debtor/iban", "too_long");
    /* 42 with spaces is read, and checked */
    {
        json_t *body = load(TRANSFER);
        json_t *errors = json_array();
        struct report r;

        set_str(body, "/debtor/iban", "FR76  3000  4008   1900   0123   4567  879");
        assert_int_equal(run_json(body, NOW, &r, errors), 0);
        assert_string_equal(r.debtor_iban, "FR7630004008190001234567879");
        report_free(&r);
        json_decref(errors);
        json_decref(body);
    }
    memset(buf, 'E', 36);
    buf[36] = '\0';
    transfer_one_error("/end_to_end_id", json_string(buf), "/end_to_end_id", "too_long");
    memset(buf, 'C', 65);
    buf[65] = '\0';
    transfer_one_error("/channel_ref", json_string(buf), "/channel_ref", "too_long");
    card_one_error("/receipt", json_string(buf), "/receipt", "too_long");
}

static void test_field_rules(void **state)
{
    (void)state;
    transfer_one_error("/victim/email", json_string("a@b"), "/victim/email", "invalid_email");
    transfer_one_error("/victim/email", json_string("a b@c.fr"), "/victim/email", "invalid_email");
    transfer_one_error("/victim/email", json_string("a@b@c.fr"), "/victim/email", "invalid_email");
    transfer_one_error("/victim/email", json_string("@c.fr"), "/victim/email", "invalid_email");
    transfer_one_error("/victim/email", json_string("a@c."), "/victim/email", "invalid_email");
    transfer_one_error("/victim/phone", json_string("12345"), "/victim/phone", "invalid_format");
    transfer_one_error("/victim/phone", json_string("06 12+34 56 78"), "/victim/phone",
                       "invalid_format");
    transfer_one_error("/victim/postal_code", json_string("6929"), "/victim/postal_code",
                       "invalid_postal_code");
    transfer_one_error("/victim/postal_code", json_string("9800A"), "/victim/postal_code",
                       "invalid_postal_code");
    transfer_one_error("/amount/value", json_string("12500.001"), "/amount/value",
                       "invalid_amount");
    transfer_one_error("/amount/value", json_string("0.00"), "/amount/value", "invalid_amount");
    transfer_one_error("/amount/value", json_string("-5"), "/amount/value", "invalid_amount");
    transfer_one_error("/amount/currency", json_string("eur"), "/amount/currency",
                       "invalid_currency");
    transfer_one_error("/amount/currency", json_string("EURO"), "/amount/currency", "too_long");
    transfer_one_error("/creditor/iban", json_string("FR7630004008190001234567879"),
                       "/creditor/iban", "invalid_iban");
    transfer_one_error("/creditor/iban", json_string("XX76 3000"), "/creditor/iban",
                       "invalid_iban");
    transfer_one_error("/debtor/bic", json_string("BNPA-FRPP"), "/debtor/bic", "invalid_bic");
    transfer_one_error("/uetr", json_string("3f2b8c1e-7d4a-4b9e-7c2f-1a2b3c4d5e6f"), "/uetr",
                       "invalid_format");
    transfer_one_error("/uetr", json_string("3f2b8c1e7d4a4b9e8c2f1a2b3c4d5e6f"), "/uetr",
                       "invalid_format");
    transfer_one_error("/victim/name", json_string("Jo\x01"), "/victim/name", "invalid_format");
    transfer_one_error("/narrative", json_string("a\x1b[31m"), "/narrative", "invalid_format");
    transfer_one_error("/rail", json_string("Card"), "/rail", "invalid_enum");
}

/* debtor == creditor once normalised. */
/* A well-formed postal code of no département (Monaco) is kept, and the case
 * goes to the national police queue: departement is "". */
static void test_postal_without_departement(void **state)
{
    json_t *body = load(TRANSFER);
    json_t *errors = json_array();
    struct report r;

    (void)state;
    set_str(body, "/victim/postal_code", "98000");
    assert_int_equal(run_json(body, NOW, &r, errors), 0);
    assert_string_equal(r.postal_code, "98000");
    assert_string_equal(r.departement, "");
    assert_int_equal(json_array_size(errors), 0);
    report_free(&r);
    json_decref(errors);
    json_decref(body);
}

static void test_same_account(void **state)
{
    json_t *body = load(TRANSFER);
    json_t *errors = json_array();
    struct report r;
    json_t *e;

    (void)state;
    set_str(body, "/creditor/iban", "fr7630004008190001234567879");
    assert_int_equal(run_json(body, NOW, &r, errors), -1);
    expect_only(errors, "/creditor/iban", "invalid_iban");
    e = find_error(errors, "/creditor/iban", "invalid_iban");
    assert_string_equal(json_string_value(json_object_get(e, "detail")),
                        "the beneficiary account is the victim's own account");
    json_decref(errors);
    json_decref(body);
}

static void test_card_errors(void **state)
{
    json_t *many;

    (void)state;
    card_one_error("/operations", json_array(), "/operations", "too_few_items");
    card_one_error("/rail", json_string("sct"), "/rail", "invalid_enum");
    card_one_error("/rail", json_integer(1), "/rail", "invalid_type");
    card_one_error("/card/bin", json_string("49701"), "/card/bin", "invalid_card");
    card_one_error("/card/bin", json_string("4970101"), "/card/bin", "invalid_card");
    card_one_error("/card/last4", json_string("482"), "/card/last4", "invalid_card");
    card_one_error("/card/last4", NULL, "/card/last4", "required");
    card_one_error("/card/bin", NULL, "/card/bin", "required");
    card_one_error("/operations/0/country", json_string("nl"), "/operations/0/country",
                   "invalid_format");
    card_one_error("/operations/0/channel", json_string("web"), "/operations/0/channel",
                   "invalid_enum");
    card_one_error("/operations/2/at", json_string("2026-04-11 19:02:11Z"), "/operations/2/at",
                   "invalid_time");
    card_one_error("/operations/2/amount/currency", json_string("ZZZ"),
                   "/operations/2/amount/currency", "invalid_currency");
    card_one_error("/receipt", json_string("PCV 2026"), "/receipt", "invalid_format");
    card_one_error("/issuer_bic", json_string("CMCI"), "/issuer_bic", "invalid_bic");
    card_one_error("/scenario", json_string("skimming"), "/scenario", "invalid_enum");
    card_one_error("/debtor", json_object(), "/debtor", "unknown_field");
    card_one_error("/victim", NULL, "/victim", "required");

    /* 101 operations */
    {
        json_t *body = load(CARD);
        json_t *errors = json_array();
        json_t *op = json_array_get(json_object_get(body, "operations"), 0);
        struct report r;

        many = json_array();
        for (int i = 0; i < REPORT_MAX_OPERATIONS; i++) {
            json_array_append(many, op);
        }
        set_path(body, "/operations", json_deep_copy(many));
        assert_int_equal(run_json(body, NOW_CARD, &r, errors), 0);
        assert_int_equal(json_array_size(json_object_get(r.details, "operations")),
                         REPORT_MAX_OPERATIONS);
        assert_int_equal(r.amount_minor, 84990 * REPORT_MAX_OPERATIONS);
        report_free(&r);
        json_array_append(many, op);
        set_path(body, "/operations", many);
        assert_int_equal(run_json(body, NOW_CARD, &r, errors), -1);
        expect_only(errors, "/operations", "too_many_items");
        json_decref(errors);
        json_decref(body);
    }
}

static void test_card_sum_mixed_and_overflow(void **state)
{
    json_t *body = load(CARD);
    json_t *errors = json_array();
    struct report r;

    (void)state;
    set_str(body, "/operations/1/amount/currency", "USD");
    set_str(body, "/operations/1/amount/value", "1299.5");
    assert_int_equal(run_json(body, NOW_CARD, &r, errors), 0);
    assert_string_equal(r.currency, "EUR");
    assert_int_equal(r.mixed_currencies, 1);
    assert_int_equal(r.amount_minor, 84990 + 40000);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(r.details, "operations"), 1), "amount"),
            "value")),
        "1299.50");
    report_free(&r);

    /* the first operation's currency decides; JPY has no decimals */
    set_str(body, "/operations/0/amount/currency", "JPY");
    set_str(body, "/operations/0/amount/value", "15000");
    assert_int_equal(run_json(body, NOW_CARD, &r, errors), 0);
    assert_string_equal(r.currency, "JPY");
    assert_int_equal(r.amount_minor, 15000);
    assert_int_equal(r.mixed_currencies, 1);
    report_free(&r);

    /* the largest amounts, summed, overflow AMOUNT_MAX_MINOR */
    json_decref(body);
    body = load(CARD);
    set_str(body, "/operations/0/amount/value", "9999999999999.99");
    assert_int_equal(run_json(body, NOW_CARD, &r, errors), -1);
    expect_only(errors, "/operations", "invalid_amount");
    json_decref(errors);
    json_decref(body);
}

static void test_unknown_fields_at_depth(void **state)
{
    json_t *body = load(CARD);
    json_t *errors = json_array();
    struct report r;
    char *text;

    (void)state;
    set_path(body, "/x", json_integer(1));
    set_path(body, "/card/cvv", json_string("123"));
    set_path(body, "/operations/2/amount/fx", json_string("1.1"));
    json_object_set_new(json_array_get(json_object_get(body, "operations"), 0), "a~b",
                        json_object());
    json_object_set_new(json_object_get(body, "victim"), "c/d", json_null());
    json_object_set_new(body, "4970101234564825", json_null());
    assert_int_equal(run_json(body, NOW_CARD, &r, errors), -1);
    find_error(errors, "/x", "unknown_field");
    find_error(errors, "/card/cvv", "unknown_field");
    find_error(errors, "/operations/2/amount/fx", "unknown_field");
    find_error(errors, "/operations/0/a~0b", "unknown_field");
    find_error(errors, "/victim/c~1d", "unknown_field");
    find_error(errors, "", "unknown_field"); /* a member named like a card number */
    assert_int_equal(json_array_size(errors), 6);
    text = json_dumps(errors, JSON_COMPACT);
    assert_no_pan(text, strlen(text));
    free(text);

    json_decref(errors);
    json_decref(body);
    transfer_one_error("/evidence/0/size", json_integer(12), "/evidence/0/size", "unknown_field");
    transfer_one_error("/amount/x", json_string(""), "/amount/x", "unknown_field");
    transfer_one_error("/debtor/country", json_string("FR"), "/debtor/country", "unknown_field");
}

static void test_not_an_object(void **state)
{
    static const char *const bodies[] = {
        "",
        "   ",
        "[]",
        "[{\"kind\":\"transfer\"}]",
        "\"transfer\"",
        "42",
        "null",
        "{\"kind\":\"transfer\"",
        "{\"kind\":\"transfer\"} x",                 /* trailing garbage */
        "{\"kind\":\"transfer\"}{}",                 /* two documents */
        "{\"kind\":\"transfer\",\"kind\":\"card\"}", /* duplicate key */
        "{\"victim\":{\"name\":\"a\",\"name\":\"b\"}}",
        "{\"kind\":\"tr\\u0000ansfer\"}",                                     /* NUL */
        "{\"kind\":\"\xff\"}",                                                /* not UTF-8 */
        "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}}", /* depth 9 */
        "{\"a\":[[[[[[[[1]]]]]]]]}",                                          /* depth 9 */
    };
    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bodies); i++) {
        json_t *errors = json_array();
        struct report r;

        memset(&r, 0xA5, sizeof(r));
        if (run_text(bodies[i], NOW, &r, errors) != -2) {
            fail_msg("body %zu should be refused with -2", i);
        }
        assert_cleared(&r);
        assert_int_equal(json_array_size(errors), 0);
        report_free(&r);
        json_decref(errors);
    }
    /* a body of len bytes, not NUL-terminated: what follows is not read */
    {
        json_t *errors = json_array();
        struct report r;

        assert_int_equal(report_parse("{}garbage", 2, NOW, NULL, &r, errors), -1);
        expect_only(errors, "/kind", "required");
        json_decref(errors);
    }
}

/* Depth 8 is read (and its unknown members reported), depth 9 is a 400. */
static void test_depth_boundary(void **state)
{
    json_t *errors = json_array();
    struct report r;

    (void)state;
    assert_int_equal(
        run_text("{\"kind\":\"card\",\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}",
                 NOW, &r, errors),
        -1);
    find_error(errors, "/a", "unknown_field");
    json_array_clear(errors);
    assert_int_equal(
        run_text(
            "{\"kind\":\"card\",\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}}",
            NOW, &r, errors),
        -1);
    json_array_clear(errors);
    assert_int_equal(
        run_text(
            "{\"kind\":\"card\",\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[]}}}}}}}}",
            NOW, &r, errors),
        -2);
    assert_int_equal(json_array_size(errors), 0);
    json_decref(errors);
}

static void transfer_at(const char *executed_at, int rc_want, const char *code)
{
    json_t *body = load(TRANSFER);
    json_t *errors = json_array();
    struct report r;
    int rc;

    set_str(body, "/executed_at", executed_at);
    rc = run_json(body, NOW, &r, errors);
    if (rc != rc_want) {
        fail_msg("%s: rc %d, want %d", executed_at, rc, rc_want);
    }
    if (code != NULL) {
        expect_only(errors, "/executed_at", code);
    } else {
        assert_int_equal(json_array_size(errors), 0);
    }
    report_free(&r);
    json_decref(errors);
    json_decref(body);
}

static void test_times(void **state)
{
    (void)state;
    /* now = 2026-03-28T12:00:00Z; 300 s of skew allowed */
    transfer_at("2026-03-28T12:05:00Z", 0, NULL);
    transfer_at("2026-03-28T13:05:00+01:00", 0, NULL);
    transfer_at("2026-03-28T12:05:01Z", -1, "time_in_future");
    transfer_at("2026-03-29T10:00:00+02:00", -1, "time_in_future");
    /* 396 days back: 2025-02-25T12:00:00Z */
    transfer_at("2025-02-25T12:00:00Z", 0, NULL);
    transfer_at("2025-02-25T13:00:00+01:00", 0, NULL);
    transfer_at("2025-02-25T11:59:59Z", -1, "time_too_old");
    transfer_at("2025-02-25T12:59:59.999+01:00", -1, "time_too_old");
    transfer_at("2025-03-28T12:00:00Z", 0, NULL); /* 12 months: fine */
    transfer_at("2026-03-28T10:00:00", -1, "time_without_offset");
    transfer_at("2026-02-29T10:00:00Z", -1, "invalid_time");
    transfer_at("2026-03-28 10:00:00Z", -1, "invalid_time");
    transfer_at("yesterday", -1, "invalid_time");
    transfer_at("", -1, "invalid_time");
    transfer_at("2026-03-28T10:00:00.1234567890123456789012345678+01:00", -1, "too_long");

    /* injected limits */
    {
        json_t *errors = json_array();
        struct report r;
        struct report_limits l = {0, 3600};

        assert_int_equal(report_parse(TRANSFER, strlen(TRANSFER), NOW, &l, &r, errors), -1);
        expect_only(errors, "/executed_at", "time_too_old");
        json_array_clear(errors);
        l.max_age = 3 * 3600;
        assert_int_equal(
            report_parse(TRANSFER, strlen(TRANSFER), NOW - 3 * 3600 - 1, &l, &r, errors), -1);
        expect_only(errors, "/executed_at", "time_in_future");
        json_decref(errors);
    }
    /* card operation times follow the same rules, one by one */
    card_one_error("/operations/1/at", json_string("2026-04-12T08:05:01Z"), "/operations/1/at",
                   "time_in_future");
    card_one_error("/operations/1/at", json_string("2025-03-01T00:00:00Z"), "/operations/1/at",
                   "time_too_old");
    card_one_error("/operations/1/at", json_string("2026-04-11T22:00:00"), "/operations/1/at",
                   "time_without_offset");
}

static void hash_of(const char *text, int64_t now, unsigned char out[32])
{
    json_t *errors = json_array();
    struct report r;

    if (run_text(text, now, &r, errors) != 0) {
        char *d = json_dumps(errors, 0);

        fail_msg("not valid: %s", d);
    }
    report_hash(&r, out);
    report_free(&r);
    json_decref(errors);
}

static void test_hash(void **state)
{
    static const char reformatted[] =
        "{ \"channel_ref\" : \"CSIRT-ARA-2026-00417\",\n"
        "  \"evidence\": [{\"sha256\": "
        "\"c624a7e2351c5ef1a7323bfb03b36fe5a17fed235cc0247dcc622b667830501b\", "
        "\"file_name\": \"appel-conseiller-28-03.eml \"}],\n"
        "  \"narrative\": \"Un faux conseiller m'a appel\xc3\xa9.\\nIl avait mon nom.\",\n"
        "  \"end_to_end_id\": \"E2E-2026032810000042\", \"scenario\": \"fake_bank_advisor\",\n"
        "  \"victim\": {\"type\": \"public_body\", \"postal_code\": \"69290\","
        "    \"phone\": \" +33 4 78 57 00 00\", \"email\": \"secretariat@mairie-sgo.example\","
        "    \"name\": \"Mairie de Saint-Genis-les-Olli\xc3\xa8res\"},\n"
        "  \"creditor\": {\"name\": \"SECURIS CONSEIL SAS\","
        "    \"iban\": \"fr7616958000017412589630158\"},\n"
        "  \"debtor\": {\"name\": \"Commune de Saint-Genis-les-Olli\xc3\xa8res\","
        "    \"bic\": \"bnpafrppxxx\", \"iban\": \"FR763000 4008190001234567879\"},\n"
        "  \"rail\": \"sct_inst\", \"amount\": {\"currency\": \"EUR\", \"value\": \"12500.0\"},\n"
        "  \"executed_at\": \"2026-03-28T09:00:00Z\", \"kind\": \"transfer\" }";
    unsigned char a[32];
    unsigned char b[32];
    unsigned char c[32];
    json_t *body;
    char *text;

    (void)state;
    hash_of(TRANSFER, NOW, a);
    hash_of(reformatted, NOW, b);
    assert_memory_equal(a, b, 32);
    /* the clock does not enter the hash */
    hash_of(TRANSFER, NOW + 60, c);
    assert_memory_equal(a, c, 32);

    body = load(TRANSFER);
    set_str(body, "/amount/value", "12500.01");
    text = json_dumps(body, 0);
    hash_of(text, NOW, c);
    assert_memory_not_equal(a, c, 32);
    free(text);
    set_str(body, "/amount/value", "12500");
    set_str(body, "/amount/currency", "XPF"); /* no decimals: 12500 minor units too */
    text = json_dumps(body, 0);
    hash_of(text, NOW, c);
    assert_memory_not_equal(a, c, 32);
    free(text);
    json_decref(body);

    body = load(TRANSFER);
    set_str(body, "/narrative", "Un faux conseiller m'a appel\xc3\xa9.");
    text = json_dumps(body, 0);
    hash_of(text, NOW, c);
    assert_memory_not_equal(a, c, 32);
    free(text);
    json_decref(body);

    /* card: "849.9" and "849.90", offsets and bin/last4 vs pan of the same card */
    hash_of(CARD, NOW_CARD, a);
    body = load(CARD);
    set_str(body, "/operations/0/amount/value", "849.90");
    set_str(body, "/operations/0/at", "2026-04-11T20:14:05.999Z");
    text = json_dumps(body, JSON_SORT_KEYS | JSON_INDENT(3));
    hash_of(text, NOW_CARD, b);
    assert_memory_equal(a, b, 32);
    free(text);
    set_str(body, "/operations/0/merchant", "ELECTRO-DISCOUNT.EXAMPLF");
    text = json_dumps(body, 0);
    hash_of(text, NOW_CARD, b);
    assert_memory_not_equal(a, b, 32);
    free(text);
    json_decref(body);
}

static void test_from_json_prefix(void **state)
{
    json_t *body = load(TRANSFER);
    json_t *errors = json_array();
    json_t *scalar = json_integer(3);
    struct report r;

    (void)state;
    set_str(body, "/victim/name", "");
    set_path(body, "/victim/age", json_integer(40));
    assert_int_equal(report_from_json(body, NOW, NULL, "/declarations/3", &r, errors), -1);
    assert_cleared(&r);
    assert_int_equal(json_array_size(errors), 2);
    find_error(errors, "/declarations/3/victim/name", "too_short");
    find_error(errors, "/declarations/3/victim/age", "unknown_field");
    json_array_clear(errors);

    assert_int_equal(report_from_json(scalar, NOW, NULL, "/declarations/4", &r, errors), -1);
    expect_only(errors, "/declarations/4", "invalid_type");
    json_array_clear(errors);

    /* a string holding a NUL, which only a caller-built object can have */
    set_path(body, "/victim/name", json_stringn("Jo\0e", 4));
    assert_int_equal(report_from_json(body, NOW, NULL, "", &r, errors), -1);
    find_error(errors, "/victim/name", "invalid_format");

    json_decref(scalar);
    json_decref(errors);
    json_decref(body);
}

/* Errors stop being appended at a bound; the call still fails. */
static void test_error_bound(void **state)
{
    json_t *body = load(TRANSFER);
    json_t *errors = json_array();
    struct report r;
    char key[16];

    (void)state;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        json_object_set_new(body, key, json_null());
    }
    assert_int_equal(run_json(body, NOW, &r, errors), -1);
    assert_int_equal(json_array_size(errors), 100);
    find_error(errors, "/k0", "unknown_field");
    json_decref(errors);
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_limits),
        cmocka_unit_test(test_transfer_valid),
        cmocka_unit_test(test_transfer_minimal_trim_defaults),
        cmocka_unit_test(test_card_valid),
        cmocka_unit_test(test_card_pan_reduced_and_wiped),
        cmocka_unit_test(test_parsed_tree_wiped),
        cmocka_unit_test(test_card_pan_invalid_not_echoed),
        cmocka_unit_test(test_pan_in_free_text_refused),
        cmocka_unit_test(test_transfer_errors_collected),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_invalid_types),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_field_rules),
        cmocka_unit_test(test_same_account),
        cmocka_unit_test(test_postal_without_departement),
        cmocka_unit_test(test_card_errors),
        cmocka_unit_test(test_card_sum_mixed_and_overflow),
        cmocka_unit_test(test_unknown_fields_at_depth),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_depth_boundary),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_from_json_prefix),
        cmocka_unit_test(test_error_bound),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
