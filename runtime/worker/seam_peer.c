/* seam_peer.c — the peer network (runtime/peer/) as a loop service of the
 * worker (worker/seams.h, docs/peers.md):
 *   - discovery: the worker advertises its peer address in the backend
 *     with a TTL (peer_ads) and joins every worker listed there, plus the
 *     --join seeds; the backend's cluster id names the cluster, so workers
 *     of two backends never mix;
 *   - failover: when a member is declared dead, the one live member that
 *     rendezvous hashing picks for it calls the backend's release_worker,
 *     so its leased tasks run again now instead of when the lease runs out
 *     (the lease stays the safety net);
 *   - direct cancel: a cancel message for a task running here sets its
 *     context's cancelled flag at once;
 *   - the live member list the TimeKeeper splits schedules with
 *     (orca__worker_owns);
 *   - the running count, published in the member's metadata.
 * Backend calls block, so they run on libuv's thread pool with this
 * service's own backend handle, one job at a time (like the TimeKeeper). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "orca/log.h"
#include "orca/orca.h"
#include "peer/msg.h"
#include "peer/peer.h"
#include "peer/rendezvous.h"
#include "worker/seams.h"

#define TICK_MS 1000               /* running count and advertisement check */
#define AD_EVERY_US 3000000        /* refresh the advertisement this often */
#define AD_TTL_US 10000000         /* an advertisement nobody refreshes goes after */
#define MAX_SEEDS 64               /* addresses joined per discovery round */
#define DEFAULT_BIND "127.0.0.1:0" /* loopback, any free port */

typedef struct speer {
  orca_worker *w;
  orca__backend *b; /* used by the job only */
  orca__peer *p;
  uv_timer_t tick;
  uv_work_t work;
  bool busy, stopping, tick_open;
  bool sealed;
  bool advertised;  /* the first advertisement was stored (logged once) */
  bool warned_mode; /* logged that some worker's key mode differs (once) */
  bool ads_off;     /* the backend keeps no advertisements: --join seeds only */
  char cluster[ORCA__CLUSTER_ID_MAX];
  int64_t ad_at; /* monotonic µs of the last advertisement */
  orca__peer_ad mine;
  bool ad_due, ad_remove;
  /* Workers to release (loop thread), and the job's copy (the job's
   * thread reads it while busy: only kick touches it, when not busy). */
  char (*rel)[ORCA_NAME_MAX];
  size_t nrel, caprel;
  char (*jrel)[ORCA_NAME_MAX];
  size_t njrel, capjrel;
  bool jad, jremove;
  /* What the job found: advertised addresses and their ids. */
  orca__peer_ad found[MAX_SEEDS];
  size_t nfound;
  int ad_rc;
  char alive[ORCA__LIVE_MAX][ORCA_NAME_MAX]; /* scratch of on_member */
} speer;

/* ---- the live member list (for the TimeKeeper) ---- */

bool orca__worker_owns(orca_worker *w, const char *key) {
  pthread_mutex_lock(&w->live_mu);
  bool mine = true;
  if (w->nlive > 0) {
    const char *ids[ORCA__LIVE_MAX];
    for (size_t i = 0; i < w->nlive; i++)
      ids[i] = w->live[i];
    mine = strcmp(ids[orca__rendezvous_owner(key, ids, w->nlive)], w->id) == 0;
  }
  pthread_mutex_unlock(&w->live_mu);
  return mine;
}

/* A member that runs tasks (transient members, like `orca cluster`'s, do
 * not publish a concurrency). */
static bool is_worker(const orca__peer_member *m) {
  return m->meta && m->meta->concurrency > 0;
}

/* Collects the ids of the workers in the wanted states (this one always). */
typedef struct id_walk {
  char (*ids)[ORCA_NAME_MAX];
  size_t n, max;
  bool suspects; /* SUSPECT counts as live too */
} id_walk;

static void add_id(void *ud, const orca__peer_member *m) {
  id_walk *iw = ud;
  bool live = m->state == ORCA__PEER_ALIVE || (iw->suspects && m->state == ORCA__PEER_SUSPECT);
  if ((m->self || (live && is_worker(m))) && iw->n < iw->max)
    snprintf(iw->ids[iw->n++], ORCA_NAME_MAX, "%s", m->id);
}

/* The TimeKeeper's view: alive and suspect workers (a suspect may be fine;
 * dropping it at once would move its schedules back and forth). */
static void live_update(speer *s) {
  orca_worker *w = s->w;
  pthread_mutex_lock(&w->live_mu);
  id_walk iw = {w->live, 0, ORCA__LIVE_MAX, true};
  if (s->p && !s->stopping)
    orca__peer_members(s->p, add_id, &iw);
  w->nlive = iw.n;
  pthread_mutex_unlock(&w->live_mu);
}

/* ---- the backend job ---- */

static int on_ad(void *ud, const orca__peer_ad *ad) {
  speer *s = ud;
  if (ad->sealed != s->sealed) {
    if (s->warned_mode)
      return 0;
    s->warned_mode = true; /* once: the list is read every few seconds */
    orca_log(ORCA_LOG_WARN,
             "worker %s: peer %s at %s %s a cluster key and this worker %s: not joined", s->w->id,
             ad->id, ad->addr, ad->sealed ? "uses" : "does not use",
             s->sealed ? "does" : "does not");
    return 0;
  }
  if (s->nfound < MAX_SEEDS)
    s->found[s->nfound++] = *ad;
  return 0;
}

static void work_cb(uv_work_t *req) {
  speer *s = req->data;
  for (size_t i = 0; s->b->ops->release_worker && i < s->njrel; i++) {
    size_t n = 0;
    int rc = s->b->ops->release_worker(s->b, s->jrel[i], &n);
    if (rc)
      orca_log(ORCA_LOG_WARN,
               "worker %s: releasing the tasks of dead worker %s failed: %s (its leases will "
               "run out instead)",
               s->w->id, s->jrel[i], orca_strerror(rc));
    else
      orca_log(ORCA_LOG_INFO, "worker %s: released %zu task(s) of dead worker %s", s->w->id, n,
               s->jrel[i]);
  }
  s->nfound = 0;
  s->ad_rc = 0;
  if (s->jad && !s->ads_off) {
    char cluster[ORCA__CLUSTER_ID_MAX];
    s->ad_rc = s->b->ops->peer_ads(s->b, &s->mine, s->jremove ? 0 : AD_TTL_US, cluster,
                                   s->jremove ? NULL : on_ad, s);
  }
}

static void kick(speer *s);
static void maybe_free(speer *s);

static void after_work(uv_work_t *req, int status) {
  (void)status;
  speer *s = req->data;
  s->busy = false;
  if (s->ad_rc)
    orca_log(ORCA_LOG_WARN, "worker %s: peer discovery through the backend failed: %s", s->w->id,
             orca_strerror(s->ad_rc));
  else if (s->jad && !s->jremove && !s->advertised) {
    s->advertised = true;
    orca_log(ORCA_LOG_INFO, "worker %s: peer address %s advertised in the backend", s->w->id,
             s->mine.addr);
  }
  if (s->p && !s->stopping && s->nfound > 0) {
    const char *seeds[MAX_SEEDS];
    size_t n = 0;
    for (size_t i = 0; i < s->nfound; i++) {
      orca__peer_member m;
      bool known = orca__peer_find(s->p, s->found[i].id, &m) &&
                   (m.state == ORCA__PEER_ALIVE || m.state == ORCA__PEER_SUSPECT);
      if (!known)
        seeds[n++] = s->found[i].addr;
    }
    orca_err err = {0};
    if (n > 0 && orca__peer_join(s->p, seeds, n, &err))
      orca_log(ORCA_LOG_WARN, "worker %s: an advertised peer address was refused: %s", s->w->id,
               err.msg);
  }
  kick(s);
  maybe_free(s);
}

/* Start a job when one is due and none runs. */
static void kick(speer *s) {
  if (s->busy || (s->nrel == 0 && !s->ad_due))
    return;
  if (s->nrel > s->capjrel) {
    void *j = realloc(s->jrel, s->nrel * sizeof *s->jrel);
    if (!j) {
      orca_log(ORCA_LOG_WARN, "worker %s: out of memory: dead workers' leases will run out",
               s->w->id);
      s->nrel = 0;
    } else {
      s->jrel = j;
      s->capjrel = s->nrel;
    }
  }
  if (s->nrel)
    memcpy(s->jrel, s->rel, s->nrel * sizeof *s->rel);
  s->njrel = s->nrel;
  s->nrel = 0;
  s->jad = s->ad_due;
  s->jremove = s->ad_remove;
  s->ad_due = false;
  s->work.data = s;
  if (uv_queue_work(&s->w->loop, &s->work, work_cb, after_work) == 0)
    s->busy = true;
}

/* Queue a release of worker id (loop thread). */
static void want_release(speer *s, const char *id) {
  if (s->nrel == s->caprel) {
    size_t cap = s->caprel ? 2 * s->caprel : 8;
    void *r = realloc(s->rel, cap * sizeof *s->rel);
    if (!r) {
      orca_log(ORCA_LOG_WARN, "worker %s: out of memory: the leases of %s will run out instead",
               s->w->id, id);
      return;
    }
    s->rel = r;
    s->caprel = cap;
  }
  snprintf(s->rel[s->nrel++], ORCA_NAME_MAX, "%s", id);
  kick(s);
}

/* ---- peer callbacks ---- */

static void on_member(void *ud, const orca__peer_member *m, orca__peer_state before) {
  speer *s = ud;
  if (m->self)
    return;
  if (m->state != before) { /* transient members (orca cluster, orca cancel): debug only */
    char addr[ORCA__PEER_ADDR_STRLEN];
    orca_log(!is_worker(m)                 ? ORCA_LOG_DEBUG
             : m->state == ORCA__PEER_DEAD ? ORCA_LOG_WARN
                                           : ORCA_LOG_INFO,
             "worker %s: peer %s at %s is %s", s->w->id, m->id,
             orca__peer_addr_format(&m->addr, addr), orca__peer_state_name(m->state));
  }
  live_update(s);
  if (m->state != ORCA__PEER_DEAD || before == ORCA__PEER_DEAD || !is_worker(m) || s->stopping ||
      !s->b->ops->release_worker) /* without the op, the leases run out */
    return;
  /* One survivor releases: the owner of the dead id among the workers
   * this node sees alive (not suspect: a worker that died at the same time
   * must not be picked). Views that disagree make two release (harmless:
   * the second finds nothing) or none (the lease runs out). */
  id_walk iw = {s->alive, 0, ORCA__LIVE_MAX, false};
  orca__peer_members(s->p, add_id, &iw);
  const char *ids[ORCA__LIVE_MAX];
  for (size_t i = 0; i < iw.n; i++)
    ids[i] = s->alive[i];
  size_t own = orca__rendezvous_owner(m->id, ids, iw.n);
  if (own < iw.n && strcmp(ids[own], s->w->id) == 0)
    want_release(s, m->id);
}

static void on_message(void *ud, const char *from_id, const orca__peer_member *from,
                       const uint8_t *data, size_t len) {
  speer *s = ud;
  (void)from;
  if (len < 2 || data[0] != ORCA__PEER_MSG_CANCEL || len - 1 >= ORCA_ID_MAX)
    return;
  char id[ORCA_ID_MAX];
  memcpy(id, data + 1, len - 1);
  id[len - 1] = '\0';
  if (orca__worker_cancel_task(s->w, id))
    orca_log(ORCA_LOG_INFO, "worker %s: task %s cancelled by %s", s->w->id, id, from_id);
}

/* ---- life cycle ---- */

static void on_tick(uv_timer_t *t) {
  speer *s = t->data;
  orca_worker *w = s->w;
  unsigned running = 0;
  pthread_mutex_lock(&w->mu);
  for (unsigned i = 0; i < w->concurrency; i++)
    running += w->threads[i].cur != NULL;
  pthread_mutex_unlock(&w->mu);
  orca__peer_set_running(s->p, running);
  if (!s->ads_off && orca_monotonic_us() - s->ad_at >= AD_EVERY_US) {
    s->ad_at = orca_monotonic_us();
    s->ad_due = true;
    kick(s);
  }
}

static void tick_closed(uv_handle_t *h) {
  speer *s = h->data;
  s->tick_open = false;
  maybe_free(s);
}

static void maybe_free(speer *s) {
  if (!s->stopping || s->busy || s->tick_open || s->p)
    return;
  if (s->ad_due) { /* the advertisement's removal is still to be done */
    kick(s);
    return;
  }
  orca__backend_close(s->b);
  free(s->rel);
  free(s->jrel);
  free(s);
}

static void left(void *ud) {
  speer *s = ud;
  orca__peer_close(s->p);
  s->p = NULL;
  maybe_free(s);
}

/* Fill the metadata every member publishes about this worker. */
static void make_meta(const orca_worker *w, orca__peer_meta *meta) {
  memset(meta, 0, sizeof *meta);
  size_t off = 0;
  for (size_t i = 0; i < w->queues.n; i++) {
    int k = snprintf(meta->queues + off, sizeof meta->queues - off, "%s%s:%u", i ? "," : "",
                     w->queues.q[i].name, w->queues.q[i].weight);
    if (k < 0 || (size_t)k >= sizeof meta->queues - off) {
      meta->queues[off] = '\0'; /* the list is cut at a whole queue */
      break;
    }
    off += (size_t)k;
  }
  snprintf(meta->version, sizeof meta->version, "%d.%d.%d", ORCA_VERSION_MAJOR, ORCA_VERSION_MINOR,
           ORCA_VERSION_PATCH);
  meta->concurrency = w->concurrency;
}

/* Split "a,b,c" (copied into buf) into at most max seeds. */
static size_t split_seeds(char *buf, const char **seeds, size_t max) {
  size_t n = 0;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && n < max;
       t = strtok_r(NULL, ",", &save))
    if (*t)
      seeds[n++] = t;
  return n;
}

int orca__seam_peer_check(const char *addr, const char *join, const char *key_file, orca_err *err) {
  orca__peer_key key;
  orca_err ke = {0};
  int rc = orca__peer_key_from_config(key_file, &key, &ke);
  if (rc < 0)
    return orca_err_set(err, rc, "%s: %s",
                        key_file ? "--cluster-key-file" : "ORCA_CLUSTER_KEY_FILE", ke.msg);
  orca__peer_key_wipe(&key);
  bool sealed = rc == 1;
  char buf[4096];
  const char *seeds[MAX_SEEDS + 1];
  size_t n = 0;
  if (join) {
    if (strlen(join) >= sizeof buf)
      return orca_err_set(err, ORCA_EINVAL, "--join: the list is too long");
    snprintf(buf, sizeof buf, "%s", join);
    n = split_seeds(buf, seeds, MAX_SEEDS);
    if (n == 0)
      return orca_err_set(err, ORCA_EINVAL, "--join: '%s' names no address", join);
  }
  seeds[n++] = addr ? addr : DEFAULT_BIND;
  for (size_t i = 0; i < n; i++) {
    orca__peer_addr a;
    const char *what = i + 1 == n ? "--peer" : "--join";
    orca_err e = {0};
    if ((rc = orca__peer_addr_parse(seeds[i], &a, &e)))
      return orca_err_set(err, rc, "%s: %s", what, e.msg);
    if (i + 1 == n && orca__peer_addr_wildcard(&a))
      return orca_err_set(err, ORCA_EINVAL,
                          "--peer: '%s' is a wildcard address: give the address the other "
                          "workers reach this one at",
                          seeds[i]);
    if (!sealed && !orca__peer_addr_loopback(&a))
      return orca_err_set(err, ORCA_EINVAL,
                          "%s: '%s' is not a loopback address: a peer network off loopback "
                          "needs a cluster key (--cluster-key-file or ORCA_CLUSTER_KEY_FILE)",
                          what, seeds[i]);
  }
  return 0;
}

static int start(orca_worker *w, void **state, orca_err *err) {
  *state = NULL;
  if (!w->run_peer)
    return 0;
  speer *s = calloc(1, sizeof *s);
  if (!s)
    return orca_err_set(err, ORCA_ENOMEM, "worker %s: out of memory", w->id);
  s->w = w;
  orca__peer_key key;
  int rc = orca__peer_key_from_config(w->cluster_key_file, &key, err);
  if (rc < 0) {
    free(s);
    return rc;
  }
  s->sealed = rc == 1;
  orca__backend_opts bo = {.clock = w->clock};
  rc = orca__backend_open(w->backend_url, &bo, &s->b, err);
  if (rc)
    goto fail;
  s->ads_off = !s->b->ops->peer_ads;
  if (!s->ads_off && (rc = s->b->ops->peer_ads(s->b, NULL, 0, s->cluster, NULL, NULL))) {
    if (rc != ORCA_ENOTSUP) {
      orca_err_set(err, rc, "worker %s: peer network: cannot read the cluster id from the backend",
                   w->id);
      goto fail;
    }
    s->ads_off = true;
  }
  if (s->ads_off) /* no discovery: the --join seeds must name one cluster */
    snprintf(s->cluster, sizeof s->cluster, "orca");
  orca__peer_meta meta;
  make_meta(w, &meta);
  orca__peer_opts po = {.id = w->id,
                        .cluster = s->cluster,
                        .bind = w->peer_addr ? w->peer_addr : DEFAULT_BIND,
                        .key = s->sealed ? &key : NULL,
                        .meta = &meta,
                        .on_member = on_member,
                        .on_message = on_message,
                        .ud = s};
  if ((rc = orca__peer_open(&w->loop, &po, &s->p, err)))
    goto fail;
  if (w->peer_join) {
    char buf[4096];
    const char *seeds[MAX_SEEDS];
    snprintf(buf, sizeof buf, "%s", w->peer_join);
    size_t n = split_seeds(buf, seeds, MAX_SEEDS);
    if ((rc = orca__peer_join(s->p, seeds, n, err)))
      goto fail;
  }
  snprintf(s->mine.id, sizeof s->mine.id, "%s", w->id);
  orca__peer_addr_format(orca__peer_address(s->p), s->mine.addr);
  gethostname(s->mine.host, sizeof s->mine.host - 1);
  s->mine.sealed = s->sealed;
  orca__peer_key_wipe(&key);
  uv_timer_init(&w->loop, &s->tick);
  s->tick.data = s;
  s->tick_open = true;
  uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
  s->ad_at = orca_monotonic_us();
  s->ad_due = !s->ads_off;
  kick(s);
  live_update(s);
  char addr[ORCA__PEER_ADDR_STRLEN];
  orca_log(ORCA_LOG_INFO, "worker %s: peer network on %s (%s)", w->id,
           orca__peer_addr_format(orca__peer_address(s->p), addr),
           s->sealed ? "sealed with the cluster key" : "no cluster key: loopback only");
  *state = s;
  return 0;
fail:
  orca__peer_key_wipe(&key);
  orca__peer_close(s->p); /* its handles close as the worker's loop runs on */
  orca__backend_close(s->b);
  free(s);
  return rc;
}

static void stop(void *state) {
  speer *s = state;
  if (!s)
    return;
  s->stopping = true;
  live_update(s);
  uv_close((uv_handle_t *)&s->tick, tick_closed);
  s->ad_remove = true;
  s->ad_due = !s->ads_off;
  kick(s);
  if (orca__peer_leave(s->p, left, s))
    left(s);
}

const orca__loop_service orca__peer_service = {"peer network", start, stop};
