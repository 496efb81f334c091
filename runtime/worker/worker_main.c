/* worker_main.c — orca_worker_main(): the command line every worker program
 * gets, so `./shop-worker --concurrency 8 --queues payments:3,default:1`
 * works the same for every generated program.
 *
 * Flags win over ORCA_* environment variables, which win over defaults.
 * Errors are one line on stderr: "PROG: what went wrong"; usage errors exit
 * 2, runtime errors (bad URL, unreachable backend, handler registration)
 * exit 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "orca/log.h"
#include "worker/queues.h"
#include "worker/worker_internal.h"

static const char usage_text[] =
    "Usage: %s [OPTIONS]\n"
    "Run an Orcastra worker: fetch tasks from the backend and run their handlers.\n"
    "\n"
    "Options:\n"
    "  --backend URL      backend URL: sqlite:PATH, redis://HOST:PORT[/DB], kafka://BROKERS\n"
    "                     (env ORCA_BACKEND; default sqlite:./.orca/orca.db)\n"
    "  --concurrency N    handler threads (env ORCA_CONCURRENCY; default: number of CPUs)\n"
    "  --queues Q:W,...   queues to serve with weights, e.g. payments:3,default:1\n"
    "                     (env ORCA_QUEUES; default: the queues of the registered tasks)\n"
    "  --prefetch N       tasks leased ahead of free threads (default: 4 x concurrency, at least 16)\n"
    "  --lease DUR        lease length, renewed while a task runs (default 15s)\n"
    "  --grace DUR        shutdown grace for running tasks (default 10s)\n"
    "  --hooks FILE       global Lua hooks file\n"
    "  --id ID            worker id (default host:pid:random)\n"
    "  --no-schedules     do not run this program's schedules\n"
    "  --max-tasks N      stop after N tasks finished\n"
    "  --help             show this help and exit\n"
    "\n"
    "Durations: 500ms, 15s, 2m, 1h30m. SIGINT/SIGTERM stop gracefully (twice: at once);\n"
    "SIGHUP reloads hooks.\n";

static const char *prog_name(const char *argv0) {
  const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
  return slash ? slash + 1 : (argv0 ? argv0 : "worker");
}

static int parse_uint(const char *prog, const char *what, const char *text, unsigned min,
                      unsigned *out) {
  char *end;
  errno = 0;
  unsigned long v = text && *text && *text != '-' ? strtoul(text, &end, 10) : 0;
  if (!text || !*text || *text == '-' || *end || errno || v < min || v > 1000000) {
    fprintf(stderr, "%s: %s: '%s' is not a whole number >= %u\n", prog, what, text ? text : "",
            min);
    return 2;
  }
  *out = (unsigned)v;
  return 0;
}

typedef struct flags {
  orca_worker_opts o;
  bool help;
} flags;

/* Parse the flags ("--name value" or "--name=value") into f. Returns 0, or
 * 2 after printing one line naming the bad flag or value. */
static int parse_args(const char *prog, int argc, char **argv, flags *f) {
  orca_err err = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    char name[64];
    const char *val = NULL;
    const char *eq = strchr(a, '=');
    if (strncmp(a, "--", 2) != 0) {
      fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", prog, a);
      return 2;
    }
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    if (len >= sizeof name) {
      fprintf(stderr, "%s: unknown option '%s' (try --help)\n", prog, a);
      return 2;
    }
    memcpy(name, a, len);
    name[len] = '\0';
    static const char *const known[] = {
        "--help",        "--no-schedules", "--backend",   "--queues", "--hooks", "--id",
        "--concurrency", "--prefetch",     "--max-tasks", "--lease",  "--grace"};
    size_t k = 0, nknown = sizeof known / sizeof known[0];
    while (k < nknown && strcmp(known[k], name) != 0)
      k++;
    if (k == nknown) {
      fprintf(stderr, "%s: unknown option '%s' (try --help)\n", prog, name);
      return 2;
    }
    bool takes = k >= 2; /* all but --help and --no-schedules take a value */
    if (takes) {
      if (eq)
        val = eq + 1;
      else if (i + 1 < argc)
        val = argv[++i];
      else {
        fprintf(stderr, "%s: option %s needs a value (try --help)\n", prog, name);
        return 2;
      }
    } else if (eq) {
      fprintf(stderr, "%s: option %s takes no value\n", prog, name);
      return 2;
    }
    int rc = 0;
    if (strcmp(name, "--help") == 0)
      f->help = true;
    else if (strcmp(name, "--no-schedules") == 0)
      f->o.run_schedules = false;
    else if (strcmp(name, "--backend") == 0)
      f->o.backend = val;
    else if (strcmp(name, "--queues") == 0)
      f->o.queues = val;
    else if (strcmp(name, "--hooks") == 0)
      f->o.hooks_file = val;
    else if (strcmp(name, "--id") == 0)
      f->o.worker_id = val;
    else if (strcmp(name, "--concurrency") == 0)
      rc = parse_uint(prog, name, val, 1, &f->o.concurrency);
    else if (strcmp(name, "--prefetch") == 0)
      rc = parse_uint(prog, name, val, 1, &f->o.prefetch);
    else if (strcmp(name, "--max-tasks") == 0)
      rc = parse_uint(prog, name, val, 1, &f->o.max_tasks);
    else if (strcmp(name, "--lease") == 0 || strcmp(name, "--grace") == 0) {
      int64_t *dst = name[2] == 'l' ? &f->o.lease_us : &f->o.grace_us;
      if (orca__duration_parse(name, val, dst, &err) || *dst <= 0) {
        fprintf(stderr, "%s: %s\n", prog,
                err.msg[0] ? err.msg : "duration must be greater than zero");
        return 2;
      }
    } else {
      fprintf(stderr, "%s: unknown option '%s' (try --help)\n", prog, name);
      return 2;
    }
    if (rc)
      return rc;
  }
  return 0;
}

int orca_worker_main(int argc, char **argv, orca_register_fn reg, void *ud) {
  const char *prog = prog_name(argc > 0 ? argv[0] : NULL);
  flags f;
  memset(&f, 0, sizeof f);
  f.o.install_signals = true;
  f.o.run_schedules = true;
  const char *env;
  if ((env = getenv("ORCA_CONCURRENCY")) && *env &&
      parse_uint(prog, "ORCA_CONCURRENCY", env, 1, &f.o.concurrency))
    return 2;
  if ((env = getenv("ORCA_QUEUES")) && *env)
    f.o.queues = env;
  if ((env = getenv("ORCA_BACKEND")) && *env)
    f.o.backend = env;
  int rc = parse_args(prog, argc, argv, &f);
  if (rc)
    return rc;
  if (f.help) {
    printf(usage_text, prog);
    return 0;
  }
  orca_err err = {0};
  if (f.o.queues) {
    orca__queues qs;
    if (orca__queues_parse(f.o.queues, &qs, &err)) {
      fprintf(stderr, "%s: --queues: %s\n", prog, err.msg);
      return 2;
    }
  }
  orca_worker *w = NULL;
  rc = orca_worker_open(&f.o, &w, &err);
  if (rc) {
    fprintf(stderr, "%s: %s\n", prog, err.msg[0] ? err.msg : orca_strerror(rc));
    return 1;
  }
  if (reg) {
    rc = reg(w, ud, &err);
    if (rc) {
      fprintf(stderr, "%s: registering handlers failed: %s\n", prog,
              err.msg[0] ? err.msg : orca_strerror(rc));
      orca_worker_close(w);
      return 1;
    }
  }
  rc = orca__worker_prepare(w, &err);
  if (rc) {
    fprintf(stderr, "%s: %s\n", prog, err.msg);
    orca_worker_close(w);
    return 1;
  }
  rc = orca_worker_run(w, &err);
  orca_worker_close(w);
  if (rc) {
    fprintf(stderr, "%s: worker stopped: %s\n", prog, err.msg[0] ? err.msg : orca_strerror(rc));
    return 1;
  }
  return 0;
}
