/*
 * fuzz_webhook_sig.c — libFuzzer target of relay/sign.c: the input up to its
 * first NUL is a webhook-signature header value (and, on the side, a whsec_
 * secret text and a webhook-id / webhook-timestamp), the rest is the body.
 *
 * Invariants (abort() when broken):
 * - sign_header_parse is -1 exactly for a header longer than SIGN_HEADER_MAX,
 *   else a count within max; each MAC it decodes, written back as "v1,<base64>",
 *   parses to the same MAC;
 * - sign_verify answers one of its results; a header holding the body's real
 *   signature among fewer than SIGN_MAX_SIGNATURES others is SIGN_OK, and the
 *   same header with a timestamp 301 s off is refused;
 * - sign_secret_parse gives 24 to 64 bytes that format back to a text which
 *   parses to the same bytes;
 * - sign_id_ok and sign_timestamp_parse agree with a literal reading of sign.h.
 */
#include <string.h>

#include "fuzz.h"
#include "sign.h"

static const unsigned char key[32] = "relay48 fuzz secret, 32 bytes!!";
#define ID  "msg_2YxV9Q7c0kFz1pLq"
#define TS  "1775995200"
#define NOW INT64_C(1775995200)

static void check_header(const char *h, const char *body, size_t body_len)
{
    unsigned char macs[SIGN_MAX_SIGNATURES][SIGN_MAC_LEN];
    unsigned char again[1][SIGN_MAC_LEN];
    char text[SIGN_SIGNATURE_SIZE];
    size_t hlen = strlen(h);
    int n = sign_header_parse(h, macs, SIGN_MAX_SIGNATURES);

    FUZZ_CHECK((n == -1) == (hlen > SIGN_HEADER_MAX));
    FUZZ_CHECK(n <= SIGN_MAX_SIGNATURES);
    for (int i = 0; i < n; i++) {
        /* "v1," + base64 of the MAC, with padding, as sign_compute writes */
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t o = 0;
        memcpy(text, "v1,", 3);
        o = 3;
        for (size_t k = 0; k < SIGN_MAC_LEN; k += 3) {
            unsigned v = (unsigned)macs[i][k] << 16;
            if (k + 1 < SIGN_MAC_LEN)
                v |= (unsigned)macs[i][k + 1] << 8;
            if (k + 2 < SIGN_MAC_LEN)
                v |= macs[i][k + 2];
            text[o++] = b64[(v >> 18) & 63];
            text[o++] = b64[(v >> 12) & 63];
            text[o++] = k + 1 < SIGN_MAC_LEN ? b64[(v >> 6) & 63] : '=';
            text[o++] = k + 2 < SIGN_MAC_LEN ? b64[v & 63] : '=';
        }
        text[o] = '\0';
        FUZZ_CHECK(sign_header_parse(text, again, 1) == 1);
        FUZZ_CHECK(memcmp(again[0], macs[i], SIGN_MAC_LEN) == 0);
    }

    struct sign_secret s = {key, sizeof(key)};
    enum sign_result r = sign_verify(h, &s, 1, ID, TS, body, body_len, NOW, 300);
    FUZZ_CHECK(r >= SIGN_OK && r <= SIGN_MISMATCH);
    FUZZ_CHECK(r != SIGN_BAD_ID && r != SIGN_BAD_TIMESTAMP && r != SIGN_TOO_OLD &&
               r != SIGN_TOO_NEW);

    /* The real signature appended: accepted while the header has room. */
    char sig[SIGN_SIGNATURE_SIZE];
    FUZZ_CHECK(sign_compute(key, sizeof(key), ID, TS, body, body_len, sig) == 0);
    if (n >= 0 && n < SIGN_MAX_SIGNATURES && hlen + 1 + strlen(sig) <= SIGN_HEADER_MAX) {
        char *with = malloc(hlen + 1 + strlen(sig) + 1);
        if (with == NULL)
            abort();
        memcpy(with, h, hlen);
        with[hlen] = ' ';
        memcpy(with + hlen + 1, sig, strlen(sig) + 1);
        FUZZ_CHECK(sign_verify(with, &s, 1, ID, TS, body, body_len, NOW, 300) == SIGN_OK);
        FUZZ_CHECK(sign_verify(with, &s, 1, ID, TS, body, body_len, NOW + 301, 300) ==
                   SIGN_TOO_OLD);
        FUZZ_CHECK(sign_verify(with, &s, 1, ID, TS, body, body_len, NOW - 301, 300) ==
                   SIGN_TOO_NEW);
        free(with);
    }
}

static void check_secret(const char *text)
{
    unsigned char bytes[SIGN_SECRET_MAX], back[SIGN_SECRET_MAX];
    char *out = malloc(SIGN_SECRET_TEXT_SIZE); /* exact size */
    size_t len = 0, len2 = 0;
    if (out == NULL)
        abort();
    if (sign_secret_parse(text, bytes, &len) == 0) {
        FUZZ_CHECK(len >= SIGN_SECRET_MIN && len <= SIGN_SECRET_MAX);
        FUZZ_CHECK(sign_secret_format(bytes, len, out, SIGN_SECRET_TEXT_SIZE) == 0);
        FUZZ_CHECK(sign_secret_parse(out, back, &len2) == 0);
        FUZZ_CHECK(len2 == len && memcmp(back, bytes, len) == 0);
    } else {
        FUZZ_CHECK(len == 0);
    }
    free(out);
}

static void check_id_and_timestamp(const char *s)
{
    size_t n = strlen(s);
    int ok = n >= 1 && n <= SIGN_ID_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] >= 0x21 && s[i] <= 0x7e && s[i] != '.';
    FUZZ_CHECK(sign_id_ok(s) == ok);

    int64_t t = -1;
    int digits = n >= 1 && n <= SIGN_TIMESTAMP_MAX;
    int64_t want = 0;
    for (size_t i = 0; digits && i < n; i++) {
        digits = s[i] >= '0' && s[i] <= '9';
        want = want * 10 + (s[i] - '0');
    }
    int rc = sign_timestamp_parse(s, &t);
    FUZZ_CHECK((rc == 0) == digits);
    FUZZ_CHECK(rc != 0 || t == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header, *body;
    fuzz_split(data, size, &header, &body);
    const uint8_t *nul = size > 0 ? memchr(data, '\0', size) : NULL;
    size_t body_len = nul != NULL ? size - (size_t)(nul - data) - 1 : 0;

    check_header(header, body, body_len);
    check_secret(header);
    check_id_and_timestamp(header);
    free(header);
    free(body);
    return 0;
}
