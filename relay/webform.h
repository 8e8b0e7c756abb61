/*
 * webform.h — owns the victim's door into relay48: GET / (the report form),
 * POST /report (the form's post) and GET /case/{ref}?t={token} (the case
 * page), plus the stylesheet and script they load (/static/...). Pages are
 * built by webview.h, the form is read by form.h and webreport.h, and a
 * validated report goes the intake's way (intake_submit, channel "web",
 * party "web", the form's nonce as idempotency key: a double click or a
 * reload makes one case).
 *
 * POST /report, in this order: body size (413 page), rate per client
 * address (429 page with Retry-After), Origin / Sec-Fetch-Site (403 page),
 * content type (415 page), form syntax (400 page), anti-forgery token (403,
 * the form again with its values and a fresh token), fields (422, the form
 * again with each error next to its field), commit (303 to the case page;
 * 409 and 422 the form again; 503 page with Retry-After).
 *
 * The case page needs the token handed out in the 303: only its SHA-256 is
 * stored (case_access_tokens). Without it, or with a wrong one, the answer is
 * a plain 404 page that does not say whether the case exists.
 *
 * Every answer carries the security headers (strict Content-Security-Policy,
 * nosniff, Referrer-Policy no-referrer, frame-ancestors 'none'); pages carry
 * Cache-Control: no-store.
 */
#ifndef RELAY48_WEBFORM_H
#define RELAY48_WEBFORM_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct evhttp_request;
struct http_match;
struct config;
struct db;
struct intake;
struct webform;

/*
 * db: a connection of the web form's own (case pages and access tokens);
 * borrowed, freed by the caller after webform_free. The anti-forgery key is
 * web.csrf_key, or random bytes drawn now when it is empty.
 */
struct webform *webform_new(const struct config *cfg, struct db *db, struct intake *in,
                            char *errstr, size_t errstr_size) RELAY_MUSTCHECK;
void webform_free(struct webform *w);

/* Requests waiting for the database (the drain waits for them). */
int webform_inflight(const struct webform *w);

/* http_handlers; arg is the struct webform. */
void webform_handle_index(struct evhttp_request *req, const struct http_match *m, void *arg);
void webform_handle_report(struct evhttp_request *req, const struct http_match *m, void *arg);
void webform_handle_case(struct evhttp_request *req, const struct http_match *m, void *arg);
void webform_handle_static(struct evhttp_request *req, const struct http_match *m, void *arg);

#endif
