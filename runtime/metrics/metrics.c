/* metrics.c — the registry of metrics.h: families, shards of cells, and the
 * text exposition (Prometheus text format 0.0.4).
 *
 * Cells of a family: a counter has one cell per series; a histogram has
 * nbounds + 1 bucket counts (the last one is +Inf; not cumulative while
 * recorded, made cumulative when written) and the sum of the observed
 * values in µs, per series. Every shard holds every family's cells at the
 * same offsets, in one block aligned to a cache line so that two shards
 * never share one. */
#include "metrics/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
const int64_t orca__metrics_task_bounds[] = {
    1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000, 30000000, 60000000, 300000000, 1800000000};
const size_t orca__metrics_ntask_bounds =
    sizeof orca__metrics_task_bounds / sizeof orca__metrics_task_bounds[0];
const int64_t orca__metrics_call_bounds[] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 10000000};
const size_t orca__metrics_ncall_bounds =
    sizeof orca__metrics_call_bounds / sizeof orca__metrics_call_bounds[0];
/* clang-format on */

#define CACHE_LINE 64

typedef struct family {
  char *name, *help;
  bool histogram;
  char *label_names[ORCA__METRICS_MAX_LABELS];
  size_t nlabels;
  size_t nseries;
  char **values; /* nseries * nlabels, NULL until labelled */
  const int64_t *bounds;
  size_t nbounds;
  size_t first;  /* offset of series 0's first cell */
  size_t stride; /* cells per series */
} family;

typedef struct collector {
  orca__metrics_collect_fn fn;
  void *ud;
} collector;

struct orca__metrics {
  family *fams;
  size_t nfams, capfams;
  size_t ncells;
  orca__mshard *shards;
  size_t nshards;
  collector *cols;
  size_t ncols;
  pthread_mutex_t scrape_mu;
};

int orca__metrics_open(orca__metrics **out) {
  *out = NULL;
  orca__metrics *m = calloc(1, sizeof *m);
  if (!m)
    return ORCA_ENOMEM;
  pthread_mutex_init(&m->scrape_mu, NULL);
  *out = m;
  return 0;
}

void orca__metrics_close(orca__metrics *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->nfams; i++) {
    family *f = &m->fams[i];
    free(f->name);
    free(f->help);
    for (size_t k = 0; k < f->nlabels; k++)
      free(f->label_names[k]);
    for (size_t k = 0; f->values && k < f->nseries * f->nlabels; k++)
      free(f->values[k]);
    free(f->values);
  }
  free(m->fams);
  for (size_t i = 0; i < m->nshards; i++)
    free(m->shards[i].cells);
  free(m->shards);
  free(m->cols);
  pthread_mutex_destroy(&m->scrape_mu);
  free(m);
}

/* A metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no ':'). */
static bool name_ok(const char *s, size_t n, bool label) {
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(c == ':' && !label) && !(i > 0 && c >= '0' && c <= '9'))
      return false;
  }
  return true;
}

static int define(orca__metrics *m, const char *name, const char *help, const char *labels,
                  size_t nseries, bool histogram, const int64_t *bounds, size_t nbounds,
                  size_t *id) {
  if (m->shards || !name || !name_ok(name, strlen(name), false) || !labels || nseries == 0 ||
      (histogram && (!bounds || nbounds == 0)))
    return ORCA_EINVAL;
  if (m->nfams == m->capfams) {
    size_t cap = m->capfams ? m->capfams * 2 : 16;
    family *g = realloc(m->fams, cap * sizeof *g);
    if (!g)
      return ORCA_ENOMEM;
    m->fams = g;
    m->capfams = cap;
  }
  family *f = &m->fams[m->nfams];
  memset(f, 0, sizeof *f);
  f->histogram = histogram;
  f->nseries = nseries;
  f->bounds = bounds;
  f->nbounds = nbounds;
  f->stride = histogram ? nbounds + 2 : 1;
  f->first = m->ncells;
  int rc = 0;
  for (const char *p = labels; *p && !rc;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (f->nlabels == ORCA__METRICS_MAX_LABELS || !name_ok(p, n, true))
      rc = ORCA_EINVAL;
    else if (!(f->label_names[f->nlabels++] = strndup(p, n)))
      rc = ORCA_ENOMEM;
    p += n + (comma ? 1 : 0);
  }
  if (!rc && f->nlabels == 0 && nseries != 1)
    rc = ORCA_EINVAL;
  f->name = rc ? NULL : strdup(name);
  f->help = rc ? NULL : strdup(help ? help : "");
  if (!rc && (!f->name || !f->help))
    rc = ORCA_ENOMEM;
  if (!rc && f->nlabels && !(f->values = calloc(nseries * f->nlabels, sizeof *f->values)))
    rc = ORCA_ENOMEM;
  if (rc) {
    free(f->name);
    free(f->help);
    for (size_t k = 0; k < f->nlabels; k++)
      free(f->label_names[k]);
    return rc;
  }
  m->ncells += nseries * f->stride;
  *id = m->nfams++;
  return 0;
}

int orca__metrics_counter(orca__metrics *m, const char *name, const char *help, const char *labels,
                          size_t nseries, size_t *id) {
  return define(m, name, help, labels, nseries, false, NULL, 0, id);
}

int orca__metrics_histogram(orca__metrics *m, const char *name, const char *help,
                            const char *labels, size_t nseries, const int64_t *bounds_us,
                            size_t nbounds, size_t *id) {
  return define(m, name, help, labels, nseries, true, bounds_us, nbounds, id);
}

int orca__metrics_label(orca__metrics *m, size_t id, size_t series, const char *const *values) {
  if (id >= m->nfams || series >= m->fams[id].nseries || !m->fams[id].nlabels)
    return ORCA_EINVAL;
  family *f = &m->fams[id];
  char **slot = &f->values[series * f->nlabels];
  for (size_t k = 0; k < f->nlabels; k++) {
    char *v = strdup(values[k] ? values[k] : "");
    if (!v)
      return ORCA_ENOMEM;
    free(slot[k]);
    slot[k] = v;
  }
  return 0;
}

int orca__metrics_start(orca__metrics *m, size_t nshards, size_t nexclusive) {
  if (m->shards || nshards == 0)
    return ORCA_EINVAL;
  m->shards = calloc(nshards, sizeof *m->shards);
  if (!m->shards)
    return ORCA_ENOMEM;
  size_t bytes = (m->ncells ? m->ncells : 1) * sizeof(_Atomic uint64_t);
  bytes = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
  for (size_t i = 0; i < nshards; i++) {
    void *p = NULL;
    if (posix_memalign(&p, CACHE_LINE, bytes)) {
      m->nshards = i;
      return ORCA_ENOMEM;
    }
    memset(p, 0, bytes);
    m->shards[i].cells = p;
    m->shards[i].shared = i >= nexclusive;
  }
  m->nshards = nshards;
  return 0;
}

orca__mshard *orca__metrics_shard(orca__metrics *m, size_t i) {
  if (!m || !m->nshards)
    return NULL;
  return &m->shards[i < m->nshards ? i : m->nshards - 1];
}

static inline void bump(orca__mshard *s, size_t cell, uint64_t v) {
  _Atomic uint64_t *c = &s->cells[cell];
  if (s->shared)
    atomic_fetch_add_explicit(c, v, memory_order_relaxed);
  else /* one writer: a plain add, readers see the old or the new value */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

void orca__metrics_add(orca__mshard *s, const orca__metrics *m, size_t id, size_t series,
                       uint64_t v) {
  const family *f = &m->fams[id];
  if (series < f->nseries)
    bump(s, f->first + series, v);
}

void orca__metrics_observe(orca__mshard *s, const orca__metrics *m, size_t id, size_t series,
                           int64_t value_us) {
  const family *f = &m->fams[id];
  if (series >= f->nseries)
    return;
  if (value_us < 0)
    value_us = 0;
  size_t b = 0;
  while (b < f->nbounds && value_us > f->bounds[b])
    b++;
  size_t base = f->first + series * f->stride;
  bump(s, base + b, 1);
  bump(s, base + f->nbounds + 1, (uint64_t)value_us);
}

int orca__metrics_collector(orca__metrics *m, orca__metrics_collect_fn fn, void *ud) {
  collector *g = realloc(m->cols, (m->ncols + 1) * sizeof *g);
  if (!g)
    return ORCA_ENOMEM;
  m->cols = g;
  m->cols[m->ncols++] = (collector){fn, ud};
  return 0;
}

/* ---- exposition ---- */

static int puts_buf(orca_buf *out, const char *s) {
  return orca_buf_append(out, s, strlen(s));
}

static int printf_buf(orca_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int printf_buf(orca_buf *out, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0)
    return ORCA_EINVAL;
  return orca_buf_append(out, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* HELP text escapes backslash and newline; label values also '"'. */
static int escaped(orca_buf *out, const char *s, bool quote) {
  int rc = 0;
  for (const char *p = s; *p && !rc; p++) {
    if (*p == '\\')
      rc = puts_buf(out, "\\\\");
    else if (*p == '\n')
      rc = puts_buf(out, "\\n");
    else if (*p == '"' && quote)
      rc = puts_buf(out, "\\\"");
    else
      rc = orca_buf_append(out, p, 1);
  }
  return rc;
}

int orca__metrics_put_family(orca_buf *out, const char *name, const char *help, const char *type) {
  int rc = printf_buf(out, "# HELP %s ", name);
  rc = rc ? rc : escaped(out, help, false);
  return rc ? rc : printf_buf(out, "\n# TYPE %s %s\n", name, type);
}

/* name{labels[,extra="v"]} — extra may be NULL. */
static int put_head(orca_buf *out, const char *name, const char *suffix,
                    const char *const *label_names, const char *const *label_values, size_t nlabels,
                    const char *extra_name, const char *extra_value) {
  int rc = puts_buf(out, name);
  rc = rc ? rc : puts_buf(out, suffix);
  if (!nlabels && !extra_name)
    return rc;
  rc = rc ? rc : puts_buf(out, "{");
  for (size_t k = 0; k < nlabels && !rc; k++) {
    rc = printf_buf(out, "%s%s=\"", k ? "," : "", label_names[k]);
    rc = rc ? rc : escaped(out, label_values[k] ? label_values[k] : "", true);
    rc = rc ? rc : puts_buf(out, "\"");
  }
  if (extra_name && !rc)
    rc = printf_buf(out, "%s%s=\"%s\"", nlabels ? "," : "", extra_name, extra_value);
  return rc ? rc : puts_buf(out, "}");
}

int orca__metrics_put_sample(orca_buf *out, const char *name, const char *const *label_names,
                             const char *const *label_values, size_t nlabels, double value) {
  int rc = put_head(out, name, "", label_names, label_values, nlabels, NULL, NULL);
  return rc ? rc : printf_buf(out, " %.17g\n", value);
}

static uint64_t sum_cell(const orca__metrics *m, size_t cell) {
  uint64_t v = 0;
  for (size_t i = 0; i < m->nshards; i++)
    v += atomic_load_explicit(&m->shards[i].cells[cell], memory_order_relaxed);
  return v;
}

static int write_family(const orca__metrics *m, const family *f, orca_buf *out) {
  int rc = orca__metrics_put_family(out, f->name, f->help, f->histogram ? "histogram" : "counter");
  const char *const *names = (const char *const *)f->label_names;
  for (size_t s = 0; s < f->nseries && !rc; s++) {
    const char *const *vals = f->nlabels ? (const char *const *)&f->values[s * f->nlabels] : NULL;
    if (f->nlabels && !vals[0])
      continue; /* a series nobody labelled */
    size_t base = f->first + s * f->stride;
    if (!f->histogram) {
      rc = put_head(out, f->name, "", names, vals, f->nlabels, NULL, NULL);
      rc = rc ? rc : printf_buf(out, " %llu\n", (unsigned long long)sum_cell(m, base));
      continue;
    }
    uint64_t cum = 0;
    for (size_t b = 0; b <= f->nbounds && !rc; b++) {
      cum += sum_cell(m, base + b);
      char le[32];
      if (b < f->nbounds)
        snprintf(le, sizeof le, "%g", (double)f->bounds[b] / 1e6);
      else
        snprintf(le, sizeof le, "+Inf");
      rc = put_head(out, f->name, "_bucket", names, vals, f->nlabels, "le", le);
      rc = rc ? rc : printf_buf(out, " %llu\n", (unsigned long long)cum);
    }
    double sum = (double)sum_cell(m, base + f->nbounds + 1) / 1e6;
    rc = rc ? rc : put_head(out, f->name, "_sum", names, vals, f->nlabels, NULL, NULL);
    rc = rc ? rc : printf_buf(out, " %.6f\n", sum);
    rc = rc ? rc : put_head(out, f->name, "_count", names, vals, f->nlabels, NULL, NULL);
    rc = rc ? rc : printf_buf(out, " %llu\n", (unsigned long long)cum);
  }
  return rc;
}

int orca__metrics_write(orca__metrics *m, orca_buf *out) {
  pthread_mutex_lock(&m->scrape_mu);
  int rc = 0;
  for (size_t i = 0; i < m->nfams && !rc && m->nshards; i++)
    rc = write_family(m, &m->fams[i], out);
  for (size_t i = 0; i < m->ncols && !rc; i++)
    rc = m->cols[i].fn(m->cols[i].ud, out);
  pthread_mutex_unlock(&m->scrape_mu);
  return rc;
}
