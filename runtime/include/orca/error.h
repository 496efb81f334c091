/* orca/error.h — error codes shared by every part of liborca.
 *
 * Every function that can fail returns an int: 0 (or a non-negative count) on
 * success, a negative ORCA_E* code on failure. Where a caller can show a human
 * message, functions also fill an orca_err (see below) with what and where. */
#ifndef ORCA_ERROR_H
#define ORCA_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ORCA_ERRNO_MAP(X)                                                                          \
  X(EINVAL, -1, "invalid argument")                                                                \
  X(ENOMEM, -2, "out of memory")                                                                   \
  X(EIO, -3, "input/output error")                                                                 \
  X(ENOTFOUND, -4, "not found")                                                                    \
  X(EDUPLICATE, -5, "duplicate: an equal task already exists")                                     \
  X(ETIMEDOUT, -6, "timed out")                                                                    \
  X(ECANCELLED, -7, "cancelled")                                                                   \
  X(EDECODE, -8, "malformed payload")                                                              \
  X(ESCHEMA, -9, "schema fingerprint mismatch")                                                    \
  X(EURL, -10, "malformed backend URL")                                                            \
  X(ECONNECT, -11, "backend unreachable")                                                          \
  X(EBACKEND, -12, "backend error")                                                                \
  X(ENOTSUP, -13, "operation not supported by this backend")                                       \
  X(ECONFLICT, -14, "conflict: state changed concurrently")                                        \
  X(ESTATE, -15, "illegal state transition")                                                       \
  X(ELOST, -16, "lease lost")                                                                      \
  X(ECLOSED, -17, "closed")                                                                        \
  X(EHOOK, -18, "hook failed")                                                                     \
  X(ELIMIT, -19, "limit exceeded")                                                                 \
  X(EFAIL, -20, "task failed")                                                                     \
  X(ERANGE, -21, "value out of range")                                                             \
  X(EAGAIN, -22, "try again")                                                                      \
  X(EREJECTED, -23, "rejected by hook")

typedef enum orca_errno {
  ORCA_OK = 0,
#define ORCA__ERRNO_ENUM(name, value, text) ORCA_##name = (value),
  ORCA_ERRNO_MAP(ORCA__ERRNO_ENUM)
#undef ORCA__ERRNO_ENUM
} orca_errno;

/* Return a static, human-readable description of an ORCA_E* code (or of 0).
 * Unknown codes give "unknown error". Never returns NULL. */
const char *orca_strerror(int code);

/* Return the symbolic name of a code ("ORCA_EINVAL"); "ORCA_E?" if unknown. */
const char *orca_err_name(int code);

/* A detailed error message a caller can print. Functions that take an
 * orca_err * write a one-line message saying what failed and where (field,
 * column, URL part…). The pointer may be NULL when the caller does not want
 * the text. */
typedef struct orca_err {
  int code;
  char msg[256];
} orca_err;

/* Record code and a printf-style message into err (if non-NULL) and return
 * code, so callers can write `return orca_err_set(err, ORCA_EINVAL, "...")`. */
int orca_err_set(orca_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
