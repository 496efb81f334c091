/* cluster.c — what clients ask of the peer network (docs/peers.md): the
 * member list of `orca cluster` (orca_cluster_members) and the direct path
 * of orca_cancel, both through a transient membership (peer_session.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "client/peer_session.h"
#include "orca/admin.h"
#include "orca/log.h"
#include "peer/msg.h"

#define LIST_TIMEOUT_US 2000000   /* orca_cluster_members waits at most this for an answer */
#define CANCEL_TIMEOUT_US 1000000 /* orca_cancel's direct path */

typedef struct collect {
  orca_member_info *v;
  size_t n, cap;
  bool oom;
} collect;

static void add(void *ud, const orca__peer_member *m) {
  collect *c = ud;
  if (m->self || !m->meta || m->meta->concurrency == 0) /* transient members are no workers */
    return;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 16;
    orca_member_info *v = realloc(c->v, cap * sizeof *v);
    if (!v) {
      c->oom = true;
      return;
    }
    c->v = v;
    c->cap = cap;
  }
  orca_member_info *o = &c->v[c->n++];
  memset(o, 0, sizeof *o);
  snprintf(o->id, sizeof o->id, "%s", m->id);
  orca__peer_addr_format(&m->addr, o->addr);
  o->state = orca__peer_state_name(m->state);
  snprintf(o->queues, sizeof o->queues, "%s", m->meta->queues);
  snprintf(o->version, sizeof o->version, "%s", m->meta->version);
  o->concurrency = m->meta->concurrency;
  o->running = m->meta->running;
  o->incarnation = m->incarnation;
}

static int by_id(const void *a, const void *b) {
  return strcmp(((const orca_member_info *)a)->id, ((const orca_member_info *)b)->id);
}

int orca_cluster_members(orca_client *c, orca_member_cb cb, void *ud, orca_err *err) {
  if (!c || !cb)
    return orca_err_set(err, ORCA_EINVAL, "orca_cluster_members: NULL client or callback");
  orca__psession *s = NULL;
  int rc = orca__psession_open(orca__client_backend(c), orca__client_key_file(c), NULL,
                               LIST_TIMEOUT_US, &s, err);
  if (rc)
    return rc;
  collect col = {0};
  orca__peer_members(orca__psession_peer(s), add, &col);
  orca__psession_close(s);
  if (col.oom) {
    free(col.v);
    return orca_err_set(err, ORCA_ENOMEM, "out of memory listing the members");
  }
  qsort(col.v, col.n, sizeof *col.v, by_id);
  for (size_t i = 0; rc == 0 && i < col.n; i++)
    rc = cb(ud, &col.v[i]);
  free(col.v);
  return rc;
}

void orca__cancel_direct(orca_client *c, const char *id) {
  orca__backend *b = orca__client_backend(c);
  if (!b->ops->peer_ads)
    return;
  orca_task_info info;
  memset(&info, 0, sizeof info);
  int rc = b->ops->state_get(b, id, &info);
  bool running = rc == 0 && info.state == ORCA_STATE_RUNNING && info.worker[0];
  char worker[ORCA_NAME_MAX];
  snprintf(worker, sizeof worker, "%s", info.worker);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  if (!running)
    return;
  orca__psession *s = NULL;
  orca_err err = {0};
  if (orca__psession_open(b, orca__client_key_file(c), worker, CANCEL_TIMEOUT_US, &s, &err)) {
    orca_log(ORCA_LOG_DEBUG,
             "cancel %s: no direct path to worker %s (%s); it sees the cancel "
             "at its next lease renewal",
             id, worker, err.msg);
    return;
  }
  uint8_t msg[1 + ORCA_ID_MAX];
  size_t len = strlen(id);
  msg[0] = ORCA__PEER_MSG_CANCEL;
  memcpy(msg + 1, id, len);
  rc = orca__peer_send(orca__psession_peer(s), worker, msg, 1 + len);
  if (rc)
    orca_log(ORCA_LOG_DEBUG, "cancel %s: worker %s not reachable directly: %s", id, worker,
             orca_strerror(rc));
  orca__psession_close(s);
}
