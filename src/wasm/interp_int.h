/*
 * interp_int.h - internals of the interpreter: the threaded-code format the compiler (compile.c)
 * writes and the run loop (interp_run.c) executes, and the per-instance state (interp.c).
 *
 * Code format: an array of rw_cell. Each instruction is one handler cell (a label address under
 * computed goto, an opcode number under the switch fallback) followed by its operands. Operands are
 * frame slot indexes (u), immediates (u/s; 64-bit immediates take two cells, low then high) and
 * branch offsets (s: relative to the offset cell itself). A frame is [params | locals | operand
 * stack] of 8-byte rune_wasm_val slots; the compiler knows the stack height at every instruction,
 * so every operand is a fixed slot and local.get / constants are folded into the instructions that
 * use them.
 *
 *   i32.add d a b         cells: [h][d][a][b]          fp[d].i32 = fp[a].i32 + fp[b].i32
 *   i32.add_i d a imm     cells: [h][d][a][imm]
 *   br_if c off cost      cells: [h][c][off][cost]     if (fp[c].i32) ip = &off_cell + off
 *   bc_lt_s a b off cost  cells: [h][a][b][off][cost]  fused i32.lt_s + br_if
 *   f32_mul_m d a p off imm  fused f32.load + f32.mul: fp[d] = fp[a] * mem[(u32)(fp[p] + imm) +
 *                            off]
 *   f32_add_to_m a p off imm  x[i] += v: mem[ea] = mem[ea] + fp[a], ea as above
 *   f32_mla_to_m x q offq immq p off imm   mem[ea(p)] = fp[x] * mem[ea(q)] + mem[ea(p)]
 *   i32_mul_2m8s d p off imm q off2 imm2   fp[d] = (s8)mem[ea(p)] * (s8)mem[ea(q)]
 *   i32_mac_2m8s d a p off imm q off2 imm2 fp[d] = fp[a] + (s8)mem[ea(p)] * (s8)mem[ea(q)]
 *   f32_add_mul d a c e       fp[d] = fp[a] + fp[c] * fp[e] (product rounded first; _sub: -)
 *   f32_mul2_add d a b c e    fp[d] = fp[a] * fp[b] + fp[c] * fp[e] (each product rounded)
 *   i32_shl_add_i d a k imm   fp[d] = (fp[a] << k) + imm (an array element's address)
 *   i32_load_tshaddi d t x k imm off   fp[t] = (fp[x] << k) + imm; fp[d] = mem[fp[t] + off]
 *   f32_mul_mt d a t x y off  fp[t] = fp[x] + fp[y]; fp[d] = fp[a] * mem[fp[t] + off]
 *   f32_mla_to_mt x t qx qy offq p off imm   the same product added into mem[ea(p)]
 *   call f base               cells: [h][f][base]     callee fp = fp + base
 *   call_import f base rdst   the host's single result also lands in fp[rdst]
 *   ret1 a                    fp[0] = fp[a], then return (one result)
 *   global_add_i g d k        fp[d].i32 = g += k (the C stack pointer's prologue)
 *   global_set_add_i g a k    g = fp[a].i32 + k
 * Taken branches charge `cost` fuel: nonzero only on backward branches (loops).
 *
 * Workload: compute kernels compiled by clang -O2 (tight loops over locals and memory).
 */
#ifndef RUNE_WASM_INTERP_INT_H
#define RUNE_WASM_INTERP_INT_H

#include "wasm_int.h"

/* Computed goto under GCC/clang; define RW_COMPUTED_GOTO=0 for the portable switch. */
#ifndef RW_COMPUTED_GOTO
#if defined(__GNUC__)
#define RW_COMPUTED_GOTO 1
#else
#define RW_COMPUTED_GOTO 0
#endif
#endif

/* Table elements reserved per table without a declared maximum (no allocation after instantiation:
 * table.grow past this returns -1, which the spec allows). */
#ifndef RW_DEFAULT_TABLE_RESERVE
#define RW_DEFAULT_TABLE_RESERVE 4096u
#endif

typedef union rw_cell {
    const void *h;
    uint32_t u;
    int32_t s;
} rw_cell;

/* Every handler of the run loop. */
// clang-format off
#define RW_OPS(X) \
    X(unreachable) X(br) X(br_if) X(br_ifnot) X(br_table) X(ret) X(call) X(call_import) \
    X(call_indirect) X(loop_fuel) X(copy) X(const32) X(const64) X(select) X(global_get) \
    X(global_set) X(i32_load) X(i64_load) X(i32_load8_s) X(i32_load8_u) X(i32_load16_s) \
    X(i32_load16_u) X(i64_load8_s) X(i64_load8_u) X(i64_load16_s) X(i64_load16_u) \
    X(i64_load32_s) X(i64_load32_u) X(i32_store) X(i64_store) X(i32_store8) X(i32_store16) \
    X(i64_store8) X(i64_store16) X(i64_store32) X(memory_size) X(memory_grow) X(memory_init) \
    X(data_drop) X(memory_copy) X(memory_fill) X(i32_eqz) X(i32_eq) X(i32_ne) X(i32_lt_s) \
    X(i32_lt_u) X(i32_gt_s) X(i32_gt_u) X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u) \
    X(i64_eqz) X(i64_eq) X(i64_ne) X(i64_lt_s) X(i64_lt_u) X(i64_gt_s) X(i64_gt_u) X(i64_le_s) \
    X(i64_le_u) X(i64_ge_s) X(i64_ge_u) X(f32_eq) X(f32_ne) X(f32_lt) X(f32_gt) X(f32_le) \
    X(f32_ge) X(f64_eq) X(f64_ne) X(f64_lt) X(f64_gt) X(f64_le) X(f64_ge) X(i32_clz) X(i32_ctz) \
    X(i32_popcnt) X(i32_add) X(i32_sub) X(i32_mul) X(i32_div_s) X(i32_div_u) X(i32_rem_s) \
    X(i32_rem_u) X(i32_and) X(i32_or) X(i32_xor) X(i32_shl) X(i32_shr_s) X(i32_shr_u) \
    X(i32_rotl) X(i32_rotr) X(i64_clz) X(i64_ctz) X(i64_popcnt) X(i64_add) X(i64_sub) X(i64_mul) \
    X(i64_div_s) X(i64_div_u) X(i64_rem_s) X(i64_rem_u) X(i64_and) X(i64_or) X(i64_xor) \
    X(i64_shl) X(i64_shr_s) X(i64_shr_u) X(i64_rotl) X(i64_rotr) X(f32_abs) X(f32_neg) \
    X(f32_ceil) X(f32_floor) X(f32_trunc) X(f32_nearest) X(f32_sqrt) X(f32_add) X(f32_sub) \
    X(f32_mul) X(f32_div) X(f32_min) X(f32_max) X(f32_copysign) X(f64_abs) X(f64_neg) \
    X(f64_ceil) X(f64_floor) X(f64_trunc) X(f64_nearest) X(f64_sqrt) X(f64_add) X(f64_sub) \
    X(f64_mul) X(f64_div) X(f64_min) X(f64_max) X(f64_copysign) X(i32_wrap_i64) \
    X(i32_trunc_f32_s) X(i32_trunc_f32_u) X(i32_trunc_f64_s) X(i32_trunc_f64_u) \
    X(i64_extend_i32_s) X(i64_extend_i32_u) X(i64_trunc_f32_s) X(i64_trunc_f32_u) \
    X(i64_trunc_f64_s) X(i64_trunc_f64_u) X(f32_convert_i32_s) X(f32_convert_i32_u) \
    X(f32_convert_i64_s) X(f32_convert_i64_u) X(f32_demote_f64) X(f64_convert_i32_s) \
    X(f64_convert_i32_u) X(f64_convert_i64_s) X(f64_convert_i64_u) X(f64_promote_f32) \
    X(i32_extend8_s) X(i32_extend16_s) X(i64_extend8_s) X(i64_extend16_s) X(i64_extend32_s) \
    X(i32_trunc_sat_f32_s) X(i32_trunc_sat_f32_u) X(i32_trunc_sat_f64_s) X(i32_trunc_sat_f64_u) \
    X(i64_trunc_sat_f32_s) X(i64_trunc_sat_f32_u) X(i64_trunc_sat_f64_s) X(i64_trunc_sat_f64_u) \
    X(ref_is_null) X(ref_func) X(table_get) X(table_set) X(table_size) X(table_grow) \
    X(table_fill) X(table_copy) X(table_init) X(elem_drop) X(i32_eq_i) X(i32_ne_i) X(i32_lt_s_i) \
    X(i32_lt_u_i) X(i32_gt_s_i) X(i32_gt_u_i) X(i32_le_s_i) X(i32_le_u_i) X(i32_ge_s_i) \
    X(i32_ge_u_i) X(i32_add_i) X(i32_sub_i) X(i32_mul_i) X(i32_and_i) X(i32_or_i) X(i32_xor_i) \
    X(i32_shl_i) X(i32_shr_s_i) X(i32_shr_u_i) X(br_if_eqz) X(i64_add_i) X(bc_eq) X(bc_ne) \
    X(bc_lt_s) X(bc_lt_u) X(bc_gt_s) X(bc_gt_u) X(bc_le_s) X(bc_le_u) X(bc_ge_s) X(bc_ge_u) \
    X(bc_eq_i) X(bc_ne_i) X(bc_lt_s_i) X(bc_lt_u_i) X(bc_gt_s_i) X(bc_gt_u_i) X(bc_le_s_i) \
    X(bc_le_u_i) X(bc_ge_s_i) X(bc_ge_u_i) \
    X(f32_add_m) X(f32_sub_m) X(f32_mul_m) X(f64_add_m) X(f64_sub_m) X(f64_mul_m) X(i32_add_m) \
    X(i32_sub_m) X(i32_mul_m) X(i32_and_m) X(i32_or_m) X(i32_xor_m) X(i32_add_m8u) X(i32_add_m8s) \
    X(i32_mul_m8u) X(i32_mul_m8s) X(i32_xor_m8u) X(i32_and_m8u) \
    X(f32_add_i) X(f32_sub_i) X(f32_mul_i) X(f32_div_i) X(f32_lt_i) X(f32_gt_i) X(f32_le_i) X(f32_ge_i) \
    X(i32_load_sh) X(i32_store_sh) \
    X(bca_eq) X(bca_ne) X(bca_lt_s) X(bca_lt_u) X(bca_gt_s) X(bca_gt_u) X(bca_le_s) X(bca_le_u) \
    X(bca_ge_s) X(bca_ge_u) X(i64_sub_i) X(i64_mul_i) X(i64_and_i) X(i64_or_i) \
    X(i64_xor_i) X(i64_shl_i) X(i64_shr_s_i) X(i64_shr_u_i) \
    X(sel_eq) X(sel_ne) X(sel_lt_s) X(sel_lt_u) X(sel_gt_s) X(sel_gt_u) X(sel_le_s) X(sel_le_u) \
    X(sel_ge_s) X(sel_ge_u) X(sel_eq_i) X(sel_ne_i) X(sel_lt_s_i) X(sel_lt_u_i) X(sel_gt_s_i) \
    X(sel_gt_u_i) X(sel_le_s_i) X(sel_le_u_i) X(sel_ge_s_i) X(sel_ge_u_i) X(i32_load_tadd) X(i32_load_taddi) \
    X(i32_mul_2m8s) X(i32_mul_2m8u) X(f32_add_to_m) X(f64_add_to_m) X(i32_add_to_m) \
    X(f32_mla_to_m) X(ret1) X(global_add_i) X(global_set_add_i) X(i32_mac_2m8s) X(i32_mac_2m8u) \
    X(f32_add_mul) X(f32_sub_mul) X(f32_mul2_add) X(f32_mul2_sub) \
    X(i32_shl_add_i) X(i32_load_tshaddi) \
    X(f32_mul_mt) X(f32_mla_to_mt)
// clang-format on

enum rw_op {
#define RW_ENUM_(n) RWOP_##n,
    RW_OPS(RW_ENUM_)
#undef RW_ENUM_
        RWOP_COUNT
};

/* A compiled function. */
typedef struct rw_cfunc {
    size_t code; /* index of its first cell in rw_code.cells */
    uint32_t nparams, nresults;
    uint32_t nlocals;     /* declared locals, zeroed on entry */
    uint32_t frame_slots; /* params + locals + maximum operand stack height */
    uint32_t fuel;        /* charged on entry */
    uint32_t type_index;
    uint64_t narrow_results; /* bit i: result i is i32/f32 (its slot's upper half is not defined) */
} rw_cfunc;

/* The compiled module (rune_wasm_module.priv). */
typedef struct rw_code {
    rw_cell *cells;
    size_t ncells;
    rw_cfunc *funcs; /* nfuncs entries; imported ones unused */
    /* Instruction starts, sorted: cell index -> wasm byte offset (for trap messages). */
    uint32_t *pos_cell, *pos_off;
    size_t npos;
} rw_code;

/* Compile (validating) every function body of m. out NULL: validate only. */
rune_status rw_compile(const rw_module *m, rw_code **out, rune_error *err);
void rw_code_free(rw_code *c);
/* Handler cells for each op (label addresses, or op numbers under the switch). */
const void *const *rw_interp_handlers(void);

/* ---- instance state ---------------------------------------------------------------------------
 */

typedef struct rw_funcref {
    rune_wasm_instance *inst; /* the instance that defines (or imports, for host functions) it */
    uint32_t index;           /* function index in inst's module */
    const rw_functype *type;
} rw_funcref;

typedef struct rw_meminst {
    uint8_t *data;
    uint64_t size; /* bytes */
    uint32_t pages;
    uint32_t max_pages; /* what may be reached: min(declared max, limit, reserved) */
    uint32_t decl_max;  /* declared maximum (UINT32_MAX if none), for import checks */
} rw_meminst;

typedef struct rw_tableinst {
    uintptr_t
        *elems; /* funcref: (uintptr_t)(const rw_funcref *); externref: host value; 0 = null */
    uint32_t size;
    uint32_t max;      /* reserved capacity: growing stops here */
    uint32_t decl_max; /* declared maximum (UINT32_MAX if none) */
    uint8_t type;
} rw_tableinst;

/* An imported function as the call path needs it, resolved once at instantiation. */
typedef struct rw_hostcall {
    rune_wasm_host_fn fn; /* NULL: the import is a function of another instance */
    void *user;
    const struct rw_i32_host
        *i32;                  /* an i32 host function: called with its arguments in registers */
    rune_wasm_instance *other; /* when fn is NULL: that instance and its function index */
    uint32_t index;
    uint32_t nparams;
    uint64_t narrow; /* bit i: param i is i32/f32, passed with its upper half zeroed */
} rw_hostcall;

typedef struct rw_frame {
    const rw_cell *ip; /* where to continue in the caller; NULL = return to C */
    rune_wasm_val *fp;
    const rw_cfunc *fn;
} rw_frame;

typedef struct rw_istate {
    const rw_code *code;
    rw_meminst *mem; /* memory 0 (own or imported), NULL if none */
    rw_meminst own_mem;
    rw_tableinst **tables; /* ntables: own or imported */
    rw_tableinst *own_tables;
    rune_wasm_val **globals; /* nglobals: own cells or imported ones */
    rune_wasm_val *own_globals;
    rw_funcref *funcrefs;          /* nfuncs: identity of each function for ref.func / tables */
    const rw_funcref **funcref_of; /* nfuncs: the canonical funcref (imports: the exporter's) */
    uint8_t *elem_dropped, *data_dropped;
    uint32_t *import_of_func; /* nfuncs: import index of each imported function */
    rw_hostcall *hostcalls;   /* n_imported_funcs: the call path of each imported function */
    rune_wasm_val *stack, *stack_end;
    rune_wasm_val *sp_free; /* first slot not used by running frames (host re-entry starts here) */
    rw_frame *frames;
    uint32_t depth, max_depth;
    uint64_t fuel; /* left in the current call; UINT64_MAX when unlimited */
} rw_istate;

/* Run function index func of inst: args in args_results[0..nparams), results written to
 * args_results[0..nresults). The slots must lie at st->sp_free (the caller arranges). */
rune_status rw_interp_run(rune_wasm_instance *inst, uint32_t func, rune_error *err);
/* Call func (of any engine-compatible instance) with args/results arrays: used for cross-instance
 * calls and the public API. */
rune_status rw_interp_invoke(rune_wasm_instance *inst, uint32_t func, const rune_wasm_val *args,
                             rune_wasm_val *results, rune_error *err);

/* Call imported function func of inst with args in slots[0..nparams); results replace them. */
rune_status rw_interp_call_import(rune_wasm_instance *inst, uint32_t func, rune_wasm_val *slots,
                                  rune_error *err);

#endif
