/* compiler/codegen.h — orcac's code generator: a checked .orca file in, the C
 * header and source of its API out.
 *
 * The driver (compiler/main.c) calls orcac_codegen() once per input file
 * after sema accepted it. What the generated code offers is documented in
 * docs/generated-api.md; how it is produced in compiler/codegen_internal.h. */
#ifndef ORCAC_CODEGEN_H
#define ORCAC_CODEGEN_H

#include "idl/ast.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write OUTDIR/NAME.orca.h and OUTDIR/NAME.orca.c for `file` (NAME is
 * file->basename), rendered from the templates embedded in orcac, or from
 * TEMPLATES_DIR/<name>.mustache when templates_dir is non-NULL (a template
 * missing there falls back to the embedded one). `file` must have passed sema
 * without errors. Each output is written to a temporary file and renamed, so
 * a failed run never leaves half a file behind. Returns 0, or -1 after
 * printing "orcac: ..." to stderr (unreadable template, template error,
 * write failure, a templates_dir that is not a directory). OUTDIR must
 * exist. */
int orcac_codegen(const orca_ast_file *file, const char *outdir, const char *templates_dir);

/* Write OUTDIR/NAME_orca.py for `file` (orcac --lang python): the typed
 * Python module over the orcastra package (docs/python.md), rendered from
 * the embedded templates/module.py.mustache or TEMPLATES_DIR's. Same
 * preconditions, atomic write and failure reporting as orcac_codegen(). */
int orcac_codegen_python(const orca_ast_file *file, const char *outdir, const char *templates_dir);

#ifdef __cplusplus
}
#endif
#endif
