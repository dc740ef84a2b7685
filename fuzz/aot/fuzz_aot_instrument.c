/*
 * fuzz_aot_instrument.c - the textual instrumentation of wasm2c's output, and the trap-site table
 * it appends, on arbitrary text and modules. Input: a 2-byte little-endian length n, n bytes of a
 * module (used when it decodes and validates, else the pass runs without one), the rest C text.
 * Invariants: never reads or writes out of bounds; text without any of the patterns comes out
 * unchanged, followed only by the function-line table (rw_fn_lines) and the trap-site table
 * (rw_trap_sites); every trap site is on a line of the text, lines strictly increase, its offset
 * lies inside a defined function's body and its class is one of RW_AOT_SITE_* (a call: of a
 * defined function); without a module
 * the site table is empty.
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

/* The last occurrence of lit in [p, end), or NULL. */
static const char *find_last(const char *p, const char *end, const char *lit)
{
    size_t k = strlen(lit);
    const char *found = NULL;
    for (; p + k <= end; p++)
        if (memcmp(p, lit, k) == 0) found = p;
    return found;
}

/* Read an unsigned decimal at *p followed by ", " (or abort). */
static uint64_t num(const char **p, const char *end)
{
    uint64_t v = 0;
    const char *q = *p;
    if (q >= end || *q < '0' || *q > '9') abort();
    while (q < end && *q >= '0' && *q <= '9' && v < (1ull << 40))
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (end - q < 2 || q[0] != ',' || q[1] != ' ') abort();
    *p = q + 2;
    return v;
}

/* The site table (the last one in the output) against the instrumented text before the tables. */
static void check_sites(const rw_module *m, const char *out, size_t out_len)
{
    static const char fl[] = "\nstatic const uint32_t rw_fn_lines[] = {";
    static const char head[] = "\nstatic const uint32_t rw_trap_sites[] = {";
    const char *end = out + out_len;
    const char *t = find_last(out, end, head);
    const char *f = find_last(out, end, fl);
    if (!t || !f || f > t) abort();
    const char *p = t + sizeof head - 1;
    size_t lines = 1;
    for (const char *q = out; q < f; q++)
        lines += *q == '\n';
    uint64_t prev = 0;
    for (;;) {
        uint64_t line = num(&p, end), off = num(&p, end);
        if (p >= end) abort();
        if (line == 0) {
            if (off != 0 || *p != '0') abort();
            break;
        }
        uint64_t cls = num(&p, end);
        if (!m || line <= prev || line > lines) abort();
        if (cls > RW_AOT_SITE_CALL_INDIRECT &&
            (cls < RW_AOT_SITE_CALL || cls - RW_AOT_SITE_CALL < m->n_imported_funcs ||
             cls - RW_AOT_SITE_CALL >= m->nfuncs))
            abort();
        int inside = 0;
        for (uint32_t fi = m->n_imported_funcs; fi < m->nfuncs && !inside; fi++)
            inside = off >= m->funcs[fi].body_offset && off < m->funcs[fi].body_end;
        if (!inside) abort();
        prev = line;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t n = (size_t)data[0] | (size_t)data[1] << 8;
    if (n > size - 2) n = size - 2;
    const uint8_t *text = data + 2 + n;
    size_t text_len = size - 2 - n;
    rw_module *m = NULL;
    rune_error err;
    if (n && rw_decode(data + 2, n, &m, &err) == RUNE_OK && rw_validate(m, &err) != RUNE_OK) {
        rw_module_free(m);
        m = NULL;
    }
    rw_aot_buf out = {0};
    if (rw_aot_instrument(m, (const char *)text, text_len, &out, &err) == RUNE_OK) {
        int plain = !has(text, text_len, "goto w2c_L") && !has(text, text_len, "FUNC_PROLOGUE;") &&
                    !has(text, text_len, "FUNC_EPILOGUE;") && !has(text, text_len, "TRAP(OOB)") &&
                    !has(text, text_len, "TRAP(EXHAUSTION)") && !has(text, text_len, "#define ") &&
                    !has(text, text_len, "static bool s_module_initialized");
        static const char table[] = "\nstatic const uint32_t rw_fn_lines[] = {";
        static const char table_end[] = "0, 0, 0};\n";
        size_t tl = sizeof table - 1, te = sizeof table_end - 1;
        if (plain &&
            (out.len < text_len + tl + te || (text_len && memcmp(out.p, text, text_len) != 0) ||
             memcmp(out.p + text_len, table, tl) != 0 ||
             memcmp(out.p + out.len - te, table_end, te) != 0))
            abort();
        check_sites(m, out.p, out.len);
    }
    rw_aot_buf_free(&out);
    rw_module_free(m);
    return 0;
}
