/* gossip.c — dissemination. News rides on every frame this node sends
 * (wire.c fills each datagram from the broadcast queue); while the queue is
 * not empty, a gossip round every gossip_interval also sends it to
 * gossip_nodes random members, so news does not wait for probes. With
 * nothing to tell, a round sends nothing. Each item is sent
 * retransmit_mult × ceil(log10(N + 1)) times by every member that found it
 * new, which reaches every member with high probability (SWIM's epidemic
 * bound). Leaving uses the same path: the news that we left goes out until
 * it was sent that many times (or leave_timeout passes). */
#include <math.h>

#include "peer/peer_internal.h"

uint32_t orca__peer_retransmits(const orca__peer *p) {
  size_t n = orca__members_live(&p->members);
  double scale = ceil(log10((double)n + 1.0));
  uint32_t r = (uint32_t)((double)p->prm.retransmit_mult * scale);
  return r ? r : 1;
}

static void leave_finished(orca__peer *p) {
  orca__peer_disarm(p, &p->t_leave);
  void (*done)(void *) = p->leave_done;
  p->leave_done = NULL;
  if (done)
    done(p->leave_ud);
}

static void leave_timeout(orca__peer *p, orca__ptimer *t) {
  (void)t;
  leave_finished(p);
}

static void gossip_tick(orca__peer *p, orca__ptimer *t) {
  (void)t;
  orca__peer_arm(p, &p->t_gossip, orca__peer_now(p) + p->prm.gossip_interval_us);
  orca__member *to[32];
  size_t k = (size_t)p->prm.gossip_nodes;
  k = orca__members_pick(&p->members, k < 32 ? k : 32, 1u << ORCA__M_ALIVE | 1u << ORCA__M_SUSPECT,
                         NULL, orca__peer_rand_cb, p, to);
  for (size_t i = 0; i < k && orca__bcast_len(&p->bcast); i++) {
    orca__frame f;
    orca__wire_header(p, &f, ORCA__MSG_GOSSIP);
    orca__wire_send_dgram(p, &to[i]->addr, &f, NULL, 0);
  }
  if (p->leaving && p->leave_done && !orca__bcast_has(&p->bcast, p->self->id, p->self->id_len))
    leave_finished(p);
}

void orca__gossip_start(orca__peer *p) {
  p->t_gossip.fn = gossip_tick;
  p->t_leave.fn = leave_timeout;
  orca__peer_arm(p, &p->t_gossip,
                 orca__peer_now(p) +
                     (int64_t)orca__peer_rand_below(p, (uint64_t)p->prm.gossip_interval_us) + 1);
}

void orca__gossip_leave(orca__peer *p) {
  /* The news first goes straight to up to 32 members (outside the queue's
   * count), then rides the gossip rounds like any news. */
  orca__update u;
  uint8_t left[64 + ORCA__PEER_ID_MAX];
  orca__wire_member_update(p, p->self, &u);
  size_t n = orca__update_encode(&u, left, sizeof left);
  orca__member *to[32];
  size_t k = orca__members_pick(&p->members, 32, 1u << ORCA__M_ALIVE | 1u << ORCA__M_SUSPECT, NULL,
                                orca__peer_rand_cb, p, to);
  for (size_t i = 0; i < k; i++) {
    orca__frame f;
    orca__wire_header(p, &f, ORCA__MSG_GOSSIP);
    orca__wire_send_dgram(p, &to[i]->addr, &f, n ? left : NULL, n);
  }
  orca__peer_arm(p, &p->t_leave, orca__peer_now(p) + p->prm.leave_timeout_us);
  if (!k)
    leave_finished(p);
}
