/* fuzz_hooks_args.c — arbitrary bytes as the args of a task whose type uses
 * every .orca type (tests/hooks/fixture.h), read whole by a before_run hook
 * that walks task.args. Whatever the bytes, the hook either sees a value or
 * fails with an error; the process must not crash, leak or read out of
 * bounds, and the state must stay usable. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../hooks/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  orca__hooks *state =
      hk_fuzz_state("local function walk(v, d)\n"
                    "  if type(v) == 'table' and d < 80 then\n"
                    "    for k, x in pairs(v) do walk(k, d + 1); walk(x, d + 1) end\n"
                    "  end\n"
                    "end\n"
                    "return { before_run = function(task) walk(task.args, 0) end }\n");
  static const orca_task_desc *task;
  if (!task)
    task = hk_every_task(NULL);
  orca__hook_task t = {.task = task, .queue = {"default", 7}, .args = data, .args_len = size};
  orca__hooks_before_run(state, &t);
  return 0;
}
