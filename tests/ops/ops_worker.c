/* ops_worker.c — the shop worker for the operations tests, with one switch:
 * while the file named by $ORCA_OPS_FAIL_FILE exists, shop.notify fails (and,
 * having no retries, goes to the dead-letter queue), so a test can make a
 * dead task and then see its retry succeed. Everything else is
 * orca_worker_main's, flags included. */
#include <stdlib.h>
#include <unistd.h>

#include "handlers.h"

static int notify(orca_ctx *ctx, const shop_notify_args *args) {
  const char *flag = getenv("ORCA_OPS_FAIL_FILE");
  if (flag && access(flag, F_OK) == 0)
    return orca_ctx_fail(ctx, "mail to %s bounced (the test's switch is on)", args->to);
  return shop_example_handlers.notify(ctx, args);
}

static int install(orca_worker *w, void *ud, orca_err *err) {
  (void)ud;
  static shop_handlers h;
  h = shop_example_handlers;
  h.notify = notify;
  return shop_register(w, &h, err);
}

int main(int argc, char **argv) {
  return orca_worker_main(argc, argv, install, NULL);
}
