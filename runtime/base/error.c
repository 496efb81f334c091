/* error.c — orca_strerror() and the orca_err helpers. */
#include "orca/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *orca_strerror(int code) {
  switch (code) {
  case 0:
    return "success";
#define ORCA__ERRNO_TEXT(name, value, text)                                                        \
  case value:                                                                                      \
    return text;
    ORCA_ERRNO_MAP(ORCA__ERRNO_TEXT)
#undef ORCA__ERRNO_TEXT
  default:
    return "unknown error";
  }
}

const char *orca_err_name(int code) {
  switch (code) {
  case 0:
    return "ORCA_OK";
#define ORCA__ERRNO_NAME(name, value, text)                                                        \
  case value:                                                                                      \
    return "ORCA_" #name;
    ORCA_ERRNO_MAP(ORCA__ERRNO_NAME)
#undef ORCA__ERRNO_NAME
  default:
    return "ORCA_E?";
  }
}

int orca_err_set(orca_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}
