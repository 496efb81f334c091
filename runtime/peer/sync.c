/* sync.c — full state exchange over TCP (SYNC frames carry every member's
 * state).
 *
 *   join       SYNC(JOIN|REPLY) to every seed, again every join_retry until
 *              some member answers;
 *   push/pull  every pushpull_interval (longer in big clusters) with one
 *              random live member: repairs whatever gossip missed;
 *   reconnect  every reconnect_interval with one random dead member: after
 *              a partition heals, the two sides find each other again (each
 *              side had declared the other dead and stopped probing it).
 *
 * A SYNC is merged like gossip, except that a member dead in the sender's
 * table only becomes suspect here (it gets the chance to refute: after a
 * partition, "dead" on one side is often alive on the other). The answer to
 * a SYNC(REPLY) goes to the sender's advertised address on a new
 * connection, so the transport only ever carries one-way messages. */
#include <math.h>
#include <string.h>

#include "peer/peer_internal.h"

void orca__sync_send(orca__peer *p, const orca__peer_addr *to, uint32_t flags) {
  orca__frame f;
  orca__wire_header(p, &f, ORCA__MSG_SYNC);
  f.flags = flags;
  orca__wire_send_stream(p, to, &f, true);
}

void orca__sync_input(orca__peer *p, const orca__frame *f) {
  orca__update_iter it;
  orca__update u;
  orca__peer_addr reply_to = {0};
  orca__frame_updates(f, &it);
  while (orca__update_next(&it, &u)) {
    if (u.kind == ORCA__UPD_ALIVE && u.id.n == f->sender.n &&
        memcmp(u.id.p, f->sender.p, u.id.n) == 0)
      reply_to = u.addr;
    orca__state_apply(p, &u, &f->sender, true);
  }
  if (!(f->flags & ORCA__SYNC_JOIN))
    p->joined = true; /* an answer, or a push from a member: we are in */
  if ((f->flags & ORCA__SYNC_REPLY) && reply_to.family)
    orca__sync_send(p, &reply_to, 0);
}

static void send_seeds(orca__peer *p) {
  for (size_t i = 0; i < p->n_seeds; i++)
    orca__sync_send(p, &p->seeds[i], ORCA__SYNC_JOIN | ORCA__SYNC_REPLY);
}

void orca__sync_join_tick(orca__peer *p, orca__ptimer *t) {
  (void)t;
  if (p->joined || p->leaving || !p->n_seeds)
    return;
  send_seeds(p);
  orca__peer_arm(p, &p->t_join, orca__peer_now(p) + p->prm.join_retry_us);
}

/* The push/pull interval for n members: the base up to 32 members, then one
 * more base interval for every doubling, so the TCP load of a cluster grows
 * like n log n instead of n². */
static int64_t pushpull_interval(const orca__peer *p) {
  size_t n = orca__members_live(&p->members);
  double mult = n <= 32 ? 1.0 : ceil(log2((double)n) - log2(32.0)) + 1.0;
  return (int64_t)(mult * (double)p->prm.pushpull_interval_us);
}

/* Sync with one random member in one of the states of mask. */
static void sync_one(orca__peer *p, unsigned mask) {
  orca__member *m;
  if (orca__members_pick(&p->members, 1, mask, NULL, orca__peer_rand_cb, p, &m))
    orca__sync_send(p, &m->addr, ORCA__SYNC_REPLY);
}

static void pushpull_tick(orca__peer *p, orca__ptimer *t) {
  if (p->leaving)
    return;
  sync_one(p, 1u << ORCA__M_ALIVE);
  orca__peer_arm(p, t, orca__peer_now(p) + pushpull_interval(p));
}

static void reconnect_tick(orca__peer *p, orca__ptimer *t) {
  if (p->leaving)
    return;
  sync_one(p, 1u << ORCA__M_DEAD);
  orca__peer_arm(p, t, orca__peer_now(p) + p->prm.reconnect_interval_us);
}

void orca__sync_start(orca__peer *p) {
  int64_t now = orca__peer_now(p);
  p->t_join.fn = orca__sync_join_tick;
  p->t_pushpull.fn = pushpull_tick;
  p->t_reconnect.fn = reconnect_tick;
  /* Random phases, so members started together do not sync in step. */
  orca__peer_arm(p, &p->t_pushpull,
                 now + (int64_t)orca__peer_rand_below(p, (uint64_t)p->prm.pushpull_interval_us) +
                     1);
  orca__peer_arm(p, &p->t_reconnect,
                 now + (int64_t)orca__peer_rand_below(p, (uint64_t)p->prm.reconnect_interval_us) +
                     1);
}
