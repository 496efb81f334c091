/* cli.h — what the subcommands of `orca` share: global options, opening the
 * backend, loading a .orca schema, and printing task records. */
#ifndef ORCA_CLI_H
#define ORCA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "orca/orca.h"

#define CLI_MAX_IMPORTS 16

typedef struct cli {
  const char *prog;         /* argv[0] of the subcommand, for messages */
  const char *backend;      /* --backend URL as given; NULL = not given */
  const char *backend_file; /* --backend-file FILE as given; NULL = not given */
  const char *kafka_conf;   /* --kafka-conf FILE: librdkafka properties (ORCA_KAFKA_CONF) */
  /* The URL of either option (owned), and which option; NULL = the library
   * reads $ORCA_BACKEND or $ORCA_BACKEND_FILE, else uses its default. */
  char *url;
  const char *url_from;
  /* Exit status that replaces CLI_FAIL when the failure was a bad value (a
   * malformed URL: CLI_USAGE); 0 = none. */
  int status;
  const char *schema;                   /* --schema FILE.orca */
  const char *imports[CLI_MAX_IMPORTS]; /* -I DIR */
  size_t nimports;
  bool json;            /* --json */
  bool log_json;        /* --log-format json: messages on stderr as JSON lines */
  const char *key_file; /* --cluster-key-file FILE (peer network); NULL = the environment's */
  orca_client *client;  /* opened by cli_client() */
  orca_schema *loaded;  /* loaded by cli_schema() */
} cli;

/* Exit codes: 0 success, 1 failure at run time, 2 usage error. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Print "orca SUB: message" to stderr (a JSON line with --log-format json)
 * and return CLI_FAIL (or code). */
int cli_fail(const cli *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parse the options every subcommand accepts (--backend URL, --backend-file
 * FILE, --schema FILE, -I DIR, --json, --cluster-key-file FILE, --log-format
 * text|json, also $ORCA_LOG_FORMAT) out of argv, leaving the others in
 * order in argv[1..], and read the URL of --backend-file. Returns the new
 * argc, or -1 after printing a usage error naming the option and value. */
int cli_common_opts(cli *c, int argc, char **argv);

/* A "--name VALUE" option of one subcommand. */
typedef struct cli_opt {
  const char *name;
  const char **value;
} cli_opt;

/* Take the options in opts out of argv (unknown "--x" is a usage error),
 * leaving positional arguments in argv[1..]. Returns their number, or -1
 * after printing a usage message. */
int cli_take_opts(cli *c, int argc, char **argv, const cli_opt *opts, size_t nopts);

/* True when argv asks for --help or -h. */
bool cli_wants_help(int argc, char **argv);

/* Open the client once. On failure prints one line (the URL's password
 * redacted, prefixed with the option it came from), sets c->status to
 * CLI_USAGE when the URL is malformed, and returns NULL. */
orca_client *cli_client(cli *c);

/* Largest input cli_read_input() accepts: JSON arguments from a file or
 * stdin. */
#define CLI_INPUT_MAX (64u << 20)

/* Read all of path ("-" = stdin) into out (NUL-terminated; out->len excludes
 * the NUL) for option opt, refusing more than CLI_INPUT_MAX bytes. Returns 0,
 * or CLI_USAGE after one line naming opt and path. out is the caller's to
 * free either way. */
int cli_read_input(cli *c, const char *opt, const char *path, orca_buf *out);

/* Load --schema (NULL with a message if none given or invalid). */
const orca_schema *cli_schema(cli *c);

/* Find a task in the loaded schema by "pkg.name" or "name". */
const orca_task_desc *cli_task(cli *c, const char *name);

/* Print a task record as text or JSON (result decoded through task's result
 * type when task is non-NULL). */
void cli_print_info(const cli *c, const orca_task_info *info, const orca_task_desc *task);

/* Write s to f as a JSON string literal (quoted and escaped). */
void cli_json_str(FILE *f, const char *s);

/* Release what the common part opened. */
void cli_close(cli *c);

/* Subcommands: each takes argv with argv[0] = subcommand name. */
int cmd_enqueue(cli *c, int argc, char **argv);
int cmd_wait(cli *c, int argc, char **argv);
int cmd_inspect(cli *c, int argc, char **argv);
int cmd_cancel(cli *c, int argc, char **argv);
int cmd_stats(cli *c, int argc, char **argv);
int cmd_dlq(cli *c, int argc, char **argv);
int cmd_schedules(cli *c, int argc, char **argv);
int cmd_dashboard(cli *c, int argc, char **argv);
int cmd_cluster(cli *c, int argc, char **argv);
/* `orca schedules next` (cmd_schedules_next.c); argv[0] = "next". */
int cmd_schedules_next(cli *c, int argc, char **argv);

#endif
