/* logctx.h — the per-thread context of log lines (orca/log.h,
 * orca_log_context): a worker names itself on its threads, a handler thread
 * names the task it runs. Thread-local pointers: setting them costs nothing
 * on the task path; the strings must stay valid while they are set. */
#ifndef ORCA__BASE_LOGCTX_H
#define ORCA__BASE_LOGCTX_H

/* The worker id of the calling thread's lines (NULL = none). */
void orca__log_set_worker(const char *worker);
/* The task the calling thread runs (NULL each = none): id, qualified task
 * name, queue. */
void orca__log_set_task(const char *id, const char *task, const char *queue);

#endif
