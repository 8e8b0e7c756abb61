/*
 * test_iban.c — unit tests of relay/iban.c: the SWIFT registry examples of
 * every country, normalisation, lengths, BBAN structures, check digits,
 * bank identifiers, masking and BIC shapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iban.h"

/* Print format, electronic format and bank identifier of the example IBAN of
 * every country of the SWIFT IBAN Registry (release 102). */
static const struct {
    const char *print;
    const char *electronic;
    const char *bank;
} registry_examples[] = {
    {"AD12 0001 2030 2003 5910 0100", "AD1200012030200359100100", "0001"},
    {"AE07 0331 2345 6789 0123 456", "AE070331234567890123456", "033"},
    {"AL47 2121 1009 0000 0002 3569 8741", "AL47212110090000000235698741", "212"},
    {"AT61 1904 3002 3457 3201", "AT611904300234573201", "19043"},
    {"AZ21 NABZ 0000 0000 1370 1000 1944", "AZ21NABZ00000000137010001944", "NABZ"},
    {"BA39 1290 0794 0102 8494", "BA391290079401028494", "129"},
    {"BE68 5390 0754 7034", "BE68539007547034", "539"},
    {"BG80 BNBG 9661 1020 3456 78", "BG80BNBG96611020345678", "BNBG"},
    {"BH67 BMAG 0000 1299 1234 56", "BH67BMAG00001299123456", "BMAG"},
    {"BI42 10000 10001 00003320451 81", "BI4210000100010000332045181", "10000"},
    {"BR18 0036 0305 0000 1000 9795 493C 1", "BR1800360305000010009795493C1", "00360305"},
    {"BY13 NBRB 3600 9000 0000 2Z00 AB00", "BY13NBRB3600900000002Z00AB00", "NBRB"},
    {"CH93 0076 2011 6238 5295 7", "CH9300762011623852957", "00762"},
    {"CR05 0152 0200 1026 2840 66", "CR05015202001026284066", "0152"},
    {"CY17 0020 0128 0000 0012 0052 7600", "CY17002001280000001200527600", "002"},
    {"CZ65 0800 0000 1920 0014 5399", "CZ6508000000192000145399", "0800"},
    {"DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "37040044"},
    {"DJ21 0001 0000 0001 5400 0100 186", "DJ2100010000000154000100186", "00010"},
    {"DK50 0040 0440 1162 43", "DK5000400440116243", "0040"},
    {"DO28 BAGR 0000 0001 2124 5361 1324", "DO28BAGR00000001212453611324", "BAGR"},
    {"EE38 2200 2210 2014 5685", "EE382200221020145685", "22"},
    {"EG38 0019 0005 0000 0000 2631 8000 2", "EG380019000500000000263180002", "0019"},
    {"ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332", "2100"},
    {"FI21 1234 5600 0007 85", "FI2112345600000785", "123"},
    {"FK88 SC12 3456 7890 12", "FK88SC123456789012", "SC"},
    {"FO62 6460 0001 6316 34", "FO6264600001631634", "6460"},
    {"FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606", "20041"},
    {"GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819", "NWBK"},
    {"GE29 NB00 0000 0101 9049 17", "GE29NB0000000101904917", "NB"},
    {"GI75 NWBK 0000 0000 7099 453", "GI75NWBK000000007099453", "NWBK"},
    {"GL89 6471 0001 0002 06", "GL8964710001000206", "6471"},
    {"GR16 0110 1250 0000 0001 2300 695", "GR1601101250000000012300695", "011"},
    {"GT82 TRAJ 0102 0000 0012 1002 9690", "GT82TRAJ01020000001210029690", "TRAJ"},
    {"HN88 CABF 0000 0000 0002 5000 5469", "HN88CABF00000000000250005469", "CABF"},
    {"HR12 1001 0051 8630 0016 0", "HR1210010051863000160", "1001005"},
    {"HU42 1177 3016 1111 1018 0000 0000", "HU42117730161111101800000000", "117"},
    {"IE29 AIBK 9311 5212 3456 78", "IE29AIBK93115212345678", "AIBK"},
    {"IL62 0108 0000 0009 9999 999", "IL620108000000099999999", "010"},
    {"IQ98 NBIQ 8501 2345 6789 012", "IQ98NBIQ850123456789012", "NBIQ"},
    {"IS14 0159 2600 7654 5510 7303 39", "IS140159260076545510730339", "01"},
    {"IT60 X054 2811 1010 0000 0123 456", "IT60X0542811101000000123456", "05428"},
    {"JO94 CBJO 0010 0000 0000 0131 0003 02", "JO94CBJO0010000000000131000302", "CBJO"},
    {"KW81 CBKU 0000 0000 0000 1234 5601 01", "KW81CBKU0000000000001234560101", "CBKU"},
    {"KZ86 125K ZT50 0410 0100", "KZ86125KZT5004100100", "125"},
    {"LB62 0999 0000 0001 0019 0122 9114", "LB62099900000001001901229114", "0999"},
    {"LC55 HEMM 0001 0001 0012 0012 0002 3015", "LC55HEMM000100010012001200023015", "HEMM"},
    {"LI21 0881 0000 2324 013A A", "LI21088100002324013AA", "08810"},
    {"LT12 1000 0111 0100 1000", "LT121000011101001000", "10000"},
    {"LU28 0019 4006 4475 0000", "LU280019400644750000", "001"},
    {"LV80 BANK 0000 4351 9500 1", "LV80BANK0000435195001", "BANK"},
    {"LY83 002 048 000020100120361", "LY83002048000020100120361", "002"},
    {"MC58 1122 2000 0101 2345 6789 030", "MC5811222000010123456789030", "11222"},
    {"MD24 AG00 0225 1000 1310 4168", "MD24AG000225100013104168", "AG"},
    {"ME25 5050 0001 2345 6789 51", "ME25505000012345678951", "505"},
    {"MK07 2501 2000 0058 984", "MK07250120000058984", "250"},
    {"MN12 1234 1234 5678 9123", "MN121234123456789123", "1234"},
    {"MR13 0002 0001 0100 0012 3456 753", "MR1300020001010000123456753", "00020"},
    {"MT84 MALT 0110 0001 2345 MTLC AST0 01S", "MT84MALT011000012345MTLCAST001S", "MALT"},
    {"MU17 BOMM 0101 1010 3030 0200 000M UR", "MU17BOMM0101101030300200000MUR", "BOMM01"},
    {"NI45 BAPR 0000 0013 0000 0355 8124", "NI45BAPR00000013000003558124", "BAPR"},
    {"NL91 ABNA 0417 1643 00", "NL91ABNA0417164300", "ABNA"},
    {"NO93 8601 1117 947", "NO9386011117947", "8601"},
    {"OM81 0180 0000 0129 9123 456", "OM810180000001299123456", "018"},
    {"PK36 SCBL 0000 0011 2345 6702", "PK36SCBL0000001123456702", "SCBL"},
    {"PL61 1090 1014 0000 0712 1981 2874", "PL61109010140000071219812874", "10901014"},
    {"PS92 PALS 0000 0000 0400 1234 5670 2", "PS92PALS000000000400123456702", "PALS"},
    {"PT50 0002 0123 1234 5678 9015 4", "PT50000201231234567890154", "0002"},
    {"QA58 DOHB 0000 1234 5678 90AB CDEF G", "QA58DOHB00001234567890ABCDEFG", "DOHB"},
    {"RO49 AAAA 1B31 0075 9384 0000", "RO49AAAA1B31007593840000", "AAAA"},
    {"RS35 2600 0560 1001 6113 79", "RS35260005601001611379", "260"},
    {"RU03 0445 2522 5408 1781 0538 0913 1041 9", "RU0304452522540817810538091310419", "044525225"},
    {"SA03 8000 0000 6080 1016 7519", "SA0380000000608010167519", "80"},
    {"SC18 SSCB 1101 0000 0000 0000 1497 USD", "SC18SSCB11010000000000001497USD", "SSCB11"},
    {"SD21 2901 0501 2340 01", "SD2129010501234001", "29"},
    {"SE45 5000 0000 0583 9825 7466", "SE4550000000058398257466", "500"},
    {"SI56 2633 0001 2039 086", "SI56263300012039086", "26330"},
    {"SK31 1200 0000 1987 4263 7541", "SK3112000000198742637541", "1200"},
    {"SM86 U032 2509 8000 0000 0270 100", "SM86U0322509800000000270100", "03225"},
    {"SO21 1000 0010 0100 0100 141", "SO211000001001000100141", "1000"},
    {"ST23 0001 0001 0051 8453 1014 6", "ST23000100010051845310146", "0001"},
    {"SV 62 CENR 00000000000000700025", "SV62CENR00000000000000700025", "CENR"},
    {"TL38 0080 0123 4567 8910 157", "TL380080012345678910157", "008"},
    {"TN59 1000 6035 1835 9847 8831", "TN5910006035183598478831", "10"},
    {"TR33 0006 1005 1978 6457 8413 26", "TR330006100519786457841326", "00061"},
    {"UA21 3223 1300 0002 6007 2335 6600 1", "UA213223130000026007233566001", "322313"},
    {"VA59 001 1230 0001 2345 678", "VA59001123000012345678", "001"},
    {"VG96 VPVG 0000 0123 4567 8901", "VG96VPVG0000012345678901", "VPVG"},
    {"XK05 1212 0123 4567 8906", "XK051212012345678906", "12"},
    {"YE15 CBYE 0001 0188 6123 4567 8912 34", "YE15CBYE0001018861234567891234", "CBYE"},
};

/*
 * MOD 97-10 written independently of the module (whole-number arithmetic on
 * the expanded digit string, chunk by chunk), so that a test can prove its own
 * premise: "this IBAN passes the checksum, yet must be refused".
 */
static int test_mod97(const char *iban)
{
    char digits[80];
    size_t n = 0;
    size_t len = strlen(iban);
    unsigned long long r = 0;

    for (size_t k = 0; k < len; k++) {
        char c = iban[(k + 4) % len];

        if (c >= '0' && c <= '9') {
            digits[n++] = c;
        } else {
            int v = c - 'A' + 10;

            digits[n++] = (char)('0' + v / 10);
            digits[n++] = (char)('0' + v % 10);
        }
    }
    for (size_t k = 0; k < n; k += 9) {
        for (size_t j = k; j < k + 9 && j < n; j++) {
            r = r * 10 + (unsigned long long)(digits[j] - '0');
        }
        r %= 97;
    }
    return (int)r;
}

static void test_registry_examples_validate(void **state)
{
    (void)state;
    assert_int_equal(RELAY_ARRAY_LEN(registry_examples), 89);
    for (size_t i = 0; i < RELAY_ARRAY_LEN(registry_examples); i++) {
        char out[IBAN_MAX + 1];
        const char *e = registry_examples[i].electronic;

        assert_int_equal(iban_check(e), IBAN_OK);
        assert_int_equal(iban_validate(registry_examples[i].print, out), IBAN_OK);
        assert_string_equal(out, e);
        assert_int_equal(iban_country_length((const char[3]){e[0], e[1], '\0'}), (int)strlen(e));
    }
}

static void test_registry_bank_codes(void **state)
{
    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(registry_examples); i++) {
        char bank[IBAN_BANK_CODE_MAX + 1];
        const char *want = registry_examples[i].bank;

        assert_int_equal(iban_bank_code(registry_examples[i].electronic, bank, sizeof(bank)),
                         (int)strlen(want));
        assert_string_equal(bank, want);
    }
}

/* The bank identifiers the relay's bank directory is keyed on. */
static void test_bank_code_main_countries(void **state)
{
    static const struct {
        const char *iban;
        const char *bank;
    } cases[] = {
        {"FR7630006000011234567890189", "30006"},
        {"MC5811222000010123456789030", "11222"},
        {"DE89370400440532013000", "37040044"},
        {"BE68539007547034", "539"},
        {"ES9121000418450200051332", "2100"},
        {"IT60X0542811101000000123456", "05428"}, /* after the CIN letter */
        {"NL91ABNA0417164300", "ABNA"},
        {"LU280019400644750000", "001"},
        {"GB82WEST12345698765432", "WEST"},
        {"CH9300762011623852957", "00762"},
        {"PT50000201231234567890154", "0002"},
        {"IE29AIBK93115212345678", "AIBK"},
    };
    char bank[IBAN_BANK_CODE_MAX + 1];

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(cases); i++) {
        assert_int_equal(iban_bank_code(cases[i].iban, bank, sizeof(bank)),
                         (int)strlen(cases[i].bank));
        assert_string_equal(bank, cases[i].bank);
    }
}

static void test_bank_code_refusals(void **state)
{
    char bank[IBAN_BANK_CODE_MAX + 1];
    char small[8];

    (void)state;
    /* Invalid IBAN: no bank code, output emptied. */
    memset(bank, 'x', sizeof(bank));
    assert_int_equal(iban_bank_code("FR7630006000011234567890188", bank, sizeof(bank)), -1);
    assert_string_equal(bank, "");
    assert_int_equal(iban_bank_code("fr7630006000011234567890189", bank, sizeof(bank)), -1);
    assert_int_equal(iban_bank_code(NULL, bank, sizeof(bank)), -1);
    /* Buffer too small for 8 digits + NUL. */
    assert_int_equal(iban_bank_code("DE89370400440532013000", small, sizeof(small)), -1);
    assert_string_equal(small, "");
    /* Exactly large enough. */
    assert_int_equal(iban_bank_code("DE89370400440532013000", bank, 9), 8);
    assert_string_equal(bank, "37040044");
    assert_int_equal(iban_bank_code("DE89370400440532013000", NULL, 0), -1);
}

static void test_normalise_spaces_and_case(void **state)
{
    char out[IBAN_MAX + 1];

    (void)state;
    assert_int_equal(iban_validate("fr76 3000 6000 0112 3456 7890 189", out), IBAN_OK);
    assert_string_equal(out, "FR7630006000011234567890189");
    assert_int_equal(iban_validate("  De89 3704 0044 0532 0130 00  ", out), IBAN_OK);
    assert_string_equal(out, "DE89370400440532013000");
    assert_int_equal(iban_validate("gb82west12345698765432", out), IBAN_OK);
    assert_string_equal(out, "GB82WEST12345698765432");
    assert_int_equal(iban_validate("B E 6 8 5 3 9 0 0 7 5 4 7 0 3 4", out), IBAN_OK);
    assert_string_equal(out, "BE68539007547034");

    /* Normalise alone does not validate. */
    assert_int_equal(iban_normalise("zz00 abc", out), IBAN_OK);
    assert_string_equal(out, "ZZ00ABC");
}

static void test_normalise_refusals(void **state)
{
    char out[IBAN_MAX + 1];
    char long_in[64];

    (void)state;
    assert_int_equal(iban_normalise(NULL, out), IBAN_EMPTY);
    assert_int_equal(iban_normalise("", out), IBAN_EMPTY);
    assert_int_equal(iban_normalise("     ", out), IBAN_EMPTY);
    assert_string_equal(out, "");

    /* Only ASCII spaces are removed. */
    memset(out, 'x', sizeof(out));
    assert_int_equal(iban_normalise("FR76-3000-6000-0112-3456-7890-189", out), IBAN_BAD_CHAR);
    assert_string_equal(out, "");
    assert_int_equal(iban_normalise("FR76\t3000", out), IBAN_BAD_CHAR);
    assert_int_equal(iban_normalise("FR76\xc2\xa0"
                                    "3000",
                                    out),
                     IBAN_BAD_CHAR);
    assert_int_equal(iban_normalise("FR76.3000", out), IBAN_BAD_CHAR);
    assert_int_equal(iban_normalise("FR76\n", out), IBAN_BAD_CHAR);
    assert_int_equal(iban_normalise("\xc3\x89S91", out), IBAN_BAD_CHAR);

    /* 34 characters fit, 35 do not, however many spaces surround them. */
    memset(long_in, 'A', 34);
    long_in[34] = '\0';
    assert_int_equal(iban_normalise(long_in, out), IBAN_OK);
    assert_int_equal(strlen(out), 34);
    long_in[34] = 'A';
    long_in[35] = '\0';
    assert_int_equal(iban_normalise(long_in, out), IBAN_TOO_LONG);
    assert_string_equal(out, "");
    assert_int_equal(iban_normalise("  AAAA AAAA AAAA AAAA AAAA AAAA AAAA AAAA AA  ", out),
                     IBAN_OK);
    assert_int_equal(strlen(out), 34);
    assert_int_equal(iban_normalise("AAAA AAAA AAAA AAAA AAAA AAAA AAAA AAAA AAA", out),
                     IBAN_TOO_LONG);
}

static void test_check_order_and_basics(void **state)
{
    char out[IBAN_MAX + 1];

    (void)state;
    assert_int_equal(iban_check(NULL), IBAN_EMPTY);
    assert_int_equal(iban_check(""), IBAN_EMPTY);
    assert_int_equal(iban_check("FR7630006000011234567890189000000000"), IBAN_TOO_LONG);
    /* iban_check wants normalised input. */
    assert_int_equal(iban_check("fr7630006000011234567890189"), IBAN_BAD_CHAR);
    assert_int_equal(iban_check("FR76 3000 6000 0112 3456 7890 189"), IBAN_BAD_CHAR);
    /* Not registry countries, including territories that use FR/GB IBANs. */
    assert_int_equal(iban_check("US64SVBKUS6S3300958879"), IBAN_UNKNOWN_COUNTRY);
    assert_int_equal(iban_check("GP7630006000011234567890189"), IBAN_UNKNOWN_COUNTRY);
    assert_int_equal(iban_check("JE82WEST12345698765432"), IBAN_UNKNOWN_COUNTRY);
    assert_int_equal(iban_check("7630006000011234567890189"), IBAN_UNKNOWN_COUNTRY);
    assert_int_equal(iban_check("F"), IBAN_UNKNOWN_COUNTRY);
    assert_int_equal(iban_validate("us64 svbk us6s 3300 9588 79", out), IBAN_UNKNOWN_COUNTRY);
    assert_string_equal(out, "");
    /* Check digits must be digits. */
    assert_int_equal(iban_check("FRAB30006000011234567890189"), IBAN_BAD_FORMAT);
    assert_int_equal(iban_check("FR"), IBAN_BAD_LENGTH);
}

/* Wrong lengths whose check digits were recomputed, so MOD 97 passes. */
static void test_wrong_length_valid_checksum(void **state)
{
    static const char *const cases[] = {
        "DE543704004405320130001",      /* 23: one digit too many */
        "DE5137040044053201300",        /* 21: one digit short */
        "FR49300060000112345678901891", /* 28 */
        "BE705390075470341",            /* 17 */
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(cases); i++) {
        assert_int_equal(test_mod97(cases[i]), 1);
        assert_int_equal(iban_check(cases[i]), IBAN_BAD_LENGTH);
    }
}

/*
 * A letter where the registry wants digits (or the reverse), check digits
 * recomputed so that MOD 97 passes: only the BBAN structure refuses these.
 */
static void test_substitution_passing_mod97(void **state)
{
    static const char *const cases[] = {
        "FR2230O06000011234567890189", /* letter O in the 5n bank code */
        "DE1537040044053201300O",      /* letter O in the 10n account */
        "NL52ABN40417164300",          /* digit 4 in the 4a bank code */
        "NL54ABNA041716430A",          /* letter in the 10n account */
        "GB49WEST1234569876543L",      /* letter in the 8n account */
        "IT4960542811101000000123456", /* digit where the 1a CIN letter goes */
        "CH37A0762011623852957",       /* letter in the 5n bank code */
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(cases); i++) {
        assert_int_equal(test_mod97(cases[i]), 1);
        assert_int_equal(iban_check(cases[i]), IBAN_BAD_FORMAT);
    }
    /* The same kind of letter is fine where the structure allows one (12c). */
    assert_int_equal(test_mod97("CH920076201162385295A"), 1);
    assert_int_equal(iban_check("CH920076201162385295A"), IBAN_OK);
    /* And the French RIB account part is 11c. */
    assert_int_equal(iban_check("FR1420041010050500013M02606"), IBAN_OK);
}

static void test_checksum_detects_typing_errors(void **state)
{
    static const char *const valid[] = {
        "FR7630006000011234567890189",
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "IT60X0542811101000000123456",
    };

    (void)state;
    assert_int_equal(iban_check("FR7630006000011234567890188"), IBAN_BAD_CHECKSUM);
    assert_int_equal(iban_check("FR7730006000011234567890189"), IBAN_BAD_CHECKSUM);
    for (size_t v = 0; v < RELAY_ARRAY_LEN(valid); v++) {
        char buf[IBAN_MAX + 1];
        size_t len = strlen(valid[v]);

        /* Every single-digit substitution, check digits included. */
        for (size_t i = 2; i < len; i++) {
            if (valid[v][i] < '0' || valid[v][i] > '9') {
                continue;
            }
            for (char d = '0'; d <= '9'; d++) {
                if (d == valid[v][i]) {
                    continue;
                }
                memcpy(buf, valid[v], len + 1);
                buf[i] = d;
                assert_int_not_equal(iban_check(buf), IBAN_OK);
            }
        }
        /* Every transposition of two different adjacent digits. */
        for (size_t i = 2; i + 1 < len; i++) {
            char a = valid[v][i];
            char b = valid[v][i + 1];

            if (a == b || a < '0' || a > '9' || b < '0' || b > '9') {
                continue;
            }
            memcpy(buf, valid[v], len + 1);
            buf[i] = b;
            buf[i + 1] = a;
            assert_int_not_equal(iban_check(buf), IBAN_OK);
        }
    }
}

/* ISO 13616: check digits 00, 01 and 99 are never issued. 99 folds to the
 * same remainder as 02, so MOD 97 alone would accept it. */
static void test_reserved_check_digits(void **state)
{
    (void)state;
    assert_int_equal(iban_check("DE02370400440000000024"), IBAN_OK);
    assert_int_equal(test_mod97("DE99370400440000000024"), 1);
    assert_int_equal(iban_check("DE99370400440000000024"), IBAN_BAD_CHECKSUM);
    assert_int_equal(iban_check("DE00370400440000000024"), IBAN_BAD_CHECKSUM);
    assert_int_equal(iban_check("DE01370400440000000024"), IBAN_BAD_CHECKSUM);
}

static void test_country(void **state)
{
    char cc[3];

    (void)state;
    assert_int_equal(iban_country("FR7630006000011234567890189", cc), 0);
    assert_string_equal(cc, "FR");
    assert_int_equal(iban_country("NL91ABNA0417164300", cc), 0);
    assert_string_equal(cc, "NL");
    /* Only the country is looked at. */
    assert_int_equal(iban_country("BE00", cc), 0);
    assert_string_equal(cc, "BE");
    assert_int_equal(iban_country("XX7630006000011234567890189", cc), -1);
    assert_string_equal(cc, "");
    assert_int_equal(iban_country("fr76", cc), -1);
    assert_int_equal(iban_country("F", cc), -1);
    assert_int_equal(iban_country("", cc), -1);
    assert_int_equal(iban_country(NULL, cc), -1);

    assert_int_equal(iban_country_length("FR"), 27);
    assert_int_equal(iban_country_length("NO"), 15);
    assert_int_equal(iban_country_length("RU"), 33);
    assert_int_equal(iban_country_length("LC"), 32);
    assert_int_equal(iban_country_length("US"), -1);
    assert_int_equal(iban_country_length("FRA"), -1);
    assert_int_equal(iban_country_length("fr"), -1);
    assert_int_equal(iban_country_length(NULL), -1);
}

static void test_mask(void **state)
{
    char out[IBAN_MAX + 1];
    char small[27];

    (void)state;
    assert_int_equal(iban_mask("FR7630006000011234567890189", out, sizeof(out)), 0);
    assert_string_equal(out, "FR76*******************0189");
    assert_int_equal(iban_mask("DE89370400440532013000", out, sizeof(out)), 0);
    assert_string_equal(out, "DE89**************3000");
    assert_int_equal(iban_mask("NO9386011117947", out, sizeof(out)), 0);
    assert_string_equal(out, "NO93*******7947");
    /* Invalid IBANs can be masked for logs too. */
    assert_int_equal(iban_mask("FR7630006000011234567890188", out, sizeof(out)), 0);
    assert_string_equal(out, "FR76*******************0188");
    /* Short strings keep only two characters. */
    assert_int_equal(iban_mask("ABCDEFGHIJK", out, sizeof(out)), 0);
    assert_string_equal(out, "AB*********");
    assert_int_equal(iban_mask("ABCDEFGHIJKL", out, sizeof(out)), 0);
    assert_string_equal(out, "ABCD****IJKL");
    assert_int_equal(iban_mask("ABCD", out, sizeof(out)), 0);
    assert_string_equal(out, "AB**");
    /* Refusals. */
    assert_int_equal(iban_mask("ABC", out, sizeof(out)), -1);
    assert_string_equal(out, "");
    assert_int_equal(iban_mask("fr7630006000011234567890189", out, sizeof(out)), -1);
    assert_int_equal(iban_mask("FR76 3000 6000", out, sizeof(out)), -1);
    assert_int_equal(iban_mask("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", out, sizeof(out)), -1);
    assert_int_equal(iban_mask(NULL, out, sizeof(out)), -1);
    assert_int_equal(iban_mask("FR7630006000011234567890189", small, sizeof(small)), -1);
    assert_string_equal(small, "");
    assert_int_equal(iban_mask("FR7630006000011234567890189", NULL, 0), -1);
}

static void test_error_messages(void **state)
{
    (void)state;
    for (int e = IBAN_OK; e <= IBAN_BAD_CHECKSUM; e++) {
        const char *m = iban_error_message((enum iban_error)e);

        assert_non_null(m);
        assert_true(strlen(m) > 0);
        for (int f = IBAN_OK; f < e; f++) {
            assert_string_not_equal(m, iban_error_message((enum iban_error)f));
        }
    }
    assert_non_null(iban_error_message((enum iban_error)99));
}

static void test_bic(void **state)
{
    static const char *const valid[] = {
        "BNPAFRPP",    "BNPAFRPPXXX", "DEUTDEFF", "DEUTDEFF500", "NWBKGB2L",
        "AGRIFRPP882", "CEPAFRPP751", "ABNANL2A", "UBSWCHZH80A",
    };
    static const char *const invalid[] = {
        "",          "BNPAFRP",      "BNPAFRPPX",   "BNPAFRPPXX",        "BNPAFRPPXXXX",
        "bnpafrpp",  "BNPAFRpp",     "BNP1FRPP",    "BNPAF1PP",          "BNPAFRP_",
        "BNPA FRPP", "BNPAFRPP XXX", "BNPAFRPP-XX", "BNPAFRPP\xc3\xa9X",
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(valid); i++) {
        assert_int_equal(bic_check(valid[i]), 0);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(invalid); i++) {
        assert_int_equal(bic_check(invalid[i]), -1);
    }
    assert_int_equal(bic_check(NULL), -1);
}

static void test_bic_normalise(void **state)
{
    char out[BIC_MAX + 1];

    (void)state;
    assert_int_equal(bic_normalise("bnpafrpp", out), 0);
    assert_string_equal(out, "BNPAFRPP");
    assert_int_equal(bic_normalise(" bnpa fr pp xxx ", out), 0);
    assert_string_equal(out, "BNPAFRPPXXX");
    assert_int_equal(bic_normalise("DeutDeFF500", out), 0);
    assert_string_equal(out, "DEUTDEFF500");

    memset(out, 'x', sizeof(out));
    assert_int_equal(bic_normalise("BNPA-FRPP", out), -1);
    assert_string_equal(out, "");
    assert_int_equal(bic_normalise("BNPAFRPPXXXX", out), -1);
    assert_string_equal(out, "");
    assert_int_equal(bic_normalise("BNPAFRPPXXXXXXXXXXXXXXXXX", out), -1);
    assert_int_equal(bic_normalise("BNP1FRPP", out), -1);
    assert_int_equal(bic_normalise("", out), -1);
    assert_int_equal(bic_normalise("   ", out), -1);
    assert_int_equal(bic_normalise(NULL, out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_examples_validate),
        cmocka_unit_test(test_registry_bank_codes),
        cmocka_unit_test(test_bank_code_main_countries),
        cmocka_unit_test(test_bank_code_refusals),
        cmocka_unit_test(test_normalise_spaces_and_case),
        cmocka_unit_test(test_normalise_refusals),
        cmocka_unit_test(test_check_order_and_basics),
        cmocka_unit_test(test_wrong_length_valid_checksum),
        cmocka_unit_test(test_substitution_passing_mod97),
        cmocka_unit_test(test_checksum_detects_typing_errors),
        cmocka_unit_test(test_reserved_check_digits),
        cmocka_unit_test(test_country),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_bic),
        cmocka_unit_test(test_bic_normalise),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
