/* envelope.c — the task envelope (envelope.h) to and from msgpack.
 *
 * Layout: a msgpack map keyed by the small integers below, like a generated
 * struct, so fields can be added later (unknown keys are skipped). Zero and
 * empty optional fields are left out to keep the record small. Decoding is
 * zero-copy through the codec's pull reader: strings and args point into the
 * input. Strings are not checked for UTF-8 here (they are compared, not
 * printed raw); ids, task and args are required. */
#include "codec/envelope.h"

#include "codec/pack.h"
#include "codec/reader.h"

#include <string.h>

enum {
  K_V = 1,
  K_ID = 2,
  K_TASK = 3,
  K_FINGERPRINT = 4,
  K_QUEUE = 5,
  K_PRIORITY = 6,
  K_ATTEMPT = 7,
  K_ENQUEUED = 8,
  K_ETA = 9,
  K_DEADLINE = 10,
  K_UNIQUE = 11,
  K_HEADERS = 12,
  K_ARGS = 13,
};

static int pack_str(orca_buf *pk, orca__str s) {
  return orca__mpk_str(pk, s.len) || orca__mpk_str_body(pk, s.ptr, s.len);
}

int orca__envelope_encode(const orca__envelope *e, orca_buf *out) {
  if (e->nheaders > ORCA__MAX_HEADERS)
    return ORCA_EINVAL;
  if (orca_buf_reserve(out, 96 + e->id.len + e->task.len + e->queue.len + e->args_len))
    return ORCA_ENOMEM;
  uint32_t n = 7 + (e->priority != 0) + (e->attempt != 0) + (e->eta_us != 0) +
               (e->deadline_us != 0) + (e->unique_key.len != 0) + (e->nheaders != 0);
  int bad = orca__mpk_map(out, n);
  bad |= orca__mpk_uint8(out, K_V) || orca__mpk_uint32(out, e->v);
  bad |= orca__mpk_uint8(out, K_ID) || pack_str(out, e->id);
  bad |= orca__mpk_uint8(out, K_TASK) || pack_str(out, e->task);
  bad |= orca__mpk_uint8(out, K_FINGERPRINT) || orca__mpk_uint64(out, e->fingerprint);
  bad |= orca__mpk_uint8(out, K_QUEUE) || pack_str(out, e->queue);
  if (e->priority)
    bad |= orca__mpk_uint8(out, K_PRIORITY) || orca__mpk_int32(out, e->priority);
  if (e->attempt)
    bad |= orca__mpk_uint8(out, K_ATTEMPT) || orca__mpk_uint32(out, e->attempt);
  bad |= orca__mpk_uint8(out, K_ENQUEUED) || orca__mpk_int64(out, e->enqueued_us);
  if (e->eta_us)
    bad |= orca__mpk_uint8(out, K_ETA) || orca__mpk_int64(out, e->eta_us);
  if (e->deadline_us)
    bad |= orca__mpk_uint8(out, K_DEADLINE) || orca__mpk_int64(out, e->deadline_us);
  if (e->unique_key.len)
    bad |= orca__mpk_uint8(out, K_UNIQUE) || pack_str(out, e->unique_key);
  if (e->nheaders) {
    bad |= orca__mpk_uint8(out, K_HEADERS) || orca__mpk_map(out, e->nheaders);
    for (size_t i = 0; i < e->nheaders; i++)
      bad |= pack_str(out, e->headers[i].key) || pack_str(out, e->headers[i].value);
  }
  bad |= orca__mpk_uint8(out, K_ARGS) || orca__mpk_bin(out, e->args_len) ||
         orca__mpk_bin_body(out, e->args, e->args_len);
  return bad ? ORCA_ENOMEM : 0;
}

static const char *const key_names[] = {
    [K_V] = "v",
    [K_ID] = "id",
    [K_TASK] = "task",
    [K_FINGERPRINT] = "fingerprint",
    [K_QUEUE] = "queue",
    [K_PRIORITY] = "priority",
    [K_ATTEMPT] = "attempt",
    [K_ENQUEUED] = "enqueued",
    [K_ETA] = "eta",
    [K_DEADLINE] = "deadline",
    [K_UNIQUE] = "unique_key",
    [K_HEADERS] = "headers",
    [K_ARGS] = "args",
};

static int bad(orca_err *err, const char *what, const char *why) {
  return orca_err_set(err, ORCA_EDECODE, "envelope.%s: %s", what, why);
}

static int get_str(orca__mp_reader *r, orca__str *s, const char *what, orca_err *err) {
  orca__mp_item it;
  if (orca__mp_next(r, &it))
    return bad(err, what, "truncated or malformed");
  if (it.type != ORCA__MP_STR)
    return orca_err_set(err, ORCA_EDECODE, "envelope.%s: expected string, got %s", what,
                        orca__mp_type_name(&it));
  s->ptr = (const char *)it.v.s.ptr;
  s->len = it.v.s.len;
  return 0;
}

/* Read an integer into [min, max]; negative values come through i. */
static int get_int(orca__mp_reader *r, int64_t min, uint64_t max, int64_t *si, uint64_t *ui,
                   const char *what, orca_err *err) {
  orca__mp_item it;
  if (orca__mp_next(r, &it))
    return bad(err, what, "truncated or malformed");
  if (it.type == ORCA__MP_UINT && it.v.u <= max) {
    if (ui)
      *ui = it.v.u;
    if (si)
      *si = (int64_t)it.v.u;
    return 0;
  }
  if (it.type == ORCA__MP_INT && it.v.i >= min) {
    *si = it.v.i;
    return 0;
  }
  if (it.type == ORCA__MP_UINT || it.type == ORCA__MP_INT)
    return bad(err, what, "integer out of range");
  return orca_err_set(err, ORCA_EDECODE, "envelope.%s: expected integer, got %s", what,
                      orca__mp_type_name(&it));
}

int orca__envelope_decode(const uint8_t *data, size_t len, orca__envelope *e, orca_err *err) {
  memset(e, 0, sizeof *e);
  static const uint8_t empty[1];
  orca__mp_reader r = {data ? data : empty, (data ? data : empty) + (data ? len : 0)};
  orca__mp_item it;
  if (orca__mp_next(&r, &it))
    return bad(err, "(root)", "truncated or malformed");
  if (it.type != ORCA__MP_MAP)
    return orca_err_set(err, ORCA_EDECODE, "envelope: expected map, got %s",
                        orca__mp_type_name(&it));
  uint32_t seen = 0;
  for (uint32_t i = 0; i < it.v.n; i++) {
    orca__mp_item k;
    if (orca__mp_next(&r, &k))
      return bad(err, "(key)", "truncated or malformed");
    if (k.type != ORCA__MP_UINT)
      return orca_err_set(err, ORCA_EDECODE, "envelope: key: expected integer, got %s",
                          orca__mp_type_name(&k));
    if (k.v.u < K_V || k.v.u > K_ARGS) {
      if (orca__mp_skip(&r, 1))
        return bad(err, "(unknown key)", "truncated or malformed");
      continue;
    }
    unsigned key = (unsigned)k.v.u;
    const char *what = key_names[key];
    if (seen & (1u << key))
      return bad(err, what, "duplicate key");
    seen |= 1u << key;
    int64_t si = 0;
    uint64_t ui = 0;
    int rc = 0;
    switch (key) {
    case K_V:
      rc = get_int(&r, 0, UINT32_MAX, NULL, &ui, what, err);
      e->v = (uint32_t)ui;
      break;
    case K_ID:
      rc = get_str(&r, &e->id, what, err);
      break;
    case K_TASK:
      rc = get_str(&r, &e->task, what, err);
      break;
    case K_FINGERPRINT:
      rc = get_int(&r, 0, UINT64_MAX, NULL, &e->fingerprint, what, err);
      break;
    case K_QUEUE:
      rc = get_str(&r, &e->queue, what, err);
      break;
    case K_PRIORITY:
      rc = get_int(&r, INT32_MIN, INT32_MAX, &si, NULL, what, err);
      e->priority = (int32_t)si;
      break;
    case K_ATTEMPT:
      rc = get_int(&r, 0, UINT32_MAX, NULL, &ui, what, err);
      e->attempt = (uint32_t)ui;
      break;
    case K_ENQUEUED:
      rc = get_int(&r, INT64_MIN, INT64_MAX, &e->enqueued_us, NULL, what, err);
      break;
    case K_ETA:
      rc = get_int(&r, INT64_MIN, INT64_MAX, &e->eta_us, NULL, what, err);
      break;
    case K_DEADLINE:
      rc = get_int(&r, INT64_MIN, INT64_MAX, &e->deadline_us, NULL, what, err);
      break;
    case K_UNIQUE:
      rc = get_str(&r, &e->unique_key, what, err);
      break;
    case K_HEADERS: {
      orca__mp_item h;
      if (orca__mp_next(&r, &h))
        return bad(err, what, "truncated or malformed");
      if (h.type != ORCA__MP_MAP)
        return orca_err_set(err, ORCA_EDECODE, "envelope.headers: expected map, got %s",
                            orca__mp_type_name(&h));
      if (h.v.n > ORCA__MAX_HEADERS)
        return orca_err_set(err, ORCA_EDECODE, "envelope.headers: %u headers, at most %d", h.v.n,
                            ORCA__MAX_HEADERS);
      for (uint32_t j = 0; j < h.v.n && !rc; j++)
        rc = get_str(&r, &e->headers[j].key, what, err) ||
                     get_str(&r, &e->headers[j].value, what, err)
                 ? ORCA_EDECODE
                 : 0;
      e->nheaders = h.v.n;
      break;
    }
    case K_ARGS: {
      orca__mp_item a;
      if (orca__mp_next(&r, &a))
        return bad(err, what, "truncated or malformed");
      if (a.type != ORCA__MP_BIN)
        return orca_err_set(err, ORCA_EDECODE, "envelope.args: expected bin, got %s",
                            orca__mp_type_name(&a));
      e->args = a.v.s.ptr;
      e->args_len = a.v.s.len;
      break;
    }
    }
    if (rc)
      return ORCA_EDECODE;
  }
  if (r.p != r.end)
    return orca_err_set(err, ORCA_EDECODE, "envelope: %zu trailing bytes", (size_t)(r.end - r.p));
  static const unsigned required[] = {K_V, K_ID, K_TASK, K_ARGS};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
    if (!(seen & (1u << required[i])))
      return bad(err, key_names[required[i]], "missing");
  return 0;
}
