/*
 * relay.h — owns the relay48 daemon: it wires the modules (HTTP front,
 * PostgreSQL, Kafka) on one libevent loop, answers the operator endpoints
 * (/healthz, /readyz, /metrics), handles signals through the loop (SIGTERM
 * drains: stop accepting, finish in-flight work, flush Kafka; a second
 * SIGTERM exits at once; SIGHUP reloads what may be reloaded), and exits 0
 * after a clean drain.
 */
#ifndef RELAY48_RELAY_H
#define RELAY48_RELAY_H

#include "common.h"

struct config;

/* Run until drained. cfg_path (may be NULL) is re-read on SIGHUP.
 * Returns the process exit code. */
int relay_serve(struct config *cfg, const char *cfg_path);

#endif
