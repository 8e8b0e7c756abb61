/*
 * routing.h — owns police routing past the département: which unit of a
 * département receives an escalation now, from the units' weekly office
 * hours in Europe/Paris, French public holidays, and their health, with a
 * 24/7 fallback unit outside office hours or while a unit keeps failing.
 *
 * Pure: no I/O, no allocation, no global state, no clock (the caller passes
 * the time in UTC seconds: an injectable clock).
 *
 * Office hours, as `relay48 unit add --hours` takes them and the units table
 * stores them: groups separated by ';', each a day set then time ranges
 * separated by ',':
 *     mon-fri 09:00-12:30,14:00-17:30
 *     mon-fri 08:00-18:00; sat 09:00-12:00
 *     mon,wed,fri 09:00-12:00; hol 10:00-12:00
 *     24/7
 * Days: mon tue wed thu fri sat sun, ranges of them (fri-mon wraps), lists
 * with ','; "hol" names the French public holidays, which are closed unless
 * a "hol" group opens them (a holiday follows its "hol" group, not its
 * weekday). Times are HH:MM, 00:00 to 24:00, start before end; ranges of a
 * day may not overlap. "24/7" (or "always") is open at every minute,
 * holidays included. Blanks around tokens are allowed; case is ignored.
 * All times are Europe/Paris wall time (timeutil's EU rule), for overseas
 * units too.
 *
 * Public holidays (Code du travail L3133-1): 1 January, Easter Monday,
 * 1 May, 8 May, Ascension Thursday, Whit Monday, 14 July, 15 August,
 * 1 November, 11 November, 25 December; Easter is computed (Gregorian
 * computus). Moselle, Bas-Rhin and Haut-Rhin (57, 67, 68) add Good Friday
 * and 26 December (local law of Alsace-Moselle); the overseas départements
 * add the day of the abolition of slavery (décret 83-1003: 971 27 May,
 * 972 22 May, 973 10 June, 974 20 December, 976 27 April; 977 9 October,
 * 978 28 May).
 */
#ifndef RELAY48_ROUTING_H
#define RELAY48_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define ROUTING_RANGES_MAX     8 /* per day kind */
#define ROUTING_HOURS_TEXT_MAX 200
#define ROUTING_DEFAULT_HOURS  "mon-fri 09:00-12:30,14:00-17:30"

/* Day kinds: 0 = Monday .. 6 = Sunday, 7 = public holiday. */
#define ROUTING_HOLIDAY 7

struct routing_range {
    int16_t start_min, end_min; /* [start, end) minutes of the local day, 0..1440 */
};

struct routing_hours {
    int always; /* 24/7 */
    struct routing_range ranges[8][ROUTING_RANGES_MAX];
    int nranges[8];
};

/* Parse an office-hours text (see above). 0, or -1 with a message naming
 * the offending token. */
int routing_hours_parse(const char *text, struct routing_hours *out, char *errstr,
                        size_t errstr_size) RELAY_MUSTCHECK;

/* Easter Sunday of a Gregorian year (1583..9999): month (3 or 4) and day. */
void routing_easter(int year, int *month, int *day);

/* 1 when year-month-day is a public holiday in the département (a code of
 * postal.h, or NULL / "NATIONAL" for the national list alone), else 0. */
int routing_is_holiday(int year, int month, int day, const char *departement);

/* 1 when the hours are open at that instant, for a unit of that
 * département (its holidays), else 0. */
int routing_is_open(const struct routing_hours *h, const char *departement, int64_t utc);

/*
 * The police queue of an escalation: its "departement" member when it is a
 * known code or NATIONAL, else the département of the victim's postal code
 * (postal_departement), else NATIONAL. Either argument may be NULL. out
 * holds up to 8 characters and the NUL.
 */
void routing_departement(const char *departement, const char *postal_code, char out[9]);

/* What the picker needs of a unit. */
struct routing_unit {
    const char *departement; /* "31", "2A", "NATIONAL" */
    const struct routing_hours *hours;
    int fallback; /* a 24/7 fallback unit of its département (NATIONAL: of every one) */
    int usable;   /* enabled and with an endpoint */
    int failing;  /* its endpoint keeps failing (or answered 410) */
};

enum routing_why {
    ROUTING_NONE = 0,          /* no usable unit at all: the caller dead-letters */
    ROUTING_OFFICE_HOURS,      /* the département's unit, open */
    ROUTING_FALLBACK_CLOSED,   /* a fallback: the département's units are closed now */
    ROUTING_FALLBACK_FAILING,  /* a fallback: the département's open unit keeps failing */
    ROUTING_FALLBACK_NO_UNIT,  /* a fallback: the département has no regular unit */
    ROUTING_NATIONAL,          /* no fallback: the national unit, open */
    ROUTING_CLOSED_NO_FALLBACK /* no fallback, nothing open: a closed unit all the same */
};

/*
 * Pick the unit for département dept at utc among n units (ties go to the
 * first in the caller's order), by the first rule that finds one:
 *   1. a regular unit of dept, open now;
 *   2. a fallback unit of dept (a fallback is the 24/7 desk: its hours are
 *      not looked at);
 *   3. a fallback unit of NATIONAL;
 *   4. a regular unit of NATIONAL, open now;
 *   5. a regular unit of dept, closed (better read late than never);
 *   6. a regular unit of NATIONAL, closed.
 * Only usable units count. The rules are tried first without the failing
 * units, then, when that found none, with them. *why (may be NULL) says
 * why. Returns the index, or -1 (ROUTING_NONE).
 */
int routing_pick(const struct routing_unit *units, size_t n, const char *dept, int64_t utc,
                 enum routing_why *why);

/* "office_hours", "fallback_closed", "fallback_failing", "fallback_no_unit", "national",
 * "closed_no_fallback", "none". */
const char *routing_why_name(enum routing_why w);

#endif
