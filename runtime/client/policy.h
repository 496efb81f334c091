/* policy.h — the task policies that shape an enqueue and the end of a run:
 * @cache and @unique keys, @deadline, @priority, result retention.
 *
 * @unique(ttl) and @cache(ttl) both ride on the backend's unique_key
 * mechanism (orca__job.unique_key / orca__completion.unique_key):
 *   - the key is the task name plus a BLAKE2b hash of the encoded args, so
 *     equal arguments (byte-equal msgpack) give the same key;
 *   - @unique: the enqueue holds the key for ttl from the enqueue; a second
 *     enqueue in that window gets ORCA_EDUPLICATE and the holder's id. The
 *     run does not touch the key.
 *   - @cache: the enqueue holds the key while the task is in flight (for at
 *     most ttl, so a task stuck in a queue does not block forever); success
 *     refreshes it to ttl from the finish (the worker's completion carries
 *     unique_key + cache ttl), and a dead, expired or cancelled end drops it
 *     so the next identical enqueue runs again. The state record of a cached
 *     task lives at least as long as the key, so the id a later enqueue gets
 *     back always has its result. */
#ifndef ORCA__POLICY_H
#define ORCA__POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "orca/schema.h"

/* Room for "TASK#" + 32 hex digits. */
#define ORCA__KEY_MAX (ORCA__TASK_NAME_MAX + 40)
#define ORCA__TASK_NAME_MAX 128

/* Default retention of a finished task's state and result (@result unset). */
#define ORCA__DEFAULT_RESULT_TTL_US (24LL * 3600 * 1000000)

/* True when the task uses a unique/cache key. */
int orca__policy_has_key(const orca_task_desc *t);

/* Write the unique/cache key of (task, encoded args) to out. */
void orca__policy_key(const orca_task_desc *t, const uint8_t *args, size_t len,
                      char out[ORCA__KEY_MAX]);

/* How long the enqueue holds the key (unique ttl, or cache ttl). */
int64_t orca__policy_key_ttl(const orca_task_desc *t);

/* How long the state record (and result) lives after the task ends: the
 * @result ttl (default a day), at least the @cache ttl. */
int64_t orca__policy_state_ttl(const orca_task_desc *t);

/* The absolute deadline of a task due at due_us: a task not started by then
 * is expired. rel_override (from the enqueue options) wins over @deadline;
 * returns 0 when neither is set. The deadline counts from the due time, so
 * a deferred task gets its whole window once it is due. */
int64_t orca__policy_deadline(const orca_task_desc *t, int64_t rel_override, int64_t due_us);

#endif
