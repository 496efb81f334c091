/* bench_codec.c — pack and unpack of the same Order (3 items, a 2-entry map,
 * 32 bytes of binary) through (a) orcac-generated code over liborca's codec,
 * (b) the msgpack-c code a user would write by hand, and (c) protobuf-c 1.4
 * (when protoc-c was found at build time). Prints ns/op and bytes per codec,
 * then RATIO lines (above 1: Orcastra ahead) and RESULT lines.
 * Usage: bench_codec [ITERATIONS [OPERATION-NAME]] (a name runs only that
 * operation, for perf).
 *
 * Every decoder produces a complete C value that owns its strings (no views
 * into the input), so the comparisons are like for like. Each figure is the
 * best of several timed rounds, to damp the noise of a shared machine. */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "order.orca.h"
#ifdef HAVE_PROTOBUF_C
#include "order.pb-c.h"
#endif

#define ROUNDS 7

static volatile size_t sink;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One measured operation. */
typedef struct op {
  const char *name;
  void (*fn)(void *);
  double best; /* ns/op */
} op;

/* Best ns/op of each operation over ROUNDS rounds of `iters` calls. Rounds
 * interleave the operations so that each sees the same machine conditions,
 * and time is the thread's CPU time, so other processes on a shared machine
 * do not count (their cache pollution still does). `only`, if set, runs just
 * the operation of that name (for profiling). */
static void measure(op *ops, size_t n, long iters, const char *only) {
  for (size_t k = 0; k < n; k++) {
    ops[k].best = 1e30;
    if (!only || strcmp(only, ops[k].name) == 0)
      for (long i = 0; i < iters / 10; i++) /* warm up caches and allocators */
        ops[k].fn(NULL);
  }
  for (int r = 0; r < ROUNDS; r++)
    for (size_t k = 0; k < n; k++) {
      if (only && strcmp(only, ops[k].name) != 0)
        continue;
      double t0 = now_ns();
      for (long i = 0; i < iters; i++)
        ops[k].fn(NULL);
      double ns = (now_ns() - t0) / (double)iters;
      if (ns < ops[k].best)
        ops[k].best = ns;
    }
}

/* ---- the message ------------------------------------------------------- */

static uint8_t note[32];
static shop_item items[3] = {
    {"SKU-1001", 2, true, 19.99}, {"SKU-2002", 1, true, 5.5}, {"SKU-3003", 10, false, 0}};
static char *meta_keys[2] = {"channel", "coupon"};
static char *meta_values[2] = {"web", "WELCOME10"};
static shop_order order;

static void build_order(void) {
  for (int i = 0; i < 32; i++)
    note[i] = (uint8_t)(i * 7 + 3);
  shop_order_init(&order);
  order.id = "ord_01JDXYZ7K3M9";
  order.items.items = items;
  order.items.len = 3;
  order.meta.keys = meta_keys;
  order.meta.values = meta_values;
  order.meta.len = 2;
  order.tier = SHOP_TIER_PRO;
  order.note = (orca_bytes){note, 32};
  order.placed_at = 1795773600000000;
  order.hold = 5400000000;
}

/* Whether a decoded order equals the source (every codec is checked once). */
static int same_order(const shop_order *o) {
  if (strcmp(o->id, order.id) || o->items.len != 3 || o->meta.len != 2 || o->tier != order.tier ||
      o->note.len != 32 || memcmp(o->note.data, note, 32) || o->placed_at != order.placed_at ||
      o->hold != order.hold)
    return 0;
  for (int i = 0; i < 3; i++)
    if (strcmp(o->items.items[i].sku, items[i].sku) || o->items.items[i].qty != items[i].qty ||
        o->items.items[i].has_price != items[i].has_price ||
        o->items.items[i].price != items[i].price)
      return 0;
  for (int i = 0; i < 2; i++)
    if (strcmp(o->meta.keys[i], meta_keys[i]) || strcmp(o->meta.values[i], meta_values[i]))
      return 0;
  return 1;
}

/* ---- (a) Orcastra -------------------------------------------------------- */

static orca_buf obuf = ORCA_BUF_INIT;
static orca_arena arena;

static void orca_pack_op(void *ctx) {
  (void)ctx;
  orca_buf_reset(&obuf);
  if (shop_order_pack(&order, &obuf))
    abort();
  sink += obuf.len;
}

static void orca_unpack_arena_op(void *ctx) {
  (void)ctx;
  shop_order o;
  if (shop_order_unpack(obuf.data, obuf.len, &o, &arena.alloc, NULL))
    abort();
  sink += o.items.len;
  orca_arena_reset(&arena);
}

static void orca_unpack_heap_op(void *ctx) {
  (void)ctx;
  shop_order o;
  if (shop_order_unpack(obuf.data, obuf.len, &o, &orca_heap, NULL))
    abort();
  sink += o.items.len;
  shop_order_free(&o);
}

/* ---- (b) hand-written msgpack-c ------------------------------------------ */

static msgpack_sbuffer sbuf;
static msgpack_packer mpk;

static void mp_str(msgpack_packer *pk, const char *s) {
  size_t n = strlen(s);
  msgpack_pack_str(pk, n);
  msgpack_pack_str_body(pk, s, n);
}

static void msgpack_pack_op(void *ctx) {
  (void)ctx;
  msgpack_sbuffer_clear(&sbuf);
  msgpack_packer *pk = &mpk;
  msgpack_pack_map(pk, 7);
  msgpack_pack_uint8(pk, 1);
  mp_str(pk, order.id);
  msgpack_pack_uint8(pk, 2);
  msgpack_pack_array(pk, order.items.len);
  for (size_t i = 0; i < order.items.len; i++) {
    const shop_item *it = &order.items.items[i];
    msgpack_pack_map(pk, it->has_price ? 3 : 2);
    msgpack_pack_uint8(pk, 1);
    mp_str(pk, it->sku);
    msgpack_pack_uint8(pk, 2);
    msgpack_pack_uint32(pk, it->qty);
    if (it->has_price) {
      msgpack_pack_uint8(pk, 3);
      msgpack_pack_double(pk, it->price);
    }
  }
  msgpack_pack_uint8(pk, 3);
  msgpack_pack_map(pk, order.meta.len);
  for (size_t i = 0; i < order.meta.len; i++) {
    mp_str(pk, order.meta.keys[i]);
    mp_str(pk, order.meta.values[i]);
  }
  msgpack_pack_uint8(pk, 4);
  msgpack_pack_int32(pk, order.tier);
  msgpack_pack_uint8(pk, 5);
  msgpack_pack_bin(pk, order.note.len);
  msgpack_pack_bin_body(pk, order.note.data, order.note.len);
  msgpack_pack_uint8(pk, 6);
  msgpack_pack_int64(pk, order.placed_at);
  msgpack_pack_uint8(pk, 7);
  msgpack_pack_int64(pk, order.hold);
  sink += sbuf.size;
}

static char *mp_dup(const msgpack_object *o) {
  if (o->type != MSGPACK_OBJECT_STR)
    return NULL;
  char *s = orca_arena_alloc(&arena, o->via.str.size + 1);
  memcpy(s, o->via.str.ptr, o->via.str.size);
  s[o->via.str.size] = 0;
  return s;
}

static int64_t mp_int(const msgpack_object *o) {
  return o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? o->via.i64 : (int64_t)o->via.u64;
}

/* What a careful user writes: walk the object tree, check types, copy. */
static int mp_to_order(const msgpack_object *root, shop_order *o) {
  shop_order_init(o);
  if (root->type != MSGPACK_OBJECT_MAP)
    return -1;
  for (uint32_t i = 0; i < root->via.map.size; i++) {
    const msgpack_object *k = &root->via.map.ptr[i].key, *v = &root->via.map.ptr[i].val;
    if (k->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
      return -1;
    switch (k->via.u64) {
    case 1:
      if (!(o->id = mp_dup(v)))
        return -1;
      break;
    case 2:
      if (v->type != MSGPACK_OBJECT_ARRAY)
        return -1;
      o->items.len = v->via.array.size;
      o->items.items = orca_arena_alloc(&arena, o->items.len * sizeof(shop_item));
      for (uint32_t j = 0; j < v->via.array.size; j++) {
        const msgpack_object *m = &v->via.array.ptr[j];
        shop_item *it = &o->items.items[j];
        shop_item_init(it);
        if (m->type != MSGPACK_OBJECT_MAP)
          return -1;
        for (uint32_t f = 0; f < m->via.map.size; f++) {
          const msgpack_object *fk = &m->via.map.ptr[f].key, *fv = &m->via.map.ptr[f].val;
          if (fk->via.u64 == 1 && !(it->sku = mp_dup(fv)))
            return -1;
          if (fk->via.u64 == 2)
            it->qty = (uint32_t)fv->via.u64;
          if (fk->via.u64 == 3) {
            it->has_price = true;
            it->price = fv->via.f64;
          }
        }
      }
      break;
    case 3:
      if (v->type != MSGPACK_OBJECT_MAP)
        return -1;
      o->meta.len = v->via.map.size;
      o->meta.keys = orca_arena_alloc(&arena, o->meta.len * sizeof(char *));
      o->meta.values = orca_arena_alloc(&arena, o->meta.len * sizeof(char *));
      for (uint32_t j = 0; j < v->via.map.size; j++)
        if (!(o->meta.keys[j] = mp_dup(&v->via.map.ptr[j].key)) ||
            !(o->meta.values[j] = mp_dup(&v->via.map.ptr[j].val)))
          return -1;
      break;
    case 4:
      o->tier = (shop_tier)mp_int(v);
      break;
    case 5:
      if (v->type != MSGPACK_OBJECT_BIN)
        return -1;
      o->note.len = v->via.bin.size;
      o->note.data = orca_arena_alloc(&arena, o->note.len);
      memcpy(o->note.data, v->via.bin.ptr, o->note.len);
      break;
    case 6:
      o->placed_at = mp_int(v);
      break;
    case 7:
      o->hold = mp_int(v);
      break;
    }
  }
  return 0;
}

static msgpack_unpacked unpacked;

static void msgpack_unpack_op(void *ctx) {
  (void)ctx;
  size_t off = 0;
  if (msgpack_unpack_next(&unpacked, sbuf.data, sbuf.size, &off) != MSGPACK_UNPACK_SUCCESS)
    abort();
  shop_order o;
  if (mp_to_order(&unpacked.data, &o))
    abort();
  sink += o.items.len;
  orca_arena_reset(&arena);
}

/* ---- (c) protobuf-c ------------------------------------------------------ */

#ifdef HAVE_PROTOBUF_C
static Order pb_order = ORDER__INIT;
static Item pb_items[3] = {ITEM__INIT, ITEM__INIT, ITEM__INIT};
static Item *pb_item_ptrs[3] = {&pb_items[0], &pb_items[1], &pb_items[2]};
static Order__MetaEntry pb_meta[2] = {ORDER__META_ENTRY__INIT, ORDER__META_ENTRY__INIT};
static Order__MetaEntry *pb_meta_ptrs[2] = {&pb_meta[0], &pb_meta[1]};
static uint8_t pb_buf[1024];
static size_t pb_len;

static void build_pb(void) {
  pb_order.id = order.id;
  for (int i = 0; i < 3; i++) {
    pb_items[i].sku = items[i].sku;
    pb_items[i].has_qty = 1;
    pb_items[i].qty = items[i].qty;
    pb_items[i].has_price = items[i].has_price;
    pb_items[i].price = items[i].price;
  }
  pb_order.n_items = 3;
  pb_order.items = pb_item_ptrs;
  for (int i = 0; i < 2; i++) {
    pb_meta[i].key = meta_keys[i];
    pb_meta[i].value = meta_values[i];
  }
  pb_order.n_meta = 2;
  pb_order.meta = pb_meta_ptrs;
  pb_order.has_tier = 1;
  pb_order.tier = TIER__PRO;
  pb_order.has_note = 1;
  pb_order.note.data = note;
  pb_order.note.len = 32;
  pb_order.has_placed_at = 1;
  pb_order.placed_at = order.placed_at;
  pb_order.has_hold = 1;
  pb_order.hold = order.hold;
}

/* What protobuf-c users write: size the message, then pack into a buffer
 * (here a reused one, so no malloc is counted against it). */
static void pb_pack_op(void *ctx) {
  (void)ctx;
  size_t n = order__get_packed_size(&pb_order);
  if (n > sizeof pb_buf)
    abort();
  pb_len = order__pack(&pb_order, pb_buf);
  sink += pb_len;
}

static void pb_unpack_op(void *ctx) {
  (void)ctx;
  Order *o = order__unpack(NULL, pb_len, pb_buf);
  if (!o)
    abort();
  sink += o->n_items;
  order__free_unpacked(o, NULL);
}

static void *pb_arena_alloc(void *data, size_t size) {
  return orca_arena_alloc(data, size);
}
static void pb_arena_free(void *data, void *p) {
  (void)data;
  (void)p;
}
static ProtobufCAllocator pb_arena = {pb_arena_alloc, pb_arena_free, &arena};

static void pb_unpack_arena_op(void *ctx) {
  (void)ctx;
  Order *o = order__unpack(&pb_arena, pb_len, pb_buf);
  if (!o)
    abort();
  sink += o->n_items;
  orca_arena_reset(&arena);
}
#endif

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 100000;
  const char *only = argc > 2 ? argv[2] : NULL;
  build_order();
  orca_arena_init(&arena, 0);
  msgpack_sbuffer_init(&sbuf);
  msgpack_packer_init(&mpk, &sbuf, msgpack_sbuffer_write);
  msgpack_unpacked_init(&unpacked);

  /* Encode once with each and check every decoder gets the order back. */
  orca_pack_op(NULL);
  msgpack_pack_op(NULL);
  shop_order check;
  if (shop_order_unpack(obuf.data, obuf.len, &check, &orca_heap, NULL) || !same_order(&check)) {
    fprintf(stderr, "bench: orcastra round trip failed\n");
    return 1;
  }
  shop_order_free(&check);
  size_t off = 0;
  if (msgpack_unpack_next(&unpacked, sbuf.data, sbuf.size, &off) != MSGPACK_UNPACK_SUCCESS ||
      mp_to_order(&unpacked.data, &check) || !same_order(&check)) {
    fprintf(stderr, "bench: msgpack-c round trip failed\n");
    return 1;
  }
  orca_arena_reset(&arena);
  if (sbuf.size != obuf.len || memcmp(sbuf.data, obuf.data, obuf.len) != 0)
    fprintf(stderr, "bench: note: msgpack-c and Orcastra bytes differ\n");

#ifdef HAVE_PROTOBUF_C
  build_pb();
  pb_pack_op(NULL);
  Order *po = order__unpack(NULL, pb_len, pb_buf);
  if (!po || po->n_items != 3 || strcmp(po->id, order.id) || po->note.len != 32) {
    fprintf(stderr, "bench: protobuf-c round trip failed\n");
    return 1;
  }
  order__free_unpacked(po, NULL);
#endif
  enum { O_PACK, M_PACK, O_UNPACK, O_UNPACK_HEAP, M_UNPACK, P_PACK, P_UNPACK, P_UNPACK_ARENA };
  op ops[] = {
      {"orcastra pack", orca_pack_op, 0},
      {"msgpack-c (hand-written) pack", msgpack_pack_op, 0},
      {"orcastra unpack (arena)", orca_unpack_arena_op, 0},
      {"orcastra unpack (heap)", orca_unpack_heap_op, 0},
      {"msgpack-c (hand-written) unpack", msgpack_unpack_op, 0},
#ifdef HAVE_PROTOBUF_C
      {"protobuf-c pack", pb_pack_op, 0},
      {"protobuf-c unpack (malloc)", pb_unpack_op, 0},
      {"protobuf-c unpack (arena)", pb_unpack_arena_op, 0},
#endif
  };
  size_t nops = sizeof ops / sizeof ops[0];
  measure(ops, nops, iters, only);
  if (only)
    return 0;

  static const int order_rows[] = {O_PACK,        M_PACK,   P_PACK,   O_UNPACK,
                                   O_UNPACK_HEAP, M_UNPACK, P_UNPACK, P_UNPACK_ARENA};
  printf("%-34s %10s %8s\n", "codec / operation", "ns/op", "bytes");
  for (size_t i = 0; i < sizeof order_rows / sizeof order_rows[0]; i++) {
    if ((size_t)order_rows[i] >= nops)
      continue;
    const op *o = &ops[order_rows[i]];
    size_t bytes = order_rows[i] == O_PACK ? obuf.len : order_rows[i] == M_PACK ? sbuf.size : 0;
#ifdef HAVE_PROTOBUF_C
    if (order_rows[i] == P_PACK)
      bytes = pb_len;
#endif
    if (bytes)
      printf("%-34s %10.1f %8zu\n", o->name, o->best, bytes);
    else
      printf("%-34s %10.1f %8s\n", o->name, o->best, "");
  }
  double o_pack = ops[O_PACK].best, o_unpack = ops[O_UNPACK].best;
#ifdef HAVE_PROTOBUF_C
  printf("RATIO codec_pack_vs_protobuf_c %.2f\n", ops[P_PACK].best / o_pack);
  printf("RATIO codec_unpack_vs_protobuf_c %.2f\n", ops[P_UNPACK].best / o_unpack);
  printf("RATIO codec_unpack_vs_protobuf_c_arena %.2f\n", ops[P_UNPACK_ARENA].best / o_unpack);
#else
  printf("# protobuf-c: protoc-c or libprotobuf-c-dev missing at build time "
         "(tools/install-deps --bench)\n");
#endif
  printf("RATIO codec_pack_vs_msgpack_c %.2f\n", ops[M_PACK].best / o_pack);
  printf("RATIO codec_unpack_vs_msgpack_c %.2f\n", ops[M_UNPACK].best / o_unpack);
  printf("RESULT codec_pack_ns %.1f\n", o_pack);
  printf("RESULT codec_unpack_arena_ns %.1f\n", o_unpack);
  printf("RESULT codec_unpack_heap_ns %.1f\n", ops[O_UNPACK_HEAP].best);
  printf("RESULT codec_encoded_bytes %zu\n", obuf.len);
#ifdef HAVE_PROTOBUF_C
  printf("RESULT codec_protobuf_c_bytes %zu\n", pb_len);
#endif

  msgpack_unpacked_destroy(&unpacked);
  msgpack_sbuffer_destroy(&sbuf);
  orca_buf_free(&obuf);
  orca_arena_free(&arena);
  return (int)(sink == 0);
}
