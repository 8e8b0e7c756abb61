/*
 * deliver.h — owns the connectors' HTTP client: POST requests through
 * libcurl's multi-socket interface driven by the libevent loop
 * (CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION: no thread per request,
 * no blocking call), HTTPS only (CURLOPT_PROTOCOLS_STR "https"), redirects
 * never followed, connect and total timeouts, a bounded number of requests
 * in flight per destination and overall; requests past those bounds wait in
 * a queue per destination, served round-robin.
 *
 * Threads: everything, the completion callback included, runs on the loop
 * thread. The callback of a request runs exactly once, unless the request
 * was cancelled first; it must not call deliver_free.
 */
#ifndef RELAY48_DELIVER_H
#define RELAY48_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct event_base;
struct curl_slist;
struct deliver;
struct deliver_xfer;

#define DELIVER_ERROR_SIZE   256 /* curl's CURL_ERROR_SIZE */
#define DELIVER_ANSWER_MAX   512 /* bytes of the answer's body kept */
#define DELIVER_HEADER_MAX   128 /* bytes of the Retry-After value kept */
#define DELIVER_DEST_KEY_MAX 64

struct deliver_options {
    int max_inflight;        /* requests in flight overall */
    int max_per_destination; /* requests in flight to one destination */
    long connect_timeout_ms; /* TCP + TLS handshake */
    long timeout_ms;         /* the whole request */
    const char *ca_file;     /* PEM bundle of trusted CAs; NULL or "": the system's */
    const char *user_agent;  /* NULL: "relay48-connector" */
};

struct deliver_result {
    int status;                           /* HTTP status, 0 when none came */
    int curl_code;                        /* CURLcode, 0 on a transfer that completed */
    int insecure;                         /* refused: not an https URL */
    char error[DELIVER_ERROR_SIZE];       /* curl's message, without the URL; "" */
    char retry_after[DELIVER_HEADER_MAX]; /* the Retry-After header, "" when none */
    char answer[DELIVER_ANSWER_MAX + 1];  /* start of the body, control chars as spaces */
    int64_t queued_us;                    /* time spent waiting for a slot */
    int64_t elapsed_us;                   /* from the start of the transfer to its end */
};

/* Loop thread. result is valid during the call only. */
typedef void (*deliver_done_fn)(const struct deliver_result *result, void *arg);

/* NULL with a message when curl cannot be set up. curl_global_init is the
 * caller's (main). */
struct deliver *deliver_new(struct event_base *base, const struct deliver_options *opt,
                            char *errstr, size_t errstr_size) RELAY_MUSTCHECK;
/* Transfers in flight and queued are cancelled without their callbacks. */
void deliver_free(struct deliver *d);

/*
 * POST body (body_len bytes) to url with headers, for destination dest (a
 * key of at most DELIVER_DEST_KEY_MAX - 1 characters: requests of one key
 * share its in-flight bound). Takes ownership of body (free()d) and of
 * headers (curl_slist_free_all), also on failure. Returns the handle (for
 * deliver_cancel), or NULL when out of memory (cb is then not called).
 */
struct deliver_xfer *deliver_post(struct deliver *d, const char *dest, const char *url,
                                  struct curl_slist *headers, char *body, size_t body_len,
                                  deliver_done_fn cb, void *arg) RELAY_MUSTCHECK;

/* Cancel a request in flight or queued: its callback will not run. */
void deliver_cancel(struct deliver *d, struct deliver_xfer *x);

/* Requests in flight, and waiting for a slot. */
size_t deliver_inflight(const struct deliver *d);
size_t deliver_queued(const struct deliver *d);

#endif
