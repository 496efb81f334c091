/* kafka-mock — a Kafka cluster for trying Orcastra's kafka:// backend and
 * for multi-process tests, with no broker to install: librdkafka's mock
 * cluster (rdkafka_mock.h) in one process.
 *
 *   orca-kafka-mock [--brokers N]
 *
 * Starts N brokers (default 3) on loopback ports, prints their bootstrap
 * list ("127.0.0.1:PORT,127.0.0.1:PORT,...") as one line on stdout and runs
 * until SIGINT or SIGTERM (exit 0). Topics are created when a client first
 * asks for them, with the mock's 4 partitions (the backend's partitions=
 * applies to real clusters only). Everything lives in memory and is gone
 * when the process ends. docs/kafka.md shows how to point a worker and the
 * CLI at it. Exit 2 on a bad option, 1 when the cluster cannot be
 * started. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static int parse_count(const char *opt, const char *s, int max, int *out) {
  char *end = NULL;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || *s == '\0' || *end != '\0' || v < 1 || v > max) {
    fprintf(stderr, "orca-kafka-mock: %s needs a number from 1 to %d\n", opt, max);
    return -1;
  }
  *out = (int)v;
  return 0;
}

int main(int argc, char **argv) {
  int brokers = 3;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--brokers") == 0) {
      if (parse_count("--brokers", i + 1 < argc ? argv[++i] : NULL, 16, &brokers))
        return 2;
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      printf("usage: orca-kafka-mock [--brokers N]\n"
             "Runs librdkafka's mock Kafka cluster until SIGINT/SIGTERM and prints its\n"
             "bootstrap servers on one line.\n");
      return 0;
    } else {
      fprintf(stderr, "orca-kafka-mock: unknown option '%s' (try --help)\n", argv[i]);
      return 2;
    }
  }
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "orca-kafka-mock: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "orca-kafka-mock: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "orca-kafka-mock: cannot start the mock cluster\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  while (!stop_flag)
    pause();
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
