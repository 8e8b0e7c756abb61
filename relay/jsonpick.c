/* jsonpick.c — a few members of a JSON object's text; see jsonpick.h. */
#include "jsonpick.h"

#include <string.h>

/* Keys longer than this never match (the callers' keys are short words). */
#define KEY_MAX 64

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* p at a '"': the end of the string (after its closing quote), NULL when it
 * is not one. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            if (++p >= end)
                return NULL;
            if (*p == 'u') {
                unsigned v;
                if (hex4(p + 1, end, &v) != 0)
                    return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p) || *p == '\0') {
                return NULL;
            }
        }
    }
    return NULL;
}

static int scalar_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' ||
           c == 'E';
}

/* p at a value: its end, NULL when it is not one this reader can skip. */
static const char *skip_value(const char *p, const char *end)
{
    char stack[JSONPICK_DEPTH_MAX];
    int depth = 0;
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p != '{' && *p != '[') {
        const char *s = p;
        while (p < end && scalar_char(*p))
            p++;
        return p > s ? p : NULL;
    }
    while (p < end) {
        char c = *p;
        if (c == '"') {
            p = skip_string(p, end);
            if (!p)
                return NULL;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth == JSONPICK_DEPTH_MAX)
                return NULL;
            stack[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            if (depth == 0 || stack[depth - 1] != c)
                return NULL;
            if (--depth == 0)
                return p + 1;
        } else if ((unsigned char)c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return NULL;
        }
        p++;
    }
    return NULL;
}

/* The UTF-8 of code point cp at out[*n] (room checked by the caller: 4). */
static void put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

long jsonpick_string(struct jsonpick_span s, char *out, size_t size)
{
    if (!jsonpick_is_string(s) || size == 0)
        return -1;
    const char *p = s.p + 1, *end = s.p + s.len - 1;
    size_t n = 0;
    while (p < end) {
        unsigned char c = (unsigned char)*p++;
        if (c != '\\') {
            if (c < 0x20 || c == '"' || n + 1 >= size)
                return -1;
            out[n++] = (char)c;
            continue;
        }
        if (p >= end)
            return -1;
        char e = *p++;
        unsigned cp;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            cp = (unsigned char)e;
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (hex4(p, end, &cp) != 0)
                return -1;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) != 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            if (cp == 0)
                return -1;
            break;
        default:
            return -1;
        }
        if (n + 4 >= size)
            return -1;
        put_utf8(out, &n, cp);
    }
    out[n] = '\0';
    return (long)n;
}

int jsonpick_is_string(struct jsonpick_span s)
{
    return s.p && s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"';
}

int jsonpick_members(const char *text, size_t len, const char *const *keys, size_t nkeys,
                     struct jsonpick_span *out)
{
    const char *end = text + len;
    for (size_t i = 0; i < nkeys; i++)
        out[i] = (struct jsonpick_span){NULL, 0};
    const char *p = skip_ws(text, end);
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (p >= end || *p != '"')
                goto bad;
            const char *kend = skip_string(p, end);
            if (!kend)
                goto bad;
            char key[KEY_MAX + 1];
            long klen = kend - p <= KEY_MAX + 2
                            ? jsonpick_string((struct jsonpick_span){p, (size_t)(kend - p)}, key,
                                              sizeof(key))
                            : -1;
            p = skip_ws(kend, end);
            if (p >= end || *p != ':')
                goto bad;
            p = skip_ws(p + 1, end);
            const char *vend = skip_value(p, end);
            if (!vend)
                goto bad;
            for (size_t i = 0; klen >= 0 && i < nkeys; i++) {
                if (strlen(keys[i]) == (size_t)klen && memcmp(keys[i], key, (size_t)klen) == 0)
                    out[i] = (struct jsonpick_span){p, (size_t)(vend - p)};
            }
            p = skip_ws(vend, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            goto bad;
        }
    }
    if (skip_ws(p, end) != end)
        goto bad;
    return 0;
bad:
    for (size_t i = 0; i < nkeys; i++)
        out[i] = (struct jsonpick_span){NULL, 0};
    return -1;
}
