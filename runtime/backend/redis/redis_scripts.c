/* redis_scripts.c — the Lua library of the Redis backend, assembled from
 * the script files in scripts/ (NAME.lua).
 *
 * Every multi-key step runs as one script so it is atomic on the server:
 * enqueue (dedup, unique key, stream or delayed set, state hash), fetch
 * (promote due tasks, reclaim expired leases with XAUTOCLAIM, read new
 * entries, pin their lease, dead-letter garbage and poison entries), complete
 * (ack+delete and state/result writes for a whole batch), extend, promote,
 * state get/arm, cancel, dead-letter requeue/purge, stats and the schedule
 * compare-and-set. They form one Redis Functions library (Redis 7): the
 * prelude's helpers are compiled once when the library is loaded (FUNCTION
 * LOAD, by the first connection; again if the server lost it) and every
 * script is a function called with FCALL. As EVALSHA scripts, the prelude
 * ran on every call and cost about as much as a small batch's own work.
 *
 * Time: every time comes from the caller's orca_clock (ARGV), never from
 * Redis, so leases, etas and TTLs follow the injected clock in tests. Leases
 * use the pending-entries list: XCLAIM ... TIME (lease_until - K) JUSTID
 * records the lease end as a delivery time, and XAUTOCLAIM with min-idle
 * K + (redis_now - client_now) claims exactly the entries whose lease ran
 * out by the caller's clock (this pinning is used only under an injected
 * clock; with the real clock the idle time itself is the lease). TTL'd
 * records carry their expiry (field xp, unique-key value "ID EXPIRY");
 * finished records are listed in P.."exp" and deleted in batches by the
 * sweep in fetch/promote (cancelled ones get a Redis PEXPIRE). Numbers built
 * in Lua are formatted with %.0f (Lua 5.1 would print 1.7e+15).
 *
 * Key layout (docs/redis.md has the full table): the prefix P of queue Q is
 * "orca:{Q}:"; P.."p:"..PRIO stream per priority (group "orca"), P.."prios"
 * the priorities in use, P.."d" deferred set (score = due time in us),
 * P.."t:"..ID state hash, P.."n:"..ID waiter notify list, P.."u:"..KEY
 * unique key, P.."dlq" dead-letter set, P.."stats" counters, P.."exp"
 * expiry index of finished records, P.."waiting" ids with a state_wait,
 * P.."sig" signal stream (group "orca") that wakes fast-path fetches.
 *
 * State hash fields: s state (orca_state number), m "ENQUEUED_US TTL_MS
 * TASK", y priority, a attempt, t eta us, u unique key, r stream ref
 * "PRIO ENTRYID", d payload while deferred or dead, w worker, b started us,
 * f finished us, x error, o result, xp expiry us, c "ATTEMPT STARTED
 * FINISHED EXPIRY [WORKER]" (a plain ack; wins over a, b, f, xp, w; ATTEMPT
 * may read "ATTEMPT/DELIVERIES", the deliveries of the acked entry;
 * FINISHED "+RUN" after the start, EXPIRY "+TTL" after the finish; without
 * WORKER, w holds it: values stay within 64 bytes so the hash stays a
 * listpack), dl
 * deliveries of the task's earlier stream entries (retries, releases), wt
 * waiter count, cx cancel flag, g garbage marker. Single letters and packed
 * fields keep the hash small and cheap to write.
 *
 * The scripts are files: scripts/prelude.lua holds the shared helpers,
 * scripts/store_prelude.lua those of the store role (s_*.lua, redis_store.c),
 * and every other NAME.lua there is the body of one function(KEYS, ARGV). The
 * build checks them with luac5.4 -p and embeds them (cmake/OrcaEmbed.cmake),
 * so a syntax error stops the build at file:line, and this file keeps a map
 * from lines of the assembled library back to file lines, so that an error
 * Redis reports against the library names the file and line too
 * (orca__redis_where). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"

#define SCRIPTS_DIR "runtime/backend/redis/scripts/"

/* The file each function's body comes from, by ORCA__RS_* number; the name
 * is also the function's suffix. */
static const char *const short_names[ORCA__RS_COUNT] = {
    [ORCA__RS_ENQUEUE] = "enqueue",
    [ORCA__RS_FETCH] = "fetch",
    [ORCA__RS_COMPLETE] = "complete",
    [ORCA__RS_EXTEND] = "extend",
    [ORCA__RS_PROMOTE] = "promote",
    [ORCA__RS_GET] = "get",
    [ORCA__RS_CANCEL] = "cancel",
    [ORCA__RS_DLQ_REQUEUE] = "dlq_requeue",
    [ORCA__RS_DLQ_PURGE] = "dlq_purge",
    [ORCA__RS_STATS] = "stats",
    [ORCA__RS_SCHED_PUT] = "sched_put",
    [ORCA__RS_SCHED_FIRE] = "sched_fire",
    [ORCA__RS_BURY] = "bury",
    [ORCA__RS_TASK_LIST] = "task_list",
    [ORCA__RS_SCHED_OUT] = "sched_out",
    [ORCA__RS_RELEASE_WORKER] = "release_worker",
    [ORCA__RS_PEERS] = "peers",
    [ORCA__RS_S_ADMIT] = "s_admit",
    [ORCA__RS_S_HANDED] = "s_handed",
    [ORCA__RS_S_START] = "s_start",
    [ORCA__RS_S_RENEW] = "s_renew",
    [ORCA__RS_S_FINISH] = "s_finish",
    [ORCA__RS_S_DUE] = "s_due",
    [ORCA__RS_S_CANCEL] = "s_cancel",
    [ORCA__RS_S_DLQ_REQUEUE] = "s_dlq_requeue",
    [ORCA__RS_S_SCHED_FIRE] = "s_sched_fire",
    [ORCA__RS_S_STATS] = "s_stats",
    [ORCA__RS_L_APPEND] = "l_append",
    [ORCA__RS_L_COMPLETE] = "l_complete",
};

/* The helper files put before the functions, in this order. */
static const char *const preludes[] = {"prelude", "store_prelude"};
#define NPRELUDES (sizeof preludes / sizeof preludes[0])

/* The library is built once per process: "#!lua name=orca_HASH", the
 * prelude, then one register_function per script, named orca_HASH_NAME.
 * HASH (FNV-1a 64 of the preludes and the bodies) changes with the code, so
 * processes of different versions can share one Redis. */
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static char *lib_text;
static char fn_names[ORCA__RS_COUNT][48];

/* Where each embedded file sits in the library: its first line there and
 * how many lines it has (the preludes first, then the bodies in ORCA__RS_*
 * order). */
typedef struct part {
  const char *file; /* "fetch" */
  int first, nlines;
} part;
static part parts[ORCA__RS_COUNT + NPRELUDES];

static uint64_t fnv(uint64_t h, const char *s) {
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static const char *script_text(const char *name) {
  for (size_t i = 0; i < orca__nredis_scripts; i++)
    if (strcmp(orca__redis_scripts[i].name, name) == 0)
      return orca__redis_scripts[i].text;
  return NULL;
}

/* Lines of a file's text; a last line without a newline counts too. */
static int count_lines(const char *t) {
  int n = 0;
  for (const char *p = t; *p; p++)
    n += *p == '\n';
  return n + (*t && t[strlen(t) - 1] != '\n');
}

static void build_library(void) {
  const char *pre[NPRELUDES];
  const char *bodies[ORCA__RS_COUNT];
  uint64_t h = 14695981039346656037ULL;
  size_t len = 64;
  for (size_t i = 0; i < NPRELUDES; i++) {
    if (!(pre[i] = script_text(preludes[i])))
      return;
    h = fnv(h, pre[i]);
    len += strlen(pre[i]) + 1;
  }
  for (int i = 0; i < ORCA__RS_COUNT; i++) {
    if (!(bodies[i] = script_text(short_names[i])))
      return; /* a script file is missing from the build */
    h = fnv(h, bodies[i]);
    len += strlen(bodies[i]) + 128;
  }
  for (int i = 0; i < ORCA__RS_COUNT; i++)
    snprintf(fn_names[i], sizeof fn_names[i], "orca_%016" PRIx64 "_%s", h, short_names[i]);
  char *t = malloc(len);
  if (!t)
    return;
  /* Line 1 is the shebang; every part ends with a newline. */
  size_t n = (size_t)snprintf(t, len, "#!lua name=orca_%016" PRIx64 "\n", h);
  int line = 2;
  for (size_t i = 0; i < NPRELUDES; i++) {
    const char *b = pre[i];
    n += (size_t)snprintf(t + n, len - n, "%s%s", b, *b && b[strlen(b) - 1] != '\n' ? "\n" : "");
    parts[i] = (part){preludes[i], line, count_lines(b)};
    line += parts[i].nlines;
  }
  for (int i = 0; i < ORCA__RS_COUNT; i++) {
    const char *b = bodies[i];
    bool nl = *b && b[strlen(b) - 1] != '\n';
    n += (size_t)snprintf(t + n, len - n,
                          "redis.register_function('%s', function(KEYS, ARGV)\n%s%send)\n",
                          fn_names[i], b, nl ? "\n" : "");
    parts[NPRELUDES + i] = (part){short_names[i], line + 1, count_lines(b)};
    line += parts[NPRELUDES + i].nlines + 2;
  }
  lib_text = t;
}

const char *orca__redis_library(void) {
  pthread_once(&lib_once, build_library);
  return lib_text;
}

const char *orca__redis_function(int i) {
  pthread_once(&lib_once, build_library);
  return i >= 0 && i < ORCA__RS_COUNT ? fn_names[i] : "";
}

/* Append s to out at *pos (never past n - 1). */
static void put(char *out, size_t n, size_t *pos, const char *s, size_t len) {
  size_t room = n - 1 - *pos;
  size_t k = len < room ? len : room;
  memcpy(out + *pos, s, k);
  *pos += k;
}

const char *orca__redis_where(const char *msg, char *out, size_t n) {
  static const char tag[] = "user_function:";
  if (!n)
    return out;
  pthread_once(&lib_once, build_library);
  size_t pos = 0;
  const char *p = msg ? msg : "";
  for (;;) {
    const char *hit = strstr(p, tag);
    if (!hit) {
      put(out, n, &pos, p, strlen(p));
      break;
    }
    const char *start = hit > p && hit[-1] == '@' ? hit - 1 : hit; /* "on @user_function:N." */
    char *end;
    long line = strtol(hit + sizeof tag - 1, &end, 10);
    put(out, n, &pos, p, (size_t)(start - p));
    char where[160];
    snprintf(where, sizeof where, "orca library line %ld", line);
    for (size_t i = 0; i < ORCA__RS_COUNT + NPRELUDES; i++) {
      if (parts[i].file && line >= parts[i].first && line < parts[i].first + parts[i].nlines) {
        snprintf(where, sizeof where, SCRIPTS_DIR "%s.lua:%ld", parts[i].file,
                 line - parts[i].first + 1);
        break;
      }
    }
    if (end == hit + sizeof tag - 1) /* no number: keep the text as it was */
      put(out, n, &pos, start, (size_t)(end - start));
    else
      put(out, n, &pos, where, strlen(where));
    p = end;
  }
  out[pos] = '\0';
  return out;
}
