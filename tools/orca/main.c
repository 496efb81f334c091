/* main.c — `orca`, the operator's command line: dispatch to a subcommand.
 *
 *   orca enqueue --schema shop.orca shop.charge '{"order": {"id": "A1"}}'
 *   orca wait ID | inspect ID | cancel ID | stats | dlq list|requeue|purge
 *   orca schedules add|list|pause|resume|remove
 *   orca dashboard --listen 127.0.0.1:8080
 *   orca cluster
 *
 * Every subcommand takes --backend URL or --backend-file FILE (or
 * ORCA_BACKEND / ORCA_BACKEND_FILE). */
#include "cli.h"

#include <string.h>

static const struct {
  const char *name;
  int (*run)(cli *, int, char **);
  const char *summary;
} commands[] = {
    {"enqueue", cmd_enqueue, "enqueue a task with JSON arguments checked against its schema"},
    {"wait", cmd_wait, "wait for a task to finish and print its result"},
    {"inspect", cmd_inspect, "print a task's state, attempts, error and result"},
    {"cancel", cmd_cancel, "cancel a pending, scheduled or running task"},
    {"stats", cmd_stats, "per-queue counts: pending, running, scheduled, dead, done/s"},
    {"dlq", cmd_dlq, "dead-letter queue: list, requeue, purge"},
    {"schedules", cmd_schedules, "run-time schedules: add, list, pause, resume, remove, next"},
    {"dashboard", cmd_dashboard, "serve the web dashboard (queues, tasks, dead letters, ...)"},
    {"cluster", cmd_cluster, "the workers of the peer network: state, address, queues, load"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: orca COMMAND [--backend URL | --backend-file FILE] [options]\n\n"
               "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'orca COMMAND --help' describes one command. The backend URL comes from\n"
               "--backend, --backend-file (a file holding it, so a password stays out of `ps`),\n"
               "ORCA_BACKEND or ORCA_BACKEND_FILE (default sqlite:./.orca/orca.db).\n"
               "--kafka-conf FILE (or ORCA_KAFKA_CONF) gives librdkafka properties to a\n"
               "kafka:// backend (docs/kafka.md). See docs/cli.md.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return CLI_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("orca %s\n", ORCA_VERSION_STRING);
    return CLI_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(argv[1], commands[i].name) != 0)
      continue;
    cli c = {.prog = commands[i].name};
    int n = cli_common_opts(&c, argc - 1, argv + 1);
    int rc = n < 0 ? CLI_USAGE : commands[i].run(&c, n, argv + 1);
    if (rc == CLI_FAIL && c.status)
      rc = c.status; /* the failure was a bad value, e.g. a malformed URL */
    cli_close(&c);
    return rc;
  }
  fprintf(stderr, "orca: unknown command '%s' (try 'orca --help')\n", argv[1]);
  return CLI_USAGE;
}
