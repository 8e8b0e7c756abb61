/*
 * timeutil.c — owns time parsing and formatting: RFC 3339, Europe/Paris wall
 * time, display for people. Calendar arithmetic is done here on the
 * proleptic Gregorian calendar so that nothing depends on the C library's
 * time zone state; see timeutil.h for the contract.
 */
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>

#define SECONDS_PER_DAY  INT64_C(86400)
#define PARIS_WINTER     3600
#define PARIS_SUMMER     7200
#define MAX_FRACTION     9
#define EPOCH_YEAR       1970
#define LAST_YEAR        9999
#define DAYS_BEFORE_1970 INT64_C(719162) /* from 0001-01-01 to 1970-01-01 */

/* A broken-down date and time, as read or to be written. */
struct civil {
    int year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
    int hour;
    int minute;
    int second;
};

static const int days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

static const char *const month_fr[12] = {
    "janvier", "février", "mars",      "avril",   "mai",      "juin",
    "juillet", "août",    "septembre", "octobre", "novembre", "décembre",
};

static const char *const month_en[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && is_leap(y))
        return 29;
    return dim[m - 1];
}

/* Days from 1970-01-01 to y-m-d; y >= 1, m and d valid. */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t p = (int64_t)y - 1;
    int64_t n = 365 * p + p / 4 - p / 100 + p / 400 - DAYS_BEFORE_1970;

    n += days_before_month[m - 1] + (d - 1);
    if (m > 2 && is_leap(y))
        n++;
    return n;
}

/* Inverse of days_from_civil for 0 <= days <= the last day of 9999. */
static void civil_from_days(int64_t days, struct civil *c)
{
    /* A year has at most 366 days, so this guess is never past the answer,
     * and it is short of it by at most a few dozen years. */
    int y = EPOCH_YEAR + (int)(days / 366);
    int m = 1;
    int64_t rest;

    while (days_from_civil(y + 1, 1, 1) <= days)
        y++;
    rest = days - days_from_civil(y, 1, 1);
    while (rest >= days_in_month(y, m)) {
        rest -= days_in_month(y, m);
        m++;
    }
    c->year = y;
    c->month = m;
    c->day = (int)rest + 1;
}

/* t must lie within the supported range. */
static void civil_from_time(int64_t t, struct civil *c)
{
    int64_t sod = t % SECONDS_PER_DAY;

    civil_from_days(t / SECONDS_PER_DAY, c);
    c->hour = (int)(sod / 3600);
    c->minute = (int)(sod % 3600 / 60);
    c->second = (int)(sod % 60);
}

/* The fields as if they were UTC; fields must be in range. */
static int64_t time_from_civil(const struct civil *c)
{
    return days_from_civil(c->year, c->month, c->day) * SECONDS_PER_DAY + c->hour * 3600 +
           c->minute * 60 + c->second;
}

static int in_range(int64_t t)
{
    return t >= TIMEUTIL_TIME_MIN && t <= TIMEUTIL_TIME_MAX;
}

/* 0 = Sunday; 1970-01-01 was a Thursday. days >= 0. */
static int weekday(int64_t days)
{
    return (int)((days + 4) % 7);
}

/* The last Sunday of a 31-day month (March, October), in days. */
static int64_t last_sunday(int y, int m)
{
    int64_t d = days_from_civil(y, m, 31);

    return d - weekday(d);
}

int paris_offset_seconds(int64_t utc)
{
    struct civil c;
    int64_t summer_from, summer_until;

    if (!in_range(utc))
        return PARIS_WINTER;
    civil_from_days(utc / SECONDS_PER_DAY, &c);
    /* Both switches happen at 01:00 UTC, far from New Year, so the UTC
     * year is the year whose rule applies. */
    summer_from = last_sunday(c.year, 3) * SECONDS_PER_DAY + 3600;
    summer_until = last_sunday(c.year, 10) * SECONDS_PER_DAY + 3600;
    return utc >= summer_from && utc < summer_until ? PARIS_SUMMER : PARIS_WINTER;
}

/* ---- parsing ---- */

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/*
 * Reads exactly n ASCII digits at s[*pos]. Stops at the first character that
 * is not one (the terminating NUL included), so it never reads past the end.
 */
static int read_digits(const char *s, size_t *pos, int n, int *value)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char ch = s[*pos];

        if (!is_digit(ch))
            return -1;
        v = v * 10 + (ch - '0');
        (*pos)++;
    }
    *value = v;
    return 0;
}

static int expect(const char *s, size_t *pos, char ch)
{
    if (s[*pos] != ch)
        return -1;
    (*pos)++;
    return 0;
}

/* YYYY-MM-DD followed by one of the separators in seps. */
static int read_date(const char *s, size_t *pos, const char *seps, struct civil *c)
{
    if (read_digits(s, pos, 4, &c->year) || expect(s, pos, '-') ||
        read_digits(s, pos, 2, &c->month) || expect(s, pos, '-') || read_digits(s, pos, 2, &c->day))
        return -1;
    for (const char *p = seps; *p; p++) {
        if (s[*pos] == *p) {
            (*pos)++;
            return 0;
        }
    }
    return -1;
}

/* An optional "." and 1..MAX_FRACTION digits, which are dropped. */
static int skip_fraction(const char *s, size_t *pos)
{
    int n = 0;

    if (s[*pos] != '.')
        return 0;
    (*pos)++;
    while (is_digit(s[*pos]) && n <= MAX_FRACTION) {
        (*pos)++;
        n++;
    }
    return n >= 1 && n <= MAX_FRACTION ? 0 : -1;
}

/* Checks every field of c against the calendar and the supported years. */
static enum rfc3339_error check_civil(const struct civil *c)
{
    if (c->year < EPOCH_YEAR || c->year > LAST_YEAR || c->month < 1 || c->month > 12 ||
        c->day < 1 || c->day > days_in_month(c->year, c->month) || c->hour > 23 || c->minute > 59 ||
        c->second > 59)
        return RFC3339_OUT_OF_RANGE;
    return RFC3339_OK;
}

const char *rfc3339_error_name(enum rfc3339_error e)
{
    switch (e) {
    case RFC3339_OK:
        return "ok";
    case RFC3339_EMPTY:
        return "empty";
    case RFC3339_BAD_SYNTAX:
        return "bad_syntax";
    case RFC3339_NO_OFFSET:
        return "no_offset";
    case RFC3339_OUT_OF_RANGE:
        return "out_of_range";
    }
    return NULL;
}

enum rfc3339_error rfc3339_parse(const char *s, int64_t *utc_seconds)
{
    struct civil c;
    size_t pos = 0;
    int sign = 0, off_h = 0, off_m = 0;
    enum rfc3339_error err;
    int64_t t;

    if (s == NULL || s[0] == '\0')
        return RFC3339_EMPTY;
    if (read_date(s, &pos, "Tt", &c) || read_digits(s, &pos, 2, &c.hour) || expect(s, &pos, ':') ||
        read_digits(s, &pos, 2, &c.minute) || expect(s, &pos, ':') ||
        read_digits(s, &pos, 2, &c.second) || skip_fraction(s, &pos))
        return RFC3339_BAD_SYNTAX;
    switch (s[pos]) {
    case '\0':
        return RFC3339_NO_OFFSET;
    case 'Z':
    case 'z':
        pos++;
        break;
    case '+':
    case '-':
        sign = s[pos] == '+' ? 1 : -1;
        pos++;
        if (read_digits(s, &pos, 2, &off_h) || expect(s, &pos, ':') ||
            read_digits(s, &pos, 2, &off_m))
            return RFC3339_BAD_SYNTAX;
        break;
    default:
        return RFC3339_BAD_SYNTAX;
    }
    if (s[pos] != '\0')
        return RFC3339_BAD_SYNTAX;

    err = check_civil(&c);
    if (err != RFC3339_OK)
        return err;
    if (off_h > 23 || off_m > 59)
        return RFC3339_OUT_OF_RANGE;
    /* local = utc + offset */
    t = time_from_civil(&c) - sign * (off_h * 3600 + off_m * 60);
    if (!in_range(t))
        return RFC3339_OUT_OF_RANGE;
    if (utc_seconds != NULL)
        *utc_seconds = t;
    return RFC3339_OK;
}

enum rfc3339_error localtime_paris_parse(const char *s, int64_t *utc_seconds)
{
    struct civil c;
    size_t pos = 0;
    enum rfc3339_error err;
    int64_t local, t;

    if (s == NULL || s[0] == '\0')
        return RFC3339_EMPTY;
    c.second = 0;
    if (read_date(s, &pos, "Tt ", &c) || read_digits(s, &pos, 2, &c.hour) || expect(s, &pos, ':') ||
        read_digits(s, &pos, 2, &c.minute))
        return RFC3339_BAD_SYNTAX;
    if (s[pos] == ':') {
        pos++;
        if (read_digits(s, &pos, 2, &c.second) || skip_fraction(s, &pos))
            return RFC3339_BAD_SYNTAX;
    }
    if (s[pos] != '\0')
        return RFC3339_BAD_SYNTAX;

    err = check_civil(&c);
    if (err != RFC3339_OK)
        return err;
    local = time_from_civil(&c);
    /*
     * Try summer time first: if the wall time read as CEST falls in summer,
     * that is the instant, and in the autumn overlap it is the earlier of the
     * two. Otherwise read it as CET, which is right in winter and, in the
     * spring gap (where neither reading is consistent), gives the instant the
     * wall time would have been had the clocks not been moved yet.
     */
    t = local - PARIS_SUMMER;
    if (!(in_range(t) && paris_offset_seconds(t) == PARIS_SUMMER))
        t = local - PARIS_WINTER;
    if (!in_range(t))
        return RFC3339_OUT_OF_RANGE;
    if (utc_seconds != NULL)
        *utc_seconds = t;
    return RFC3339_OK;
}

/* ---- formatting ---- */

/* snprintf's answer turned into 0 / -1, never leaving a truncated string. */
static int format_result(int n, char *out, size_t out_size)
{
    if (n < 0 || (size_t)n >= out_size) {
        if (out_size > 0)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

static int format_fail(char *out, size_t out_size)
{
    if (out != NULL && out_size > 0)
        out[0] = '\0';
    return -1;
}

/* "en", "EN", "en-GB", "en_US" are English; anything else is French. */
static int lang_is_en(const char *lang)
{
    return lang != NULL && (lang[0] == 'e' || lang[0] == 'E') &&
           (lang[1] == 'n' || lang[1] == 'N') &&
           (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_');
}

/* Two digits of v (0..99) at p. */
static void two_digits(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

int rfc3339_format_utc(int64_t t, char *out, size_t out_size)
{
    struct civil c;

    if (out == NULL || !in_range(t) || out_size < TIMEUTIL_UTC_SIZE)
        return format_fail(out, out_size);
    civil_from_time(t, &c);
    /* The digits by hand, not snprintf: the scheduler formats three times
     * per escalation, thousands per batch (the supported range has 4-digit
     * years). */
    two_digits(out, c.year / 100);
    two_digits(out + 2, c.year % 100);
    out[4] = '-';
    two_digits(out + 5, c.month);
    out[7] = '-';
    two_digits(out + 8, c.day);
    out[10] = 'T';
    two_digits(out + 11, c.hour);
    out[13] = ':';
    two_digits(out + 14, c.minute);
    out[16] = ':';
    two_digits(out + 17, c.second);
    out[19] = 'Z';
    out[20] = '\0';
    return 0;
}

int paris_format(int64_t utc, const char *lang, char *out, size_t out_size)
{
    struct civil c;
    int64_t local;

    if (out == NULL || !in_range(utc))
        return format_fail(out, out_size);
    local = utc + paris_offset_seconds(utc);
    if (!in_range(local))
        return format_fail(out, out_size);
    civil_from_time(local, &c);
    if (lang_is_en(lang))
        return format_result(snprintf(out, out_size, "%d %s %d at %02d:%02d", c.day,
                                      month_en[c.month - 1], c.year, c.hour, c.minute),
                             out, out_size);
    return format_result(snprintf(out, out_size, "%d %s %d à %02d:%02d", c.day,
                                  month_fr[c.month - 1], c.year, c.hour, c.minute),
                         out, out_size);
}

int paris_format_iso(int64_t utc, char *out, size_t out_size)
{
    struct civil c;
    int64_t local;
    int off;

    if (out == NULL || !in_range(utc))
        return format_fail(out, out_size);
    off = paris_offset_seconds(utc);
    local = utc + off;
    if (!in_range(local))
        return format_fail(out, out_size);
    civil_from_time(local, &c);
    return format_result(snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d+%02d:00", c.year,
                                  c.month, c.day, c.hour, c.minute, c.second, off / 3600),
                         out, out_size);
}

int duration_format(int64_t seconds, const char *lang, char *out, size_t out_size)
{
    int en = lang_is_en(lang);
    int64_t hours;
    int minutes;

    if (out == NULL)
        return -1;
    if (seconds <= 0)
        return format_result(snprintf(out, out_size, "%s", en ? "passed" : "dépassé"), out,
                             out_size);
    if (seconds < 60)
        return format_result(
            snprintf(out, out_size, "%s", en ? "less than a minute" : "moins d'une minute"), out,
            out_size);
    hours = seconds / 3600;
    minutes = (int)(seconds % 3600 / 60);
    if (hours == 0)
        return format_result(snprintf(out, out_size, "%d min", minutes), out, out_size);
    if (minutes == 0)
        return format_result(snprintf(out, out_size, "%" PRId64 " h", hours), out, out_size);
    return format_result(snprintf(out, out_size, "%" PRId64 " h %d min", hours, minutes), out,
                         out_size);
}
