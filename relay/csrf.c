/* csrf.c — the web form's signed expiring token; see csrf.h. */
#include "csrf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <strings.h>

#define PAYLOAD_BYTES (CSRF_NONCE_BYTES + 8)
#define MAC_BYTES     32

static const char label[] = "relay48/report-form/1";
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *csrf_result_name(enum csrf_result r)
{
    switch (r) {
    case CSRF_OK:
        return "ok";
    case CSRF_MISSING:
        return "missing";
    case CSRF_MALFORMED:
        return "malformed";
    case CSRF_BAD_SIGNATURE:
        return "bad_signature";
    case CSRF_EXPIRED:
        return "expired";
    }
    return "unknown";
}

size_t csrf_b64url(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Decode exactly n bytes from text of exactly the canonical length. */
static int b64url_decode(const char *s, size_t slen, unsigned char *out, size_t n)
{
    size_t want = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    if (slen != want)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < slen; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < n)
                out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Canonical: the unused low bits of the last character are zero. */
    return o == n && acc == 0 ? 0 : -1;
}

static int mac(const unsigned char *key, size_t key_len, const unsigned char *payload,
               unsigned char out[MAC_BYTES])
{
    unsigned char msg[sizeof(label) + PAYLOAD_BYTES];
    memcpy(msg, label, sizeof(label)); /* the label and its NUL */
    memcpy(msg + sizeof(label), payload, PAYLOAD_BYTES);
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, sizeof(msg), out, &len) || len != MAC_BYTES)
        return -1;
    return 0;
}

int csrf_issue(const unsigned char *key, size_t key_len,
               const unsigned char nonce[CSRF_NONCE_BYTES], int64_t now, char out[CSRF_TOKEN_SIZE])
{
    out[0] = '\0';
    if (!key || key_len < CSRF_KEY_MIN || key_len > CSRF_KEY_MAX || now < 0)
        return -1;
    unsigned char payload[PAYLOAD_BYTES];
    memcpy(payload, nonce, CSRF_NONCE_BYTES);
    uint64_t t = (uint64_t)now;
    for (int i = 0; i < 8; i++)
        payload[CSRF_NONCE_BYTES + i] = (unsigned char)(t >> (56 - 8 * i));
    unsigned char m[MAC_BYTES];
    if (mac(key, key_len, payload, m) != 0)
        return -1;
    size_t o = 0;
    out[o++] = '1';
    out[o++] = '.';
    o += csrf_b64url(payload, sizeof(payload), out + o);
    out[o++] = '.';
    csrf_b64url(m, sizeof(m), out + o);
    return 0;
}

enum csrf_result csrf_check(const unsigned char *key, size_t key_len, const char *token,
                            int64_t now, int64_t ttl, char nonce_out[CSRF_NONCE_SIZE],
                            unsigned char nonce_raw[CSRF_NONCE_BYTES])
{
    nonce_out[0] = '\0';
    if (!token || !*token)
        return CSRF_MISSING;
    size_t len = strnlen(token, CSRF_TOKEN_SIZE);
    if (len >= CSRF_TOKEN_SIZE || strncmp(token, "1.", 2) != 0)
        return CSRF_MALFORMED;
    const char *dot = strchr(token + 2, '.');
    if (!dot)
        return CSRF_MALFORMED;
    unsigned char payload[PAYLOAD_BYTES];
    unsigned char given[MAC_BYTES];
    if (b64url_decode(token + 2, (size_t)(dot - token - 2), payload, sizeof(payload)) != 0 ||
        b64url_decode(dot + 1, strlen(dot + 1), given, sizeof(given)) != 0)
        return CSRF_MALFORMED;
    unsigned char want[MAC_BYTES];
    if (!key || key_len < CSRF_KEY_MIN || key_len > CSRF_KEY_MAX ||
        mac(key, key_len, payload, want) != 0)
        return CSRF_BAD_SIGNATURE;
    if (CRYPTO_memcmp(given, want, MAC_BYTES) != 0)
        return CSRF_BAD_SIGNATURE;
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = (t << 8) | payload[CSRF_NONCE_BYTES + i];
    csrf_b64url(payload, CSRF_NONCE_BYTES, nonce_out);
    if (nonce_raw)
        memcpy(nonce_raw, payload, CSRF_NONCE_BYTES);
    if (t > (uint64_t)INT64_MAX)
        return CSRF_EXPIRED;
    int64_t issued = (int64_t)t;
    if (issued > now + CSRF_FUTURE_SKEW || now - issued > ttl)
        return CSRF_EXPIRED;
    return CSRF_OK;
}

int csrf_origin_check(const char *origin, const char *sec_fetch_site, const char *host,
                      const char *expected)
{
    if (sec_fetch_site && strcasecmp(sec_fetch_site, "same-origin") != 0 &&
        strcasecmp(sec_fetch_site, "none") != 0)
        return -1;
    if (!origin || strcmp(origin, "null") == 0)
        return 0;
    if (expected && *expected) {
        size_t n = strlen(expected);
        while (n > 0 && expected[n - 1] == '/')
            n--;
        return strlen(origin) == n && strncasecmp(origin, expected, n) == 0 ? 0 : -1;
    }
    const char *hostport = NULL;
    if (strncasecmp(origin, "http://", 7) == 0)
        hostport = origin + 7;
    else if (strncasecmp(origin, "https://", 8) == 0)
        hostport = origin + 8;
    if (!hostport || !host || !*host)
        return -1;
    return strcasecmp(hostport, host) == 0 ? 0 : -1;
}
