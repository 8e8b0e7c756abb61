/*
 * problem.h — owns relay48's error replies: one table of stable machine codes,
 * each with its HTTP status and title, rendered as RFC 9457
 * application/problem+json. A reply never carries a stack trace, a secret or
 * the offending value of a sensitive field.
 */
#ifndef RELAY48_PROBLEM_H
#define RELAY48_PROBLEM_H

#include <jansson.h>

#include "common.h"

struct evhttp_request;

enum problem_code {
    PROBLEM_INVALID_JSON = 0,
    PROBLEM_INVALID_REQUEST,
    PROBLEM_UNAUTHORIZED,
    PROBLEM_FORBIDDEN,
    PROBLEM_NOT_FOUND,
    PROBLEM_METHOD_NOT_ALLOWED,
    PROBLEM_IDEMPOTENCY_CONFLICT,
    PROBLEM_PAYLOAD_TOO_LARGE,
    PROBLEM_UNSUPPORTED_MEDIA_TYPE,
    PROBLEM_RATE_LIMITED,
    PROBLEM_HEADERS_TOO_LARGE,
    PROBLEM_DATABASE_UNAVAILABLE,
    PROBLEM_NOT_READY,
    PROBLEM_TOO_MANY_CONNECTIONS,
    PROBLEM_SHUTTING_DOWN,
    PROBLEM_COUNT
};

const char *problem_code_name(enum problem_code code);
int problem_status(enum problem_code code);

/* The problem object: {type, title, status, code, detail?}. Caller owns it
 * and may add members ("errors", "checks") before sending. */
json_t *problem_new(enum problem_code code, const char *detail);

/* Send a problem reply; takes ownership of problem. retry_after > 0 adds a
 * Retry-After header (seconds). */
void problem_send(struct evhttp_request *req, json_t *problem, int retry_after);

/* Shorthand: problem_send(req, problem_new(code, detail), retry_after). */
void problem_reply(struct evhttp_request *req, enum problem_code code, const char *detail,
                   int retry_after);

/* Append {"pointer", "code", "detail"} to the "errors" array of a problem,
 * creating the array. */
void problem_add_error(json_t *problem, const char *pointer, const char *code, const char *detail);

#endif
