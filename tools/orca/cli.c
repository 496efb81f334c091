/* cli.c — the parts of `orca` every subcommand shares: common options, the
 * client, the schema, and printing task records. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/reflect.h"

int cli_fail(const cli *c, int code, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "orca %s: ", c->prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return code;
}

int cli_common_opts(cli *c, int argc, char **argv) {
  c->backend = getenv("ORCA_BACKEND");
  c->schema = getenv("ORCA_SCHEMA");
  int out = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "--backend") == 0)
      slot = &c->backend;
    else if (strcmp(a, "--schema") == 0)
      slot = &c->schema;
    else if (strcmp(a, "-I") == 0) {
      if (c->nimports == CLI_MAX_IMPORTS)
        return cli_fail(c, -1, "too many -I directories (at most %d)", CLI_MAX_IMPORTS);
      slot = &c->imports[c->nimports++];
    } else if (strcmp(a, "--json") == 0) {
      c->json = true;
      continue;
    } else {
      argv[out++] = argv[i];
      continue;
    }
    if (i + 1 >= argc)
      return cli_fail(c, -1, "%s needs a value", a);
    *slot = argv[++i];
  }
  argv[out] = NULL;
  return out;
}

orca_client *cli_client(cli *c) {
  if (c->client)
    return c->client;
  orca_err err = {0};
  orca_client_opts o = {.backend = c->backend};
  int rc = orca_client_open(&o, &c->client, &err);
  if (rc) {
    cli_fail(c, CLI_FAIL, "%s", err.msg[0] ? err.msg : orca_strerror(rc));
    c->client = NULL;
  }
  return c->client;
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
