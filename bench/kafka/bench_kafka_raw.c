/* bench_kafka_raw.c — the peer of the Kafka worker benchmark: plain
 * librdkafka doing what Orcastra's Kafka log does for a task, with nothing
 * around it. The producer sends N messages (key: a 26-byte id, value:
 * --bytes bytes, as an envelope) in batches, flushing each batch and waiting
 * for every delivery report (acks=all, idempotent: Orcastra's ack); then a
 * fresh consumer group reads them all, committing the offsets it consumed
 * after each poll batch. With --rate R the producer sends R messages per
 * second in batches of 10 beside the consumer, and every message's
 * produce-to-consume latency is measured.
 *
 * Usage: bench_kafka_raw --bootstrap LIST [--n N] [--bytes B] [--batch K]
 *                        [--rate R] [--topic T]
 * Prints `# ...` lines and `RESULT raw_kafka_enqueue_per_s X`,
 * `RESULT raw_kafka_process_per_s Y` (from the first message consumed to
 * the last: the group join is not counted), and with --rate
 * `RESULT raw_kafka_latency_p50_ms`/`_p99_ms`. Exit 1 when a message was
 * lost or a request failed, 2 on usage errors. */
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *bootstrap;
static long n_msgs = 50000, bytes = 96, batch = 1000, rate;
static char topic[128];

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static atomic_long dr_pending, dr_failed;
static int64_t *sent_ns; /* per message, for latencies */

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk, (void)opaque;
  if (m->err)
    atomic_fetch_add(&dr_failed, 1);
  atomic_fetch_sub(&dr_pending, 1);
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *group) {
  char why[512];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  const char *common[][2] = {{"bootstrap.servers", bootstrap}, {"log_level", "3"}};
  const char *prod[][2] = {{"acks", "all"}, {"enable.idempotence", "true"}, {"linger.ms", "2"}};
  const char *cons[][2] = {{"group.id", group},
                           {"enable.auto.commit", "false"},
                           {"auto.offset.reset", "earliest"},
                           {"fetch.wait.max.ms", "10"}};
  for (size_t i = 0; i < 2; i++)
    rd_kafka_conf_set(c, common[i][0], common[i][1], why, sizeof why);
  if (type == RD_KAFKA_PRODUCER) {
    for (size_t i = 0; i < 3; i++)
      rd_kafka_conf_set(c, prod[i][0], prod[i][1], why, sizeof why);
    rd_kafka_conf_set_dr_msg_cb(c, on_dr);
  } else {
    for (size_t i = 0; i < 4; i++)
      rd_kafka_conf_set(c, cons[i][0], cons[i][1], why, sizeof why);
  }
  rd_kafka_t *rk = rd_kafka_new(type, c, why, sizeof why);
  if (!rk) {
    fprintf(stderr, "bench_kafka_raw: %s\n", why);
    exit(1);
  }
  return rk;
}

typedef struct prod_result {
  int64_t t0, t1;
  long failed;
} prod_result;

/* Produce messages 0..N-1; the key holds the number, zero-padded to 26. */
static void *produce_all(void *arg) {
  prod_result *r = arg;
  rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
  char *value = calloc(1, (size_t)bytes);
  long k = rate ? 10 : batch;
  int64_t step = rate ? 1000000000LL * k / rate : 0;
  r->t0 = mono_ns();
  for (long base = 0; base < n_msgs; base += k) {
    if (rate) {
      int64_t due = r->t0 + step * (base / k), now = mono_ns();
      if (due > now) {
        struct timespec ts = {(time_t)((due - now) / 1000000000), (long)((due - now) % 1000000000)};
        nanosleep(&ts, NULL); /* pacing the offered load, not a synchronization */
      }
    }
    long end = base + k < n_msgs ? base + k : n_msgs;
    for (long i = base; i < end; i++) {
      char key[27];
      snprintf(key, sizeof key, "%026ld", i);
      memcpy(value, &i, sizeof i < (size_t)bytes ? sizeof i : (size_t)bytes);
      if (sent_ns)
        sent_ns[i] = mono_ns();
      atomic_fetch_add(&dr_pending, 1);
      while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, 26),
                               RD_KAFKA_V_VALUE(value, (size_t)bytes),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 10);
    }
    while (atomic_load(&dr_pending) > 0) /* the batch's acknowledgement */
      rd_kafka_flush(rk, 100);
  }
  r->t1 = mono_ns();
  r->failed = atomic_load(&dr_failed);
  rd_kafka_destroy(rk);
  free(value);
  return NULL;
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  snprintf(topic, sizeof topic, "raw.bench.%ld", (long)getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (!strcmp(a, "--bootstrap"))
      bootstrap = v;
    else if (!strcmp(a, "--n"))
      n_msgs = atol(v);
    else if (!strcmp(a, "--bytes"))
      bytes = atol(v);
    else if (!strcmp(a, "--batch"))
      batch = atol(v);
    else if (!strcmp(a, "--rate"))
      rate = atol(v);
    else if (!strcmp(a, "--topic"))
      snprintf(topic, sizeof topic, "%s", v);
    else {
      fprintf(stderr, "bench_kafka_raw: unknown option %s\n", a);
      return 2;
    }
  }
  if (!bootstrap || n_msgs < 1 || bytes < 8 || batch < 1 || rate < 0 || (argc % 2) == 0) {
    fprintf(stderr, "usage: bench_kafka_raw --bootstrap LIST [--n N] [--bytes B] [--batch K] "
                    "[--rate R] [--topic T]\n");
    return 2;
  }
  unsigned char *seen = calloc((size_t)n_msgs, 1);
  int64_t *lat = rate ? calloc((size_t)n_msgs, sizeof *lat) : NULL;
  if (rate)
    sent_ns = calloc((size_t)n_msgs, sizeof *sent_ns);

  /* The topic exists before the consumer subscribes (the producer's
   * metadata request creates it on the mock). */
  rd_kafka_t *pre = client(RD_KAFKA_PRODUCER, NULL);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(pre, topic, NULL);
  const struct rd_kafka_metadata *md;
  if (rd_kafka_metadata(pre, 0, rkt, &md, 5000) == 0)
    rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(pre);

  prod_result pr = {0};
  pthread_t pt;
  if (!rate)
    produce_all(&pr);

  char group[160];
  snprintf(group, sizeof group, "%s.group", topic);
  rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, group);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, sub);
  rd_kafka_topic_partition_list_destroy(sub);
  if (rate) { /* latency: the paced producer starts once the group has its partitions */
    rd_kafka_topic_partition_list_t *a = NULL;
    for (int64_t t = mono_ns(); mono_ns() - t < 30 * 1000000000LL;) {
      rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
      if (m)
        rd_kafka_message_destroy(m);
      if (rd_kafka_assignment(rk, &a) == 0 && a && a->cnt > 0)
        break;
      if (a)
        rd_kafka_topic_partition_list_destroy(a);
      a = NULL;
    }
    if (a)
      rd_kafka_topic_partition_list_destroy(a);
    pthread_create(&pt, NULL, produce_all, &pr);
  }
  long got = 0, dups = 0;
  int64_t next_off[256] = {0};
  int64_t first = 0, last = 0, t_start = mono_ns();
  while (got < n_msgs && mono_ns() - t_start < 120 * 1000000000LL) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    bool any = false;
    while (m) {
      if (!m->err && m->key_len == 26) {
        long i = atol((const char *)m->key);
        int64_t now = mono_ns();
        if (!first)
          first = now;
        last = now;
        if (i >= 0 && i < n_msgs) {
          if (seen[i]++)
            dups++;
          else
            got++;
          if (lat)
            lat[i] = now - sent_ns[i];
        }
        if (m->partition >= 0 && m->partition < 256)
          next_off[m->partition] = m->offset + 1;
        any = true;
      }
      rd_kafka_message_destroy(m);
      m = got < n_msgs ? rd_kafka_consumer_poll(rk, 0) : NULL;
    }
    if (any) { /* what was consumed, asynchronously, as the Kafka log commits */
      rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
      for (int p = 0; p < 256; p++)
        if (next_off[p] > 0)
          rd_kafka_topic_partition_list_add(l, topic, p)->offset = next_off[p];
      rd_kafka_commit(rk, l, 1);
      rd_kafka_topic_partition_list_destroy(l);
    }
  }
  if (rate)
    pthread_join(pt, NULL);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);

  double enq_s = (double)(pr.t1 - pr.t0) / 1e9;
  double proc_s = (double)(last - first) / 1e9;
  printf("# raw librdkafka: produced %ld (%ld B values, %s) in %.3f s: %.0f/s\n", n_msgs, bytes,
         rate ? "paced" : "batches flushed and acknowledged", enq_s, (double)n_msgs / enq_s);
  printf("# raw librdkafka: consumed %ld in %.3f s after the join: %.0f/s (%ld duplicates)\n", got,
         proc_s, proc_s > 0 ? (double)got / proc_s : 0, dups);
  int failed = got != n_msgs || pr.failed;
  if (failed)
    fprintf(stderr, "bench_kafka_raw: %ld of %ld consumed, %ld delivery failures\n", got, n_msgs,
            pr.failed);
  if (!rate) {
    printf("RESULT raw_kafka_enqueue_per_s %.0f\n", (double)n_msgs / enq_s);
    printf("RESULT raw_kafka_process_per_s %.0f\n", proc_s > 0 ? (double)got / proc_s : 0);
  } else {
    qsort(lat, (size_t)n_msgs, sizeof *lat, cmp64);
    printf("RESULT raw_kafka_latency_p50_ms %.2f\n", (double)lat[n_msgs / 2] / 1e6);
    printf("RESULT raw_kafka_latency_p99_ms %.2f\n", (double)lat[n_msgs * 99 / 100] / 1e6);
  }
  free(seen);
  free(lat);
  free(sent_ns);
  return failed;
}
