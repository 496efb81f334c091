/* kafka_cluster.c — see kafka_cluster.h. */
#include "kafka_cluster.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int orca_test_kafka_disabled(void) {
  const char *v = getenv("ORCA_TEST_KAFKA");
  return v && strcmp(v, "off") == 0;
}

int orca_test_kafka_start(orca_test_kafka *k) {
  static atomic_uint seq;
  memset(k, 0, sizeof *k);
  snprintf(k->prefix, sizeof k->prefix, "orcat%ld_%u.", (long)getpid(), atomic_fetch_add(&seq, 1));
  const char *real = getenv("ORCA_TEST_KAFKA");
  if (real && *real && strcmp(real, "off") != 0) {
    if (strlen(real) >= sizeof k->bootstrap) {
      fprintf(stderr, "kafka fixture: ORCA_TEST_KAFKA is too long\n");
      return -1;
    }
    strcpy(k->bootstrap, real);
    return 0;
  }
  char why[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", why, sizeof why);
  k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
  if (!k->rk) {
    fprintf(stderr, "kafka fixture: %s\n", why);
    return -1;
  }
  k->mock = rd_kafka_mock_cluster_new(k->rk, 3);
  if (!k->mock) {
    fprintf(stderr, "kafka fixture: cannot start the mock cluster\n");
    rd_kafka_destroy(k->rk);
    k->rk = NULL;
    return -1;
  }
  snprintf(k->bootstrap, sizeof k->bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(k->mock));
  return 0;
}

void orca_test_kafka_stop(orca_test_kafka *k) {
  if (k->mock)
    rd_kafka_mock_cluster_destroy(k->mock);
  if (k->rk)
    rd_kafka_destroy(k->rk);
  k->mock = NULL;
  k->rk = NULL;
}

const char *orca_test_kafka_url(orca_test_kafka *k, const char *group, const char *extra) {
  snprintf(k->url, sizeof k->url, "kafka://%s?prefix=%s&group=%s%s%s", k->bootstrap, k->prefix,
           group ? group : "orca", extra ? "&" : "", extra ? extra : "");
  return k->url;
}
