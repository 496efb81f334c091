/* peer.c — the peer's life cycle and public calls (peer.h), its timers (one
 * heap, one wake-up asked of the transport), and its counters. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "orca/log.h"
#include "peer/peer_internal.h"
#include "peer/transport_uv.h"

#define SEC 1000000

const char *orca__peer_state_name(orca__peer_state s) {
  static const char *const names[] = {"none", "alive", "suspect", "dead", "left"};
  return (unsigned)s < 5 ? names[s] : "?";
}

static int check_name(const char *what, const char *s, size_t max, orca_err *err) {
  if (!s || !*s)
    return orca_err_set(err, ORCA_EINVAL, "peer network: %s missing", what);
  size_t n = strlen(s);
  if (n > max || !orca__frame_str_ok(s, n))
    return orca_err_set(err, ORCA_EINVAL,
                        "peer network: %s '%.40s%s' must be UTF-8 of 1..%zu bytes", what, s,
                        n > 40 ? "..." : "", max);
  return 0;
}

/* Without a key, every address must be loopback. */
static int check_loopback(const orca__peer *p, const char *what, const orca__peer_addr *a,
                          orca_err *err) {
  if (p->keyed || orca__peer_addr_loopback(a))
    return 0;
  char s[ORCA__PEER_ADDR_STRLEN];
  return orca_err_set(err, ORCA_EINVAL,
                      "peer network: %s %s is not a loopback address, and there is no cluster "
                      "key (--cluster-key-file FILE or ORCA_CLUSTER_KEY_FILE): without a key only "
                      "127.0.0.0/8 and ::1 are allowed",
                      what, orca__peer_addr_format(a, s));
}

/* ---- timers ---- */

uint64_t orca__peer_rand_cb(void *p) {
  return orca__peer_rand(p);
}

void orca__peer_arm(orca__peer *p, orca__ptimer *t, int64_t at) {
  if (orca__timerheap_add(&p->heap, &t->t, at))
    orca_log(ORCA_LOG_ERROR, "peer: out of memory arming a timer");
}

void orca__peer_disarm(orca__peer *p, orca__ptimer *t) {
  orca__timerheap_remove(&p->heap, &t->t);
}

/* Ask the transport for a wake-up at the earliest deadline. */
static void rewake(orca__peer *p) {
  if (p->closed)
    return;
  orca__timer *t = orca__timerheap_peek(&p->heap);
  int64_t at = t ? t->due_us : INT64_MAX;
  if (at != p->wake) {
    p->wake = at;
    p->io->wake_at(p->io->ctx, at);
  }
}

static void peer_free(void *ud);

/* Inputs may run callbacks that close the peer: the memory goes at the end
 * of the outermost input (an injected transport; libuv frees from its close
 * callbacks anyway). */
static void enter(orca__peer *p) {
  p->busy++;
}

static void leave_input(orca__peer *p) {
  if (--p->busy == 0 && p->closed && !p->uvt)
    peer_free(p);
  else
    rewake(p);
}

void orca__peer_input_tick(orca__peer *p) {
  if (p->closed)
    return;
  enter(p);
  p->wake = INT64_MIN; /* the transport's wake-up is spent: always ask again */
  int64_t now = orca__peer_now(p);
  orca__timer *t;
  while (!p->closed && (t = orca__timerheap_pop_due(&p->heap, now))) {
    orca__ptimer *pt = (orca__ptimer *)((char *)t - offsetof(orca__ptimer, t));
    pt->fn(p, pt);
  }
  leave_input(p);
}

static void input(orca__peer *p, const orca__peer_addr *from, const uint8_t *data, size_t len,
                  bool stream) {
  if (p->closed)
    return;
  enter(p);
  orca__wire_input(p, from, data, len, stream);
  leave_input(p);
}

void orca__peer_input_dgram(orca__peer *p, const orca__peer_addr *from, const uint8_t *data,
                            size_t len) {
  input(p, from, data, len, false);
}

void orca__peer_input_stream(orca__peer *p, const orca__peer_addr *from, const uint8_t *data,
                             size_t len) {
  input(p, from, data, len, true);
}

void orca__peer_input_drop(orca__peer *p, int reason, const orca__peer_addr *from) {
  if (!p->closed && reason > 0 && reason < ORCA__DROP_COUNT)
    orca__peer_drop(p, reason, from);
}

/* ---- counters, callbacks ---- */

static const char *drop_text(int reason) {
  switch (reason) {
  case ORCA__DROP_TRUNCATED:
    return "truncated";
  case ORCA__DROP_OVERSIZED:
    return "over the size limit";
  case ORCA__DROP_MODE:
    return "sealed on one side only: one member has a cluster key and the other not";
  case ORCA__DROP_AUTH:
    return "failed authentication (forged, altered, or sealed with another cluster key)";
  case ORCA__DROP_MALFORMED:
    return "not a valid frame";
  case ORCA__DROP_VERSION:
    return "an unknown frame version";
  case ORCA__DROP_CLUSTER:
    return "from another cluster (same key, other name)";
  case ORCA__DROP_SELF:
    return "carries this member's own id (two members with one id?)";
  case ORCA__DROP_REPLAY:
    return "seen before (a replay or a duplicate)";
  case ORCA__DROP_STALE:
    return "stamped outside the replay window (are the clocks in sync?)";
  case ORCA__DROP_LOOPBACK:
    return "not from loopback, and this member has no cluster key";
  default:
    return "too much in flight";
  }
}

void orca__peer_drop(orca__peer *p, int reason, const orca__peer_addr *from) {
  p->drops[reason]++;
  int64_t now = orca__peer_now(p);
  if (p->drop_logged[reason] && now - p->drop_logged[reason] < 60 * (int64_t)SEC)
    return;
  p->drop_logged[reason] = now ? now : 1;
  char a[ORCA__PEER_ADDR_STRLEN];
  bool routine = reason == ORCA__DROP_REPLAY || reason == ORCA__DROP_BUSY;
  orca_log(routine ? ORCA_LOG_DEBUG : ORCA_LOG_WARN,
           "peer %s: dropped a frame from %s: %s (such drops are counted; this line at most once "
           "a minute)",
           p->self->id, orca__peer_addr_format(from, a), drop_text(reason));
}

static void view(const orca__peer *p, const orca__member *m, orca__peer_member *v) {
  *v = (orca__peer_member){m->id,    m->addr,     (orca__peer_state)m->state, m->inc, m->since,
                           &m->meta, m == p->self};
}

void orca__peer_notify(orca__peer *p, const orca__member *m, int before) {
  if (!p->on_member || p->closed)
    return;
  orca__peer_member v;
  view(p, m, &v);
  p->on_member(p->ud, &v, (orca__peer_state)before);
}

/* ---- life cycle ---- */

static void peer_free(void *ud) {
  orca__peer *p = ud;
  orca__members_free(&p->members);
  orca__replay_free(&p->replay);
  orca__bcast_free(&p->bcast);
  orca__timerheap_free(&p->heap);
  orca__peer_key_wipe(&p->key);
  free(p);
}

static void meta_tick(orca__peer *p, orca__ptimer *t);

int orca__peer_open(uv_loop_t *loop, const orca__peer_opts *o, orca__peer **out, orca_err *err) {
  *out = NULL;
  int rc;
  if (sodium_init() < 0)
    return orca_err_set(err, ORCA_EIO, "peer network: libsodium failed to initialise");
  if ((rc = check_name("member id", o->id, ORCA__PEER_ID_MAX, err)) ||
      (rc = check_name("cluster name", o->cluster, ORCA__PEER_CLUSTER_MAX, err)))
    return rc;
  if (o->meta && !orca__peer_meta_valid(o->meta))
    return orca_err_set(err, ORCA_EINVAL, "peer network: metadata string not NUL-terminated");
  if (!o->io && !loop)
    return orca_err_set(err, ORCA_EINVAL, "peer network: no loop and no transport");
  orca__peer *p = calloc(1, sizeof *p);
  if (!p)
    return orca_err_set(err, ORCA_ENOMEM, "peer network: out of memory");
  if ((rc = orca__peer_params_fill(&p->prm, o->params, err))) {
    free(p);
    return rc;
  }
  if (o->key) {
    p->key = *o->key;
    p->keyed = true;
  }
  p->cluster_len = strlen(o->cluster);
  memcpy(p->cluster, o->cluster, p->cluster_len);
  p->on_member = o->on_member;
  p->on_message = o->on_message;
  p->ud = o->ud;
  p->heap = (orca__timerheap)ORCA__TIMERHEAP_INIT;
  p->wake = INT64_MIN;
  p->meta_last = INT64_MIN / 2;
  p->t_meta.fn = meta_tick;
  orca__members_init(&p->members, ORCA__PEER_MEMBERS_MAX);
  orca__replay_init(&p->replay, 2 * ORCA__PEER_MEMBERS_MAX, p->prm.replay_window_us);
  orca__awareness_init(&p->aware, p->prm.awareness_max);
  p->self = orca__members_add(&p->members, o->id, strlen(o->id), 0);
  if (!p->self) {
    peer_free(p);
    return orca_err_set(err, ORCA_ENOMEM, "peer network: out of memory");
  }
  if (o->meta)
    p->self->meta = *o->meta;

  orca__peer_addr bound = {0}, adv = {0};
  if (o->advertise && (rc = orca__peer_addr_parse(o->advertise, &adv, err)))
    goto fail;
  if (o->io) {
    if (!adv.family) {
      rc = orca_err_set(err, ORCA_EINVAL, "peer network: an injected transport needs advertise");
      goto fail;
    }
    p->io = o->io;
  } else {
    orca__peer_addr b;
    if ((rc = orca__peer_addr_parse(o->bind, &b, err)) ||
        (rc = check_loopback(p, "bind address", &b, err)))
      goto fail;
    if (!adv.family && orca__peer_addr_wildcard(&b)) {
      rc = orca_err_set(err, ORCA_EINVAL,
                        "peer network: bind address %s is a wildcard: set the advertise address "
                        "the others should use",
                        o->bind);
      goto fail;
    }
    if ((rc = orca__uvt_open(loop, &b, p, &p->uvt, &bound, err)))
      goto fail;
    p->io = orca__uvt_io(p->uvt);
    if (!adv.family)
      adv = bound;
    else if (adv.port == 0)
      adv.port = bound.port;
  }
  if ((rc = check_loopback(p, "advertise address", &adv, err)))
    goto fail;
  p->self->addr = adv;
  p->self->since = orca__peer_now(p);
  /* Our own alive goes out with our first frames: members that learn of us
   * from our probes need not wait for the seed's gossip. */
  orca__update u;
  orca__wire_member_update(p, p->self, &u);
  orca__wire_queue(p, &u);
  orca__probe_start(p);
  orca__gossip_start(p);
  orca__sync_start(p);
  rewake(p);
  *out = p;
  return 0;
fail:
  if (p->uvt) {
    p->closed = true;
    orca__uvt_close(p->uvt, peer_free, p);
  } else {
    peer_free(p);
  }
  return rc;
}

int orca__peer_join(orca__peer *p, const char *const *seeds, size_t n, orca_err *err) {
  orca__peer_addr a[ORCA__PEER_SEEDS_MAX];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    orca__peer_addr s;
    int rc = orca__peer_addr_parse(seeds[i], &s, err);
    if (!rc)
      rc = check_loopback(p, "seed", &s, err);
    if (rc)
      return rc;
    if (orca__peer_addr_eq(&s, &p->self->addr) || k == ORCA__PEER_SEEDS_MAX)
      continue;
    a[k++] = s;
  }
  memcpy(p->seeds, a, k * sizeof *a);
  p->n_seeds = k;
  p->joined = false;
  orca__peer_disarm(p, &p->t_join);
  orca__sync_join_tick(p, &p->t_join);
  rewake(p);
  return 0;
}

/* Publish meta_next now if the rate limit allows, else when it does. */
static void meta_flush(orca__peer *p) {
  if (!p->meta_dirty || p->leaving)
    return;
  int64_t now = orca__peer_now(p), next = p->meta_last + p->prm.meta_interval_us;
  if (now < next) {
    if (!p->t_meta.t.pos)
      orca__peer_arm(p, &p->t_meta, next);
    return;
  }
  p->self->meta = p->meta_next;
  p->meta_dirty = false;
  p->meta_last = now;
  orca__state_bump_self(p);
}

static void meta_tick(orca__peer *p, orca__ptimer *t) {
  (void)t;
  meta_flush(p);
}

int orca__peer_set_meta(orca__peer *p, const orca__peer_meta *meta) {
  if (!orca__peer_meta_valid(meta) || !orca__frame_str_ok(meta->addrs, strlen(meta->addrs)) ||
      !orca__frame_str_ok(meta->queues, strlen(meta->queues)) ||
      !orca__frame_str_ok(meta->version, strlen(meta->version)))
    return ORCA_EINVAL;
  p->meta_next = *meta;
  p->meta_dirty = !orca__peer_meta_eq(meta, &p->self->meta);
  meta_flush(p);
  rewake(p);
  return 0;
}

void orca__peer_set_running(orca__peer *p, uint32_t running) {
  orca__peer_meta m = p->meta_dirty ? p->meta_next : p->self->meta;
  m.running = running;
  orca__peer_set_meta(p, &m);
}

int orca__peer_send(orca__peer *p, const char *id, const void *data, size_t len) {
  if (len > ORCA__PEER_MSG_MAX)
    return ORCA_ERANGE;
  orca__member *m = orca__members_find(&p->members, id, strlen(id));
  if (!m || m == p->self || (m->state != ORCA__M_ALIVE && m->state != ORCA__M_SUSPECT))
    return ORCA_ENOTFOUND;
  orca__frame f;
  orca__wire_header(p, &f, ORCA__MSG_USER);
  f.data = data;
  f.data_len = (uint32_t)len;
  orca__wire_send_stream(p, &m->addr, &f, false);
  rewake(p);
  return 0;
}

void orca__peer_members(orca__peer *p, void (*fn)(void *ud, const orca__peer_member *m), void *ud) {
  for (size_t i = 0; i < p->members.n; i++) {
    orca__peer_member v;
    view(p, p->members.v[i], &v);
    fn(ud, &v);
  }
}

bool orca__peer_find(orca__peer *p, const char *id, orca__peer_member *out) {
  const orca__member *m = orca__members_find(&p->members, id, strlen(id));
  if (m)
    view(p, m, out);
  return m != NULL;
}

size_t orca__peer_live_count(const orca__peer *p) {
  return orca__members_live(&p->members);
}

const char *orca__peer_id(const orca__peer *p) {
  return p->self->id;
}

const orca__peer_addr *orca__peer_address(const orca__peer *p) {
  return &p->self->addr;
}

int orca__peer_leave(orca__peer *p, void (*done)(void *ud), void *ud) {
  if (p->leaving)
    return ORCA_ESTATE;
  p->leaving = true;
  p->leave_done = done;
  p->leave_ud = ud;
  orca__peer_disarm(p, &p->t_probe);
  orca__peer_disarm(p, &p->t_probe_timeout);
  orca__peer_disarm(p, &p->t_meta);
  p->probe.target = NULL;
  orca__members_set_state(&p->members, p->self, ORCA__M_LEFT, orca__peer_now(p));
  orca__state_bump_self(p);
  orca__gossip_leave(p);
  rewake(p);
  return 0;
}

void orca__peer_stats_get(const orca__peer *p, orca__peer_stats *st) {
  *st = p->st;
  st->drop_truncated = p->drops[ORCA__DROP_TRUNCATED];
  st->drop_oversized = p->drops[ORCA__DROP_OVERSIZED];
  st->drop_mode = p->drops[ORCA__DROP_MODE];
  st->drop_auth = p->drops[ORCA__DROP_AUTH];
  st->drop_malformed = p->drops[ORCA__DROP_MALFORMED];
  st->drop_version = p->drops[ORCA__DROP_VERSION];
  st->drop_cluster = p->drops[ORCA__DROP_CLUSTER];
  st->drop_self = p->drops[ORCA__DROP_SELF];
  st->drop_replay = p->drops[ORCA__DROP_REPLAY];
  st->drop_stale = p->drops[ORCA__DROP_STALE];
  st->drop_loopback = p->drops[ORCA__DROP_LOOPBACK];
  st->drop_busy = p->drops[ORCA__DROP_BUSY];
  st->awareness = p->aware.score;
}

void orca__peer_close(orca__peer *p) {
  if (!p || p->closed)
    return;
  p->closed = true;
  if (p->uvt)
    orca__uvt_close(p->uvt, peer_free, p);
  else if (!p->busy)
    peer_free(p);
}
