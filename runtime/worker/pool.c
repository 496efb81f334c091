/* pool.c — the handler threads. Each one takes the oldest ready slot,
 * runs it (task.c), queues the completion for the pump and wakes it.
 * A thread stops taking work as soon as the worker is stopping; whatever is
 * still ready then is released by the pump. */
#include "base/logctx.h"
#include "worker/worker_internal.h"

void *orca__handler_main(void *arg) {
  orca__hthread *ht = arg;
  orca_worker *w = ht->w;
  orca__log_set_worker(w->id);
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->stopping && !w->ready_head)
      pthread_cond_wait(&w->work_cv, &w->mu);
    if (w->stopping)
      break;
    orca__slot *s = w->ready_head;
    w->ready_head = s->next;
    if (!w->ready_head)
      w->ready_tail = NULL;
    s->next = NULL;
    ht->cur = s;
    pthread_mutex_unlock(&w->mu);

    int64_t t0 = orca_monotonic_us();
    orca__task_run(ht, s);
    s->run_us = orca_monotonic_us() - t0;

    pthread_mutex_lock(&w->mu);
    ht->cur = NULL;
    if (s->abandoned) {
      /* Released by the pump at the end of the shutdown grace while it ran:
       * the backend already has it back; only the memory returns. */
      s->abandoned = false;
      s->next = w->free_list;
      w->free_list = s;
      w->nfree++;
    } else {
      if (w->done_tail)
        w->done_tail->next = s;
      else
        w->done_head = s;
      w->done_tail = s;
    }
    orca__pump_wake_locked(w);
  }
  ht->exited = true;
  pthread_cond_broadcast(&w->idle_cv);
  pthread_mutex_unlock(&w->mu);
  return NULL;
}
