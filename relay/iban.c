/*
 * iban.c — IBAN and BIC checks; see iban.h. The country table is data from
 * the SWIFT IBAN Registry (release 102, June 2026).
 */
#include "iban.h"

#include <assert.h>
#include <string.h>

/*
 * One registry country: total IBAN length, where the bank identifier sits in
 * the BBAN (0-based offset, length), and the BBAN structure written as in the
 * registry without its '!' (every part of every country is fixed length):
 * runs of <count><class>, class n = digits, a = upper-case letters,
 * c = upper-case letters or digits.
 */
struct iban_spec {
    char code[3];
    unsigned char length;
    unsigned char bank_offset;
    unsigned char bank_length;
    const char *bban;
};

/* Sorted by code (iban_spec_find relies on it). */
static const struct iban_spec iban_specs[] = {
    {"AD", 24, 0, 4, "4n4n12c"},       /* Andorra */
    {"AE", 23, 0, 3, "3n16n"},         /* United Arab Emirates (The) */
    {"AL", 28, 0, 3, "8n16c"},         /* Albania */
    {"AT", 20, 0, 5, "5n11n"},         /* Austria */
    {"AZ", 28, 0, 4, "4a20c"},         /* Azerbaijan */
    {"BA", 20, 0, 3, "3n3n8n2n"},      /* Bosnia and Herzegovina */
    {"BE", 16, 0, 3, "3n7n2n"},        /* Belgium */
    {"BG", 22, 0, 4, "4a4n2n8c"},      /* Bulgaria */
    {"BH", 22, 0, 4, "4a14c"},         /* Bahrain */
    {"BI", 27, 0, 5, "5n5n11n2n"},     /* Burundi */
    {"BR", 29, 0, 8, "8n5n10n1a1c"},   /* Brazil */
    {"BY", 28, 0, 4, "4c4n16c"},       /* Belarus */
    {"CH", 21, 0, 5, "5n12c"},         /* Switzerland */
    {"CR", 22, 0, 4, "4n14n"},         /* Costa Rica */
    {"CY", 28, 0, 3, "3n5n16c"},       /* Cyprus */
    {"CZ", 24, 0, 4, "4n16n"},         /* Czechia */
    {"DE", 22, 0, 8, "8n10n"},         /* Germany */
    {"DJ", 27, 0, 5, "5n5n11n2n"},     /* Djibouti */
    {"DK", 18, 0, 4, "4n9n1n"},        /* Denmark */
    {"DO", 28, 0, 4, "4c20n"},         /* Dominican Republic */
    {"EE", 20, 0, 2, "2n14n"},         /* Estonia */
    {"EG", 29, 0, 4, "4n4n17n"},       /* Egypt */
    {"ES", 24, 0, 4, "4n4n1n1n10n"},   /* Spain */
    {"FI", 18, 0, 3, "3n11n"},         /* Finland */
    {"FK", 18, 0, 2, "2a12n"},         /* Falkland Islands (Malvinas) */
    {"FO", 18, 0, 4, "4n9n1n"},        /* Faroe Islands */
    {"FR", 27, 0, 5, "5n5n11c2n"},     /* France */
    {"GB", 22, 0, 4, "4a6n8n"},        /* United Kingdom */
    {"GE", 22, 0, 2, "2a16n"},         /* Georgia */
    {"GI", 23, 0, 4, "4a15c"},         /* Gibraltar */
    {"GL", 18, 0, 4, "4n9n1n"},        /* Greenland */
    {"GR", 27, 0, 3, "3n4n16c"},       /* Greece */
    {"GT", 28, 0, 4, "4c20c"},         /* Guatemala */
    {"HN", 28, 0, 4, "4a20n"},         /* Honduras */
    {"HR", 21, 0, 7, "7n10n"},         /* Croatia */
    {"HU", 28, 0, 3, "3n4n1n15n1n"},   /* Hungary */
    {"IE", 22, 0, 4, "4a6n8n"},        /* Ireland */
    {"IL", 23, 0, 3, "3n3n13n"},       /* Israel */
    {"IQ", 23, 0, 4, "4a3n12n"},       /* Iraq */
    {"IS", 26, 0, 2, "4n2n6n10n"},     /* Iceland */
    {"IT", 27, 1, 5, "1a5n5n12c"},     /* Italy */
    {"JO", 30, 0, 4, "4a4n18c"},       /* Jordan */
    {"KW", 30, 0, 4, "4a22c"},         /* Kuwait */
    {"KZ", 20, 0, 3, "3n13c"},         /* Kazakhstan */
    {"LB", 28, 0, 4, "4n20c"},         /* Lebanon */
    {"LC", 32, 0, 4, "4a24c"},         /* Saint Lucia */
    {"LI", 21, 0, 5, "5n12c"},         /* Liechtenstein */
    {"LT", 20, 0, 5, "5n11n"},         /* Lithuania */
    {"LU", 20, 0, 3, "3n13c"},         /* Luxembourg */
    {"LV", 21, 0, 4, "4a13c"},         /* Latvia */
    {"LY", 25, 0, 3, "3n3n15n"},       /* Libya */
    {"MC", 27, 0, 5, "5n5n11c2n"},     /* Monaco */
    {"MD", 24, 0, 2, "2c18c"},         /* Moldova, Republic of */
    {"ME", 22, 0, 3, "3n13n2n"},       /* Montenegro */
    {"MK", 19, 0, 3, "3n10c2n"},       /* North Macedonia */
    {"MN", 20, 0, 4, "4n12n"},         /* Mongolia */
    {"MR", 27, 0, 5, "5n5n11n2n"},     /* Mauritania */
    {"MT", 31, 0, 4, "4a5n18c"},       /* Malta */
    {"MU", 30, 0, 6, "4a2n2n12n3n3a"}, /* Mauritius */
    {"NI", 28, 0, 4, "4a20n"},         /* Nicaragua */
    {"NL", 18, 0, 4, "4a10n"},         /* Netherlands (The) */
    {"NO", 15, 0, 4, "4n6n1n"},        /* Norway */
    {"OM", 23, 0, 3, "3n16c"},         /* Oman */
    {"PK", 24, 0, 4, "4a16c"},         /* Pakistan */
    {"PL", 28, 0, 8, "8n16n"},         /* Poland */
    {"PS", 29, 0, 4, "4a21c"},         /* Palestine, State of */
    {"PT", 25, 0, 4, "4n4n11n2n"},     /* Portugal */
    {"QA", 29, 0, 4, "4a21c"},         /* Qatar */
    {"RO", 24, 0, 4, "4a16c"},         /* Romania */
    {"RS", 22, 0, 3, "3n13n2n"},       /* Serbia */
    {"RU", 33, 0, 9, "9n5n15c"},       /* Russian Federation */
    {"SA", 24, 0, 2, "2n18c"},         /* Saudi Arabia */
    {"SC", 31, 0, 6, "4a2n2n16n3a"},   /* Seychelles */
    {"SD", 18, 0, 2, "2n12n"},         /* Sudan */
    {"SE", 24, 0, 3, "3n16n1n"},       /* Sweden */
    {"SI", 19, 0, 5, "5n8n2n"},        /* Slovenia */
    {"SK", 24, 0, 4, "4n6n10n"},       /* Slovakia */
    {"SM", 27, 1, 5, "1a5n5n12c"},     /* San Marino */
    {"SO", 23, 0, 4, "4n3n12n"},       /* Somalia */
    {"ST", 25, 0, 4, "4n4n11n2n"},     /* Sao Tome and Principe */
    {"SV", 28, 0, 4, "4a20n"},         /* El Salvador */
    {"TL", 23, 0, 3, "3n14n2n"},       /* Timor-Leste */
    {"TN", 24, 0, 2, "2n3n13n2n"},     /* Tunisia */
    {"TR", 26, 0, 5, "5n1n16c"},       /* Turkiye */
    {"UA", 29, 0, 6, "6n19c"},         /* Ukraine */
    {"VA", 22, 0, 3, "3n15n"},         /* Holy See */
    {"VG", 24, 0, 4, "4a16n"},         /* Virgin Islands (British) */
    {"XK", 20, 0, 2, "4n10n2n"},       /* Kosovo */
    {"YE", 30, 0, 4, "4a4n18c"},       /* Yemen */
};

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_upper_alnum(char c)
{
    return is_upper(c) || is_digit(c);
}

static void clear_out(char *out, size_t out_size)
{
    if (out != NULL && out_size > 0) {
        out[0] = '\0';
    }
}

/* Binary search on the two letters; NULL when not a registry country. */
static const struct iban_spec *iban_spec_find(const char *s)
{
    size_t lo = 0;
    size_t hi = RELAY_ARRAY_LEN(iban_specs);

    if (s == NULL || !is_upper(s[0]) || !is_upper(s[1])) {
        return NULL;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = memcmp(s, iban_specs[mid].code, 2);

        if (cmp == 0) {
            return &iban_specs[mid];
        }
        if (cmp < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

/*
 * Does `bban` (exactly as long as the structure says: the caller checked the
 * total length) follow the structure? A malformed structure string would be
 * a bug in the table above, which the unit tests run every country through.
 */
static int bban_matches(const char *bban, const char *structure)
{
    const char *s = structure;
    size_t pos = 0;

    while (*s != '\0') {
        unsigned count = 0;
        char cls;

        while (is_digit(*s)) {
            count = count * 10 + (unsigned)(*s - '0');
            s++;
        }
        cls = *s++;
        assert(count > 0 && (cls == 'n' || cls == 'a' || cls == 'c'));
        for (unsigned i = 0; i < count; i++, pos++) {
            char c = bban[pos];
            int ok;

            if (cls == 'n') {
                ok = is_digit(c);
            } else if (cls == 'a') {
                ok = is_upper(c);
            } else {
                ok = is_upper_alnum(c);
            }
            if (!ok) {
                return 0;
            }
        }
    }
    return bban[pos] == '\0';
}

/* Fold one character into a running MOD 97-10 remainder: digits weigh one
 * decimal place, letters (A = 10 ... Z = 35) two. The remainder stays below
 * 97, so r * 100 + 35 fits any unsigned: no big numbers needed. */
static unsigned mod97_step(unsigned r, char c)
{
    if (is_digit(c)) {
        return (r * 10 + (unsigned)(c - '0')) % 97;
    }
    return (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
}

/* ISO 13616: move the first four characters to the end, then MOD 97-10. */
static unsigned iban_mod97(const char *iban, size_t len)
{
    unsigned r = 0;

    for (size_t i = 4; i < len; i++) {
        r = mod97_step(r, iban[i]);
    }
    for (size_t i = 0; i < 4; i++) {
        r = mod97_step(r, iban[i]);
    }
    return r;
}

enum iban_error iban_normalise(const char *in, char out[IBAN_MAX + 1])
{
    size_t n = 0;

    assert(out != NULL);
    out[0] = '\0';
    if (in == NULL) {
        return IBAN_EMPTY;
    }
    for (const char *p = in; *p != '\0'; p++) {
        char c = *p;

        if (c == ' ') {
            continue;
        }
        if (is_lower(c)) {
            c = (char)(c - 'a' + 'A');
        } else if (!is_upper_alnum(c)) {
            out[0] = '\0';
            return IBAN_BAD_CHAR;
        }
        if (n == IBAN_MAX) {
            out[0] = '\0';
            return IBAN_TOO_LONG;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return n == 0 ? IBAN_EMPTY : IBAN_OK;
}

enum iban_error iban_check(const char *normalised)
{
    const struct iban_spec *spec;
    size_t len;

    if (normalised == NULL || normalised[0] == '\0') {
        return IBAN_EMPTY;
    }
    len = strnlen(normalised, IBAN_MAX + 1);
    if (len > IBAN_MAX) {
        return IBAN_TOO_LONG;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_upper_alnum(normalised[i])) {
            return IBAN_BAD_CHAR;
        }
    }
    spec = iban_spec_find(normalised);
    if (spec == NULL) {
        return IBAN_UNKNOWN_COUNTRY;
    }
    if (len != spec->length) {
        return IBAN_BAD_LENGTH;
    }
    if (!is_digit(normalised[2]) || !is_digit(normalised[3])) {
        return IBAN_BAD_FORMAT;
    }
    if (!bban_matches(normalised + 4, spec->bban)) {
        return IBAN_BAD_FORMAT;
    }
    /* Computed check digits are 98 - remainder, so 02..98: ISO 13616 rules
     * out 00, 01 and 99 even where 99 would fold to the same remainder as 02. */
    if (memcmp(normalised + 2, "00", 2) == 0 || memcmp(normalised + 2, "01", 2) == 0 ||
        memcmp(normalised + 2, "99", 2) == 0) {
        return IBAN_BAD_CHECKSUM;
    }
    if (iban_mod97(normalised, len) != 1) {
        return IBAN_BAD_CHECKSUM;
    }
    return IBAN_OK;
}

enum iban_error iban_validate(const char *in, char out[IBAN_MAX + 1])
{
    enum iban_error e = iban_normalise(in, out);

    if (e == IBAN_OK) {
        e = iban_check(out);
    }
    if (e != IBAN_OK) {
        out[0] = '\0';
    }
    return e;
}

const char *iban_error_message(enum iban_error e)
{
    switch (e) {
    case IBAN_OK:
        return "valid IBAN";
    case IBAN_EMPTY:
        return "IBAN is missing";
    case IBAN_TOO_LONG:
        return "IBAN is longer than 34 characters";
    case IBAN_BAD_CHAR:
        return "IBAN may only contain letters, digits and spaces";
    case IBAN_UNKNOWN_COUNTRY:
        return "IBAN country code is unknown";
    case IBAN_BAD_LENGTH:
        return "IBAN has the wrong length for its country";
    case IBAN_BAD_FORMAT:
        return "IBAN does not follow its country's format";
    case IBAN_BAD_CHECKSUM:
        return "IBAN check digits do not match (typing error?)";
    }
    return "invalid IBAN";
}

int iban_country_length(const char *country)
{
    const struct iban_spec *spec;

    if (country == NULL || strnlen(country, 3) != 2) {
        return -1;
    }
    spec = iban_spec_find(country);
    return spec == NULL ? -1 : (int)spec->length;
}

int iban_bank_code(const char *normalised, char *out, size_t out_size)
{
    const struct iban_spec *spec;

    clear_out(out, out_size);
    if (out == NULL || iban_check(normalised) != IBAN_OK) {
        return -1;
    }
    spec = iban_spec_find(normalised);
    assert(spec != NULL);
    if (out_size < (size_t)spec->bank_length + 1) {
        return -1;
    }
    memcpy(out, normalised + 4 + spec->bank_offset, spec->bank_length);
    out[spec->bank_length] = '\0';
    return (int)spec->bank_length;
}

int iban_country(const char *normalised, char out[3])
{
    assert(out != NULL);
    out[0] = '\0';
    if (iban_spec_find(normalised) == NULL) {
        return -1;
    }
    out[0] = normalised[0];
    out[1] = normalised[1];
    out[2] = '\0';
    return 0;
}

int iban_mask(const char *normalised, char *out, size_t out_size)
{
    size_t len;
    size_t keep_head;
    size_t keep_tail;

    clear_out(out, out_size);
    if (normalised == NULL || out == NULL) {
        return -1;
    }
    len = strnlen(normalised, IBAN_MAX + 1);
    if (len < 4 || len > IBAN_MAX || out_size < len + 1) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_upper_alnum(normalised[i])) {
            return -1;
        }
    }
    /* At least 4 hidden characters whatever the length. */
    if (len >= 12) {
        keep_head = 4;
        keep_tail = 4;
    } else {
        keep_head = 2;
        keep_tail = 0;
    }
    for (size_t i = 0; i < len; i++) {
        out[i] = (i < keep_head || i >= len - keep_tail) ? normalised[i] : '*';
    }
    out[len] = '\0';
    return 0;
}

int bic_check(const char *in)
{
    size_t len;

    if (in == NULL) {
        return -1;
    }
    len = strnlen(in, BIC_MAX + 1);
    if (len != 8 && len != 11) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        int ok = i < 6 ? is_upper(in[i]) : is_upper_alnum(in[i]);

        if (!ok) {
            return -1;
        }
    }
    return 0;
}

int bic_normalise(const char *in, char out[BIC_MAX + 1])
{
    size_t n = 0;

    assert(out != NULL);
    out[0] = '\0';
    if (in == NULL) {
        return -1;
    }
    for (const char *p = in; *p != '\0'; p++) {
        char c = *p;

        if (c == ' ') {
            continue;
        }
        if (n == BIC_MAX) {
            out[0] = '\0';
            return -1;
        }
        out[n++] = is_lower(c) ? (char)(c - 'a' + 'A') : c;
    }
    out[n] = '\0';
    if (bic_check(out) != 0) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}
