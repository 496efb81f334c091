/* dashboard_internal.h — what the files of the dashboard share: the server
 * object, one request being answered, and the JSON writer (orca__jw_*).
 *
 * Every request is answered on the HTTP server's one thread (http/http.h),
 * so the client, the arena and the history below need no lock. */
#ifndef ORCA__DASHBOARD_INTERNAL_H
#define ORCA__DASHBOARD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "orca/admin.h"
#include "orca/dashboard.h"

#define DASH_TOKEN_HASH 32 /* bytes of the token's BLAKE2b hash */
#define DASH_HISTORY 180   /* samples of queue counts kept (6 min at one per 2 s) */
#define DASH_HISTORY_QUEUES 16
#define DASH_SAMPLE_US (2LL * 1000000) /* at most one sample of the counts per this */
#define DASH_LIST_MAX 500              /* most records one list call returns */
#define DASH_IDS_MAX 1000              /* most ids one action names */

/* Queue counts at one time, for the chart. */
typedef struct orca__dash_sample {
  int64_t at_us;
  size_t n;
  struct {
    char name[ORCA_NAME_MAX];
    uint64_t pending, running, scheduled, dead, succeeded, failed;
  } q[DASH_HISTORY_QUEUES];
} orca__dash_sample;

struct orca_dashboard {
  orca__http *http;
  orca_client *client;
  bool actions;
  bool loopback; /* bound to a loopback address: Host headers are checked */
  bool has_token;
  unsigned char token_hash[DASH_TOKEN_HASH];
  const orca_schema *const *schemas;
  size_t nschemas;
  orca_arena arena;           /* request bodies' JSON, reset per request */
  orca__dash_sample *history; /* ring of DASH_HISTORY */
  size_t nhistory, next_sample;
};

/* A JSON text being written into a response body. The first failure (no
 * memory) sticks in rc and makes every later call do nothing. */
typedef struct orca__jw {
  orca_buf *out;
  int rc;
} orca__jw;

void orca__jw_raw(orca__jw *w, const char *text);
void orca__jw_printf(orca__jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal of s (NULL writes null). */
void orca__jw_str(orca__jw *w, const char *s);
/* "key": — with a comma before it unless first. */
void orca__jw_key(orca__jw *w, const char *key, bool first);
/* A time as an RFC 3339 string, or null for 0. */
void orca__jw_time(orca__jw *w, int64_t us);
/* Bytes of msgpack as JSON through type t (NULL: untyped), or null when
 * empty or undecodable. */
void orca__jw_msgpack(orca__jw *w, const orca_type *t, const orca_buf *b);

/* The task description of a qualified name in the dashboard's schemas, or
 * NULL. */
const orca_task_desc *orca__dash_task(const orca_dashboard *d, const char *name);
/* One task record as a JSON object (args and result typed when its task is
 * known; `full` adds them and the timeline). */
void orca__dash_task_json(const orca_dashboard *d, orca__jw *w, const orca_task_info *t, bool full);

/* Answer one /api/ request that passed the checks of dashboard.c (host,
 * token, method, CSRF). */
void orca__dash_api(orca_dashboard *d, const orca__http_req *req, orca__http_resp *resp);

/* Answer a request with status and {"error": message}. */
void orca__dash_error(orca__http_resp *resp, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The embedded page: every file of assets/ by name ("index.html",
 * "app.js", ...), written into liborca at build time by cmake/OrcaEmbed.cmake
 * (NUL-terminated text). */
typedef struct orca__dash_asset {
  const char *name;
  const char *text;
} orca__dash_asset;
extern const orca__dash_asset orca__dash_assets[];
extern const size_t orca__dash_nassets;

#endif
