/* fuzz_unpack.c — libFuzzer target: arbitrary bytes into the unpack
 * function orcac generated for alltypes.All (every type of the language).
 *
 * Each input is decoded twice, with the heap allocator and with an arena;
 * a successful decode is re-encoded and decoded again, and both decodes
 * must agree on the re-encoding. Any crash, leak, sanitizer report or
 * disagreement is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.orca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static orca_arena arena;
  static int ready;
  if (!ready) {
    orca_arena_init(&arena, 0);
    arena.limit = 64u << 20; /* hostile sizes must fail, not exhaust memory */
    ready = 1;
  }
  alltypes_all v;
  orca_err err;
  int rc = alltypes_all_unpack(data, size, &v, &orca_heap, &err);
  if (rc == 0) {
    orca_buf a = ORCA_BUF_INIT, b = ORCA_BUF_INIT;
    if (alltypes_all_pack(&v, &a) == 0) {
      alltypes_all w;
      if (alltypes_all_unpack(a.data, a.len, &w, &orca_heap, &err) != 0)
        abort(); /* what we encode, we must decode */
      if (alltypes_all_pack(&w, &b) != 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort(); /* and re-encode identically */
      alltypes_all_free(&w);
    }
    orca_buf_free(&a);
    orca_buf_free(&b);
  }
  alltypes_all_free(&v);
  alltypes_all_unpack(data, size, &v, &arena.alloc, &err);
  orca_arena_reset(&arena);
  return 0;
}
