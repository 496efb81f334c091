/* kafka_conf.c — librdkafka configurations for our producers and consumers,
 * topic creation, and librdkafka errors as ORCA_E* codes.
 *
 * Our defaults (each can be overridden by a property of the same name):
 *   every client   client.id=orca, log levels routed to orca_log
 *   producer       acks=all, enable.idempotence=true (no duplicates from
 *                  retries, order kept per partition), linger.ms=2,
 *                  message.timeout.ms = the operation timeout (an append
 *                  gives up rather than block for minutes)
 *   consumer       group.id = the URL's group, enable.auto.commit=false
 *                  (offsets are committed by the tracker only),
 *                  enable.auto.offset.store=false, auto.offset.reset=earliest
 *                  (tasks appended before the group first joined run),
 *                  fetch.wait.max.ms=10 (a ready task is fetched at once) */
#include <stdio.h>
#include <string.h>

#include "backend/kafka/kafka_internal.h"
#include "backend/url.h"
#include "orca/log.h"

int orca__kafka_errno(rd_kafka_resp_err_t e) {
  switch (e) {
  case RD_KAFKA_RESP_ERR_NO_ERROR:
    return 0;
  case RD_KAFKA_RESP_ERR__TIMED_OUT:
  case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
  case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    return ORCA_ETIMEDOUT;
  case RD_KAFKA_RESP_ERR__TRANSPORT:
  case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
  case RD_KAFKA_RESP_ERR__RESOLVE:
  case RD_KAFKA_RESP_ERR__AUTHENTICATION:
  case RD_KAFKA_RESP_ERR__SSL:
    return ORCA_ECONNECT;
  default:
    return ORCA_EBACKEND;
  }
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  /* syslog levels 0..4 (errors, warnings: a broker unreachable, a session
   * lost) are warnings here, as librdkafka retries them itself; the rest,
   * and notes that a property is meant for the other client role (the
   * URL's properties go to producers and consumers alike), is chatter. */
  bool chatter = level > 4 || strcmp(fac, "CONFWARN") == 0;
  orca_log(chatter ? ORCA_LOG_DEBUG : ORCA_LOG_WARN, "kafka: %s: %s", fac, buf);
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *value, const char *origin,
               orca_err *err) {
  char why[512];
  rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, key, value, why, sizeof why);
  if (r == RD_KAFKA_CONF_OK)
    return 0;
  /* librdkafka's reason quotes the value: shown only when it is no secret */
  bool secret = orca__url_secret_key(key, strlen(key));
  if (r == RD_KAFKA_CONF_UNKNOWN)
    return orca_err_set(err, ORCA_EURL,
                        "kafka property '%s' (from %s): no such librdkafka property", key, origin);
  return orca_err_set(err, ORCA_EURL, "kafka property '%s' (from %s): %s", key, origin,
                      secret ? "invalid value" : why);
}

rd_kafka_conf_t *orca__kafka_conf_new(const orca__kafka_cfg *cfg, orca__kafka_role role,
                                      int64_t op_timeout_ms, orca_err *err) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (!conf) {
    orca_err_set(err, ORCA_ENOMEM, "kafka: out of memory");
    return NULL;
  }
  char timeout[24];
  snprintf(timeout, sizeof timeout, "%lld", (long long)op_timeout_ms);
  const char *common[][2] = {{"bootstrap.servers", cfg->brokers}, {"client.id", "orca"}};
  const char *producer[][2] = {{"acks", "all"},
                               {"enable.idempotence", "true"},
                               {"linger.ms", "2"},
                               {"message.timeout.ms", timeout}};
  const char *consumer[][2] = {{"group.id", cfg->group},
                               {"enable.auto.commit", "false"},
                               {"enable.auto.offset.store", "false"},
                               {"auto.offset.reset", "earliest"},
                               {"fetch.wait.max.ms", "10"}};
  int rc = 0;
  for (size_t i = 0; i < 2 && !rc; i++)
    rc = set(conf, common[i][0], common[i][1], "defaults", err);
  if (role == ORCA__KAFKA_PRODUCER)
    for (size_t i = 0; i < sizeof producer / sizeof producer[0] && !rc; i++)
      rc = set(conf, producer[i][0], producer[i][1], "defaults", err);
  else
    for (size_t i = 0; i < sizeof consumer / sizeof consumer[0] && !rc; i++)
      rc = set(conf, consumer[i][0], consumer[i][1], "defaults", err);
  /* The user's properties win. Properties of the other role are skipped by
   * librdkafka with a warning only when they mean nothing to this role. */
  for (size_t i = 0; i < cfg->nprops && !rc; i++)
    rc = set(conf, cfg->props[i].key, cfg->props[i].value, cfg->props[i].origin, err);
  if (rc) {
    rd_kafka_conf_destroy(conf);
    return NULL;
  }
  rd_kafka_conf_set_log_cb(conf, log_cb);
  return conf;
}

/* The topic's partition count in fresh metadata: > 0 exists, 0 missing,
 * or an ORCA_E* error. all_topics=false asks for this topic by name, which
 * lets a broker that auto-creates topics create it. */
static int lookup(rd_kafka_t *rk, const char *topic, bool by_name, int timeout_ms,
                  int32_t *controller_known, orca_err *err) {
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_topic_t *rkt = by_name ? rd_kafka_topic_new(rk, topic, NULL) : NULL;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, by_name ? 0 : 1, rkt, &md, timeout_ms);
  if (rkt)
    rd_kafka_topic_destroy(rkt);
  if (e)
    return orca_err_set(err, orca__kafka_errno(e), "kafka: metadata for topic %s: %s", topic,
                        rd_kafka_err2str(e));
  int found = 0;
  for (int i = 0; i < md->topic_cnt; i++)
    if (strcmp(md->topics[i].topic, topic) == 0 && md->topics[i].err == 0)
      found = md->topics[i].partition_cnt;
  if (controller_known) {
    int32_t ctrl = rd_kafka_controllerid(rk, 0);
    *controller_known = 0;
    for (int i = 0; i < md->broker_cnt; i++)
      if (md->brokers[i].id == ctrl)
        *controller_known = 1;
  }
  rd_kafka_metadata_destroy(md);
  return found;
}

static int create(rd_kafka_t *rk, const orca__kafka_cfg *cfg, const char *topic, int timeout_ms,
                  orca_err *err) {
  char why[256];
  rd_kafka_NewTopic_t *nt =
      rd_kafka_NewTopic_new(topic, cfg->partitions, cfg->replication, why, sizeof why);
  if (!nt)
    return orca_err_set(err, ORCA_EURL, "kafka: cannot create topic %s: %s", topic, why);
  if (cfg->min_insync > 0) {
    char v[16];
    snprintf(v, sizeof v, "%d", (int)cfg->min_insync);
    rd_kafka_NewTopic_set_config(nt, "min.insync.replicas", v);
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, why, sizeof why);
  rd_kafka_CreateTopics(rk, &nt, 1, o, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
  int rc = 0;
  if (!ev) {
    rc = orca_err_set(err, ORCA_ETIMEDOUT, "kafka: creating topic %s: no answer in %d ms", topic,
                      timeout_ms);
  } else if (rd_kafka_event_error(ev)) {
    rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
    rc = orca_err_set(err, orca__kafka_errno(e), "kafka: creating topic %s: %s", topic,
                      rd_kafka_event_error_string(ev));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t **tr =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; i++) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
      if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        rc = orca_err_set(err, orca__kafka_errno(e), "kafka: creating topic %s: %s", topic,
                          rd_kafka_topic_result_error_string(tr[i]));
    }
  }
  if (ev)
    rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  return rc;
}

int orca__kafka_topic_ensure(rd_kafka_t *rk, const orca__kafka_cfg *cfg, const char *topic,
                             int timeout_ms, orca_err *err) {
  int32_t ctrl = 0;
  int n = lookup(rk, topic, false, timeout_ms, &ctrl, err);
  if (n != 0)
    return n > 0 ? 0 : n;
  if (ctrl) {
    int rc = create(rk, cfg, topic, timeout_ms, err);
    if (rc)
      return rc;
    orca_log(ORCA_LOG_INFO, "kafka: created topic %s (%d partitions)", topic, cfg->partitions);
    return 0;
  }
  /* No controller to send CreateTopics to (librdkafka's mock cluster):
   * asking for the topic by name lets the brokers create it. */
  n = lookup(rk, topic, true, timeout_ms, NULL, err);
  if (n > 0)
    return 0;
  return n < 0 ? n
               : orca_err_set(err, ORCA_EBACKEND,
                              "kafka: topic %s does not exist and the cluster did not create it "
                              "(no controller for CreateTopics, no auto-creation)",
                              topic);
}
