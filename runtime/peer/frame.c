/* frame.c — encoding and decoding peer frames (frame.h). Decoding uses the
 * project's bounds-checked msgpack reader; encoding uses msgpack-c's packer
 * over a fixed buffer, so a frame never grows past its datagram. */
#include "peer/frame.h"

#include <string.h>

#include "codec/reader.h"
#include "codec/util.h"
#include "peer/drop.h"

/* ---- decoding ------------------------------------------------------------ */

bool orca__frame_str_ok(const char *s, size_t n) {
  return orca__utf8_valid((const uint8_t *)s, n);
}

/* Nesting below a frame's own levels that skipped values may use. */
#define SKIP_DEPTH 4

static int fail(int mp) {
  return mp == ORCA__MP_TRUNCATED ? ORCA__DROP_TRUNCATED : ORCA__DROP_MALFORMED;
}

static int rd(orca__mp_reader *r, orca__mp_item *it) {
  int rc = orca__mp_next(r, it);
  return rc ? fail(rc) : ORCA__DROP_NONE;
}

static int rd_uint(orca__mp_reader *r, uint64_t max, uint64_t *out) {
  orca__mp_item it;
  int rc = rd(r, &it);
  if (rc)
    return rc;
  if (it.type != ORCA__MP_UINT || it.v.u > max)
    return ORCA__DROP_MALFORMED;
  *out = it.v.u;
  return ORCA__DROP_NONE;
}

static int rd_u32(orca__mp_reader *r, uint32_t *out) {
  uint64_t v;
  int rc = rd_uint(r, UINT32_MAX, &v);
  if (!rc)
    *out = (uint32_t)v;
  return rc;
}

/* A UTF-8 string without NUL, min..max bytes. */
static int rd_str(orca__mp_reader *r, uint32_t min, uint32_t max, orca__pstr *s) {
  orca__mp_item it;
  int rc = rd(r, &it);
  if (rc)
    return rc;
  if (it.type != ORCA__MP_STR || it.v.s.len < min || it.v.s.len > max ||
      !orca__utf8_valid(it.v.s.ptr, it.v.s.len))
    return ORCA__DROP_MALFORMED;
  s->p = (const char *)it.v.s.ptr;
  s->n = it.v.s.len;
  return ORCA__DROP_NONE;
}

static int rd_array(orca__mp_reader *r, uint32_t min, uint32_t *n) {
  orca__mp_item it;
  int rc = rd(r, &it);
  if (rc)
    return rc;
  if (it.type != ORCA__MP_ARRAY || it.v.n < min)
    return ORCA__DROP_MALFORMED;
  *n = it.v.n;
  return ORCA__DROP_NONE;
}

static int rd_addr(orca__mp_reader *r, orca__peer_addr *a) {
  orca__mp_item it;
  int rc = rd(r, &it);
  if (rc)
    return rc;
  if (it.type != ORCA__MP_BIN || orca__peer_addr_from_wire(it.v.s.ptr, it.v.s.len, a))
    return ORCA__DROP_MALFORMED;
  return ORCA__DROP_NONE;
}

/* Skip the n values that a newer version may have appended. */
static int skip_n(orca__mp_reader *r, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    int rc = orca__mp_skip(r, ORCA_CODEC_MAX_DEPTH - SKIP_DEPTH);
    if (rc)
      return fail(rc);
  }
  return ORCA__DROP_NONE;
}

/* meta = {1: addrs, 2: queues, 3: version, 4: concurrency, 5: running} */
static int rd_meta(orca__mp_reader *r, orca__meta_view *m) {
  orca__mp_item it;
  int rc = rd(r, &it);
  if (rc)
    return rc;
  if (it.type != ORCA__MP_MAP)
    return ORCA__DROP_MALFORMED;
  memset(m, 0, sizeof *m);
  unsigned seen = 0;
  for (uint32_t i = 0; i < it.v.n; i++) {
    uint64_t key;
    if ((rc = rd_uint(r, UINT32_MAX, &key)))
      return rc;
    if (key >= 1 && key <= 5) {
      if (seen & (1u << key))
        return ORCA__DROP_MALFORMED; /* a key twice */
      seen |= 1u << key;
    }
    switch (key) {
    case 1:
      rc = rd_str(r, 0, ORCA__PEER_ADDRS_MAX, &m->addrs);
      break;
    case 2:
      rc = rd_str(r, 0, ORCA__PEER_QUEUES_MAX, &m->queues);
      break;
    case 3:
      rc = rd_str(r, 0, ORCA__PEER_VERSION_MAX, &m->version);
      break;
    case 4:
      rc = rd_u32(r, &m->concurrency);
      break;
    case 5:
      rc = rd_u32(r, &m->running);
      break;
    default:
      rc = skip_n(r, 1);
    }
    if (rc)
      return rc;
  }
  return ORCA__DROP_NONE;
}

/* update = [kind, id, inc, ...kind's fields, ...ignored] */
static int rd_update(orca__mp_reader *r, orca__update *u) {
  uint32_t n;
  int rc = rd_array(r, 3, &n);
  if (rc)
    return rc;
  uint64_t kind;
  if ((rc = rd_uint(r, ORCA__UPD_LEFT, &kind)) || kind < ORCA__UPD_ALIVE)
    return rc ? rc : ORCA__DROP_MALFORMED;
  u->kind = (orca__upd_kind)kind;
  if ((rc = rd_str(r, 1, ORCA__PEER_ID_MAX, &u->id)) || (rc = rd_uint(r, UINT64_MAX, &u->inc)))
    return rc;
  uint32_t used = 3;
  u->from = (orca__pstr){NULL, 0};
  switch (u->kind) {
  case ORCA__UPD_ALIVE:
    if (n < 5)
      return ORCA__DROP_MALFORMED;
    if ((rc = rd_addr(r, &u->addr)) || (rc = rd_meta(r, &u->meta)))
      return rc;
    used = 5;
    break;
  case ORCA__UPD_SUSPECT:
  case ORCA__UPD_DEAD:
    if (n < 4)
      return ORCA__DROP_MALFORMED;
    if ((rc = rd_str(r, 1, ORCA__PEER_ID_MAX, &u->from)))
      return rc;
    used = 4;
    break;
  case ORCA__UPD_LEFT:
    break;
  }
  return skip_n(r, n - used);
}

static int rd_body(orca__mp_reader *r, orca__frame *f) {
  uint32_t n, used;
  int rc = rd_array(r, 0, &n);
  if (rc)
    return rc;
  switch (f->type) {
  case ORCA__MSG_PING:
    if (n < 2)
      return ORCA__DROP_MALFORMED;
    rc = rd_u32(r, &f->seq);
    if (!rc)
      rc = rd_str(r, 1, ORCA__PEER_ID_MAX, &f->target);
    used = 2;
    break;
  case ORCA__MSG_PING_REQ: {
    if (n < 4)
      return ORCA__DROP_MALFORMED;
    orca__mp_item it;
    if ((rc = rd_u32(r, &f->seq)) || (rc = rd_str(r, 1, ORCA__PEER_ID_MAX, &f->target)) ||
        (rc = rd_addr(r, &f->target_addr)) || (rc = rd(r, &it)))
      return rc;
    if (it.type != ORCA__MP_BOOL)
      return ORCA__DROP_MALFORMED;
    f->nack = it.v.b;
    used = 4;
    break;
  }
  case ORCA__MSG_ACK:
  case ORCA__MSG_NACK:
    if (n < 1)
      return ORCA__DROP_MALFORMED;
    rc = rd_u32(r, &f->seq);
    used = 1;
    break;
  case ORCA__MSG_GOSSIP:
    used = 0;
    break;
  case ORCA__MSG_SYNC:
    if (n < 1)
      return ORCA__DROP_MALFORMED;
    rc = rd_u32(r, &f->flags);
    used = 1;
    break;
  case ORCA__MSG_USER: {
    if (n < 1)
      return ORCA__DROP_MALFORMED;
    orca__mp_item it;
    if ((rc = rd(r, &it)))
      return rc;
    if (it.type != ORCA__MP_BIN || it.v.s.len > ORCA__PEER_MSG_MAX)
      return ORCA__DROP_MALFORMED;
    f->data = it.v.s.ptr;
    f->data_len = it.v.s.len;
    used = 1;
    break;
  }
  default:
    return ORCA__DROP_MALFORMED;
  }
  return rc ? rc : skip_n(r, n - used);
}

int orca__frame_decode(const uint8_t *p, size_t n, orca__frame *f, orca__update *keep, size_t cap) {
  memset(f, 0, sizeof *f);
  orca__mp_reader r = {p, p + n};
  uint32_t len;
  uint64_t v;
  int rc = rd_array(&r, 1, &len);
  if (rc)
    return rc;
  if ((rc = rd_uint(&r, UINT32_MAX, &v)))
    return rc;
  if (v != ORCA__FRAME_VERSION)
    return ORCA__DROP_VERSION;
  f->version = (uint32_t)v;
  if (len < 8)
    return ORCA__DROP_MALFORMED;
  uint64_t ts, type;
  if ((rc = rd_str(&r, 1, ORCA__PEER_CLUSTER_MAX, &f->cluster)) ||
      (rc = rd_str(&r, 1, ORCA__PEER_ID_MAX, &f->sender)) ||
      (rc = rd_uint(&r, UINT64_MAX, &f->inc)) || (rc = rd_uint(&r, INT64_MAX, &ts)) ||
      (rc = rd_uint(&r, ORCA__MSG_USER, &type)))
    return rc;
  if (type < ORCA__MSG_PING)
    return ORCA__DROP_MALFORMED;
  f->ts = (int64_t)ts;
  f->type = (orca__msg)type;
  if ((rc = rd_body(&r, f)) || (rc = rd_array(&r, 0, &f->n_updates)))
    return rc;
  if (f->n_updates > ORCA__FRAME_UPDATES_MAX)
    return ORCA__DROP_MALFORMED;
  f->updates = r.p;
  bool kept = keep && f->n_updates <= cap;
  orca__update u;
  for (uint32_t i = 0; i < f->n_updates; i++)
    if ((rc = rd_update(&r, kept ? &keep[i] : &u)))
      return rc;
  f->updates_end = r.p;
  f->kept = kept ? keep : NULL;
  if ((rc = skip_n(&r, len - 8)))
    return rc;
  return r.p == r.end ? ORCA__DROP_NONE : ORCA__DROP_MALFORMED; /* bytes after the frame */
}

void orca__frame_updates(const orca__frame *f, orca__update_iter *it) {
  it->p = f->updates;
  it->end = f->updates_end;
  it->left = f->n_updates;
  it->kept = f->kept;
}

bool orca__update_next(orca__update_iter *it, orca__update *u) {
  if (it->left == 0)
    return false;
  if (it->kept) {
    *u = *it->kept++;
    it->left--;
    return true;
  }
  orca__mp_reader r = {it->p, it->end};
  if (rd_update(&r, u)) { /* validated by decode: cannot happen */
    it->left = 0;
    return false;
  }
  it->p = r.p;
  it->left--;
  return true;
}

/* ---- metadata views ------------------------------------------------------ */

static orca__pstr view(const char *s) {
  return (orca__pstr){s, (uint32_t)strlen(s)};
}

void orca__meta_view_of(const orca__peer_meta *m, orca__meta_view *v) {
  *v = (orca__meta_view){view(m->addrs), view(m->queues), view(m->version), m->concurrency,
                         m->running};
}

static bool same(orca__pstr a, const char *s) {
  return strlen(s) == a.n && !memcmp(s, a.p, a.n);
}

bool orca__meta_view_eq(const orca__meta_view *v, const orca__peer_meta *m) {
  return v->concurrency == m->concurrency && v->running == m->running && same(v->addrs, m->addrs) &&
         same(v->queues, m->queues) && same(v->version, m->version);
}

static void put_field(char *dst, size_t cap, orca__pstr s) {
  size_t n = s.n < cap ? s.n : cap - 1;
  memcpy(dst, s.p, n);
  dst[n] = '\0';
}

void orca__meta_from_view(const orca__meta_view *v, orca__peer_meta *m) {
  put_field(m->addrs, sizeof m->addrs, v->addrs);
  put_field(m->queues, sizeof m->queues, v->queues);
  put_field(m->version, sizeof m->version, v->version);
  m->concurrency = v->concurrency;
  m->running = v->running;
}

/* ---- encoding ------------------------------------------------------------ */

static int fw_write(void *data, const char *buf, size_t len) {
  orca__fw *w = data;
  if (len == 0) /* an empty string: buf may be NULL */
    return 0;
  if (w->full || w->cap - w->len < len) {
    w->full = true;
    return -1;
  }
  memcpy(w->buf + w->len, buf, len);
  w->len += len;
  return 0;
}

static void fw_init(orca__fw *w, uint8_t *buf, size_t cap) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
  msgpack_packer_init(&w->pk, w, fw_write);
}

static void put_str(orca__fw *w, const char *s, size_t n) {
  msgpack_pack_str(&w->pk, n);
  msgpack_pack_str_body(&w->pk, s, n);
}

static void put_addr(orca__fw *w, const orca__peer_addr *a) {
  uint8_t b[ORCA__PEER_ADDR_WIRE_MAX];
  size_t n = orca__peer_addr_to_wire(a, b);
  msgpack_pack_bin(&w->pk, n);
  msgpack_pack_bin_body(&w->pk, b, n);
}

static void put_body(orca__fw *w, const orca__frame *f) {
  msgpack_packer *pk = &w->pk;
  switch (f->type) {
  case ORCA__MSG_PING:
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint32(pk, f->seq);
    put_str(w, f->target.p, f->target.n);
    break;
  case ORCA__MSG_PING_REQ:
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint32(pk, f->seq);
    put_str(w, f->target.p, f->target.n);
    put_addr(w, &f->target_addr);
    if (f->nack)
      msgpack_pack_true(pk);
    else
      msgpack_pack_false(pk);
    break;
  case ORCA__MSG_ACK:
  case ORCA__MSG_NACK:
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint32(pk, f->seq);
    break;
  case ORCA__MSG_SYNC:
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint32(pk, f->flags);
    break;
  case ORCA__MSG_USER:
    msgpack_pack_array(pk, 1);
    msgpack_pack_bin(pk, f->data_len);
    msgpack_pack_bin_body(pk, f->data, f->data_len);
    break;
  default: /* GOSSIP */
    msgpack_pack_array(pk, 0);
  }
}

void orca__fw_begin(orca__fw *w, uint8_t *buf, size_t cap, const orca__frame *f) {
  fw_init(w, buf, cap);
  msgpack_packer *pk = &w->pk;
  msgpack_pack_array(pk, 8);
  msgpack_pack_uint32(pk, ORCA__FRAME_VERSION);
  put_str(w, f->cluster.p, f->cluster.n);
  put_str(w, f->sender.p, f->sender.n);
  msgpack_pack_uint64(pk, f->inc);
  msgpack_pack_uint64(pk, (uint64_t)(f->ts > 0 ? f->ts : 0));
  msgpack_pack_uint32(pk, (uint32_t)f->type);
  put_body(w, f);
  /* The count is patched by orca__fw_end: always the 3-byte array16 form. */
  static const uint8_t arr16[3] = {0xdc, 0, 0};
  w->count_at = w->len;
  fw_write(w, (const char *)arr16, sizeof arr16);
}

bool orca__fw_add(orca__fw *w, const uint8_t *upd, size_t len) {
  if (w->full || w->cap - w->len < len || w->count >= ORCA__FRAME_UPDATES_MAX)
    return false;
  memcpy(w->buf + w->len, upd, len);
  w->len += len;
  w->count++;
  return true;
}

size_t orca__fw_end(orca__fw *w) {
  if (w->full)
    return 0;
  w->buf[w->count_at + 1] = (uint8_t)(w->count >> 8);
  w->buf[w->count_at + 2] = (uint8_t)w->count;
  return w->len;
}

size_t orca__update_encode(const orca__update *u, uint8_t *out, size_t cap) {
  orca__fw w;
  fw_init(&w, out, cap);
  msgpack_packer *pk = &w.pk;
  switch (u->kind) {
  case ORCA__UPD_ALIVE:
    msgpack_pack_array(pk, 5);
    break;
  case ORCA__UPD_SUSPECT:
  case ORCA__UPD_DEAD:
    msgpack_pack_array(pk, 4);
    break;
  default:
    msgpack_pack_array(pk, 3);
  }
  msgpack_pack_uint8(pk, (uint8_t)u->kind);
  put_str(&w, u->id.p, u->id.n);
  msgpack_pack_uint64(pk, u->inc);
  if (u->kind == ORCA__UPD_ALIVE) {
    const orca__meta_view *m = &u->meta;
    put_addr(&w, &u->addr);
    msgpack_pack_map(pk, 5);
    msgpack_pack_uint8(pk, 1);
    put_str(&w, m->addrs.p, m->addrs.n);
    msgpack_pack_uint8(pk, 2);
    put_str(&w, m->queues.p, m->queues.n);
    msgpack_pack_uint8(pk, 3);
    put_str(&w, m->version.p, m->version.n);
    msgpack_pack_uint8(pk, 4);
    msgpack_pack_uint32(pk, m->concurrency);
    msgpack_pack_uint8(pk, 5);
    msgpack_pack_uint32(pk, m->running);
  } else if (u->kind != ORCA__UPD_LEFT) {
    put_str(&w, u->from.p, u->from.n);
  }
  return w.full ? 0 : w.len;
}
