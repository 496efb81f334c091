/* redis_batch.c — the batched step the store and log halves share
 * (redis_store.c, redis_log.c): items of several queues sent as one FCALL
 * per run of one queue, all in one pipeline, so a batch costs one round
 * trip whatever its size (every key of a queue shares its hash tag). */
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"

int orca__redis_run_batch(orca__redis *r, const orca__redis_batch *b, int64_t *out) {
  size_t *first = malloc(sizeof *first * (b->n + 1));
  redisReply **rep = calloc(b->n + 1, sizeof *rep);
  if (!first || !rep) {
    free(first);
    free(rep);
    return ORCA_ENOMEM;
  }
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  size_t i = 0;
  while (i < b->n) {
    const char *q = b->queue(b->ud, i);
    if (!orca__redis_queue_ok(q)) {
      out[i++] = INT64_MIN;
      continue;
    }
    first[a->ncmds] = i;
    orca__rargs_cmd(a, b->script);
    orca__rargs_int(a, 1);
    orca__rargs_key(a, q, "");
    b->head(a, b->ud);
    for (size_t k = 0; i < b->n && k < ORCA__REDIS_CHUNK; i++, k++) {
      const char *qi = b->queue(b->ud, i);
      if (!qi || strcmp(qi, q))
        break;
      b->item(a, b->ud, i);
    }
  }
  size_t ncmds = a->ncmds;
  int rc = ncmds ? orca__redis_exec(r, a, rep, 0) : 0;
  for (size_t c = 0; rc == 0 && c < ncmds; c++) {
    if ((rc = orca__redis_reply_error(r, rep[c], b->what)))
      break;
    size_t j = first[c];
    for (size_t e = 0; e < rep[c]->elements && j < b->n; e++, j++)
      out[j] = orca__redis_int(rep[c]->element[e]);
  }
  orca__redis_free_replies(rep, ncmds);
  free(rep);
  free(first);
  return rc;
}

const char *orca__redis_job_queue(const void *ud, size_t i) {
  return ((const orca__job *)ud)[i].queue;
}

void orca__redis_no_head(orca__rargs *a, const void *ud) {
  (void)a;
  (void)ud;
}
