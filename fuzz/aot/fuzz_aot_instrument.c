/*
 * fuzz_aot_instrument.c - the textual instrumentation of wasm2c's output on arbitrary text: never
 * reads or writes out of bounds, and text without any of the patterns comes out unchanged, followed
 * only by the function-line table (rw_fn_lines) the pass always appends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/wasm/aot/aot_int.h"

static int has(const uint8_t *d, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(d + i, lit, k) == 0) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rw_aot_buf out = {0};
    rune_error err;
    if (rw_aot_instrument(NULL, (const char *)data, size, &out, &err) == RUNE_OK) {
        int plain = !has(data, size, "goto w2c_L") && !has(data, size, "FUNC_PROLOGUE;") &&
                    !has(data, size, "FUNC_EPILOGUE;") && !has(data, size, "TRAP(OOB)") &&
                    !has(data, size, "#define ") &&
                    !has(data, size, "static bool s_module_initialized");
        static const char table[] = "\nstatic const uint32_t rw_fn_lines[] = {";
        static const char table_end[] = "0, 0};\n";
        size_t t = sizeof table - 1, te = sizeof table_end - 1;
        if (plain && (out.len < size + t + te || (size && memcmp(out.p, data, size) != 0) ||
                      memcmp(out.p + size, table, t) != 0 ||
                      memcmp(out.p + out.len - te, table_end, te) != 0))
            abort();
    }
    rw_aot_buf_free(&out);
    return 0;
}
