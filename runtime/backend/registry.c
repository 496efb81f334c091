/* registry.c — open a backend by the scheme of its URL: the fused form of an
 * engine that is both log and store, or a log and a store composed
 * (LOG_URL?store=STORE_URL, compose.c).
 *
 * The built engines' tables are referenced strongly, so a program linking
 * the static liborca pulls them in. */
#include "backend/backend.h"
#include "orca/client.h"

#include <stdlib.h>
#include <string.h>

#define ORCA__DEFAULT_URL "sqlite:./.orca/orca.db"

/* One engine: its fused table (NULL when it cannot be both, as Kafka) and
 * its halves (NULL when it cannot serve as one alone). */
typedef struct engine {
  const char *name;
  const orca__backend_ops *fused;
  const orca__log_ops *log;
  const orca__store_ops *store;
} engine;

static const engine *find(const char *scheme, size_t len) {
  static const engine table[] = {
      {"sqlite", &orca__sqlite_ops, &orca__sqlite_log_ops, &orca__sqlite_store_ops},
      {"redis", &orca__redis_ops, &orca__redis_log_ops, &orca__redis_store_ops},
      {"redis+cluster", &orca__redis_ops, NULL, &orca__redis_store_ops},
      {"kafka", NULL, &orca__kafka_log_ops, NULL},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strlen(table[i].name) == len && memcmp(table[i].name, scheme, len) == 0)
      return &table[i];
  return NULL;
}

/* The engine of url's scheme. Returns it, or NULL with err set (no scheme,
 * unknown scheme). what names the URL's role in messages ("backend", "store"). */
static const engine *engine_of(const char *url, const char *what, orca_err *err) {
  char shown[512];
  orca_url_redact(url, shown, sizeof shown);
  const char *colon = strchr(url, ':');
  if (!colon || colon == url) {
    orca_err_set(err, ORCA_EURL,
                 "%s URL '%s' has no scheme (expected sqlite:PATH, redis://HOST:PORT[/DB] or "
                 "kafka://BROKERS)",
                 what, shown);
    return NULL;
  }
  const engine *e = find(url, (size_t)(colon - url));
  if (!e)
    orca_err_set(err, ORCA_EURL,
                 "unknown scheme '%.*s' in %s URL '%s' (expected sqlite, redis or kafka)",
                 (int)(colon - url), url, what, shown);
  return e;
}

/* Split url into the log URL (url without its store= parameter) and the
 * store URL (the parameter's value, up to the next '&', with %26 and %25
 * decoded). Both malloc'd; *store_url NULL when there is none. Returns 0,
 * ORCA_EURL (an empty or nested store URL) or ORCA_ENOMEM. */
static int split_url(const char *url, char **log_url, char **store_url, orca_err *err) {
  *log_url = *store_url = NULL;
  const char *q = strchr(url, '?');
  const char *p = NULL;
  for (const char *s = q; s; s = strchr(s + 1, '&'))
    if (strncmp(s + 1, "store=", 6) == 0) {
      p = s;
      break;
    }
  if (!p) {
    *log_url = strdup(url);
    return *log_url ? 0 : ORCA_ENOMEM;
  }
  const char *v = p + 7, *end = strchr(v, '&');
  size_t vlen = end ? (size_t)(end - v) : strlen(v);
  char shown[512];
  orca_url_redact(url, shown, sizeof shown);
  if (vlen == 0)
    return orca_err_set(err, ORCA_EURL, "backend URL '%s': store= names no URL", shown);
  char *lu = malloc(strlen(url) + 1), *su = malloc(vlen + 1);
  if (!lu || !su) {
    free(lu);
    free(su);
    return ORCA_ENOMEM;
  }
  /* The log URL keeps its other parameters: what is before store=, and
   * what follows its value ('?' stays the separator of the first one). */
  size_t n = (size_t)(p - url);
  memcpy(lu, url, n);
  if (end) {
    lu[n++] = *p;
    strcpy(lu + n, end + 1);
  } else {
    lu[n] = '\0';
  }
  size_t k = 0;
  for (size_t i = 0; i < vlen; i++) {
    if (v[i] == '%' && i + 2 < vlen && v[i + 1] == '2' && (v[i + 2] == '6' || v[i + 2] == '5')) {
      su[k++] = v[i + 2] == '6' ? '&' : '%';
      i += 2;
    } else {
      su[k++] = v[i];
    }
  }
  su[k] = '\0';
  if (strstr(su, "store=")) {
    free(lu);
    free(su);
    return orca_err_set(err, ORCA_EURL, "backend URL '%s': a store cannot have a store= of its own",
                        shown);
  }
  *log_url = lu;
  *store_url = su;
  return 0;
}

/* Open log_url as a log and store_url as a store and compose them. */
static int open_split(const engine *le, const char *log_url, const engine *se,
                      const char *store_url, const orca__backend_opts *o, orca__backend **out,
                      orca_err *err) {
  if (!le->log)
    return orca_err_set(err, ORCA_ENOTSUP, "the %s log is not built into this liborca", le->name);
  if (!se->store)
    return orca_err_set(err, ORCA_ENOTSUP,
                        se->fused ? "the %s store is not built into this liborca"
                                  : "%s cannot be the store of a backend (it is a log only)",
                        se->name);
  orca__log *log = NULL;
  int rc = le->log->open(log_url, o, &log, err);
  if (rc)
    return rc;
  if (!log->clock)
    log->clock = o->clock;
  orca__store *store = NULL;
  rc = se->store->open(store_url, o, &store, err);
  if (rc) {
    log->ops->close(log);
    return rc;
  }
  if (!store->clock)
    store->clock = o->clock;
  return orca__compose_open(log, store, out, err);
}

/* Open url (non-NULL, non-empty): fused, or a log and a store composed. */
static int open_url(const char *url, const orca__backend_opts *opts, orca__backend **out,
                    orca_err *err) {
  orca__backend_opts o = {0};
  if (opts)
    o = *opts;
  if (!o.clock)
    o.clock = &orca_clock_real;
  char *log_url, *store_url;
  int rc = split_url(url, &log_url, &store_url, err);
  if (rc)
    return rc == ORCA_ENOMEM ? orca_err_set(err, rc, "backend: out of memory") : rc;
  const engine *le = engine_of(log_url, "backend", err), *se = NULL;
  if (le && store_url)
    se = engine_of(store_url, "store", err);
  if (!le || (store_url && !se)) {
    rc = ORCA_EURL;
  } else if (le->fused && (!store_url || (se == le && strcmp(store_url, log_url) == 0))) {
    rc = le->fused->open(log_url, &o, out, err);
    if (rc == 0 && *out && !(*out)->clock)
      (*out)->clock = o.clock;
  } else if (!store_url && !le->log) {
    rc = orca_err_set(err, ORCA_ENOTSUP, "the %s backend is not built into this liborca", le->name);
  } else {
    const char *su = store_url ? store_url : ORCA__DEFAULT_URL;
    rc = open_split(le, log_url, store_url ? se : find("sqlite", 6), su, &o, out, err);
  }
  free(log_url);
  free(store_url);
  return rc;
}

int orca__backend_open(const char *url, const orca__backend_opts *opts, orca__backend **out,
                       orca_err *err) {
  *out = NULL;
  if (url && !*url)
    return orca_err_set(err, ORCA_EURL,
                        "backend URL is empty (NULL means $ORCA_BACKEND or the default)");
  if (url)
    return open_url(url, opts, out, err);
  char *env_url;
  const char *from;
  int rc = orca__url_from_env(&env_url, &from, err);
  if (rc)
    return rc;
  rc = open_url(env_url ? env_url : ORCA__DEFAULT_URL, opts, out, err);
  free(env_url);
  return rc == ORCA_EURL ? orca__url_err_from(err, rc, from) : rc;
}

void orca__backend_close(orca__backend *b) {
  if (b)
    b->ops->close(b);
}
