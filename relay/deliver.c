/* deliver.c — HTTPS POSTs through curl's multi-socket API on libevent; see deliver.h. */
#include "deliver.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Easy handles kept for reuse once their transfer is done. */
#define POOL_MAX     4096
#define DEST_BUCKETS 1024

struct dest {
    char key[DELIVER_DEST_KEY_MAX];
    int inflight;
    struct deliver_xfer *wait_head, *wait_tail;
    int ready; /* in the ready list */
    struct dest *ready_next;
    struct dest *hash_next;
};

struct deliver_xfer {
    struct deliver *d;
    struct dest *dest;
    CURL *easy; /* while in flight */
    char *url;
    struct curl_slist *headers;
    char *body;
    size_t body_len;
    deliver_done_fn cb;
    void *arg;
    struct deliver_xfer *prev, *next; /* the destination's waiting list, or in flight */
    int64_t queued_at_us, started_at_us;
    size_t answer_len;
    char errbuf[CURL_ERROR_SIZE];
    struct deliver_result res;
};

struct sockinfo {
    struct deliver *d;
    curl_socket_t fd;
    struct event ev; /* assigned again when curl wants other events */
    struct sockinfo *prev, *next;
};

struct deliver {
    struct event_base *base;
    struct deliver_options opt;
    char *ca_file, *user_agent;
    CURLM *multi;
    CURLSH *share;
    struct event *timer;
    int running;
    size_t inflight, queued;
    struct deliver_xfer *flying; /* in flight, doubly linked through prev/next */
    struct sockinfo *sockets;    /* watched, doubly linked */
    CURL *pool[POOL_MAX];
    size_t npool;
    struct dest *buckets[DEST_BUCKETS];
    struct dest *ready_head, *ready_tail;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- destinations -------------------------------------------------------- */

static struct dest *dest_get(struct deliver *d, const char *key)
{
    uint32_t h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    struct dest **b = &d->buckets[h % DEST_BUCKETS];
    for (struct dest *x = *b; x; x = x->hash_next) {
        if (strcmp(x->key, key) == 0)
            return x;
    }
    struct dest *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    snprintf(x->key, sizeof(x->key), "%s", key);
    x->hash_next = *b;
    *b = x;
    return x;
}

static void ready_push(struct deliver *d, struct dest *x)
{
    if (x->ready)
        return;
    x->ready = 1;
    x->ready_next = NULL;
    if (d->ready_tail)
        d->ready_tail->ready_next = x;
    else
        d->ready_head = x;
    d->ready_tail = x;
}

static struct dest *ready_pop(struct deliver *d)
{
    struct dest *x = d->ready_head;
    if (!x)
        return NULL;
    d->ready_head = x->ready_next;
    if (!d->ready_head)
        d->ready_tail = NULL;
    x->ready = 0;
    x->ready_next = NULL;
    return x;
}

static void wait_unlink(struct dest *x, struct deliver_xfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        x->wait_head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        x->wait_tail = t->prev;
    t->prev = t->next = NULL;
}

static void flying_link(struct deliver *d, struct deliver_xfer *t)
{
    t->prev = NULL;
    t->next = d->flying;
    if (d->flying)
        d->flying->prev = t;
    d->flying = t;
}

static void flying_unlink(struct deliver *d, struct deliver_xfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        d->flying = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

/* ---- easy handles --------------------------------------------------------- */

/* curl thread = loop thread: header lines of the answer. */
static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
    struct deliver_xfer *t = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        t->res.retry_after[0] = '\0'; /* a new answer (after a 100 Continue) */
        return len;
    }
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && strncasecmp(buf, name, sizeof(name) - 1) == 0) {
        const char *v = buf + sizeof(name) - 1;
        size_t vlen = len - (sizeof(name) - 1);
        while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
            vlen--;
        if (vlen >= sizeof(t->res.retry_after))
            vlen = sizeof(t->res.retry_after) - 1;
        memcpy(t->res.retry_after, v, vlen);
        t->res.retry_after[vlen] = '\0';
    }
    return len;
}

/* The start of the answer's body is kept; the rest is read and dropped. */
static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
    struct deliver_xfer *t = arg;
    size_t len = size * n;
    size_t room = DELIVER_ANSWER_MAX - t->answer_len;
    size_t take = len < room ? len : room;
    for (size_t i = 0; i < take; i++) {
        unsigned char c = (unsigned char)buf[i];
        t->res.answer[t->answer_len++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    t->res.answer[t->answer_len] = '\0';
    return len;
}

static CURL *easy_new(struct deliver *d)
{
    if (d->npool > 0)
        return d->pool[--d->npool];
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    /* What every delivery is: an HTTPS POST that follows no redirect. */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, d->opt.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, d->opt.timeout_ms);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, d->user_agent);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_SHARE, d->share);
    if (d->ca_file && *d->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, d->ca_file);
    return e;
}

static void easy_release(struct deliver *d, CURL *e)
{
    if (d->npool < POOL_MAX)
        d->pool[d->npool++] = e;
    else
        curl_easy_cleanup(e);
}

static void xfer_free(struct deliver_xfer *t)
{
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t->url);
    free(t);
}

/* Put a transfer on the wire; on failure it completes at once with the error. */
static int xfer_start(struct deliver *d, struct deliver_xfer *t)
{
    CURL *e = easy_new(d);
    if (!e)
        return -1;
    t->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body_len);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    if (curl_multi_add_handle(d->multi, e) != CURLM_OK) {
        easy_release(d, e);
        return -1;
    }
    t->easy = e;
    flying_link(d, t);
    t->started_at_us = now_us();
    t->dest->inflight++;
    d->inflight++;
    return 0;
}

/* Start what waits, round-robin over the destinations with room. */
static void pump(struct deliver *d)
{
    while (d->inflight < (size_t)d->opt.max_inflight) {
        struct dest *x = ready_pop(d);
        if (!x)
            return;
        if (!x->wait_head || x->inflight >= d->opt.max_per_destination)
            continue;
        struct deliver_xfer *t = x->wait_head;
        wait_unlink(x, t);
        d->queued--;
        if (xfer_start(d, t) != 0) {
            /* Out of memory in curl: back at the head, tried at the next completion. */
            t->next = x->wait_head;
            if (x->wait_head)
                x->wait_head->prev = t;
            else
                x->wait_tail = t;
            x->wait_head = t;
            d->queued++;
            ready_push(d, x);
            return;
        }
        if (x->wait_head && x->inflight < d->opt.max_per_destination)
            ready_push(d, x);
    }
}

/* A transfer ended: collect, release, call back. */
static void finish(struct deliver *d, struct deliver_xfer *t, CURLcode code)
{
    CURL *e = t->easy;
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(d->multi, e);
    easy_release(d, e);
    t->easy = NULL;
    flying_unlink(d, t);
    t->dest->inflight--;
    d->inflight--;
    if (t->dest->wait_head)
        ready_push(d, t->dest);

    struct deliver_result *r = &t->res;
    r->status = code == CURLE_OK ? (int)status : 0;
    r->curl_code = (int)code;
    r->insecure = code == CURLE_UNSUPPORTED_PROTOCOL;
    r->elapsed_us = now_us() - t->started_at_us;
    r->queued_us = t->started_at_us - t->queued_at_us;
    if (code != CURLE_OK) {
        /* curl's own words, plus its detail when it names no URL (which may
         * carry credentials). */
        const char *detail = t->errbuf;
        if (!*detail || strstr(detail, "://") || strchr(detail, '@'))
            snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(code));
        else
            snprintf(r->error, sizeof(r->error), "%.60s: %.180s", curl_easy_strerror(code), detail);
        r->error[strcspn(r->error, "\r\n")] = '\0';
    }
    t->cb(r, t->arg);
    xfer_free(t);
}

static void check_done(struct deliver *d)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct deliver_xfer *t = NULL;
        CURLcode code = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (t)
            finish(d, t, code);
    }
    pump(d);
}

/* ---- curl <-> libevent ---------------------------------------------------- */

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    struct deliver *d = arg;
    int action =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(d->multi, fd, action, &d->running);
    check_done(d);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct deliver *d = arg;
    curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &d->running);
    check_done(d);
}

static void sock_forget(struct deliver *d, struct sockinfo *si)
{
    event_del(&si->ev);
    if (si->prev)
        si->prev->next = si->next;
    else
        d->sockets = si->next;
    if (si->next)
        si->next->prev = si->prev;
    free(si);
}

/* CURLMOPT_SOCKETFUNCTION, loop thread: watch (or stop watching) a socket. */
static int on_curl_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct deliver *d = userp;
    struct sockinfo *si = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (si)
            sock_forget(d, si);
        return 0;
    }
    short kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
                         ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
    if (!si) {
        si = calloc(1, sizeof(*si));
        if (!si)
            return -1;
        si->d = d;
        si->fd = fd;
        si->next = d->sockets;
        if (d->sockets)
            d->sockets->prev = si;
        d->sockets = si;
        curl_multi_assign(d->multi, fd, si);
    } else {
        event_del(&si->ev);
    }
    if (event_assign(&si->ev, d->base, fd, kind, on_socket_event, d) != 0 ||
        event_add(&si->ev, NULL) != 0)
        return -1;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION, loop thread: (re)arm the single timer curl wants. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct deliver *d = userp;
    if (timeout_ms < 0) {
        evtimer_del(d->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(d->timer, &tv);
    return 0;
}

/* ---- public --------------------------------------------------------------- */

struct deliver *deliver_new(struct event_base *base, const struct deliver_options *opt,
                            char *errstr, size_t errstr_size)
{
    struct deliver *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    d->base = base;
    d->opt = *opt;
    if (d->opt.max_inflight < 1)
        d->opt.max_inflight = 1;
    if (d->opt.max_per_destination < 1)
        d->opt.max_per_destination = 1;
    d->ca_file = opt->ca_file && *opt->ca_file ? strdup(opt->ca_file) : NULL;
    d->user_agent = strdup(opt->user_agent ? opt->user_agent : "relay48-connector");
    d->multi = curl_multi_init();
    d->share = curl_share_init();
    d->timer = evtimer_new(base, on_timer, d);
    if ((opt->ca_file && *opt->ca_file && !d->ca_file) || !d->user_agent || !d->multi ||
        !d->share || !d->timer) {
        snprintf(errstr, errstr_size, "cannot set up libcurl (out of memory)");
        deliver_free(d);
        return NULL;
    }
    /* One loop thread: the share needs no locks. DNS answers and TLS
     * sessions are shared by every handle (a new connection to a desk
     * resumes its TLS session). */
    curl_share_setopt(d->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(d->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
    /* Keep as many idle connections as requests may be in flight. */
    curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)d->opt.max_inflight);
    return d;
}

void deliver_cancel(struct deliver *d, struct deliver_xfer *t)
{
    if (!t)
        return;
    if (t->easy) {
        curl_multi_remove_handle(d->multi, t->easy);
        easy_release(d, t->easy);
        t->easy = NULL;
        flying_unlink(d, t);
        t->dest->inflight--;
        d->inflight--;
        if (t->dest->wait_head)
            ready_push(d, t->dest);
    } else {
        wait_unlink(t->dest, t);
        d->queued--;
    }
    xfer_free(t);
    pump(d);
}

void deliver_free(struct deliver *d)
{
    if (!d)
        return;
    for (size_t b = 0; b < DEST_BUCKETS; b++) {
        for (struct dest *x = d->buckets[b]; x;) {
            struct dest *next = x->hash_next;
            for (struct deliver_xfer *t = x->wait_head; t;) {
                struct deliver_xfer *n = t->next;
                xfer_free(t);
                t = n;
            }
            free(x);
            x = next;
        }
    }
    while (d->flying) {
        struct deliver_xfer *t = d->flying;
        flying_unlink(d, t);
        curl_multi_remove_handle(d->multi, t->easy);
        curl_easy_cleanup(t->easy);
        xfer_free(t);
    }
    for (size_t i = 0; i < d->npool; i++)
        curl_easy_cleanup(d->pool[i]);
    if (d->multi)
        curl_multi_cleanup(d->multi);
    /* Sockets curl did not say it was done with. */
    while (d->sockets)
        sock_forget(d, d->sockets);
    if (d->share)
        curl_share_cleanup(d->share);
    if (d->timer)
        event_free(d->timer);
    free(d->ca_file);
    free(d->user_agent);
    free(d);
}

struct deliver_xfer *deliver_post(struct deliver *d, const char *dest, const char *url,
                                  struct curl_slist *headers, char *body, size_t body_len,
                                  deliver_done_fn cb, void *arg)
{
    struct deliver_xfer *t = calloc(1, sizeof(*t));
    struct dest *x = dest_get(d, dest);
    char *u = strdup(url);
    if (!t || !x || !u) {
        free(t);
        free(u);
        curl_slist_free_all(headers);
        free(body);
        return NULL;
    }
    t->d = d;
    t->dest = x;
    t->url = u;
    t->headers = headers;
    t->body = body;
    t->body_len = body_len;
    t->cb = cb;
    t->arg = arg;
    t->queued_at_us = now_us();
    if (!x->wait_head && x->inflight < d->opt.max_per_destination &&
        d->inflight < (size_t)d->opt.max_inflight && xfer_start(d, t) == 0)
        return t;
    /* Wait for a slot, in order, behind the destination's others. */
    t->prev = x->wait_tail;
    if (x->wait_tail)
        x->wait_tail->next = t;
    else
        x->wait_head = t;
    x->wait_tail = t;
    d->queued++;
    if (x->inflight < d->opt.max_per_destination)
        ready_push(d, x);
    return t;
}

size_t deliver_inflight(const struct deliver *d)
{
    return d ? d->inflight : 0;
}

size_t deliver_queued(const struct deliver *d)
{
    return d ? d->queued : 0;
}
