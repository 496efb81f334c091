/* redis_peers.c — what the peer network asks of the Redis backend
 * (docs/peers.md, docs/redis.md): releasing every lease of a worker declared
 * dead (scripts/release_worker.lua: one FCALL over every queue, on a Redis
 * Cluster one per queue in one pipeline) and the advertisements workers
 * find each other by (scripts/peers.lua: one FCALL; on a Redis Cluster its
 * two keys share the hash tag {peers}, so they live in one slot). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"

int orca__redis_release_worker(orca__backend *b, const char *worker, size_t *count) {
  orca__redis *r = (orca__redis *)b;
  if (count)
    *count = 0;
  if (!worker || !*worker)
    return ORCA_EINVAL;
  int rc = orca__redis_load_queues(r);
  if (rc)
    return rc;
  char now[24];
  snprintf(now, sizeof now, "%" PRId64, orca_clock_now(b->clock));
  redisReply **rep;
  size_t ncalls;
  rc = orca__redis_queue_calls(r, ORCA__RS_RELEASE_WORKER,
                               (const char *[]){worker, now, r->log_only ? "1" : "0"}, 3, &rep,
                               &ncalls);
  if (rc)
    return rc;
  for (size_t c = 0; !rc && c < ncalls; c++) {
    rc = orca__redis_reply_error(r, rep[c], "release_worker script");
    if (!rc && count)
      *count += (size_t)orca__redis_int(rep[c]);
  }
  orca__redis_free_replies(rep, ncalls);
  free(rep);
  return rc;
}

/* Parse a stored record "EXPIRY_US SEALED ADDR HOST" of worker id into ad.
 * Returns false for a record this version cannot read (skipped). */
static bool parse_ad(const redisReply *id, const redisReply *v, orca__peer_ad *ad) {
  if (id->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || v->len > 512)
    return false;
  char text[513];
  memcpy(text, v->str, v->len);
  text[v->len] = '\0';
  memset(ad, 0, sizeof *ad);
  orca__redis_copy(id, ad->id, sizeof ad->id);
  int64_t exp = 0;
  int sealed = 0, used = 0;
  char addr[ORCA__AD_ADDR_MAX], host[ORCA_NAME_MAX];
  if (sscanf(text, "%" SCNd64 " %d %63s %127s%n", &exp, &sealed, addr, host, &used) != 4 ||
      text[used] != '\0')
    return false;
  ad->expires_us = exp;
  ad->sealed = sealed != 0;
  snprintf(ad->addr, sizeof ad->addr, "%s", addr);
  snprintf(ad->host, sizeof ad->host, "%s", host);
  return true;
}

int orca__redis_peer_ads(orca__backend *b, const orca__peer_ad *mine, int64_t ttl_us, char *cluster,
                         orca__peer_ad_cb cb, void *ud) {
  orca__redis *r = (orca__redis *)b;
  if (!cluster || ttl_us < 0 ||
      (mine && (!mine->id[0] || !mine->addr[0] || strchr(mine->addr, ' ') || !mine->host[0] ||
                strchr(mine->host, ' '))))
    return ORCA_EINVAL;
  cluster[0] = '\0';
  int64_t now = orca_clock_now(b->clock);
  char fresh[ORCA__CLUSTER_ID_MAX];
  orca__cluster_id_new(fresh);
  char rec[ORCA__AD_ADDR_MAX + ORCA_NAME_MAX + 48] = "";
  if (mine)
    snprintf(rec, sizeof rec, "%" PRId64 " %d %s %s", now + ttl_us, mine->sealed ? 1 : 0,
             mine->addr, mine->host);
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, ORCA__RS_PEERS);
  orca__rargs_int(a, 2);
  /* On a cluster both keys carry the tag {peers}: one slot. One server keeps
   * the names of earlier versions, so workers of both meet. */
  orca__rargs_str(a, r->cluster ? "orca:{peers}:cluster" : "orca:cluster");
  orca__rargs_str(a, r->cluster ? "orca:{peers}:ads" : "orca:peers");
  orca__rargs_int(a, now);
  orca__rargs_str(a, fresh);
  orca__rargs_str(a, mine ? mine->id : "");
  orca__rargs_str(a, rec);
  orca__rargs_str(a, ttl_us > 0 ? "1" : "0");
  redisReply *rep[1];
  int rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "peers script");
  const redisReply *x = rep[0];
  if (!rc && (x->type != REDIS_REPLY_ARRAY || x->elements < 1))
    rc = ORCA_EBACKEND;
  if (!rc)
    orca__redis_copy(x->element[0], cluster, ORCA__CLUSTER_ID_MAX);
  for (size_t i = 1; !rc && i + 1 < x->elements; i += 2) {
    orca__peer_ad ad;
    if (cb && parse_ad(x->element[i], x->element[i + 1], &ad))
      rc = cb(ud, &ad);
  }
  orca__redis_free_replies(rep, 1);
  return rc;
}
