/* rendezvous.h — rendezvous (highest random weight) hashing: which of a set
 * of members owns a key. Every member that holds the same set picks the
 * same owner; when a member goes, only the keys it owned move, spread over
 * the others. The worker uses it to pick the one survivor that releases a
 * dead member's leases and the one member whose TimeKeeper fires a
 * schedule first (docs/peers.md). Pure: no I/O, no global state. */
#ifndef ORCA__PEER_RENDEZVOUS_H
#define ORCA__PEER_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>

/* The weight of member id for key: a fixed 64-bit mix of both strings (the
 * same on every machine and in every version of this protocol). */
uint64_t orca__rendezvous_weight(const char *key, const char *id);

/* The index in ids[0..n) of the owner of key (the highest weight; ties,
 * which need equal ids, go to the first), or n when n is 0. */
size_t orca__rendezvous_owner(const char *key, const char *const *ids, size_t n);

#endif
