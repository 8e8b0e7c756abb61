/*
 * fuzz_perceval.c — libFuzzer target of relay/perceval.c's pure parser: the
 * input is a POST /v1/declarations/perceval body (one declaration or a
 * batch), read with a fixed "now" (2026-04-12T12:00:00Z) and a batch of at
 * most 50.
 *
 * Invariants (abort() when broken):
 * - the answer is 0, -1 or -2; -2 and -1 leave no items, -1 with errors,
 *   -2 without; 0 gives 1..50 items, each valid (a card report) or with
 *   errors, never both;
 * - an invalid item's error pointers start with its own "/declarations/<i>"
 *   (a batch) and never name "victim" for "declarant" errors;
 * - a valid item holds a 6- or 8-digit BIN and 4 last digits; the digits of
 *   a valid card.pan are in neither its details nor its errors (unless the
 *   client wrote them elsewhere too, in a member name for instance);
 * - a single valid declaration, wrapped in a batch of one, is valid there too
 *   with the same report_hash.
 */
#include <string.h>

#include "card.h"
#include "fuzz.h"
#include "perceval.h"

#define NOW INT64_C(1775995200)
#define MAX 50

/* The digits of card.pan of declaration obj when it is a valid card number
 * (what report.c reduces), else "". */
static void pan_of(json_t *obj, char digits[32])
{
    digits[0] = '\0';
    const char *pan = json_string_value(json_object_get(json_object_get(obj, "card"), "pan"));
    size_t n = 0;
    for (; pan && *pan && n < 31; pan++) {
        if (*pan >= '0' && *pan <= '9')
            digits[n++] = *pan;
    }
    digits[n] = '\0';
    if (n < CARD_PAN_MIN || !card_luhn_ok(digits))
        digits[0] = '\0';
}

/* The valid pan of a declaration is readable nowhere in what the parser kept. */
static void check_pan_gone(const char *digits, json_t *kept)
{
    if (!digits[0] || kept == NULL)
        return;
    char *text = json_dumps(kept, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        return;
    FUZZ_CHECK(strstr(text, digits) == NULL);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct report_limits limits;
    struct perceval_batch b;
    json_t *errors = json_array();
    report_limits_default(&limits);
    if (errors == NULL)
        abort();

    /* The card numbers sent, read before the parser wipes its own copy. */
    json_t *input = json_loadb((const char *)data, size, 0, NULL);
    json_t *list = json_object_get(input, "declarations");
    char pans[MAX][32];
    for (size_t i = 0; i < MAX; i++) {
        json_t *decl = list ? json_array_get(list, i) : (i == 0 ? input : NULL);
        pan_of(decl, pans[i]);
        json_object_del(json_object_get(decl, "card"), "pan");
    }
    /* Digits the client also wrote elsewhere (a member name, a free text the
     * parser refuses) are the client's to see echoed: only the pan's own
     * copy must be gone. */
    char *elsewhere = input ? json_dumps(input, JSON_COMPACT) : NULL;
    for (size_t i = 0; elsewhere && i < MAX; i++) {
        if (pans[i][0] && strstr(elsewhere, pans[i]))
            pans[i][0] = '\0';
    }
    free(elsewhere);
    json_decref(input);

    int rc = perceval_parse((const char *)data, size, NOW, &limits, MAX, &b, errors);
    FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
    if (rc != 0) {
        FUZZ_CHECK(b.n == 0 && b.items == NULL);
        FUZZ_CHECK((rc == -1) == (json_array_size(errors) > 0));
    } else {
        FUZZ_CHECK(json_array_size(errors) == 0);
        FUZZ_CHECK(b.n >= 1 && b.n <= MAX);
        FUZZ_CHECK(!b.single || b.n == 1);
        for (size_t i = 0; i < b.n; i++) {
            struct perceval_item *it = &b.items[i];
            if (it->valid) {
                FUZZ_CHECK(it->errors == NULL);
                size_t bl = strlen(it->report.card_bin);
                FUZZ_CHECK(bl == 6 || bl == 8);
                FUZZ_CHECK(strlen(it->report.card_last4) == 4);
                FUZZ_CHECK(it->report.receipt[0] != '\0');
                check_pan_gone(pans[i], it->report.details);
                continue;
            }
            FUZZ_CHECK(json_array_size(it->errors) > 0);
            check_pan_gone(pans[i], it->errors);
            char prefix[48] = "";
            if (!b.single)
                snprintf(prefix, sizeof(prefix), "/declarations/%zu", i);
            size_t k;
            json_t *e;
            json_array_foreach(it->errors, k, e)
            {
                const char *p = json_string_value(json_object_get(e, "pointer"));
                FUZZ_CHECK(p != NULL && strncmp(p, prefix, strlen(prefix)) == 0);
                const char *rest = p + strlen(prefix);
                FUZZ_CHECK(*rest == '\0' || *rest == '/');
            }
        }
        if (b.single && b.items[0].valid) {
            /* the same declaration as a batch of one */
            char *wrapped = malloc(size + 20);
            struct perceval_batch w;
            json_t *werr = json_array();
            if (wrapped == NULL || werr == NULL)
                abort();
            memcpy(wrapped, "{\"declarations\":[", 17);
            memcpy(wrapped + 17, data, size);
            memcpy(wrapped + 17 + size, "]}", 2);
            FUZZ_CHECK(perceval_parse(wrapped, size + 19, NOW, &limits, MAX, &w, werr) == 0);
            FUZZ_CHECK(w.n == 1 && !w.single && w.items[0].valid);
            unsigned char h1[32], h2[32];
            report_hash(&b.items[0].report, h1);
            report_hash(&w.items[0].report, h2);
            FUZZ_CHECK(memcmp(h1, h2, sizeof(h1)) == 0);
            perceval_batch_free(&w);
            json_decref(werr);
            free(wrapped);
        }
        perceval_batch_free(&b);
    }
    json_decref(errors);
    return 0;
}
