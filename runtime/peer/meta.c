/* meta.c — checks on member metadata (meta.h). */
#include "peer/meta.h"

#include <string.h>

bool orca__peer_meta_valid(const orca__peer_meta *m) {
  return memchr(m->addrs, 0, sizeof m->addrs) && memchr(m->queues, 0, sizeof m->queues) &&
         memchr(m->version, 0, sizeof m->version);
}

bool orca__peer_meta_eq(const orca__peer_meta *a, const orca__peer_meta *b) {
  return a->concurrency == b->concurrency && a->running == b->running &&
         strcmp(a->addrs, b->addrs) == 0 && strcmp(a->queues, b->queues) == 0 &&
         strcmp(a->version, b->version) == 0;
}
