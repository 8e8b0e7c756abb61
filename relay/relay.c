/* relay.c — the daemon's wiring, operator endpoints and signals; see relay.h. */
#include "relay.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "accesslog.h"
#include "acks.h"
#include "bankdir.h"
#include "banks.h"
#include "bins.h"
#include "cases_api.h"
#include "config.h"
#include "db.h"
#include "hex.h"
#include "http.h"
#include "intake.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "perceval.h"
#include "problem.h"
#include "retention.h"
#include "secretbox.h"
#include "scheduler.h"
#include "store.h"
#include "timeutil.h"
#include "webform.h"
#include "webhooks.h"

extern char **environ;

struct relay {
    struct config *cfg;
    const char *cfg_path;
    struct event_base *base;
    struct http_server *http;
    struct db *probe_db;                         /* readiness probe */
    struct db *intake_db[STORE_MAX_CONNECTIONS]; /* group commit */
    int nintake;
    struct db *outbox_db; /* outbox marks and sweeps */
    struct db *ref_db;    /* keys and bank directory loads */
    struct store *store;
    struct outbox *outbox;
    unsigned char token_key[64]; /* token.key, for the outbox's sweep of intake batches */
    size_t token_key_len;
    struct keys_cache *keys;
    struct bankdir *bankdir;
    struct intake *intake;
    struct db *acks_db, *cases_db; /* acknowledgements; case reads */
    struct acks *acks;
    struct cases_api *cases;
    struct db *access_db; /* the case access log (no row, no read) */
    struct accesslog *accesslog;
    struct db *retention_db; /* the daily purge of personal data past retention */
    struct retention_job *retention;
    struct scheduler *scheduler; /* its connections are its own */
    struct db *web_db;           /* the victim's case pages and access tokens */
    struct webform *web;
    /* bank webhooks and card declarations (docs/webhooks.md) */
    struct db *decl_db, *hook_db; /* receipt lookups; webhook ids and addressing */
    struct bins *bins;
    struct perceval *perceval;
    struct banks_cache *banks; /* NULL unless webhooks.enabled */
    struct webhooks *webhooks;
    struct event *ev_term, *ev_int, *ev_hup, *ev_probe, *ev_drain;
    int64_t probe_sent_us; /* 0: no probe in flight */
    int probe_ok;
    int draining;
    int64_t drain_deadline_us;
};

static int inflight(const struct relay *r)
{
    return (r->intake ? intake_inflight(r->intake) : 0) + (r->store ? store_pending(r->store) : 0) +
           acks_inflight(r->acks) + cases_api_inflight(r->cases) + scheduler_busy(r->scheduler) +
           webform_inflight(r->web) + perceval_inflight(r->perceval) +
           webhooks_inflight(r->webhooks) + retention_job_busy(r->retention);
}

/* ---- operator endpoints ------------------------------------------------ */

static void on_healthz(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static int database_ok(const struct relay *r)
{
    if (!db_ready(r->probe_db) || !r->probe_ok)
        return 0;
    /* A probe unanswered for a whole interval means the server is stuck. */
    return !r->probe_sent_us || http_now_us() - r->probe_sent_us < r->cfg->probe_interval_ms * 1000;
}

static void on_readyz(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct relay *r = arg;
    int db = database_ok(r);
    int kafka = outbox_ready(r->outbox);
    /* Until the API keys and the bank directory have loaded once, reports are
     * refused with 503 (a load balancer should send them elsewhere). */
    int loaded = keys_cache_loaded(r->keys) && bankdir_loaded(r->bankdir);
    json_t *checks =
        json_pack("{s:s, s:s}", "database", db ? "ok" : "down", "kafka", kafka ? "ok" : "down");
    if (db && kafka && loaded && !r->draining) {
        http_reply_json(req, 200, json_pack("{s:s, s:o}", "status", "ready", "checks", checks));
        return;
    }
    char detail[128];
    if (r->draining)
        snprintf(detail, sizeof(detail), "shutting down");
    else if (db && kafka)
        snprintf(detail, sizeof(detail), "starting: API keys or bank directory not loaded yet");
    else
        snprintf(detail, sizeof(detail), "down:%s%s", db ? "" : " database", kafka ? "" : " kafka");
    json_t *p = problem_new(PROBLEM_NOT_READY, detail);
    json_object_set_new(p, "checks", checks);
    problem_send(req, p, 1);
}

static void on_metrics(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct relay *r = arg;
    metrics_set("relay48_database_up", database_ok(r));
    metrics_set("relay48_kafka_up", outbox_ready(r->outbox));
    metrics_set("relay48_outbox_inflight", outbox_inflight(r->outbox));
    metrics_set("relay48_intake_pending", inflight(r));
    metrics_set("relay48_http_connections", (int64_t)http_server_connections(r->http));
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        problem_reply(req, PROBLEM_NOT_READY, "out of memory", 1);
        return;
    }
    metrics_render(out);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

/* ---- readiness probe of PostgreSQL ------------------------------------- */

static void on_probe_result(PGresult *res, void *arg)
{
    struct relay *r = arg;
    r->probe_ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
    r->probe_sent_us = 0;
}

static void on_probe_tick(evutil_socket_t fd, short what, void *arg)
{
    struct relay *r = arg;
    if (r->probe_sent_us || !db_ready(r->probe_db))
        return; /* the previous probe is still out, or we are reconnecting */
    if (db_send(r->probe_db, NULL, "SELECT 1", 0, NULL, on_probe_result, r) == 0 &&
        db_sync(r->probe_db) == 0)
        r->probe_sent_us = http_now_us();
}

static void on_probe_state(int ready, void *arg)
{
    struct relay *r = arg;
    if (!ready)
        r->probe_ok = 0;
    else
        on_probe_tick(-1, 0, r);
}

/* ---- signals and drain ------------------------------------------------- */

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct relay *r = arg;
    int busy = inflight(r) > 0 || !outbox_idle(r->outbox);
    if (busy && http_now_us() < r->drain_deadline_us)
        return;
    if (busy)
        log_warn("relay.drain_timeout",
                 "%d case(s) still waiting for a commit, %ld event(s) unconfirmed", inflight(r),
                 outbox_inflight(r->outbox));
    event_base_loopexit(r->base, NULL);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
    struct relay *r = arg;
    if (r->draining) {
        log_warn("relay.exit", "second signal: exiting now");
        event_base_loopbreak(r->base);
        return;
    }
    r->draining = 1;
    log_info("relay.drain", "signal %d: draining (grace %lld ms)", (int)sig,
             (long long)r->cfg->shutdown_grace_ms);
    http_server_stop_accepting(r->http);
    scheduler_stop(r->scheduler);
    retention_job_stop(r->retention);
    r->drain_deadline_us = http_now_us() + r->cfg->shutdown_grace_ms * 1000;
    struct timeval tv = {0, 20000};
    event_add(r->ev_drain, &tv);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    struct relay *r = arg;
    struct config fresh;
    char err[512];
    if (config_init(&fresh, err, sizeof(err)) != 0 ||
        (r->cfg_path && config_load_file(&fresh, r->cfg_path, err, sizeof(err)) != 0) ||
        config_load_env(&fresh, environ, err, sizeof(err)) != 0) {
        log_error("config.reload_failed", "%s", err);
        config_free(&fresh);
        return;
    }
    config_apply_reloadable(r->cfg, &fresh);
    config_free(&fresh);
    enum log_level level;
    if (log_level_parse(r->cfg->log_level, &level) == 0)
        log_set_level(level);
    log_info("config.reloaded", "reloadable keys applied");
}

/* ---- wiring ------------------------------------------------------------ */

/* Descriptors the relay needs besides its client connections: PostgreSQL
 * (at most 16 intake, 8 scheduler and 10 others), librdkafka (two sockets
 * per broker, its queues' pipes, the probe thread's client), libevent,
 * stdio, the log. Generous: running out turns accept() into EMFILE. */
#define RELAY_FD_RESERVE 256

/*
 * Raise the soft RLIMIT_NOFILE so that http.max_connections fits with the
 * reserve, up to the hard limit. Returns the number of client connections
 * that fit (the cap, or less with a warning when the hard limit is lower).
 */
static int64_t raise_nofile(int64_t max_connections)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)(max_connections + RELAY_FD_RESERVE);
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("relay.nofile", "getrlimit: %s; http.max_connections stays %lld", strerror(errno),
                 (long long)max_connections);
        return max_connections;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            log_warn("relay.nofile", "setrlimit(%llu): %s", (unsigned long long)rl.rlim_cur,
                     strerror(errno));
            rl.rlim_cur = old;
        }
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        int64_t fit = (int64_t)rl.rlim_cur - RELAY_FD_RESERVE;
        if (fit < 16)
            fit = 16;
        log_warn("relay.nofile",
                 "open files limited to %llu (hard limit %llu): http.max_connections %lld "
                 "lowered to %lld",
                 (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
                 (long long)max_connections, (long long)fit);
        return fit;
    }
    log_info("relay.nofile", "open files limit %llu, http.max_connections %lld",
             (unsigned long long)rl.rlim_cur, (long long)max_connections);
    return max_connections;
}

/* clock.fixed, for tests only: intake_set_clock takes a plain function, and
 * the web form reads the intake's clock. */
static int64_t fixed_now_value;

static int64_t fixed_now(void)
{
    return fixed_now_value;
}

int relay_serve(struct config *cfg, const char *cfg_path)
{
    struct relay r;
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.cfg_path = cfg_path;
    char err[512];
    int rc = 1;

    signal(SIGPIPE, SIG_IGN);
    /* Before any socket: libevent and librdkafka see the raised limit. */
    int64_t max_connections = raise_nofile(cfg->http_max_connections);
    metrics_describe("relay48_database_up", METRIC_GAUGE, "1 when PostgreSQL answers probes.");
    metrics_describe("relay48_kafka_up", METRIC_GAUGE,
                     "1 when the Kafka cluster's metadata can be fetched.");

    struct http_route routes[] = {
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/healthz", on_healthz, &r},
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/readyz", on_readyz, &r},
        {EVHTTP_REQ_GET, "/metrics", on_metrics, &r},
        {EVHTTP_REQ_POST, "/v1/reports", intake_handle_reports, NULL},
        {EVHTTP_REQ_POST, "/v1/cases/*/acks", acks_handle, NULL},
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/v1/cases/*", cases_api_handle_one, NULL},
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/v1/cases", cases_api_handle_list, NULL},
        /* the victim's web form (webform.h) */
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/", webform_handle_index, NULL},
        {EVHTTP_REQ_POST, "/report", webform_handle_report, NULL},
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/case/*", webform_handle_case, NULL},
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/static/*", webform_handle_static, NULL},
        /* bank webhooks and card declarations (docs/webhooks.md); args set below */
        {EVHTTP_REQ_POST, "/v1/declarations/perceval", perceval_handle, NULL},
        {EVHTTP_REQ_POST, "/v1/webhooks/banks/*", webhooks_handle, NULL},
    };
    struct http_route *report_route = &routes[3];
    struct http_route *acks_route = &routes[4], *case_route = &routes[5], *cases_route = &routes[6];

    r.base = event_base_new();
    if (!r.base) {
        log_error("relay.start_failed", "event_base_new failed");
        return 1;
    }
    struct db_options dbo = {.conninfo = cfg->database_url,
                             .name = "probe",
                             .retry_max_ms = (int)cfg->database_retry_max_ms,
                             .on_state = on_probe_state,
                             .arg = &r};
    r.probe_db = db_new(r.base, &dbo, err, sizeof(err));
    if (!r.probe_db) {
        log_error("relay.start_failed", "database: %s", err);
        goto done;
    }
    dbo.on_state = NULL;
    dbo.name = "intake";
    /* The case statement is planned once: its plan does not depend on the
     * values, and planning it at each execution costs more than running it. */
    dbo.options = "-c plan_cache_mode=force_generic_plan";
    for (r.nintake = 0; r.nintake < (int)cfg->store_connections; r.nintake++) {
        r.intake_db[r.nintake] = db_new(r.base, &dbo, err, sizeof(err));
        if (!r.intake_db[r.nintake] || store_prepare(r.intake_db[r.nintake]) != 0) {
            log_error("relay.start_failed", "database: %s", err);
            goto done;
        }
    }
    dbo.options = NULL;
    dbo.name = "outbox";
    r.outbox_db = db_new(r.base, &dbo, err, sizeof(err));
    dbo.name = "reference";
    r.ref_db = r.outbox_db ? db_new(r.base, &dbo, err, sizeof(err)) : NULL;
    if (!r.ref_db || outbox_prepare(r.outbox_db) != 0) {
        log_error("relay.start_failed", "database: %s", err);
        goto done;
    }
    /* token.key: the intake refuses to start without a valid one. */
    if (hex_decode(cfg->token_key, r.token_key, sizeof(r.token_key), &r.token_key_len) != 0)
        r.token_key_len = 0;
    struct outbox_options oo = {.cfg = cfg,
                                .probe_interval_ms = (int)cfg->probe_interval_ms,
                                .sweep_interval_ms = (int)cfg->outbox_sweep_interval_ms,
                                .sweep_age_ms = (int)cfg->outbox_sweep_age_ms,
                                .mark_delay_ms = (int)cfg->outbox_mark_delay_ms,
                                .token_key = r.token_key,
                                .token_key_len = r.token_key_len};
    r.outbox = outbox_new(r.base, r.outbox_db, &oo, err, sizeof(err));
    struct store_options so = {.batch_max = (int)cfg->store_batch_max,
                               .batch_delay_ms = (int)cfg->store_batch_delay_ms,
                               .max_inflight = (int)cfg->store_max_inflight,
                               .queue_max = (int)cfg->store_queue_max,
                               .unknown_retry_ms = (int)cfg->store_unknown_retry_ms,
                               .outbox = r.outbox,
                               .instance = cfg->instance};
    r.store = r.outbox ? store_new(r.base, r.intake_db, r.nintake, &so, err, sizeof(err)) : NULL;
    if (!r.store) {
        log_error("relay.start_failed", "%s", err);
        goto done;
    }
    r.keys = keys_cache_new(r.base, r.ref_db, (int)cfg->keys_refresh_ms);
    r.bankdir = bankdir_new(r.base, r.ref_db, (int)cfg->directory_refresh_ms);
    if (!r.keys || !r.bankdir || keys_cache_set_rate(r.keys, cfg) != 0) {
        log_error("relay.start_failed", "out of memory");
        goto done;
    }
    r.intake = intake_new(cfg, r.store, r.outbox, r.keys, r.bankdir, err, sizeof(err));
    if (!r.intake) {
        log_error("relay.start_failed", "%s", err);
        goto done;
    }
    report_route->arg = r.intake;
    if (cfg->clock_fixed && *cfg->clock_fixed) {
        if (rfc3339_parse(cfg->clock_fixed, &fixed_now_value) != RFC3339_OK) {
            log_error("relay.start_failed", "clock.fixed: not an RFC 3339 time with an offset");
            goto done;
        }
        intake_set_clock(r.intake, fixed_now);
        log_warn("relay.clock_fixed",
                 "clock.fixed is set: the intake, the web form and the purge job take %s "
                 "as now (a test setting, never for production)",
                 cfg->clock_fixed);
    }
    dbo.name = "web";
    r.web_db = db_new(r.base, &dbo, err, sizeof(err));
    r.web = r.web_db ? webform_new(cfg, r.web_db, r.intake, err, sizeof(err)) : NULL;
    if (!r.web) {
        log_error("relay.start_failed", "web form: %s", err);
        goto done;
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(routes); i++) {
        http_handler hd = routes[i].handler;
        if (hd == webform_handle_index || hd == webform_handle_report ||
            hd == webform_handle_case || hd == webform_handle_static)
            routes[i].arg = r.web;
    }
    dbo.name = "acks";
    r.acks_db = db_new(r.base, &dbo, err, sizeof(err));
    dbo.name = "cases";
    r.cases_db = r.acks_db ? db_new(r.base, &dbo, err, sizeof(err)) : NULL;
    dbo.name = "access";
    r.access_db = r.cases_db ? db_new(r.base, &dbo, err, sizeof(err)) : NULL;
    if (!r.access_db || acks_prepare(r.acks_db) != 0 || cases_api_prepare(r.cases_db) != 0 ||
        accesslog_prepare(r.access_db) != 0) {
        log_error("relay.start_failed", "database: %s", err);
        goto done;
    }
    r.accesslog =
        accesslog_new(r.base, r.access_db, (size_t)cfg->access_log_queue_max, err, sizeof(err));
    r.acks = r.accesslog ? acks_new(cfg, r.acks_db, r.outbox, r.keys, err, sizeof(err)) : NULL;
    r.cases = r.acks ? cases_api_new(cfg, r.cases_db, r.keys, r.accesslog, err, sizeof(err)) : NULL;
    if (!r.cases) {
        log_error("relay.start_failed", "%s", err);
        goto done;
    }
    acks_route->arg = r.acks;
    case_route->arg = cases_route->arg = r.cases;
    if (cfg->scheduler_enabled) {
        struct scheduler_options sco = {.conninfo = cfg->database_url,
                                        .instance = cfg->instance,
                                        .sweep_interval_ms = (int)cfg->outbox_sweep_interval_ms,
                                        .sweep_age_ms = (int)cfg->outbox_sweep_age_ms,
                                        .retry_max_ms = (int)cfg->database_retry_max_ms,
                                        .connections = (int)cfg->scheduler_connections,
                                        .batch_max = (int)cfg->scheduler_batch_max,
                                        .poll_ms = (int)cfg->scheduler_poll_ms,
                                        .stats_interval_ms = (int)cfg->scheduler_stats_interval_ms,
                                        .pending_interval_ms =
                                            (int)cfg->scheduler_pending_interval_ms};
        r.scheduler = scheduler_new(r.base, &sco, r.outbox, r.bankdir, err, sizeof(err));
        if (!r.scheduler) {
            log_error("relay.start_failed", "%s", err);
            goto done;
        }
    }
    /* Personal data past retention (retention.h): on a connection of its own,
     * a batch at a time, so that intake never waits for it. */
    if (cfg->retention_interval_s > 0) {
        dbo.name = "retention";
        r.retention_db = db_new(r.base, &dbo, err, sizeof(err));
        if (!r.retention_db || retention_prepare(r.retention_db) != 0) {
            log_error("relay.start_failed", "database: %s", err);
            goto done;
        }
        /* Soon after the start too: a relay restarted more often than the
         * interval still purges. */
        struct retention_job_options ro = {
            .cfg = cfg,
            .now = cfg->clock_fixed && *cfg->clock_fixed ? fixed_now : NULL,
            .first_delay_s =
                (int)(cfg->retention_interval_s < 300 ? cfg->retention_interval_s : 300)};
        r.retention = retention_job_new(r.base, r.retention_db, &ro, err, sizeof(err));
        if (!r.retention) {
            log_error("relay.start_failed", "%s", err);
            goto done;
        }
    }
    /* Card declarations: BIN table, receipt lookups, intake (perceval.h). */
    r.bins = bins_new(r.base, r.ref_db, (int)cfg->perceval_bins_refresh_ms);
    dbo.name = "declarations";
    r.decl_db = r.bins ? db_new(r.base, &dbo, err, sizeof(err)) : NULL;
    r.perceval =
        r.decl_db ? perceval_new(cfg, r.decl_db, r.intake, r.keys, r.bins, err, sizeof(err)) : NULL;
    if (!r.perceval) {
        log_error("relay.start_failed", "declarations: %s", r.bins ? err : "out of memory");
        goto done;
    }
    /* Bank webhooks (webhooks.h): the master key opens the banks' secrets. */
    if (cfg->webhooks_enabled) {
        unsigned char master[SECRETBOX_KEY_LEN];
        if (secretbox_key_load(getenv(SECRETBOX_ENV), cfg->secrets_master_key_file, master, err,
                               sizeof(err)) != 0) {
            log_error("relay.start_failed", "webhooks.enabled is 1: %s", err);
            goto done;
        }
        r.banks = banks_cache_new(r.base, r.ref_db, master, (int)cfg->banks_refresh_ms);
        OPENSSL_cleanse(master, sizeof(master));
        dbo.name = "webhooks";
        r.hook_db = r.banks ? db_new(r.base, &dbo, err, sizeof(err)) : NULL;
        r.webhooks = r.hook_db
                         ? webhooks_new(r.base, cfg, r.hook_db, r.intake, r.banks, err, sizeof(err))
                         : NULL;
        if (!r.webhooks) {
            log_error("relay.start_failed", "webhooks: %s", r.banks ? err : "out of memory");
            goto done;
        }
        /* case.acknowledged from a bank's webhook: the acknowledgement path */
        webhooks_set_ack_submit(r.webhooks, acks_submit, r.acks);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(routes); i++) {
        if (routes[i].handler == perceval_handle)
            routes[i].arg = r.perceval;
        else if (routes[i].handler == webhooks_handle)
            routes[i].arg = r.webhooks; /* NULL (404) unless webhooks.enabled */
    }
    struct http_options ho = {.addr = cfg->http_addr,
                              .port = (int)cfg->http_port,
                              /* evhttp's backstop follows the largest body a route takes */
                              .body_limit = (size_t)(cfg->perceval_body_limit > cfg->http_body_limit
                                                         ? cfg->perceval_body_limit
                                                         : cfg->http_body_limit),
                              .header_limit = (size_t)cfg->http_header_limit,
                              .timeout_s = (int)cfg->http_timeout,
                              .max_connections = (size_t)max_connections,
                              .request_timeout_ms = (int)cfg->http_request_timeout * 1000,
                              .retry_after_s = (int)cfg->retry_after_s};
    r.http = http_server_new(r.base, &ho, routes, RELAY_ARRAY_LEN(routes), err, sizeof(err));
    if (!r.http) {
        log_error("relay.start_failed", "http: %s", err);
        goto done;
    }
    r.ev_term = evsignal_new(r.base, SIGTERM, on_term, &r);
    r.ev_int = evsignal_new(r.base, SIGINT, on_term, &r);
    r.ev_hup = evsignal_new(r.base, SIGHUP, on_hup, &r);
    r.ev_probe = event_new(r.base, -1, EV_PERSIST, on_probe_tick, &r);
    r.ev_drain = event_new(r.base, -1, EV_PERSIST, on_drain_tick, &r);
    if (!r.ev_term || !r.ev_int || !r.ev_hup || !r.ev_probe || !r.ev_drain) {
        log_error("relay.start_failed", "out of memory");
        goto done;
    }
    event_add(r.ev_term, NULL);
    event_add(r.ev_int, NULL);
    event_add(r.ev_hup, NULL);
    struct timeval probe_tv = {cfg->probe_interval_ms / 1000,
                               (cfg->probe_interval_ms % 1000) * 1000};
    event_add(r.ev_probe, &probe_tv);

    log_info("relay.listening", "relay48 %s listening on http://%s:%d/", RELAY48_VERSION,
             cfg->http_addr, http_server_port(r.http));
    event_base_dispatch(r.base);
    rc = 0;
    log_info("relay.stopped", "drained, exiting");
done:
    if (r.ev_term)
        event_free(r.ev_term);
    if (r.ev_int)
        event_free(r.ev_int);
    if (r.ev_hup)
        event_free(r.ev_hup);
    if (r.ev_probe)
        event_free(r.ev_probe);
    if (r.ev_drain)
        event_free(r.ev_drain);
    /* Before the HTTP server: their connections answer what is in flight. */
    scheduler_free(r.scheduler);
    db_free(r.retention_db);
    retention_job_free(r.retention);
    db_free(r.acks_db);
    acks_free(r.acks);
    /* The access log before the reads it answers for (their 503s). */
    db_free(r.access_db);
    accesslog_free(r.accesslog);
    db_free(r.cases_db);
    cases_api_free(r.cases);
    db_free(r.web_db);
    webform_free(r.web);
    db_free(r.hook_db);
    webhooks_free(r.webhooks);
    db_free(r.decl_db);
    perceval_free(r.perceval);
    /* A connection is freed before the module its callbacks point at: freeing
     * it answers its pending statements (NULL), and they touch their module. */
    store_close(r.store); /* batches in flight: 503, never a blind 201 */
    for (int i = 0; i < r.nintake; i++)
        db_free(r.intake_db[i]);
    db_free(r.ref_db);
    keys_cache_free(r.keys);
    banks_cache_free(r.banks);
    bins_free(r.bins);
    bankdir_free(r.bankdir);
    db_free(r.outbox_db);
    outbox_free(r.outbox, 0);
    OPENSSL_cleanse(r.token_key, sizeof(r.token_key));
    http_server_free(r.http);
    intake_free(r.intake);
    store_free(r.store);
    db_free(r.probe_db);
    event_base_free(r.base);
    metrics_reset();
    return rc;
}
