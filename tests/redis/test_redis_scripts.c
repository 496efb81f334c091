/* test_redis_scripts.c — the Redis backend's Lua scripts as files: the
 * library assembled from the files of runtime/backend/redis/scripts/ carries every
 * line of every file, and an error Redis reports against a line of the
 * library is rewritten to name the file and its line (orca__redis_where),
 * checked with messages made up for every file and with a real error from
 * a real redis-server. */
#include <hiredis/hiredis.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/redis/redis_internal.h"
#include "redis_server.h"

#define DIR "runtime/backend/redis/scripts/"

/* The text of scripts/NAME.lua as stored in the source tree. */
static char *read_script(const char *name) {
  const char *src = getenv("ORCA_SOURCE_DIR");
  assert_non_null(src);
  char path[1024];
  snprintf(path, sizeof path, "%s/" DIR "%s.lua", src, name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strdup(buf);
}

/* Line number (1-based) of the n-th line of text (0-based) and the line. */
static const char *nth_line(const char *text, int n, size_t *len) {
  const char *p = text;
  for (int i = 0; i < n && p; i++) {
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  if (!p || !*p)
    return NULL;
  const char *e = strchr(p, '\n');
  *len = e ? (size_t)(e - p) : strlen(p);
  return p;
}

/* The library line that holds `line` (a line of a script), found by text:
 * the line must occur once in the library. */
static int library_line_of(const char *lib, const char *line, size_t len) {
  int found = 0, at = 0, no = 1;
  for (const char *p = lib; *p; no++) {
    const char *e = strchr(p, '\n');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == len && memcmp(p, line, len) == 0) {
      found++;
      at = no;
    }
    if (!e)
      break;
    p = e + 1;
  }
  return found == 1 ? at : 0;
}

/* Every file's text is in the library in one piece, and for each line that
 * occurs once in the library, an error at its library line is reported at
 * the file's line, in both forms Redis writes. */
static void test_every_line_maps_back(void **state) {
  (void)state;
  const char *lib = orca__redis_library();
  assert_non_null(lib);
  assert_true(orca__nredis_scripts >= ORCA__RS_COUNT + 1);
  int checked = 0;
  for (size_t s = 0; s < orca__nredis_scripts; s++) {
    const char *name = orca__redis_scripts[s].name;
    char *file = read_script(name);
    assert_string_equal(file, orca__redis_scripts[s].text); /* embedded as written */
    assert_non_null(strstr(lib, file));
    size_t len;
    const char *line;
    for (int i = 0; (line = nth_line(file, i, &len)) != NULL; i++) {
      int at = library_line_of(lib, line, len);
      if (!at || len < 12)
        continue; /* short or repeated lines ("end") cannot be found by text */
      char msg[160], want[160], out[512];
      snprintf(msg, sizeof msg, "ERR user_function:%d: boom script: f, on @user_function:%d.", at,
               at);
      snprintf(want, sizeof want, "ERR " DIR "%s.lua:%d: boom script: f, on " DIR "%s.lua:%d.",
               name, i + 1, name, i + 1);
      assert_string_equal(orca__redis_where(msg, out, sizeof out), want);
      checked++;
    }
    free(file);
  }
  assert_true(checked > 300);
}

/* Text without a library line passes unchanged; lines of the wrapper around
 * the bodies are named as library lines; the output is truncated safely. */
static void test_other_text(void **state) {
  (void)state;
  char out[64];
  assert_string_equal(orca__redis_where("ERR wrong number of args", out, sizeof out),
                      "ERR wrong number of args");
  assert_string_equal(orca__redis_where("user_function:x", out, sizeof out), "user_function:x");
  assert_string_equal(orca__redis_where("at user_function:1: bad", out, sizeof out),
                      "at orca library line 1: bad");
  char tiny[8];
  orca__redis_where("ERR user_function:3: something long", tiny, sizeof tiny);
  assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

/* A real Lua error on a real server: FCALL the get function without its key
 * (the backend never does), so the prelude's tk() concatenates nil. The
 * error names prelude.lua and the line of tk. */
static void test_real_error_names_the_file(void **state) {
  (void)state;
  orca_test_redis srv;
  assert_int_equal(orca_test_redis_start(&srv, false), 0);
  redisContext *c = redisConnect("127.0.0.1", srv.port);
  assert_true(c && !c->err);
  redisReply *r = redisCommand(c, "FUNCTION LOAD %s", orca__redis_library());
  assert_non_null(r);
  assert_int_equal(r->type, REDIS_REPLY_STRING);
  freeReplyObject(r);
  r = redisCommand(c, "FCALL %s 0 some-id 0 0", orca__redis_function(ORCA__RS_GET));
  assert_non_null(r);
  assert_int_equal(r->type, REDIS_REPLY_ERROR);
  char out[512];
  orca__redis_where(r->str, out, sizeof out);
  freeReplyObject(r);
  redisFree(c);
  orca_test_redis_stop(&srv);

  char *prelude = read_script("prelude");
  const char *tk = strstr(prelude, "local function tk(");
  assert_non_null(tk);
  int line = 1;
  for (const char *p = prelude; p < tk; p++)
    line += *p == '\n';
  free(prelude);
  char want[128];
  snprintf(want, sizeof want, DIR "prelude.lua:%d:", line);
  if (!strstr(out, want))
    fail_msg("expected '%s' in '%s'", want, out);
  assert_null(strstr(out, "user_function"));
  print_message("%s\n", out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_line_maps_back),
      cmocka_unit_test(test_other_text),
      cmocka_unit_test(test_real_error_names_the_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
