/* bankdir.c — in-memory bank directory; see bankdir.h. */
#include "bankdir.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "iban.h"
#include "log.h"

struct entry {
    char key[16]; /* country + bank code */
    char bic[12];
    char *name;
};

struct bankdir {
    struct db *db;
    struct event *ev, *ev_first;
    struct entry *rows;
    int loaded;
    size_t n;
    int loading;
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static void free_rows(struct entry *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].name);
    free(rows);
}

static void on_rows(PGresult *res, void *arg)
{
    struct bankdir *d = arg;
    d->loading = 0;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res)
            log_warn("bankdir.load_failed", "%s", PQresultErrorMessage(res));
        return;
    }
    size_t n = (size_t)PQntuples(res);
    struct entry *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = PQgetvalue(res, (int)i, 0);
        const char *bic = PQgetvalue(res, (int)i, 1);
        if (strlen(key) >= sizeof(rows[k].key) || strlen(bic) >= sizeof(rows[k].bic))
            continue;
        memcpy(rows[k].key, key, strlen(key) + 1);
        memcpy(rows[k].bic, bic, strlen(bic) + 1);
        rows[k].name = strdup(PQgetvalue(res, (int)i, 2));
        k++;
    }
    qsort(rows, k, sizeof(*rows), cmp_entry);
    d->loaded = 1;
    if (d->n != k)
        log_info("bankdir.loaded", "%zu bank codes", k);
    free_rows(d->rows, d->n);
    d->rows = rows;
    d->n = k;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct bankdir *d = arg;
    if (d->loading || !db_ready(d->db))
        return;
    if (db_send(d->db, NULL, "SELECT country || bank_code, bic, name FROM bank_directory", 0, NULL,
                on_rows, d) == 0 &&
        db_sync(d->db) == 0)
        d->loading = 1;
}

/* Until the first load succeeded, try every 100 ms. */
static void on_first(evutil_socket_t fd, short what, void *arg)
{
    struct bankdir *d = arg;
    if (d->loaded)
        return;
    on_tick(fd, what, arg);
    struct timeval tv = {0, 100000};
    evtimer_add(d->ev_first, &tv);
}

struct bankdir *bankdir_new(struct event_base *base, struct db *db, int refresh_ms)
{
    struct bankdir *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->db = db;
    d->ev = event_new(base, -1, EV_PERSIST, on_tick, d);
    d->ev_first = evtimer_new(base, on_first, d);
    if (!d->ev || !d->ev_first) {
        bankdir_free(d);
        return NULL;
    }
    struct timeval tv = {refresh_ms / 1000, (refresh_ms % 1000) * 1000};
    event_add(d->ev, &tv);
    event_active(d->ev_first, EV_TIMEOUT, 0);
    return d;
}

void bankdir_free(struct bankdir *d)
{
    if (!d)
        return;
    if (d->ev)
        event_free(d->ev);
    if (d->ev_first)
        event_free(d->ev_first);
    free_rows(d->rows, d->n);
    free(d);
}

int bankdir_lookup(const struct bankdir *d, const char *iban, char bic[12], char *name,
                   size_t name_size)
{
    struct entry key;
    char code[IBAN_BANK_CODE_MAX + 1];
    char country[3];
    if (!d || !d->n || iban_country(iban, country) != 0 ||
        iban_bank_code(iban, code, sizeof(code)) < 0)
        return -1;
    snprintf(key.key, sizeof(key.key), "%s%s", country, code);
    const struct entry *e = bsearch(&key, d->rows, d->n, sizeof(*d->rows), cmp_entry);
    if (!e)
        return -1;
    memcpy(bic, e->bic, sizeof(e->bic));
    if (name && name_size)
        snprintf(name, name_size, "%s", e->name ? e->name : "");
    return 0;
}

int bankdir_loaded(const struct bankdir *d)
{
    return d && d->loaded;
}

size_t bankdir_size(const struct bankdir *d)
{
    return d ? d->n : 0;
}
