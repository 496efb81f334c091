/* oracle_tool.c — the C side of the python3-msgpack interop test (oracle.py).
 *   codec_oracle pack     print the hex msgpack of a fixed fx.All value
 *   codec_oracle decode   read hex msgpack of fx.All on stdin, decode it with
 *                         orca_unpack, pack it again and print it as JSON */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static int pack_fixed(void) {
  fx_all v;
  orca_value_init(&fx_all__type, &v);
  v.b = true;
  v.i8 = -5;
  v.i64 = -(1ll << 40);
  v.u16 = 65535;
  v.u64 = UINT64_MAX;
  v.f32 = 1.5f;
  v.f64 = 0.1;
  v.s = "h\xc3\xa9llo";
  uint8_t raw[] = {0, 1, 255};
  v.by = (orca_bytes){raw, 3};
  v.ts = 1795773600000000;
  v.tier = FX_TIER_ENTERPRISE;
  v.item.sku = "A";
  fx_item items[2] = {{"x", 2, true, 2.5}, {"y", 300, false, 0}};
  v.items = (fx_item_list){items, 2};
  char *keys[] = {"k"}, *vals[] = {"v"};
  v.meta = (fx_str_map){keys, vals, 1};
  int32_t ck[] = {-7};
  int64_t cv[] = {1ll << 40};
  v.counts = (fx_int_map){ck, cv, 1};
  fx_node next = {2, NULL, {NULL, 0}}, tree = {1, &next, {NULL, 0}};
  v.tree = &tree;
  int32_t row[] = {1, 2};
  fx_i32_list grid[] = {{row, 2}, {NULL, 0}};
  v.grid = (fx_grid){grid, 2};
  orca_buf b = ORCA_BUF_INIT;
  if (orca_pack(&fx_all__type, &v, &b))
    return 1;
  for (size_t i = 0; i < b.len; i++)
    printf("%02x", b.data[i]);
  printf("\n");
  orca_buf_free(&b);
  return 0;
}

static int decode_stdin(void) {
  static char hex[1 << 16];
  size_t n = fread(hex, 1, sizeof hex - 1, stdin);
  while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
    n--;
  uint8_t *raw = malloc(n / 2 + 1);
  for (size_t i = 0; i + 1 < n; i += 2) {
    unsigned x;
    if (sscanf(hex + i, "%2x", &x) != 1)
      return 2;
    raw[i / 2] = (uint8_t)x;
  }
  fx_all v;
  orca_err err = {0};
  int rc = orca_unpack(&fx_all__type, raw, n / 2, &v, &orca_heap, &err);
  if (rc) {
    fprintf(stderr, "decode: %s\n", err.msg);
    orca_value_free(&fx_all__type, &v, &orca_heap);
    free(raw);
    return 1;
  }
  orca_buf b = ORCA_BUF_INIT, js = ORCA_BUF_INIT;
  rc = orca_pack(&fx_all__type, &v, &b) ||
       orca_msgpack_to_json(&fx_all__type, b.data, b.len, &js, &err);
  if (!rc)
    printf("%.*s\n", (int)js.len, (char *)js.data);
  orca_buf_free(&b);
  orca_buf_free(&js);
  orca_value_free(&fx_all__type, &v, &orca_heap);
  free(raw);
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "pack") == 0)
    return pack_fixed();
  if (argc == 2 && strcmp(argv[1], "decode") == 0)
    return decode_stdin();
  fprintf(stderr, "usage: codec_oracle pack|decode\n");
  return 2;
}
