/*
 * retention.h — owns how long relay48 keeps personal data, and its purge.
 *
 * Personal data is grouped in classes (enum retention_class; what each
 * holds: retention_class_what, docs/reliability.md "Data protection"). The
 * data of a case is kept, class by class, a number of days after the case
 * CLOSED (state resolved, expired or closed: cases.closed_at,
 * sql/007_retention.sql); an open case is never touched. The access log is
 * kept from the read, webhook ids from their claim. Past that, the purge
 * anonymises the case (the class's columns become NULL, its members leave
 * cases.details) or deletes the class's rows. What stays is statistics:
 * ref, kind, channel, rail, state, times, amount, BICs, card BIN,
 * département, scenario, flags, the victim's type, milestones, addressees
 * and the status, amount and time of each acknowledgement.
 *
 * The purge works in batches of at most batch_rows rows, one transaction
 * each. Rows are taken in id order after the last one seen (a keyset: a run
 * looks at each row once) and with SKIP LOCKED: it never waits for a lock
 * and holds its own for one short transaction; a row skipped because an
 * acknowledgement held it is purged by the next run. A run is idempotent:
 * what it purged matches no class any more. Several relays may run it on
 * one database at once.
 *
 * Two drivers share the statements: retention_purge_sync (relay48 purge, a
 * blocking PGconn) and the relay's job (retention_job_*, its own
 * asynchronous connection on the loop: intake is never blocked).
 */
#ifndef RELAY48_RETENTION_H
#define RELAY48_RETENTION_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct config;
struct db;
struct event_base;

enum retention_class {
    RETENTION_NARRATIVE,   /* the victim's narrative, evidence file names and hashes */
    RETENTION_IDENTITY,    /* the victim's name, e-mail, phone, postal code; holders' names */
    RETENTION_PAYMENT,     /* IBANs, card last 4, receipt, payment refs, operations, mule links */
    RETENTION_NOTES,       /* acknowledgements' note and party_ref */
    RETENTION_TOKENS,      /* the victim's case-page tokens */
    RETENTION_IDEMPOTENCY, /* Idempotency-Key rows of the case's report */
    RETENTION_WEBHOOK_IDS, /* webhook-ids of bank webhooks and their first answers */
    RETENTION_ACCESS_LOG,  /* who read which case */
};
#define RETENTION_CLASSES 8
#define RETENTION_ALL     ((1u << RETENTION_CLASSES) - 1)

/* ---- pure --------------------------------------------------------------------------- */

/* "narrative", "identity", "payment", "notes", "tokens", "idempotency",
 * "webhook_ids", "access_log"; NULL outside the enum. */
const char *retention_class_name(enum retention_class c);
/* One line for people: what the class holds and what the purge does. */
const char *retention_class_what(enum retention_class c);
/* 0 and the class, or -1 for an unknown name. */
int retention_class_parse(const char *name, enum retention_class *out) RELAY_MUSTCHECK;

/* Seconds each class is kept. */
struct retention_policy {
    int64_t keep_s[RETENTION_CLASSES];
};

/* From the retention.*_days keys and webhooks.ids_retention_s. */
void retention_policy_from_config(const struct config *cfg, struct retention_policy *out);

/* The instant before which a class is due: now - keep_s, no earlier than
 * 1970 (then nothing is due). 0, or -1 when keep_s is negative or now is
 * outside TIMEUTIL_TIME_MIN..TIMEUTIL_TIME_MAX. */
int retention_cutoff(int64_t now, int64_t keep_s, int64_t *cutoff) RELAY_MUSTCHECK;

/* 1 when data whose retention started at `since` (a closure, a read) is
 * past it at `now`: since < now - keep_s, strictly (kept exactly keep_s
 * seconds, then due). 0 otherwise, and when since is negative (an open
 * case has no closure). */
int retention_due(int64_t since, int64_t now, int64_t keep_s);

/* What a run did, per class. */
struct retention_totals {
    int64_t rows[RETENTION_CLASSES];    /* rows of the class anonymised or deleted */
    int64_t linked[RETENTION_CLASSES];  /* rows removed with them (mule links and accounts) */
    int64_t batches[RETENTION_CLASSES]; /* transactions */
    int64_t us[RETENTION_CLASSES];      /* time in the database */
    int64_t max_us[RETENTION_CLASSES];  /* the longest batch: how long its locks were held */
    int64_t cutoff[RETENTION_CLASSES];  /* due before this instant */
};

/* One pass over the classes of `mask`, batch after batch. */
struct retention_run {
    struct retention_policy policy;
    int64_t now;
    int batch_rows;
    unsigned mask;
    int cls;       /* the class in progress; RETENTION_CLASSES when the run is over */
    int64_t after; /* keyset: the last id seen in this class */
    struct retention_totals t;
};

#define RETENTION_PARAMS    3
#define RETENTION_PARAM_MAX 24

/* batch_rows > 0. Classes whose cutoff fails (retention_cutoff) are left
 * out of the mask. */
void retention_run_init(struct retention_run *r, const struct retention_policy *p, int64_t now,
                        int batch_rows, unsigned mask);

/* The next batch: its statement (name as retention_prepare registered it,
 * and its text) and parameters ($1 cutoff, $2 batch rows, $3 keyset). 0,
 * or 1 when the run is over. */
int retention_run_next(struct retention_run *r, const char **name, const char **sql,
                       char params[RETENTION_PARAMS][RETENTION_PARAM_MAX]);

/* Account for the batch retention_run_next gave: rows purged, rows removed
 * with them, candidate rows the batch took (fewer than batch_rows: the class
 * is done), the last id among them. */
void retention_run_account(struct retention_run *r, int64_t rows, int64_t linked, int64_t taken,
                           int64_t last, int64_t us);

/* The same from the statement's result. 0, or -1 (errstr) for a result that
 * is not the batch's row. */
int retention_run_result(struct retention_run *r, const PGresult *res, int64_t us, char *errstr,
                         size_t errstr_size) RELAY_MUSTCHECK;

/* Sum of rows[] over the classes. */
int64_t retention_totals_rows(const struct retention_totals *t);

/* ---- blocking (relay48 purge) ----------------------------------------------------- */

/* Rows of each class of r's mask due at r->now (what a run would purge);
 * classes outside the mask get -1. 0, or -1 (errstr). */
int retention_count_sync(PGconn *conn, const struct retention_run *r,
                         int64_t due[RETENTION_CLASSES], char *errstr,
                         size_t errstr_size) RELAY_MUSTCHECK;

/* Called after each batch: the class and the rows purged in it so far. */
typedef void (*retention_progress_fn)(const struct retention_run *r, void *arg);

/* Run r to its end, one transaction per batch. 0, or -1 (errstr): the
 * batches before the failure are committed, r->t says what they did. */
int retention_purge_sync(PGconn *conn, struct retention_run *r, retention_progress_fn progress,
                         void *arg, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* ---- the relay's job -------------------------------------------------------------- */

struct retention_job;

struct retention_job_options {
    const struct config *cfg; /* read at each run (retention.* days are reloadable) */
    int64_t (*now)(void);     /* NULL: the real clock */
    int first_delay_s;        /* the first run, then every retention.interval_s */
};

/* Register the purge statements on db (before its first use). */
int retention_prepare(struct db *db) RELAY_MUSTCHECK;

/* db: a connection of the job's own (borrowed; free it before the job). */
struct retention_job *retention_job_new(struct event_base *base, struct db *db,
                                        const struct retention_job_options *o, char *errstr,
                                        size_t errstr_size) RELAY_MUSTCHECK;
void retention_job_free(struct retention_job *j);

/* Start no more batches (drain); the one in flight finishes. */
void retention_job_stop(struct retention_job *j);
/* 1 while a batch is in flight. */
int retention_job_busy(const struct retention_job *j);
/* Runs completed since the start (tests). */
int retention_job_runs(const struct retention_job *j);

#endif
