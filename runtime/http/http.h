/* http.h — a small HTTP server for what liborca serves: a worker's
 * Prometheus metrics and the operator's dashboard. The protocol is
 * libmicrohttpd's (Debian's libmicrohttpd12): this wrapper only binds the
 * address, bounds what a client may cost, collects a request's body and
 * hands complete requests to one handler, which fills a response.
 *
 * Threads. One internal thread (libmicrohttpd's, poll-based) accepts,
 * reads and answers every connection and calls the handler, so requests
 * are handled one at a time and the handler may use objects that are
 * one-thread-at-a-time (a client, a backend handle) without a lock. A slow
 * or silent client only holds a socket: reading is event-driven, idle
 * connections are closed after ORCA__HTTP_IDLE_S, and the number of
 * connections is bounded (in total and per client address).
 *
 * Limits: request bodies (POST) above ORCA__HTTP_BODY_MAX get 413 without
 * reaching the handler; header sizes are bounded by libmicrohttpd's
 * per-connection memory (ORCA__HTTP_CONN_MEMORY); malformed requests get
 * libmicrohttpd's 400. */
#ifndef ORCA__HTTP_H
#define ORCA__HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/error.h"
#include "orca/memory.h"

#define ORCA__HTTP_BODY_MAX (1u << 20)     /* bytes of a request body */
#define ORCA__HTTP_CONN_MEMORY (64u << 10) /* per connection: request line and headers */
#define ORCA__HTTP_IDLE_S 10               /* idle connections are closed after this */
#define ORCA__HTTP_MAX_CONNS 256           /* connections at once */
#define ORCA__HTTP_MAX_CONNS_PER_ADDR 64   /* from one client address */

typedef struct orca__http orca__http;

/* A complete request, valid during the handler call only. */
typedef struct orca__http_req {
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* URL path, percent-decoded, without the query */
  const uint8_t *body;
  size_t body_len;
  void *conn; /* for orca__http_header / orca__http_query */
} orca__http_req;

/* A header of the request (case-insensitive name), or NULL. */
const char *orca__http_header(const orca__http_req *r, const char *name);
/* A query argument (decoded), or NULL. */
const char *orca__http_query(const orca__http_req *r, const char *name);

/* What the handler fills: status (default 200), content type (static
 * string, default text/plain), body (starts empty; the server frees it),
 * and up to ORCA__HTTP_MAX_HEADERS extra headers (static strings or
 * strings that live as long as the server). */
#define ORCA__HTTP_MAX_HEADERS 8
typedef struct orca__http_resp {
  unsigned status;
  const char *content_type;
  orca_buf body;
  const char *hname[ORCA__HTTP_MAX_HEADERS], *hvalue[ORCA__HTTP_MAX_HEADERS];
  size_t nheaders;
} orca__http_resp;

/* Add a header to a response (ignored past ORCA__HTTP_MAX_HEADERS). name and
 * value are kept by pointer until the response is sent. */
void orca__http_resp_header(orca__http_resp *resp, const char *name, const char *value);

typedef void (*orca__http_handler)(void *ud, const orca__http_req *req, orca__http_resp *resp);

/* Parse "HOST:PORT" (HOST an IPv4 address, a name, or [IPv6]; PORT 0..65535,
 * 0 = any free port) into a socket address. what names the option for
 * messages. Returns 0, or ORCA_EINVAL with err naming what is wrong. */
struct sockaddr_storage;
int orca__http_parse_listen(const char *what, const char *listen, struct sockaddr_storage *out,
                            orca_err *err);
/* True when the address is a loopback one (127.0.0.0/8, ::1). */
bool orca__http_is_loopback(const struct sockaddr_storage *sa);

/* Start serving on `listen` ("HOST:PORT", see orca__http_parse_listen):
 * every complete request goes to handler(ud, ...) on the server's thread.
 * what names the option (--metrics) in messages. Returns 0 and *out (stop
 * with orca__http_close), or ORCA_EINVAL (a bad address) / ORCA_EIO (it
 * cannot be bound: in use, not permitted) with err. */
int orca__http_open(const char *what, const char *listen, orca__http_handler handler, void *ud,
                    orca__http **out, orca_err *err);
/* The port the server listens on (the one picked for port 0). */
unsigned orca__http_port(const orca__http *h);
/* True when the server listens on a loopback address only. */
bool orca__http_loopback(const orca__http *h);
/* Stop: close the listening socket and every connection, join the thread
 * (a handler call in progress finishes first). NULL is ignored. */
void orca__http_close(orca__http *h);

#endif
