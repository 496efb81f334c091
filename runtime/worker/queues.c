/* queues.c — queue specs ("payments:3,default:1") and the weighted random
 * order of one fetch. See queues.h for the ordering rule and why. */
#include "worker/queues.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "base/id.h"

static bool find(const orca__queues *qs, const char *name, size_t len) {
  for (size_t i = 0; i < qs->n; i++)
    if (strlen(qs->q[i].name) == len && memcmp(qs->q[i].name, name, len) == 0)
      return true;
  return false;
}

/* item -> NAME [ ':' WEIGHT ]   (between commas, surrounding spaces trimmed) */
static int parse_item(const char *spec, const char *s, const char *e, orca__queues *qs,
                      orca_err *err) {
  while (s < e && isspace((unsigned char)*s))
    s++;
  while (e > s && isspace((unsigned char)e[-1]))
    e--;
  int col = (int)(s - spec) + 1;
  const char *colon = memchr(s, ':', (size_t)(e - s));
  const char *name_end = colon ? colon : e;
  while (name_end > s && isspace((unsigned char)name_end[-1]))
    name_end--;
  size_t len = (size_t)(name_end - s);
  if (len == 0)
    return orca_err_set(err, ORCA_EINVAL, "queue spec '%s', column %d: empty queue name", spec,
                        col);
  if (len >= ORCA_NAME_MAX)
    return orca_err_set(err, ORCA_EINVAL,
                        "queue spec '%s', column %d: queue name longer than %d bytes", spec, col,
                        ORCA_NAME_MAX - 1);
  unsigned long weight = 1;
  if (colon) {
    const char *w = colon + 1;
    while (w < e && isspace((unsigned char)*w))
      w++;
    int wcol = (int)(w - spec) + 1;
    if (w == e)
      return orca_err_set(err, ORCA_EINVAL,
                          "queue spec '%s', column %d: missing weight after ':' for queue '%.*s'",
                          spec, wcol, (int)len, s);
    weight = 0;
    for (const char *p = w; p < e; p++) {
      if (!isdigit((unsigned char)*p) || weight > 1000000)
        return orca_err_set(err, ORCA_EINVAL,
                            "queue spec '%s', column %d: weight of queue '%.*s' must be an "
                            "integer from 1 to 1000000",
                            spec, wcol, (int)len, s);
      weight = weight * 10 + (unsigned long)(*p - '0');
    }
    if (weight == 0 || weight > 1000000)
      return orca_err_set(err, ORCA_EINVAL,
                          "queue spec '%s', column %d: weight of queue '%.*s' must be an integer "
                          "from 1 to 1000000",
                          spec, wcol, (int)len, s);
  }
  if (find(qs, s, len))
    return orca_err_set(err, ORCA_EINVAL, "queue spec '%s', column %d: queue '%.*s' listed twice",
                        spec, col, (int)len, s);
  if (qs->n == ORCA__MAX_QUEUES)
    return orca_err_set(err, ORCA_EINVAL, "queue spec '%s': more than %d queues", spec,
                        ORCA__MAX_QUEUES);
  memcpy(qs->q[qs->n].name, s, len);
  qs->q[qs->n].name[len] = '\0';
  qs->q[qs->n].weight = (unsigned)weight;
  qs->n++;
  return 0;
}

int orca__queues_parse(const char *spec, orca__queues *out, orca_err *err) {
  out->n = 0;
  if (!spec)
    spec = "";
  const char *s = spec;
  for (;;) {
    const char *comma = strchr(s, ',');
    const char *e = comma ? comma : s + strlen(s);
    int rc = parse_item(spec, s, e, out, err);
    if (rc) {
      out->n = 0;
      return rc;
    }
    if (!comma)
      return 0;
    s = comma + 1;
  }
}

int orca__queues_add(orca__queues *qs, const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len >= ORCA_NAME_MAX)
    return ORCA_EINVAL;
  if (find(qs, name, len))
    return 0;
  if (qs->n == ORCA__MAX_QUEUES)
    return ORCA_ELIMIT;
  memcpy(qs->q[qs->n].name, name, len + 1);
  qs->q[qs->n].weight = 1;
  qs->n++;
  return 0;
}

void orca__queues_order(const orca__queues *qs, uint64_t *rng, const char **order) {
  /* Sampling without replacement: pick the next queue among the remaining
   * ones with probability proportional to its weight. n is small (a handful
   * of queues), so the quadratic walk is cheaper than anything cleverer. */
  unsigned char used[ORCA__MAX_QUEUES] = {0};
  uint64_t total = 0;
  for (size_t i = 0; i < qs->n; i++)
    total += qs->q[i].weight;
  for (size_t k = 0; k < qs->n; k++) {
    uint64_t r = orca__rng_next(rng) % total;
    size_t pick = 0;
    for (size_t i = 0; i < qs->n; i++) {
      if (used[i])
        continue;
      pick = i;
      if (r < qs->q[i].weight)
        break;
      r -= qs->q[i].weight;
    }
    used[pick] = 1;
    total -= qs->q[pick].weight;
    order[k] = qs->q[pick].name;
  }
}
