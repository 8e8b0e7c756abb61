/* cli.c — shared pieces of the subcommands; see cli.h. */
#include "cli.h"

#include <string.h>

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

void cli_pq_error(char *errstr, size_t errstr_size, const char *what, const char *msg)
{
    snprintf(errstr, errstr_size, "%s: %s", what, msg);
    errstr[strcspn(errstr, "\n")] = '\0';
}

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
