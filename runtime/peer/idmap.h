/* idmap.h — a hash map from member ids (byte strings) to pointers, for the
 * member table and the replay window. Open addressing with linear probing
 * and backward-shift deletion; ids are hashed with SipHash
 * (crypto_shorthash) under a random key, so senders cannot aim collisions.
 * The map stores a pointer to each id, not a copy: the id must stay valid
 * while its entry is in the map (it lives in the value). */
#ifndef ORCA__PEER_IDMAP_H
#define ORCA__PEER_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct orca__idmap_slot {
  uint64_t hash;
  const char *id; /* NULL = empty slot */
  size_t len;
  void *value;
} orca__idmap_slot;

typedef struct orca__idmap {
  orca__idmap_slot *slots;
  size_t cap, n; /* cap is 0 or a power of two */
  uint8_t key[16];
} orca__idmap;

/* An empty map (allocates on the first put). */
void orca__idmap_init(orca__idmap *m);

/* The value stored for id[0..len), or NULL. */
void *orca__idmap_get(const orca__idmap *m, const char *id, size_t len);

/* Store value under id[0..len) (replacing a previous value). Returns 0 or
 * ORCA_ENOMEM (the map is then unchanged). */
int orca__idmap_put(orca__idmap *m, const char *id, size_t len, void *value);

/* Remove id's entry if present. */
void orca__idmap_del(orca__idmap *m, const char *id, size_t len);

/* The map's keyed hash of id[0..len) (the same for equal ids, unpredictable
 * to others): a compact stand-in for an id in sets. */
uint64_t orca__idmap_hash(const orca__idmap *m, const char *id, size_t len);

/* Release the slots (not the values). */
void orca__idmap_free(orca__idmap *m);

#endif
