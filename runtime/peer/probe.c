/* probe.c — SWIM's failure detector with Lifeguard's local health.
 *
 * Every probe interval (stretched by the local health multiplier) this node
 * pings the next member of its probe round. No ack within the probe timeout
 * (also stretched): it asks indirect_checks other members to ping the target
 * for it (PING_REQ); they relay an ack, or send a nack when they heard
 * nothing either. No ack by the end of the interval: the target becomes
 * suspect. Missing nacks mean the helpers could not be heard — this node is
 * probably the one in trouble — so they raise its local health score and it
 * slows down instead of accusing healthy members. A ping to a suspect
 * carries the suspicion (the buddy system), so the suspect refutes at once. */
#include <string.h>

#include "peer/peer_internal.h"

/* A suspect is probed again every REPROBE probe intervals. */
#define REPROBE 3

/* Forget the probe in flight; a failed one (not acked) has consequences. */
static void probe_end(orca__peer *p) {
  orca__member *m = p->probe.target;
  if (!m)
    return;
  p->probe.target = NULL;
  orca__peer_disarm(p, &p->t_probe_timeout);
  p->st.probes_failed++;
  int missing = p->probe.nacks_expected - p->probe.nacks;
  orca__awareness_apply(&p->aware, p->probe.nacks_expected ? missing : 1);
  if (m->state == ORCA__M_ALIVE || m->state == ORCA__M_SUSPECT)
    orca__state_suspect(p, m);
}

static void send_ping(orca__peer *p, const orca__peer_addr *to, uint32_t seq,
                      const orca__member *target) {
  orca__frame f;
  orca__wire_header(p, &f, ORCA__MSG_PING);
  f.seq = seq;
  f.target = (orca__pstr){target->id, (uint32_t)target->id_len};
  uint8_t first[64 + 2 * ORCA__PEER_ID_MAX];
  size_t n = 0;
  if (target->state == ORCA__M_SUSPECT) { /* the buddy system */
    orca__update u;
    orca__wire_member_update(p, target, &u);
    n = orca__update_encode(&u, first, sizeof first);
  }
  orca__wire_send_dgram(p, to, &f, n ? first : NULL, n);
}

void orca__probe_tick(orca__peer *p, orca__ptimer *t) {
  (void)t;
  probe_end(p);
  if (p->leaving)
    return;
  int64_t now = orca__peer_now(p);
  orca__peer_arm(p, &p->t_probe, now + orca__awareness_scale(&p->aware, p->prm.probe_interval_us));
  /* Suspects due for another probe go first, but never two ticks running:
   * the round advances at least every other tick, which bounds the time
   * until every member is probed (docs/peers.md, detection bound). */
  orca__member *m = orca__members_next_probe(&p->members, now, !p->reprobed, orca__peer_rand_cb, p);
  if (!m)
    return;
  p->reprobed = m->state == ORCA__M_SUSPECT && m->probe_at <= now;
  if (m->state == ORCA__M_SUSPECT)
    m->probe_at = now + orca__awareness_scale(&p->aware, REPROBE * p->prm.probe_interval_us);
  p->probe = (orca__probe){m, ++p->seq, false, 0, 0};
  p->st.probes++;
  send_ping(p, &m->addr, p->probe.seq, m);
  orca__peer_arm(p, &p->t_probe_timeout,
                 now + orca__awareness_scale(&p->aware, p->prm.probe_timeout_us));
}

void orca__probe_timeout(orca__peer *p, orca__ptimer *t) {
  (void)t;
  orca__member *target = p->probe.target;
  if (!target)
    return;
  orca__member *helpers[16];
  size_t k = (size_t)p->prm.indirect_checks;
  k = orca__members_pick(&p->members, k < 16 ? k : 16, 1u << ORCA__M_ALIVE, target,
                         orca__peer_rand_cb, p, helpers);
  p->probe.indirect = true;
  p->probe.nacks_expected = (int)k;
  for (size_t i = 0; i < k; i++) {
    orca__frame f;
    orca__wire_header(p, &f, ORCA__MSG_PING_REQ);
    f.seq = p->probe.seq;
    f.target = (orca__pstr){target->id, (uint32_t)target->id_len};
    f.target_addr = target->addr;
    f.nack = true;
    orca__wire_send_dgram(p, &helpers[i]->addr, &f, NULL, 0);
  }
}

static void reply(orca__peer *p, const orca__peer_addr *to, orca__msg type, uint32_t seq) {
  orca__frame f;
  orca__wire_header(p, &f, type);
  f.seq = seq;
  orca__wire_send_dgram(p, to, &f, NULL, 0);
}

static void relay_timeout(orca__peer *p, orca__ptimer *t) {
  orca__relay *r = (orca__relay *)((char *)t - offsetof(orca__relay, timer));
  if (r->nack)
    reply(p, &r->requester, ORCA__MSG_NACK, r->orig_seq);
  r->used = false;
}

static void relay_start(orca__peer *p, const orca__peer_addr *from, const orca__frame *f) {
  orca__relay *r = NULL;
  for (size_t i = 0; i < ORCA__PEER_RELAYS_MAX && !r; i++)
    if (!p->relays[i].used)
      r = &p->relays[i];
  if (!r) {
    orca__peer_drop(p, ORCA__DROP_BUSY, from);
    return;
  }
  *r = (orca__relay){true, f->nack, ++p->seq, f->seq, *from, {{0, 0}, relay_timeout}};
  orca__frame ping;
  orca__wire_header(p, &ping, ORCA__MSG_PING);
  ping.seq = r->seq;
  ping.target = f->target;
  orca__wire_send_dgram(p, &f->target_addr, &ping, NULL, 0);
  /* The requester gives up at the end of its probe interval, a probe
   * timeout after asking us at the earliest: answer a little before, so a
   * nack arrives in time to count (a late one reads as a lost one). */
  orca__peer_arm(p, &r->timer, orca__peer_now(p) + p->prm.probe_timeout_us * 4 / 5);
}

static void on_ack(orca__peer *p, uint32_t seq) {
  if (p->probe.target && seq == p->probe.seq) {
    p->probe.target = NULL;
    orca__peer_disarm(p, &p->t_probe_timeout);
    orca__awareness_apply(&p->aware, -1);
    return;
  }
  for (size_t i = 0; i < ORCA__PEER_RELAYS_MAX; i++) {
    orca__relay *r = &p->relays[i];
    if (r->used && r->seq == seq) {
      orca__peer_disarm(p, &r->timer);
      r->used = false;
      reply(p, &r->requester, ORCA__MSG_ACK, r->orig_seq);
      return;
    }
  }
}

void orca__probe_input(orca__peer *p, const orca__peer_addr *from, const orca__frame *f) {
  switch (f->type) {
  case ORCA__MSG_PING:
    /* A ping meant for another member (an address reused) gets no ack. */
    if (f->target.n == p->self->id_len && memcmp(f->target.p, p->self->id, f->target.n) == 0)
      reply(p, from, ORCA__MSG_ACK, f->seq);
    break;
  case ORCA__MSG_PING_REQ:
    relay_start(p, from, f);
    break;
  case ORCA__MSG_ACK:
    on_ack(p, f->seq);
    break;
  case ORCA__MSG_NACK:
    if (p->probe.target && p->probe.indirect && f->seq == p->probe.seq &&
        p->probe.nacks < p->probe.nacks_expected)
      p->probe.nacks++;
    break;
  default:
    break;
  }
}

void orca__probe_forget(orca__peer *p, const orca__member *m) {
  if (p->probe.target == m) {
    p->probe.target = NULL;
    orca__peer_disarm(p, &p->t_probe_timeout);
  }
}

void orca__probe_start(orca__peer *p) {
  p->t_probe.fn = orca__probe_tick;
  p->t_probe_timeout.fn = orca__probe_timeout;
  orca__peer_arm(p, &p->t_probe,
                 orca__peer_now(p) +
                     (int64_t)orca__peer_rand_below(p, (uint64_t)p->prm.probe_interval_us));
}
