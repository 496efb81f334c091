/* params.c — the protocol parameters: defaults, checks, and the detection
 * bound they give (docs/peers.md, "Detection bound"). */
#include "peer/peer_internal.h"
#include "peer/suspicion.h"

#define SEC 1000000

void orca__peer_params_default(orca__peer_params *p) {
  *p = (orca__peer_params){
      .probe_interval_us = 200000,
      .probe_timeout_us = 100000,
      .indirect_checks = 3,
      .suspicion_mult = 4,
      .suspicion_max_mult = 6,
      .awareness_max = 8,
      .retransmit_mult = 4,
      .gossip_interval_us = 100000,
      .gossip_nodes = 3,
      .pushpull_interval_us = 30 * (int64_t)SEC,
      .reconnect_interval_us = 5 * (int64_t)SEC,
      .dead_keep_us = 3600 * (int64_t)SEC,
      .left_keep_us = 60 * (int64_t)SEC,
      .meta_interval_us = 1 * (int64_t)SEC,
      .join_retry_us = 1 * (int64_t)SEC,
      .leave_timeout_us = 1 * (int64_t)SEC,
      .replay_window_us = 30 * (int64_t)SEC,
  };
}

int64_t orca__peer_detection_bound(const orca__peer_params *p, size_t n, int awareness,
                                   bool healthy) {
  int64_t min, max, i = p->probe_interval_us, g = p->gossip_interval_us;
  if (n < 2)
    n = 2;
  orca__suspicion_bounds(i, p->suspicion_mult, p->suspicion_max_mult, n, &min, &max);
  if (healthy) {
    /* The first probe of the crashed member within one round, a failed
     * probe, then the others hear the suspicion (G), probe it at their next
     * tick (I) and fail (I), and their confirmations come back (G): the
     * timeout is down to its minimum by then, or expires then. The news of
     * the death reaches the rest within a gossip round. */
    int64_t confirmed = 2 * g + 2 * i;
    return (int64_t)(n - 1) * i + i + (min > confirmed ? min : confirmed) + g;
  }
  /* Every member probes every other one at least every other tick (2n - 2
   * ticks a round), suspects it after one more, and declares it dead after
   * the longest suspicion: all stretched by local health. */
  return (int64_t)(awareness + 1) * ((int64_t)(2 * n - 1) * i + max);
}

/* Zero fields take the defaults; then the values must make sense. */
int orca__peer_params_fill(orca__peer_params *p, const orca__peer_params *in, orca_err *err) {
  orca__peer_params d;
  orca__peer_params_default(&d);
  *p = in ? *in : d;
#define DEF(f)                                                                                     \
  if (p->f == 0)                                                                                   \
  p->f = d.f
  DEF(probe_interval_us);
  DEF(probe_timeout_us);
  DEF(indirect_checks);
  DEF(suspicion_mult);
  DEF(suspicion_max_mult);
  DEF(awareness_max);
  DEF(retransmit_mult);
  DEF(gossip_interval_us);
  DEF(gossip_nodes);
  DEF(pushpull_interval_us);
  DEF(reconnect_interval_us);
  DEF(dead_keep_us);
  DEF(left_keep_us);
  DEF(meta_interval_us);
  DEF(join_retry_us);
  DEF(leave_timeout_us);
  DEF(replay_window_us);
#undef DEF
  if (p->probe_interval_us < 0 || p->probe_timeout_us < 0 || p->gossip_interval_us < 0 ||
      p->pushpull_interval_us < 0 || p->reconnect_interval_us < 0 || p->dead_keep_us < 0 ||
      p->left_keep_us < 0 || p->meta_interval_us < 0 || p->join_retry_us < 0 ||
      p->leave_timeout_us < 0 || p->replay_window_us < 0)
    return orca_err_set(err, ORCA_EINVAL, "peer parameters: durations must be positive");
  if (p->probe_timeout_us >= p->probe_interval_us)
    return orca_err_set(err, ORCA_EINVAL,
                        "peer parameters: the probe timeout (%lld µs) must be shorter than the "
                        "probe interval (%lld µs)",
                        (long long)p->probe_timeout_us, (long long)p->probe_interval_us);
  if (p->indirect_checks < 0 || p->indirect_checks > 16 || p->gossip_nodes < 0 ||
      p->gossip_nodes > 32 || p->suspicion_mult < 1 || p->suspicion_max_mult < 1 ||
      p->awareness_max < 1 || p->awareness_max > 64 || p->retransmit_mult < 1)
    return orca_err_set(err, ORCA_EINVAL,
                        "peer parameters: indirect_checks 0..16, gossip_nodes 0..32, "
                        "awareness_max 1..64, multipliers at least 1");
  return 0;
}
