/* csvread.c — CSV files, one record a line; see csvread.h. */
#include "csvread.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

enum csvread_status csvread_line(FILE *f, char *buf, size_t size)
{
    size_t n = 0;
    int ch, nul = 0, any = 0;
    while ((ch = getc(f)) != EOF) {
        any = 1;
        if (ch == '\0')
            nul = 1;
        if (n < size - 1)
            buf[n] = (char)ch;
        n++;
        if (ch == '\n')
            break;
    }
    buf[n < size - 1 ? n : size - 1] = '\0';
    if (!any)
        return CSVREAD_EOF;
    if (n > size - 1)
        return CSVREAD_TOO_LONG;
    return nul ? CSVREAD_NUL : CSVREAD_OK;
}

/* "bin,bic,name": the names of layout, for messages. */
static const char *names_text(const struct csvread_layout *layout, char *out, size_t out_size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t k = 0; k < layout->nfields && o < out_size; k++)
        o += (size_t)snprintf(out + o, out_size - o, "%s%s", k ? "," : "", layout->names[k]);
    return out;
}

/* Split into at most layout->nfields fields; their count into *nfields. */
static int split(const char *line, const struct csvread_layout *layout, char *buf, char **field,
                 size_t *nfields, char *errstr, size_t errstr_size)
{
    size_t len = strlen(line);
    size_t i = 0, o = 0, nf = 0;
    char names[256];

    if (len && line[len - 1] == '\n')
        len--;
    if (len && line[len - 1] == '\r')
        len--;
    if (len > layout->line_max) {
        snprintf(errstr, errstr_size, "line longer than %zu bytes", layout->line_max);
        return -1;
    }
    for (;;) {
        if (nf == layout->nfields) {
            snprintf(errstr, errstr_size, "more than %zu fields, expected %s", layout->nfields,
                     names_text(layout, names, sizeof(names)));
            return -1;
        }
        field[nf++] = buf + o;
        if (i < len && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    snprintf(errstr, errstr_size,
                             "field %zu: quote not closed on this line (a line break inside a "
                             "field is not accepted)",
                             nf);
                    return -1;
                }
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        buf[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                buf[o++] = line[i++];
            }
            if (i < len && line[i] != ',') {
                snprintf(errstr, errstr_size,
                         "field %zu: text after the closing quote (write \"\" for a quote "
                         "inside a quoted field)",
                         nf);
                return -1;
            }
        } else {
            while (i < len && line[i] != ',') {
                if (line[i] == '"') {
                    snprintf(errstr, errstr_size,
                             "field %zu: quote inside an unquoted field (quote the whole field "
                             "and double the quote)",
                             nf);
                    return -1;
                }
                buf[o++] = line[i++];
            }
        }
        buf[o++] = '\0';
        if (i >= len)
            break;
        i++; /* the comma */
    }
    *nfields = nf;
    return 0;
}

int csvread_split(const char *line, const struct csvread_layout *layout, char *buf, char **field,
                  char *errstr, size_t errstr_size)
{
    size_t nf = 0;
    char names[256];
    if (!line) {
        snprintf(errstr, errstr_size, "no line");
        return -1;
    }
    if (split(line, layout, buf, field, &nf, errstr, errstr_size) != 0)
        return -1;
    if (nf != layout->nfields) {
        snprintf(errstr, errstr_size, "%zu field%s, expected %zu: %s", nf, nf == 1 ? "" : "s",
                 layout->nfields, names_text(layout, names, sizeof(names)));
        return -1;
    }
    return 0;
}

int csvread_header(const char *line, const struct csvread_layout *layout)
{
    char buf[CSVREAD_BUF_SIZE(CSVREAD_HEADER_MAX, CSVREAD_FIELDS_MAX)];
    char *f[CSVREAD_FIELDS_MAX];
    char why[160];
    struct csvread_layout head = *layout;
    if (!line || head.nfields > CSVREAD_FIELDS_MAX)
        return -1;
    if (head.line_max > CSVREAD_HEADER_MAX)
        head.line_max = CSVREAD_HEADER_MAX;
    if (strncmp(line, "\xef\xbb\xbf", 3) == 0)
        line += 3;
    if (csvread_split(line, &head, buf, f, why, sizeof(why)) != 0)
        return -1;
    for (size_t k = 0; k < head.nfields; k++) {
        const char *a = f[k], *b = head.names[k];
        while (*a && *b && (*a == *b || (*a >= 'A' && *a <= 'Z' && *a - 'A' + 'a' == *b))) {
            a++;
            b++;
        }
        if (*a || *b)
            return -1;
    }
    return 0;
}

int csvread_shipped(const char *sql_dir, const char *name, char *path, size_t path_size)
{
    snprintf(path, path_size, "%s/data/%s", sql_dir, name);
    return access(path, F_OK) != 0 && errno == ENOENT ? 0 : 1;
}
