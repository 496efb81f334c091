/* test_evolution.c — old and new programs keep talking: a v1 writer with a
 * v2 reader and the reverse (evo_v1.orca, evo_v2.orca: field 2 removed,
 * fields 5..7 added, one of them a struct with a list inside).
 *
 * Expected, per the wire rules of orca/schema.h: a reader takes the fields it
 * knows by id, gives missing ones their defaults, and skips unknown ids
 * whatever their value's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "evo_v1.orca.h"
#include "evo_v2.orca.h"

static void test_v1_writer_v2_reader(void **state) {
  (void)state;
  char *tags[] = {"a", "b"};
  evo1_rec w;
  evo1_rec_init(&w);
  w.name = "old";
  w.count = 99; /* removed in v2: skipped */
  w.tags.items = tags;
  w.tags.len = 2;
  w.level = EVO1_LEVEL_LOW;
  orca_buf buf = ORCA_BUF_INIT;
  assert_int_equal(evo1_rec_pack(&w, &buf), 0);

  evo2_rec r;
  orca_err err = {0};
  assert_int_equal(evo2_rec_unpack(buf.data, buf.len, &r, &orca_heap, &err), 0);
  assert_string_equal(r.name, "old");
  assert_int_equal(r.tags.len, 2);
  assert_string_equal(r.tags.items[1], "b");
  assert_int_equal(r.level, EVO2_LEVEL_LOW);
  assert_string_equal(r.note, "none"); /* added: default */
  assert_false(r.has_score);           /* added optional: absent */
  assert_int_equal(r.sub.a, 3);        /* added struct: its defaults */
  assert_int_equal(r.sub.xs.len, 0);
  evo2_rec_free(&r);
  orca_buf_free(&buf);
}

static void test_v2_writer_v1_reader(void **state) {
  (void)state;
  char *xs[] = {"x", "y", "z"};
  evo2_rec w;
  evo2_rec_init(&w);
  w.name = "new";
  w.level = EVO2_LEVEL_HIGH;
  w.note = "unknown to v1";
  w.has_score = true;
  w.score = -7;
  w.sub.a = 11;
  w.sub.xs.items = xs;
  w.sub.xs.len = 3;
  orca_buf buf = ORCA_BUF_INIT;
  assert_int_equal(evo2_rec_pack(&w, &buf), 0);

  evo1_rec r;
  orca_err err = {0};
  assert_int_equal(evo1_rec_unpack(buf.data, buf.len, &r, &orca_heap, &err), 0);
  assert_string_equal(r.name, "new");
  assert_int_equal(r.count, 7); /* missing in v2's bytes: v1's default */
  assert_int_equal(r.tags.len, 0);
  assert_int_equal(r.level, EVO1_LEVEL_HIGH);
  evo1_rec_free(&r);

  /* And back: v1 re-encodes what it understood; v2 reads it with defaults. */
  orca_buf buf2 = ORCA_BUF_INIT;
  evo1_rec_init(&r);
  r.name = "again";
  assert_int_equal(evo1_rec_pack(&r, &buf2), 0);
  evo2_rec r2;
  assert_int_equal(evo2_rec_unpack(buf2.data, buf2.len, &r2, &orca_heap, &err), 0);
  assert_string_equal(r2.name, "again");
  assert_string_equal(r2.note, "none");
  evo2_rec_free(&r2);
  orca_buf_free(&buf);
  orca_buf_free(&buf2);
}

static void test_fingerprints_differ(void **state) {
  (void)state;
  /* Same name, different fields: a worker can tell the versions apart. */
  assert_true(evo1_rec__desc.fingerprint != evo2_rec__desc.fingerprint);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v1_writer_v2_reader),
      cmocka_unit_test(test_v2_writer_v1_reader),
      cmocka_unit_test(test_fingerprints_differ),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
