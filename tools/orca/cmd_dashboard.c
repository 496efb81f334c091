/* cmd_dashboard.c — `orca dashboard`: serve the web dashboard (orca/
 * dashboard.h) until SIGINT or SIGTERM.
 *
 *   orca dashboard [--listen 127.0.0.1:8080] [--allow-actions] [--auth-file FILE]
 *                  [--schema shop.orca]
 *
 * The token comes from a file, never from the command line, so it is not in
 * `ps` or a shell history; it is never printed. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TOKEN_FILE_MAX 4096

static const char help[] =
    "usage: orca dashboard [--listen HOST:PORT] [--allow-actions] [--auth-file FILE]\n"
    "                      [--schema FILE.orca]\n"
    "Serve the web dashboard: queues, tasks, dead letters, schedules, workers.\n"
    "  --listen HOST:PORT  where to serve (default 127.0.0.1:8080; port 0 = any free one)\n"
    "  --allow-actions     let the page retry, delete and cancel tasks and pause schedules\n"
    "                      (default: read-only)\n"
    "  --auth-file FILE    a file holding a token (16+ characters) that every API request\n"
    "                      must carry as 'Authorization: Bearer TOKEN'; needed for actions\n"
    "                      on an address that is not loopback\n"
    "  --schema FILE.orca  show arguments and results with their field names\n"
    "Stops on SIGINT or SIGTERM. See docs/operations.md.\n";

/* Read the token: the file's first line, without trailing white space. */
static int read_token(cli *c, const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f)
    return cli_fail(c, CLI_USAGE, "--auth-file '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
    orca_log(ORCA_LOG_WARN, "--auth-file '%s' can be read by other users (chmod 600 it)", path);
  size_t n = fgets(out, (int)cap, f) ? strlen(out) : 0;
  fclose(f);
  while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ' || out[n - 1] == '\t'))
    out[--n] = '\0';
  if (n == 0)
    return cli_fail(c, CLI_USAGE, "--auth-file '%s': no token in the file's first line", path);
  if (n + 1 >= cap)
    return cli_fail(c, CLI_USAGE, "--auth-file '%s': the token is longer than %d bytes", path,
                    TOKEN_FILE_MAX - 2);
  return 0;
}

int cmd_dashboard(cli *c, int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    fputs(help, stdout);
    return CLI_OK;
  }
  bool actions = false;
  int n = 1;
  for (int i = 1; i < argc; i++) { /* the one flag without a value */
    if (strcmp(argv[i], "--allow-actions") == 0)
      actions = true;
    else
      argv[n++] = argv[i];
  }
  argc = n;
  argv[argc] = NULL;
  const char *listen = "127.0.0.1:8080", *auth_file = NULL;
  const cli_opt opts[] = {{"--listen", &listen}, {"--auth-file", &auth_file}};
  n = cli_take_opts(c, argc, argv, opts, 2);
  if (n != 0)
    return n < 0 ? CLI_USAGE : cli_fail(c, CLI_USAGE, "takes no arguments (try --help)");
  static char token[TOKEN_FILE_MAX];
  if (auth_file && read_token(c, auth_file, token, sizeof token))
    return CLI_USAGE;
  const orca_schema *schema = NULL;
  if (c->schema && !(schema = cli_schema(c)))
    return CLI_FAIL;
  /* Block the stop signals in every thread (the server's inherits the mask)
   * and wait for them here. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  orca_dashboard_opts o = {.backend = c->url,
                           .listen = listen,
                           .allow_actions = actions,
                           .token = auth_file ? token : NULL,
                           .schemas = schema ? &schema : NULL,
                           .nschemas = schema ? 1 : 0};
  orca_dashboard *d = NULL;
  orca_err err = {0};
  int rc = orca_dashboard_open(&o, &d, &err);
  memset(token, 0, sizeof token);
  if (rc) {
    if (rc == ORCA_EURL || rc == ORCA_EINVAL)
      c->status = CLI_USAGE;
    return cli_fail(c, CLI_FAIL, "%s%s%s", rc == ORCA_EURL && c->url_from ? c->url_from : "",
                    rc == ORCA_EURL && c->url_from ? ": " : "",
                    err.msg[0] ? err.msg : orca_strerror(rc));
  }
  const char *colon = strrchr(listen, ':');
  printf("orca dashboard: serving http://%.*s:%u/ (%s%s)\n", (int)(colon - listen), listen,
         orca_dashboard_port(d), actions ? "actions allowed" : "read-only",
         auth_file ? ", token required" : "");
  fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  orca_dashboard_close(d);
  return CLI_OK;
}
