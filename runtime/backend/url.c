/* url.c — backend URLs outside their parsers: redacting the password before
 * a URL reaches a message, and finding the URL when the caller gave none
 * (ORCA_BACKEND, or ORCA_BACKEND_FILE naming a file that holds it) or gave
 * it as a file (--backend-file), so a password never has to be on a command
 * line where `ps` shows it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "backend/backend.h"
#include "backend/url.h"
#include "orca/client.h"
#include "orca/log.h"

/* Append n bytes of s to out (cap bytes), truncating; *len is the length so
 * far and out stays NUL-terminated. */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n) {
  size_t room = cap - 1 - *len;
  if (n > room)
    n = room;
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = '\0';
}

bool orca__url_secret_key(const char *key, size_t n) {
  static const char *const words[] = {"pass", "secret", "token", "jaas",
                                      "key",  "config", "auth",  "cred"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    size_t w = strlen(words[i]);
    for (size_t j = 0; j + w <= n; j++)
      if (strncasecmp(key + j, words[i], w) == 0)
        return true;
  }
  return false;
}

/* Copy the query of a URL (from its '?') hiding the value of every secret
 * parameter (orca__url_secret_key). */
static void put_query(char *out, size_t cap, size_t *len, const char *q) {
  while (*q) {
    const char *amp = strchr(q + 1, '&');
    const char *end = amp ? amp : q + strlen(q);
    const char *eq = memchr(q + 1, '=', (size_t)(end - q - 1));
    if (eq && orca__url_secret_key(q + 1, (size_t)(eq - q - 1))) {
      put(out, cap, len, q, (size_t)(eq - q + 1));
      put(out, cap, len, "***", 3);
    } else if (eq && (size_t)(end - eq) < 1024 && memmem(eq, (size_t)(end - eq), "://", 3)) {
      /* a URL as a value (store=redis://:PW@H): redacted as a URL */
      char val[1024], shown[1024];
      memcpy(val, eq + 1, (size_t)(end - eq - 1));
      val[end - eq - 1] = '\0';
      put(out, cap, len, q, (size_t)(eq - q + 1));
      orca_url_redact(val, shown, sizeof shown);
      put(out, cap, len, shown, strlen(shown));
    } else {
      put(out, cap, len, q, (size_t)(end - q));
    }
    q = end;
  }
}

/* The user information of url hidden (orca_url_redact's rule), its query
 * left as it is. */
static void redact_userinfo(const char *url, char *out, size_t cap) {
  size_t len = 0;
  out[0] = '\0';
  const char *at = strrchr(url, '@');
  const char *colon = strchr(url, ':');
  /* sqlite:PATH is a file path: an '@' in it is not a credential. */
  bool path_form =
      strncmp(url, "sqlite:", 7) == 0 && !(url[7] == '/' && url[8] == '/' && url[9] != '/');
  if (!at || path_form) {
    put(out, cap, &len, url, strlen(url));
    return;
  }
  /* Everything between the scheme and the last '@' is user information (the
   * Redis parser, too, takes the last '@'); keep "scheme://" and a user name
   * before a ':', hide the rest. */
  const char *info = url;
  if (colon && colon < at) {
    info = colon + 1;
    while (*info == '/' && info < at)
      info++;
  }
  put(out, cap, &len, url, (size_t)(info - url));
  const char *sep = memchr(info, ':', (size_t)(at - info));
  if (sep)
    put(out, cap, &len, info, (size_t)(sep - info + 1));
  put(out, cap, &len, "***", 3);
  put(out, cap, &len, at, strlen(at));
}

const char *orca_url_redact(const char *url, char *out, size_t cap) {
  if (!out || cap == 0)
    return "";
  out[0] = '\0';
  if (!url)
    return out;
  /* kafka:// has no user information: its query (sasl.password=S, store=URL)
   * starts at the first '?'. */
  const char *query = strncmp(url, "kafka://", 8) == 0 ? strchr(url, '?') : NULL;
  if (query) {
    char head[1024];
    size_t hn = (size_t)(query - url);
    if (hn >= sizeof head)
      hn = sizeof head - 1;
    memcpy(head, url, hn);
    head[hn] = '\0';
    redact_userinfo(head, out, cap);
    size_t len = strlen(out);
    put_query(out, cap, &len, query);
    return out;
  }
  /* Elsewhere a password may hold a '?', so the user information goes
   * first; the first '?' left is then the query's (sqlite:F?store=URL,
   * redis+cluster://H:P?wait=N), whose secrets are hidden the same way. */
  char first[2048];
  redact_userinfo(url, first, sizeof first < cap ? sizeof first : cap);
  query = strchr(first, '?');
  size_t len = 0;
  put(out, cap, &len, first, query ? (size_t)(query - first) : strlen(first));
  if (query)
    put_query(out, cap, &len, query);
  return out;
}

/* Warn, once per process (a worker opens its backend more than once), when
 * a file holding credentials can be read by every user on the machine. */
static void warn_if_public(const char *what, const char *path, mode_t mode, const char *url) {
  static atomic_bool warned;
  char shown[ORCA__URL_FILE_MAX + 8];
  orca_url_redact(url, shown, sizeof shown);
  if ((mode & S_IROTH) && strcmp(shown, url) != 0 && !atomic_exchange(&warned, true))
    orca_log(ORCA_LOG_WARN, "%s %s holds a password and is readable by every user (chmod 600 it)",
             what, path);
}

int orca__url_read_file(const char *what, const char *path, char **out, orca_err *err) {
  *out = NULL;
  if (!path || !*path)
    return orca_err_set(err, ORCA_EINVAL, "%s: empty file name", what);
  FILE *f = fopen(path, "r");
  if (!f)
    return orca_err_set(err, ORCA_EIO, "%s '%s': %s", what, path, strerror(errno));
  struct stat st;
  mode_t mode = fstat(fileno(f), &st) == 0 ? st.st_mode : 0;
  if (mode && !S_ISREG(mode)) {
    fclose(f);
    return orca_err_set(err, ORCA_EINVAL, "%s '%s' is not a regular file", what, path);
  }
  char buf[ORCA__URL_FILE_MAX + 2];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  bool failed = ferror(f);
  fclose(f);
  if (failed)
    return orca_err_set(err, ORCA_EIO, "%s '%s': read error", what, path);
  if (n > ORCA__URL_FILE_MAX)
    return orca_err_set(err, ORCA_EINVAL, "%s '%s' is larger than %d bytes; it should hold one URL",
                        what, path, ORCA__URL_FILE_MAX);
  buf[n] = '\0';
  while (n > 0 &&
         (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    buf[--n] = '\0';
  if (n == 0)
    return orca_err_set(err, ORCA_EINVAL, "%s '%s' is empty; it should hold the backend URL", what,
                        path);
  if (strlen(buf) != n || strpbrk(buf, "\r\n"))
    return orca_err_set(err, ORCA_EINVAL,
                        "%s '%s' must hold the backend URL on one line, and nothing else", what,
                        path);
  warn_if_public(what, path, mode, buf);
  if (!(*out = strdup(buf)))
    return orca_err_set(err, ORCA_ENOMEM, "%s: out of memory", what);
  return 0;
}

int orca__url_from_env(char **out, const char **from, orca_err *err) {
  *out = NULL;
  *from = NULL;
  const char *url = getenv("ORCA_BACKEND"), *file = getenv("ORCA_BACKEND_FILE");
  bool has_url = url && *url, has_file = file && *file;
  if (has_url && has_file)
    return orca_err_set(err, ORCA_EURL,
                        "both ORCA_BACKEND and ORCA_BACKEND_FILE are set; unset one of them");
  if (has_file) {
    *from = "ORCA_BACKEND_FILE";
    int rc = orca__url_read_file(*from, file, out, err);
    return rc == 0 || rc == ORCA_ENOMEM ? rc : orca__url_err_from(err, ORCA_EURL, NULL);
  }
  if (has_url) {
    *from = "ORCA_BACKEND";
    if (!(*out = strdup(url)))
      return orca_err_set(err, ORCA_ENOMEM, "ORCA_BACKEND: out of memory");
  }
  return 0;
}

int orca_url_from_options(const char *url, const char *file, char **out, const char **from,
                          orca_err *err) {
  *out = NULL;
  *from = NULL;
  if (url && file)
    return orca_err_set(err, ORCA_EINVAL, "give --backend or --backend-file, not both");
  if (file) {
    *from = "--backend-file";
    return orca__url_read_file(*from, file, out, err);
  }
  if (!url)
    return 0;
  *from = "--backend";
  if (!*url)
    return orca_err_set(err, ORCA_EURL,
                        "--backend '': the URL is empty (an unset shell variable?); leave the "
                        "option out to use $ORCA_BACKEND or the default");
  if (!(*out = strdup(url)))
    return orca_err_set(err, ORCA_ENOMEM, "--backend: out of memory");
  return 0;
}

int orca__url_err_from(orca_err *err, int code, const char *from) {
  if (!err)
    return code;
  err->code = code;
  if (!from)
    return code;
  char msg[sizeof err->msg];
  memcpy(msg, err->msg, sizeof msg);
  return orca_err_set(err, code, "%s: %s", from, msg);
}
