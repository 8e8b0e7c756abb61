/*
 * test_sealed.c — unit tests of the pure part of relay/sealed.c: a new
 * secret's text and its sealed hex open back to the same bytes under the
 * same key and owner, and under no other; bad hex, a value too long or too
 * short, and a size out of bounds are refused with the buffers cleansed; a
 * sealed secret re-sealed under a new key opens there to the same bytes.
 * sealed_rotate is run against PostgreSQL by tests/integration/test_banks_cli.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"
#include "sealed.h"

#define AAD "relay48 bank secret BNPAFRPP"

static void counting_key(unsigned char key[SECRETBOX_KEY_LEN], unsigned char first)
{
    for (int i = 0; i < SECRETBOX_KEY_LEN; i++)
        key[i] = (unsigned char)(first + i);
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i])
            return 0;
    }
    return 1;
}

static void test_new_then_open(void **state)
{
    unsigned char key[SECRETBOX_KEY_LEN], secret[SIGN_SECRET_MAX], parsed[SIGN_SECRET_MAX];
    char text[SIGN_SECRET_TEXT_SIZE], hex[SEALED_HEX_SIZE], err[128];
    size_t len = 0, plen = 0;
    (void)state;
    counting_key(key, 0);
    for (size_t nbytes = SIGN_SECRET_MIN; nbytes <= SIGN_SECRET_MAX; nbytes += 8) {
        assert_int_equal(sealed_new(key, AAD, nbytes, text, hex, err, sizeof(err)), 0);
        assert_memory_equal(text, "whsec_", 6);
        /* version, nonce, ciphertext, tag: as hex */
        assert_int_equal(strlen(hex), 2 * (nbytes + SECRETBOX_OVERHEAD));
        assert_int_equal(sealed_open(key, AAD, hex, secret, &len), 0);
        assert_int_equal(len, nbytes);
        /* what the owner was handed is what opens */
        assert_int_equal(sign_secret_parse(text, parsed, &plen), 0);
        assert_int_equal(plen, nbytes);
        assert_memory_equal(parsed, secret, nbytes);
    }
}

static void test_open_refused(void **state)
{
    unsigned char key[SECRETBOX_KEY_LEN], other[SECRETBOX_KEY_LEN], secret[SIGN_SECRET_MAX];
    char text[SIGN_SECRET_TEXT_SIZE], hex[SEALED_HEX_SIZE], err[128];
    size_t len = 99;
    (void)state;
    counting_key(key, 0);
    counting_key(other, 1);
    assert_int_equal(sealed_new(key, AAD, 32, text, hex, err, sizeof(err)), 0);
    /* another key, another owner */
    assert_int_equal(sealed_open(other, AAD, hex, secret, &len), -1);
    assert_int_equal(len, 0);
    assert_true(all_zero(secret, sizeof(secret)));
    assert_int_equal(sealed_open(key, "relay48 bank secret SOGEFRPP", hex, secret, &len), -1);
    /* a changed byte, a cut value, not hex, nothing */
    char changed[SEALED_HEX_SIZE];
    memcpy(changed, hex, sizeof(changed));
    changed[40] = changed[40] == '0' ? '1' : '0';
    assert_int_equal(sealed_open(key, AAD, changed, secret, &len), -1);
    hex[strlen(hex) - 2] = '\0';
    assert_int_equal(sealed_open(key, AAD, hex, secret, &len), -1);
    assert_int_equal(sealed_open(key, AAD, "zz", secret, &len), -1);
    assert_int_equal(sealed_open(key, AAD, "", secret, &len), -1);
    assert_int_equal(sealed_open(key, AAD, NULL, secret, &len), -1);
}

static void test_open_length_bounds(void **state)
{
    unsigned char key[SECRETBOX_KEY_LEN], pt[SIGN_SECRET_MAX + 1], secret[SIGN_SECRET_MAX];
    unsigned char sealed[SEALED_MAX + 1];
    char hex[2 * sizeof(sealed) + 1];
    size_t slen = 0, len = 0;
    (void)state;
    counting_key(key, 0);
    memset(pt, 7, sizeof(pt));
    /* shorter than a secret: it opens, but is no secret of ours */
    assert_int_equal(secretbox_seal(key, AAD, strlen(AAD), pt, SIGN_SECRET_MIN - 1, sealed,
                                    sizeof(sealed), &slen),
                     0);
    hex_encode(sealed, slen, hex);
    assert_int_equal(sealed_open(key, AAD, hex, secret, &len), -1);
    assert_true(all_zero(secret, sizeof(secret)));
    /* longer than the longest sealed secret: refused before opening */
    assert_int_equal(secretbox_seal(key, AAD, strlen(AAD), pt, SIGN_SECRET_MAX + 1, sealed,
                                    sizeof(sealed), &slen),
                     0);
    hex_encode(sealed, slen, hex);
    assert_int_equal(sealed_open(key, AAD, hex, secret, &len), -1);
    /* exactly the bounds open */
    assert_int_equal(
        secretbox_seal(key, AAD, strlen(AAD), pt, SIGN_SECRET_MAX, sealed, sizeof(sealed), &slen),
        0);
    hex_encode(sealed, slen, hex);
    assert_int_equal(sealed_open(key, AAD, hex, secret, &len), 0);
    assert_int_equal(len, SIGN_SECRET_MAX);
}

static void test_new_refused(void **state)
{
    unsigned char key[SECRETBOX_KEY_LEN];
    char text[SIGN_SECRET_TEXT_SIZE], hex[SEALED_HEX_SIZE], err[128];
    (void)state;
    counting_key(key, 0);
    memset(text, 'x', sizeof(text));
    memset(hex, 'x', sizeof(hex));
    assert_int_equal(sealed_new(key, AAD, SIGN_SECRET_MIN - 1, text, hex, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "24 to 64"));
    assert_true(all_zero(text, sizeof(text)));
    assert_true(all_zero(hex, sizeof(hex)));
    assert_int_equal(sealed_new(key, AAD, SIGN_SECRET_MAX + 1, text, hex, err, sizeof(err)), -1);
}

static void test_reseal(void **state)
{
    unsigned char old_key[SECRETBOX_KEY_LEN], new_key[SECRETBOX_KEY_LEN];
    unsigned char before[SIGN_SECRET_MAX], after[SIGN_SECRET_MAX];
    char text[SIGN_SECRET_TEXT_SIZE], hex[SEALED_HEX_SIZE], out[SEALED_HEX_SIZE];
    char again[SEALED_HEX_SIZE], err[128];
    size_t blen = 0, alen = 0;
    (void)state;
    counting_key(old_key, 0);
    counting_key(new_key, 9);
    assert_int_equal(sealed_new(old_key, AAD, 40, text, hex, err, sizeof(err)), 0);
    assert_int_equal(sealed_open(old_key, AAD, hex, before, &blen), 0);
    assert_int_equal(sealed_reseal(old_key, new_key, AAD, hex, out), SECRETBOX_RESEALED);
    assert_int_equal(strlen(out), strlen(hex));
    assert_int_equal(sealed_open(new_key, AAD, out, after, &alen), 0);
    assert_int_equal(alen, blen);
    assert_memory_equal(after, before, blen);
    assert_int_equal(sealed_open(old_key, AAD, out, after, &alen), -1);
    /* again: already under the new key; under neither; not hex */
    assert_int_equal(sealed_reseal(old_key, new_key, AAD, out, again), SECRETBOX_UNDER_NEW);
    assert_string_equal(again, "");
    assert_int_equal(sealed_reseal(new_key, old_key, "relay48 bank secret SOGEFRPP", out, again),
                     SECRETBOX_UNOPENED);
    assert_int_equal(sealed_reseal(old_key, new_key, AAD, "zz", again), SECRETBOX_UNOPENED);
    assert_int_equal(sealed_reseal(old_key, new_key, AAD, NULL, again), SECRETBOX_UNOPENED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_then_open),
        cmocka_unit_test(test_open_refused),
        cmocka_unit_test(test_open_length_bounds),
        cmocka_unit_test(test_new_refused),
        cmocka_unit_test(test_reseal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
