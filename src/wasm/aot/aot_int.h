/*
 * aot_int.h - internals of the AOT engine (src/wasm/aot): the binary interface between librune and
 * the shared objects it generates, and the helpers the engine's files share. Prefix: rw_aot_.
 *
 * How a module runs (see aot_engine.c for the vtable):
 *   aot_rewrite.c     the validated module re-encoded with canonical import/export names
 *                     ("h"."i<k>", "f<i>", "g<i>", "m<i>", "t<i>"), so wasm2c's C symbols are known
 *   aot_instrument.c  wasm2c's C output edited: fuel at loop back-edges and function entries, our
 *                     trap kinds and locations; aot_sites.c appends the trap-site offset table
 *   aot_glue.c        the unit around it: wasm-rt runtime functions forwarded to the host, one C
 *                     function per import, one thunk per defined function, the module info
 *   aot_compile.c     cc -O3 -fPIC -shared, cached by SHA-256 in the cache dir, dlopen
 *   aot_rt.c          the host side: trap boundary (setjmp), memories, tables, the function-type
 *                     registry, funcref handles; each instance's run state is its own
 *   aot_trap_loc.c    where a trap happened, from a line or a code address (libdw)
 *
 * The generated code knows librune only through struct rw_aot_host (function pointers handed over
 * at load); librune knows the generated code only through struct rw_aot_module_info. Both are
 * declared by one macro so the text pasted into the generated C cannot drift from the structs
 * compiled here.
 */
#ifndef RUNE_WASM_AOT_INT_H
#define RUNE_WASM_AOT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"
#include "rune/wasm.h"
#include "../wasm_int.h"

/* Bump whenever the glue or the ABI changes: it salts the cache key, so stale objects are not
 * reused. */
#define RW_AOT_ABI_VERSION 18

/* Flags the generated C is compiled with unless the engine config or RUNE_AOT_CFLAGS says
 * otherwise. -O3 because its loop unswitching and vectorizer turn wasm2c's scalar loops into SIMD
 * when fuel is unlimited (the fuel tick is behind a loop-invariant flag, see aot_instrument.c). No
 * -march=native: objects stay runnable on any CPU of the architecture (the cache key holds the
 * compiler and flags, not the CPU; a RUNE_AOT_CFLAGS with -march=native makes a cache valid only
 * on the machine that filled it). The glue also turns off two gcc -O3 passes by pragma (so the
 * flags stay valid for clang): -ftree-partial-pre, which costs the branchy kernels (heap sort) up
 * to 45%, and -ftree-slp-vectorize, which costs the FFT's butterflies 20% (bench/wasm). */
#define RW_AOT_DEFAULT_CFLAGS "-O3"

/* Trap codes passed to host->trap beyond the rune_wasm_trap kinds. */
#define RW_AOT_CODE_PENDING                                                                        \
    100                       /* an error already stored by the host (host function, nested call) */
#define RW_AOT_CODE_NOMEM 101 /* memory or table allocation failed */

/* clang-format off */
#define RW_AOT_ABI_DECL                                                                            \
    union rw_aot_val { uint32_t i32; uint64_t i64; uint32_t f32; uint64_t f64; uintptr_t ref; };  \
    typedef void (*rw_aot_thunk)(void *inst, const union rw_aot_val *args,                        \
                                 union rw_aot_val *results);                                      \
    typedef void *(*rw_aot_ptr_fn)(void *inst);                                                   \
    struct rw_aot_host {                                                                          \
        void (*trap)(int code);                                                                   \
        void (*trap_in)(int code, const char *c_func); /* in generated function c_func */         \
        void (*trap_at)(int code, const char *c_func, const void *pc); /* c_func or code at pc */ \
        uint32_t (*register_type)(uint32_t nparams, uint32_t nresults, const int *types);         \
        void (*mem_alloc)(void *mem, uint32_t initial, uint32_t max);                             \
        uint32_t (*mem_grow)(void *mem, uint32_t delta);                                          \
        void (*mem_free)(void *mem);                                                              \
        void (*table_alloc)(void *table, int externref, uint32_t n, uint32_t max);                \
        uint32_t (*table_grow)(void *table, int externref, uint32_t delta, const void *init);     \
        void (*table_free)(void *table, int externref);                                           \
        void (*call_import)(void *ctx, uint32_t import, const union rw_aot_val *args,             \
                            union rw_aot_val *results);                                           \
        void *(*import_ptr)(void *ctx, uint32_t import);                                          \
        /* a direct call of import k returned status != 0: raise it (never returns) */             \
        void (*import_failed)(void *ctx, uint32_t import, int status);                            \
        uintptr_t (*funcref_handle)(const void *funcref);                                         \
        void (*funcref_from)(uintptr_t handle, void *funcref_out);                                \
    };                                                                                            \
    /* An import bound to a host function, called straight from its trampoline. */               \
    struct rw_aot_direct {                                                                        \
        int (*fn)(void *inst, void *user, const union rw_aot_val *args,                           \
                  union rw_aot_val *results, void *err); /* NULL: go through call_import */      \
        void *inst, *user;                                                                        \
        /* an i32 host function (rune_wasm_linker_define_i32), called with hc and the arguments  \
           in registers; NULL: use fn. hc is a rune_wasm_hostcall; a failure leaves status != 0 */ \
        uint32_t (*fn32)(void *hc, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,            \
                         uint32_t a4);                                                            \
        struct rw_aot_hc {                                                                        \
            void *inst, *user, *err;                                                              \
            int status;                                                                           \
        } hc;                                                                                     \
    };                                                                                            \
    /* The head of the host's record of an instance (the ctx trampolines get). */                 \
    struct rw_aot_ctx {                                                                           \
        struct rw_aot_direct *direct; /* per import */                                           \
        void *err;                          /* the scratch rune_error direct calls fill */        \
        char *err_msg;                      /* its msg, emptied before each direct call */        \
    };                                                                                            \
    /* Each instance's own run state, state_offset bytes into its generated instance struct:  \
       generated code reaches it from the instance pointer every function gets, so calls into    \
       different instances share nothing and need no lock. */                                     \
    struct rw_aot_state {                                                                         \
        int64_t fuel;             /* fuel counter (read only when metered) */                     \
        int32_t metered;          /* 0: fuel unlimited, generated code skips its fuel ticks */    \
        uint32_t depth, max_depth; /* call-depth counter and limit */                             \
        uint32_t pad_;                                                                            \
    };                                                                                            \
    struct rw_aot_module_info {                                                                   \
        uint32_t abi_version;                                                                     \
        uint32_t nfuncs, nglobals, nmems, ntables;                                                \
        size_t instance_size;                                                                     \
        void (*init_module)(void);                                                                \
        void (*instantiate)(void *inst, void *ctx);                                               \
        void (*free_instance)(void *inst);                                                        \
        const rw_aot_thunk *funcs;    /* nfuncs: NULL for imported functions */                   \
        const rw_aot_ptr_fn *globals; /* nglobals: NULL for imported ones; else the cell */       \
        const rw_aot_ptr_fn *mems;    /* wasm_rt_memory_t* */                                     \
        const rw_aot_ptr_fn *tables;  /* wasm_rt_funcref_table_t* / wasm_rt_externref_table_t* */ \
        size_t state_offset;          /* where an instance's struct rw_aot_state is */           \
        const uint32_t *fn_lines;     /* {line, wasm func or UINT32_MAX} per C definition, sorted */ \
        size_t n_fn_lines;                                                                        \
        const uint32_t *trap_sites;   /* {line, wasm offset, RW_AOT_SITE_*} per site, by line */ \
        size_t n_trap_sites;                                                                      \
        /* this thread's: line of the last trap raised by generated code, or 0; and for         \
           call-stack exhaustion {trap pc, frame's return address} */                             \
        uint32_t *(*trap_line)(void);                                                             \
        const void **(*trap_where)(void);                                                         \
    };
/* clang-format on */

RW_AOT_ABI_DECL

#define RW_AOT_STR_(...) #__VA_ARGS__
#define RW_AOT_STR(...) RW_AOT_STR_(__VA_ARGS__)

/* ---- growable text/byte buffer ----------------------------------------------------------------
 */

typedef struct rw_aot_buf {
    char *p;
    size_t len, cap;
    int oom; /* an append failed: the buffer is incomplete */
} rw_aot_buf;

void rw_aot_buf_put(rw_aot_buf *b, const void *data, size_t len);
void rw_aot_buf_byte(rw_aot_buf *b, uint8_t c);
void rw_aot_buf_u32(rw_aot_buf *b, uint32_t v); /* unsigned LEB128 */
void rw_aot_buf_printf(rw_aot_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void rw_aot_buf_free(rw_aot_buf *b);

/* ---- pipeline ---------------------------------------------------------------------------------
 */

/* The module re-encoded for wasm2c (see top of file). out is filled; free with rw_aot_buf_free. */
rune_status rw_aot_rewrite(const rw_module *m, rw_aot_buf *out, rune_error *err);

/* Instrument wasm2c's output src (the .c text) of module m into out; appends the tables
 * rw_fn_lines and rw_trap_sites (empty if m is NULL). */
rune_status rw_aot_instrument(const rw_module *m, const char *src, size_t len, rw_aot_buf *out,
                              rune_error *err);

/* Classes of trap sites in rw_trap_sites: a guard-page fault is matched only to an access of the
 * same direction. */
#define RW_AOT_SITE_OTHER 0
#define RW_AOT_SITE_LOAD 1
#define RW_AOT_SITE_STORE 2
#define RW_AOT_SITE_CALL_INDIRECT 3
#define RW_AOT_SITE_CALL 4 /* + the index of the function called */

/* How many defined functions got trap-site offsets (their wasm and C trap sites agree) and how many
 * did not (their traps name the function only). */
typedef struct rw_aot_sites_stats {
    uint32_t matched, unmatched;
} rw_aot_sites_stats;
/* Append "static const uint32_t rw_trap_sites[] = {line, offset, class, ..., 0, 0, 0};" for the
 * instrumented text src of module m (aot_sites.c); stats may be NULL. Sets out->oom when memory
 * runs out. */
void rw_aot_sites(const rw_module *m, const char *src, size_t len, rw_aot_buf *out,
                  rw_aot_sites_stats *stats);
/* The glue translation unit that #includes the instrumented file named inc. */
rune_status rw_aot_glue(const rw_module *m, const char *inc, int guard, rw_aot_buf *out,
                        rune_error *err);

/* A loaded object. */
typedef struct rw_aot_object {
    void *dl;
    const struct rw_aot_module_info *info;
    char *path;    /* the object file (its line table locates traps) */
    void *dw;      /* its DWARF (libdw), opened on the first trap that needs it */
    int dw_fd;     /* the descriptor dw reads */
    int dw_failed; /* opening dw failed: do not retry */
} rw_aot_object;

/* Compile (or find in the cache) and load the object of module m for engine eng. */
rune_status rw_aot_load(rune_wasm_engine *eng, const rw_module *m, rw_aot_object *out,
                        rune_error *err);
void rw_aot_unload(rw_aot_object *obj);
/* How many objects this process compiled (cache misses), for tests of the cache. */
unsigned long rw_aot_compile_count(void);
/* The engine's cache directory (resolved at engine_init). */
const char *rw_aot_cache_dir(const rune_wasm_engine *eng);

/* ---- trap locations (aot_trap_loc.c) ----------------------------------------------------------
 */

/* The instruction address in a signal handler's ucontext (NULL where not supported). */
const void *rw_aot_fault_pc(void *ucontext);
/* The wasm function whose generated code contains pc (a return address if is_return), or -1; the
 * line of mi.c pc belongs to in *line (0 if unknown). Call with the AOT lock held: it opens the
 * object's DWARF on first use. */
long rw_aot_func_at(rw_aot_object *obj, const void *pc, int is_return, uint32_t *line);
/* The wasm function whose C definition contains line of mi.c, or -1. */
long rw_aot_func_of_line(const struct rw_aot_module_info *info, uint32_t line);
/* The wasm code offset of the trap site at line of mi.c if it lies in wasm function func, or -1.
 * access: 0 if the line is the site's own (__LINE__ of an explicit trap), else the guard-page fault
 * the line was found for: RW_AOT_SITE_LOAD (a read), RW_AOT_SITE_STORE (a write), 3 (either: the
 * direction is not known); any other value: no offset. */
long rw_aot_offset_at(const struct rw_aot_module_info *info, long func, uint32_t line, int access);
/* A call-stack exhaustion in the entry of wasm function callee: the call that entered it, from pc
 * (the trap's call in generated code) and ra (the return address of the frame the entry check ran
 * in, found by unwinding). The entry was inlined if pc lies in an inlined copy of callee (the call
 * is the line it was inlined from), else the call is where ra returns to; that line must hold a
 * call of callee (or a call_indirect). The call's wasm offset, and its function in *caller; -1 if
 * not known. Lock held. */
long rw_aot_call_site(rw_aot_object *obj, long callee, const void *pc, const void *ra,
                      long *caller);
/* The direction of the faulting access in a signal handler's ucontext: RW_AOT_SITE_LOAD,
 * RW_AOT_SITE_STORE, or 3 where the platform does not tell. */
int rw_aot_fault_access(void *ucontext);
void rw_aot_trap_loc_close(rw_aot_object *obj);

/* ---- host runtime (aot_rt.c) ------------------------------------------------------------------
 */

extern const struct rw_aot_host rw_aot_host_api;

/* 1 if linear memories are guard-page reservations (out-of-bounds accesses fault and a SIGSEGV
 * handler turns the fault into a trap), 0 if generated code checks every access. Fixed at the first
 * rw_aot_rt_acquire: guard pages on 64-bit hosts unless built with a sanitizer or
 * RUNE_AOT_BOUNDS=explicit is set in the environment. */
int rw_aot_guard_mode(void);
/* Process-wide state: taken by every engine; the last release frees the registries. */
rune_status rw_aot_rt_acquire(rune_error *err);
void rw_aot_rt_release(void);
/* The mutex over what instances share (registries, reservations, loading); not taken per call. */
void rw_aot_lock(void);
void rw_aot_unlock(void);

/* Everything the host keeps for one AOT instance (rune_wasm_instance.priv). */
typedef struct rw_aot_inst {
    struct rw_aot_ctx ctx;        /* first: generated code reads it through the ctx pointer */
    struct rw_aot_state *state;   /* inside wasm, at info->state_offset */
    struct rw_aot_direct *direct; /* per import (ctx.direct) */
    rune_error scratch;           /* ctx.err */
    rune_wasm_instance *pub;
    const rw_aot_object *obj;
    void *wasm;         /* the generated instance struct, obj->info->instance_size bytes */
    void **import_ptrs; /* per import: cell / wasm_rt_memory_t* / table for non-function imports */
    void **owned;       /* per import: memory or table created for this instance (host entries) */
    uint32_t *func_import; /* per function index < n_imported_funcs: its import index */
} rw_aot_inst;

/* Run fn(ai, arg) inside a trap boundary for instance ai with its fuel and call-depth limits. */
typedef void (*rw_aot_body)(rw_aot_inst *ai, void *arg);
rune_status rw_aot_guarded(rw_aot_inst *ai, rw_aot_body fn, void *arg, rune_error *err);
/* The per-call path (ops->call_handle, aot_call): call the defined function whose thunk is
 * *handle (a slot of info->funcs) on the instantiated inst, args and results laid out by its type.
 * The outermost call on a thread sets only the instance's fuel and depth and the thread's
 * boundary; a call inside an active boundary (from a host function) goes through rw_aot_guarded. */
rune_status rw_aot_call_handle(rune_wasm_instance *inst, const void *handle,
                               const rune_wasm_val *args, rune_wasm_val *results, rune_error *err);

/* Call import k of ai (the host's side of an import trampoline, also used by ops->call). */
rune_status rw_aot_call_binding(rw_aot_inst *ai, uint32_t k, const rune_wasm_val *args,
                                rune_wasm_val *results, rune_error *err);

/* Memories and tables made by the host (for linker-defined imports); limits clamp max. */
void *rw_aot_mem_new(uint32_t min, uint32_t max, uint32_t limit_pages);
void rw_aot_mem_delete(void *mem);
void *rw_aot_table_new(uint32_t min, uint32_t max);
void rw_aot_table_delete(void *table);
/* Run the object's init_module (function-type registration) inside a boundary. */
rune_status rw_aot_run_init(const struct rw_aot_module_info *info, rune_error *err);
/* The instance currently being instantiated (for the max-pages clamp in mem_alloc). */
void rw_aot_set_limit_pages(uint32_t pages);

#endif
