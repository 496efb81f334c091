/* kafka_producer.c — appends: a batch is produced, flushed once, and
 * acknowledged only when every message's delivery report came back without
 * an error (with acks=all: written to every in-sync replica). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/kafka/kafka_internal.h"

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Delivery report: runs inside rd_kafka_flush/poll on the appending thread. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  orca__kafka_producer *p = opaque;
  if ((uintptr_t)m->_private != p->batch)
    return; /* a report of an earlier batch that gave up waiting */
  if (m->err && !p->first_err)
    p->first_err = m->err;
  if (p->pending)
    p->pending--;
}

int orca__kafka_producer_open(orca__kafka_producer *p, const orca__kafka_cfg *cfg,
                              int64_t op_timeout_ms, orca_err *err) {
  memset(p, 0, sizeof *p);
  p->cfg = cfg;
  p->op_timeout_ms = op_timeout_ms;
  rd_kafka_conf_t *conf = orca__kafka_conf_new(cfg, ORCA__KAFKA_PRODUCER, op_timeout_ms, err);
  if (!conf)
    return err ? err->code : ORCA_EURL;
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, p);
  char why[512];
  p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
  if (!p->rk) {
    rd_kafka_conf_destroy(conf);
    return orca_err_set(err, ORCA_EURL, "kafka: cannot create a producer: %s", why);
  }
  return 0;
}

void orca__kafka_producer_close(orca__kafka_producer *p) {
  if (p->rk) {
    rd_kafka_flush(p->rk, (int)p->op_timeout_ms);
    rd_kafka_destroy(p->rk);
  }
  for (size_t i = 0; i < p->ntopics; i++)
    free(p->topics[i]);
  free(p->topics);
  memset(p, 0, sizeof *p);
}

/* Create the topic once per handle when missing. */
static int known_topic(orca__kafka_producer *p, const char *topic, orca_err *err) {
  for (size_t i = 0; i < p->ntopics; i++)
    if (strcmp(p->topics[i], topic) == 0)
      return 0;
  int rc = orca__kafka_topic_ensure(p->rk, p->cfg, topic, (int)p->op_timeout_ms, err);
  if (rc)
    return rc;
  if (p->ntopics == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 8;
    char **t = realloc(p->topics, cap * sizeof *t);
    if (!t)
      return orca_err_set(err, ORCA_ENOMEM, "kafka: out of memory");
    p->topics = t;
    p->cap = cap;
  }
  p->topics[p->ntopics] = strdup(topic);
  if (!p->topics[p->ntopics])
    return orca_err_set(err, ORCA_ENOMEM, "kafka: out of memory");
  p->ntopics++;
  return 0;
}

int orca__kafka_producer_ensure(orca__kafka_producer *p, const char *queue, orca_err *err) {
  char topic[ORCA__KAFKA_TOPIC_MAX];
  if (orca__kafka_topic_name(p->cfg, queue, topic))
    return orca_err_set(err, ORCA_EINVAL, "kafka: queue name '%s' is empty or too long",
                        queue ? queue : "");
  return known_topic(p, topic, err);
}

int orca__kafka_produce(orca__kafka_producer *p, const orca__kafka_msg *msgs, size_t n,
                        orca_err *err) {
  char topic[ORCA__KAFKA_TOPIC_MAX];
  p->pending = 0;
  p->batch++;
  p->first_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  int rc = 0;
  size_t sent = 0;
  for (; sent < n && !rc; sent++) {
    const orca__kafka_msg *m = &msgs[sent];
    if (orca__kafka_topic_name(p->cfg, m->queue, topic)) {
      rc = orca_err_set(err, ORCA_EINVAL, "kafka: queue name '%s' is empty or too long",
                        m->queue ? m->queue : "");
      break;
    }
    rc = known_topic(p, topic, err);
    if (rc)
      break;
    for (;;) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(m->key, strlen(m->key)), RD_KAFKA_V_VALUE((void *)m->value, m->value_len),
          RD_KAFKA_V_OPAQUE((void *)p->batch), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        p->pending++;
        break;
      }
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rc = orca_err_set(err, orca__kafka_errno(e), "kafka: producing to %s: %s", topic,
                          rd_kafka_err2str(e));
        break;
      }
      rd_kafka_poll(p->rk, 10); /* the local queue is full: let reports drain it */
    }
  }
  /* One flush for the batch (it sends at once, linger.ms ignored, and
   * serves the delivery reports as they come); every report arrives by
   * message.timeout.ms. */
  int64_t until = mono_ms() + p->op_timeout_ms + 1000;
  while (p->pending > 0 && mono_ms() < until)
    rd_kafka_flush(p->rk, 100);
  if (p->pending > 0 && !rc)
    rc = orca_err_set(err, ORCA_ETIMEDOUT, "kafka: %zu message(s) not acknowledged in time",
                      p->pending);
  if (!rc && p->first_err)
    rc = orca_err_set(err, orca__kafka_errno(p->first_err),
                      "kafka: append not acknowledged by the brokers: %s",
                      rd_kafka_err2str(p->first_err));
  return rc;
}
