/* test_peer_parts.c — the protocol's pure parts, each alone: Lifeguard's
 * suspicion timeout, the local health score, the piggyback queue, the
 * member table with its probe round, and rendezvous hashing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "peer/awareness.h"
#include "peer/broadcast.h"
#include "peer/members.h"
#include "peer/rendezvous.h"
#include "peer/suspicion.h"

static void test_suspicion(void **state) {
  (void)state;
  int64_t min, max;
  /* N <= 10: log10 N counts as 1. 200 ms × 4 = 0.8 s, × 6 = 4.8 s. */
  orca__suspicion_bounds(200000, 4, 6, 5, &min, &max);
  assert_int_equal(min, 800000);
  assert_int_equal(max, 4800000);
  orca__suspicion_bounds(200000, 4, 6, 100, &min, &max);
  assert_int_equal(min, 1600000);
  orca__suspicion_bounds(200000, 4, 6, 50, &min, &max);
  assert_true(llabs(min - (int64_t)(4 * log10(50) * 200000)) <= 1);
  /* k = mult - 2 confirmations, fewer when the cluster has no one left. */
  assert_int_equal(orca__suspicion_k(4, 50), 2);
  assert_int_equal(orca__suspicion_k(4, 4), 2);
  assert_int_equal(orca__suspicion_k(4, 3), 0);
  assert_int_equal(orca__suspicion_k(2, 50), 0);

  /* Falls from max to min as confirmations arrive, logarithmically. */
  assert_int_equal(orca__suspicion_timeout(800000, 4800000, 2, 0), 4800000);
  int64_t one = orca__suspicion_timeout(800000, 4800000, 2, 1);
  assert_true(llabs(one - (int64_t)(4800000 - 4000000 * log(2) / log(3))) <= 1);
  assert_int_equal(orca__suspicion_timeout(800000, 4800000, 2, 2), 800000);
  assert_int_equal(orca__suspicion_timeout(800000, 4800000, 0, 0), 800000);

  orca__suspicion s;
  orca__suspicion_start(&s, 1000, 2, 800000, 4800000, 11);
  assert_int_equal(orca__suspicion_deadline(&s), 1000 + 4800000);
  assert_false(orca__suspicion_confirm(&s, 11)); /* the raiser does not confirm */
  assert_true(orca__suspicion_confirm(&s, 22));
  assert_false(orca__suspicion_confirm(&s, 22)); /* once per member */
  assert_int_equal(orca__suspicion_deadline(&s), 1000 + one);
  assert_true(orca__suspicion_confirm(&s, 33));
  assert_false(orca__suspicion_confirm(&s, 44)); /* k reached */
  assert_int_equal(orca__suspicion_deadline(&s), 1000 + 800000);
}

static void test_awareness(void **state) {
  (void)state;
  orca__awareness a;
  orca__awareness_init(&a, 8);
  assert_int_equal(orca__awareness_scale(&a, 100), 100);
  assert_int_equal(orca__awareness_apply(&a, 3), 3);
  assert_int_equal(orca__awareness_scale(&a, 100), 400);
  assert_int_equal(orca__awareness_apply(&a, 100), 7); /* max - 1 */
  assert_int_equal(orca__awareness_scale(&a, 100), 800);
  assert_int_equal(orca__awareness_apply(&a, -100), 0);
}

static size_t room;
static char taken[64][16];
static size_t ntaken;

static bool put(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  if (len > room)
    return false;
  room -= len;
  memcpy(taken[ntaken], data, len);
  taken[ntaken][len] = '\0';
  ntaken++;
  return true;
}

static void fill(orca__bcast *q, size_t r, uint32_t limit) {
  room = r;
  ntaken = 0;
  orca__bcast_fill(q, limit, put, NULL);
}

static void test_broadcast(void **state) {
  (void)state;
  orca__bcast q = ORCA__BCAST_INIT;
  orca__bcast_push(&q, "a", 1, (const uint8_t *)"a1", 2);
  orca__bcast_push(&q, "b", 1, (const uint8_t *)"b1", 2);
  orca__bcast_push(&q, "c", 1, (const uint8_t *)"c1", 2);
  /* Newest first among equally sent items; what does not fit waits. */
  fill(&q, 4, 3);
  assert_int_equal(ntaken, 2);
  assert_string_equal(taken[0], "c1");
  assert_string_equal(taken[1], "b1");
  /* Least sent first: a1 (0 sends) before c1 and b1 (1 each). */
  fill(&q, 2, 3);
  assert_string_equal(taken[0], "a1");
  /* Newer news about a member replaces the old and starts again at 0. */
  orca__bcast_push(&q, "b", 1, (const uint8_t *)"b2!", 3);
  assert_int_equal(orca__bcast_len(&q), 3);
  fill(&q, 100, 3);
  assert_int_equal(ntaken, 3);
  assert_string_equal(taken[0], "b2!");
  /* After `limit` (3) sends an item is gone: c1 and a1 go with their third
   * send, b2 two fills later. */
  assert_true(orca__bcast_has(&q, "b", 1));
  fill(&q, 100, 3);
  fill(&q, 100, 3);
  assert_false(orca__bcast_has(&q, "a", 1));
  assert_int_equal(orca__bcast_len(&q), 0);
  fill(&q, 100, 3);
  assert_int_equal(ntaken, 0);
  orca__bcast_free(&q);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void *ctx) {
  (void)ctx;
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void test_members(void **state) {
  (void)state;
  orca__members t;
  orca__members_init(&t, 40);
  orca__member *self = orca__members_add(&t, "self", 4, 0);
  assert_non_null(self);
  char id[16];
  for (int i = 0; i < 30; i++) {
    snprintf(id, sizeof id, "m%d", i);
    assert_non_null(orca__members_add(&t, id, strlen(id), next_rand(NULL)));
  }
  assert_int_equal(orca__members_live(&t), 31);
  assert_string_equal(orca__members_find(&t, "m7", 2)->id, "m7");
  assert_null(orca__members_find(&t, "m99", 3));

  /* Every round probes every other live member exactly once. */
  orca__member *dead = orca__members_find(&t, "m3", 2);
  orca__members_set_state(&t, dead, ORCA__M_DEAD, 5);
  assert_int_equal(orca__members_live(&t), 30);
  assert_int_equal(t.count[ORCA__M_DEAD], 1);
  for (int round = 0; round < 3; round++) {
    int seen[30] = {0};
    for (int i = 0; i < 29; i++) {
      orca__member *m = orca__members_next_probe(&t, 0, true, next_rand, NULL);
      assert_non_null(m);
      assert_ptr_not_equal(m, self);
      assert_ptr_not_equal(m, dead);
      seen[atoi(m->id + 1)]++;
    }
    for (int i = 0; i < 30; i++)
      assert_int_equal(seen[i], i == 3 ? 0 : 1);
  }

  /* A suspect due for a probe goes first, out of its turn. */
  orca__member *s = orca__members_find(&t, "m9", 2);
  orca__members_set_state(&t, s, ORCA__M_SUSPECT, 5);
  s->probe_at = 100;
  assert_ptr_equal(orca__members_next_probe(&t, 100, true, next_rand, NULL), s);
  assert_ptr_equal(orca__members_next_probe(&t, 100, true, next_rand, NULL), s);
  /* Not yet due, or suspects skipped: only in its turn, once a round. */
  for (int pass = 0; pass < 2; pass++) {
    int hits = 0;
    for (int i = 0; i < 29; i++)
      hits += orca__members_next_probe(&t, pass ? 100 : 99, pass == 0, next_rand, NULL) == s;
    assert_true(hits <= 2); /* 29 probes span at most two rounds */
  }

  /* Removal keeps the table and the round consistent. */
  orca__members_remove(&t, dead);
  assert_null(orca__members_find(&t, "m3", 2));
  assert_int_equal(t.count[ORCA__M_DEAD], 0);
  for (int i = 0; i < 100; i++)
    assert_non_null(orca__members_next_probe(&t, 0, false, next_rand, NULL));

  /* Random picks: distinct, never self or the excluded one, state masked. */
  orca__member *out[5];
  size_t k = orca__members_pick(&t, 5, 1u << ORCA__M_ALIVE, s, next_rand, NULL, out);
  assert_int_equal(k, 5);
  for (size_t i = 0; i < k; i++) {
    assert_ptr_not_equal(out[i], self);
    assert_ptr_not_equal(out[i], s);
    for (size_t j = 0; j < i; j++)
      assert_ptr_not_equal(out[i], out[j]);
  }
  assert_int_equal(orca__members_pick(&t, 5, 1u << ORCA__M_SUSPECT, NULL, next_rand, NULL, out), 1);

  /* The table is bounded. */
  for (int i = 30; i < 40; i++) {
    snprintf(id, sizeof id, "m%d", i);
    orca__members_add(&t, id, strlen(id), next_rand(NULL));
  }
  assert_int_equal(t.n, 40);
  assert_null(orca__members_add(&t, "one-too-many", 12, 0));
  orca__members_free(&t);
}

/* Rendezvous hashing: the owner does not depend on the order of the
 * members; removing a member moves only the keys it owned; keys spread
 * evenly; the weight is fixed (every member and version must agree). */
static void test_rendezvous(void **st) {
  (void)st;
  const char *ids[5] = {"w0", "w1", "w2", "w3", "w4"};
  const char *rev[5] = {"w4", "w3", "w2", "w1", "w0"};
  int owned[5] = {0};
  enum { KEYS = 5000 };
  for (int k = 0; k < KEYS; k++) {
    char key[32];
    snprintf(key, sizeof key, "schedule-%d", k);
    size_t o = orca__rendezvous_owner(key, ids, 5);
    assert_true(o < 5);
    assert_string_equal(rev[orca__rendezvous_owner(key, rev, 5)], ids[o]);
    owned[o]++;
    /* Without w2: keys of the others stay where they were. */
    const char *less[4] = {"w0", "w1", "w3", "w4"};
    size_t o2 = orca__rendezvous_owner(key, less, 4);
    if (o != 2)
      assert_string_equal(less[o2], ids[o]);
  }
  for (int i = 0; i < 5; i++)
    assert_in_range(owned[i], KEYS / 5 - KEYS / 20, KEYS / 5 + KEYS / 20);
  assert_int_equal(orca__rendezvous_owner("x", ids, 0), 0);
  assert_true(orca__rendezvous_weight("ab", "c") != orca__rendezvous_weight("a", "bc"));
  /* Pinned: a change would split work differently across versions. */
  assert_true(orca__rendezvous_weight("schedule-1", "w1") == 17017119785746563178ULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_suspicion),  cmocka_unit_test(test_awareness),
      cmocka_unit_test(test_broadcast),  cmocka_unit_test(test_members),
      cmocka_unit_test(test_rendezvous),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
