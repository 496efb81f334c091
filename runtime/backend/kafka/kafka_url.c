/* kafka_url.c — the kafka:// URL and the librdkafka properties file. A
 * property's value is never part of a message: it may be a password. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/kafka/kafka_internal.h"
#include "backend/url.h"
#include "orca/client.h"

void orca__kafka_cfg_free(orca__kafka_cfg *cfg) {
  free(cfg->brokers);
  free(cfg->group);
  free(cfg->conf_file);
  for (size_t i = 0; i < cfg->nprops; i++) {
    free(cfg->props[i].key);
    free(cfg->props[i].value);
    free(cfg->props[i].origin);
  }
  free(cfg->props);
  memset(cfg, 0, sizeof *cfg);
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* Append one property; key and value are taken (freed on failure). */
static int add_prop(orca__kafka_cfg *cfg, char *key, char *value, const char *origin) {
  char *o = dup_n(origin, strlen(origin));
  if (!key || !value || !o || (cfg->nprops == cfg->cap && cfg->cap > SIZE_MAX / 2)) {
    free(key), free(value), free(o);
    return ORCA_ENOMEM;
  }
  if (cfg->nprops == cfg->cap) {
    size_t cap = cfg->cap ? cfg->cap * 2 : 8;
    orca__kafka_prop *p = realloc(cfg->props, cap * sizeof *p);
    if (!p) {
      free(key), free(value), free(o);
      return ORCA_ENOMEM;
    }
    cfg->props = p;
    cfg->cap = cap;
  }
  cfg->props[cfg->nprops++] = (orca__kafka_prop){key, value, o};
  return 0;
}

static const char *trim(char *s, char **end) {
  while (*s == ' ' || *s == '\t')
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    e--;
  *e = '\0';
  *end = e;
  return s;
}

int orca__kafka_cfg_load_file(orca__kafka_cfg *cfg, const char *path, orca_err *err) {
  FILE *f = fopen(path, "r");
  if (!f)
    return orca_err_set(err, ORCA_EIO, "kafka properties file %s: %s", path, strerror(errno));
  char line[4096], origin[512];
  int rc = 0;
  for (unsigned no = 1; fgets(line, sizeof line, f); no++) {
    snprintf(origin, sizeof origin, "%s:%u", path, no);
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
      rc = orca_err_set(err, ORCA_EURL, "%s: line longer than %zu bytes", origin, sizeof line - 2);
      break;
    }
    char *end;
    const char *s = trim(line, &end);
    if (*s == '\0' || *s == '#')
      continue;
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) {
      rc = orca_err_set(err, ORCA_EURL, "%s: expected key=value", origin);
      break;
    }
    const char *ke = eq;
    while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
      ke--;
    const char *v = eq + 1;
    while (*v == ' ' || *v == '\t')
      v++;
    rc = add_prop(cfg, dup_n(s, (size_t)(ke - s)), dup_n(v, strlen(v)), origin);
    if (rc) {
      orca_err_set(err, rc, "%s: out of memory", origin);
      break;
    }
  }
  if (!rc && ferror(f))
    rc = orca_err_set(err, ORCA_EIO, "kafka properties file %s: read error", path);
  fclose(f);
  return rc;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) into a new string; NULL on a bad escape (*bad) or
 * ENOMEM. */
static char *decode(const char *s, size_t n, bool *bad) {
  char *d = malloc(n + 1), *o = d;
  if (!d)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      *o++ = s[i];
      continue;
    }
    int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
    int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
      *bad = true;
      free(d);
      return NULL;
    }
    *o++ = (char)(hi * 16 + lo);
    i += 2;
  }
  *o = '\0';
  return d;
}

static int parse_int(const char *s, long lo, long hi, int32_t *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno || v < lo || v > hi)
    return -1;
  *out = (int32_t)v;
  return 0;
}

/* One KEY=VALUE of the query: ours, or a property. */
static int query_pair(orca__kafka_cfg *cfg, const char *url_shown, const char *s, size_t n,
                      orca_err *err) {
  const char *eq = memchr(s, '=', n);
  if (!eq || eq == s)
    return orca_err_set(err, ORCA_EURL,
                        "kafka URL '%s': expected KEY=VALUE in the query, got '%.*s'", url_shown,
                        (int)(eq       ? 0
                              : n > 64 ? 64
                                       : n),
                        s);
  char *key = dup_n(s, (size_t)(eq - s));
  bool bad = false;
  char *val = decode(eq + 1, (size_t)(s + n - eq - 1), &bad);
  if (!key || !val) {
    int rc =
        bad ? orca_err_set(err, ORCA_EURL,
                           "kafka URL '%s': bad %%-escape in the value of '%s' (%%XX, not %%00)",
                           url_shown, key ? key : "?")
            : orca_err_set(err, ORCA_ENOMEM, "kafka URL: out of memory");
    free(key), free(val);
    return rc;
  }
  int rc = 0;
  if (strcmp(key, "store") == 0) {
    /* the registry's: the store URL beside this log */
  } else if (strcmp(key, "group") == 0) {
    if (*val == '\0' || strlen(val) >= ORCA_NAME_MAX)
      rc = orca_err_set(err, ORCA_EURL, "kafka URL '%s': group must be 1 to %d bytes", url_shown,
                        ORCA_NAME_MAX - 1);
    else {
      free(cfg->group);
      cfg->group = val;
      val = NULL;
    }
  } else if (strcmp(key, "prefix") == 0) {
    size_t n = strlen(val);
    if (n >= sizeof cfg->prefix ||
        strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789._-") != n)
      rc = orca_err_set(err, ORCA_EURL,
                        "kafka URL '%s': prefix must be at most %zu of [A-Za-z0-9._-], got '%s'",
                        url_shown, sizeof cfg->prefix - 1, val);
    else
      memcpy(cfg->prefix, val, n + 1);
  } else if (strcmp(key, "partitions") == 0) {
    if (parse_int(val, 1, 100000, &cfg->partitions))
      rc = orca_err_set(err, ORCA_EURL,
                        "kafka URL '%s': partitions must be a number from 1 to 100000, got '%s'",
                        url_shown, val);
  } else if (strcmp(key, "replication") == 0) {
    if (parse_int(val, 1, 32767, &cfg->replication))
      rc = orca_err_set(err, ORCA_EURL,
                        "kafka URL '%s': replication must be a number from 1 to 32767, got '%s'",
                        url_shown, val);
  } else if (strcmp(key, "min.insync.replicas") == 0) {
    if (parse_int(val, 1, 32767, &cfg->min_insync))
      rc = orca_err_set(err, ORCA_EURL,
                        "kafka URL '%s': min.insync.replicas must be a number from 1 to 32767, got "
                        "'%s'",
                        url_shown, val);
  } else if (strcmp(key, "priorities") == 0) {
    if (strcmp(val, "ignore") && strcmp(val, "refuse"))
      rc = orca_err_set(err, ORCA_EURL,
                        "kafka URL '%s': priorities must be refuse or ignore, got '%s'", url_shown,
                        val);
    else
      cfg->priorities_ignored = strcmp(val, "ignore") == 0;
  } else if (strcmp(key, "conf") == 0) {
    free(cfg->conf_file);
    cfg->conf_file = val;
    val = NULL;
  } else {
    rc = add_prop(cfg, key, val, "the URL");
    return rc ? orca_err_set(err, rc, "kafka URL: out of memory") : 0;
  }
  free(key);
  free(val);
  return rc;
}

int orca__kafka_cfg_parse(const char *url, orca__kafka_cfg *cfg, orca_err *err) {
  static const char scheme[] = "kafka://";
  memset(cfg, 0, sizeof *cfg);
  cfg->partitions = ORCA__KAFKA_DEFAULT_PARTITIONS;
  cfg->replication = ORCA__KAFKA_DEFAULT_REPLICATION;
  char shown[512];
  orca_url_redact(url, shown, sizeof shown);
  if (strncmp(url, scheme, sizeof scheme - 1) != 0)
    return orca_err_set(err, ORCA_EURL,
                        "kafka URL '%s' must start with kafka:// "
                        "(kafka://BROKER[,BROKER...][?KEY=VALUE&...])",
                        shown);
  const char *p = url + sizeof scheme - 1;
  const char *q = strchr(p, '?');
  size_t blen = q ? (size_t)(q - p) : strlen(p);
  if (blen == 0)
    return orca_err_set(err, ORCA_EURL, "kafka URL '%s': no broker (kafka://HOST:PORT[,HOST:PORT])",
                        shown);
  if (memchr(p, '@', blen) || memchr(p, '/', blen))
    return orca_err_set(err, ORCA_EURL,
                        "kafka URL '%s': brokers are HOST:PORT separated by ','; credentials go "
                        "in properties (sasl.username, sasl.password) or the conf file",
                        shown);
  for (const char *b = p; b < p + blen;) {
    const char *e = memchr(b, ',', (size_t)(p + blen - b));
    if (!e)
      e = p + blen;
    const char *colon = NULL;
    for (const char *c = b; c < e; c++)
      if (*c == ':')
        colon = c;
    int32_t port;
    char num[8];
    size_t pl = colon ? (size_t)(e - colon - 1) : 0;
    if (pl < sizeof num) {
      memcpy(num, colon ? colon + 1 : "", pl);
      num[pl] = '\0';
    }
    if (e == b || !colon || colon == b || pl == 0 || pl >= sizeof num ||
        parse_int(num, 1, 65535, &port))
      return orca_err_set(err, ORCA_EURL, "kafka URL '%s': broker '%.*s' is not HOST:PORT", shown,
                          (int)(e - b), b);
    b = e + (e < p + blen);
    if (e < p + blen && b == p + blen)
      return orca_err_set(err, ORCA_EURL, "kafka URL '%s': empty broker after ','", shown);
  }
  cfg->brokers = dup_n(p, blen);
  cfg->group = dup_n(ORCA__KAFKA_DEFAULT_GROUP, strlen(ORCA__KAFKA_DEFAULT_GROUP));
  if (!cfg->brokers || !cfg->group)
    return orca_err_set(err, ORCA_ENOMEM, "kafka URL: out of memory");
  /* The environment's file first, then conf=FILE, then the URL's own
   * properties: later ones win. Our keys are read before the files so that
   * conf= can be found. */
  orca__kafka_cfg urlcfg = {0};
  memcpy(urlcfg.prefix, ORCA__KAFKA_DEFAULT_PREFIX, sizeof ORCA__KAFKA_DEFAULT_PREFIX);
  urlcfg.partitions = cfg->partitions;
  urlcfg.replication = cfg->replication;
  urlcfg.group = cfg->group;
  cfg->group = NULL;
  int rc = 0;
  for (const char *s = q ? q + 1 : NULL; s && *s && !rc;) {
    const char *amp = strchr(s, '&');
    size_t n = amp ? (size_t)(amp - s) : strlen(s);
    /* store=URL runs to the next '&' (its own query is %-escaped) */
    if (n)
      rc = query_pair(&urlcfg, shown, s, n, err);
    s = amp ? amp + 1 : NULL;
  }
  const char *envf = getenv("ORCA_KAFKA_CONF");
  if (!rc && envf && *envf)
    rc = orca__kafka_cfg_load_file(cfg, envf, err);
  if (!rc && urlcfg.conf_file)
    rc = orca__kafka_cfg_load_file(cfg, urlcfg.conf_file, err);
  for (size_t i = 0; i < urlcfg.nprops && !rc; i++) {
    rc = add_prop(cfg, urlcfg.props[i].key, urlcfg.props[i].value, "the URL");
    urlcfg.props[i].key = urlcfg.props[i].value = NULL;
    if (rc)
      orca_err_set(err, rc, "kafka URL: out of memory");
  }
  cfg->group = urlcfg.group;
  urlcfg.group = NULL;
  memcpy(cfg->prefix, urlcfg.prefix, sizeof cfg->prefix);
  cfg->partitions = urlcfg.partitions;
  cfg->replication = urlcfg.replication;
  cfg->min_insync = urlcfg.min_insync;
  cfg->priorities_ignored = urlcfg.priorities_ignored;
  cfg->conf_file = urlcfg.conf_file;
  urlcfg.conf_file = NULL;
  orca__kafka_cfg_free(&urlcfg);
  return rc;
}

int orca__kafka_topic_name(const orca__kafka_cfg *cfg, const char *queue, char *out) {
  size_t n = queue ? strlen(queue) : 0, pl = strlen(cfg->prefix);
  if (n == 0 || n >= ORCA_NAME_MAX)
    return ORCA_EINVAL;
  memcpy(out, cfg->prefix, pl);
  memcpy(out + pl, queue, n + 1);
  return 0;
}
