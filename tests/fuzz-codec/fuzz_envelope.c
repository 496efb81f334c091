/* fuzz_envelope.c — libFuzzer target: orca__envelope_decode on any bytes;
 * every view it returns must lie inside the input, and a decoded envelope
 * must encode again. */
#include <stdint.h>
#include <stdlib.h>

#include "codec/envelope.h"

static void inside(const void *p, size_t n, const uint8_t *data, size_t size) {
  if (n && ((const uint8_t *)p < data || (const uint8_t *)p + n > data + size))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  orca__envelope e;
  if (orca__envelope_decode(data, size, &e, NULL) != 0)
    return 0;
  inside(e.id.ptr, e.id.len, data, size);
  inside(e.task.ptr, e.task.len, data, size);
  inside(e.args, e.args_len, data, size);
  if (e.nheaders > ORCA__MAX_HEADERS)
    abort();
  for (size_t i = 0; i < e.nheaders; i++)
    inside(e.headers[i].value.ptr, e.headers[i].value.len, data, size);
  orca_buf b = ORCA_BUF_INIT;
  if (orca__envelope_encode(&e, &b) != 0)
    abort();
  orca_buf_free(&b);
  return 0;
}
