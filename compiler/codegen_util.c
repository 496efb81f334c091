/* codegen_util.c — the memory pool and the string buffer of the code
 * generator.
 *
 * The generator builds many small strings (names, initializers, literals)
 * whose lifetimes all end together when the output files are written; a pool
 * that is released at once keeps that free of bookkeeping. */
#include "codegen_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CG_CHUNK (64 * 1024)

typedef struct cg_chunk {
  struct cg_chunk *next;
  size_t used, cap;
  max_align_t data[]; /* aligned for anything */
} cg_chunk;

struct cg_pool {
  cg_chunk *head;
};

static void oom(void) {
  fputs("orcac: out of memory\n", stderr);
  abort();
}

cg_pool *cg_pool_new(void) {
  return calloc(1, sizeof(cg_pool));
}

void cg_pool_free(cg_pool *p) {
  if (!p)
    return;
  for (cg_chunk *c = p->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(p);
}

void *cg_alloc(cg_pool *p, size_t size) {
  size_t align = sizeof(max_align_t);
  size = (size + align - 1) / align * align;
  cg_chunk *c = p->head;
  if (!c || c->cap - c->used < size) {
    size_t cap = size > CG_CHUNK ? size : CG_CHUNK;
    c = malloc(sizeof(cg_chunk) + cap);
    if (!c)
      oom();
    c->used = 0;
    c->cap = cap;
    c->next = p->head;
    p->head = c;
  }
  void *r = (char *)c->data + c->used;
  c->used += size;
  memset(r, 0, size);
  return r;
}

char *cg_strndup(cg_pool *p, const char *s, size_t n) {
  char *r = cg_alloc(p, n + 1);
  memcpy(r, s, n);
  r[n] = '\0';
  return r;
}

char *cg_strdup(cg_pool *p, const char *s) {
  return cg_strndup(p, s, strlen(s));
}

static char *vformat(cg_pool *p, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    oom();
  char *r = cg_alloc(p, (size_t)n + 1);
  vsnprintf(r, (size_t)n + 1, fmt, ap);
  return r;
}

char *cg_printf(cg_pool *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *r = vformat(p, fmt, ap);
  va_end(ap);
  return r;
}

static void reserve(cg_sb *b, size_t extra) {
  if (b->cap - b->len > extra)
    return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len <= extra)
    cap *= 2;
  char *d = realloc(b->data, cap);
  if (!d)
    oom();
  b->data = d;
  b->cap = cap;
}

void cg_sb_putn(cg_sb *b, const char *s, size_t n) {
  reserve(b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void cg_sb_puts(cg_sb *b, const char *s) {
  cg_sb_putn(b, s, strlen(s));
}

void cg_sb_putc(cg_sb *b, char c) {
  cg_sb_putn(b, &c, 1);
}

void cg_sb_printf(cg_sb *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    oom();
  reserve(b, (size_t)n);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void cg_sb_free(cg_sb *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *cg_sb_pool(cg_pool *p, const cg_sb *b) {
  return cg_strndup(p, b->len ? b->data : "", b->len);
}
