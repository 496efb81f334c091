/* fuzz_json.c — libFuzzer target: orca_json_to_msgpack with the every-type
 * schema and without one; whatever converts must decode with orca_unpack
 * (schema) or print back as JSON (no schema). */
#include <stdint.h>
#include <stdlib.h>

#include "../codec/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  orca_buf b = ORCA_BUF_INIT, js = ORCA_BUF_INIT;
  if (orca_json_to_msgpack(&fx_all__type, (const char *)data, size, &b, NULL) == 0) {
    fx_all v;
    if (orca_unpack(&fx_all__type, b.data, b.len, &v, &orca_heap, NULL) != 0)
      abort(); /* the converter produced bytes the decoder refuses */
    orca_value_free(&fx_all__type, &v, &orca_heap);
  }
  orca_buf_reset(&b);
  if (orca_json_to_msgpack(NULL, (const char *)data, size, &b, NULL) == 0 &&
      orca_msgpack_to_json(NULL, b.data, b.len, &js, NULL) != 0)
    abort();
  orca_buf_free(&b);
  orca_buf_free(&js);
  return 0;
}
