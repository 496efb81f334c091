/* kafka_internal.h — the pieces of the Kafka log (docs/kafka.md): its URL
 * and librdkafka properties, topic creation, the producer that acknowledges
 * an append only after every delivery report, the offset tracker that
 * commits only the contiguous prefix of ended offsets, and the consumer
 * group around it. kafka_log.c assembles them into the log ops of
 * backend/log.h.
 *
 * Threads: a handle is used by one thread at a time (the backend rule);
 * librdkafka's callbacks that touch our state (delivery reports, rebalances)
 * run inside rd_kafka_poll / rd_kafka_flush / rd_kafka_consumer_poll on
 * that same thread. Only interrupt is called from other threads. */
#ifndef ORCA__KAFKA_INTERNAL_H
#define ORCA__KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

/* Every queue Q lives in the topic PREFIX + Q, "orca.Q" by default. */
#define ORCA__KAFKA_DEFAULT_PREFIX "orca."
#define ORCA__KAFKA_PREFIX_MAX 64
#define ORCA__KAFKA_TOPIC_MAX (ORCA__KAFKA_PREFIX_MAX + ORCA_NAME_MAX)

/* Defaults of the URL parameters that are ours (kafka_url.c). */
#define ORCA__KAFKA_DEFAULT_GROUP "orca"
#define ORCA__KAFKA_DEFAULT_PARTITIONS 4
#define ORCA__KAFKA_DEFAULT_REPLICATION (-1) /* the brokers' default.replication.factor */

/* One librdkafka property, with where it came from for messages
 * ("the URL", "FILE:LINE"). */
typedef struct orca__kafka_prop {
  char *key;
  char *value;
  char *origin;
} orca__kafka_prop;

/* A parsed kafka:// URL plus the properties file. Owns every string. */
typedef struct orca__kafka_cfg {
  char *brokers;                       /* "host:port,host:port" */
  char *group;                         /* consumer group of a worker pool */
  char prefix[ORCA__KAFKA_PREFIX_MAX]; /* of every topic name */
  int32_t partitions;                  /* of the topics this backend creates */
  int32_t replication;                 /* of the topics this backend creates, -1 = broker default */
  int32_t min_insync;                  /* their min.insync.replicas, 0 = broker default */
  bool priorities_ignored; /* priorities=ignore (the worker refuses @priority otherwise) */
  char *conf_file;         /* conf=FILE, NULL when not given */
  orca__kafka_prop *props; /* librdkafka properties: the file's first, then the URL's */
  size_t nprops, cap;
} orca__kafka_cfg;

/* Parse "kafka://BROKER[,BROKER...][?KEY=VALUE&...]" into cfg (zeroed
 * first; free it with orca__kafka_cfg_free in every case). Our keys:
 * group=, prefix= (of topic names, default "orca."), partitions=, replication=,
 * min.insync.replicas= (the last three for topics this backend creates),
 * priorities=refuse|ignore (what a worker does with @priority tasks), conf=FILE (a
 * librdkafka properties file, see orca__kafka_cfg_load_file; the environment's ORCA_KAFKA_CONF
 * names one too, read first); store= is the registry's and is skipped.
 * Every other KEY=VALUE is a librdkafka property, applied after the file's.
 * Values are percent-decoded (%26 for '&', %25 for '%', %3D for '=').
 * Returns 0, ORCA_EURL (err says what and where, never a property's value:
 * values may be passwords), ORCA_EIO (the file) or ORCA_ENOMEM. */
int orca__kafka_cfg_parse(const char *url, orca__kafka_cfg *cfg, orca_err *err);

/* Read a librdkafka properties file ("key=value" lines; blank lines and
 * lines starting with '#' skipped; blanks around key and value trimmed) and
 * append its properties to cfg. Returns 0, ORCA_EIO (cannot read path) or
 * ORCA_EURL ("PATH:LINE: expected key=value"), never quoting a value. */
int orca__kafka_cfg_load_file(orca__kafka_cfg *cfg, const char *path, orca_err *err);

void orca__kafka_cfg_free(orca__kafka_cfg *cfg);

typedef enum orca__kafka_role {
  ORCA__KAFKA_PRODUCER,
  ORCA__KAFKA_CONSUMER,
} orca__kafka_role;

/* A librdkafka configuration for role: the brokers, our defaults for the
 * role (kafka_conf.c lists them), then every property of cfg in order, so
 * the user's win. op_timeout_ms bounds requests and deliveries unless a
 * property says otherwise. Returns a conf the caller hands to rd_kafka_new
 * (or destroys), or NULL with err naming the property and its origin
 * (ORCA_EURL; librdkafka's reason only for non-secret keys). */
rd_kafka_conf_t *orca__kafka_conf_new(const orca__kafka_cfg *cfg, orca__kafka_role role,
                                      int64_t op_timeout_ms, orca_err *err);

/* Write PREFIX + queue into out (ORCA__KAFKA_TOPIC_MAX bytes). Returns 0
 * or ORCA_EINVAL when queue is empty or too long. */
int orca__kafka_topic_name(const orca__kafka_cfg *cfg, const char *queue, char *out);

/* Make sure topic exists: look it up in the metadata; when missing, create
 * it with cfg's partitions and replication (CreateTopics at the
 * controller), or, when the cluster names no live controller (librdkafka's
 * mock cluster), by asking for its metadata with auto-creation allowed.
 * Blocks up to timeout_ms. Returns 0, or ORCA_ECONNECT / ORCA_EBACKEND with
 * err naming the topic and Kafka's reason. */
int orca__kafka_topic_ensure(rd_kafka_t *rk, const orca__kafka_cfg *cfg, const char *topic,
                             int timeout_ms, orca_err *err);

/* Map a librdkafka error to ORCA_E*: transport and timeouts ECONNECT /
 * ETIMEDOUT, the rest EBACKEND. */
int orca__kafka_errno(rd_kafka_resp_err_t e);

/* ---- producer (kafka_producer.c) ---- */

typedef struct orca__kafka_producer {
  rd_kafka_t *rk;
  const orca__kafka_cfg *cfg; /* borrowed from the log */
  int64_t op_timeout_ms;
  char **topics; /* topics known to exist (checked or created once) */
  size_t ntopics, cap;
  /* the batch in flight: delivery reports still due and the first failure */
  uintptr_t batch; /* number of the batch, in each message's opaque */
  size_t pending;
  rd_kafka_resp_err_t first_err;
} orca__kafka_producer;

/* Connect a producer (idempotent, acks=all unless the properties say
 * otherwise). Returns 0 or ORCA_EURL (a bad property) / ORCA_ENOMEM. */
int orca__kafka_producer_open(orca__kafka_producer *p, const orca__kafka_cfg *cfg,
                              int64_t op_timeout_ms, orca_err *err);
void orca__kafka_producer_close(orca__kafka_producer *p);

/* One message to produce: key = task id, value = the envelope. */
typedef struct orca__kafka_msg {
  const char *queue;
  const char *key;
  const void *value;
  size_t value_len;
} orca__kafka_msg;

/* Make sure the topic of queue exists (once per producer). Returns 0 or an
 * error as orca__kafka_topic_ensure. */
int orca__kafka_producer_ensure(orca__kafka_producer *p, const char *queue, orca_err *err);

/* Produce n messages (topics created when missing), then flush once and
 * wait for every delivery report. Returns 0 only when every message was
 * acknowledged by the brokers (as acks= says); otherwise ORCA_ECONNECT /
 * ORCA_ETIMEDOUT / ORCA_EBACKEND with err saying why — some messages may
 * then be in the log (the caller may append them again). */
int orca__kafka_produce(orca__kafka_producer *p, const orca__kafka_msg *msgs, size_t n,
                        orca_err *err);

/* ---- offset tracker (kafka_tracker.c): no librdkafka calls ---- */

/* The deliveries of one partition this consumer handed out and not yet
 * committed, in offset order, each ended or not. */
typedef struct orca__kafka_part {
  char *topic;
  int32_t partition;
  uint32_t gen; /* assignment generation: bumped on every revoke */
  bool assigned;
  int64_t *offs; /* ring of delivered offsets, increasing */
  bool *ended;
  size_t head, n, cap;
  int64_t commit; /* next offset to commit (last ended prefix + 1), -1: none yet */
  bool dirty;     /* commit advanced since the last commit call */
} orca__kafka_part;

typedef struct orca__kafka_tracker {
  orca__kafka_part *parts;
  size_t nparts, cap;
  size_t inflight; /* delivered, not ended, of assigned partitions */
} orca__kafka_tracker;

void orca__kafka_tracker_init(orca__kafka_tracker *t);
void orca__kafka_tracker_free(orca__kafka_tracker *t);

/* The partition's entry, created (unassigned, gen 0) when absent; NULL on
 * ENOMEM. */
orca__kafka_part *orca__kafka_tracker_part(orca__kafka_tracker *t, const char *topic,
                                           int32_t partition);

/* The partition was assigned to this consumer: delivery starts afresh from
 * the committed offset. Returns 0 or ORCA_ENOMEM. */
int orca__kafka_tracker_assign(orca__kafka_tracker *t, const char *topic, int32_t partition);

/* The partition was taken away: every delivery not ended is forgotten (its
 * completion will be refused) and the generation bumped. The caller commits
 * the partition's `commit` first when dirty. */
void orca__kafka_tracker_revoke(orca__kafka_tracker *t, orca__kafka_part *p);

/* Record a delivery of offset. Returns 0 with *gen set, ORCA_ESTATE when
 * the partition is not assigned or the offset is not after the last one
 * handed out (a repeat: skip the message), or ORCA_ENOMEM. */
int orca__kafka_tracker_add(orca__kafka_tracker *t, const char *topic, int32_t partition,
                            int64_t offset, uint32_t *gen);

/* The delivery (topic, partition, offset) of generation gen ended: mark it,
 * and advance the partition's commit over the contiguous prefix of ended
 * deliveries (dirty when it moved). Returns 0, or ORCA_ELOST when the
 * delivery is not held (its partition was revoked since, or it is unknown
 * or already ended). */
int orca__kafka_tracker_end(orca__kafka_tracker *t, const char *topic, int32_t partition,
                            int64_t offset, uint32_t gen);

/* 0 when (topic, partition, offset, gen) is still held and not ended,
 * ORCA_ELOST otherwise. */
int orca__kafka_tracker_held(const orca__kafka_tracker *t, const char *topic, int32_t partition,
                             int64_t offset, uint32_t gen);

/* A delivery's ref string ("PARTITION:OFFSET:GEN") and back. parse returns
 * 0 or ORCA_EINVAL. */
void orca__kafka_ref_format(char *ref, size_t cap, int32_t partition, int64_t offset, uint32_t gen);
int orca__kafka_ref_parse(const char *ref, int32_t *partition, int64_t *offset, uint32_t *gen);

/* ---- consumer (kafka_consumer.c) ---- */

typedef struct orca__kafka_consumer {
  rd_kafka_t *rk;
  rd_kafka_queue_t *queue; /* the consumer queue, for interrupt */
  const orca__kafka_cfg *cfg;
  int64_t op_timeout_ms;
  char **topics; /* the subscription */
  size_t ntopics;
  orca__kafka_tracker tracker;
  size_t capacity; /* in-flight deliveries at which partitions are paused */
  bool paused;
  rd_kafka_message_t *stash; /* a message polled while paused, served first */
  orca_err last_err;         /* a consumer error seen in a callback */
} orca__kafka_consumer;

/* Join the consumer group cfg->group (no subscription yet). Returns 0 or
 * ORCA_EURL / ORCA_ENOMEM. */
int orca__kafka_consumer_open(orca__kafka_consumer *c, const orca__kafka_cfg *cfg,
                              int64_t op_timeout_ms, orca_err *err);
/* Commit what ended, leave the group, free everything. Deliveries not
 * ended are not committed: the partitions' next owners get them again. */
void orca__kafka_consumer_close(orca__kafka_consumer *c);

/* Subscribe to the topics of queues (created when missing) unless already
 * subscribed to exactly them. Returns 0 or an error. */
int orca__kafka_consumer_subscribe(orca__kafka_consumer *c, const char *const *queues, size_t n,
                                   orca_err *err);

/* Deliver up to max messages into slots (id = key, queue from the topic,
 * ref, deliveries 1, lease_until_us INT64_MAX, payload = value), waiting up
 * to wait_ms for the first. Resumes paused partitions; capacity = in-flight
 * + max is remembered for serve. Returns 0 with *got, or an error. */
int orca__kafka_consumer_fetch(orca__kafka_consumer *c, orca__lease *const *slots, size_t max,
                               int wait_ms, size_t *got, orca_err *err);

/* End the delivery of lease: 0, or ORCA_ELOST when not held (skipped). */
int orca__kafka_consumer_end(orca__kafka_consumer *c, const orca__lease *lease);

/* Commit every partition whose commit point moved (asynchronously unless
 * sync). Returns 0 or an error of a synchronous commit. */
int orca__kafka_consumer_commit(orca__kafka_consumer *c, bool sync);

/* Serve rebalance callbacks and keep the group membership alive while no
 * fetch happens (a poll; a message it returns is kept for the next fetch).
 * When the deliveries in flight fill the capacity the last fetch saw, every
 * assigned partition is paused first. */
void orca__kafka_consumer_serve(orca__kafka_consumer *c);

/* 0 when lease is still held, ORCA_ELOST when its partition was revoked
 * since it was delivered (or it ended). */
int orca__kafka_consumer_held(orca__kafka_consumer *c, const orca__lease *lease);

/* Wake a consumer_fetch blocked on another thread. */
void orca__kafka_consumer_interrupt(orca__kafka_consumer *c);

#endif
