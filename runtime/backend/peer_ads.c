/* peer_ads.c — the cluster id maker of peer_ads.h. */
#include <stdio.h>

#include "backend/peer_ads.h"
#include "base/id.h"

void orca__cluster_id_new(char out[ORCA__CLUSTER_ID_MAX]) {
  unsigned char rnd[(ORCA__CLUSTER_ID_MAX - 1) / 2];
  orca__random_bytes(rnd, sizeof rnd);
  for (size_t i = 0; i < sizeof rnd; i++)
    snprintf(out + 2 * i, 3, "%02x", rnd[i]);
}
