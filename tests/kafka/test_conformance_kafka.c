/* test_conformance_kafka.c — the conformance suite's log cases on the Kafka
 * log (librdkafka's mock cluster, or ORCA_TEST_KAFKA), each case with its
 * own topic prefix and consumer group. Cases that need leases or
 * release_worker are skipped (Kafka has neither, see log.h); order is
 * checked as a set (ORCA__LOG_ORDERED is absent). About 20 s: every case
 * joins a consumer group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "conformance.h"
#include "kafka_cluster.h"

static orca_test_kafka cluster;
static char base[sizeof cluster.prefix];
static int cases;

/* A topic prefix and a group per case, so no case sees another's tasks. */
static const char *make_url(void *ud) {
  (void)ud;
  char group[32];
  snprintf(group, sizeof group, "conf%d", cases);
  snprintf(cluster.prefix, sizeof cluster.prefix, "%.30sc%d.", base, cases);
  cases++;
  return orca_test_kafka_url(&cluster, group, "session.timeout.ms=6000");
}

int main(void) {
  if (orca_test_kafka_disabled())
    return 0;
  if (orca_test_kafka_start(&cluster))
    return 1;
  memcpy(base, cluster.prefix, sizeof base);
  int failed =
      orca_conformance_run_log("conformance/kafka-log", &orca__kafka_log_ops, make_url, NULL);
  orca_test_kafka_stop(&cluster);
  return failed;
}
