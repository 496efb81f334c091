/* peer_session.c — a client's transient membership of the peer network
 * (peer_session.h). The address it binds: loopback without a key; with a
 * key, the local address the system routes toward the first advertised
 * worker (a connected UDP socket's name), so the workers can answer it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/id.h"
#include "client/peer_session.h"

#define MAX_ADS 64
#define SETTLE_US 300000 /* after the first answer, wait this long for the others */
#define POLL_MS 10

struct orca__psession {
  uv_loop_t loop;
  uv_timer_t timer;
  orca__peer *p;
  orca__peer_ad ads[MAX_ADS];
  size_t nads, skipped;
  bool sealed, left;
  int64_t first_us, deadline_us;
};

typedef struct ad_walk {
  orca__psession *s;
  const char *only;
} ad_walk;

static int on_ad(void *ud, const orca__peer_ad *ad) {
  ad_walk *aw = ud;
  orca__psession *s = aw->s;
  if (aw->only && strcmp(ad->id, aw->only) != 0)
    return 0;
  if (ad->sealed != s->sealed) {
    s->skipped++;
    return 0;
  }
  if (s->nads < MAX_ADS)
    s->ads[s->nads++] = *ad;
  return 0;
}

static void on_member(void *ud, const orca__peer_member *m, orca__peer_state before) {
  orca__psession *s = ud;
  (void)before;
  if (!m->self && s->first_us == 0)
    s->first_us = orca_monotonic_us();
}

/* Whether every advertised worker is in the member table. */
static bool all_known(orca__psession *s) {
  for (size_t i = 0; i < s->nads; i++) {
    orca__peer_member m;
    if (!orca__peer_find(s->p, s->ads[i].id, &m))
      return false;
  }
  return true;
}

static void on_poll(uv_timer_t *t) {
  orca__psession *s = t->data;
  int64_t now = orca_monotonic_us();
  if ((s->first_us && (all_known(s) || now - s->first_us >= SETTLE_US)) || now >= s->deadline_us)
    uv_stop(&s->loop);
}

/* The local address toward ad (port 0), for binding: loopback without a
 * key. Returns 0 or ORCA_EIO. */
static int local_addr(const orca__psession *s, const char *toward, char *out, size_t cap) {
  if (!s->sealed) {
    snprintf(out, cap, "127.0.0.1:0");
    return 0;
  }
  orca__peer_addr a;
  if (orca__peer_addr_parse(toward, &a, NULL))
    return ORCA_EIO;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (a.family == 4) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(a.port);
    memcpy(&in->sin_addr, a.ip, 4);
    len = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(a.port);
    memcpy(&in6->sin6_addr, a.ip, 16);
    len = sizeof *in6;
  }
  int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
  if (fd < 0)
    return ORCA_EIO;
  int rc = connect(fd, (struct sockaddr *)&ss, len) == 0 &&
                   getsockname(fd, (struct sockaddr *)&ss, &len) == 0
               ? 0
               : ORCA_EIO;
  close(fd);
  if (rc)
    return rc;
  char ip[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
    snprintf(out, cap, "%s:0", ip);
  } else {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
    snprintf(out, cap, "[%s]:0", ip);
  }
  return 0;
}

static void timer_closed(uv_handle_t *h) {
  (void)h;
}

static void left(void *ud) {
  orca__psession *s = ud;
  s->left = true;
}

void orca__psession_close(orca__psession *s) {
  if (!s)
    return;
  if (s->p) {
    if (orca__peer_leave(s->p, left, s) == 0)
      while (!s->left && uv_run(&s->loop, UV_RUN_ONCE))
        ;
    orca__peer_close(s->p);
  }
  if (!uv_is_closing((uv_handle_t *)&s->timer))
    uv_close((uv_handle_t *)&s->timer, timer_closed);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
  free(s);
}

orca__peer *orca__psession_peer(orca__psession *s) {
  return s->p;
}

int orca__psession_open(orca__backend *b, const char *key_file, const char *only,
                        int64_t timeout_us, orca__psession **out, orca_err *err) {
  *out = NULL;
  if (!b->ops->peer_ads)
    return orca_err_set(err, ORCA_ENOTSUP,
                        "this backend keeps no peer advertisements: no peer network to ask");
  orca__psession *s = calloc(1, sizeof *s);
  if (!s)
    return orca_err_set(err, ORCA_ENOMEM, "out of memory");
  orca__peer_key key;
  int rc = orca__peer_key_from_config(key_file, &key, err);
  if (rc < 0) {
    free(s);
    return rc;
  }
  s->sealed = rc == 1;
  char cluster[ORCA__CLUSTER_ID_MAX];
  ad_walk aw = {s, only};
  if ((rc = b->ops->peer_ads(b, NULL, 0, cluster, on_ad, &aw))) {
    orca__peer_key_wipe(&key);
    free(s);
    return orca_err_set(err, rc, "reading the peer advertisements: %s", orca_strerror(rc));
  }
  if (s->nads == 0) {
    orca__peer_key_wipe(&key);
    bool skipped = s->skipped > 0, sealed = s->sealed;
    free(s);
    if (skipped)
      return orca_err_set(err, ORCA_ENOTFOUND,
                          "%s: the workers %s a cluster key and this client %s "
                          "(--cluster-key-file or ORCA_CLUSTER_KEY_FILE)",
                          only ? only : "no usable worker", sealed ? "use none" : "use",
                          sealed ? "does" : "has none");
    if (only)
      return orca_err_set(err, ORCA_ENOTFOUND, "worker %s does not advertise a peer address", only);
    return orca_err_set(err, ORCA_ENOTFOUND, "no worker of this backend runs the peer network");
  }
  if (uv_loop_init(&s->loop)) {
    orca__peer_key_wipe(&key);
    free(s);
    return orca_err_set(err, ORCA_ENOMEM, "cannot create an event loop");
  }
  uv_timer_init(&s->loop, &s->timer);
  s->timer.data = s;
  char bind[ORCA__PEER_ADDR_STRLEN + 8], id[ORCA__PEER_ID_MAX + 1];
  char host[64] = "host";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  snprintf(id, sizeof id, "orca-client:%s:%d:%04x", host, (int)getpid(),
           (unsigned)(orca__random_seed() & 0xffff));
  if (local_addr(s, s->ads[0].addr, bind, sizeof bind)) {
    orca__peer_key_wipe(&key);
    orca__psession_close(s);
    return orca_err_set(err, ORCA_EIO, "no local address reaches worker %s at %s", s->ads[0].id,
                        s->ads[0].addr);
  }
  orca__peer_meta meta;
  memset(&meta, 0, sizeof meta); /* concurrency 0: not a worker */
  orca__peer_params params;
  orca__peer_params_default(&params);
  params.leave_timeout_us = 200000;
  orca__peer_opts po = {.id = id,
                        .cluster = cluster,
                        .bind = bind,
                        .key = s->sealed ? &key : NULL,
                        .meta = &meta,
                        .params = &params,
                        .on_member = on_member,
                        .ud = s};
  rc = orca__peer_open(&s->loop, &po, &s->p, err);
  orca__peer_key_wipe(&key);
  const char *seeds[MAX_ADS];
  for (size_t i = 0; i < s->nads; i++)
    seeds[i] = s->ads[i].addr;
  if (rc || (rc = orca__peer_join(s->p, seeds, s->nads, err))) {
    orca__psession_close(s);
    return rc;
  }
  s->deadline_us = orca_monotonic_us() + timeout_us;
  uv_timer_start(&s->timer, on_poll, POLL_MS, POLL_MS);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_timer_stop(&s->timer);
  if (!s->first_us) {
    orca_err_set(err, ORCA_ETIMEDOUT,
                 "no worker answered on the peer network within %lld ms (advertised: %s%s)",
                 (long long)(timeout_us / 1000), s->ads[0].addr, s->nads > 1 ? ", ..." : "");
    orca__psession_close(s);
    return ORCA_ETIMEDOUT;
  }
  *out = s;
  return 0;
}
