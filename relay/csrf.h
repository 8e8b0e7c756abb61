/*
 * csrf.h — owns the web form's anti-forgery token: a signed, expiring
 * token that GET / puts in the form and POST /report must send back. It
 * carries the form's one-time nonce (the report's idempotency key, so that a
 * double click or a reload makes one case) and the time it was issued,
 * signed with HMAC-SHA256 under the relay's form key:
 *
 *   "1." base64url(nonce[16] || issued_at as 8 bytes big-endian) "."
 *        base64url(HMAC-SHA256(key, "relay48/report-form/1" || 0x00 || payload))
 *
 * The label binds the signature to this form: no other token the relay
 * might sign with the same key can be passed off as one. Nothing in it is
 * secret but the key; the nonce is only worth something with a valid
 * signature.
 *
 * Pure: the key, the nonce's random bytes and the clock are parameters.
 */
#ifndef RELAY48_CSRF_H
#define RELAY48_CSRF_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define CSRF_NONCE_BYTES 16
#define CSRF_NONCE_SIZE  23 /* base64url of 16 bytes + NUL */
#define CSRF_TOKEN_SIZE  79 /* "1." + 32 + "." + 43 + NUL */
#define CSRF_KEY_MIN     16
#define CSRF_KEY_MAX     64

/* Tokens issued this far in the future are still accepted (clock steps). */
#define CSRF_FUTURE_SKEW 60

enum csrf_result {
    CSRF_OK = 0,
    CSRF_MISSING,       /* NULL or "" */
    CSRF_MALFORMED,     /* not the shape above */
    CSRF_BAD_SIGNATURE, /* another key, or altered */
    CSRF_EXPIRED,       /* older than ttl, or issued in the future */
};

const char *csrf_result_name(enum csrf_result r);

/* Token for a form issued at `now` with this nonce. 0, or -1 on bad
 * arguments (key length outside CSRF_KEY_MIN..CSRF_KEY_MAX). */
RELAY_MUSTCHECK int csrf_issue(const unsigned char *key, size_t key_len,
                               const unsigned char nonce[CSRF_NONCE_BYTES], int64_t now,
                               char out[CSRF_TOKEN_SIZE]);

/*
 * Check a token at `now`, valid for ttl seconds after issue. On CSRF_OK,
 * and on CSRF_EXPIRED (a genuine but stale form, whose values the caller
 * may show again with a fresh token), nonce_out holds the nonce as
 * base64url text; otherwise "". nonce_raw (may be NULL) gets its bytes.
 * The signature is compared in constant time.
 */
enum csrf_result csrf_check(const unsigned char *key, size_t key_len, const char *token,
                            int64_t now, int64_t ttl, char nonce_out[CSRF_NONCE_SIZE],
                            unsigned char nonce_raw[CSRF_NONCE_BYTES]);

/*
 * Where a form post comes from, from the browser's own headers (a page
 * cannot set them): 0 when it may go on, -1 when it comes from another site.
 * - Sec-Fetch-Site, when sent (every current browser), must be
 *   "same-origin" or "none" (a reload, a bookmark): "same-site" and
 *   "cross-site" are refused.
 * - Origin, when sent and not "null", must be `expected` (web.origin, e.g.
 *   "https://signalement.example.fr", compared without case) or, when
 *   expected is empty, name the same host and port as the Host header (the
 *   scheme is the TLS terminator's business).
 * - "Origin: null" is what a same-origin post sends under Referrer-Policy:
 *   no-referrer (Fetch standard), so it proves nothing either way; a post
 *   with neither header (curl, very old browsers) goes on too: the signed
 *   token still has to be right.
 * Any argument may be NULL.
 */
int csrf_origin_check(const char *origin, const char *sec_fetch_site, const char *host,
                      const char *expected);

/* base64url without padding of n bytes into out (4 * ceil(n / 3) + 1 bytes
 * is enough). Returns the length written. */
size_t csrf_b64url(const unsigned char *in, size_t n, char *out);

#endif
