/* metrics.c — Prometheus text exposition; see metrics.h. */
#include "metrics.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS 12
static const int64_t bucket_us[BUCKETS] = {1000,   5000,   10000,   25000,   50000,    100000,
                                           250000, 500000, 1000000, 5000000, 10000000, 60000000};

struct family {
    char *name;
    enum metric_type type;
    char *help;
};

struct series {
    char *name; /* with labels */
    size_t family_len;
    enum metric_type type;
    int64_t value; /* counter, gauge */
    int64_t count, sum_us, bucket[BUCKETS];
};

static struct family *families;
static size_t nfamilies, cap_families;
static struct series *series;
static size_t nseries, cap_series;
static time_t started_at;

/* The series by name: open addressing, linear probing, index + 1 (0 empty),
 * at most half full. A series is looked up at every count, some of them per
 * event (a delivery report, a milestone's lateness), and some families have
 * a series per bank: a scan compared the name with every series. (The burst
 * of tests/bench/timers, with few series, measured no difference.) */
static size_t *slots;
static size_t nslots;

static uint64_t name_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* The slot of name: where it is, or the empty one it would go in. */
static size_t slot_of(const char *name)
{
    size_t i = (size_t)name_hash(name) & (nslots - 1);
    while (slots[i] && strcmp(series[slots[i] - 1].name, name) != 0)
        i = (i + 1) & (nslots - 1);
    return i;
}

/* Room for one more series at most half full; -1 when out of memory. */
static int slots_reserve(void)
{
    if (2 * (nseries + 1) <= nslots)
        return 0;
    size_t n = nslots ? 2 * nslots : 128;
    size_t *fresh = calloc(n, sizeof(*fresh));
    if (!fresh)
        return -1;
    free(slots);
    slots = fresh;
    nslots = n;
    for (size_t k = 0; k < nseries; k++)
        slots[slot_of(series[k].name)] = k + 1;
    return 0;
}

static size_t family_len_of(const char *name)
{
    const char *brace = strchr(name, '{');
    return brace ? (size_t)(brace - name) : strlen(name);
}

void metrics_describe(const char *family, enum metric_type type, const char *help)
{
    if (!started_at)
        started_at = time(NULL);
    for (size_t i = 0; i < nfamilies; i++) {
        if (strcmp(families[i].name, family) == 0)
            return;
    }
    if (nfamilies == cap_families) {
        size_t n = cap_families ? cap_families * 2 : 32;
        struct family *f = realloc(families, n * sizeof(*f));
        if (!f)
            return;
        families = f;
        cap_families = n;
    }
    families[nfamilies].name = strdup(family);
    families[nfamilies].help = strdup(help);
    families[nfamilies].type = type;
    if (families[nfamilies].name && families[nfamilies].help)
        nfamilies++;
}

static struct series *lookup(const char *name, enum metric_type type)
{
    if (nslots) {
        size_t i = slot_of(name);
        if (slots[i])
            return &series[slots[i] - 1];
    }
    if (slots_reserve() != 0)
        return NULL;
    if (nseries == cap_series) {
        size_t n = cap_series ? cap_series * 2 : 64;
        struct series *s = realloc(series, n * sizeof(*s));
        if (!s)
            return NULL;
        series = s;
        cap_series = n;
    }
    struct series *s = &series[nseries];
    memset(s, 0, sizeof(*s));
    s->name = strdup(name);
    if (!s->name)
        return NULL;
    s->family_len = family_len_of(name);
    s->type = type;
    slots[slot_of(name)] = ++nseries;
    return s;
}

void metrics_add(const char *name, int64_t delta)
{
    struct series *s = lookup(name, METRIC_COUNTER);
    if (s)
        s->value += delta;
}

void metrics_set(const char *name, int64_t value)
{
    struct series *s = lookup(name, METRIC_GAUGE);
    if (s)
        s->value = value;
}

void metrics_observe_us(const char *name, int64_t us)
{
    struct series *s = lookup(name, METRIC_HISTOGRAM);
    if (!s)
        return;
    s->count++;
    s->sum_us += us;
    for (int i = 0; i < BUCKETS; i++) {
        if (us <= bucket_us[i])
            s->bucket[i]++;
    }
}

int64_t metrics_get(const char *name)
{
    if (!nslots)
        return 0;
    size_t i = slot_of(name);
    return slots[i] ? series[slots[i] - 1].value : 0;
}

/* Seconds from microseconds, without floating point. */
static void put_seconds(struct evbuffer *out, int64_t us)
{
    evbuffer_add_printf(out, "%lld.%06lld", (long long)(us / 1000000), (long long)(us % 1000000));
}

/* name{a="b"} + extra label -> name_suffix{a="b",extra} */
static void put_series_name(struct evbuffer *out, const struct series *s, const char *suffix,
                            const char *extra)
{
    const char *labels = s->name + s->family_len; /* "" or "{...}" */
    evbuffer_add(out, s->name, s->family_len);
    evbuffer_add_printf(out, "%s", suffix);
    if (*labels && extra) {
        evbuffer_add(out, labels, strlen(labels) - 1);
        evbuffer_add_printf(out, ",%s}", extra);
    } else if (*labels) {
        evbuffer_add_printf(out, "%s", labels);
    } else if (extra) {
        evbuffer_add_printf(out, "{%s}", extra);
    }
}

static void render_series(struct evbuffer *out, const struct series *s)
{
    if (s->type != METRIC_HISTOGRAM) {
        put_series_name(out, s, "", NULL);
        evbuffer_add_printf(out, " %lld\n", (long long)s->value);
        return;
    }
    for (int i = 0; i < BUCKETS; i++) {
        char le[48];
        snprintf(le, sizeof(le), "le=\"%lld.%06lld\"", (long long)(bucket_us[i] / 1000000),
                 (long long)(bucket_us[i] % 1000000));
        put_series_name(out, s, "_bucket", le);
        evbuffer_add_printf(out, " %lld\n", (long long)s->bucket[i]);
    }
    put_series_name(out, s, "_bucket", "le=\"+Inf\"");
    evbuffer_add_printf(out, " %lld\n", (long long)s->count);
    put_series_name(out, s, "_sum", NULL);
    evbuffer_add(out, " ", 1);
    put_seconds(out, s->sum_us);
    evbuffer_add(out, "\n", 1);
    put_series_name(out, s, "_count", NULL);
    evbuffer_add_printf(out, " %lld\n", (long long)s->count);
}

static void render_process(struct evbuffer *out)
{
    long rss_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        long size;
        if (fscanf(f, "%ld %ld", &size, &rss_pages) != 2)
            rss_pages = 0;
        fclose(f);
    }
    long page = sysconf(_SC_PAGESIZE);
    evbuffer_add_printf(out,
                        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                        "# TYPE process_resident_memory_bytes gauge\n"
                        "process_resident_memory_bytes %ld\n"
                        "# HELP process_start_time_seconds Start time of the process since the "
                        "epoch, in seconds.\n"
                        "# TYPE process_start_time_seconds gauge\n"
                        "process_start_time_seconds %lld\n",
                        rss_pages * page, (long long)started_at);
}

void metrics_render(struct evbuffer *out)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    render_process(out);
    for (size_t f = 0; f < nfamilies; f++) {
        evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
                            families[f].name, type_names[families[f].type]);
        size_t flen = strlen(families[f].name);
        for (size_t i = 0; i < nseries; i++) {
            if (series[i].family_len == flen &&
                strncmp(series[i].name, families[f].name, flen) == 0)
                render_series(out, &series[i]);
        }
    }
    /* Series whose family was never described still render, untyped. */
    for (size_t i = 0; i < nseries; i++) {
        int known = 0;
        for (size_t f = 0; f < nfamilies && !known; f++) {
            known = series[i].family_len == strlen(families[f].name) &&
                    strncmp(series[i].name, families[f].name, series[i].family_len) == 0;
        }
        if (!known)
            render_series(out, &series[i]);
    }
}

void metrics_reset(void)
{
    for (size_t i = 0; i < nfamilies; i++) {
        free(families[i].name);
        free(families[i].help);
    }
    for (size_t i = 0; i < nseries; i++)
        free(series[i].name);
    RELAY_FREE(families);
    RELAY_FREE(series);
    RELAY_FREE(slots);
    nfamilies = cap_families = nseries = cap_series = nslots = 0;
}
