/* html.c — escaped page building; see html.h. */
#include "html.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void html_init(struct html *h, size_t max)
{
    memset(h, 0, sizeof(*h));
    h->max = max ? max : HTML_DEFAULT_MAX;
}

void html_free(struct html *h)
{
    RELAY_FREE(h->buf);
    h->len = h->cap = 0;
}

const char *html_data(const struct html *h)
{
    if (h->failed)
        return NULL;
    return h->buf ? h->buf : "";
}

static int reserve(struct html *h, size_t more)
{
    if (h->failed)
        return -1;
    if (more > h->max || h->len > h->max - more) {
        h->failed = 1;
        return -1;
    }
    if (h->len + more + 1 <= h->cap)
        return 0;
    size_t cap = h->cap ? h->cap : 4096;
    while (cap < h->len + more + 1)
        cap *= 2;
    if (cap > h->max + 1)
        cap = h->max + 1;
    char *b = realloc(h->buf, cap);
    if (!b) {
        h->failed = 1;
        return -1;
    }
    h->buf = b;
    h->cap = cap;
    return 0;
}

void html_raw_(struct html *h, const char *s, size_t n)
{
    if (reserve(h, n) != 0)
        return;
    memcpy(h->buf + h->len, s, n);
    h->len += n;
    h->buf[h->len] = '\0';
}

/* Length of a valid UTF-8 sequence at s (n bytes left), or 0 if invalid;
 * C0 controls but TAB, LF, CR and DEL count as invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    if (b < 0x80) {
        if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F)
            return 0;
        return 1;
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
    if (n - 1 < need)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need + 1;
}

/* The replacement of one unit: an entity, U+FFFD, or NULL to copy as is. */
static const char *replacement(const unsigned char *s, size_t n, size_t *consumed)
{
    size_t k = utf8_seq(s, n);
    if (k == 0) {
        *consumed = 1;
        return "\xEF\xBF\xBD";
    }
    *consumed = k;
    if (k > 1)
        return NULL;
    switch (s[0]) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

size_t html_escape(const char *in, char *out, size_t out_size)
{
    const unsigned char *s = (const unsigned char *)(in ? in : "");
    size_t n = strlen((const char *)s);
    size_t need = 0, o = 0;
    int full = 0;
    for (size_t i = 0; i < n;) {
        size_t used;
        const char *rep = replacement(s + i, n - i, &used);
        const char *src = rep ? rep : (const char *)s + i;
        size_t len = rep ? strlen(rep) : used;
        if (!full && out_size > 0 && o + len < out_size) {
            memcpy(out + o, src, len);
            o += len;
        } else {
            full = 1;
        }
        need += len;
        i += used;
    }
    if (out_size > 0)
        out[o] = '\0';
    return need;
}

void html_textn(struct html *h, const char *s, size_t n)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes copied as they are, not yet appended */
    size_t i = 0;
    while (i < n) {
        size_t used;
        const char *rep = replacement(p + i, n - i, &used);
        if (!rep) {
            run += used;
            i += used;
            continue;
        }
        if (run)
            html_raw_(h, s + i - run, run);
        run = 0;
        html_raw_(h, rep, strlen(rep));
        i += used;
    }
    if (run)
        html_raw_(h, s + i - run, run);
}

void html_text(struct html *h, const char *s)
{
    if (s)
        html_textn(h, s, strlen(s));
}

void html_textf(struct html *h, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        h->failed = 1;
        return;
    }
    size_t len = (size_t)n;
    if (len >= sizeof(buf)) {
        /* Truncated: do not cut a UTF-8 sequence in two (the cut would
         * become U+FFFD). Back up to the start of the cut sequence. */
        len = sizeof(buf) - 1;
        size_t k = len;
        while (k > 0 && ((unsigned char)buf[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)buf[k - 1] >= 0xC0)
            len = k - 1;
    }
    html_textn(h, buf, len);
}

void html_int(struct html *h, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
    html_raw_(h, buf, (size_t)n);
}
