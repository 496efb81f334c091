/* compiler/c_names.h — the identifiers generated C must not define: C's
 * keywords, the names reserved to the implementation, the names of the C
 * standard library (its headers and the patterns the C standard reserves
 * for them) and liborca's namespace.
 *
 * orcac's generated code includes <stdbool.h>, <stddef.h>, <stdint.h>,
 * <math.h> and <string.h> and liborca's headers, and users include it
 * next to any other standard header, so a struct member that is a macro of
 * any of them, or a file-scope name any of them declares, would break the
 * build. The library names are those of the C11 to C23 headers as glibc,
 * gcc and clang declare them in their default (gnu17) and strict modes.
 * The rules are listed in docs/language.md; sema (compiler/sema_cnames.c)
 * applies them to every name a declaration makes the generated code
 * define. */
#ifndef ORCAC_C_NAMES_H
#define ORCAC_C_NAMES_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where generated code defines a name. */
typedef enum orcac_c_scope {
  ORCAC_C_MEMBER, /* a struct member: only keywords and macros get in the way */
  ORCAC_C_FILE,   /* a type, function, object, enum constant or macro */
} orcac_c_scope;

/* True when s is a keyword of C11 or C23 (or `asm`, a keyword of GNU C),
 * or a name <stdbool.h> defines. */
bool orcac_is_c_keyword(const char *s);

/* Why the identifier `id` cannot be defined in `scope`, as a phrase that
 * completes "'id' is ...": "a C keyword", "a macro of <stddef.h>",
 * "declared by <stdint.h>", "reserved for <errno.h> macros (E and a digit
 * or capital letter)", ...; NULL when it can. The phrase is static. */
const char *orcac_c_reserved(const char *id, orcac_c_scope scope);

#ifdef __cplusplus
}
#endif
#endif
