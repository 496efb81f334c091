/* dec.c — integers as decimal text (dec.h). */
#include "base/dec.h"

size_t orca__dec_i64(char *out, int64_t v) {
  char tmp[ORCA__DEC_MAX];
  size_t n = 0, i = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    out[i++] = '-';
  while (n)
    out[i++] = tmp[--n];
  return i;
}
