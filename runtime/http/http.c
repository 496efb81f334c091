/* http.c — the libmicrohttpd wrapper of http.h: address parsing, the
 * daemon's options (one poll-based internal thread, connection and memory
 * limits, idle timeout, strict parsing), request bodies, responses. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "orca/log.h"

struct orca__http {
  struct MHD_Daemon *d;
  orca__http_handler handler;
  void *ud;
  unsigned port;
  bool loopback;
};

/* One request being read: its body so far. */
typedef struct pending {
  orca_buf body;
  bool too_large;
} pending;

void orca__http_resp_header(orca__http_resp *resp, const char *name, const char *value) {
  if (resp->nheaders < ORCA__HTTP_MAX_HEADERS) {
    resp->hname[resp->nheaders] = name;
    resp->hvalue[resp->nheaders++] = value;
  }
}

const char *orca__http_header(const orca__http_req *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *orca__http_query(const orca__http_req *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int orca__http_parse_listen(const char *what, const char *listen, struct sockaddr_storage *out,
                            orca_err *err) {
  static const char *const example = "(like 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464)";
  memset(out, 0, sizeof *out);
  const char *colon = listen ? strrchr(listen, ':') : NULL;
  if (!listen || !colon || colon == listen)
    return orca_err_set(err, ORCA_EINVAL, "%s '%s': expected HOST:PORT %s", what,
                        listen ? listen : "", example);
  char host[256];
  size_t hlen = (size_t)(colon - listen);
  const char *h = listen;
  if (*h == '[') { /* [IPv6]:PORT */
    if (hlen < 3 || listen[hlen - 1] != ']')
      return orca_err_set(err, ORCA_EINVAL, "%s '%s': expected HOST:PORT %s", what, listen,
                          example);
    h++;
    hlen -= 2;
  }
  if (hlen >= sizeof host)
    return orca_err_set(err, ORCA_EINVAL, "%s '%s': the host name is too long", what, listen);
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  const char *port = colon + 1;
  char *end = NULL;
  errno = 0;
  unsigned long p = *port >= '0' && *port <= '9' ? strtoul(port, &end, 10) : 70000;
  if (!end || *end || errno || p > 65535)
    return orca_err_set(err, ORCA_EINVAL, "%s '%s': port '%s' is not a number in 0..65535", what,
                        listen, port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  int gai = getaddrinfo(host, NULL, &hints, &res);
  if (gai || !res)
    return orca_err_set(err, ORCA_EINVAL, "%s '%s': cannot resolve host '%s': %s", what, listen,
                        host, gai_strerror(gai));
  memcpy(out, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (out->ss_family == AF_INET)
    ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)p);
  else if (out->ss_family == AF_INET6)
    ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)p);
  else
    return orca_err_set(err, ORCA_EINVAL, "%s '%s': not an IP address", what, listen);
  return 0;
}

bool orca__http_is_loopback(const struct sockaddr_storage *sa) {
  if (sa->ss_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->ss_family == AF_INET6)
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
  return false;
}

/* libmicrohttpd's own messages (a client's malformed request, a refused
 * connection) say nothing an operator must act on: debug level. */
static void on_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
    msg[--n] = '\0';
  orca_log(ORCA_LOG_DEBUG, "http: %s", msg);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, orca__http_resp *r) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(r->body.len, r->body.data, MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          r->content_type ? r->content_type : "text/plain; charset=utf-8");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  for (size_t i = 0; i < r->nheaders; i++)
    MHD_add_response_header(resp, r->hname[i], r->hvalue[i]);
  enum MHD_Result ok = MHD_queue_response(conn, r->status ? r->status : 200, resp);
  MHD_destroy_response(resp);
  return ok;
}

static enum MHD_Result simple(struct MHD_Connection *conn, unsigned status, const char *text) {
  orca__http_resp r = {.status = status};
  orca_buf_append(&r.body, text, strlen(text));
  enum MHD_Result ok = send_resp(conn, &r);
  orca_buf_free(&r.body);
  return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  (void)version;
  orca__http *h = cls;
  pending *p = *con_cls;
  if (!p) { /* headers are in: refuse an announced oversized body at once */
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > ORCA__HTTP_BODY_MAX)
      return simple(conn, 413, "request body too large\n");
    if (!(p = calloc(1, sizeof *p)))
      return MHD_NO;
    *con_cls = p;
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (p->body.len + *upload_data_size > ORCA__HTTP_BODY_MAX ||
        orca_buf_append(&p->body, upload_data, *upload_data_size))
      return MHD_NO; /* chunked past the limit, or no memory: drop the connection */
    *upload_data_size = 0;
    return MHD_YES;
  }
  orca__http_req req = {.method = method,
                        .path = url,
                        .body = p->body.data ? p->body.data : (const uint8_t *)"",
                        .body_len = p->body.len,
                        .conn = conn};
  orca__http_resp resp = {.status = 200};
  h->handler(h->ud, &req, &resp);
  enum MHD_Result ok = send_resp(conn, &resp);
  orca_buf_free(&resp.body);
  return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)conn;
  (void)toe;
  pending *p = *con_cls;
  if (p) {
    orca_buf_free(&p->body);
    free(p);
  }
  *con_cls = NULL;
}

int orca__http_open(const char *what, const char *listen, orca__http_handler handler, void *ud,
                    orca__http **out, orca_err *err) {
  *out = NULL;
  struct sockaddr_storage sa;
  int rc = orca__http_parse_listen(what, listen, &sa, err);
  if (rc)
    return rc;
  orca__http *h = calloc(1, sizeof *h);
  if (!h)
    return orca_err_set(err, ORCA_ENOMEM, "%s: out of memory", what);
  h->handler = handler;
  h->ud = ud;
  h->loopback = orca__http_is_loopback(&sa);
  unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (sa.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  errno = 0;
  h->d = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ORCA__HTTP_IDLE_S, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)ORCA__HTTP_MAX_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned)ORCA__HTTP_MAX_CONNS_PER_ADDR, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)ORCA__HTTP_CONN_MEMORY, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, h, MHD_OPTION_EXTERNAL_LOGGER, on_log, h, MHD_OPTION_END);
  if (!h->d) {
    int e = errno;
    free(h);
    return orca_err_set(err, ORCA_EIO, "%s '%s': cannot listen there%s%s", what, listen,
                        e ? ": " : "", e ? strerror(e) : " (address in use or not permitted?)");
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  h->port = info ? info->port : 0;
  *out = h;
  return 0;
}

unsigned orca__http_port(const orca__http *h) {
  return h ? h->port : 0;
}

bool orca__http_loopback(const orca__http *h) {
  return h && h->loopback;
}

void orca__http_close(orca__http *h) {
  if (!h)
    return;
  MHD_stop_daemon(h->d);
  free(h);
}
