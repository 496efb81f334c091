/* cmd_queue.c — `orca stats` and `orca dlq`: whole queues rather than single
 * tasks, through the operator's API (orca/admin.h). */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int print_queue(void *ud, const orca_queue_stats *q) {
  const cli *c = ud;
  if (c->json)
    printf("{\"queue\":\"%s\",\"pending\":%" PRIu64 ",\"running\":%" PRIu64
           ",\"scheduled\":%" PRIu64 ",\"dead\":%" PRIu64 ",\"succeeded\":%" PRIu64
           ",\"failed\":%" PRIu64 ",\"done_per_sec\":%.2f}\n",
           q->queue, q->pending, q->running, q->scheduled, q->dead, q->succeeded, q->failed,
           q->done_per_sec);
  else
    printf("%-20s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %10" PRIu64 " %9" PRIu64
           " %8.1f\n",
           q->queue, q->pending, q->running, q->scheduled, q->dead, q->succeeded, q->failed,
           q->done_per_sec);
  return 0;
}

int cmd_stats(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: orca stats [--json]\n"
           "Per queue: pending, running, scheduled, dead, succeeded, failed, done per second.\n");
    return CLI_OK;
  }
  if (cli_take_opts(c, argc, argv, NULL, 0) != 0)
    return cli_fail(c, CLI_USAGE, "takes no arguments (try --help)");
  orca_client *cl = cli_client(c);
  if (!cl)
    return CLI_FAIL;
  if (!c->json)
    printf("%-20s %9s %9s %9s %9s %10s %9s %8s\n", "QUEUE", "PENDING", "RUNNING", "SCHEDULED",
           "DEAD", "SUCCEEDED", "FAILED", "DONE/S");
  orca_err err = {0};
  int rc = orca_queue_list(cl, print_queue, c, &err);
  return rc ? cli_fail(c, CLI_FAIL, "%s", err.msg) : CLI_OK;
}

static int print_dead(void *ud, const orca_task_info *info) {
  cli *c = ud;
  if (c->json) {
    cli_print_info(c, info, NULL);
  } else {
    char when[40];
    printf("%-28s %-24s %-12s %-24s %s\n", info->id, info->task, info->queue,
           info->finished_us ? orca_time_format(info->finished_us, when, sizeof when) : "-",
           info->error);
  }
  return 0;
}

int cmd_dlq(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv) || argc < 2) {
    printf("usage: orca dlq list [QUEUE] [--limit N] [--json]\n"
           "       orca dlq requeue QUEUE (ID | --all)\n"
           "       orca dlq purge QUEUE (ID | --all)\n"
           "Dead tasks keep their arguments and last error until purged.\n");
    return argc < 2 ? CLI_USAGE : CLI_OK;
  }
  const char *sub = argv[1];
  const char *limit_s = "100";
  bool all = false;
  int out = 1;
  for (int i = 2; i < argc; i++) { /* --all is a flag, not a valued option */
    if (strcmp(argv[i], "--all") == 0)
      all = true;
    else
      argv[out++] = argv[i];
  }
  cli_opt opts[] = {{"--limit", &limit_s}};
  int n = cli_take_opts(c, out, argv, opts, 1);
  if (n < 0)
    return CLI_USAGE;
  orca_client *cl = NULL;
  orca_err err = {0};
  if (strcmp(sub, "list") == 0) {
    char *end;
    errno = 0;
    long limit = strtol(limit_s, &end, 10);
    if (*end || end == limit_s || errno || limit <= 0)
      return cli_fail(c, CLI_USAGE, "--limit must be a whole number >= 1, not '%s'", limit_s);
    if (n > 1)
      return cli_fail(c, CLI_USAGE, "list takes at most one QUEUE");
    if (!(cl = cli_client(c)))
      return CLI_FAIL;
    int rc = orca_dlq_list(cl, n == 1 ? argv[1] : NULL, 0, (size_t)limit, print_dead, c, &err);
    return rc ? cli_fail(c, CLI_FAIL, "%s", err.msg) : CLI_OK;
  }
  bool requeue = strcmp(sub, "requeue") == 0;
  if (!requeue && strcmp(sub, "purge") != 0)
    return cli_fail(c, CLI_USAGE, "unknown dlq command '%s' (list, requeue, purge)", sub);
  if (n != (all ? 1 : 2))
    return cli_fail(c, CLI_USAGE, "%s needs QUEUE and an ID, or QUEUE --all", sub);
  if (!(cl = cli_client(c)))
    return CLI_FAIL;
  size_t count = 0;
  const char *id = all ? NULL : argv[2];
  int rc = requeue ? orca_dlq_requeue(cl, argv[1], id, &count, &err)
                   : orca_dlq_purge(cl, argv[1], id, &count, &err);
  if (rc == ORCA_ENOTFOUND)
    return cli_fail(c, CLI_FAIL, "no dead task %s in queue %s", id, argv[1]);
  if (rc)
    return cli_fail(c, CLI_FAIL, "%s", err.msg);
  printf("%s %zu task(s)\n", requeue ? "requeued" : "purged", count);
  return CLI_OK;
}
