/* kafka_log.c — Kafka as the log of a backend (backend/log.h): one topic
 * per queue, appends acknowledged after their delivery reports, deliveries
 * from a consumer group, offsets committed over the contiguous prefix of
 * ended deliveries. Kafka has no leases (caps 0): a delivery is held until
 * it ends or its partition is revoked, and the store reclaims tasks whose
 * worker stopped renewing. docs/kafka.md explains the whole design.
 *
 * A handle opens a producer at once (appends, and releases, which append
 * the entry again) and joins the consumer group only on its first fetch,
 * so clients and the TimeKeeper never join it. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/kafka/kafka_internal.h"
#include "orca/log.h"

typedef struct kafka_log {
  orca__log base;
  orca__kafka_cfg cfg;
  int64_t op_timeout_ms;
  orca__kafka_producer producer;
  orca__kafka_consumer consumer;
  bool consuming;
  _Atomic(rd_kafka_queue_t *) wake; /* the consumer queue, for interrupt */
  orca__kafka_msg *msgs;            /* release batch, reused */
  size_t msgs_cap;
} kafka_log;

/* Bring the brokers' answer to a first request, so a wrong address or
 * credentials fail at open with a clear message. */
static int check_reachable(kafka_log *k, orca_err *err) {
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t e = rd_kafka_metadata(k->producer.rk, 0, NULL, &md, (int)k->op_timeout_ms);
  if (md)
    rd_kafka_metadata_destroy(md);
  if (e)
    return orca_err_set(
        err, e == RD_KAFKA_RESP_ERR__TIMED_OUT ? ORCA_ECONNECT : orca__kafka_errno(e),
        "kafka: brokers %s did not answer: %s", k->cfg.brokers, rd_kafka_err2str(e));
  return 0;
}

static int kl_open(const char *url, const orca__backend_opts *opts, orca__log **out,
                   orca_err *err) {
  kafka_log *k = calloc(1, sizeof *k);
  if (!k)
    return orca_err_set(err, ORCA_ENOMEM, "kafka: out of memory");
  k->base.ops = &orca__kafka_log_ops;
  k->base.clock = opts && opts->clock ? opts->clock : &orca_clock_real;
  k->op_timeout_ms = opts && opts->op_timeout_us > 0 ? opts->op_timeout_us / 1000 : 5000;
  if (k->op_timeout_ms < 1)
    k->op_timeout_ms = 1;
  int rc = orca__kafka_cfg_parse(url, &k->cfg, err);
  k->base.priorities_ignored = k->cfg.priorities_ignored;
  if (!rc)
    rc = orca__kafka_producer_open(&k->producer, &k->cfg, k->op_timeout_ms, err);
  if (!rc)
    rc = check_reachable(k, err);
  if (rc) {
    if (k->producer.rk)
      orca__kafka_producer_close(&k->producer);
    orca__kafka_cfg_free(&k->cfg);
    free(k);
    return rc;
  }
  *out = &k->base;
  return 0;
}

static void kl_close(orca__log *l) {
  kafka_log *k = (kafka_log *)l;
  if (k->consuming) {
    atomic_store(&k->wake, NULL);
    orca__kafka_consumer_close(&k->consumer);
  }
  orca__kafka_producer_close(&k->producer);
  orca__kafka_cfg_free(&k->cfg);
  free(k->msgs);
  free(k);
}

static void kl_interrupt(orca__log *l) {
  kafka_log *k = (kafka_log *)l;
  rd_kafka_queue_t *q = atomic_load(&k->wake);
  if (q)
    rd_kafka_queue_yield(q);
}

static int reserve_msgs(kafka_log *k, size_t n) {
  if (n <= k->msgs_cap)
    return 0;
  orca__kafka_msg *m = realloc(k->msgs, n * sizeof *m);
  if (!m)
    return ORCA_ENOMEM;
  k->msgs = m;
  k->msgs_cap = n;
  return 0;
}

static int kl_append(orca__log *l, const orca__job *jobs, size_t n) {
  kafka_log *k = (kafka_log *)l;
  if (n == 0)
    return 0;
  if (reserve_msgs(k, n))
    return ORCA_ENOMEM;
  for (size_t i = 0; i < n; i++)
    k->msgs[i] = (orca__kafka_msg){jobs[i].queue, jobs[i].id, jobs[i].payload, jobs[i].payload_len};
  orca_err err = {0};
  int rc = orca__kafka_produce(&k->producer, k->msgs, n, &err);
  if (rc)
    orca_log(ORCA_LOG_WARN, "%s", err.msg);
  return rc;
}

/* Join the group on the first fetch; follow the queue list. */
static int subscribe(kafka_log *k, const orca__fetch_req *req, orca_err *err) {
  if (!k->consuming) {
    int rc = orca__kafka_consumer_open(&k->consumer, &k->cfg, k->op_timeout_ms, err);
    if (rc)
      return rc;
    k->consuming = true;
    atomic_store(&k->wake, k->consumer.queue);
  }
  /* Topics are created (through the producer, which may auto-create them)
   * before the group subscribes to them. */
  for (size_t i = 0; i < req->nqueues; i++) {
    int rc = orca__kafka_producer_ensure(&k->producer, req->queues[i], err);
    if (rc)
      return rc;
  }
  return orca__kafka_consumer_subscribe(&k->consumer, req->queues, req->nqueues, err);
}

static int kl_fetch(orca__log *l, const orca__fetch_req *req, orca__lease *const *slots, size_t max,
                    size_t *got) {
  kafka_log *k = (kafka_log *)l;
  *got = 0;
  orca_err err = {0};
  int rc = subscribe(k, req, &err);
  if (!rc)
    rc =
        orca__kafka_consumer_fetch(&k->consumer, slots, max, (int)(req->wait_us / 1000), got, &err);
  if (rc)
    orca_log(ORCA_LOG_WARN, "%s", err.msg);
  return rc;
}

static int kl_complete(orca__log *l, const orca__completion *c, size_t n) {
  kafka_log *k = (kafka_log *)l;
  /* Releases go back as new entries first (even of a revoked partition: a
   * copy too many is dropped by the store), so no offset passes over a
   * released entry before its copy is acknowledged. */
  size_t nrel = 0;
  if (reserve_msgs(k, n))
    return ORCA_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (c[i].outcome == ORCA__RELEASE)
      k->msgs[nrel++] = (orca__kafka_msg){c[i].lease->queue, c[i].lease->id,
                                          c[i].lease->payload.data, c[i].lease->payload.len};
  orca_err err = {0};
  if (nrel) {
    int rc = orca__kafka_produce(&k->producer, k->msgs, nrel, &err);
    if (rc) {
      orca_log(ORCA_LOG_WARN, "kafka: giving back %zu task(s): %s", nrel, err.msg);
      return rc;
    }
  }
  if (!k->consuming)
    return 0;
  for (size_t i = 0; i < n; i++)
    orca__kafka_consumer_end(&k->consumer, c[i].lease); /* ELOST: skipped */
  orca__kafka_consumer_commit(&k->consumer, false);
  return 0;
}

static int kl_extend(orca__log *l, orca__lease *const *leases, size_t n, const char *worker,
                     int64_t lease_us, int *status) {
  (void)worker;
  (void)lease_us; /* no leases: a delivery is held until its partition goes */
  kafka_log *k = (kafka_log *)l;
  if (k->consuming)
    orca__kafka_consumer_serve(&k->consumer);
  for (size_t i = 0; i < n; i++)
    status[i] = k->consuming ? orca__kafka_consumer_held(&k->consumer, leases[i]) : ORCA_ELOST;
  return 0;
}

const orca__log_ops orca__kafka_log_ops = {
    .scheme = "kafka",
    .caps = 0,
    .open = kl_open,
    .close = kl_close,
    .interrupt = kl_interrupt,
    .append = kl_append,
    .fetch = kl_fetch,
    .complete = kl_complete,
    .extend = kl_extend,
    .release_worker = NULL,
};
