/* interop_tool.c — the C half of the interop test with Debian's
 * python3-msgpack (interop.py holds the other half; run-interop runs both).
 *
 *   interop_tool write DIR   encodes fixed alltypes values with the generated
 *                            code into DIR/c_*.bin for interop.py to check
 *   interop_tool read DIR    decodes DIR/py_*.bin (written by interop.py)
 *                            with the generated code and checks every field
 *
 * The fixed value (fill_fixed) and interop.py's EXPECTED must agree; both
 * spell out every field so a wrong offset or id in a descriptor shows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.orca.h"
#include "gen_util.h"

static int failures;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "interop_tool: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);       \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

static int32_t g_ints[] = {1, -2, 2147483647};
static char *g_strs[] = {"alpha", "", "\xc3\xa9t\xc3\xa9"};
static alltypes_inner g_inners[2];
static char *g_count_keys[] = {"a", "b"};
static int64_t g_count_vals[] = {1, -9000000000};
static int32_t g_by_id_keys[] = {-1, 7};
static alltypes_inner g_by_id_vals[2];
static uint64_t g_name_keys[] = {18446744073709551615ull};
static char *g_name_vals[] = {"max"};
static char *g_maybe_list[] = {"m"};
static alltypes_inner g_maybe_inner;
static uint8_t g_raw[] = {0, 1, 2, 255};
static uint8_t g_row0[] = {1, 2}, g_row1[] = {3};
static alltypes_color g_pal_warm[] = {ALLTYPES_COLOR_RED, ALLTYPES_COLOR_NEG};
static char *g_pal_keys[] = {"warm"};
static alltypes_node g_child;
static alltypes_node g_next;
static orca_bytes g_blobs[2];
static int8_t g_flag_keys[] = {-128, 127};
static bool g_flag_vals[] = {true, false};

/* Every field set away from its default; mirrors EXPECTED in interop.py. */
static void fill_fixed(alltypes_all *v) {
  alltypes_all_init(v);
  v->b = false;
  v->i8v = -128;
  v->i16v = 32767;
  v->i32v = -2147483647 - 1;
  v->i64v = INT64_MIN;
  v->u8v = 255;
  v->u16v = 65535;
  v->u32v = 4294967295u;
  v->u64v = 12345678901234567890ull;
  v->f32v = 0.5f;
  v->f64v = 3.141592653589793;
  v->s = "h\xc3\xa9llo";
  v->raw = (orca_bytes){g_raw, sizeof g_raw};
  v->ts = 1700000000123456;
  v->dur = -250000;
  v->color = ALLTYPES_COLOR_BLUE;
  v->inner.name = "in";
  v->inner.n = 3;
  v->ints.items = g_ints;
  v->ints.len = 3;
  v->strs.items = g_strs;
  v->strs.len = 3;
  g_inners[0] = (alltypes_inner){.name = "x", .n = 1};
  g_inners[1] = (alltypes_inner){.name = "y", .n = -1};
  v->inners.items = g_inners;
  v->inners.len = 2;
  v->counts.keys = g_count_keys;
  v->counts.values = g_count_vals;
  v->counts.len = 2;
  g_by_id_vals[0] = (alltypes_inner){.name = "neg", .n = 0};
  g_by_id_vals[1] = (alltypes_inner){.name = "seven", .n = 7};
  v->by_id.keys = g_by_id_keys;
  v->by_id.values = g_by_id_vals;
  v->by_id.len = 2;
  v->names.keys = g_name_keys;
  v->names.values = g_name_vals;
  v->names.len = 1;
  v->has_maybe_int = true;
  v->maybe_int = 0;
  g_maybe_inner = (alltypes_inner){.name = "opt", .n = 9};
  v->maybe_inner = &g_maybe_inner;
  v->has_maybe_list = true;
  v->maybe_list.items = g_maybe_list;
  v->maybe_list.len = 1;
  v->has_maybe_str = true;
  v->maybe_str = "";
  g_next = (alltypes_node){.value = 2};
  g_child = (alltypes_node){.value = 3};
  v->tree.value = 1;
  v->tree.next = &g_next;
  v->tree.children.items = &g_child;
  v->tree.children.len = 1;
  /* Inner list types are untagged structs: allocate them by the member's
   * own element type (release_fixed frees these two arrays). */
  v->matrix.items = calloc(2, sizeof *v->matrix.items);
  v->palette.values = calloc(1, sizeof *v->palette.values);
  if (!v->matrix.items || !v->palette.values)
    abort();
  v->matrix.items[0].items = g_row0;
  v->matrix.items[0].len = 2;
  v->matrix.items[1].items = g_row1;
  v->matrix.items[1].len = 1;
  v->matrix.len = 2;
  v->palette.values[0].items = g_pal_warm;
  v->palette.values[0].len = 2;
  v->palette.keys = g_pal_keys;
  v->palette.len = 1;
  v->has_maybe_color = true;
  v->maybe_color = ALLTYPES_COLOR_NEG;
  v->has_maybe_raw = true;
  v->maybe_raw = (orca_bytes){NULL, 0};
  g_blobs[0] = (orca_bytes){g_raw, 2};
  g_blobs[1] = (orca_bytes){NULL, 0};
  v->blobs.items = g_blobs;
  v->blobs.len = 2;
  v->flags.keys = g_flag_keys;
  v->flags.values = g_flag_vals;
  v->flags.len = 2;
}

static void release_fixed(alltypes_all *v) {
  free(v->matrix.items);
  free(v->palette.values);
}

static int write_value(const char *dir, const char *name, const alltypes_all *v) {
  orca_buf buf = ORCA_BUF_INIT;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int rc = alltypes_all_pack(v, &buf);
  if (rc == 0)
    rc = gen_write_file(path, buf.data, buf.len);
  orca_buf_free(&buf);
  if (rc != 0)
    fprintf(stderr, "interop_tool: cannot write %s\n", path);
  return rc;
}

static int cmd_write(const char *dir) {
  alltypes_all v;
  fill_fixed(&v);
  int rc = write_value(dir, "c_fixed.bin", &v);
  release_fixed(&v);
  if (rc)
    return 1;
  alltypes_all_init(&v); /* defaults; optionals absent */
  return write_value(dir, "c_default.bin", &v) ? 1 : 0;
}

static bool read_value(const char *dir, const char *name, alltypes_all *v) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len;
  uint8_t *data = gen_read_file(path, &len);
  if (!data) {
    fprintf(stderr, "interop_tool: cannot read %s\n", path);
    return false;
  }
  orca_err err = {0};
  int rc = alltypes_all_unpack(data, len, v, &orca_heap, &err);
  free(data);
  if (rc != 0) {
    fprintf(stderr, "interop_tool: %s: %s: %s\n", name, orca_strerror(rc), err.msg);
    alltypes_all_free(v);
    return false;
  }
  return true;
}

static int cmd_read(const char *dir) {
  alltypes_all want, got;
  fill_fixed(&want);
  /* Python encoded the same fixed value (with its own choices of integer and
   * float widths): it must decode to exactly the value C would build. */
  if (!read_value(dir, "py_fixed.bin", &got)) {
    release_fixed(&want);
    return 1;
  }
  char where[512];
  if (!gen_equal(&alltypes_all__type, &want, &got, where, sizeof where)) {
    fprintf(stderr, "interop_tool: py_fixed.bin differs at %s\n", where);
    failures++;
  }
  alltypes_all_free(&got);
  release_fixed(&want);
  /* Python added unknown ids of every shape and left known ones out. */
  if (!read_value(dir, "py_unknown.bin", &got))
    return 1;
  CHECK(strcmp(got.s, "kept") == 0);
  CHECK(got.i8v == -8); /* missing: default */
  CHECK(got.u64v == UINT64_MAX);
  CHECK(!got.has_maybe_int);
  CHECK(got.inner.n == -5);
  alltypes_all_free(&got);
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "write") == 0)
    return cmd_write(argv[2]);
  if (argc == 3 && strcmp(argv[1], "read") == 0)
    return cmd_read(argv[2]);
  fprintf(stderr, "usage: interop_tool write|read DIR\n");
  return 2;
}
