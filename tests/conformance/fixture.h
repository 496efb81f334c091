/* fixture.h — what the conformance cases share: a fresh backend per case
 * opened with a hand-moved clock, lease slots, and small helpers to build
 * jobs and completions. Internal to tests/conformance. */
#ifndef ORCA_CONFORMANCE_FIXTURE_H
#define ORCA_CONFORMANCE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backend/backend.h"

#define CF_T0 1700000000000000LL /* the fake clock's start (2023-11-14) */
#define CF_SEC 1000000LL
#define CF_SLOTS 1024

/* A clock the cases move by hand; atomic so helper threads may read it. */
typedef struct cf_clock {
  _Atomic int64_t now;
  orca_clock clock;
} cf_clock;

typedef struct cf {
  char *url;
  cf_clock clk;
  orca__backend *b; /* backend cases */
  const orca__backend_ops *ops;
  orca__log *log;      /* log cases (cf_setup_log) */
  orca__store *store;  /* store cases (cf_setup_store) */
  orca__lease *leases; /* CF_SLOTS, payload buffers freed at teardown */
  orca__lease *slots[CF_SLOTS];
} cf;

/* Setup/teardown of every case (conformance.c): a backend (cf_setup), or a
 * log or a store alone, opened with the ops the runner was given. */
int cf_setup(void **state);
int cf_setup_log(void **state);
int cf_setup_store(void **state);
int cf_teardown(void **state);

/* Open another handle on the case's backend with the same clock (for helper
 * threads). Fails the case on error. */
orca__backend *cf_open_again(cf *f);

void cf_advance(cf *f, int64_t us);
int64_t cf_now(cf *f);

/* A job on queue with id, priority, eta and payload text. */
orca__job cf_job(const char *id, const char *queue, int32_t priority, int64_t eta_us,
                 const char *payload);
/* Encode into *buf (reset first) a task envelope of task conf.task with id,
 * queue and the argument bytes args[0..len); the caller frees buf. */
void cf_envelope(const char *id, const char *queue, const uint8_t *args, size_t len, orca_buf *buf);
/* A job like cf_job (priority 0, due now) whose payload is a real task
 * envelope carrying args[0..len): encoded into *buf, which the caller frees
 * after the enqueue. */
orca__job cf_job_env(const char *id, const char *queue, const uint8_t *args, size_t len,
                     orca_buf *buf);
/* Enqueue one job and expect status want (0 or an ORCA_E*). */
void cf_enqueue1(cf *f, const orca__job *j, int want);
/* The ORCA__LOG_* caps of the log under test: the log alone, the backend's
 * log half, or LEASES | ORDERED for a fused table without halves. */
unsigned cf_log_caps(const cf *f);

/* Fetch up to max from queues[0..nq) as worker with a lease, through
 * backend b, or through the log alone when b is NULL; returns got. On a log
 * without ORCA__LOG_ORDERED (Kafka) it waits and asks again until a wait
 * brings nothing more (the first fetch joins a consumer group, ~3 s). */
size_t cf_fetch(cf *f, orca__backend *b, const char *const *queues, size_t nq, const char *worker,
                int64_t lease_us, size_t max);
/* Shorthand: fetch from one queue. */
size_t cf_fetch1(cf *f, const char *queue, const char *worker, int64_t lease_us, size_t max);
/* A completion of lease l with outcome by worker. */
orca__completion cf_done(const orca__lease *l, orca__outcome outcome, const char *worker);
/* state_get, expecting success; fills *info (buffers freed by cf_info_free). */
void cf_state(cf *f, const char *id, orca_task_info *info);
void cf_info_free(orca_task_info *info);
/* The index of the delivery of id among slots[0..n); fails the case when
 * it is not there. */
size_t cf_slot(cf *f, size_t n, const char *id);

/* Assert the payload of lease l equals text. */
void cf_assert_payload(const orca__lease *l, const char *text);

/* The case lists (cases_*.c). */
extern const struct CMUnitTest cf_queue_cases[];
extern const size_t cf_queue_ncases;
extern const struct CMUnitTest cf_state_cases[];
extern const size_t cf_state_ncases;
extern const struct CMUnitTest cf_log_cases[];
extern const size_t cf_log_ncases;
extern const struct CMUnitTest cf_store_cases[];
extern const size_t cf_store_ncases;
extern const struct CMUnitTest cf_cluster_cases[];
extern const size_t cf_cluster_ncases;

#endif
