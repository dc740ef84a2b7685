/*
 * aot_instrument.c - edit wasm2c's C output before it is compiled.
 *
 * Textual edits, each on a construct wasm2c 1.0.32 always emits the same way:
 *   "goto w2c_L<n>;"   a branch back to a loop header   -> "{RW_FUEL_TICK(w, s); goto w2c_L<n>;}"
 *   "FUNC_PROLOGUE;"   every function entry             -> "... int64_t rw_budget = rw_enter();"
 *   "FUNC_EPILOGUE;"   every return path                -> "... RW_S->fuel += rw_budget;"
 *   "TRAP(EXHAUSTION)" call depth, in FUNC_PROLOGUE      -> "RW_EXHAUSTED()" (locates the call)
 *   "TRAP(OOB)"        bounds failure, memory or table  -> "RW_OOB()" (the glue tells them apart by
 *                                                          the helper it happens in: table_* /
 * memory)
 *   "#define TRAP(", "#define CALL_INDIRECT(", "#define DEFINE_LOAD(", "#define DEFINE_STORE("
 *                      renamed away, so the glue's own versions are used (traps that name the
 *                      function they happen in; separate call_indirect traps; typed loads/stores).
 * Fuel: one unit per function entry, and per loop back-edge a weight w = the C statements from the
 * loop's label to the branch, which wasm2c emits about one per wasm instruction: so fuel
 * approximates the interpreter's instruction count (straight-line code outside loops is not
 * counted), and every run is bounded since a wasm program can only run long through a loop or a
 * call. Each activation takes a slice of units from the instance's counter (RW_S: its struct
 * rw_aot_state) into a local (kept in a register: a global counter would put a store-to-load chain
 * on every loop iteration): 256 at entry, and s = max(16384, 4096 w) more whenever a loop of weight
 * w uses up what it holds; it gives back what is left when it returns. A call that runs out of fuel
 * may therefore stop early by what the active frames still hold (256 per frame, plus about 4096
 * iterations' worth per frame whose loops ran); a call that returns leaves exactly the units it did
 * not use. Unlimited fuel: each function reads the instance's metered flag into a local at entry
 * and every tick tests it first; gcc -O3 unswitches a loop on that loop-invariant test, and the
 * copy without ticks has no call in it and can be vectorized. Metered runs keep the tick in every
 * iteration. Workload: a linear scan of the C text.
 */
#include <stdio.h>
#include <string.h>

#include "rune/alloc.h"

#include "aot_int.h"

static int starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* Loop labels seen so far: for label n, how many ';' the text had at its definition. */
typedef struct labels {
    size_t *at;
    size_t n;
    int oom;
} labels;

#define MAX_LABEL (1u << 20) /* larger label numbers are not tracked: their loops weigh 1 */

static void label_def(labels *l, unsigned long n, size_t semis)
{
    if (n >= MAX_LABEL || l->oom) return;
    if (n >= l->n) {
        size_t cap = l->n ? l->n : 16;
        while (cap <= n)
            cap *= 2;
        size_t *a = rune_realloc_array(l->at, cap, sizeof *a);
        if (!a) {
            l->oom = 1;
            return;
        }
        for (size_t i = l->n; i < cap; i++)
            a[i] = (size_t)-1;
        l->at = a;
        l->n = cap;
    }
    l->at[n] = semis;
}

/* Statements from loop label n to here: about the wasm instructions of one iteration. */
static size_t loop_weight(const labels *l, unsigned long n, size_t semis)
{
    if (n >= l->n || l->at[n] == (size_t)-1 || semis <= l->at[n]) return 1;
    return semis - l->at[n];
}

static unsigned long parse_num(const char *p, const char *end, const char **after)
{
    unsigned long v = 0;
    while (p < end && *p >= '0' && *p <= '9' && v < MAX_LABEL)
        v = v * 10 + (unsigned long)(*p++ - '0');
    *after = p;
    return v;
}

/* The line of every top-level definition (a line at column 0 that ends in '{') and the wasm
 * function it defines (UINT32_MAX for anything but "w2c_f<N>"), as the C array rw_fn_lines {line,
 * func, ..., 0, 0} appended to the instrumented file. It is made from the edited text, so the
 * numbers are lines of the compiled file: a trap's code address maps through the object's line
 * table (-g1) to a line, and through this array to the wasm function, inlined or not
 * (aot_trap_loc.c). */
static void fn_lines(const char *src, size_t len, rw_aot_buf *out)
{
    const char *p = src, *end = src + len;
    uint32_t line = 1;
    rw_aot_buf_printf(out, "\nstatic const uint32_t rw_fn_lines[] = {");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\r'))
            t--;
        if (t > p && t[-1] == '{' && *p != ' ' && *p != '\t' && *p != '#' && *p != '/' &&
            *p != '}') {
            uint32_t idx = UINT32_MAX;
            for (const char *q = p; q + 6 < t; q++) {
                if (memcmp(q, " w2c_f", 6) != 0) continue;
                const char *after;
                unsigned long n = parse_num(q + 6, t, &after);
                if (after > q + 6 && after < t && *after == '(' && n < UINT32_MAX)
                    idx = (uint32_t)n;
                break;
            }
            rw_aot_buf_printf(out, "%u, %u, ", (unsigned)line, (unsigned)idx);
        }
        line++;
        p = e + 1;
    }
    rw_aot_buf_printf(out, "0, 0};\n");
}

/* After wasm2c's bulk-memory and table helpers (just before "static bool s_module_initialized"):
 * each call of a helper records the function and line it is called from, so that a bounds failure
 * inside the helper names the wasm function and its trap site (rw_oob in the glue). */
#define BULK_WRAP(h)                                                                               \
    "#define " #h "(...) (rw_bulk_fn = __func__, rw_bulk_line = __LINE__, " #h "(__VA_ARGS__))\n"
#define BULK_WRAPPERS                                                                              \
    BULK_WRAP(memory_fill)                                                                         \
    BULK_WRAP(memory_copy)                                                                         \
    BULK_WRAP(memory_init)                                                                         \
    BULK_WRAP(funcref_table_init)                                                                  \
    BULK_WRAP(externref_table_init)                                                                \
    BULK_WRAP(funcref_table_copy)                                                                  \
    BULK_WRAP(externref_table_copy)                                                                \
    BULK_WRAP(funcref_table_get) BULK_WRAP(externref_table_get) BULK_WRAP(funcref_table_set)       \
        BULK_WRAP(externref_table_set) BULK_WRAP(funcref_table_fill)                               \
            BULK_WRAP(externref_table_fill)

rune_status rw_aot_instrument(const rw_module *m, const char *src, size_t len, rw_aot_buf *out,
                              rune_error *err)
{
    const char *p = src, *end = src + len, *copied = src;
    labels lab = {NULL, 0, 0};
    size_t semis = 0;
    while (p < end) {
        const char *rep = NULL;
        size_t skip = 0;
        if (*p == ';') semis++;
        if (*p == 'g' && starts(p, end, "goto w2c_L")) {
            const char *semi = memchr(p, ';', (size_t)(end - p));
            if (!semi) break;
            const char *after;
            unsigned long n = parse_num(p + 10, end, &after);
            char tick[64];
            size_t w = loop_weight(&lab, n, semis);
            size_t slice = w * 4096 > 16384 ? w * 4096 : 16384;
            int k = snprintf(tick, sizeof tick, "{RW_FUEL_TICK(%zu, %zu); ", w, slice);
            rw_aot_buf_put(out, copied, (size_t)(p - copied));
            rw_aot_buf_put(out, tick, (size_t)k);
            rw_aot_buf_put(out, p, (size_t)(semi + 1 - p));
            rw_aot_buf_put(out, "}", 1);
            semis++;
            p = copied = semi + 1;
            continue;
        }
        if (*p == 'w' && starts(p, end, "w2c_L") && (p == src || p[-1] == ' ' || p[-1] == '\n')) {
            const char *after;
            unsigned long n = parse_num(p + 5, end, &after);
            if (after > p + 5 && after < end && *after == ':') label_def(&lab, n, semis);
        }
        if (*p == 's' && (p == src || p[-1] == '\n') &&
            starts(p, end, "static bool s_module_initialized")) {
            rep = BULK_WRAPPERS "static bool s_module_initialized";
            skip = 32;
        } else if (*p == 'F' && starts(p, end, "FUNC_PROLOGUE;")) {
            rep = "FUNC_PROLOGUE; const int rw_m = RW_S->metered; int64_t rw_budget = rw_m ? "
                  "rw_enter(RW_S, __func__) : 0;";
            skip = 14;
        } else if (*p == 'F' && starts(p, end, "FUNC_EPILOGUE;")) {
            rep = "FUNC_EPILOGUE; if (rw_m) RW_S->fuel += rw_budget;";
            skip = 14;
        } else if (*p == 'T' && starts(p, end, "TRAP(OOB)")) {
            rep = "RW_OOB()";
            skip = 9;
        } else if (*p == 'T' && starts(p, end, "TRAP(EXHAUSTION)")) {
            rep = "RW_EXHAUSTED()";
            skip = 16;
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
    rw_aot_buf tab = {0};
    if (!out->oom) fn_lines(out->p, out->len, &tab);
    if (!out->oom) rw_aot_sites(m, out->p, out->len, &tab, NULL);
    rw_aot_buf_put(out, tab.p, tab.len);
    int tab_oom = tab.oom;
    rw_aot_buf_free(&tab);
    rune_free(lab.at);
    if (out->oom || lab.oom || tab_oom)
        return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory instrumenting C");
    return RUNE_OK;
}
