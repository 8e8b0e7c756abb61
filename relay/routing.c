/* routing.c — police unit selection, office hours, French holidays; see routing.h. */
#include "routing.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "postal.h"
#include "timeutil.h"

/* ---- calendar ------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

void routing_easter(int year, int *month, int *day)
{
    /* The anonymous Gregorian algorithm (Meeus, Jones, Butcher). */
    int a = year % 19, b = year / 100, c = year % 100;
    int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    *month = (h + l - 7 * m + 114) / 31;
    *day = (h + l - 7 * m + 114) % 31 + 1;
}

static int dept_is(const char *dept, const char *code)
{
    return dept && strcmp(dept, code) == 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int routing_is_holiday(int year, int month, int day, const char *dept)
{
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return 0;
    static const int fixed[][2] = {{1, 1},  {5, 1},  {5, 8},   {7, 14},
                                   {8, 15}, {11, 1}, {11, 11}, {12, 25}};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(fixed); i++) {
        if (month == fixed[i][0] && day == fixed[i][1])
            return 1;
    }
    int em, ed;
    routing_easter(year, &em, &ed);
    int64_t easter = days_from_civil(year, em, ed);
    int64_t today = days_from_civil(year, month, day);
    int64_t delta = today - easter;
    /* Easter Monday, Ascension Thursday, Whit Monday. */
    if (delta == 1 || delta == 39 || delta == 50)
        return 1;
    if (dept_is(dept, "57") || dept_is(dept, "67") || dept_is(dept, "68")) {
        if (delta == -2 || (month == 12 && day == 26))
            return 1;
    }
    static const struct {
        const char *dept;
        int month, day;
    } abolition[] = {{"971", 5, 27}, {"972", 5, 22}, {"973", 6, 10}, {"974", 12, 20},
                     {"976", 4, 27}, {"977", 10, 9}, {"978", 5, 28}};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(abolition); i++) {
        if (dept_is(dept, abolition[i].dept) && month == abolition[i].month &&
            day == abolition[i].day)
            return 1;
    }
    return 0;
}

/* ---- office hours text ---------------------------------------------------- */

static const char *const day_names[8] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "hol"};

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static int ieq(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    if (n != w)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (tolower((unsigned char)s[i]) != word[i])
            return 0;
    }
    return 1;
}

static int day_of(const char *s, size_t n)
{
    for (int i = 0; i < 8; i++) {
        if (ieq(s, n, day_names[i]))
            return i;
    }
    return -1;
}

static int fail(char *errstr, size_t errstr_size, const char *what, const char *s, size_t n)
{
    snprintf(errstr, errstr_size, "office hours: %s \"%.*s\"", what, (int)(n > 40 ? 40 : n), s);
    return -1;
}

/* "mon-fri", "mon,wed,fri", "sat", "hol", "fri-mon" into a bit set. */
static int parse_days(const char *s, size_t n, unsigned *set, char *errstr, size_t errstr_size)
{
    *set = 0;
    while (n > 0) {
        const char *comma = memchr(s, ',', n);
        size_t len = comma ? (size_t)(comma - s) : n;
        const char *item = s;
        size_t ilen = len;
        trim(&item, &ilen);
        const char *dash = memchr(item, '-', ilen);
        if (dash) {
            int a = day_of(item, (size_t)(dash - item));
            int b = day_of(dash + 1, ilen - (size_t)(dash - item) - 1);
            if (a < 0 || b < 0 || a == ROUTING_HOLIDAY || b == ROUTING_HOLIDAY)
                return fail(errstr, errstr_size, "bad day range", item, ilen);
            for (int d = a;; d = (d + 1) % 7) {
                *set |= 1u << d;
                if (d == b)
                    break;
            }
        } else {
            int a = day_of(item, ilen);
            if (a < 0)
                return fail(errstr, errstr_size, "unknown day", item, ilen);
            *set |= 1u << a;
        }
        if (!comma)
            break;
        n -= len + 1;
        s = comma + 1;
        if (n == 0)
            return fail(errstr, errstr_size, "empty day", s, 0);
    }
    return *set ? 0 : fail(errstr, errstr_size, "no day in", s, n);
}

/* "HH:MM" (00:00..24:00) into minutes. */
static int parse_time(const char *s, size_t n, int *out)
{
    if (n != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static int add_range(struct routing_hours *h, int day, int start, int end, char *errstr,
                     size_t errstr_size)
{
    for (int i = 0; i < h->nranges[day]; i++) {
        const struct routing_range *r = &h->ranges[day][i];
        if (start < r->end_min && r->start_min < end) {
            snprintf(errstr, errstr_size, "office hours: overlapping ranges on %s", day_names[day]);
            return -1;
        }
    }
    if (h->nranges[day] == ROUTING_RANGES_MAX) {
        snprintf(errstr, errstr_size, "office hours: more than %d ranges on %s", ROUTING_RANGES_MAX,
                 day_names[day]);
        return -1;
    }
    h->ranges[day][h->nranges[day]].start_min = (int16_t)start;
    h->ranges[day][h->nranges[day]].end_min = (int16_t)end;
    h->nranges[day]++;
    return 0;
}

static int parse_group(const char *s, size_t n, struct routing_hours *h, char *errstr,
                       size_t errstr_size)
{
    trim(&s, &n);
    size_t dlen = 0;
    while (dlen < n && !isspace((unsigned char)s[dlen]))
        dlen++;
    if (dlen == n)
        return fail(errstr, errstr_size, "expected days then times in", s, n);
    unsigned days;
    if (parse_days(s, dlen, &days, errstr, errstr_size) != 0)
        return -1;
    const char *r = s + dlen;
    size_t rn = n - dlen;
    while (rn > 0) {
        const char *comma = memchr(r, ',', rn);
        size_t len = comma ? (size_t)(comma - r) : rn;
        const char *item = r;
        size_t ilen = len;
        trim(&item, &ilen);
        const char *dash = memchr(item, '-', ilen);
        int start, end;
        if (!dash || parse_time(item, (size_t)(dash - item), &start) != 0 ||
            parse_time(dash + 1, ilen - (size_t)(dash - item) - 1, &end) != 0)
            return fail(errstr, errstr_size, "bad time range (HH:MM-HH:MM)", item, ilen);
        if (start >= end)
            return fail(errstr, errstr_size, "a range must end after it starts:", item, ilen);
        for (int d = 0; d < 8; d++) {
            if ((days & (1u << d)) && add_range(h, d, start, end, errstr, errstr_size) != 0)
                return -1;
        }
        if (!comma)
            break;
        rn -= len + 1;
        r = comma + 1;
        if (rn == 0)
            return fail(errstr, errstr_size, "a time range must follow ','", r, 0);
    }
    return 0;
}

int routing_hours_parse(const char *text, struct routing_hours *out, char *errstr,
                        size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    if (!text) {
        snprintf(errstr, errstr_size, "office hours: empty");
        return -1;
    }
    size_t n = strlen(text);
    if (n > ROUTING_HOURS_TEXT_MAX) {
        snprintf(errstr, errstr_size, "office hours: longer than %d characters",
                 ROUTING_HOURS_TEXT_MAX);
        return -1;
    }
    const char *s = text;
    trim(&s, &n);
    if (n == 0) {
        snprintf(errstr, errstr_size, "office hours: empty");
        return -1;
    }
    if (ieq(s, n, "24/7") || ieq(s, n, "always")) {
        out->always = 1;
        return 0;
    }
    while (n > 0) {
        const char *semi = memchr(s, ';', n);
        size_t len = semi ? (size_t)(semi - s) : n;
        if (parse_group(s, len, out, errstr, errstr_size) != 0) {
            memset(out, 0, sizeof(*out));
            return -1;
        }
        if (!semi)
            break;
        n -= len + 1;
        s = semi + 1;
    }
    return 0;
}

/* ---- open now? ------------------------------------------------------------ */

int routing_is_open(const struct routing_hours *h, const char *dept, int64_t utc)
{
    if (h->always)
        return 1;
    int64_t local = utc + paris_offset_seconds(utc);
    int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int minute = (int)((local - days * 86400) / 60);
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int kind = (int)(((days + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
    if (routing_is_holiday(y, m, d, dept))
        kind = ROUTING_HOLIDAY;
    for (int i = 0; i < h->nranges[kind]; i++) {
        if (minute >= h->ranges[kind][i].start_min && minute < h->ranges[kind][i].end_min)
            return 1;
    }
    return 0;
}

/* ---- the queue and the unit ----------------------------------------------- */

void routing_departement(const char *departement, const char *postal_code, char out[9])
{
    if (departement &&
        (strcmp(departement, "NATIONAL") == 0 || departement_check(departement) == 0)) {
        snprintf(out, 9, "%s", departement);
        return;
    }
    char code[4];
    if (postal_code && postal_departement(postal_code, code) == 0) {
        snprintf(out, 9, "%s", code);
        return;
    }
    snprintf(out, 9, "NATIONAL");
}

enum rule {
    R_OPEN_DEPT = 1,
    R_FALLBACK_DEPT,
    R_FALLBACK_NATIONAL,
    R_OPEN_NATIONAL,
    R_CLOSED_DEPT,
    R_CLOSED_NATIONAL
};

static int matches(const struct routing_unit *u, enum rule r, const char *dept, int64_t utc)
{
    int of_dept = strcmp(u->departement, dept) == 0;
    int national = strcmp(u->departement, "NATIONAL") == 0;
    switch (r) {
    case R_OPEN_DEPT:
        return of_dept && !u->fallback && routing_is_open(u->hours, u->departement, utc);
    case R_FALLBACK_DEPT:
        return of_dept && u->fallback;
    case R_FALLBACK_NATIONAL:
        return national && u->fallback;
    case R_OPEN_NATIONAL:
        return national && !u->fallback && routing_is_open(u->hours, u->departement, utc);
    case R_CLOSED_DEPT:
        return of_dept && !u->fallback;
    case R_CLOSED_NATIONAL:
        return national && !u->fallback;
    }
    return 0;
}

int routing_pick(const struct routing_unit *units, size_t n, const char *dept, int64_t utc,
                 enum routing_why *why)
{
    if (why)
        *why = ROUTING_NONE;
    for (int with_failing = 0; with_failing <= 1; with_failing++) {
        for (int r = R_OPEN_DEPT; r <= R_CLOSED_NATIONAL; r++) {
            for (size_t i = 0; i < n; i++) {
                const struct routing_unit *u = &units[i];
                if (!u->usable || (u->failing && !with_failing) ||
                    !matches(u, (enum rule)r, dept, utc))
                    continue;
                if (!why)
                    return (int)i;
                if (r == R_OPEN_DEPT) {
                    *why = ROUTING_OFFICE_HOURS;
                } else if (r == R_FALLBACK_DEPT || r == R_FALLBACK_NATIONAL) {
                    /* Why not the département's own unit? */
                    int regular = 0, open = 0;
                    for (size_t j = 0; j < n; j++) {
                        if (!units[j].usable || units[j].fallback ||
                            strcmp(units[j].departement, dept) != 0)
                            continue;
                        regular = 1;
                        if (routing_is_open(units[j].hours, units[j].departement, utc))
                            open = 1;
                    }
                    *why = !regular ? ROUTING_FALLBACK_NO_UNIT
                           : open   ? ROUTING_FALLBACK_FAILING
                                    : ROUTING_FALLBACK_CLOSED;
                } else if (r == R_OPEN_NATIONAL) {
                    *why = ROUTING_NATIONAL;
                } else {
                    *why = ROUTING_CLOSED_NO_FALLBACK;
                }
                return (int)i;
            }
        }
    }
    return -1;
}

const char *routing_why_name(enum routing_why w)
{
    switch (w) {
    case ROUTING_NONE:
        return "none";
    case ROUTING_OFFICE_HOURS:
        return "office_hours";
    case ROUTING_FALLBACK_CLOSED:
        return "fallback_closed";
    case ROUTING_FALLBACK_FAILING:
        return "fallback_failing";
    case ROUTING_FALLBACK_NO_UNIT:
        return "fallback_no_unit";
    case ROUTING_NATIONAL:
        return "national";
    case ROUTING_CLOSED_NO_FALLBACK:
        return "closed_no_fallback";
    }
    return "none";
}
