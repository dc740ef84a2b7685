/*
 * interp_run.c - the interpreter's run loop: executes the threaded code of compile.c.
 *
 * Dispatch is computed goto (one indirect jump per instruction, the handler address sits in the
 * code) or, with RW_COMPUTED_GOTO=0, a portable switch. ip, fp, the memory base and size and the
 * fuel live in locals so the compiler keeps them in registers. Nothing here allocates: the value
 * stack and the call-frame stack were sized at instantiation and every overflow is a trap. Fuel is
 * charged on function entry and at loop heads (the instruction count of the loop body), not per
 * instruction.
 *
 * Floats: moves, loads, stores, abs/neg/copysign and reinterpretations work on bit patterns so NaN
 * payloads survive exactly even on x87; arithmetic goes through C float/double.
 *
 * Workload: tight loops of clang -O2 code; memory is little-endian (wasm's order) and the host is
 * assumed little-endian too (x86, ARM, RISC-V as configured by every target we build for).
 */
#include <math.h>
#include <string.h>

#include "interp_int.h"

/* One IEEE rounding per wasm operation: never fuse a multiply and an add into an FMA. GCC does not
 * contract in ISO C mode (-std=c11, which the build uses). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

static inline float gf(const rune_wasm_val *v)
{
    float f;
    memcpy(&f, &v->f32, 4);
    return f;
}
static inline void sf(rune_wasm_val *v, float f)
{
    memcpy(&v->f32, &f, 4);
}
static inline float cellf(const rw_cell *c)
{
    float f;
    memcpy(&f, &c->u, 4);
    return f;
}
static inline double gd(const rune_wasm_val *v)
{
    double d;
    memcpy(&d, &v->f64, 8);
    return d;
}
static inline void sd(rune_wasm_val *v, double d)
{
    memcpy(&v->f64, &d, 8);
}

static inline uint32_t clz32(uint32_t x)
{
#if defined(__GNUC__)
    return x ? (uint32_t)__builtin_clz(x) : 32;
#else
    uint32_t n = 0;
    if (!x) return 32;
    while (!(x & 0x80000000u))
        x <<= 1, n++;
    return n;
#endif
}
static inline uint32_t ctz32(uint32_t x)
{
#if defined(__GNUC__)
    return x ? (uint32_t)__builtin_ctz(x) : 32;
#else
    uint32_t n = 0;
    if (!x) return 32;
    while (!(x & 1))
        x >>= 1, n++;
    return n;
#endif
}
static inline uint32_t popcnt32(uint32_t x)
{
#if defined(__GNUC__)
    return (uint32_t)__builtin_popcount(x);
#else
    uint32_t n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
#endif
}
static inline uint64_t clz64(uint64_t x)
{
    uint32_t hi = (uint32_t)(x >> 32);
    return hi ? clz32(hi) : 32 + clz32((uint32_t)x);
}
static inline uint64_t ctz64(uint64_t x)
{
    uint32_t lo = (uint32_t)x;
    return lo ? ctz32(lo) : 32 + ctz32((uint32_t)(x >> 32));
}
static inline uint64_t popcnt64(uint64_t x)
{
    return popcnt32((uint32_t)x) + popcnt32((uint32_t)(x >> 32));
}

static inline uint32_t rotl32(uint32_t x, uint32_t n)
{
    n &= 31;
    return n ? (x << n) | (x >> (32 - n)) : x;
}
static inline uint32_t rotr32(uint32_t x, uint32_t n)
{
    n &= 31;
    return n ? (x >> n) | (x << (32 - n)) : x;
}
static inline uint64_t rotl64(uint64_t x, uint64_t n)
{
    n &= 63;
    return n ? (x << n) | (x >> (64 - n)) : x;
}
static inline uint64_t rotr64(uint64_t x, uint64_t n)
{
    n &= 63;
    return n ? (x >> n) | (x << (64 - n)) : x;
}

/* Arithmetic shift right without relying on implementation-defined signed shifts. */
static inline uint32_t sar32(uint32_t x, uint32_t n)
{
    n &= 31;
    return (x & 0x80000000u) ? ~(~x >> n) : x >> n;
}
static inline uint64_t sar64(uint64_t x, uint64_t n)
{
    n &= 63;
    return (x >> 63) ? ~(~x >> n) : x >> n;
}

static inline float fmin32(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == 0 && b == 0) return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline float fmax32(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == 0 && b == 0) return signbit(a) ? b : a;
    return a > b ? a : b;
}
static inline double fmin64(double a, double b)
{
    if (a != a || b != b) return a + b;
    if (a == 0 && b == 0) return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline double fmax64(double a, double b)
{
    if (a != a || b != b) return a + b;
    if (a == 0 && b == 0) return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* Saturating truncations. */
static inline uint32_t sat_i32_s(double x)
{
    if (x != x) return 0;
    if (x <= -2147483648.0) return 0x80000000u;
    if (x >= 2147483647.0) return 0x7fffffffu;
    return (uint32_t)(int32_t)x;
}
static inline uint32_t sat_i32_u(double x)
{
    if (x != x || x <= 0) return 0;
    if (x >= 4294967295.0) return 0xffffffffu;
    return (uint32_t)x;
}
static inline uint64_t sat_i64_s(double x)
{
    if (x != x) return 0;
    if (x <= -9223372036854775808.0) return 0x8000000000000000ull;
    if (x >= 9223372036854775808.0) return 0x7fffffffffffffffull;
    return (uint64_t)(int64_t)x;
}
static inline uint64_t sat_i64_u(double x)
{
    if (x != x || x <= 0) return 0;
    if (x >= 18446744073709551616.0) return 0xffffffffffffffffull;
    return (uint64_t)x;
}

/* Zero a new frame's declared locals: most functions have a handful (every one has the zero slot),
 * too few for a call of memset to pay. */
static inline void zero_locals(rune_wasm_val *p, uint32_t n)
{
    if (n > 4) {
        memset(p, 0, n * sizeof *p);
        return;
    }
    if (n > 0) p[0].i64 = 0;
    if (n > 1) p[1].i64 = 0;
    if (n > 2) p[2].i64 = 0;
    if (n > 3) p[3].i64 = 0;
}

/* Where in the module a code cell lies: function index and wasm byte offset. */
static void locate(const rune_wasm_instance *inst, size_t cell, uint32_t *func, size_t *off)
{
    const rw_code *code = inst->mod->priv;
    const rw_module *m = inst->mod->m;
    size_t lo = 0, hi = code->npos;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (code->pos_cell[mid] <= cell)
            lo = mid;
        else
            hi = mid;
    }
    *off = code->npos ? code->pos_off[lo] : 0;
    uint32_t flo = m->n_imported_funcs, fhi = m->nfuncs;
    while (fhi - flo > 1) {
        uint32_t mid = (flo + fhi) / 2;
        if (code->funcs[mid].code <= cell)
            flo = mid;
        else
            fhi = mid;
    }
    *func = flo;
}

/* Call an imported function (or a function of another instance) with args in place: args are read
 * from slots and results written back to the same slots. */
static rune_status call_import(rune_wasm_instance *inst, rw_istate *st, uint32_t fi,
                               rune_wasm_val *slots, rune_error *err);

static rune_status call_other(rune_wasm_instance *caller, rune_wasm_instance *callee, uint32_t fi,
                              rune_wasm_val *slots, rune_error *err)
{
    rw_istate *cs = caller->priv, *os = callee->priv;
    const rw_functype *ft = rw_func_type(callee->m, fi);
    rune_wasm_val args[RUNE_WASM_SIG_MAX];
    if (ft->nparams > RUNE_WASM_SIG_MAX)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "too many params");
    memcpy(args, slots, ft->nparams * sizeof *args);
    uint64_t saved = os->fuel;
    os->fuel = cs->fuel;
    rune_status s = rw_interp_invoke(callee, fi, args, slots, err);
    cs->fuel = os->fuel;
    os->fuel = saved;
    return s;
}

/* A host function returned status s with herr: exits, traps and limits pass through, anything
 * else becomes a trap naming the import. Apart from call_import so that its fast path stays
 * small. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static rune_status
host_failed(rune_wasm_instance *inst, const rw_istate *st, uint32_t fi, rune_status s,
            const rune_error *herr, rune_error *err)
{
    return rw_host_failure(&inst->m->imports[st->import_of_func[fi]], s, herr, err);
}

/* The body of call_import, inlined into the dispatch loop's call_import handler (the per host
 * call path) and out of line for the other callers. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline rune_status
call_import_body(rune_wasm_instance *inst, rw_istate *st, uint32_t fi, rune_wasm_val *slots,
                 rune_error *err)
{
    const rw_hostcall *h = &st->hostcalls[fi];
    if (h->i32) {
        /* an i32 host function: arguments in registers, the result straight into slot 0 */
        const rw_i32_host *f = h->i32;
        uint32_t a[RUNE_WASM_I32_MAX_PARAMS] = {0};
        for (uint32_t i = 0; i < f->nparams; i++)
            a[i] = slots[i].i32;
        rune_error herr;
        herr.code = 0;
        rune_wasm_hostcall hc = {inst, f->user, &herr, RUNE_OK};
        uint32_t v = f->fn(&hc, a[0], a[1], a[2], a[3], a[4]);
        if (hc.status != RUNE_OK) return host_failed(inst, st, fi, hc.status, &herr, err);
        if (f->has_result) slots[0].i64 = v;
        return RUNE_OK;
    }
    if (!h->fn) return call_other(inst, h->other, h->index, slots, err);
    /* The host gets its arguments in an array of its own (it may write results before it has
     * read every argument), i32/f32 with the upper half zeroed. */
    rune_wasm_val args[RUNE_WASM_SIG_MAX];
    uint32_t np = h->nparams;
    if (np > RUNE_WASM_SIG_MAX) return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "too many params");
    const uint64_t narrow = h->narrow;
    if (np < 64 && (~narrow & ((UINT64_C(1) << np) - 1)) == 0) {
        /* every param i32/f32 (the usual host import): no test per param */
        for (uint32_t i = 0; i < np; i++) {
            uint32_t v = slots[i].i32;
            args[i].i64 = 0;
            args[i].i32 = v;
        }
    } else {
        for (uint32_t i = 0; i < np; i++) {
            if (narrow >> i & 1) {
                uint32_t v = slots[i].i32;
                args[i].i64 = 0;
                args[i].i32 = v;
            } else {
                args[i] = slots[i];
            }
        }
    }
    /* rune_error_clear, inline: this runs on every host call */
    rune_error herr;
    herr.status = RUNE_OK;
    herr.code = 0;
    herr.msg[0] = '\0';
    herr.origin_file = NULL;
    herr.origin_line = 0;
    rune_status s = h->fn(inst, h->user, args, slots, &herr);
    if (s == RUNE_OK) return RUNE_OK;
    return host_failed(inst, st, fi, s, &herr, err);
}

static rune_status call_import(rune_wasm_instance *inst, rw_istate *st, uint32_t fi,
                               rune_wasm_val *slots, rune_error *err)
{
    return call_import_body(inst, st, fi, slots, err);
}

#define RW_ALL_HANDLERS_(X) RW_OPS(X)

static rune_status run(rune_wasm_instance *inst, uint32_t func, rune_error *err,
                       const void *const **table_out)
{
#if RW_COMPUTED_GOTO
#define RW_LABEL_(n) &&L_##n,
    static const void *const labels[RWOP_COUNT] = {RW_ALL_HANDLERS_(RW_LABEL_)};
#undef RW_LABEL_
    if (table_out) {
        *table_out = labels;
        return RUNE_OK;
    }
#define OP(n) L_##n:
#define NEXT() goto *(ip++)->h
#else
    if (table_out) return RUNE_OK;
#define OP(n) case RWOP_##n:
#define NEXT() goto dispatch
#endif
    rw_istate *st = inst->priv;
    const rw_code *code = st->code;
    const rw_module *m = inst->mod->m;
    const rw_cell *const cells = code->cells;
    rune_wasm_val **const globals = st->globals;
    rune_wasm_val *const stack_end = st->stack_end;
    rw_frame *const frames = st->frames;
    const uint32_t max_depth = st->max_depth;
    rune_wasm_val *const entry_sp = st->sp_free;
    const uint32_t entry_depth = st->depth;
    uint32_t depth = entry_depth;
    uint64_t fuel = st->fuel;
    uint8_t *mem = st->mem ? st->mem->data : NULL;
    uint64_t msize = st->mem ? st->mem->size : 0;
    rune_wasm_trap trap = RUNE_WASM_TRAP_NONE;
    rune_status hs = RUNE_OK;

    const rw_cfunc *cur = &code->funcs[func];
    rune_wasm_val *fp = entry_sp;
    const rw_cell *ip = cells + cur->code;
    if (depth + 2 > max_depth || fp + cur->frame_slots > stack_end) {
        trap = RUNE_WASM_TRAP_STACK_EXHAUSTED;
        goto trapped_at_entry;
    }
    if (fuel < cur->fuel) {
        trap = RUNE_WASM_TRAP_FUEL;
        goto trapped_at_entry;
    }
    fuel -= cur->fuel;
    frames[depth++] = (rw_frame){NULL, NULL, NULL};
    zero_locals(fp + cur->nparams, cur->nlocals);

#define D (fp[ip[0].u])
#define A (fp[ip[1].u])
#define B (fp[ip[2].u])
#define TRAP(k)                                                                                    \
    do {                                                                                           \
        trap = RUNE_WASM_TRAP_##k;                                                                 \
        goto trapped;                                                                              \
    } while (0)
#define RELOAD_MEM()                                                                               \
    do {                                                                                           \
        if (st->mem) {                                                                             \
            mem = st->mem->data;                                                                   \
            msize = st->mem->size;                                                                 \
        }                                                                                          \
    } while (0)

#if RW_COMPUTED_GOTO
    NEXT();
#else
dispatch:
    switch ((enum rw_op)(uintptr_t)(ip++)->h) {
#endif

    OP(unreachable) TRAP(UNREACHABLE);
#define TAKE(offk, costk)                                                                          \
    do {                                                                                           \
        uint32_t cost_ = ip[costk].u;                                                              \
        if (fuel < cost_) TRAP(FUEL);                                                              \
        fuel -= cost_;                                                                             \
        ip += (offk) + ip[offk].s;                                                                 \
    } while (0)
    OP(br)
    {
        TAKE(0, 1);
        NEXT();
    }
    OP(br_if)
    {
        if (fp[ip[0].u].i32)
            TAKE(1, 2);
        else
            ip += 3;
        NEXT();
    }
    OP(br_ifnot)
    {
        if (!fp[ip[0].u].i32)
            TAKE(1, 2);
        else
            ip += 3;
        NEXT();
    }
    OP(br_if_eqz)
    {
        if (!fp[ip[0].u].i32)
            TAKE(1, 2);
        else
            ip += 3;
        NEXT();
    }
#define BC(name, T, op_)                                                                           \
    OP(bc_##name)                                                                                  \
    {                                                                                              \
        if ((T)fp[ip[0].u].i32 op_(T) fp[ip[1].u].i32)                                             \
            TAKE(2, 3);                                                                            \
        else                                                                                       \
            ip += 4;                                                                               \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(bc_##name##_i)                                                                              \
    {                                                                                              \
        if ((T)fp[ip[0].u].i32 op_(T) ip[1].u)                                                     \
            TAKE(2, 3);                                                                            \
        else                                                                                       \
            ip += 4;                                                                               \
        NEXT();                                                                                    \
    }
/* Counter step and compare-with-constant branch: cells [d][a][k][N][off][cost]. */
#define BCA(name, T, op_)                                                                          \
    OP(bca_##name)                                                                                 \
    {                                                                                              \
        uint32_t v_ = fp[ip[1].u].i32 + ip[2].u;                                                   \
        fp[ip[0].u].i32 = v_;                                                                      \
        if ((T)v_ op_(T) ip[3].u)                                                                  \
            TAKE(4, 5);                                                                            \
        else                                                                                       \
            ip += 6;                                                                               \
        NEXT();                                                                                    \
    }
    BCA(eq, uint32_t, ==)
    BCA(ne, uint32_t, !=)
    BCA(lt_s, int32_t, <)
    BCA(lt_u, uint32_t, <)
    BCA(gt_s, int32_t, >)
    BCA(gt_u, uint32_t, >)
    BCA(le_s, int32_t, <=)
    BCA(le_u, uint32_t, <=)
    BCA(ge_s, int32_t, >=)
    BCA(ge_u, uint32_t, >=)
    BC(eq, uint32_t, ==)
    BC(ne, uint32_t, !=)
    BC(lt_s, int32_t, <)
    BC(lt_u, uint32_t, <)
    BC(gt_s, int32_t, >)
    BC(gt_u, uint32_t, >)
    BC(le_s, int32_t, <=)
    BC(le_u, uint32_t, <=)
    BC(ge_s, int32_t, >=)
    BC(ge_u, uint32_t, >=)
    OP(br_table)
    {
        uint32_t i = fp[ip[0].u].i32, n = ip[1].u;
        if (i > n) i = n;
        ip += 2 + i;
        ip += ip[0].s;
        NEXT();
    }
/* mem and msize need no reload here: every frame of this activation shares them, memory.grow
 * updates them, and host calls reload them when they return. */
#define RETURN()                                                                                   \
    do {                                                                                           \
        rw_frame *fr = &frames[--depth];                                                           \
        if (!fr->ip) goto done;                                                                    \
        ip = fr->ip;                                                                               \
        fp = fr->fp;                                                                               \
        cur = fr->fn;                                                                              \
        NEXT();                                                                                    \
    } while (0)
    OP(ret)
    {
        RETURN();
    }
    OP(ret1)
    {
        fp[0] = fp[ip[0].u];
        RETURN();
    }
    OP(call)
    {
        const rw_cfunc *f = &code->funcs[ip[0].u];
        rune_wasm_val *nfp = fp + ip[1].u;
        ip += 2;
        if (depth + 1 >= max_depth || nfp + f->frame_slots > stack_end) TRAP(STACK_EXHAUSTED);
        if (fuel < f->fuel) TRAP(FUEL);
        fuel -= f->fuel;
        frames[depth++] = (rw_frame){ip, fp, cur};
        zero_locals(nfp + f->nparams, f->nlocals);
        fp = nfp;
        cur = f;
        ip = cells + f->code;
        NEXT();
    }
    OP(call_import)
    {
        uint32_t fi = ip[0].u;
        rune_wasm_val *args = fp + ip[1].u, *res = fp + ip[2].u;
        ip += 3;
        st->sp_free = fp + cur->frame_slots;
        st->depth = depth;
        st->fuel = fuel;
        hs = call_import_body(inst, st, fi, args, err);
        fuel = st->fuel;
        st->sp_free = entry_sp;
        RELOAD_MEM();
        if (hs != RUNE_OK) goto host_failed;
        if (res != args) *res = *args; /* the result retargeted by a local.set */
        NEXT();
    }
    OP(call_indirect)
    {
        const rw_functype *want = &m->types[ip[0].u];
        const rw_tableinst *t = st->tables[ip[1].u];
        uint32_t i = fp[ip[2].u].i32;
        rune_wasm_val *nfp = fp + ip[3].u;
        ip += 4;
        if (i >= t->size) TRAP(UNDEFINED_ELEMENT);
        const rw_funcref *fr = (const rw_funcref *)t->elems[i];
        if (!fr) TRAP(UNINIT_ELEMENT);
        if (fr->type != want && !rw_functype_eq(fr->type, want)) TRAP(INDIRECT_MISMATCH);
        if (fr->inst == inst && !m->funcs[fr->index].imported) {
            const rw_cfunc *f = &code->funcs[fr->index];
            /* shared entry sequence of call */
            if (depth + 1 >= max_depth || nfp + f->frame_slots > stack_end) TRAP(STACK_EXHAUSTED);
            if (fuel < f->fuel) TRAP(FUEL);
            fuel -= f->fuel;
            frames[depth++] = (rw_frame){ip, fp, cur};
            zero_locals(nfp + f->nparams, f->nlocals);
            fp = nfp;
            cur = f;
            ip = cells + f->code;
            NEXT();
        }
        if (depth + 1 >= max_depth) TRAP(STACK_EXHAUSTED);
        st->sp_free = fp + cur->frame_slots;
        st->depth = depth;
        st->fuel = fuel;
        if (fr->inst == inst)
            hs = call_import(inst, st, fr->index, nfp, err);
        else
            hs = call_other(inst, fr->inst, fr->index, nfp, err);
        fuel = st->fuel;
        st->sp_free = entry_sp;
        RELOAD_MEM();
        if (hs != RUNE_OK) goto host_failed;
        NEXT();
    }
    OP(loop_fuel)
    {
        uint32_t cost = ip[0].u;
        if (fuel < cost) TRAP(FUEL);
        fuel -= cost;
        ip += 1;
        NEXT();
    }
    OP(copy)
    {
        D = A;
        ip += 2;
        NEXT();
    }
    OP(const32)
    {
        D.i32 = ip[1].u;
        ip += 2;
        NEXT();
    }
    OP(const64)
    {
        D.i64 = (uint64_t)ip[1].u | ((uint64_t)ip[2].u << 32);
        ip += 3;
        NEXT();
    }
    OP(select)
    {
        rune_wasm_val v = fp[ip[1].u].i32 ? B : fp[ip[3].u];
        D = v;
        ip += 4;
        NEXT();
    }
/* select on a fused i32 compare: cells [d][x][y][a][b]: fp[d] = (fp[a] cmp fp[b]) ? fp[x] : fp[y];
 * the _i forms compare with the immediate b. */
#define SEL(name, T, op_)                                                                          \
    OP(sel_##name)                                                                                 \
    {                                                                                              \
        rune_wasm_val v_ = (T)fp[ip[3].u].i32 op_(T) fp[ip[4].u].i32 ? fp[ip[1].u] : fp[ip[2].u];  \
        D = v_;                                                                                    \
        ip += 5;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    OP(sel_##name##_i)                                                                             \
    {                                                                                              \
        rune_wasm_val v_ = (T)fp[ip[3].u].i32 op_(T) ip[4].u ? fp[ip[1].u] : fp[ip[2].u];          \
        D = v_;                                                                                    \
        ip += 5;                                                                                   \
        NEXT();                                                                                    \
    }
    SEL(eq, uint32_t, ==)
    SEL(ne, uint32_t, !=)
    SEL(lt_s, int32_t, <)
    SEL(lt_u, uint32_t, <)
    SEL(gt_s, int32_t, >)
    SEL(gt_u, uint32_t, >)
    SEL(le_s, int32_t, <=)
    SEL(le_u, uint32_t, <=)
    SEL(ge_s, int32_t, >=)
    SEL(ge_u, uint32_t, >=)
    OP(global_get)
    {
        D = *globals[ip[1].u];
        ip += 2;
        NEXT();
    }
    OP(global_add_i)
    {
        uint32_t v_ = globals[ip[0].u]->i32 + ip[2].u;
        globals[ip[0].u]->i32 = v_;
        fp[ip[1].u].i32 = v_;
        ip += 3;
        NEXT();
    }
    OP(global_set_add_i)
    {
        globals[ip[0].u]->i32 = fp[ip[1].u].i32 + ip[2].u;
        ip += 3;
        NEXT();
    }
    OP(global_set)
    {
        *globals[ip[0].u] = A;
        ip += 2;
        NEXT();
    }

#define LOAD(name, T, field, conv)                                                                 \
    OP(name)                                                                                       \
    {                                                                                              \
        uint64_t ea = (uint64_t)(uint32_t)(A.i32 + ip[3].u) + ip[2].u;                             \
        if (ea + sizeof(T) > msize) TRAP(MEMORY_OOB);                                              \
        T v_;                                                                                      \
        memcpy(&v_, mem + ea, sizeof v_);                                                          \
        D.field = conv;                                                                            \
        ip += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    OP(i32_load_sh) /* [d][a][off][imm][sh]: address (u32)((fp[a] << sh) + imm) + off */
    {
        uint64_t ea = (uint64_t)(uint32_t)((A.i32 << ip[4].u) + ip[3].u) + ip[2].u;
        if (ea + 4 > msize) TRAP(MEMORY_OOB);
        uint32_t v_;
        memcpy(&v_, mem + ea, 4);
        D.i32 = v_;
        ip += 5;
        NEXT();
    }
    OP(i32_store_sh) /* [a][v][off][imm][sh] */
    {
        uint64_t ea = (uint64_t)(uint32_t)((fp[ip[0].u].i32 << ip[4].u) + ip[3].u) + ip[2].u;
        if (ea + 4 > msize) TRAP(MEMORY_OOB);
        uint32_t v_ = A.i32;
        memcpy(mem + ea, &v_, 4);
        ip += 5;
        NEXT();
    }
    OP(i32_load_tadd) /* [d][t][x][y][off]: fp[t] = fp[x] + fp[y]; fp[d] = load(fp[t] + off) */
    {
        uint32_t t_ = fp[ip[2].u].i32 + fp[ip[3].u].i32;
        fp[ip[1].u].i32 = t_;
        uint64_t ea = (uint64_t)t_ + ip[4].u;
        if (ea + 4 > msize) TRAP(MEMORY_OOB);
        uint32_t v_;
        memcpy(&v_, mem + ea, 4);
        D.i32 = v_;
        ip += 5;
        NEXT();
    }
    OP(i32_load_tshaddi) /* [d][t][x][sh][imm][off]: fp[t] = (fp[x] << sh) + imm; load */
    {
        uint32_t t_ = (fp[ip[2].u].i32 << ip[3].u) + ip[4].u;
        fp[ip[1].u].i32 = t_;
        uint64_t ea = (uint64_t)t_ + ip[5].u;
        if (ea + 4 > msize) TRAP(MEMORY_OOB);
        uint32_t v_;
        memcpy(&v_, mem + ea, 4);
        D.i32 = v_;
        ip += 6;
        NEXT();
    }
    OP(i32_load_taddi) /* [d][t][x][imm][off] */
    {
        uint32_t t_ = fp[ip[2].u].i32 + ip[3].u;
        fp[ip[1].u].i32 = t_;
        uint64_t ea = (uint64_t)t_ + ip[4].u;
        if (ea + 4 > msize) TRAP(MEMORY_OOB);
        uint32_t v_;
        memcpy(&v_, mem + ea, 4);
        D.i32 = v_;
        ip += 5;
        NEXT();
    }
    LOAD(i32_load, uint32_t, i32, v_)
    LOAD(i64_load, uint64_t, i64, v_)
    LOAD(i32_load8_s, int8_t, i32, (uint32_t)(int32_t)v_)
    LOAD(i32_load8_u, uint8_t, i32, v_)
    LOAD(i32_load16_s, int16_t, i32, (uint32_t)(int32_t)v_)
    LOAD(i32_load16_u, uint16_t, i32, v_)
    LOAD(i64_load8_s, int8_t, i64, (uint64_t)(int64_t)v_)
    LOAD(i64_load8_u, uint8_t, i64, v_)
    LOAD(i64_load16_s, int16_t, i64, (uint64_t)(int64_t)v_)
    LOAD(i64_load16_u, uint16_t, i64, v_)
    LOAD(i64_load32_s, int32_t, i64, (uint64_t)(int64_t)v_)
    LOAD(i64_load32_u, uint32_t, i64, v_)

#define STORE(name, T, field)                                                                      \
    OP(name)                                                                                       \
    {                                                                                              \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[0].u].i32 + ip[3].u) + ip[2].u;                   \
        if (ea + sizeof(T) > msize) TRAP(MEMORY_OOB);                                              \
        T v_ = (T)A.field;                                                                         \
        memcpy(mem + ea, &v_, sizeof v_);                                                          \
        ip += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    STORE(i32_store, uint32_t, i32)
    STORE(i64_store, uint64_t, i64)
    STORE(i32_store8, uint8_t, i32)
    STORE(i32_store16, uint16_t, i32)
    STORE(i64_store8, uint8_t, i64)
    STORE(i64_store16, uint16_t, i64)
    STORE(i64_store32, uint32_t, i64)

    OP(memory_size)
    {
        D.i32 = st->mem->pages;
        ip += 1;
        NEXT();
    }
/* Bulk work costs fuel in proportion to its size (64 bytes or 8 table elements per unit), so a
 * fuel budget bounds the time of a call even when it is spent in memory.fill and friends. */
#define CHARGE(units)                                                                              \
    do {                                                                                           \
        uint64_t c_ = (units);                                                                     \
        if (fuel < c_) TRAP(FUEL);                                                                 \
        fuel -= c_;                                                                                \
    } while (0)
    OP(memory_grow)
    {
        rw_meminst *mm = st->mem;
        uint32_t n = A.i32, old = mm->pages;
        if (n > mm->max_pages - old) {
            D.i32 = 0xffffffffu;
        } else {
            CHARGE((uint64_t)n * 1024u);
            if (n) memset(mm->data + (size_t)old * 65536u, 0, (size_t)n * 65536u);
            mm->pages = old + n;
            mm->size = (uint64_t)mm->pages * 65536u;
            D.i32 = old;
            RELOAD_MEM();
        }
        ip += 2;
        NEXT();
    }
    OP(memory_init)
    {
        const rw_data *seg = &m->datas[ip[0].u];
        uint64_t d = fp[ip[1].u].i32, s = fp[ip[2].u].i32, n = fp[ip[3].u].i32;
        uint64_t seglen = st->data_dropped[ip[0].u] ? 0 : seg->len;
        if (s + n > seglen || d + n > msize) TRAP(MEMORY_OOB);
        CHARGE(n >> 6);
        if (n) memcpy(mem + d, m->bytes + seg->offset_in_bytes + s, (size_t)n);
        ip += 4;
        NEXT();
    }
    OP(data_drop)
    {
        st->data_dropped[ip[0].u] = 1;
        ip += 1;
        NEXT();
    }
    OP(memory_copy)
    {
        uint64_t d = fp[ip[0].u].i32, s = fp[ip[1].u].i32, n = fp[ip[2].u].i32;
        if (s + n > msize || d + n > msize) TRAP(MEMORY_OOB);
        CHARGE(n >> 6);
        if (n) memmove(mem + d, mem + s, (size_t)n);
        ip += 3;
        NEXT();
    }
    OP(memory_fill)
    {
        uint64_t d = fp[ip[0].u].i32, n = fp[ip[2].u].i32;
        if (d + n > msize) TRAP(MEMORY_OOB);
        CHARGE(n >> 6);
        if (n) memset(mem + d, (int)(fp[ip[1].u].i32 & 0xff), (size_t)n);
        ip += 3;
        NEXT();
    }

#define UN(name, expr)                                                                             \
    OP(name)                                                                                       \
    {                                                                                              \
        rune_wasm_val *a_ = &A;                                                                    \
        (void)a_;                                                                                  \
        expr;                                                                                      \
        ip += 2;                                                                                   \
        NEXT();                                                                                    \
    }
#define BIN(name, expr)                                                                            \
    OP(name)                                                                                       \
    {                                                                                              \
        expr;                                                                                      \
        ip += 3;                                                                                   \
        NEXT();                                                                                    \
    }
#define CMP32(name, T, op_)                                                                        \
    BIN(name, D.i32 = (T)A.i32 op_(T) B.i32)                                                       \
    BIN(name##_i, D.i32 = (T)A.i32 op_(T) ip[2].u)
#define CMP64(name, T, op_) BIN(name, D.i32 = (T)A.i64 op_(T) B.i64)

/* Binary op whose second operand is loaded: cells [d][a][p][off][imm]. */
#define BINM(name, LT, expr)                                                                       \
    OP(name)                                                                                       \
    {                                                                                              \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[2].u].i32 + ip[4].u) + ip[3].u;                   \
        if (ea + sizeof(LT) > msize) TRAP(MEMORY_OOB);                                             \
        LT m_;                                                                                     \
        memcpy(&m_, mem + ea, sizeof m_);                                                          \
        expr;                                                                                      \
        ip += 5;                                                                                   \
        NEXT();                                                                                    \
    }
/* Read-modify-write: cells [a][p][off][imm]: mem[ea] = fp[a] + mem[ea] (same operand order as
 * the add it replaces). */
#define RMW(name, LT, expr)                                                                        \
    OP(name)                                                                                       \
    {                                                                                              \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[1].u].i32 + ip[3].u) + ip[2].u;                   \
        if (ea + sizeof(LT) > msize) TRAP(MEMORY_OOB);                                             \
        LT m_;                                                                                     \
        memcpy(&m_, mem + ea, sizeof m_);                                                          \
        expr;                                                                                      \
        memcpy(mem + ea, &m_, sizeof m_);                                                          \
        ip += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    RMW(f32_add_to_m, float, m_ = gf(&fp[ip[0].u]) + m_)
    RMW(f64_add_to_m, double, m_ = gd(&fp[ip[0].u]) + m_)
    RMW(i32_add_to_m, uint32_t, m_ = fp[ip[0].u].i32 + m_)
    /* x[i] += a * y[i]: cells [x][q][offq][immq][p][off][imm]; the product is rounded to f32 before
     * the add, as in the two wasm instructions it replaces (FP_CONTRACT is off). */
    OP(f32_mla_to_m)
    {
        uint64_t eq = (uint64_t)(uint32_t)(fp[ip[1].u].i32 + ip[3].u) + ip[2].u;
        if (eq + 4 > msize) TRAP(MEMORY_OOB);
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[4].u].i32 + ip[6].u) + ip[5].u;
        if (ea + 4 > msize) TRAP(MEMORY_OOB);
        float q_, p_;
        memcpy(&q_, mem + eq, 4);
        memcpy(&p_, mem + ea, 4);
        float prod_ = gf(&fp[ip[0].u]) * q_;
        p_ = prod_ + p_;
        memcpy(mem + ea, &p_, 4);
        ip += 7;
        NEXT();
    }
    /* a * y[i] with the address y + i also kept in local t: cells [d][a][t][x][y][off]. */
    OP(f32_mul_mt)
    {
        float a_ = gf(&A);
        uint32_t t_ = fp[ip[3].u].i32 + fp[ip[4].u].i32;
        fp[ip[2].u].i32 = t_;
        uint64_t eq = (uint64_t)t_ + ip[5].u;
        if (eq + 4 > msize) TRAP(MEMORY_OOB);
        float q_;
        memcpy(&q_, mem + eq, 4);
        sf(&D, a_ * q_);
        ip += 6;
        NEXT();
    }
    /* x[i] += a * y[j], y + j kept in local t: cells [x][t][qx][qy][offq][p][off][imm]. */
    OP(f32_mla_to_mt)
    {
        float x_ = gf(&fp[ip[0].u]);
        uint32_t t_ = fp[ip[2].u].i32 + fp[ip[3].u].i32;
        fp[ip[1].u].i32 = t_;
        uint64_t eq = (uint64_t)t_ + ip[4].u;
        if (eq + 4 > msize) TRAP(MEMORY_OOB);
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[5].u].i32 + ip[7].u) + ip[6].u;
        if (ea + 4 > msize) TRAP(MEMORY_OOB);
        float q_, p_;
        memcpy(&q_, mem + eq, 4);
        memcpy(&p_, mem + ea, 4);
        float prod_ = x_ * q_;
        p_ = prod_ + p_;
        memcpy(mem + ea, &p_, 4);
        ip += 8;
        NEXT();
    }
/* Product of two loaded bytes: cells [d][p][off][imm][q][off2][imm2]. */
#define MUL2M(name, T)                                                                             \
    OP(name)                                                                                       \
    {                                                                                              \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[1].u].i32 + ip[3].u) + ip[2].u;                   \
        uint64_t eb = (uint64_t)(uint32_t)(fp[ip[4].u].i32 + ip[6].u) + ip[5].u;                   \
        if (ea >= msize || eb >= msize) TRAP(MEMORY_OOB);                                          \
        D.i32 = (uint32_t)(int32_t)(T)mem[ea] * (uint32_t)(int32_t)(T)mem[eb];                     \
        ip += 7;                                                                                   \
        NEXT();                                                                                    \
    }
/* Multiply-accumulate of two loaded bytes: cells [d][a][p][off][imm][q][off2][imm2]. */
#define MAC2M(name, T)                                                                             \
    OP(name)                                                                                       \
    {                                                                                              \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[2].u].i32 + ip[4].u) + ip[3].u;                   \
        uint64_t eb = (uint64_t)(uint32_t)(fp[ip[5].u].i32 + ip[7].u) + ip[6].u;                   \
        if (ea >= msize || eb >= msize) TRAP(MEMORY_OOB);                                          \
        D.i32 = A.i32 + (uint32_t)(int32_t)(T)mem[ea] * (uint32_t)(int32_t)(T)mem[eb];             \
        ip += 8;                                                                                   \
        NEXT();                                                                                    \
    }
    MAC2M(i32_mac_2m8s, int8_t)
    MAC2M(i32_mac_2m8u, uint8_t)
    MUL2M(i32_mul_2m8s, int8_t)
    MUL2M(i32_mul_2m8u, uint8_t)
    BINM(f32_add_m, float, sf(&D, gf(&A) + m_))
    BINM(f32_sub_m, float, sf(&D, gf(&A) - m_))
    BINM(f32_mul_m, float, sf(&D, gf(&A) * m_))
    BINM(f64_add_m, double, sd(&D, gd(&A) + m_))
    BINM(f64_sub_m, double, sd(&D, gd(&A) - m_))
    BINM(f64_mul_m, double, sd(&D, gd(&A) * m_))
    BINM(i32_add_m, uint32_t, D.i32 = A.i32 + m_)
    BINM(i32_sub_m, uint32_t, D.i32 = A.i32 - m_)
    BINM(i32_mul_m, uint32_t, D.i32 = A.i32 * m_)
    BINM(i32_and_m, uint32_t, D.i32 = A.i32 & m_)
    BINM(i32_or_m, uint32_t, D.i32 = A.i32 | m_)
    BINM(i32_xor_m, uint32_t, D.i32 = A.i32 ^ m_)
    BINM(i32_add_m8u, uint8_t, D.i32 = A.i32 + m_)
    BINM(i32_add_m8s, int8_t, D.i32 = A.i32 + (uint32_t)(int32_t)m_)
    BINM(i32_mul_m8u, uint8_t, D.i32 = A.i32 * m_)
    BINM(i32_mul_m8s, int8_t, D.i32 = A.i32 * (uint32_t)(int32_t)m_)
    BINM(i32_xor_m8u, uint8_t, D.i32 = A.i32 ^ m_)
    BINM(i32_and_m8u, uint8_t, D.i32 = A.i32 & m_)

    UN(i32_eqz, D.i32 = a_->i32 == 0)
    UN(i64_eqz, D.i32 = a_->i64 == 0)
    CMP32(i32_eq, uint32_t, ==)
    CMP32(i32_ne, uint32_t, !=)
    CMP32(i32_lt_s, int32_t, <)
    CMP32(i32_lt_u, uint32_t, <)
    CMP32(i32_gt_s, int32_t, >)
    CMP32(i32_gt_u, uint32_t, >)
    CMP32(i32_le_s, int32_t, <=)
    CMP32(i32_le_u, uint32_t, <=)
    CMP32(i32_ge_s, int32_t, >=)
    CMP32(i32_ge_u, uint32_t, >=)
    CMP64(i64_eq, uint64_t, ==)
    CMP64(i64_ne, uint64_t, !=)
    CMP64(i64_lt_s, int64_t, <)
    CMP64(i64_lt_u, uint64_t, <)
    CMP64(i64_gt_s, int64_t, >)
    CMP64(i64_gt_u, uint64_t, >)
    CMP64(i64_le_s, int64_t, <=)
    CMP64(i64_le_u, uint64_t, <=)
    CMP64(i64_ge_s, int64_t, >=)
    CMP64(i64_ge_u, uint64_t, >=)
    BIN(f32_eq, D.i32 = gf(&A) == gf(&B))
    BIN(f32_ne, D.i32 = gf(&A) != gf(&B))
    BIN(f32_lt, D.i32 = gf(&A) < gf(&B))
    BIN(f32_gt, D.i32 = gf(&A) > gf(&B))
    BIN(f32_le, D.i32 = gf(&A) <= gf(&B))
    BIN(f32_ge, D.i32 = gf(&A) >= gf(&B))
    BIN(f64_eq, D.i32 = gd(&A) == gd(&B))
    BIN(f64_ne, D.i32 = gd(&A) != gd(&B))
    BIN(f64_lt, D.i32 = gd(&A) < gd(&B))
    BIN(f64_gt, D.i32 = gd(&A) > gd(&B))
    BIN(f64_le, D.i32 = gd(&A) <= gd(&B))
    BIN(f64_ge, D.i32 = gd(&A) >= gd(&B))

    UN(i32_clz, D.i32 = clz32(a_->i32))
    UN(i32_ctz, D.i32 = ctz32(a_->i32))
    UN(i32_popcnt, D.i32 = popcnt32(a_->i32))
    BIN(i32_add, D.i32 = A.i32 + B.i32)
    BIN(i32_sub, D.i32 = A.i32 - B.i32)
    BIN(i32_mul, D.i32 = A.i32 * B.i32)
    BIN(i32_add_i, D.i32 = A.i32 + ip[2].u)
    OP(i32_shl_add_i)
    {
        D.i32 = (A.i32 << ip[2].u) + ip[3].u;
        ip += 4;
        NEXT();
    }
    BIN(i32_sub_i, D.i32 = A.i32 - ip[2].u)
    BIN(i32_mul_i, D.i32 = A.i32 * ip[2].u)
    BIN(i32_and_i, D.i32 = A.i32 & ip[2].u)
    BIN(i32_or_i, D.i32 = A.i32 | ip[2].u)
    BIN(i32_xor_i, D.i32 = A.i32 ^ ip[2].u)
    BIN(i32_shl_i, D.i32 = A.i32 << (ip[2].u & 31))
    BIN(i32_shr_s_i, D.i32 = sar32(A.i32, ip[2].u))
    BIN(i32_shr_u_i, D.i32 = A.i32 >> (ip[2].u & 31))
    BIN(i64_add_i, D.i64 = A.i64 + (uint64_t)(int64_t)ip[2].s)
#define I64IMM ((uint64_t)(int64_t)ip[2].s)
    BIN(i64_sub_i, D.i64 = A.i64 - I64IMM)
    BIN(i64_mul_i, D.i64 = A.i64 * I64IMM)
    BIN(i64_and_i, D.i64 = A.i64 & I64IMM)
    BIN(i64_or_i, D.i64 = A.i64 | I64IMM)
    BIN(i64_xor_i, D.i64 = A.i64 ^ I64IMM)
    BIN(i64_shl_i, D.i64 = A.i64 << (ip[2].u & 63))
    BIN(i64_shr_s_i, D.i64 = sar64(A.i64, ip[2].u))
    BIN(i64_shr_u_i, D.i64 = A.i64 >> (ip[2].u & 63))
    OP(i32_div_s)
    {
        int32_t a = (int32_t)A.i32, b = (int32_t)B.i32;
        if (b == 0) TRAP(DIV_ZERO);
        if (a == INT32_MIN && b == -1) TRAP(INT_OVERFLOW);
        D.i32 = (uint32_t)(a / b);
        ip += 3;
        NEXT();
    }
    OP(i32_div_u)
    {
        uint32_t a = A.i32, b = B.i32;
        if (b == 0) TRAP(DIV_ZERO);
        D.i32 = a / b;
        ip += 3;
        NEXT();
    }
    OP(i32_rem_s)
    {
        int32_t a = (int32_t)A.i32, b = (int32_t)B.i32;
        if (b == 0) TRAP(DIV_ZERO);
        D.i32 = (b == -1) ? 0 : (uint32_t)(a % b);
        ip += 3;
        NEXT();
    }
    OP(i32_rem_u)
    {
        uint32_t a = A.i32, b = B.i32;
        if (b == 0) TRAP(DIV_ZERO);
        D.i32 = a % b;
        ip += 3;
        NEXT();
    }
    BIN(i32_and, D.i32 = A.i32 & B.i32)
    BIN(i32_or, D.i32 = A.i32 | B.i32)
    BIN(i32_xor, D.i32 = A.i32 ^ B.i32)
    BIN(i32_shl, D.i32 = A.i32 << (B.i32 & 31))
    BIN(i32_shr_s, D.i32 = sar32(A.i32, B.i32))
    BIN(i32_shr_u, D.i32 = A.i32 >> (B.i32 & 31))
    BIN(i32_rotl, D.i32 = rotl32(A.i32, B.i32))
    BIN(i32_rotr, D.i32 = rotr32(A.i32, B.i32))

    UN(i64_clz, D.i64 = clz64(a_->i64))
    UN(i64_ctz, D.i64 = ctz64(a_->i64))
    UN(i64_popcnt, D.i64 = popcnt64(a_->i64))
    BIN(i64_add, D.i64 = A.i64 + B.i64)
    BIN(i64_sub, D.i64 = A.i64 - B.i64)
    BIN(i64_mul, D.i64 = A.i64 * B.i64)
    OP(i64_div_s)
    {
        int64_t a = (int64_t)A.i64, b = (int64_t)B.i64;
        if (b == 0) TRAP(DIV_ZERO);
        if (a == INT64_MIN && b == -1) TRAP(INT_OVERFLOW);
        D.i64 = (uint64_t)(a / b);
        ip += 3;
        NEXT();
    }
    OP(i64_div_u)
    {
        uint64_t a = A.i64, b = B.i64;
        if (b == 0) TRAP(DIV_ZERO);
        D.i64 = a / b;
        ip += 3;
        NEXT();
    }
    OP(i64_rem_s)
    {
        int64_t a = (int64_t)A.i64, b = (int64_t)B.i64;
        if (b == 0) TRAP(DIV_ZERO);
        D.i64 = (b == -1) ? 0 : (uint64_t)(a % b);
        ip += 3;
        NEXT();
    }
    OP(i64_rem_u)
    {
        uint64_t a = A.i64, b = B.i64;
        if (b == 0) TRAP(DIV_ZERO);
        D.i64 = a % b;
        ip += 3;
        NEXT();
    }
    BIN(i64_and, D.i64 = A.i64 & B.i64)
    BIN(i64_or, D.i64 = A.i64 | B.i64)
    BIN(i64_xor, D.i64 = A.i64 ^ B.i64)
    BIN(i64_shl, D.i64 = A.i64 << (B.i64 & 63))
    BIN(i64_shr_s, D.i64 = sar64(A.i64, B.i64))
    BIN(i64_shr_u, D.i64 = A.i64 >> (B.i64 & 63))
    BIN(i64_rotl, D.i64 = rotl64(A.i64, B.i64))
    BIN(i64_rotr, D.i64 = rotr64(A.i64, B.i64))

    UN(f32_abs, D.i32 = a_->i32 & 0x7fffffffu)
    UN(f32_neg, D.i32 = a_->i32 ^ 0x80000000u)
    UN(f32_ceil, sf(&D, ceilf(gf(a_))))
    UN(f32_floor, sf(&D, floorf(gf(a_))))
    UN(f32_trunc, sf(&D, truncf(gf(a_))))
    UN(f32_nearest, sf(&D, nearbyintf(gf(a_))))
    UN(f32_sqrt, sf(&D, sqrtf(gf(a_))))
    /* f32 with a constant second operand: its bits are the immediate cell */
#define FIMM cellf(&ip[2])
    BIN(f32_add_i, sf(&D, gf(&A) + FIMM))
    BIN(f32_sub_i, sf(&D, gf(&A) - FIMM))
    BIN(f32_mul_i, sf(&D, gf(&A) * FIMM))
    BIN(f32_div_i, sf(&D, gf(&A) / FIMM))
    BIN(f32_lt_i, D.i32 = gf(&A) < FIMM)
    BIN(f32_gt_i, D.i32 = gf(&A) > FIMM)
    BIN(f32_le_i, D.i32 = gf(&A) <= FIMM)
    BIN(f32_ge_i, D.i32 = gf(&A) >= FIMM)
/* Sums of products: each product is a float of its own (one rounding per wasm instruction). */
#define PROD(k, l) (gf(&fp[ip[k].u]) * gf(&fp[ip[l].u]))
    OP(f32_add_mul)
    {
        float q_ = PROD(2, 3);
        sf(&D, gf(&A) + q_);
        ip += 4;
        NEXT();
    }
    OP(f32_sub_mul)
    {
        float q_ = PROD(2, 3);
        sf(&D, gf(&A) - q_);
        ip += 4;
        NEXT();
    }
    OP(f32_mul2_add)
    {
        float p_ = PROD(1, 2), q_ = PROD(3, 4);
        sf(&D, p_ + q_);
        ip += 5;
        NEXT();
    }
    OP(f32_mul2_sub)
    {
        float p_ = PROD(1, 2), q_ = PROD(3, 4);
        sf(&D, p_ - q_);
        ip += 5;
        NEXT();
    }
    BIN(f32_add, sf(&D, gf(&A) + gf(&B)))
    BIN(f32_sub, sf(&D, gf(&A) - gf(&B)))
    BIN(f32_mul, sf(&D, gf(&A) * gf(&B)))
    BIN(f32_div, sf(&D, gf(&A) / gf(&B)))
    BIN(f32_min, sf(&D, fmin32(gf(&A), gf(&B))))
    BIN(f32_max, sf(&D, fmax32(gf(&A), gf(&B))))
    BIN(f32_copysign, D.i32 = (A.i32 & 0x7fffffffu) | (B.i32 & 0x80000000u))
    UN(f64_abs, D.i64 = a_->i64 & 0x7fffffffffffffffull)
    UN(f64_neg, D.i64 = a_->i64 ^ 0x8000000000000000ull)
    UN(f64_ceil, sd(&D, ceil(gd(a_))))
    UN(f64_floor, sd(&D, floor(gd(a_))))
    UN(f64_trunc, sd(&D, trunc(gd(a_))))
    UN(f64_nearest, sd(&D, nearbyint(gd(a_))))
    UN(f64_sqrt, sd(&D, sqrt(gd(a_))))
    BIN(f64_add, sd(&D, gd(&A) + gd(&B)))
    BIN(f64_sub, sd(&D, gd(&A) - gd(&B)))
    BIN(f64_mul, sd(&D, gd(&A) * gd(&B)))
    BIN(f64_div, sd(&D, gd(&A) / gd(&B)))
    BIN(f64_min, sd(&D, fmin64(gd(&A), gd(&B))))
    BIN(f64_max, sd(&D, fmax64(gd(&A), gd(&B))))
    BIN(f64_copysign, D.i64 = (A.i64 & 0x7fffffffffffffffull) | (B.i64 & 0x8000000000000000ull))

    UN(i32_wrap_i64, D.i32 = (uint32_t)a_->i64)
#define TRUNC(name, getter, lo_ok, hi_ok, field, conv)                                             \
    OP(name)                                                                                       \
    {                                                                                              \
        double x = (double)getter(&A);                                                             \
        if (x != x) TRAP(INVALID_CONVERSION);                                                      \
        if (!(lo_ok && hi_ok)) TRAP(INT_OVERFLOW);                                                 \
        D.field = conv;                                                                            \
        ip += 2;                                                                                   \
        NEXT();                                                                                    \
    }
    TRUNC(i32_trunc_f32_s, gf, x > -2147483649.0, x < 2147483648.0, i32, (uint32_t)(int32_t)x)
    TRUNC(i32_trunc_f32_u, gf, x > -1.0, x < 4294967296.0, i32, (uint32_t)x)
    TRUNC(i32_trunc_f64_s, gd, x > -2147483649.0, x < 2147483648.0, i32, (uint32_t)(int32_t)x)
    TRUNC(i32_trunc_f64_u, gd, x > -1.0, x < 4294967296.0, i32, (uint32_t)x)
    TRUNC(i64_trunc_f32_s, gf, x >= -9223372036854775808.0, x < 9223372036854775808.0, i64,
          (uint64_t)(int64_t)x)
    TRUNC(i64_trunc_f32_u, gf, x > -1.0, x < 18446744073709551616.0, i64, (uint64_t)x)
    TRUNC(i64_trunc_f64_s, gd, x >= -9223372036854775808.0, x < 9223372036854775808.0, i64,
          (uint64_t)(int64_t)x)
    TRUNC(i64_trunc_f64_u, gd, x > -1.0, x < 18446744073709551616.0, i64, (uint64_t)x)
    UN(i64_extend_i32_s, D.i64 = (uint64_t)(int64_t)(int32_t)a_->i32)
    UN(i64_extend_i32_u, D.i64 = (uint64_t)a_->i32)
    UN(f32_convert_i32_s, sf(&D, (float)(int32_t)a_->i32))
    UN(f32_convert_i32_u, sf(&D, (float)a_->i32))
    UN(f32_convert_i64_s, sf(&D, (float)(int64_t)a_->i64))
    UN(f32_convert_i64_u, sf(&D, (float)a_->i64))
    UN(f32_demote_f64, sf(&D, (float)gd(a_)))
    UN(f64_convert_i32_s, sd(&D, (double)(int32_t)a_->i32))
    UN(f64_convert_i32_u, sd(&D, (double)a_->i32))
    UN(f64_convert_i64_s, sd(&D, (double)(int64_t)a_->i64))
    UN(f64_convert_i64_u, sd(&D, (double)a_->i64))
    UN(f64_promote_f32, sd(&D, (double)gf(a_)))
    UN(i32_extend8_s, D.i32 = (uint32_t)(int32_t)(int8_t)a_->i32)
    UN(i32_extend16_s, D.i32 = (uint32_t)(int32_t)(int16_t)a_->i32)
    UN(i64_extend8_s, D.i64 = (uint64_t)(int64_t)(int8_t)a_->i64)
    UN(i64_extend16_s, D.i64 = (uint64_t)(int64_t)(int16_t)a_->i64)
    UN(i64_extend32_s, D.i64 = (uint64_t)(int64_t)(int32_t)a_->i64)
    UN(i32_trunc_sat_f32_s, D.i32 = sat_i32_s(gf(a_)))
    UN(i32_trunc_sat_f32_u, D.i32 = sat_i32_u(gf(a_)))
    UN(i32_trunc_sat_f64_s, D.i32 = sat_i32_s(gd(a_)))
    UN(i32_trunc_sat_f64_u, D.i32 = sat_i32_u(gd(a_)))
    UN(i64_trunc_sat_f32_s, D.i64 = sat_i64_s(gf(a_)))
    UN(i64_trunc_sat_f32_u, D.i64 = sat_i64_u(gf(a_)))
    UN(i64_trunc_sat_f64_s, D.i64 = sat_i64_s(gd(a_)))
    UN(i64_trunc_sat_f64_u, D.i64 = sat_i64_u(gd(a_)))

    UN(ref_is_null, D.i32 = a_->ref == 0)
    OP(ref_func)
    {
        D.i64 = 0;
        D.ref = (uintptr_t)st->funcref_of[ip[1].u];
        ip += 2;
        NEXT();
    }
    OP(table_get)
    {
        const rw_tableinst *t = st->tables[ip[0].u];
        uint32_t i = fp[ip[2].u].i32;
        if (i >= t->size) TRAP(TABLE_OOB);
        fp[ip[1].u].i64 = 0;
        fp[ip[1].u].ref = t->elems[i];
        ip += 3;
        NEXT();
    }
    OP(table_set)
    {
        rw_tableinst *t = st->tables[ip[0].u];
        uint32_t i = fp[ip[1].u].i32;
        if (i >= t->size) TRAP(TABLE_OOB);
        t->elems[i] = fp[ip[2].u].ref;
        ip += 3;
        NEXT();
    }
    OP(table_size)
    {
        fp[ip[1].u].i32 = st->tables[ip[0].u]->size;
        ip += 2;
        NEXT();
    }
    OP(table_grow)
    {
        rw_tableinst *t = st->tables[ip[0].u];
        uintptr_t init = fp[ip[2].u].ref;
        uint32_t n = fp[ip[3].u].i32, old = t->size;
        if (n > t->max - old) {
            fp[ip[1].u].i32 = 0xffffffffu;
        } else {
            CHARGE(n >> 3);
            for (uint32_t k = 0; k < n; k++)
                t->elems[old + k] = init;
            t->size = old + n;
            fp[ip[1].u].i32 = old;
        }
        ip += 4;
        NEXT();
    }
    OP(table_fill)
    {
        rw_tableinst *t = st->tables[ip[0].u];
        uint64_t i = fp[ip[1].u].i32, n = fp[ip[3].u].i32;
        uintptr_t v = fp[ip[2].u].ref;
        if (i + n > t->size) TRAP(TABLE_OOB);
        CHARGE(n >> 3);
        for (uint64_t k = 0; k < n; k++)
            t->elems[i + k] = v;
        ip += 4;
        NEXT();
    }
    OP(table_copy)
    {
        rw_tableinst *td = st->tables[ip[0].u], *ts = st->tables[ip[1].u];
        uint64_t d = fp[ip[2].u].i32, s = fp[ip[3].u].i32, n = fp[ip[4].u].i32;
        if (s + n > ts->size || d + n > td->size) TRAP(TABLE_OOB);
        CHARGE(n >> 3);
        if (n) memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof *td->elems);
        ip += 5;
        NEXT();
    }
    OP(table_init)
    {
        rw_tableinst *t = st->tables[ip[0].u];
        uint32_t ei = ip[1].u;
        const rw_elem *e = &m->elems[ei];
        uint64_t d = fp[ip[2].u].i32, s = fp[ip[3].u].i32, n = fp[ip[4].u].i32;
        uint64_t len = st->elem_dropped[ei] ? 0 : e->n;
        if (s + n > len || d + n > t->size) TRAP(TABLE_OOB);
        CHARGE(n >> 3);
        for (uint64_t k = 0; k < n; k++) {
            const rw_const *c = &e->items[s + k];
            uintptr_t v = 0;
            if (c->op == RW_CONST_REF_FUNC)
                v = (uintptr_t)st->funcref_of[c->index];
            else if (c->op == RW_CONST_GLOBAL_GET)
                v = globals[c->index]->ref;
            t->elems[d + k] = v;
        }
        ip += 5;
        NEXT();
    }
    OP(elem_drop)
    {
        st->elem_dropped[ip[0].u] = 1;
        ip += 1;
        NEXT();
    }

#if !RW_COMPUTED_GOTO
default: return RUNE_ERR(err, RUNE_E_INTERNAL, "interpreter: bad opcode");
}
#endif

done : st->fuel = fuel;
st->depth = entry_depth;
st->sp_free = entry_sp;
return RUNE_OK;

host_failed : st->fuel = fuel;
st->depth = entry_depth;
st->sp_free = entry_sp;
return hs;

trapped:
{
    uint32_t fidx;
    size_t off;
    locate(inst, (size_t)(ip - 1 - cells), &fidx, &off);
    st->fuel = fuel;
    st->depth = entry_depth;
    st->sp_free = entry_sp;
    return rw_trap(err, trap, fidx, off);
}
trapped_at_entry : st->fuel = fuel;
return rw_trap(err, trap, func, m->funcs[func].body_offset);
#undef OP
#undef NEXT
}

const void *const *rw_interp_handlers(void)
{
#if RW_COMPUTED_GOTO
    static const void *const *table;
    if (!table) run(NULL, 0, NULL, &table);
    return table;
#else
        static const void *table[RWOP_COUNT];
        static int made;
        if (!made) {
            for (int i = 0; i < RWOP_COUNT; i++)
                table[i] = (const void *)(uintptr_t)i;
            made = 1;
        }
        return table;
#endif
}

rune_status rw_interp_run(rune_wasm_instance *inst, uint32_t func, rune_error *err)
{
    return run(inst, func, err, NULL);
}

rune_status rw_interp_call_import(rune_wasm_instance *inst, uint32_t func, rune_wasm_val *slots,
                                  rune_error *err)
{
    return call_import(inst, inst->priv, func, slots, err);
}
