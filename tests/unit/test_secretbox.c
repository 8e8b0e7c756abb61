/*
 * test_secretbox.c — unit tests of relay/secretbox.c: a value sealed by
 * another implementation (Python's cryptography AESGCM) opens; seal then open
 * round-trips; another key, another AAD, any changed byte, a short value or
 * another version is refused; the master key from the environment value or a
 * file, and the messages when it is missing or malformed (never the key); a
 * key file named by an option; re-sealing under a new key, and the values
 * already under the new key or under neither.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "secretbox.h"

#define AAD "relay48 bank secret BNPAFRPP"

/* AESGCM(bytes(range(32))).encrypt(bytes(range(100, 112)), b"attack at dawn, 24 bytes", AAD),
 * prefixed with the version byte and the nonce. */
static const unsigned char known[] =
    "\x01\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f\x29\x6f\xaa\x07\x1a\x82\x76\xff\x4a\x42"
    "\x3b\x89\xad\x0b\x46\xdd\x70\xf6\x26\x68\xf2\x18\x96\x01\xbb\xb8\xef\x60\x62\xc9\x5d\x8b\x48"
    "\x42\x63\x79\x6a\xb3\x91\x8e";
#define KNOWN_LEN (sizeof(known) - 1)

static void counting_key(unsigned char key[SECRETBOX_KEY_LEN])
{
    for (int i = 0; i < SECRETBOX_KEY_LEN; i++)
        key[i] = (unsigned char)i;
}

/* A temporary file for the key-file tests, its name in path ("...XXXXXX"). */
static void make_temp(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* Replaces the content of the file at path with the formatted text. */
static void write_text(const char *path, const char *fmt, ...)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    assert_int_equal(fclose(f), 0);
}

static void test_known_value_opens(void **state)
{
    unsigned char key[SECRETBOX_KEY_LEN], pt[64];
    size_t n = 0;
    (void)state;
    counting_key(key);
    assert_int_equal(KNOWN_LEN, 24 + SECRETBOX_OVERHEAD);
    assert_int_equal(secretbox_open(key, AAD, strlen(AAD), known, KNOWN_LEN, pt, sizeof(pt), &n),
                     0);
    assert_int_equal(n, 24);
    assert_memory_equal(pt, "attack at dawn, 24 bytes", 24);
}

static void test_round_trip_and_refusals(void **state)
{
    unsigned char key[SECRETBOX_KEY_LEN], other[SECRETBOX_KEY_LEN];
    unsigned char secret[40], sealed[40 + SECRETBOX_OVERHEAD], sealed2[sizeof(sealed)], pt[64];
    size_t n = 0, m = 0;
    (void)state;
    counting_key(key);
    memcpy(other, key, sizeof(other));
    other[31] ^= 1;
    for (size_t i = 0; i < sizeof(secret); i++)
        secret[i] = (unsigned char)(200 - i);
    assert_int_equal(
        secretbox_seal(key, AAD, strlen(AAD), secret, sizeof(secret), sealed, sizeof(sealed), &n),
        0);
    assert_int_equal(n, sizeof(sealed));
    assert_int_equal(sealed[0], SECRETBOX_VERSION);
    /* a fresh nonce each time */
    assert_int_equal(
        secretbox_seal(key, AAD, strlen(AAD), secret, sizeof(secret), sealed2, sizeof(sealed2), &m),
        0);
    assert_memory_not_equal(sealed + 1, sealed2 + 1, SECRETBOX_NONCE_LEN);
    /* the plaintext does not appear */
    for (size_t i = 0; i + 8 <= n; i++)
        assert_memory_not_equal(sealed + i, secret, 8);

    assert_int_equal(secretbox_open(key, AAD, strlen(AAD), sealed, n, pt, sizeof(pt), &m), 0);
    assert_int_equal(m, sizeof(secret));
    assert_memory_equal(pt, secret, sizeof(secret));

    /* another key, another AAD, no AAD */
    assert_int_equal(secretbox_open(other, AAD, strlen(AAD), sealed, n, pt, sizeof(pt), &m), -1);
    assert_int_equal(m, 0);
    assert_int_equal(
        secretbox_open(key, "relay48 bank secret SOGEFRPP", 28, sealed, n, pt, sizeof(pt), &m), -1);
    assert_int_equal(secretbox_open(key, NULL, 0, sealed, n, pt, sizeof(pt), &m), -1);
    /* any changed bit */
    for (size_t i = 0; i < n; i++) {
        sealed[i] ^= 0x10;
        assert_int_equal(secretbox_open(key, AAD, strlen(AAD), sealed, n, pt, sizeof(pt), &m), -1);
        sealed[i] ^= 0x10;
    }
    /* truncated, too short, a plaintext buffer too small */
    assert_int_equal(secretbox_open(key, AAD, strlen(AAD), sealed, n - 1, pt, sizeof(pt), &m), -1);
    assert_int_equal(
        secretbox_open(key, AAD, strlen(AAD), sealed, SECRETBOX_OVERHEAD - 1, pt, sizeof(pt), &m),
        -1);
    assert_int_equal(secretbox_open(key, AAD, strlen(AAD), sealed, n, pt, 10, &m), -1);
    /* an output buffer too small to seal into */
    assert_int_equal(secretbox_seal(key, AAD, strlen(AAD), secret, sizeof(secret), sealed,
                                    sizeof(sealed) - 1, &m),
                     -1);
    /* empty plaintext is fine */
    assert_int_equal(secretbox_seal(key, NULL, 0, NULL, 0, sealed, sizeof(sealed), &n), 0);
    assert_int_equal(n, SECRETBOX_OVERHEAD);
    assert_int_equal(secretbox_open(key, NULL, 0, sealed, n, pt, sizeof(pt), &m), 0);
    assert_int_equal(m, 0);
}

static void test_key_from_hex(void **state)
{
    unsigned char key[SECRETBOX_KEY_LEN], want[SECRETBOX_KEY_LEN];
    (void)state;
    counting_key(want);
    assert_int_equal(secretbox_key_from_hex(
                         "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F", key),
                     0);
    assert_memory_equal(key, want, sizeof(key));
    assert_int_equal(secretbox_key_from_hex("00", key), -1);
    assert_int_equal(secretbox_key_from_hex(
                         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", key),
                     -1);
    assert_int_equal(secretbox_key_from_hex(
                         "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1", key),
                     -1);
    assert_int_equal(secretbox_key_from_hex(NULL, key), -1);
}

static void test_key_load(void **state)
{
    static const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    unsigned char key[SECRETBOX_KEY_LEN], want[SECRETBOX_KEY_LEN];
    char err[256], path[] = "/tmp/relay48-test-master-XXXXXX";
    (void)state;
    counting_key(want);

    /* environment first */
    assert_int_equal(secretbox_key_load(hex, "/nonexistent", key, err, sizeof(err)), 0);
    assert_memory_equal(key, want, sizeof(key));
    /* a bad environment value is an error even when a file is named */
    assert_int_equal(secretbox_key_load("abc", "/nonexistent", key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "RELAY48_MASTER_KEY"));
    /* nothing at all: say what to set */
    assert_int_equal(secretbox_key_load(NULL, NULL, key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "RELAY48_MASTER_KEY"));
    assert_non_null(strstr(err, "secrets.master_key_file"));
    assert_int_equal(secretbox_key_load("", "", key, err, sizeof(err)), -1);

    /* a file with whitespace around the digits */
    make_temp(path);
    write_text(path, "  %s\n\n", hex);
    assert_int_equal(secretbox_key_load("", path, key, err, sizeof(err)), 0);
    assert_memory_equal(key, want, sizeof(key));
    /* a file of something else: the message names the file, not its content */
    write_text(path, "%s00\n", hex);
    assert_int_equal(secretbox_key_load(NULL, path, key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));
    assert_null(strstr(err, "0a0b0c"));
    unlink(path);
    assert_int_equal(secretbox_key_load(NULL, path, key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    unsigned char zero[SECRETBOX_KEY_LEN] = {0};
    assert_memory_equal(key, zero, sizeof(key));
}

static void test_key_file(void **state)
{
    static const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    unsigned char key[SECRETBOX_KEY_LEN], want[SECRETBOX_KEY_LEN], zero[SECRETBOX_KEY_LEN] = {0};
    char err[256], path[] = "/tmp/relay48-test-oldkey-XXXXXX";
    (void)state;
    counting_key(want);
    make_temp(path);
    write_text(path, "%s\r\n", hex);
    assert_int_equal(secretbox_key_file("--old-key-file", path, key, err, sizeof(err)), 0);
    assert_memory_equal(key, want, sizeof(key));
    /* the message names the option and the file, never the content */
    write_text(path, "%.62s\n", hex);
    assert_int_equal(secretbox_key_file("--old-key-file", path, key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--old-key-file"));
    assert_non_null(strstr(err, path));
    assert_null(strstr(err, "0a0b0c"));
    assert_memory_equal(key, zero, sizeof(key));
    /* larger than a key file can be */
    char big[40 * (sizeof(hex) - 1) + 1] = "";
    for (int i = 0; i < 40; i++)
        strcat(big, hex);
    write_text(path, "%s", big);
    assert_int_equal(secretbox_key_file("--old-key-file", path, key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "larger than"));
    unlink(path);
    assert_int_equal(secretbox_key_file("--old-key-file", path, key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    assert_memory_equal(key, zero, sizeof(key));
}

static void test_reseal(void **state)
{
    unsigned char old_key[SECRETBOX_KEY_LEN], new_key[SECRETBOX_KEY_LEN], third[SECRETBOX_KEY_LEN];
    unsigned char secret[32], sealed[32 + SECRETBOX_OVERHEAD], resealed[sizeof(sealed)];
    unsigned char again[sizeof(sealed)], pt[64], zero[sizeof(sealed)] = {0};
    size_t n = 0, m = 0;
    (void)state;
    counting_key(old_key);
    memcpy(new_key, old_key, sizeof(new_key));
    new_key[0] ^= 0x80;
    memcpy(third, old_key, sizeof(third));
    third[5] ^= 1;
    for (size_t i = 0; i < sizeof(secret); i++)
        secret[i] = (unsigned char)(3 * i + 1);
    assert_int_equal(secretbox_seal(old_key, AAD, strlen(AAD), secret, sizeof(secret), sealed,
                                    sizeof(sealed), &n),
                     0);

    /* under the old key: sealed again under the new one, same length, same plaintext */
    assert_int_equal(secretbox_reseal(old_key, new_key, AAD, strlen(AAD), sealed, n, resealed,
                                      sizeof(resealed), &m),
                     SECRETBOX_RESEALED);
    assert_int_equal(m, n);
    assert_int_equal(resealed[0], SECRETBOX_VERSION);
    assert_int_equal(secretbox_open(new_key, AAD, strlen(AAD), resealed, m, pt, sizeof(pt), &n), 0);
    assert_int_equal(n, sizeof(secret));
    assert_memory_equal(pt, secret, sizeof(secret));
    assert_int_equal(secretbox_open(old_key, AAD, strlen(AAD), resealed, m, pt, sizeof(pt), &n),
                     -1);
    /* the AAD still binds it to its owner */
    assert_int_equal(secretbox_open(new_key, "other", 5, resealed, m, pt, sizeof(pt), &n), -1);

    /* a second run: already under the new key, out untouched but cleansed */
    memset(again, 0xee, sizeof(again));
    assert_int_equal(
        secretbox_reseal(old_key, new_key, AAD, strlen(AAD), resealed, m, again, sizeof(again), &n),
        SECRETBOX_UNDER_NEW);
    assert_int_equal(n, 0);
    assert_memory_equal(again, zero, m);

    /* under neither key, another AAD, a changed byte, too short */
    assert_int_equal(
        secretbox_reseal(third, new_key, AAD, strlen(AAD), sealed, m, again, sizeof(again), &n),
        SECRETBOX_UNOPENED);
    assert_int_equal(
        secretbox_reseal(old_key, new_key, "other", 5, sealed, m, again, sizeof(again), &n),
        SECRETBOX_UNOPENED);
    sealed[20] ^= 4;
    assert_int_equal(
        secretbox_reseal(old_key, new_key, AAD, strlen(AAD), sealed, m, again, sizeof(again), &n),
        SECRETBOX_UNOPENED);
    assert_int_equal(
        secretbox_reseal(old_key, new_key, AAD, strlen(AAD), sealed, 5, again, sizeof(again), &n),
        SECRETBOX_UNOPENED);
    assert_int_equal(n, 0);

    /* out too small, no input, longer than the bound */
    sealed[20] ^= 4;
    assert_int_equal(
        secretbox_reseal(old_key, new_key, AAD, strlen(AAD), sealed, m, again, m - 1, &n),
        SECRETBOX_FAILED);
    assert_int_equal(
        secretbox_reseal(old_key, new_key, AAD, strlen(AAD), NULL, m, again, sizeof(again), &n),
        SECRETBOX_FAILED);
    static unsigned char big[SECRETBOX_RESEAL_MAX + SECRETBOX_OVERHEAD + 1];
    static unsigned char big_out[sizeof(big)];
    assert_int_equal(secretbox_reseal(old_key, new_key, AAD, strlen(AAD), big, sizeof(big), big_out,
                                      sizeof(big_out), &n),
                     SECRETBOX_FAILED);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_value_opens), cmocka_unit_test(test_round_trip_and_refusals),
        cmocka_unit_test(test_key_from_hex),      cmocka_unit_test(test_key_load),
        cmocka_unit_test(test_key_file),          cmocka_unit_test(test_reseal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
