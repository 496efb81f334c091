/* conformance.c — the runner of the backend conformance suite and the
 * fixture every case uses (see conformance.h and fixture.h). */
#include "conformance.h"

#include <stdlib.h>
#include <string.h>

#include "codec/envelope.h"
#include "fixture.h"

static const char *(*g_make_url)(void *);
static void *g_ud;
static const orca__log_ops *g_log_ops;
static const orca__store_ops *g_store_ops;

static int64_t fake_now(void *ctx) {
  return ((cf_clock *)ctx)->now;
}

/* A fixture with a fresh URL and the hand-moved clock; NULL on failure. */
static cf *fixture_new(void) {
  cf *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->url = strdup(g_make_url(g_ud));
  f->clk.now = CF_T0;
  f->clk.clock.now_us = fake_now;
  f->clk.clock.ctx = &f->clk;
  f->leases = calloc(CF_SLOTS, sizeof *f->leases);
  assert_non_null(f->leases);
  for (size_t i = 0; i < CF_SLOTS; i++)
    f->slots[i] = &f->leases[i];
  return f;
}

static int fixture_failed(cf *f, const orca_err *err) {
  print_error("cannot open %s: %s\n", f->url, err->msg);
  free(f->leases);
  free(f->url);
  free(f);
  return -1;
}

int cf_setup(void **state) {
  cf *f = fixture_new();
  orca__backend_opts o = {.clock = &f->clk.clock};
  orca_err err = {0};
  if (orca__backend_open(f->url, &o, &f->b, &err))
    return fixture_failed(f, &err);
  f->ops = f->b->ops;
  *state = f;
  return 0;
}

int cf_setup_log(void **state) {
  cf *f = fixture_new();
  orca__backend_opts o = {.clock = &f->clk.clock};
  orca_err err = {0};
  if (g_log_ops->open(f->url, &o, &f->log, &err))
    return fixture_failed(f, &err);
  *state = f;
  return 0;
}

int cf_setup_store(void **state) {
  cf *f = fixture_new();
  orca__backend_opts o = {.clock = &f->clk.clock};
  orca_err err = {0};
  if (g_store_ops->open(f->url, &o, &f->store, &err))
    return fixture_failed(f, &err);
  *state = f;
  return 0;
}

int cf_teardown(void **state) {
  cf *f = *state;
  if (!f)
    return 0;
  if (f->b)
    orca__backend_close(f->b);
  if (f->log)
    f->log->ops->close(f->log);
  if (f->store)
    f->store->ops->close(f->store);
  for (size_t i = 0; i < CF_SLOTS; i++)
    orca_buf_free(&f->leases[i].payload);
  free(f->leases);
  free(f->url);
  free(f);
  return 0;
}

orca__backend *cf_open_again(cf *f) {
  orca__backend_opts o = {.clock = &f->clk.clock};
  orca_err err = {0};
  orca__backend *b = NULL;
  if (orca__backend_open(f->url, &o, &b, &err))
    fail_msg("cannot reopen %s: %s", f->url, err.msg);
  return b;
}

void cf_advance(cf *f, int64_t us) {
  f->clk.now += us;
}
int64_t cf_now(cf *f) {
  return f->clk.now;
}

orca__job cf_job(const char *id, const char *queue, int32_t priority, int64_t eta_us,
                 const char *payload) {
  orca__job j = {0};
  j.id = id;
  j.task = "conf.task";
  j.queue = queue;
  j.priority = priority;
  j.eta_us = eta_us;
  j.payload = (const uint8_t *)payload;
  j.payload_len = payload ? strlen(payload) : 0;
  j.state_ttl_us = 3600 * CF_SEC;
  return j;
}

void cf_envelope(const char *id, const char *queue, const uint8_t *args, size_t len,
                 orca_buf *buf) {
  orca__envelope e = {.v = ORCA__ENVELOPE_VERSION,
                      .id = {id, strlen(id)},
                      .task = {"conf.task", 9},
                      .queue = {queue, strlen(queue)},
                      .enqueued_us = CF_T0,
                      .args = args,
                      .args_len = len};
  orca_buf_reset(buf);
  assert_int_equal(orca__envelope_encode(&e, buf), 0);
}

orca__job cf_job_env(const char *id, const char *queue, const uint8_t *args, size_t len,
                     orca_buf *buf) {
  cf_envelope(id, queue, args, len, buf);
  orca__job j = cf_job(id, queue, 0, 0, NULL);
  j.payload = buf->data;
  j.payload_len = buf->len;
  return j;
}

void cf_enqueue1(cf *f, const orca__job *j, int want) {
  orca__enqueue_result r = {0};
  assert_int_equal(f->ops->enqueue(f->b, j, 1, &r), 0);
  assert_int_equal(r.status, want);
}

unsigned cf_log_caps(const cf *f) {
  const orca__log *log = f->log ? f->log : f->b ? f->b->log : NULL;
  /* a fused table without halves (Redis) leases and orders as a log does */
  return log ? log->ops->caps : ORCA__LOG_LEASES | ORCA__LOG_ORDERED;
}

/* One fetch through the log alone (log cases) or the backend (b). */
static int fetch_once(cf *f, orca__backend *b, const orca__fetch_req *req,
                      orca__lease *const *slots, size_t max, size_t *got) {
  return b ? b->ops->fetch(b, req, slots, max, got)
           : f->log->ops->fetch(f->log, req, slots, max, got);
}

size_t cf_fetch(cf *f, orca__backend *b, const char *const *queues, size_t nq, const char *worker,
                int64_t lease_us, size_t max) {
  /* A log without ORCA__LOG_ORDERED delivers appended entries after a
   * moment (and joins its consumer group on the first fetch): it is asked
   * with a wait, again until a wait brings nothing more. */
  bool async = !(cf_log_caps(f) & ORCA__LOG_ORDERED);
  orca__fetch_req req = {.queues = queues,
                         .nqueues = nq,
                         .worker = worker,
                         .lease_us = lease_us,
                         .wait_us = async ? CF_SEC / 4 : 0};
  assert_true(max <= CF_SLOTS);
  size_t have = 0;
  for (int round = 0; have < max && round < (async ? 40 : 1); round++) {
    size_t got = 99999;
    assert_int_equal(fetch_once(f, b, &req, f->slots + have, max - have, &got), 0);
    assert_true(got <= max - have);
    have += got;
    if (got == 0 && (have > 0 || round >= 16)) /* quiet: ~4 s for the group join */
      break;
  }
  return have;
}

size_t cf_fetch1(cf *f, const char *queue, const char *worker, int64_t lease_us, size_t max) {
  const char *qs[1] = {queue};
  return cf_fetch(f, f->b, qs, 1, worker, lease_us, max);
}

orca__completion cf_done(const orca__lease *l, orca__outcome outcome, const char *worker) {
  orca__completion c = {0};
  c.lease = l;
  c.outcome = outcome;
  c.state = outcome == ORCA__ACK ? ORCA_STATE_SUCCEEDED : ORCA_STATE_UNKNOWN;
  c.worker = worker;
  c.attempt = 1;
  c.ttl_us = 600 * CF_SEC;
  return c;
}

void cf_state(cf *f, const char *id, orca_task_info *info) {
  memset(info, 0, sizeof *info);
  int rc = f->ops->state_get(f->b, id, info);
  if (rc)
    fail_msg("state_get(%s): %s", id, orca_err_name(rc));
}

void cf_info_free(orca_task_info *info) {
  orca_buf_free(&info->result);
  orca_buf_free(&info->args);
}

size_t cf_slot(cf *f, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(f->slots[i]->id, id) == 0)
      return i;
  fail_msg("%s is not among the %zu deliveries", id, n);
  return n;
}

void cf_assert_payload(const orca__lease *l, const char *text) {
  assert_int_equal(l->payload.len, strlen(text));
  assert_memory_equal(l->payload.data, text, l->payload.len);
}

int orca_conformance_run(const char *name, const char *(*make_url)(void *ud), void *ud) {
  g_make_url = make_url;
  g_ud = ud;
  size_t n = cf_queue_ncases + cf_state_ncases + cf_cluster_ncases;
  struct CMUnitTest *all = calloc(n, sizeof *all);
  if (!all)
    return 1;
  memcpy(all, cf_queue_cases, cf_queue_ncases * sizeof *all);
  memcpy(all + cf_queue_ncases, cf_state_cases, cf_state_ncases * sizeof *all);
  memcpy(all + cf_queue_ncases + cf_state_ncases, cf_cluster_cases,
         cf_cluster_ncases * sizeof *all);
  int failed = _cmocka_run_group_tests(name, all, n, NULL, NULL);
  free(all);
  return failed;
}

int orca_conformance_run_log(const char *name, const orca__log_ops *ops,
                             const char *(*make_url)(void *ud), void *ud) {
  g_make_url = make_url;
  g_ud = ud;
  g_log_ops = ops;
  return _cmocka_run_group_tests(name, cf_log_cases, cf_log_ncases, NULL, NULL);
}

int orca_conformance_run_store(const char *name, const orca__store_ops *ops,
                               const char *(*make_url)(void *ud), void *ud) {
  g_make_url = make_url;
  g_ud = ud;
  g_store_ops = ops;
  return _cmocka_run_group_tests(name, cf_store_cases, cf_store_ncases, NULL, NULL);
}
