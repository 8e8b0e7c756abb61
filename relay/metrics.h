/*
 * metrics.h — owns the process's metrics and their Prometheus text rendering.
 * Counters, gauges and histograms are named once (with their label set
 * written into the name, e.g. "relay48_http_responses_total{code=\"201\"}")
 * and live until exit. Loop thread only: no locking.
 *
 * Histograms take integer microseconds and render in seconds, with fixed
 * buckets from 1 ms to 60 s.
 */
#ifndef RELAY48_METRICS_H
#define RELAY48_METRICS_H

#include <stdint.h>

#include "common.h"

struct evbuffer;

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

/* Declare a family once: its HELP and TYPE lines. Later calls are ignored. */
void metrics_describe(const char *family, enum metric_type type, const char *help);

/* series = family name plus optional {labels}. Unknown series are created. */
void metrics_add(const char *series, int64_t delta);
void metrics_set(const char *series, int64_t value);
void metrics_observe_us(const char *series, int64_t microseconds);

/* Read a counter or gauge (0 if unknown): for tests. */
int64_t metrics_get(const char *series);

/* Append the whole exposition, process metrics included. */
void metrics_render(struct evbuffer *out);

/* Free everything (at exit, so leak checkers see a clean heap). */
void metrics_reset(void);

#endif
