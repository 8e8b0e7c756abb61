/*
 * test_routing.c — unit tests of relay/routing.c: office hours, Easter and
 * the French public holidays, the police queue of an escalation, and the
 * choice of a unit with an injected clock (a Toulouse postal code reaches
 * the Haute-Garonne unit on a Tuesday at 10:00 and the 24/7 unit on a
 * Sunday).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "routing.h"

/* Instants checked with `date -u -d ... +%s`. */
#define TUE_2026_03_31_1000_PARIS INT64_C(1774944000) /* 08:00Z, summer time */
#define SUN_2026_03_29_1000_PARIS INT64_C(1774771200) /* 08:00Z, the day clocks move */
#define TUE_2026_03_31_1245_PARIS INT64_C(1774953900) /* lunch break */
#define TUE_2026_03_31_1729_PARIS INT64_C(1774970940)
#define TUE_2026_03_31_1730_PARIS INT64_C(1774971000)
#define MON_2026_01_05_0859_PARIS INT64_C(1767599940) /* 07:59Z, winter time */
#define MON_2026_01_05_0900_PARIS INT64_C(1767600000)
#define TUE_2026_07_14_1000_PARIS INT64_C(1784016000) /* Bastille Day */
#define FRI_2026_04_03_1000_PARIS INT64_C(1775203200) /* Good Friday */
#define MON_2026_04_06_1000_PARIS INT64_C(1775462400) /* Easter Monday */

static struct routing_hours parse_ok(const char *text)
{
    struct routing_hours h;
    char err[128];
    int rc = routing_hours_parse(text, &h, err, sizeof(err));
    if (rc != 0)
        fail_msg("\"%s\": %s", text, err);
    return h;
}

static void test_easter(void **state)
{
    static const int known[][3] = {{2000, 4, 23}, {2008, 3, 23}, {2011, 4, 24}, {2019, 4, 21},
                                   {2024, 3, 31}, {2025, 4, 20}, {2026, 4, 5},  {2027, 3, 28},
                                   {2038, 4, 25}, {1818, 3, 22}, {2285, 3, 22}, {1943, 4, 25}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        int m, d;
        routing_easter(known[i][0], &m, &d);
        assert_int_equal(m, known[i][1]);
        assert_int_equal(d, known[i][2]);
    }
}

static void test_holidays(void **state)
{
    /* 2026: Easter 5 April. */
    assert_true(routing_is_holiday(2026, 1, 1, "31"));
    assert_true(routing_is_holiday(2026, 4, 6, "31"));  /* Easter Monday */
    assert_false(routing_is_holiday(2026, 4, 5, "31")); /* Easter Sunday is a Sunday anyway */
    assert_true(routing_is_holiday(2026, 5, 1, NULL));
    assert_true(routing_is_holiday(2026, 5, 8, NULL));
    assert_true(routing_is_holiday(2026, 5, 14, "75")); /* Ascension */
    assert_true(routing_is_holiday(2026, 5, 25, "75")); /* Whit Monday */
    assert_true(routing_is_holiday(2026, 7, 14, "NATIONAL"));
    assert_true(routing_is_holiday(2026, 8, 15, "2A"));
    assert_true(routing_is_holiday(2026, 11, 1, "31"));
    assert_true(routing_is_holiday(2026, 11, 11, "31"));
    assert_true(routing_is_holiday(2026, 12, 25, "31"));
    assert_false(routing_is_holiday(2026, 3, 31, "31"));
    assert_false(routing_is_holiday(2026, 5, 15, "31"));
    /* 2025: Easter 20 April -> Monday 21 April, Ascension 29 May, Whit Monday 9 June. */
    assert_true(routing_is_holiday(2025, 4, 21, "31"));
    assert_true(routing_is_holiday(2025, 5, 29, "31"));
    assert_true(routing_is_holiday(2025, 6, 9, "31"));
    assert_false(routing_is_holiday(2025, 4, 6, "31"));
    /* Alsace-Moselle: Good Friday and 26 December. */
    assert_true(routing_is_holiday(2026, 4, 3, "67"));
    assert_true(routing_is_holiday(2026, 4, 3, "57"));
    assert_true(routing_is_holiday(2026, 12, 26, "68"));
    assert_false(routing_is_holiday(2026, 4, 3, "31"));
    assert_false(routing_is_holiday(2026, 12, 26, "31"));
    assert_false(routing_is_holiday(2026, 12, 26, NULL));
    /* Not dates: 31 April would be 1 May. */
    assert_false(routing_is_holiday(2008, 4, 31, "31"));
    assert_false(routing_is_holiday(2026, 13, 1, "31"));
    assert_false(routing_is_holiday(2026, 2, 29, "31"));
    /* Overseas: the abolition of slavery. */
    assert_true(routing_is_holiday(2026, 12, 20, "974"));
    assert_true(routing_is_holiday(2026, 5, 22, "972"));
    assert_false(routing_is_holiday(2026, 12, 20, "971"));
    /* Every year has 11 national holidays, 10 days when Ascension falls
     * on 1 or 8 May (2008: Easter 23 March, Ascension 1 May). */
    int short_years = 0;
    for (int y = 1990; y <= 2100; y++) {
        int count = 0;
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++)
                count += routing_is_holiday(y, m, d, "31");
        }
        int em, ed;
        routing_easter(y, &em, &ed);
        /* Ascension = Easter + 39 days: 1 May when Easter is 23 March, 8 May when 30 March. */
        int clash = em == 3 && (ed == 23 || ed == 30);
        assert_int_equal(count, clash ? 10 : 11);
        short_years += clash;
    }
    assert_true(short_years > 0);
    assert_true(routing_is_holiday(2008, 5, 1, "31"));
}

static void test_hours_parse(void **state)
{
    struct routing_hours h = parse_ok(ROUTING_DEFAULT_HOURS);
    assert_false(h.always);
    for (int d = 0; d < 5; d++) {
        assert_int_equal(h.nranges[d], 2);
        assert_int_equal(h.ranges[d][0].start_min, 9 * 60);
        assert_int_equal(h.ranges[d][0].end_min, 12 * 60 + 30);
        assert_int_equal(h.ranges[d][1].start_min, 14 * 60);
        assert_int_equal(h.ranges[d][1].end_min, 17 * 60 + 30);
    }
    assert_int_equal(h.nranges[5], 0);
    assert_int_equal(h.nranges[6], 0);
    assert_int_equal(h.nranges[ROUTING_HOLIDAY], 0);

    h = parse_ok("24/7");
    assert_true(h.always);
    h = parse_ok("  Always ");
    assert_true(h.always);
    h = parse_ok("MON,wed,fri 08:00-18:00 ; sat 09:00-12:00; hol 10:00-11:00");
    assert_int_equal(h.nranges[0], 1);
    assert_int_equal(h.nranges[1], 0);
    assert_int_equal(h.nranges[2], 1);
    assert_int_equal(h.nranges[5], 1);
    assert_int_equal(h.nranges[ROUTING_HOLIDAY], 1);
    h = parse_ok("fri-mon 00:00-24:00");
    assert_int_equal(h.nranges[4] + h.nranges[5] + h.nranges[6] + h.nranges[0], 4);
    assert_int_equal(h.nranges[1], 0);
    assert_int_equal(h.ranges[6][0].end_min, 1440);
    h = parse_ok("mon-fri 09:00-12:30, 14:00-17:30");
    assert_int_equal(h.nranges[3], 2);

    const char *bad[] = {"",
                         "   ",
                         "mon-fri",
                         "09:00-12:00",
                         "mon-fry 09:00-12:00",
                         "mon 9:00-12:00",
                         "mon 09:00-25:00",
                         "mon 09:60-10:00",
                         "mon 24:01-24:00",
                         "mon 12:00-09:00",
                         "mon 10:00-10:00",
                         "mon 09:00-12:00,11:00-13:00",
                         "mon 09:00-12:00; mon 11:00-13:00",
                         "mon-hol 09:00-10:00",
                         "mon, 09:00-10:00",
                         "mon 09:00-10:00,",
                         "mon 00:00-01:00,01:00-02:00,02:00-03:00,03:00-04:00,04:00-05:00,"
                         "05:00-06:00,06:00-07:00,07:00-08:00,08:00-09:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct routing_hours x;
        char err[128] = "";
        if (routing_hours_parse(bad[i], &x, err, sizeof(err)) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(strncmp(err, "office hours:", 13) == 0);
    }
    char longer[ROUTING_HOURS_TEXT_MAX + 10];
    memset(longer, ' ', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    struct routing_hours x;
    char err[128];
    assert_int_equal(routing_hours_parse(longer, &x, err, sizeof(err)), -1);
    assert_int_equal(routing_hours_parse(NULL, &x, err, sizeof(err)), -1);
}

static void test_is_open(void **state)
{
    struct routing_hours h = parse_ok(ROUTING_DEFAULT_HOURS);
    assert_true(routing_is_open(&h, "31", TUE_2026_03_31_1000_PARIS));
    assert_false(routing_is_open(&h, "31", SUN_2026_03_29_1000_PARIS));
    assert_false(routing_is_open(&h, "31", TUE_2026_03_31_1245_PARIS));
    assert_true(routing_is_open(&h, "31", TUE_2026_03_31_1729_PARIS));
    assert_false(routing_is_open(&h, "31", TUE_2026_03_31_1730_PARIS)); /* end excluded */
    assert_false(routing_is_open(&h, "31", MON_2026_01_05_0859_PARIS)); /* winter offset */
    assert_true(routing_is_open(&h, "31", MON_2026_01_05_0900_PARIS));
    assert_false(routing_is_open(&h, "31", TUE_2026_07_14_1000_PARIS)); /* holiday */
    assert_false(routing_is_open(&h, "31", MON_2026_04_06_1000_PARIS));
    assert_true(routing_is_open(&h, "31", FRI_2026_04_03_1000_PARIS));
    assert_false(routing_is_open(&h, "67", FRI_2026_04_03_1000_PARIS)); /* Good Friday in Alsace */
    /* A "hol" group opens holidays; a holiday follows it, not its weekday. */
    struct routing_hours hol = parse_ok("mon-fri 09:00-17:00; hol 09:30-10:30");
    assert_true(routing_is_open(&hol, "31", TUE_2026_07_14_1000_PARIS));
    assert_false(routing_is_open(&hol, "31", TUE_2026_07_14_1000_PARIS + 3600));
    struct routing_hours always = parse_ok("24/7");
    assert_true(routing_is_open(&always, "31", SUN_2026_03_29_1000_PARIS));
    assert_true(routing_is_open(&always, "31", TUE_2026_07_14_1000_PARIS));
}

static void test_departement(void **state)
{
    char out[9];
    routing_departement(NULL, "31000", out); /* Toulouse */
    assert_string_equal(out, "31");
    routing_departement("31", NULL, out);
    assert_string_equal(out, "31");
    routing_departement("NATIONAL", "31000", out); /* the relay's choice stands */
    assert_string_equal(out, "NATIONAL");
    routing_departement("2A", NULL, out);
    assert_string_equal(out, "2A");
    routing_departement("bogus", "20200", out);
    assert_string_equal(out, "2B");
    routing_departement(NULL, "98000", out); /* Monaco */
    assert_string_equal(out, "NATIONAL");
    routing_departement(NULL, NULL, out);
    assert_string_equal(out, "NATIONAL");
    routing_departement("", "", out);
    assert_string_equal(out, "NATIONAL");
}

/* The brief's scenario, with the jurisdiction table of a small deployment. */
static void test_pick_toulouse(void **state)
{
    struct routing_hours office = parse_ok(ROUTING_DEFAULT_HOURS);
    struct routing_hours always = parse_ok("24/7");
    struct routing_unit units[] = {
        {"69", &office, 0, 1, 0},       /* Rhône */
        {"31", &office, 0, 1, 0},       /* Haute-Garonne, office hours */
        {"31", &always, 1, 1, 0},       /* Haute-Garonne 24/7 */
        {"NATIONAL", &always, 1, 1, 0}, /* national 24/7 */
    };
    char dept[9];
    routing_departement(NULL, "31000", dept);
    enum routing_why why;
    assert_int_equal(routing_pick(units, 4, dept, TUE_2026_03_31_1000_PARIS, &why), 1);
    assert_int_equal(why, ROUTING_OFFICE_HOURS);
    assert_string_equal(routing_why_name(why), "office_hours");
    assert_int_equal(routing_pick(units, 4, dept, SUN_2026_03_29_1000_PARIS, &why), 2);
    assert_int_equal(why, ROUTING_FALLBACK_CLOSED);
    assert_int_equal(routing_pick(units, 4, dept, TUE_2026_03_31_1245_PARIS, &why), 2);
    assert_int_equal(routing_pick(units, 4, dept, TUE_2026_07_14_1000_PARIS, &why), 2);
    /* The unit keeps failing: the fallback in office hours. */
    units[1].failing = 1;
    assert_int_equal(routing_pick(units, 4, dept, TUE_2026_03_31_1000_PARIS, &why), 2);
    assert_int_equal(why, ROUTING_FALLBACK_FAILING);
    units[1].failing = 0;
    /* No departmental fallback: the national one. */
    units[2].usable = 0;
    assert_int_equal(routing_pick(units, 4, dept, SUN_2026_03_29_1000_PARIS, &why), 3);
    assert_int_equal(why, ROUTING_FALLBACK_CLOSED);
    /* No fallback at all: the closed unit all the same. */
    units[3].usable = 0;
    assert_int_equal(routing_pick(units, 4, dept, SUN_2026_03_29_1000_PARIS, &why), 1);
    assert_int_equal(why, ROUTING_CLOSED_NO_FALLBACK);
    /* Everything failing: the failing unit rather than nothing. */
    units[1].failing = 1;
    assert_int_equal(routing_pick(units, 4, dept, TUE_2026_03_31_1000_PARIS, &why), 1);
    /* Nothing usable. */
    units[1].usable = 0;
    assert_int_equal(routing_pick(units, 4, dept, TUE_2026_03_31_1000_PARIS, &why), -1);
    assert_int_equal(why, ROUTING_NONE);
}

static void test_pick_other_departements(void **state)
{
    struct routing_hours office = parse_ok(ROUTING_DEFAULT_HOURS);
    struct routing_hours always = parse_ok("24/7");
    struct routing_unit units[] = {
        {"31", &office, 0, 1, 0},
        {"NATIONAL", &office, 0, 1, 0},
        {"NATIONAL", &always, 1, 1, 0},
    };
    enum routing_why why;
    /* A département without a unit: the national fallback, at any hour. */
    assert_int_equal(routing_pick(units, 3, "33", TUE_2026_03_31_1000_PARIS, &why), 2);
    assert_int_equal(why, ROUTING_FALLBACK_NO_UNIT);
    /* The national queue: its unit in office hours, its fallback out of them. */
    assert_int_equal(routing_pick(units, 3, "NATIONAL", TUE_2026_03_31_1000_PARIS, &why), 1);
    assert_int_equal(why, ROUTING_OFFICE_HOURS);
    assert_int_equal(routing_pick(units, 3, "NATIONAL", SUN_2026_03_29_1000_PARIS, &why), 2);
    /* Without the national fallback, the open national unit takes a
     * département that has none. */
    units[2].usable = 0;
    assert_int_equal(routing_pick(units, 3, "33", TUE_2026_03_31_1000_PARIS, &why), 1);
    assert_int_equal(why, ROUTING_NATIONAL);
    /* Ties go to the first in the caller's order. */
    struct routing_unit two[] = {{"31", &office, 0, 1, 0}, {"31", &office, 0, 1, 0}};
    assert_int_equal(routing_pick(two, 2, "31", TUE_2026_03_31_1000_PARIS, NULL), 0);
    assert_int_equal(routing_pick(NULL, 0, "31", TUE_2026_03_31_1000_PARIS, &why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_easter),
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_hours_parse),
        cmocka_unit_test(test_is_open),
        cmocka_unit_test(test_departement),
        cmocka_unit_test(test_pick_toulouse),
        cmocka_unit_test(test_pick_other_departements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
