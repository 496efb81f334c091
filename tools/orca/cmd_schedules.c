/* cmd_schedules.c — `orca schedules add | list | pause | resume | remove`:
 * run-time schedules through orca/schedule.h (`next`, the preview, is in
 * cmd_schedules_next.c). Arguments of the fired task are
 * JSON checked against its .orca schema, as for `orca enqueue`. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "orca/schedule.h"

static const char *catchup_name(orca_catchup c) {
  return c == ORCA_CATCHUP_ONCE ? "once" : c == ORCA_CATCHUP_ALL ? "all" : "skip";
}

static int print_one(void *ud, const orca_schedule_info *s) {
  const cli *c = ud;
  char next[40];
  orca_time_format(s->next_fire_us, next, sizeof next);
  char when[256], every[64];
  snprintf(every, sizeof every, "every(%lldms)", (long long)(s->every_us / 1000));
  if (s->kind == ORCA_SCHEDULE_CRON)
    snprintf(when, sizeof when, "cron(\"%s\"%s%s)", s->cron, s->tz[0] ? ", tz = " : "", s->tz);
  else
    snprintf(when, sizeof when, "%s", every);
  if (c->json) { /* fields listed in docs/cli.md */
    const char *keys[] = {"name", "task", "queue", "when", "tz"};
    const char *vals[] = {s->name, s->task, s->queue,
                          s->kind == ORCA_SCHEDULE_CRON ? s->cron : every,
                          s->kind == ORCA_SCHEDULE_CRON ? s->tz : ""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      printf("%s\"%s\":", i ? "," : "{", keys[i]);
      cli_json_str(stdout, vals[i]);
    }
    printf(",\"every_us\":%lld,\"catchup\":\"%s\",\"catchup_max\":%u,\"priority\":%d,"
           "\"next_fire_us\":%lld,\"paused\":%s}\n",
           (long long)(s->kind == ORCA_SCHEDULE_CRON ? 0 : s->every_us), catchup_name(s->catchup),
           (unsigned)s->catchup_max, (int)s->priority, (long long)s->next_fire_us,
           s->paused ? "true" : "false");
  } else
    printf("%-24s %-20s %-12s %-40s %-5s %s%s\n", s->name, s->task, s->queue, when,
           catchup_name(s->catchup), next, s->paused ? "  (paused)" : "");
  return 0;
}

static int add(cli *c, int argc, char **argv) {
  const char *cron = NULL, *every = NULL, *tz = NULL, *queue = NULL, *catchup = "skip",
             *json = "{}", *replace = NULL;
  cli_opt opts[] = {{"--cron", &cron},      {"--every", &every},     {"--tz", &tz},
                    {"--queue", &queue},    {"--catchup", &catchup}, {"--args", &json},
                    {"--replace", &replace}};
  int n = cli_take_opts(c, argc, argv, opts, sizeof opts / sizeof opts[0]);
  if (n < 0)
    return CLI_USAGE;
  if (n != 2)
    return cli_fail(c, CLI_USAGE, "add needs NAME and TASK (try --help)");
  if (!cron == !every)
    return cli_fail(c, CLI_USAGE, "give exactly one of --cron EXPR or --every DUR");
  orca_schedule_def def = {.name = argv[1], .cron = cron, .tz = tz, .queue = queue};
  if (every && orca_duration_parse(every, &def.every_us))
    return cli_fail(c, CLI_USAGE, "--every '%s' is not a duration", every);
  if (strcmp(catchup, "skip") == 0)
    def.catchup = ORCA_CATCHUP_SKIP;
  else if (strcmp(catchup, "once") == 0)
    def.catchup = ORCA_CATCHUP_ONCE;
  else if (strncmp(catchup, "all", 3) == 0) {
    def.catchup = ORCA_CATCHUP_ALL;
    if (catchup[3] == ':')
      def.catchup_max = (uint32_t)strtoul(catchup + 4, NULL, 10);
  } else
    return cli_fail(c, CLI_USAGE, "--catchup must be skip, once or all[:N]");
  const orca_task_desc *t = cli_task(c, argv[2]);
  if (!t)
    return CLI_FAIL;
  def.task = t->name;
  def.fingerprint = t->args->fingerprint;
  def.priority = t->priority;
  if (!def.queue)
    def.queue = t->queue;
  orca_buf args = ORCA_BUF_INIT;
  orca_err err = {0};
  int rc = orca_json_to_msgpack(t->args_type, json, strlen(json), &args, &err);
  if (rc) {
    orca_buf_free(&args);
    return cli_fail(c, CLI_FAIL, "arguments of %s: %s", t->name, err.msg);
  }
  def.args = args.data;
  def.args_len = args.len;
  orca_client *cl = cli_client(c);
  rc = cl ? orca_schedule_add(cl, &def, replace && strcmp(replace, "yes") == 0, &err) : CLI_FAIL;
  orca_buf_free(&args);
  if (!cl)
    return CLI_FAIL;
  if (rc == ORCA_EDUPLICATE)
    return cli_fail(c, CLI_FAIL, "schedule %s exists (use --replace yes)", argv[1]);
  if (rc)
    return cli_fail(c, CLI_FAIL, "%s", err.msg[0] ? err.msg : orca_strerror(rc));
  orca_schedule_info info;
  if (orca_schedule_get(cl, argv[1], &info, NULL) == 0)
    print_one(c, &info);
  return CLI_OK;
}

int cmd_schedules(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv) || argc < 2) {
    printf("usage: orca schedules list [--json]\n"
           "       orca schedules add NAME TASK (--cron EXPR [--tz ZONE] | --every DUR)\n"
           "                          [--args JSON] [--queue Q] [--catchup skip|once|all[:N]]\n"
           "                          [--replace yes] --schema FILE.orca\n"
           "       orca schedules pause|resume|remove NAME\n"
           "       orca schedules next EXPR [--tz ZONE] [-n N] [--after TIME] [--json]\n"
           "                          EXPR: a cron expression (\"0 3 * * MON-FRI\", \"@daily\")\n"
           "                          or every(DUR); prints the next N fire times (default 5)\n"
           "Every worker running the TimeKeeper fires each schedule once per fire time.\n");
    return argc < 2 ? CLI_USAGE : CLI_OK;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "add") == 0)
    return add(c, argc - 1, argv + 1);
  if (strcmp(sub, "next") == 0)
    return cmd_schedules_next(c, argc - 1, argv + 1);
  int n = cli_take_opts(c, argc - 1, argv + 1, NULL, 0);
  if (n < 0)
    return CLI_USAGE;
  char **args = argv + 1;
  orca_client *cl = NULL;
  orca_err err = {0};
  int rc;
  if (strcmp(sub, "list") == 0) {
    if (n != 0)
      return cli_fail(c, CLI_USAGE, "list takes no arguments");
    if (!(cl = cli_client(c)))
      return CLI_FAIL;
    rc = orca_schedule_list(cl, print_one, c, &err);
  } else {
    int (*op)(orca_client *, const char *, orca_err *) =
        strcmp(sub, "pause") == 0    ? orca_schedule_pause
        : strcmp(sub, "resume") == 0 ? orca_schedule_resume
        : strcmp(sub, "remove") == 0 ? orca_schedule_remove
                                     : NULL;
    if (!op)
      return cli_fail(c, CLI_USAGE, "unknown schedules command '%s'", sub);
    if (n != 1)
      return cli_fail(c, CLI_USAGE, "%s needs one schedule NAME", sub);
    if (!(cl = cli_client(c)))
      return CLI_FAIL;
    rc = op(cl, args[1], &err);
    if (rc == ORCA_ENOTFOUND)
      return cli_fail(c, CLI_FAIL, "no schedule %s", args[1]);
    if (rc == 0)
      printf("%s %s\n",
             strcmp(sub, "pause") == 0    ? "paused"
             : strcmp(sub, "resume") == 0 ? "resumed"
                                          : "removed",
             args[1]);
  }
  return rc ? cli_fail(c, CLI_FAIL, "%s", err.msg[0] ? err.msg : orca_strerror(rc)) : CLI_OK;
}
