/* record.c — building and reading StateKeeper records the same way on every
 * backend (statekeeper/record.h). */
#include "statekeeper/record.h"

#include <string.h>

#include "codec/envelope.h"

void orca__record_clear(orca_task_info *info) {
  orca_buf result = info->result, args = info->args;
  memset(info, 0, sizeof *info);
  info->result = result;
  info->args = args;
}

int orca__record_args(const uint8_t *payload, size_t len, orca_buf *args) {
  orca__envelope env;
  if (!payload || orca__envelope_decode(payload, len, &env, NULL) != 0)
    return ORCA_EDECODE;
  if (env.args_len && orca_buf_append(args, env.args, env.args_len))
    return ORCA_ENOMEM;
  return 0;
}

int orca__record_wait_status(const orca_task_info *info, const char *id, orca_err *err) {
  switch (info->state) {
  case ORCA_STATE_SUCCEEDED:
    return 0;
  case ORCA_STATE_DEAD:
    return orca_err_set(err, ORCA_EFAIL, "task %s is dead after %u attempt(s): %s", id,
                        info->attempt, info->error[0] ? info->error : "no error recorded");
  case ORCA_STATE_CANCELLED:
    return orca_err_set(err, ORCA_ECANCELLED, "task %s was cancelled", id);
  case ORCA_STATE_EXPIRED:
    return orca_err_set(err, ORCA_EFAIL, "task %s expired: not started before its deadline%s%s", id,
                        info->error[0] ? ": " : "", info->error);
  default:
    return orca_err_set(err, ORCA_ETIMEDOUT, "task %s is still %s", id,
                        orca_state_name(info->state));
  }
}
