/* purge.c — `relay48 purge`; see purge.h. */
#include "purge.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "progress.h"
#include "retention.h"
#include "timeutil.h"

/* Plain progress lines (not a terminal): at most one a this often. */
#define PURGE_LINE_EVERY_MS 2000

static void usage(FILE *out)
{
    fprintf(out,
            "usage: relay48 purge [--dry-run] [--class NAME]... [--batch-rows N]\n"
            "  Anonymise or delete the personal data past its retention (retention.* keys):\n"
            "  of CLOSED cases only (resolved or expired, counted from the closure), and the\n"
            "  access log and webhook ids by their age. Open cases are never touched.\n"
            "  --dry-run       count what is due, change nothing\n"
            "  --class NAME    only this class (repeatable)\n"
            "  --batch-rows N  rows per transaction, 10..100000 (default retention.batch_rows)\n"
            "  Classes:\n");
    for (int i = 0; i < RETENTION_CLASSES; i++)
        fprintf(out, "    %-12s %s\n", retention_class_name((enum retention_class)i),
                retention_class_what((enum retention_class)i));
    fprintf(out, "  The clock is the real one, or clock.fixed when it is set (tests).\n");
}

void purge_format_keep(int64_t seconds, char *out, size_t out_size)
{
    if (seconds % 86400 == 0)
        snprintf(out, out_size, "%" PRId64 " d", seconds / 86400);
    else
        snprintf(out, out_size, "%" PRId64 " s", seconds);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct show {
    struct progress *bar; /* NULL when stderr is not a terminal */
    int tty;
    int64_t due[RETENTION_CLASSES];
    int64_t due_total;
    int cls; /* the class of the last update */
    int64_t last_line_ms;
};

static void plain_line(const struct retention_run *r, int cls, const struct show *s)
{
    fprintf(stderr,
            "relay48 purge: %s %" PRId64 "/%" PRId64 " rows, all classes %" PRId64 "/%" PRId64 "\n",
            retention_class_name((enum retention_class)cls), r->t.rows[cls],
            s->due[cls] > r->t.rows[cls] ? s->due[cls] : r->t.rows[cls],
            retention_totals_rows(&r->t), s->due_total);
}

static void on_progress(const struct retention_run *r, void *arg)
{
    struct show *s = arg;
    int64_t done = retention_totals_rows(&r->t);
    if (s->tty) {
        progress_update(s->bar, (size_t)done);
        return;
    }
    /* A line when a class ends, and every PURGE_LINE_EVERY_MS within one. */
    int64_t now = mono_ms();
    if (r->cls != s->cls) {
        plain_line(r, s->cls, s);
        s->cls = r->cls;
        s->last_line_ms = now;
    } else if (now - s->last_line_ms >= PURGE_LINE_EVERY_MS && r->cls < RETENTION_CLASSES) {
        plain_line(r, r->cls, s);
        s->last_line_ms = now;
    }
}

static void print_summary(const struct retention_run *r, const int64_t *due, int dry_run,
                          double seconds)
{
    printf("%-12s %-7s %-21s %10s %8s %8s %9s %8s\n", "class", "kept", "due before",
           dry_run ? "due" : "purged", "linked", "batches", "seconds", "max ms");
    int64_t total = 0;
    for (int i = 0; i < RETENTION_CLASSES; i++) {
        if (!(r->mask & (1u << i)))
            continue;
        char keep[32], cutoff[TIMEUTIL_UTC_SIZE];
        purge_format_keep(r->policy.keep_s[i], keep, sizeof(keep));
        if (rfc3339_format_utc(r->t.cutoff[i], cutoff, sizeof(cutoff)) != 0)
            snprintf(cutoff, sizeof(cutoff), "-");
        int64_t rows = dry_run ? due[i] : r->t.rows[i];
        total += rows;
        if (dry_run)
            printf("%-12s %-7s %-21s %10" PRId64 " %8s %8s %9s %8s\n",
                   retention_class_name((enum retention_class)i), keep, cutoff, rows, "-", "-", "-",
                   "-");
        else
            printf("%-12s %-7s %-21s %10" PRId64 " %8" PRId64 " %8" PRId64 " %9.3f %8.1f\n",
                   retention_class_name((enum retention_class)i), keep, cutoff, rows,
                   r->t.linked[i], r->t.batches[i], (double)r->t.us[i] / 1e6,
                   (double)r->t.max_us[i] / 1e3);
    }
    if (dry_run)
        printf("total: %" PRId64 " rows due; nothing changed (--dry-run)\n", total);
    else
        printf("total: %" PRId64 " rows purged in %.3f s (%.0f rows/s)\n", total, seconds,
               seconds > 0 ? (double)total / seconds : 0.0);
}

int purge_main(const struct config *cfg, int argc, char **argv)
{
    int dry_run = 0;
    unsigned mask = 0;
    int64_t batch_rows = cfg->retention_batch_rows;
    for (int i = 0; i < argc; i++) {
        const char *val;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
            strcmp(argv[i], "help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            dry_run = 1;
        } else if ((val = cli_option_value(argc, argv, &i, "--class"))) {
            enum retention_class c;
            if (retention_class_parse(val, &c) != 0) {
                fprintf(stderr, "relay48 purge: unknown class \"%s\"\n", val);
                usage(stderr);
                return 2;
            }
            mask |= 1u << c;
        } else if ((val = cli_option_value(argc, argv, &i, "--batch-rows"))) {
            char *end = NULL;
            long long v = strtoll(val, &end, 10);
            if (!*val || *end || v < 10 || v > 100000) {
                fprintf(stderr, "relay48 purge: --batch-rows takes 10..100000\n");
                return 2;
            }
            batch_rows = v;
        } else {
            fprintf(stderr, "relay48 purge: unexpected argument \"%s\"%s\n", argv[i],
                    argv[i][0] == '-' ? " (unknown option, or no value after it)" : "");
            usage(stderr);
            return 2;
        }
    }
    if (!mask)
        mask = RETENTION_ALL;

    int64_t now = (int64_t)time(NULL);
    int fixed = cfg->clock_fixed && *cfg->clock_fixed;
    if (fixed && rfc3339_parse(cfg->clock_fixed, &now) != RFC3339_OK) {
        fprintf(stderr, "relay48 purge: clock.fixed is not an RFC 3339 time with an offset\n");
        return 2;
    }
    struct retention_policy policy;
    retention_policy_from_config(cfg, &policy);
    struct retention_run run;
    retention_run_init(&run, &policy, now, (int)batch_rows, mask);

    const char *keys[] = {"dbname", "application_name", NULL};
    const char *values[] = {cfg->database_url, "relay48-purge", NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    char err[512];
    if (PQstatus(conn) != CONNECTION_OK) {
        cli_pq_error(err, sizeof(err), "cannot connect to the database", PQerrorMessage(conn));
        fprintf(stderr, "relay48 purge: %s\n", err);
        PQfinish(conn);
        return 1;
    }
    char now_text[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(now, now_text, sizeof(now_text)) != 0)
        snprintf(now_text, sizeof(now_text), "?");
    printf("relay48 purge%s: now %s%s, batches of %" PRId64 " rows\n", dry_run ? " --dry-run" : "",
           now_text, fixed ? " (clock.fixed)" : "", batch_rows);
    fflush(stdout);

    struct show s = {.tty = isatty(fileno(stderr)), .cls = run.cls};
    if (retention_count_sync(conn, &run, s.due, err, sizeof(err)) != 0) {
        fprintf(stderr, "relay48 purge: counting what is due: %s\n", err);
        PQfinish(conn);
        return 1;
    }
    for (int i = 0; i < RETENTION_CLASSES; i++)
        s.due_total += s.due[i] > 0 ? s.due[i] : 0;
    if (dry_run) {
        print_summary(&run, s.due, 1, 0);
        PQfinish(conn);
        return 0;
    }

    s.bar = s.tty ? progress_start(stderr, (size_t)s.due_total, "rows") : NULL;
    s.last_line_ms = mono_ms();
    int64_t t0 = mono_ms();
    int rc = retention_purge_sync(conn, &run, on_progress, &s, err, sizeof(err));
    double seconds = (double)(mono_ms() - t0) / 1000.0;
    progress_end(s.bar);
    PQfinish(conn);
    print_summary(&run, s.due, 0, seconds);
    if (rc != 0) {
        fprintf(stderr, "relay48 purge: %s (the batches above committed; run it again to go on)\n",
                err);
        return 1;
    }
    return 0;
}
