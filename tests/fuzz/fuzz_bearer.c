/*
 * fuzz_bearer.c — libFuzzer target of relay/keys.c's pure parsers: the input
 * (up to its first NUL) as an Authorization header value for
 * keys_parse_bearer, and as a role and a party name for the `relay48 key`
 * checks.
 *
 * Invariants (abort() when broken):
 * - keys_parse_bearer gives "" and -1, or 0 and a key of the exact shape
 *   (keys_split accepts it) that is the tail of the header, after "Bearer"
 *   in any case and spaces; a buffer one byte too small is refused;
 * - keys_role_normalise is idempotent, agrees with keys_role_check, and its
 *   messages fit any errstr_size (ASan sees a write past the exact block).
 */
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "keys.h"

static void check_bearer(const char *h)
{
    char *key = malloc(KEYS_LEN + 1); /* exact size */
    char id[KEYS_ID_LEN + 1];
    size_t len = strlen(h);

    if (key == NULL) {
        abort();
    }
    if (keys_parse_bearer(h, key, KEYS_LEN + 1) == 0) {
        FUZZ_CHECK(strlen(key) == KEYS_LEN);
        FUZZ_CHECK(keys_split(key, id) == 0 && strlen(id) == KEYS_ID_LEN);
        FUZZ_CHECK(len > KEYS_LEN + 6 && strcmp(h + len - KEYS_LEN, key) == 0);
        FUZZ_CHECK(strncasecmp(h, "bearer ", 7) == 0);
        for (size_t i = 6; i < len - KEYS_LEN; i++) {
            FUZZ_CHECK(h[i] == ' ');
        }
        FUZZ_CHECK(memcmp(id, key + 4, KEYS_ID_LEN) == 0);
    } else {
        FUZZ_CHECK(key[0] == '\0');
    }
    FUZZ_CHECK(keys_parse_bearer(h, key, KEYS_LEN) == -1 && key[0] == '\0');
    (void)keys_split(h, id);
    free(key);
}

static void check_role(const char *role)
{
    char out[KEYS_ROLE_MAX + 1];
    char again[KEYS_ROLE_MAX + 1];
    char err[128];
    char *tiny = malloc(8); /* a short errstr: messages must be cut, not overflow */
    int rc;

    if (tiny == NULL) {
        abort();
    }
    rc = keys_role_normalise(role, out, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == -1);
    memset(tiny, 'x', 8); /* a message must be NUL-terminated within 8 bytes */
    FUZZ_CHECK(keys_role_check(role, tiny, 8) == rc);
    FUZZ_CHECK(rc == 0 || memchr(tiny, '\0', 8) != NULL);
    if (rc == 0) {
        FUZZ_CHECK(out[0] != '\0');
        FUZZ_CHECK(keys_role_normalise(out, again, err, sizeof(err)) == 0);
        FUZZ_CHECK(strcmp(out, again) == 0);
    } else {
        FUZZ_CHECK(out[0] == '\0' && memchr(err, '\0', sizeof(err)) != NULL);
    }
    memset(tiny, 'x', 8);
    rc = keys_party_check(role, tiny, 8);
    FUZZ_CHECK(rc == 0 || (rc == -1 && memchr(tiny, '\0', 8) != NULL));
    FUZZ_CHECK(rc != 0 || (strlen(role) >= 1 && strlen(role) <= KEYS_PARTY_MAX));
    free(tiny);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);

    check_bearer(s);
    check_role(s);
    free(s);
    return 0;
}
