/* fixture.h — a schema that uses every .orca type, with its reflection
 * tables written by hand exactly as orcac emits them (static const orca_field
 * arrays with offsetof, orca_type nodes), shared by the codec tests, the fuzz
 * targets and the oracle tool.
 *
 *   enum Tier { FREE = 0; PRO = 1; ENTERPRISE = 5; }
 *   struct Item { 1: string sku; 2: u32 qty = 1; 3: optional f64 price; }
 *   struct Node { 1: i32 value; 2: optional Node next; 3: list<Node> children; }
 *   struct All {
 *     1: bool b; 2: i8 i8; 3: i16 i16; 4: i32 i32; 5: i64 i64; 6: u8 u8; 7: u16 u16;
 *     8: u32 u32; 9: u64 u64; 10: f32 f32; 11: f64 f64; 12: string s = "anon";
 *     13: bytes by; 14: timestamp ts; 15: duration dur; 16: Tier tier = PRO;
 *     17: Item item; 18: list<Item> items; 19: map<string, string> meta;
 *     20: map<i32, i64> counts; 21: optional i32 opt_i; 22: optional Item opt_item;
 *     23: optional Node tree; 24: list<string> tags; 25: list<list<i32>> grid;
 *     26: i32 answer = 42;
 *   }
 */
#ifndef TESTS_CODEC_FIXTURE_H
#define TESTS_CODEC_FIXTURE_H

#include <orca/codec.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum fx_tier { FX_TIER_FREE = 0, FX_TIER_PRO = 1, FX_TIER_ENTERPRISE = 5 } fx_tier;
_Static_assert(sizeof(fx_tier) == sizeof(int32_t), "enums are int32-sized");

typedef struct fx_item {
  char *sku;
  uint32_t qty;
  bool has_price;
  double price;
} fx_item;

typedef struct fx_item_list {
  fx_item *items;
  size_t len;
} fx_item_list;

typedef struct fx_node fx_node;
typedef struct fx_node_list {
  fx_node *items;
  size_t len;
} fx_node_list;
struct fx_node {
  int32_t value;
  fx_node *next;
  fx_node_list children;
};

typedef struct fx_str_map {
  char **keys;
  char **values;
  size_t len;
} fx_str_map;
typedef struct fx_int_map {
  int32_t *keys;
  int64_t *values;
  size_t len;
} fx_int_map;
typedef struct fx_str_list {
  char **items;
  size_t len;
} fx_str_list;
typedef struct fx_i32_list {
  int32_t *items;
  size_t len;
} fx_i32_list;
typedef struct fx_grid {
  fx_i32_list *items;
  size_t len;
} fx_grid;

typedef struct fx_all {
  bool b;
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  float f32;
  double f64;
  char *s;
  orca_bytes by;
  int64_t ts;
  int64_t dur;
  fx_tier tier;
  fx_item item;
  fx_item_list items;
  fx_str_map meta;
  fx_int_map counts;
  bool has_opt_i;
  int32_t opt_i;
  fx_item *opt_item;
  fx_node *tree;
  fx_str_list tags;
  fx_grid grid;
  int32_t answer;
} fx_all;

extern const orca_type fx_tier__type, fx_item__type, fx_node__type, fx_all__type, fx_item_v2__type;
extern const orca_struct_desc fx_all__desc;

/* Evolution: Item as a newer program declares it.
 *   struct Item { 1: string sku; 2: u32 qty = 1; 3: optional f64 price;
 *                 4: list<string> tags; 5: optional Item sub; 6: string note = "new"; } */
typedef struct fx_item_v2 fx_item_v2;
struct fx_item_v2 {
  char *sku;
  uint32_t qty;
  bool has_price;
  double price;
  fx_str_list tags;
  fx_item_v2 *sub;
  char *note;
};

/* Fill *v with pseudo-random contents from *seed (heap memory; release with
 * orca_value_free(&fx_all__type, v, &orca_heap)). depth bounds recursion. */
void fx_random_all(fx_all *v, uint64_t *seed);

#endif
