/* queues.h — the worker's queue list: parse "payments:3,default:1" and pick
 * the order in which one fetch tries the queues.
 *
 * Weighted order works like Sidekiq's weighted mode: for every fetch the
 * queues are put in a random order in which a queue comes first with
 * probability weight / total weight (sampling without replacement), so
 * "payments:3,default:1" tries payments first about 3 fetches in 4 and no
 * queue is ever starved. Equal weights give a uniformly random order. */
#ifndef ORCA__QUEUES_H
#define ORCA__QUEUES_H

#include <stddef.h>
#include <stdint.h>

#include "orca/error.h"
#include "orca/state.h"

#define ORCA__MAX_QUEUES 64

typedef struct orca__queue_spec {
  char name[ORCA_NAME_MAX];
  unsigned weight; /* >= 1 */
} orca__queue_spec;

typedef struct orca__queues {
  size_t n;
  orca__queue_spec q[ORCA__MAX_QUEUES];
} orca__queues;

/* Parse a queue spec "NAME[:WEIGHT],..." (weight a positive integer, default
 * 1; spaces around items are ignored) into *out, replacing its contents.
 * Returns 0, or ORCA_EINVAL with err naming the item and column (empty name,
 * bad weight, duplicate queue, too many queues, name too long). */
int orca__queues_parse(const char *spec, orca__queues *out, orca_err *err);

/* Add queue `name` with weight 1 unless present. Returns 0 or ORCA_ELIMIT /
 * ORCA_EINVAL (name empty or too long). */
int orca__queues_add(orca__queues *qs, const char *name);

/* Write the n queue names of qs to order[] in a weighted random order drawn
 * from *rng (see above). order must hold qs->n pointers; the names point into
 * qs. */
void orca__queues_order(const orca__queues *qs, uint64_t *rng, const char **order);

#endif
