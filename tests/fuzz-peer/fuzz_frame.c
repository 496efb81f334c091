/* fuzz_frame.c — libFuzzer target for the peer network's receive path:
 * the envelope (seal.h) and the frame decoder (frame.h), the two parsers of
 * bytes anyone on the network can send. The first input byte picks:
 *   0..84    the rest is a frame: decode it (kept updates and re-decoded
 *            ones), walk its updates, and re-encode each one;
 *   85..169  the rest is an envelope: open it with a fixed key and, if it
 *            opens, decode the frame inside (random bytes almost never
 *            authenticate: this covers the refusals);
 *   170..255 the rest is a frame sealed here with the key: open must give
 *            back exactly those bytes, then they are decoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peer/drop.h"
#include "peer/frame.h"
#include "peer/seal.h"

static void walk(const uint8_t *p, size_t n) {
  orca__frame f;
  orca__update keep[8], u;
  int rc = orca__frame_decode(p, n, &f, keep, 8);
  orca__frame g;
  if (orca__frame_decode(p, n, &g, NULL, 0) != rc)
    abort(); /* one verdict whatever the path */
  if (rc != ORCA__DROP_NONE)
    return;
  orca__update_iter it, it2;
  orca__update v;
  orca__frame_updates(&f, &it);
  orca__frame_updates(&g, &it2);
  uint32_t count = 0;
  while (orca__update_next(&it, &u)) {
    if (!orca__update_next(&it2, &v) || u.kind != v.kind || u.inc != v.inc || u.id.n != v.id.n)
      abort();
    uint8_t buf[1024];
    size_t len = orca__update_encode(&u, buf, sizeof buf);
    orca__update_iter one = {buf, buf + len, 1, NULL};
    if (len && (!orca__update_next(&one, &v) || v.kind != u.kind || v.inc != u.inc))
      abort(); /* what we decode we can encode, and read back */
    count++;
  }
  if (count != f.n_updates)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static orca__peer_key key;
  static int ready;
  if (!ready) {
    orca__peer_key_derive("the fuzzer's cluster secret.....", 32, &key, NULL);
    ready = 1;
  }
  if (size < 1)
    return 0;
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  if (data[0] < 85) {
    walk(p, n);
    return 0;
  }
  uint8_t *out = malloc(n + ORCA__SEAL_OVERHEAD + 1);
  const uint8_t *frame;
  size_t flen;
  if (data[0] < 170) {
    if (orca__unseal(&key, p, n, out, n + 1, &frame, &flen) == ORCA__DROP_NONE)
      walk(frame, flen);
    if (orca__unseal(NULL, p, n, out, n + 1, &frame, &flen) == ORCA__DROP_NONE)
      walk(frame, flen);
  } else {
    uint8_t *env = malloc(n + ORCA__SEAL_OVERHEAD);
    size_t m = orca__seal(&key, p, n, env, n + ORCA__SEAL_OVERHEAD);
    if (m != n + ORCA__SEAL_OVERHEAD ||
        orca__unseal(&key, env, m, out, m, &frame, &flen) != ORCA__DROP_NONE || flen != n ||
        memcmp(frame, p, n) != 0)
      abort();
    walk(frame, flen);
    free(env);
  }
  free(out);
  return 0;
}
