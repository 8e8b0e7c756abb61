/*
 * log.h — owns the process's log: JSON lines on stderr, one object a line,
 * gated by level. Fields: ts (UTC, ms), level, event (a stable dotted name),
 * msg, and, where known, req (request id) and ref (case reference).
 *
 * Never pass a secret, a full IBAN of a victim or a card number: callers mask
 * first (iban_mask). Messages are escaped, so any text is safe to pass.
 */
#ifndef RELAY48_LOG_H
#define RELAY48_LOG_H

#include <stdio.h>

#include "common.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Returns -1 for an unknown name ("debug", "info", "warn", "error"). */
int log_level_parse(const char *name, enum log_level *out) RELAY_MUSTCHECK;
const char *log_level_name(enum log_level level);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Where lines go (stderr by default); tests point it at a memory stream. */
void log_set_stream(FILE *stream);

/* req and ref may be NULL. */
void log_write(enum log_level level, const char *event, const char *req, const char *ref,
               const char *fmt, ...) RELAY_PRINTF(5, 6);

#define log_debug(event, ...) log_write(LOG_DEBUG, event, NULL, NULL, __VA_ARGS__)
#define log_info(event, ...)  log_write(LOG_INFO, event, NULL, NULL, __VA_ARGS__)
#define log_warn(event, ...)  log_write(LOG_WARN, event, NULL, NULL, __VA_ARGS__)
#define log_error(event, ...) log_write(LOG_ERROR, event, NULL, NULL, __VA_ARGS__)

#endif
