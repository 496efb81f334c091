/* worker_main.c — orca_worker_main(): the command line every worker program
 * gets, so `./shop-worker --concurrency 8 --queues payments:3,default:1`
 * works the same for every generated program.
 *
 * Flags win over ORCA_* environment variables, which win over defaults.
 * Errors are one line on stderr: "PROG: what went wrong". A bad flag, value
 * or backend URL exits 2 and names the flag (or variable) and the value;
 * run-time errors (unreachable backend, handler registration) exit 1. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/backend.h"
#include "base/duration.h"
#include "http/http.h"
#include "orca/client.h"
#include "orca/log.h"
#include "worker/queues.h"
#include "worker/seams.h"
#include "worker/worker_internal.h"

static const char usage_text[] =
    "Usage: %s [OPTIONS]\n"
    "Run an Orcastra worker: fetch tasks from the backend and run their handlers.\n"
    "\n"
    "Options:\n"
    "  --backend URL      backend URL: sqlite:PATH, redis://[:PASSWORD@]HOST:PORT[/DB]\n"
    "                     (env ORCA_BACKEND; default sqlite:./.orca/orca.db)\n"
    "  --backend-file FILE  read the URL from FILE, so a password stays off the command\n"
    "                     line (env ORCA_BACKEND_FILE)\n"
    "  --kafka-conf FILE  librdkafka properties for a kafka:// backend, key=value lines\n"
    "                     (env ORCA_KAFKA_CONF; docs/kafka.md)\n"
    "  --concurrency N    handler threads, 1..%d (env ORCA_CONCURRENCY; default: CPUs)\n"
    "  --queues Q:W,...   queues to serve with weights, e.g. payments:3,default:1\n"
    "                     (env ORCA_QUEUES; default: the queues of the registered tasks)\n"
    "  --prefetch N       tasks leased ahead of free threads, 1..%d\n"
    "                     (default: adapts to task time and round trip, 0..256)\n"
    "  --lease DUR        lease length, renewed while a task runs (default 15s)\n"
    "  --grace DUR        shutdown grace for running tasks (default 10s)\n"
    "  --hooks FILE       global Lua hooks file\n"
    "  --id ID            worker id (default host:pid:random)\n"
    "  --no-schedules     do not run this program's schedules\n"
    "  --schedule-grace DUR\n"
    "                     a schedule's fire up to this late is on time; later ones follow\n"
    "                     its catch-up policy (env ORCA_SCHEDULE_GRACE; default 2s)\n"
    "  --max-tasks N      stop after N tasks finished\n"
    "  --metrics HOST:PORT  serve Prometheus metrics at http://HOST:PORT/metrics\n"
    "                     (env ORCA_METRICS; default: off; docs/operations.md)\n"
    "  --log-format FMT   text or json: one JSON object per log line\n"
    "                     (env ORCA_LOG_FORMAT; default text)\n"
    "  --peer ADDR        the peer network's IP:PORT (UDP and TCP; default 127.0.0.1:0,\n"
    "                     a free loopback port); workers sharing a backend find each other\n"
    "  --join ADDR,...    peers to join besides those the backend lists\n"
    "  --cluster-key-file FILE\n"
    "                     the cluster key every peer frame is sealed with; required off\n"
    "                     loopback (env ORCA_CLUSTER_KEY_FILE)\n"
    "  --no-peer          do not run the peer network (dead workers' tasks then wait for\n"
    "                     their lease)\n"
    "  --help             show this help and exit\n"
    "\n"
    "Durations: 500ms, 15s, 2m, 1h30m. SIGINT/SIGTERM stop gracefully (twice: at once);\n"
    "SIGHUP reloads hooks.\n";

static const char *prog_name(const char *argv0) {
  const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
  return slash ? slash + 1 : (argv0 ? argv0 : "worker");
}

/* Print "PROG: WHAT: 'TEXT' WHY" and return 2 (the usage exit status). */
static int bad(const char *prog, const char *what, const char *text, const char *why) {
  fprintf(stderr, "%s: %s: '%s' %s\n", prog, what, text ? text : "", why);
  return 2;
}

/* Parse a whole number in 1..max into *out; 2 after a message naming what. */
static int parse_count(const char *prog, const char *what, const char *text, unsigned max,
                       unsigned *out) {
  char *end = NULL;
  errno = 0;
  unsigned long v = *text >= '0' && *text <= '9' ? strtoul(text, &end, 10) : 0;
  if (!end || *end || errno || v < 1 || v > max) {
    char why[64];
    snprintf(why, sizeof why, "is not a whole number in 1..%u", max);
    return bad(prog, what, text, why);
  }
  *out = (unsigned)v;
  return 0;
}

/* Check a queue spec; 2 after a message naming what and the spec. */
static int check_queues(const char *prog, const char *what, const char *spec) {
  orca__queues qs;
  orca_err err = {0};
  if (orca__queues_parse(spec, &qs, &err) == 0)
    return 0;
  fprintf(stderr, "%s: %s: %s\n", prog, what, err.msg); /* err.msg quotes the spec */
  return 2;
}

typedef struct flags {
  orca_worker_opts o;
  const char *backend, *backend_file; /* as given; resolved by orca_url_from_options */
  orca_log_format log_format;
  bool help;
} flags;

/* Check one flag's value and store it in f. Returns 0 or 2 after one line
 * naming the flag and the value. */
static int take(const char *prog, flags *f, const char *name, const char *val) {
  if (strcmp(name, "--backend") == 0)
    f->backend = val;
  else if (strcmp(name, "--backend-file") == 0)
    f->backend_file = val;
  else if (strcmp(name, "--peer") == 0)
    f->o.peer_addr = val;
  else if (strcmp(name, "--join") == 0)
    f->o.peer_join = val;
  else if (strcmp(name, "--cluster-key-file") == 0) {
    f->o.cluster_key_file = val;
    if (!*val)
      return bad(prog, name, val, "is empty (no file name)");
  } else if (strcmp(name, "--kafka-conf") == 0) {
    char why[160];
    if (!*val)
      return bad(prog, name, val, "is empty (no file name)");
    if (access(val, R_OK) != 0) {
      snprintf(why, sizeof why, "cannot be read: %s", strerror(errno));
      return bad(prog, name, val, why);
    }
    setenv("ORCA_KAFKA_CONF", val, 1); /* where the Kafka log reads it */
  } else if (strcmp(name, "--queues") == 0) {
    f->o.queues = val;
    return check_queues(prog, name, val);
  } else if (strcmp(name, "--hooks") == 0) {
    f->o.hooks_file = val;
    char why[160];
    if (!*val)
      return bad(prog, name, val, "is empty (no file name)");
    if (access(val, R_OK) != 0) {
      snprintf(why, sizeof why, "cannot be read: %s", strerror(errno));
      return bad(prog, name, val, why);
    }
  } else if (strcmp(name, "--metrics") == 0 || strcmp(name, "ORCA_METRICS") == 0) {
    f->o.metrics = val;
    struct sockaddr_storage sa;
    orca_err err = {0};
    if (orca__http_parse_listen(name, val, &sa, &err)) {
      fprintf(stderr, "%s: %s\n", prog, err.msg); /* err.msg names the flag and the value */
      return 2;
    }
  } else if (strcmp(name, "--log-format") == 0 || strcmp(name, "ORCA_LOG_FORMAT") == 0) {
    if (orca_log_format_parse(val, &f->log_format))
      return bad(prog, name, val, "is not a log format (text or json)");
  } else if (strcmp(name, "--id") == 0) {
    f->o.worker_id = val;
    char why[64];
    snprintf(why, sizeof why, "must be 1 to %d characters", ORCA_NAME_MAX - 1);
    if (!*val || strlen(val) >= ORCA_NAME_MAX)
      return bad(prog, name, val, why);
  } else if (strcmp(name, "--concurrency") == 0)
    return parse_count(prog, name, val, ORCA_WORKER_MAX_CONCURRENCY, &f->o.concurrency);
  else if (strcmp(name, "--prefetch") == 0)
    return parse_count(prog, name, val, ORCA_WORKER_MAX_PREFETCH, &f->o.prefetch);
  else if (strcmp(name, "--max-tasks") == 0)
    return parse_count(prog, name, val, UINT_MAX, &f->o.max_tasks);
  else { /* --lease, --grace, --schedule-grace */
    int64_t *dst = strcmp(name, "--lease") == 0   ? &f->o.lease_us
                   : strcmp(name, "--grace") == 0 ? &f->o.grace_us
                                                  : &f->o.schedule_grace_us;
    orca_err err = {0};
    if (orca__duration_parse(name, val, dst, &err)) {
      fprintf(stderr, "%s: %s\n", prog, err.msg);
      return 2;
    }
    if (*dst <= 0)
      return bad(prog, name, val, "must be greater than zero");
  }
  return 0;
}

/* Parse the flags ("--name value" or "--name=value") into f. Returns 0, or
 * 2 after printing one line naming the bad flag or value. */
static int parse_args(const char *prog, int argc, char **argv, flags *f) {
  static const char *const known[] = {"--help",
                                      "--no-schedules",
                                      "--no-peer",
                                      "--backend",
                                      "--backend-file",
                                      "--queues",
                                      "--hooks",
                                      "--id",
                                      "--concurrency",
                                      "--prefetch",
                                      "--max-tasks",
                                      "--lease",
                                      "--grace",
                                      "--schedule-grace",
                                      "--peer",
                                      "--join",
                                      "--cluster-key-file",
                                      "--metrics",
                                      "--log-format",
                                      "--kafka-conf"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) {
      fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", prog, a);
      return 2;
    }
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    size_t k = 0, nknown = sizeof known / sizeof known[0];
    while (k < nknown && (strlen(known[k]) != len || strncmp(known[k], a, len) != 0))
      k++;
    if (k == nknown) {
      fprintf(stderr, "%s: unknown option '%.*s' (try --help)\n", prog, (int)len, a);
      return 2;
    }
    const char *name = known[k];
    if (k < 3) { /* --help, --no-schedules and --no-peer take no value */
      if (eq) {
        fprintf(stderr, "%s: option %s takes no value\n", prog, name);
        return 2;
      }
      if (k == 0)
        f->help = true;
      else if (k == 1)
        f->o.run_schedules = false;
      else
        f->o.run_peer = false;
      continue;
    }
    const char *val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
    if (!val) {
      fprintf(stderr, "%s: option %s needs a value (try --help)\n", prog, name);
      return 2;
    }
    int rc = take(prog, f, name, val);
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
  f.o.run_peer = true;
  const char *env;
  if ((env = getenv("ORCA_CONCURRENCY")) && *env &&
      parse_count(prog, "ORCA_CONCURRENCY", env, ORCA_WORKER_MAX_CONCURRENCY, &f.o.concurrency))
    return 2;
  if ((env = getenv("ORCA_QUEUES")) && *env) {
    if (check_queues(prog, "ORCA_QUEUES", env))
      return 2;
    f.o.queues = env;
  }
  if ((env = getenv("ORCA_SCHEDULE_GRACE")) && *env && take(prog, &f, "ORCA_SCHEDULE_GRACE", env))
    return 2;
  if ((env = getenv("ORCA_METRICS")) && *env && take(prog, &f, "ORCA_METRICS", env))
    return 2;
  if ((env = getenv("ORCA_LOG_FORMAT")) && *env && take(prog, &f, "ORCA_LOG_FORMAT", env))
    return 2;
  int rc = parse_args(prog, argc, argv, &f);
  if (rc)
    return rc;
  if (f.help) {
    printf(usage_text, prog, ORCA_WORKER_MAX_CONCURRENCY, ORCA_WORKER_MAX_PREFETCH);
    return 0;
  }
  orca_log_set_format(f.log_format);
  orca_err perr = {0};
  if (f.o.run_peer &&
      orca__seam_peer_check(f.o.peer_addr, f.o.peer_join, f.o.cluster_key_file, &perr)) {
    fprintf(stderr, "%s: %s\n", prog, perr.msg);
    return 2;
  }
  /* The URL of --backend or --backend-file; with neither, NULL lets the
   * library read ORCA_BACKEND or ORCA_BACKEND_FILE. */
  orca_err err = {0};
  char *url = NULL;
  const char *from = NULL;
  if (orca_url_from_options(f.backend, f.backend_file, &url, &from, &err)) {
    fprintf(stderr, "%s: %s\n", prog, err.msg);
    return 2;
  }
  f.o.backend = url;
  orca_worker *w = NULL;
  rc = orca_worker_open(&f.o, &w, &err);
  free(url); /* the worker keeps its own copy */
  if (rc) {
    if (rc == ORCA_EURL)
      orca__url_err_from(&err, rc, from);
    fprintf(stderr, "%s: %s\n", prog, err.msg[0] ? err.msg : orca_strerror(rc));
    return rc == ORCA_EURL ? 2 : 1;
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
