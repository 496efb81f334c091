/* cmd_cluster.c — `orca cluster`: the workers of the peer network, as any
 * member sees them (orca_cluster_members in orca/admin.h). */
#include "cli.h"

#include <inttypes.h>

typedef struct listing {
  const cli *c;
  bool header; /* printed (text only, with the first worker) */
} listing;

static int print_member(void *ud, const orca_member_info *m) {
  listing *l = ud;
  const cli *c = l->c;
  if (!c->json && !l->header) {
    l->header = true;
    printf("%-32s %-8s %-22s %12s %-9s %s\n", "WORKER", "STATE", "PEER ADDRESS", "RUNNING",
           "VERSION", "QUEUES");
  }
  if (c->json) {
    printf("{\"id\":");
    cli_json_str(stdout, m->id);
    printf(",\"state\":\"%s\",\"addr\":\"%s\",\"queues\":", m->state, m->addr);
    cli_json_str(stdout, m->queues);
    printf(",\"concurrency\":%u,\"running\":%u,\"version\":", m->concurrency, m->running);
    cli_json_str(stdout, m->version);
    printf(",\"incarnation\":%" PRIu64 "}\n", m->incarnation);
  } else {
    printf("%-32s %-8s %-22s %7u/%-4u %-9s %s\n", m->id, m->state, m->addr, m->running,
           m->concurrency, m->version, m->queues);
  }
  return 0;
}

int cmd_cluster(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: orca cluster [--json] [--cluster-key-file FILE]\n"
           "The workers of the backend's peer network: id, state (alive, suspect, dead,\n"
           "left), peer address, running/concurrency, version and queues. Asked of the\n"
           "workers themselves: the command joins the cluster for a moment. The cluster key\n"
           "comes from --cluster-key-file or ORCA_CLUSTER_KEY_FILE.\n");
    return CLI_OK;
  }
  if (cli_take_opts(c, argc, argv, NULL, 0) != 0)
    return cli_fail(c, CLI_USAGE, "takes no arguments (try --help)");
  orca_client *cl = cli_client(c);
  if (!cl)
    return CLI_FAIL;
  orca_err err = {0};
  listing l = {c, false};
  int rc = orca_cluster_members(cl, print_member, &l, &err);
  return rc ? cli_fail(c, CLI_FAIL, "%s", err.msg) : CLI_OK;
}
