/* kafka_tracker.c — which offsets may be committed. Tasks of one partition
 * end in any order; Kafka keeps one committed offset per partition, and
 * everything before it counts as done. So a partition's commit point only
 * moves over the contiguous prefix of ended deliveries: with offsets 5, 6, 7
 * handed out and 6 ended, nothing moves; when 5 ends the point moves to 7
 * (the next offset to read). A revoke forgets what did not end, so the
 * next owner reads it again from the committed point. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/kafka/kafka_internal.h"

void orca__kafka_tracker_init(orca__kafka_tracker *t) {
  memset(t, 0, sizeof *t);
}

void orca__kafka_tracker_free(orca__kafka_tracker *t) {
  for (size_t i = 0; i < t->nparts; i++) {
    free(t->parts[i].topic);
    free(t->parts[i].offs);
    free(t->parts[i].ended);
  }
  free(t->parts);
  memset(t, 0, sizeof *t);
}

static orca__kafka_part *find(const orca__kafka_tracker *t, const char *topic, int32_t partition) {
  for (size_t i = 0; i < t->nparts; i++)
    if (t->parts[i].partition == partition && strcmp(t->parts[i].topic, topic) == 0)
      return &t->parts[i];
  return NULL;
}

orca__kafka_part *orca__kafka_tracker_part(orca__kafka_tracker *t, const char *topic,
                                           int32_t partition) {
  orca__kafka_part *p = find(t, topic, partition);
  if (p)
    return p;
  if (t->nparts == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    orca__kafka_part *np = realloc(t->parts, cap * sizeof *np);
    if (!np)
      return NULL;
    t->parts = np;
    t->cap = cap;
  }
  p = &t->parts[t->nparts];
  memset(p, 0, sizeof *p);
  p->topic = strdup(topic);
  if (!p->topic)
    return NULL;
  p->partition = partition;
  p->commit = -1;
  t->nparts++;
  return p;
}

/* Drop every delivery of p from the ring and the in-flight count. */
static void forget(orca__kafka_tracker *t, orca__kafka_part *p) {
  for (size_t i = 0; i < p->n; i++)
    if (!p->ended[(p->head + i) % p->cap])
      t->inflight--;
  p->head = p->n = 0;
}

int orca__kafka_tracker_assign(orca__kafka_tracker *t, const char *topic, int32_t partition) {
  orca__kafka_part *p = orca__kafka_tracker_part(t, topic, partition);
  if (!p)
    return ORCA_ENOMEM;
  forget(t, p);
  p->assigned = true;
  p->commit = -1;
  p->dirty = false;
  return 0;
}

void orca__kafka_tracker_revoke(orca__kafka_tracker *t, orca__kafka_part *p) {
  forget(t, p);
  p->assigned = false;
  p->gen++;
  p->dirty = false;
}

int orca__kafka_tracker_add(orca__kafka_tracker *t, const char *topic, int32_t partition,
                            int64_t offset, uint32_t *gen) {
  orca__kafka_part *p = find(t, topic, partition);
  if (!p || !p->assigned)
    return ORCA_ESTATE;
  if (p->n > 0 && offset <= p->offs[(p->head + p->n - 1) % p->cap])
    return ORCA_ESTATE;
  if (p->n == 0 && p->commit > offset)
    return ORCA_ESTATE;
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    int64_t *o = malloc(cap * sizeof *o);
    bool *e = malloc(cap * sizeof *e);
    if (!o || !e) {
      free(o), free(e);
      return ORCA_ENOMEM;
    }
    for (size_t i = 0; i < p->n; i++) {
      o[i] = p->offs[(p->head + i) % p->cap];
      e[i] = p->ended[(p->head + i) % p->cap];
    }
    free(p->offs), free(p->ended);
    p->offs = o, p->ended = e, p->cap = cap, p->head = 0;
  }
  size_t at = (p->head + p->n) % p->cap;
  p->offs[at] = offset;
  p->ended[at] = false;
  p->n++;
  t->inflight++;
  *gen = p->gen;
  return 0;
}

/* Index (0..n) in p's ring of offset by binary search; -1 when absent. */
static long locate(const orca__kafka_part *p, int64_t offset) {
  size_t lo = 0, hi = p->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t v = p->offs[(p->head + mid) % p->cap];
    if (v == offset)
      return (long)mid;
    if (v < offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

int orca__kafka_tracker_held(const orca__kafka_tracker *t, const char *topic, int32_t partition,
                             int64_t offset, uint32_t gen) {
  const orca__kafka_part *p = find(t, topic, partition);
  if (!p || !p->assigned || p->gen != gen)
    return ORCA_ELOST;
  long i = locate(p, offset);
  return i < 0 || p->ended[(p->head + (size_t)i) % p->cap] ? ORCA_ELOST : 0;
}

int orca__kafka_tracker_end(orca__kafka_tracker *t, const char *topic, int32_t partition,
                            int64_t offset, uint32_t gen) {
  if (orca__kafka_tracker_held(t, topic, partition, offset, gen))
    return ORCA_ELOST;
  orca__kafka_part *p = find(t, topic, partition);
  long i = locate(p, offset);
  p->ended[(p->head + (size_t)i) % p->cap] = true;
  t->inflight--;
  while (p->n > 0 && p->ended[p->head]) {
    p->commit = p->offs[p->head] + 1;
    p->dirty = true;
    p->head = (p->head + 1) % p->cap;
    p->n--;
  }
  return 0;
}

void orca__kafka_ref_format(char *ref, size_t cap, int32_t partition, int64_t offset,
                            uint32_t gen) {
  snprintf(ref, cap, "%" PRId32 ":%" PRId64 ":%" PRIu32, partition, offset, gen);
}

int orca__kafka_ref_parse(const char *ref, int32_t *partition, int64_t *offset, uint32_t *gen) {
  char tail;
  if (sscanf(ref, "%" SCNd32 ":%" SCNd64 ":%" SCNu32 "%c", partition, offset, gen, &tail) != 3 ||
      *partition < 0 || *offset < 0)
    return ORCA_EINVAL;
  return 0;
}
