/* fixture.c — the hand-written reflection tables of fixture.h (what orcac
 * emits for that schema) and a seeded random-value generator over them. */
#include "fixture.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- enum Tier ---------------------------------------------------------- */
static const orca_enum_value fx_tier__values[] = {{"FREE", 0}, {"PRO", 1}, {"ENTERPRISE", 5}};
static const orca_enum_desc fx_tier__desc = {"fx.Tier", "fx_tier", 3, fx_tier__values, NULL};
const orca_type fx_tier__type = {
    ORCA_KIND_ENUM, sizeof(fx_tier), alignof(fx_tier), NULL, &fx_tier__desc, NULL, NULL, "Tier"};

/* ---- struct Item -------------------------------------------------------- */
static const uint32_t fx_item__qty_default = 1;
static const orca_field fx_item__fields[] = {
    {"sku", 1, 0, offsetof(fx_item, sku), -1, &orca_type_string, NULL, NULL},
    {"qty", 2, ORCA_FIELD_DEFAULT, offsetof(fx_item, qty), -1, &orca_type_u32,
     &fx_item__qty_default, NULL},
    {"price", 3, ORCA_FIELD_OPTIONAL, offsetof(fx_item, price), offsetof(fx_item, has_price),
     &orca_type_f64, NULL, NULL},
};
static const orca_struct_desc fx_item__desc = {
    "fx.Item", "fx_item", sizeof(fx_item), alignof(fx_item), 3, fx_item__fields, 0x1111, NULL};
const orca_type fx_item__type = {
    ORCA_KIND_STRUCT, sizeof(fx_item), alignof(fx_item), &fx_item__desc, NULL, NULL, NULL, "Item"};
static const orca_type fx_item_list__type = {
    ORCA_KIND_LIST, sizeof(fx_item_list), alignof(fx_item_list), NULL, NULL, &fx_item__type,
    NULL,           "list<Item>"};

/* ---- struct Node (recursive through optional and list) ------------------ */
static const orca_type fx_node_list__type = {
    ORCA_KIND_LIST, sizeof(fx_node_list), alignof(fx_node_list), NULL, NULL, &fx_node__type,
    NULL,           "list<Node>"};
static const orca_field fx_node__fields[] = {
    {"value", 1, 0, offsetof(fx_node, value), -1, &orca_type_i32, NULL, NULL},
    {"next", 2, ORCA_FIELD_OPTIONAL | ORCA_FIELD_POINTER, offsetof(fx_node, next), -1,
     &fx_node__type, NULL, NULL},
    {"children", 3, 0, offsetof(fx_node, children), -1, &fx_node_list__type, NULL, NULL},
};
static const orca_struct_desc fx_node__desc = {
    "fx.Node", "fx_node", sizeof(fx_node), alignof(fx_node), 3, fx_node__fields, 0x2222, NULL};
const orca_type fx_node__type = {
    ORCA_KIND_STRUCT, sizeof(fx_node), alignof(fx_node), &fx_node__desc, NULL, NULL, NULL, "Node"};

/* ---- struct All --------------------------------------------------------- */
static const orca_type fx_str_map__type = {
    ORCA_KIND_MAP, sizeof(fx_str_map), alignof(fx_str_map), NULL,
    NULL,          &orca_type_string,  &orca_type_string,   "map<string, string>"};
static const orca_type fx_int_map__type = {
    ORCA_KIND_MAP, sizeof(fx_int_map), alignof(fx_int_map), NULL,
    NULL,          &orca_type_i64,     &orca_type_i32,      "map<i32, i64>"};
static const orca_type fx_str_list__type = {
    ORCA_KIND_LIST, sizeof(fx_str_list), alignof(fx_str_list), NULL, NULL, &orca_type_string,
    NULL,           "list<string>"};
static const orca_type fx_i32_list__type = {
    ORCA_KIND_LIST, sizeof(fx_i32_list), alignof(fx_i32_list), NULL, NULL, &orca_type_i32,
    NULL,           "list<i32>"};
static const orca_type fx_grid__type = {
    ORCA_KIND_LIST, sizeof(fx_grid),  alignof(fx_grid), NULL, NULL, &fx_i32_list__type,
    NULL,           "list<list<i32>>"};

static const char *const fx_all__s_default = "anon";
static const fx_tier fx_all__tier_default = FX_TIER_PRO;
static const int32_t fx_all__answer_default = 42;

#define F(name, id, flags, type)                                                                   \
  { #name, id, flags, offsetof(fx_all, name), -1, type, NULL, NULL }
static const orca_field fx_all__fields[] = {
    F(b, 1, 0, &orca_type_bool),
    F(i8, 2, 0, &orca_type_i8),
    F(i16, 3, 0, &orca_type_i16),
    F(i32, 4, 0, &orca_type_i32),
    F(i64, 5, 0, &orca_type_i64),
    F(u8, 6, 0, &orca_type_u8),
    F(u16, 7, 0, &orca_type_u16),
    F(u32, 8, 0, &orca_type_u32),
    F(u64, 9, 0, &orca_type_u64),
    F(f32, 10, 0, &orca_type_f32),
    F(f64, 11, 0, &orca_type_f64),
    {"s", 12, ORCA_FIELD_DEFAULT, offsetof(fx_all, s), -1, &orca_type_string, &fx_all__s_default,
     NULL},
    F(by, 13, 0, &orca_type_bytes),
    F(ts, 14, 0, &orca_type_timestamp),
    F(dur, 15, 0, &orca_type_duration),
    {"tier", 16, ORCA_FIELD_DEFAULT, offsetof(fx_all, tier), -1, &fx_tier__type,
     &fx_all__tier_default, NULL},
    F(item, 17, 0, &fx_item__type),
    F(items, 18, 0, &fx_item_list__type),
    F(meta, 19, 0, &fx_str_map__type),
    F(counts, 20, 0, &fx_int_map__type),
    {"opt_i", 21, ORCA_FIELD_OPTIONAL, offsetof(fx_all, opt_i), offsetof(fx_all, has_opt_i),
     &orca_type_i32, NULL, NULL},
    F(opt_item, 22, ORCA_FIELD_OPTIONAL | ORCA_FIELD_POINTER, &fx_item__type),
    F(tree, 23, ORCA_FIELD_OPTIONAL | ORCA_FIELD_POINTER, &fx_node__type),
    F(tags, 24, 0, &fx_str_list__type),
    F(grid, 25, 0, &fx_grid__type),
    {"answer", 26, ORCA_FIELD_DEFAULT, offsetof(fx_all, answer), -1, &orca_type_i32,
     &fx_all__answer_default, NULL},
};
#undef F
const orca_struct_desc fx_all__desc = {"fx.All",
                                       "fx_all",
                                       sizeof(fx_all),
                                       alignof(fx_all),
                                       sizeof fx_all__fields / sizeof fx_all__fields[0],
                                       fx_all__fields,
                                       0x3333,
                                       NULL};
const orca_type fx_all__type = {
    ORCA_KIND_STRUCT, sizeof(fx_all), alignof(fx_all), &fx_all__desc, NULL, NULL, NULL, "All"};

/* ---- Item v2 (evolution) ------------------------------------------------ */
static const char *const fx_item_v2__note_default = "new";
static const orca_field fx_item_v2__fields[] = {
    {"sku", 1, 0, offsetof(fx_item_v2, sku), -1, &orca_type_string, NULL, NULL},
    {"qty", 2, ORCA_FIELD_DEFAULT, offsetof(fx_item_v2, qty), -1, &orca_type_u32,
     &fx_item__qty_default, NULL},
    {"price", 3, ORCA_FIELD_OPTIONAL, offsetof(fx_item_v2, price), offsetof(fx_item_v2, has_price),
     &orca_type_f64, NULL, NULL},
    {"tags", 4, 0, offsetof(fx_item_v2, tags), -1, &fx_str_list__type, NULL, NULL},
    {"sub", 5, ORCA_FIELD_OPTIONAL | ORCA_FIELD_POINTER, offsetof(fx_item_v2, sub), -1,
     &fx_item_v2__type, NULL, NULL},
    {"note", 6, ORCA_FIELD_DEFAULT, offsetof(fx_item_v2, note), -1, &orca_type_string,
     &fx_item_v2__note_default, NULL},
};
static const orca_struct_desc fx_item_v2__desc = {
    "fx.Item", "fx_item", sizeof(fx_item_v2), alignof(fx_item_v2), 6, fx_item_v2__fields,
    0x4444,    NULL};
const orca_type fx_item_v2__type = {ORCA_KIND_STRUCT,
                                    sizeof(fx_item_v2),
                                    alignof(fx_item_v2),
                                    &fx_item_v2__desc,
                                    NULL,
                                    NULL,
                                    NULL,
                                    "Item"};

/* ---- random values ------------------------------------------------------ */

static uint64_t rnd(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* An integer spread over every msgpack width. */
static uint64_t rnd_width(uint64_t *s) {
  static const unsigned bits[] = {3, 7, 8, 15, 16, 31, 32, 63, 64};
  unsigned b = bits[rnd(s) % 9];
  uint64_t v = rnd(s);
  return b == 64 ? v : v & ((1ull << b) - 1);
}

static char *rnd_string(uint64_t *s) {
  static const char *const pool[] = {"", "a", "héllo", "日本語", "emoji 🎉", "x\ty\"z\\"};
  size_t n = rnd(s) % 40;
  const char *base = pool[rnd(s) % 6];
  size_t bl = strlen(base);
  char *out = malloc(bl + n + 1);
  memcpy(out, base, bl);
  for (size_t i = 0; i < n; i++)
    out[bl + i] = (char)(' ' + rnd(s) % 95);
  out[bl + n] = 0;
  return out;
}

static void rnd_item(fx_item *it, uint64_t *s) {
  it->sku = rnd_string(s);
  it->qty = (uint32_t)rnd_width(s);
  it->has_price = rnd(s) & 1;
  it->price = it->has_price ? (double)(int64_t)rnd(s) / 1e6 : 0;
}

static fx_node *rnd_node(uint64_t *s, int depth) {
  fx_node *n = calloc(1, sizeof *n);
  n->value = (int32_t)rnd(s);
  if (depth > 0 && rnd(s) % 2)
    n->next = rnd_node(s, depth - 1);
  if (depth > 0 && rnd(s) % 2) {
    n->children.len = rnd(s) % 3;
    n->children.items = calloc(n->children.len + 1, sizeof(fx_node));
    for (size_t i = 0; i < n->children.len; i++) {
      fx_node *c = rnd_node(s, depth - 1);
      n->children.items[i] = *c;
      free(c);
    }
  }
  return n;
}

void fx_random_all(fx_all *v, uint64_t *s) {
  orca_value_init(&fx_all__type, v);
  v->b = rnd(s) & 1;
  v->i8 = (int8_t)rnd_width(s);
  v->i16 = (int16_t)rnd_width(s);
  v->i32 = (int32_t)rnd_width(s);
  v->i64 = (int64_t)rnd_width(s);
  v->u8 = (uint8_t)rnd_width(s);
  v->u16 = (uint16_t)rnd_width(s);
  v->u32 = (uint32_t)rnd_width(s);
  v->u64 = rnd_width(s);
  v->f32 = (float)(int32_t)rnd(s) / 1024.0f;
  v->f64 = (double)(int64_t)rnd(s) / 3.0;
  v->s = rnd(s) % 4 ? rnd_string(s) : NULL;
  v->by.len = rnd(s) % 70;
  v->by.data = v->by.len ? malloc(v->by.len) : NULL;
  for (size_t i = 0; i < v->by.len; i++)
    v->by.data[i] = (uint8_t)rnd(s);
  v->ts = (int64_t)rnd(s);
  v->dur = (int64_t)rnd_width(s);
  static const fx_tier tiers[] = {FX_TIER_FREE, FX_TIER_PRO, FX_TIER_ENTERPRISE};
  v->tier = tiers[rnd(s) % 3];
  rnd_item(&v->item, s);
  v->items.len = rnd(s) % 5;
  v->items.items = v->items.len ? calloc(v->items.len, sizeof(fx_item)) : NULL;
  for (size_t i = 0; i < v->items.len; i++)
    rnd_item(&v->items.items[i], s);
  v->meta.len = rnd(s) % 4;
  v->meta.keys = v->meta.len ? calloc(v->meta.len, sizeof(char *)) : NULL;
  v->meta.values = v->meta.len ? calloc(v->meta.len, sizeof(char *)) : NULL;
  for (size_t i = 0; i < v->meta.len; i++) {
    v->meta.keys[i] = rnd_string(s);
    v->meta.values[i] = rnd_string(s);
  }
  v->counts.len = rnd(s) % 4;
  v->counts.keys = v->counts.len ? calloc(v->counts.len, sizeof(int32_t)) : NULL;
  v->counts.values = v->counts.len ? calloc(v->counts.len, sizeof(int64_t)) : NULL;
  for (size_t i = 0; i < v->counts.len; i++) {
    v->counts.keys[i] = (int32_t)rnd_width(s);
    v->counts.values[i] = (int64_t)rnd_width(s);
  }
  v->has_opt_i = rnd(s) & 1;
  v->opt_i = v->has_opt_i ? (int32_t)rnd(s) : 0;
  if (rnd(s) & 1) {
    v->opt_item = calloc(1, sizeof(fx_item));
    rnd_item(v->opt_item, s);
  }
  if (rnd(s) & 1)
    v->tree = rnd_node(s, 4);
  v->tags.len = rnd(s) % 4;
  v->tags.items = v->tags.len ? calloc(v->tags.len, sizeof(char *)) : NULL;
  for (size_t i = 0; i < v->tags.len; i++)
    v->tags.items[i] = rnd_string(s);
  v->grid.len = rnd(s) % 3;
  v->grid.items = v->grid.len ? calloc(v->grid.len, sizeof(fx_i32_list)) : NULL;
  for (size_t i = 0; i < v->grid.len; i++) {
    v->grid.items[i].len = rnd(s) % 4;
    v->grid.items[i].items =
        v->grid.items[i].len ? calloc(v->grid.items[i].len, sizeof(int32_t)) : NULL;
    for (size_t k = 0; k < v->grid.items[i].len; k++)
      v->grid.items[i].items[k] = (int32_t)rnd_width(s);
  }
  v->answer = (int32_t)rnd(s);
}
