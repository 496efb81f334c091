/* test_core_timerheap.c — the 4-ary timer heap: order by (due, insertion), cancel
 * anywhere, re-add moves, and a randomized run checked against a brute-force
 * model with a fixed seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/timerheap.h"

static void test_order_and_ties(void **state) {
  (void)state;
  orca__timerheap h = ORCA__TIMERHEAP_INIT;
  orca__timer t[6] = {{0}};
  int64_t due[6] = {50, 10, 50, 30, 10, 70};
  for (int i = 0; i < 6; i++)
    assert_int_equal(orca__timerheap_add(&h, &t[i], due[i]), 0);
  assert_ptr_equal(orca__timerheap_peek(&h), &t[1]);
  assert_null(orca__timerheap_pop_due(&h, 9));
  int want[] = {1, 4, 3, 0, 2, 5}; /* ties in insertion order */
  for (int i = 0; i < 6; i++)
    assert_ptr_equal(orca__timerheap_pop_due(&h, 100), &t[want[i]]);
  assert_null(orca__timerheap_peek(&h));
  assert_int_equal(t[0].pos, 0);
  orca__timerheap_free(&h);
}

static void test_cancel_and_move(void **state) {
  (void)state;
  orca__timerheap h = ORCA__TIMERHEAP_INIT;
  orca__timer t[3] = {{0}};
  orca__timerheap_add(&h, &t[0], 5);
  orca__timerheap_add(&h, &t[1], 6);
  orca__timerheap_add(&h, &t[2], 7);
  orca__timerheap_remove(&h, &t[0]);
  orca__timerheap_remove(&h, &t[0]); /* not pending: no-op */
  assert_ptr_equal(orca__timerheap_peek(&h), &t[1]);
  orca__timerheap_add(&h, &t[2], 1); /* moves */
  assert_int_equal(orca__timerheap_size(&h), 2);
  assert_ptr_equal(orca__timerheap_pop_due(&h, 10), &t[2]);
  assert_ptr_equal(orca__timerheap_pop_due(&h, 10), &t[1]);
  orca__timerheap_free(&h);
}

/* xorshift: deterministic across platforms, unlike rand(). */
static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

#define N 20000
static void test_random_against_model(void **state) {
  (void)state;
  orca__timerheap h = ORCA__TIMERHEAP_INIT;
  static orca__timer t[N];
  static uint64_t order[N];
  uint64_t seq = 0;
  for (int round = 0; round < 4 * N; round++) {
    int i = (int)(next_rand() % N);
    if (next_rand() % 3 == 0) {
      orca__timerheap_remove(&h, &t[i]);
    } else {
      assert_int_equal(orca__timerheap_add(&h, &t[i], (int64_t)(next_rand() % 1000)), 0);
      order[i] = seq++;
    }
  }
  /* Pop everything: each pop is the minimum (due, order) of the pending. */
  int64_t last_due = -1;
  uint64_t last_seq = 0;
  size_t pending = 0;
  for (int i = 0; i < N; i++)
    pending += t[i].pos != 0;
  assert_int_equal(orca__timerheap_size(&h), pending);
  orca__timer *p;
  while ((p = orca__timerheap_pop_due(&h, INT64_MAX))) {
    uint64_t s = order[p - t];
    assert_true(p->due_us > last_due || (p->due_us == last_due && s > last_seq));
    last_due = p->due_us;
    last_seq = s;
    pending--;
  }
  assert_int_equal(pending, 0);
  orca__timerheap_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_and_ties),
      cmocka_unit_test(test_cancel_and_move),
      cmocka_unit_test(test_random_against_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
