/* dec.h — integers as decimal text without the printf machinery, for the
 * per-task paths that format many of them (backend arguments, refs):
 * snprintf("%lld") costs more there than the rest of the work per value. */
#ifndef ORCA__BASE_DEC_H
#define ORCA__BASE_DEC_H

#include <stddef.h>
#include <stdint.h>

/* Longest output of orca__dec_i64 ("-9223372036854775808"). */
#define ORCA__DEC_MAX 20

/* Write v in decimal at out (ORCA__DEC_MAX bytes of room; no NUL).
 * Returns the length written. Never fails. */
size_t orca__dec_i64(char *out, int64_t v);

#endif
