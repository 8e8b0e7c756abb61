/* reload.c — periodic reload of an in-memory table from PostgreSQL; see reload.h. */
#include "reload.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

/* The one statement in flight; orphaned (r NULL) when the reload is freed first. */
struct reload_load {
    struct reload *r;
    uint64_t seq;
};

struct reload {
    struct reload_options o;
    struct db *db;
    struct event *ev_timer;
    int loaded;
    int failing; /* the last load failed: log only the transitions */
    struct reload_load *inflight;
    uint64_t seq_sent; /* loads sent */
    uint64_t seq_done; /* the last load that succeeded */
    char last_error[256];
};

static void schedule(struct reload *r)
{
    int ms = r->o.refresh_ms;
    if (!r->loaded && ms > RELOAD_FIRST_MS)
        ms = RELOAD_FIRST_MS;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(r->ev_timer, &tv);
}

static void failed(struct reload *r, const char *why)
{
    char event[64];
    snprintf(r->last_error, sizeof(r->last_error), "%s", why);
    if (!r->failing) {
        snprintf(event, sizeof(event), "%s.load_failed", r->o.name);
        log_warn(event, "keeping the %zu %s loaded before: %s", r->o.count(r->o.owner), r->o.noun,
                 why);
    }
    r->failing = 1;
}

/* Loop thread: the answer to the statement, or NULL when the connection was lost. */
static void on_loaded(PGresult *res, void *arg)
{
    struct reload_load *l = arg;
    struct reload *r = l->r;
    uint64_t seq = l->seq;
    free(l);
    if (!r)
        return; /* freed meanwhile */
    r->inflight = NULL;
    char why[200];
    if (!res) {
        failed(r, "connection lost during the load");
        goto next;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != r->o.nfields) {
        snprintf(why, sizeof(why), "%s",
                 r->o.query_failed ? r->o.query_failed : PQresultErrorMessage(res));
        why[strcspn(why, "\n")] = '\0';
        failed(r, why);
        goto next;
    }
    why[0] = '\0';
    if (r->o.apply(r->o.owner, res, !r->loaded || r->failing, why, sizeof(why)) != 0) {
        failed(r, why);
        goto next;
    }
    r->loaded = 1;
    r->failing = 0;
    r->seq_done = seq;
    r->last_error[0] = '\0';
next:
    schedule(r);
    if (r->o.attempted)
        r->o.attempted(r->o.owner);
}

static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
    struct reload *r = arg;
    if (r->inflight)
        return; /* on_loaded schedules the next one */
    struct reload_load *l = calloc(1, sizeof(*l));
    if (!l) {
        schedule(r);
        return;
    }
    l->r = r;
    l->seq = r->seq_sent + 1;
    if (db_send(r->db, NULL, r->o.sql, 0, NULL, on_loaded, l) != 0) {
        /* Not connected: nothing queued, try again at the next tick. */
        free(l);
        snprintf(r->last_error, sizeof(r->last_error), "database not connected");
        schedule(r);
        if (r->o.attempted)
            r->o.attempted(r->o.owner);
        return;
    }
    r->inflight = l;
    r->seq_sent = l->seq;
    /* On failure the connection was dropped and on_loaded gets NULL. */
    if (db_sync(r->db) != 0) {
        char event[64];
        snprintf(event, sizeof(event), "%s.sync_failed", r->o.name);
        log_debug(event, "connection lost while sending the load");
    }
}

struct reload *reload_new(struct event_base *base, struct db *db, const struct reload_options *o)
{
    struct reload *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->o = *o;
    r->db = db;
    r->ev_timer = evtimer_new(base, on_refresh, r);
    if (!r->ev_timer) {
        free(r);
        return NULL;
    }
    /* First attempt on the next loop turn. */
    struct timeval now = {0, 0};
    evtimer_add(r->ev_timer, &now);
    return r;
}

int reload_loaded(const struct reload *r)
{
    return r && r->loaded;
}

uint64_t reload_sent(const struct reload *r)
{
    return r ? r->seq_sent : 0;
}

uint64_t reload_done(const struct reload *r)
{
    return r ? r->seq_done : 0;
}

const char *reload_last_error(const struct reload *r)
{
    return r ? r->last_error : "";
}

void reload_free(struct reload *r)
{
    if (!r)
        return;
    if (r->inflight)
        r->inflight->r = NULL;
    if (r->ev_timer)
        event_free(r->ev_timer);
    free(r);
}
