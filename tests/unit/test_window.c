/*
 * test_window.c — unit tests of relay/window.c: names, configuration
 * bounds, planning a case's window (on time, late, expired on arrival, a
 * 60 s test window) and collapsing overdue milestones. The deadline display
 * across the 2026 clock changes goes through relay/timeutil.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "timeutil.h"
#include "window.h"

#define H INT64_C(3600)

/* 2026-03-28T10:00:00+01:00 */
#define START_2026_03_28 INT64_C(1774688400)

static const char *const expected_rails[RAIL_COUNT] = {"sct", "sct_inst", "swift", "card",
                                                       "unknown"};

/* Asserts one milestone of a plan. */
static void check_ms(const struct window_plan *p, enum milestone name, int64_t due_at,
                     enum severity severity, enum milestone_state state)
{
    const struct window_milestone *m = &p->m[name];

    assert_int_equal(m->name, name);
    assert_int_equal(m->due_at, due_at);
    if (m->severity != severity)
        fail_msg("%s: severity %s, want %s", milestone_name(name), severity_name(m->severity),
                 severity_name(severity));
    if (m->state != (int)state)
        fail_msg("%s: state %s, want %s", milestone_name(name),
                 milestone_state_name((enum milestone_state)m->state), milestone_state_name(state));
}

static void plan_default(enum rail rail, int64_t start, int64_t now, struct window_plan *p)
{
    struct window_config c;

    window_config_default(&c);
    assert_int_equal(window_plan(&c, rail, start, now, p), 0);
    assert_int_equal(p->count, MILESTONE_COUNT);
    assert_int_equal(p->start, start);
    assert_int_equal(p->received_at, now);
}

/* ---- names ---- */

static void test_rail_names(void **state)
{
    enum rail r;

    for (int i = 0; i < RAIL_COUNT; i++) {
        assert_string_equal(rail_name((enum rail)i), expected_rails[i]);
        r = RAIL_COUNT;
        assert_int_equal(rail_parse(expected_rails[i], &r), 0);
        assert_int_equal(r, i);
    }
    assert_null(rail_name(RAIL_COUNT));
    assert_null(rail_name((enum rail) - 1));

    r = RAIL_SWIFT;
    assert_int_equal(rail_parse("SCT", &r), -1);
    assert_int_equal(rail_parse("sct ", &r), -1);
    assert_int_equal(rail_parse("sct-inst", &r), -1);
    assert_int_equal(rail_parse("sctinst", &r), -1);
    assert_int_equal(rail_parse("", &r), -1);
    assert_int_equal(rail_parse(NULL, &r), -1);
    assert_int_equal(r, RAIL_SWIFT); /* untouched */
    assert_int_equal(rail_parse("card", NULL), -1);
}

static void test_milestone_and_severity_names(void **state)
{
    static const char *const ms[] = {"alert", "reminder", "critical", "expiry"};
    static const char *const sev[] = {"alert", "high", "critical", "expired"};
    static const char *const mstates[] = {"pending", "fired", "skipped"};
    static const char *const wstates[] = {"open", "expired_on_arrival"};
    enum milestone m;
    enum severity s;
    enum milestone_state mst;
    enum window_state wst;

    for (int i = 0; i < MILESTONE_COUNT; i++) {
        assert_string_equal(milestone_name((enum milestone)i), ms[i]);
        assert_int_equal(milestone_parse(ms[i], &m), 0);
        assert_int_equal(m, i);
    }
    for (int i = 0; i < 4; i++) {
        assert_string_equal(severity_name((enum severity)i), sev[i]);
        assert_int_equal(severity_parse(sev[i], &s), 0);
        assert_int_equal(s, i);
    }
    for (int i = 0; i < 3; i++) {
        assert_string_equal(milestone_state_name((enum milestone_state)i), mstates[i]);
        assert_int_equal(milestone_state_parse(mstates[i], &mst), 0);
        assert_int_equal(mst, i);
    }
    for (int i = 0; i < 2; i++) {
        assert_string_equal(window_state_name((enum window_state)i), wstates[i]);
        assert_int_equal(window_state_parse(wstates[i], &wst), 0);
        assert_int_equal(wst, i);
    }
    assert_int_equal(MS_PENDING, 0);
    assert_int_equal(WINDOW_OPEN, 0);

    assert_null(milestone_name(MILESTONE_COUNT));
    assert_null(severity_name((enum severity)4));
    assert_null(severity_name((enum severity) - 1));
    assert_null(milestone_state_name((enum milestone_state)3));
    assert_null(window_state_name((enum window_state)2));
    assert_int_equal(milestone_parse("Alert", &m), -1);
    assert_int_equal(milestone_parse("high", &m), -1);
    assert_int_equal(milestone_parse(NULL, &m), -1);
    assert_int_equal(severity_parse("reminder", &s), -1);
    assert_int_equal(severity_parse("expiry", &s), -1);
    assert_int_equal(severity_parse("", &s), -1);
    assert_int_equal(severity_parse("high", NULL), -1);
    assert_int_equal(milestone_state_parse("done", &mst), -1);
    assert_int_equal(window_state_parse("expired", &wst), -1);
    assert_int_equal(window_state_parse("closed", &wst), -1);

    /* severities are ordered, and each milestone carries its own */
    assert_true(SEVERITY_ALERT < SEVERITY_HIGH);
    assert_true(SEVERITY_HIGH < SEVERITY_CRITICAL);
    assert_true(SEVERITY_CRITICAL < SEVERITY_EXPIRED);
    assert_int_equal(milestone_severity(MILESTONE_ALERT), SEVERITY_ALERT);
    assert_int_equal(milestone_severity(MILESTONE_REMINDER), SEVERITY_HIGH);
    assert_int_equal(milestone_severity(MILESTONE_CRITICAL), SEVERITY_CRITICAL);
    assert_int_equal(milestone_severity(MILESTONE_EXPIRY), SEVERITY_EXPIRED);
    assert_int_equal(milestone_severity(MILESTONE_COUNT), SEVERITY_ALERT);
}

/* ---- configuration ---- */

static void test_config_default(void **state)
{
    struct window_config c;
    char err[128] = "unchanged";

    memset(&c, 0xff, sizeof(c));
    window_config_default(&c);
    for (int r = 0; r < RAIL_COUNT; r++)
        assert_int_equal(c.length[r], 172800);
    assert_int_equal(c.reminder_before, 24 * H);
    assert_int_equal(c.critical_before, 6 * H);
    assert_int_equal(window_config_check(&c, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(window_config_check(&c, NULL, 0), 0);
}

static void test_config_check(void **state)
{
    struct window_config c;
    char err[160];

    /* the tests' 60 s window */
    window_config_default(&c);
    for (int r = 0; r < RAIL_COUNT; r++)
        c.length[r] = 60;
    c.reminder_before = 30;
    c.critical_before = 10;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), 0);

    /* the smallest valid window */
    for (int r = 0; r < RAIL_COUNT; r++)
        c.length[r] = 3;
    c.reminder_before = 2;
    c.critical_before = 1;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), 0);

    /* lengths */
    window_config_default(&c);
    c.length[RAIL_CARD] = 0;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "card"));
    c.length[RAIL_CARD] = -172800;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    c.length[RAIL_CARD] = 30 * 86400;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), 0);
    c.length[RAIL_CARD] = 30 * 86400 + 1;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "2592000"));
    c.length[RAIL_CARD] = INT64_MAX;
    assert_int_equal(window_config_check(&c, NULL, 0), -1);

    /* reminder must be before the shortest window's start */
    window_config_default(&c);
    c.length[RAIL_SCT_INST] = 24 * H;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "reminder_before"));
    c.length[RAIL_SCT_INST] = 24 * H + 1;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), 0);

    /* critical strictly between 0 and reminder */
    window_config_default(&c);
    c.critical_before = c.reminder_before;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "critical_before"));
    c.critical_before = c.reminder_before + 1;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    c.critical_before = 0;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    c.critical_before = -1;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    c.critical_before = 1;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), 0);

    window_config_default(&c);
    c.reminder_before = 0;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);
    c.reminder_before = INT64_MIN;
    assert_int_equal(window_config_check(&c, err, sizeof(err)), -1);

    /* a tiny error buffer is truncated, not overrun */
    window_config_default(&c);
    c.length[RAIL_SWIFT] = 0;
    memset(err, 'x', sizeof(err));
    assert_int_equal(window_config_check(&c, err, 8), -1);
    assert_int_equal(strlen(err), 7);
    assert_int_equal(err[8], 'x');

    assert_int_equal(window_config_check(NULL, err, sizeof(err)), -1);
    assert_true(err[0] != '\0');
}

/* ---- planning ---- */

static void test_plan_on_time(void **state)
{
    struct window_plan p;
    int64_t start = START_2026_03_28;
    int64_t now = start + 10 * 60;
    int64_t deadline = start + 48 * H;

    plan_default(RAIL_SCT, start, now, &p);
    assert_int_equal(p.deadline_at, deadline);
    assert_int_equal(p.state, WINDOW_OPEN);
    check_ms(&p, MILESTONE_ALERT, now, SEVERITY_ALERT, MS_PENDING);
    check_ms(&p, MILESTONE_REMINDER, deadline - 24 * H, SEVERITY_HIGH, MS_PENDING);
    check_ms(&p, MILESTONE_CRITICAL, deadline - 6 * H, SEVERITY_CRITICAL, MS_PENDING);
    check_ms(&p, MILESTONE_EXPIRY, deadline, SEVERITY_EXPIRED, MS_PENDING);

    /* received at the very instant of the transfer */
    plan_default(RAIL_CARD, start, start, &p);
    assert_int_equal(p.state, WINDOW_OPEN);
    check_ms(&p, MILESTONE_ALERT, start, SEVERITY_ALERT, MS_PENDING);
    check_ms(&p, MILESTONE_REMINDER, deadline - 24 * H, SEVERITY_HIGH, MS_PENDING);

    /* one second before the reminder: nothing collapsed yet */
    plan_default(RAIL_SWIFT, start, deadline - 24 * H - 1, &p);
    check_ms(&p, MILESTONE_ALERT, deadline - 24 * H - 1, SEVERITY_ALERT, MS_PENDING);
    check_ms(&p, MILESTONE_REMINDER, deadline - 24 * H, SEVERITY_HIGH, MS_PENDING);
}

static void test_plan_after_reminder(void **state)
{
    struct window_plan p;
    int64_t start = START_2026_03_28;
    int64_t deadline = start + 48 * H;
    int64_t now = start + 30 * H; /* reminder was due at start + 24 h */

    plan_default(RAIL_SCT, start, now, &p);
    assert_int_equal(p.state, WINDOW_OPEN);
    assert_int_equal(p.deadline_at, deadline);
    check_ms(&p, MILESTONE_ALERT, now, SEVERITY_HIGH, MS_PENDING);
    check_ms(&p, MILESTONE_REMINDER, deadline - 24 * H, SEVERITY_HIGH, MS_SKIPPED);
    check_ms(&p, MILESTONE_CRITICAL, deadline - 6 * H, SEVERITY_CRITICAL, MS_PENDING);
    check_ms(&p, MILESTONE_EXPIRY, deadline, SEVERITY_EXPIRED, MS_PENDING);

    /* exactly at the reminder's due time: it is due, so collapsed */
    plan_default(RAIL_SCT, start, deadline - 24 * H, &p);
    check_ms(&p, MILESTONE_ALERT, deadline - 24 * H, SEVERITY_HIGH, MS_PENDING);
    check_ms(&p, MILESTONE_REMINDER, deadline - 24 * H, SEVERITY_HIGH, MS_SKIPPED);
    check_ms(&p, MILESTONE_CRITICAL, deadline - 6 * H, SEVERITY_CRITICAL, MS_PENDING);
}

static void test_plan_after_critical(void **state)
{
    struct window_plan p;
    int64_t start = START_2026_03_28;
    int64_t deadline = start + 48 * H;
    int64_t now = deadline - H;

    plan_default(RAIL_SCT_INST, start, now, &p);
    assert_int_equal(p.state, WINDOW_OPEN);
    check_ms(&p, MILESTONE_ALERT, now, SEVERITY_CRITICAL, MS_PENDING);
    check_ms(&p, MILESTONE_REMINDER, deadline - 24 * H, SEVERITY_HIGH, MS_SKIPPED);
    check_ms(&p, MILESTONE_CRITICAL, deadline - 6 * H, SEVERITY_CRITICAL, MS_SKIPPED);
    check_ms(&p, MILESTONE_EXPIRY, deadline, SEVERITY_EXPIRED, MS_PENDING);

    /* the last second of the window is still open */
    plan_default(RAIL_SCT_INST, start, deadline - 1, &p);
    assert_int_equal(p.state, WINDOW_OPEN);
    check_ms(&p, MILESTONE_ALERT, deadline - 1, SEVERITY_CRITICAL, MS_PENDING);
    check_ms(&p, MILESTONE_EXPIRY, deadline, SEVERITY_EXPIRED, MS_PENDING);
}

static void test_plan_expired_on_arrival(void **state)
{
    struct window_plan p;
    int64_t start = START_2026_03_28;
    int64_t deadline = start + 48 * H;
    const int64_t nows[] = {deadline, deadline + 1, deadline + 30 * 86400};

    for (size_t i = 0; i < RELAY_ARRAY_LEN(nows); i++) {
        plan_default(RAIL_UNKNOWN, start, nows[i], &p);
        assert_int_equal(p.state, WINDOW_EXPIRED_ON_ARRIVAL);
        assert_int_equal(p.deadline_at, deadline);
        check_ms(&p, MILESTONE_ALERT, nows[i], SEVERITY_EXPIRED, MS_PENDING);
        check_ms(&p, MILESTONE_REMINDER, deadline - 24 * H, SEVERITY_HIGH, MS_SKIPPED);
        check_ms(&p, MILESTONE_CRITICAL, deadline - 6 * H, SEVERITY_CRITICAL, MS_SKIPPED);
        check_ms(&p, MILESTONE_EXPIRY, deadline, SEVERITY_EXPIRED, MS_SKIPPED);
    }
}

static void test_plan_future_start(void **state)
{
    struct window_plan p;
    int64_t now = START_2026_03_28;
    int64_t start = now + 120; /* client clock ahead by two minutes */

    plan_default(RAIL_SCT, start, now, &p);
    assert_int_equal(p.state, WINDOW_OPEN);
    assert_int_equal(p.deadline_at, start + 48 * H);
    check_ms(&p, MILESTONE_ALERT, now, SEVERITY_ALERT, MS_PENDING);
    check_ms(&p, MILESTONE_REMINDER, start + 24 * H, SEVERITY_HIGH, MS_PENDING);
    check_ms(&p, MILESTONE_CRITICAL, start + 42 * H, SEVERITY_CRITICAL, MS_PENDING);
    check_ms(&p, MILESTONE_EXPIRY, start + 48 * H, SEVERITY_EXPIRED, MS_PENDING);
}

static void test_plan_per_rail_length(void **state)
{
    struct window_config c;
    struct window_plan p;
    int64_t start = START_2026_03_28;

    window_config_default(&c);
    c.length[RAIL_SCT_INST] = 25 * H;
    c.length[RAIL_SWIFT] = 72 * H;
    assert_int_equal(window_config_check(&c, NULL, 0), 0);

    assert_int_equal(window_plan(&c, RAIL_SCT_INST, start, start + H, &p), 0);
    assert_int_equal(p.deadline_at, start + 25 * H);
    check_ms(&p, MILESTONE_ALERT, start + H, SEVERITY_HIGH, MS_PENDING); /* reminder at +1 h */
    check_ms(&p, MILESTONE_REMINDER, start + H, SEVERITY_HIGH, MS_SKIPPED);
    check_ms(&p, MILESTONE_CRITICAL, start + 19 * H, SEVERITY_CRITICAL, MS_PENDING);

    assert_int_equal(window_plan(&c, RAIL_SWIFT, start, start + H, &p), 0);
    assert_int_equal(p.deadline_at, start + 72 * H);
    check_ms(&p, MILESTONE_REMINDER, start + 48 * H, SEVERITY_HIGH, MS_PENDING);

    assert_int_equal(window_plan(&c, RAIL_SCT, start, start + H, &p), 0);
    assert_int_equal(p.deadline_at, start + 48 * H);
}

/* A 60 s window, reminder 30 s and critical 10 s before the deadline: every
 * arrival second from 5 s before the start to 5 s after the deadline. */
static void test_plan_60s_window(void **state)
{
    struct window_config c;
    struct window_plan p;
    const int64_t start = 1000;

    window_config_default(&c);
    for (int r = 0; r < RAIL_COUNT; r++)
        c.length[r] = 60;
    c.reminder_before = 30;
    c.critical_before = 10;

    for (int64_t now = start - 5; now <= start + 65; now++) {
        enum severity want_alert = SEVERITY_ALERT;
        int expired = now >= start + 60;

        assert_int_equal(window_plan(&c, RAIL_CARD, start, now, &p), 0);
        assert_int_equal(p.deadline_at, 1060);
        if (expired)
            want_alert = SEVERITY_EXPIRED;
        else if (now >= 1050)
            want_alert = SEVERITY_CRITICAL;
        else if (now >= 1030)
            want_alert = SEVERITY_HIGH;
        assert_int_equal(p.state, expired ? WINDOW_EXPIRED_ON_ARRIVAL : WINDOW_OPEN);
        check_ms(&p, MILESTONE_ALERT, now, want_alert, MS_PENDING);
        check_ms(&p, MILESTONE_REMINDER, 1030, SEVERITY_HIGH,
                 now >= 1030 ? MS_SKIPPED : MS_PENDING);
        check_ms(&p, MILESTONE_CRITICAL, 1050, SEVERITY_CRITICAL,
                 now >= 1050 ? MS_SKIPPED : MS_PENDING);
        check_ms(&p, MILESTONE_EXPIRY, 1060, SEVERITY_EXPIRED, expired ? MS_SKIPPED : MS_PENDING);
    }

    /* the named points */
    assert_int_equal(window_plan(&c, RAIL_SCT, start, 1035, &p), 0);
    assert_int_equal(p.m[MILESTONE_ALERT].severity, SEVERITY_HIGH);
    assert_int_equal(window_plan(&c, RAIL_SCT, start, 1055, &p), 0);
    assert_int_equal(p.m[MILESTONE_ALERT].severity, SEVERITY_CRITICAL);
    assert_int_equal(window_plan(&c, RAIL_SCT, start, 1060, &p), 0);
    assert_int_equal(p.state, WINDOW_EXPIRED_ON_ARRIVAL);
}

/* The invariants of every plan, over a sweep of arrival times. */
static void test_plan_invariants(void **state)
{
    struct window_plan p;
    int64_t start = START_2026_03_28;

    for (int64_t now = start - H; now <= start + 50 * H; now += 599) {
        int pending = 0;

        plan_default(RAIL_SCT, start, now, &p);
        assert_int_equal(p.deadline_at - p.start, 172800);
        for (int i = 0; i < MILESTONE_COUNT; i++) {
            assert_int_equal(p.m[i].name, i);
            if (i > MILESTONE_ALERT)
                assert_true(p.m[i].due_at > p.m[i - 1].due_at || i == MILESTONE_REMINDER);
            if (i > MILESTONE_ALERT) {
                /* a later milestone keeps its own severity */
                assert_int_equal(p.m[i].severity, milestone_severity((enum milestone)i));
                /* skipped exactly when due at intake */
                assert_int_equal(p.m[i].state == MS_SKIPPED, p.m[i].due_at <= now);
                /* the alert is at least as severe as anything it swallowed */
                if (p.m[i].state == MS_SKIPPED)
                    assert_true(p.m[MILESTONE_ALERT].severity >= p.m[i].severity);
                else
                    assert_true(p.m[MILESTONE_ALERT].severity < p.m[i].severity);
            }
            assert_int_not_equal(p.m[i].state, MS_FIRED);
            pending += p.m[i].state == MS_PENDING;
        }
        assert_int_equal(p.m[MILESTONE_ALERT].state, MS_PENDING);
        assert_true(pending >= 1);
        assert_int_equal(p.state == WINDOW_EXPIRED_ON_ARRIVAL, now >= p.deadline_at);
    }
}

static void test_plan_invalid(void **state)
{
    struct window_config c;
    struct window_plan p;
    int64_t start = START_2026_03_28;

    window_config_default(&c);
    memset(&p, 0x5a, sizeof(p));
    assert_int_equal(window_plan(NULL, RAIL_SCT, start, start, &p), -1);
    assert_int_equal(p.count, 0);
    assert_int_equal(p.deadline_at, 0);
    assert_int_equal(window_plan(&c, RAIL_SCT, start, start, NULL), -1);
    assert_int_equal(window_plan(&c, RAIL_COUNT, start, start, &p), -1);
    assert_int_equal(window_plan(&c, (enum rail) - 1, start, start, &p), -1);
    assert_int_equal(window_plan(&c, RAIL_SCT, -1, start, &p), -1);
    assert_int_equal(window_plan(&c, RAIL_SCT, start, -1, &p), -1);
    assert_int_equal(window_plan(&c, RAIL_SCT, INT64_MAX, start, &p), -1);
    assert_int_equal(window_plan(&c, RAIL_SCT, start, INT64_MAX, &p), -1);
    assert_int_equal(window_plan(&c, RAIL_SCT, WINDOW_TIME_MAX + 1, start, &p), -1);
    /* the deadline must stay within the supported range */
    assert_int_equal(window_plan(&c, RAIL_SCT, WINDOW_TIME_MAX, WINDOW_TIME_MAX, &p), -1);
    assert_int_equal(window_plan(&c, RAIL_SCT, WINDOW_TIME_MAX - 172800 + 1, start, &p), -1);
    assert_int_equal(window_plan(&c, RAIL_SCT, WINDOW_TIME_MAX - 172800, WINDOW_TIME_MAX, &p), 0);
    assert_int_equal(p.deadline_at, WINDOW_TIME_MAX);
    assert_int_equal(p.state, WINDOW_EXPIRED_ON_ARRIVAL);
    assert_int_equal(window_plan(&c, RAIL_SCT, 0, 0, &p), 0);
    assert_int_equal(p.deadline_at, 172800);
    c.critical_before = 0;
    assert_int_equal(window_plan(&c, RAIL_SCT, start, start, &p), -1);
    assert_int_equal(p.count, 0);
}

/* The case the architecture names: deadline across the spring change. */
static void test_plan_deadline_display_across_clock_changes(void **state)
{
    struct window_plan p;
    char out[TIMEUTIL_DISPLAY_SIZE], utc[TIMEUTIL_UTC_SIZE];
    int64_t start;

    assert_int_equal(rfc3339_parse("2026-03-28T10:00:00+01:00", &start), RFC3339_OK);
    plan_default(RAIL_SCT, start, start + 15 * 60, &p);
    assert_int_equal(rfc3339_format_utc(p.deadline_at, utc, sizeof(utc)), 0);
    assert_string_equal(utc, "2026-03-30T09:00:00Z");
    assert_int_equal(paris_format(p.deadline_at, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "30 mars 2026 à 11:00");
    assert_int_equal(rfc3339_format_utc(p.m[MILESTONE_REMINDER].due_at, utc, sizeof(utc)), 0);
    assert_string_equal(utc, "2026-03-29T09:00:00Z");
    assert_int_equal(paris_format(p.m[MILESTONE_REMINDER].due_at, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "29 mars 2026 à 11:00");
    assert_int_equal(paris_format(p.m[MILESTONE_CRITICAL].due_at, "en", out, sizeof(out)), 0);
    assert_string_equal(out, "30 March 2026 at 05:00");

    assert_int_equal(rfc3339_parse("2026-10-24T10:00:00+02:00", &start), RFC3339_OK);
    plan_default(RAIL_SCT, start, start + 15 * 60, &p);
    assert_int_equal(rfc3339_format_utc(p.deadline_at, utc, sizeof(utc)), 0);
    assert_string_equal(utc, "2026-10-26T08:00:00Z");
    assert_int_equal(paris_format(p.deadline_at, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "26 octobre 2026 à 09:00");

    /* the same start typed in the web form as Paris wall time */
    assert_int_equal(localtime_paris_parse("2026-03-28T10:00", &start), RFC3339_OK);
    plan_default(RAIL_SCT, start, start, &p);
    assert_int_equal(paris_format(p.deadline_at, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "30 mars 2026 à 11:00");
}

/* ---- collapse at restart ---- */

static void test_collapse(void **state)
{
    struct window_milestone ms[MILESTONE_COUNT];
    enum severity worst = SEVERITY_ALERT;

    for (int i = 0; i < MILESTONE_COUNT; i++) {
        ms[i].name = (enum milestone)i;
        ms[i].due_at = 1000 + i;
        ms[i].severity = milestone_severity((enum milestone)i);
        ms[i].state = MS_PENDING;
    }
    assert_int_equal(window_collapse(ms, 1, &worst), 0);
    assert_int_equal(worst, SEVERITY_ALERT);
    assert_int_equal(window_collapse(&ms[MILESTONE_REMINDER], 1, &worst), 0);
    assert_int_equal(worst, SEVERITY_HIGH);
    assert_int_equal(window_collapse(&ms[MILESTONE_REMINDER], 2, &worst), 0);
    assert_int_equal(worst, SEVERITY_CRITICAL);
    assert_int_equal(window_collapse(ms, 3, &worst), 0);
    assert_int_equal(worst, SEVERITY_CRITICAL);
    assert_int_equal(window_collapse(ms, MILESTONE_COUNT, &worst), 0);
    assert_int_equal(worst, SEVERITY_EXPIRED);

    /* order does not matter; the severity field is what counts */
    {
        struct window_milestone rev[3] = {ms[MILESTONE_CRITICAL], ms[MILESTONE_REMINDER],
                                          ms[MILESTONE_ALERT]};

        assert_int_equal(window_collapse(rev, 3, &worst), 0);
        assert_int_equal(worst, SEVERITY_CRITICAL);
        rev[2].severity = SEVERITY_EXPIRED; /* an alert planned expired on arrival */
        assert_int_equal(window_collapse(rev, 3, &worst), 0);
        assert_int_equal(worst, SEVERITY_EXPIRED);
    }

    /* invalid */
    worst = SEVERITY_HIGH;
    assert_int_equal(window_collapse(ms, 0, &worst), -1);
    assert_int_equal(window_collapse(ms, -1, &worst), -1);
    assert_int_equal(window_collapse(NULL, 2, &worst), -1);
    assert_int_equal(window_collapse(ms, 2, NULL), -1);
    ms[1].severity = (enum severity)7;
    assert_int_equal(window_collapse(ms, 2, &worst), -1);
    ms[1].severity = (enum severity) - 1;
    assert_int_equal(window_collapse(ms, 2, &worst), -1);
    assert_int_equal(worst, SEVERITY_HIGH); /* untouched */
}

/* A case planned late and then restarted: the plan's pending milestones that
 * are overdue collapse to the most severe one. */
static void test_collapse_after_plan(void **state)
{
    struct window_plan p;
    struct window_milestone due[MILESTONE_COUNT];
    enum severity worst;
    int64_t start = START_2026_03_28;
    int64_t restart_at = start + 47 * H; /* down from intake until 1 h before the deadline */
    int n = 0;

    plan_default(RAIL_SCT, start, start + H, &p);
    for (int i = 0; i < p.count; i++) {
        if (p.m[i].state == MS_PENDING && p.m[i].due_at <= restart_at)
            due[n++] = p.m[i];
    }
    assert_int_equal(n, 3); /* alert, reminder, critical */
    assert_int_equal(window_collapse(due, n, &worst), 0);
    assert_int_equal(worst, SEVERITY_CRITICAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rail_names),
        cmocka_unit_test(test_milestone_and_severity_names),
        cmocka_unit_test(test_config_default),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_plan_on_time),
        cmocka_unit_test(test_plan_after_reminder),
        cmocka_unit_test(test_plan_after_critical),
        cmocka_unit_test(test_plan_expired_on_arrival),
        cmocka_unit_test(test_plan_future_start),
        cmocka_unit_test(test_plan_per_rail_length),
        cmocka_unit_test(test_plan_60s_window),
        cmocka_unit_test(test_plan_invariants),
        cmocka_unit_test(test_plan_invalid),
        cmocka_unit_test(test_plan_deadline_display_across_clock_changes),
        cmocka_unit_test(test_collapse),
        cmocka_unit_test(test_collapse_after_plan),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
