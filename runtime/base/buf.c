/* buf.c — orca_buf, the growable byte buffer every encoder appends to. */
#include "orca/error.h"
#include "orca/memory.h"

#include <stdlib.h>
#include <string.h>

int orca_buf_reserve(orca_buf *b, size_t extra) {
  if (b->cap - b->len >= extra)
    return 0;
  if (extra > SIZE_MAX / 2 - b->len)
    return ORCA_ENOMEM;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra)
    cap *= 2;
  uint8_t *p = realloc(b->data, cap);
  if (!p)
    return ORCA_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int orca_buf_append(orca_buf *b, const void *p, size_t n) {
  if (n == 0)
    return 0;
  int rc = orca_buf_reserve(b, n);
  if (rc)
    return rc;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

void orca_buf_free(orca_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
