/*
 * wasm_int.h - internals shared by the parts of src/wasm: the decoded module both engines start
 * from, the engine vtable the public API (engine.c) dispatches through, and the linker's entries
 * with the one import-resolution routine both engines use.
 *
 * Workload: modules from a few hundred bytes (spec tests) to a few MB (runes carrying models in
 * custom sections); decoded once, instantiated a few times. Internal names use the prefix rw_.
 *
 * Build: src/wasm/CMakeLists.txt makes the static library rune_wasm (interpreter + API); when
 * src/wasm/aot/CMakeLists.txt exists it is added and must append its sources to rune_wasm with
 * target_sources(rune_wasm PRIVATE ...) and define rune_wasm_aot_ops; engine.c then gets
 * RUNE_HAVE_AOT.
 *
 * Flow of rune_wasm_module_load (engine.c):
 *   rw_decode: every section decoded, every index outside bodies checked (decode.c).
 *   rw_validate: every body type-checked (compile.c: the interpreter's compiler, code discarded);
 *     the interpreter skips it because its module_prepare validates while it compiles.
 *   ops->module_prepare: engine work (threaded code; wasm2c for AOT).
 * Flow of rune_wasm_instantiate:
 *   rw_link_resolve: one rw_binding per import, types checked here for both engines (link.c).
 *   ops->instantiate: memories, tables, globals, segments, start.
 */
#ifndef RUNE_WASM_INT_H
#define RUNE_WASM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rune/config.h"
#include "rune/status.h"
#include "rune/wasm.h"

/* ---- decoded module ---------------------------------------------------------------------------
 */

/* Value type bytes are the binary encodings (RUNE_WASM_I32 ...). */
typedef struct rw_functype {
    uint32_t nparams, nresults;
    uint8_t *types; /* owned: nparams parameter types then nresults result types */
} rw_functype;
#define RW_PARAMS(ft) ((ft)->types)
#define RW_RESULTS(ft) ((ft)->types + (ft)->nparams)

typedef struct rw_limits {
    uint32_t min, max; /* max = UINT32_MAX when absent */
    int has_max;
} rw_limits;

typedef struct rw_tabletype {
    uint8_t elem; /* RUNE_WASM_FUNCREF or RUNE_WASM_EXTERNREF */
    rw_limits lim;
} rw_tabletype;

typedef struct rw_globaltype {
    uint8_t type; /* value type */
    uint8_t mut;  /* 0 const, 1 var */
} rw_globaltype;

/* A constant expression (global init, segment offsets, element items). Validated: one of these. */
typedef enum rw_const_op {
    RW_CONST_I32 = 0x41,
    RW_CONST_I64 = 0x42,
    RW_CONST_F32 = 0x43,
    RW_CONST_F64 = 0x44,
    RW_CONST_GLOBAL_GET = 0x23, /* index = an imported global (spec 1.0/2.0 rule) */
    RW_CONST_REF_NULL = 0xd0,   /* type in .reftype */
    RW_CONST_REF_FUNC = 0xd2,   /* index = function index */
} rw_const_op;

typedef struct rw_const {
    uint8_t op;      /* rw_const_op */
    uint8_t reftype; /* REF_NULL: RUNE_WASM_FUNCREF / RUNE_WASM_EXTERNREF */
    uint32_t index;  /* GLOBAL_GET, REF_FUNC */
    rune_wasm_val v; /* I32..F64: the value (float bits) */
} rw_const;

typedef struct rw_import {
    char *module, *name; /* owned, NUL-terminated (names containing NUL are refused as malformed) */
    rune_wasm_extern_kind kind;
    uint32_t type_index;  /* FUNC: index into types */
    rw_tabletype table;   /* TABLE */
    rw_limits mem;        /* MEMORY */
    rw_globaltype global; /* GLOBAL */
} rw_import;

typedef struct rw_func {
    uint32_t type_index;
    int imported; /* functions [0, n_imported_funcs) are imports */
    /* defined functions: */
    uint32_t nlocals;     /* declared locals, not counting parameters */
    uint8_t *local_types; /* owned, nlocals entries */
    size_t body_offset;   /* in rw_module.bytes: first byte of the instructions (after locals) */
    size_t body_end;      /* one past the final 0x0b */
    size_t code_offset;   /* offset of the body's size field (for messages) */
} rw_func;

typedef struct rw_global {
    rw_globaltype type;
    int imported;
    rw_const init; /* defined globals */
} rw_global;

typedef struct rw_table {
    rw_tabletype type;
    int imported;
} rw_table;

typedef struct rw_memory {
    rw_limits lim;
    int imported;
} rw_memory;

typedef struct rw_export {
    char *name; /* owned */
    rune_wasm_extern_kind kind;
    uint32_t index;
} rw_export;

typedef enum rw_seg_mode {
    RW_SEG_ACTIVE = 0,
    RW_SEG_PASSIVE = 1,
    RW_SEG_DECLARATIVE = 2
} rw_seg_mode;

typedef struct rw_elem {
    rw_seg_mode mode;
    uint8_t type;    /* RUNE_WASM_FUNCREF / RUNE_WASM_EXTERNREF */
    uint32_t table;  /* ACTIVE */
    rw_const offset; /* ACTIVE: i32 constant expression */
    uint32_t n;
    rw_const *items; /* owned, n entries: REF_FUNC, REF_NULL or GLOBAL_GET */
} rw_elem;

typedef struct rw_data {
    rw_seg_mode mode;            /* ACTIVE or PASSIVE */
    uint32_t memory;             /* ACTIVE */
    rw_const offset;             /* ACTIVE */
    size_t offset_in_bytes, len; /* the segment's bytes: rw_module.bytes + offset_in_bytes */
} rw_data;

typedef struct rw_custom {
    const uint8_t *name; /* into rw_module.bytes, not NUL-terminated */
    size_t name_len;
    size_t payload_offset, payload_len;
} rw_custom;

typedef struct rw_module {
    uint8_t *bytes; /* owned copy of the module's bytes; bodies, data and customs point into it */
    size_t len;

    uint32_t ntypes;
    rw_functype *types;
    uint32_t nimports;
    rw_import *imports;

    /* Index spaces, imports first. */
    uint32_t nfuncs, n_imported_funcs;
    rw_func *funcs;
    uint32_t ntables, n_imported_tables;
    rw_table *tables;
    uint32_t nmems, n_imported_mems;
    rw_memory *mems;
    uint32_t nglobals, n_imported_globals;
    rw_global *globals;

    uint32_t nexports;
    rw_export *exports;

    int has_start;
    uint32_t start;

    uint32_t nelems;
    rw_elem *elems;
    uint32_t ndatas;
    rw_data *datas;
    int has_datacount;
    uint32_t datacount;

    uint32_t ncustoms;
    rw_custom *customs;

    /* Functions referenced outside function bodies (exports, elements, globals): ref.func may only
     * name these (spec "C.refs"). Owned, nfuncs bytes, 1 = declared. */
    uint8_t *func_declared;
} rw_module;

/* Decode bytes (copied) into a new module: RUNE_E_MALFORMED / RUNE_E_INVALID / RUNE_E_UNSUPPORTED /
 * RUNE_E_NOMEM with a message naming the section and byte offset. Indices outside bodies are
 * checked. */
rune_status rw_decode(const uint8_t *bytes, size_t len, rw_module **out, rune_error *err);
void rw_module_free(rw_module *m);

/* Type-check every function body (RUNE_E_INVALID / RUNE_E_MALFORMED naming func N and offset). */
rune_status rw_validate(const rw_module *m, rune_error *err);

/* Signature string of a function type ("ii:i"); RUNE_E_UNSUPPORTED if it does not fit
 * RUNE_WASM_SIG_MAX. */
rune_status rw_functype_sig(const rw_functype *ft, char *out, size_t out_len, rune_error *err);
/* Letter of a value type ('i','I','f','F','r','e'), '?' if unknown; and back (0 if unknown). */
char rw_valtype_letter(uint8_t t);
uint8_t rw_letter_valtype(char c);
/* Structural equality of two function types. */
int rw_functype_eq(const rw_functype *a, const rw_functype *b);
/* The function type of function index i. */
static inline const rw_functype *rw_func_type(const rw_module *m, uint32_t i)
{
    return &m->types[m->funcs[i].type_index];
}

/* ---- linker -----------------------------------------------------------------------------------
 */

typedef enum rw_link_kind {
    RW_LINK_FUNC,     /* host function */
    RW_LINK_GLOBAL,   /* host global: cell owned by the linker */
    RW_LINK_MEMORY,   /* host memory: created fresh for each importing instance */
    RW_LINK_TABLE,    /* host funcref table: created fresh for each importing instance */
    RW_LINK_INSTANCE, /* every export of inst, under module */
} rw_link_kind;

/* An i32 host function (rune_wasm_linker_define_i32). Its entry's fn is rw_i32_call with this
 * record as user, so every generic caller works unchanged; the engines' import paths look for it
 * and call fn with the arguments in registers. Heap-allocated: entries move as the linker grows. */
typedef struct rw_i32_host {
    rune_wasm_host_i32_fn fn;
    void *user;
    uint32_t nparams;
    int has_result;
} rw_i32_host;

rune_status rw_i32_call(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                        rune_wasm_val *results, rune_error *err);

typedef struct rw_link_entry {
    rw_link_kind kind;
    char *module; /* owned */
    char *name;   /* owned; NULL for RW_LINK_INSTANCE */
    /* FUNC */
    char sig[RUNE_WASM_SIG_MAX];
    rune_wasm_host_fn fn;
    void *user;
    rw_i32_host *i32; /* owned; non-NULL for an i32 host function (fn is then rw_i32_call) */
    /* GLOBAL */
    char gtype; /* 'i','I','f','F' */
    int mutable_;
    rune_wasm_val *cell; /* owned by the linker: importers read and write through it */
    /* MEMORY, TABLE */
    uint32_t min, max;
    /* INSTANCE */
    rune_wasm_instance *inst;
} rw_link_entry;

struct rune_wasm_linker {
    rw_link_entry *entries;
    size_t n, cap;
};

/*
 * What one import resolved to. Exactly one of the groups is meaningful:
 *   host != NULL                     : a linker entry (FUNC / GLOBAL / MEMORY / TABLE)
 *   inst != NULL                     : export `index` (an index in inst's module of kind `kind`)
 */
typedef struct rw_binding {
    rune_wasm_extern_kind kind;
    const rw_link_entry *host;
    rune_wasm_instance *inst;
    uint32_t index;
} rw_binding;

/* Resolve every import of m against l into out[m->nimports]. RUNE_E_LINK naming "module.name" and
 * the reason (missing, wrong kind, signature "ii:i" vs "i:i", limits, global type/mutability).
 * Checks done here, for both engines: function signature, global type and mutability, memory/table
 * limits (against the exporter's current size and maximum, via ops->extern_limits). */
rune_status rw_link_resolve(const rw_module *m, const rune_wasm_linker *l, rw_binding *out,
                            rune_error *err);

/* ---- engines ----------------------------------------------------------------------------------
 */

struct rune_wasm_engine {
    rune_wasm_engine_kind kind;
    const struct rune_wasm_engine_ops *ops;
    char *aot_cache_dir, *aot_cc,
        *aot_cflags; /* owned copies of the config strings (may be NULL) */
    void *priv;      /* engine-specific */
};

struct rune_wasm_module {
    rune_wasm_engine *eng;
    rw_module *m; /* owned */
    void *priv;   /* engine-specific compiled form, released by ops->module_release */
};

struct rune_wasm_instance {
    rune_wasm_module *mod;
    /* mod->m and mod->eng->ops, kept here for the per-call paths (calls, memory access from host
     * functions): two dependent loads fewer on every crossing */
    const rw_module *m;
    const struct rune_wasm_engine_ops *ops;
    void *user;           /* rune_wasm_instance_set_user */
    uint64_t serial;      /* unique in the process, from 1: what rune_wasm_func.found_on names */
    rune_wasm_limits lim; /* with defaults filled in */
    uint64_t fuel;        /* budget per call (0 = unlimited) */
    uint64_t fuel_left;   /* after the last call */
    rw_binding *bindings; /* owned, mod->m->nimports entries */
    void *priv;           /* engine-specific state */
    /* Live view of memory 0 for host functions (rune_wasm_memory_ptr): pointers to the engine's own
     * base-address and page-count fields, so a memory.grow (also by another instance sharing the
     * memory, and a base that moves on grow) is seen without a vtable call. Set by the engine's
     * instantiate before any guest code runs; both NULL when there is no memory 0 (the accessors
     * then take the vtable path). */
    uint8_t *const *mem_base;
    const uint32_t *mem_pages;
};

/*
 * The engine vtable. engine.c owns the public structs above and calls these for engine work; every
 * pointer is required unless marked optional. Index arguments are already validated by the caller.
 */
typedef struct rune_wasm_engine_ops {
    const char *name;
    /* optional: set up eng->priv; and release it */
    rune_status (*engine_init)(rune_wasm_engine *eng, rune_error *err);
    void (*engine_fini)(rune_wasm_engine *eng);
    /* After decode + validate: build mod->priv. */
    rune_status (*module_prepare)(rune_wasm_module *mod, rune_error *err);
    void (*module_release)(rune_wasm_module *mod);
    /* inst->mod, lim, fuel and bindings are set: build inst->priv (memories, tables, globals,
     * segments) and run the start function. On failure release everything made so far. */
    rune_status (*instantiate)(rune_wasm_instance *inst, rune_error *err);
    void (*instance_release)(rune_wasm_instance *inst);
    /* Call function index func (defined or imported) with args/results laid out by its type.
     * Fuel: start from inst->fuel (0 = unlimited), leave the rest in inst->fuel_left. */
    rune_status (*call)(rune_wasm_instance *inst, uint32_t func, const rune_wasm_val *args,
                        rune_wasm_val *results, rune_error *err);
    /* Global index g: read / write (write only on mutable globals, checked by the caller). */
    rune_wasm_val (*global_get)(rune_wasm_instance *inst, uint32_t g);
    void (*global_set)(rune_wasm_instance *inst, uint32_t g, rune_wasm_val v);
    /* Memory index: base pointer and current size in bytes (NULL, 0 if none). */
    uint8_t *(*memory_data)(rune_wasm_instance *inst, uint32_t mem, uint64_t *size);
    /* Current size and maximum of memory (pages) or table (elements) index, for link checks. */
    void (*extern_limits)(rune_wasm_instance *inst, rune_wasm_extern_kind kind, uint32_t index,
                          uint32_t *cur, uint32_t *max);
    /* Optional, for functions called many times (rune_wasm_find_func keeps the handle in the
     * rune_wasm_func, rune_wasm_call_prepared and rune_wasm_call_func use it on that instance):
     * a handle on exported function func of the instantiated inst, or NULL (calls then go by
     * index through call); and a call through it, as call does. */
    const void *(*func_handle)(rune_wasm_instance *inst, uint32_t func);
    rune_status (*call_handle)(rune_wasm_instance *inst, const void *handle,
                               const rune_wasm_val *args, rune_wasm_val *results, rune_error *err);
} rune_wasm_engine_ops;

extern const rune_wasm_engine_ops rw_interp_ops;
/* Defined by src/wasm/aot when it is built (CMake defines RUNE_HAVE_AOT for engine.c then). */
extern const rune_wasm_engine_ops rune_wasm_aot_ops;

/* Spec-style trap error: RUNE_E_TRAP (RUNE_E_LIMIT for fuel) with code = trap and message
 * "trap: <text> (func N, offset 0xOFF)". */
rune_status rw_trap(rune_error *err, rune_wasm_trap trap, uint32_t func, size_t offset);
/* Host function im returned s with its own error herr: exits, traps and limits pass through (herr
 * copied to err), anything else becomes RUNE_E_TRAP, code RUNE_WASM_TRAP_HOST, "trap: host function
 * <module>.<name> failed: <status>: <herr's message>". The same on every engine. */
rune_status rw_host_failure(const rw_import *im, rune_status s, const rune_error *herr,
                            rune_error *err);

/* LEB128 readers over [*p, end): return 0 on success, advance *p; -1 malformed/truncated. */
int rw_read_u32(const uint8_t **p, const uint8_t *end, uint32_t *out);
int rw_read_s32(const uint8_t **p, const uint8_t *end, int32_t *out);
int rw_read_s64(const uint8_t **p, const uint8_t *end, int64_t *out);
/* Signed 33-bit (block types). */
int rw_read_s33(const uint8_t **p, const uint8_t *end, int64_t *out);

#endif
