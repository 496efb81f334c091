/* cmd_queue.c — `orca stats` and `orca dlq`: whole queues rather than single
 * tasks. These talk to the backend interface directly through the client's
 * handle (runtime/core/client_internal.h). */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "client/client_internal.h"

static orca__backend *backend_of(cli *c) {
  orca_client *cl = cli_client(c);
  return cl ? orca__client_backend(cl) : NULL;
}

#define MAX_QUEUES 256

int cmd_stats(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: orca stats [--json]\n"
           "Per queue: pending, running, scheduled, dead, succeeded, failed, done per second.\n");
    return CLI_OK;
  }
  if (cli_take_opts(c, argc, argv, NULL, 0) != 0)
    return cli_fail(c, CLI_USAGE, "takes no arguments (try --help)");
  orca__backend *b = backend_of(c);
  if (!b)
    return CLI_FAIL;
  static orca_queue_stats st[MAX_QUEUES];
  size_t n = 0;
  int rc = b->ops->stats(b, st, MAX_QUEUES, &n);
  if (rc)
    return cli_fail(c, CLI_FAIL, "reading stats: %s", orca_strerror(rc));
  if (!c->json)
    printf("%-20s %9s %9s %9s %9s %10s %9s %8s\n", "QUEUE", "PENDING", "RUNNING", "SCHEDULED",
           "DEAD", "SUCCEEDED", "FAILED", "DONE/S");
  for (size_t i = 0; i < n; i++) {
    const orca_queue_stats *q = &st[i];
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
  }
  return CLI_OK;
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
  orca__backend *b = NULL;
  if (strcmp(sub, "list") == 0) {
    char *end;
    errno = 0;
    long limit = strtol(limit_s, &end, 10);
    if (*end || end == limit_s || errno || limit <= 0)
      return cli_fail(c, CLI_USAGE, "--limit must be a whole number >= 1, not '%s'", limit_s);
    if (n > 1)
      return cli_fail(c, CLI_USAGE, "list takes at most one QUEUE");
    if (!(b = backend_of(c)))
      return CLI_FAIL;
    int rc = b->ops->dlq_list(b, n == 1 ? argv[1] : NULL, 0, (size_t)limit, print_dead, c);
    return rc ? cli_fail(c, CLI_FAIL, "listing: %s", orca_strerror(rc)) : CLI_OK;
  }
  bool requeue = strcmp(sub, "requeue") == 0;
  if (!requeue && strcmp(sub, "purge") != 0)
    return cli_fail(c, CLI_USAGE, "unknown dlq command '%s' (list, requeue, purge)", sub);
  if (n != (all ? 1 : 2))
    return cli_fail(c, CLI_USAGE, "%s needs QUEUE and an ID, or QUEUE --all", sub);
  if (!(b = backend_of(c)))
    return CLI_FAIL;
  size_t count = 0;
  const char *id = all ? NULL : argv[2];
  int rc = requeue ? b->ops->dlq_requeue(b, argv[1], id, &count)
                   : b->ops->dlq_purge(b, argv[1], id, &count);
  if (rc)
    return cli_fail(c, CLI_FAIL, "%s: %s", sub, orca_strerror(rc));
  if (!all && count == 0)
    return cli_fail(c, CLI_FAIL, "no dead task %s in queue %s", id, argv[1]);
  printf("%s %zu task(s)\n", requeue ? "requeued" : "purged", count);
  return CLI_OK;
}
