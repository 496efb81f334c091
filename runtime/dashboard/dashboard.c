/* dashboard.c — orca/dashboard.h: open and close, and what every request
 * goes through before the API sees it: the Host check of loopback binds,
 * the embedded page, the bearer token, read-only mode and the request
 * forgery checks of actions. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dashboard/dashboard_internal.h"
#include "orca/log.h"

#define TOKEN_MIN 16

void orca__dash_error(orca__http_resp *resp, unsigned status, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  orca_buf_reset(&resp->body);
  resp->status = status;
  resp->content_type = "application/json";
  orca__jw w = {&resp->body, 0};
  orca__jw_raw(&w, "{\"error\":");
  orca__jw_str(&w, msg);
  orca__jw_raw(&w, "}\n");
}

/* The host part of a Host header ("127.0.0.1:8080", "[::1]:8080",
 * "localhost") names a loopback address. */
static bool host_is_loopback(const char *host) {
  if (!host)
    return false;
  size_t n = strlen(host);
  if (host[0] == '[') {
    const char *end = strchr(host, ']');
    return end && (size_t)(end - host) == 4 && strncmp(host, "[::1]", 5) == 0 &&
           (end[1] == '\0' || end[1] == ':');
  }
  const char *colon = strchr(host, ':');
  size_t hl = colon ? (size_t)(colon - host) : n;
  if (hl == 9 && strncasecmp(host, "localhost", 9) == 0)
    return true;
  if (hl < 7 || strncmp(host, "127.", 4) != 0)
    return false;
  for (size_t i = 4; i < hl; i++)
    if (!(host[i] == '.' || (host[i] >= '0' && host[i] <= '9')))
      return false;
  return true;
}

static bool token_ok(const orca_dashboard *d, const orca__http_req *req) {
  const char *auth = orca__http_header(req, "Authorization");
  if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
    return false;
  unsigned char h[DASH_TOKEN_HASH];
  crypto_generichash(h, sizeof h, (const unsigned char *)auth + 7, strlen(auth + 7), NULL, 0);
  return sodium_memcmp(h, d->token_hash, sizeof h) == 0;
}

static const char *type_of(const char *name) {
  const char *dot = strrchr(name, '.');
  if (dot && strcmp(dot, ".html") == 0)
    return "text/html; charset=utf-8";
  if (dot && strcmp(dot, ".js") == 0)
    return "text/javascript; charset=utf-8";
  if (dot && strcmp(dot, ".css") == 0)
    return "text/css; charset=utf-8";
  if (dot && strcmp(dot, ".svg") == 0)
    return "image/svg+xml";
  return "text/plain; charset=utf-8";
}

static void serve_asset(const orca__http_req *req, orca__http_resp *resp) {
  const char *name = strcmp(req->path, "/") == 0 ? "index.html" : req->path + 1;
  for (size_t i = 0; i < orca__dash_nassets; i++) {
    const orca__dash_asset *a = &orca__dash_assets[i];
    if (strcmp(a->name, name) == 0) {
      resp->content_type = type_of(a->name);
      orca_buf_append(&resp->body, a->text, strlen(a->text));
      return;
    }
  }
  resp->status = 404;
  orca_buf_append(&resp->body, "not found\n", 10);
}

/* A POST must come from the page: a JSON body (other sites' forms cannot
 * send one), the X-Orca-Request header (no cross-site request can carry it
 * without a CORS preflight, which is never granted) and, when the browser
 * names it, an Origin that is this very host. */
static const char *forged(const orca__http_req *req) {
  const char *ct = orca__http_header(req, "Content-Type");
  if (!ct || strncasecmp(ct, "application/json", 16) != 0)
    return "actions take a JSON body (Content-Type: application/json)";
  if (!orca__http_header(req, "X-Orca-Request"))
    return "actions need the header X-Orca-Request: 1";
  const char *origin = orca__http_header(req, "Origin");
  const char *host = orca__http_header(req, "Host");
  if (origin && (!host || strncmp(origin, "http://", 7) != 0 || strcmp(origin + 7, host) != 0) &&
      (!host || strncmp(origin, "https://", 8) != 0 || strcmp(origin + 8, host) != 0))
    return "the request comes from another site (Origin does not match Host)";
  return NULL;
}

static void on_http(void *ud, const orca__http_req *req, orca__http_resp *resp) {
  orca_dashboard *d = ud;
  orca__http_resp_header(resp, "Cache-Control", "no-store");
  orca__http_resp_header(resp, "X-Frame-Options", "DENY");
  orca__http_resp_header(resp, "Referrer-Policy", "no-referrer");
  orca__http_resp_header(resp, "Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  if (d->loopback && !host_is_loopback(orca__http_header(req, "Host"))) {
    orca__dash_error(resp, 421, "this dashboard answers only requests for a loopback host");
    return;
  }
  bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  bool post = strcmp(req->method, "POST") == 0;
  if (strncmp(req->path, "/api/", 5) != 0) {
    if (!get) {
      orca__http_resp_header(resp, "Allow", "GET, HEAD");
      orca__dash_error(resp, 405, "%s is not allowed here", req->method);
    } else {
      serve_asset(req, resp);
    }
    return;
  }
  if (d->has_token && !token_ok(d, req)) {
    orca__http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"orca\"");
    orca__dash_error(resp, 401, "missing or wrong token (Authorization: Bearer TOKEN)");
    return;
  }
  if (!get && !post) {
    orca__http_resp_header(resp, "Allow", "GET, HEAD, POST");
    orca__dash_error(resp, 405, "%s is not allowed here", req->method);
    return;
  }
  if (post) {
    const char *why = forged(req);
    if (!d->actions) {
      orca__dash_error(resp, 403,
                       "read-only dashboard: actions need `orca dashboard --allow-actions`");
      return;
    }
    if (why) {
      orca__dash_error(resp, 403, "%s", why);
      return;
    }
  }
  resp->content_type = "application/json";
  orca__dash_api(d, req, resp);
  orca_arena_reset(&d->arena);
}

int orca_dashboard_open(const orca_dashboard_opts *opts, orca_dashboard **out, orca_err *err) {
  static const orca_dashboard_opts none = {0};
  const orca_dashboard_opts *o = opts ? opts : &none;
  const char *listen = o->listen ? o->listen : "127.0.0.1:8080";
  *out = NULL;
  struct sockaddr_storage sa;
  int rc = orca__http_parse_listen("dashboard: --listen", listen, &sa, err);
  if (rc)
    return rc;
  if (o->token && strlen(o->token) < TOKEN_MIN)
    return orca_err_set(err, ORCA_EINVAL,
                        "dashboard: the token is too short (at least %d characters)", TOKEN_MIN);
  bool loopback = orca__http_is_loopback(&sa);
  if (o->allow_actions && !loopback && !o->token)
    return orca_err_set(err, ORCA_EINVAL,
                        "dashboard: actions on '%s', which is not a loopback address, need a "
                        "token (--auth-file)",
                        listen);
  if (sodium_init() < 0)
    return orca_err_set(err, ORCA_EIO, "dashboard: libsodium cannot start");
  orca_dashboard *d = calloc(1, sizeof *d);
  if (!d || !(d->history = calloc(DASH_HISTORY, sizeof *d->history))) {
    free(d);
    return orca_err_set(err, ORCA_ENOMEM, "dashboard: out of memory");
  }
  d->actions = o->allow_actions;
  d->loopback = loopback;
  d->schemas = o->schemas;
  d->nschemas = o->nschemas;
  orca_arena_init(&d->arena, 0);
  d->arena.limit = 4u << 20;
  if (o->token) {
    d->has_token = true;
    crypto_generichash(d->token_hash, sizeof d->token_hash, (const unsigned char *)o->token,
                       strlen(o->token), NULL, 0);
  }
  orca_client_opts co = {.backend = o->backend};
  rc = orca_client_open(&co, &d->client, err);
  rc = rc ? rc : orca__http_open("dashboard: --listen", listen, on_http, d, &d->http, err);
  if (rc) {
    orca_dashboard_close(d);
    return rc;
  }
  *out = d;
  return 0;
}

unsigned orca_dashboard_port(const orca_dashboard *d) {
  return d ? orca__http_port(d->http) : 0;
}

void orca_dashboard_close(orca_dashboard *d) {
  if (!d)
    return;
  orca__http_close(d->http); /* first: no request runs after this */
  if (d->client)
    orca_client_close(d->client);
  orca_arena_free(&d->arena);
  sodium_memzero(d->token_hash, sizeof d->token_hash);
  free(d->history);
  free(d);
}
