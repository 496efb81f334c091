/* test_kafka_units.c — the Kafka log's pieces that need no cluster: the
 * kafka:// URL and its errors (never showing a property's value), the
 * properties file and its order against the URL and ORCA_KAFKA_CONF,
 * librdkafka configurations built from them, URL redaction of secret query
 * parameters, and the offset tracker (contiguous-prefix commits, revokes,
 * repeats). Runs in well under a second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/kafka/kafka_internal.h"
#include "orca/client.h"

#define SECRET "S3cr3tV4lue"

static int parse(const char *url, orca__kafka_cfg *cfg, orca_err *err) {
  memset(err, 0, sizeof *err);
  int rc = orca__kafka_cfg_parse(url, cfg, err);
  if (rc)
    assert_null(strstr(err->msg, SECRET));
  return rc;
}

static const char *prop(const orca__kafka_cfg *cfg, const char *key) {
  const char *v = NULL; /* the last one wins, as in librdkafka */
  for (size_t i = 0; i < cfg->nprops; i++)
    if (strcmp(cfg->props[i].key, key) == 0)
      v = cfg->props[i].value;
  return v;
}

static void url_defaults_and_params(void **st) {
  (void)st;
  orca__kafka_cfg cfg;
  orca_err err;
  assert_int_equal(parse("kafka://h1:9092,h2:9093", &cfg, &err), 0);
  assert_string_equal(cfg.brokers, "h1:9092,h2:9093");
  assert_string_equal(cfg.group, "orca");
  assert_string_equal(cfg.prefix, "orca.");
  assert_int_equal(cfg.partitions, 4);
  assert_int_equal(cfg.replication, -1);
  assert_int_equal(cfg.nprops, 0);
  orca__kafka_cfg_free(&cfg);

  assert_int_equal(parse("kafka://h:1?group=pool-a&partitions=12&replication=3&prefix=prod.orca."
                         "&min.insync.replicas=2"
                         "&store=redis://:pw@r:6379&acks=1&sasl.password=a%26b%25c%3Dd",
                         &cfg, &err),
                   0);
  assert_string_equal(cfg.group, "pool-a");
  assert_string_equal(cfg.prefix, "prod.orca.");
  assert_int_equal(cfg.partitions, 12);
  assert_int_equal(cfg.replication, 3);
  assert_int_equal(cfg.min_insync, 2);
  assert_int_equal(cfg.nprops, 2); /* store= is the registry's */
  assert_string_equal(prop(&cfg, "acks"), "1");
  assert_string_equal(prop(&cfg, "sasl.password"), "a&b%c=d");
  assert_string_equal(cfg.props[1].origin, "the URL");
  char topic[ORCA__KAFKA_TOPIC_MAX];
  assert_int_equal(orca__kafka_topic_name(&cfg, "emails", topic), 0);
  assert_string_equal(topic, "prod.orca.emails");
  assert_int_equal(orca__kafka_topic_name(&cfg, "", topic), ORCA_EINVAL);
  orca__kafka_cfg_free(&cfg);
}

static void url_errors(void **st) {
  (void)st;
  static const struct {
    const char *url, *says;
  } bad[] = {
      {"redis://h:1", "must start with kafka://"},
      {"kafka://", "no broker"},
      {"kafka://?acks=1", "no broker"},
      {"kafka://h", "broker 'h' is not HOST:PORT"},
      {"kafka://h:0", "not HOST:PORT"},
      {"kafka://h:99999", "not HOST:PORT"},
      {"kafka://h:1,", "empty broker"},
      {"kafka://h:1,,h:2", "broker '' is not HOST:PORT"},
      {"kafka://u:" SECRET "@h:1", "credentials go in properties"},
      {"kafka://h:1/x", "credentials go in properties"},
      {"kafka://h:1?partitions=0", "partitions must be a number from 1"},
      {"kafka://h:1?replication=x", "replication must be a number"},
      {"kafka://h:1?min.insync.replicas=0", "min.insync.replicas must be a number"},
      {"kafka://h:1?prefix=a/b", "prefix must be"},
      {"kafka://h:1?group=", "group must be"},
      {"kafka://h:1?=v", "expected KEY=VALUE"},
      {"kafka://h:1?novalue", "expected KEY=VALUE"},
      {"kafka://h:1?sasl.password=" SECRET "%2", "bad %-escape in the value of 'sasl.password'"},
      {"kafka://h:1?sasl.password=%00" SECRET, "bad %-escape"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    orca__kafka_cfg cfg;
    orca_err err;
    int rc = parse(bad[i].url, &cfg, &err);
    orca__kafka_cfg_free(&cfg);
    if (rc != ORCA_EURL || !strstr(err.msg, bad[i].says))
      fail_msg("%s: rc %d, message '%s', expected '%s'", bad[i].url, rc, err.msg, bad[i].says);
  }
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void conf_file_order(void **st) {
  (void)st;
  char env_path[] = "/tmp/orca-kafka-env-XXXXXX", url_path[] = "/tmp/orca-kafka-url-XXXXXX";
  close(mkstemp(env_path));
  close(mkstemp(url_path));
  write_file(env_path, "# from the environment\nacks = 0\nlinger.ms=7\n\n");
  write_file(url_path, "  acks=1\n# comment\nsasl.username = svc\n");
  setenv("ORCA_KAFKA_CONF", env_path, 1);
  char url[256];
  snprintf(url, sizeof url, "kafka://h:1?conf=%s&acks=all", url_path);
  orca__kafka_cfg cfg;
  orca_err err;
  assert_int_equal(parse(url, &cfg, &err), 0);
  /* the environment's file, then conf=FILE, then the URL: the last wins */
  assert_string_equal(prop(&cfg, "acks"), "all");
  assert_string_equal(prop(&cfg, "linger.ms"), "7");
  assert_string_equal(prop(&cfg, "sasl.username"), "svc");
  char origin[300];
  snprintf(origin, sizeof origin, "%s:3", env_path); /* linger.ms */
  assert_string_equal(cfg.props[1].origin, origin);
  orca__kafka_cfg_free(&cfg);
  unsetenv("ORCA_KAFKA_CONF");

  write_file(url_path, "acks=1\n\nsasl.password " SECRET "\n");
  assert_int_equal(parse(url, &cfg, &err), ORCA_EURL);
  snprintf(origin, sizeof origin, "%s:3: expected key=value", url_path);
  assert_string_equal(err.msg, origin);
  orca__kafka_cfg_free(&cfg);
  unlink(url_path);
  assert_int_equal(parse(url, &cfg, &err), ORCA_EIO);
  assert_non_null(strstr(err.msg, url_path));
  orca__kafka_cfg_free(&cfg);
  unlink(env_path);
}

static void conf_for_librdkafka(void **st) {
  (void)st;
  orca__kafka_cfg cfg;
  orca_err err;
  char buf[64];
  size_t n = sizeof buf;
  assert_int_equal(parse("kafka://h:1?linger.ms=9&group=g1", &cfg, &err), 0);
  rd_kafka_conf_t *c = orca__kafka_conf_new(&cfg, ORCA__KAFKA_PRODUCER, 5000, &err);
  assert_non_null(c);
  assert_int_equal(rd_kafka_conf_get(c, "linger.ms", buf, &n), RD_KAFKA_CONF_OK);
  assert_string_equal(buf, "9"); /* the user's property beats our default */
  n = sizeof buf;
  assert_int_equal(rd_kafka_conf_get(c, "enable.idempotence", buf, &n), RD_KAFKA_CONF_OK);
  assert_string_equal(buf, "true");
  n = sizeof buf;
  assert_int_equal(rd_kafka_conf_get(c, "message.timeout.ms", buf, &n), RD_KAFKA_CONF_OK);
  assert_string_equal(buf, "5000");
  rd_kafka_conf_destroy(c);
  c = orca__kafka_conf_new(&cfg, ORCA__KAFKA_CONSUMER, 5000, &err);
  assert_non_null(c);
  n = sizeof buf;
  assert_int_equal(rd_kafka_conf_get(c, "group.id", buf, &n), RD_KAFKA_CONF_OK);
  assert_string_equal(buf, "g1");
  n = sizeof buf;
  assert_int_equal(rd_kafka_conf_get(c, "enable.auto.commit", buf, &n), RD_KAFKA_CONF_OK);
  assert_string_equal(buf, "false");
  rd_kafka_conf_destroy(c);
  orca__kafka_cfg_free(&cfg);

  assert_int_equal(parse("kafka://h:1?no.such.thing=" SECRET, &cfg, &err), 0);
  assert_null(orca__kafka_conf_new(&cfg, ORCA__KAFKA_PRODUCER, 5000, &err));
  assert_string_equal(err.msg,
                      "kafka property 'no.such.thing' (from the URL): no such librdkafka property");
  orca__kafka_cfg_free(&cfg);
  assert_int_equal(parse("kafka://h:1?acks=banana", &cfg, &err), 0);
  assert_null(orca__kafka_conf_new(&cfg, ORCA__KAFKA_PRODUCER, 5000, &err));
  assert_non_null(strstr(err.msg, "kafka property 'acks' (from the URL): "));
  assert_non_null(strstr(err.msg, "Invalid value")); /* no secret: librdkafka's reason */
  orca__kafka_cfg_free(&cfg);
  assert_int_equal(parse("kafka://h:1?ssl.key.password=" SECRET "&ssl.key.pem=" SECRET, &cfg, &err),
                   0);
  rd_kafka_conf_t *ok = orca__kafka_conf_new(&cfg, ORCA__KAFKA_PRODUCER, 5000, &err);
  assert_non_null(ok); /* secrets pass through to librdkafka untouched */
  rd_kafka_conf_destroy(ok);
  orca__kafka_cfg_free(&cfg);
  assert_int_equal(parse("kafka://h:1?ssl.key.password=x&socket.timeout.ms=" SECRET, &cfg, &err),
                   0);
  assert_null(orca__kafka_conf_new(&cfg, ORCA__KAFKA_PRODUCER, 5000, &err));
  assert_non_null(strstr(err.msg, "socket.timeout.ms"));
  orca__kafka_cfg_free(&cfg);
}

static void redaction(void **st) {
  (void)st;
  char out[256];
  assert_string_equal(orca_url_redact("kafka://h:1?sasl.password=" SECRET
                                      "&group=g&ssl.key.pem=" SECRET,
                                      out, sizeof out),
                      "kafka://h:1?sasl.password=***&group=g&ssl.key.pem=***");
  assert_string_equal(
      orca_url_redact("kafka://h:1?store=redis://:" SECRET "@r:6379&acks=all", out, sizeof out),
      "kafka://h:1?store=redis://:***@r:6379&acks=all");
  assert_string_equal(orca_url_redact("kafka://h1:1,h2:2", out, sizeof out), "kafka://h1:1,h2:2");
}

/* ---- the offset tracker ---- */

static void tracker_prefix(void **st) {
  (void)st;
  orca__kafka_tracker t;
  orca__kafka_tracker_init(&t);
  uint32_t gen = 99;
  assert_int_equal(orca__kafka_tracker_add(&t, "tp", 0, 5, &gen), ORCA_ESTATE); /* not assigned */
  assert_int_equal(orca__kafka_tracker_assign(&t, "tp", 0), 0);
  assert_int_equal(orca__kafka_tracker_assign(&t, "tp", 1), 0);
  for (int64_t o = 5; o <= 7; o++)
    assert_int_equal(orca__kafka_tracker_add(&t, "tp", 0, o, &gen), 0);
  assert_int_equal(orca__kafka_tracker_add(&t, "tp", 0, 7, &gen), ORCA_ESTATE); /* a repeat */
  assert_int_equal(orca__kafka_tracker_add(&t, "tp", 1, 100, &gen), 0);
  assert_int_equal(t.inflight, 4);
  orca__kafka_part *p = orca__kafka_tracker_part(&t, "tp", 0);
  /* 6 ends first: nothing may be committed while 5 runs */
  assert_int_equal(orca__kafka_tracker_end(&t, "tp", 0, 6, gen), 0);
  assert_int_equal(p->commit, -1);
  assert_false(p->dirty);
  assert_int_equal(orca__kafka_tracker_end(&t, "tp", 0, 6, gen), ORCA_ELOST); /* ended already */
  assert_int_equal(orca__kafka_tracker_end(&t, "tp", 0, 5, gen), 0);
  assert_int_equal(p->commit, 7); /* 5 and 6: the next offset to read is 7 */
  assert_true(p->dirty);
  assert_int_equal(orca__kafka_tracker_held(&t, "tp", 0, 7, gen), 0);
  assert_int_equal(orca__kafka_tracker_end(&t, "tp", 0, 7, gen), 0);
  assert_int_equal(p->commit, 8);
  assert_int_equal(orca__kafka_tracker_end(&t, "tp", 0, 9, gen), ORCA_ELOST); /* never handed */
  assert_int_equal(t.inflight, 1);
  orca__kafka_tracker_free(&t);
}

static void tracker_revoke(void **st) {
  (void)st;
  orca__kafka_tracker t;
  orca__kafka_tracker_init(&t);
  uint32_t g0 = 0, g1 = 0;
  assert_int_equal(orca__kafka_tracker_assign(&t, "tp", 3), 0);
  assert_int_equal(orca__kafka_tracker_add(&t, "tp", 3, 10, &g0), 0);
  assert_int_equal(orca__kafka_tracker_add(&t, "tp", 3, 11, &g0), 0);
  assert_int_equal(orca__kafka_tracker_end(&t, "tp", 3, 10, g0), 0);
  orca__kafka_tracker_revoke(&t, orca__kafka_tracker_part(&t, "tp", 3));
  assert_int_equal(t.inflight, 0);
  /* 11 was handed out before the revoke: never held again, not even after
   * the partition comes back and 11 is delivered anew */
  assert_int_equal(orca__kafka_tracker_held(&t, "tp", 3, 11, g0), ORCA_ELOST);
  assert_int_equal(orca__kafka_tracker_assign(&t, "tp", 3), 0);
  assert_int_equal(orca__kafka_tracker_add(&t, "tp", 3, 11, &g1), 0);
  assert_int_not_equal(g0, g1);
  assert_int_equal(orca__kafka_tracker_end(&t, "tp", 3, 11, g0), ORCA_ELOST);
  assert_int_equal(orca__kafka_tracker_held(&t, "tp", 3, 11, g1), 0);
  assert_int_equal(orca__kafka_tracker_end(&t, "tp", 3, 11, g1), 0);
  assert_int_equal(orca__kafka_tracker_part(&t, "tp", 3)->commit, 12);
  orca__kafka_tracker_free(&t);
}

/* Many deliveries ended in a shuffled order: the commit point is always
 * one past the longest ended prefix (checked against a plain array). */
static void tracker_shuffled(void **st) {
  (void)st;
  enum { N = 1000 };
  orca__kafka_tracker t;
  orca__kafka_tracker_init(&t);
  assert_int_equal(orca__kafka_tracker_assign(&t, "big", 0), 0);
  uint32_t gen = 0;
  int64_t order[N];
  bool ended[N] = {0};
  for (int i = 0; i < N; i++) {
    assert_int_equal(orca__kafka_tracker_add(&t, "big", 0, 2 * i, &gen), 0); /* gaps: compaction */
    order[i] = i;
  }
  srand(7);
  for (int i = N - 1; i > 0; i--) {
    int j = rand() % (i + 1);
    int64_t x = order[i];
    order[i] = order[j], order[j] = x;
  }
  for (int i = 0; i < N; i++) {
    assert_int_equal(orca__kafka_tracker_end(&t, "big", 0, 2 * order[i], gen), 0);
    ended[order[i]] = true;
    int prefix = 0;
    while (prefix < N && ended[prefix])
      prefix++;
    int64_t want = prefix == 0 ? -1 : 2 * (prefix - 1) + 1;
    assert_int_equal(orca__kafka_tracker_part(&t, "big", 0)->commit, want);
  }
  assert_int_equal(t.inflight, 0);
  orca__kafka_tracker_free(&t);
}

static void refs(void **st) {
  (void)st;
  char ref[64];
  int32_t p;
  int64_t o;
  uint32_t g;
  orca__kafka_ref_format(ref, sizeof ref, 7, 123456789012LL, 3);
  assert_string_equal(ref, "7:123456789012:3");
  assert_int_equal(orca__kafka_ref_parse(ref, &p, &o, &g), 0);
  assert_int_equal(p, 7);
  assert_int_equal(o, 123456789012LL);
  assert_int_equal(g, 3);
  assert_int_equal(orca__kafka_ref_parse("7:12", &p, &o, &g), ORCA_EINVAL);
  assert_int_equal(orca__kafka_ref_parse("7:12:3x", &p, &o, &g), ORCA_EINVAL);
  assert_int_equal(orca__kafka_ref_parse("-1:12:3", &p, &o, &g), ORCA_EINVAL);
  assert_int_equal(orca__kafka_ref_parse("1-0", &p, &o, &g), ORCA_EINVAL); /* a Redis entry id */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(url_defaults_and_params),
      cmocka_unit_test(url_errors),
      cmocka_unit_test(conf_file_order),
      cmocka_unit_test(conf_for_librdkafka),
      cmocka_unit_test(redaction),
      cmocka_unit_test(tracker_prefix),
      cmocka_unit_test(tracker_revoke),
      cmocka_unit_test(tracker_shuffled),
      cmocka_unit_test(refs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
