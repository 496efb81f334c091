/* registry.c — open a backend by the scheme of its URL.
 *
 * The built backends are referenced strongly, so a program linking the static
 * liborca pulls them in. Kafka is not built yet: its reference is weak and
 * its scheme answers ORCA_ENOTSUP with a clear message. */
#include "backend/backend.h"
#include "orca/client.h"

#include <stdlib.h>
#include <string.h>

extern const orca__backend_ops orca__kafka_ops __attribute__((weak));

#define ORCA__DEFAULT_URL "sqlite:./.orca/orca.db"

static const orca__backend_ops *find(const char *scheme, size_t len, const char **name) {
  static const struct {
    const char *name;
    const orca__backend_ops *ops;
  } table[] = {{"sqlite", &orca__sqlite_ops},
               {"redis", &orca__redis_ops},
               {"redis+cluster", &orca__redis_ops},
               {"kafka", &orca__kafka_ops}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strlen(table[i].name) == len && memcmp(table[i].name, scheme, len) == 0) {
      *name = table[i].name;
      return table[i].ops;
    }
  }
  *name = NULL;
  return NULL;
}

/* Open url (non-NULL, non-empty) with the backend its scheme names. */
static int open_url(const char *url, const orca__backend_opts *opts, orca__backend **out,
                    orca_err *err) {
  char shown[512];
  orca_url_redact(url, shown, sizeof shown);
  const char *colon = strchr(url, ':');
  if (!colon || colon == url)
    return orca_err_set(err, ORCA_EURL,
                        "backend URL '%s' has no scheme (expected sqlite:PATH, "
                        "redis://HOST:PORT[/DB] or kafka://BROKERS)",
                        shown);
  const char *name;
  const orca__backend_ops *ops = find(url, (size_t)(colon - url), &name);
  if (!name)
    return orca_err_set(err, ORCA_EURL,
                        "unknown scheme '%.*s' in backend URL '%s' (expected sqlite, redis or "
                        "kafka)",
                        (int)(colon - url), url, shown);
  if (!ops)
    return orca_err_set(err, ORCA_ENOTSUP, "the %s backend is not built into this liborca", name);
  orca__backend_opts o = {0};
  if (opts)
    o = *opts;
  if (!o.clock)
    o.clock = &orca_clock_real;
  int rc = ops->open(url, &o, out, err);
  if (rc == 0 && *out && !(*out)->clock)
    (*out)->clock = o.clock;
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
