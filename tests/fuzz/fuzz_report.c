/*
 * fuzz_report.c — libFuzzer target of relay/report.c: report_parse on any
 * body, at a fixed "now" (2026-04-12T12:00:00Z, so that the seeds' times are
 * inside the 13 months a report may look back), with ASan's leak check after
 * every input.
 *
 * Invariants (abort() when broken):
 * - report_parse answers -2 exactly when jansson, with the same flags, does
 *   not give an object nested at most REPORT_MAX_DEPTH deep;
 * - otherwise report_from_json on the same object, with a pointer prefix
 *   and the default limits, gives the same answer, the same number of
 *   errors with the prefix in front of each pointer, and the same report
 *   (report_hash);
 * - a valid card.pan never comes out: its digits are in no string of the
 *   errors, of the details, or of the struct, unless the body holds the same
 *   digits somewhere else (then it is that other field being echoed).
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "card.h"
#include "fuzz.h"
#include "report.h"

#define NOW    INT64_C(1775995200) /* 2026-04-12T12:00:00Z */
#define PREFIX "/declarations/99"

/* Room for the digits of a PAN (at most CARD_PAN_MAX), NUL included. */
#define DIGITS_SIZE 32

/* Digits of a string, keeping those joined by at most one ' ' or '-' in one
 * run and separating runs with '|': "4970 1012-3456 x 4825" -> "497010123456|4825".
 * This is how a card number is still readable by a person. */
static void digit_runs(const char *s, size_t len, char *out, size_t size)
{
    size_t n = 0;
    int in_run = 0;

    for (size_t i = 0; i < len && n + 2 < size; i++) {
        char ch = s[i];

        if (ch >= '0' && ch <= '9') {
            out[n++] = ch;
            in_run = 1;
        } else if (in_run && (ch == ' ' || ch == '-') && i + 1 < len && s[i + 1] >= '0' &&
                   s[i + 1] <= '9') {
            continue;
        } else if (in_run) {
            out[n++] = '|';
            in_run = 0;
        }
    }
    out[n] = '\0';
}

/* Every digit of a string, in order, nothing else. */
static void all_digits(const char *s, size_t len, char *out, size_t size)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < size; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
}

/* 1 when `pan` (a string or an integer) is a valid card number; its digits into out. */
static int pan_digits(json_t *pan, char out[DIGITS_SIZE])
{
    char text[DIGITS_SIZE * 2];
    char bin[7];
    char last4[5];

    if (json_is_string(pan)) {
        if (json_string_length(pan) >= sizeof(text)) {
            return 0;
        }
        memcpy(text, json_string_value(pan), json_string_length(pan) + 1);
    } else if (json_is_integer(pan)) {
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(pan));
    } else {
        return 0;
    }
    if (card_reduce_pan(text, bin, last4) != CARD_OK) {
        return 0;
    }
    all_digits(text, strlen(text), out, DIGITS_SIZE);
    return 1;
}

/* 1 when `digits` can be read in s[0..len): as one run of digit_runs, or
 * anywhere among all its digits when `loose` (the generous reading used on
 * the input side). */
static int text_shows(const char *s, size_t len, const char *digits, int loose)
{
    size_t size = len * 2 + 2;
    char *buf = malloc(size);
    int found;

    if (buf == NULL) {
        abort();
    }
    if (loose) {
        all_digits(s, len, buf, size);
    } else {
        digit_runs(s, len, buf, size);
    }
    found = strstr(buf, digits) != NULL;
    free(buf);
    return found;
}

/* 1 when `digits` can be read in a value or a member name of the tree, the
 * subtree `skip` excepted. */
static int tree_shows(json_t *j, const json_t *skip, const char *digits, int loose)
{
    const char *key;
    json_t *v;
    char num[64];

    if (j == skip) {
        return 0;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        json_object_foreach(j, key, v)
        {
            if (text_shows(key, strlen(key), digits, loose) || tree_shows(v, skip, digits, loose)) {
                return 1;
            }
        }
        return 0;
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (tree_shows(json_array_get(j, i), skip, digits, loose)) {
                return 1;
            }
        }
        return 0;
    case JSON_STRING:
        return text_shows(json_string_value(j), json_string_length(j), digits, loose);
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return text_shows(num, strlen(num), digits, loose);
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.17g", json_real_value(j));
        return text_shows(num, strlen(num), digits, loose);
    default:
        return 0;
    }
}

static int field_shows(const char *field, size_t size, const char *digits)
{
    return text_shows(field, strnlen(field, size), digits, 0);
}

/* 1 when the digits can be read anywhere in what the parse gave back. */
static int report_shows(const struct report *r, json_t *errors, const char *digits)
{
    return tree_shows(errors, NULL, digits, 0) ||
           (r->details != NULL && tree_shows(r->details, NULL, digits, 0)) ||
           field_shows(r->currency, sizeof(r->currency), digits) ||
           field_shows(r->debtor_iban, sizeof(r->debtor_iban), digits) ||
           field_shows(r->debtor_bic, sizeof(r->debtor_bic), digits) ||
           field_shows(r->creditor_iban, sizeof(r->creditor_iban), digits) ||
           field_shows(r->creditor_bic, sizeof(r->creditor_bic), digits) ||
           field_shows(r->card_bin, sizeof(r->card_bin), digits) ||
           field_shows(r->card_last4, sizeof(r->card_last4), digits) ||
           field_shows(r->issuer_bic, sizeof(r->issuer_bic), digits) ||
           field_shows(r->receipt, sizeof(r->receipt), digits) ||
           field_shows(r->scenario, sizeof(r->scenario), digits) ||
           field_shows(r->postal_code, sizeof(r->postal_code), digits) ||
           field_shows(r->departement, sizeof(r->departement), digits);
}

/* 1 when every error of `prefixed` is the one of `plain` at the same index
 * with PREFIX in front of its pointer. */
static int same_errors(json_t *plain, json_t *prefixed)
{
    if (json_array_size(plain) != json_array_size(prefixed)) {
        return 0;
    }
    for (size_t i = 0; i < json_array_size(plain); i++) {
        json_t *a = json_array_get(plain, i);
        json_t *b = json_array_get(prefixed, i);
        const char *pa = json_string_value(json_object_get(a, "pointer"));
        const char *pb = json_string_value(json_object_get(b, "pointer"));

        if (pa == NULL || pb == NULL || strncmp(pb, PREFIX, strlen(PREFIX)) != 0) {
            return 0;
        }
        /* A pointer too long for the room left is cut back to its object,
         * so only the prefix is certain when they differ. */
        if (!json_equal(json_object_get(a, "code"), json_object_get(b, "code"))) {
            return 0;
        }
    }
    return 1;
}

/* 1 when no container in j is nested deeper than max (j is level 1). */
static int depth_within(json_t *j, int level, int max)
{
    const char *key;
    json_t *v;

    if (!json_is_object(j) && !json_is_array(j)) {
        return 1;
    }
    if (level > max) {
        return 0;
    }
    if (json_is_object(j)) {
        json_object_foreach(j, key, v)
        {
            if (!depth_within(v, level + 1, max)) {
                return 0;
            }
        }
        return 1;
    }
    for (size_t i = 0; i < json_array_size(j); i++) {
        if (!depth_within(json_array_get(j, i), level + 1, max)) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct report_limits limits;
    struct report r;
    struct report r2;
    json_t *errors = json_array();
    json_t *errors2 = json_array();
    json_t *root = NULL;
    json_t *card;
    json_t *pan = NULL;
    char digits[DIGITS_SIZE] = "";
    int watch = 0;
    int rc;
    int rc2;

    if (errors == NULL || errors2 == NULL) {
        abort();
    }
    report_limits_default(&limits);

    /* What the body holds, read before report_parse wipes its own copy. */
    root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    card = json_is_object(root) ? json_object_get(root, "card") : NULL;
    pan = json_is_object(card) ? json_object_get(card, "pan") : NULL;
    if (pan != NULL && pan_digits(pan, digits)) {
        watch = !tree_shows(root, pan, digits, 1);
    }

    rc = report_parse((const char *)data, size, NOW, &limits, &r, errors);
    FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
    FUZZ_CHECK((rc == -2) == (!json_is_object(root) || !depth_within(root, 1, REPORT_MAX_DEPTH)));
    FUZZ_CHECK(rc != -2 || json_array_size(errors) == 0);
    FUZZ_CHECK(rc != -1 || json_array_size(errors) > 0);
    FUZZ_CHECK((rc == 0) == (r.details != NULL));
    if (watch) {
        FUZZ_CHECK(!report_shows(&r, errors, digits));
    }

    if (rc != -2) {
        rc2 = report_from_json(root, NOW, NULL, PREFIX, &r2, errors2);
        FUZZ_CHECK(rc2 == rc);
        FUZZ_CHECK(same_errors(errors, errors2));
        if (watch) {
            FUZZ_CHECK(!report_shows(&r2, errors2, digits));
        }
        if (rc == 0) {
            unsigned char h1[32];
            unsigned char h2[32];

            report_hash(&r, h1);
            report_hash(&r2, h2);
            FUZZ_CHECK(memcmp(h1, h2, sizeof(h1)) == 0);
            FUZZ_CHECK(report_kind_name(r.kind) != NULL);
            report_free(&r2);
        }
    }

    if (rc == 0) {
        report_free(&r);
    }
    json_decref(root);
    json_decref(errors);
    json_decref(errors2);
    return 0;
}
