/*
 * compile.c - the validator and the interpreter's compiler in one pass: each function body is
 * type-checked (the spec's validation algorithm with a control stack and an operand stack of types)
 * and, at the same time, translated into threaded code (see interp_int.h for the format).
 *
 * The operand stack of the compiler remembers, for every value, where it lives: in its own stack
 * slot (TEMP), still in a local (LOCAL: local.get emits nothing) or still a constant (CONST:
 * i32.const emits nothing). Consumers read locals directly and use immediate forms for constants; a
 * local.set right after an instruction redirects that instruction's destination (no copy). Deferred
 * values are written to their slots ("materialized") where control flow merges and before their
 * local changes.
 *
 * Workload: clang -O2 output, up to a few MB of code; one pass, amortized O(1) per instruction.
 */
#include <string.h>

#include "rune/alloc.h"
#include "interp_int.h"

/* Where a value on the compiler's operand stack lives. K_MUL2: not computed yet, the product of
 * two bytes loaded from local-addressed memory (i32_mul_2m8s/u); an i32.add consuming it becomes
 * one multiply-accumulate. Such values exist only in straight-line code: before any instruction
 * that could write memory, trap otherwise, or branch, they are computed into their slots
 * (mul2_flush). */
enum { K_TEMP, K_LOCAL, K_CONST, K_MUL2 };
enum { F_BLOCK, F_LOOP, F_IF, F_ELSE, F_FUNC };
#define NONE ((size_t)-1)
#define RW_MAX_DEPTH 10000   /* nesting of blocks */
#define RW_MAX_HEIGHT 100000 /* operand stack height */

typedef struct centry {
    uint8_t type; /* 0 = unknown (polymorphic stack) */
    uint8_t kind;
    uint32_t local;
    rune_wasm_val cval;
    uint32_t m2[7];  /* K_MUL2: op, then the cells p off imm q off2 imm2 */
    uint32_t m2_pos; /* K_MUL2: wasm offset of the first load (names a trap) */
} centry;

typedef struct cframe {
    uint8_t kind;
    uint8_t unreachable, dead_at_entry;
    uint8_t single;  /* storage for a one-result block type */
    uint32_t height; /* operand stack height below the block's params */
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
    size_t target;     /* loops: cell index of the loop head */
    size_t patches;    /* head of the forward-branch patch list (pool index) */
    size_t else_patch; /* if: offset cell of the br_ifnot */
    uint32_t fuel;     /* instructions in this fuel scope */
    uint32_t saved_fuel_scope;
} cframe;

typedef struct patch {
    size_t cell, next;
} patch;

typedef struct comp {
    const rw_module *m;
    rune_error *err;
    rune_status st;
    const uint8_t *base, *p, *end;
    uint32_t fidx;
    const void *const *H;
    rw_cell *cells;
    size_t ncells, capcells;
    uint32_t *pos_cell, *pos_off;
    size_t npos, cappos;
    uint8_t *ltypes;    /* params then locals */
    uint32_t nl;        /* frame slots before the operand stack: params, locals, the zero slot */
    uint32_t nl_wasm;   /* params + locals as the module declares them */
    uint32_t zero_slot; /* a hidden local, zeroed on entry and never written: base of absolute
                         * addresses (a load from i32.const A reads (u32)(0 + A) + offset) */
    centry *stk;
    uint32_t h, caph, maxh;
    cframe *fr;
    uint32_t nf, capf;
    patch *pool;
    size_t npool, cappool;
    size_t last_dst;  /* dst cell of the last instruction if it may be redirected, else NONE */
    size_t instr_off; /* wasm offset of the instruction being compiled */
    size_t last_start, last_end; /* cells of the last instruction emitted (last_start NONE: none) */
    int last_op;
    size_t last_label;   /* cell index of the last label placed (no fusion may reach across it) */
    uint32_t fuel_scope; /* frame index that counts fuel */
    int dead;
    uint32_t nmul2;  /* K_MUL2 entries made since the last flush (an upper bound) */
    centry mul2_new; /* the K_MUL2 entry try_fuse_load made */
} comp;

/* ---- errors -----------------------------------------------------------------------------------
 */

static rune_status fail(comp *c, rune_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static rune_status fail(comp *c, rune_status st, const char *fmt, ...)
{
    if (c->st != RUNE_OK) return c->st;
    va_list ap;
    va_start(ap, fmt);
    rune_error_vset_at(c->err, st, __FILE__, __LINE__, fmt, ap);
    va_end(ap);
    rune_error_prefix(c->err, "func %u, offset 0x%zx", (unsigned)c->fidx, c->instr_off);
    c->st = st;
    return st;
}
#define CHK(x)                                                                                     \
    do {                                                                                           \
        if ((x) != RUNE_OK || c->st != RUNE_OK) return c->st ? c->st : RUNE_E_INTERNAL;            \
    } while (0)

static rune_status nomem(comp *c)
{
    return fail(c, RUNE_E_NOMEM, "out of memory compiling");
}

/* ---- immediates -------------------------------------------------------------------------------
 */

static rune_status rd_u8(comp *c, uint8_t *v)
{
    if (c->p >= c->end) return fail(c, RUNE_E_MALFORMED, "unexpected end of function body");
    *v = *c->p++;
    return RUNE_OK;
}
static rune_status rd_u32(comp *c, uint32_t *v)
{
    if (rw_read_u32(&c->p, c->end, v))
        return fail(c, RUNE_E_MALFORMED,
                    "malformed LEB128 immediate (integer too large or "
                    "unexpected end)");
    return RUNE_OK;
}
static rune_status rd_zero(comp *c)
{
    uint8_t b = 0;
    CHK(rd_u8(c, &b));
    if (b != 0) return fail(c, RUNE_E_MALFORMED, "zero byte expected");
    return RUNE_OK;
}

/* ---- emission ---------------------------------------------------------------------------------
 */

static int grow_cells(comp *c, size_t n)
{
    if (c->ncells + n <= c->capcells) return 0;
    size_t cap = c->capcells ? c->capcells * 2 : 1024;
    while (cap < c->ncells + n)
        cap *= 2;
    rw_cell *x = rune_realloc_array(c->cells, cap, sizeof *x);
    if (!x) return nomem(c), -1;
    c->cells = x;
    c->capcells = cap;
    return 0;
}

/* Start an instruction: handler cell plus room for n operands. Returns the index of the first
 * operand cell, or NONE when dead code or out of memory (callers then write nothing). */
static size_t op(comp *c, int opc, size_t n)
{
    c->last_dst = NONE;
    c->last_start = NONE;
    if (c->dead || c->st) return NONE;
    if (grow_cells(c, n + 1)) return NONE;
    if (c->npos == c->cappos) {
        size_t cap = c->cappos ? c->cappos * 2 : 256;
        uint32_t *a = rune_realloc_array(c->pos_cell, cap, sizeof *a);
        if (!a) return nomem(c), NONE;
        c->pos_cell = a;
        uint32_t *b = rune_realloc_array(c->pos_off, cap, sizeof *b);
        if (!b) return nomem(c), NONE;
        c->pos_off = b;
        c->cappos = cap;
    }
    c->pos_cell[c->npos] = (uint32_t)c->ncells;
    c->pos_off[c->npos++] = (uint32_t)c->instr_off;
    c->cells[c->ncells++].h = c->H[opc];
    size_t at = c->ncells;
    memset(&c->cells[at], 0, n * sizeof(rw_cell));
    c->ncells += n;
    c->last_start = at - 1;
    c->last_end = c->ncells;
    c->last_op = opc;
    return at;
}

#define SET(at, k, val) (c->cells[(at) + (k)].u = (uint32_t)(val))

static void emit_copy(comp *c, uint32_t dst, uint32_t src)
{
    if (dst == src) return;
    size_t at = op(c, RWOP_copy, 2);
    if (at == NONE) return;
    SET(at, 0, dst);
    SET(at, 1, src);
}

static void emit_const(comp *c, uint32_t dst, uint8_t type, rune_wasm_val v)
{
    if (type == RUNE_WASM_I32 || type == RUNE_WASM_F32) {
        size_t at = op(c, RWOP_const32, 2);
        if (at == NONE) return;
        SET(at, 0, dst);
        SET(at, 1, v.i32);
        c->last_dst = at;
    } else {
        uint64_t x = type == RUNE_WASM_I64 || type == RUNE_WASM_F64 ? v.i64 : (uint64_t)v.ref;
        size_t at = op(c, RWOP_const64, 3);
        if (at == NONE) return;
        SET(at, 0, dst);
        SET(at, 1, (uint32_t)x);
        SET(at, 2, (uint32_t)(x >> 32));
        c->last_dst = at;
    }
}

/* Forward branch: the offset cell at `cell` is patched when frame f ends. */
static void add_patch(comp *c, cframe *f, size_t cell)
{
    if (cell == NONE) return;
    if (c->npool == c->cappool) {
        size_t cap = c->cappool ? c->cappool * 2 : 64;
        patch *x = rune_realloc_array(c->pool, cap, sizeof *x);
        if (!x) {
            nomem(c);
            return;
        }
        c->pool = x;
        c->cappool = cap;
    }
    c->pool[c->npool] = (patch){cell, f->patches};
    f->patches = c->npool++;
}

static void set_offset(comp *c, size_t cell, size_t target)
{
    if (cell == NONE || c->st) return;
    c->cells[cell].s = (int32_t)((ptrdiff_t)target - (ptrdiff_t)cell);
}

/* Make the offset cell `cell` branch to frame f's label. with_cost: the next cell is the fuel cost
 * of taking the branch, nonzero only for backward branches (loops): fuel is charged per iteration
 * there, roughly the instructions from the loop head to the branch. */
static void branch_cell_(comp *c, cframe *f, size_t cell, int with_cost)
{
    if (cell == NONE) return;
    if (f->kind == F_LOOP) {
        set_offset(c, cell, f->target);
        if (with_cost && !c->st) c->cells[cell + 1].u = f->fuel ? f->fuel : 1;
    } else {
        add_patch(c, f, cell);
    }
}
#define branch_cell(c, f, cell) branch_cell_((c), (f), (cell), 1)

/* ---- operand stack ----------------------------------------------------------------------------
 */

#define SLOT(c, hh) ((c)->nl + (hh))

static cframe *top(comp *c)
{
    return &c->fr[c->nf - 1];
}

static void update_dead(comp *c)
{
    cframe *f = top(c);
    c->dead = f->unreachable || f->dead_at_entry;
}

static rune_status push_e(comp *c, centry e)
{
    if (c->h == c->caph) {
        uint32_t cap = c->caph ? c->caph * 2 : 64;
        if (cap > RW_MAX_HEIGHT + 64)
            return fail(c, RUNE_E_UNSUPPORTED, "operand stack deeper than %d", RW_MAX_HEIGHT);
        centry *x = rune_realloc_array(c->stk, cap, sizeof *x);
        if (!x) return nomem(c);
        c->stk = x;
        c->caph = cap;
    }
    c->stk[c->h++] = e;
    if (c->h > c->maxh) c->maxh = c->h;
    return RUNE_OK;
}

static rune_status push(comp *c, uint8_t type)
{
    centry e = {type, K_TEMP, 0, {0}, {0}, 0};
    return push_e(c, e);
}

static const char *tname(uint8_t t)
{
    switch (t) {
    case RUNE_WASM_I32: return "i32";
    case RUNE_WASM_I64: return "i64";
    case RUNE_WASM_F32: return "f32";
    case RUNE_WASM_F64: return "f64";
    case RUNE_WASM_FUNCREF: return "funcref";
    case RUNE_WASM_EXTERNREF: return "externref";
    default: return "any";
    }
}

/* Pop one value of type want (0 = any). */
static rune_status pop(comp *c, uint8_t want, centry *out)
{
    cframe *f = top(c);
    if (c->h == f->height) {
        if (!f->unreachable)
            return fail(c, RUNE_E_INVALID, "type mismatch: expected %s but the stack is empty",
                        tname(want));
        centry e = {want, K_TEMP, 0, {0}, {0}, 0};
        if (out) *out = e;
        return RUNE_OK;
    }
    centry e = c->stk[--c->h];
    if (want && e.type && e.type != want)
        return fail(c, RUNE_E_INVALID, "type mismatch: expected %s, got %s", tname(want),
                    tname(e.type));
    if (out) *out = e;
    return RUNE_OK;
}

/* Compute a K_MUL2 value into slot dst. */
static void emit_mul2(comp *c, const centry *e, uint32_t dst)
{
    size_t at = op(c, (int)e->m2[0], 7);
    if (at == NONE) return;
    c->pos_off[c->npos - 1] = e->m2_pos;
    SET(at, 0, dst);
    for (int k = 1; k < 7; k++)
        SET(at, k, e->m2[k]);
    c->last_dst = at;
}

/* Write a deferred value at height i to its own slot. */
static void materialize(comp *c, uint32_t i)
{
    centry *e = &c->stk[i];
    if (e->kind == K_LOCAL)
        emit_copy(c, SLOT(c, i), e->local);
    else if (e->kind == K_CONST)
        emit_const(c, SLOT(c, i), e->type, e->cval);
    else if (e->kind == K_MUL2)
        emit_mul2(c, e, SLOT(c, i));
    e->kind = K_TEMP;
}

static void materialize_range(comp *c, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        materialize(c, i);
}

/* Compute every pending K_MUL2 value (see K_MUL2). */
static void mul2_flush(comp *c)
{
    for (uint32_t i = 0; i < c->h; i++)
        if (c->stk[i].kind == K_MUL2) materialize(c, i);
    c->nmul2 = 0;
}

/* The slot to read a just-popped entry e (which was at height hh) from. */
static uint32_t src(comp *c, centry *e, uint32_t hh)
{
    if (e->kind == K_LOCAL) return e->local;
    if (e->kind == K_MUL2) {
        emit_mul2(c, e, SLOT(c, hh));
        return SLOT(c, hh);
    }
    if (e->kind == K_CONST) emit_const(c, SLOT(c, hh), e->type, e->cval);
    return SLOT(c, hh);
}

/* ---- control frames ---------------------------------------------------------------------------
 */

static rune_status push_frame(comp *c, uint8_t kind, uint32_t np, const uint8_t *params,
                              uint32_t nr, const uint8_t *results, uint8_t single)
{
    if (c->nf >= RW_MAX_DEPTH) return fail(c, RUNE_E_UNSUPPORTED, "blocks nested too deeply");
    if (c->nf == c->capf) {
        uint32_t cap = c->capf ? c->capf * 2 : 16;
        cframe *x = rune_realloc_array(c->fr, cap, sizeof *x);
        if (!x) return nomem(c);
        c->fr = x;
        c->capf = cap;
    }
    cframe *f = &c->fr[c->nf++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->height = c->h - np;
    f->nparams = np;
    f->nresults = nr;
    f->single = single;
    f->params = params;
    f->results = results; /* NULL with nr == 1: the type is in single (see frame_results) */
    f->patches = NONE;
    f->else_patch = NONE;
    f->dead_at_entry = (uint8_t)c->dead;
    f->target = c->ncells;
    return RUNE_OK;
}

static const uint8_t *frame_results(cframe *f)
{
    return f->nresults == 1 && !f->results ? &f->single : f->results;
}
static const uint8_t *label_types(cframe *f)
{
    return f->kind == F_LOOP ? f->params : frame_results(f);
}
static uint32_t label_arity(cframe *f)
{
    return f->kind == F_LOOP ? f->nparams : f->nresults;
}

/* Check that the top n values have the given types (without popping). */
static rune_status check_top(comp *c, const uint8_t *types, uint32_t n)
{
    cframe *f = top(c);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t want = types[n - 1 - i];
        if (c->h < f->height + i + 1) {
            if (!f->unreachable)
                return fail(c, RUNE_E_INVALID, "type mismatch: branch needs %u values", n);
            continue;
        }
        uint8_t got = c->stk[c->h - 1 - i].type;
        if (got && got != want)
            return fail(c, RUNE_E_INVALID, "type mismatch: branch value %s, expected %s",
                        tname(got), tname(want));
    }
    return RUNE_OK;
}

/* Move the top n values to the label's slots (dst_base: slot index). Reads locals directly. */
static void emit_moves(comp *c, uint32_t dst_base, uint32_t n)
{
    if (c->dead) return;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t hh = c->h - n + i;
        centry *e = &c->stk[hh];
        uint32_t d = dst_base + i;
        if (e->kind == K_LOCAL)
            emit_copy(c, d, e->local);
        else if (e->kind == K_CONST)
            emit_const(c, d, e->type, e->cval);
        else
            emit_copy(c, d, SLOT(c, hh));
    }
}

/* Emit an unconditional branch to frame f with its label values on top of the stack. */
static void emit_branch(comp *c, cframe *f)
{
    uint32_t n = label_arity(f);
    if (f->kind == F_FUNC && n == 1 && !c->dead && c->stk[c->h - 1].kind != K_CONST) {
        /* one result: moved into slot 0 by the return itself (a single move needs no care for
         * overlapping sources) */
        const centry *e = &c->stk[c->h - 1];
        size_t at = op(c, RWOP_ret1, 1);
        if (at != NONE) SET(at, 0, e->kind == K_LOCAL ? e->local : SLOT(c, c->h - 1));
        return;
    }
    if (f->kind == F_FUNC) {
        materialize_range(c, c->h - n, c->h);
        emit_moves(c, 0, n);
        op(c, RWOP_ret, 0);
        return;
    }
    emit_moves(c, SLOT(c, f->height), n);
    size_t at = op(c, RWOP_br, 2);
    branch_cell(c, f, at);
}

static rune_status read_blocktype(comp *c, uint32_t *np, const uint8_t **params, uint32_t *nr,
                                  const uint8_t **results, uint8_t *single)
{
    *np = 0;
    *nr = 0;
    *params = *results = NULL;
    *single = 0;
    if (c->p >= c->end) return fail(c, RUNE_E_MALFORMED, "unexpected end");
    uint8_t b = *c->p;
    if (b == 0x40) {
        c->p++;
        return RUNE_OK;
    }
    if (b == RUNE_WASM_I32 || b == RUNE_WASM_I64 || b == RUNE_WASM_F32 || b == RUNE_WASM_F64 ||
        b == RUNE_WASM_FUNCREF || b == RUNE_WASM_EXTERNREF) {
        c->p++;
        *nr = 1;
        *single = b;
        return RUNE_OK;
    }
    if (b == 0x7b) return fail(c, RUNE_E_UNSUPPORTED, "unsupported: SIMD type v128");
    int64_t idx;
    if (rw_read_s33(&c->p, c->end, &idx)) return fail(c, RUNE_E_MALFORMED, "malformed block type");
    if (idx < 0) return fail(c, RUNE_E_MALFORMED, "malformed block type");
    if ((uint64_t)idx >= c->m->ntypes)
        return fail(c, RUNE_E_INVALID, "unknown type %lld", (long long)idx);
    const rw_functype *ft = &c->m->types[idx];
    *np = ft->nparams;
    *params = RW_PARAMS(ft);
    *nr = ft->nresults;
    *results = RW_RESULTS(ft);
    return RUNE_OK;
}

static void restore_last(comp *c);
static int last_is(comp *c, int opc, uint32_t dst);
static uint32_t unemit_imm_op(comp *c, uint32_t *imm);

/* Fused compare-and-branch ops, indexed like the i32 compares; and their negations. */
static int fused_branch(int cmp_op, int negate)
{
    static const struct {
        int cmp, br, br_not;
    } t[] = {

        {RWOP_i32_eq, RWOP_bc_eq, RWOP_bc_ne},
        {RWOP_i32_ne, RWOP_bc_ne, RWOP_bc_eq},
        {RWOP_i32_lt_s, RWOP_bc_lt_s, RWOP_bc_ge_s},
        {RWOP_i32_lt_u, RWOP_bc_lt_u, RWOP_bc_ge_u},
        {RWOP_i32_gt_s, RWOP_bc_gt_s, RWOP_bc_le_s},
        {RWOP_i32_gt_u, RWOP_bc_gt_u, RWOP_bc_le_u},
        {RWOP_i32_le_s, RWOP_bc_le_s, RWOP_bc_gt_s},
        {RWOP_i32_le_u, RWOP_bc_le_u, RWOP_bc_gt_u},
        {RWOP_i32_ge_s, RWOP_bc_ge_s, RWOP_bc_lt_s},
        {RWOP_i32_ge_u, RWOP_bc_ge_u, RWOP_bc_lt_u},
        {RWOP_i32_eq_i, RWOP_bc_eq_i, RWOP_bc_ne_i},
        {RWOP_i32_ne_i, RWOP_bc_ne_i, RWOP_bc_eq_i},
        {RWOP_i32_lt_s_i, RWOP_bc_lt_s_i, RWOP_bc_ge_s_i},
        {RWOP_i32_lt_u_i, RWOP_bc_lt_u_i, RWOP_bc_ge_u_i},
        {RWOP_i32_gt_s_i, RWOP_bc_gt_s_i, RWOP_bc_le_s_i},
        {RWOP_i32_gt_u_i, RWOP_bc_gt_u_i, RWOP_bc_le_u_i},
        {RWOP_i32_le_s_i, RWOP_bc_le_s_i, RWOP_bc_gt_s_i},
        {RWOP_i32_le_u_i, RWOP_bc_le_u_i, RWOP_bc_gt_u_i},
        {RWOP_i32_ge_s_i, RWOP_bc_ge_s_i, RWOP_bc_lt_s_i},
        {RWOP_i32_ge_u_i, RWOP_bc_ge_u_i, RWOP_bc_lt_u_i},
        {RWOP_i32_eqz, RWOP_br_if_eqz, RWOP_br_if},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].cmp == cmp_op) return negate ? t[i].br_not : t[i].br;
    return -1;
}

/* Branch if the i32 in cslot is nonzero (negate: if zero). When that value was just computed by an
 * i32 compare (or eqz) into its own slot, the compare is replaced by a fused compare-and-branch.
 * Returns the offset cell (a cost cell follows it), or NONE in dead code. */
static size_t emit_cond_branch(comp *c, const centry *cond, uint32_t cslot, int negate)
{
    if (c->dead || c->st) return NONE;
    int fused = -1;
    if (cond->kind == K_TEMP && c->last_start != NONE && c->last_end == c->ncells &&
        c->cells[c->last_start + 1].u == cslot)
        fused = fused_branch(c->last_op, negate);
    if (fused >= 0) {
        int unary = c->last_op == RWOP_i32_eqz;
        rw_cell a = c->cells[c->last_start + 2];
        rw_cell b = unary ? a : c->cells[c->last_start + 3]; /* eqz has one operand cell */
        c->ncells = c->last_start;
        c->npos--;
        if (unary || fused == RWOP_br_if) {
            size_t at = op(c, fused, 3);
            if (at != NONE) c->cells[at] = a;
            return at == NONE ? NONE : at + 1;
        }
        /* i += k; i <cmp> N; br_if: the loop-counter idiom becomes one instruction */
        int inc = fused >= RWOP_bc_eq_i && fused <= RWOP_bc_ge_u_i
                      ? RWOP_bca_eq + (fused - RWOP_bc_eq_i)
                      : -1;
        if (inc >= 0) {
            restore_last(c);
            if (last_is(c, RWOP_i32_add_i, a.u)) {
                rw_cell from = c->cells[c->last_start + 2], k = c->cells[c->last_start + 3];
                c->ncells = c->last_start;
                c->npos--;
                size_t at = op(c, inc, 6);
                if (at == NONE) return NONE;
                c->cells[at] = a;
                c->cells[at + 1] = from;
                c->cells[at + 2] = k;
                c->cells[at + 3] = b;
                return at + 4;
            }
        }
        size_t at = op(c, fused, 4);
        if (at == NONE) return NONE;
        c->cells[at] = a;
        c->cells[at + 1] = b;
        return at + 2;
    }
    if (last_is(c, RWOP_i32_add_i, cslot)) {
        /* i += k; br_if i: clang's loops that count up to zero become one step-and-branch */
        rw_cell from = c->cells[c->last_start + 2], k = c->cells[c->last_start + 3];
        c->ncells = c->last_start;
        c->npos--;
        size_t at = op(c, negate ? RWOP_bca_eq : RWOP_bca_ne, 6);
        if (at == NONE) return NONE;
        SET(at, 0, cslot);
        c->cells[at + 1] = from;
        c->cells[at + 2] = k;
        SET(at, 3, 0);
        return at + 4;
    }
    size_t at = op(c, negate ? RWOP_br_ifnot : RWOP_br_if, 3);
    if (at == NONE) return NONE;
    SET(at, 0, cslot);
    return at + 1;
}

/* block / loop / if: pop and re-push the params inside a new frame. */
static rune_status enter_block(comp *c, uint8_t kind)
{
    uint32_t np, nr;
    const uint8_t *params, *results;
    uint8_t single;
    CHK(read_blocktype(c, &np, &params, &nr, &results, &single));
    centry cond = {0};
    if (kind == F_IF) CHK(pop(c, RUNE_WASM_I32, &cond));
    uint32_t condh = c->h;
    CHK(check_top(c, params, np));
    if (!c->dead) {
        if (cond.kind != K_TEMP) {
            /* cond read in place below; its slot is above the params */
        }
        materialize_range(c, 0, c->h);
    }
    for (uint32_t i = 0; i < np; i++)
        CHK(pop(c, params[np - 1 - i], NULL));
    for (uint32_t i = 0; i < np; i++)
        CHK(push(c, params[i]));
    size_t cond_at = NONE;
    uint32_t cslot = 0;
    if (kind == F_IF && !c->dead) cslot = src(c, &cond, condh);
    if (kind == F_IF) cond_at = emit_cond_branch(c, &cond, cslot, 1);
    CHK(push_frame(c, kind, np, params, nr, results, single));
    cframe *f = top(c);
    if (kind == F_IF) f->else_patch = cond_at;
    if (kind == F_LOOP) {
        f->target = c->ncells;
        f->saved_fuel_scope = c->fuel_scope;
        c->fuel_scope = c->nf - 1;
    }
    c->last_dst = NONE;
    c->last_start = NONE; /* a label may follow: no fusion across it */
    c->last_label = c->ncells;
    return RUNE_OK;
}

/* Pop the frame's results at its end (or else), checking the stack is exactly them. */
static rune_status check_frame_end(comp *c, cframe *f)
{
    const uint8_t *res = frame_results(f);
    CHK(check_top(c, res, f->nresults));
    if (!f->unreachable && c->h != f->height + f->nresults)
        return fail(c, RUNE_E_INVALID,
                    "type mismatch: %u values left at the end of a block, "
                    "expected %u",
                    c->h - f->height, f->nresults);
    /* a function's single result is moved by ret1 itself (emit_branch) */
    if (!c->dead && !(f->kind == F_FUNC && f->nresults == 1))
        materialize_range(c, c->h - f->nresults, c->h);
    return RUNE_OK;
}

static void patch_here(comp *c, cframe *f)
{
    for (size_t i = f->patches; i != NONE; i = c->pool[i].next)
        set_offset(c, c->pool[i].cell, c->ncells);
    f->patches = NONE;
}

static rune_status do_else(comp *c)
{
    cframe *f = top(c);
    if (f->kind != F_IF) return fail(c, RUNE_E_MALFORMED, "else without if");
    CHK(check_frame_end(c, f));
    /* then-branch jumps to the end */
    size_t at = op(c, RWOP_br, 2);
    add_patch(c, f, at);
    if (f->else_patch != NONE) set_offset(c, f->else_patch, c->ncells);
    f->else_patch = NONE;
    f->kind = F_ELSE;
    f->unreachable = 0;
    c->h = f->height;
    for (uint32_t i = 0; i < f->nparams; i++)
        CHK(push(c, f->params[i]));
    update_dead(c);
    c->last_dst = NONE;
    c->last_start = NONE; /* a label may follow: no fusion across it */
    c->last_label = c->ncells;
    return RUNE_OK;
}

static rune_status do_end(comp *c)
{
    cframe *f = top(c);
    CHK(check_frame_end(c, f));
    if (f->kind == F_IF) {
        /* no else: the params pass through as results */
        if (f->nparams != f->nresults ||
            (f->nparams && memcmp(f->params, frame_results(f), f->nparams) != 0))
            return fail(c, RUNE_E_INVALID,
                        "type mismatch: if without else must have matching "
                        "params and results");
        if (f->else_patch != NONE) set_offset(c, f->else_patch, c->ncells);
    }
    if (f->kind == F_FUNC) {
        emit_branch(c, f);
        c->nf--;
        return RUNE_OK;
    }
    patch_here(c, f);
    if (f->kind == F_LOOP) {
        c->fuel_scope = f->saved_fuel_scope;
    }
    uint32_t base = f->height, nr = f->nresults;
    uint8_t rt[8];
    const uint8_t *res = frame_results(f);
    int small = nr <= sizeof rt;
    if (small && nr) memcpy(rt, res, nr);
    c->nf--;
    c->h = base;
    for (uint32_t i = 0; i < nr; i++)
        CHK(push(c, small ? rt[i] : res[i]));
    update_dead(c);
    c->last_dst = NONE;
    c->last_start = NONE; /* a label may follow: no fusion across it */
    c->last_label = c->ncells;
    return RUNE_OK;
}

static void set_unreachable(comp *c)
{
    cframe *f = top(c);
    c->h = f->height;
    f->unreachable = 1;
    update_dead(c);
}

static rune_status label(comp *c, cframe **out)
{
    uint32_t depth;
    CHK(rd_u32(c, &depth));
    if (depth >= c->nf) return fail(c, RUNE_E_INVALID, "unknown label %u", depth);
    *out = &c->fr[c->nf - 1 - depth];
    return RUNE_OK;
}

static rune_status do_br_if(comp *c)
{
    cframe *f;
    CHK(label(c, &f));
    centry cond;
    CHK(pop(c, RUNE_WASM_I32, &cond));
    uint32_t n = label_arity(f);
    CHK(check_top(c, label_types(f), n));
    if (c->dead) return RUNE_OK;
    uint32_t cslot = src(c, &cond, c->h);
    materialize_range(c, c->h - n, c->h);
    if (f->kind == F_FUNC || SLOT(c, f->height) != SLOT(c, c->h - n)) {
        size_t skip = emit_cond_branch(c, &cond, cslot, 1);
        emit_branch(c, f);
        set_offset(c, skip, c->ncells);
    } else {
        branch_cell(c, f, emit_cond_branch(c, &cond, cslot, 0));
    }
    c->last_dst = NONE;
    c->last_start = NONE; /* a label may follow: no fusion across it */
    c->last_label = c->ncells;
    return RUNE_OK;
}

static rune_status do_br_table(comp *c)
{
    uint32_t n;
    CHK(rd_u32(c, &n));
    if (n > (uint32_t)(c->end - c->p)) return fail(c, RUNE_E_MALFORMED, "unexpected end");
    centry idx;
    CHK(pop(c, RUNE_WASM_I32, &idx));
    const uint8_t *labels = c->p;
    /* First pass: validate the labels. */
    uint32_t arity = 0;
    for (uint32_t i = 0; i <= n; i++) {
        cframe *f;
        CHK(label(c, &f));
        if (i == 0)
            arity = label_arity(f);
        else if (label_arity(f) != arity)
            return fail(c, RUNE_E_INVALID, "type mismatch: br_table labels of different arity");
        CHK(check_top(c, label_types(f), arity));
    }
    if (!c->dead) {
        uint32_t islot = src(c, &idx, c->h);
        materialize_range(c, c->h - arity, c->h);
        size_t at = op(c, RWOP_br_table, 2 + n + 1);
        if (at == NONE) return c->st;
        SET(at, 0, islot);
        SET(at, 1, n);
        /* Second pass: offsets, with trampolines for labels whose values must move. */
        const uint8_t *save = c->p;
        c->p = labels;
        for (uint32_t i = 0; i <= n; i++) {
            cframe *f;
            CHK(label(c, &f));
            size_t cell = at + 2 + i;
            if (f->kind != F_FUNC && f->kind != F_LOOP &&
                SLOT(c, f->height) == SLOT(c, c->h - arity)) {
                branch_cell_(c, f, cell, 0);
            } else {
                size_t trampoline = c->ncells; /* the branch emitted next, reached through cell */
                emit_branch(c, f);
                set_offset(c, cell, trampoline);
            }
        }
        c->p = save;
    }
    set_unreachable(c);
    return RUNE_OK;
}

/* ---- calls ------------------------------------------------------------------------------------
 */

static rune_status do_call_args(comp *c, const rw_functype *ft, uint32_t *base)
{
    CHK(check_top(c, RW_PARAMS(ft), ft->nparams));
    if (!c->dead) materialize_range(c, c->h - ft->nparams, c->h);
    for (uint32_t i = 0; i < ft->nparams; i++)
        CHK(pop(c, RW_PARAMS(ft)[ft->nparams - 1 - i], NULL));
    *base = SLOT(c, c->h);
    return RUNE_OK;
}

static rune_status do_call_results(comp *c, const rw_functype *ft)
{
    for (uint32_t i = 0; i < ft->nresults; i++)
        CHK(push(c, RW_RESULTS(ft)[i]));
    /* Callee frames start at base: make sure the frame accounts for a callee's results. */
    return RUNE_OK;
}

/* ---- numeric op table -------------------------------------------------------------------------
 */

#define I32_ RUNE_WASM_I32
#define I64_ RUNE_WASM_I64
#define F32_ RUNE_WASM_F32
#define F64_ RUNE_WASM_F64

typedef struct numop {
    uint8_t a, b, r; /* operand and result types; b = 0 for unary */
    uint16_t op;
    int16_t opi; /* immediate form when b is an i32 constant, or -1 */
} numop;

#define U(a, r, o)                                                                                 \
    {                                                                                              \
        a, 0, r, RWOP_##o, -1                                                                      \
    }
#define B(a, r, o)                                                                                 \
    {                                                                                              \
        a, a, r, RWOP_##o, -1                                                                      \
    }
#define BI(a, r, o)                                                                                \
    {                                                                                              \
        a, a, r, RWOP_##o, RWOP_##o##_i                                                            \
    }

static const numop numops[256] = {
    [0x45] = U(I32_, I32_, i32_eqz),
    [0x46] = BI(I32_, I32_, i32_eq),
    [0x47] = BI(I32_, I32_, i32_ne),
    [0x48] = BI(I32_, I32_, i32_lt_s),
    [0x49] = BI(I32_, I32_, i32_lt_u),
    [0x4a] = BI(I32_, I32_, i32_gt_s),
    [0x4b] = BI(I32_, I32_, i32_gt_u),
    [0x4c] = BI(I32_, I32_, i32_le_s),
    [0x4d] = BI(I32_, I32_, i32_le_u),
    [0x4e] = BI(I32_, I32_, i32_ge_s),
    [0x4f] = BI(I32_, I32_, i32_ge_u),
    [0x50] = U(I64_, I32_, i64_eqz),
    [0x51] = B(I64_, I32_, i64_eq),
    [0x52] = B(I64_, I32_, i64_ne),
    [0x53] = B(I64_, I32_, i64_lt_s),
    [0x54] = B(I64_, I32_, i64_lt_u),
    [0x55] = B(I64_, I32_, i64_gt_s),
    [0x56] = B(I64_, I32_, i64_gt_u),
    [0x57] = B(I64_, I32_, i64_le_s),
    [0x58] = B(I64_, I32_, i64_le_u),
    [0x59] = B(I64_, I32_, i64_ge_s),
    [0x5a] = B(I64_, I32_, i64_ge_u),
    [0x5b] = B(F32_, I32_, f32_eq),
    [0x5c] = B(F32_, I32_, f32_ne),
    [0x5d] = BI(F32_, I32_, f32_lt),
    [0x5e] = BI(F32_, I32_, f32_gt),
    [0x5f] = BI(F32_, I32_, f32_le),
    [0x60] = BI(F32_, I32_, f32_ge),
    [0x61] = B(F64_, I32_, f64_eq),
    [0x62] = B(F64_, I32_, f64_ne),
    [0x63] = B(F64_, I32_, f64_lt),
    [0x64] = B(F64_, I32_, f64_gt),
    [0x65] = B(F64_, I32_, f64_le),
    [0x66] = B(F64_, I32_, f64_ge),
    [0x67] = U(I32_, I32_, i32_clz),
    [0x68] = U(I32_, I32_, i32_ctz),
    [0x69] = U(I32_, I32_, i32_popcnt),
    [0x6a] = BI(I32_, I32_, i32_add),
    [0x6b] = BI(I32_, I32_, i32_sub),
    [0x6c] = BI(I32_, I32_, i32_mul),
    [0x6d] = B(I32_, I32_, i32_div_s),
    [0x6e] = B(I32_, I32_, i32_div_u),
    [0x6f] = B(I32_, I32_, i32_rem_s),
    [0x70] = B(I32_, I32_, i32_rem_u),
    [0x71] = BI(I32_, I32_, i32_and),
    [0x72] = BI(I32_, I32_, i32_or),
    [0x73] = BI(I32_, I32_, i32_xor),
    [0x74] = BI(I32_, I32_, i32_shl),
    [0x75] = BI(I32_, I32_, i32_shr_s),
    [0x76] = BI(I32_, I32_, i32_shr_u),
    [0x77] = B(I32_, I32_, i32_rotl),
    [0x78] = B(I32_, I32_, i32_rotr),
    [0x79] = U(I64_, I64_, i64_clz),
    [0x7a] = U(I64_, I64_, i64_ctz),
    [0x7b] = U(I64_, I64_, i64_popcnt),
    [0x7c] = B(I64_, I64_, i64_add),
    [0x7d] = B(I64_, I64_, i64_sub),
    [0x7e] = B(I64_, I64_, i64_mul),
    [0x7f] = B(I64_, I64_, i64_div_s),
    [0x80] = B(I64_, I64_, i64_div_u),
    [0x81] = B(I64_, I64_, i64_rem_s),
    [0x82] = B(I64_, I64_, i64_rem_u),
    [0x83] = B(I64_, I64_, i64_and),
    [0x84] = B(I64_, I64_, i64_or),
    [0x85] = B(I64_, I64_, i64_xor),
    [0x86] = B(I64_, I64_, i64_shl),
    [0x87] = B(I64_, I64_, i64_shr_s),
    [0x88] = B(I64_, I64_, i64_shr_u),
    [0x89] = B(I64_, I64_, i64_rotl),
    [0x8a] = B(I64_, I64_, i64_rotr),
    [0x8b] = U(F32_, F32_, f32_abs),
    [0x8c] = U(F32_, F32_, f32_neg),
    [0x8d] = U(F32_, F32_, f32_ceil),
    [0x8e] = U(F32_, F32_, f32_floor),
    [0x8f] = U(F32_, F32_, f32_trunc),
    [0x90] = U(F32_, F32_, f32_nearest),
    [0x91] = U(F32_, F32_, f32_sqrt),
    [0x92] = BI(F32_, F32_, f32_add),
    [0x93] = BI(F32_, F32_, f32_sub),
    [0x94] = BI(F32_, F32_, f32_mul),
    [0x95] = BI(F32_, F32_, f32_div),
    [0x96] = B(F32_, F32_, f32_min),
    [0x97] = B(F32_, F32_, f32_max),
    [0x98] = B(F32_, F32_, f32_copysign),
    [0x99] = U(F64_, F64_, f64_abs),
    [0x9a] = U(F64_, F64_, f64_neg),
    [0x9b] = U(F64_, F64_, f64_ceil),
    [0x9c] = U(F64_, F64_, f64_floor),
    [0x9d] = U(F64_, F64_, f64_trunc),
    [0x9e] = U(F64_, F64_, f64_nearest),
    [0x9f] = U(F64_, F64_, f64_sqrt),
    [0xa0] = B(F64_, F64_, f64_add),
    [0xa1] = B(F64_, F64_, f64_sub),
    [0xa2] = B(F64_, F64_, f64_mul),
    [0xa3] = B(F64_, F64_, f64_div),
    [0xa4] = B(F64_, F64_, f64_min),
    [0xa5] = B(F64_, F64_, f64_max),
    [0xa6] = B(F64_, F64_, f64_copysign),
    [0xa7] = U(I64_, I32_, i32_wrap_i64),
    [0xa8] = U(F32_, I32_, i32_trunc_f32_s),
    [0xa9] = U(F32_, I32_, i32_trunc_f32_u),
    [0xaa] = U(F64_, I32_, i32_trunc_f64_s),
    [0xab] = U(F64_, I32_, i32_trunc_f64_u),
    [0xac] = U(I32_, I64_, i64_extend_i32_s),
    [0xad] = U(I32_, I64_, i64_extend_i32_u),
    [0xae] = U(F32_, I64_, i64_trunc_f32_s),
    [0xaf] = U(F32_, I64_, i64_trunc_f32_u),
    [0xb0] = U(F64_, I64_, i64_trunc_f64_s),
    [0xb1] = U(F64_, I64_, i64_trunc_f64_u),
    [0xb2] = U(I32_, F32_, f32_convert_i32_s),
    [0xb3] = U(I32_, F32_, f32_convert_i32_u),
    [0xb4] = U(I64_, F32_, f32_convert_i64_s),
    [0xb5] = U(I64_, F32_, f32_convert_i64_u),
    [0xb6] = U(F64_, F32_, f32_demote_f64),
    [0xb7] = U(I32_, F64_, f64_convert_i32_s),
    [0xb8] = U(I32_, F64_, f64_convert_i32_u),
    [0xb9] = U(I64_, F64_, f64_convert_i64_s),
    [0xba] = U(I64_, F64_, f64_convert_i64_u),
    [0xbb] = U(F32_, F64_, f64_promote_f32),
    [0xc0] = U(I32_, I32_, i32_extend8_s),
    [0xc1] = U(I32_, I32_, i32_extend16_s),
    [0xc2] = U(I64_, I64_, i64_extend8_s),
    [0xc3] = U(I64_, I64_, i64_extend16_s),
    [0xc4] = U(I64_, I64_, i64_extend32_s),
};

static const numop satops[8] = {
    U(F32_, I32_, i32_trunc_sat_f32_s), U(F32_, I32_, i32_trunc_sat_f32_u),
    U(F64_, I32_, i32_trunc_sat_f64_s), U(F64_, I32_, i32_trunc_sat_f64_u),
    U(F32_, I64_, i64_trunc_sat_f32_s), U(F32_, I64_, i64_trunc_sat_f32_u),
    U(F64_, I64_, i64_trunc_sat_f64_s), U(F64_, I64_, i64_trunc_sat_f64_u),
};

/* Binary ops with one operand loaded from memory: (binop, load) -> fused op; commutative ops may
 * take the load as either operand. */
static int fuse_mem(int binop, int load, int *commutative)
{
    static const struct {
        int bin, load, fused, comm;
    } t[] = {
        {RWOP_f32_add, RWOP_i32_load, RWOP_f32_add_m, 1},
        {RWOP_f32_sub, RWOP_i32_load, RWOP_f32_sub_m, 0},
        {RWOP_f32_mul, RWOP_i32_load, RWOP_f32_mul_m, 1},
        {RWOP_f64_add, RWOP_i64_load, RWOP_f64_add_m, 1},
        {RWOP_f64_sub, RWOP_i64_load, RWOP_f64_sub_m, 0},
        {RWOP_f64_mul, RWOP_i64_load, RWOP_f64_mul_m, 1},
        {RWOP_i32_add, RWOP_i32_load, RWOP_i32_add_m, 1},
        {RWOP_i32_sub, RWOP_i32_load, RWOP_i32_sub_m, 0},
        {RWOP_i32_mul, RWOP_i32_load, RWOP_i32_mul_m, 1},
        {RWOP_i32_and, RWOP_i32_load, RWOP_i32_and_m, 1},
        {RWOP_i32_or, RWOP_i32_load, RWOP_i32_or_m, 1},
        {RWOP_i32_xor, RWOP_i32_load, RWOP_i32_xor_m, 1},
        {RWOP_i32_add, RWOP_i32_load8_u, RWOP_i32_add_m8u, 1},
        {RWOP_i32_add, RWOP_i32_load8_s, RWOP_i32_add_m8s, 1},
        {RWOP_i32_mul, RWOP_i32_load8_u, RWOP_i32_mul_m8u, 1},
        {RWOP_i32_mul, RWOP_i32_load8_s, RWOP_i32_mul_m8s, 1},
        {RWOP_i32_xor, RWOP_i32_load8_u, RWOP_i32_xor_m8u, 1},
        {RWOP_i32_and, RWOP_i32_load8_u, RWOP_i32_and_m8u, 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].bin == binop && t[i].load == load) {
            *commutative = t[i].comm;
            return t[i].fused;
        }
    return -1;
}

/* i64 ops with an immediate form (the constant sign-extended from 32 bits), or -1. */
static int i64_imm_op(int binop)
{
    switch (binop) {
    case RWOP_i64_add: return RWOP_i64_add_i;
    case RWOP_i64_sub: return RWOP_i64_sub_i;
    case RWOP_i64_mul: return RWOP_i64_mul_i;
    case RWOP_i64_and: return RWOP_i64_and_i;
    case RWOP_i64_or: return RWOP_i64_or_i;
    case RWOP_i64_xor: return RWOP_i64_xor_i;
    case RWOP_i64_shl: return RWOP_i64_shl_i;
    case RWOP_i64_shr_s: return RWOP_i64_shr_s_i;
    case RWOP_i64_shr_u: return RWOP_i64_shr_u_i;
    default: return -1;
    }
}

/* Try to fuse the load just emitted into binary op n: returns 1 when done. */
static int try_fuse_load(comp *c, const numop *n, centry *a, centry *b, uint32_t hh)
{
    if (c->last_start == NONE || c->last_end != c->ncells) return 0;
    int comm = 0;
    int fused = fuse_mem(n->op, c->last_op, &comm);
    if (fused < 0) return 0;
    uint32_t ld_dst = c->cells[c->last_start + 1].u;
    centry *other;
    if (b->kind == K_TEMP && ld_dst == SLOT(c, hh + 1))
        other = a;
    else if (comm && a->kind == K_TEMP && ld_dst == SLOT(c, hh) && b->kind != K_CONST)
        other = b;
    else
        return 0;
    rw_cell addr = c->cells[c->last_start + 2], off = c->cells[c->last_start + 3],
            imm = c->cells[c->last_start + 4];
    uint32_t ld_pos = c->pos_off[c->npos - 1];
    int pair = fused == RWOP_i32_mul_m8s   ? RWOP_i32_load8_s
               : fused == RWOP_i32_mul_m8u ? RWOP_i32_load8_u
                                           : -1;
    if (pair >= 0 && other == a && a->kind == K_TEMP && c->npos >= 2) {
        /* x[i] * w[i] on bytes, both just loaded (int8 dot products): one instruction */
        size_t ps = c->pos_cell[c->npos - 2];
        if (ps >= c->last_label && ps + 5 == c->last_start && c->cells[ps].h == c->H[pair] &&
            c->cells[ps + 1].u == SLOT(c, hh)) {
            rw_cell addr0 = c->cells[ps + 2], off0 = c->cells[ps + 3], imm0 = c->cells[ps + 4];
            ld_pos = c->pos_off[c->npos - 2];
            c->ncells = ps;
            c->npos -= 2;
            c->last_start = NONE;
            int mop = pair == RWOP_i32_load8_s ? RWOP_i32_mul_2m8s : RWOP_i32_mul_2m8u;
            if (addr0.u < c->nl && addr.u < c->nl && n->op == RWOP_i32_mul) {
                /* both addresses in locals: defer (K_MUL2), an add may take it in */
                centry e = {RUNE_WASM_I32, K_MUL2, 0, {0}, {0}, 0};
                uint32_t cells[7] = {(uint32_t)mop, addr0.u, off0.u, imm0.u, addr.u, off.u, imm.u};
                memcpy(e.m2, cells, sizeof cells);
                e.m2_pos = ld_pos;
                c->mul2_new = e;
                return 2;
            }
            size_t at = op(c, mop, 7);
            if (at == NONE) return 1;
            c->pos_off[c->npos - 1] = ld_pos; /* the first load's offset names a trap */
            SET(at, 0, SLOT(c, hh));
            c->cells[at + 1] = addr0;
            c->cells[at + 2] = off0;
            c->cells[at + 3] = imm0;
            c->cells[at + 4] = addr;
            c->cells[at + 5] = off;
            c->cells[at + 6] = imm;
            c->last_dst = at;
            return 1;
        }
    }
    c->ncells = c->last_start;
    c->npos--;
    c->last_start = NONE;
    uint32_t so = other == a ? src(c, a, hh) : src(c, b, hh + 1);
    size_t at = op(c, fused, 5);
    if (at == NONE) return 1;
    c->pos_off[c->npos - 1] = ld_pos; /* only the load part can trap */
    SET(at, 0, SLOT(c, hh));
    SET(at, 1, so);
    c->cells[at + 2] = addr;
    c->cells[at + 3] = off;
    c->cells[at + 4] = imm;
    c->last_dst = at;
    return 1;
}

/* f32.add/sub whose second operand the last instruction computed as a product: a + c*e, or, when
 * the first operand is the product just before it, a*b +- c*e (complex multiplies, butterflies).
 * Each product is rounded to f32 before the sum, as in the separate instructions. Returns 1 when
 * done (last_dst: the new instruction's destination cell). */
static int fuse_f32_products(comp *c, int add, centry *a, uint32_t hh)
{
    if (!last_is(c, RWOP_f32_mul, SLOT(c, hh + 1))) return 0;
    size_t ls = c->last_start;
    rw_cell pc = c->cells[ls + 2], pe = c->cells[ls + 3];
    size_t ps = c->npos >= 2 ? c->pos_cell[c->npos - 2] : NONE;
    size_t at;
    if (a->kind == K_TEMP && ps != NONE && ps >= c->last_label && ps + 4 == ls &&
        c->cells[ps].h == c->H[RWOP_f32_mul] && c->cells[ps + 1].u == SLOT(c, hh)) {
        rw_cell pa = c->cells[ps + 2], pb = c->cells[ps + 3];
        c->ncells = ps;
        c->npos -= 2;
        c->last_start = NONE;
        at = op(c, add ? RWOP_f32_mul2_add : RWOP_f32_mul2_sub, 5);
        if (at != NONE) {
            c->cells[at + 1] = pa;
            c->cells[at + 2] = pb;
            c->cells[at + 3] = pc;
            c->cells[at + 4] = pe;
        }
    } else {
        c->ncells = ls;
        c->npos--;
        c->last_start = NONE;
        uint32_t sa = src(c, a, hh);
        at = op(c, add ? RWOP_f32_add_mul : RWOP_f32_sub_mul, 4);
        if (at != NONE) {
            SET(at, 1, sa);
            c->cells[at + 2] = pc;
            c->cells[at + 3] = pe;
        }
    }
    if (at != NONE) SET(at, 0, SLOT(c, hh));
    c->last_dst = at;
    return 1;
}

static rune_status do_numop(comp *c, const numop *n)
{
    centry a, b;
    if (n->b) {
        CHK(pop(c, n->b, &b));
        CHK(pop(c, n->a, &a));
        uint32_t hh = c->h;
        if (!c->dead && n->op == RWOP_i32_add && (a.kind == K_MUL2 || b.kind == K_MUL2)) {
            /* acc + x[i] * w[i] */
            centry *pr = b.kind == K_MUL2 ? &b : &a;
            uint32_t so = pr == &b ? src(c, &a, hh) : src(c, &b, hh + 1);
            int mac = pr->m2[0] == RWOP_i32_mul_2m8s ? RWOP_i32_mac_2m8s : RWOP_i32_mac_2m8u;
            size_t at = op(c, mac, 8);
            if (at != NONE) {
                c->pos_off[c->npos - 1] = pr->m2_pos;
                SET(at, 0, SLOT(c, hh));
                SET(at, 1, so);
                for (int k = 1; k < 7; k++)
                    SET(at, k + 1, pr->m2[k]);
            }
            CHK(push(c, n->r));
            c->last_dst = at;
            return RUNE_OK;
        }
        if (!c->dead && (n->op == RWOP_f32_add || n->op == RWOP_f32_sub) && b.kind == K_TEMP &&
            fuse_f32_products(c, n->op == RWOP_f32_add, &a, hh)) {
            size_t at = c->last_dst;
            CHK(push(c, n->r));
            c->last_dst = at;
            return RUNE_OK;
        }
        if (!c->dead && n->op == RWOP_f32_mul && b.kind == K_TEMP &&
            last_is(c, RWOP_i32_load_tadd, SLOT(c, hh + 1))) {
            /* a * y[i] with the address y + i just kept in a local (tee) and loaded from */
            size_t ls = c->last_start;
            rw_cell t = c->cells[ls + 2], x = c->cells[ls + 3], y = c->cells[ls + 4],
                    off = c->cells[ls + 5];
            uint32_t ld_pos = c->pos_off[c->npos - 1];
            c->ncells = ls;
            c->npos--;
            c->last_start = NONE;
            uint32_t sa = src(c, &a, hh);
            size_t at = op(c, RWOP_f32_mul_mt, 6);
            if (at != NONE) {
                c->pos_off[c->npos - 1] = ld_pos;
                SET(at, 0, SLOT(c, hh));
                SET(at, 1, sa);
                c->cells[at + 2] = t;
                c->cells[at + 3] = x;
                c->cells[at + 4] = y;
                c->cells[at + 5] = off;
            }
            CHK(push(c, n->r));
            c->last_dst = at;
            return RUNE_OK;
        }
        int fz = c->dead ? 0 : try_fuse_load(c, n, &a, &b, hh);
        if (fz == 2) {
            CHK(push_e(c, c->mul2_new));
            c->nmul2++;
            c->last_dst = NONE;
            return RUNE_OK;
        }
        if (fz) {
            size_t at = c->last_dst;
            CHK(push(c, n->r));
            c->last_dst = at;
            return RUNE_OK;
        }
        if (!c->dead) {
            size_t at;
            if (n->op == RWOP_i32_add && b.kind == K_CONST && a.kind == K_TEMP &&
                last_is(c, RWOP_i32_shl_i, SLOT(c, hh))) {
                /* (i << k) + base: an array element's address in one instruction */
                uint32_t sh;
                uint32_t from = unemit_imm_op(c, &sh);
                at = op(c, RWOP_i32_shl_add_i, 4);
                if (at != NONE) {
                    SET(at, 0, SLOT(c, hh));
                    SET(at, 1, from);
                    SET(at, 2, sh & 31);
                    SET(at, 3, b.cval.i32);
                }
            } else if (n->opi >= 0 && b.kind == K_CONST) {
                uint32_t sa = src(c, &a, hh);
                at = op(c, n->opi, 3);
                if (at != NONE) {
                    SET(at, 0, SLOT(c, hh));
                    SET(at, 1, sa);
                    SET(at, 2, b.cval.i32);
                }
            } else if (i64_imm_op(n->op) >= 0 && b.kind == K_CONST &&
                       (int64_t)b.cval.i64 >= INT32_MIN && (int64_t)b.cval.i64 <= INT32_MAX) {
                uint32_t sa = src(c, &a, hh);
                at = op(c, i64_imm_op(n->op), 3);
                if (at != NONE) {
                    SET(at, 0, SLOT(c, hh));
                    SET(at, 1, sa);
                    SET(at, 2, (uint32_t)(int32_t)(int64_t)b.cval.i64);
                }
            } else {
                uint32_t sa = src(c, &a, hh);
                uint32_t sb = src(c, &b, hh + 1);
                at = op(c, n->op, 3);
                if (at != NONE) {
                    SET(at, 0, SLOT(c, hh));
                    SET(at, 1, sa);
                    SET(at, 2, sb);
                }
            }
            CHK(push(c, n->r));
            c->last_dst = at;
            return RUNE_OK;
        }
        return push(c, n->r);
    }
    CHK(pop(c, n->a, &a));
    uint32_t hh = c->h;
    if (!c->dead) {
        uint32_t sa = src(c, &a, hh);
        size_t at = op(c, n->op, 2);
        if (at != NONE) {
            SET(at, 0, SLOT(c, hh));
            SET(at, 1, sa);
        }
        CHK(push(c, n->r));
        c->last_dst = at;
        return RUNE_OK;
    }
    return push(c, n->r);
}

/* ---- memory -----------------------------------------------------------------------------------
 */

static rune_status memarg(comp *c, uint32_t natural_log2, uint32_t *offset)
{
    uint32_t align;
    CHK(rd_u32(c, &align));
    CHK(rd_u32(c, offset));
    if (c->m->nmems == 0) return fail(c, RUNE_E_INVALID, "unknown memory 0");
    if (align > natural_log2)
        return fail(c, RUNE_E_INVALID, "alignment must not be larger than natural");
    return RUNE_OK;
}

/* The address operand of a load or store. When it is the result of an i32.add_i just emitted (a
 * constant added to a base, as clang writes p[7]), the add is removed and its base and constant are
 * folded into the memory instruction, which then computes (u32)(base + imm) + offset: the same
 * wrap-around as the separate add. */
/* After removing the last instruction, make the one before it the "last" again when it may still
 * be fused with what follows (no label lies between it and here). */
static void restore_last(comp *c)
{
    c->last_start = NONE;
    if (c->npos == 0 || c->pos_cell[c->npos - 1] < c->last_label) return;
    const void *h = c->cells[c->pos_cell[c->npos - 1]].h;
    for (int i = 0; i < RWOP_COUNT; i++)
        if (c->H[i] == h) {
            c->last_start = c->pos_cell[c->npos - 1];
            c->last_end = c->ncells;
            c->last_op = i;
            return;
        }
}

static int last_is(comp *c, int opc, uint32_t dst)
{
    return c->last_start != NONE && c->last_end == c->ncells && c->last_op == opc &&
           c->cells[c->last_start + 1].u == dst;
}

/* Remove the last instruction (an add_i or shl_i whose result only feeds a memory access); return
 * its source slot and immediate. */
static uint32_t unemit_imm_op(comp *c, uint32_t *imm)
{
    uint32_t base = c->cells[c->last_start + 2].u;
    *imm = c->cells[c->last_start + 3].u;
    c->ncells = c->last_start;
    c->npos--;
    restore_last(c);
    return base;
}

/* The address operand of a load or store. clang writes p[7] as base + 7 and a[i] on 4-byte elements
 * as (i << 2) + &a: when the address was just computed by an i32.add_i (and before it an
 * i32.shl_i), those are removed and folded into the memory instruction, which computes (u32)((base
 * << sh) + imm) + offset: the same wrap-around as the separate instructions. */
static uint32_t addr_src(comp *c, centry *a, uint32_t hh, uint32_t *imm, uint32_t *sh, int *opc)
{
    *imm = 0;
    *sh = 0;
    if (a->kind == K_CONST) { /* absolute address */
        *imm = a->cval.i32;
        return c->zero_slot;
    }
    if (a->kind != K_TEMP) return src(c, a, hh);
    uint32_t slot = SLOT(c, hh), base = slot;
    int folded = 0;
    if (last_is(c, RWOP_i32_add_i, slot)) {
        base = unemit_imm_op(c, imm);
        folded = 1;
    }
    int shifted = *opc == RWOP_i32_load    ? RWOP_i32_load_sh
                  : *opc == RWOP_i32_store ? RWOP_i32_store_sh
                                           : -1;
    if (shifted >= 0 && base == slot && last_is(c, RWOP_i32_shl_i, slot)) {
        base = unemit_imm_op(c, sh);
        *sh &= 31;
        *opc = shifted;
        folded = 1;
    } else if (shifted >= 0 && !folded && last_is(c, RWOP_i32_shl_add_i, slot)) {
        size_t ls = c->last_start;
        base = c->cells[ls + 2].u;
        *sh = c->cells[ls + 3].u;
        *imm = c->cells[ls + 4].u;
        c->ncells = ls;
        c->npos--;
        restore_last(c);
        *opc = shifted;
        folded = 1;
    }
    c->last_start = NONE;
    return folded ? base : src(c, a, hh);
}

static rune_status do_load(comp *c, int opc, uint8_t type, uint32_t nat)
{
    uint32_t off;
    CHK(memarg(c, nat, &off));
    centry a;
    CHK(pop(c, RUNE_WASM_I32, &a));
    uint32_t hh = c->h;
    if (!c->dead && opc == RWOP_i32_load && a.kind == K_LOCAL &&
        last_is(c, RWOP_i32_shl_add_i, a.local)) {
        /* p = (i << k) + base kept in a local and loaded from at once */
        rw_cell x = c->cells[c->last_start + 2], sh = c->cells[c->last_start + 3],
                k = c->cells[c->last_start + 4];
        c->ncells = c->last_start;
        c->npos--;
        size_t at = op(c, RWOP_i32_load_tshaddi, 6);
        if (at != NONE) {
            SET(at, 0, SLOT(c, hh));
            SET(at, 1, a.local);
            c->cells[at + 2] = x;
            c->cells[at + 3] = sh;
            c->cells[at + 4] = k;
            SET(at, 5, off);
        }
        CHK(push(c, type));
        c->last_dst = at;
        return RUNE_OK;
    }
    if (!c->dead && opc == RWOP_i32_load && a.kind == K_LOCAL && c->last_start != NONE &&
        c->last_end == c->ncells && (c->last_op == RWOP_i32_add || c->last_op == RWOP_i32_add_i) &&
        c->cells[c->last_start + 1].u == a.local) {
        /* p = x + y kept in a local (local.tee) and loaded from at once: one instruction that
         * does both, as clang writes pointer walks that reuse the pointer. */
        int fused = c->last_op == RWOP_i32_add ? RWOP_i32_load_tadd : RWOP_i32_load_taddi;
        rw_cell x = c->cells[c->last_start + 2], y = c->cells[c->last_start + 3];
        c->ncells = c->last_start;
        c->npos--;
        size_t at = op(c, fused, 5);
        if (at != NONE) {
            SET(at, 0, SLOT(c, hh));
            SET(at, 1, a.local);
            c->cells[at + 2] = x;
            c->cells[at + 3] = y;
            SET(at, 4, off);
        }
        CHK(push(c, type));
        c->last_dst = at;
        return RUNE_OK;
    }
    if (!c->dead) {
        uint32_t imm, sh;
        uint32_t sa = addr_src(c, &a, hh, &imm, &sh, &opc);
        int sho = opc == RWOP_i32_load_sh;
        size_t at = op(c, opc, 4 + sho);
        if (at != NONE) {
            SET(at, 0, SLOT(c, hh));
            SET(at, 1, sa);
            SET(at, 2, off);
            SET(at, 3, imm);
            if (sho) SET(at, 4, sh);
        }
        CHK(push(c, type));
        c->last_dst = at;
        return RUNE_OK;
    }
    return push(c, type);
}

/* x[i] += v: a store of (v + load p) to the same address p, the load just fused into the add
 * (f32_add_m and friends), becomes one read-modify-write instruction. The address must be a local
 * or a constant, so both accesses see the same value. Returns 1 when done. */
static int store_rmw(comp *c, int store_op, const centry *v, const centry *a, uint32_t hh,
                     uint32_t off)
{
    static const int t[][3] = {
        {RWOP_f32_add_m, RWOP_i32_store, RWOP_f32_add_to_m},
        {RWOP_f64_add_m, RWOP_i64_store, RWOP_f64_add_to_m},
        {RWOP_i32_add_m, RWOP_i32_store, RWOP_i32_add_to_m},
    };
    if (v->kind != K_TEMP || (a->kind != K_LOCAL && a->kind != K_CONST)) return 0;
    if (c->last_start == NONE || c->last_end != c->ncells) return 0;
    size_t ls = c->last_start;
    uint32_t p = a->kind == K_LOCAL ? a->local : c->zero_slot;
    uint32_t imm = a->kind == K_LOCAL ? 0 : a->cval.i32;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i][0] != c->last_op || t[i][1] != store_op) continue;
        /* the last instruction is a load-and-add: its five operand cells exist */
        if (c->cells[ls + 1].u != SLOT(c, hh + 1) || c->cells[ls + 3].u != p ||
            c->cells[ls + 4].u != off || c->cells[ls + 5].u != imm)
            return 0;
        /* [h][d][a][p][off][imm] -> [h][a][p][off][imm]; the load's trap position stays (the
         * store hits the same bytes) */
        c->cells[ls].h = c->H[t[i][2]];
        for (size_t k = 1; k < 5; k++)
            c->cells[ls + k] = c->cells[ls + k + 1];
        c->ncells = ls + 5;
        c->last_start = NONE;
        c->last_dst = NONE;
        /* x[i] += a * y[i] with y[i] loaded into the multiply just before: one instruction */
        size_t ps = c->npos >= 2 ? c->pos_cell[c->npos - 2] : NONE;
        if (t[i][2] == RWOP_f32_add_to_m && ps != NONE && ps >= c->last_label && ps + 6 == ls &&
            c->cells[ps].h == c->H[RWOP_f32_mul_m] && c->cells[ps + 1].u == SLOT(c, hh + 1) &&
            c->cells[ls + 1].u == SLOT(c, hh + 1)) {
            /* [h][d][x][q][offq][immq] [h][d][p][off][imm] -> [h][x][q][offq][immq][p][off][imm] */
            rw_cell p4[4] = {c->cells[ls + 2], c->cells[ls + 3], c->cells[ls + 4]};
            c->cells[ps].h = c->H[RWOP_f32_mla_to_m];
            for (size_t k = 1; k < 5; k++)
                c->cells[ps + k] = c->cells[ps + k + 1];
            for (size_t k = 0; k < 3; k++)
                c->cells[ps + 5 + k] = p4[k];
            c->ncells = ps + 8;
            c->npos--; /* the multiply's load is checked first: its offset names a trap */
        } else if (t[i][2] == RWOP_f32_add_to_m && ps != NONE && ps >= c->last_label &&
                   ps + 7 == ls && c->cells[ps].h == c->H[RWOP_f32_mul_mt] &&
                   c->cells[ps + 1].u == SLOT(c, hh + 1) && c->cells[ls + 1].u == SLOT(c, hh + 1)) {
            /* the same with y + i kept in a local: [h][d][x][t][qx][qy][offq] [h][a][p][off][imm]
             * -> [h][x][t][qx][qy][offq][p][off][imm] */
            rw_cell p3[3] = {c->cells[ls + 2], c->cells[ls + 3], c->cells[ls + 4]};
            c->cells[ps].h = c->H[RWOP_f32_mla_to_mt];
            for (size_t k = 1; k < 6; k++)
                c->cells[ps + k] = c->cells[ps + k + 1];
            for (size_t k = 0; k < 3; k++)
                c->cells[ps + 6 + k] = p3[k];
            c->ncells = ps + 9;
            c->npos--;
        }
        return 1;
    }
    return 0;
}

static rune_status do_store(comp *c, int opc, uint8_t type, uint32_t nat)
{
    uint32_t off;
    CHK(memarg(c, nat, &off));
    centry v, a;
    CHK(pop(c, type, &v));
    CHK(pop(c, RUNE_WASM_I32, &a));
    uint32_t hh = c->h;
    if (!c->dead && store_rmw(c, opc, &v, &a, hh, off)) return RUNE_OK;
    if (!c->dead) {
        uint32_t imm = 0, sh = 0;
        uint32_t sa = v.kind == K_TEMP && a.kind != K_CONST ? src(c, &a, hh)
                                                            : addr_src(c, &a, hh, &imm, &sh, &opc);
        uint32_t sv = src(c, &v, hh + 1);
        int sho = opc == RWOP_i32_store_sh;
        size_t at = op(c, opc, 4 + sho);
        if (at != NONE) {
            SET(at, 0, sa);
            SET(at, 1, sv);
            SET(at, 2, off);
            SET(at, 3, imm);
            if (sho) SET(at, 4, sh);
        }
    }
    return RUNE_OK;
}

/* Pop k operands of the given types (listed bottom first) and return their slots. */
static rune_status pop_n(comp *c, uint32_t k, const uint8_t *types, uint32_t *slots)
{
    centry e[4];
    for (uint32_t i = 0; i < k; i++)
        CHK(pop(c, types[k - 1 - i], &e[k - 1 - i]));
    for (uint32_t i = 0; i < k; i++)
        slots[i] = c->dead ? 0 : src(c, &e[i], c->h + i);
    return RUNE_OK;
}

static rune_status check_table_idx(comp *c, uint32_t t)
{
    if (t >= c->m->ntables) return fail(c, RUNE_E_INVALID, "unknown table %u", t);
    return RUNE_OK;
}

static rune_status check_elem_idx(comp *c, uint32_t e)
{
    if (e >= c->m->nelems) return fail(c, RUNE_E_INVALID, "unknown elem segment %u", e);
    return RUNE_OK;
}

static rune_status check_data_idx(comp *c, uint32_t d)
{
    if (!c->m->has_datacount) return fail(c, RUNE_E_MALFORMED, "data count section required");
    if (d >= c->m->datacount) return fail(c, RUNE_E_INVALID, "unknown data segment %u", d);
    return RUNE_OK;
}

/* Emit op with operand cells: n slots then extra immediates. */
static void emit_ops(comp *c, int opc, const uint32_t *cells, size_t n)
{
    size_t at = op(c, opc, n);
    if (at == NONE) return;
    for (size_t i = 0; i < n; i++)
        SET(at, i, cells[i]);
}

static rune_status do_prefix_fc(comp *c)
{
    uint32_t sub;
    CHK(rd_u32(c, &sub));
    static const uint8_t iii[3] = {I32_, I32_, I32_};
    uint32_t s[4];
    if (sub < 8) return do_numop(c, &satops[sub]);
    switch (sub) {
    case 8: { /* memory.init */
        uint32_t d;
        CHK(rd_u32(c, &d));
        CHK(check_data_idx(c, d));
        CHK(rd_zero(c));
        if (c->m->nmems == 0) return fail(c, RUNE_E_INVALID, "unknown memory 0");
        CHK(pop_n(c, 3, iii, s));
        uint32_t cells[4] = {d, s[0], s[1], s[2]};
        emit_ops(c, RWOP_memory_init, cells, 4);
        return RUNE_OK;
    }
    case 9: {
        uint32_t d;
        CHK(rd_u32(c, &d));
        CHK(check_data_idx(c, d));
        emit_ops(c, RWOP_data_drop, &d, 1);
        return RUNE_OK;
    }
    case 10:
        CHK(rd_zero(c));
        CHK(rd_zero(c));
        if (c->m->nmems == 0) return fail(c, RUNE_E_INVALID, "unknown memory 0");
        CHK(pop_n(c, 3, iii, s));
        emit_ops(c, RWOP_memory_copy, s, 3);
        return RUNE_OK;
    case 11:
        CHK(rd_zero(c));
        if (c->m->nmems == 0) return fail(c, RUNE_E_INVALID, "unknown memory 0");
        CHK(pop_n(c, 3, iii, s));
        emit_ops(c, RWOP_memory_fill, s, 3);
        return RUNE_OK;
    case 12: { /* table.init elem table */
        uint32_t e, t;
        CHK(rd_u32(c, &e));
        CHK(rd_u32(c, &t));
        CHK(check_elem_idx(c, e));
        CHK(check_table_idx(c, t));
        if (c->m->elems[e].type != c->m->tables[t].type.elem)
            return fail(c, RUNE_E_INVALID, "type mismatch: table.init element type");
        CHK(pop_n(c, 3, iii, s));
        uint32_t cells[5] = {t, e, s[0], s[1], s[2]};
        emit_ops(c, RWOP_table_init, cells, 5);
        return RUNE_OK;
    }
    case 13: {
        uint32_t e;
        CHK(rd_u32(c, &e));
        CHK(check_elem_idx(c, e));
        emit_ops(c, RWOP_elem_drop, &e, 1);
        return RUNE_OK;
    }
    case 14: { /* table.copy dst src */
        uint32_t td, ts;
        CHK(rd_u32(c, &td));
        CHK(rd_u32(c, &ts));
        CHK(check_table_idx(c, td));
        CHK(check_table_idx(c, ts));
        if (c->m->tables[td].type.elem != c->m->tables[ts].type.elem)
            return fail(c, RUNE_E_INVALID, "type mismatch: table.copy element types");
        CHK(pop_n(c, 3, iii, s));
        uint32_t cells[5] = {td, ts, s[0], s[1], s[2]};
        emit_ops(c, RWOP_table_copy, cells, 5);
        return RUNE_OK;
    }
    case 15: { /* table.grow: init n -> old */
        uint32_t t;
        CHK(rd_u32(c, &t));
        CHK(check_table_idx(c, t));
        uint8_t ty[2] = {c->m->tables[t].type.elem, I32_};
        CHK(pop_n(c, 2, ty, s));
        uint32_t hh = c->h;
        uint32_t cells[4] = {t, SLOT(c, hh), s[0], s[1]};
        emit_ops(c, RWOP_table_grow, cells, 4);
        return push(c, I32_);
    }
    case 16: {
        uint32_t t;
        CHK(rd_u32(c, &t));
        CHK(check_table_idx(c, t));
        uint32_t cells[2] = {t, SLOT(c, c->h)};
        emit_ops(c, RWOP_table_size, cells, 2);
        return push(c, I32_);
    }
    case 17: { /* table.fill: i val n */
        uint32_t t;
        CHK(rd_u32(c, &t));
        CHK(check_table_idx(c, t));
        uint8_t ty[3] = {I32_, c->m->tables[t].type.elem, I32_};
        CHK(pop_n(c, 3, ty, s));
        uint32_t cells[4] = {t, s[0], s[1], s[2]};
        emit_ops(c, RWOP_table_fill, cells, 4);
        return RUNE_OK;
    }
    default: return fail(c, RUNE_E_MALFORMED, "illegal opcode 0xfc %u", sub);
    }
}

/* ---- the instruction loop ---------------------------------------------------------------------
 */

static uint8_t local_type(comp *c, uint32_t x)
{
    return c->ltypes[x];
}

/* local.set / local.tee x with value e (already popped from height hh). */
/* Whether deferred entry e reads local x. */
static int reads_local(const centry *e, uint32_t x)
{
    if (e->kind == K_LOCAL) return e->local == x;
    return e->kind == K_MUL2 && (e->m2[1] == x || e->m2[4] == x);
}

/* local.set x of the value the last instruction computed, while deferred reads of x lie below
 * (p = p + 4 with the old p still on the stack, as in clang's pointer walks): the old x is copied
 * to those reads' slots first, then the instruction is emitted again after the copies writing x
 * itself, where it would otherwise write a temporary and need a second copy. Returns 1 when done.
 */
static int move_after_copies(comp *c, uint32_t hh, uint32_t x)
{
    size_t ls = c->last_start, n = c->ncells - ls, rel = c->last_dst - ls;
    rw_cell saved[16];
    /* not when the instruction also writes a local (the tee of i32_load_tadd): the copies would
     * read that local before it is written */
    if (ls == NONE || c->last_op == RWOP_i32_load_tadd || c->last_op == RWOP_i32_load_taddi ||
        c->last_end != c->ncells || n > 16 || c->last_dst <= ls || c->last_dst >= c->ncells ||
        c->npos == 0 || c->pos_cell[c->npos - 1] != ls)
        return 0;
    memcpy(saved, &c->cells[ls], n * sizeof *saved);
    uint32_t off = c->pos_off[c->npos - 1];
    int lop = c->last_op;
    c->ncells = ls;
    c->npos--;
    c->last_start = NONE;
    for (uint32_t i = 0; i < hh; i++)
        if (reads_local(&c->stk[i], x)) materialize(c, i);
    size_t at = op(c, lop, n - 1);
    if (at != NONE) {
        memcpy(&c->cells[at - 1], saved, n * sizeof *saved);
        c->pos_off[c->npos - 1] = off;
        c->cells[at - 1 + rel].u = x;
    }
    c->last_dst = NONE;
    return 1;
}

static void store_local(comp *c, uint32_t x, centry *e, uint32_t hh)
{
    if (c->dead) return;
    /* Deferred reads of x below must see the old value. */
    int hazard = 0;
    for (uint32_t i = 0; i < hh; i++)
        if (reads_local(&c->stk[i], x)) hazard = 1;
    size_t redirect = c->last_dst;
    if (hazard && e->kind == K_TEMP && redirect != NONE && c->cells[redirect].u == SLOT(c, hh) &&
        move_after_copies(c, hh, x))
        return;
    if (hazard) {
        for (uint32_t i = 0; i < hh; i++)
            if (reads_local(&c->stk[i], x)) materialize(c, i);
        redirect = NONE;
    }
    if (e->kind == K_MUL2) {
        emit_mul2(c, e, x);
    } else if (e->kind == K_TEMP && redirect != NONE && c->cells[redirect].u == SLOT(c, hh)) {
        c->cells[redirect].u = x;
    } else if (e->kind == K_LOCAL) {
        emit_copy(c, x, e->local);
    } else if (e->kind == K_CONST) {
        emit_const(c, x, e->type, e->cval);
    } else {
        emit_copy(c, x, SLOT(c, hh));
    }
    c->last_dst = NONE;
}

/* global.set of an i32 just computed as x + k or x - k, or the C stack pointer's prologue
 * (g - k kept in a local and stored back: global.get g, i32.sub, local.tee x, global.set g) and
 * epilogue (x + k stored): one instruction. Returns 1 when done. */
static int global_set_fused(comp *c, uint32_t g, const centry *e)
{
    if (c->m->globals[g].type.type != RUNE_WASM_I32) return 0;
    if (c->last_start == NONE || c->last_end != c->ncells) return 0;
    int sub = c->last_op == RWOP_i32_sub_i;
    if (!sub && c->last_op != RWOP_i32_add_i) return 0;
    size_t ls = c->last_start;
    uint32_t d = c->cells[ls + 1].u, a = c->cells[ls + 2].u, k = c->cells[ls + 3].u;
    if (sub) k = 0u - k; /* x - k == x + (2^32 - k) */
    if (e->kind == K_TEMP && d == SLOT(c, c->h)) {
        /* [h][d][a][k] -> [h][g][a][k] */
        c->cells[ls].h = c->H[RWOP_global_set_add_i];
        SET(ls, 1, g);
        SET(ls, 3, k);
        c->last_start = NONE;
        c->last_dst = NONE;
        return 1;
    }
    size_t ps = c->npos >= 2 ? c->pos_cell[c->npos - 2] : NONE;
    if (e->kind == K_LOCAL && d == e->local && a >= c->nl && ps != NONE && ps >= c->last_label &&
        ps + 3 == ls && c->cells[ps].h == c->H[RWOP_global_get] && c->cells[ps + 1].u == a &&
        c->cells[ps + 2].u == g) {
        /* [h][tmp][g] [h][x][tmp][k] -> [h][g][x][k]: the temporary had no other reader */
        c->cells[ps].h = c->H[RWOP_global_add_i];
        SET(ps, 1, g);
        SET(ps, 2, d);
        SET(ps, 3, k);
        c->ncells = ps + 4;
        c->npos--;
        c->last_start = NONE;
        c->last_dst = NONE;
        return 1;
    }
    return 0;
}

static rune_status instr(comp *c)
{
    const rw_module *m = c->m;
    c->instr_off = (size_t)(c->p - c->base);
    uint8_t opc;
    CHK(rd_u8(c, &opc));
    c->fr[c->fuel_scope].fuel++;
    /* pending byte products survive only local.get/set/tee, i32.const, i32.add, i32.mul and the
     * loads of the next product (pure, or trapping as out of bounds as the products would) */
    if (c->nmul2 && opc != 0x20 && opc != 0x21 && opc != 0x22 && opc != 0x41 && opc != 0x6a &&
        opc != 0x6c && opc != 0x28 && opc != 0x2c && opc != 0x2d)
        mul2_flush(c);
    if (numops[opc].r) return do_numop(c, &numops[opc]);
    switch (opc) {
    case 0x00:
        op(c, RWOP_unreachable, 0);
        set_unreachable(c);
        return RUNE_OK;
    case 0x01: return RUNE_OK; /* nop */
    case 0x02: return enter_block(c, F_BLOCK);
    case 0x03: return enter_block(c, F_LOOP);
    case 0x04: return enter_block(c, F_IF);
    case 0x05: return do_else(c);
    case 0x0b: return do_end(c);
    case 0x0c: {
        cframe *f;
        CHK(label(c, &f));
        CHK(check_top(c, label_types(f), label_arity(f)));
        emit_branch(c, f);
        set_unreachable(c);
        return RUNE_OK;
    }
    case 0x0d: return do_br_if(c);
    case 0x0e: return do_br_table(c);
    case 0x0f: {
        cframe *f = &c->fr[0];
        CHK(check_top(c, frame_results(f), f->nresults));
        emit_branch(c, f);
        set_unreachable(c);
        return RUNE_OK;
    }
    case 0x10: {
        uint32_t fi, base;
        CHK(rd_u32(c, &fi));
        if (fi >= m->nfuncs) return fail(c, RUNE_E_INVALID, "unknown function %u", fi);
        const rw_functype *ft = rw_func_type(m, fi);
        CHK(do_call_args(c, ft, &base));
        if (m->funcs[fi].imported) {
            /* [f][base][rdst]: a single result is also written to rdst, so a local.set of it
             * retargets rdst instead of copying (host calls mostly return a status) */
            uint32_t cells[3] = {fi, base, base};
            emit_ops(c, RWOP_call_import, cells, 3);
            size_t at = c->dead ? NONE : c->ncells - 1;
            CHK(do_call_results(c, ft));
            if (ft->nresults == 1) c->last_dst = at;
            return RUNE_OK;
        }
        uint32_t cells[2] = {fi, base};
        emit_ops(c, RWOP_call, cells, 2);
        return do_call_results(c, ft);
    }
    case 0x11: {
        uint32_t ti, tab, base;
        CHK(rd_u32(c, &ti));
        CHK(rd_u32(c, &tab));
        if (ti >= m->ntypes) return fail(c, RUNE_E_INVALID, "unknown type %u", ti);
        CHK(check_table_idx(c, tab));
        if (m->tables[tab].type.elem != RUNE_WASM_FUNCREF)
            return fail(c, RUNE_E_INVALID, "type mismatch: call_indirect on a non-funcref table");
        centry idx;
        CHK(pop(c, I32_, &idx));
        uint32_t ih = c->h;
        const rw_functype *ft = &m->types[ti];
        CHK(do_call_args(c, ft, &base));
        uint32_t islot = 0;
        if (!c->dead) {
            /* idx sits above the args: read it before they are overwritten by the callee */
            islot = idx.kind == K_LOCAL ? idx.local : SLOT(c, ih);
            if (idx.kind == K_CONST) emit_const(c, islot, I32_, idx.cval);
        }
        uint32_t cells[4] = {ti, tab, islot, base};
        emit_ops(c, RWOP_call_indirect, cells, 4);
        return do_call_results(c, ft);
    }
    case 0x1a: return pop(c, 0, NULL);
    case 0x1b:
    case 0x1c: {
        uint8_t t = 0;
        if (opc == 0x1c) {
            uint32_t n;
            CHK(rd_u32(c, &n));
            if (n != 1) return fail(c, RUNE_E_INVALID, "invalid result arity for select");
            CHK(rd_u8(c, &t));
            if (!rw_letter_valtype(rw_valtype_letter(t))) {
                if (t == 0x7b) return fail(c, RUNE_E_UNSUPPORTED, "unsupported: SIMD type v128");
                return fail(c, RUNE_E_MALFORMED, "malformed value type 0x%02x", t);
            }
        }
        centry cond, b, a;
        CHK(pop(c, I32_, &cond));
        CHK(pop(c, t, &b));
        CHK(pop(c, t ? t : b.type, &a));
        uint8_t rt = t ? t : (a.type ? a.type : b.type);
        if (!t && (rt == RUNE_WASM_FUNCREF || rt == RUNE_WASM_EXTERNREF))
            return fail(c, RUNE_E_INVALID, "type mismatch: select without type on references");
        uint32_t hh = c->h;
        if (!c->dead && cond.kind == K_TEMP && c->last_start != NONE && c->last_end == c->ncells &&
            c->cells[c->last_start + 1].u == SLOT(c, hh + 2) &&
            ((c->last_op >= RWOP_i32_eq && c->last_op <= RWOP_i32_ge_u) ||
             (c->last_op >= RWOP_i32_eq_i && c->last_op <= RWOP_i32_ge_u_i))) {
            /* select on an i32 compare just computed: one instruction. The compare read heights
             * hh+2 and up (or locals), so constants written below by src() do not disturb it. */
            int sel = c->last_op <= RWOP_i32_ge_u ? RWOP_sel_eq + (c->last_op - RWOP_i32_eq)
                                                  : RWOP_sel_eq_i + (c->last_op - RWOP_i32_eq_i);
            rw_cell ca = c->cells[c->last_start + 2], cb = c->cells[c->last_start + 3];
            c->ncells = c->last_start;
            c->npos--;
            c->last_start = NONE;
            uint32_t sa = src(c, &a, hh), sb = src(c, &b, hh + 1);
            size_t at = op(c, sel, 5);
            if (at != NONE) {
                SET(at, 0, SLOT(c, hh));
                SET(at, 1, sa);
                SET(at, 2, sb);
                c->cells[at + 3] = ca;
                c->cells[at + 4] = cb;
            }
            CHK(push(c, rt));
            c->last_dst = at;
            return RUNE_OK;
        }
        if (!c->dead) {
            uint32_t sa = src(c, &a, hh), sb = src(c, &b, hh + 1), sc = src(c, &cond, hh + 2);
            size_t at = op(c, RWOP_select, 4);
            if (at != NONE) {
                SET(at, 0, SLOT(c, hh));
                SET(at, 1, sc);
                SET(at, 2, sa);
                SET(at, 3, sb);
            }
            CHK(push(c, rt));
            c->last_dst = at;
            return RUNE_OK;
        }
        return push(c, rt);
    }
    case 0x20:
    case 0x21:
    case 0x22: {
        uint32_t x;
        CHK(rd_u32(c, &x));
        if (x >= c->nl_wasm) return fail(c, RUNE_E_INVALID, "unknown local %u", x);
        uint8_t t = local_type(c, x);
        if (opc == 0x20) {
            centry e = {t, K_LOCAL, x, {0}, {0}, 0};
            return push_e(c, e);
        }
        centry e;
        CHK(pop(c, t, &e));
        store_local(c, x, &e, c->h);
        if (opc == 0x22) {
            centry r = {t, K_LOCAL, x, {0}, {0}, 0};
            return push_e(c, r);
        }
        return RUNE_OK;
    }
    case 0x23: {
        uint32_t g;
        CHK(rd_u32(c, &g));
        if (g >= m->nglobals) return fail(c, RUNE_E_INVALID, "unknown global %u", g);
        uint32_t cells[2] = {SLOT(c, c->h), g};
        emit_ops(c, RWOP_global_get, cells, 2);
        size_t at = c->dead ? NONE : c->ncells - 2;
        CHK(push(c, m->globals[g].type.type));
        c->last_dst = at;
        return RUNE_OK;
    }
    case 0x24: {
        uint32_t g;
        CHK(rd_u32(c, &g));
        if (g >= m->nglobals) return fail(c, RUNE_E_INVALID, "unknown global %u", g);
        if (!m->globals[g].type.mut) return fail(c, RUNE_E_INVALID, "global is immutable");
        centry e;
        CHK(pop(c, m->globals[g].type.type, &e));
        if (!c->dead && !global_set_fused(c, g, &e)) {
            uint32_t cells[2] = {g, src(c, &e, c->h)};
            emit_ops(c, RWOP_global_set, cells, 2);
        }
        return RUNE_OK;
    }
    case 0x25:
    case 0x26: {
        uint32_t t;
        CHK(rd_u32(c, &t));
        CHK(check_table_idx(c, t));
        uint8_t et = m->tables[t].type.elem;
        if (opc == 0x25) {
            uint32_t s;
            CHK(pop_n(c, 1, (const uint8_t[]){I32_}, &s));
            uint32_t cells[3] = {t, SLOT(c, c->h), s};
            emit_ops(c, RWOP_table_get, cells, 3);
            return push(c, et);
        }
        uint32_t s[2];
        uint8_t ty[2] = {I32_, et};
        CHK(pop_n(c, 2, ty, s));
        uint32_t cells[3] = {t, s[0], s[1]};
        emit_ops(c, RWOP_table_set, cells, 3);
        return RUNE_OK;
    }
    case 0x28: return do_load(c, RWOP_i32_load, I32_, 2);
    case 0x29: return do_load(c, RWOP_i64_load, I64_, 3);
    case 0x2a: return do_load(c, RWOP_i32_load, F32_, 2);
    case 0x2b: return do_load(c, RWOP_i64_load, F64_, 3);
    case 0x2c: return do_load(c, RWOP_i32_load8_s, I32_, 0);
    case 0x2d: return do_load(c, RWOP_i32_load8_u, I32_, 0);
    case 0x2e: return do_load(c, RWOP_i32_load16_s, I32_, 1);
    case 0x2f: return do_load(c, RWOP_i32_load16_u, I32_, 1);
    case 0x30: return do_load(c, RWOP_i64_load8_s, I64_, 0);
    case 0x31: return do_load(c, RWOP_i64_load8_u, I64_, 0);
    case 0x32: return do_load(c, RWOP_i64_load16_s, I64_, 1);
    case 0x33: return do_load(c, RWOP_i64_load16_u, I64_, 1);
    case 0x34: return do_load(c, RWOP_i64_load32_s, I64_, 2);
    case 0x35: return do_load(c, RWOP_i64_load32_u, I64_, 2);
    case 0x36: return do_store(c, RWOP_i32_store, I32_, 2);
    case 0x37: return do_store(c, RWOP_i64_store, I64_, 3);
    case 0x38: return do_store(c, RWOP_i32_store, F32_, 2);
    case 0x39: return do_store(c, RWOP_i64_store, F64_, 3);
    case 0x3a: return do_store(c, RWOP_i32_store8, I32_, 0);
    case 0x3b: return do_store(c, RWOP_i32_store16, I32_, 1);
    case 0x3c: return do_store(c, RWOP_i64_store8, I64_, 0);
    case 0x3d: return do_store(c, RWOP_i64_store16, I64_, 1);
    case 0x3e: return do_store(c, RWOP_i64_store32, I64_, 2);
    case 0x3f: {
        CHK(rd_zero(c));
        if (m->nmems == 0) return fail(c, RUNE_E_INVALID, "unknown memory 0");
        uint32_t d = SLOT(c, c->h);
        emit_ops(c, RWOP_memory_size, &d, 1);
        return push(c, I32_);
    }
    case 0x40: {
        CHK(rd_zero(c));
        if (m->nmems == 0) return fail(c, RUNE_E_INVALID, "unknown memory 0");
        uint32_t s;
        CHK(pop_n(c, 1, (const uint8_t[]){I32_}, &s));
        uint32_t cells[2] = {SLOT(c, c->h), s};
        emit_ops(c, RWOP_memory_grow, cells, 2);
        return push(c, I32_);
    }
    case 0x41: {
        int32_t v;
        if (rw_read_s32(&c->p, c->end, &v)) return fail(c, RUNE_E_MALFORMED, "bad i32.const");
        centry e = {I32_, K_CONST, 0, {0}, {0}, 0};
        e.cval.i32 = (uint32_t)v;
        return push_e(c, e);
    }
    case 0x42: {
        int64_t v;
        if (rw_read_s64(&c->p, c->end, &v)) return fail(c, RUNE_E_MALFORMED, "bad i64.const");
        centry e = {I64_, K_CONST, 0, {0}, {0}, 0};
        e.cval.i64 = (uint64_t)v;
        return push_e(c, e);
    }
    case 0x43: {
        if (c->end - c->p < 4) return fail(c, RUNE_E_MALFORMED, "unexpected end");
        centry e = {F32_, K_CONST, 0, {0}, {0}, 0};
        memcpy(&e.cval.f32, c->p, 4);
        c->p += 4;
        return push_e(c, e);
    }
    case 0x44: {
        if (c->end - c->p < 8) return fail(c, RUNE_E_MALFORMED, "unexpected end");
        centry e = {F64_, K_CONST, 0, {0}, {0}, 0};
        memcpy(&e.cval.f64, c->p, 8);
        c->p += 8;
        return push_e(c, e);
    }
    case 0xbc:
    case 0xbd:
    case 0xbe:
    case 0xbf: { /* reinterpret: same bits, new type */
        static const uint8_t from[4] = {F32_, F64_, I32_, I64_}, to[4] = {I32_, I64_, F32_, F64_};
        centry e;
        CHK(pop(c, from[opc - 0xbc], &e));
        e.type = to[opc - 0xbc];
        return push_e(c, e);
    }
    case 0xd0: {
        uint8_t t = 0;
        CHK(rd_u8(c, &t));
        if (t != RUNE_WASM_FUNCREF && t != RUNE_WASM_EXTERNREF)
            return fail(c, RUNE_E_MALFORMED, "malformed reference type 0x%02x", t);
        centry e = {t, K_CONST, 0, {0}, {0}, 0};
        e.cval.ref = 0;
        e.cval.i64 = 0;
        return push_e(c, e);
    }
    case 0xd1: {
        centry e;
        CHK(pop(c, 0, &e));
        if (e.type && e.type != RUNE_WASM_FUNCREF && e.type != RUNE_WASM_EXTERNREF)
            return fail(c, RUNE_E_INVALID, "type mismatch: ref.is_null needs a reference");
        if (!c->dead) {
            uint32_t cells[2] = {SLOT(c, c->h), src(c, &e, c->h)};
            emit_ops(c, RWOP_ref_is_null, cells, 2);
        }
        return push(c, I32_);
    }
    case 0xd2: {
        uint32_t fi;
        CHK(rd_u32(c, &fi));
        if (fi >= m->nfuncs) return fail(c, RUNE_E_INVALID, "unknown function %u", fi);
        if (!m->func_declared[fi]) return fail(c, RUNE_E_INVALID, "undeclared function reference");
        uint32_t cells[2] = {SLOT(c, c->h), fi};
        emit_ops(c, RWOP_ref_func, cells, 2);
        return push(c, RUNE_WASM_FUNCREF);
    }
    case 0xfc: return do_prefix_fc(c);
    case 0xfd: return fail(c, RUNE_E_UNSUPPORTED, "unsupported: SIMD instructions (0xfd prefix)");
    case 0xfe: return fail(c, RUNE_E_UNSUPPORTED, "unsupported: threads (0xfe prefix)");
    default: return fail(c, RUNE_E_MALFORMED, "illegal opcode 0x%02x", opc);
    }
}

static rune_status compile_func(comp *c, uint32_t fi, rw_cfunc *cf)
{
    const rw_module *m = c->m;
    const rw_func *f = &m->funcs[fi];
    const rw_functype *ft = rw_func_type(m, fi);
    c->fidx = fi;
    c->p = c->base + f->body_offset;
    c->end = c->base + f->body_end;
    c->instr_off = f->body_offset;
    uint32_t nl = ft->nparams + f->nlocals;
    if (nl > 60000) return fail(c, RUNE_E_UNSUPPORTED, "too many locals");
    rune_free(c->ltypes);
    c->ltypes = rune_malloc(nl + 1);
    if (!c->ltypes) return nomem(c);
    if (ft->nparams) memcpy(c->ltypes, RW_PARAMS(ft), ft->nparams);
    if (f->nlocals) memcpy(c->ltypes + ft->nparams, f->local_types, f->nlocals);
    c->nl_wasm = nl;
    c->zero_slot = nl;
    nl += 1;
    c->nl = nl;
    c->h = c->maxh = 0;
    c->nf = 0;
    c->npool = 0;
    c->dead = 0;
    c->last_dst = NONE;
    c->last_start = NONE; /* a label may follow: no fusion across it */
    c->last_label = c->ncells;
    c->fuel_scope = 0;
    cf->code = c->ncells;
    cf->nparams = ft->nparams;
    cf->nresults = ft->nresults;
    cf->narrow_results = 0;
    for (uint32_t i = 0; i < ft->nresults && i < 64; i++) {
        uint8_t t = RW_RESULTS(ft)[i];
        if (t == RUNE_WASM_I32 || t == RUNE_WASM_F32) cf->narrow_results |= (uint64_t)1 << i;
    }
    cf->nlocals = f->nlocals + 1; /* and the zero slot */
    cf->type_index = f->type_index;
    CHK(push_frame(c, F_FUNC, 0, NULL, ft->nresults, RW_RESULTS(ft), 0));
    while (c->nf > 0) {
        if (c->p >= c->end)
            return fail(c, RUNE_E_MALFORMED,
                        "unexpected end of function body (END opcode "
                        "expected)");
        CHK(instr(c));
    }
    if (c->p != c->end)
        return fail(c, RUNE_E_MALFORMED, "operators remaining after the end of the function");
    /* entry: the instructions outside loops, and the zeroing of the locals */
    cf->fuel = (c->fr[0].fuel ? c->fr[0].fuel : 1) + f->nlocals / 16;
    uint32_t need = c->maxh;
    if (need < ft->nresults) need = ft->nresults;
    cf->frame_slots = nl + need + 1;
    return RUNE_OK;
}

rune_status rw_compile(const rw_module *m, rw_code **out, rune_error *err)
{
    comp cc;
    memset(&cc, 0, sizeof cc);
    comp *c = &cc;
    c->m = m;
    c->err = err;
    c->base = m->bytes;
    c->H = rw_interp_handlers();
    rw_cfunc *funcs = rune_calloc(m->nfuncs + 1, sizeof *funcs);
    if (!funcs) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory compiling");
    rune_status st = RUNE_OK;
    for (uint32_t i = m->n_imported_funcs; i < m->nfuncs && st == RUNE_OK; i++) {
        st = compile_func(c, i, &funcs[i]);
        if (!out) c->ncells = c->npos = 0; /* validate only: keep the buffers small */
    }
    rune_free(c->ltypes);
    rune_free(c->stk);
    rune_free(c->fr);
    rune_free(c->pool);
    if (st != RUNE_OK || !out) {
        rune_free(c->cells);
        rune_free(c->pos_cell);
        rune_free(c->pos_off);
        rune_free(funcs);
        return st;
    }
    rw_code *code = rune_calloc(1, sizeof *code);
    if (!code) {
        rune_free(c->cells);
        rune_free(c->pos_cell);
        rune_free(c->pos_off);
        rune_free(funcs);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory compiling");
    }
    code->cells = c->cells;
    code->ncells = c->ncells;
    code->funcs = funcs;
    code->pos_cell = c->pos_cell;
    code->pos_off = c->pos_off;
    code->npos = c->npos;
    *out = code;
    return RUNE_OK;
}

void rw_code_free(rw_code *code)
{
    if (!code) return;
    rune_free(code->cells);
    rune_free(code->funcs);
    rune_free(code->pos_cell);
    rune_free(code->pos_off);
    rune_free(code);
}

rune_status rw_validate(const rw_module *m, rune_error *err)
{
    return rw_compile(m, NULL, err);
}
