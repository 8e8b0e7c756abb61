/*
 * fuzz_form.c — libFuzzer target of relay/form.c, the victim's urlencoded web
 * form: form_parse on any body (an exact-size copy that is not
 * NUL-terminated, so ASan sees a read one byte past it), then, when it
 * parses, what the web form does next with the pairs: webreport_build at a
 * fixed "now" (2026-04-12T12:00:00Z) and nonce, and webreport_mask_pan on
 * every value.
 *
 * Invariants (abort() when broken):
 * - form_parse gives the same answer as a literal reading of form.h's
 *   grammar written here (ref_parse): the same error, or the same pairs in
 *   the same order;
 * - on FORM_OK every name is 1..FORM_MAX_NAME bytes, every value at most
 *   FORM_MAX_VALUE with value_len its strlen, both strict UTF-8 without NUL,
 *   and all of them inside the form's buffer; form_get, form_get_nth and
 *   form_count agree with the pairs; on error the form is empty;
 * - webreport_build answers 0 (a report), -1 (with at least one error, and
 *   `count` the number of fields marked) or -2;
 * - webreport_mask_pan keeps every byte but digits, turns digits into 'X'
 *   only, and leaves no chain of 12 digits or more.
 */
#include <stdint.h>
#include <string.h>

#include "form.h"
#include "fuzz.h"
#include "report.h"
#include "webreport.h"

#define NOW   INT64_C(1775995200) /* 2026-04-12T12:00:00Z */
#define NONCE "AAECAwQFBgcICQoLDA0ODw"

/* ---- the reference: form.h read literally ------------------------------- */

struct ref_pair {
    char *name, *value;
    size_t nlen, vlen;
};

struct ref {
    struct ref_pair pair[FORM_MAX_FIELDS];
    size_t count;
};

static int ref_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int ref_hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decode one name or value: '+' is a space, %XX a byte; a '%' without two
 * hex digits after it is bad_escape, a raw NUL or %00 is nul, whichever
 * comes first. */
static enum form_error ref_decode(const unsigned char *s, size_t n, char **out, size_t *out_len)
{
    char *d = malloc(n + 1);
    size_t o = 0;

    if (d == NULL) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || !ref_hex(s[i + 1]) || !ref_hex(s[i + 2])) {
                free(d);
                return FORM_BAD_ESCAPE;
            }
            unsigned char v = (unsigned char)(ref_hexval(s[i + 1]) * 16 + ref_hexval(s[i + 2]));
            if (v == 0) {
                free(d);
                return FORM_NUL;
            }
            d[o++] = (char)v;
            i += 2;
        } else if (s[i] == '\0') {
            free(d);
            return FORM_NUL;
        } else {
            d[o++] = s[i] == '+' ? ' ' : (char)s[i];
        }
    }
    d[o] = '\0';
    *out = d;
    *out_len = o;
    return FORM_OK;
}

/* Strict UTF-8 by code point ranges (RFC 3629, table 3-7 of Unicode). */
static int ref_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char b = s[i];
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */

        if (b <= 0x7F) {
            i++;
            continue;
        } else if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
        } else if (b == 0xE0) {
            need = 2;
            lo = 0xA0;
        } else if (b == 0xED) {
            need = 2;
            hi = 0x9F;
        } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
            need = 2;
        } else if (b == 0xF0) {
            need = 3;
            lo = 0x90;
        } else if (b >= 0xF1 && b <= 0xF3) {
            need = 3;
        } else if (b == 0xF4) {
            need = 3;
            hi = 0x8F;
        } else {
            return 0;
        }
        if (n - i <= need || s[i + 1] < lo || s[i + 1] > hi) {
            return 0;
        }
        for (size_t k = 2; k <= need; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) {
                return 0;
            }
        }
        i += need + 1;
    }
    return 1;
}

static void ref_free(struct ref *r)
{
    for (size_t i = 0; i < r->count; i++) {
        free(r->pair[i].name);
        free(r->pair[i].value);
    }
    r->count = 0;
}

/*
 * Pairs are split on '&' (empty ones skipped), name and value on the first
 * '='. The first pair in body order that breaks a rule decides the error;
 * within a pair: one pair too many, then the name (escape or NUL, then
 * empty or too long), then the value (escape or NUL, then too long), then
 * UTF-8 of either.
 */
static enum form_error ref_parse(const unsigned char *body, size_t len, struct ref *r)
{
    size_t pos = 0;

    r->count = 0;
    if (len > FORM_MAX_BODY) {
        return FORM_TOO_LARGE;
    }
    while (pos < len) {
        size_t end = pos;
        while (end < len && body[end] != '&') {
            end++;
        }
        const unsigned char *p = body + pos;
        size_t plen = end - pos;
        pos = end + 1;
        if (plen == 0) {
            continue;
        }
        if (r->count == FORM_MAX_FIELDS) {
            ref_free(r);
            return FORM_TOO_MANY;
        }
        size_t nlen = 0;
        while (nlen < plen && p[nlen] != '=') {
            nlen++;
        }
        struct ref_pair *q = &r->pair[r->count];
        enum form_error e = ref_decode(p, nlen, &q->name, &q->nlen);
        if (e != FORM_OK) {
            ref_free(r);
            return e;
        }
        if (q->nlen == 0 || q->nlen > FORM_MAX_NAME) {
            free(q->name);
            ref_free(r);
            return FORM_NAME_TOO_LONG;
        }
        const unsigned char *v = nlen < plen ? p + nlen + 1 : p + plen;
        size_t vlen = nlen < plen ? plen - nlen - 1 : 0;
        e = ref_decode(v, vlen, &q->value, &q->vlen);
        if (e != FORM_OK) {
            free(q->name);
            ref_free(r);
            return e;
        }
        r->count++;
        if (q->vlen > FORM_MAX_VALUE) {
            ref_free(r);
            return FORM_VALUE_TOO_LONG;
        }
        if (!ref_utf8((const unsigned char *)q->name, q->nlen) ||
            !ref_utf8((const unsigned char *)q->value, q->vlen)) {
            ref_free(r);
            return FORM_BAD_UTF8;
        }
    }
    return FORM_OK;
}

/* ---- checks -------------------------------------------------------------- */

static int inside(const struct form *f, const char *s, size_t n)
{
    return s >= f->buf && n < f->buf_size && (size_t)(s - f->buf) <= f->buf_size - n - 1;
}

static void check_lookups(const struct form *f)
{
    for (size_t i = 0; i < f->count; i++) {
        const char *name = f->field[i].name;
        size_t before = 0, total = 0;

        for (size_t k = 0; k < f->count; k++) {
            if (strcmp(f->field[k].name, name) == 0) {
                total++;
                before += k < i;
            }
        }
        FUZZ_CHECK(form_count(f, name) == total);
        FUZZ_CHECK(form_get_nth(f, name, before) == f->field[i].value);
        FUZZ_CHECK(form_get_nth(f, name, total) == NULL);
        FUZZ_CHECK(before > 0 || form_get(f, name) == f->field[i].value);
    }
    FUZZ_CHECK(form_get(f, "") == NULL); /* no pair has an empty name */
}

/* Digits of out chained by one separator (space, hyphen, U+00A0 or U+202F
 * in UTF-8), as webreport.h counts them: the longest chain. */
static size_t longest_chain(const char *s, size_t n)
{
    size_t best = 0;
    size_t i = 0;

    while (i < n) {
        if (s[i] < '0' || s[i] > '9') {
            i++;
            continue;
        }
        size_t digits = 0;
        size_t j = i;
        for (;;) {
            while (j < n && s[j] >= '0' && s[j] <= '9') {
                digits++;
                j++;
            }
            size_t sep = 0;
            if (j < n && (s[j] == ' ' || s[j] == '-')) {
                sep = 1;
            } else if (j + 1 < n && memcmp(s + j, "\xc2\xa0", 2) == 0) {
                sep = 2;
            } else if (j + 2 < n && memcmp(s + j, "\xe2\x80\xaf", 3) == 0) {
                sep = 3;
            }
            if (sep == 0 || j + sep >= n || s[j + sep] < '0' || s[j + sep] > '9') {
                break;
            }
            j += sep;
        }
        best = digits > best ? digits : best;
        i = j;
    }
    return best;
}

static void check_mask(const char *text, size_t len)
{
    size_t size = len + 1;
    char *out = malloc(size); /* exact size: ASan sees a write past it */

    if (out == NULL) {
        abort();
    }
    webreport_mask_pan(text, out, size);
    FUZZ_CHECK(strlen(out) == len);
    for (size_t i = 0; i < len; i++) {
        int digit = text[i] >= '0' && text[i] <= '9';
        FUZZ_CHECK(out[i] == text[i] || (digit && out[i] == 'X'));
    }
    FUZZ_CHECK(longest_chain(out, len) < 12);
    /* A smaller buffer keeps a prefix, NUL-terminated. */
    if (len > 0) {
        webreport_mask_pan(text, out, len);
        FUZZ_CHECK(strlen(out) == len - 1);
    }
    free(out);
}

static void check_report(const struct form *f)
{
    struct report_limits limits;
    struct report r;
    struct wf_errors errs;

    report_limits_default(&limits);
    int rc = webreport_build(f, NONCE, NOW, &limits, &r, &errs);
    FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
    if (rc == 0) {
        report_free(&r);
        return;
    }
    if (rc == -1) {
        int marked = 0;
        for (int i = 0; i < WF_COUNT; i++) {
            marked += errs.e[i].set != 0;
        }
        FUZZ_CHECK(marked == errs.count);
        FUZZ_CHECK(errs.count > 0 || errs.general);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly size bytes, no terminator: form_parse must stay inside len. */
    char *body = malloc(size > 0 ? size : 1);
    struct form f;
    struct ref r;

    if (body == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(body, data, size);
    }
    enum form_error e = form_parse(body, size, &f);
    enum form_error want = ref_parse(data, size, &r);

    FUZZ_CHECK(strcmp(form_error_name(e), "unknown") != 0);
    FUZZ_CHECK(e == want);
    if (e != FORM_OK) {
        FUZZ_CHECK(f.count == 0 && f.buf == NULL);
        form_free(&f);
        free(body);
        return 0;
    }
    FUZZ_CHECK(f.count == r.count && f.count <= FORM_MAX_FIELDS);
    for (size_t i = 0; i < f.count; i++) {
        const struct form_field *fd = &f.field[i];
        size_t nlen = strlen(fd->name);

        FUZZ_CHECK(nlen == r.pair[i].nlen && memcmp(fd->name, r.pair[i].name, nlen) == 0);
        FUZZ_CHECK(fd->value_len == r.pair[i].vlen && strlen(fd->value) == fd->value_len);
        FUZZ_CHECK(memcmp(fd->value, r.pair[i].value, fd->value_len) == 0);
        FUZZ_CHECK(nlen >= 1 && nlen <= FORM_MAX_NAME && fd->value_len <= FORM_MAX_VALUE);
        FUZZ_CHECK(inside(&f, fd->name, nlen) && inside(&f, fd->value, fd->value_len));
        check_mask(fd->value, fd->value_len);
    }
    check_lookups(&f);
    check_report(&f);
    ref_free(&r);
    form_free(&f);
    FUZZ_CHECK(f.count == 0 && f.buf == NULL);
    free(body);
    return 0;
}
