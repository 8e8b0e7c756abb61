/* config.c — the declarative configuration table; see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define OFF(field) offsetof(struct config, field)

static const struct config_entry table[] = {
    {"instance", CONFIG_STRING, OFF(instance), "relay48", 1, 64, 0,
     "name of this relay instance (CloudEvents source, logs)"},
    {"http.addr", CONFIG_STRING, OFF(http_addr), "127.0.0.1", 1, 255, 0, "address to listen on"},
    {"http.port", CONFIG_INT, OFF(http_port), "8080", 1, 65535, 0, "port to listen on"},
    {"http.body_limit", CONFIG_INT, OFF(http_body_limit), "65536", 1024, 8388608, 0,
     "largest request body accepted, bytes (413 beyond)"},
    {"http.header_limit", CONFIG_INT, OFF(http_header_limit), "16384", 1024, 1048576, 0,
     "largest request head (line and headers), bytes: 431 beyond; evhttp closes past twice it"},
    {"http.timeout", CONFIG_INT, OFF(http_timeout), "30", 1, 600, 0,
     "seconds a connection may stay silent while sending a request or reading its answer"},
    {"http.max_connections", CONFIG_INT, OFF(http_max_connections), "8192", 16, 1000000, 0,
     "client connections open at once; beyond, the one waiting the longest for its request is "
     "closed, or 503 when every one is in a handler (RLIMIT_NOFILE is raised to fit)"},
    {"http.request_timeout", CONFIG_INT, OFF(http_request_timeout), "20", 1, 600, 0,
     "seconds a connection has to send a whole request (line, headers, body) after it opened or "
     "after its previous answer; slower or idle connections are closed"},
    {"api.rate_per_minute", CONFIG_INT, OFF(api_rate_per_minute), "600", 1, 1000000, 1,
     "authenticated API requests per key and minute (token bucket refill); beyond, 429"},
    {"api.rate_burst", CONFIG_INT, OFF(api_rate_burst), "60", 1, 100000, 1,
     "authenticated API requests a key may send at once (token bucket size)"},
    {"api.rate_slots", CONFIG_INT, OFF(api_rate_slots), "4096", 16, 1048576, 0,
     "API keys the rate limit remembers (bounded memory)"},
    {"database.url", CONFIG_STRING, OFF(database_url),
     "postgresql://relay48@127.0.0.1:55432/relay48", 1, 4096, 0, "libpq connection URL"},
    {"database.retry_max_ms", CONFIG_INT, OFF(database_retry_max_ms), "1000", 50, 60000, 1,
     "ceiling of the reconnect backoff, ms"},
    {"probe.interval_ms", CONFIG_INT, OFF(probe_interval_ms), "1000", 100, 60000, 1,
     "period of the PostgreSQL and Kafka readiness probes, ms"},
    {"shutdown.grace_ms", CONFIG_INT, OFF(shutdown_grace_ms), "10000", 0, 600000, 1,
     "how long SIGTERM waits for in-flight work, ms"},
    {"log.level", CONFIG_STRING, OFF(log_level), "info", 4, 5, 1, "debug, info, warn or error"},
    {"sql.dir", CONFIG_STRING, OFF(sql_dir), "sql", 1, 4096, 0,
     "directory of the numbered migrations"},
    {"token.key", CONFIG_STRING, OFF(token_key), "", 0, 128, 0,
     "secret, 32 to 128 hex digits: key of the IBAN tokens on the reports topic"},
    {"window.sct", CONFIG_INT, OFF(window_sct), "172800", 1, 2592000, 0,
     "recall window of SEPA credit transfers, s"},
    {"window.sct_inst", CONFIG_INT, OFF(window_sct_inst), "172800", 1, 2592000, 0,
     "recall window of SEPA instant transfers, s"},
    {"window.swift", CONFIG_INT, OFF(window_swift), "172800", 1, 2592000, 0,
     "recall window of SWIFT transfers, s"},
    {"window.card", CONFIG_INT, OFF(window_card), "172800", 1, 2592000, 0,
     "window of card fraud (block, dispute), s"},
    {"window.unknown", CONFIG_INT, OFF(window_unknown), "172800", 1, 2592000, 0,
     "window when the rail is unknown, s"},
    {"window.reminder_before", CONFIG_INT, OFF(window_reminder_before), "86400", 1, 2592000, 0,
     "reminder milestone, s before the deadline"},
    {"window.critical_before", CONFIG_INT, OFF(window_critical_before), "21600", 1, 2592000, 0,
     "critical milestone, s before the deadline"},
    {"police.threshold_minor", CONFIG_INT, OFF(police_threshold_minor), "1000000", 1,
     INT64_C(999999999999999), 0,
     "EUR amount (cents) at or above which police are alerted at intake"},
    {"store.connections", CONFIG_INT, OFF(store_connections), "2", 1, 16, 0,
     "PostgreSQL connections of the group commit: batches go to the first while it keeps up; "
     "the others take over when it is lost, or take a batch when a full one waits"},
    {"store.batch_max", CONFIG_INT, OFF(store_batch_max), "256", 1, 10000, 0,
     "cases per group-commit transaction"},
    {"store.batch_delay_ms", CONFIG_INT, OFF(store_batch_delay_ms), "0", 0, 100, 0,
     "wait this long to gather a batch when no commit is in flight"},
    {"store.max_inflight", CONFIG_INT, OFF(store_max_inflight), "1", 1, 16, 0,
     "group-commit transactions in each connection's pipeline at once"},
    {"store.queue_max", CONFIG_INT, OFF(store_queue_max), "20000", 1, 1000000, 0,
     "cases waiting for a commit; beyond, 503"},
    {"store.unknown_retry_ms", CONFIG_INT, OFF(store_unknown_retry_ms), "5000", 0, 60000, 0,
     "how long a commit of unknown outcome is retried before 503"},
    {"http.retry_after", CONFIG_INT, OFF(retry_after_s), "2", 1, 3600, 1,
     "Retry-After of a 503, s"},
    {"outbox.sweep_interval_ms", CONFIG_INT, OFF(outbox_sweep_interval_ms), "2000", 100, 600000, 0,
     "how often unpublished outbox rows are looked for"},
    {"outbox.sweep_age_ms", CONFIG_INT, OFF(outbox_sweep_age_ms), "10000", 0, 3600000, 0,
     "unpublished rows younger than this are left to the producer that has them"},
    {"outbox.mark_delay_ms", CONFIG_INT, OFF(outbox_mark_delay_ms), "20", 0, 1000, 0,
     "gather delivery reports this long before marking rows published"},
    {"keys.refresh_ms", CONFIG_INT, OFF(keys_refresh_ms), "2000", 100, 600000, 0,
     "API keys are reloaded this often (a revoked key stops within it)"},
    {"directory.refresh_ms", CONFIG_INT, OFF(directory_refresh_ms), "60000", 1000, 86400000, 0,
     "the bank directory is reloaded this often"},
    {"scheduler.enabled", CONFIG_INT, OFF(scheduler_enabled), "1", 0, 1, 0,
     "1: this relay fires due milestones (several relays may share one database)"},
    {"scheduler.connections", CONFIG_INT, OFF(scheduler_connections), "2", 1, 8, 0,
     "PostgreSQL connections of the scheduler: firing transactions in flight at once"},
    {"scheduler.batch_max", CONFIG_INT, OFF(scheduler_batch_max), "2500", 1, 10000, 0,
     "due milestones claimed per firing transaction"},
    {"scheduler.poll_ms", CONFIG_INT, OFF(scheduler_poll_ms), "1000", 10, 60000, 0,
     "the scheduler looks for due milestones at least this often, ms"},
    {"scheduler.stats_interval_ms", CONFIG_INT, OFF(scheduler_stats_interval_ms), "5000", 100,
     3600000, 0, "period of the gauges query (outbox backlog and age, firings unconfirmed), ms"},
    {"scheduler.pending_interval_ms", CONFIG_INT, OFF(scheduler_pending_interval_ms), "60000", 100,
     3600000, 0,
     "period of the count of pending milestones (a gauge that reads a whole index: about 100 "
     "ms of database CPU a million pending), ms"},
    {"web.csrf_key", CONFIG_STRING, OFF(web_csrf_key), "", 0, 128, 0,
     "secret, 32 to 128 hex digits: key of the web form's anti-forgery tokens; empty: random at "
     "start (then forms of another instance or of before a restart are refused once)"},
    {"web.csrf_ttl_s", CONFIG_INT, OFF(web_csrf_ttl_s), "14400", 60, 604800, 1,
     "a web form may be sent this long after it was served, s"},
    {"web.rate_per_minute", CONFIG_INT, OFF(web_rate_per_minute), "10", 1, 100000, 1,
     "POST /report per client address and minute (token bucket refill)"},
    {"web.rate_burst", CONFIG_INT, OFF(web_rate_burst), "5", 1, 10000, 1,
     "POST /report a client address may send at once (token bucket size)"},
    {"web.rate_slots", CONFIG_INT, OFF(web_rate_slots), "4096", 16, 1048576, 0,
     "client addresses the rate limit remembers (bounded memory)"},
    {"web.origin", CONFIG_STRING, OFF(web_origin), "", 0, 255, 0,
     "origin the form is served from (https://host); empty: the request's Host header"},
    {"web.client_ip_header", CONFIG_STRING, OFF(web_client_ip_header), "", 0, 64, 0,
     "header whose last address is the client's (behind a proxy); empty: the peer address"},
    {"clock.fixed", CONFIG_STRING, OFF(clock_fixed), "", 0, 35, 0,
     "TEST ONLY: RFC 3339 time the intake, the web form and the purge take as now; empty: the "
     "real clock"},
    {"secrets.master_key_file", CONFIG_STRING, OFF(secrets_master_key_file), "", 0, 4096, 0,
     "file holding the master key (64 hex digits) that seals bank secrets; RELAY48_MASTER_KEY "
     "wins when set"},
    {"banks.refresh_ms", CONFIG_INT, OFF(banks_refresh_ms), "2000", 100, 600000, 0,
     "banks and their webhook secrets are reloaded this often (rotation, disable)"},
    {"banks.secret_bytes", CONFIG_INT, OFF(banks_secret_bytes), "32", 24, 64, 0,
     "random bytes of a new webhook secret (relay48 bank add / rotate-secret)"},
    {"banks.rotation_overlap_hours", CONFIG_INT, OFF(banks_rotation_overlap_hours), "24", 0, 720, 0,
     "hours the old secret stays valid after bank rotate-secret (default of --overlap-hours)"},
    {"webhooks.enabled", CONFIG_INT, OFF(webhooks_enabled), "0", 0, 1, 0,
     "1: serve POST /v1/webhooks/banks/{bic} (needs the master key at start)"},
    {"webhooks.tolerance_s", CONFIG_INT, OFF(webhooks_tolerance_s), "300", 30, 900, 0,
     "a webhook-timestamp may be this far from the relay's clock either way, s"},
    {"webhooks.ids_retention_s", CONFIG_INT, OFF(webhooks_ids_retention_s), "86400", 900, 2592000,
     0, "webhook-ids and their first answers are kept this long, s"},
    {"perceval.batch_max", CONFIG_INT, OFF(perceval_batch_max), "500", 1, 10000, 0,
     "declarations in one POST /v1/declarations/perceval"},
    {"perceval.body_limit", CONFIG_INT, OFF(perceval_body_limit), "1048576", 1024, 16777216, 0,
     "largest POST /v1/declarations/perceval body, bytes (413 beyond)"},
    {"perceval.bins_refresh_ms", CONFIG_INT, OFF(perceval_bins_refresh_ms), "60000", 100, 86400000,
     0, "the BIN table (card BIN -> issuing bank) is reloaded this often"},
    {"connector.group", CONFIG_STRING, OFF(connector_group), "", 0, 255, 0,
     "consumer group of relay48-connector; empty: relay48-connector-<role>"},
    {"connector.start_ms", CONFIG_INT, OFF(connector_start_ms), "0", 0, INT64_C(253402300799999), 0,
     "partitions the group has no offset for start at this time (ms since the epoch); 0: "
     "kafka.auto.offset.reset (earliest)"},
    {"connector.http_port", CONFIG_INT, OFF(connector_http_port), "0", 0, 65535, 0,
     "port of the connector's /healthz, /readyz and /metrics on http.addr; 0: 8091 (bank), "
     "8092 (police)"},
    {"connector.max_inflight", CONFIG_INT, OFF(connector_max_inflight), "1000", 1, 100000, 0,
     "deliveries in flight at once, overall"},
    {"connector.max_inflight_per_destination", CONFIG_INT,
     OFF(connector_max_inflight_per_destination), "100", 1, 100000, 0,
     "deliveries in flight at once to one bank or unit"},
    {"connector.max_pending", CONFIG_INT, OFF(connector_max_pending), "10000", 10, 1000000, 0,
     "escalations read and not yet delivered; beyond, consumption pauses"},
    {"connector.connect_timeout_ms", CONFIG_INT, OFF(connector_connect_timeout_ms), "5000", 100,
     60000, 0, "TCP and TLS handshake of a delivery, ms"},
    {"connector.timeout_ms", CONFIG_INT, OFF(connector_timeout_ms), "15000", 100, 300000, 0,
     "a whole delivery attempt, ms"},
    {"connector.retry_base_ms", CONFIG_INT, OFF(connector_retry_base_ms), "1000", 10, 5000, 0,
     "backoff before the first retry (jittered down to half), ms"},
    {"connector.retry_max_ms", CONFIG_INT, OFF(connector_retry_max_ms), "300000", 1000, 3600000, 0,
     "ceiling of the exponential backoff, ms"},
    {"connector.retry_after_max_s", CONFIG_INT, OFF(connector_retry_after_max_s), "3600", 1, 86400,
     0, "a longer Retry-After (429, 503) is cut to this, s"},
    {"connector.retry_max_attempts", CONFIG_INT, OFF(connector_retry_max_attempts), "1000", 1,
     1000000, 0, "attempts of one delivery before the dead-letter topic (retry_budget)"},
    {"connector.reject_max_attempts", CONFIG_INT, OFF(connector_reject_max_attempts), "5", 1, 1000,
     0,
     "attempts answered 3xx or 4xx (but 408, 410, 425, 429) before the dead-letter "
     "topic (rejected)"},
    {"connector.late_grace_s", CONFIG_INT, OFF(connector_late_grace_s), "21600", 0, 604800, 0,
     "an escalation read after its case's deadline (expired) is retried this long, s"},
    {"connector.ca_file", CONFIG_STRING, OFF(connector_ca_file), "", 0, 4096, 0,
     "PEM file of the CAs trusted for endpoints; empty: the system's"},
    {"connector.registry_refresh_ms", CONFIG_INT, OFF(connector_registry_refresh_ms), "5000", 100,
     600000, 0, "the banks or police units are reloaded this often"},
    {"connector.fallback_after_failures", CONFIG_INT, OFF(connector_fallback_after_failures), "3",
     1, 1000, 0,
     "failed attempts in a row after which a police unit is avoided for "
     "connector.failing_cooldown_ms (its fallback takes over)"},
    {"connector.failing_cooldown_ms", CONFIG_INT, OFF(connector_failing_cooldown_ms), "60000", 1000,
     3600000, 0, "how long a failing endpoint is avoided before it is tried again, ms"},
    {"connector.public_url", CONFIG_STRING, OFF(connector_public_url), "", 0, 255, 0,
     "https://host of the relay's API, to make ack_url absolute in deliveries; empty: as is"},
    {"retention.narrative_days", CONFIG_INT, OFF(retention_narrative_days), "30", 1, 3650, 1,
     "days after its closure a case keeps the victim's narrative and evidence file names"},
    {"retention.identity_days", CONFIG_INT, OFF(retention_identity_days), "90", 1, 3650, 1,
     "days after its closure a case keeps the victim's name, e-mail, phone, postal code and the "
     "account holders' names"},
    {"retention.payment_days", CONFIG_INT, OFF(retention_payment_days), "180", 1, 3650, 1,
     "days after its closure a case keeps its IBANs, card last 4 digits, receipt, payment "
     "references, card operations and beneficiary-account links"},
    {"retention.notes_days", CONFIG_INT, OFF(retention_notes_days), "90", 1, 3650, 1,
     "days after the case's closure (or the acknowledgement, if later) an acknowledgement keeps "
     "its note and party_ref"},
    {"retention.tokens_days", CONFIG_INT, OFF(retention_tokens_days), "90", 1, 3650, 1,
     "days after its closure the victim's case page stays open (case_access_tokens)"},
    {"retention.idempotency_days", CONFIG_INT, OFF(retention_idempotency_days), "30", 1, 3650, 1,
     "days after its closure a case keeps its Idempotency-Key rows (the partner's key, the "
     "request hash)"},
    {"retention.access_log_days", CONFIG_INT, OFF(retention_access_log_days), "365", 1, 3650, 1,
     "days a row of the case access log (who read which case) is kept, from the read"},
    {"retention.interval_s", CONFIG_INT, OFF(retention_interval_s), "86400", 0, 604800, 0,
     "the relay purges personal data past retention this often (the first run within 5 min of "
     "the start); 0: never (run relay48 purge from cron)"},
    {"retention.batch_rows", CONFIG_INT, OFF(retention_batch_rows), "1000", 10, 100000, 1,
     "rows the purge changes per transaction (its locks are held that long)"},
    {"access_log.queue_max", CONFIG_INT, OFF(access_log_queue_max), "10000", 100, 1000000, 0,
     "case-access rows waiting for their commit; beyond, a case read answers 503"},
};

const struct config_entry *config_table(size_t *count)
{
    *count = RELAY_ARRAY_LEN(table);
    return table;
}

static const struct config_entry *find(const char *key)
{
    for (size_t i = 0; i < RELAY_ARRAY_LEN(table); i++) {
        if (strcmp(table[i].key, key) == 0)
            return &table[i];
    }
    return NULL;
}

static int set_kafka(struct config *c, const char *property, const char *value, char *errstr,
                     size_t errstr_size)
{
    if (property[0] == '\0') {
        snprintf(errstr, errstr_size, "kafka.: empty librdkafka property name");
        return -1;
    }
    for (size_t i = 0; i < c->kafka_count; i++) {
        if (strcmp(c->kafka_key[i], property) == 0) {
            char *v = strdup(value);
            if (!v)
                goto oom;
            free(c->kafka_value[i]);
            c->kafka_value[i] = v;
            return 0;
        }
    }
    if (c->kafka_count == CONFIG_KAFKA_MAX) {
        snprintf(errstr, errstr_size, "kafka.%s: more than %d kafka.* properties", property,
                 CONFIG_KAFKA_MAX);
        return -1;
    }
    char *k = strdup(property);
    char *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        goto oom;
    }
    c->kafka_key[c->kafka_count] = k;
    c->kafka_value[c->kafka_count] = v;
    c->kafka_count++;
    return 0;
oom:
    snprintf(errstr, errstr_size, "out of memory");
    return -1;
}

static int parse_int(const char *text, int64_t *out)
{
    if (!*text)
        return -1;
    const char *p = text;
    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (errno || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int config_set(struct config *c, const char *key, const char *value, char *errstr,
               size_t errstr_size)
{
    const struct config_entry *e = find(key);
    if (!e) {
        if (strncmp(key, "kafka.", 6) == 0)
            return set_kafka(c, key + 6, value, errstr, errstr_size);
        snprintf(errstr, errstr_size, "%s: unknown configuration key", key);
        return -1;
    }
    char *base = (char *)c;
    if (e->type == CONFIG_INT) {
        int64_t v;
        if (parse_int(value, &v) != 0) {
            snprintf(errstr, errstr_size, "%s: \"%s\" is not a whole number", key, value);
            return -1;
        }
        if (v < e->min || v > e->max) {
            snprintf(errstr, errstr_size,
                     "%s: %" PRId64 " is out of bounds [%" PRId64 ", %" PRId64 "]", key, v, e->min,
                     e->max);
            return -1;
        }
        *(int64_t *)(base + e->offset) = v;
        return 0;
    }
    size_t len = strlen(value);
    if ((int64_t)len < e->min || (int64_t)len > e->max) {
        snprintf(errstr, errstr_size, "%s: length %zu is out of bounds [%" PRId64 ", %" PRId64 "]",
                 key, len, e->min, e->max);
        return -1;
    }
    if (strcmp(key, "log.level") == 0 && strcmp(value, "debug") && strcmp(value, "info") &&
        strcmp(value, "warn") && strcmp(value, "error")) {
        snprintf(errstr, errstr_size, "%s: \"%s\" is not one of debug, info, warn, error", key,
                 value);
        return -1;
    }
    char *copy = strdup(value);
    if (!copy) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    char **slot = (char **)(base + e->offset);
    free(*slot);
    *slot = copy;
    return 0;
}

int config_init(struct config *c, char *errstr, size_t errstr_size)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < RELAY_ARRAY_LEN(table); i++) {
        if (config_set(c, table[i].key, table[i].def, errstr, errstr_size) != 0) {
            config_free(c);
            return -1;
        }
    }
    /* What the design asks of every producer; files and env may add more. */
    if (set_kafka(c, "bootstrap.servers", "127.0.0.1:59092", errstr, errstr_size) != 0) {
        config_free(c);
        return -1;
    }
    return 0;
}

void config_free(struct config *c)
{
    char *base = (char *)c;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(table); i++) {
        if (table[i].type == CONFIG_STRING) {
            char **slot = (char **)(base + table[i].offset);
            RELAY_FREE(*slot);
        }
    }
    for (size_t i = 0; i < c->kafka_count; i++) {
        RELAY_FREE(c->kafka_key[i]);
        RELAY_FREE(c->kafka_value[i]);
    }
    c->kafka_count = 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

int config_load_file(struct config *c, const char *path, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[8192];
    int lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(errstr, errstr_size, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(errstr, errstr_size, "%s:%d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s);
        char *value = trim(eq + 1);
        char err[256];
        if (config_set(c, key, value, err, sizeof(err)) != 0) {
            snprintf(errstr, errstr_size, "%s:%d: %s", path, lineno, err);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

/* RELAY48_HTTP_BODY_LIMIT -> the table key whose env name it is. */
static int env_name_of(const char *key, char *out, size_t out_size)
{
    int n = snprintf(out, out_size, "RELAY48_");
    for (const char *p = key; *p; p++) {
        if ((size_t)n + 1 >= out_size)
            return -1;
        out[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    }
    out[n] = '\0';
    return 0;
}

int config_load_env(struct config *c, char *const *envp, char *errstr, size_t errstr_size)
{
    static const char kafka_prefix[] = "RELAY48_KAFKA_";
    for (char *const *e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || strncmp(*e, "RELAY48_", 8) != 0)
            continue;
        size_t name_len = (size_t)(eq - *e);
        const char *value = eq + 1;
        int matched = 0;
        for (size_t i = 0; i < RELAY_ARRAY_LEN(table) && !matched; i++) {
            char name[128];
            if (env_name_of(table[i].key, name, sizeof(name)) == 0 && strlen(name) == name_len &&
                strncmp(name, *e, name_len) == 0) {
                char err[256];
                if (config_set(c, table[i].key, value, err, sizeof(err)) != 0) {
                    snprintf(errstr, errstr_size, "%.*s: %s", (int)name_len, *e, err);
                    return -1;
                }
                matched = 1;
            }
        }
        if (matched || strncmp(*e, kafka_prefix, sizeof(kafka_prefix) - 1) != 0)
            continue;
        /* RELAY48_KAFKA_LINGER_MS -> linger.ms */
        char prop[128];
        size_t plen = name_len - (sizeof(kafka_prefix) - 1);
        if (plen == 0 || plen >= sizeof(prop)) {
            snprintf(errstr, errstr_size, "%.*s: bad librdkafka property name", (int)name_len, *e);
            return -1;
        }
        for (size_t i = 0; i < plen; i++) {
            char ch = (*e)[sizeof(kafka_prefix) - 1 + i];
            prop[i] = ch == '_' ? '.' : (char)tolower((unsigned char)ch);
        }
        prop[plen] = '\0';
        if (set_kafka(c, prop, value, errstr, errstr_size) != 0)
            return -1;
    }
    return 0;
}

const char *config_kafka_get(const struct config *c, const char *property)
{
    for (size_t i = 0; i < c->kafka_count; i++) {
        if (strcmp(c->kafka_key[i], property) == 0)
            return c->kafka_value[i];
    }
    return NULL;
}

void config_apply_reloadable(struct config *dst, const struct config *src)
{
    char *d = (char *)dst;
    const char *s = (const char *)src;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(table); i++) {
        if (!table[i].reloadable)
            continue;
        if (table[i].type == CONFIG_INT) {
            *(int64_t *)(d + table[i].offset) = *(const int64_t *)(s + table[i].offset);
        } else {
            char *copy = strdup(*(char *const *)(s + table[i].offset));
            if (copy) {
                char **slot = (char **)(d + table[i].offset);
                free(*slot);
                *slot = copy;
            }
        }
    }
}
