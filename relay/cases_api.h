/*
 * cases_api.h — owns the case reads of banks and police units:
 * GET /v1/cases/{ref} (one case: its facts, milestones, addressees and
 * acknowledgements) and GET /v1/cases?state=open&order=deadline&limit=&cursor=
 * (the party's cases, earliest deadline first, a page at a time).
 *
 * Each party sees only its own cases (acks.h, acks_party_sees): a bank the
 * cases it was addressed to, a police unit its département's cases,
 * police:NATIONAL every case; any other case is 404. What a case shows
 * follows the escalations' personal-data rule: police see the beneficiary's
 * IBAN and only the BIC of the victim's account.
 *
 * Every case read is recorded through one function (cases_api_access_log in
 * cases_api.c): a JSON log line and a row of case_access_log per party and
 * case (accesslog.h), committed before the answer is sent; a read whose
 * rows cannot be written answers 503 (no row, no read).
 */
#ifndef RELAY48_CASES_API_H
#define RELAY48_CASES_API_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct evhttp_request;
struct http_match;
struct db;
struct keys_cache;
struct config;
struct accesslog;
struct cases_api;

#define CASES_LIMIT_DEFAULT 50
#define CASES_LIMIT_MAX     200
/* base64url of "<deadline seconds>.<case id>", no padding */
#define CASES_CURSOR_SIZE 64

/* ---- pure ----------------------------------------------------------------------- */

/* The opaque cursor after the case (deadline_at, id). 0, or -1 if out is too small. */
int cases_cursor_encode(int64_t deadline_at, int64_t id, char *out, size_t size) RELAY_MUSTCHECK;
/* 0 with the position, -1 for anything that is not a cursor this relay made. */
int cases_cursor_decode(const char *cursor, int64_t *deadline_at, int64_t *id) RELAY_MUSTCHECK;

/* ---- daemon ------------------------------------------------------------------------ */

/* db: a connection for reads; log: the access log (both borrowed; free them
 * before this: their pending reads are answered 503). */
struct cases_api *cases_api_new(const struct config *cfg, struct db *db, struct keys_cache *keys,
                                struct accesslog *log, char *errstr,
                                size_t errstr_size) RELAY_MUSTCHECK;
void cases_api_free(struct cases_api *c);

int cases_api_prepare(struct db *db) RELAY_MUSTCHECK;

/* http_handlers: GET /v1/cases/{ref} and GET /v1/cases. */
void cases_api_handle_one(struct evhttp_request *req, const struct http_match *m, void *arg);
void cases_api_handle_list(struct evhttp_request *req, const struct http_match *m, void *arg);

/* Reads not answered yet: waiting for the database or for their access rows. */
int cases_api_inflight(const struct cases_api *c);

#endif
