/* compiler/names.h — the naming rules of the C that orcac generates.
 *
 * One place decides how a .orca name becomes a C identifier, so the semantic
 * pass (which rejects collisions and keywords) and the code generator (which
 * emits the names) can never disagree:
 *
 *   package shop                  prefix            shop_
 *   struct/enum OrderItem         type              shop_order_item
 *   enum Tier, value FREE         constant          SHOP_TIER_FREE
 *   task charge                   base              shop_charge
 *                                 args struct       shop_charge_args
 *                                 enqueue stub      shop_charge_enqueue (…_at, …_in, …_opts)
 *                                 handler type      shop_charge_handler
 *                                 task descriptor   shop_charge__task
 *   struct Order                  descriptor        shop_order__desc
 *                                 type node         shop_order__type
 *   schedule nightly              descriptor        shop_nightly__schedule
 *   the file                      schema            shop__schema
 *
 *   the file shop.orca            header shop.orca.h, include guard SHOP_ORCA_H
 *
 * Names are converted to snake case: a '_' goes before an upper-case letter
 * that follows a lower-case letter or digit, or that starts a new word after
 * an acronym ("HTTPServer" -> "http_server"); then everything is lowered.
 * "__" never appears in a .orca name, nor '_' at either end of a package or
 * declaration name (sema rejects both), so every generated name with a "__"
 * suffix is collision-free by construction; the names without one are listed
 * by orcac_names_reserved() and checked by sema, against each other and
 * against what C reserves (compiler/c_names.h).
 *
 * Nothing here keeps state; only orcac_names_reserved() and
 * orcac_names_file_reserved() allocate (each name, for the call). */
#ifndef ORCAC_NAMES_H
#define ORCAC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "idl/ast.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest .orca name (package, declaration, field, parameter or enum
 * value), in bytes: generated C names stay well within what C compilers
 * accept, and messages readable. */
#define ORCAC_MAX_NAME 128

/* Suffixes the code generator appends to a declaration's C name. */
#define ORCAC_SFX_DESC "__desc"         /* struct/enum descriptor */
#define ORCAC_SFX_TYPE "__type"         /* orca_type node */
#define ORCAC_SFX_TASK "__task"         /* orca_task_desc */
#define ORCAC_SFX_SCHEDULE "__schedule" /* orca_schedule_desc */
#define ORCAC_SFX_ARGS "_args"          /* task: argument struct */
#define ORCAC_SFX_ENQUEUE "_enqueue"    /* task: typed enqueue stub */
#define ORCAC_SFX_HANDLER "_handler"    /* task: handler function type */
#define ORCAC_SFX_SCHEMA "_schema"      /* after the prefix: shop__schema */

/* Write `name` in lower snake case into buf (cap bytes; the result is always
 * NUL-terminated when cap > 0, truncated if needed). Returns the length the
 * full result needs, like snprintf. */
size_t orcac_snake(char *buf, size_t cap, const char *name);

/* Same, upper case: "OrderItem" -> "ORDER_ITEM". */
size_t orcac_upper_snake(char *buf, size_t cap, const char *name);

/* The C prefix of a package: "shop" -> "shop_". Same buffer contract. */
size_t orcac_c_prefix(char *buf, size_t cap, const char *package);

/* The C name of a declaration plus a suffix (NULL for none):
 * ("shop", "OrderItem", NULL) -> "shop_order_item";
 * ("shop", "charge", ORCAC_SFX_ARGS) -> "shop_charge_args";
 * ("shop", "Order", ORCAC_SFX_DESC) -> "shop_order__desc". */
size_t orcac_c_name(char *buf, size_t cap, const char *package, const char *name,
                    const char *suffix);

/* The C constant of an enum value: ("shop", "Tier", "FREE") -> "SHOP_TIER_FREE". */
size_t orcac_c_enum_value(char *buf, size_t cap, const char *package, const char *enum_name,
                          const char *value);

/* The schema object of a file: "shop" -> "shop__schema". */
size_t orcac_c_schema(char *buf, size_t cap, const char *package);

/* Call fn(ctx, cname) for every file-scope C identifier without "__" that a
 * declaration of kind `kind` named `name` in `package` makes the generated
 * code define (functions, types, enum constants are reported by sema
 * separately). The code generator must not define other such names.
 *   ENUM:     shop_tier, shop_tier_name, shop_tier_parse
 *   STRUCT:   shop_order, shop_order_init, shop_order_free, shop_order_pack,
 *             shop_order_unpack, shop_order_list, shop_order_map
 *   TASK:     shop_charge_args (+ its STRUCT names), shop_charge_enqueue,
 *             shop_charge_enqueue_at, shop_charge_enqueue_in,
 *             shop_charge_enqueue_opts, shop_charge_handler,
 *             shop_charge_result, shop_charge_fetch, shop_charge_invoke
 *   SCHEDULE: none (schedules only have "__schedule" objects)
 * File-wide names (orcac_names_file_reserved): shop_handlers, shop_register. */
typedef void (*orcac_name_fn)(void *ctx, const char *cname);
void orcac_names_reserved(const char *package, orca_ast_decl_kind kind, const char *name,
                          orcac_name_fn fn, void *ctx);

/* The file-wide names: "<prefix>handlers", "<prefix>register". */
void orcac_names_file_reserved(const char *package, orcac_name_fn fn, void *ctx);

/* The include guard of the header generated from a file whose name without
 * ".orca" is basename: "shop" -> "SHOP_ORCA_H" (letters upper-cased, other
 * characters '_'). Same buffer contract as orcac_snake(). */
size_t orcac_c_guard(char *buf, size_t cap, const char *basename);

/* True when basename (the file name without ".orca") can name generated
 * files and their include guard: a letter, then letters, digits, '_', '-'
 * and '.'. */
bool orcac_file_name_ok(const char *basename);

#ifdef __cplusplus
}
#endif
#endif
