/* problem.c — stable error codes rendered as problem+json; see problem.h. */
#include "problem.h"

#include "http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *code;
    int status;
    const char *title;
} table[PROBLEM_COUNT] = {
    [PROBLEM_INVALID_JSON] = {"invalid_json", 400, "The body is not valid JSON"},
    [PROBLEM_INVALID_REQUEST] = {"invalid_request", 422, "Some fields are invalid"},
    [PROBLEM_UNAUTHORIZED] = {"unauthorized", 401, "A valid API key is required"},
    [PROBLEM_FORBIDDEN] = {"forbidden", 403, "This party may not do that"},
    [PROBLEM_NOT_FOUND] = {"not_found", 404, "Nothing here"},
    [PROBLEM_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405, "Method not allowed"},
    [PROBLEM_IDEMPOTENCY_CONFLICT] = {"idempotency_conflict", 409,
                                      "This Idempotency-Key was used with another body"},
    [PROBLEM_PAYLOAD_TOO_LARGE] = {"payload_too_large", 413, "The body is too large"},
    [PROBLEM_UNSUPPORTED_MEDIA_TYPE] = {"unsupported_media_type", 415,
                                        "The body must be application/json"},
    [PROBLEM_RATE_LIMITED] = {"rate_limited", 429, "Too many requests"},
    [PROBLEM_HEADERS_TOO_LARGE] = {"headers_too_large", 431, "The request headers are too large"},
    [PROBLEM_DATABASE_UNAVAILABLE] = {"database_unavailable", 503,
                                      "The report could not be recorded; try again"},
    [PROBLEM_NOT_READY] = {"not_ready", 503, "Not ready"},
    [PROBLEM_TOO_MANY_CONNECTIONS] = {"too_many_connections", 503, "Too many connections"},
    [PROBLEM_SHUTTING_DOWN] = {"shutting_down", 503, "This relay is shutting down"},
};

const char *problem_code_name(enum problem_code code)
{
    return (unsigned)code < PROBLEM_COUNT ? table[code].code : "internal";
}

int problem_status(enum problem_code code)
{
    return (unsigned)code < PROBLEM_COUNT ? table[code].status : 500;
}

json_t *problem_new(enum problem_code code, const char *detail)
{
    char type[96];
    snprintf(type, sizeof(type), "urn:relay48:problem:%s", problem_code_name(code));
    json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", table[code].title,
                          "status", table[code].status, "code", table[code].code);
    if (p && detail)
        json_object_set_new(p, "detail", json_string(detail));
    return p;
}

void problem_add_error(json_t *problem, const char *pointer, const char *code, const char *detail)
{
    json_t *errors = json_object_get(problem, "errors");
    if (!errors) {
        errors = json_array();
        json_object_set_new(problem, "errors", errors);
    }
    json_t *e = json_pack("{s:s, s:s}", "pointer", pointer, "code", code);
    if (e && detail)
        json_object_set_new(e, "detail", json_string(detail));
    json_array_append_new(errors, e);
}

void problem_send(struct evhttp_request *req, json_t *problem, int retry_after)
{
    int status = 500;
    json_t *st = json_object_get(problem, "status");
    if (json_is_integer(st))
        status = (int)json_integer_value(st);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "application/problem+json");
    evhttp_add_header(h, "Cache-Control", "no-store");
    if (retry_after > 0) {
        char v[16];
        snprintf(v, sizeof(v), "%d", retry_after);
        evhttp_add_header(h, "Retry-After", v);
    }
    struct evbuffer *body = evbuffer_new();
    char *text = problem ? json_dumps(problem, JSON_COMPACT) : NULL;
    if (body) {
        if (text)
            evbuffer_add(body, text, strlen(text));
        else
            evbuffer_add_printf(body, "{\"status\":%d}", status);
    }
    evhttp_send_reply(req, status, http_reason(status), body);
    if (body)
        evbuffer_free(body);
    free(text);
    json_decref(problem);
}

void problem_reply(struct evhttp_request *req, enum problem_code code, const char *detail,
                   int retry_after)
{
    problem_send(req, problem_new(code, detail), retry_after);
}
