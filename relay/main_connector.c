/*
 * main_connector.c — the relay48-connector command: `relay48-connector --role
 * bank|police [-c FILE]` delivers the role's escalations (connector.h).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "connector.h"
#include "log.h"

extern char **environ;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: relay48-connector --role bank|police [-c FILE]\n"
            "       relay48-connector version\n"
            "  --role bank    deliver relay48.escalations.bank.v1 to the banks' fraud desks\n"
            "                 (endpoints and secrets from `relay48 bank`)\n"
            "  --role police  deliver relay48.escalations.police.v1 to the police units\n"
            "                 (endpoints, office hours and secrets from `relay48 unit`)\n"
            "Configuration: defaults, then FILE (or $RELAY48_CONFIG), then RELAY48_* variables\n"
            "(connector.* keys, kafka.*, database.url); RELAY48_MASTER_KEY opens the secrets.\n"
            "SIGTERM finishes the deliveries in flight, commits and exits.\n");
}

int main(int argc, char **argv)
{
    const char *cfg_path = getenv("RELAY48_CONFIG");
    const char *role_text = NULL;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
            role_text = argv[++i];
        } else if (strncmp(argv[i], "--role=", 7) == 0) {
            role_text = argv[i] + 7;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "version") == 0 || strcmp(argv[i], "--version") == 0) {
            printf("relay48-connector %s\n", RELAY48_VERSION);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    enum connector_role role;
    if (connector_role_parse(role_text, &role) != 0) {
        fprintf(stderr, "relay48-connector: --role bank or --role police is required\n");
        usage(stderr);
        return 2;
    }
    struct config cfg;
    char err[512];
    if (config_init(&cfg, err, sizeof(err)) != 0 ||
        (cfg_path && *cfg_path && config_load_file(&cfg, cfg_path, err, sizeof(err)) != 0) ||
        config_load_env(&cfg, environ, err, sizeof(err)) != 0) {
        fprintf(stderr, "relay48-connector: configuration: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    enum log_level level = LOG_INFO;
    if (log_level_parse(cfg.log_level, &level) == 0)
        log_set_level(level);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "relay48-connector: curl_global_init failed\n");
        config_free(&cfg);
        return 1;
    }
    int rc = connector_run(&cfg, cfg_path, role);
    curl_global_cleanup();
    config_free(&cfg);
    return rc;
}
