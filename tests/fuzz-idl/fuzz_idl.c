/* tests/fuzz-idl/fuzz_idl.c — libFuzzer target: the whole .orca front end
 * (scanner, parser, semantic pass, fingerprints, argument encoding) over
 * arbitrary bytes held in memory. Imports are refused so the fuzzer never
 * touches the file system; diagnostics are counted, not printed. A crash,
 * a sanitizer report or a leak is a bug. Long run:
 *   build/tests/fuzz-idl/fuzz_idl -max_total_time=3600 tests/fuzz-idl/corpus */
#include <stddef.h>
#include <stdint.h>

#include "compiler/frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  orcac_session s;
  orcac_session_init(&s, NULL, 0, NULL);
  s.no_imports = true;
  orcac_load_buffer(&s, "fuzz.orca", (const char *)data, size);
  orcac_session_free(&s);
  return 0;
}
