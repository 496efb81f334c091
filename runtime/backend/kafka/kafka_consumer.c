/* kafka_consumer.c — the consumer group of a worker pool. Deliveries are
 * tracked per partition (kafka_tracker.c); offsets are committed only over
 * the contiguous prefix of ended deliveries; every assigned partition is
 * paused while the deliveries in flight fill the worker's slots (noticed on
 * a renewal, resumed by the next fetch); a revoke
 * commits what ended and forgets the rest, so none of its deliveries is
 * started afterwards (held() says lost) and the next owner reads them
 * again. Rebalance callbacks run inside rd_kafka_consumer_poll, on the
 * thread that uses the handle. */
#include <stdlib.h>
#include <string.h>

#include "backend/kafka/kafka_internal.h"
#include "orca/log.h"

static bool cooperative(rd_kafka_t *rk) {
  const char *p = rd_kafka_rebalance_protocol(rk);
  return p && strcmp(p, "COOPERATIVE") == 0;
}

/* Add every dirty commit point of the given partitions (all when parts is
 * NULL) to a list; NULL when none. */
static rd_kafka_topic_partition_list_t *dirty_list(orca__kafka_consumer *c,
                                                   const rd_kafka_topic_partition_list_t *parts) {
  rd_kafka_topic_partition_list_t *l = NULL;
  for (size_t i = 0; i < c->tracker.nparts; i++) {
    orca__kafka_part *p = &c->tracker.parts[i];
    if (!p->dirty || !p->assigned)
      continue;
    if (parts && !rd_kafka_topic_partition_list_find(parts, p->topic, p->partition))
      continue;
    if (!l)
      l = rd_kafka_topic_partition_list_new(8);
    rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->commit;
    p->dirty = false;
  }
  return l;
}

static int commit_list(orca__kafka_consumer *c, rd_kafka_topic_partition_list_t *l, bool sync) {
  if (!l)
    return 0;
  rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, sync ? 0 : 1);
  rd_kafka_topic_partition_list_destroy(l);
  if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    /* Not fatal: those tasks are delivered again (at least once). */
    orca_log(ORCA_LOG_WARN, "kafka: committing offsets failed: %s", rd_kafka_err2str(e));
    return orca__kafka_errno(e);
  }
  return 0;
}

static void set_paused(orca__kafka_consumer *c, bool pause) {
  rd_kafka_topic_partition_list_t *l = NULL;
  if (rd_kafka_assignment(c->rk, &l) == 0 && l) {
    if (pause)
      rd_kafka_pause_partitions(c->rk, l);
    else
      rd_kafka_resume_partitions(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
  }
  c->paused = pause;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
  orca__kafka_consumer *c = opaque;
  bool coop = cooperative(rk);
  if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < parts->cnt; i++)
      if (orca__kafka_tracker_assign(&c->tracker, parts->elems[i].topic, parts->elems[i].partition))
        orca_log(ORCA_LOG_ERROR, "kafka: out of memory tracking %s[%d]", parts->elems[i].topic,
                 (int)parts->elems[i].partition);
    if (coop)
      rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
    else
      rd_kafka_assign(rk, parts);
    if (c->paused)
      rd_kafka_pause_partitions(rk, parts);
    orca_log(ORCA_LOG_DEBUG, "kafka: %d partition(s) assigned", parts->cnt);
    return;
  }
  /* Revoked (or lost): commit what ended, forget the rest. */
  if (!rd_kafka_assignment_lost(rk))
    commit_list(c, dirty_list(c, parts), true);
  size_t dropped = 0;
  for (int i = 0; i < parts->cnt; i++) {
    orca__kafka_part *p =
        orca__kafka_tracker_part(&c->tracker, parts->elems[i].topic, parts->elems[i].partition);
    if (!p)
      continue;
    dropped += p->n;
    orca__kafka_tracker_revoke(&c->tracker, p);
  }
  if (c->stash && rd_kafka_topic_partition_list_find(parts, rd_kafka_topic_name(c->stash->rkt),
                                                     c->stash->partition)) {
    rd_kafka_message_destroy(c->stash);
    c->stash = NULL;
  }
  if (coop)
    rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
  else
    rd_kafka_assign(rk, NULL);
  if (e != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
    orca_log(ORCA_LOG_WARN, "kafka: rebalance error: %s", rd_kafka_err2str(e));
  orca_log(ORCA_LOG_DEBUG, "kafka: %d partition(s) revoked, %zu delivery(ies) given up", parts->cnt,
           dropped);
}

int orca__kafka_consumer_open(orca__kafka_consumer *c, const orca__kafka_cfg *cfg,
                              int64_t op_timeout_ms, orca_err *err) {
  memset(c, 0, sizeof *c);
  c->cfg = cfg;
  c->op_timeout_ms = op_timeout_ms;
  orca__kafka_tracker_init(&c->tracker);
  rd_kafka_conf_t *conf = orca__kafka_conf_new(cfg, ORCA__KAFKA_CONSUMER, op_timeout_ms, err);
  if (!conf)
    return err ? err->code : ORCA_EURL;
  rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  rd_kafka_conf_set_opaque(conf, c);
  char why[512];
  c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
  if (!c->rk) {
    rd_kafka_conf_destroy(conf);
    return orca_err_set(err, ORCA_EURL, "kafka: cannot create a consumer: %s", why);
  }
  rd_kafka_poll_set_consumer(c->rk);
  c->queue = rd_kafka_queue_get_consumer(c->rk);
  return 0;
}

static void free_topics(orca__kafka_consumer *c) {
  for (size_t i = 0; i < c->ntopics; i++)
    free(c->topics[i]);
  free(c->topics);
  c->topics = NULL;
  c->ntopics = 0;
}

void orca__kafka_consumer_close(orca__kafka_consumer *c) {
  if (c->rk) {
    commit_list(c, dirty_list(c, NULL), true);
    if (c->stash)
      rd_kafka_message_destroy(c->stash);
    c->stash = NULL;
    rd_kafka_consumer_close(c->rk); /* revokes: the callback commits the rest */
    if (c->queue)
      rd_kafka_queue_destroy(c->queue);
    rd_kafka_destroy(c->rk);
  }
  free_topics(c);
  orca__kafka_tracker_free(&c->tracker);
  memset(c, 0, sizeof *c);
}

int orca__kafka_consumer_subscribe(orca__kafka_consumer *c, const char *const *queues, size_t n,
                                   orca_err *err) {
  char topic[ORCA__KAFKA_TOPIC_MAX];
  bool same = n == c->ntopics;
  for (size_t i = 0; i < n && same; i++) {
    if (orca__kafka_topic_name(c->cfg, queues[i], topic))
      return orca_err_set(err, ORCA_EINVAL, "kafka: queue name '%s' is empty or too long",
                          queues[i]);
    bool found = false;
    for (size_t j = 0; j < c->ntopics && !found; j++)
      found = strcmp(c->topics[j], topic) == 0;
    same = found;
  }
  if (same)
    return 0;
  free_topics(c);
  c->topics = calloc(n ? n : 1, sizeof *c->topics);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
  if (!c->topics || !l) {
    if (l)
      rd_kafka_topic_partition_list_destroy(l);
    return orca_err_set(err, ORCA_ENOMEM, "kafka: out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    if (orca__kafka_topic_name(c->cfg, queues[i], topic) || !(c->topics[i] = strdup(topic))) {
      rd_kafka_topic_partition_list_destroy(l);
      return orca_err_set(err, ORCA_EINVAL, "kafka: queue name '%s' is empty or too long",
                          queues[i]);
    }
    c->ntopics++;
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  if (e)
    return orca_err_set(err, orca__kafka_errno(e), "kafka: subscribing: %s", rd_kafka_err2str(e));
  return 0;
}

/* Fill one slot from m, or return ORCA_ESTATE when m is not a task this
 * consumer may hand out (a repeat, a revoked partition, no task id). */
static int deliver(orca__kafka_consumer *c, const rd_kafka_message_t *m, orca__lease *slot) {
  const char *topic = rd_kafka_topic_name(m->rkt);
  uint32_t gen = 0;
  int rc = orca__kafka_tracker_add(&c->tracker, topic, m->partition, m->offset, &gen);
  if (rc)
    return rc;
  size_t plen = strlen(c->cfg->prefix);
  size_t qlen = strlen(topic) > plen ? strlen(topic) - plen : 0;
  if (!m->key || m->key_len == 0 || m->key_len >= ORCA_ID_MAX || memchr(m->key, 0, m->key_len) ||
      qlen == 0 || qlen >= ORCA_NAME_MAX) {
    orca_log(ORCA_LOG_WARN, "kafka: skipping %s[%d] offset %lld: not a task (no task id as key)",
             topic, (int)m->partition, (long long)m->offset);
    orca__kafka_tracker_end(&c->tracker, topic, m->partition, m->offset, gen);
    return ORCA_ESTATE;
  }
  memcpy(slot->id, m->key, m->key_len);
  slot->id[m->key_len] = '\0';
  memcpy(slot->queue, topic + plen, qlen + 1);
  orca__kafka_ref_format(slot->ref, sizeof slot->ref, m->partition, m->offset, gen);
  slot->deliveries = 1;
  slot->lease_until_us = INT64_MAX;
  orca_buf_reset(&slot->payload);
  if (m->len && orca_buf_append(&slot->payload, m->payload, m->len)) {
    orca__kafka_tracker_end(&c->tracker, topic, m->partition, m->offset, gen);
    return ORCA_ENOMEM;
  }
  return 0;
}

int orca__kafka_consumer_fetch(orca__kafka_consumer *c, orca__lease *const *slots, size_t max,
                               int wait_ms, size_t *got, orca_err *err) {
  *got = 0;
  c->capacity = c->tracker.inflight + max;
  if (c->paused && max > 0)
    set_paused(c, false);
  size_t k = 0;
  int rc = 0;
  while (k < max) {
    rd_kafka_message_t *m = c->stash;
    c->stash = NULL;
    if (!m)
      m = rd_kafka_consumer_poll(c->rk, k == 0 ? wait_ms : 0);
    if (!m)
      break;
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        orca_log(ORCA_LOG_WARN, "kafka: consumer: %s", rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      if (k == 0)
        wait_ms = 0; /* report what came so far rather than spin on errors */
      break;
    }
    int r = deliver(c, m, slots[k]);
    rd_kafka_message_destroy(m);
    if (r == ORCA_ENOMEM) {
      rc = orca_err_set(err, ORCA_ENOMEM, "kafka: out of memory");
      break;
    }
    if (r == 0)
      k++;
  }
  *got = k;
  return rc;
}

/* The tracker's key of a delivery: its topic and its ref's partition,
 * offset and generation. Returns 0 or ORCA_ELOST (not a delivery of ours). */
static int delivery_of(const orca__kafka_consumer *c, const orca__lease *lease, char *topic,
                       int32_t *partition, int64_t *offset, uint32_t *gen) {
  if (orca__kafka_ref_parse(lease->ref, partition, offset, gen) ||
      orca__kafka_topic_name(c->cfg, lease->queue, topic))
    return ORCA_ELOST;
  return 0;
}

int orca__kafka_consumer_end(orca__kafka_consumer *c, const orca__lease *lease) {
  int32_t partition;
  int64_t offset;
  uint32_t gen;
  char topic[ORCA__KAFKA_TOPIC_MAX];
  if (delivery_of(c, lease, topic, &partition, &offset, &gen))
    return ORCA_ELOST;
  return orca__kafka_tracker_end(&c->tracker, topic, partition, offset, gen);
}

int orca__kafka_consumer_commit(orca__kafka_consumer *c, bool sync) {
  return commit_list(c, dirty_list(c, NULL), sync);
}

void orca__kafka_consumer_serve(orca__kafka_consumer *c) {
  /* Busy since the last fetch with every slot taken: pause, so librdkafka
   * stops fetching ahead what the worker cannot take (and a rebalance finds
   * nothing buffered here). The next fetch resumes. Pausing at every full
   * fetch instead would drop the fetched-ahead messages each time and cost
   * a broker round trip per batch. */
  if (!c->paused && c->capacity > 0 && c->tracker.inflight >= c->capacity)
    set_paused(c, true);
  if (c->stash)
    return;
  /* Serve rebalance callbacks (and the group's liveness) while the worker
   * is too busy to fetch; a message that comes is kept for the next fetch. */
  rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 0);
  if (m && m->err)
    rd_kafka_message_destroy(m);
  else
    c->stash = m;
}

int orca__kafka_consumer_held(orca__kafka_consumer *c, const orca__lease *lease) {
  int32_t partition;
  int64_t offset;
  uint32_t gen;
  char topic[ORCA__KAFKA_TOPIC_MAX];
  if (delivery_of(c, lease, topic, &partition, &offset, &gen))
    return ORCA_ELOST;
  return orca__kafka_tracker_held(&c->tracker, topic, partition, offset, gen);
}

void orca__kafka_consumer_interrupt(orca__kafka_consumer *c) {
  if (c->queue)
    rd_kafka_queue_yield(c->queue);
}
