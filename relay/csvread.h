/*
 * csvread.h — owns reading the CSV files an operator imports or relay48
 * ships (RFC 4180, one record a line): a bounded line read from a file, its
 * split into fields, and the header check. The bank directory (directory.h)
 * and the BIN table (bins.h) read their files with it; what a field means
 * is theirs.
 *
 * A line ends with LF or CRLF (not part of the record). Fields are
 * separated by commas and may be quoted ("..."), with "" for a quote inside
 * a quoted field. A line break inside a quoted field is refused: one record
 * is one line, so a bad line never swallows the lines after it. Memory stays
 * bounded whatever the file holds: a longer line than the layout allows is
 * read to its end and dropped.
 *
 * The header line names the fields, in order, in any case, quoted or not,
 * after an optional UTF-8 byte order mark, in at most CSVREAD_HEADER_MAX
 * bytes.
 *
 * Pure but for csvread_line (a FILE) and csvread_shipped (one access()).
 */
#ifndef RELAY48_CSVREAD_H
#define RELAY48_CSVREAD_H

#include <stddef.h>
#include <stdio.h>

#include "common.h"

/* What a file's records look like. */
struct csvread_layout {
    const char *const *names; /* the header's field names, lower case */
    size_t nfields;           /* how many, at most CSVREAD_FIELDS_MAX */
    size_t line_max;          /* bytes of a line without its line break */
};

#define CSVREAD_FIELDS_MAX 16
/* A longer header line is no header, whatever line_max allows. */
#define CSVREAD_HEADER_MAX 512
/* Bytes of the buffer csvread_line fills: the line, "\r\n", NUL. */
#define CSVREAD_LINE_SIZE(line_max) ((line_max) + 3)
/* Bytes of the buffer csvread_split unquotes into. */
#define CSVREAD_BUF_SIZE(line_max, nfields) ((line_max) + (nfields) + 2)

enum csvread_status {
    CSVREAD_EOF = 0,  /* nothing more */
    CSVREAD_OK,       /* a line in buf, its line break kept */
    CSVREAD_TOO_LONG, /* longer than size - 1 bytes: read and dropped */
    CSVREAD_NUL,      /* holds a NUL byte */
};

/* The next line of f into buf (size bytes: CSVREAD_LINE_SIZE), NUL-ended. */
enum csvread_status csvread_line(FILE *f, char *buf, size_t size);

/*
 * Split line into exactly layout->nfields fields, unquoted into buf
 * (CSVREAD_BUF_SIZE bytes), field[k] pointing into it. 0, or -1 with a
 * one-line reason ("field 3: quote inside an unquoted field ...", "2
 * fields, expected 3: bin,bic,name", "no line" for NULL).
 */
int csvread_split(const char *line, const struct csvread_layout *layout, char *buf, char **field,
                  char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* 0 when line is the header of layout (see above), -1 otherwise. */
int csvread_header(const char *line, const struct csvread_layout *layout) RELAY_MUSTCHECK;

/* "<sql_dir>/data/<name>" into path: 1 when that shipped file exists (or
 * cannot be told not to), 0 when it does not. */
int csvread_shipped(const char *sql_dir, const char *name, char *path, size_t path_size);

#endif
