/* cli.c — shared pieces of the subcommands; see cli.h. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* ---- words ------------------------------------------------------------------ */

int cli_subcommand(const char *cmd, int argc, char **argv, const char *const *names, size_t nnames,
                   void (*usage)(FILE *out), int *exit_code)
{
    const char *sub = argc > 0 ? argv[0] : NULL;
    if (!sub) {
        usage(stderr);
        *exit_code = 2;
        return -1;
    }
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        usage(stdout);
        *exit_code = 0;
        return -1;
    }
    for (size_t k = 0; k < nnames; k++) {
        if (strcmp(sub, names[k]) == 0)
            return (int)k;
    }
    fprintf(stderr, "relay48 %s: unknown subcommand \"%s\"\n", cmd, sub);
    usage(stderr);
    *exit_code = 2;
    return -1;
}

const char *cli_option_value(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int cli_unexpected(const char *cmd, const char *sub, const char *arg, void (*usage)(FILE *out))
{
    fprintf(stderr, "relay48 %s %s: unexpected argument \"%s\"%s\n", cmd, sub, arg,
            arg[0] == '-' ? " (unknown option, or no value after it)" : "");
    usage(stderr);
    return 2;
}

int cli_parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    if (!text || !*text)
        return -1;
    long v = strtol(text, &end, 10);
    if (*end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ---- the database ------------------------------------------------------------- */

void cli_pq_error(char *errstr, size_t errstr_size, const char *what, const char *msg)
{
    snprintf(errstr, errstr_size, "%s: %s", what, msg);
    errstr[strcspn(errstr, "\n")] = '\0';
}

PGconn *cli_connect(const char *conninfo, const char *cmd, const char *sub)
{
    char err[1024];
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) == CONNECTION_OK)
        return c;
    cli_pq_error(err, sizeof(err), "cannot connect to the database", PQerrorMessage(c));
    fprintf(stderr, "relay48 %s %s: %s\n", cmd, sub, err);
    PQfinish(c);
    return NULL;
}

int cli_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
             ExecStatusType want, PGresult **keep, const char *what, char *errstr,
             size_t errstr_size)
{
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != want) {
        cli_pq_error(errstr, errstr_size, what, PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    if (keep)
        *keep = r;
    else
        PQclear(r);
    return 0;
}

int cli_set_state(PGconn *c, const char *update_sql, const char *exists_sql, const char *key,
                  const char *what, char *errstr, size_t errstr_size)
{
    const char *params[1] = {key};
    PGresult *r = NULL;
    if (cli_exec(c, update_sql, 1, params, PGRES_COMMAND_OK, &r, what, errstr, errstr_size) != 0)
        return -1;
    int changed = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (changed)
        return 0;
    if (cli_exec(c, exists_sql, 1, params, PGRES_TUPLES_OK, &r, what, errstr, errstr_size) != 0)
        return -1;
    int found = PQntuples(r) == 1;
    PQclear(r);
    return found ? 1 : 2;
}

int cli_list(PGconn *c, FILE *out, const char *sql, const char *const *head, int cols,
             const char *what, char *errstr, size_t errstr_size)
{
    PGresult *r = NULL;
    if (cli_exec(c, sql, 0, NULL, PGRES_TUPLES_OK, &r, what, errstr, errstr_size) != 0)
        return -1;
    cli_print_table(out, r, head, cols);
    PQclear(r);
    return 0;
}

/* ---- tables ---------------------------------------------------------------------- */

/* Columns a UTF-8 string takes on a terminal: its code points (the values
 * listed are Latin text; wide characters are not worth a table here). */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

void cli_print_table(FILE *out, const PGresult *r, const char *const *head, int cols)
{
    int rows = PQntuples(r);
    size_t width[32];
    if (cols > (int)RELAY_ARRAY_LEN(width))
        cols = (int)RELAY_ARRAY_LEN(width);
    for (int f = 0; f < cols; f++) {
        width[f] = text_width(head[f]);
        for (int i = 0; i < rows; i++) {
            size_t w = text_width(PQgetvalue(r, i, f));
            if (w > width[f])
                width[f] = w;
        }
    }
    for (int i = -1; i < rows; i++) {
        for (int f = 0; f < cols; f++) {
            const char *v = i < 0 ? head[f] : PQgetvalue(r, i, f);
            fputs(v, out);
            if (f < cols - 1) {
                for (size_t k = text_width(v); k < width[f] + 2; k++)
                    fputc(' ', out);
            }
        }
        fputc('\n', out);
    }
}
