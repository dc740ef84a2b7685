/*
 * util.c - small helpers shared by the decoder, validator and engines: LEB128 readers, trap texts
 * and errors, value-type letters and signature strings, float bit helpers of the public API.
 *
 * Workload: called per immediate while decoding and compiling; the LEB readers are the hot part.
 */
#include <string.h>

#include "wasm_int.h"

int rw_read_u32(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    const uint8_t *q = *p;
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (q >= end) return -1;
        uint8_t b = *q++;
        if (shift == 28 && (b & 0x70)) return -1; /* too big or overlong with unused bits set */
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *p = q;
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int read_signed(const uint8_t **p, const uint8_t *end, int bits, int64_t *out)
{
    const uint8_t *q = *p;
    uint64_t v = 0;
    int shift = 0;
    int maxbytes = (bits + 6) / 7;
    for (int i = 0; i < maxbytes; i++) {
        if (q >= end) return -1;
        uint8_t b = *q++;
        if (i == maxbytes - 1) {
            /* Last byte: no continuation, and the unused bits must be a sign extension. */
            if (b & 0x80) return -1;
            int used = bits - shift; /* bits of this byte that carry value (1..7) */
            if (used < 7) {
                uint8_t rest = (uint8_t)(b & 0x7f) >> (used - 1); /* sign bit and the unused ones */
                if (rest != 0 && rest != (0x7f >> (used - 1))) return -1;
            }
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
            *p = q;
            *out = (int64_t)v;
            return 0;
        }
    }
    return -1;
}

int rw_read_s32(const uint8_t **p, const uint8_t *end, int32_t *out)
{
    int64_t v;
    if (read_signed(p, end, 32, &v)) return -1;
    *out = (int32_t)v;
    return 0;
}

int rw_read_s64(const uint8_t **p, const uint8_t *end, int64_t *out)
{
    return read_signed(p, end, 64, out);
}

int rw_read_s33(const uint8_t **p, const uint8_t *end, int64_t *out)
{
    return read_signed(p, end, 33, out);
}

static const char *const trap_texts[RUNE_WASM_TRAP_COUNT] = {
    [RUNE_WASM_TRAP_NONE] = "no trap",
    [RUNE_WASM_TRAP_UNREACHABLE] = "unreachable",
    [RUNE_WASM_TRAP_MEMORY_OOB] = "out of bounds memory access",
    [RUNE_WASM_TRAP_TABLE_OOB] = "out of bounds table access",
    [RUNE_WASM_TRAP_UNDEFINED_ELEMENT] = "undefined element",
    [RUNE_WASM_TRAP_UNINIT_ELEMENT] = "uninitialized element",
    [RUNE_WASM_TRAP_INDIRECT_MISMATCH] = "indirect call type mismatch",
    [RUNE_WASM_TRAP_DIV_ZERO] = "integer divide by zero",
    [RUNE_WASM_TRAP_INT_OVERFLOW] = "integer overflow",
    [RUNE_WASM_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
    [RUNE_WASM_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
    [RUNE_WASM_TRAP_FUEL] = "fuel exhausted",
    [RUNE_WASM_TRAP_HOST] = "host function failed",
};

const char *rune_wasm_trap_text(rune_wasm_trap trap)
{
    if ((unsigned)trap >= RUNE_WASM_TRAP_COUNT) return "unknown trap";
    return trap_texts[trap];
}

rune_status rw_trap(rune_error *err, rune_wasm_trap trap, uint32_t func, size_t offset)
{
    rune_status st = trap == RUNE_WASM_TRAP_FUEL ? RUNE_E_LIMIT : RUNE_E_TRAP;
    RUNE_ERR(err, st, "trap: %s (func %u, offset 0x%zx)", rune_wasm_trap_text(trap), (unsigned)func,
             offset);
    if (err) err->code = (int)trap;
    return st;
}

rune_status rw_host_failure(const rw_import *im, rune_status s, const rune_error *herr,
                            rune_error *err)
{
    if (s == RUNE_E_EXIT || s == RUNE_E_TRAP || s == RUNE_E_LIMIT) {
        if (err && err != herr) *err = *herr;
        if (err) err->status = s;
        return s;
    }
    RUNE_ERR(err, RUNE_E_TRAP, "trap: host function %s.%s failed: %s: %s", im->module, im->name,
             rune_status_name(s), herr->msg[0] ? herr->msg : "(no message)");
    if (err) err->code = RUNE_WASM_TRAP_HOST;
    return RUNE_E_TRAP;
}

char rw_valtype_letter(uint8_t t)
{
    switch (t) {
    case RUNE_WASM_I32: return 'i';
    case RUNE_WASM_I64: return 'I';
    case RUNE_WASM_F32: return 'f';
    case RUNE_WASM_F64: return 'F';
    case RUNE_WASM_FUNCREF: return 'r';
    case RUNE_WASM_EXTERNREF: return 'e';
    default: return '?';
    }
}

uint8_t rw_letter_valtype(char c)
{
    switch (c) {
    case 'i': return RUNE_WASM_I32;
    case 'I': return RUNE_WASM_I64;
    case 'f': return RUNE_WASM_F32;
    case 'F': return RUNE_WASM_F64;
    case 'r': return RUNE_WASM_FUNCREF;
    case 'e': return RUNE_WASM_EXTERNREF;
    default: return 0;
    }
}

rune_status rw_functype_sig(const rw_functype *ft, char *out, size_t out_len, rune_error *err)
{
    size_t need = (size_t)ft->nparams + ft->nresults + 2;
    if (need > out_len || need > RUNE_WASM_SIG_MAX)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "function type with %u params and %u results is "
                        "too long for a signature string",
                        (unsigned)ft->nparams, (unsigned)ft->nresults);
    size_t k = 0;
    for (uint32_t i = 0; i < ft->nparams; i++)
        out[k++] = rw_valtype_letter(RW_PARAMS(ft)[i]);
    out[k++] = ':';
    for (uint32_t i = 0; i < ft->nresults; i++)
        out[k++] = rw_valtype_letter(RW_RESULTS(ft)[i]);
    out[k] = '\0';
    return RUNE_OK;
}

int rw_functype_eq(const rw_functype *a, const rw_functype *b)
{
    if (a->nparams != b->nparams || a->nresults != b->nresults) return 0;
    size_t n = (size_t)a->nparams + a->nresults;
    return n == 0 || memcmp(a->types, b->types, n) == 0;
}

float rune_wasm_f32(rune_wasm_val v)
{
    float f;
    memcpy(&f, &v.f32, 4);
    return f;
}

double rune_wasm_f64(rune_wasm_val v)
{
    double d;
    memcpy(&d, &v.f64, 8);
    return d;
}

rune_wasm_val rune_wasm_from_f32(float f)
{
    rune_wasm_val v;
    v.i64 = 0;
    memcpy(&v.f32, &f, 4);
    return v;
}

rune_wasm_val rune_wasm_from_f64(double d)
{
    rune_wasm_val v;
    memcpy(&v.f64, &d, 8);
    return v;
}
