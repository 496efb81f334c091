/* fixture.h — what the hook tests share: a schema whose reflection tables
 * are written by hand as orcac emits them, temp hook files, and a capture of
 * liborca's log so a test can see what a hook printed or why it failed.
 *
 *   enum Level { LOW = 0; HIGH = 7; }
 *   struct Line { 1: string sku; 2: u32 qty = 1; }
 *   struct Every {
 *     1: bool b; 2: i8 i8; 3: i16 i16; 4: i32 i32; 5: i64 i64; 6: u8 u8;
 *     7: u16 u16; 8: u32 u32; 9: u64 u64; 10: f32 f32; 11: f64 f64;
 *     12: string s; 13: bytes by; 14: timestamp ts; 15: duration dur;
 *     16: Level level; 17: Line line; 18: list<Line> lines;
 *     19: map<string, i64> counts; 20: map<i32, string> names;
 *     21: optional i32 maybe; 22: optional Line extra; 23: i32 answer = 42;
 *     24: string greeting = "hi";
 *   }
 *   task hk.order(customer: string, amount: i64) -> Receipt   @hook(per-test)
 *   struct Receipt { 1: i64 total; 2: Level level; }
 *   task hk.every(e: Every)  (args struct: { 1: Every e })
 */
#ifndef TESTS_HOOKS_FIXTURE_H
#define TESTS_HOOKS_FIXTURE_H

#include <orca/codec.h>
#include <orca/log.h>
#include <stdbool.h>
#include <stdint.h>

#include "hooks/hooks.h"

typedef enum hk_level { HK_LOW = 0, HK_HIGH = 7 } hk_level;

typedef struct hk_line {
  char *sku;
  uint32_t qty;
} hk_line;

typedef struct hk_line_list {
  hk_line *items;
  size_t len;
} hk_line_list;

typedef struct hk_counts {
  char **keys;
  int64_t *values;
  size_t len;
} hk_counts;

typedef struct hk_names {
  int32_t *keys;
  char **values;
  size_t len;
} hk_names;

typedef struct hk_every {
  bool b;
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  float f32;
  double f64;
  char *s;
  orca_bytes by;
  int64_t ts, dur;
  hk_level level;
  hk_line line;
  hk_line_list lines;
  hk_counts counts;
  hk_names names;
  bool has_maybe;
  int32_t maybe;
  hk_line *extra;
  int32_t answer;
  char *greeting;
} hk_every;

typedef struct hk_every_args {
  hk_every e;
} hk_every_args;

typedef struct hk_order_args {
  char *customer;
  int64_t amount;
} hk_order_args;

typedef struct hk_receipt {
  int64_t total;
  hk_level level;
} hk_receipt;

extern const orca_type hk_every__type, hk_every_args__type, hk_order_args__type, hk_receipt__type;

/* Task descriptors as orcac would emit them. hk_order_task(hook) returns a
 * descriptor of hk.order with @hook set to `hook`: a fresh static slot per
 * call (up to 64) so tests get distinct tasks; NULL (no hook) always gives
 * the same shared descriptor. */
const orca_task_desc *hk_order_task(const char *hook);
const orca_task_desc *hk_every_task(const char *hook);

/* Encode a value with orca_pack into a static buffer (valid until the next
 * call). */
const uint8_t *hk_pack(const orca_type *t, const void *value, size_t *len);

/* Write text to a file in the test's temp dir and return its full path (a
 * static string per name, valid for the whole run). */
const char *hk_file(const char *name, const char *text);
/* The temp dir itself. */
const char *hk_dir(void);

/* Log capture: every orca_log line is kept (and echoed to stderr). */
void hk_log_capture(void);
void hk_log_clear(void);
bool hk_log_has(const char *needle);
const char *hk_log_text(void);
/* Log lines seen since hk_log_clear (also those past the buffer's size). */
size_t hk_log_lines(void);

/* Open a state with `global` (Lua source, or NULL) as its global hook file. */
orca__hooks *hk_open(const char *global_src);

/* A task view for hk.order with the given args. */
orca__hook_task hk_order_view(const orca_task_desc *task, const char *customer, int64_t amount);

/* Open a state whose global file has before_run = function(task) BODY end
 * (and an after_run printing "still alive ABC"), set its limits (Lua heap
 * bytes, instructions and ms per call), clear the log and run before_run
 * once. Returns the state (close it). */
orca__hooks *hk_run_body(const char *body, size_t mem, uint32_t instr, uint32_t ms);

/* The state survived: its plain after_run still runs (fails the test if not). */
void hk_assert_alive(orca__hooks *h);

/* BODY fails inside the hook with a message containing `want`, and the
 * state survives. */
void hk_expect_failure(const char *body, const char *want, size_t mem, uint32_t instr, uint32_t ms);

/* For a fuzz target: the state with `global_src`, opened on the first call
 * (logging off, closed at exit) and the same one after. */
orca__hooks *hk_fuzz_state(const char *global_src);

#endif
