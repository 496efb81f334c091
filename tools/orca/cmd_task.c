/* cmd_task.c — `orca enqueue`, `wait`, `inspect` and `cancel`: one task at a
 * time, by id. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Check enqueue's options into eo; CLI_USAGE after a message naming the bad
 * one and its value, else 0. */
static int enqueue_opts(cli *c, const char *queue, const char *in, const char *at, const char *id,
                        const char *prio, orca_enqueue_opts *eo) {
  if (queue && (!*queue || strlen(queue) >= ORCA_NAME_MAX))
    return cli_fail(c, CLI_USAGE, "--queue '%s': a queue name is 1 to %d bytes", queue,
                    ORCA_NAME_MAX - 1);
  if (id && (!*id || strlen(id) >= ORCA_ID_MAX))
    return cli_fail(c, CLI_USAGE, "--id '%s': a task id is 1 to %d bytes", id, ORCA_ID_MAX - 1);
  if (in && at)
    return cli_fail(c, CLI_USAGE, "give --in '%s' or --at '%s', not both", in, at);
  eo->queue = queue;
  eo->id = id;
  if (in && orca_duration_parse(in, &eo->delay_us))
    return cli_fail(c, CLI_USAGE, "--in '%s' is not a duration (like 250ms, 5s, 1h30m)", in);
  if (at && orca_time_parse(at, &eo->eta_us))
    return cli_fail(c, CLI_USAGE, "--at '%s' is not a time (RFC 3339 or epoch seconds)", at);
  if (prio) {
    char *end;
    long p = strtol(prio, &end, 10);
    if (*end || end == prio || p < 0 || p > 9)
      return cli_fail(c, CLI_USAGE, "--priority must be 0..9, not '%s'", prio);
    eo->priority = (int32_t)p;
    eo->has_priority = true;
  }
  return 0;
}

int cmd_enqueue(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: orca enqueue --schema FILE.orca [-I DIR] TASK (JSON | --args-file FILE)\n"
           "                    [--queue Q] [--in DUR] [--at TIME] [--id ID] [--priority N]\n"
           "Checks JSON against TASK's parameters in FILE.orca, enqueues it and prints the id.\n"
           "--args-file reads the JSON from FILE ('-' = stdin), up to %u MiB.\n"
           "DUR: 250ms, 5s, 1h30m. TIME: RFC 3339 (2026-11-27T10:00:00Z) or epoch seconds.\n",
           CLI_INPUT_MAX >> 20);
    return CLI_OK;
  }
  const char *queue = NULL, *in = NULL, *at = NULL, *id = NULL, *prio = NULL, *file = NULL;
  cli_opt opts[] = {{"--queue", &queue}, {"--in", &in},         {"--at", &at},
                    {"--id", &id},       {"--priority", &prio}, {"--args-file", &file}};
  int n = cli_take_opts(c, argc, argv, opts, sizeof opts / sizeof opts[0]);
  if (n < 0)
    return CLI_USAGE;
  if (n != (file ? 1 : 2))
    return cli_fail(c, CLI_USAGE,
                    file ? "with --args-file, expected only the TASK argument (try --help)"
                         : "expected TASK and JSON arguments (try --help)");
  orca_enqueue_opts eo = {0};
  int rc = enqueue_opts(c, queue, in, at, id, prio, &eo);
  if (rc)
    return rc;
  orca_buf json = ORCA_BUF_INIT;
  if (file && (rc = cli_read_input(c, "--args-file", file, &json)) != 0) {
    orca_buf_free(&json);
    return rc;
  }
  const char *text = file ? (const char *)json.data : argv[2];
  size_t len = file ? json.len : strlen(argv[2]);
  const orca_task_desc *t = cli_task(c, argv[1]);
  orca_buf args = ORCA_BUF_INIT;
  orca_err err = {0};
  if (t)
    rc = orca_json_to_msgpack(t->args_type, text, len, &args, &err);
  orca_buf_free(&json);
  if (!t || rc) {
    orca_buf_free(&args);
    return t ? cli_fail(c, CLI_FAIL, "arguments of %s: %s", t->name, err.msg) : CLI_FAIL;
  }
  orca_client *cl = cli_client(c);
  char out[ORCA_ID_MAX] = "";
  if (cl)
    rc = orca_enqueue_raw(cl, t, args.data, args.len, &eo, out, &err);
  orca_buf_free(&args);
  if (!cl)
    return CLI_FAIL;
  if (rc == ORCA_EDUPLICATE) {
    printf("%s\n", out);
    fprintf(stderr, "orca enqueue: an equal task exists already: %s\n", out);
    return CLI_OK;
  }
  if (rc)
    return cli_fail(c, CLI_FAIL, "%s", err.msg[0] ? err.msg : orca_strerror(rc));
  printf("%s\n", out);
  return CLI_OK;
}

/* The task descriptor for printing a record, when --schema was given. */
static const orca_task_desc *task_of(cli *c, const orca_task_info *info) {
  if (!c->schema)
    return NULL;
  const orca_schema *s = cli_schema(c);
  return s ? orca_schema_task(s, info->task) : NULL;
}

static int show(cli *c, const char *id, int64_t timeout_us) {
  orca_client *cl = cli_client(c);
  if (!cl)
    return CLI_FAIL;
  orca_task_info info = {0};
  orca_err err = {0};
  int rc;
  if (timeout_us >= 0) {
    rc = orca_wait_result(cl, NULL, id, timeout_us, NULL, NULL, &err);
    if (rc == ORCA_ETIMEDOUT)
      return cli_fail(c, CLI_FAIL, "task %s did not finish in time", id);
  }
  rc = orca_inspect(cl, id, &info, &err);
  if (rc == ORCA_ENOTFOUND)
    return cli_fail(c, CLI_FAIL, "no task %s (unknown, or its record expired)", id);
  if (rc)
    return cli_fail(c, CLI_FAIL, "%s", err.msg[0] ? err.msg : orca_strerror(rc));
  cli_print_info(c, &info, task_of(c, &info));
  bool ok = info.state == ORCA_STATE_SUCCEEDED || timeout_us < 0;
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  return ok ? CLI_OK : CLI_FAIL;
}

int cmd_wait(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: orca wait ID [--timeout DUR] [--schema FILE.orca] [--json]\n"
           "Waits until task ID finishes (default timeout 30s) and prints its record.\n"
           "Exit status 0 when it succeeded, 1 otherwise.\n");
    return CLI_OK;
  }
  const char *timeout = "30s";
  cli_opt opts[] = {{"--timeout", &timeout}};
  int n = cli_take_opts(c, argc, argv, opts, 1);
  if (n < 0)
    return CLI_USAGE;
  if (n != 1)
    return cli_fail(c, CLI_USAGE, "expected one task ID");
  int64_t us;
  if (orca_duration_parse(timeout, &us))
    return cli_fail(c, CLI_USAGE, "--timeout '%s' is not a duration", timeout);
  return show(c, argv[1], us);
}

int cmd_inspect(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: orca inspect ID [--schema FILE.orca] [--json]\n"
           "Prints the task's state, attempts, deliveries, timestamps, error, arguments and\n"
           "result.\n");
    return CLI_OK;
  }
  int n = cli_take_opts(c, argc, argv, NULL, 0);
  if (n < 0)
    return CLI_USAGE;
  if (n != 1)
    return cli_fail(c, CLI_USAGE, "expected one task ID");
  return show(c, argv[1], -1);
}

int cmd_cancel(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: orca cancel ID [--cluster-key-file FILE]\n"
           "Removes a pending or scheduled task; flags a running one (its handler sees\n"
           "orca_ctx_cancelled()) and tells its worker directly over the peer network.\n");
    return CLI_OK;
  }
  int n = cli_take_opts(c, argc, argv, NULL, 0);
  if (n < 0)
    return CLI_USAGE;
  if (n != 1)
    return cli_fail(c, CLI_USAGE, "expected one task ID");
  orca_client *cl = cli_client(c);
  if (!cl)
    return CLI_FAIL;
  orca_err err = {0};
  int rc = orca_cancel(cl, argv[1], &err);
  if (rc == ORCA_ENOTFOUND)
    return cli_fail(c, CLI_FAIL, "no task %s", argv[1]);
  if (rc == ORCA_ESTATE)
    return cli_fail(c, CLI_FAIL, "task %s has already finished", argv[1]);
  if (rc)
    return cli_fail(c, CLI_FAIL, "%s", err.msg[0] ? err.msg : orca_strerror(rc));
  printf("cancelled %s\n", argv[1]);
  return CLI_OK;
}
