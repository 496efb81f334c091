/* fuzz_hooks_args.c — arbitrary bytes as the args of a task whose type uses
 * every .orca type (tests/hooks/fixture.h), read whole by a before_run hook
 * that walks task.args. Whatever the bytes, the hook either sees a value or
 * fails with an error; the process must not crash, leak or read out of
 * bounds, and the state must stay usable. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../hooks/fixture.h"

static void quiet(void *ud, orca_log_level level, const char *msg) {
  (void)ud, (void)level, (void)msg;
}

static orca__hooks *state;
static const orca_task_desc *task;

static void close_state(void) {
  orca__hooks_close(state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!state) {
    orca_log_set(quiet, NULL, ORCA_LOG_OFF);
    state = hk_open("local function walk(v, d)\n"
                    "  if type(v) == 'table' and d < 80 then\n"
                    "    for k, x in pairs(v) do walk(k, d + 1); walk(x, d + 1) end\n"
                    "  end\n"
                    "end\n"
                    "return { before_run = function(task) walk(task.args, 0) end }\n");
    task = hk_every_task(NULL);
    atexit(close_state);
  }
  orca__hook_task t = {.task = task, .queue = {"default", 7}, .args = data, .args_len = size};
  orca__hooks_before_run(state, &t);
  return 0;
}
