/* transport_uv.c — the peer network on libuv (transport_uv.h).
 *
 * UDP: one socket; datagrams are sent with uv_udp_try_send (no allocation)
 * and queued only when the socket buffer is full. TCP: one listener; every
 * message is a 4-byte big-endian length and the envelope. Inbound
 * connections are read into a per-connection buffer and each whole message
 * goes to the peer; outbound connections are opened on demand per
 * destination, kept while messages flow and closed after IDLE_MS of quiet.
 * Limits keep a hostile or broken sender from taking memory or handles: at
 * most CONNS_MAX connections each way, a length over the stream limit
 * closes the connection, and INBOUND_MAX bytes of unfinished messages over
 * all connections. Nothing blocks the loop; every failure is a dropped
 * message (datagrams and streams are best effort to the protocol). */
#include "peer/transport_uv.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "orca/clock.h"
#include "peer/drop.h"

#define CONNS_MAX 64
#define IDLE_MS 10000           /* an outbound connection unused this long is closed */
#define IN_IDLE_MS 30000        /* an inbound connection silent this long is closed */
#define CONNECT_MS 2000         /* connect timeout */
#define INBOUND_MAX (16u << 20) /* unfinished inbound bytes over all connections */
#define QUEUE_MAX (16u << 20)   /* bytes queued on one outbound connection */

typedef struct conn conn;

typedef struct chunk { /* an outbound message waiting for the connection */
  struct chunk *next;
  size_t len;
  uint8_t data[];
} chunk;

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer; /* connect timeout, then idle */
  orca__uvt *t;
  conn *next, *prev;
  bool outbound, connected, closing;
  int handles; /* open handles of this connection */
  orca__peer_addr remote;
  uv_connect_t connect;
  chunk *q, *q_tail; /* outbound, before the connection is up */
  size_t queued;
  uint8_t *buf; /* inbound: bytes of unfinished messages */
  size_t len, cap;
};

struct orca__uvt {
  orca__peer_io io;
  uv_loop_t *loop;
  orca__peer *peer;
  uv_udp_t udp;
  uv_tcp_t listener;
  uv_timer_t timer;
  int handles; /* open handles, connections included */
  bool closing;
  void (*done)(void *ud);
  void *done_ud;
  conn *conns;
  size_t n_in, n_out, inbound;
  uint8_t rbuf[65536];
};

/* ---- addresses ---- */

static void to_sockaddr(const orca__peer_addr *a, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (a->family == 6) {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(a->port);
    memcpy(&s->sin6_addr, a->ip, 16);
  } else {
    struct sockaddr_in *s = (struct sockaddr_in *)ss;
    s->sin_family = AF_INET;
    s->sin_port = htons(a->port);
    memcpy(&s->sin_addr, a->ip, 4);
  }
}

static void from_sockaddr(const struct sockaddr *sa, orca__peer_addr *a) {
  memset(a, 0, sizeof *a);
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
    a->family = 6;
    a->port = ntohs(s->sin6_port);
    memcpy(a->ip, &s->sin6_addr, 16);
  } else if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
    a->family = 4;
    a->port = ntohs(s->sin_port);
    memcpy(a->ip, &s->sin_addr, 4);
  }
}

/* ---- closing ---- */

static void finish(orca__uvt *t) {
  if (!t->closing || t->handles)
    return;
  void (*done)(void *) = t->done;
  void *ud = t->done_ud;
  free(t);
  if (done)
    done(ud);
}

static void handle_closed(uv_handle_t *h) {
  orca__uvt *t = h->data;
  t->handles--;
  finish(t);
}

static void conn_handle_closed(uv_handle_t *h) {
  conn *c = h->data;
  orca__uvt *t = c->t;
  if (--c->handles == 0) {
    free(c->buf);
    free(c);
  }
  t->handles--;
  finish(t);
}

static void conn_close(conn *c) {
  if (c->closing)
    return;
  c->closing = true;
  orca__uvt *t = c->t;
  if (c->prev)
    c->prev->next = c->next;
  else
    t->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  if (c->outbound)
    t->n_out--;
  else
    t->n_in--;
  t->inbound -= c->len;
  c->len = 0;
  for (chunk *k = c->q, *next; k; k = next) {
    next = k->next;
    free(k);
  }
  c->q = c->q_tail = NULL;
  uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
  uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
}

static void conn_timeout(uv_timer_t *h) {
  conn_close(h->data);
}

static conn *conn_new(orca__uvt *t, bool outbound) {
  conn *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->t = t;
  c->outbound = outbound;
  uv_tcp_init(t->loop, &c->tcp);
  uv_timer_init(t->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles = 2;
  t->handles += 2;
  c->next = t->conns;
  if (t->conns)
    t->conns->prev = c;
  t->conns = c;
  if (outbound)
    t->n_out++;
  else
    t->n_in++;
  return c;
}

/* ---- the interface the peer drives ---- */

static int64_t io_now(void *ctx) {
  (void)ctx;
  return (int64_t)(uv_hrtime() / 1000);
}

static int64_t io_wall(void *ctx) {
  (void)ctx;
  return orca_clock_now(NULL);
}

static uint64_t io_rand(void *ctx) {
  (void)ctx;
  uint64_t r;
  randombytes_buf(&r, sizeof r);
  return r;
}

static void on_wake(uv_timer_t *h) {
  orca__uvt *t = h->data;
  if (!t->closing)
    orca__peer_input_tick(t->peer);
}

static void io_wake_at(void *ctx, int64_t at) {
  orca__uvt *t = ctx;
  if (t->closing)
    return;
  if (at == INT64_MAX) {
    uv_timer_stop(&t->timer);
    return;
  }
  int64_t wait = at - io_now(t);
  uint64_t ms = wait <= 0 ? 0 : (uint64_t)((wait + 999) / 1000);
  uv_update_time(t->loop);
  uv_timer_start(&t->timer, on_wake, ms, 0);
}

typedef struct udp_req {
  uv_udp_send_t req;
  size_t len;
  uint8_t data[];
} udp_req;

static void udp_sent(uv_udp_send_t *req, int status) {
  (void)status;
  free(req);
}

static void io_send_dgram(void *ctx, const orca__peer_addr *to, const uint8_t *data, size_t len) {
  orca__uvt *t = ctx;
  if (t->closing)
    return;
  struct sockaddr_storage ss;
  to_sockaddr(to, &ss);
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  int rc = uv_udp_try_send(&t->udp, &b, 1, (const struct sockaddr *)&ss);
  if (rc != UV_EAGAIN && rc != UV_ENOSYS)
    return; /* sent, or an error a datagram may meet (it is lost) */
  udp_req *r = malloc(sizeof *r + len);
  if (!r)
    return;
  memcpy(r->data, data, len);
  b = uv_buf_init((char *)r->data, (unsigned)len);
  if (uv_udp_send(&r->req, &t->udp, &b, 1, (const struct sockaddr *)&ss, udp_sent))
    free(r);
}

typedef struct write_req {
  uv_write_t req;
  conn *c;
  chunk *k;
} write_req;

static void written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  free(w->k);
  if (status < 0)
    conn_close(w->c);
  free(w);
}

static void conn_write(conn *c, chunk *k) {
  write_req *w = malloc(sizeof *w);
  if (!w) {
    free(k);
    return;
  }
  w->c = c;
  w->k = k;
  uv_buf_t b = uv_buf_init((char *)k->data, (unsigned)k->len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, written)) {
    free(k);
    free(w);
    conn_close(c);
    return;
  }
  uv_timer_start(&c->timer, conn_timeout, IDLE_MS, 0);
}

static void out_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  conn *c = h->data;
  *buf = uv_buf_init((char *)c->t->rbuf, sizeof c->t->rbuf);
}

/* Nothing is expected back on an outbound connection: EOF or an error ends
 * it, anything else is ignored. */
static void out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)buf;
  if (n < 0)
    conn_close(s->data);
}

static void connected(uv_connect_t *req, int status) {
  conn *c = req->data;
  if (c->closing)
    return;
  if (status < 0) {
    conn_close(c);
    return;
  }
  c->connected = true;
  uv_read_start((uv_stream_t *)&c->tcp, out_alloc, out_read);
  chunk *k = c->q;
  c->q = c->q_tail = NULL;
  c->queued = 0;
  while (k && !c->closing) {
    chunk *next = k->next;
    conn_write(c, k);
    k = next;
  }
  while (k) { /* the connection failed while flushing */
    chunk *next = k->next;
    free(k);
    k = next;
  }
}

static void io_send_stream(void *ctx, const orca__peer_addr *to, const uint8_t *data, size_t len) {
  orca__uvt *t = ctx;
  if (t->closing || len > ORCA__PEER_STREAM_MAX)
    return;
  conn *c = t->conns;
  while (c && !(c->outbound && orca__peer_addr_eq(&c->remote, to)))
    c = c->next;
  if (!c) {
    if (t->n_out >= CONNS_MAX || !(c = conn_new(t, true)))
      return;
    c->remote = *to;
    struct sockaddr_storage ss;
    to_sockaddr(to, &ss);
    c->connect.data = c;
    if (uv_tcp_connect(&c->connect, &c->tcp, (const struct sockaddr *)&ss, connected)) {
      conn_close(c);
      return;
    }
    uv_timer_start(&c->timer, conn_timeout, CONNECT_MS, 0);
  }
  if (c->queued + len > QUEUE_MAX)
    return;
  chunk *k = malloc(sizeof *k + 4 + len);
  if (!k)
    return;
  k->next = NULL;
  k->len = 4 + len;
  k->data[0] = (uint8_t)(len >> 24);
  k->data[1] = (uint8_t)(len >> 16);
  k->data[2] = (uint8_t)(len >> 8);
  k->data[3] = (uint8_t)len;
  memcpy(k->data + 4, data, len);
  if (c->connected) {
    conn_write(c, k);
    return;
  }
  c->queued += len;
  if (c->q_tail)
    c->q_tail->next = k;
  else
    c->q = k;
  c->q_tail = k;
}

/* ---- receiving ---- */

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  orca__uvt *t = h->data;
  *buf = uv_buf_init((char *)t->rbuf, sizeof t->rbuf);
}

static void udp_read(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *sa,
                     unsigned flags) {
  orca__uvt *t = h->data;
  if (n <= 0 || !sa || t->closing)
    return;
  orca__peer_addr from;
  from_sockaddr(sa, &from);
  if (flags & UV_UDP_PARTIAL)
    orca__peer_input_drop(t->peer, ORCA__DROP_OVERSIZED, &from);
  else
    orca__peer_input_dgram(t->peer, &from, (const uint8_t *)buf->base, (size_t)n);
}

static void in_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  out_alloc(h, hint, buf);
}

/* Append n bytes to c's buffer and hand over every whole message. */
static void in_consume(conn *c, const uint8_t *p, size_t n) {
  orca__uvt *t = c->t;
  while (n && !c->closing && !t->closing) {
    /* Messages wholly inside the new bytes go straight from them. */
    if (c->len == 0 && n >= 4) {
      size_t len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
      if (len > ORCA__PEER_STREAM_MAX) {
        orca__peer_input_drop(t->peer, ORCA__DROP_OVERSIZED, &c->remote);
        conn_close(c);
        return;
      }
      if (n - 4 >= len) {
        orca__peer_input_stream(t->peer, &c->remote, p + 4, len);
        p += 4 + len;
        n -= 4 + len;
        continue;
      }
    }
    /* Otherwise keep bytes up to the end of the current message. */
    size_t want = 4;
    if (c->len >= 4) {
      want = 4 + ((size_t)c->buf[0] << 24 | (size_t)c->buf[1] << 16 | (size_t)c->buf[2] << 8 |
                  c->buf[3]);
      if (want - 4 > ORCA__PEER_STREAM_MAX) {
        orca__peer_input_drop(t->peer, ORCA__DROP_OVERSIZED, &c->remote);
        conn_close(c);
        return;
      }
    }
    size_t take = want - c->len < n ? want - c->len : n;
    if (t->inbound + take > INBOUND_MAX) {
      orca__peer_input_drop(t->peer, ORCA__DROP_BUSY, &c->remote);
      conn_close(c);
      return;
    }
    if (c->len + take > c->cap) {
      size_t cap = c->len + take < 4096 ? 4096 : c->len + take;
      uint8_t *b = realloc(c->buf, cap);
      if (!b) {
        conn_close(c);
        return;
      }
      c->buf = b;
      c->cap = cap;
    }
    memcpy(c->buf + c->len, p, take);
    c->len += take;
    t->inbound += take;
    p += take;
    n -= take;
    if (c->len == want && want > 4) {
      t->inbound -= c->len;
      c->len = 0;
      orca__peer_input_stream(t->peer, &c->remote, c->buf + 4, want - 4);
      if (c->cap > 65536) { /* do not keep a big buffer per idle connection */
        free(c->buf);
        c->buf = NULL;
        c->cap = 0;
      }
    }
  }
}

static void in_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn *c = s->data;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (n == 0 || c->closing)
    return;
  uv_timer_start(&c->timer, conn_timeout, IN_IDLE_MS, 0);
  in_consume(c, (const uint8_t *)buf->base, (size_t)n);
}

static void on_connection(uv_stream_t *server, int status) {
  orca__uvt *t = server->data;
  if (status < 0 || t->closing)
    return;
  conn *c = conn_new(t, false);
  if (!c)
    return;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) || t->n_in > CONNS_MAX) {
    conn_close(c);
    return;
  }
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
    from_sockaddr((struct sockaddr *)&ss, &c->remote);
  uv_timer_start(&c->timer, conn_timeout, IN_IDLE_MS, 0);
  uv_read_start((uv_stream_t *)&c->tcp, in_alloc, in_read);
}

/* ---- open, close ---- */

const orca__peer_io *orca__uvt_io(orca__uvt *t) {
  return &t->io;
}

void orca__uvt_close(orca__uvt *t, void (*done)(void *ud), void *ud) {
  t->closing = true;
  t->done = done;
  t->done_ud = ud;
  while (t->conns)
    conn_close(t->conns);
  uv_close((uv_handle_t *)&t->udp, handle_closed);
  uv_close((uv_handle_t *)&t->listener, handle_closed);
  uv_close((uv_handle_t *)&t->timer, handle_closed);
}

static int fail(orca__uvt *t, const orca__peer_addr *a, const char *what, int uverr,
                orca_err *err) {
  char s[ORCA__PEER_ADDR_STRLEN];
  orca_err_set(err, ORCA_EIO, "peer network: cannot %s %s: %s", what, orca__peer_addr_format(a, s),
               uv_strerror(uverr));
  orca__uvt_close(t, NULL, NULL);
  return ORCA_EIO;
}

int orca__uvt_open(uv_loop_t *loop, const orca__peer_addr *bind, orca__peer *p, orca__uvt **out,
                   orca__peer_addr *bound, orca_err *err) {
  *out = NULL;
  orca__uvt *t = calloc(1, sizeof *t);
  if (!t)
    return orca_err_set(err, ORCA_ENOMEM, "peer network: out of memory");
  t->loop = loop;
  t->peer = p;
  t->io = (orca__peer_io){t, io_now, io_wall, io_rand, io_wake_at, io_send_dgram, io_send_stream};
  uv_udp_init(loop, &t->udp);
  uv_tcp_init(loop, &t->listener);
  uv_timer_init(loop, &t->timer);
  t->udp.data = t->listener.data = t->timer.data = t;
  t->handles = 3;

  /* TCP first: with port 0 the kernel picks a TCP port, and UDP takes the
   * same number (the two port spaces are separate). */
  struct sockaddr_storage ss;
  to_sockaddr(bind, &ss);
  int rc = uv_tcp_bind(&t->listener, (const struct sockaddr *)&ss, 0);
  if (!rc)
    rc = uv_listen((uv_stream_t *)&t->listener, 128, on_connection);
  if (rc)
    return fail(t, bind, "listen on TCP", rc, err);
  int len = sizeof ss;
  uv_tcp_getsockname(&t->listener, (struct sockaddr *)&ss, &len);
  from_sockaddr((struct sockaddr *)&ss, bound);
  to_sockaddr(bound, &ss);
  if ((rc = uv_udp_bind(&t->udp, (const struct sockaddr *)&ss, 0)))
    return fail(t, bound, "bind UDP", rc, err);
  if ((rc = uv_udp_recv_start(&t->udp, udp_alloc, udp_read)))
    return fail(t, bound, "receive on UDP", rc, err);
  *out = t;
  return 0;
}
