/* redis_hello.c — the first words with the server on a new connection
 * (AUTH, the version check, SELECT) and what to say when they go wrong.
 *
 * A URL that points at the wrong thing is a deployment mistake, and the
 * error should name it. The first reply is looked at (MSG_PEEK) before
 * hiredis parses it, so
 *   - a server that speaks another protocol is reported as not Redis, with
 *     the first bytes it sent, made printable ("HTTP/1.1 400 Bad Request");
 *   - one that accepts and never answers, with the time waited;
 *   - one that closes the connection at once, as such.
 * NOAUTH and WRONGPASS become advice about the URL's password, and INFO
 * server gives the version, so a Redis older than 7.0 (no Functions, which
 * the backend's scripts are) is named with the version seen. The password
 * never appears in a message. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend/redis/redis_internal.h"

#define SHOWN_BYTES 40 /* of a non-Redis answer */

static long long ms_of(int64_t us) {
  return (long long)((us + 999) / 1000);
}

/* The first line of what a server sent, at most SHOWN_BYTES bytes, with
 * anything not printable ASCII as \xNN, into out. */
static void printable(const unsigned char *in, size_t n, char *out, size_t cap) {
  size_t o = 0, i = 0;
  for (; i < n && i < SHOWN_BYTES && in[i] != '\r' && in[i] != '\n'; i++) {
    if (o + 5 >= cap)
      break;
    if (in[i] >= 0x20 && in[i] < 0x7f && in[i] != '"' && in[i] != '\\')
      out[o++] = (char)in[i];
    else
      o += (size_t)snprintf(out + o, cap - o, "\\x%02x", in[i]);
  }
  if (i < n && in[i] != '\r' && in[i] != '\n' && o + 4 < cap) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

/* Why the reply to `what` did not come, from the context's error. */
static int io_failure(orca__redis *r, const char *what, orca_err *err) {
  const redisContext *c = r->c;
  bool reset = c->err == REDIS_ERR_IO &&
               (strstr(c->errstr, "reset by peer") || strstr(c->errstr, "Broken pipe"));
  if (c->err == REDIS_ERR_EOF || reset)
    return orca_err_set(err, ORCA_ECONNECT,
                        "redis %s:%d: the server closed the connection instead of answering %s",
                        r->host, r->port, what);
  if (c->err == REDIS_ERR_PROTOCOL)
    return orca_err_set(err, ORCA_ECONNECT,
                        "redis %s:%d: not a Redis server: its answer to %s is not the Redis "
                        "protocol (%s)",
                        r->host, r->port, what, c->errstr);
  if (c->err == REDIS_ERR_IO && strstr(c->errstr, "temporarily unavailable"))
    return orca_err_set(err, ORCA_ECONNECT, "redis %s:%d: no answer to %s within %lld ms", r->host,
                        r->port, what, ms_of(r->op_timeout_us));
  return orca_err_set(err, ORCA_ECONNECT, "redis %s:%d: %s: %s", r->host, r->port, what,
                      c->errstr[0] ? c->errstr : "I/O error");
}

/* Send argv and wait up to the op timeout for the first bytes of the
 * reply, to say what the server is when it is not Redis. Returns 0 when a
 * Redis reply is coming (read it with redisGetReply), or ORCA_ECONNECT with
 * err. */
static int peek_first(orca__redis *r, const char *what, int argc, const char **argv,
                      orca_err *err) {
  redisContext *c = r->c;
  if (redisAppendCommandArgv(c, argc, argv, NULL) != REDIS_OK)
    return io_failure(r, what, err);
  int done = 0;
  while (!done)
    if (redisBufferWrite(c, &done) != REDIS_OK)
      return io_failure(r, what, err);
  int64_t deadline = orca_monotonic_us() + r->op_timeout_us;
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  int ready;
  do {
    int64_t left = deadline - orca_monotonic_us();
    ready = left > 0 ? poll(&p, 1, (int)ms_of(left)) : 0;
  } while (ready < 0 && errno == EINTR);
  if (ready == 0)
    return orca_err_set(err, ORCA_ECONNECT,
                        "redis %s:%d: no answer to %s within %lld ms (is it a Redis server?)",
                        r->host, r->port, what, ms_of(r->op_timeout_us));
  unsigned char head[SHOWN_BYTES + 1];
  ssize_t n = ready > 0 ? recv(c->fd, head, sizeof head, MSG_PEEK) : -1;
  if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
    return orca_err_set(err, ORCA_ECONNECT,
                        "redis %s:%d: the server closed the connection instead of answering %s "
                        "(is it a Redis server? does it want TLS?)",
                        r->host, r->port, what);
  if (n < 0)
    return orca_err_set(err, ORCA_ECONNECT, "redis %s:%d: %s: %s", r->host, r->port, what,
                        strerror(errno));
  if (!memchr("+-:$*", head[0], 5)) {
    char shown[SHOWN_BYTES * 4 + 8];
    printable(head, (size_t)n, shown, sizeof shown);
    return orca_err_set(err, ORCA_ECONNECT, "redis %s:%d: not a Redis server: it answered \"%s\"",
                        r->host, r->port, shown);
  }
  return 0;
}

/* One handshake command: the first one of a connection is peeked at (see
 * peek_first). Returns the reply (the caller frees it) or NULL with err. */
static redisReply *ask(orca__redis *r, bool *first, const char *what, int argc, const char **argv,
                       orca_err *err) {
  void *rep = NULL;
  if (*first) {
    *first = false;
    if (peek_first(r, what, argc, argv, err))
      return NULL;
    if (redisGetReply(r->c, &rep) != REDIS_OK) {
      io_failure(r, what, err);
      return NULL;
    }
    return rep;
  }
  rep = redisCommandArgv(r->c, argc, argv, NULL);
  if (!rep)
    io_failure(r, what, err);
  return rep;
}

static bool starts(const redisReply *rep, const char *prefix) {
  return rep->type == REDIS_REPLY_ERROR && !strncmp(rep->str, prefix, strlen(prefix));
}

/* The error of a refused handshake command; NOAUTH becomes the advice to
 * put the password into the URL. */
static int refused(orca__redis *r, const redisReply *rep, const char *what, orca_err *err) {
  if (starts(rep, "NOAUTH"))
    return orca_err_set(err, ORCA_EBACKEND,
                        "redis %s:%d: the server wants a password (NOAUTH): give it in the URL, "
                        "redis://:PASSWORD@%s:%d",
                        r->host, r->port, r->host, r->port);
  return orca_err_set(err, ORCA_EBACKEND, "redis %s:%d: %s refused: %s", r->host, r->port, what,
                      rep->str);
}

static int auth(orca__redis *r, bool *first, orca_err *err) {
  const char *argv[] = {"AUTH", r->password};
  redisReply *rep = ask(r, first, "AUTH", 2, argv, err);
  if (!rep)
    return ORCA_ECONNECT;
  int rc = 0;
  if (starts(rep, "WRONGPASS"))
    rc = orca_err_set(err, ORCA_EBACKEND,
                      "redis %s:%d: the server refused the password in the URL (%s)", r->host,
                      r->port, rep->str);
  else if (rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "without any password"))
    rc = orca_err_set(err, ORCA_EBACKEND,
                      "redis %s:%d: the URL gives a password but the server has none set; "
                      "drop ':PASSWORD@' from the URL",
                      r->host, r->port);
  else if (rep->type == REDIS_REPLY_ERROR)
    rc = refused(r, rep, "AUTH", err);
  freeReplyObject(rep);
  return rc;
}

/* INFO server: a server that wants a password says NOAUTH here; one older
 * than 7.0 says its version. A server that refuses INFO for another reason
 * (an ACL) or does not say its version is given the benefit of the doubt:
 * loading the library tells. */
static int check_version(orca__redis *r, bool *first, orca_err *err) {
  const char *argv[] = {"INFO", "server"};
  redisReply *rep = ask(r, first, "INFO", 2, argv, err);
  if (!rep)
    return ORCA_ECONNECT;
  int rc = 0;
  if (starts(rep, "NOAUTH")) {
    rc = refused(r, rep, "INFO", err);
  } else if (rep->type == REDIS_REPLY_STRING) {
    const char *v = strstr(rep->str, "redis_version:");
    if (v) {
      v += strlen("redis_version:");
      char ver[32];
      size_t n = strcspn(v, "\r\n");
      snprintf(ver, sizeof ver, "%.*s", (int)(n < sizeof ver ? n : sizeof ver - 1), v);
      if (atoi(ver) < 7)
        rc = orca_err_set(err, ORCA_EBACKEND,
                          "redis %s:%d: Redis %s is too old: the backend needs 7.0 or later "
                          "(its scripts are a Redis Functions library)",
                          r->host, r->port, ver);
    }
  }
  freeReplyObject(rep);
  if (rc == 0)
    r->version_ok = true;
  return rc;
}

static int select_db(orca__redis *r, bool *first, orca_err *err) {
  char db[16];
  snprintf(db, sizeof db, "%d", r->db);
  const char *argv[] = {"SELECT", db};
  redisReply *rep = ask(r, first, "SELECT", 2, argv, err);
  if (!rep)
    return ORCA_ECONNECT;
  int rc = 0;
  if (rep->type == REDIS_REPLY_ERROR)
    rc = refused(r, rep, "SELECT", err);
  freeReplyObject(rep);
  return rc;
}

int orca__redis_hello(orca__redis *r, orca_err *err) {
  bool first = true;
  int rc = 0;
  if (r->password[0])
    rc = auth(r, &first, err);
  if (!rc && !r->version_ok)
    rc = check_version(r, &first, err);
  if (!rc && r->db)
    rc = select_db(r, &first, err);
  return rc;
}

int orca__redis_describe_io(orca__redis *r, const char *what, orca_err *err) {
  return io_failure(r, what, err);
}
