/* notify.c — how a blocked fetch or state_wait learns that another process
 * (or thread) committed something, without a polling interval.
 *
 * Next to the database lives a small file, PATH-notify, that every handle
 * maps shared. Its first word is a commit counter. A handle that commits a
 * change others may wait for (new ready tasks, final states) increments the
 * counter and does a FUTEX_WAKE on it; the futex is keyed by the file's page,
 * so the wake reaches waiters in every process on the host. A waiter reads
 * the counter *before* it reads the database and then sleeps with FUTEX_WAIT
 * on the value it read: if a commit landed in between, the value differs and
 * the wait returns at once, so no wake-up is lost. Deferred tasks and lease
 * expiries need no writer: the waiter's timeout is the earliest eta or
 * lease_until in the database. interrupt() sets the handle's flag and bumps
 * the counter, which wakes the waiter (and, harmlessly, the database's other
 * waiters, which look once and sleep again).
 *
 * No file descriptor or kernel object is held per handle beyond the mapping,
 * so there is no inotify-style per-user limit. If the file cannot be mapped
 * the waiter re-reads every ORCA__SQ_FALLBACK_MS instead. */
#include "backend/sqlite/sqlite_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ORCA__SQ_FALLBACK_MS 20
#define ORCA__SQ_NOTIFY_SIZE 64

int orca__sq_notify_open(orca__sqlite *s, orca_err *err) {
  orca__sq_notify *n = &s->notify;
  size_t len = strlen(s->path) + sizeof "-notify";
  char *p = malloc(len);
  if (!p)
    return orca_err_set(err, ORCA_ENOMEM, "sqlite: out of memory opening '%s'", s->path);
  snprintf(p, len, "%s-notify", s->path);
  int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    int e = errno;
    orca_err_set(err, ORCA_EIO, "sqlite: cannot open notification file '%s': %s", p, strerror(e));
    free(p);
    return ORCA_EIO;
  }
  free(p);
  /* Only ever grow the file: another process may have mapped it already. */
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size < ORCA__SQ_NOTIFY_SIZE)
    (void)!ftruncate(fd, ORCA__SQ_NOTIFY_SIZE);
  void *m = mmap(NULL, ORCA__SQ_NOTIFY_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  n->word = m == MAP_FAILED ? NULL : (uint32_t *)m;
  atomic_store(&n->interrupted, 0);
  return 0;
}

void orca__sq_notify_close(orca__sqlite *s) {
  if (s->notify.word)
    munmap(s->notify.word, ORCA__SQ_NOTIFY_SIZE);
  s->notify.word = NULL;
}

/* Bump the counter and wake every waiter on it, in any process. */
static void bump(uint32_t *word) {
  __atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

void orca__sq_notify_signal(orca__sqlite *s) {
  if (s->notify.word)
    bump(s->notify.word);
}

void orca__sq_notify_drain(orca__sqlite *s) {
  if (s->notify.word)
    s->notify.seen = __atomic_load_n(s->notify.word, __ATOMIC_SEQ_CST);
}

int orca__sq_notify_wait(orca__sqlite *s, int64_t until_mono_us) {
  orca__sq_notify *n = &s->notify;
  if (atomic_exchange(&n->interrupted, 0))
    return 1;
  int64_t left = until_mono_us - orca_monotonic_us();
  if (left < 0)
    left = 0;
  if (!n->word && left > ORCA__SQ_FALLBACK_MS * 1000)
    left = ORCA__SQ_FALLBACK_MS * 1000;
  struct timespec ts = {(time_t)(left / 1000000), (long)(left % 1000000) * 1000};
  if (n->word)
    syscall(SYS_futex, n->word, FUTEX_WAIT, n->seen, &ts, NULL, 0);
  else
    nanosleep(&ts, NULL);
  return atomic_exchange(&n->interrupted, 0) ? 1 : 0;
}

void orca__sq_interrupt(orca__sqlite *s) {
  atomic_store(&s->notify.interrupted, 1);
  if (s->notify.word)
    bump(s->notify.word);
}
