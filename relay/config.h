/*
 * config.h — owns relay48's configuration: one declarative table (key, type,
 * default, bounds, reloadable) fed by defaults, then a file, then RELAY48_*
 * environment variables. Keys are dotted ("http.port"); the environment name
 * of a key is RELAY48_ + the key upper-cased with '.' turned into '_'
 * (RELAY48_HTTP_PORT). Keys "kafka.<property>" that the table does not name go
 * straight to librdkafka (RELAY48_KAFKA_LINGER_MS -> linger.ms).
 *
 * A value out of bounds, of the wrong type, or an unknown key in the file is
 * an error with a message that names the key. Unknown RELAY48_* environment
 * variables are ignored (the ops scripts use the prefix too).
 */
#ifndef RELAY48_CONFIG_H
#define RELAY48_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define CONFIG_KAFKA_MAX 64

struct config {
    char *instance; /* names this relay in ce_source and logs */
    char *http_addr;
    int64_t http_port;
    int64_t http_body_limit;   /* bytes */
    int64_t http_header_limit; /* bytes of all request headers */
    int64_t http_timeout;      /* seconds, read/write of one request */
    int64_t http_max_connections;
    int64_t http_request_timeout; /* seconds to send a whole request */
    /* authenticated API requests, per key */
    int64_t api_rate_per_minute, api_rate_burst, api_rate_slots;
    char *database_url;
    int64_t database_retry_max_ms; /* reconnect backoff ceiling */
    int64_t probe_interval_ms;     /* readiness probes of PostgreSQL and Kafka */
    int64_t shutdown_grace_ms;     /* drain time on SIGTERM */
    char *log_level;
    char *sql_dir;   /* migrations */
    char *token_key; /* hex key of the IBAN tokens on the reports topic (secret) */
    /* the window (seconds) */
    int64_t window_sct, window_sct_inst, window_swift, window_card, window_unknown;
    int64_t window_reminder_before, window_critical_before;
    int64_t police_threshold_minor; /* EUR cents at or above which police hear at alert */
    /* group commit */
    int64_t store_connections, store_batch_max, store_batch_delay_ms, store_max_inflight,
        store_queue_max;
    int64_t store_unknown_retry_ms;
    int64_t retry_after_s; /* Retry-After of a 503 */
    /* outbox */
    int64_t outbox_sweep_interval_ms, outbox_sweep_age_ms, outbox_mark_delay_ms;
    /* reference data */
    int64_t keys_refresh_ms, directory_refresh_ms;
    /* escalation engine (docs/escalation.md) */
    int64_t scheduler_enabled, scheduler_connections, scheduler_batch_max, scheduler_poll_ms,
        scheduler_stats_interval_ms, scheduler_pending_interval_ms;
    /* the victim's web form (docs/web.md) */
    char *web_csrf_key;                                          /* secret; "" = random at start */
    int64_t web_csrf_ttl_s;                                      /* a form is valid this long */
    int64_t web_rate_per_minute, web_rate_burst, web_rate_slots; /* POST /report per client */
    char *web_origin;           /* "https://host" the form is served from; "" = the Host header */
    char *web_client_ip_header; /* "X-Forwarded-For" behind a proxy; "" = the peer address */
    /* test only: a frozen clock (RFC 3339) for the intake and the web form; "" = real */
    char *clock_fixed;
    /* bank webhooks, the bank registry, card declarations (docs/webhooks.md) */
    char *secrets_master_key_file; /* "" = RELAY48_MASTER_KEY only */
    int64_t banks_refresh_ms, banks_secret_bytes, banks_rotation_overlap_hours;
    int64_t webhooks_enabled, webhooks_tolerance_s, webhooks_ids_retention_s;
    int64_t perceval_batch_max, perceval_body_limit, perceval_bins_refresh_ms;
    /* the connectors, relay48-connector (docs/connectors.md) */
    char *connector_group, *connector_ca_file, *connector_public_url;
    int64_t connector_start_ms, connector_http_port, connector_max_inflight,
        connector_max_inflight_per_destination, connector_max_pending, connector_connect_timeout_ms,
        connector_timeout_ms, connector_retry_base_ms, connector_retry_max_ms,
        connector_retry_after_max_s, connector_retry_max_attempts, connector_reject_max_attempts,
        connector_late_grace_s, connector_registry_refresh_ms, connector_fallback_after_failures,
        connector_failing_cooldown_ms;
    /* data protection (docs/reliability.md): days each class of personal
     * data of a closed case is kept after its closure (relay/retention.h) */
    int64_t retention_narrative_days, retention_identity_days, retention_payment_days,
        retention_notes_days, retention_tokens_days, retention_idempotency_days,
        retention_access_log_days;
    int64_t retention_interval_s, retention_batch_rows; /* the relay's purge job */
    int64_t access_log_queue_max; /* case reads waiting for their access rows */
    /* librdkafka properties (kafka.* keys, the prefix removed), in order */
    char *kafka_key[CONFIG_KAFKA_MAX];
    char *kafka_value[CONFIG_KAFKA_MAX];
    size_t kafka_count;
};

enum config_type { CONFIG_INT, CONFIG_STRING };

struct config_entry {
    const char *key;
    enum config_type type;
    size_t offset; /* into struct config */
    const char *def;
    int64_t min, max; /* CONFIG_INT: value bounds; CONFIG_STRING: length bounds */
    int reloadable;   /* SIGHUP may change it */
    const char *help;
};

/* The table, for `relay48 config` and the docs. */
const struct config_entry *config_table(size_t *count);

/* Fill c with the defaults. Caller frees with config_free. */
int config_init(struct config *c, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;
void config_free(struct config *c);

/* Set one key from text, checked against the table. */
int config_set(struct config *c, const char *key, const char *value, char *errstr,
               size_t errstr_size) RELAY_MUSTCHECK;

/* "key = value" lines, '#' comments, blank lines. */
int config_load_file(struct config *c, const char *path, char *errstr,
                     size_t errstr_size) RELAY_MUSTCHECK;

/* envp is a NULL-terminated "NAME=value" array, as environ. */
int config_load_env(struct config *c, char *const *envp, char *errstr,
                    size_t errstr_size) RELAY_MUSTCHECK;

/* Look up a kafka.* property by its librdkafka name; NULL if not set. */
const char *config_kafka_get(const struct config *c, const char *property);

/* Copy the keys marked reloadable from src into dst (SIGHUP). */
void config_apply_reloadable(struct config *dst, const struct config *src);

#endif
