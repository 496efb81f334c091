/* test_redis_connect.c — a redis:// URL that points at the wrong thing gets
 * an error that says what is wrong: a server that is not Redis (an HTTP
 * server, a listener that sends garbage) with the first bytes it sent, one
 * that accepts and never answers with the time waited, one that hangs up at
 * once, a Redis that wants a password (none given, a wrong one, one given
 * to a server without), and a Redis older than 7.0 with its version. The
 * listeners are real sockets on loopback, each served by a thread; the
 * password cases use a private redis-server with requirepass. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "backend/backend.h"
#include "orca/log.h"
#include "redis_server.h"

static orca_test_redis srv;

/* ---- a listener that plays one part for one connection ---- */

typedef enum { HTTP, GARBAGE, SILENT, HANG_UP, OLD_REDIS } part;

typedef struct listener {
  int fd, port;
  part part;
  pthread_t th;
} listener;

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k <= 0)
      return;
    p += k;
    n -= (size_t)k;
  }
}

/* Read until the peer closes (the backend gave up and disconnected). */
static void drain(int c) {
  char buf[512];
  while (read(c, buf, sizeof buf) > 0) {
  }
}

static void *serve(void *arg) {
  listener *l = arg;
  int c = accept(l->fd, NULL, NULL);
  if (c < 0)
    return NULL;
  char buf[512];
  switch (l->part) {
  case HTTP: /* what a web server says to a request it cannot parse */
    if (read(c, buf, sizeof buf) > 0) {
      const char *r = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 11\r\nConnection: close\r\n\r\nBad Request";
      write_all(c, r, strlen(r));
    }
    break;
  case GARBAGE:
    write_all(c, "\x01\x02hello\x7f\"there\" \xff\xfe and more\n", 29);
    drain(c);
    break;
  case SILENT:
    drain(c);
    break;
  case HANG_UP:
    break;
  case OLD_REDIS: /* answers INFO server as Redis 6.2 does */
    if (read(c, buf, sizeof buf) > 0) {
      const char *info = "# Server\r\nredis_version:6.2.14\r\nredis_mode:standalone\r\n";
      char r[256];
      int n = snprintf(r, sizeof r, "$%zu\r\n%s\r\n", strlen(info), info);
      write_all(c, r, (size_t)n);
      drain(c);
    }
    break;
  }
  close(c);
  return NULL;
}

static void listen_as(listener *l, part p) {
  l->part = p;
  l->fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(l->fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(l->fd, 4), 0);
  socklen_t len = sizeof a;
  assert_int_equal(getsockname(l->fd, (struct sockaddr *)&a, &len), 0);
  l->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&l->th, NULL, serve, l), 0);
}

static void listener_done(listener *l) {
  pthread_join(l->th, NULL);
  close(l->fd);
}

/* Open redis://127.0.0.1:PORT with a 300 ms round-trip limit; expect code
 * and return the message. */
static const char *open_fails(int port, const char *auth, int code, orca_err *err) {
  char url[128];
  snprintf(url, sizeof url, "redis://%s127.0.0.1:%d", auth, port);
  orca__backend_opts o = {.op_timeout_us = 300000};
  orca__backend *b = NULL;
  memset(err, 0, sizeof *err);
  int rc = orca__backend_open(url, &o, &b, err);
  if (rc != code)
    fail_msg("open %s: %s (%s), want %s", url, orca_err_name(rc), err->msg, orca_err_name(code));
  assert_null(b);
  fprintf(stderr, "  %s\n", err->msg);
  return err->msg;
}

static void assert_says(const char *msg, const char *what) {
  if (!strstr(msg, what))
    fail_msg("'%s' does not say '%s'", msg, what);
}

/* Open a backend on a listener that plays part p: expect code and a message
 * that names the listener's address and says each of says[] (NULL-ended). */
static void expect_wrong(part p, int code, const char *const *says) {
  listener l;
  listen_as(&l, p);
  orca_err err;
  const char *m = open_fails(l.port, "", code, &err);
  listener_done(&l);
  char where[32];
  snprintf(where, sizeof where, "127.0.0.1:%d", l.port);
  assert_says(m, where);
  for (; *says; says++)
    assert_says(m, *says);
}

static void http_server(void **state) {
  (void)state;
  expect_wrong(HTTP, ORCA_ECONNECT,
               (const char *[]){"not a Redis server", "\"HTTP/1.1 400 Bad Request\"", NULL});
}

/* A few bytes, made printable; the line break ends them. */
static void garbage_listener(void **state) {
  (void)state;
  expect_wrong(GARBAGE, ORCA_ECONNECT,
               (const char *[]){"not a Redis server",
                                "\"\\x01\\x02hello\\x7f\\x22there\\x22 \\xff\\xfe and more\"",
                                NULL});
}

static void silent_listener(void **state) {
  (void)state;
  expect_wrong(SILENT, ORCA_ECONNECT, (const char *[]){"no answer", "within 300 ms", NULL});
}

static void hang_up(void **state) {
  (void)state;
  expect_wrong(HANG_UP, ORCA_ECONNECT, (const char *[]){"closed the connection", NULL});
}

static void old_redis(void **state) {
  (void)state;
  expect_wrong(OLD_REDIS, ORCA_EBACKEND, (const char *[]){"Redis 6.2.14 is too old", "7.0", NULL});
}

/* ---- a real redis-server with requirepass ---- */

static void set_password(const char *pw) {
  redisContext *c = redisConnect("127.0.0.1", srv.port);
  assert_true(c && !c->err);
  redisReply *r = redisCommand(c, "CONFIG SET requirepass %s", pw);
  assert_non_null(r);
  assert_int_equal(r->type, REDIS_REPLY_STATUS);
  freeReplyObject(r);
  redisFree(c);
}

static void passwords(void **state) {
  (void)state;
  orca_err err;
  /* A password given to a server that has none. */
  const char *m = open_fails(srv.port, ":s3cret-pw@", ORCA_EBACKEND, &err);
  assert_says(m, "has none set");
  assert_null(strstr(m, "s3cret-pw"));

  set_password("s3cret-pw");
  m = open_fails(srv.port, "", ORCA_EBACKEND, &err);
  assert_says(m, "NOAUTH");
  assert_says(m, "redis://:PASSWORD@");
  m = open_fails(srv.port, ":not-the-one@", ORCA_EBACKEND, &err);
  assert_says(m, "WRONGPASS");
  assert_null(strstr(m, "not-the-one"));

  char url[128];
  snprintf(url, sizeof url, "redis://:s3cret-pw@127.0.0.1:%d/2", srv.port);
  orca__backend *b = NULL;
  assert_int_equal(orca__backend_open(url, NULL, &b, &err), 0);
  orca__job j = {
      .id = "pw1", .task = "t", .queue = "q", .payload = (const uint8_t *)"x", .payload_len = 1};
  orca__enqueue_result r;
  assert_int_equal(b->ops->enqueue(b, &j, 1, &r), 0);
  assert_int_equal(r.status, 0);
  orca__backend_close(b);
}

int main(void) {
  if (!orca__redis_ops.open)
    return 1;
  orca_log_set(NULL, NULL, ORCA_LOG_ERROR);
  if (orca_test_redis_start(&srv, false))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(http_server),     cmocka_unit_test(garbage_listener),
      cmocka_unit_test(silent_listener), cmocka_unit_test(hang_up),
      cmocka_unit_test(old_redis),       cmocka_unit_test(passwords),
  };
  int failed = cmocka_run_group_tests_name("redis/connect", tests, NULL, NULL);
  orca_test_redis_stop(&srv);
  return failed ? 1 : 0;
}
