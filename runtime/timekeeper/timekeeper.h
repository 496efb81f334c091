/* timekeeper.h — the TimeKeeper's internal API: the TZif zone reader
 * internals, the schedule spec codec, and the schedule engine
 * the worker runs (runtime/worker/, through worker/seams.h).
 *
 * The engine. Every node may run one; each (schedule, fire time) becomes
 * exactly one task `SCHEDULE@FIRE_TIME` because the fire is a compare-and-set
 * on the schedule's stored next_fire_us done by the backend in one atomic step
 * (backend.h schedule_fire). The engine keeps no authority of its own: it
 * re-reads schedules from the backend, computes next fires from the stored
 * next_fire, and on ECONFLICT re-reads. Backend calls block, so they run on a
 * libuv worker-pool thread (uv_queue_work) with the engine's own backend
 * handle, one cycle at a time; the loop thread only owns a uv_timer armed at
 * the earliest local due time (timerheap.h), re-armed after every cycle. */
#ifndef ORCA__TIMEKEEPER_H
#define ORCA__TIMEKEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/civil.h"
#include "orca/clock.h"
#include "orca/cron.h"
#include "orca/error.h"
#include "orca/memory.h"
#include "orca/schema.h"

/* ---- cron evaluation (cron_next.c) ---- */

/* The smallest local time (civil seconds since 1970-01-01 00:00, no zone)
 * at or after L0 that c matches. Returns 0, or ORCA_ENOTFOUND when none
 * matches within the 400 years after L0's year (one whole Gregorian cycle,
 * so then none ever will). */
int orca__cron_civil_next(const orca_cron *c, int64_t L0, int64_t *out);

/* ---- time zones (tz.c) ---- */

/* Parse a TZif file image (v1, or v2+ with its POSIX TZ footer) into a zone.
 * name is kept for messages. Every byte is treated as hostile: returns 0 and
 * a zone to free with orca_tz_close, or ORCA_EDECODE with err naming what is
 * wrong, or ORCA_ENOMEM. The fuzz target calls this. */
int orca__tz_parse(const uint8_t *data, size_t len, const char *name, orca_tz **out, orca_err *err);
/* UTC offset in seconds (east positive) in effect at instant t (seconds since
 * the epoch). tz NULL = UTC = 0. */
int32_t orca__tz_offset(const orca_tz *tz, int64_t t);
/* The zone's name as loaded ("UTC" for NULL). */
const char *orca__tz_name(const orca_tz *tz);

/* ---- schedule spec: the blob stored in orca__schedule_rec.spec ---- */

/* Everything a node needs to fire a schedule, even one it did not declare
 * (schedules added at run time by the CLI). Decoded strings point into the
 * blob (zero-copy), which must outlive the spec. */
typedef struct orca__schedule_spec {
  orca_schedule_kind kind;
  const char *cron_expr;
  size_t cron_expr_len; /* CRON */
  const char *tz;
  size_t tz_len;    /* CRON: "" = UTC */
  int64_t every_us; /* EVERY */
  orca_catchup catchup;
  uint32_t catchup_max;
  const char *task;
  size_t task_len; /* qualified task name */
  const char *queue;
  size_t queue_len;
  int32_t priority;
  uint64_t fingerprint; /* args schema fingerprint, 0 = unknown */
  const uint8_t *args;
  size_t args_len; /* pre-encoded msgpack args */
} orca__schedule_spec;

/* Append the msgpack encoding of s to out (a map keyed by small ints, so
 * fields can be added). Returns 0 or ORCA_ENOMEM. */
int orca__schedule_spec_encode(const orca__schedule_spec *s, orca_buf *out);
/* Decode data[0..len) into *s (zero-copy). Returns 0, or ORCA_EDECODE with
 * err naming the bad field. */
int orca__schedule_spec_decode(const uint8_t *data, size_t len, orca__schedule_spec *s,
                               orca_err *err);
/* Check a spec: cron parses, zone loads, every > 0, names fit, catch-up is
 * known. Returns 0 or ORCA_EINVAL with err giving the reason. Fills *cron
 * and *tz (caller frees *tz with orca_tz_close) when non-NULL. */
int orca__schedule_spec_check(const orca__schedule_spec *s, orca_cron *cron, orca_tz **tz,
                              orca_err *err);
/* The spec of a generated schedule table entry (pointers into d). */
void orca__schedule_spec_from_desc(const orca_schedule_desc *d, orca__schedule_spec *s);
/* The first fire of spec strictly after after_us (cron in its zone; every_us
 * aligned to multiples of every_us since the epoch, so every node computes the
 * same instants). Returns 0 or ORCA_ENOTFOUND. */
int orca__schedule_next(const orca__schedule_spec *s, const orca_cron *cron, const orca_tz *tz,
                        int64_t after_us, int64_t *next_us);
/* Write the task id of a fire, "NAME@2026-11-27T19:00:00Z" (with
 * ".ffffff" before Z when the fire is not on a whole second), into out
 * (ORCA_ID_MAX bytes). Returns 0 or ORCA_ERANGE if it does not fit. */
int orca__schedule_fire_id(const char *name, int64_t fire_us, char *out, size_t outlen);

/* ---- the engine (engine.c) ---- */

typedef struct orca__timekeeper orca__timekeeper;

typedef struct orca__timekeeper_opts {
  /* A fire is missed (catch-up policy) only when it came due more than this
   * before the node could fire it: before it came up or began watching the
   * schedule; waiting on a busy store never makes a fire missed (engine.c,
   * plan()). 0 = 2 s. */
  int64_t grace_us;
  int64_t refresh_us; /* re-read the schedule list at least this often; 0 = 1 s */
  size_t promote_max; /* deferred tasks moved per promote call; 0 = 1000 */
  /* Loop mode: called on the loop thread after each cycle with the number of
   * tasks this node fired in it (tests, metrics), also for a cycle that
   * finishes after close was called. May call close. */
  void (*on_cycle)(void *ud, int fired);
  void *ud;
  /* Called after this node made fires of one schedule, on the thread that
   * made them (libuv's pool in loop mode): fire_us[0..n) are their fire
   * times (valid during the call), made_us when they were stored (so
   * made_us - fire_us[i] is a fire's lateness), skipped the missed fires the
   * catch-up policy dropped with them. For metrics; must not block. NULL =
   * none. Gets fires_ud. */
  void (*on_fires)(void *ud, const int64_t *fire_us, size_t n, int64_t made_us, uint64_t skipped);
  void *fires_ud;
  /* Work split (the worker's peer network): owns(owns_ud, key) says
   * whether this node owns key, a schedule name or ORCA__TK_PROMOTE_KEY
   * (rendezvous hashing over the live members). A node fires a schedule it
   * does not own, and promotes deferred tasks when it does not own that
   * key, only takeover_us after they came due and only if nobody did it
   * meanwhile: the owner does the work, the others stand by for an owner
   * that died or a view that differs. The backend's compare-and-set keeps
   * every fire exactly once either way. Called on the cycle's thread; must
   * be thread-safe. NULL: this node owns everything. */
  bool (*owns)(void *owns_ud, const char *key);
  void *owns_ud;
  int64_t takeover_us; /* 0 = grace / 2, so a takeover is still on time */
} orca__timekeeper_opts;

/* The key of deferred-task promotion for opts.owns. */
#define ORCA__TK_PROMOTE_KEY "orca:promote"

/* Create an engine with its own backend handle opened from backend_url
 * (clock passed to the backend too; NULL = real clock). node_id names this
 * node in logs. loop may be NULL: the engine then never runs by itself and
 * the caller drives it with orca__timekeeper_tick (tests, CLI). With a loop,
 * call orca__timekeeper_start to arm its timer. Returns 0 and *out, or an
 * error from opening the backend with err set. opts may be NULL. */
int orca__timekeeper_open(uv_loop_t *loop, const char *backend_url, const orca_clock *clock,
                          const char *node_id, orca__timekeeper **out, orca_err *err);
void orca__timekeeper_set_opts(orca__timekeeper *tk, const orca__timekeeper_opts *opts);

/* Register a schedule declared in generated tables. Validates it at once
 * (ORCA_EINVAL with the reason); the backend write (schedule_put if absent,
 * or replace when the stored definition differs) happens in the next cycle
 * (tick, or the loop's next wake-up, which add triggers at once). The
 * definition is copied. In loop mode call it on the loop thread. */
int orca__timekeeper_add(orca__timekeeper *tk, const orca_schedule_desc *d, orca_err *err);

/* Arm the loop timer (loop mode). Returns 0, ORCA_EINVAL without a loop. */
int orca__timekeeper_start(orca__timekeeper *tk);

/* One synchronous cycle on the calling thread (manual mode, or tests): write
 * pending adds, re-read the schedules, fire every due one per its catch-up
 * policy, promote due deferred tasks. Sets *next_due_us to the next local due
 * time (INT64_MAX if none). Returns the number of fires this node enqueued, or
 * a backend error. Must not be called while the loop is running the engine. */
int orca__timekeeper_tick(orca__timekeeper *tk, int64_t *next_due_us);

/* Counters since creation, for tests and `orca schedules`. */
typedef struct orca__timekeeper_stats {
  uint64_t fires;     /* tasks enqueued by this node (catch-up included) */
  uint64_t conflicts; /* fires another node made first (ECONFLICT) */
  uint64_t deferred;  /* due fires left to their owner for takeover_us (opts.owns) */
  uint64_t skipped;   /* missed fires dropped by catch-up policy */
  uint64_t late;      /* fires made more than the grace late, the store being busy */
  uint64_t cycles;
} orca__timekeeper_stats;
void orca__timekeeper_stats_get(const orca__timekeeper *tk, orca__timekeeper_stats *st);

/* Stop: loop mode closes the timer (the loop must run once more to finish
 * the close and any cycle in flight), then frees everything and closes the
 * backend handle. Safe with NULL. */
void orca__timekeeper_close(orca__timekeeper *tk);

#endif
