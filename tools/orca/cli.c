/* cli.c — the parts of `orca` every subcommand shares: common options, the
 * client, the schema, and printing task records. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/reflect.h"

int cli_fail(const cli *c, int code, const char *fmt, ...) {
  va_list ap;
  char msg[2048];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->log_json) {
    char what[2200], line[16384];
    snprintf(what, sizeof what, "orca %s: %s", c->prog, msg);
    if (orca_log_json_line(ORCA_LOG_ERROR, what, line, sizeof line) < sizeof line) {
      fprintf(stderr, "%s\n", line);
      return code;
    }
  }
  fprintf(stderr, "orca %s: %s\n", c->prog, msg);
  return code;
}

/* --log-format or $ORCA_LOG_FORMAT: the CLI's own messages and liborca's. */
static int set_log_format(cli *c, const char *what, const char *name) {
  orca_log_format f;
  if (orca_log_format_parse(name, &f))
    return cli_fail(c, -1, "%s '%s': not a log format (text or json)", what, name);
  c->log_json = f == ORCA_LOG_JSON;
  orca_log_set_format(f);
  return 0;
}

int cli_common_opts(cli *c, int argc, char **argv) {
  const char *env = getenv("ORCA_SCHEMA");
  c->schema = env && *env ? env : NULL;
  if ((env = getenv("ORCA_LOG_FORMAT")) && *env && set_log_format(c, "ORCA_LOG_FORMAT", env))
    return -1;
  int out = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "--backend") == 0)
      slot = &c->backend;
    else if (strcmp(a, "--backend-file") == 0)
      slot = &c->backend_file;
    else if (strcmp(a, "--schema") == 0)
      slot = &c->schema;
    else if (strcmp(a, "--cluster-key-file") == 0)
      slot = &c->key_file;
    else if (strcmp(a, "--kafka-conf") == 0)
      slot = &c->kafka_conf;
    else if (strcmp(a, "-I") == 0) {
      if (c->nimports == CLI_MAX_IMPORTS)
        return cli_fail(c, -1, "too many -I directories (at most %d)", CLI_MAX_IMPORTS);
      slot = &c->imports[c->nimports++];
    } else if (strcmp(a, "--json") == 0) {
      c->json = true;
      continue;
    } else if (strcmp(a, "--log-format") == 0) {
      if (i + 1 >= argc)
        return cli_fail(c, -1, "%s needs a value", a);
      if (set_log_format(c, a, argv[++i]))
        return -1;
      continue;
    } else {
      argv[out++] = argv[i];
      continue;
    }
    if (i + 1 >= argc)
      return cli_fail(c, -1, "%s needs a value", a);
    *slot = argv[++i];
    if (!**slot && slot != &c->backend) /* an empty --backend gets its own message */
      return cli_fail(c, -1, "%s '': empty value (an unset shell variable?)", a);
  }
  argv[out] = NULL;
  /* librdkafka properties for a kafka:// backend: the Kafka log reads the
   * file ORCA_KAFKA_CONF names (docs/kafka.md). */
  if (c->kafka_conf)
    setenv("ORCA_KAFKA_CONF", c->kafka_conf, 1);
  orca_err err = {0};
  if (orca_url_from_options(c->backend, c->backend_file, &c->url, &c->url_from, &err))
    return cli_fail(c, -1, "%s", err.msg);
  return out;
}

orca_client *cli_client(cli *c) {
  if (c->client)
    return c->client;
  orca_err err = {0};
  orca_client_opts o = {.backend = c->url, .cluster_key_file = c->key_file};
  int rc = orca_client_open(&o, &c->client, &err);
  if (rc) {
    /* A malformed URL is a usage error, named by the option it came from. */
    const char *from = rc == ORCA_EURL ? c->url_from : NULL;
    if (rc == ORCA_EURL)
      c->status = CLI_USAGE;
    cli_fail(c, CLI_FAIL, "%s%s%s", from ? from : "", from ? ": " : "",
             err.msg[0] ? err.msg : orca_strerror(rc));
    c->client = NULL;
  }
  return c->client;
}

int cli_read_input(cli *c, const char *opt, const char *path, orca_buf *out) {
  bool std_in = strcmp(path, "-") == 0;
  FILE *f = std_in ? stdin : fopen(path, "rb");
  if (!f)
    return cli_fail(c, CLI_USAGE, "%s '%s': %s", opt, path, strerror(errno));
  struct stat st;
  int rc = 0;
  if (!std_in && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > CLI_INPUT_MAX)
    rc = cli_fail(c, CLI_USAGE, "%s '%s': more than %u MiB (the limit for JSON arguments)", opt,
                  path, CLI_INPUT_MAX >> 20);
  char chunk[65536];
  size_t n;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (out->len + n > CLI_INPUT_MAX)
      rc = cli_fail(c, CLI_USAGE, "%s '%s': more than %u MiB (the limit for JSON arguments)", opt,
                    path, CLI_INPUT_MAX >> 20);
    else if (orca_buf_append(out, chunk, n))
      rc = cli_fail(c, CLI_FAIL, "%s '%s': out of memory", opt, path);
  }
  if (!rc && ferror(f))
    rc = cli_fail(c, CLI_USAGE, "%s '%s': %s", opt, path, strerror(errno));
  if (!std_in)
    fclose(f);
  if (!rc && orca_buf_append(out, "", 1))
    rc = cli_fail(c, CLI_FAIL, "%s '%s': out of memory", opt, path);
  if (!rc)
    out->len--; /* the NUL is there but not counted */
  return rc;
}

const orca_schema *cli_schema(cli *c) {
  if (c->loaded)
    return c->loaded;
  if (!c->schema) {
    cli_fail(c, CLI_USAGE, "--schema FILE.orca is needed to check arguments (or set ORCA_SCHEMA)");
    return NULL;
  }
  orca_err err = {0};
  int rc = orcac_schema_load(c->schema, c->imports, c->nimports, &c->loaded, &err);
  if (rc) {
    cli_fail(c, CLI_FAIL, "%s", err.msg[0] ? err.msg : orca_strerror(rc));
    c->loaded = NULL;
  }
  return c->loaded;
}

const orca_task_desc *cli_task(cli *c, const char *name) {
  const orca_schema *s = cli_schema(c);
  if (!s)
    return NULL;
  const orca_task_desc *t = orca_schema_task(s, name);
  if (!t) {
    /* Allow the short name within the schema's package. */
    char full[ORCA_NAME_MAX * 2];
    snprintf(full, sizeof full, "%s.%s", s->package, name);
    t = orca_schema_task(s, full);
  }
  if (!t)
    cli_fail(c, CLI_FAIL, "no task '%s' in %s", name, c->schema);
  return t;
}

void cli_close(cli *c) {
  free(c->url);
  c->url = NULL;
  if (c->client)
    orca_client_close(c->client);
  if (c->loaded)
    orcac_schema_free(c->loaded);
  c->client = NULL;
  c->loaded = NULL;
}

/* Parse "--name VALUE" pairs this command knows; returns the number of
 * positional arguments left in argv[1..], or -1 after a usage message. */
int cli_take_opts(cli *c, int argc, char **argv, const cli_opt *opts, size_t nopts) {
  int out = 1;
  for (int i = 1; i < argc; i++) {
    const cli_opt *o = NULL;
    for (size_t k = 0; k < nopts; k++)
      if (strcmp(argv[i], opts[k].name) == 0)
        o = &opts[k];
    if (!o) {
      if (argv[i][0] == '-' && argv[i][1] == '-')
        return cli_fail(c, -1, "unknown option '%s' (try 'orca %s --help')", argv[i], c->prog);
      argv[out++] = argv[i];
      continue;
    }
    if (i + 1 >= argc)
      return cli_fail(c, -1, "%s needs a value", argv[i]);
    *o->value = argv[++i];
  }
  return out - 1;
}

bool cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return true;
  return false;
}
