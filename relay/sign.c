/* sign.c — Standard Webhooks signatures; see sign.h. */
#include "sign.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char *const result_names[] = {"ok",      "bad_id",       "bad_timestamp", "too_old",
                                           "too_new", "no_signature", "mismatch"};

const char *sign_result_name(enum sign_result r)
{
    if ((unsigned)r >= RELAY_ARRAY_LEN(result_names))
        return "unknown";
    return result_names[r];
}

/* ---- base64 (RFC 4648 section 4, standard alphabet) ---------------------------- */

/* Encode n bytes into out (4 * ceil(n / 3) + 1 bytes), with padding. */
static void b64_encode(const unsigned char *in, size_t n, char *out)
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
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * Decode exactly len characters of in: the alphabet, then optional padding
 * that completes a group of 4 (or none). The unused low bits of the last
 * character must be zero (one text for one byte string). Returns the byte
 * count written to out (at most cap), or -1.
 */
static long b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    size_t pad = 0;
    while (len > 0 && in[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    if (pad && (len + pad) % 4 != 0)
        return -1;
    if (len % 4 == 1)
        return -1;
    size_t n = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
    if (n > cap)
        return -1;
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return -1; /* non-zero padding bits */
    return (long)o;
}

/* ---- secrets ------------------------------------------------------------------- */

int sign_secret_parse(const char *text, unsigned char out[SIGN_SECRET_MAX], size_t *len)
{
    static const char prefix[] = "whsec_";
    *len = 0;
    memset(out, 0, SIGN_SECRET_MAX);
    if (!text || strncmp(text, prefix, sizeof(prefix) - 1) != 0)
        return -1;
    const char *p = text + sizeof(prefix) - 1;
    size_t n = strnlen(p, SIGN_SECRET_TEXT_SIZE);
    if (n >= SIGN_SECRET_TEXT_SIZE)
        return -1;
    long got = b64_decode(p, n, out, SIGN_SECRET_MAX);
    if (got < SIGN_SECRET_MIN || got > SIGN_SECRET_MAX) {
        OPENSSL_cleanse(out, SIGN_SECRET_MAX);
        return -1;
    }
    *len = (size_t)got;
    return 0;
}

int sign_secret_format(const unsigned char *key, size_t len, char *out, size_t out_size)
{
    if (out && out_size)
        out[0] = '\0';
    if (!key || !out || len < SIGN_SECRET_MIN || len > SIGN_SECRET_MAX ||
        out_size < 6 + 4 * ((len + 2) / 3) + 1)
        return -1;
    memcpy(out, "whsec_", 6);
    b64_encode(key, len, out + 6);
    return 0;
}

int sign_secret_generate(unsigned char *out, size_t len)
{
    if (!out || len < SIGN_SECRET_MIN || len > SIGN_SECRET_MAX)
        return -1;
    if (RAND_bytes(out, (int)len) != 1) {
        OPENSSL_cleanse(out, len);
        return -1;
    }
    return 0;
}

/* ---- the message ---------------------------------------------------------------- */

int sign_id_ok(const char *id)
{
    if (!id)
        return 0;
    size_t n = 0;
    for (; id[n]; n++) {
        if (n >= SIGN_ID_MAX || id[n] < 0x21 || id[n] > 0x7e || id[n] == '.')
            return 0;
    }
    return n > 0;
}

int sign_timestamp_parse(const char *ts, int64_t *out)
{
    *out = 0;
    if (!ts)
        return -1;
    int64_t v = 0;
    size_t n = 0;
    for (; ts[n]; n++) {
        if (n >= SIGN_TIMESTAMP_MAX || ts[n] < '0' || ts[n] > '9')
            return -1;
        v = v * 10 + (ts[n] - '0'); /* 18 digits fit in int64_t */
    }
    if (n == 0)
        return -1;
    *out = v;
    return 0;
}

/* HMAC-SHA256(key, id "." timestamp "." body) into mac. */
static int mac_of(const unsigned char *key, size_t key_len, const char *id, const char *timestamp,
                  const void *body, size_t body_len, unsigned char mac[SIGN_MAC_LEN])
{
    int rc = -1;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    size_t out_len = 0;
    if (!ctx || key_len == 0 || !EVP_MAC_init(ctx, key, key_len, params))
        goto done;
    if (!EVP_MAC_update(ctx, (const unsigned char *)id, strlen(id)) ||
        !EVP_MAC_update(ctx, (const unsigned char *)".", 1) ||
        !EVP_MAC_update(ctx, (const unsigned char *)timestamp, strlen(timestamp)) ||
        !EVP_MAC_update(ctx, (const unsigned char *)".", 1) ||
        (body_len > 0 && !EVP_MAC_update(ctx, body, body_len)) ||
        !EVP_MAC_final(ctx, mac, &out_len, SIGN_MAC_LEN) || out_len != SIGN_MAC_LEN)
        goto done;
    rc = 0;
done:
    if (rc != 0)
        OPENSSL_cleanse(mac, SIGN_MAC_LEN);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return rc;
}

int sign_compute(const unsigned char *key, size_t key_len, const char *id, const char *timestamp,
                 const void *body, size_t body_len, char out[SIGN_SIGNATURE_SIZE])
{
    unsigned char mac[SIGN_MAC_LEN];
    out[0] = '\0';
    if (!key || !id || !timestamp || (!body && body_len))
        return -1;
    if (mac_of(key, key_len, id, timestamp, body, body_len, mac) != 0)
        return -1;
    memcpy(out, "v1,", 3);
    b64_encode(mac, SIGN_MAC_LEN, out + 3);
    OPENSSL_cleanse(mac, sizeof(mac));
    return 0;
}

/* ---- the header ----------------------------------------------------------------- */

int sign_header_parse(const char *header, unsigned char macs[][SIGN_MAC_LEN], int max)
{
    if (!header || strnlen(header, SIGN_HEADER_MAX + 1) > SIGN_HEADER_MAX)
        return -1;
    if (max > SIGN_MAX_SIGNATURES)
        max = SIGN_MAX_SIGNATURES;
    int count = 0;
    const char *p = header;
    while (*p && count < max) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        if (n < 3 || memcmp(start, "v1,", 3) != 0)
            continue; /* empty, another version, or not an entry */
        unsigned char mac[SIGN_MAC_LEN];
        if (b64_decode(start + 3, n - 3, mac, sizeof(mac)) == SIGN_MAC_LEN) {
            memcpy(macs[count], mac, SIGN_MAC_LEN);
            count++;
        }
    }
    return count;
}

enum sign_result sign_verify(const char *header, const struct sign_secret *secrets, size_t n,
                             const char *id, const char *timestamp, const void *body,
                             size_t body_len, int64_t now, int64_t tolerance)
{
    unsigned char got[SIGN_MAX_SIGNATURES][SIGN_MAC_LEN];
    unsigned char want[SIGN_MAC_LEN];
    int64_t ts;

    if (!sign_id_ok(id))
        return SIGN_BAD_ID;
    if (sign_timestamp_parse(timestamp, &ts) != 0)
        return SIGN_BAD_TIMESTAMP;
    if (tolerance < 0)
        tolerance = 0;
    if (ts < now && now - ts > tolerance)
        return SIGN_TOO_OLD;
    if (ts > now && ts - now > tolerance)
        return SIGN_TOO_NEW;
    int count = sign_header_parse(header, got, SIGN_MAX_SIGNATURES);
    if (count <= 0 || !secrets || n == 0)
        return SIGN_NO_SIGNATURE;
    if (!body && body_len)
        return SIGN_MISMATCH;
    int match = 0;
    for (size_t s = 0; s < n && !match; s++) {
        if (!secrets[s].key ||
            mac_of(secrets[s].key, secrets[s].len, id, timestamp, body, body_len, want) != 0)
            continue;
        /* Every signature is compared: the time taken depends on how many
         * there are, never on how much of one matched. */
        for (int k = 0; k < count; k++)
            match |= CRYPTO_memcmp(got[k], want, SIGN_MAC_LEN) == 0;
    }
    OPENSSL_cleanse(want, sizeof(want));
    OPENSSL_cleanse(got, sizeof(got));
    return match ? SIGN_OK : SIGN_MISMATCH;
}
