/* redis_url.c — parse the Redis backend URLs
 * "redis://[:PASSWORD@]HOST:PORT[/DB]" and
 * "redis+cluster://[:PASSWORD@]HOST:PORT[,HOST:PORT...][?wait=N]". Every
 * malformed part gets its own message, so a typo in a deployment's
 * environment is found at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"
#include "orca/client.h"

static int parse_uint(const char *s, size_t n, long max, long *out) {
  if (n == 0 || n > 10)
    return -1;
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  if (v > max)
    return -1;
  *out = v;
  return 0;
}

/* Take ":PASSWORD@" from the start of *p (the part after the scheme) into
 * r->password, moving *p past it. Returns 0 or ORCA_EURL. */
static int take_password(const char **p, orca__redis *r, const char *shown, orca_err *err) {
  const char *at = strrchr(*p, '@');
  r->password[0] = '\0';
  if (!at)
    return 0;
  if (**p != ':')
    return orca_err_set(err, ORCA_EURL, "redis URL '%s': the part before '@' must be ':PASSWORD'",
                        shown);
  size_t n = (size_t)(at - *p - 1);
  if (n == 0 || n >= sizeof r->password)
    return orca_err_set(err, ORCA_EURL, "redis URL '%s': password is empty or too long", shown);
  memcpy(r->password, *p + 1, n);
  r->password[n] = '\0';
  *p = at + 1;
  return 0;
}

int orca__redis_url_parse(const char *url, orca__redis *r, orca_err *err) {
  static const char scheme[] = "redis://";
  char shown[512]; /* url as messages show it: the password hidden */
  orca_url_redact(url, shown, sizeof shown);
  if (strncmp(url, scheme, sizeof scheme - 1) != 0)
    return orca_err_set(err, ORCA_EURL,
                        "redis URL '%s' must start with redis:// "
                        "(redis://[:PASSWORD@]HOST:PORT[/DB])",
                        shown);
  const char *p = url + sizeof scheme - 1;
  int rc = take_password(&p, r, shown, err);
  if (rc)
    return rc;
  const char *slash = strchr(p, '/');
  const char *end = slash ? slash : p + strlen(p);
  const char *colon = memchr(p, ':', (size_t)(end - p));
  if (!colon)
    return orca_err_set(err, ORCA_EURL, "redis URL '%s': missing ':PORT' after the host", shown);
  size_t hl = (size_t)(colon - p);
  if (hl == 0 || hl >= sizeof r->host)
    return orca_err_set(err, ORCA_EURL, "redis URL '%s': host is empty or too long", shown);
  memcpy(r->host, p, hl);
  r->host[hl] = '\0';
  long port;
  if (parse_uint(colon + 1, (size_t)(end - colon - 1), 65535, &port) || port == 0)
    return orca_err_set(err, ORCA_EURL, "redis URL '%s': port '%.*s' is not a number in 1..65535",
                        shown, (int)(end - colon - 1), colon + 1);
  r->port = (int)port;
  r->db = 0;
  if (slash) {
    long db;
    if (parse_uint(slash + 1, strlen(slash + 1), 1L << 30, &db))
      return orca_err_set(err, ORCA_EURL, "redis URL '%s': database '%.*s' is not a number", shown,
                          (int)strcspn(slash + 1, "?"), slash + 1);
    r->db = (int)db;
  }
  return 0;
}

int orca__redis_cluster_url_parse(const char *url, orca__redis *r, orca_err *err) {
  static const char scheme[] = "redis+cluster://";
  char shown[512];
  orca_url_redact(url, shown, sizeof shown);
  if (strncmp(url, scheme, sizeof scheme - 1) != 0)
    return orca_err_set(err, ORCA_EURL,
                        "redis URL '%s' must start with redis+cluster:// "
                        "(redis+cluster://[:PASSWORD@]HOST:PORT[,HOST:PORT...][?wait=N])",
                        shown);
  const char *p = url + sizeof scheme - 1;
  int rc = take_password(&p, r, shown, err);
  if (rc)
    return rc;
  size_t n = strcspn(p, "/?");
  if (p[n] == '/')
    return orca_err_set(err, ORCA_EURL,
                        "redis URL '%s': a Redis Cluster has one database; drop '%.*s'", shown,
                        (int)strcspn(p + n, "?"), p + n);
  r->wait_replicas = 1;
  if (p[n] == '?') {
    const char *q = p + n + 1;
    long v;
    if (strncmp(q, "wait=", 5) != 0 || parse_uint(q + 5, strlen(q + 5), 16, &v)) {
      /* Name the option, never its value: a misplaced password may be one. */
      const char *bad = strncmp(q, "wait=", 5) == 0 && strchr(q, '&') ? strchr(q, '&') + 1 : q;
      return orca_err_set(err, ORCA_EURL,
                          "redis URL '%s': option '%.*s': the only option is wait=N (replicas to "
                          "wait for, 0..16)",
                          shown, (int)strcspn(bad, "=&"), bad);
    }
    r->wait_replicas = (int)v;
  }
  if (n == 0)
    return orca_err_set(err, ORCA_EURL, "redis URL '%s': no HOST:PORT given", shown);
  free(r->seeds);
  r->seeds = strndup(p, n);
  if (!r->seeds)
    return orca_err_set(err, ORCA_ENOMEM, "redis URL: out of memory");
  /* host and port of the first seed, for messages; the list itself is
   * checked by the cluster client. */
  size_t first = strcspn(r->seeds, ",");
  const char *colon = memchr(r->seeds, ':', first);
  size_t hl = colon ? (size_t)(colon - r->seeds) : first;
  snprintf(r->host, sizeof r->host, "%.*s", (int)(hl < sizeof r->host ? hl : sizeof r->host - 1),
           r->seeds);
  r->port = colon ? atoi(colon + 1) : 0;
  r->db = 0;
  return 0;
}
