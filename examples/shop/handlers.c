/* handlers.c — the shop's task handlers, shared by shop-worker and shop-demo.
 *
 * Each handler is an ordinary C function of the type orcac generated for its
 * task: typed arguments in, typed result out, 0 for success or
 * orca_ctx_fail() to fail the attempt (the task's @retry policy decides what
 * happens next). */
#include "handlers.h"

#include <stdio.h>
#include <string.h>

static int charge(orca_ctx *ctx, const shop_charge_args *args, shop_receipt *result) {
  const shop_order *o = &args->order;
  /* "flaky-…" orders hit a card processor that fails twice before it works. */
  if (strncmp(o->id, "flaky", 5) == 0 && orca_ctx_attempt(ctx) < 3)
    return orca_ctx_fail(ctx, "card processor timeout (attempt %u)", orca_ctx_attempt(ctx));
  int64_t cents = 0;
  for (size_t i = 0; i < o->items.len; i++) {
    const shop_item *it = &o->items.items[i];
    double price = it->has_price ? it->price : 9.99;
    cents += (int64_t)(price * 100 + 0.5) * it->qty;
  }
  if (o->tier == SHOP_TIER_PRO)
    cents -= cents / 10;
  /* The result's strings live in memory the worker releases after storing it. */
  const orca_alloc *a = orca_ctx_alloc(ctx);
  size_t n = strlen(o->id) + 1;
  result->order_id = a->alloc(a->ctx, n);
  if (!result->order_id)
    return ORCA_ENOMEM;
  memcpy(result->order_id, o->id, n);
  result->cents = args->dry_run ? 0 : cents;
  return 0;
}

static int price(orca_ctx *ctx, const shop_price_args *args, double *result) {
  (void)ctx;
  /* Pretend this is an expensive lookup; @cache(ttl = 10m) makes repeats free. */
  double p = 0;
  for (const char *s = args->sku; *s; s++)
    p += (unsigned char)*s;
  *result = p / 10.0;
  return 0;
}

static int notify(orca_ctx *ctx, const shop_notify_args *args) {
  if (strstr(args->to, "bounce"))
    return orca_ctx_fail(ctx, "mail to %s bounced", args->to);
  orca_ctx_log(ctx, ORCA_LOG_INFO, "mail to %s: %s", args->to, args->body);
  return 0;
}

static int ping(orca_ctx *ctx, const shop_ping_args *args) {
  (void)ctx;
  (void)args;
  return 0;
}

const shop_handlers shop_example_handlers = {
    .charge = charge,
    .price = price,
    .notify = notify,
    .ping = ping,
};
