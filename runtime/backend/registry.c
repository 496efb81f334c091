/* registry.c — open a backend by the scheme of its URL.
 *
 * The built backends are referenced strongly, so a program linking the static
 * liborca pulls them in. Kafka is not built yet: its reference is weak and
 * its scheme answers ORCA_ENOTSUP with a clear message. */
#include "backend/backend.h"

#include <stdlib.h>
#include <string.h>

extern const orca__backend_ops orca__kafka_ops __attribute__((weak));

#define ORCA__DEFAULT_URL "sqlite:./.orca/orca.db"

static const orca__backend_ops *find(const char *scheme, size_t len, const char **name) {
  static const struct {
    const char *name;
    const orca__backend_ops *ops;
  } table[] = {{"sqlite", &orca__sqlite_ops}, {"redis", &orca__redis_ops},
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

int orca__backend_open(const char *url, const orca__backend_opts *opts, orca__backend **out,
                       orca_err *err) {
  *out = NULL;
  if (!url || !*url)
    url = getenv("ORCA_BACKEND");
  if (!url || !*url)
    url = ORCA__DEFAULT_URL;
  const char *colon = strchr(url, ':');
  if (!colon || colon == url)
    return orca_err_set(err, ORCA_EURL,
                        "backend URL '%s' has no scheme (expected sqlite:PATH, "
                        "redis://HOST:PORT[/DB] or kafka://BROKERS)",
                        url);
  const char *name;
  const orca__backend_ops *ops = find(url, (size_t)(colon - url), &name);
  if (!name)
    return orca_err_set(err, ORCA_EURL,
                        "unknown scheme '%.*s' in backend URL '%s' (expected sqlite, redis or "
                        "kafka)",
                        (int)(colon - url), url, url);
  if (!ops)
    return orca_err_set(err, ORCA_ENOTSUP, "the %s backend is not built into this liborca",
                        name);
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

void orca__backend_close(orca__backend *b) {
  if (b)
    b->ops->close(b);
}
