/* metrics.h — counters and histograms that the threads of a process record
 * without a lock or an allocation, summed and written in the Prometheus text
 * exposition format when someone scrapes them.
 *
 * Life cycle: orca__metrics_open -> define the families (counters and
 * histograms, each with a fixed number of label sets, "series", known up
 * front: a worker's tasks times its queues) and their label values ->
 * orca__metrics_start(nshards) allocates one block of cells per shard ->
 * threads record into their shard -> orca__metrics_write sums the shards.
 *
 * Shards. Each recording thread owns a shard (a handler thread, the pump)
 * and updates its cells with a relaxed load and store: no lock prefix, no
 * contention, nothing allocated. A shard several threads share (the last
 * one, for rare events on any thread, or all of them when there are more
 * threads than shards) is marked shared and uses a relaxed atomic add
 * instead. A scrape reads every cell with a relaxed load; a count it reads
 * is at most a few increments behind, never torn (cells are 64-bit
 * atomics).
 *
 * Gauges are not recorded: they are computed when a scrape asks, by the
 * collectors registered with orca__metrics_collector, which append their
 * text with orca__metrics_put_family and orca__metrics_put_sample. */
#ifndef ORCA__METRICS_H
#define ORCA__METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/error.h"
#include "orca/memory.h"

typedef struct orca__metrics orca__metrics;

/* One block of cells; see the head of this file. */
typedef struct orca__mshard {
  _Atomic uint64_t *cells;
  bool shared; /* several writers: atomic adds */
} orca__mshard;

/* Most label names a family may have. */
#define ORCA__METRICS_MAX_LABELS 4

/* Histogram bounds (µs), for orca__metrics_histogram. Run and wait times:
 * 1 ms .. 30 min; backend round trips and hook calls: 100 µs .. 10 s. */
extern const int64_t orca__metrics_task_bounds[];
extern const size_t orca__metrics_ntask_bounds;
extern const int64_t orca__metrics_call_bounds[];
extern const size_t orca__metrics_ncall_bounds;

/* Create an empty registry. Returns 0 and *out (free with
 * orca__metrics_close) or ORCA_ENOMEM. */
int orca__metrics_open(orca__metrics **out);
/* Free the registry and its shards. Nothing may record or write any more.
 * NULL is ignored. */
void orca__metrics_close(orca__metrics *m);

/* Define a counter (name ends in _total) or a histogram (name ends in the
 * unit, e.g. _seconds; values are observed in µs and written in seconds)
 * with `labels` ("task,queue", "" for none: at most
 * ORCA__METRICS_MAX_LABELS names) and nseries label sets (>= 1; a family
 * without labels has one). bounds_us are the histogram's upper bounds,
 * ascending, kept by pointer (static tables). Before orca__metrics_start
 * only. Returns 0 and *id, or ORCA_EINVAL (bad name, labels or count,
 * after start) or ORCA_ENOMEM. Strings are copied. */
int orca__metrics_counter(orca__metrics *m, const char *name, const char *help, const char *labels,
                          size_t nseries, size_t *id);
int orca__metrics_histogram(orca__metrics *m, const char *name, const char *help,
                            const char *labels, size_t nseries, const int64_t *bounds_us,
                            size_t nbounds, size_t *id);

/* Set the label values of series `series` of family id: one value per label
 * name, copied (escaped when written). Series without values are not
 * written. Before or after start, but not while a scrape may run. Returns 0,
 * ORCA_EINVAL or ORCA_ENOMEM. */
int orca__metrics_label(orca__metrics *m, size_t id, size_t series, const char *const *values);

/* Allocate nshards shards (>= 1) for the families defined: shards
 * 0..nexclusive-1 have one writer each, the others are shared (atomic
 * adds). After this no family can be added. Returns 0, ORCA_EINVAL, or ORCA_ENOMEM. */
int orca__metrics_start(orca__metrics *m, size_t nshards, size_t nexclusive);
/* Shard i (0 <= i < nshards) after start; i past the end gives the last
 * one, which is then used as shared. Never NULL after start. */
orca__mshard *orca__metrics_shard(orca__metrics *m, size_t i);

/* Add v to series `series` of counter id. */
void orca__metrics_add(orca__mshard *s, const orca__metrics *m, size_t id, size_t series,
                       uint64_t v);
/* Observe value_us (negative counts as 0) in series `series` of histogram
 * id. */
void orca__metrics_observe(orca__mshard *s, const orca__metrics *m, size_t id, size_t series,
                           int64_t value_us);

/* What a collector adds at scrape time: its text appended to out, 0 or
 * ORCA_ENOMEM. Called on the scraping thread with the registry's scrape
 * lock held (one scrape at a time). */
typedef int (*orca__metrics_collect_fn)(void *ud, orca_buf *out);
/* Register a collector (before start or between scrapes). Returns 0 or
 * ORCA_ENOMEM. */
int orca__metrics_collector(orca__metrics *m, orca__metrics_collect_fn fn, void *ud);

/* Append the whole exposition (text format 0.0.4): every family's sums
 * over the shards, then every collector's text. One scrape at a time.
 * Returns 0 or ORCA_ENOMEM (out may hold part of it). */
int orca__metrics_write(orca__metrics *m, orca_buf *out);

/* For collectors: "# HELP name help\n# TYPE name type\n". */
int orca__metrics_put_family(orca_buf *out, const char *name, const char *help, const char *type);
/* For collectors: one sample line, name{l1="v1",...} value, the values
 * escaped as the format asks (backslash, double quote, newline). */
int orca__metrics_put_sample(orca_buf *out, const char *name, const char *const *label_names,
                             const char *const *label_values, size_t nlabels, double value);

#endif
