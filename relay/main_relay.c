/*
 * main_relay.c — the relay48 command: `serve` (the default) runs the daemon;
 * `migrate` applies sql/; `config` prints the configuration table; `purge`
 * removes personal data past its retention; `secrets` re-seals the secrets
 * under a new master key; the others manage reference data.
 */
#include <stdio.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "banks.h"
#include "bins.h"
#include "config.h"
#include "directory.h"
#include "keys.h"
#include "log.h"
#include "migrate.h"
#include "purge.h"
#include "relay.h"
#include "reseal.h"
#include "units.h"

extern char **environ;

static void usage(FILE *out)
{
    fprintf(out, "usage: relay48 [-c FILE] [serve | migrate | config | version]\n"
                 "       relay48 [-c FILE] key create|list|revoke|verify ...\n"
                 "       relay48 [-c FILE] directory import|lookup ...\n"
                 "       relay48 [-c FILE] bank add|rotate-secret|list|disable|enable ...\n"
                 "       relay48 [-c FILE] bin import|lookup ...\n"
                 "       relay48 [-c FILE] unit add|rotate-secret|list|disable|enable ...\n"
                 "       relay48 [-c FILE] secrets reseal --old-key-file FILE [--skip-resealed]\n"
                 "       relay48 [-c FILE] purge [--dry-run] [--class NAME]... [--batch-rows N]\n"
                 "  serve     run the relay (default)\n"
                 "  migrate   apply the SQL migrations of sql.dir to database.url, then load\n"
                 "            sql.dir/data/bank_directory.csv\n"
                 "  config    print every configuration key, its value and bounds\n"
                 "  key       API keys of partners, banks and police units (key --help)\n"
                 "  directory the bank directory, IBAN bank code -> BIC (directory --help)\n"
                 "  bank      banks sending webhooks, their signing secrets (bank --help)\n"
                 "  bin       the BIN table, card BIN -> issuing bank (bin --help)\n"
                 "  unit      police units, their office hours and secrets (unit --help)\n"
                 "  secrets   seal every secret again under a new master key (secrets --help)\n"
                 "  purge     anonymise or delete personal data past its retention (purge --help)\n"
                 "Configuration: defaults, then FILE (or $RELAY48_CONFIG), then RELAY48_* "
                 "variables.\n");
}

/* Keys whose value is never printed: secrets, and URLs that may hold a
 * password. */
static int is_secret(const char *key)
{
    return strcmp(key, "database.url") == 0 || strstr(key, "key") || strstr(key, "secret") ||
           strstr(key, "password");
}

static int cmd_config(const struct config *cfg)
{
    size_t n;
    const struct config_entry *t = config_table(&n);
    for (size_t i = 0; i < n; i++) {
        const char *base = (const char *)cfg;
        if (t[i].type == CONFIG_INT)
            printf("%-24s %-12lld [%lld..%lld]%s  %s\n", t[i].key,
                   (long long)*(const int64_t *)(base + t[i].offset), (long long)t[i].min,
                   (long long)t[i].max, t[i].reloadable ? " reloadable" : "", t[i].help);
        else
            printf("%-24s %-12s [len %lld..%lld]%s  %s\n", t[i].key,
                   is_secret(t[i].key) ? "(set)" : *(char *const *)(base + t[i].offset),
                   (long long)t[i].min, (long long)t[i].max, t[i].reloadable ? " reloadable" : "",
                   t[i].help);
    }
    for (size_t i = 0; i < cfg->kafka_count; i++)
        printf("kafka.%-18s %s\n", cfg->kafka_key[i],
               is_secret(cfg->kafka_key[i]) ? "(set)" : cfg->kafka_value[i]);
    return 0;
}

/*
 * The daemon keeps the memory of a burst for the next one. Firing 50 000
 * reminders puts tens of thousands of escalations (about 1.3 KB each with
 * librdkafka's copy and headers) in flight at once, then frees them as
 * Kafka confirms; glibc's defaults gave the heap back to the kernel after
 * each wave and faulted it in again: 21 000-29 000 page faults and 800-850
 * ms of the relay's CPU for the 50 000 of tests/bench/timers, against
 * 9 000-9 500 and 710-735 ms with these (docs/escalation.md, "Benchmark").
 * Up to 64 MB freed stays with the process; GLIBC_TUNABLES, when set, has
 * the last word.
 */
static void malloc_tune(void)
{
#ifdef __GLIBC__
    if (getenv("GLIBC_TUNABLES"))
        return;
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TOP_PAD, 16 * 1024 * 1024);
#endif
}

int main(int argc, char **argv)
{
    const char *cfg_path = getenv("RELAY48_CONFIG");
    const char *cmd = "serve";
    int sub_argc = 0;
    char **sub_argv = NULL;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] != '-') {
            cmd = argv[i];
            /* These take their own arguments: the rest of the line is theirs. */
            if (strcmp(cmd, "key") == 0 || strcmp(cmd, "directory") == 0 ||
                strcmp(cmd, "bank") == 0 || strcmp(cmd, "bin") == 0 || strcmp(cmd, "unit") == 0 ||
                strcmp(cmd, "secrets") == 0 || strcmp(cmd, "purge") == 0) {
                sub_argc = argc - i - 1;
                sub_argv = argv + i + 1;
                break;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (strcmp(cmd, "version") == 0) {
        printf("relay48 %s\n", RELAY48_VERSION);
        return 0;
    }

    struct config cfg;
    char err[512];
    if (config_init(&cfg, err, sizeof(err)) != 0 ||
        (cfg_path && *cfg_path && config_load_file(&cfg, cfg_path, err, sizeof(err)) != 0) ||
        config_load_env(&cfg, environ, err, sizeof(err)) != 0) {
        fprintf(stderr, "relay48: configuration: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    enum log_level level = LOG_INFO;
    if (log_level_parse(cfg.log_level, &level) == 0)
        log_set_level(level);

    int rc;
    if (strcmp(cmd, "serve") == 0) {
        malloc_tune();
        rc = relay_serve(&cfg, cfg_path);
    } else if (strcmp(cmd, "migrate") == 0) {
        rc = migrate_run(cfg.database_url, cfg.sql_dir, stdout, err, sizeof(err)) == 0 &&
                     directory_seed(cfg.database_url, cfg.sql_dir, err, sizeof(err)) == 0 &&
                     bins_seed(cfg.database_url, cfg.sql_dir, err, sizeof(err)) == 0
                 ? 0
                 : 1;
        if (rc)
            fprintf(stderr, "relay48 migrate: %s\n", err);
    } else if (strcmp(cmd, "config") == 0) {
        rc = cmd_config(&cfg);
    } else if (strcmp(cmd, "key") == 0) {
        rc = keys_main(cfg.database_url, sub_argc, sub_argv);
    } else if (strcmp(cmd, "directory") == 0) {
        rc = directory_main(cfg.database_url, sub_argc, sub_argv);
    } else if (strcmp(cmd, "bank") == 0) {
        rc = banks_main(&cfg, sub_argc, sub_argv);
    } else if (strcmp(cmd, "bin") == 0) {
        rc = bins_main(cfg.database_url, sub_argc, sub_argv);
    } else if (strcmp(cmd, "unit") == 0) {
        rc = units_main(&cfg, sub_argc, sub_argv);
    } else if (strcmp(cmd, "secrets") == 0) {
        rc = reseal_main(&cfg, sub_argc, sub_argv);
    } else if (strcmp(cmd, "purge") == 0) {
        rc = purge_main(&cfg, sub_argc, sub_argv);
    } else {
        usage(stderr);
        rc = 2;
    }
    config_free(&cfg);
    return rc;
}
