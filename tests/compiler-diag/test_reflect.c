/* tests/compiler-diag/test_reflect.c — orcac_schema_load(): the tables the
 * `orca` CLI builds from a .orca file at run time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/reflect.h"

static char path[1024];

static const char *example(void) {
  const char *src = getenv("ORCA_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/tests/compiler-diag/good/issue_example.orca", src ? src : ".");
  return path;
}

static const orca_struct_desc *find_struct(const orca_schema *s, const char *name) {
  for (uint32_t i = 0; i < s->nstructs; i++)
    if (strcmp(s->structs[i]->name, name) == 0)
      return s->structs[i];
  return NULL;
}

static void test_load_example(void **state) {
  (void)state;
  orca_schema *s = NULL;
  orca_err err = {0};
  assert_int_equal(orcac_schema_load(example(), NULL, 0, &s, &err), 0);
  assert_string_equal(s->package, "shop");
  assert_int_equal(s->nstructs, 3);
  assert_int_equal(s->nenums, 1);
  assert_int_equal(s->ntasks, 4);
  assert_int_equal(s->nschedules, 2);
  const orca_struct_desc *order = find_struct(s, "shop.Order");
  assert_non_null(order);
  assert_string_equal(order->c_name, "shop_order");
  assert_int_equal(order->nfields, 7);
  assert_int_equal(order->fields[1].id, 2);
  assert_int_equal(order->fields[1].type->kind, ORCA_KIND_LIST);
  assert_int_equal(order->fields[1].type->elem->kind, ORCA_KIND_STRUCT);
  assert_string_equal(order->fields[1].type->elem->sdesc->name, "shop.Item");
  assert_int_equal(order->fields[2].type->kind, ORCA_KIND_MAP);
  assert_int_equal(order->fields[2].type->key->kind, ORCA_KIND_STRING);
  assert_int_equal(order->fields[3].type->kind, ORCA_KIND_ENUM);
  assert_int_equal(order->fields[3].type->edesc->nvalues, 2);
  const orca_task_desc *charge = orca_schema_task(s, "shop.charge");
  assert_non_null(charge);
  assert_string_equal(charge->queue, "payments");
  assert_int_equal(charge->retry.max_attempts, 5);
  assert_int_equal(charge->retry.backoff, ORCA_BACKOFF_EXPONENTIAL);
  assert_int_equal(charge->retry.base_us, 1000000);
  assert_int_equal(charge->retry.max_us, 300000000);
  assert_true(charge->retry.jitter);
  assert_int_equal(charge->timeout_us, 30000000);
  assert_int_equal(charge->args->nfields, 2);
  assert_string_equal(charge->args->name, "shop.charge.args");
  assert_int_equal(charge->result->kind, ORCA_KIND_STRUCT);
  assert_int_not_equal(charge->args->fingerprint, 0);
  const orca_task_desc *ping = orca_schema_task(s, "shop.ping");
  assert_non_null(ping);
  assert_null(ping->result);
  assert_string_equal(ping->queue, "default");
  const orca_schedule_desc *nightly = s->schedules[0];
  assert_string_equal(nightly->name, "shop.nightly");
  assert_ptr_equal(nightly->task, charge);
  assert_string_equal(nightly->tz, "Europe/Paris");
  assert_int_equal(nightly->catchup, ORCA_CATCHUP_ONCE);
  /* {1: {1: "sweep"}} as msgpack */
  static const uint8_t want[] = {0x81, 0x01, 0x81, 0x01, 0xa5, 's', 'w', 'e', 'e', 'p'};
  assert_int_equal(nightly->args_len, sizeof want);
  assert_memory_equal(nightly->args, want, sizeof want);
  assert_int_equal(s->schedules[1]->every_us, 15000000);
  orcac_schema_free(s);
}

static void test_fingerprints_stable(void **state) {
  (void)state;
  orca_schema *a = NULL, *b = NULL;
  orca_err err = {0};
  assert_int_equal(orcac_schema_load(example(), NULL, 0, &a, &err), 0);
  assert_int_equal(orcac_schema_load(example(), NULL, 0, &b, &err), 0);
  for (uint32_t i = 0; i < a->nstructs; i++)
    assert_int_equal(a->structs[i]->fingerprint, b->structs[i]->fingerprint);
  assert_int_not_equal(find_struct(a, "shop.Order")->fingerprint,
                       find_struct(a, "shop.Item")->fingerprint);
  orcac_schema_free(a);
  orcac_schema_free(b);
}

/* Write text to a temp .orca file; returns its path in buf. */
static void write_tmp(char *buf, size_t cap, const char *text) {
  snprintf(buf, cap, "/tmp/orca_reflect_XXXXXX.orca");
  int fd = mkstemps(buf, 5);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
}

static uint64_t fp_of(const char *text, const char *name) {
  char p[64];
  write_tmp(p, sizeof p, text);
  orca_schema *s = NULL;
  orca_err err = {0};
  int rc = orcac_schema_load(p, NULL, 0, &s, &err);
  remove(p);
  assert_int_equal(rc, 0);
  uint64_t fp = find_struct(s, name)->fingerprint;
  orcac_schema_free(s);
  return fp;
}

static void test_fingerprint_rules(void **state) {
  (void)state;
  uint64_t base = fp_of("package p; struct A { 1: i32 x; 2: string y; }", "p.A");
  /* Renames, docs and defaults do not change the wire contract. */
  assert_int_equal(
      base, fp_of("package p; /// doc\nstruct A { 1: i32 renamed = 5; 2: string y; }", "p.A"));
  assert_int_equal(base, fp_of("package q; struct A { 2: string y; 1: i32 x; }", "q.A"));
  /* A type or an id does. */
  assert_int_not_equal(base, fp_of("package p; struct A { 1: i64 x; 2: string y; }", "p.A"));
  assert_int_not_equal(base, fp_of("package p; struct A { 3: i32 x; 2: string y; }", "p.A"));
  /* Recursive structs get one too; mutual recursion does not depend on order. */
  assert_int_equal(
      fp_of("package p; struct A { 1: list<B> b; } struct B { 1: optional A a; }", "p.A"),
      fp_of("package p; struct B { 1: optional A a; } struct A { 1: list<B> b; }", "p.A"));
  assert_int_not_equal(0,
                       fp_of("package p; struct N { 1: list<N> kids; 2: optional N up; }", "p.N"));
}

/* A .orca text (heap) of n structs S0..S(n-1), each referring to the next
 * through pre/post ("optional ", "" or "list<", ">"); the last one closes
 * the ring or holds an i32. */
static char *ring(size_t n, const char *pre, const char *post, bool closed) {
  size_t cap = 64 + n * 64, len = 0;
  char *t = malloc(cap);
  assert_non_null(t);
  len += (size_t)snprintf(t + len, cap - len, "package p;\n");
  for (size_t i = 0; i < n; i++) {
    if (i + 1 < n || closed)
      len += (size_t)snprintf(t + len, cap - len, "struct S%zu { 1: %sS%zu%s next; }\n", i, pre,
                              (i + 1) % n, post);
    else
      len += (size_t)snprintf(t + len, cap - len, "struct S%zu { 1: i32 v; }\n", i);
  }
  return t;
}

static void test_long_chain(void **state) {
  (void)state;
  /* Descriptors link 10,000 structs: building them must not recurse once
   * per struct. */
  char *text = ring(10000, "optional ", "", false);
  char p[64];
  write_tmp(p, sizeof p, text);
  free(text);
  orca_schema *s = NULL;
  orca_err err = {0};
  assert_int_equal(orcac_schema_load(p, NULL, 0, &s, &err), 0);
  remove(p);
  assert_int_equal(s->nstructs, 10000);
  const orca_struct_desc *d = find_struct(s, "p.S0");
  for (int i = 0; i < 9999; i++)
    d = d->fields[0].type->sdesc;
  assert_string_equal(d->name, "p.S9999");
  assert_int_equal(d->fields[0].type->kind, ORCA_KIND_I32);
  orcac_schema_free(s);
}

static uint64_t fp_text(char *text, const char *name) {
  uint64_t fp = fp_of(text, name);
  free(text);
  return fp;
}

static void test_fingerprint_groups(void **state) {
  (void)state;
  /* Rings longer than the old expansion limit (64) and recursive groups
   * with exponentially many paths get fingerprints, quickly. */
  assert_int_not_equal(0, fp_text(ring(65, "optional ", "", true), "p.S0"));
  assert_int_not_equal(0, fp_text(ring(20000, "list<", ">", true), "p.S0"));
  char *t = malloc(64 * 1024);
  size_t len = (size_t)snprintf(t, 64, "package p;\n");
  for (int i = 0; i < 40; i++)
    len += (size_t)snprintf(t + len, 64 * 1024 - len,
                            "struct A%d { 1: optional A%d a; 2: list<B%d> b; }\n"
                            "struct B%d { 1: optional A%d a; 2: list<B%d> b; }\n",
                            i, (i + 1) % 40, (i + 1) % 40, i, (i + 1) % 40, (i + 1) % 40);
  assert_int_not_equal(0, fp_text(t, "p.A0"));
  /* A change anywhere in a group changes every member's fingerprint. */
  uint64_t a = fp_of("package p; struct A { 1: optional B b; } struct B { 1: optional C c; }"
                     " struct C { 1: optional A a; 2: i32 x; }",
                     "p.A");
  uint64_t b = fp_of("package p; struct A { 1: optional B b; } struct B { 1: optional C c; }"
                     " struct C { 1: optional A a; 2: i64 x; }",
                     "p.A");
  assert_int_not_equal(a, b);
  /* Only the wire shape counts: a self-reference and a ring of two equal
   * structs encode alike. */
  assert_int_equal(
      fp_of("package p; struct A { 1: optional A a; }", "p.A"),
      fp_of("package p; struct A { 1: optional B b; } struct B { 1: optional A a; }", "p.A"));
  /* A struct outside the group sees the group through its fingerprint. */
  assert_int_not_equal(
      fp_of("package p; struct N { 1: list<N> k; } struct U { 1: N n; }", "p.U"),
      fp_of("package p; struct N { 1: list<N> k; 2: i32 x; } struct U { 1: N n; }", "p.U"));
}

static void test_docs(void **state) {
  (void)state;
  char p[64];
  write_tmp(p, sizeof p,
            "/// The package.\npackage p;\n/// First line.\n/// Second line.\nstruct A {\n"
            "  /// The x.\n  1: i32 x;\n  2: i32 y; // not a doc\n}\n/// A task.\n@queue(\"q\")\n"
            "task t(1: A a);\n");
  orca_schema *s = NULL;
  orca_err err = {0};
  assert_int_equal(orcac_schema_load(p, NULL, 0, &s, &err), 0);
  remove(p);
  const orca_struct_desc *a = find_struct(s, "p.A");
  assert_string_equal(a->doc, "First line.\nSecond line.");
  assert_string_equal(a->fields[0].doc, "The x.");
  assert_null(a->fields[1].doc);
  assert_string_equal(s->tasks[0]->doc, "A task.");
  assert_string_equal(s->tasks[0]->queue, "q");
  orcac_schema_free(s);
}

static void test_bad_file(void **state) {
  (void)state;
  char p[64];
  write_tmp(p, sizeof p, "package p;\nstruct A { 1: strng x; }\n");
  orca_schema *s = NULL;
  orca_err err = {0};
  assert_int_equal(orcac_schema_load(p, NULL, 0, &s, &err), ORCA_EINVAL);
  assert_null(s);
  assert_non_null(strstr(err.msg, ":2:15: unknown type 'strng'"));
  remove(p);
  assert_int_equal(orcac_schema_load("/nonexistent/x.orca", NULL, 0, &s, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "cannot read"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_example),       cmocka_unit_test(test_fingerprints_stable),
      cmocka_unit_test(test_fingerprint_rules),  cmocka_unit_test(test_long_chain),
      cmocka_unit_test(test_fingerprint_groups), cmocka_unit_test(test_docs),
      cmocka_unit_test(test_bad_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
