/*
 * window.c — owns the recall window arithmetic: rails, milestones,
 * severities, planning a case's window and collapsing overdue milestones.
 * See window.h for the rules.
 */
#include "window.h"

#include <stdio.h>
#include <string.h>

static const char *const rail_names[RAIL_COUNT] = {"sct", "sct_inst", "swift", "card", "unknown"};
static const char *const milestone_names[MILESTONE_COUNT] = {"alert", "reminder", "critical",
                                                             "expiry"};
static const char *const severity_names[] = {"alert", "high", "critical", "expired"};
static const char *const window_state_names[] = {"open", "expired_on_arrival"};
static const char *const milestone_state_names[] = {"pending", "fired", "skipped"};

/* names[v] for 0 <= v < n, else NULL. */
static const char *name_of(const char *const *names, int n, int v)
{
    return v >= 0 && v < n ? names[v] : NULL;
}

/* The index of name in names, or -1. */
static int index_of(const char *const *names, int n, const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0)
            return i;
    }
    return -1;
}

const char *rail_name(enum rail r)
{
    return name_of(rail_names, RAIL_COUNT, (int)r);
}

int rail_parse(const char *name, enum rail *out)
{
    int i = index_of(rail_names, RAIL_COUNT, name);

    if (i < 0 || out == NULL)
        return -1;
    *out = (enum rail)i;
    return 0;
}

const char *milestone_name(enum milestone m)
{
    return name_of(milestone_names, MILESTONE_COUNT, (int)m);
}

int milestone_parse(const char *name, enum milestone *out)
{
    int i = index_of(milestone_names, MILESTONE_COUNT, name);

    if (i < 0 || out == NULL)
        return -1;
    *out = (enum milestone)i;
    return 0;
}

const char *severity_name(enum severity s)
{
    return name_of(severity_names, (int)RELAY_ARRAY_LEN(severity_names), (int)s);
}

int severity_parse(const char *name, enum severity *out)
{
    int i = index_of(severity_names, (int)RELAY_ARRAY_LEN(severity_names), name);

    if (i < 0 || out == NULL)
        return -1;
    *out = (enum severity)i;
    return 0;
}

const char *window_state_name(enum window_state s)
{
    return name_of(window_state_names, (int)RELAY_ARRAY_LEN(window_state_names), (int)s);
}

int window_state_parse(const char *name, enum window_state *out)
{
    int i = index_of(window_state_names, (int)RELAY_ARRAY_LEN(window_state_names), name);

    if (i < 0 || out == NULL)
        return -1;
    *out = (enum window_state)i;
    return 0;
}

const char *milestone_state_name(enum milestone_state s)
{
    return name_of(milestone_state_names, (int)RELAY_ARRAY_LEN(milestone_state_names), (int)s);
}

int milestone_state_parse(const char *name, enum milestone_state *out)
{
    int i = index_of(milestone_state_names, (int)RELAY_ARRAY_LEN(milestone_state_names), name);

    if (i < 0 || out == NULL)
        return -1;
    *out = (enum milestone_state)i;
    return 0;
}

enum severity milestone_severity(enum milestone m)
{
    switch (m) {
    case MILESTONE_ALERT:
        return SEVERITY_ALERT;
    case MILESTONE_REMINDER:
        return SEVERITY_HIGH;
    case MILESTONE_CRITICAL:
        return SEVERITY_CRITICAL;
    case MILESTONE_EXPIRY:
        return SEVERITY_EXPIRED;
    case MILESTONE_COUNT:
        break;
    }
    return SEVERITY_ALERT;
}

static int severity_valid(enum severity s)
{
    return (int)s >= (int)SEVERITY_ALERT && (int)s <= (int)SEVERITY_EXPIRED;
}

void window_config_default(struct window_config *c)
{
    for (int r = 0; r < RAIL_COUNT; r++)
        c->length[r] = WINDOW_LENGTH_DEFAULT;
    c->reminder_before = WINDOW_REMINDER_DEFAULT;
    c->critical_before = WINDOW_CRITICAL_DEFAULT;
}

static int check_fail(char *errstr, size_t errstr_size, const char *what, int64_t got, int64_t min,
                      int64_t max)
{
    if (errstr != NULL && errstr_size > 0)
        snprintf(errstr, errstr_size, "%s must be between %lld and %lld seconds (got %lld)", what,
                 (long long)min, (long long)max, (long long)got);
    return -1;
}

int window_config_check(const struct window_config *c, char *errstr, size_t errstr_size)
{
    int64_t shortest = WINDOW_LENGTH_MAX;
    char what[64];

    if (errstr != NULL && errstr_size > 0)
        errstr[0] = '\0';
    if (c == NULL) {
        if (errstr != NULL && errstr_size > 0)
            snprintf(errstr, errstr_size, "no window configuration");
        return -1;
    }
    for (int r = 0; r < RAIL_COUNT; r++) {
        if (c->length[r] < 1 || c->length[r] > WINDOW_LENGTH_MAX) {
            snprintf(what, sizeof(what), "window length of rail %s", rail_names[r]);
            return check_fail(errstr, errstr_size, what, c->length[r], 1, WINDOW_LENGTH_MAX);
        }
        if (c->length[r] < shortest)
            shortest = c->length[r];
    }
    /* reminder_before in 2..shortest-1 leaves room for critical_before in
     * 1..reminder_before-1. */
    if (c->reminder_before < 2 || c->reminder_before > shortest - 1)
        return check_fail(errstr, errstr_size,
                          "reminder_before (less than the shortest window length)",
                          c->reminder_before, 2, shortest - 1);
    if (c->critical_before < 1 || c->critical_before > c->reminder_before - 1)
        return check_fail(errstr, errstr_size, "critical_before (less than reminder_before)",
                          c->critical_before, 1, c->reminder_before - 1);
    return 0;
}

int window_plan(const struct window_config *c, enum rail rail, int64_t start, int64_t now,
                struct window_plan *out)
{
    struct window_milestone *alert;
    int64_t deadline;

    if (out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    if (c == NULL || (int)rail < 0 || (int)rail >= RAIL_COUNT || start < 0 ||
        start > WINDOW_TIME_MAX || now < 0 || now > WINDOW_TIME_MAX ||
        window_config_check(c, NULL, 0) != 0)
        return -1;
    /* No overflow: start <= WINDOW_TIME_MAX and length <= WINDOW_LENGTH_MAX.
     * Refusing a deadline past the range keeps every time of the plan
     * printable. */
    if (start + c->length[rail] > WINDOW_TIME_MAX)
        return -1;
    deadline = start + c->length[rail];
    out->start = start;
    out->received_at = now;
    out->deadline_at = deadline;
    out->count = MILESTONE_COUNT;
    for (int i = 0; i < MILESTONE_COUNT; i++) {
        out->m[i].name = (enum milestone)i;
        out->m[i].severity = milestone_severity((enum milestone)i);
        out->m[i].state = MS_PENDING;
    }
    out->m[MILESTONE_ALERT].due_at = now;
    out->m[MILESTONE_REMINDER].due_at = deadline - c->reminder_before;
    out->m[MILESTONE_CRITICAL].due_at = deadline - c->critical_before;
    out->m[MILESTONE_EXPIRY].due_at = deadline;

    alert = &out->m[MILESTONE_ALERT];
    if (now >= deadline) {
        /* Too late for a recall: one alert, routed as an ordinary complaint. */
        out->state = WINDOW_EXPIRED_ON_ARRIVAL;
        alert->severity = SEVERITY_EXPIRED;
        for (int i = MILESTONE_REMINDER; i < MILESTONE_COUNT; i++)
            out->m[i].state = MS_SKIPPED;
        return 0;
    }
    out->state = WINDOW_OPEN;
    /* Expiry is never due here (now < deadline); the others may be. */
    for (int i = MILESTONE_REMINDER; i < MILESTONE_EXPIRY; i++) {
        if (out->m[i].due_at <= now) {
            out->m[i].state = MS_SKIPPED;
            if (out->m[i].severity > alert->severity)
                alert->severity = out->m[i].severity;
        }
    }
    return 0;
}

int window_collapse(const struct window_milestone *due, int n, enum severity *most_severe)
{
    enum severity worst = SEVERITY_ALERT;

    if (due == NULL || most_severe == NULL || n < 1)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!severity_valid(due[i].severity))
            return -1;
        if (due[i].severity > worst)
            worst = due[i].severity;
    }
    *most_severe = worst;
    return 0;
}
