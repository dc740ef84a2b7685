/*
 * test_wasm_diff.c - differential test: the same modules on the interpreter and on AOT, called
 * export by export with the same arguments, must give identical results (NaNs compared as NaNs),
 * identical trap kinds in the same wasm function (the function index in the message) and identical
 * linear memory after every call.
 *
 * Modules: hand-written .wat (arith, memory, control) and C compiled with clang
 * --target=wasm32-wasi -O2 (bench/wasm/kernels.c, c/mixed.c). Arguments: edge values and a fixed
 * pseudo-random sequence per parameter type; for the kernels only small repeat counts.
 */
#include <stdlib.h>

#include "test.h"
#include "rune/alloc.h"
#include "rune/wasi.h"
#include "rune/wasm.h"

typedef struct side {
    rune_wasm_engine *eng;
    rune_wasm_module *mod;
    rune_wasm_linker *l;
    rune_wasm_instance *inst;
    rune_wasi *wasi;
} side;

static void discard(void *user, int fd, const uint8_t *data, size_t len)
{
    (void)user;
    (void)fd;
    (void)data;
    (void)len;
}

static rune_status side_up(side *s, rune_wasm_engine_kind kind, const uint8_t *b, size_t len,
                           rune_error *err)
{
    memset(s, 0, sizeof *s);
    rune_wasm_engine_config cfg = {RUNE_TEST_TMP "/aot-cache-diff", NULL, NULL};
    rune_wasi_config wc = {0, NULL, discard, NULL};
    rune_status st = rune_wasm_engine_new(kind, &cfg, &s->eng, err);
    if (!st) st = rune_wasm_module_load(s->eng, b, len, &s->mod, err);
    if (!st) st = rune_wasm_linker_new(&s->l, err);
    if (!st) st = rune_wasi_new(&wc, &s->wasi, err);
    if (!st) st = rune_wasi_define(s->wasi, s->l, err);
    if (!st) st = rune_wasm_instantiate(s->mod, s->l, NULL, &s->inst, err);
    return st;
}

static void side_down(side *s)
{
    rune_wasm_instance_free(s->inst);
    rune_wasi_free(s->wasi);
    rune_wasm_linker_free(s->l);
    rune_wasm_module_free(s->mod);
    rune_wasm_engine_free(s->eng);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static rune_wasm_val gen(char t, int k, int small)
{
    static const uint32_t i32s[] = {0,   1,     2,     3,   0xffffffffu, 0x80000000u, 0x7fffffffu,
                                    255, 65535, 65536, 100, 7,           0xfffc,      0x10000 - 3};
    static const uint64_t i64s[] = {
        0, 1, ~0ull, 0x8000000000000000ull, 0x7fffffffffffffffull, 63, 64, 0x100000000ull};
    static const double f64s[] = {0.0,          -0.0,         1.5, -2.5, 1e300, -1e300,
                                  2147483647.5, 4294967296.0, 0.1, 3.25, 1e-310};
    rune_wasm_val v;
    memset(&v, 0, sizeof v);
    uint64_t r = rng();
    int edge = k < 14;
    if (small) {
        v.i64 = (uint64_t)(k % 5);
        v.i32 = (uint32_t)(k % 5);
        return v;
    }
    switch (t) {
    case 'i': v.i32 = edge ? i32s[k % 14] : (uint32_t)r; break;
    case 'I': v.i64 = edge ? i64s[k % 8] : r; break;
    case 'f':
        v = edge ? rune_wasm_from_f32((float)f64s[k % 11])
                 : rune_wasm_from_f32((float)((double)(int32_t)r / 1000.0));
        if (k == 13) v.i32 = 0x7fc00000u; /* NaN */
        break;
    case 'F':
        v = edge ? rune_wasm_from_f64(f64s[k % 11]) : rune_wasm_from_f64((double)(int64_t)r / 1e6);
        if (k == 13) v.i64 = 0x7ff8000000000000ull;
        break;
    default: break;
    }
    return v;
}

static int same_val(char t, rune_wasm_val a, rune_wasm_val b)
{
    if (t == 'f') {
        int na = (a.i32 & 0x7f800000u) == 0x7f800000u && (a.i32 & 0x7fffffu);
        int nb = (b.i32 & 0x7f800000u) == 0x7f800000u && (b.i32 & 0x7fffffu);
        return na || nb ? na && nb : a.i32 == b.i32;
    }
    if (t == 'F') {
        const uint64_t e = 0x7ff0000000000000ull, m = 0xfffffffffffffull;
        int na = (a.i64 & e) == e && (a.i64 & m), nb = (b.i64 & e) == e && (b.i64 & m);
        return na || nb ? na && nb : a.i64 == b.i64;
    }
    if (t == 'i') return a.i32 == b.i32;
    return a.i64 == b.i64;
}

typedef struct stats {
    long calls, traps, oks, located, same_msg, exhausted, no_offset;
} stats;

/* The function index in a trap message "... (func N...", or -1 if it has none ("func ?"). */
static long trap_func(const char *msg)
{
    const char *f = strstr(msg, "(func ");
    if (!f || f[6] < '0' || f[6] > '9') return -1;
    return strtol(f + 6, NULL, 10);
}

/* Whether the AOT engine checks bounds explicitly (no guard pages): set for the
 * test_wasm_diff_explicit run; sanitizer builds do it anyway. */
static int explicit_bounds(void)
{
    const char *e = getenv("RUNE_AOT_BOUNDS");
    return e && strcmp(e, "explicit") == 0;
}

/* The code offset in a trap message "..., offset 0x<hex>)", or -1. */
static long trap_offset(const char *msg)
{
    const char *o = strstr(msg, ", offset 0x");
    return o ? strtol(o + 11, NULL, 16) : -1;
}

/* Whether the instruction at b[off] is one that can raise trap kind k: the offset names the
 * trapping instruction itself, not a neighbour. */
static int opcode_fits(const unsigned char *b, size_t len, long off, int k)
{
    if (off < 0 || (size_t)off >= len) return 0;
    unsigned op = b[off];
    switch (k) {
    case RUNE_WASM_TRAP_UNREACHABLE: return op == 0x00;
    case RUNE_WASM_TRAP_MEMORY_OOB: return (op >= 0x28 && op <= 0x3e) || op == 0xfc;
    case RUNE_WASM_TRAP_TABLE_OOB: return op == 0x25 || op == 0x26 || op == 0xfc;
    case RUNE_WASM_TRAP_UNDEFINED_ELEMENT:
    case RUNE_WASM_TRAP_UNINIT_ELEMENT:
    case RUNE_WASM_TRAP_INDIRECT_MISMATCH: return op == 0x11;
    case RUNE_WASM_TRAP_DIV_ZERO: return (op >= 0x6d && op <= 0x70) || (op >= 0x7f && op <= 0x82);
    case RUNE_WASM_TRAP_INT_OVERFLOW: return op == 0x6d || op == 0x7f || (op >= 0xa8 && op <= 0xb1);
    case RUNE_WASM_TRAP_INVALID_CONVERSION: return op >= 0xa8 && op <= 0xb1;
    case RUNE_WASM_TRAP_STACK_EXHAUSTED: return op == 0x10 || op == 0x11; /* the call */
    default: return 1;
    }
}

static void diff_module(const char *path, int small, int ncalls, stats *total)
{
    size_t len = 0;
    unsigned char *b = test_read_file(path, &len);
    CHECK_MSG_(b != NULL, "cannot read %s", path);
    if (!b) return;
    rune_error err;
    side in, ao;
    CHECK_OK(side_up(&in, RUNE_WASM_INTERP, b, len, &err), &err);
    CHECK_OK(side_up(&ao, RUNE_WASM_AOT, b, len, &err), &err);
    if (!in.inst || !ao.inst) {
        side_down(&in);
        side_down(&ao);
        free(b);
        return;
    }
    size_t nexp = rune_wasm_module_export_count(in.mod);
    for (size_t e = 0; e < nexp; e++) {
        rune_wasm_extern_desc d;
        CHECK_OK(rune_wasm_module_export(in.mod, e, &d), NULL);
        if (d.kind != RUNE_WASM_EXTERN_FUNC || strpbrk(d.sig, "re")) continue;
        if (strcmp(d.name, "_initialize") == 0) continue;
        const char *colon = strchr(d.sig, ':');
        size_t np = (size_t)(colon - d.sig), nr = strlen(colon + 1);
        for (int k = 0; k < ncalls; k++) {
            rune_wasm_val args[16], r1[16], r2[16];
            rune_error e1, e2;
            memset(r1, 0, sizeof r1);
            memset(r2, 0, sizeof r2);
            for (size_t i = 0; i < np && i < 16; i++)
                args[i] = gen(d.sig[i], k, small);
            rune_status s1 = rune_wasm_call(in.inst, d.name, args, np, r1, nr, &e1);
            rune_status s2 = rune_wasm_call(ao.inst, d.name, args, np, r2, nr, &e2);
            total->calls++;
            CHECK_MSG_(s1 == s2, "%s %s call %d: interp %s (%s), aot %s (%s)", path, d.name, k,
                       rune_status_name(s1), s1 ? e1.msg : "", rune_status_name(s2),
                       s2 ? e2.msg : "");
            if (s1 != s2) continue;
            if (s1 == RUNE_OK) {
                total->oks++;
                for (size_t i = 0; i < nr; i++)
                    CHECK_MSG_(same_val(colon[1 + i], r1[i], r2[i]),
                               "%s %s call %d result %zu: interp 0x%llx, aot 0x%llx", path, d.name,
                               k, i, (unsigned long long)r1[i].i64, (unsigned long long)r2[i].i64);
            } else {
                total->traps++;
                CHECK_MSG_(e1.code == e2.code, "%s %s call %d: trap interp \"%s\", aot \"%s\"",
                           path, d.name, k, e1.msg, e2.msg);
                /* Both engines name the wasm function the trap happened in, and the same one. */
                long f1 = trap_func(e1.msg), f2 = trap_func(e2.msg);
                CHECK_MSG_(f1 >= 0, "%s %s call %d: interp trap without a function: \"%s\"", path,
                           d.name, k, e1.msg);
                if (f2 >= 0) {
                    total->located++;
                    CHECK_MSG_(f1 == f2, "%s %s call %d: trap in func %ld on interp, %ld on aot",
                               path, d.name, k, f1, f2);
                }
#ifdef RUNE_AOT_HAVE_DW
                CHECK_MSG_(f2 >= 0, "%s %s call %d: aot trap without a function: \"%s\"", path,
                           d.name, k, e2.msg);
#endif
                /* Every trap here happens at a wasm instruction: both engines give the same
                 * message, the code offset included (call-stack exhaustion: the call that entered
                 * the function whose entry ran out, found on AOT through the object's DWARF). A
                 * guard-page fault (memory access, AOT engine with guard pages) is located
                 * through the object's line table, where the C compiler may have combined the
                 * load into another statement's instruction: it may lack the offset (and so may
                 * an exhaustion whose call AOT cannot find); with
                 * explicit bounds checks (RUNE_AOT_BOUNDS=explicit, the test_wasm_diff_explicit
                 * run) it may not. Without libdw only the offsets AOT gives are compared. */
                int same = strcmp(e1.msg, e2.msg) == 0;
                total->same_msg += same;
                total->exhausted += e1.code == RUNE_WASM_TRAP_STACK_EXHAUSTED;
                CHECK_MSG_(strstr(e1.msg, ", offset 0x") != NULL,
                           "%s %s call %d: interp trap without an offset: \"%s\"", path, d.name, k,
                           e1.msg);
                CHECK_MSG_(opcode_fits(b, len, trap_offset(e1.msg), e1.code),
                           "%s %s call %d: \"%s\" names an instruction that cannot trap so", path,
                           d.name, k, e1.msg);
                int fault = e1.code == RUNE_WASM_TRAP_MEMORY_OOB && !explicit_bounds() &&
                            !strstr(e2.msg, "offset") && f1 == f2;
                /* An exhaustion whose call the AOT engine cannot find (the callee's entry
                 * inlined into a compiler-made clone) names the callee only. */
                fault |= e1.code == RUNE_WASM_TRAP_STACK_EXHAUSTED && !strstr(e2.msg, "offset");
                total->no_offset += !same && fault;
#ifdef RUNE_AOT_HAVE_DW
                CHECK_MSG_(same || fault, "%s %s call %d: interp \"%s\", aot \"%s\"", path, d.name,
                           k, e1.msg, e2.msg);
#else
                CHECK_MSG_(same || !strstr(e2.msg, "offset"),
                           "%s %s call %d: interp \"%s\", aot \"%s\"", path, d.name, k, e1.msg,
                           e2.msg);
#endif
            }
            uint64_t m1 = rune_wasm_memory_size(in.inst), m2 = rune_wasm_memory_size(ao.inst);
            CHECK_MSG_(m1 == m2, "%s %s call %d: memory %llu vs %llu bytes", path, d.name, k,
                       (unsigned long long)m1, (unsigned long long)m2);
            if (m1 == m2 && m1) {
                const uint8_t *p1 = rune_wasm_memory_ptr(in.inst, 0, m1);
                const uint8_t *p2 = rune_wasm_memory_ptr(ao.inst, 0, m2);
                CHECK_MSG_(p1 && p2 && memcmp(p1, p2, (size_t)m1) == 0,
                           "%s %s call %d: memory contents differ", path, d.name, k);
            }
        }
    }
    side_down(&in);
    side_down(&ao);
    free(b);
}

TEST(wat_modules_agree)
{
    stats s = {0, 0, 0, 0, 0, 0, 0};
    diff_module(WAT_DIR "/arith.wasm", 0, 40, &s);
    diff_module(WAT_DIR "/memory.wasm", 0, 40, &s);
    diff_module(WAT_DIR "/control.wasm", 0, 40, &s);
    diff_module(WAT_DIR "/located.wasm", 0, 40, &s);
    diff_module(WAT_DIR "/offsets.wasm", 0, 40, &s);
    printf(
        "wat modules: %ld calls compared, %ld returned, %ld trapped (%ld located on aot, %ld "
        "with the same message, %ld call-stack exhaustions; %ld faults or exhaustions without the "
        "offset)\n",
        s.calls, s.oks, s.traps, s.located, s.same_msg, s.exhausted, s.no_offset);
    /* The argument sets must reach both outcomes, or the comparison says little. */
    CHECK(s.calls > 500);
    CHECK(s.traps > 30);
    CHECK(s.oks > 300);
}

TEST(c_modules_agree)
{
    stats s = {0, 0, 0, 0, 0, 0, 0};
    diff_module(C_DIR "/mixed.wasm", 0, 40, &s);
    diff_module(C_DIR "/kernels.wasm", 1, 4, &s);
    printf(
        "C modules: %ld calls compared, %ld returned, %ld trapped (%ld located on aot, %ld "
        "with the same message, %ld call-stack exhaustions; %ld faults or exhaustions without the "
        "offset)\n",
        s.calls, s.oks, s.traps, s.located, s.same_msg, s.exhausted, s.no_offset);
    CHECK(s.calls > 300);
    CHECK(s.traps > 5); /* peek at random addresses */
    CHECK(s.oks > 200);
}

int main(void)
{
    long live0 = rune_alloc_live();
    RUN(wat_modules_agree);
    RUN(c_modules_agree);
    CHECK_EQ_INT(rune_alloc_live(), live0);
    return test_report();
}
