/* cases_cluster.c — conformance cases for what the peer network asks of a
 * backend: releasing every lease of a worker declared dead
 * (release_worker) and the advertisements workers find each other by
 * (peer_ads). A backend without them (NULL ops, such as a Redis store, or
 * ORCA_ENOTSUP) skips these cases; a Redis Cluster runs them (one script
 * call per queue's slot, the advertisements under one hash tag). */
#include <string.h>

#include "fixture.h"

/* The worker "dead" holds one task in each of two queues and "alive" one;
 * releasing "dead" gives back its two at once (no clock move), counted as
 * deliveries; its completions and renewals are then refused like those of
 * an expired lease, and "alive" keeps its task. Run on fused and composed
 * backends alike. */
static void release_worker_gives_back(void **state) {
  cf *f = *state;
  size_t probe = 0; /* ENOTSUP: a backend with the op but not this way */
  if (!f->ops->release_worker || f->ops->release_worker(f->b, "nobody", &probe) == ORCA_ENOTSUP)
    skip();
  orca__job jobs[3] = {cf_job("d1", "qa", 0, 0, "p1"), cf_job("d2", "qb", 0, 0, "p2"),
                       cf_job("a1", "qa", 0, 0, "p3")};
  orca__enqueue_result res[3];
  assert_int_equal(f->ops->enqueue(f->b, jobs, 3, res), 0);
  const char *both[2] = {"qa", "qb"};
  assert_int_equal(cf_fetch(f, f->b, both, 2, "dead", 600 * CF_SEC, 1), 1);
  orca__lease held[2] = {*f->slots[0]};
  assert_int_equal(cf_fetch(f, f->b, both + 1, 1, "dead", 600 * CF_SEC, 1), 1);
  held[1] = *f->slots[0];
  held[0].payload = held[1].payload = (orca_buf)ORCA_BUF_INIT;
  assert_int_equal(cf_fetch1(f, "qa", "alive", 600 * CF_SEC, 1), 1);
  assert_string_equal(f->slots[0]->id, "a1");

  size_t n = 99;
  assert_int_equal(f->ops->release_worker(f->b, "nobody", &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(f->ops->release_worker(f->b, "dead", &n), 0);
  assert_int_equal(n, 2);
  /* What state_get says between the release and the next fetch is not
   * fixed (a fused table says pending; a composed one's store learns at
   * the next delivery); "alive" keeps its task either way. */
  orca_task_info info;
  cf_state(f, "a1", &info);
  assert_int_equal(info.state, ORCA_STATE_RUNNING);
  assert_string_equal(info.worker, "alive");
  cf_info_free(&info);

  /* Another worker gets them now, as second deliveries (one queue at a
   * time: a fetch may stop at the first queue that gives something). */
  for (int i = 0; i < 2; i++) {
    assert_int_equal(cf_fetch(f, f->b, both + i, 1, "w2", 600 * CF_SEC, 8), 1);
    assert_string_equal(f->slots[0]->id, i == 0 ? "d1" : "d2");
    assert_int_equal(f->slots[0]->deliveries, 2);
  }
  /* The released worker's renewals and completions are refused. */
  orca__lease *hp[2] = {&held[0], &held[1]};
  int st[2] = {1, 1};
  assert_int_equal(f->ops->extend(f->b, hp, 2, "dead", 600 * CF_SEC, st), 0);
  assert_int_equal(st[0], ORCA_ELOST);
  assert_int_equal(st[1], ORCA_ELOST);
  orca__completion c[2] = {cf_done(&held[0], ORCA__ACK, "dead"),
                           cf_done(&held[1], ORCA__ACK, "dead")};
  assert_int_equal(f->ops->complete(f->b, c, 2), 0);
  for (int i = 0; i < 2; i++) {
    cf_state(f, held[i].id, &info);
    assert_int_equal(info.state, ORCA_STATE_RUNNING);
    assert_string_equal(info.worker, "w2");
    cf_info_free(&info);
  }
  /* Nothing left to release. */
  assert_int_equal(f->ops->release_worker(f->b, "dead", &n), 0);
  assert_int_equal(n, 0);
}

/* A running task whose cancel was requested is cancelled, not handed to
 * another worker (by the release itself, or at the next delivery). */
static void release_worker_cancelled(void **state) {
  cf *f = *state;
  size_t probe = 0; /* ENOTSUP: a backend with the op but not this way */
  if (!f->ops->release_worker || f->ops->release_worker(f->b, "nobody", &probe) == ORCA_ENOTSUP)
    skip();
  orca__job j = cf_job("cx", "q", 0, 0, "p");
  cf_enqueue1(f, &j, 0);
  assert_int_equal(cf_fetch1(f, "q", "dead", 600 * CF_SEC, 1), 1);
  assert_int_equal(f->ops->cancel(f->b, "cx"), 0);
  size_t n = 0;
  assert_int_equal(f->ops->release_worker(f->b, "dead", &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(cf_fetch1(f, "q", "w2", 600 * CF_SEC, 1), 0);
  orca_task_info info;
  cf_state(f, "cx", &info);
  assert_int_equal(info.state, ORCA_STATE_CANCELLED);
  cf_info_free(&info);
}

typedef struct ads {
  int n;
  orca__peer_ad v[8];
} ads;

static int collect(void *ud, const orca__peer_ad *ad) {
  ads *a = ud;
  if (a->n < 8)
    a->v[a->n] = *ad;
  a->n++;
  return 0;
}

static orca__peer_ad ad_of(const char *id, const char *addr, bool sealed) {
  orca__peer_ad ad;
  memset(&ad, 0, sizeof ad);
  strcpy(ad.id, id);
  strcpy(ad.addr, addr);
  strcpy(ad.host, "hostA");
  ad.sealed = sealed;
  return ad;
}

/* One cluster id per backend, stable across handles; records live for
 * their TTL, are listed to everyone but their owner, and go with ttl 0. */
static void peer_ads_ttl(void **state) {
  cf *f = *state;
  char id1[ORCA__CLUSTER_ID_MAX], id2[ORCA__CLUSTER_ID_MAX];
  if (!f->ops->peer_ads || f->ops->peer_ads(f->b, NULL, 0, id1, NULL, NULL) == ORCA_ENOTSUP)
    skip();
  ads got = {0};
  assert_int_equal(f->ops->peer_ads(f->b, NULL, 0, id1, collect, &got), 0);
  assert_int_equal(got.n, 0);
  assert_int_equal(strlen(id1), 32);
  orca__backend *b2 = cf_open_again(f);
  orca__peer_ad a = ad_of("wa", "127.0.0.1:4001", false), b = ad_of("wb", "[::1]:4002", true);
  assert_int_equal(b2->ops->peer_ads(b2, &a, 10 * CF_SEC, id2, collect, &got), 0);
  assert_string_equal(id1, id2);
  assert_int_equal(got.n, 0);
  cf_advance(f, 5 * CF_SEC);
  assert_int_equal(f->ops->peer_ads(f->b, &b, 10 * CF_SEC, id2, collect, &got), 0);
  assert_string_equal(id1, id2);
  assert_int_equal(got.n, 1); /* wa, not wb itself */
  assert_string_equal(got.v[0].id, "wa");
  assert_string_equal(got.v[0].addr, "127.0.0.1:4001");
  assert_string_equal(got.v[0].host, "hostA");
  assert_false(got.v[0].sealed);
  assert_int_equal(got.v[0].expires_us, CF_T0 + 10 * CF_SEC);
  memset(&got, 0, sizeof got);
  assert_int_equal(f->ops->peer_ads(f->b, NULL, 0, id2, collect, &got), 0);
  assert_int_equal(got.n, 2);
  /* wa's record runs out, wb's is refreshed. */
  cf_advance(f, 6 * CF_SEC);
  memset(&got, 0, sizeof got);
  assert_int_equal(f->ops->peer_ads(f->b, &b, 10 * CF_SEC, id2, collect, &got), 0);
  assert_int_equal(got.n, 0);
  memset(&got, 0, sizeof got);
  assert_int_equal(b2->ops->peer_ads(b2, NULL, 0, id2, collect, &got), 0);
  assert_int_equal(got.n, 1);
  assert_string_equal(got.v[0].id, "wb");
  assert_true(got.v[0].sealed);
  assert_string_equal(got.v[0].addr, "[::1]:4002");
  /* ttl 0 removes. */
  assert_int_equal(f->ops->peer_ads(f->b, &b, 0, id2, NULL, NULL), 0);
  memset(&got, 0, sizeof got);
  assert_int_equal(b2->ops->peer_ads(b2, NULL, 0, id2, collect, &got), 0);
  assert_int_equal(got.n, 0);
  assert_string_equal(id1, id2);
  orca__backend_close(b2);
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, cf_setup, cf_teardown)
const struct CMUnitTest cf_cluster_cases[] = {
    CASE(release_worker_gives_back),
    CASE(release_worker_cancelled),
    CASE(peer_ads_ttl),
};
const size_t cf_cluster_ncases = sizeof cf_cluster_cases / sizeof cf_cluster_cases[0];
