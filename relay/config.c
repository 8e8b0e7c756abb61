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
     "largest request header block, bytes"},
    {"http.timeout", CONFIG_INT, OFF(http_timeout), "30", 1, 600, 0,
     "seconds a client has to send a request or read its answer"},
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
    {"store.connections", CONFIG_INT, OFF(store_connections), "4", 1, 16, 0,
     "PostgreSQL connections the group commit spreads its batches over"},
    {"store.batch_max", CONFIG_INT, OFF(store_batch_max), "256", 1, 10000, 0,
     "cases per group-commit transaction"},
    {"store.batch_delay_ms", CONFIG_INT, OFF(store_batch_delay_ms), "0", 0, 100, 0,
     "wait this long to gather a batch when no commit is in flight"},
    {"store.max_inflight", CONFIG_INT, OFF(store_max_inflight), "2", 1, 16, 0,
     "group-commit transactions in the pipeline at once"},
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
