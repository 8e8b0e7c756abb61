/*
 * window.h — owns the recall window arithmetic: per-rail window lengths,
 * the milestones of a case (alert, reminder, critical, expiry), their
 * severities, and how a late report collapses the milestones already due.
 *
 * Pure: no I/O, no global state, no clock. The caller passes `now` (the
 * relay's own clock, never a client's) as a value, so tests can put a case
 * anywhere in its window. Times are int64_t UTC seconds since the epoch; all
 * arithmetic is in UTC (time zones are for display only, see timeutil.h).
 */
#ifndef RELAY48_WINDOW_H
#define RELAY48_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Supported instants, as timeutil.h: 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z. */
#define WINDOW_TIME_MAX INT64_C(253402300799)

/* Bounds checked by window_config_check(). */
#define WINDOW_LENGTH_DEFAULT   INT64_C(172800)  /* 48 h */
#define WINDOW_LENGTH_MAX       INT64_C(2592000) /* 30 days */
#define WINDOW_REMINDER_DEFAULT INT64_C(86400)   /* 24 h before the deadline */
#define WINDOW_CRITICAL_DEFAULT INT64_C(21600)   /* 6 h before the deadline */

/* Payment rails; the window length is configured per rail. */
enum rail { RAIL_SCT = 0, RAIL_SCT_INST, RAIL_SWIFT, RAIL_CARD, RAIL_UNKNOWN, RAIL_COUNT };

/* Milestones of a case, in the order they fall due. */
enum milestone {
    MILESTONE_ALERT = 0,
    MILESTONE_REMINDER,
    MILESTONE_CRITICAL,
    MILESTONE_EXPIRY,
    MILESTONE_COUNT
};

/* Escalation severities, ordered: a larger value is more severe. */
enum severity { SEVERITY_ALERT = 0, SEVERITY_HIGH, SEVERITY_CRITICAL, SEVERITY_EXPIRED };

enum window_state { WINDOW_OPEN = 0, WINDOW_EXPIRED_ON_ARRIVAL };

enum milestone_state { MS_PENDING = 0, MS_FIRED, MS_SKIPPED };

/*
 * Window configuration, in seconds. Valid when (window_config_check):
 *   0 < length[r] <= WINDOW_LENGTH_MAX for every rail,
 *   0 < critical_before < reminder_before < the shortest length[r].
 * So every milestone of a case received at its start falls strictly after
 * intake and in the order alert < reminder < critical < expiry. Windows of a
 * few seconds are allowed on purpose, for tests (60 s, reminder 30 s before,
 * critical 10 s before).
 */
struct window_config {
    int64_t length[RAIL_COUNT];
    int64_t reminder_before;
    int64_t critical_before;
};

struct window_milestone {
    enum milestone name;
    int64_t due_at;
    enum severity severity;
    int state; /* enum milestone_state */
};

struct window_plan {
    int64_t start;       /* executed_at, or the earliest fraudulent card operation */
    int64_t received_at; /* the relay's clock at intake */
    int64_t deadline_at; /* start + length[rail] */
    enum window_state state;
    struct window_milestone m[MILESTONE_COUNT]; /* indexed by enum milestone */
    int count;                                  /* MILESTONE_COUNT */
};

/* Names are the wire names of the contract (lower case, stable). *_name
 * returns NULL for a value outside the enum; *_parse matches exactly (case
 * included) and returns 0, or -1 leaving *out untouched. */
const char *rail_name(enum rail r);
RELAY_MUSTCHECK int rail_parse(const char *name, enum rail *out);
const char *milestone_name(enum milestone m);
RELAY_MUSTCHECK int milestone_parse(const char *name, enum milestone *out);
const char *severity_name(enum severity s);
RELAY_MUSTCHECK int severity_parse(const char *name, enum severity *out);
const char *window_state_name(enum window_state s);
RELAY_MUSTCHECK int window_state_parse(const char *name, enum window_state *out);
const char *milestone_state_name(enum milestone_state s);
RELAY_MUSTCHECK int milestone_state_parse(const char *name, enum milestone_state *out);

/* alert -> alert, reminder -> high, critical -> critical, expiry -> expired;
 * SEVERITY_ALERT for a value outside the enum. */
enum severity milestone_severity(enum milestone m);

/* 48 h for every rail, reminder 24 h and critical 6 h before the deadline. */
void window_config_default(struct window_config *c);

/* 0 if c is valid (see struct window_config), else -1 with the reason in
 * errstr (which may be NULL). */
RELAY_MUSTCHECK int window_config_check(const struct window_config *c, char *errstr,
                                        size_t errstr_size);

/*
 * Plans the window of a case whose window starts at `start`, received at
 * `now`. deadline_at = start + length[rail]; milestones, in enum order:
 *   alert     due at now (intake), state pending: it fires at once;
 *   reminder  due at deadline_at - reminder_before, severity high;
 *   critical  due at deadline_at - critical_before, severity critical;
 *   expiry    due at deadline_at, severity expired.
 * A late report (now >= a milestone's due_at) collapses the reminder and
 * critical already due into the alert, which takes the most severe of their
 * severities; they stay listed with state MS_SKIPPED and their due_at, so
 * the answer always has all four names. A report received at or after the
 * deadline is WINDOW_EXPIRED_ON_ARRIVAL: the alert has severity expired (an
 * ordinary complaint for the police) and reminder, critical and expiry are
 * skipped. A start in the future is planned from start as given (bounding
 * client clock skew is the caller's job).
 * 0, or -1 on invalid arguments (NULL, rail outside the enum, config that
 * window_config_check refuses, start or now outside 0..WINDOW_TIME_MAX, a
 * deadline past WINDOW_TIME_MAX);
 * on -1 *out is zeroed.
 */
RELAY_MUSTCHECK int window_plan(const struct window_config *c, enum rail rail, int64_t start,
                                int64_t now, struct window_plan *out);

/*
 * For the scheduler that finds several milestones of one case overdue (after
 * a restart) and fires them as one: the most severe of their severities.
 * Only the severity fields are looked at (not state nor due_at): pass the
 * milestones to fire. 0, or -1 if due or most_severe is NULL, n < 1, or a
 * severity is outside the enum.
 */
RELAY_MUSTCHECK int window_collapse(const struct window_milestone *due, int n,
                                    enum severity *most_severe);

#endif
