/* fuzz_unpack.c — libFuzzer target: orca_unpack over the every-type fixture
 * schema, with heap and arena allocators; whatever decodes must pack again
 * and print as JSON. Long run: see docs/codec.md. */
#include <stdint.h>
#include <stdlib.h>

#include "../codec/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static orca_arena arena;
  static int ready;
  if (!ready) {
    orca_arena_init(&arena, 0);
    arena.limit = 64 << 20;
    ready = 1;
  }
  fx_all v;
  if (orca_unpack(&fx_all__type, data, size, &v, &orca_heap, NULL) == 0) {
    orca_buf b = ORCA_BUF_INIT;
    if (orca_pack(&fx_all__type, &v, &b) != 0)
      abort();
    orca_buf_reset(&b);
    (void)orca_msgpack_to_json(&fx_all__type, data, size, &b, NULL);
    orca_buf_free(&b);
  }
  orca_value_free(&fx_all__type, &v, &orca_heap);
  (void)orca_unpack(&fx_all__type, data, size, &v, &arena.alloc, NULL);
  orca_arena_reset(&arena);
  orca_buf b = ORCA_BUF_INIT;
  (void)orca_msgpack_to_json(NULL, data, size, &b, NULL);
  orca_buf_free(&b);
  return 0;
}
