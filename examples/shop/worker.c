/* worker.c — shop-worker: a production worker for the shop tasks.
 *
 *   ./shop-worker --backend sqlite:./.orca/orca.db --concurrency 8 --queues payments:3,default:1
 *
 * Everything but the handler table comes from orca_worker_main(): flags,
 * ORCA_* environment variables, signals and graceful shutdown. */
#include "handlers.h"

static int install(orca_worker *w, void *ud, orca_err *err) {
  (void)ud;
  return shop_register(w, &shop_example_handlers, err);
}

int main(int argc, char **argv) {
  return orca_worker_main(argc, argv, install, NULL);
}
