/* bench_hooks.c — what a Lua hook costs per task: the check a worker makes
 * when a task has no hook, an empty before_run, and a before_run that reads
 * two arguments (task.args is decoded from msgpack on that access). The
 * task is described by hand-written reflection tables, as orcac emits them,
 * and its args are encoded once with orca_pack. Then how long a hostile
 * hook runs before the sandbox stops it, under the default limits: an
 * endless Lua loop (the instruction limit) and an endless loop of pattern
 * calls (C work: the time limit). Prints a table and the RESULT lines
 * bench/run collects. */
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hooks/hooks.h"
#include "orca/codec.h"
#include "orca/log.h"

typedef struct order_args {
  char *customer;
  int64_t amount;
  char *note;
} order_args;

static const orca_field order_fields[] = {
    {"customer", 1, 0, offsetof(order_args, customer), -1, &orca_type_string, NULL, NULL},
    {"amount", 2, 0, offsetof(order_args, amount), -1, &orca_type_i64, NULL, NULL},
    {"note", 3, 0, offsetof(order_args, note), -1, &orca_type_string, NULL, NULL},
};
static const orca_struct_desc order_desc = {"bench.order.args",
                                            "order_args",
                                            sizeof(order_args),
                                            alignof(order_args),
                                            3,
                                            order_fields,
                                            1,
                                            NULL};
static const orca_type order_type = {
    ORCA_KIND_STRUCT,  sizeof(order_args), alignof(order_args), &order_desc, NULL, NULL, NULL,
    "bench.order.args"};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *write_file(const char *dir, const char *name, const char *src) {
  static char path[4][256];
  static int n;
  char *p = path[n++ % 4];
  snprintf(p, 256, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  if (!f || fputs(src, f) < 0 || fclose(f) != 0) {
    perror(p);
    exit(1);
  }
  return p;
}

/* µs per task of `iters` runs of the worker's per-task hook step. */
static double measure(orca__hooks *h, const orca__hook_task *t, long iters) {
  double best = 1e9;
  for (int round = 0; round < 5; round++) {
    double t0 = now_s();
    for (long i = 0; i < iters; i++)
      if (orca__hooks_wants(h, t->task, ORCA__HOOK_BEFORE_RUN))
        orca__hooks_before_run(h, t);
    double us = (now_s() - t0) * 1e6 / (double)iters;
    if (us < best)
      best = us;
  }
  return best;
}

static void quiet(void *ud, orca_log_level level, const char *msg) {
  (void)ud;
  (void)level;
  (void)msg;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median ms one before_run of `file` takes to be stopped, over 5 calls. */
static double stop_ms(const char *file, const orca__hook_task *t) {
  orca__hooks *h;
  orca_err err;
  if (orca__hooks_open(file, NULL, &h, &err) || orca__hooks_add_task(h, t->task, &err)) {
    fprintf(stderr, "bench_hooks: %s\n", err.msg);
    exit(1);
  }
  double ms[5];
  for (int i = 0; i < 5; i++) {
    double t0 = now_s();
    orca__hooks_before_run(h, t);
    ms[i] = (now_s() - t0) * 1e3;
  }
  orca__hooks_close(h);
  qsort(ms, 5, sizeof ms[0], cmp_double);
  return ms[2];
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 200000;
  char dir[] = "/tmp/orca-bench-hooks-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  const char *empty = write_file(dir, "empty.lua", "return { before_run = function(task) end }\n");
  const char *two = write_file(dir, "two.lua",
                               "local big = 0\n"
                               "return { before_run = function(task)\n"
                               "  local a = task.args\n"
                               "  if a.amount > 1000 and a.customer ~= '' then big = big + 1 end\n"
                               "end }\n");
  orca_task_desc task = {.name = "bench.order",
                         .queue = "default",
                         .args = &order_desc,
                         .args_type = &order_type,
                         .retry = {.max_attempts = 1}};
  order_args a = {.customer = "customer-0042", .amount = 125000, .note = "leave at the door"};
  orca_buf buf = ORCA_BUF_INIT;
  if (orca_pack(&order_type, &a, &buf) != 0)
    return 1;
  orca__hook_task t = {.task = &task,
                       .id = {"01HZX3K9Q7", 10},
                       .attempt = 1,
                       .queue = {"default", 7},
                       .args = buf.data,
                       .args_len = buf.len};

  const char *files[3] = {NULL, empty, two};
  const char *label[3] = {"no hook (wants() check)", "empty before_run",
                          "before_run reading 2 args"};
  double us[3];
  for (int k = 0; k < 3; k++) {
    orca__hooks *h;
    orca_err err;
    if (orca__hooks_open(files[k], NULL, &h, &err) || orca__hooks_add_task(h, &task, &err)) {
      fprintf(stderr, "bench_hooks: %s\n", err.msg);
      return 1;
    }
    measure(h, &t, iters / 10); /* warm up */
    us[k] = measure(h, &t, iters);
    orca__hooks_close(h);
  }
  printf("# %ld calls per case, best of 5 rounds, one Lua state, one thread\n", iters);
  printf("%-28s %12s\n", "case", "us/task");
  for (int k = 0; k < 3; k++)
    printf("%-28s %12.3f\n", label[k], us[k]);
  printf("RESULT hook_none_us %.3f\n", us[0]);
  printf("RESULT hook_empty_us %.3f\n", us[1]);
  /* No peer runs Lua hooks; the ratio is against the 2 µs target of issue 6
   * (above 1: under target). */
  printf("RATIO hook_call_vs_2us_target %.2f\n", 2.0 / us[2]);
  printf("RESULT hook_call_us %.3f\n", us[2]);

  /* The failing hooks log an error per call: keep it out of the table. */
  orca_log_set(quiet, NULL, ORCA_LOG_ERROR);
  const char *loop =
      write_file(dir, "loop.lua", "return { before_run = function(task) while true do end end }\n");
  const char *cwork = write_file(dir, "cwork.lua",
                                 "return { before_run = function(task)\n"
                                 "  local s = string.rep('a', 3000)\n"
                                 "  while true do s:find('%w+=') end\n"
                                 "end }\n");
  double loop_ms = stop_ms(loop, &t), cwork_ms = stop_ms(cwork, &t);
  printf("# hostile hooks under the default limits (%u instructions, %u ms): "
         "median of 5 calls\n",
         ORCA__HOOKS_INSTR_DEFAULT, ORCA__HOOKS_TIME_DEFAULT_MS);
  printf("%-28s %12s\n", "case", "ms to stop");
  printf("%-28s %12.1f\n", "while true do end", loop_ms);
  printf("%-28s %12.1f\n", "loop of s:find('%w+=')", cwork_ms);
  printf("RESULT hook_loop_stop_ms %.1f\n", loop_ms);
  printf("RESULT hook_cwork_stop_ms %.1f\n", cwork_ms);
  orca_buf_free(&buf);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}
