/* members.c — the member table and the probe round (members.h). */
#include "peer/members.h"

#include <stdlib.h>
#include <string.h>

void orca__members_init(orca__members *t, size_t cap) {
  memset(t, 0, sizeof *t);
  orca__idmap_init(&t->map);
  t->cap = cap;
}

orca__member *orca__members_find(const orca__members *t, const char *id, size_t len) {
  return orca__idmap_get(&t->map, id, len);
}

/* Grow v and order (which holds every member too) to hold one more. */
static int reserve(orca__members *t) {
  if (t->n < t->alloc)
    return 0;
  size_t want = t->alloc ? t->alloc * 2 : 16;
  orca__member **v = realloc(t->v, want * sizeof *v);
  if (!v)
    return -1;
  t->v = v;
  orca__member **o = realloc(t->order, want * sizeof *o);
  if (!o)
    return -1;
  t->order = o;
  t->alloc = want;
  return 0;
}

orca__member *orca__members_add(orca__members *t, const char *id, size_t len, uint64_t rand) {
  if (t->n >= t->cap || len == 0 || len > ORCA__PEER_ID_MAX || reserve(t))
    return NULL;
  orca__member *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  memcpy(m->id, id, len);
  m->id_len = len;
  m->hash = orca__idmap_hash(&t->map, id, len);
  m->state = ORCA__M_ALIVE;
  if (orca__idmap_put(&t->map, m->id, m->id_len, m)) {
    free(m);
    return NULL;
  }
  m->index = t->n;
  t->v[t->n++] = m;
  t->count[ORCA__M_ALIVE]++;
  /* A random place in the rest of the current round. */
  size_t left = t->order_n - t->order_pos;
  size_t at = t->order_pos + (size_t)(rand % (left + 1));
  size_t end = t->order_n++;
  t->order[end] = at < end ? t->order[at] : m;
  t->order[at] = m;
  return m;
}

void orca__members_remove(orca__members *t, orca__member *m) {
  for (size_t i = 0; i < t->order_n; i++) {
    if (t->order[i] == m) {
      memmove(t->order + i, t->order + i + 1, (t->order_n - i - 1) * sizeof *t->order);
      t->order_n--;
      if (i < t->order_pos)
        t->order_pos--;
      break;
    }
  }
  orca__idmap_del(&t->map, m->id, m->id_len);
  t->count[m->state]--;
  t->v[m->index] = t->v[--t->n];
  t->v[m->index]->index = m->index;
  free(m);
}

void orca__members_set_state(orca__members *t, orca__member *m, int state, int64_t now) {
  if (m->state == state)
    return;
  t->count[m->state]--;
  t->count[state]++;
  m->state = state;
  m->since = now;
}

static bool probeable(const orca__members *t, const orca__member *m) {
  return m != t->v[0] && (m->state == ORCA__M_ALIVE || m->state == ORCA__M_SUSPECT);
}

orca__member *orca__members_next_probe(orca__members *t, int64_t now, bool suspects,
                                       uint64_t (*rand)(void *), void *ctx) {
  orca__member *soon = NULL;
  for (size_t i = 1; suspects && i < t->n; i++) {
    orca__member *m = t->v[i];
    if (m->state == ORCA__M_SUSPECT && m->probe_at <= now &&
        (!soon || m->probe_at < soon->probe_at))
      soon = m;
  }
  if (soon)
    return soon;
  for (int pass = 0; pass < 2; pass++) {
    while (t->order_pos < t->order_n) {
      orca__member *m = t->order[t->order_pos++];
      if (probeable(t, m))
        return m;
    }
    /* A new round: every member, shuffled (Fisher-Yates). */
    memcpy(t->order, t->v, t->n * sizeof *t->order);
    t->order_n = t->n;
    t->order_pos = 0;
    for (size_t i = t->n; i > 1; i--) {
      size_t j = (size_t)(rand(ctx) % i);
      orca__member *x = t->order[i - 1];
      t->order[i - 1] = t->order[j];
      t->order[j] = x;
    }
  }
  return NULL;
}

size_t orca__members_pick(const orca__members *t, size_t k, unsigned mask,
                          const orca__member *except, uint64_t (*rand)(void *), void *ctx,
                          orca__member **out) {
  size_t got = 0;
  if (t->n < 2 || k == 0)
    return 0;
  /* Random draws first: with most members eligible (the usual case) this
   * takes about k draws whatever the size of the table. */
  for (size_t tries = 0; got < k && tries < 4 * k; tries++) {
    orca__member *m = t->v[1 + (size_t)(rand(ctx) % (t->n - 1))];
    bool dup = m == except || !(mask & (1u << m->state));
    for (size_t j = 0; j < got && !dup; j++)
      dup = out[j] == m;
    if (!dup)
      out[got++] = m;
  }
  if (got == k)
    return got;
  /* Few eligible members: a reservoir pass over the table. */
  size_t seen = 0;
  got = 0;
  for (size_t i = 1; i < t->n; i++) {
    orca__member *m = t->v[i];
    if (m == except || !(mask & (1u << m->state)))
      continue;
    seen++;
    if (got < k) {
      out[got++] = m;
    } else {
      size_t j = (size_t)(rand(ctx) % seen);
      if (j < k)
        out[j] = m;
    }
  }
  return got;
}

void orca__members_free(orca__members *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->v[i]);
  free(t->v);
  free(t->order);
  orca__idmap_free(&t->map);
  memset(t, 0, sizeof *t);
}
