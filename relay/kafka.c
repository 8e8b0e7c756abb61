/* kafka.c — producer handle, loop wake-up, readiness probe; see kafka.h. */
#include "kafka.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

struct kafka {
    struct event_base *base;
    struct kafka_options opt;
    rd_kafka_t *rk;
    rd_kafka_queue_t *mainq;
    int wake[2];
    struct event *ev_wake, *ev_tick;
    pthread_t probe;
    int probe_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stopping;          /* under lock */
    atomic_int cluster_ok; /* written by the probe thread */
    atomic_int fatal_seen; /* set by the error callback */
};

rd_kafka_conf_t *kafka_conf_from_config(const struct config *cfg, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        if (rd_kafka_conf_set(conf, cfg->kafka_key[i], cfg->kafka_value[i], errstr, errstr_size) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    /* The design's guarantees are not configuration. */
    static const char *const forced[][2] = {
        {"enable.idempotence", "true"}, {"acks", "all"}, {"client.id", NULL}};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(forced); i++) {
        const char *value = forced[i][1] ? forced[i][1] : cfg->instance;
        if (rd_kafka_conf_set(conf, forced[i][0], value, errstr, errstr_size) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

/*
 * Producer defaults, unless a kafka.* key says otherwise: a burst of firing
 * hands librdkafka tens of thousands of escalations of about 1 KB that
 * differ little, and the broker shares the machine. lz4 divides the bytes
 * the broker receives, writes and checks by about four, and halved its CPU
 * in tests/bench/timers. A linger of 50 ms (librdkafka's default is 5): the
 * intake's events spread over 24 partitions, and the broker pays per
 * partition batch, so at a few thousand reports a second a 10 ms linger sent
 * batches of one or two events and the broker spent 160 us of CPU a report
 * (tests/bench/intake, 8 connections), 50 ms brings it to about 20 and the
 * relay's own to 95 from 128; a burst of firing fills its batches anyway.
 * The escalations reach Kafka up to 50 ms later, against a lateness target
 * of 250 ms. Consumers decompress whatever the codec.
 */
static const char *const producer_defaults[][3] = {
    {"compression.type", "compression.codec", "lz4"},
    {"linger.ms", "queue.buffering.max.ms", "50"},
};

static int configured(const struct config *cfg, const char *name, const char *alias)
{
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        if (strcmp(cfg->kafka_key[i], name) == 0 || strcmp(cfg->kafka_key[i], alias) == 0)
            return 1;
    }
    return 0;
}

/* librdkafka thread or loop thread (error_cb is served from poll: loop). */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct kafka *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof(buf));
        log_error("kafka.fatal", "%s", buf);
        atomic_store(&k->fatal_seen, 1);
        if (k->opt.on_fatal)
            k->opt.on_fatal(buf, k->opt.opaque);
        return;
    }
    log_warn("kafka.error", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* librdkafka's own thread: logging writes one line atomically. */
    if (level <= 4)
        log_warn("kafka.log", "%s: %s", fac, buf);
}

/* Loop thread (served by kafka_poll): the handle's opaque is this kafka;
 * the owner's callback gets its own. */
static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct kafka *k = opaque;
    if (k->opt.on_delivery)
        k->opt.on_delivery(rk, msg, k->opt.opaque);
}

static void drain_wake(struct kafka *k)
{
    char buf[64];
    while (read(k->wake[0], buf, sizeof(buf)) > 0)
        ;
}

void kafka_poll(struct kafka *k)
{
    /* The io event fires on empty -> non-empty: serve until empty. */
    while (rd_kafka_poll(k->rk, 0) > 0)
        ;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct kafka *k = arg;
    drain_wake(k);
    kafka_poll(k);
}

static void *probe_main(void *arg)
{
    struct kafka *k = arg;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(k->rk, 0, NULL, &md, k->opt.probe_interval_ms);
        int ok = err == RD_KAFKA_RESP_ERR_NO_ERROR && md && md->broker_cnt > 0;
        if (md)
            rd_kafka_metadata_destroy(md);
        int was = atomic_exchange(&k->cluster_ok, ok);
        if (was != ok)
            log_write(ok ? LOG_INFO : LOG_WARN, ok ? "kafka.up" : "kafka.down", NULL, NULL,
                      "cluster metadata %s", ok ? "fetched" : rd_kafka_err2str(err));

        pthread_mutex_lock(&k->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long long ns = until.tv_nsec + (long long)k->opt.probe_interval_ms * 1000000LL;
        until.tv_sec += (time_t)(ns / 1000000000LL);
        until.tv_nsec = (long)(ns % 1000000000LL);
        while (!k->stopping) {
            if (pthread_cond_timedwait(&k->cond, &k->lock, &until) == ETIMEDOUT)
                break;
        }
        int stop = k->stopping;
        pthread_mutex_unlock(&k->lock);
        if (stop)
            return NULL;
    }
}

struct kafka *kafka_new(struct event_base *base, const struct kafka_options *opt, char *errstr,
                        size_t errstr_size)
{
    struct kafka *k = calloc(1, sizeof(*k));
    rd_kafka_conf_t *conf = NULL;
    if (!k) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    k->base = base;
    k->opt = *opt;
    k->wake[0] = k->wake[1] = -1;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->cond, NULL);

    conf = kafka_conf_from_config(opt->cfg, errstr, errstr_size);
    if (!conf)
        goto fail;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(producer_defaults); i++) {
        if (!configured(opt->cfg, producer_defaults[i][0], producer_defaults[i][1]) &&
            rd_kafka_conf_set(conf, producer_defaults[i][0], producer_defaults[i][2], errstr,
                              errstr_size) != RD_KAFKA_CONF_OK)
            goto fail;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!k->rk)
        goto fail;
    conf = NULL; /* owned by rk now */

    if (pipe(k->wake) != 0) {
        snprintf(errstr, errstr_size, "pipe: %s", strerror(errno));
        goto fail;
    }
    fcntl(k->wake[0], F_SETFL, O_NONBLOCK);
    fcntl(k->wake[1], F_SETFL, O_NONBLOCK);
    k->mainq = rd_kafka_queue_get_main(k->rk);
    rd_kafka_queue_io_event_enable(k->mainq, k->wake[1], "1", 1);
    k->ev_wake = event_new(base, k->wake[0], EV_READ | EV_PERSIST, on_wake, k);
    k->ev_tick = event_new(base, -1, EV_PERSIST, on_wake, k);
    if (!k->ev_wake || !k->ev_tick) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    event_add(k->ev_wake, NULL);
    /* A slow tick as a backstop to the wake-up. */
    struct timeval tick = {0, 200000};
    event_add(k->ev_tick, &tick);

    if (pthread_create(&k->probe, NULL, probe_main, k) != 0) {
        snprintf(errstr, errstr_size, "cannot start the Kafka probe thread");
        goto fail;
    }
    k->probe_started = 1;
    return k;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    kafka_free(k, 0);
    return NULL;
}

void kafka_free(struct kafka *k, int flush_timeout_ms)
{
    if (!k)
        return;
    if (k->probe_started) {
        pthread_mutex_lock(&k->lock);
        k->stopping = 1;
        pthread_cond_signal(&k->cond);
        pthread_mutex_unlock(&k->lock);
        pthread_join(k->probe, NULL);
    }
    if (k->rk && flush_timeout_ms > 0)
        rd_kafka_flush(k->rk, flush_timeout_ms);
    if (k->rk) {
        /* What is still queued or in flight is given back through failed
         * delivery reports, served here: those rows stay unpublished. */
        rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(k->rk, 0);
        kafka_poll(k);
    }
    if (k->ev_wake)
        event_free(k->ev_wake);
    if (k->ev_tick)
        event_free(k->ev_tick);
    if (k->mainq) {
        rd_kafka_queue_io_event_enable(k->mainq, -1, NULL, 0);
        rd_kafka_queue_destroy(k->mainq);
    }
    if (k->rk)
        rd_kafka_destroy(k->rk);
    if (k->wake[0] >= 0)
        close(k->wake[0]);
    if (k->wake[1] >= 0)
        close(k->wake[1]);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

rd_kafka_t *kafka_handle(struct kafka *k)
{
    return k->rk;
}

int kafka_ready(const struct kafka *k)
{
    return k && atomic_load(&((struct kafka *)k)->cluster_ok) &&
           !atomic_load(&((struct kafka *)k)->fatal_seen);
}
