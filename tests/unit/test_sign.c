/*
 * test_sign.c — unit tests of relay/sign.c: the Standard Webhooks
 * known-answer vector, a flipped bit in body, id or timestamp, the ±300 s
 * tolerance at its edges, several signatures (rotation), header parsing, the
 * whsec_ secret text, and the webhook-id / webhook-timestamp rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sign.h"

/* From the Standard Webhooks specification's test vector. */
#define KAT_SECRET    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define KAT_ID        "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define KAT_TIMESTAMP "1614265330"
#define KAT_BODY      "{\"test\": 2432232314}"
#define KAT_SIGNATURE "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define KAT_NOW       INT64_C(1614265330)

static unsigned char kat_key[SIGN_SECRET_MAX];
static size_t kat_len;

static int setup(void **state)
{
    (void)state;
    return sign_secret_parse(KAT_SECRET, kat_key, &kat_len);
}

static enum sign_result verify(const char *header, const char *id, const char *ts, const char *body,
                               int64_t now)
{
    struct sign_secret s = {kat_key, kat_len};
    return sign_verify(header, &s, 1, id, ts, body, strlen(body), now, SIGN_TOLERANCE_DEFAULT);
}

static void test_known_answer(void **state)
{
    char sig[SIGN_SIGNATURE_SIZE];
    (void)state;
    assert_int_equal(kat_len, 24);
    assert_int_equal(
        sign_compute(kat_key, kat_len, KAT_ID, KAT_TIMESTAMP, KAT_BODY, strlen(KAT_BODY), sig), 0);
    assert_string_equal(sig, KAT_SIGNATURE);
    assert_int_equal(verify(KAT_SIGNATURE, KAT_ID, KAT_TIMESTAMP, KAT_BODY, KAT_NOW), SIGN_OK);
}

/* Every bit of body, id and timestamp matters. */
static void test_flipped_bits(void **state)
{
    char body[] = KAT_BODY;
    char id[] = KAT_ID;
    char ts[] = KAT_TIMESTAMP;
    (void)state;
    for (size_t i = 0; i < strlen(body); i++) {
        for (int b = 0; b < 8; b++) {
            body[i] ^= (char)(1 << b);
            assert_int_not_equal(verify(KAT_SIGNATURE, KAT_ID, KAT_TIMESTAMP, body, KAT_NOW),
                                 SIGN_OK);
            body[i] ^= (char)(1 << b);
        }
    }
    for (size_t i = 0; i < strlen(id); i++) {
        for (int b = 0; b < 7; b++) {
            id[i] ^= (char)(1 << b);
            assert_int_not_equal(verify(KAT_SIGNATURE, id, KAT_TIMESTAMP, KAT_BODY, KAT_NOW),
                                 SIGN_OK);
            id[i] ^= (char)(1 << b);
        }
    }
    /* A different timestamp within the tolerance, and a non-digit one. */
    for (size_t i = 0; i < strlen(ts); i++) {
        for (int b = 0; b < 7; b++) {
            ts[i] ^= (char)(1 << b);
            enum sign_result r = verify(KAT_SIGNATURE, KAT_ID, ts, KAT_BODY, KAT_NOW);
            assert_int_not_equal(r, SIGN_OK);
            ts[i] ^= (char)(1 << b);
        }
    }
    assert_int_equal(verify(KAT_SIGNATURE, KAT_ID, "1614265331", KAT_BODY, KAT_NOW), SIGN_MISMATCH);
    /* A flipped bit of the signature itself. */
    char sig[] = KAT_SIGNATURE;
    sig[10] ^= 1;
    assert_int_equal(verify(sig, KAT_ID, KAT_TIMESTAMP, KAT_BODY, KAT_NOW), SIGN_MISMATCH);
    /* The body is the raw bytes: other spacing is another message. */
    assert_int_equal(verify(KAT_SIGNATURE, KAT_ID, KAT_TIMESTAMP, "{\"test\":2432232314}", KAT_NOW),
                     SIGN_MISMATCH);
}

/* Signed at t, checked at t ± d. */
static enum sign_result at_offset(int64_t d)
{
    char ts[24], sig[SIGN_SIGNATURE_SIZE];
    int64_t t = KAT_NOW + d;
    snprintf(ts, sizeof(ts), "%lld", (long long)t);
    if (sign_compute(kat_key, kat_len, KAT_ID, ts, KAT_BODY, strlen(KAT_BODY), sig) != 0)
        return SIGN_MISMATCH;
    return verify(sig, KAT_ID, ts, KAT_BODY, KAT_NOW);
}

static void test_tolerance(void **state)
{
    (void)state;
    assert_int_equal(at_offset(0), SIGN_OK);
    assert_int_equal(at_offset(299), SIGN_OK);
    assert_int_equal(at_offset(-299), SIGN_OK);
    assert_int_equal(at_offset(300), SIGN_OK);
    assert_int_equal(at_offset(-300), SIGN_OK);
    assert_int_equal(at_offset(301), SIGN_TOO_NEW);
    assert_int_equal(at_offset(-301), SIGN_TOO_OLD);
    assert_int_equal(at_offset(-86400), SIGN_TOO_OLD);
    /* The known vector is years old. */
    assert_int_equal(verify(KAT_SIGNATURE, KAT_ID, KAT_TIMESTAMP, KAT_BODY, 1760000000),
                     SIGN_TOO_OLD);
}

static void test_several_signatures(void **state)
{
    (void)state;
    /* The second is the valid one. */
    const char *h = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " KAT_SIGNATURE;
    assert_int_equal(verify(h, KAT_ID, KAT_TIMESTAMP, KAT_BODY, KAT_NOW), SIGN_OK);
    /* Other versions and garbage around it are skipped; spaces may repeat. */
    h = "v1a,abc   garbage v2,xyz= " KAT_SIGNATURE "  ";
    assert_int_equal(verify(h, KAT_ID, KAT_TIMESTAMP, KAT_BODY, KAT_NOW), SIGN_OK);
    /* Padding is optional. */
    assert_int_equal(verify("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", KAT_ID, KAT_TIMESTAMP,
                            KAT_BODY, KAT_NOW),
                     SIGN_OK);
    /* Only invalid ones. */
    h = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
        "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_int_equal(verify(h, KAT_ID, KAT_TIMESTAMP, KAT_BODY, KAT_NOW), SIGN_MISMATCH);
    /* No v1 signature at all. */
    assert_int_equal(verify("", KAT_ID, KAT_TIMESTAMP, KAT_BODY, KAT_NOW), SIGN_NO_SIGNATURE);
    assert_int_equal(verify("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", KAT_ID,
                            KAT_TIMESTAMP, KAT_BODY, KAT_NOW),
                     SIGN_NO_SIGNATURE);
    assert_int_equal(verify("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", KAT_ID, KAT_TIMESTAMP,
                            KAT_BODY, KAT_NOW),
                     SIGN_NO_SIGNATURE);
    struct sign_secret none = {NULL, 0};
    assert_int_equal(sign_verify(KAT_SIGNATURE, &none, 0, KAT_ID, KAT_TIMESTAMP, KAT_BODY,
                                 strlen(KAT_BODY), KAT_NOW, 300),
                     SIGN_NO_SIGNATURE);
}

/* Several secrets (the old one during an overlap): either one's signature wins. */
static void test_several_secrets(void **state)
{
    unsigned char other[32];
    char sig[SIGN_SIGNATURE_SIZE];
    (void)state;
    memset(other, 0x42, sizeof(other));
    struct sign_secret both[2] = {{other, sizeof(other)}, {kat_key, kat_len}};
    assert_int_equal(sign_verify(KAT_SIGNATURE, both, 2, KAT_ID, KAT_TIMESTAMP, KAT_BODY,
                                 strlen(KAT_BODY), KAT_NOW, 300),
                     SIGN_OK);
    assert_int_equal(
        sign_compute(other, sizeof(other), KAT_ID, KAT_TIMESTAMP, KAT_BODY, strlen(KAT_BODY), sig),
        0);
    assert_int_equal(
        sign_verify(sig, both, 2, KAT_ID, KAT_TIMESTAMP, KAT_BODY, strlen(KAT_BODY), KAT_NOW, 300),
        SIGN_OK);
    /* Without the old secret, the old signature is refused. */
    assert_int_equal(sign_verify(KAT_SIGNATURE, both, 1, KAT_ID, KAT_TIMESTAMP, KAT_BODY,
                                 strlen(KAT_BODY), KAT_NOW, 300),
                     SIGN_MISMATCH);
}

static void test_header_parse(void **state)
{
    unsigned char macs[SIGN_MAX_SIGNATURES][SIGN_MAC_LEN];
    (void)state;
    assert_int_equal(sign_header_parse(NULL, macs, SIGN_MAX_SIGNATURES), -1);
    assert_int_equal(sign_header_parse("", macs, SIGN_MAX_SIGNATURES), 0);
    assert_int_equal(sign_header_parse(KAT_SIGNATURE, macs, SIGN_MAX_SIGNATURES), 1);
    assert_int_equal(macs[0][0], 0x83);
    /* wrong lengths, bad characters, non-zero padding bits */
    assert_int_equal(sign_header_parse("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O==", macs,
                                       SIGN_MAX_SIGNATURES),
                     0);
    assert_int_equal(sign_header_parse("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", macs,
                                       SIGN_MAX_SIGNATURES),
                     0);
    assert_int_equal(sign_header_parse("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O*=", macs,
                                       SIGN_MAX_SIGNATURES),
                     0);
    assert_int_equal(sign_header_parse("v1,AAAA", macs, SIGN_MAX_SIGNATURES), 0);
    assert_int_equal(sign_header_parse("v1,", macs, SIGN_MAX_SIGNATURES), 0);
    /* at most max are read */
    char many[40 * 50];
    many[0] = '\0';
    for (int i = 0; i < 40; i++) {
        strcat(many, KAT_SIGNATURE);
        strcat(many, " ");
    }
    assert_int_equal(sign_header_parse(many, macs, SIGN_MAX_SIGNATURES), SIGN_MAX_SIGNATURES);
    assert_int_equal(sign_header_parse(many, macs, 2), 2);
    /* a header too long is refused whole */
    char *huge = malloc(SIGN_HEADER_MAX + 2);
    assert_non_null(huge);
    memset(huge, ' ', SIGN_HEADER_MAX + 1);
    huge[SIGN_HEADER_MAX + 1] = '\0';
    assert_int_equal(sign_header_parse(huge, macs, SIGN_MAX_SIGNATURES), -1);
    huge[SIGN_HEADER_MAX] = '\0';
    assert_int_equal(sign_header_parse(huge, macs, SIGN_MAX_SIGNATURES), 0);
    free(huge);
}

static void test_id_and_timestamp_rules(void **state)
{
    int64_t t;
    char sig[SIGN_SIGNATURE_SIZE];
    (void)state;
    assert_true(sign_id_ok(KAT_ID));
    assert_false(sign_id_ok(NULL));
    assert_false(sign_id_ok(""));
    assert_false(sign_id_ok("msg.1"));
    assert_false(sign_id_ok("msg 1"));
    assert_false(sign_id_ok("msg\x7f"));
    assert_false(sign_id_ok("msg\xc3\xa9"));
    char id[SIGN_ID_MAX + 2];
    memset(id, 'a', sizeof(id));
    id[SIGN_ID_MAX] = '\0';
    assert_true(sign_id_ok(id));
    id[SIGN_ID_MAX] = 'a';
    id[SIGN_ID_MAX + 1] = '\0';
    assert_false(sign_id_ok(id));

    assert_int_equal(sign_timestamp_parse("1614265330", &t), 0);
    assert_int_equal(t, KAT_NOW);
    assert_int_equal(sign_timestamp_parse("0", &t), 0);
    assert_int_equal(sign_timestamp_parse("", &t), -1);
    assert_int_equal(sign_timestamp_parse("1614265330.5", &t), -1);
    assert_int_equal(sign_timestamp_parse("-1614265330", &t), -1);
    assert_int_equal(sign_timestamp_parse("+1614265330", &t), -1);
    assert_int_equal(sign_timestamp_parse(" 1614265330", &t), -1);
    assert_int_equal(sign_timestamp_parse("1614265330 ", &t), -1);
    assert_int_equal(sign_timestamp_parse("999999999999999999", &t), 0);
    assert_int_equal(sign_timestamp_parse("9999999999999999999", &t), -1);

    /* An id or a timestamp holding '.' is refused even when signed (the
     * message would otherwise be ambiguous: "a.b" + "." + "c"). */
    assert_int_equal(
        sign_compute(kat_key, kat_len, "msg.1", KAT_TIMESTAMP, KAT_BODY, strlen(KAT_BODY), sig), 0);
    assert_int_equal(verify(sig, "msg.1", KAT_TIMESTAMP, KAT_BODY, KAT_NOW), SIGN_BAD_ID);
    assert_int_equal(
        sign_compute(kat_key, kat_len, KAT_ID, "1614265330.0", KAT_BODY, strlen(KAT_BODY), sig), 0);
    assert_int_equal(verify(sig, KAT_ID, "1614265330.0", KAT_BODY, KAT_NOW), SIGN_BAD_TIMESTAMP);
    assert_int_equal(verify(KAT_SIGNATURE, NULL, KAT_TIMESTAMP, KAT_BODY, KAT_NOW), SIGN_BAD_ID);
    assert_int_equal(verify(KAT_SIGNATURE, KAT_ID, NULL, KAT_BODY, KAT_NOW), SIGN_BAD_TIMESTAMP);
    assert_string_equal(sign_result_name(SIGN_MISMATCH), "mismatch");
    assert_string_equal(sign_result_name((enum sign_result)99), "unknown");
}

static void test_secret_text(void **state)
{
    unsigned char key[SIGN_SECRET_MAX], back[SIGN_SECRET_MAX];
    char text[SIGN_SECRET_TEXT_SIZE];
    size_t len;
    (void)state;
    /* round trip over every allowed length */
    for (size_t n = SIGN_SECRET_MIN; n <= SIGN_SECRET_MAX; n++) {
        assert_int_equal(sign_secret_generate(key, n), 0);
        assert_int_equal(sign_secret_format(key, n, text, sizeof(text)), 0);
        assert_memory_equal(text, "whsec_", 6);
        assert_int_equal(sign_secret_parse(text, back, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(back, key, n);
    }
    /* the specification's secret formats back to itself */
    assert_int_equal(sign_secret_format(kat_key, kat_len, text, sizeof(text)), 0);
    assert_string_equal(text, KAT_SECRET);
    /* refused: no prefix, too short, too long, bad base64, a buffer too small */
    assert_int_equal(sign_secret_parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", back, &len), -1);
    assert_int_equal(sign_secret_parse("whsec_", back, &len), -1);
    assert_int_equal(sign_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La", back, &len), -1);
    assert_int_equal(sign_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", back, &len), -1);
    assert_int_equal(sign_secret_parse(NULL, back, &len), -1);
    assert_int_equal(len, 0);
    memset(key, 7, sizeof(key));
    assert_int_equal(sign_secret_format(key, SIGN_SECRET_MAX, text, sizeof(text)), 0);
    assert_int_equal(strlen(text), SIGN_SECRET_TEXT_SIZE - 1);
    assert_int_equal(sign_secret_format(key, SIGN_SECRET_MAX, text, 20), -1);
    assert_string_equal(text, "");
    assert_int_equal(sign_secret_format(key, SIGN_SECRET_MIN - 1, text, sizeof(text)), -1);
    assert_int_equal(sign_secret_format(key, SIGN_SECRET_MAX + 1, text, sizeof(text)), -1);
    assert_int_equal(sign_secret_generate(key, SIGN_SECRET_MIN - 1), -1);
    assert_int_equal(sign_secret_generate(key, SIGN_SECRET_MAX + 1), -1);
    /* 88 characters are 66 bytes: refused; 86 + "==" are 64: accepted */
    char long_text[6 + 88 + 2];
    memcpy(long_text, "whsec_", 6);
    memset(long_text + 6, 'A', 88);
    long_text[6 + 88] = '\0';
    assert_int_equal(sign_secret_parse(long_text, back, &len), -1);
    memcpy(long_text + 6 + 86, "==", 3);
    assert_int_equal(sign_secret_parse(long_text, back, &len), 0);
    assert_int_equal(len, SIGN_SECRET_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_flipped_bits),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_several_signatures),
        cmocka_unit_test(test_several_secrets),
        cmocka_unit_test(test_header_parse),
        cmocka_unit_test(test_id_and_timestamp_rules),
        cmocka_unit_test(test_secret_text),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
