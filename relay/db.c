/* db.c — asynchronous libpq connection in pipeline mode; see db.h. */
#include "db.h"

#include <event2/event.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define DB_MAX_PREPARED 64
#define DB_RETRY_MIN_MS 50

enum entry_kind { ENTRY_QUERY, ENTRY_SYNC, ENTRY_PREPARE };

struct entry {
    enum entry_kind kind;
    db_result_fn cb;
    void *arg;
    PGresult *res; /* the query's result, kept until its terminating NULL */
    struct entry *next;
};

struct prepared {
    char *name, *sql;
    int nparams;
};

struct db {
    struct event_base *base;
    struct db_options opt;
    char *conninfo, *name, *options;
    PGconn *conn;
    struct event *ev_read, *ev_write, *ev_retry;
    evutil_socket_t fd;
    int connecting; /* PQconnectPoll in progress */
    int ready;
    int retry_ms;
    struct entry *head, *tail;
    size_t pending;
    /* Statements of a lost connection, told on the next loop turn so that no
     * callback runs inside db_send or db_sync. */
    struct entry *failed;
    struct event *ev_fail;
    struct prepared prep[DB_MAX_PREPARED];
    int nprep;
};

static void connect_start(struct db *db);
static void on_io(evutil_socket_t fd, short what, void *arg);

static void set_ready(struct db *db, int ready)
{
    if (db->ready == ready)
        return;
    db->ready = ready;
    if (db->opt.on_state)
        db->opt.on_state(ready, db->opt.arg);
}

static void push(struct db *db, enum entry_kind kind, db_result_fn cb, void *arg, int *ok)
{
    struct entry *e = calloc(1, sizeof(*e));
    if (!e) {
        *ok = 0;
        return;
    }
    e->kind = kind;
    e->cb = cb;
    e->arg = arg;
    if (db->tail)
        db->tail->next = e;
    else
        db->head = e;
    db->tail = e;
    db->pending++;
    *ok = 1;
}

static void pop(struct db *db)
{
    struct entry *e = db->head;
    db->head = e->next;
    if (!db->head)
        db->tail = NULL;
    db->pending--;
    if (e->res)
        PQclear(e->res);
    free(e);
}

/* Tell the statements of a lost connection that their outcome is unknown. */
static void run_failed(struct db *db)
{
    while (db->failed) {
        struct entry *e = db->failed;
        db->failed = e->next;
        if (e->kind == ENTRY_QUERY && e->cb)
            e->cb(NULL, e->arg);
        if (e->res)
            PQclear(e->res);
        free(e);
    }
}

static void on_fail(evutil_socket_t fd, short what, void *arg)
{
    run_failed(arg);
}

/* Move every statement still waiting to the failed list, in order. */
static void fail_pending(struct db *db)
{
    if (!db->head)
        return;
    struct entry **end = &db->failed;
    while (*end)
        end = &(*end)->next;
    *end = db->head;
    db->head = db->tail = NULL;
    db->pending = 0;
    if (db->ev_fail)
        event_active(db->ev_fail, EV_TIMEOUT, 0);
}

static void drop_connection(struct db *db, const char *why)
{
    if (db->conn) {
        log_warn("db.disconnected", "%s: %s", db->name, why);
    }
    if (db->ev_read)
        event_free(db->ev_read);
    if (db->ev_write)
        event_free(db->ev_write);
    db->ev_read = db->ev_write = NULL;
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    db->fd = -1;
    db->connecting = 0;
    set_ready(db, 0);
    fail_pending(db);

    /* Backoff with full jitter between the minimum and the current ceiling. */
    unsigned int r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = 0;
    int span = db->retry_ms > DB_RETRY_MIN_MS ? db->retry_ms - DB_RETRY_MIN_MS : 0;
    int wait_ms = DB_RETRY_MIN_MS + (span ? (int)(r % (unsigned)span) : 0);
    db->retry_ms =
        db->retry_ms * 2 > db->opt.retry_max_ms ? db->opt.retry_max_ms : db->retry_ms * 2;
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    evtimer_add(db->ev_retry, &tv);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    connect_start(arg);
}

/* (Re)create the read/write events when the socket changed. */
static int watch(struct db *db)
{
    evutil_socket_t fd = PQsocket(db->conn);
    if (fd < 0)
        return -1;
    if (fd != db->fd || !db->ev_read) {
        if (db->ev_read)
            event_free(db->ev_read);
        if (db->ev_write)
            event_free(db->ev_write);
        db->ev_read = event_new(db->base, fd, EV_READ | EV_PERSIST, on_io, db);
        db->ev_write = event_new(db->base, fd, EV_WRITE, on_io, db);
        if (!db->ev_read || !db->ev_write)
            return -1;
        db->fd = fd;
    }
    return 0;
}

static void queue_prepares(struct db *db)
{
    for (int i = 0; i < db->nprep; i++) {
        int ok = 0;
        if (!PQsendPrepare(db->conn, db->prep[i].name, db->prep[i].sql, db->prep[i].nparams, NULL))
            continue;
        push(db, ENTRY_PREPARE, NULL, NULL, &ok);
    }
    if (db->nprep) {
        int ok = 0;
        if (PQpipelineSync(db->conn))
            push(db, ENTRY_SYNC, NULL, NULL, &ok);
    }
}

static void flush(struct db *db)
{
    int rc = PQflush(db->conn);
    if (rc < 0) {
        drop_connection(db, PQerrorMessage(db->conn));
        return;
    }
    if (rc == 1)
        event_add(db->ev_write, NULL);
}

static void connect_poll(struct db *db)
{
    PostgresPollingStatusType st = PQconnectPoll(db->conn);
    if (watch(db) != 0 && st != PGRES_POLLING_FAILED) {
        drop_connection(db, "no socket");
        return;
    }
    switch (st) {
    case PGRES_POLLING_READING:
        event_add(db->ev_read, NULL);
        return;
    case PGRES_POLLING_WRITING:
        event_add(db->ev_write, NULL);
        return;
    case PGRES_POLLING_FAILED:
        drop_connection(db, PQerrorMessage(db->conn));
        return;
    case PGRES_POLLING_OK:
    default:
        break;
    }
    db->connecting = 0;
    if (PQsetnonblocking(db->conn, 1) != 0 || !PQenterPipelineMode(db->conn)) {
        drop_connection(db, "cannot enter pipeline mode");
        return;
    }
    event_add(db->ev_read, NULL);
    db->retry_ms = DB_RETRY_MIN_MS;
    queue_prepares(db);
    flush(db);
    if (db->conn) {
        log_info("db.connected", "%s: connected", db->name);
        set_ready(db, 1);
    }
}

static void connect_start(struct db *db)
{
    const char *keys[] = {"dbname", db->options ? "options" : NULL, NULL};
    const char *values[] = {db->conninfo, db->options, NULL};
    db->conn = PQconnectStartParams(keys, values, 1);
    if (!db->conn || PQstatus(db->conn) == CONNECTION_BAD) {
        drop_connection(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
        return;
    }
    db->connecting = 1;
    db->fd = -1;
    connect_poll(db);
}

/* Hand every complete result to its statement's callback, in order. */
static void drain_results(struct db *db)
{
    while (db->conn && db->head) {
        if (PQisBusy(db->conn))
            return;
        struct entry *e = db->head;
        PGresult *r = PQgetResult(db->conn);
        if (e->kind == ENTRY_SYNC) {
            if (!r)
                continue; /* stray terminator */
            if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
                PQclear(r);
                drop_connection(db, "pipeline out of step");
                return;
            }
            PQclear(r);
            pop(db);
            continue;
        }
        if (r) {
            /* Keep the first result; a statement has one. */
            if (e->res)
                PQclear(r);
            else
                e->res = r;
            continue;
        }
        /* NULL ends this statement's results. */
        if (e->kind == ENTRY_PREPARE && e->res && PQresultStatus(e->res) != PGRES_COMMAND_OK) {
            log_error("db.prepare_failed", "%s: %s", db->name, PQresultErrorMessage(e->res));
        }
        db->head = e->next;
        if (!db->head)
            db->tail = NULL;
        db->pending--;
        if (e->kind == ENTRY_QUERY && e->cb)
            e->cb(e->res, e->arg);
        if (e->res)
            PQclear(e->res);
        free(e);
    }
}

static void deliver_notifies(struct db *db)
{
    PGnotify *n;
    while (db->conn && (n = PQnotifies(db->conn)) != NULL) {
        if (db->opt.on_notify)
            db->opt.on_notify(n->relname, n->extra, db->opt.arg);
        PQfreemem(n);
    }
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    struct db *db = arg;
    if (db->connecting) {
        connect_poll(db);
        return;
    }
    if (what & EV_WRITE) {
        flush(db);
        if (!db->conn)
            return;
    }
    if (what & EV_READ) {
        if (!PQconsumeInput(db->conn) || PQstatus(db->conn) == CONNECTION_BAD) {
            drop_connection(db, PQerrorMessage(db->conn));
            return;
        }
        drain_results(db);
        deliver_notifies(db);
    }
}

/*
 * Every session of the relay runs without JIT compilation, then the
 * caller's settings. The relay's statements are short and run thousands of
 * times; when a plan's estimated cost crosses jit_above_cost (the
 * scheduler's claim, planned generically over a million milestones, was
 * estimated at 775 232), PostgreSQL compiled it with LLVM at each
 * execution: claims of 1.5-2.7 s with nothing due, on all four scheduler
 * connections at once, in tests/bench/intake (auto_explain: "JIT:
 * Functions: 163, Inlining true, Optimization true").
 */
static char *session_options(const char *extra)
{
    static const char base[] = "-c jit=off";
    size_t n = sizeof(base) + (extra ? strlen(extra) + 1 : 0);
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", base, extra ? " " : "", extra ? extra : "");
    return s;
}

struct db *db_new(struct event_base *base, const struct db_options *opt, char *errstr,
                  size_t errstr_size)
{
    struct db *db = calloc(1, sizeof(*db));
    if (!db)
        goto oom;
    db->base = base;
    db->opt = *opt;
    db->conninfo = strdup(opt->conninfo);
    db->name = strdup(opt->name ? opt->name : "db");
    db->options = session_options(opt->options);
    db->ev_retry = evtimer_new(base, on_retry, db);
    db->ev_fail = evtimer_new(base, on_fail, db);
    db->fd = -1;
    db->retry_ms = DB_RETRY_MIN_MS;
    if (db->opt.retry_max_ms < DB_RETRY_MIN_MS)
        db->opt.retry_max_ms = DB_RETRY_MIN_MS;
    if (!db->conninfo || !db->name || !db->ev_retry || !db->ev_fail || !db->options)
        goto oom;
    db->opt.conninfo = db->conninfo;
    db->opt.name = db->name;
    db->opt.options = db->options;
    connect_start(db);
    return db;
oom:
    snprintf(errstr, errstr_size, "out of memory");
    db_free(db);
    return NULL;
}

void db_free(struct db *db)
{
    if (!db)
        return;
    db->opt.on_state = NULL;
    if (db->ev_read)
        event_free(db->ev_read);
    if (db->ev_write)
        event_free(db->ev_write);
    if (db->ev_retry)
        event_free(db->ev_retry);
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    fail_pending(db);
    if (db->ev_fail)
        event_free(db->ev_fail);
    db->ev_fail = NULL;
    run_failed(db);
    for (int i = 0; i < db->nprep; i++) {
        free(db->prep[i].name);
        free(db->prep[i].sql);
    }
    free(db->conninfo);
    free(db->name);
    free(db->options);
    free(db);
}

int db_ready(const struct db *db)
{
    return db && db->ready && db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

int db_prepare(struct db *db, const char *name, const char *sql, int nparams)
{
    if (db->nprep == DB_MAX_PREPARED)
        return -1;
    struct prepared *p = &db->prep[db->nprep];
    p->name = strdup(name);
    p->sql = strdup(sql);
    p->nparams = nparams;
    if (!p->name || !p->sql) {
        RELAY_FREE(p->name);
        RELAY_FREE(p->sql);
        return -1;
    }
    db->nprep++;
    /* Already connected: prepare on this connection too. */
    if (db_ready(db)) {
        int ok = 0;
        if (PQsendPrepare(db->conn, p->name, p->sql, nparams, NULL))
            push(db, ENTRY_PREPARE, NULL, NULL, &ok);
    }
    return 0;
}

int db_send(struct db *db, const char *name, const char *sql, int nparams,
            const char *const *values, db_result_fn cb, void *arg)
{
    if (!db_ready(db))
        return -1;
    int sent = name ? PQsendQueryPrepared(db->conn, name, nparams, values, NULL, NULL, 0)
                    : PQsendQueryParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0);
    if (!sent) {
        drop_connection(db, PQerrorMessage(db->conn));
        return -1;
    }
    int ok = 0;
    push(db, ENTRY_QUERY, cb, arg, &ok);
    if (!ok) {
        /* Cannot track it: the pipeline would be out of step. */
        drop_connection(db, "out of memory");
        return -1;
    }
    return 0;
}

int db_sync(struct db *db)
{
    if (!db_ready(db))
        return -1;
    if (!PQpipelineSync(db->conn)) {
        drop_connection(db, PQerrorMessage(db->conn));
        return -1;
    }
    int ok = 0;
    push(db, ENTRY_SYNC, NULL, NULL, &ok);
    if (!ok) {
        drop_connection(db, "out of memory");
        return -1;
    }
    flush(db);
    return db->conn ? 0 : -1;
}

size_t db_pending(const struct db *db)
{
    return db->pending;
}
