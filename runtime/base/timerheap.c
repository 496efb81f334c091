/* timerheap.c — the 4-ary min-heap of timerheap.h. Children of slot i are
 * 4i+1 .. 4i+4; every move writes the entry and updates its timer's pos so
 * cancel can find a timer in O(1) and fix the heap in O(log n). */
#include "base/timerheap.h"

#include <stdlib.h>

#include "orca/error.h"

static int less(const orca__timerheap_entry *x, const orca__timerheap_entry *y) {
  return x->due_us < y->due_us || (x->due_us == y->due_us && x->seq < y->seq);
}

static void place(orca__timerheap *h, size_t i, orca__timerheap_entry e) {
  h->a[i] = e;
  e.t->pos = (uint32_t)(i + 1);
}

static void sift_up(orca__timerheap *h, size_t i, orca__timerheap_entry e) {
  while (i > 0) {
    size_t p = (i - 1) / 4;
    if (!less(&e, &h->a[p]))
      break;
    place(h, i, h->a[p]);
    i = p;
  }
  place(h, i, e);
}

static void sift_down(orca__timerheap *h, size_t i, orca__timerheap_entry e) {
  for (;;) {
    size_t c = 4 * i + 1, best = c;
    if (c >= h->n)
      break;
    size_t end = c + 4 < h->n ? c + 4 : h->n;
    for (size_t k = c + 1; k < end; k++)
      if (less(&h->a[k], &h->a[best]))
        best = k;
    if (!less(&h->a[best], &e))
      break;
    place(h, i, h->a[best]);
    i = best;
  }
  place(h, i, e);
}

int orca__timerheap_add(orca__timerheap *h, orca__timer *t, int64_t due_us) {
  if (t->pos)
    orca__timerheap_remove(h, t);
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    if (cap > UINT32_MAX - 1)
      return ORCA_ENOMEM;
    orca__timerheap_entry *a = realloc(h->a, cap * sizeof *a);
    if (!a)
      return ORCA_ENOMEM;
    h->a = a;
    h->cap = cap;
  }
  t->due_us = due_us;
  orca__timerheap_entry e = {due_us, h->seq++, t};
  sift_up(h, h->n++, e);
  return 0;
}

void orca__timerheap_remove(orca__timerheap *h, orca__timer *t) {
  if (!t->pos)
    return;
  size_t i = t->pos - 1;
  t->pos = 0;
  orca__timerheap_entry last = h->a[--h->n];
  if (i == h->n)
    return;
  /* The last entry fills the hole and moves whichever way restores order. */
  if (i > 0 && less(&last, &h->a[(i - 1) / 4]))
    sift_up(h, i, last);
  else
    sift_down(h, i, last);
}

orca__timer *orca__timerheap_peek(const orca__timerheap *h) {
  return h->n ? h->a[0].t : NULL;
}

orca__timer *orca__timerheap_pop_due(orca__timerheap *h, int64_t now_us) {
  if (!h->n || h->a[0].due_us > now_us)
    return NULL;
  orca__timer *t = h->a[0].t;
  orca__timerheap_remove(h, t);
  return t;
}

void orca__timerheap_free(orca__timerheap *h) {
  free(h->a);
  *h = (orca__timerheap)ORCA__TIMERHEAP_INIT;
}
