/*
 * aot_instrument.c - edit wasm2c's C output before it is compiled.
 *
 * Three textual edits, each on a construct wasm2c 1.0.32 always emits the same way:
 *   "goto w2c_L<n>;"   a branch back to a loop header    -> "{RW_FUEL_TICK(); goto w2c_L<n>;}"
 *   "FUNC_PROLOGUE;"   every function entry              -> "FUNC_PROLOGUE; RW_FUEL_TICK();"
 *   "TRAP(OOB)"        bounds failure, memory or table   -> "RW_OOB()" (the glue tells them apart
 * by the helper it happens in: table_* / memory)
 *   "#define CALL_INDIRECT(" renamed away, so the glue's own CALL_INDIRECT (which reports undefined
 *                      element, uninitialized element and type mismatch separately) is used.
 * So fuel counts loop iterations and calls (not instructions as the interpreter does): it bounds
 * every run, since a wasm program can only run long through a loop or a call. Workload: a linear
 * scan.
 */
#include <string.h>

#include "aot_int.h"

static int starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

rune_status rw_aot_instrument(const char *src, size_t len, rw_aot_buf *out, rune_error *err)
{
    const char *p = src, *end = src + len, *copied = src;
    while (p < end) {
        const char *rep = NULL;
        size_t skip = 0;
        if (*p == 'g' && starts(p, end, "goto w2c_L")) {
            const char *semi = memchr(p, ';', (size_t)(end - p));
            if (!semi) break;
            rw_aot_buf_put(out, copied, (size_t)(p - copied));
            rw_aot_buf_put(out, "{RW_FUEL_TICK(); ", 17);
            rw_aot_buf_put(out, p, (size_t)(semi + 1 - p));
            rw_aot_buf_put(out, "}", 1);
            p = copied = semi + 1;
            continue;
        }
        if (*p == 'F' && starts(p, end, "FUNC_PROLOGUE;")) {
            rep = "FUNC_PROLOGUE; RW_FUEL_TICK();";
            skip = 14;
        } else if (*p == 'T' && starts(p, end, "TRAP(OOB)")) {
            rep = "RW_OOB()";
            skip = 9;
        } else if (*p == '#' && starts(p, end, "#define DEFINE_LOAD(")) {
            rep = "#define RW_WABT_DEFINE_LOAD_(";
            skip = 20;
        } else if (*p == '#' && starts(p, end, "#define DEFINE_STORE(")) {
            rep = "#define RW_WABT_DEFINE_STORE_(";
            skip = 21;
        } else if (*p == '#' && starts(p, end, "#define CALL_INDIRECT(")) {
            rep = "#define RW_WABT_CALL_INDIRECT_(";
            skip = 22;
        }
        if (rep) {
            rw_aot_buf_put(out, copied, (size_t)(p - copied));
            rw_aot_buf_put(out, rep, strlen(rep));
            p = copied = p + skip;
        } else {
            p++;
        }
    }
    rw_aot_buf_put(out, copied, (size_t)(end - copied));
    if (out->oom) return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory instrumenting C");
    return RUNE_OK;
}
