/* accesslog.c — the durable access log of case reads; see accesslog.h. */
#include "accesslog.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "metrics.h"

#define FIELDS 6

static const char sql_insert[] =
    "INSERT INTO case_access_log (key_id, party, role, ref, route, request_id)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
    " $6::text[])";

/* The rows of one read, in one allocation: the struct, n * FIELDS
 * pointers, the strings. */
struct waiter {
    struct waiter *next;
    accesslog_done_fn done;
    void *arg;
    size_t n;
    const char **field; /* row i, field f: field[i * FIELDS + f] */
};

struct accesslog {
    struct event_base *base;
    struct db *db;
    size_t queue_max;
    struct waiter *head, *tail; /* queued */
    size_t queued_rows;
    struct waiter *batch; /* committing */
    size_t batch_rows;
    struct event *ev_flush;
};

char *accesslog_array_literal(const char *const *values, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += strlen(values[i]) * 2 + 3;
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            out[o++] = ',';
        out[o++] = '"';
        for (const char *p = values[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                out[o++] = '\\';
            out[o++] = *p;
        }
        out[o++] = '"';
    }
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

static size_t field_len(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > ACCESSLOG_FIELD_MAX ? ACCESSLOG_FIELD_MAX : n;
}

static struct waiter *waiter_new(const struct accesslog_entry *rows, size_t n)
{
    size_t bytes = sizeof(struct waiter) + n * FIELDS * sizeof(char *);
    for (size_t i = 0; i < n; i++) {
        const char *f[FIELDS] = {rows[i].key_id, rows[i].party, rows[i].role,
                                 rows[i].ref,    rows[i].route, rows[i].request_id};
        for (int k = 0; k < FIELDS; k++)
            bytes += field_len(f[k]) + 1;
    }
    struct waiter *w = malloc(bytes);
    if (!w)
        return NULL;
    memset(w, 0, sizeof(*w));
    w->n = n;
    w->field = (const char **)(w + 1);
    char *s = (char *)(w->field + n * FIELDS);
    for (size_t i = 0; i < n; i++) {
        const char *f[FIELDS] = {rows[i].key_id, rows[i].party, rows[i].role,
                                 rows[i].ref,    rows[i].route, rows[i].request_id};
        for (int k = 0; k < FIELDS; k++) {
            size_t len = field_len(f[k]);
            if (len)
                memcpy(s, f[k], len);
            s[len] = '\0';
            w->field[i * FIELDS + (size_t)k] = s;
            s += len + 1;
        }
    }
    return w;
}

/* Tell every waiter of the list, then free it. */
static void answer(struct waiter *w, int ok)
{
    while (w) {
        struct waiter *next = w->next;
        w->done(ok, w->arg);
        free(w);
        w = next;
    }
}

static void flush(struct accesslog *l);

static void on_inserted(PGresult *res, void *arg)
{
    struct accesslog *l = arg;
    int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    struct waiter *batch = l->batch;
    size_t rows = l->batch_rows;
    l->batch = NULL;
    l->batch_rows = 0;
    if (ok) {
        metrics_add("relay48_case_access_rows_total", (int64_t)rows);
    } else {
        metrics_add("relay48_case_access_failures_total", 1);
        /* The primary message only: a DETAIL may quote the failing row. */
        const char *why = "connection lost";
        if (res)
            why = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        log_error("accesslog.write_failed", "%zu case-access row(s) not written: %s", rows,
                  why ? why : "failed");
    }
    answer(batch, ok);
    flush(l);
}

/* Send the next batch of queued reads; when it cannot be sent, its reads
 * are answered (not written) at once. */
static void flush_one(struct accesslog *l)
{
    /* Whole reads, up to ACCESSLOG_BATCH_MAX rows (a read is never split). */
    struct waiter *last = l->head;
    size_t rows = last->n;
    while (last->next && rows + last->next->n <= ACCESSLOG_BATCH_MAX) {
        last = last->next;
        rows += last->n;
    }
    struct waiter *batch = l->head;
    l->head = last->next;
    if (!l->head)
        l->tail = NULL;
    last->next = NULL;
    l->queued_rows -= rows;

    const char **col = malloc(rows * sizeof(*col));
    char *lit[FIELDS] = {NULL};
    int built = col != NULL;
    for (int f = 0; built && f < FIELDS; f++) {
        size_t k = 0;
        for (struct waiter *w = batch; w; w = w->next) {
            for (size_t i = 0; i < w->n; i++)
                col[k++] = w->field[i * FIELDS + (size_t)f];
        }
        lit[f] = accesslog_array_literal(col, rows);
        built = lit[f] != NULL;
    }
    free(col);
    int sent = 0;
    if (built) {
        const char *p[FIELDS] = {lit[0], lit[1], lit[2], lit[3], lit[4], lit[5]};
        sent = db_send(l->db, "accesslog_insert", NULL, FIELDS, p, on_inserted, l) == 0;
    }
    for (int f = 0; f < FIELDS; f++)
        free(lit[f]);
    if (!sent) {
        log_error("accesslog.write_failed", "%zu case-access row(s) not written: %s", rows,
                  built ? "the database is not available" : "out of memory");
        metrics_add("relay48_case_access_failures_total", 1);
        answer(batch, 0);
        return;
    }
    l->batch = batch;
    l->batch_rows = rows;
    if (db_sync(l->db) != 0)
        log_debug("accesslog.sync_lost", "connection lost while writing case-access rows");
}

static void flush(struct accesslog *l)
{
    /* A batch that cannot be sent is answered at once: the next goes now. */
    while (!l->batch && l->head)
        flush_one(l);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    flush(arg);
}

int accesslog_prepare(struct db *db)
{
    return db_prepare(db, "accesslog_insert", sql_insert, FIELDS);
}

struct accesslog *accesslog_new(struct event_base *base, struct db *db, size_t queue_max,
                                char *errstr, size_t errstr_size)
{
    struct accesslog *l = calloc(1, sizeof(*l));
    if (!l || !(l->ev_flush = event_new(base, -1, 0, on_flush, l))) {
        free(l);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    l->base = base;
    l->db = db;
    l->queue_max = queue_max;
    metrics_describe("relay48_case_access_rows_total", METRIC_COUNTER,
                     "Rows written to the case access log (who read which case).");
    metrics_describe("relay48_case_access_failures_total", METRIC_COUNTER,
                     "Batches of the case access log that could not be written (their reads "
                     "answered 503).");
    return l;
}

void accesslog_free(struct accesslog *l)
{
    if (!l)
        return;
    event_free(l->ev_flush);
    struct waiter *q = l->head, *b = l->batch;
    l->head = l->tail = l->batch = NULL;
    answer(b, 0);
    answer(q, 0);
    free(l);
}

int accesslog_record(struct accesslog *l, const struct accesslog_entry *rows, size_t n,
                     accesslog_done_fn done, void *arg)
{
    if (n == 0 || n > ACCESSLOG_BATCH_MAX || !db_ready(l->db))
        return -1;
    if (l->queued_rows + l->batch_rows + n > l->queue_max) {
        log_warn("accesslog.queue_full", "%zu case-access rows waiting: read refused",
                 l->queued_rows + l->batch_rows);
        return -1;
    }
    struct waiter *w = waiter_new(rows, n);
    if (!w)
        return -1;
    w->done = done;
    w->arg = arg;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
    l->queued_rows += n;
    /* At the end of this loop turn: the reads answered in the same turn go
     * in the same INSERT. */
    if (!l->batch)
        event_active(l->ev_flush, 0, 0);
    return 0;
}

size_t accesslog_pending(const struct accesslog *l)
{
    return l ? l->queued_rows + l->batch_rows : 0;
}
