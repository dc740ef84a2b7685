/*
 * aot_instrument.c - edit wasm2c's C output before it is compiled.
 *
 * Textual edits, each on a construct wasm2c 1.0.32 always emits the same way:
 *   "goto w2c_L<n>;"   a branch back to a loop header   -> "{RW_FUEL_TICK(); goto w2c_L<n>;}"
 *   "FUNC_PROLOGUE;"   every function entry             -> "... int64_t rw_budget = rw_take();"
 *   "FUNC_EPILOGUE;"   every return path                -> "... rw_fuel += rw_budget;"
 *   "TRAP(OOB)"        bounds failure, memory or table  -> "RW_OOB()" (the glue tells them apart by
 *                                                          the helper it happens in: table_* /
 * memory)
 *   "#define TRAP(", "#define CALL_INDIRECT(", "#define DEFINE_LOAD(", "#define DEFINE_STORE("
 *                      renamed away, so the glue's own versions are used (traps that name the
 *                      function they happen in; separate call_indirect traps; typed loads/stores).
 * Fuel: one unit per function entry and per loop back-edge (not per instruction as the interpreter
 * counts), so every run is bounded: a wasm program can only run long through a loop or a call. Each
 * activation takes a slice of up to RW_SLICE units from the object's counter into a local (kept in
 * a register: a global counter would put a store-to-load chain on every loop iteration), spends it
 * on its back-edges, takes more when it runs out and gives back what is left when it returns. A
 * call that runs out of fuel may therefore stop up to RW_SLICE units per active frame early; a call
 * that returns leaves exactly the units it did not use. Workload: a linear scan of the C text.
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
            rep = "FUNC_PROLOGUE; int64_t rw_budget = rw_take(__func__);";
            skip = 14;
        } else if (*p == 'F' && starts(p, end, "FUNC_EPILOGUE;")) {
            rep = "FUNC_EPILOGUE; rw_fuel += rw_budget;";
            skip = 14;
        } else if (*p == 'T' && starts(p, end, "TRAP(OOB)")) {
            rep = "RW_OOB()";
            skip = 9;
        } else if (*p == '#' && starts(p, end, "#define TRAP(")) {
            rep = "#define RW_WABT_TRAP_(";
            skip = 13;
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
