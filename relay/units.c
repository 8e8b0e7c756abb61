/* units.c — the police jurisdiction table and `relay48 unit`; see units.h. */
#include "units.h"

#include <ctype.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "postal.h"
#include "routing.h"
#include "sealed.h"

/* ---- pure ------------------------------------------------------------------ */

int units_endpoint_check(const char *url, char *errstr, size_t errstr_size)
{
    if (!url || !*url) {
        snprintf(errstr, errstr_size, "empty endpoint: give the unit's https:// URL");
        return -1;
    }
    size_t n = strlen(url);
    if (n > UNITS_ENDPOINT_MAX) {
        snprintf(errstr, errstr_size, "endpoint longer than %d characters", UNITS_ENDPOINT_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
            snprintf(errstr, errstr_size,
                     "endpoint: only visible ASCII characters (percent-encode the others)");
            return -1;
        }
    }
    if (strncmp(url, "https://", 8) != 0 || url[8] == '\0' || url[8] == '/') {
        snprintf(errstr, errstr_size,
                 "endpoint: an https:// URL with a host is required (a police escalation "
                 "carries personal data: never plain http)");
        return -1;
    }
    return 0;
}

int units_departement_normalise(const char *in, char out[9], char *errstr, size_t errstr_size)
{
    out[0] = '\0';
    if (!in || strlen(in) > 8) {
        snprintf(errstr, errstr_size, "--dept: a département code (31, 2A, 974) or NATIONAL");
        return -1;
    }
    size_t n = strlen(in);
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)toupper((unsigned char)in[i]);
    if (strcmp(out, "NATIONAL") == 0 || departement_check(out) == 0)
        return 0;
    snprintf(errstr, errstr_size,
             "--dept: \"%s\" is not a département code (31, 2A, 974) or "
             "NATIONAL",
             in);
    out[0] = '\0';
    return -1;
}

void units_secret_aad(int64_t id, char *out, size_t out_size)
{
    snprintf(out, out_size, "relay48 unit secret %" PRId64, id);
}

/* ---- command line ------------------------------------------------------------ */

int units_add(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], const char *dept_in,
              const char *name, const char *endpoint, const char *hours, int fallback,
              size_t nbytes, int64_t *id, char secret_out[SIGN_SECRET_TEXT_SIZE], char *errstr,
              size_t errstr_size)
{
    char dept[9], idtext[24], aad[SEALED_AAD_SIZE];
    struct routing_hours parsed;
    secret_out[0] = '\0';
    if (!hours)
        hours = fallback ? "24/7" : ROUTING_DEFAULT_HOURS;
    if (units_departement_normalise(dept_in, dept, errstr, errstr_size) != 0 ||
        units_endpoint_check(endpoint, errstr, errstr_size) != 0 ||
        routing_hours_parse(hours, &parsed, errstr, errstr_size) != 0)
        return -1;
    if (!name || !*name || strlen(name) > UNITS_NAME_MAX) {
        snprintf(errstr, errstr_size, "--name: 1 to %d bytes", UNITS_NAME_MAX);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            snprintf(errstr, errstr_size, "--name: no control characters");
            return -1;
        }
    }
    /* The id first: the sealed secret is bound to it. */
    PGresult *r = PQexec(c, "SELECT nextval('police_units_id_seq')");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        cli_pq_error(errstr, errstr_size, "cannot register the unit", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    snprintf(idtext, sizeof(idtext), "%" PRId64, *id);
    units_secret_aad(*id, aad, sizeof(aad));
    const char *params[6] = {idtext, dept, name, endpoint, hours, fallback ? "t" : "f"};
    /* One statement, so one transaction: the unit and its first secret. */
    int rc = sealed_add(c, key, aad, nbytes,
                        "WITH u AS (INSERT INTO police_units (id, departement, name, endpoint,"
                        " hours, fallback) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id)"
                        " INSERT INTO police_unit_secrets (unit_id, sealed)"
                        " SELECT id, decode($7, 'hex') FROM u",
                        6, params, secret_out, "cannot register the unit", errstr, errstr_size);
    return rc == 0 ? 0 : -1;
}

/* Where a unit's secrets are, for sealed_rotate. */
static const struct sealed_owner unit_owner = {"unit", "police_units", "id", "police_unit_secrets",
                                               "unit_id"};

int units_rotate(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], int64_t id,
                 int overlap_hours, size_t nbytes, char secret_out[SIGN_SECRET_TEXT_SIZE],
                 char *errstr, size_t errstr_size)
{
    char idtext[24], aad[SEALED_AAD_SIZE];
    snprintf(idtext, sizeof(idtext), "%" PRId64, id);
    units_secret_aad(id, aad, sizeof(aad));
    return sealed_rotate(c, &unit_owner, idtext, aad, key, overlap_hours, nbytes, secret_out,
                         errstr, errstr_size);
}

int units_set_disabled(PGconn *c, int64_t id, int disabled, char *errstr, size_t errstr_size)
{
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%" PRId64, id);
    const char *params[1] = {idtext};
    PGresult *r = NULL;
    int gone = 0;
    if (!disabled) {
        /* Enabling forgets a 410 its endpoint answered: the operator says it is back. */
        if (cli_exec(c, "DELETE FROM delivery_endpoints_gone WHERE party = 'unit:' || $1", 1,
                     params, PGRES_COMMAND_OK, &r, "database", errstr, errstr_size) != 0)
            return -1;
        gone = strcmp(PQcmdTuples(r), "0") != 0;
        PQclear(r);
    }
    int rc = cli_set_state(c,
                           disabled ? "UPDATE police_units SET disabled_at = now()"
                                      " WHERE id = $1 AND disabled_at IS NULL"
                                    : "UPDATE police_units SET disabled_at = NULL"
                                      " WHERE id = $1 AND disabled_at IS NOT NULL",
                           "SELECT 1 FROM police_units WHERE id = $1", idtext, "database", errstr,
                           errstr_size);
    if (rc < 0)
        return -1;
    if (gone) /* a change too, even to a unit already enabled */
        return 0;
    if (rc == 2) {
        snprintf(errstr, errstr_size, "no unit %s (relay48 unit list)", idtext);
        return -1;
    }
    return rc;
}

int units_list(PGconn *c, FILE *out, char *errstr, size_t errstr_size)
{
    enum { COLS = 8 };
    static const char *const head[COLS] = {"ID",    "DEPT",     "NAME",    "FALLBACK",
                                           "HOURS", "ENDPOINT", "SECRETS", "STATE"};
    return cli_list(
        c, out,
        "SELECT u.id::text, u.departement, u.name, CASE WHEN u.fallback THEN 'yes' ELSE 'no'"
        " END, u.hours, u.endpoint,"
        " (SELECT count(*) FROM police_unit_secrets s WHERE s.unit_id = u.id"
        "   AND s.valid_from <= now() AND (s.valid_until IS NULL OR s.valid_until > now()))"
        "  ::text,"
        " CASE WHEN u.disabled_at IS NOT NULL THEN 'disabled'"
        "  WHEN EXISTS (SELECT 1 FROM delivery_endpoints_gone g WHERE g.party = 'unit:' || "
        "u.id AND g.endpoint = u.endpoint) THEN 'gone (410)' ELSE 'enabled' END"
        " FROM police_units u ORDER BY u.departement, u.id",
        head, COLS, "cannot list the units", errstr, errstr_size);
}

static void units_usage(FILE *out)
{
    fprintf(out,
            "usage: relay48 [-c FILE] unit add --dept D --name NAME --endpoint URL\n"
            "                                  [--hours TEXT] [--fallback]\n"
            "       relay48 [-c FILE] unit rotate-secret ID [--overlap-hours N]\n"
            "       relay48 [-c FILE] unit list | disable ID | enable ID\n"
            "  add            register a police unit of département D (31, 2A, 974, NATIONAL);\n"
            "                 prints its signing secret (whsec_...) once on stdout\n"
            "  --hours        weekly office hours, Europe/Paris (default \"%s\";\n"
            "                 \"24/7\" for a fallback); public holidays are closed unless a\n"
            "                 \"hol HH:MM-HH:MM\" group opens them\n"
            "  --fallback     the 24/7 desk of D (NATIONAL: of every département), used\n"
            "                 outside office hours and while D's unit keeps failing\n"
            "  rotate-secret  a new secret; the current ones stay valid --overlap-hours (24)\n"
            "  list           the units, their endpoints and states\n"
            "  disable/enable stop/resume deliveries to a unit (enable also forgets a 410)\n",
            ROUTING_DEFAULT_HOURS);
}

static int parse_id(const char *text, int64_t *out)
{
    char *end = NULL;
    if (!text || !isdigit((unsigned char)*text))
        return -1;
    long long v = strtoll(text, &end, 10);
    if (*end || v < 1)
        return -1;
    *out = v;
    return 0;
}

enum units_cmd { UNITS_ADD, UNITS_ROTATE, UNITS_LIST, UNITS_DISABLE, UNITS_ENABLE };

int units_main(const struct config *cfg, int argc, char **argv)
{
    static const char *const names[] = {"add", "rotate-secret", "list", "disable", "enable"};
    const char *sub = argc > 0 ? argv[0] : NULL;
    const char *dept = NULL, *name = NULL, *endpoint = NULL, *hours = NULL, *id_text = NULL;
    const char *overlap_text = NULL;
    int fallback = 0, overlap = 24, rc = 1;
    int64_t id = 0;
    char err[512], canon[9];
    int cmd = cli_subcommand("unit", argc, argv, names, RELAY_ARRAY_LEN(names), units_usage, &rc);
    if (cmd < 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        const char *val;
        if (cmd == UNITS_ADD && (val = cli_option_value(argc, argv, &i, "--dept"))) {
            dept = val;
        } else if (cmd == UNITS_ADD && (val = cli_option_value(argc, argv, &i, "--name"))) {
            name = val;
        } else if (cmd == UNITS_ADD && (val = cli_option_value(argc, argv, &i, "--endpoint"))) {
            endpoint = val;
        } else if (cmd == UNITS_ADD && (val = cli_option_value(argc, argv, &i, "--hours"))) {
            hours = val;
        } else if (cmd == UNITS_ADD && strcmp(argv[i], "--fallback") == 0) {
            fallback = 1;
        } else if (cmd == UNITS_ROTATE &&
                   (val = cli_option_value(argc, argv, &i, "--overlap-hours"))) {
            overlap_text = val;
        } else if ((cmd == UNITS_ROTATE || cmd == UNITS_DISABLE || cmd == UNITS_ENABLE) &&
                   !id_text && argv[i][0] != '-') {
            id_text = argv[i];
        } else {
            return cli_unexpected("unit", sub, argv[i], units_usage);
        }
    }
    if (cmd == UNITS_ADD) {
        struct routing_hours parsed;
        if (!dept || !name || !endpoint) {
            fprintf(stderr, "relay48 unit add: --dept, --name and --endpoint are required\n");
            return 2;
        }
        if (units_departement_normalise(dept, canon, err, sizeof(err)) != 0 ||
            units_endpoint_check(endpoint, err, sizeof(err)) != 0 ||
            (hours && routing_hours_parse(hours, &parsed, err, sizeof(err)) != 0)) {
            fprintf(stderr, "relay48 unit add: %s\n", err);
            return 2;
        }
    } else if (cmd != UNITS_LIST && parse_id(id_text, &id) != 0) {
        fprintf(stderr, "relay48 unit %s: which unit? give its ID (relay48 unit list)\n", sub);
        return 2;
    }
    if (cmd == UNITS_ROTATE && overlap_text) {
        long h = 0;
        if (cli_parse_long(overlap_text, 0, SEALED_OVERLAP_MAX_HOURS, &h) != 0) {
            fprintf(stderr, "relay48 unit rotate-secret: --overlap-hours takes 0..%d\n",
                    SEALED_OVERLAP_MAX_HOURS);
            return 2;
        }
        overlap = (int)h;
    }
    unsigned char key[SECRETBOX_KEY_LEN];
    memset(key, 0, sizeof(key));
    int need_key = cmd == UNITS_ADD || cmd == UNITS_ROTATE;
    if (need_key && secretbox_key_load(getenv(SECRETBOX_ENV), cfg->secrets_master_key_file, key,
                                       err, sizeof(err)) != 0) {
        fprintf(stderr, "relay48 unit %s: %s\n", sub, err);
        return 1;
    }
    rc = 1;
    PGconn *c = cli_connect(cfg->database_url, "unit", sub);
    if (!c)
        goto done;
    char secret[SIGN_SECRET_TEXT_SIZE];
    secret[0] = '\0';
    size_t nbytes = (size_t)cfg->banks_secret_bytes;
    if (cmd == UNITS_ADD) {
        if (units_add(c, key, canon, name, endpoint, hours, fallback, nbytes, &id, secret, err,
                      sizeof(err)) == 0) {
            printf("%s\n", secret);
            fflush(stdout);
            fprintf(stderr,
                    "relay48: unit %" PRId64 " registered for police:%s%s. Its signing secret is "
                    "printed above once and stored only sealed under the master key:\nhand it "
                    "to the unit on a secure channel now.\n",
                    id, canon, fallback ? " (24/7 fallback)" : "");
            rc = 0;
        } else {
            fprintf(stderr, "relay48 unit add: %s\n", err);
        }
    } else if (cmd == UNITS_ROTATE) {
        if (units_rotate(c, key, id, overlap, nbytes, secret, err, sizeof(err)) == 0) {
            printf("%s\n", secret);
            fflush(stdout);
            fprintf(stderr, "relay48: new secret for unit %" PRId64 " printed above once\n", id);
            rc = 0;
        } else {
            fprintf(stderr, "relay48 unit rotate-secret: %s\n", err);
        }
    } else if (cmd == UNITS_LIST) {
        rc = units_list(c, stdout, err, sizeof(err)) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "relay48 unit list: %s\n", err);
    } else {
        int r = units_set_disabled(c, id, cmd == UNITS_DISABLE, err, sizeof(err));
        if (r == 0)
            fprintf(stderr,
                    "relay48: unit %" PRId64 " %s; connectors follow within "
                    "connector.registry_refresh_ms\n",
                    id, cmd == UNITS_DISABLE ? "disabled" : "enabled");
        else if (r == 1)
            fprintf(stderr, "relay48: unit %" PRId64 " was already %s; nothing changed\n", id,
                    cmd == UNITS_DISABLE ? "disabled" : "enabled");
        else
            fprintf(stderr, "relay48 unit %s: %s\n", sub, err);
        rc = r >= 0 ? 0 : 1;
    }
    OPENSSL_cleanse(secret, sizeof(secret));
done:
    PQfinish(c);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}
