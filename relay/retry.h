/*
 * retry.h — owns the connectors' retry rules: what an HTTP answer (or a
 * transport error) means for a delivery, when to try again (exponential
 * backoff with jitter, the first retry within 5 s), Retry-After on 429 and
 * 503, the case's deadline and the retry budgets.
 *
 * Pure: no I/O, no clock, no random generator of its own. The caller passes
 * the time (ms since the epoch) and a uniform random 32-bit value for the
 * jitter, so the unit tests pin every decision.
 */
#ifndef RELAY48_RETRY_H
#define RELAY48_RETRY_H

#include <stdint.h>

#include "common.h"

/* What an attempt's outcome is, before budgets and deadlines. */
enum retry_class {
    RETRY_CLASS_SUCCESS = 0, /* 2xx */
    RETRY_CLASS_THROTTLED,   /* 429, 503: Retry-After is honoured */
    RETRY_CLASS_GONE,        /* 410: the endpoint is disabled */
    RETRY_CLASS_REJECTED, /* another 4xx but 408 and 425, or a 3xx (redirects are not followed) */
    RETRY_CLASS_INSECURE, /* the endpoint is not https: never tried again */
    RETRY_CLASS_FAILED,   /* 5xx, 408, 425, 1xx, no answer (transport error, timeout) */
};

/* What to do next. */
enum retry_action {
    RETRY_ACTION_DONE = 0, /* delivered */
    RETRY_ACTION_RETRY,    /* try again at next_at_ms */
    RETRY_ACTION_GIVE_UP,  /* to the dead-letter topic with reason */
    RETRY_ACTION_DISABLE,  /* 410: disable the endpoint, then as GIVE_UP with reason */
};

struct retry_policy {
    int64_t base_ms;            /* backoff before the first retry (<= 5000) */
    int64_t cap_ms;             /* ceiling of the backoff */
    int64_t retry_after_cap_ms; /* a longer Retry-After is cut to this */
    int max_attempts;           /* attempts in all, whatever the answers (budget) */
    int max_rejects;            /* attempts answered REJECTED before giving up */
};

struct retry_decision {
    enum retry_action action;
    int64_t next_at_ms; /* RETRY only */
    /* GIVE_UP and DISABLE: the dead-letter reason (event_dlq.json): */
    /* "deadline_reached", "retry_budget", "rejected", "endpoint_gone", */
    /* "insecure_endpoint". NULL otherwise. Static strings. */
    const char *reason;
};

/* Defaults: base 1 s, cap 5 min, Retry-After cap 1 h, 1000 attempts, 5 rejects. */
void retry_policy_default(struct retry_policy *p);

/* The class of an HTTP status (100..599), or of a transport failure when
 * status is 0: insecure is 1 when the transfer was refused because the
 * scheme was not https (curl's CURLE_UNSUPPORTED_PROTOCOL). */
enum retry_class retry_classify(int status, int insecure);

/*
 * Backoff before retry number n (n = 1 for the first retry): an "equal
 * jitter" draw in [d/2, d] where d = min(cap, base * 2^(n-1)), so a retry is
 * never immediate and never later than the ceiling. rnd is uniform over
 * 0..UINT32_MAX. With the default base, the first retry comes within 0.5 to
 * 1 s.
 */
int64_t retry_backoff_ms(const struct retry_policy *p, int n, uint32_t rnd);

/*
 * The Retry-After header value (RFC 9110 section 10.2.3): delay-seconds (1 to
 * 10 digits), or an HTTP-date in any of its three forms (IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850 form "Sunday,
 * 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994"), read
 * against now_s. 0 with the delay in ms in *delay_ms (a date in the past
 * gives 0), -1 when absent or malformed. Surrounding blanks are allowed.
 */
int retry_after_parse(const char *value, int64_t now_s, int64_t *delay_ms) RELAY_MUSTCHECK;

/*
 * Decide after attempt number `attempts` (1 for the first), whose class is
 * cls, of which `rejects` (this one included) were REJECTED. retry_after_ms
 * is the parsed Retry-After (-1 when none); it replaces the backoff for
 * THROTTLED answers (never shorter than 1 s, never longer than the cap).
 * A retry that would fall at or after deadline_ms is not scheduled: the
 * delivery is given up with "deadline_reached". Order of the checks:
 * success, insecure, gone, rejects budget, attempts budget, deadline.
 */
struct retry_decision retry_decide(const struct retry_policy *p, enum retry_class cls, int attempts,
                                   int rejects, int64_t retry_after_ms, int64_t now_ms,
                                   int64_t deadline_ms, uint32_t rnd);

/* "success", "throttled", "gone", "rejected", "insecure", "failed". */
const char *retry_class_name(enum retry_class c);

#endif
