/* engine.c — the schedule engine: turns due schedules into tasks, exactly
 * once across every node that runs it (see timekeeper.h and
 * docs/timekeeper.md).
 *
 * One cycle (cycle()) runs on one thread with the engine's own backend
 * handle: write pending adds, re-read the schedule list when due, pop every
 * locally due schedule from the timer heap and try to fire it with the
 * backend's compare-and-set, promote deferred tasks when their next due time
 * arrives, and report the next local due time. In loop mode a uv_timer armed
 * at that time queues the next cycle on libuv's thread pool (uv_queue_work),
 * so the loop thread never blocks on the backend and never polls. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "base/timerheap.h"
#include "codec/envelope.h"
#include "orca/log.h"
#include "timekeeper/timekeeper.h"

#define MAX_JOBS_PER_FIRE 1000 /* on-time fires + catch-up in one CAS */
#define MAX_ENUMERATED 1000000 /* fire times walked through after downtime */
#define RETRY_AFTER_ERROR_US 1000000
#define RETRY_AFTER_BUSY_US 100000 /* the failed call itself waited for the store */

typedef struct sched {
  orca__timer timer; /* first member: the heap hands back &timer */
  char name[ORCA_NAME_MAX];
  orca_buf blob;            /* owned copy of the encoded spec */
  orca__schedule_spec spec; /* points into blob */
  orca_cron cron;
  orca_tz *tz;
  int64_t next_fire_us;   /* as last read from, or written to, the backend */
  int64_t armed_since_us; /* since when this node has been trying to fire it */
  bool paused, valid, seen, armed;
} sched;

typedef struct pending_add {
  char name[ORCA_NAME_MAX];
  orca_buf blob;
} pending_add;

struct orca__timekeeper {
  uv_loop_t *loop;
  uv_timer_t timer;
  uv_work_t work;
  bool started, busy, rerun, closing, timer_open;

  orca__backend *be;
  const orca_clock *clock;
  char node[ORCA_NAME_MAX];
  orca__timekeeper_opts opts;

  pthread_mutex_t mu; /* guards pend and st (read from other threads) */
  pending_add *pend;
  size_t npend;
  orca__timekeeper_stats st;

  /* Touched only by the thread running a cycle (one at a time). */
  sched **s;
  size_t ns;
  orca__timerheap heap;
  int64_t refresh_at_us, promote_at_us;
  int64_t promote_defer_us; /* not the promotion's owner: promote at this time, 0 = not waiting */
  int64_t retry_adds_at_us; /* adds that met a backend error are retried then */
  /* Lateness is counted from when this node could fire (see plan()): it has
   * been up since up_since_us, the start of the current cycle is
   * cycle_now_us, the last cycle ended at last_end_us. store_lost: the last
   * backend call found the store unreachable (not merely busy). */
  int64_t up_since_us, cycle_now_us, last_end_us;
  bool store_lost, ran;
  bool promote_off;
  int64_t next_due_us; /* result of the last cycle */
  int last_fired;      /* fires of the last cycle */
  orca__job *jobs;
  char (*ids)[ORCA_ID_MAX];
  orca_buf env; /* envelopes of one fire, back to back */
  size_t *env_off;
  int64_t *fires;
};

static int64_t now_us(const orca__timekeeper *tk) {
  return orca_clock_now(tk->clock);
}

int orca__timekeeper_open(uv_loop_t *loop, const char *backend_url, const orca_clock *clock,
                          const char *node_id, orca__timekeeper **out, orca_err *err) {
  orca__timekeeper *tk = calloc(1, sizeof *tk);
  if (!tk)
    return orca_err_set(err, ORCA_ENOMEM, "timekeeper: out of memory");
  pthread_mutex_init(&tk->mu, NULL);
  tk->jobs = calloc(MAX_JOBS_PER_FIRE, sizeof *tk->jobs);
  tk->ids = calloc(MAX_JOBS_PER_FIRE, sizeof *tk->ids);
  tk->env_off = calloc(MAX_JOBS_PER_FIRE + 1, sizeof *tk->env_off);
  tk->fires = calloc(MAX_JOBS_PER_FIRE, sizeof *tk->fires);
  if (!tk->jobs || !tk->ids || !tk->env_off || !tk->fires) {
    orca__timekeeper_close(tk);
    return orca_err_set(err, ORCA_ENOMEM, "timekeeper: out of memory");
  }
  tk->loop = loop;
  tk->clock = clock;
  snprintf(tk->node, sizeof tk->node, "%s", node_id ? node_id : "node");
  tk->heap = (orca__timerheap)ORCA__TIMERHEAP_INIT;
  tk->next_due_us = INT64_MAX;
  orca__timekeeper_set_opts(tk, NULL);
  orca__backend_opts bo = {.clock = clock};
  int rc = orca__backend_open(backend_url, &bo, &tk->be, err);
  if (rc) {
    tk->be = NULL;
    orca__timekeeper_close(tk);
    return rc;
  }
  *out = tk;
  return 0;
}

void orca__timekeeper_set_opts(orca__timekeeper *tk, const orca__timekeeper_opts *o) {
  orca__timekeeper_opts d = {0};
  if (o)
    d = *o;
  if (d.grace_us <= 0)
    d.grace_us = 2000000;
  if (d.refresh_us <= 0)
    d.refresh_us = 1000000;
  if (d.promote_max == 0)
    d.promote_max = 1000;
  if (d.takeover_us <= 0)
    d.takeover_us = d.grace_us / 2;
  tk->opts = d;
}

static void kick(orca__timekeeper *tk);

int orca__timekeeper_add(orca__timekeeper *tk, const orca_schedule_desc *d, orca_err *err) {
  orca__schedule_spec spec;
  if (!d || !d->name || !*d->name || strlen(d->name) >= ORCA_NAME_MAX)
    return orca_err_set(err, ORCA_EINVAL, "schedule: name must be 1-%d bytes", ORCA_NAME_MAX - 1);
  orca__schedule_spec_from_desc(d, &spec);
  orca_err e = {0};
  if (orca__schedule_spec_check(&spec, NULL, NULL, &e))
    return orca_err_set(err, ORCA_EINVAL, "schedule '%s': %s", d->name, e.msg);
  pending_add p = {0};
  snprintf(p.name, sizeof p.name, "%s", d->name);
  if (orca__schedule_spec_encode(&spec, &p.blob)) {
    orca_buf_free(&p.blob);
    return orca_err_set(err, ORCA_ENOMEM, "schedule '%s': out of memory", d->name);
  }
  pthread_mutex_lock(&tk->mu);
  pending_add *np = realloc(tk->pend, (tk->npend + 1) * sizeof *np);
  if (np) {
    tk->pend = np;
    tk->pend[tk->npend++] = p;
  }
  pthread_mutex_unlock(&tk->mu);
  if (!np) {
    orca_buf_free(&p.blob);
    return orca_err_set(err, ORCA_ENOMEM, "schedule '%s': out of memory", d->name);
  }
  kick(tk);
  return 0;
}

/* ---- the local view of schedules ---- */

static sched *find(orca__timekeeper *tk, const char *name) {
  for (size_t i = 0; i < tk->ns; i++)
    if (strcmp(tk->s[i]->name, name) == 0)
      return tk->s[i];
  return NULL;
}

static void drop(orca__timekeeper *tk, sched *s) {
  orca__timerheap_remove(&tk->heap, &s->timer);
  for (size_t i = 0; i < tk->ns; i++)
    if (tk->s[i] == s) {
      tk->s[i] = tk->s[--tk->ns];
      break;
    }
  orca_tz_close(s->tz);
  orca_buf_free(&s->blob);
  free(s);
}

/* Install the spec bytes into s when they changed; an invalid stored spec
 * (written by a newer or broken client) disables the schedule here with a
 * warning, never a crash. */
static void set_spec(sched *s, const orca_buf *blob) {
  if (s->blob.len == blob->len && blob->len && memcmp(s->blob.data, blob->data, blob->len) == 0)
    return;
  orca_buf_reset(&s->blob);
  orca_tz_close(s->tz);
  s->tz = NULL;
  s->valid = false;
  if (orca_buf_append(&s->blob, blob->data, blob->len))
    return;
  orca_err e = {0};
  if (orca__schedule_spec_decode(s->blob.data, s->blob.len, &s->spec, &e) ||
      orca__schedule_spec_check(&s->spec, &s->cron, &s->tz, &e)) {
    orca_log(ORCA_LOG_WARN, "timekeeper: schedule '%s' ignored: %s", s->name, e.msg);
    return;
  }
  s->valid = true;
}

/* Bring the local copy of one schedule in line with the record read. */
static void apply_rec(orca__timekeeper *tk, const orca__schedule_rec *rec) {
  sched *s = find(tk, rec->name);
  if (!s) {
    s = calloc(1, sizeof *s);
    sched **ns = s ? realloc(tk->s, (tk->ns + 1) * sizeof *ns) : NULL;
    if (!ns) {
      free(s);
      return;
    }
    tk->s = ns;
    tk->s[tk->ns++] = s;
    snprintf(s->name, sizeof s->name, "%s", rec->name);
  }
  set_spec(s, &rec->spec);
  s->next_fire_us = rec->next_fire_us;
  s->paused = rec->paused;
  s->seen = true;
  bool armed = s->valid && !s->paused;
  if (armed && !s->armed)
    s->armed_since_us = tk->cycle_now_us; /* new, or resumed */
  s->armed = armed;
  if (armed)
    orca__timerheap_add(&tk->heap, &s->timer, s->next_fire_us);
  else
    orca__timerheap_remove(&tk->heap, &s->timer);
}

/* Note how a backend call went. A store that answers, even late, keeps this
 * node up; one that cannot be reached (ECONNECT, EIO) makes it down like
 * every other node, so when it answers again the node counts as up from
 * then on, and fires that came due in between were missed, not delayed. */
static void note_store(orca__timekeeper *tk, int rc) {
  if (rc == ORCA_ECONNECT || rc == ORCA_EIO) {
    tk->store_lost = true;
  } else if (tk->store_lost && (rc == 0 || rc == ORCA_ENOTFOUND || rc == ORCA_ECONFLICT)) {
    tk->store_lost = false;
    tk->up_since_us = now_us(tk);
  }
}

/* Retry a schedule whose fire met a backend error: soon after a busy store
 * (the call already waited), after a second otherwise. */
static int64_t retry_at(int rc, int64_t now) {
  return now +
         (rc == ORCA_ETIMEDOUT || rc == ORCA_EAGAIN ? RETRY_AFTER_BUSY_US : RETRY_AFTER_ERROR_US);
}

static int on_rec(void *ud, const orca__schedule_rec *rec) {
  apply_rec(ud, rec);
  return 0;
}

static int refresh(orca__timekeeper *tk) {
  for (size_t i = 0; i < tk->ns; i++)
    tk->s[i]->seen = false;
  int rc = tk->be->ops->schedule_list(tk->be, on_rec, tk);
  note_store(tk, rc);
  if (rc)
    return rc;
  for (size_t i = 0; i < tk->ns;) {
    if (!tk->s[i]->seen)
      drop(tk, tk->s[i]); /* removed elsewhere */
    else
      i++;
  }
  return 0;
}

/* Re-read one schedule after a conflict or before firing. Returns 0, or
 * ORCA_ENOTFOUND after dropping a removed schedule, or a backend error. */
static int reread(orca__timekeeper *tk, sched *s) {
  orca__schedule_rec rec = {0};
  int rc = tk->be->ops->schedule_get(tk->be, s->name, &rec);
  note_store(tk, rc);
  if (rc == 0)
    apply_rec(tk, &rec);
  else if (rc == ORCA_ENOTFOUND)
    drop(tk, s);
  orca_buf_free(&rec.spec);
  return rc;
}

/* ---- pending adds ---- */

static void write_adds(orca__timekeeper *tk, int64_t now) {
  pthread_mutex_lock(&tk->mu);
  pending_add *p = tk->pend;
  size_t n = tk->npend, kept = 0;
  tk->pend = NULL;
  tk->npend = 0;
  pthread_mutex_unlock(&tk->mu);
  for (size_t i = 0; i < n; i++) {
    orca__schedule_spec spec;
    orca_cron cron;
    orca_tz *tz = NULL;
    orca__schedule_rec rec = {0};
    int64_t first;
    int rc = ORCA_EINVAL; /* add() checked the spec, so this stays unused */
    if (orca__schedule_spec_decode(p[i].blob.data, p[i].blob.len, &spec, NULL) == 0 &&
        orca__schedule_spec_check(&spec, &cron, &tz, NULL) == 0 &&
        orca__schedule_next(&spec, &cron, tz, now, &first) == 0) {
      rc = tk->be->ops->schedule_get(tk->be, p[i].name, &rec);
      if (rc == ORCA_ENOTFOUND) {
        orca__schedule_rec nr = {.next_fire_us = first, .spec = p[i].blob};
        snprintf(nr.name, sizeof nr.name, "%s", p[i].name);
        rc = tk->be->ops->schedule_put(tk->be, &nr, true);
        if (rc == ORCA_EDUPLICATE)
          rc = 0; /* another node added it first */
      } else if (rc == 0 && (rec.spec.len != p[i].blob.len ||
                             memcmp(rec.spec.data, p[i].blob.data, rec.spec.len) != 0)) {
        /* The declaration changed (a redeploy): replace it, keep pause. */
        orca__schedule_rec nr = {.next_fire_us = first, .paused = rec.paused, .spec = p[i].blob};
        snprintf(nr.name, sizeof nr.name, "%s", p[i].name);
        rc = tk->be->ops->schedule_put(tk->be, &nr, false);
        orca_log(ORCA_LOG_INFO, "timekeeper: schedule '%s' definition updated", p[i].name);
      }
    }
    orca_tz_close(tz);
    orca_buf_free(&rec.spec);
    bool transient = rc == ORCA_ECONNECT || rc == ORCA_EIO || rc == ORCA_EBACKEND ||
                     rc == ORCA_ETIMEDOUT || rc == ORCA_EAGAIN;
    if (rc && !transient)
      orca_log(ORCA_LOG_ERROR, "timekeeper %s: cannot store schedule '%s': %s", tk->node, p[i].name,
               orca_strerror(rc));
    if (!transient) {
      orca_buf_free(&p[i].blob);
      continue;
    }
    /* The backend is unreachable for now: keep it for a later cycle. */
    orca_log(ORCA_LOG_WARN, "timekeeper %s: cannot store schedule '%s' yet: %s; retrying", tk->node,
             p[i].name, orca_strerror(rc));
    p[kept++] = p[i];
  }
  if (kept) {
    pthread_mutex_lock(&tk->mu);
    pending_add *np = realloc(p, (kept + tk->npend) * sizeof *np);
    if (np) {
      if (tk->npend)
        memcpy(np + kept, tk->pend, tk->npend * sizeof *np);
      free(tk->pend);
      tk->pend = np;
      tk->npend += kept;
      p = NULL;
    }
    pthread_mutex_unlock(&tk->mu);
    for (size_t i = 0; p && i < kept; i++)
      orca_buf_free(&p[i].blob);
    tk->retry_adds_at_us = now + RETRY_AFTER_ERROR_US;
  }
  free(p);
  tk->refresh_at_us = 0; /* read them back now */
}

/* ---- firing ---- */

/* Choose the fire times of one due schedule per its catch-up policy, into
 * tk->fires (chronological). Sets *next to the first fire not planned (the
 * first after now, or an on-time one left for the next round when more than
 * MAX_JOBS_PER_FIRE are due), *skipped to the missed fires dropped and *late
 * to the on-time fires planned more than the grace after their time.
 * Returns how many to enqueue, or 0 with *judge_at set (else INT64_MAX) when
 * it is too early to call fires missed (below).
 *
 * A fire is missed only when no node could make it: it came due more than
 * the grace before this node could fire it, i.e. before the later of the
 * time this node came up (started, or resumed after being stopped or cut
 * off from the store) and the time it began watching the schedule (first
 * read, or resumed). A fire that is late because the store was busy (a
 * frozen process holding SQLite's write lock, a slow server) or because the
 * engine waited on an earlier call is on time and always fires: catch-up
 * policies are about nodes being down, not slow.
 *
 * A node that has just come up cannot tell whether other nodes were up
 * meanwhile, waiting on a store that may have been held by this very node
 * while it was stopped (SQLite's write lock): so it judges fires missed
 * only one grace after coming up, and the nodes that were up make them,
 * late, in the meantime. Alone, it applies the policy a grace later. */
static size_t plan(orca__timekeeper *tk, const sched *s, int64_t now, int64_t *next,
                   uint64_t *skipped, uint64_t *late, int64_t *judge_at) {
  const orca__schedule_spec *sp = &s->spec;
  int64_t from = tk->up_since_us > s->armed_since_us ? tk->up_since_us : s->armed_since_us;
  if (from > now)
    from = now;
  int64_t grace_from = from - tk->opts.grace_us;
  *judge_at = INT64_MAX;
  if (s->next_fire_us < grace_from && now < from + tk->opts.grace_us) {
    *judge_at = from + tk->opts.grace_us;
    *skipped = *late = 0;
    return 0;
  }
  size_t cap = MAX_JOBS_PER_FIRE, n = 0;
  uint32_t keep_missed = sp->catchup == ORCA_CATCHUP_ALL    ? sp->catchup_max
                         : sp->catchup == ORCA_CATCHUP_ONCE ? 1
                                                            : 0;
  if (keep_missed > cap / 2)
    keep_missed = (uint32_t)(cap / 2);
  uint64_t missed = 0;
  int64_t f = s->next_fire_us;
  /* Walk the missed fires, remembering only the last keep_missed of them
   * (a ring in fires[0..keep_missed)). */
  size_t ring = 0;
  for (size_t steps = 0; f < grace_from && steps < MAX_ENUMERATED; steps++) {
    if (keep_missed)
      tk->fires[ring++ % keep_missed] = f;
    missed++;
    if (orca__schedule_next(sp, &s->cron, s->tz, f, &f)) {
      f = INT64_MAX;
      break;
    }
  }
  if (f < grace_from) { /* too far behind to walk: jump */
    if (orca__schedule_next(sp, &s->cron, s->tz, grace_from - 1, &f))
      f = INT64_MAX;
  }
  /* Unroll the ring into chronological order. */
  size_t kept = missed < keep_missed ? (size_t)missed : keep_missed;
  if (kept && ring > kept) {
    int64_t tmp[MAX_JOBS_PER_FIRE / 2];
    for (size_t i = 0; i < kept; i++)
      tmp[i] = tk->fires[(ring + i) % kept];
    memcpy(tk->fires, tmp, kept * sizeof *tmp);
  }
  n = kept;
  *skipped = missed - kept;
  /* The on-time fires: all of them, whatever the policy; past the cap the
   * rest wait for the next round (next stays due). */
  *late = 0;
  while (f <= now && f != INT64_MAX && n < cap) {
    if (f < now - tk->opts.grace_us)
      (*late)++;
    tk->fires[n++] = f;
    if (orca__schedule_next(sp, &s->cron, s->tz, f, &f))
      f = INT64_MAX;
  }
  *next = f;
  return n;
}

/* Build the jobs for fires[0..n): ids SCHEDULE@FIRE_TIME, envelopes in
 * tk->env. task and queue are NUL-terminated copies the caller keeps alive
 * until the backend call. Returns 0 or an error. */
static int build_jobs(orca__timekeeper *tk, const sched *s, size_t n, int64_t now, const char *task,
                      const char *queue) {
  const orca__schedule_spec *sp = &s->spec;
  orca_buf_reset(&tk->env);
  for (size_t i = 0; i < n; i++) {
    int rc = orca__schedule_fire_id(s->name, tk->fires[i], tk->ids[i], ORCA_ID_MAX);
    if (rc)
      return rc;
    orca__envelope e = {
        .v = ORCA__ENVELOPE_VERSION,
        .id = {tk->ids[i], strlen(tk->ids[i])},
        .task = {sp->task, sp->task_len},
        .fingerprint = sp->fingerprint,
        .queue = {sp->queue, sp->queue_len},
        .priority = sp->priority,
        .enqueued_us = now,
        .eta_us = tk->fires[i],
        .args = sp->args,
        .args_len = sp->args_len,
    };
    tk->env_off[i] = tk->env.len;
    if ((rc = orca__envelope_encode(&e, &tk->env)))
      return rc;
    tk->env_off[i + 1] = tk->env.len;
  }
  /* Point the jobs at the envelopes only now: the buffer may have moved. */
  for (size_t i = 0; i < n; i++) {
    tk->jobs[i] = (orca__job){
        .id = tk->ids[i],
        .task = task,
        .queue = queue,
        .priority = sp->priority,
        .eta_us = tk->fires[i],
        .payload = tk->env.data + tk->env_off[i],
        .payload_len = tk->env_off[i + 1] - tk->env_off[i],
    };
  }
  return 0;
}

/* Fire one due schedule as of now, the cycle's start (fires that came due
 * since, while an earlier call waited on the store, are on time for the
 * next cycle, which follows at once). Returns the number of tasks this node
 * enqueued. */
static int fire(orca__timekeeper *tk, sched *s, int64_t now) {
  /* Not ours (opts.owns): the owner fires; look again a takeover later,
   * when the reread below finds the fire done, or does it. */
  if (tk->opts.owns && now < s->next_fire_us + tk->opts.takeover_us &&
      !tk->opts.owns(tk->opts.owns_ud, s->name)) {
    pthread_mutex_lock(&tk->mu);
    tk->st.deferred++;
    pthread_mutex_unlock(&tk->mu);
    orca__timerheap_add(&tk->heap, &s->timer, s->next_fire_us + tk->opts.takeover_us);
    return 0;
  }
  /* Read the stored state first: another node may have fired, paused or
   * removed it since our last look, and firing from a stale next_fire would
   * only earn a conflict. */
  int rc = reread(tk, s);
  if (rc == ORCA_ENOTFOUND)
    return 0;
  if (rc)
    goto retry_later;
  if (!s->valid || s->paused || s->next_fire_us > now)
    return 0; /* apply_rec re-armed it */
  for (int attempt = 0; attempt < 3; attempt++) {
    int64_t next;
    uint64_t skipped, late;
    int64_t judge_at;
    size_t n = plan(tk, s, now, &next, &skipped, &late, &judge_at);
    if (judge_at != INT64_MAX) { /* just came up: leave missed fires to others a while */
      orca__timerheap_add(&tk->heap, &s->timer, judge_at);
      return 0;
    }
    char task[ORCA_NAME_MAX], queue[ORCA_NAME_MAX];
    snprintf(task, sizeof task, "%.*s", (int)s->spec.task_len, s->spec.task);
    snprintf(queue, sizeof queue, "%.*s", (int)s->spec.queue_len, s->spec.queue);
    if ((rc = build_jobs(tk, s, n, now, task, queue)))
      goto retry_later;
    int64_t expected = s->next_fire_us;
    rc = tk->be->ops->schedule_fire(tk->be, s->name, expected, next, tk->jobs, n);
    note_store(tk, rc);
    if (rc == 0) {
      if (tk->opts.on_fires)
        tk->opts.on_fires(tk->opts.fires_ud, tk->fires, n, now_us(tk), skipped);
      pthread_mutex_lock(&tk->mu);
      tk->st.fires += n;
      tk->st.skipped += skipped;
      tk->st.late += late;
      pthread_mutex_unlock(&tk->mu);
      if (skipped)
        orca_log(ORCA_LOG_INFO, "timekeeper %s: schedule '%s': %llu missed fires skipped", tk->node,
                 s->name, (unsigned long long)skipped);
      if (late)
        orca_log(ORCA_LOG_INFO,
                 "timekeeper %s: schedule '%s': %llu fires made late (store busy or node "
                 "blocked), none skipped",
                 tk->node, s->name, (unsigned long long)late);
      s->next_fire_us = next;
      if (next != INT64_MAX)
        orca__timerheap_add(&tk->heap, &s->timer, next);
      return (int)n;
    }
    if (rc != ORCA_ECONFLICT)
      goto retry_later;
    pthread_mutex_lock(&tk->mu);
    tk->st.conflicts++;
    pthread_mutex_unlock(&tk->mu);
    rc = reread(tk, s); /* another node fired: take its next_fire */
    if (rc == ORCA_ENOTFOUND)
      return 0;
    if (rc)
      goto retry_later;
    if (!s->valid || s->paused || s->next_fire_us > now)
      return 0;
  }
  rc = ORCA_ECONFLICT; /* kept losing: back off instead of spinning */
retry_later:
  orca_log(ORCA_LOG_WARN, "timekeeper %s: schedule '%s' not fired: %s; retrying", tk->node, s->name,
           orca_strerror(rc));
  orca__timerheap_add(&tk->heap, &s->timer, retry_at(rc, now_us(tk)));
  return 0;
}

static void promote(orca__timekeeper *tk, int64_t now) {
  if (tk->promote_off || !tk->be->ops->promote || now < tk->promote_at_us)
    return;
  if (tk->opts.owns && !tk->opts.owns(tk->opts.owns_ud, ORCA__TK_PROMOTE_KEY)) {
    if (tk->promote_defer_us == 0) /* the owner promotes; stand by a takeover */
      tk->promote_defer_us = now + tk->opts.takeover_us;
    if (now < tk->promote_defer_us) {
      tk->promote_at_us = tk->promote_defer_us;
      return;
    }
  }
  tk->promote_defer_us = 0;
  int64_t next = INT64_MAX;
  int rc = tk->be->ops->promote(tk->be, now, tk->opts.promote_max, &next);
  if (rc == ORCA_ENOTSUP) {
    tk->promote_off = true;
    return;
  }
  note_store(tk, rc < 0 ? rc : 0);
  if (rc < 0)
    next = retry_at(rc, now);
  else if ((size_t)rc >= tk->opts.promote_max)
    next = now; /* more are due */
  /* Deferred tasks are added by other processes too, so look again within a
   * refresh period even when none is known. */
  if (next > now + tk->opts.refresh_us)
    next = now + tk->opts.refresh_us;
  tk->promote_at_us = next;
}

static int cycle(orca__timekeeper *tk) {
  int64_t now = now_us(tk);
  int fired = 0;
  /* Was this node down since the last cycle? A cycle that starts more than
   * the grace after it was due means the process did not run in between
   * (stopped, its loop stalled): fires that came due meanwhile were missed.
   * A cycle that starts late because the previous one waited on the store
   * started when it could, which does not count. */
  int64_t was_due = tk->next_due_us > tk->last_end_us ? tk->next_due_us : tk->last_end_us;
  if (!tk->ran || (was_due != INT64_MAX && now - was_due > tk->opts.grace_us))
    tk->up_since_us = now;
  tk->ran = true;
  tk->cycle_now_us = now;
  if (now >= tk->retry_adds_at_us)
    write_adds(tk, now);
  if (now >= tk->refresh_at_us) {
    int rc = refresh(tk);
    tk->refresh_at_us = now + (rc ? RETRY_AFTER_ERROR_US : tk->opts.refresh_us);
    if (rc)
      orca_log(ORCA_LOG_WARN, "timekeeper %s: cannot list schedules: %s", tk->node,
               orca_strerror(rc));
  }
  orca__timer *t;
  while ((t = orca__timerheap_pop_due(&tk->heap, now)))
    fired += fire(tk, (sched *)t, now);
  promote(tk, now);
  int64_t due = tk->refresh_at_us;
  pthread_mutex_lock(&tk->mu);
  if (tk->npend && tk->retry_adds_at_us < due)
    due = tk->retry_adds_at_us;
  pthread_mutex_unlock(&tk->mu);
  if (!tk->promote_off && tk->be->ops->promote && tk->promote_at_us < due)
    due = tk->promote_at_us;
  if ((t = orca__timerheap_peek(&tk->heap)) && t->due_us < due)
    due = t->due_us;
  tk->next_due_us = due;
  tk->last_end_us = now_us(tk);
  pthread_mutex_lock(&tk->mu);
  tk->st.cycles++;
  pthread_mutex_unlock(&tk->mu);
  return fired;
}

int orca__timekeeper_tick(orca__timekeeper *tk, int64_t *next_due_us) {
  int n = cycle(tk);
  if (next_due_us)
    *next_due_us = tk->next_due_us;
  return n;
}

void orca__timekeeper_stats_get(const orca__timekeeper *tk, orca__timekeeper_stats *st) {
  pthread_mutex_lock((pthread_mutex_t *)&tk->mu);
  *st = tk->st;
  pthread_mutex_unlock((pthread_mutex_t *)&tk->mu);
}

/* ---- loop mode ---- */

static void free_tk(orca__timekeeper *tk) {
  while (tk->ns)
    drop(tk, tk->s[tk->ns - 1]);
  free(tk->s);
  for (size_t i = 0; i < tk->npend; i++)
    orca_buf_free(&tk->pend[i].blob);
  free(tk->pend);
  orca__timerheap_free(&tk->heap);
  orca_buf_free(&tk->env);
  free(tk->jobs);
  free(tk->ids);
  free(tk->env_off);
  free(tk->fires);
  if (tk->be)
    orca__backend_close(tk->be);
  pthread_mutex_destroy(&tk->mu);
  free(tk);
}

static void maybe_free(orca__timekeeper *tk) {
  if (tk->closing && !tk->busy && !tk->timer_open)
    free_tk(tk);
}

static void work_cb(uv_work_t *w) {
  orca__timekeeper *tk = w->data;
  tk->last_fired = cycle(tk);
}

static void on_timer(uv_timer_t *t);

static void arm(orca__timekeeper *tk) {
  int64_t delay_us = tk->rerun ? 0 : tk->next_due_us - now_us(tk);
  tk->rerun = false;
  uint64_t ms = delay_us <= 0 ? 0 : (uint64_t)((delay_us + 999) / 1000);
  uv_timer_start(&tk->timer, on_timer, ms, 0);
}

static void after_work(uv_work_t *w, int status) {
  orca__timekeeper *tk = w->data;
  (void)status;
  tk->busy = false;
  if (tk->opts.on_cycle)
    tk->opts.on_cycle(tk->opts.ud, tk->last_fired);
  if (tk->closing) {
    maybe_free(tk);
    return;
  }
  arm(tk);
}

static void on_timer(uv_timer_t *t) {
  orca__timekeeper *tk = t->data;
  if (tk->busy || tk->closing) {
    tk->rerun = true;
    return;
  }
  tk->busy = true;
  tk->work.data = tk;
  if (uv_queue_work(tk->loop, &tk->work, work_cb, after_work)) {
    tk->busy = false;
    uv_timer_start(&tk->timer, on_timer, RETRY_AFTER_ERROR_US / 1000, 0);
  }
}

/* Wake the engine soon: a new schedule was added. Called on the loop thread
 * (or before start); in manual mode the next tick picks adds up anyway. */
static void kick(orca__timekeeper *tk) {
  if (!tk->started || tk->closing)
    return;
  if (tk->busy)
    tk->rerun = true;
  else
    uv_timer_start(&tk->timer, on_timer, 0, 0);
}

int orca__timekeeper_start(orca__timekeeper *tk) {
  if (!tk->loop)
    return ORCA_EINVAL;
  if (tk->started)
    return 0;
  if (uv_timer_init(tk->loop, &tk->timer))
    return ORCA_EIO;
  tk->timer.data = tk;
  tk->timer_open = true;
  tk->started = true;
  uv_timer_start(&tk->timer, on_timer, 0, 0);
  return 0;
}

static void on_timer_closed(uv_handle_t *h) {
  orca__timekeeper *tk = h->data;
  tk->timer_open = false;
  maybe_free(tk);
}

void orca__timekeeper_close(orca__timekeeper *tk) {
  if (!tk)
    return;
  tk->closing = true;
  if (tk->timer_open) {
    uv_timer_stop(&tk->timer);
    if (tk->busy && tk->be)
      tk->be->ops->interrupt(tk->be); /* end a blocking call early */
    uv_close((uv_handle_t *)&tk->timer, on_timer_closed);
    return;
  }
  maybe_free(tk);
}
