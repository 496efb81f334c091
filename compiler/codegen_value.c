/* codegen_value.c — the plain value tree (strings, booleans, lists, objects)
 * that the code generator's model is made of and its templates render.
 *
 * Objects are short insertion-ordered key lists: a model object has a dozen
 * keys at most, so a linear lookup is the simplest thing that is fast. */
#include "codegen_internal.h"

#include <stdio.h>
#include <string.h>

static cg_val *make(cg_pool *p, cg_kind k) {
  cg_val *v = cg_alloc(p, sizeof *v);
  v->kind = k;
  return v;
}

cg_val *cg_obj(cg_pool *p) {
  return make(p, CG_OBJ);
}
cg_val *cg_list(cg_pool *p) {
  return make(p, CG_LIST);
}

cg_val *cg_str(cg_pool *p, const char *s) {
  cg_val *v = make(p, CG_STR);
  v->str = cg_strdup(p, s ? s : "");
  return v;
}

cg_val *cg_bool(cg_pool *p, bool b) {
  cg_val *v = make(p, CG_BOOL);
  v->b = b;
  return v;
}

void cg_push(cg_pool *p, cg_val *list, cg_val *item) {
  if (list->len == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 8;
    cg_val **items = cg_alloc(p, cap * sizeof *items);
    if (list->len)
      memcpy(items, list->items, list->len * sizeof *items);
    list->items = items;
    list->cap = cap;
  }
  list->items[list->len++] = item;
}

cg_val *cg_get(const cg_val *obj, const char *key) {
  if (!obj || obj->kind != CG_OBJ)
    return NULL;
  for (const cg_pair *e = obj->head; e; e = e->next)
    if (strcmp(e->key, key) == 0)
      return e->val;
  return NULL;
}

cg_val *cg_set(cg_pool *p, cg_val *obj, const char *key, cg_val *v) {
  for (cg_pair *e = obj->head; e; e = e->next)
    if (strcmp(e->key, key) == 0) {
      e->val = v;
      return v;
    }
  cg_pair *e = cg_alloc(p, sizeof *e);
  e->key = cg_strdup(p, key);
  e->val = v;
  if (obj->tail)
    obj->tail->next = e;
  else
    obj->head = e;
  obj->tail = e;
  return v;
}

void cg_set_str(cg_pool *p, cg_val *obj, const char *key, const char *s) {
  cg_set(p, obj, key, cg_str(p, s));
}

void cg_set_strf(cg_pool *p, cg_val *obj, const char *key, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  char *s = cg_alloc(p, (size_t)(n > 0 ? n : 0) + 1);
  if (n > 0)
    vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  cg_val *v = cg_alloc(p, sizeof *v);
  v->kind = CG_STR;
  v->str = s;
  cg_set(p, obj, key, v);
}

void cg_set_bool(cg_pool *p, cg_val *obj, const char *key, bool b) {
  cg_set(p, obj, key, cg_bool(p, b));
}
