/* form.c — application/x-www-form-urlencoded bodies; see form.h. */
#include "form.h"

#include <string.h>

#include "hex.h"

const char *form_error_name(enum form_error e)
{
    switch (e) {
    case FORM_OK:
        return "ok";
    case FORM_TOO_LARGE:
        return "too_large";
    case FORM_TOO_MANY:
        return "too_many_fields";
    case FORM_NAME_TOO_LONG:
        return "bad_name";
    case FORM_VALUE_TOO_LONG:
        return "value_too_long";
    case FORM_BAD_ESCAPE:
        return "bad_escape";
    case FORM_NUL:
        return "nul";
    case FORM_BAD_UTF8:
        return "bad_utf8";
    case FORM_NO_MEMORY:
        return "no_memory";
    }
    return "unknown";
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned int cp;
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
            cp = b & 0x1Fu;
        } else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            cp = b & 0x0Fu;
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            cp = b & 0x07u;
        } else {
            return 0;
        }
        if (n - i - 1 < need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            unsigned char c = s[i + k];
            if ((c & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (c & 0x3Fu);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

/*
 * Decode src[0..n) into dst (which has room for n + 1 bytes: decoding never
 * grows). Returns the decoded length, or -1 with *err set.
 */
static long decode(const char *src, size_t n, char *dst, enum form_error *err)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '+') {
            dst[o++] = ' ';
        } else if (c == '%') {
            if (n - i < 3 || hex_digit(src[i + 1]) < 0 || hex_digit(src[i + 2]) < 0) {
                *err = FORM_BAD_ESCAPE;
                return -1;
            }
            int v = hex_digit(src[i + 1]) * 16 + hex_digit(src[i + 2]);
            if (v == 0) {
                *err = FORM_NUL;
                return -1;
            }
            dst[o++] = (char)v;
            i += 2;
        } else if (c == '\0') {
            *err = FORM_NUL;
            return -1;
        } else {
            dst[o++] = c;
        }
    }
    dst[o] = '\0';
    return (long)o;
}

void form_free(struct form *f)
{
    if (!f)
        return;
    if (f->buf) {
        explicit_bzero(f->buf, f->buf_size);
        free(f->buf);
    }
    memset(f, 0, sizeof(*f));
}

enum form_error form_parse(const char *body, size_t len, struct form *out)
{
    enum form_error err = FORM_OK;
    memset(out, 0, sizeof(*out));
    if (len > FORM_MAX_BODY)
        return FORM_TOO_LARGE;
    /* Each pair's name and value decode to at most their encoded length,
     * plus two NULs: len + 2 per pair, and pairs are at most len / 2 + 1. */
    size_t size = len + 2 * (len / 2 + 2) + 1;
    out->buf = malloc(size);
    if (!out->buf)
        return FORM_NO_MEMORY;
    out->buf_size = size;
    size_t used = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *start = body + pos;
        const char *amp = memchr(start, '&', len - pos);
        size_t plen = amp ? (size_t)(amp - start) : len - pos;
        pos += plen + (amp ? 1 : 0);
        if (plen == 0)
            continue;
        if (out->count == FORM_MAX_FIELDS) {
            err = FORM_TOO_MANY;
            goto fail;
        }
        const char *eq = memchr(start, '=', plen);
        size_t nlen = eq ? (size_t)(eq - start) : plen;
        const char *vsrc = eq ? eq + 1 : start + plen;
        size_t vlen = eq ? plen - nlen - 1 : 0;

        char *name = out->buf + used;
        long dn = decode(start, nlen, name, &err);
        if (dn < 0)
            goto fail;
        if (dn == 0 || dn > FORM_MAX_NAME) {
            err = FORM_NAME_TOO_LONG;
            goto fail;
        }
        used += (size_t)dn + 1;
        char *value = out->buf + used;
        long dv = decode(vsrc, vlen, value, &err);
        if (dv < 0)
            goto fail;
        if (dv > FORM_MAX_VALUE) {
            err = FORM_VALUE_TOO_LONG;
            goto fail;
        }
        used += (size_t)dv + 1;
        if (!utf8_ok((const unsigned char *)name, (size_t)dn) ||
            !utf8_ok((const unsigned char *)value, (size_t)dv)) {
            err = FORM_BAD_UTF8;
            goto fail;
        }
        out->field[out->count].name = name;
        out->field[out->count].value = value;
        out->field[out->count].value_len = (size_t)dv;
        out->count++;
    }
    return FORM_OK;
fail:
    form_free(out);
    return err;
}

const char *form_get_nth(const struct form *f, const char *name, size_t n)
{
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->field[i].name, name) == 0) {
            if (n == 0)
                return f->field[i].value;
            n--;
        }
    }
    return NULL;
}

const char *form_get(const struct form *f, const char *name)
{
    return form_get_nth(f, name, 0);
}

size_t form_count(const struct form *f, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        n += strcmp(f->field[i].name, name) == 0;
    return n;
}
