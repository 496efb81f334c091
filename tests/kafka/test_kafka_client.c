/* test_kafka_client.c — the Kafka log's producer and consumer group on a
 * cluster (librdkafka's mock, 3 brokers, or ORCA_TEST_KAFKA): appends are
 * acknowledged and delivered with their keys and bytes; offsets are
 * committed only over the contiguous prefix of ended deliveries (a new
 * member of the group gets exactly the rest again); partitions are paused
 * while in-flight is full; a rebalance revokes what was handed out (never
 * held again) after committing what ended; and with a broker down, failing
 * produce requests and a leader change, every acknowledged append is
 * delivered. About 15 s, most of it group joins. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/kafka/kafka_internal.h"
#include "kafka_cluster.h"

#define MAXN 400

typedef struct fx {
  orca_test_kafka k;
  orca__kafka_cfg cfg;
  orca__kafka_producer prod;
  orca__lease leases[MAXN];
  orca__lease *slots[MAXN];
} fx;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **st) {
  fx *f = calloc(1, sizeof *f);
  if (!f || orca_test_kafka_start(&f->k))
    return -1;
  orca_err err = {0};
  const char *url = orca_test_kafka_url(&f->k, "g", "session.timeout.ms=6000");
  if (orca__kafka_cfg_parse(url, &f->cfg, &err) ||
      orca__kafka_producer_open(&f->prod, &f->cfg, 5000, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  for (size_t i = 0; i < MAXN; i++)
    f->slots[i] = &f->leases[i];
  *st = f;
  return 0;
}

static int teardown(void **st) {
  fx *f = *st;
  orca__kafka_producer_close(&f->prod);
  orca__kafka_cfg_free(&f->cfg);
  for (size_t i = 0; i < MAXN; i++)
    orca_buf_free(&f->leases[i].payload);
  orca_test_kafka_stop(&f->k);
  free(f);
  return 0;
}

/* Produce ids PREFIX000.. (value "v" + id) to queue q; 0 when acknowledged. */
static int produce(fx *f, const char *prefix, int from, int n) {
  static char ids[MAXN][32];
  static char vals[MAXN][40];
  orca__kafka_msg m[MAXN];
  for (int i = 0; i < n; i++) {
    snprintf(ids[i], sizeof ids[i], "%s%03d", prefix, from + i);
    vals[i][0] = 'v';
    memcpy(vals[i] + 1, ids[i], strlen(ids[i]) + 1);
    m[i] = (orca__kafka_msg){"q", ids[i], vals[i], strlen(vals[i])};
  }
  orca_err err = {0};
  int rc = orca__kafka_produce(&f->prod, m, (size_t)n, &err);
  if (rc)
    fprintf(stderr, "produce: %s\n", err.msg);
  return rc;
}

static void open_consumer(fx *f, orca__kafka_consumer *c) {
  orca_err err = {0};
  assert_int_equal(orca__kafka_producer_ensure(&f->prod, "q", &err), 0);
  assert_int_equal(orca__kafka_consumer_open(c, &f->cfg, 5000, &err), 0);
  const char *qs[] = {"q"};
  assert_int_equal(orca__kafka_consumer_subscribe(c, qs, 1, &err), 0);
}

/* Fetch into slots[from..] until want deliveries came (or 30 s passed);
 * returns how many. */
static size_t fetch_until(orca__kafka_consumer *c, orca__lease *const *slots, size_t want) {
  size_t have = 0;
  int64_t end = now_ms() + 30000;
  while (have < want && now_ms() < end) {
    size_t got = 0;
    orca_err err = {0};
    assert_int_equal(orca__kafka_consumer_fetch(c, slots + have, want - have, 200, &got, &err), 0);
    have += got;
  }
  return have;
}

static void part_off(const orca__lease *l, int32_t *p, int64_t *o) {
  uint32_t g;
  assert_int_equal(orca__kafka_ref_parse(l->ref, p, o, &g), 0);
}

/* Ids and bytes arrive; a gap in the ended deliveries holds back the
 * commit of everything after it in its partition, and only that. */
static void prefix_commit(void **st) {
  fx *f = *st;
  enum { N = 40 };
  assert_int_equal(produce(f, "t", 0, N), 0);
  orca__kafka_consumer c;
  open_consumer(f, &c);
  assert_int_equal(fetch_until(&c, f->slots, N), N);
  bool seen[N] = {0};
  for (size_t i = 0; i < N; i++) {
    int id = atoi(f->slots[i]->id + 1);
    assert_false(seen[id]);
    seen[id] = true;
    assert_string_equal(f->slots[i]->queue, "q");
    assert_int_equal(f->slots[i]->payload.len, strlen(f->slots[i]->id) + 1);
    assert_memory_equal(f->slots[i]->payload.data + 1, f->slots[i]->id, strlen(f->slots[i]->id));
    assert_int_equal(f->slots[i]->lease_until_us, INT64_MAX);
  }
  /* Hold back the first delivery of slot 0's partition; end the rest. */
  int32_t gp, p;
  int64_t go = INT64_MAX, o;
  part_off(f->slots[0], &gp, &o);
  for (size_t i = 0; i < N; i++) {
    part_off(f->slots[i], &p, &o);
    if (p == gp && o < go)
      go = o;
  }
  size_t again = 0;
  for (size_t i = 0; i < N; i++) {
    part_off(f->slots[i], &p, &o);
    if (p == gp && o >= go)
      again++;
    if (!(p == gp && o == go))
      assert_int_equal(orca__kafka_consumer_end(&c, f->slots[i]), 0);
  }
  assert_int_equal(orca__kafka_consumer_commit(&c, true), 0);
  orca__kafka_consumer_close(&c);

  /* The next member gets the held-back one and what followed it. */
  orca__kafka_consumer c2;
  open_consumer(f, &c2);
  assert_int_equal(fetch_until(&c2, f->slots, again), again);
  for (size_t i = 0; i < again; i++) {
    part_off(f->slots[i], &p, &o);
    assert_int_equal(p, gp);
    assert_true(o >= go);
  }
  size_t more = 0;
  orca_err err = {0};
  assert_int_equal(orca__kafka_consumer_fetch(&c2, f->slots, 8, 500, &more, &err), 0);
  assert_int_equal(more, 0);
  orca__kafka_consumer_close(&c2);
}

/* In-flight full, noticed while the worker is busy (serve, on a renewal),
 * pauses the assignment; the next fetch resumes it. */
static void pause_when_full(void **st) {
  fx *f = *st;
  assert_int_equal(produce(f, "p", 0, 10), 0);
  orca__kafka_consumer c;
  open_consumer(f, &c);
  assert_int_equal(fetch_until(&c, f->slots, 3), 3);
  assert_int_equal(c.capacity, 3);
  assert_false(c.paused);
  orca__kafka_consumer_serve(&c);
  assert_true(c.paused);
  rd_kafka_topic_partition_list_t *l = NULL;
  assert_int_equal(rd_kafka_assignment(c.rk, &l), 0);
  assert_true(l->cnt > 0);
  rd_kafka_topic_partition_list_destroy(l);
  orca__kafka_consumer_serve(&c); /* still full: stays paused, takes no message */
  assert_true(c.paused);
  assert_null(c.stash);
  assert_int_equal(orca__kafka_consumer_end(&c, f->slots[1]), 0);
  assert_int_equal(orca__kafka_consumer_commit(&c, false), 0);
  /* the rest comes after the resume */
  size_t rest = fetch_until(&c, f->slots + 3, 7);
  assert_int_equal(rest, 7);
  assert_false(c.paused);
  orca__kafka_consumer_close(&c);
}

/* A second member joins: the first, serving the rebalance while busy,
 * commits what ended and never holds its earlier deliveries again. */
static void rebalance_revokes(void **st) {
  fx *f = *st;
  assert_int_equal(produce(f, "r", 0, 20), 0);
  orca__kafka_consumer c1, c2;
  open_consumer(f, &c1);
  assert_int_equal(fetch_until(&c1, f->slots, 20), 20);
  assert_int_equal(orca__kafka_consumer_end(&c1, f->slots[0]), 0);
  assert_int_equal(orca__kafka_consumer_commit(&c1, false), 0);
  open_consumer(f, &c2);
  int64_t end = now_ms() + 30000;
  bool lost = false;
  size_t got2 = 0;
  while (!lost && now_ms() < end) {
    orca__kafka_consumer_serve(&c1);
    lost = orca__kafka_consumer_held(&c1, f->slots[1]) == ORCA_ELOST;
    size_t got = 0;
    orca_err err = {0};
    assert_int_equal(
        orca__kafka_consumer_fetch(&c2, f->slots + 20 + got2, 20 - got2, 100, &got, &err), 0);
    got2 += got;
  }
  assert_true(lost);
  for (size_t i = 1; i < 20; i++) {
    assert_int_equal(orca__kafka_consumer_held(&c1, f->slots[i]), ORCA_ELOST);
    assert_int_equal(orca__kafka_consumer_end(&c1, f->slots[i]), ORCA_ELOST);
  }
  assert_int_equal(c1.tracker.inflight, 0);
  /* Between them the two members get the 19 that did not end again (c1's
   * ended one was committed before the revoke, so nobody gets it). */
  size_t got1 = 0;
  end = now_ms() + 30000;
  while (got1 + got2 < 19 && now_ms() < end) {
    size_t got = 0;
    orca_err err = {0};
    assert_int_equal(orca__kafka_consumer_fetch(&c1, f->slots + 40 + got1, 19, 50, &got, &err), 0);
    got1 += got;
    assert_int_equal(
        orca__kafka_consumer_fetch(&c2, f->slots + 20 + got2, 20 - got2, 50, &got, &err), 0);
    got2 += got;
  }
  assert_int_equal(got1 + got2, 19);
  for (size_t i = 0; i < got1; i++)
    assert_string_not_equal(f->slots[40 + i]->id, f->slots[0]->id);
  for (size_t i = 0; i < got2; i++)
    assert_string_not_equal(f->slots[20 + i]->id, f->slots[0]->id);
  orca__kafka_consumer_close(&c2);
  orca__kafka_consumer_close(&c1);
}

typedef struct outage {
  fx *f;
  int rc;
} outage;

static void *produce_during_outage(void *arg) {
  outage *o = arg;
  o->rc = produce(o->f, "b", 100, 50);
  return NULL;
}

/* Faults from the mock: a broker down while a batch is produced, produce
 * requests failing, a partition's leader moving. Every batch that was
 * acknowledged is delivered, every id of it. */
static void faults_lose_no_ack(void **st) {
  fx *f = *st;
  if (!f->k.mock)
    skip(); /* fault injection needs the mock cluster */
  bool acked[300] = {0};
  assert_int_equal(produce(f, "b", 0, 50), 0); /* creates the topic */
  for (int i = 0; i < 50; i++)
    acked[i] = true;
  /* A broker down for a while: the batch waits for it and is acknowledged. */
  rd_kafka_mock_broker_set_down(f->k.mock, 2);
  outage o = {f, -1};
  pthread_t th;
  pthread_create(&th, NULL, produce_during_outage, &o);
  struct timespec pause_ts = {0, 300 * 1000000L}; /* the outage's length, not a wait for an event */
  nanosleep(&pause_ts, NULL);
  rd_kafka_mock_broker_set_up(f->k.mock, 2);
  pthread_join(th, NULL);
  for (int i = 100; i < 150 && o.rc == 0; i++)
    acked[i] = true;
  /* Produce requests fail (retriable errors): retried, no duplicates. */
  rd_kafka_mock_push_request_errors(
      f->k.mock, 0 /* Produce */, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
  assert_int_equal(produce(f, "b", 150, 50), 0);
  for (int i = 150; i < 200; i++)
    acked[i] = true;
  /* Every partition's leader moves to another broker. */
  char topic[ORCA__KAFKA_TOPIC_MAX];
  assert_int_equal(orca__kafka_topic_name(&f->cfg, "q", topic), 0);
  for (int32_t p = 0; p < 4; p++)
    rd_kafka_mock_partition_set_leader(f->k.mock, topic, p, 1 + (p + 1) % 3);
  assert_int_equal(produce(f, "b", 200, 50), 0);
  for (int i = 200; i < 250; i++)
    acked[i] = true;
  size_t want = 0;
  for (int i = 0; i < 300; i++)
    want += acked[i];
  orca__kafka_consumer c;
  open_consumer(f, &c);
  size_t have = fetch_until(&c, f->slots, want < MAXN ? want : MAXN);
  bool got[300] = {0};
  for (size_t i = 0; i < have; i++) {
    int id = atoi(f->slots[i]->id + 1);
    assert_true(id >= 0 && id < 300);
    got[id] = true;
  }
  for (int i = 0; i < 300; i++)
    if (acked[i] && !got[i])
      fail_msg("acknowledged append b%03d was not delivered", i);
  orca__kafka_consumer_close(&c);
}

int main(void) {
  if (orca_test_kafka_disabled())
    return 0;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(prefix_commit, setup, teardown),
      cmocka_unit_test_setup_teardown(pause_when_full, setup, teardown),
      cmocka_unit_test_setup_teardown(rebalance_revokes, setup, teardown),
      cmocka_unit_test_setup_teardown(faults_lose_no_ack, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
