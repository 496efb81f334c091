/* orca/schedule.h — schedules managed at run time: add, list, get, pause,
 * resume and remove the cron or interval schedules that the TimeKeeper fires
 * (the `orca schedules` CLI is built on these; with orca/admin.h they make
 * the operator's API, and follow its rules: err on every call, list items
 * valid during the callback only).
 *
 * A schedule added here lives in the backend like one declared in a .orca
 * file: every node running a TimeKeeper (a worker) picks it up within its
 * refresh period (1 s) and each fire becomes exactly one task with id
 * `NAME@FIRE_TIME` (docs/timekeeper.md). The definition is checked when it is
 * added — cron syntax, zone name, interval, names — and a malformed one is
 * refused with the reason in err. The task is named, not linked: the
 * arguments are given pre-encoded as msgpack (orca/codec.h, or
 * orca_json_to_msgpack in the CLI) and checked by the worker that runs it. */
#ifndef ORCA_SCHEDULE_H
#define ORCA_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/client.h"
#include "orca/error.h"
#include "orca/schema.h"
#include "orca/state.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A schedule to add. Strings and bytes are copied; nothing is kept. */
typedef struct orca_schedule_def {
  const char *name;     /* unique, 1..ORCA_NAME_MAX-1 bytes, e.g. "shop.nightly" */
  const char *task;     /* qualified task name, "shop.report" */
  const char *queue;    /* NULL = "default" */
  const char *cron;     /* a cron expression (orca/cron.h), or NULL with every_us */
  int64_t every_us;     /* interval (>= 1 ms) when cron is NULL; fires at multiples
                           of the interval since the epoch */
  const char *tz;       /* IANA zone for cron, NULL = UTC */
  orca_catchup catchup; /* after downtime: SKIP (default), ONCE or ALL */
  uint32_t catchup_max; /* ALL: at most this many missed fires (0 = 100) */
  int32_t priority;     /* of the fired tasks */
  uint64_t fingerprint; /* args schema fingerprint, 0 = not checked */
  const uint8_t *args;  /* msgpack map of the task's arguments; NULL = empty */
  size_t args_len;
} orca_schedule_def;

/* What `list` and `get` report. */
typedef struct orca_schedule_info {
  char name[ORCA_NAME_MAX];
  char task[ORCA_NAME_MAX];
  char queue[ORCA_NAME_MAX];
  orca_schedule_kind kind;
  char cron[128];   /* CRON: the expression as given */
  char tz[64];      /* CRON: zone name, "" = UTC */
  int64_t every_us; /* EVERY */
  orca_catchup catchup;
  uint32_t catchup_max;
  int32_t priority;
  int64_t next_fire_us; /* the next fire the TimeKeeper will make */
  bool paused;
} orca_schedule_info;

/* Add a schedule. Its first fire is the first matching time after now.
 * replace=false keeps an existing schedule of that name and returns
 * ORCA_EDUPLICATE; replace=true overwrites it (pause state kept). Returns 0,
 * ORCA_EINVAL with the reason for a malformed definition, or a backend
 * error. */
int orca_schedule_add(orca_client *c, const orca_schedule_def *def, bool replace, orca_err *err);

/* Fill *out with schedule `name`. Returns 0, ORCA_ENOTFOUND, or an error. */
int orca_schedule_get(orca_client *c, const char *name, orca_schedule_info *out, orca_err *err);

/* Call cb for every schedule (order unspecified); a non-zero return from cb
 * stops the walk and is returned. Returns 0 or a backend error. */
typedef int (*orca_schedule_cb)(void *ud, const orca_schedule_info *info);
int orca_schedule_list(orca_client *c, orca_schedule_cb cb, void *ud, orca_err *err);

/* Pause: no fire happens while paused. Returns 0 or ORCA_ENOTFOUND. */
int orca_schedule_pause(orca_client *c, const char *name, orca_err *err);

/* Resume: the next fire is the first matching time after now; fires that
 * fell in the pause are not caught up. Returns 0 or ORCA_ENOTFOUND. */
int orca_schedule_resume(orca_client *c, const char *name, orca_err *err);

/* Remove. Tasks already fired stay queued. Returns 0 or ORCA_ENOTFOUND. */
int orca_schedule_remove(orca_client *c, const char *name, orca_err *err);

#ifdef __cplusplus
}
#endif
#endif
