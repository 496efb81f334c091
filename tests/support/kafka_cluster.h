/* kafka_cluster.h — a Kafka cluster for tests: librdkafka's mock cluster
 * (3 brokers on loopback ports) started inside the test process, or the
 * real cluster that ORCA_TEST_KAFKA=HOST:PORT[,HOST:PORT] names (docs/kafka.md).
 * Other processes reach either through the bootstrap list. Fault injection
 * (brokers down, request errors, leader changes) needs the mock: tests that
 * use it skip when `mock` is NULL. */
#ifndef ORCA_TEST_KAFKA_CLUSTER_H
#define ORCA_TEST_KAFKA_CLUSTER_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

typedef struct orca_test_kafka {
  rd_kafka_t *rk;                /* the mock's owner handle; NULL on a real cluster */
  rd_kafka_mock_cluster_t *mock; /* NULL on a real cluster */
  char bootstrap[512];
  char prefix[48]; /* topic prefix unique to this cluster handle ("orcatPID_N.") */
  char url[1024];  /* built by orca_test_kafka_url */
} orca_test_kafka;

/* Start a mock cluster of 3 brokers, or use $ORCA_TEST_KAFKA. Returns 0, or
 * -1 with a message on stderr. */
int orca_test_kafka_start(orca_test_kafka *k);

/* Destroy the mock (a real cluster is left alone). Safe to call twice. */
void orca_test_kafka_stop(orca_test_kafka *k);

/* "kafka://BOOTSTRAP?prefix=PREFIX&group=GROUP" followed by "&" extra when
 * extra is not NULL, into k->url; returns k->url. Each start gets its own
 * topic prefix, so tests on a shared real cluster do not see each other's
 * topics. */
const char *orca_test_kafka_url(orca_test_kafka *k, const char *group, const char *extra);

/* True when tests should not run on Kafka (ORCA_TEST_KAFKA=off). */
int orca_test_kafka_disabled(void);

#endif
