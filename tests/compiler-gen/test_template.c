/* test_template.c — the template engine of orcac's code generator
 * (compiler/codegen_template.c): variables, sections, inverted sections,
 * partials, list position keys, standalone-line trimming, and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codegen_internal.h"

typedef struct named {
  const char *name, *text;
} named;

static const named *g_templates;

static const char *load(void *ctx, const char *name) {
  (void)ctx;
  for (const named *t = g_templates; t && t->name; t++)
    if (strcmp(t->name, name) == 0)
      return t->text;
  return NULL;
}

/* Render `text` (as template "main", with the other templates in `extra`)
 * against model; returns the output in the pool, or NULL on error. */
static char *render(cg_pool *p, const char *text, const cg_val *model, const named *extra) {
  named all[8] = {{"main", text}};
  for (int i = 0; extra && extra[i].name; i++)
    all[i + 1] = extra[i];
  g_templates = all;
  cg_template_src src = {load, NULL};
  cg_sb out = {0};
  int rc = cg_render(p, &src, "main", model, &out);
  char *r = rc == 0 ? cg_sb_pool(p, &out) : NULL;
  cg_sb_free(&out);
  return r;
}

static cg_val *items(cg_pool *p, int n) {
  cg_val *l = cg_list(p);
  for (int i = 0; i < n; i++) {
    cg_val *o = cg_obj(p);
    cg_set_strf(p, o, "name", "x%d", i);
    cg_push(p, l, o);
  }
  return l;
}

static void test_variables_and_lookup(void **state) {
  (void)state;
  cg_pool *p = cg_pool_new();
  cg_val *m = cg_obj(p);
  cg_set_str(p, m, "a", "outer");
  cg_set_str(p, m, "b", "B");
  cg_val *in = cg_set(p, m, "in", cg_obj(p));
  cg_set_str(p, in, "a", "inner");
  assert_string_equal(render(p, "{{a}}-{{ b }}", m, NULL), "outer-B");
  /* Inner context first, then outwards. */
  assert_string_equal(render(p, "{{#in}}{{a}}/{{b}}{{/in}}", m, NULL), "inner/B");
  cg_pool_free(p);
}

static void test_list_sections_and_position(void **state) {
  (void)state;
  cg_pool *p = cg_pool_new();
  cg_val *m = cg_obj(p);
  cg_set(p, m, "xs", items(p, 3));
  cg_set(p, m, "none", items(p, 0));
  assert_string_equal(render(p, "{{#xs}}{{name}}{{^-last}}, {{/-last}}{{/xs}}", m, NULL),
                      "x0, x1, x2");
  assert_string_equal(render(p, "{{#xs}}{{#-first}}[{{/-first}}{{-index}}{{/xs}}]", m, NULL),
                      "[012]");
  assert_string_equal(render(p, "{{#none}}X{{/none}}{{^none}}empty{{/none}}", m, NULL), "empty");
  cg_pool_free(p);
}

static void test_bool_string_and_missing(void **state) {
  (void)state;
  cg_pool *p = cg_pool_new();
  cg_val *m = cg_obj(p);
  cg_set_bool(p, m, "yes", true);
  cg_set_bool(p, m, "no", false);
  cg_set_str(p, m, "empty", "");
  cg_set_str(p, m, "s", "v");
  assert_string_equal(render(p, "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}n{{/no}}", m, NULL), "Yn");
  assert_string_equal(render(p, "{{#empty}}E{{/empty}}{{^empty}}e{{/empty}}", m, NULL), "e");
  assert_string_equal(render(p, "{{#s}}<{{.}}>{{/s}}", m, NULL), "<v>");
  /* An absent name is false for sections. */
  assert_string_equal(render(p, "{{#nope}}X{{/nope}}{{^nope}}absent{{/nope}}", m, NULL), "absent");
  cg_pool_free(p);
}

static void test_standalone_lines(void **state) {
  (void)state;
  cg_pool *p = cg_pool_new();
  cg_val *m = cg_obj(p);
  cg_set(p, m, "xs", items(p, 2));
  const char *t = "begin\n"
                  "  {{#xs}}\n"
                  "  - {{name}}\n"
                  "  {{/xs}}\n"
                  "{{! a comment line }}\n"
                  "end\n";
  assert_string_equal(render(p, t, m, NULL), "begin\n  - x0\n  - x1\nend\n");
  /* A tag sharing its line with text keeps the line. */
  assert_string_equal(render(p, "a {{#xs}}b{{/xs}}\n", m, NULL), "a bb\n");
  cg_pool_free(p);
}

static void test_partials(void **state) {
  (void)state;
  cg_pool *p = cg_pool_new();
  cg_val *m = cg_obj(p);
  cg_set(p, m, "xs", items(p, 2));
  named extra[] = {{"item", "<{{name}}>\n"}, {NULL, NULL}};
  assert_string_equal(render(p, "{{#xs}}\n{{>item}}\n{{/xs}}\n", m, extra), "<x0>\n<x1>\n");
  cg_pool_free(p);
}

static void test_errors(void **state) {
  (void)state;
  cg_pool *p = cg_pool_new();
  cg_val *m = cg_obj(p);
  cg_set(p, m, "xs", items(p, 1));
  assert_null(render(p, "{{unknown}}", m, NULL));
  assert_null(render(p, "{{xs}}", m, NULL)); /* a list is not a string */
  assert_null(render(p, "{{#xs}}open", m, NULL));
  assert_null(render(p, "{{#xs}}{{/ys}}", m, NULL));
  assert_null(render(p, "{{/xs}}", m, NULL));
  assert_null(render(p, "{{unclosed", m, NULL));
  assert_null(render(p, "{{>missing}}", m, NULL));
  named loop[] = {{"self", "{{>self}}"}, {NULL, NULL}};
  assert_null(render(p, "{{>self}}", m, loop));
  cg_pool_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_variables_and_lookup),
      cmocka_unit_test(test_list_sections_and_position),
      cmocka_unit_test(test_bool_string_and_missing),
      cmocka_unit_test(test_standalone_lines),
      cmocka_unit_test(test_partials),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
