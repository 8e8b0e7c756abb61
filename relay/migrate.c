/* migrate.c — numbered SQL migrations; see migrate.h. */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <string.h>

/* Serialises concurrent `relay48 migrate` runs on one database. */
#define MIGRATE_LOCK_KEY "4848001"

int migrate_parse_name(const char *f)
{
    size_t n = strlen(f);
    if (n < 9 || !isdigit((unsigned char)f[0]) || !isdigit((unsigned char)f[1]) ||
        !isdigit((unsigned char)f[2]) || f[3] != '_' || strcmp(f + n - 4, ".sql") != 0)
        return -1;
    for (size_t i = 4; i < n - 4; i++) {
        if (!islower((unsigned char)f[i]) && !isdigit((unsigned char)f[i]) && f[i] != '_')
            return -1;
    }
    int v = (f[0] - '0') * 100 + (f[1] - '0') * 10 + (f[2] - '0');
    return v == 0 ? -1 : v;
}

static const struct migration *find_version(const struct migration *m, size_t n, int version)
{
    for (size_t i = 0; i < n; i++) {
        if (m[i].version == version)
            return &m[i];
    }
    return NULL;
}

int migrate_plan(const struct migration *files, size_t nfiles, const struct migration *applied,
                 size_t napplied, size_t *todo, size_t *ntodo, char *errstr, size_t errstr_size)
{
    *ntodo = 0;
    int max_applied = 0;
    for (size_t i = 0; i < nfiles; i++) {
        for (size_t j = i + 1; j < nfiles; j++) {
            if (files[i].version == files[j].version) {
                snprintf(errstr, errstr_size, "two migrations numbered %03d: %s and %s",
                         files[i].version, files[i].name, files[j].name);
                return -1;
            }
        }
    }
    for (size_t i = 0; i < napplied; i++) {
        const struct migration *f = find_version(files, nfiles, applied[i].version);
        if (!f) {
            snprintf(errstr, errstr_size, "migration %03d (%s) was applied but its file is gone",
                     applied[i].version, applied[i].name);
            return -1;
        }
        if (strcmp(f->checksum, applied[i].checksum) != 0) {
            snprintf(errstr, errstr_size,
                     "migration %s changed after it was applied: write a new migration instead",
                     f->name);
            return -1;
        }
        if (applied[i].version > max_applied)
            max_applied = applied[i].version;
    }
    for (size_t i = 0; i < nfiles; i++) {
        if (find_version(applied, napplied, files[i].version))
            continue;
        if (files[i].version < max_applied) {
            snprintf(errstr, errstr_size,
                     "migration %s is numbered below %03d, which is already applied: renumber it",
                     files[i].name, max_applied);
            return -1;
        }
        /* Insertion into ascending order. */
        size_t k = *ntodo;
        while (k > 0 && files[todo[k - 1]].version > files[i].version) {
            todo[k] = todo[k - 1];
            k--;
        }
        todo[k] = i;
        (*ntodo)++;
    }
    return 0;
}

static int sha256_file(const char *path, char hex[65], char **content, char *errstr,
                       size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (len + 1 == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        snprintf(errstr, errstr_size, "%s: too large or out of memory", path);
        return -1;
    }
    buf[len] = '\0';
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL)) {
        free(buf);
        snprintf(errstr, errstr_size, "sha256 failed");
        return -1;
    }
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (content)
        *content = buf;
    else
        free(buf);
    return 0;
}

int migrate_scan(const char *dir, struct migration **out, size_t *n, char *errstr,
                 size_t errstr_size)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct migration *list = calloc(MIGRATE_MAX, sizeof(*list));
    size_t count = 0;
    int rc = 0;
    struct dirent *de;
    while (list && (de = readdir(d)) != NULL) {
        int v = migrate_parse_name(de->d_name);
        if (v < 0)
            continue;
        if (count == MIGRATE_MAX || strlen(de->d_name) >= sizeof(list[0].name)) {
            snprintf(errstr, errstr_size, "%s: too many migrations or name too long", dir);
            rc = -1;
            break;
        }
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        list[count].version = v;
        memcpy(list[count].name, de->d_name, strlen(de->d_name) + 1); /* length checked above */
        if (sha256_file(path, list[count].checksum, NULL, errstr, errstr_size) != 0) {
            rc = -1;
            break;
        }
        count++;
    }
    closedir(d);
    if (!list) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    if (rc != 0) {
        free(list);
        return -1;
    }
    *out = list;
    *n = count;
    return 0;
}

static int exec_ok(PGconn *c, const char *sql, char *errstr, size_t errstr_size)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(errstr, errstr_size, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

int migrate_run(const char *conninfo, const char *dir, FILE *progress, char *errstr,
                size_t errstr_size)
{
    struct migration *files = NULL, *applied = NULL;
    size_t nfiles = 0, napplied = 0, ntodo = 0;
    size_t *todo = NULL;
    PGresult *r = NULL;
    int rc = -1;
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(errstr, errstr_size, "cannot connect: %s", PQerrorMessage(c));
        goto done;
    }
    if (exec_ok(c, "SET client_min_messages = warning", errstr, errstr_size) != 0 ||
        exec_ok(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", errstr, errstr_size) != 0 ||
        exec_ok(c,
                "CREATE TABLE IF NOT EXISTS relay48_migrations ("
                " version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                errstr, errstr_size) != 0)
        goto done;
    if (migrate_scan(dir, &files, &nfiles, errstr, errstr_size) != 0)
        goto done;
    r = PQexec(c, "SELECT version, name, checksum FROM relay48_migrations ORDER BY version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(errstr, errstr_size, "%s", PQresultErrorMessage(r));
        goto done;
    }
    napplied = (size_t)PQntuples(r);
    applied = calloc(napplied + 1, sizeof(*applied));
    todo = calloc(nfiles + 1, sizeof(*todo));
    if (!applied || !todo) {
        snprintf(errstr, errstr_size, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < napplied; i++) {
        applied[i].version = atoi(PQgetvalue(r, (int)i, 0));
        snprintf(applied[i].name, sizeof(applied[i].name), "%s", PQgetvalue(r, (int)i, 1));
        snprintf(applied[i].checksum, sizeof(applied[i].checksum), "%s", PQgetvalue(r, (int)i, 2));
    }
    PQclear(r);
    r = NULL;
    if (migrate_plan(files, nfiles, applied, napplied, todo, &ntodo, errstr, errstr_size) != 0)
        goto done;
    for (size_t i = 0; i < ntodo; i++) {
        const struct migration *m = &files[todo[i]];
        char path[4096], sum[65];
        char *sql = NULL;
        snprintf(path, sizeof(path), "%s/%s", dir, m->name);
        if (sha256_file(path, sum, &sql, errstr, errstr_size) != 0)
            goto done;
        if (strcmp(sum, m->checksum) != 0) {
            free(sql);
            snprintf(errstr, errstr_size, "%s changed while migrating", m->name);
            goto done;
        }
        if (progress)
            fprintf(progress, "migrate: [%zu/%zu] %s\n", i + 1, ntodo, m->name);
        char version[16];
        snprintf(version, sizeof(version), "%d", m->version);
        const char *params[3] = {version, m->name, m->checksum};
        int ok = exec_ok(c, "BEGIN", errstr, errstr_size) == 0 &&
                 exec_ok(c, sql, errstr, errstr_size) == 0;
        free(sql);
        if (ok) {
            r = PQexecParams(c,
                             "INSERT INTO relay48_migrations (version, name, checksum) "
                             "VALUES ($1, $2, $3)",
                             3, NULL, params, NULL, NULL, 0);
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            if (!ok)
                snprintf(errstr, errstr_size, "%s", PQresultErrorMessage(r));
            PQclear(r);
            r = NULL;
        }
        if (ok)
            ok = exec_ok(c, "COMMIT", errstr, errstr_size) == 0;
        if (!ok) {
            char why[512];
            snprintf(why, sizeof(why), "%s", errstr);
            PGresult *rb = PQexec(c, "ROLLBACK");
            PQclear(rb);
            snprintf(errstr, errstr_size, "%s: %s", m->name, why);
            goto done;
        }
    }
    if (progress)
        fprintf(progress, "migrate: %zu applied, %zu already there\n", ntodo, napplied);
    rc = 0;
done:
    PQclear(r);
    PQfinish(c);
    free(files);
    free(applied);
    free(todo);
    return rc;
}
