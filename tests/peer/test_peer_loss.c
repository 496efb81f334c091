/* test_peer_loss.c — 50 members on a lossy simulated network (the loss rate
 * is the first argument: 10 or 30 %): no member is ever declared dead over
 * 10,000 protocol periods (a second argument sets the count), then members
 * are crashed one by one and every live member declares each dead within
 * the documented bound (orca__peer_detection_bound with the highest local
 * health score seen meanwhile). Datagrams are also duplicated (1 %) and
 * reordered (jitter 2 ms against 0.3 ms of delay); streams lose time to
 * retransmissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "orca/log.h"
#include "sim_cluster.h"

#define S 1000000LL
#define N 50
#define CRASHES 5

static double loss;
static int periods = 10000;

static void test_no_false_death_and_bound(void **state) {
  (void)state;
  orca__peer_params p;
  orca__peer_params_default(&p);
  orca__sim_net net = {0, 0.01, 300, 2000, 200000};
  sc *c = sc_new(N, 2026, &net, true, NULL);
  assert_true(sc_wait_converged(c, 10 * S));
  net.loss = loss;
  orca__sim_set_net(c->sim, &net);

  /* 10,000 probe intervals, sampling the health scores as we go. */
  int aware = 0;
  for (int i = 0; i < periods / 10; i++) {
    sc_run(c, 10 * p.probe_interval_us);
    int a = sc_max_awareness(c);
    if (a > aware)
      aware = a;
    if (c->false_deaths)
      fail_msg("after %d periods: %s", i * 10, c->first_false);
  }
  orca__peer_stats st;
  orca__peer_stats_get(sc_peer(c, 0), &st);
  printf("# %d members, %.0f %% loss, %d periods: no false death; n0: %llu probes, %llu failed, "
         "%llu suspicions, %llu refutations; highest health score %d\n",
         N, loss * 100, periods, (unsigned long long)st.probes,
         (unsigned long long)st.probes_failed, (unsigned long long)st.suspicions,
         (unsigned long long)st.refutations, aware);

  /* Crashes, one at a time. */
  for (int k = 0; k < CRASHES; k++) {
    int victim = N - 1 - k * 7;
    int64_t t0 = sc_now(c);
    int seen_aware = sc_max_awareness(c);
    sc_kill(c, victim);
    while (!sc_all_see(c, victim, ORCA__PEER_DEAD) && sc_now(c) - t0 < 600 * S) {
      sc_run(c, 50000);
      int a = sc_max_awareness(c);
      if (a > seen_aware)
        seen_aware = a;
    }
    int64_t last = sc_last_seen(c, victim, ORCA__PEER_DEAD);
    if (last <= 0) {
      for (int i = 0; i < c->ids; i++)
        if (i != victim && c->live_node[i] >= 0 && c->state[i][victim] != ORCA__PEER_DEAD)
          fail_msg("n%d still sees n%d as %s after %.1f s", i, victim,
                   orca__peer_state_name(c->state[i][victim]), (sc_now(c) - t0) / 1e6);
    }
    int64_t took = last - t0;
    int64_t bound = orca__peer_detection_bound(&p, N - k, seen_aware, false);
    printf("# crash of n%d: declared dead by all %d others after %.2f s (bound %.1f s with "
           "health score %d)\n",
           victim, N - k - 1, took / 1e6, bound / 1e6, seen_aware);
    assert_true(took <= bound);
    if (c->false_deaths)
      fail_msg("%s", c->first_false);
  }
  sc_free(c);
}

int main(int argc, char **argv) {
  loss = argc > 1 ? atof(argv[1]) / 100 : 0.1;
  if (argc > 2)
    periods = atoi(argv[2]) > 0 ? atoi(argv[2]) : periods;
  orca_log_set(NULL, NULL, ORCA_LOG_ERROR);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_false_death_and_bound),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
