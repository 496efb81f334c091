/* replay.c — the replay window (replay.h). */
#include "peer/replay.h"

#include <stdlib.h>
#include <string.h>

#include "peer/drop.h"

void orca__replay_init(orca__replay *r, size_t cap, int64_t window_us) {
  memset(r, 0, sizeof *r);
  orca__idmap_init(&r->map);
  r->cap = cap;
  r->window_us = window_us;
}

/* Forget the senders not heard within the window: their frames are all
 * stale now, so nothing they sent can be replayed. */
static void evict_silent(orca__replay *r, int64_t now) {
  for (size_t i = 0; i < r->n;) {
    orca__replay_entry *e = r->v[i];
    if (e->hi < now - r->window_us) {
      orca__idmap_del(&r->map, e->id, e->len);
      free(e);
      r->v[i] = r->v[--r->n];
    } else {
      i++;
    }
  }
}

static orca__replay_entry *entry(orca__replay *r, const char *id, size_t len, int64_t now) {
  orca__replay_entry *e = orca__idmap_get(&r->map, id, len);
  if (e)
    return e;
  if (r->n == r->cap)
    evict_silent(r, now);
  if (r->n == r->cap || len > ORCA__PEER_ID_MAX)
    return NULL;
  if (!r->v) {
    r->v = calloc(r->cap, sizeof *r->v);
    if (!r->v)
      return NULL;
  }
  e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  memcpy(e->id, id, len);
  e->len = len;
  e->hi = INT64_MIN;
  if (orca__idmap_put(&r->map, e->id, e->len, e)) {
    free(e);
    return NULL;
  }
  r->v[r->n++] = e;
  return e;
}

int orca__replay_check(orca__replay *r, const char *id, size_t len, int64_t ts, int64_t now) {
  if (ts < now - r->window_us || ts > now + r->window_us)
    return ORCA__DROP_STALE;
  orca__replay_entry *e = entry(r, id, len, now);
  if (!e)
    return ORCA__DROP_BUSY;
  unsigned lo = 0; /* index of the oldest stamp held */
  for (unsigned i = 0; i < e->count; i++) {
    if (e->ring[i] == ts)
      return ORCA__DROP_REPLAY;
    if (e->ring[i] < e->ring[lo])
      lo = i;
  }
  if (e->count < ORCA__REPLAY_RING) {
    e->ring[e->count++] = ts;
  } else {
    if (ts < e->ring[lo])
      return ORCA__DROP_REPLAY; /* older than everything remembered */
    e->ring[lo] = ts;
  }
  if (ts > e->hi)
    e->hi = ts;
  return ORCA__DROP_NONE;
}

void orca__replay_free(orca__replay *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->v[i]);
  free(r->v);
  orca__idmap_free(&r->map);
  memset(r, 0, sizeof *r);
}
