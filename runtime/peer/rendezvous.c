/* rendezvous.c — rendezvous hashing (rendezvous.h): FNV-1a over the key, a
 * separator and the id, finished with the splitmix64 mixer so that ids
 * differing in one byte get unrelated weights. Not keyed: the owner must be
 * the same on every member, and nothing here is a secret. */
#include "peer/rendezvous.h"

static uint64_t fnv(uint64_t h, const char *s) {
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t orca__rendezvous_weight(const char *key, const char *id) {
  uint64_t h = fnv(0xcbf29ce484222325ULL, key);
  h ^= 0xff; /* a byte no id or key holds, so ("ab","c") != ("a","bc") */
  h *= 0x100000001b3ULL;
  h = fnv(h, id);
  h += 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

size_t orca__rendezvous_owner(const char *key, const char *const *ids, size_t n) {
  size_t best = n;
  uint64_t bw = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t wgt = orca__rendezvous_weight(key, ids[i]);
    if (best == n || wgt > bw) {
      best = i;
      bw = wgt;
    }
  }
  return best;
}
