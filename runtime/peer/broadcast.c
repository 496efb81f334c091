/* broadcast.c — the piggyback queue (broadcast.h). Queues hold one item per
 * member, so they stay small (tens of items); a sort per frame is cheap. */
#include "peer/broadcast.h"

#include <stdlib.h>
#include <string.h>

#include "orca/error.h"

static size_t find(const orca__bcast *q, const char *id, size_t idlen) {
  for (size_t i = 0; i < q->n; i++)
    if (q->v[i]->id_len == idlen && memcmp(q->v[i]->id, id, idlen) == 0)
      return i;
  return q->n;
}

static void drop(orca__bcast *q, size_t i) {
  free(q->v[i]->data);
  free(q->v[i]);
  q->v[i] = q->v[--q->n];
}

int orca__bcast_push(orca__bcast *q, const char *id, size_t idlen, const uint8_t *data,
                     size_t len) {
  if (idlen > ORCA__PEER_ID_MAX)
    return ORCA_EINVAL;
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy)
    return ORCA_ENOMEM;
  memcpy(copy, data, len);
  size_t i = find(q, id, idlen);
  if (i == q->n) {
    if (q->n == q->cap) {
      size_t cap = q->cap ? q->cap * 2 : 16;
      orca__bcast_item **v = realloc(q->v, cap * sizeof *v);
      if (!v) {
        free(copy);
        return ORCA_ENOMEM;
      }
      q->v = v;
      q->cap = cap;
    }
    orca__bcast_item *it = calloc(1, sizeof *it);
    if (!it) {
      free(copy);
      return ORCA_ENOMEM;
    }
    memcpy(it->id, id, idlen);
    it->id_len = idlen;
    q->v[q->n++] = it;
  } else {
    free(q->v[i]->data);
  }
  orca__bcast_item *it = q->v[i];
  it->data = copy;
  it->len = len;
  it->transmits = 0;
  it->order = ++q->order;
  return 0;
}

static int cmp(const void *a, const void *b) {
  const orca__bcast_item *x = *(orca__bcast_item *const *)a, *y = *(orca__bcast_item *const *)b;
  if (x->transmits != y->transmits)
    return x->transmits < y->transmits ? -1 : 1;
  return x->order > y->order ? -1 : x->order < y->order;
}

size_t orca__bcast_fill(orca__bcast *q, uint32_t limit,
                        bool (*put)(void *ctx, const uint8_t *data, size_t len), void *ctx) {
  if (q->n > 1)
    qsort(q->v, q->n, sizeof *q->v, cmp);
  size_t taken = 0;
  for (size_t i = 0; i < q->n;) {
    orca__bcast_item *it = q->v[i];
    if (!put(ctx, it->data, it->len)) {
      i++;
      continue;
    }
    taken++;
    if (++it->transmits >= limit) {
      /* keep the order of the rest for this pass: shift instead of swap */
      free(it->data);
      free(it);
      memmove(q->v + i, q->v + i + 1, (q->n - i - 1) * sizeof *q->v);
      q->n--;
    } else {
      i++;
    }
  }
  return taken;
}

bool orca__bcast_has(const orca__bcast *q, const char *id, size_t idlen) {
  return find(q, id, idlen) < q->n;
}

void orca__bcast_free(orca__bcast *q) {
  while (q->n)
    drop(q, q->n - 1);
  free(q->v);
  *q = (orca__bcast)ORCA__BCAST_INIT;
}
