/* demo.c — shop-demo: the story the README runs, producer and worker in one
 * process on the embedded SQLite backend.
 *
 * A worker runs on a second thread; the producer enqueues and waits for
 * results through the typed stubs orcac generated. It tells a short story:
 * two orders charged, one that fails twice then succeeds, one deferred by two
 * seconds, a cached price lookup, and a mail that bounces into the
 * dead-letter queue. It ends by itself in a few seconds.
 *
 *   ./shop-demo [--backend URL]     (default sqlite:./.orca/shop-demo.db, reset at start) */
#include "handlers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC 1000000LL

static void die(const char *what, int rc, const orca_err *err) {
  fprintf(stderr, "shop-demo: %s: %s\n", what, err && err->msg[0] ? err->msg : orca_strerror(rc));
  exit(1);
}

static void *run_worker(void *w) {
  orca_err err = {0};
  int rc = orca_worker_run(w, &err);
  if (rc)
    fprintf(stderr, "shop-demo: worker stopped: %s\n", err.msg);
  return NULL;
}

static void order_init(shop_order *o, shop_item *items, size_t n, const char *id) {
  shop_order_init(o);
  o->id = (char *)id;
  o->items.items = items;
  o->items.len = n;
  o->placed_at = orca_clock_now(NULL);
}

/* Enqueue an order, wait for its receipt, print it. */
static void charge_and_print(orca_client *c, const char *id, int64_t delay_us) {
  shop_item items[2];
  shop_item_init(&items[0]);
  shop_item_init(&items[1]);
  items[0].sku = "kettle";
  items[0].has_price = true;
  items[0].price = 24.5;
  items[1].sku = "tea";
  items[1].qty = 3;
  shop_charge_args args;
  shop_charge_args_init(&args);
  order_init(&args.order, items, 2, id);

  char task_id[ORCA_ID_MAX];
  orca_err err = {0};
  int64_t t0 = orca_clock_now(NULL);
  int rc = delay_us ? shop_charge_enqueue_in(c, &args, delay_us, task_id, &err)
                    : shop_charge_enqueue(c, &args, NULL, task_id, &err);
  if (rc)
    die("enqueue charge", rc, &err);
  shop_receipt r;
  orca_arena arena;
  orca_arena_init(&arena, 0);
  rc = shop_charge_result(c, task_id, 30 * SEC, &r, &arena.alloc, &err);
  if (rc)
    die("charge result", rc, &err);
  orca_task_info info = {0};
  orca_inspect(c, task_id, &info, NULL);
  printf("  charged %-12s %6.2f EUR  after %u attempt(s), %.2fs\n", r.order_id, r.cents / 100.0,
         info.attempt, (orca_clock_now(NULL) - t0) / 1e6);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  orca_arena_free(&arena);
}

static void price_twice(orca_client *c) {
  shop_price_args args = {.sku = "kettle"};
  char id1[ORCA_ID_MAX], id2[ORCA_ID_MAX];
  orca_err err = {0};
  int rc = shop_price_enqueue(c, &args, NULL, id1, &err);
  if (rc && rc != ORCA_EDUPLICATE)
    die("enqueue price", rc, &err);
  double p;
  if ((rc = shop_price_result(c, id1, 10 * SEC, &p, &orca_heap, &err)))
    die("price result", rc, &err);
  rc = shop_price_enqueue(c, &args, NULL, id2, &err);
  if (rc && rc != ORCA_EDUPLICATE)
    die("enqueue price again", rc, &err);
  printf("  price of kettle: %.2f; asked again: %s\n", p,
         strcmp(id1, id2) == 0 ? "answered from the cache, same task" : "ran again");
}

static void bounce(orca_client *c) {
  shop_notify_args args = {.to = "bounce@shop.example", .body = "your order shipped"};
  char id[ORCA_ID_MAX];
  orca_err err = {0};
  int rc = shop_notify_enqueue(c, &args, NULL, id, &err);
  if (rc)
    die("enqueue notify", rc, &err);
  rc = shop_notify_result(c, id, 10 * SEC, &err);
  orca_task_info info = {0};
  orca_inspect(c, id, &info, NULL);
  printf("  mail to %s: %s (%s)\n", args.to, orca_state_name(info.state), info.error);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
}

int main(int argc, char **argv) {
  const char *url = "sqlite:./.orca/shop-demo.db";
  if (argc == 3 && strcmp(argv[1], "--backend") == 0)
    url = argv[2];
  else if (argc != 1) {
    fprintf(stderr, "usage: shop-demo [--backend URL]\n");
    return 2;
  }
  if (strcmp(url, "sqlite:./.orca/shop-demo.db") == 0) {
    /* The demo's own database starts empty so every run tells the same story. */
    unlink(".orca/shop-demo.db");
    unlink(".orca/shop-demo.db-wal");
    unlink(".orca/shop-demo.db-shm");
  }

  orca_err err = {0};
  orca_worker *w;
  orca_worker_opts wo = {.backend = url, .concurrency = 4, .run_schedules = false};
  int rc = orca_worker_open(&wo, &w, &err);
  if (rc)
    die("worker", rc, &err);
  if ((rc = shop_register(w, &shop_example_handlers, &err)))
    die("register", rc, &err);
  pthread_t th;
  pthread_create(&th, NULL, run_worker, w);

  orca_client *c;
  orca_client_opts co = {.backend = url};
  if ((rc = orca_client_open(&co, &c, &err)))
    die("client", rc, &err);

  printf("Orders:\n");
  charge_and_print(c, "order-1001", 0);
  charge_and_print(c, "order-1002", 0);
  printf("A flaky card processor (fails twice, then works):\n");
  charge_and_print(c, "flaky-1003", 0);
  printf("A deferred charge (due in 2 s):\n");
  charge_and_print(c, "later-1004", 2 * SEC);
  printf("A cached lookup:\n");
  price_twice(c);
  printf("A bounced mail (its hook says: don't retry):\n");
  bounce(c);

  orca_client_close(c);
  orca_worker_stop(w);
  pthread_join(th, NULL);
  orca_worker_close(w);
  char shown[512]; /* never print a password */
  printf("Done. Inspect with: orca stats --backend %s\n",
         orca_url_redact(url, shown, sizeof shown));
  return 0;
}
