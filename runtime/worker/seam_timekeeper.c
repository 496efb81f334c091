/* seam_timekeeper.c — the TimeKeeper (runtime/timekeeper/) as a loop service
 * of the worker (worker/seams.h): its engine runs on the worker's loop with
 * its own backend handle, fires the schedules of the registered schemas
 * (when run_schedules) and moves due deferred tasks and retries. With the
 * peer network, each schedule (and the promotion of deferred tasks) is
 * worked first by the live worker rendezvous hashing picks for it
 * (orca__worker_owns); the others stand by. */
#include "timekeeper/timekeeper.h"
#include "worker/seams.h"

static bool owns(void *ud, const char *key) {
  return orca__worker_owns(ud, key);
}

static int start(orca_worker *w, void **state, orca_err *err) {
  orca__timekeeper *tk = NULL;
  int rc = orca__timekeeper_open(&w->loop, w->backend_url, w->clock, w->id, &tk, err);
  if (rc)
    return rc;
  orca__timekeeper_opts tko = {.grace_us = w->schedule_grace_us};
  if (orca__seam_metrics_on(w)) {
    tko.on_fires = orca__seam_timekeeper_fires;
    tko.fires_ud = w;
  }
  if (w->run_peer) {
    tko.owns = owns;
    tko.owns_ud = w;
  }
  orca__timekeeper_set_opts(tk, &tko);
  for (size_t i = 0; w->run_schedules && i < w->nschemas; i++) {
    for (uint32_t k = 0; k < w->schemas[i]->nschedules; k++) {
      rc = orca__timekeeper_add(tk, w->schemas[i]->schedules[k], err);
      if (rc) {
        orca__timekeeper_close(tk);
        return rc;
      }
    }
  }
  rc = orca__timekeeper_start(tk);
  if (rc) {
    orca__timekeeper_close(tk);
    return orca_err_set(err, rc, "worker %s: cannot start the TimeKeeper", w->id);
  }
  *state = tk;
  return 0;
}

static void stop(void *state) {
  orca__timekeeper_close(state);
}

const orca__loop_service orca__timekeeper_service = {"timekeeper", start, stop};
