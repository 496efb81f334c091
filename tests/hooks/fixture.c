/* fixture.c — the hand-written reflection tables of fixture.h and the small
 * helpers the hook tests share (temp files, log capture). */
#include "fixture.h"

#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- enum Level, struct Line -------------------------------------------- */
static const orca_enum_value level_values[] = {{"LOW", 0}, {"HIGH", 7}};
static const orca_enum_desc level_desc = {"hk.Level", "hk_level", 2, level_values, NULL};
static const orca_type level_type = {
    ORCA_KIND_ENUM, sizeof(hk_level), alignof(hk_level), NULL, &level_desc, NULL, NULL, "Level"};

static const uint32_t line_qty_default = 1;
static const orca_field line_fields[] = {
    {"sku", 1, 0, offsetof(hk_line, sku), -1, &orca_type_string, NULL, NULL},
    {"qty", 2, ORCA_FIELD_DEFAULT, offsetof(hk_line, qty), -1, &orca_type_u32, &line_qty_default,
     NULL},
};
static const orca_struct_desc line_desc = {
    "hk.Line", "hk_line", sizeof(hk_line), alignof(hk_line), 2, line_fields, 0x11, NULL};
static const orca_type line_type = {
    ORCA_KIND_STRUCT, sizeof(hk_line), alignof(hk_line), &line_desc, NULL, NULL, NULL, "Line"};
static const orca_type line_list_type = {
    ORCA_KIND_LIST, sizeof(hk_line_list), alignof(hk_line_list), NULL, NULL, &line_type,
    NULL,           "list<Line>"};
static const orca_type counts_type = {
    ORCA_KIND_MAP, sizeof(hk_counts), alignof(hk_counts), NULL,
    NULL,          &orca_type_i64,    &orca_type_string,  "map<string, i64>"};
static const orca_type names_type = {
    ORCA_KIND_MAP, sizeof(hk_names),  alignof(hk_names), NULL,
    NULL,          &orca_type_string, &orca_type_i32,    "map<i32, string>"};

/* ---- struct Every -------------------------------------------------------- */
static const int32_t answer_default = 42;
static const char *const greeting_default = "hi";
#define F(name, id, type)                                                                          \
  { #name, id, 0, offsetof(hk_every, name), -1, type, NULL, NULL }
static const orca_field every_fields[] = {
    F(b, 1, &orca_type_bool),
    F(i8, 2, &orca_type_i8),
    F(i16, 3, &orca_type_i16),
    F(i32, 4, &orca_type_i32),
    F(i64, 5, &orca_type_i64),
    F(u8, 6, &orca_type_u8),
    F(u16, 7, &orca_type_u16),
    F(u32, 8, &orca_type_u32),
    F(u64, 9, &orca_type_u64),
    F(f32, 10, &orca_type_f32),
    F(f64, 11, &orca_type_f64),
    F(s, 12, &orca_type_string),
    F(by, 13, &orca_type_bytes),
    F(ts, 14, &orca_type_timestamp),
    F(dur, 15, &orca_type_duration),
    F(level, 16, &level_type),
    F(line, 17, &line_type),
    F(lines, 18, &line_list_type),
    F(counts, 19, &counts_type),
    F(names, 20, &names_type),
    {"maybe", 21, ORCA_FIELD_OPTIONAL, offsetof(hk_every, maybe), offsetof(hk_every, has_maybe),
     &orca_type_i32, NULL, NULL},
    {"extra", 22, ORCA_FIELD_OPTIONAL | ORCA_FIELD_POINTER, offsetof(hk_every, extra), -1,
     &line_type, NULL, NULL},
    {"answer", 23, ORCA_FIELD_DEFAULT, offsetof(hk_every, answer), -1, &orca_type_i32,
     &answer_default, NULL},
    {"greeting", 24, ORCA_FIELD_DEFAULT, offsetof(hk_every, greeting), -1, &orca_type_string,
     &greeting_default, NULL},
};
#undef F
static const orca_struct_desc every_desc = {
    "hk.Every", "hk_every", sizeof(hk_every), alignof(hk_every), 24, every_fields, 0x22, NULL};
const orca_type hk_every__type = {
    ORCA_KIND_STRUCT, sizeof(hk_every), alignof(hk_every), &every_desc, NULL, NULL, NULL, "Every"};

static const orca_field every_args_fields[] = {
    {"e", 1, 0, offsetof(hk_every_args, e), -1, &hk_every__type, NULL, NULL}};
static const orca_struct_desc every_args_desc = {"hk.every.args",
                                                 "hk_every_args",
                                                 sizeof(hk_every_args),
                                                 alignof(hk_every_args),
                                                 1,
                                                 every_args_fields,
                                                 0x33,
                                                 NULL};
const orca_type hk_every_args__type = {ORCA_KIND_STRUCT,
                                       sizeof(hk_every_args),
                                       alignof(hk_every_args),
                                       &every_args_desc,
                                       NULL,
                                       NULL,
                                       NULL,
                                       "hk.every.args"};

/* ---- task hk.order ------------------------------------------------------- */
static const orca_field order_fields[] = {
    {"customer", 1, 0, offsetof(hk_order_args, customer), -1, &orca_type_string, NULL, NULL},
    {"amount", 2, 0, offsetof(hk_order_args, amount), -1, &orca_type_i64, NULL, NULL},
};
static const orca_struct_desc order_desc = {"hk.order.args",
                                            "hk_order_args",
                                            sizeof(hk_order_args),
                                            alignof(hk_order_args),
                                            2,
                                            order_fields,
                                            0x44,
                                            NULL};
const orca_type hk_order_args__type = {
    ORCA_KIND_STRUCT, sizeof(hk_order_args), alignof(hk_order_args), &order_desc, NULL, NULL, NULL,
    "hk.order.args"};
static const orca_field receipt_fields[] = {
    {"total", 1, 0, offsetof(hk_receipt, total), -1, &orca_type_i64, NULL, NULL},
    {"level", 2, 0, offsetof(hk_receipt, level), -1, &level_type, NULL, NULL},
};
static const orca_struct_desc receipt_desc = {
    "hk.Receipt", "hk_receipt", sizeof(hk_receipt), alignof(hk_receipt), 2, receipt_fields,
    0x55,         NULL};
const orca_type hk_receipt__type = {
    ORCA_KIND_STRUCT, sizeof(hk_receipt), alignof(hk_receipt), &receipt_desc, NULL, NULL, NULL,
    "Receipt"};

#define NSLOTS 64
static orca_task_desc order_slots[NSLOTS], every_slots[NSLOTS];
static int norder, nevery;

const orca_task_desc *hk_order_task(const char *hook) {
  static orca_task_desc plain;
  if (!hook && plain.name)
    return &plain;
  assert_true(norder < NSLOTS);
  orca_task_desc *t = &order_slots[norder++];
  *t = (orca_task_desc){.name = "hk.order",
                        .queue = "default",
                        .args = &order_desc,
                        .args_type = &hk_order_args__type,
                        .result = &hk_receipt__type,
                        .retry = {.max_attempts = 3},
                        .hook = hook};
  if (!hook)
    plain = *t;
  return hook ? t : &plain;
}

const orca_task_desc *hk_every_task(const char *hook) {
  assert_true(nevery < NSLOTS);
  orca_task_desc *t = &every_slots[nevery++];
  *t = (orca_task_desc){.name = "hk.every",
                        .queue = "default",
                        .args = &every_args_desc,
                        .args_type = &hk_every_args__type,
                        .retry = {.max_attempts = 1},
                        .hook = hook};
  return t;
}

const uint8_t *hk_pack(const orca_type *t, const void *value, size_t *len) {
  static orca_buf buf;
  orca_buf_reset(&buf);
  assert_int_equal(orca_pack(t, value, &buf), 0);
  *len = buf.len;
  return buf.data;
}

/* ---- temp files ---------------------------------------------------------- */
static char dir[64];

static void rm_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
}

const char *hk_dir(void) {
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/orca-hooks-XXXXXX");
    assert_non_null(mkdtemp(dir));
    atexit(rm_dir);
  }
  return dir;
}

const char *hk_file(const char *name, const char *text) {
  static struct {
    char name[64];
    char path[160];
  } files[64];
  static int nfiles;
  int i;
  for (i = 0; i < nfiles && strcmp(files[i].name, name) != 0; i++)
    ;
  if (i == nfiles) {
    assert_true(nfiles < 64);
    nfiles++;
    snprintf(files[i].name, sizeof files[i].name, "%s", name);
    snprintf(files[i].path, sizeof files[i].path, "%s/%s", hk_dir(), name);
  }
  FILE *f = fopen(files[i].path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return files[i].path;
}

/* ---- log capture ---------------------------------------------------------- */
static char logbuf[1 << 16];
static size_t loglen, loglines;

static void capture(void *ud, orca_log_level level, const char *msg) {
  (void)ud;
  (void)level;
  loglines++;
  if (loglines > 2000) /* a flood: counted, not echoed */
    return;
  fprintf(stderr, "log: %s\n", msg);
  size_t n = strlen(msg);
  if (loglen + n + 2 < sizeof logbuf) {
    memcpy(logbuf + loglen, msg, n);
    loglen += n;
    logbuf[loglen++] = '\n';
    logbuf[loglen] = 0;
  }
}

void hk_log_capture(void) {
  orca_log_set(capture, NULL, ORCA_LOG_DEBUG);
}
void hk_log_clear(void) {
  loglen = loglines = 0;
  logbuf[0] = 0;
}
size_t hk_log_lines(void) {
  return loglines;
}
bool hk_log_has(const char *needle) {
  return strstr(logbuf, needle) != NULL;
}
const char *hk_log_text(void) {
  return logbuf;
}

orca__hooks *hk_open(const char *global_src) {
  static int n;
  char name[32];
  const char *path = NULL;
  if (global_src) {
    snprintf(name, sizeof name, "global%d.lua", n++);
    path = hk_file(name, global_src);
  }
  orca__hooks *h = NULL;
  orca_err err = {0};
  int rc = orca__hooks_open(path, hk_dir(), &h, &err);
  if (rc)
    fprintf(stderr, "open: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return h;
}

orca__hook_task hk_order_view(const orca_task_desc *task, const char *customer, int64_t amount) {
  hk_order_args a = {.customer = (char *)customer, .amount = amount};
  static uint8_t copy[256];
  size_t len;
  const uint8_t *p = hk_pack(&hk_order_args__type, &a, &len);
  assert_true(len <= sizeof copy);
  memcpy(copy, p, len);
  return (orca__hook_task){.task = task,
                           .id = {"id-1", 4},
                           .attempt = 1,
                           .queue = {task->queue, strlen(task->queue)},
                           .priority = task->priority,
                           .args = copy,
                           .args_len = len};
}

/* ---- running one hook body ------------------------------------------------ */

orca__hooks *hk_run_body(const char *body, size_t mem, uint32_t instr, uint32_t ms) {
  char src[4096];
  snprintf(src, sizeof src,
           "return {\n"
           "  before_run = function(task)\n%s\n  end,\n"
           "  after_run = function(task) print('still alive', ('abc'):upper()) end,\n"
           "}\n",
           body);
  orca__hooks *h = hk_open(src);
  orca__hooks_set_limits(h, mem, instr);
  orca__hooks_set_time_limit(h, ms);
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "eve", 1);
  hk_log_clear();
  orca__hooks_before_run(h, &t);
  return h;
}

void hk_assert_alive(orca__hooks *h) {
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "eve", 1);
  orca__hooks_after_run(h, &t, NULL, 0);
  if (!hk_log_has("hook: still alive\tABC"))
    fail_msg("the state did not run a plain hook after the attack; log:\n%s", hk_log_text());
}

void hk_expect_failure(const char *body, const char *want, size_t mem, uint32_t instr,
                       uint32_t ms) {
  orca__hooks *h = hk_run_body(body, mem, instr, ms);
  if (!hk_log_has(want))
    fail_msg("expected '%s' in the log, got:\n%s", want, hk_log_text());
  assert_true(hk_log_has("before_run for task hk.order failed"));
  hk_assert_alive(h);
  orca__hooks_close(h);
}

/* ---- fuzz targets ---------------------------------------------------------- */

static void quiet(void *ud, orca_log_level level, const char *msg) {
  (void)ud, (void)level, (void)msg;
}

static orca__hooks *fuzz_state;

static void fuzz_close(void) {
  orca__hooks_close(fuzz_state);
}

orca__hooks *hk_fuzz_state(const char *global_src) {
  if (!fuzz_state) {
    orca_log_set(quiet, NULL, ORCA_LOG_OFF);
    fuzz_state = hk_open(global_src);
    atexit(fuzz_close);
  }
  return fuzz_state;
}
