/*
 * progress.h — owns the command line's progress bar: one line redrawn in
 * place, "[#########---------------------] 1200/5000 rows", for long
 * commands (`relay48 directory import`, `relay48 purge`).
 *
 * It draws only when its stream is a terminal (isatty), so pipes, files and
 * logs never receive carriage returns, and at most about ten times a second
 * whatever the rate of updates. Callers print their own summary line after
 * progress_end, terminal or not.
 */
#ifndef RELAY48_PROGRESS_H
#define RELAY48_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "common.h"

/* Longest label kept ("rows", "cases"); longer ones are cut. */
#define PROGRESS_LABEL_MAX 31

struct progress;

/*
 * Start a bar of `total` units on `out` (0: unknown, the count alone is
 * shown). NULL when out is NULL or not a terminal, or when out of memory:
 * every function below accepts NULL and then does nothing.
 */
struct progress *progress_start(FILE *out, size_t total, const char *label);

/* `done` units so far; a value above the total raises the total. */
void progress_update(struct progress *p, size_t done);

/* Erase the bar so that the caller can print a line of its own; the next
 * progress_update draws it again below that line. */
void progress_clear(struct progress *p);

/* Draw the last state, end the line, free p. */
void progress_end(struct progress *p);

#endif
