/* state.c — the member state machine of SWIM.
 *
 * Every claim about a member carries the member's incarnation, a number only
 * the member itself raises. Precedence, for a member known at incarnation i:
 *   alive j    wins when j > i (from any state: a refutation, new
 *              metadata, a return from the dead);
 *   suspect j  wins over alive when j >= i; over a suspicion of the same
 *              life it is a confirmation (shortens it, suspicion.h), of
 *              an earlier life it starts a new suspicion;
 *   dead j     wins over alive and suspect when j >= i;
 *   left j     wins over anything but left when j >= i.
 * A member told it is suspect, dead or gone refutes by gossiping alive with
 * an incarnation above the claim. News that changes something is passed on
 * (queued for piggybacking); news that does not is dropped, which is what
 * stops gossip. A claim about an incarnation older than the one we know
 * tells us its sender missed news: orca__state_apply reports it and wire.c
 * answers the sender with what we know. */
#include <string.h>

#include "orca/log.h"
#include "peer/peer_internal.h"

static bool is_self(const orca__peer *p, const orca__pstr *id) {
  return id->n == p->self->id_len && memcmp(id->p, p->self->id, id->n) == 0;
}

static void stop_timer(orca__peer *p, orca__member *m) {
  orca__peer_disarm(p, &m->timer);
}

/* Forget a dead or left member once it has been so for long enough. */
static void forget(orca__peer *p, orca__ptimer *t) {
  orca__member *m = (orca__member *)((char *)t - offsetof(orca__member, timer));
  orca__probe_forget(p, m);
  orca__members_remove(&p->members, m);
}

static void suspicion_expired(orca__peer *p, orca__ptimer *t);

void orca__state_refute(orca__peer *p, uint64_t inc) {
  if (p->leaving)
    return;
  if (inc >= p->self->inc)
    p->self->inc = inc;
  p->st.refutations++;
  /* Lifeguard: being suspected hints that we are the slow one. */
  orca__awareness_apply(&p->aware, 1);
  orca__state_bump_self(p);
}

void orca__state_bump_self(orca__peer *p) {
  p->self->inc++;
  orca__update u;
  orca__wire_member_update(p, p->self, &u);
  orca__wire_queue(p, &u);
}

static void set_state(orca__peer *p, orca__member *m, int state) {
  orca__members_set_state(&p->members, m, state, orca__peer_now(p));
}

static void alive(orca__peer *p, const orca__update *u) {
  orca__member *m = orca__members_find(&p->members, u->id.p, u->id.n);
  if (!m) {
    m = orca__members_add(&p->members, u->id.p, u->id.n, orca__peer_rand(p));
    if (!m) {
      orca_log(ORCA_LOG_WARN, "peer: member table full (%d), %.*s not added",
               ORCA__PEER_MEMBERS_MAX, (int)u->id.n, u->id.p);
      return;
    }
    m->timer.fn = suspicion_expired;
    m->inc = u->inc;
    m->addr = u->addr;
    orca__meta_from_view(&u->meta, &m->meta);
    m->since = orca__peer_now(p);
    orca__wire_queue(p, u);
    orca__peer_notify(p, m, ORCA__PEER_NONE);
    return;
  }
  if (u->inc < m->inc || (u->inc == m->inc && !m->meta_stale))
    return;
  m->meta_stale = false;
  int before = m->state;
  bool changed = !orca__peer_addr_eq(&m->addr, &u->addr) || !orca__meta_view_eq(&u->meta, &m->meta);
  stop_timer(p, m);
  m->inc = u->inc;
  m->addr = u->addr;
  if (changed)
    orca__meta_from_view(&u->meta, &m->meta);
  set_state(p, m, ORCA__M_ALIVE);
  orca__wire_queue(p, u);
  if (before != ORCA__M_ALIVE || changed)
    orca__peer_notify(p, m, before);
}

/* Start suspecting m (alive at inc <= u->inc), raised by `from`. */
static void start_suspicion(orca__peer *p, orca__member *m, uint64_t inc, const orca__pstr *from) {
  size_t n = orca__members_live(&p->members);
  int64_t min, max;
  orca__suspicion_bounds(p->prm.probe_interval_us, p->prm.suspicion_mult, p->prm.suspicion_max_mult,
                         n, &min, &max);
  /* Local health: a node that is struggling itself gives suspects longer
   * (it is the likelier culprit, and its own refutation news may be late). */
  min = orca__awareness_scale(&p->aware, min);
  max = orca__awareness_scale(&p->aware, max);
  int64_t now = orca__peer_now(p);
  orca__suspicion_start(&m->susp, now, orca__suspicion_k(p->prm.suspicion_mult, n), min, max,
                        orca__idmap_hash(&p->members.map, from->p, from->n));
  int before = m->state;
  m->inc = inc;
  set_state(p, m, ORCA__M_SUSPECT);
  m->timer.fn = suspicion_expired;
  orca__peer_arm(p, &m->timer, orca__suspicion_deadline(&m->susp));
  p->st.suspicions++;
  /* Probe it at the next tick, and every few while it stays suspect: a
   * confirmation if it is down, the suspicion carried to it (the buddy
   * system) if it is up, and its answer shows us its refutation even when
   * gossip brought it to everyone but us. */
  m->probe_at = now;
  orca__peer_notify(p, m, before);
}

static void suspect(orca__peer *p, const orca__update *u, const orca__pstr *from) {
  orca__member *m = orca__members_find(&p->members, u->id.p, u->id.n);
  if (!m || u->inc < m->inc)
    return;
  if (m->state == ORCA__M_SUSPECT && u->inc > m->inc) {
    /* A suspicion of a later life: the one we hold was refuted (we missed
     * the news), so this one starts afresh. */
    orca__update v = *u;
    v.from = *from;
    orca__wire_queue(p, &v);
    start_suspicion(p, m, u->inc, from);
    return;
  }
  if (m->state == ORCA__M_SUSPECT) {
    if (orca__suspicion_confirm(&m->susp, orca__idmap_hash(&p->members.map, from->p, from->n))) {
      orca__peer_arm(p, &m->timer, orca__suspicion_deadline(&m->susp));
      orca__update v = *u;
      v.inc = m->inc;
      v.from = *from;
      orca__wire_queue(p, &v);
    }
    return;
  }
  if (m->state != ORCA__M_ALIVE)
    return;
  orca__update v = *u;
  v.kind = ORCA__UPD_SUSPECT;
  v.from = *from;
  orca__wire_queue(p, &v);
  start_suspicion(p, m, u->inc, from);
}

/* m is dead (kind DEAD) or gone (LEFT) at inc. */
static void gone(orca__peer *p, orca__member *m, const orca__update *u) {
  int state = u->kind == ORCA__UPD_LEFT ? ORCA__M_LEFT : ORCA__M_DEAD;
  if (u->inc < m->inc || m->state == ORCA__M_LEFT || m->state == state)
    return;
  int before = m->state;
  stop_timer(p, m);
  m->inc = u->inc;
  set_state(p, m, state);
  m->timer.fn = forget;
  orca__peer_arm(p, &m->timer,
                 orca__peer_now(p) +
                     (state == ORCA__M_LEFT ? p->prm.left_keep_us : p->prm.dead_keep_us));
  orca__wire_queue(p, u);
  orca__peer_notify(p, m, before);
}

static void suspicion_expired(orca__peer *p, orca__ptimer *t) {
  orca__member *m = (orca__member *)((char *)t - offsetof(orca__member, timer));
  if (m->state != ORCA__M_SUSPECT)
    return;
  orca__update u;
  memset(&u, 0, sizeof u);
  u.kind = ORCA__UPD_DEAD;
  u.id = (orca__pstr){m->id, (uint32_t)m->id_len};
  u.inc = m->inc;
  u.from = (orca__pstr){p->self->id, (uint32_t)p->self->id_len};
  gone(p, m, &u);
}

void orca__state_heard(orca__peer *p, orca__member *m, uint64_t inc) {
  if (m->state != ORCA__M_SUSPECT || inc <= m->inc)
    return;
  /* The member itself speaks at a later incarnation: it refuted the
   * suspicion and we missed the news. Its metadata of that incarnation
   * comes with the next alive, which is taken even at this number. */
  stop_timer(p, m);
  m->inc = inc;
  m->meta_stale = true;
  set_state(p, m, ORCA__M_ALIVE);
  orca__peer_notify(p, m, ORCA__M_SUSPECT);
}

void orca__state_suspect(orca__peer *p, orca__member *m) {
  orca__update u;
  orca__wire_member_update(p, m, &u);
  u.kind = ORCA__UPD_SUSPECT;
  u.from = (orca__pstr){p->self->id, (uint32_t)p->self->id_len};
  suspect(p, &u, &u.from);
}

orca__member *orca__state_apply(orca__peer *p, const orca__update *u, const orca__pstr *sender,
                                bool sync) {
  bool claim = u->kind == ORCA__UPD_SUSPECT || u->kind == ORCA__UPD_DEAD;
  if (is_self(p, &u->id)) {
    /* Our own news echoing back changes nothing; a claim that we are
     * suspect, dead or gone (or an alive of an earlier life of ours with a
     * higher incarnation) is refuted. */
    if (u->inc > p->self->inc ||
        (u->inc == p->self->inc && u->kind != ORCA__UPD_ALIVE && !p->leaving))
      orca__state_refute(p, u->inc);
    else if (claim && u->inc < p->self->inc && !p->leaving)
      return p->self;
    return NULL;
  }
  orca__member *m = orca__members_find(&p->members, u->id.p, u->id.n);
  if (m && claim && u->inc < m->inc)
    return m; /* the sender missed news we have */
  switch (u->kind) {
  case ORCA__UPD_ALIVE:
    alive(p, u);
    break;
  case ORCA__UPD_SUSPECT:
    suspect(p, u, sync ? sender : &u->from);
    break;
  case ORCA__UPD_DEAD:
    if (sync) { /* a dead member in someone's table: suspect it, it may refute */
      suspect(p, u, sender);
      break;
    }
    /* fall through */
  case ORCA__UPD_LEFT:
    if (m)
      gone(p, m, u);
    break;
  }
  return NULL;
}
