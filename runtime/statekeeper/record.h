/* statekeeper/record.h — the StateKeeper's store-side logic that every backend
 * shares: turning what a store keeps about a task (its columns or hash
 * fields, and the envelope it was enqueued with) into the orca_task_info the
 * client hands out, and what a final record means to a caller who waited
 * for it.
 *
 * Backends keep records in their own layout (a SQLite row, a Redis hash);
 * these functions hold the rules that must not differ between them. */
#ifndef ORCA__STATEKEEPER_RECORD_H
#define ORCA__STATEKEEPER_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "orca/error.h"
#include "orca/state.h"

/* Zero every field of *info before a store fills it, keeping the caller's
 * result and args buffers: their memory and the bytes they already hold
 * (backends append to them, orca_task_info says so). */
void orca__record_clear(orca_task_info *info);

/* Append the encoded arguments held in a stored envelope (payload[0..len),
 * the bytes the client enqueued) to args. A payload that is not an envelope
 * (a store's garbage, another writer's bytes) appends nothing and returns
 * ORCA_EDECODE: a record is still shown without its arguments. Returns 0,
 * ORCA_EDECODE or ORCA_ENOMEM. Nothing is kept. */
int orca__record_args(const uint8_t *payload, size_t len, orca_buf *args);

/* What waiting for task `id` returns once its record is final: 0 for
 * succeeded; ORCA_EFAIL (dead, or expired) and ORCA_ECANCELLED with err
 * saying why; ORCA_ETIMEDOUT naming the state for a record that is not
 * final. */
int orca__record_wait_status(const orca_task_info *info, const char *id, orca_err *err);

#endif
