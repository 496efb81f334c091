/* print.c — how `orca` shows task records: aligned text for people, one JSON
 * object per line for programs (--json). */
#include "cli.h"

#include <inttypes.h>

/* Write s as a JSON string literal. */
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    default:
      if (*p < 0x20)
        fprintf(f, "\\u%04x", *p);
      else
        fputc(*p, f);
    }
  }
  fputc('"', f);
}

static const char *when(int64_t us, char *buf, size_t n) {
  return us ? orca_time_format(us, buf, n) : "-";
}

/* Render msgpack bytes as JSON into out (NUL-terminated); false if they
 * don't decode. */
static bool render(const orca_type *t, const orca_buf *b, orca_buf *out) {
  orca_err err = {0};
  if (orca_msgpack_to_json(t, b->data, b->len, out, &err) != 0)
    return false;
  return orca_buf_append(out, "", 1) == 0;
}

void cli_print_info(const cli *c, const orca_task_info *info, const orca_task_desc *task) {
  orca_buf result = ORCA_BUF_INIT, args = ORCA_BUF_INIT;
  bool has_result = info->result.len && render(task ? task->result : NULL, &info->result, &result);
  bool has_args = info->args.len && render(task ? task->args_type : NULL, &info->args, &args);
  char b1[40], b2[40], b3[40], b4[40], b5[40]; /* one per time printed */
  if (c->json) {
    printf("{\"id\":");
    json_str(stdout, info->id);
    printf(",\"task\":");
    json_str(stdout, info->task);
    printf(",\"queue\":");
    json_str(stdout, info->queue);
    printf(",\"state\":\"%s\",\"attempt\":%" PRIu32 ",\"deliveries\":%" PRIu32
           ",\"priority\":%" PRId32 ",\"enqueued_us\":%" PRId64 ",\"eta_us\":%" PRId64
           ",\"started_us\":%" PRId64 ",\"finished_us\":%" PRId64 ",\"expires_us\":%" PRId64
           ",\"worker\":",
           orca_state_name(info->state), info->attempt, info->deliveries, info->priority,
           info->enqueued_us, info->eta_us, info->started_us, info->finished_us, info->expires_us);
    json_str(stdout, info->worker);
    printf(",\"error\":");
    json_str(stdout, info->error);
    printf(",\"args\":%s,\"result\":%s}\n", has_args ? (char *)args.data : "null",
           has_result ? (char *)result.data : "null");
  } else {
    printf("id        %s\ntask      %s\nqueue     %s (priority %" PRId32 ")\nstate     %s\n"
           "attempt   %" PRIu32 "\ndelivered %" PRIu32 " time%s\nenqueued  %s\ndue       %s\n"
           "started   %s\nfinished  %s\nexpires   %s\n",
           info->id, info->task, info->queue, info->priority, orca_state_name(info->state),
           info->attempt, info->deliveries, info->deliveries == 1 ? "" : "s",
           when(info->enqueued_us, b1, sizeof b1), when(info->eta_us, b2, sizeof b2),
           when(info->started_us, b3, sizeof b3), when(info->finished_us, b4, sizeof b4),
           when(info->expires_us, b5, sizeof b5));
    if (info->worker[0])
      printf("worker    %s\n", info->worker);
    if (info->error[0])
      printf("error     %s\n", info->error);
    if (has_args)
      printf("args      %s\n", (char *)args.data);
    if (has_result)
      printf("result    %s\n", (char *)result.data);
  }
  orca_buf_free(&result);
  orca_buf_free(&args);
}

void cli_json_str(FILE *f, const char *s) {
  json_str(f, s);
}
