/*
 * fuzz_iban.c — libFuzzer target of relay/iban.c. The input is cut at its
 * first NUL: the part before is an IBAN as a user types it, the part after a
 * BIC.
 *
 * Invariants (abort() when broken):
 * - iban_validate is iban_normalise then iban_check, and leaves "" on error;
 * - a valid IBAN has its country's registry length, a country and a bank
 *   code, and its masked form;
 * - iban_mask shows the first 4 and last 4 characters (only the first 2
 *   below 12 characters) and nothing else, keeps the length, and refuses a
 *   buffer one byte too small;
 * - bic_normalise gives "" or a BIC that bic_check accepts, and leaves an
 *   already valid BIC as it is.
 */
#include <string.h>

#include "fuzz.h"
#include "iban.h"

/* The mask of s must show only what iban.h says it shows. */
static void check_mask(const char *s)
{
    size_t len = strlen(s);
    size_t size = len + 1;
    char *mask = malloc(size); /* exact size: ASan sees a write past it */
    size_t shown = 0;

    if (mask == NULL) {
        abort();
    }
    if (iban_mask(s, mask, size) == 0) {
        FUZZ_CHECK(len >= 4 && len <= IBAN_MAX);
        FUZZ_CHECK(strlen(mask) == len);
        for (size_t i = 0; i < len; i++) {
            if (mask[i] != '*') {
                FUZZ_CHECK(mask[i] == s[i]);
                shown++;
            }
        }
        FUZZ_CHECK(shown == (len >= 12 ? 8u : 2u)); /* s has no '*': iban_mask refuses it */
        /* iban.c says "at least 4 hidden characters whatever the length", but
         * iban.h's rule (4..11 characters keep their first 2) hides 2 of 4
         * and 3 of 5: the header is the contract. */
        FUZZ_CHECK(len - shown >= (len >= 6 ? 4u : len - 2));
        FUZZ_CHECK(strncmp(mask, s, len >= 12 ? 4 : 2) == 0);
        /* One byte short is refused, with "" left behind. */
        FUZZ_CHECK(iban_mask(s, mask, len) == -1 && mask[0] == '\0');
    } else {
        FUZZ_CHECK(mask[0] == '\0');
    }
    free(mask);
}

static void check_iban(const char *in)
{
    char out[IBAN_MAX + 1];
    char norm[IBAN_MAX + 1];
    char country[3];
    char bank[IBAN_BANK_CODE_MAX + 1];
    enum iban_error e = iban_validate(in, out);
    enum iban_error en = iban_normalise(in, norm);
    int n;

    FUZZ_CHECK(iban_error_message(e) != NULL);
    FUZZ_CHECK(e == (en == IBAN_OK ? iban_check(norm) : en));
    if (e != IBAN_OK) {
        FUZZ_CHECK(out[0] == '\0');
        check_mask(in);
        if (en == IBAN_OK) {
            check_mask(norm);
        }
        (void)iban_country_length(in);
        return;
    }
    FUZZ_CHECK(strcmp(out, norm) == 0);
    FUZZ_CHECK(iban_country(out, country) == 0 && memcmp(country, out, 2) == 0);
    FUZZ_CHECK(iban_country_length(country) == (int)strlen(out));
    n = iban_bank_code(out, bank, sizeof(bank));
    FUZZ_CHECK(n > 0 && n <= IBAN_BANK_CODE_MAX && (size_t)n == strlen(bank));
    FUZZ_CHECK(strstr(out + 4, bank) != NULL);
    FUZZ_CHECK(iban_bank_code(out, bank, (size_t)n) == -1);
    check_mask(out);
}

static void check_bic(const char *in)
{
    char out[BIC_MAX + 1];
    int rc = bic_normalise(in, out);

    if (rc != 0) {
        FUZZ_CHECK(rc == -1 && out[0] == '\0');
        FUZZ_CHECK(bic_check(in) != 0);
        return;
    }
    FUZZ_CHECK(bic_check(out) == 0);
    FUZZ_CHECK(strlen(out) == 8 || strlen(out) == BIC_MAX);
    if (bic_check(in) == 0) {
        FUZZ_CHECK(strcmp(in, out) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *iban;
    char *bic;

    fuzz_split(data, size, &iban, &bic);
    check_iban(iban);
    check_bic(bic);
    check_bic(iban); /* a BIC typed where the IBAN goes, and the other way */
    check_iban(bic);
    free(iban);
    free(bic);
    return 0;
}
