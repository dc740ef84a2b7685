/*
 * wasm.h - WebAssembly engines of librune: one API over two engines.
 *
 *   RUNE_WASM_INTERP  the interpreter written here in portable C: no allocation after instantiation,
 *                     bounded memory, value stack, call depth and fuel; fits a 32-bit microcontroller.
 *   RUNE_WASM_AOT     ahead-of-time: the module is translated by wasm2c (wabt), compiled by the system
 *                     C compiler into a shared object cached by the module's SHA-256, and dlopen'ed.
 *
 * Both engines accept the same modules, give the same results and the same traps, and enforce the same
 * limits. Life cycle:
 *
 *   engine = rune_wasm_engine_new(kind, &config)
 *   module = rune_wasm_module_load(engine, bytes, len)      decode + validate (+ compile)
 *   linker = rune_wasm_linker_new(); define host functions, globals, memories, other instances
 *   inst   = rune_wasm_instantiate(module, linker, &limits) links (signatures checked), runs start
 *   rune_wasm_call(inst, "name", args, results)            any number of times
 *   free in reverse order (instance, linker, module, engine); every *_free accepts NULL.
 *
 * Ownership: rune_wasm_module_load copies what it needs; the caller's bytes may be freed after it
 * returns. A module may be instantiated many times. An instance keeps its module and engine alive only
 * by reference: free instances before their module, modules before their engine.
 *
 * Errors: every function returns a rune_status and fills a rune_error when given one. A trap is
 * RUNE_E_TRAP with err->code = a rune_wasm_trap and a message "trap: <spec text> (func N, offset 0xOFF)"
 * (0xOFF: the module byte offset of the instruction that trapped). The AOT engine gives the same
 * function and offset, except where its generated code cannot tell the instruction apart: fuel runs
 * out per loop back-edge there, and an out-of-bounds access gcc folded into another instruction
 * faults at no single site; those messages read "(func N)" (or "(func ?)" without libdw).
 * Running out of fuel is RUNE_E_LIMIT with code RUNE_WASM_TRAP_FUEL; the instance stays usable (set
 * more fuel and call again). After any trap the instance may be called again (globals and memory
 * keep what the trapped call wrote, as the spec says).
 *
 * Threads: an instance is used by one thread at a time. Different instances may run in different
 * threads at once, on either engine (the AOT engine keeps each instance's fuel and call depth in
 * the instance, not in wasm2c's globals; see src/wasm/aot/aot_rt.c).
 */
#ifndef RUNE_WASM_H
#define RUNE_WASM_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rune_wasm_engine_kind {
    RUNE_WASM_INTERP = 0,
    RUNE_WASM_AOT = 1,
} rune_wasm_engine_kind;

/* "interp" / "aot"; rune_wasm_engine_kind_parse returns -1 for an unknown name. */
const char *rune_wasm_engine_kind_name(rune_wasm_engine_kind kind);
int rune_wasm_engine_kind_parse(const char *name);

/* Value types, with their binary encodings. */
typedef enum rune_wasm_valtype {
    RUNE_WASM_I32 = 0x7f,
    RUNE_WASM_I64 = 0x7e,
    RUNE_WASM_F32 = 0x7d,
    RUNE_WASM_F64 = 0x7c,
    RUNE_WASM_FUNCREF = 0x70,
    RUNE_WASM_EXTERNREF = 0x6f,
} rune_wasm_valtype;

/*
 * A value. Floats travel as their bit patterns so NaN payloads survive exactly; use the helpers.
 * References: RUNE_WASM_NULL_REF is null; a funcref is an opaque engine handle; an externref is a
 * host value (spectest's ref.extern N is N + 1... any nonzero host value the host chose).
 */
typedef union rune_wasm_val {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32; /* bits */
    uint64_t f64; /* bits */
    uintptr_t ref;
} rune_wasm_val;
#define RUNE_WASM_NULL_REF ((uintptr_t)0)

float rune_wasm_f32(rune_wasm_val v);
double rune_wasm_f64(rune_wasm_val v);
rune_wasm_val rune_wasm_from_f32(float f);
rune_wasm_val rune_wasm_from_f64(double d);

/*
 * Function signatures as short strings: parameter letters, ':' then result letters.
 * i = i32, I = i64, f = f32, F = f64, r = funcref, e = externref.
 * "ii:i" takes two i32 and returns one; ":" takes nothing and returns nothing; "iI:fF" is multi-value.
 */
#define RUNE_WASM_SIG_MAX 64

typedef enum rune_wasm_trap {
    RUNE_WASM_TRAP_NONE = 0,
    RUNE_WASM_TRAP_UNREACHABLE,        /* "unreachable" */
    RUNE_WASM_TRAP_MEMORY_OOB,         /* "out of bounds memory access" */
    RUNE_WASM_TRAP_TABLE_OOB,          /* "out of bounds table access" */
    RUNE_WASM_TRAP_UNDEFINED_ELEMENT,  /* "undefined element" (call_indirect index past the table) */
    RUNE_WASM_TRAP_UNINIT_ELEMENT,     /* "uninitialized element" (call_indirect through null) */
    RUNE_WASM_TRAP_INDIRECT_MISMATCH,  /* "indirect call type mismatch" */
    RUNE_WASM_TRAP_DIV_ZERO,           /* "integer divide by zero" */
    RUNE_WASM_TRAP_INT_OVERFLOW,       /* "integer overflow" */
    RUNE_WASM_TRAP_INVALID_CONVERSION, /* "invalid conversion to integer" */
    RUNE_WASM_TRAP_STACK_EXHAUSTED,    /* "call stack exhausted" (value stack or call depth) */
    RUNE_WASM_TRAP_FUEL,               /* "fuel exhausted" (status RUNE_E_LIMIT, not RUNE_E_TRAP) */
    RUNE_WASM_TRAP_HOST,               /* a host function failed; its message follows */
    RUNE_WASM_TRAP_COUNT
} rune_wasm_trap;

/* The spec's wording of a trap kind ("integer divide by zero"). Never NULL. */
const char *rune_wasm_trap_text(rune_wasm_trap trap);

/* ---- engines ---------------------------------------------------------------------------------- */

typedef struct rune_wasm_engine_config {
    const char *aot_cache_dir; /* AOT: where compiled objects are cached; NULL = $RUNE_CACHE_DIR or
                                  $XDG_CACHE_HOME/rune/aot or ~/.cache/rune/aot */
    const char *aot_cc;        /* AOT: C compiler; NULL = $CC or "cc" */
    const char *aot_cflags;    /* AOT: flags; NULL = $RUNE_AOT_CFLAGS or "-O3" */
} rune_wasm_engine_config;

typedef struct rune_wasm_engine rune_wasm_engine;
typedef struct rune_wasm_module rune_wasm_module;
typedef struct rune_wasm_linker rune_wasm_linker;
typedef struct rune_wasm_instance rune_wasm_instance;

/* cfg may be NULL for defaults. RUNE_E_UNSUPPORTED if the engine is not built in. */
rune_status rune_wasm_engine_new(rune_wasm_engine_kind kind, const rune_wasm_engine_config *cfg,
                                 rune_wasm_engine **out, rune_error *err);
void rune_wasm_engine_free(rune_wasm_engine *eng);
rune_wasm_engine_kind rune_wasm_engine_kind_of(const rune_wasm_engine *eng);

/* ---- modules ---------------------------------------------------------------------------------- */

/* Decode and fully validate. RUNE_E_MALFORMED for bytes that do not decode, RUNE_E_INVALID for a
 * module that breaks a validation rule, RUNE_E_UNSUPPORTED for a feature outside our set. The message
 * names the section, function index and byte offset. */
rune_status rune_wasm_module_load(rune_wasm_engine *eng, const uint8_t *bytes, size_t len,
                                  rune_wasm_module **out, rune_error *err);
void rune_wasm_module_free(rune_wasm_module *mod);

typedef enum rune_wasm_extern_kind {
    RUNE_WASM_EXTERN_FUNC = 0,
    RUNE_WASM_EXTERN_TABLE = 1,
    RUNE_WASM_EXTERN_MEMORY = 2,
    RUNE_WASM_EXTERN_GLOBAL = 3,
} rune_wasm_extern_kind;

typedef struct rune_wasm_extern_desc {
    const char *module;  /* imports only; NULL for exports */
    const char *name;
    rune_wasm_extern_kind kind;
    char sig[RUNE_WASM_SIG_MAX]; /* FUNC: signature string; GLOBAL: one letter, TABLE: "r" or "e" */
    int mutable_;                /* GLOBAL */
    uint32_t min, max;           /* TABLE, MEMORY (max = UINT32_MAX if none) */
} rune_wasm_extern_desc;

size_t rune_wasm_module_import_count(const rune_wasm_module *mod);
size_t rune_wasm_module_export_count(const rune_wasm_module *mod);
/* Describe import / export i (strings owned by the module). RUNE_E_ARG if i is out of range. */
rune_status rune_wasm_module_import(const rune_wasm_module *mod, size_t i, rune_wasm_extern_desc *out);
rune_status rune_wasm_module_export(const rune_wasm_module *mod, size_t i, rune_wasm_extern_desc *out);

/* ---- linking ---------------------------------------------------------------------------------- */

/*
 * A host function. args and results are laid out as the signature says. Return RUNE_OK, or any
 * error status with err filled: the guest call then ends as a trap of kind RUNE_WASM_TRAP_HOST with
 * that message (RUNE_E_EXIT passes through unchanged, carrying the exit code in err->code).
 * Memory of the calling instance is reached through rune_wasm_memory_ptr(inst, ...).
 */
typedef rune_status (*rune_wasm_host_fn)(rune_wasm_instance *inst, void *user,
                                         const rune_wasm_val *args, rune_wasm_val *results,
                                         rune_error *err);

rune_status rune_wasm_linker_new(rune_wasm_linker **out, rune_error *err);
void rune_wasm_linker_free(rune_wasm_linker *l);

/* Define module.name as a host function with signature sig. Strings are copied. */
rune_status rune_wasm_linker_define_func(rune_wasm_linker *l, const char *module, const char *name,
                                         const char *sig, rune_wasm_host_fn fn, void *user,
                                         rune_error *err);
/*
 * A host function over i32 values only (the shape of most system interfaces: WASI, wasi-nn, the
 * rune ABI), called by both engines with its arguments in registers instead of arrays: on AOT the
 * guest's call reaches it through one trampoline with no copying. It gets the signature's params
 * in a0.. (those past the signature's count are 0) and returns the result (ignored when the
 * signature has none). To fail the call, return rune_wasm_host_fail(hc, ...): the guest call then
 * ends as a rune_wasm_host_fn's failure does (RUNE_E_EXIT passes through with hc->err->code).
 * hc is valid for the duration of the call only.
 */
typedef struct rune_wasm_hostcall {
    rune_wasm_instance *inst; /* the calling instance */
    void *user;               /* as given to rune_wasm_linker_define_i32 */
    rune_error *err;          /* a failure's message (rune_wasm_host_fail writes it) */
    rune_status status;       /* RUNE_OK unless rune_wasm_host_fail was called */
} rune_wasm_hostcall;

#define RUNE_WASM_I32_MAX_PARAMS 5
typedef uint32_t (*rune_wasm_host_i32_fn)(rune_wasm_hostcall *hc, uint32_t a0, uint32_t a1,
                                          uint32_t a2, uint32_t a3, uint32_t a4);

/* Define module.name as an i32 host function; sig has up to RUNE_WASM_I32_MAX_PARAMS 'i' params and
 * result "" or "i" ("iii:i", "i:", ":i"); anything else is RUNE_E_ARG. */
rune_status rune_wasm_linker_define_i32(rune_wasm_linker *l, const char *module, const char *name,
                                        const char *sig, rune_wasm_host_i32_fn fn, void *user,
                                        rune_error *err);
/* Fail the i32 host call hc with status and a printf-style message; returns 0, for
 * `return rune_wasm_host_fail(hc, ...);`. */
uint32_t rune_wasm_host_fail(rune_wasm_hostcall *hc, rune_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A host global of type t ('i','I','f','F') holding v; mutable_ as in the import it satisfies. */
rune_status rune_wasm_linker_define_global(rune_wasm_linker *l, const char *module, const char *name,
                                           char t, int mutable_, rune_wasm_val v, rune_error *err);
/* A host memory with min/max pages (max UINT32_MAX = none), created fresh for each instance that
 * imports it unless shared through define_instance. */
rune_status rune_wasm_linker_define_memory(rune_wasm_linker *l, const char *module, const char *name,
                                           uint32_t min, uint32_t max, rune_error *err);
/* A host funcref table (elements null) with min/max. */
rune_status rune_wasm_linker_define_table(rune_wasm_linker *l, const char *module, const char *name,
                                          uint32_t min, uint32_t max, rune_error *err);
/* Make every export of inst importable as module.<export name> (the spec's "register"). inst must come
 * from the same engine as the modules linked against it and must outlive them. */
rune_status rune_wasm_linker_define_instance(rune_wasm_linker *l, const char *module,
                                             rune_wasm_instance *inst, rune_error *err);

/* ---- instances -------------------------------------------------------------------------------- */

typedef struct rune_wasm_limits {
    uint32_t max_memory_pages; /* cap on every memory of the instance; 0 = RUNE_WASM_DEFAULT_MAX_PAGES */
    uint32_t stack_slots;      /* value stack, in 8-byte slots; 0 = default */
    uint32_t max_call_depth;   /* 0 = default */
    uint64_t fuel;             /* instructions (roughly) per call; 0 = unlimited */
} rune_wasm_limits;

/* Link every import (missing or mistyped: RUNE_E_LINK naming it), allocate memory, tables and stacks,
 * apply segments and run the start function (a trap there: RUNE_E_TRAP, nothing leaks). A module whose
 * declared minimum memory exceeds the limit is refused with RUNE_E_LIMIT. lim may be NULL. */
rune_status rune_wasm_instantiate(rune_wasm_module *mod, const rune_wasm_linker *l,
                                  const rune_wasm_limits *lim, rune_wasm_instance **out,
                                  rune_error *err);
void rune_wasm_instance_free(rune_wasm_instance *inst);

void rune_wasm_instance_set_user(rune_wasm_instance *inst, void *user);
void *rune_wasm_instance_user(const rune_wasm_instance *inst);

/* A resolved exported function, for repeated calls without a name lookup. */
typedef struct rune_wasm_func {
    uint32_t index;              /* function index in the module */
    char sig[RUNE_WASM_SIG_MAX]; /* its signature */
    /* Set by rune_wasm_find_func for the engine's per-call path: the serial number of the
     * instance the function was found on (unique in the process, never 0) and the engine's handle
     * on it there (0 and NULL where the engine has none). Calls on that instance use the handle;
     * on any other (also one made later at the same address, or with these zero, as in a
     * rune_wasm_func filled by hand) they go by index. */
    uint64_t found_on;
    const void *handle;
} rune_wasm_func;

/* RUNE_E_NOT_FOUND if there is no exported function of that name. */
rune_status rune_wasm_find_func(rune_wasm_instance *inst, const char *name, rune_wasm_func *out,
                                rune_error *err);
/* Call with nargs/nresults matching the signature (else RUNE_E_ARG). */
rune_status rune_wasm_call_func(rune_wasm_instance *inst, const rune_wasm_func *fn,
                                const rune_wasm_val *args, size_t nargs, rune_wasm_val *results,
                                size_t nresults, rune_error *err);
rune_status rune_wasm_call(rune_wasm_instance *inst, const char *name, const rune_wasm_val *args,
                           size_t nargs, rune_wasm_val *results, size_t nresults, rune_error *err);
/* The per-call path for a function called many times (a host calling a rune's _call): fn comes
 * from rune_wasm_find_func on this instance and the caller has checked fn->sig once, so args and
 * results are laid out as it says; the signature is not re-read on each call, and fn's engine
 * handle takes the engine straight to the function (else the index is checked). */
rune_status rune_wasm_call_prepared(rune_wasm_instance *inst, const rune_wasm_func *fn,
                                    const rune_wasm_val *args, rune_wasm_val *results,
                                    rune_error *err);

/* Fuel for the following calls (0 = unlimited), and what the last call left. */
void rune_wasm_set_fuel(rune_wasm_instance *inst, uint64_t fuel);
uint64_t rune_wasm_fuel_left(const rune_wasm_instance *inst);

/* Exported globals. RUNE_E_NOT_FOUND / RUNE_E_ARG (set on an immutable global). */
rune_status rune_wasm_global_get(rune_wasm_instance *inst, const char *name, rune_wasm_val *out,
                                 char *type_out, rune_error *err);
rune_status rune_wasm_global_set(rune_wasm_instance *inst, const char *name, rune_wasm_val v,
                                 rune_error *err);

/* ---- linear memory (memory 0) ----------------------------------------------------------------- */

/* Current size in bytes (0 if the instance has no memory). */
uint64_t rune_wasm_memory_size(const rune_wasm_instance *inst);
/* Pointer to [addr, addr+len) if it lies inside memory, else NULL. Valid until the next call into the
 * instance (memory.grow may move it). This is how host functions read and write guest buffers. */
uint8_t *rune_wasm_memory_ptr(rune_wasm_instance *inst, uint64_t addr, uint64_t len);
/* For a host function reaching guest memory several times in one call: memory 0's base and byte
 * size now (NULL and 0 if there is none), taken once; each access is then checked inline by
 * rune_wasm_view_ptr. Valid until guest code runs again (memory.grow may move or resize it). */
uint8_t *rune_wasm_memory_view(rune_wasm_instance *inst, uint64_t *size);
/* Pointer to [addr, addr+len) inside a view from rune_wasm_memory_view, else NULL. */
static inline uint8_t *rune_wasm_view_ptr(uint8_t *base, uint64_t size, uint64_t addr,
                                          uint64_t len)
{
    if (!base || addr > size || len > size - addr) return NULL;
    return base + addr;
}
/*
 * For host functions on the per-inference path: a reference to memory 0's live base address and
 * page count (the engine's own fields), taken once after instantiation and valid for the
 * instance's life; each access then reads both fields inline, so a memory.grow (a moved or bigger
 * memory) is seen at once and every range is still checked against the current size.
 * rune_wasm_memory_ref fills *out, or returns RUNE_E_NOT_FOUND with *out zeroed if the instance
 * has no memory 0 or its engine keeps no live fields (use rune_wasm_memory_ptr then).
 */
typedef struct rune_wasm_memref {
    uint8_t *const *base;  /* -> memory 0's base address (NULL until the memory exists) */
    const uint32_t *pages; /* -> its size in 64 KiB pages */
} rune_wasm_memref;
rune_status rune_wasm_memory_ref(rune_wasm_instance *inst, rune_wasm_memref *out, rune_error *err);
/* Pointer to [addr, addr+len) inside the referenced memory now, else NULL. */
static inline uint8_t *rune_wasm_memref_ptr(const rune_wasm_memref *r, uint64_t addr, uint64_t len)
{
    uint8_t *b = *r->base;
    uint64_t size = (uint64_t)*r->pages << 16;
    if (!b || addr > size || len > size - addr) return NULL;
    return b + addr;
}
/* The referenced memory's base and byte size now, for rune_wasm_view_ptr (NULL and 0 if none). */
static inline uint8_t *rune_wasm_memref_view(const rune_wasm_memref *r, uint64_t *size)
{
    uint8_t *b = *r->base;
    *size = b ? (uint64_t)*r->pages << 16 : 0;
    return b;
}
/* Copy out of / into memory; RUNE_E_ARG with a message if the range is out of bounds. */
rune_status rune_wasm_memory_read(rune_wasm_instance *inst, uint64_t addr, void *dst, size_t len,
                                  rune_error *err);
rune_status rune_wasm_memory_write(rune_wasm_instance *inst, uint64_t addr, const void *src,
                                   size_t len, rune_error *err);

/* ---- raw sections ----------------------------------------------------------------------------- */

/* Iterate the sections of a module's bytes without decoding them: *pos starts at 0 (the header is
 * checked then). Returns RUNE_OK with *id, payload and custom-section name (id 0, else NULL) filled,
 * RUNE_E_NOT_FOUND at the end, RUNE_E_MALFORMED if a section runs past the end. Used by the rune
 * container to read its custom sections. */
typedef struct rune_wasm_section {
    uint8_t id;
    const uint8_t *name; /* custom sections: not NUL-terminated */
    size_t name_len;
    const uint8_t *payload; /* for custom sections: the bytes after the name */
    size_t payload_len;
    size_t offset; /* of the section's id byte in the module */
} rune_wasm_section;

rune_status rune_wasm_section_next(const uint8_t *bytes, size_t len, size_t *pos,
                                   rune_wasm_section *out, rune_error *err);

#ifdef __cplusplus
}
#endif
#endif
