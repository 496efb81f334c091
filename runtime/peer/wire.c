/* wire.c — frames out and in. Out: a header from this node, the body, as
 * much queued news as fits, then the seal. In: size, loopback rule, seal,
 * decode, cluster, own id, replay window and channel are checked in that
 * order; the first failure drops the frame and is counted, and nothing of a
 * dropped frame is acted on. */
#include <stdlib.h>
#include <string.h>

#include "orca/log.h"
#include "peer/peer_internal.h"
#include "peer/seal.h"

#define UPDATE_MAX 640 /* an encoded update with the longest id and metadata */
#define KEEP 64        /* updates decoded in one pass (more: decoded again) */

void orca__wire_header(orca__peer *p, orca__frame *f, orca__msg type) {
  memset(f, 0, sizeof *f);
  int64_t ts = p->io->wall_us(p->io->ctx);
  if (ts <= p->last_ts) /* strictly increasing: the replay window needs it */
    ts = p->last_ts + 1;
  p->last_ts = ts;
  f->cluster = (orca__pstr){p->cluster, (uint32_t)p->cluster_len};
  f->sender = (orca__pstr){p->self->id, (uint32_t)p->self->id_len};
  f->inc = p->self->inc;
  f->ts = ts;
  f->type = type;
}

static bool put(void *w, const uint8_t *data, size_t len) {
  return orca__fw_add(w, data, len);
}

/* Seal a finished datagram frame and hand it to the transport. */
static void send_frame(orca__peer *p, const orca__peer_addr *to, orca__fw *w) {
  uint8_t wire[ORCA__PEER_DGRAM_MAX];
  size_t n = orca__fw_end(w);
  size_t m = n ? orca__seal(p->keyed ? &p->key : NULL, w->buf, n, wire, sizeof wire) : 0;
  if (!m)
    return;
  p->st.frames_sent++;
  p->st.dgram_bytes_sent += m;
  p->io->send_dgram(p->io->ctx, to, wire, m);
}

void orca__wire_send_dgram(orca__peer *p, const orca__peer_addr *to, const orca__frame *f,
                           const uint8_t *first, size_t first_len) {
  uint8_t plain[ORCA__PEER_DGRAM_MAX];
  orca__fw w;
  orca__fw_begin(&w, plain, ORCA__PEER_DGRAM_MAX - orca__seal_size(p->keyed ? &p->key : NULL, 0),
                 f);
  if (first)
    orca__fw_add(&w, first, first_len);
  if (orca__bcast_len(&p->bcast))
    orca__bcast_fill(&p->bcast, orca__peer_retransmits(p), put, &w);
  send_frame(p, to, &w);
}

void orca__wire_member_update(const orca__peer *p, const orca__member *m, orca__update *u) {
  memset(u, 0, sizeof *u);
  u->id = (orca__pstr){m->id, (uint32_t)m->id_len};
  u->inc = m->inc;
  u->from = (orca__pstr){p->self->id, (uint32_t)p->self->id_len};
  switch (m->state) {
  case ORCA__M_SUSPECT:
    u->kind = ORCA__UPD_SUSPECT;
    break;
  case ORCA__M_DEAD:
    u->kind = ORCA__UPD_DEAD;
    break;
  case ORCA__M_LEFT:
    u->kind = ORCA__UPD_LEFT;
    break;
  default:
    u->kind = ORCA__UPD_ALIVE;
    u->addr = m->addr;
    orca__meta_view_of(&m->meta, &u->meta);
  }
}

void orca__wire_send_stream(orca__peer *p, const orca__peer_addr *to, const orca__frame *f,
                            bool with_members) {
  size_t cap = 1024 + f->data_len + (with_members ? p->members.n * UPDATE_MAX : 0);
  if (cap > ORCA__PEER_STREAM_MAX - ORCA__SEAL_OVERHEAD)
    cap = ORCA__PEER_STREAM_MAX - ORCA__SEAL_OVERHEAD;
  uint8_t *plain = malloc(cap), *wire = malloc(cap + ORCA__SEAL_OVERHEAD);
  if (!plain || !wire) {
    free(plain);
    free(wire);
    return;
  }
  orca__fw w;
  orca__fw_begin(&w, plain, cap, f);
  for (size_t i = 0; with_members && i < p->members.n; i++) {
    uint8_t buf[UPDATE_MAX];
    orca__update u;
    orca__wire_member_update(p, p->members.v[i], &u);
    size_t n = orca__update_encode(&u, buf, sizeof buf);
    if (n)
      orca__fw_add(&w, buf, n);
  }
  size_t n = orca__fw_end(&w);
  size_t m =
      n ? orca__seal(p->keyed ? &p->key : NULL, plain, n, wire, cap + ORCA__SEAL_OVERHEAD) : 0;
  if (m) {
    p->st.frames_sent++;
    p->st.stream_bytes_sent += m + 4;
    p->io->send_stream(p->io->ctx, to, wire, m);
  }
  free(plain);
  free(wire);
}

void orca__wire_queue(orca__peer *p, const orca__update *u) {
  uint8_t buf[UPDATE_MAX];
  size_t n = orca__update_encode(u, buf, sizeof buf);
  if (n && orca__bcast_push(&p->bcast, u->id.p, u->id.n, buf, n) == 0)
    return;
  orca_log(ORCA_LOG_WARN, "peer: could not queue news about %.*s (out of memory)", (int)u->id.n,
           u->id.p);
}

static bool pstr_eq(orca__pstr s, const char *p, size_t n) {
  return s.n == n && memcmp(s.p, p, n) == 0;
}

/* The direct message of a USER frame, to the application. */
static void deliver(orca__peer *p, const orca__frame *f) {
  if (!p->on_message)
    return;
  char id[ORCA__PEER_ID_MAX + 1];
  memcpy(id, f->sender.p, f->sender.n);
  id[f->sender.n] = '\0';
  const orca__member *m = orca__members_find(&p->members, f->sender.p, f->sender.n);
  orca__peer_member view, *from = NULL;
  if (m) {
    view = (orca__peer_member){m->id,    m->addr, (orca__peer_state)m->state, m->inc, m->since,
                               &m->meta, false};
    from = &view;
  }
  p->on_message(p->ud, id, from, f->data, f->data_len);
}

/* The sender of a frame claimed members suspect or dead at incarnations
 * they have since refuted: it missed the refutations, and gossip may not
 * bring them before its suspicion runs out. Tell it directly. */
static void correct(orca__peer *p, const orca__peer_addr *to, orca__member **m, size_t n) {
  orca__frame f;
  orca__wire_header(p, &f, ORCA__MSG_GOSSIP);
  uint8_t plain[ORCA__PEER_DGRAM_MAX];
  orca__fw w;
  orca__fw_begin(&w, plain, ORCA__PEER_DGRAM_MAX - orca__seal_size(p->keyed ? &p->key : NULL, 0),
                 &f);
  for (size_t i = 0; i < n; i++) {
    uint8_t buf[UPDATE_MAX];
    orca__update u;
    orca__wire_member_update(p, m[i], &u);
    size_t len = orca__update_encode(&u, buf, sizeof buf);
    if (len)
      orca__fw_add(&w, buf, len);
  }
  send_frame(p, to, &w);
}

static int check(orca__peer *p, const orca__peer_addr *from, const uint8_t *data, size_t len,
                 bool stream, uint8_t *buf, size_t cap, orca__frame *f, orca__update *keep,
                 size_t keep_cap) {
  if (len > (stream ? ORCA__PEER_STREAM_MAX : ORCA__PEER_DGRAM_MAX))
    return ORCA__DROP_OVERSIZED;
  if (!p->keyed && !orca__peer_addr_loopback(from))
    return ORCA__DROP_LOOPBACK;
  const uint8_t *plain;
  size_t n;
  int rc = orca__unseal(p->keyed ? &p->key : NULL, data, len, buf, cap, &plain, &n);
  if (rc || (rc = orca__frame_decode(plain, n, f, keep, keep_cap)))
    return rc;
  if (!pstr_eq(f->cluster, p->cluster, p->cluster_len))
    return ORCA__DROP_CLUSTER;
  if (pstr_eq(f->sender, p->self->id, p->self->id_len))
    return ORCA__DROP_SELF;
  bool stream_type = f->type == ORCA__MSG_SYNC || f->type == ORCA__MSG_USER;
  if (stream_type != stream)
    return ORCA__DROP_MALFORMED;
  return orca__replay_check(&p->replay, f->sender.p, f->sender.n, f->ts,
                            p->io->wall_us(p->io->ctx));
}

void orca__wire_input(orca__peer *p, const orca__peer_addr *from, const uint8_t *data, size_t len,
                      bool stream) {
  uint8_t small[ORCA__PEER_DGRAM_MAX];
  uint8_t *buf = small;
  size_t cap = sizeof small;
  if (stream && len > cap && len <= ORCA__PEER_STREAM_MAX) {
    buf = malloc(len);
    cap = buf ? len : 0;
  }
  orca__frame f;
  orca__update keep[KEEP]; /* a datagram's updates, decoded once */
  int rc = buf ? check(p, from, data, len, stream, buf, cap, &f, keep, KEEP) : ORCA__DROP_BUSY;
  if (rc) {
    orca__peer_drop(p, rc, from);
  } else {
    p->st.frames_received++;
    orca__member *sender = orca__members_find(&p->members, f.sender.p, f.sender.n);
    if (sender)
      orca__state_heard(p, sender, f.inc);
    if (f.type == ORCA__MSG_SYNC) {
      orca__sync_input(p, &f);
    } else if (f.type == ORCA__MSG_USER) {
      deliver(p, &f);
    } else {
      /* News first: a probe that carries our suspicion is refuted before
       * it is answered, and the answer carries the refutation. */
      orca__update_iter it;
      orca__update u;
      orca__member *stale[4];
      size_t n_stale = 0;
      orca__frame_updates(&f, &it);
      while (orca__update_next(&it, &u)) {
        orca__member *m = orca__state_apply(p, &u, &f.sender, false);
        if (m && n_stale < 4)
          stale[n_stale++] = m;
      }
      orca__probe_input(p, from, &f);
      if (n_stale)
        correct(p, from, stale, n_stale);
    }
  }
  if (buf != small)
    free(buf);
}
