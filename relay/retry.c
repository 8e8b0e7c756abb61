/* retry.c — retry rules of the connectors; see retry.h. */
#include "retry.h"

#include <string.h>

void retry_policy_default(struct retry_policy *p)
{
    p->base_ms = 1000;
    p->cap_ms = 300000;
    p->retry_after_cap_ms = 3600000;
    p->max_attempts = 1000;
    p->max_rejects = 5;
}

enum retry_class retry_classify(int status, int insecure)
{
    if (status == 0)
        return insecure ? RETRY_CLASS_INSECURE : RETRY_CLASS_FAILED;
    if (status >= 200 && status <= 299)
        return RETRY_CLASS_SUCCESS;
    if (status == 429 || status == 503)
        return RETRY_CLASS_THROTTLED;
    if (status == 410)
        return RETRY_CLASS_GONE;
    /* 408 Request Timeout and 425 Too Early say "try again". */
    if (status == 408 || status == 425)
        return RETRY_CLASS_FAILED;
    if ((status >= 300 && status <= 399) || (status >= 400 && status <= 499))
        return RETRY_CLASS_REJECTED;
    return RETRY_CLASS_FAILED;
}

const char *retry_class_name(enum retry_class c)
{
    switch (c) {
    case RETRY_CLASS_SUCCESS:
        return "success";
    case RETRY_CLASS_THROTTLED:
        return "throttled";
    case RETRY_CLASS_GONE:
        return "gone";
    case RETRY_CLASS_REJECTED:
        return "rejected";
    case RETRY_CLASS_INSECURE:
        return "insecure";
    case RETRY_CLASS_FAILED:
        return "failed";
    }
    return "failed";
}

int64_t retry_backoff_ms(const struct retry_policy *p, int n, uint32_t rnd)
{
    int64_t base = p->base_ms > 0 ? p->base_ms : 1;
    int64_t cap = p->cap_ms > base ? p->cap_ms : base;
    int64_t d = base;
    for (int i = 1; i < n && d < cap; i++)
        d *= 2; /* d < cap <= INT64_MAX / 2 in any sane policy: stops before overflow */
    if (d > cap)
        d = cap;
    int64_t half = d / 2;
    /* rnd / 2^32 of the upper half: [d/2, d]. */
    return half + (int64_t)(((uint64_t)(d - half) * ((uint64_t)rnd + 1)) >> 32);
}

/* ---- Retry-After ---------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int digits(const char **s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

static int lit(const char **s, const char *text)
{
    size_t n = strlen(text);
    if (strncmp(*s, text, n) != 0)
        return -1;
    *s += n;
    return 0;
}

static int month_of(const char **s)
{
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; i++) {
        if (strncmp(*s, months[i], 3) == 0) {
            *s += 3;
            return i + 1;
        }
    }
    return -1;
}

static int wkday_short(const char **s)
{
    static const char *const days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    for (int i = 0; i < 7; i++) {
        if (strncmp(*s, days[i], 3) == 0) {
            *s += 3;
            return 0;
        }
    }
    return -1;
}

static int wkday_long(const char **s)
{
    static const char *const days[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
    for (int i = 0; i < 7; i++) {
        size_t n = strlen(days[i]);
        if (strncmp(*s, days[i], n) == 0) {
            *s += n;
            return 0;
        }
    }
    return -1;
}

static int hms(const char **s, int64_t *h, int64_t *mi, int64_t *se)
{
    if (digits(s, 2, h) || lit(s, ":") || digits(s, 2, mi) || lit(s, ":") || digits(s, 2, se))
        return -1;
    return *h > 23 || *mi > 59 || *se > 60 ? -1 : 0;
}

/* An HTTP-date (the three forms) to UTC seconds; -1 when malformed. */
static int http_date_parse(const char *s, int64_t *out)
{
    int64_t y, d, h, mi, se;
    int m;
    const char *p = s;
    if (wkday_short(&p) == 0 && *p == ',') {
        /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        if (lit(&p, ", ") || digits(&p, 2, &d) || lit(&p, " ") || (m = month_of(&p)) < 0 ||
            lit(&p, " ") || digits(&p, 4, &y) || lit(&p, " ") || hms(&p, &h, &mi, &se) ||
            lit(&p, " GMT"))
            return -1;
    } else if (p = s, wkday_long(&p) == 0) {
        /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year more
         * than 50 years ahead is in the past century (RFC 9110). */
        if (lit(&p, ", ") || digits(&p, 2, &d) || lit(&p, "-") || (m = month_of(&p)) < 0 ||
            lit(&p, "-") || digits(&p, 2, &y) || lit(&p, " ") || hms(&p, &h, &mi, &se) ||
            lit(&p, " GMT"))
            return -1;
        y += y < 70 ? 2000 : 1900;
    } else if (p = s, wkday_short(&p) == 0) {
        /* asctime: "Sun Nov  6 08:49:37 1994" */
        if (lit(&p, " ") || (m = month_of(&p)) < 0 || lit(&p, " "))
            return -1;
        if (*p == ' ') {
            p++;
            if (digits(&p, 1, &d))
                return -1;
        } else if (digits(&p, 2, &d)) {
            return -1;
        }
        if (lit(&p, " ") || hms(&p, &h, &mi, &se) || lit(&p, " ") || digits(&p, 4, &y))
            return -1;
    } else {
        return -1;
    }
    if (*p != '\0' || d < 1 || d > days_in_month(y, m))
        return -1;
    *out = days_from_civil(y, m, (int)d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

int retry_after_parse(const char *value, int64_t now_s, int64_t *delay_ms)
{
    if (!value)
        return -1;
    char buf[64];
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, value, n);
    buf[n] = '\0';
    if (buf[0] >= '0' && buf[0] <= '9') {
        const char *p = buf;
        int64_t secs;
        if (n > 10 || digits(&p, (int)n, &secs))
            return -1;
        *delay_ms = secs * 1000;
        return 0;
    }
    int64_t at;
    if (http_date_parse(buf, &at) != 0)
        return -1;
    *delay_ms = at > now_s ? (at - now_s) * 1000 : 0;
    return 0;
}

/* ---- the decision --------------------------------------------------------- */

static struct retry_decision give_up(const char *reason)
{
    struct retry_decision d = {RETRY_ACTION_GIVE_UP, 0, reason};
    return d;
}

struct retry_decision retry_decide(const struct retry_policy *p, enum retry_class cls, int attempts,
                                   int rejects, int64_t retry_after_ms, int64_t now_ms,
                                   int64_t deadline_ms, uint32_t rnd)
{
    struct retry_decision d = {RETRY_ACTION_DONE, 0, NULL};
    switch (cls) {
    case RETRY_CLASS_SUCCESS:
        return d;
    case RETRY_CLASS_INSECURE:
        return give_up("insecure_endpoint");
    case RETRY_CLASS_GONE:
        d.action = RETRY_ACTION_DISABLE;
        d.reason = "endpoint_gone";
        return d;
    case RETRY_CLASS_REJECTED:
        if (rejects >= p->max_rejects)
            return give_up("rejected");
        break;
    case RETRY_CLASS_THROTTLED:
    case RETRY_CLASS_FAILED:
        break;
    }
    if (attempts >= p->max_attempts)
        return give_up("retry_budget");
    int64_t delay;
    if (cls == RETRY_CLASS_THROTTLED && retry_after_ms >= 0) {
        delay = retry_after_ms;
        if (delay < 1000)
            delay = 1000;
        if (delay > p->retry_after_cap_ms)
            delay = p->retry_after_cap_ms;
    } else {
        delay = retry_backoff_ms(p, attempts, rnd);
    }
    if (now_ms + delay >= deadline_ms)
        return give_up("deadline_reached");
    d.action = RETRY_ACTION_RETRY;
    d.next_at_ms = now_ms + delay;
    return d;
}
