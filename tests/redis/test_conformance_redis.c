/* test_conformance_redis.c — the backend conformance suite against the Redis
 * Streams backend, on a private redis-server started for this run. Each case
 * gets the next database number (0..15), flushed first. Built three times:
 * fused (redis://HOST:PORT/DB), also running the store cases on the Redis
 * store and the log cases on the Redis log; with CF_SPLIT, as a SQLite log
 * in a temporary file composed with the Redis store
 * (sqlite:DIR/log.db?store=redis://HOST:PORT/DB), the pairing a cluster of
 * workers on one shared store uses; and with CF_REDIS_LOG, as the Redis log
 * composed with a SQLite store in a temporary file
 * (redis://HOST:PORT/DB?store=sqlite:DIR/store.db). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "conformance.h"
#include "redis_server.h"

typedef struct ctx {
  orca_test_redis srv;
  int next_db;
  char dir[64]; /* the SQLite files (CF_SPLIT: logs, CF_REDIS_LOG: stores) */
  int nlogs;
  char url[256];
} ctx;

#ifdef CF_REDIS_LOG
/* The keys a log half may leave: its queues' streams, priority sets and
 * signal streams, and the queue set. */
static bool log_key(const char *k) {
  const char *t = strchr(k, '}');
  return !strcmp(k, "orca:queues") ||
         (t && (!strncmp(t, "}:p:", 4) || !strcmp(t, "}:prios") || !strcmp(t, "}:sig")));
}

/* CF_REDIS_LOG: the number of keys of the selected database that a log
 * half must not write (records, deferred set, dead letters, ...), each
 * named on stderr. */
static int foreign_keys(redisContext *rc) {
  redisReply *rep = redisCommand(rc, "KEYS *");
  int bad = 0;
  for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++)
    if (!log_key(rep->element[i]->str)) {
      fprintf(stderr, "the Redis log wrote %s\n", rep->element[i]->str);
      bad++;
    }
  freeReplyObject(rep);
  return bad;
}

static int foreign_total;
#endif

static const char *make_url(void *ud) {
  ctx *c = ud;
  int db = c->next_db++ % 16;
  redisContext *rc = redisConnect("127.0.0.1", c->srv.port);
  if (!rc || rc->err) {
    fprintf(stderr, "test_conformance_redis: cannot reach the fixture server\n");
    abort();
  }
  redisReply *rep = redisCommand(rc, "SELECT %d", db);
  freeReplyObject(rep);
#ifdef CF_REDIS_LOG
  foreign_total += foreign_keys(rc);
#endif
  rep = redisCommand(rc, "FLUSHDB");
  freeReplyObject(rep);
  redisFree(rc);
#if defined CF_SPLIT
  snprintf(c->url, sizeof c->url, "sqlite:%s/sq%d.db?store=%s", c->dir, c->nlogs++,
           orca_test_redis_url(&c->srv, db));
  return c->url;
#elif defined CF_REDIS_LOG
  snprintf(c->url, sizeof c->url, "%s?store=sqlite:%s/sq%d.db", orca_test_redis_url(&c->srv, db),
           c->dir, c->nlogs++);
  return c->url;
#else
  return orca_test_redis_url(&c->srv, db);
#endif
}

int main(void) {
  static ctx c;
  /* liborca is a static archive and the registry refers to backends weakly:
   * a strong reference pulls the Redis backend into this program. */
  if (!orca__redis_ops.open)
    return 1;
  if (orca_test_redis_start(&c.srv, false))
    return 1;
#if defined CF_SPLIT || defined CF_REDIS_LOG
  snprintf(c.dir, sizeof c.dir, "/tmp/orca-conf-XXXXXX");
  if (!mkdtemp(c.dir)) {
    perror("mkdtemp");
    return 1;
  }
#ifdef CF_SPLIT
  int failed = orca_conformance_run("conformance/sqlite+redis", make_url, &c);
#else
  int failed = orca_conformance_run("conformance/redis+sqlite", make_url, &c);
  for (int i = 0; i < 16; i++) /* the last cases' databases, not flushed yet */
    make_url(&c);
  if (foreign_total)
    failed++;
#endif
  for (int i = 0; i < c.nlogs; i++) {
    char p[128];
    static const char *const ext[] = {"", "-wal", "-shm"};
    for (size_t k = 0; k < 3; k++) {
      snprintf(p, sizeof p, "%s/sq%d.db%s", c.dir, i, ext[k]);
      unlink(p);
    }
  }
  rmdir(c.dir);
#else
  int failed = orca_conformance_run("conformance/redis", make_url, &c);
  failed +=
      orca_conformance_run_store("conformance/redis-store", &orca__redis_store_ops, make_url, &c);
  failed += orca_conformance_run_log("conformance/redis-log", &orca__redis_log_ops, make_url, &c);
#endif
  orca_test_redis_stop(&c.srv);
  return failed ? 1 : 0;
}
