/*
 * aot_rt.c - the host side of the generated objects: trap boundary, memories, tables, function
 * types, funcref handles, and calls from generated code out to imports.
 *
 * Threads: wabt 1.0.32's generated code keeps its call depth in a global, and our glue would keep
 * fuel there too; instead both live in each instance (struct rw_aot_state, right after wasm2c's
 * instance struct, reached from the instance pointer every generated function takes), and what a
 * call touches besides is per thread (the boundary, the trap location, the pending error, the page
 * limit). So calls into different instances run in parallel on different threads, with no lock and
 * no atomic operation per call; an instance is used by one thread at a time (as on the
 * interpreter). What instances share (the function-type and funcref registries, the reservation
 * list, loading) is under one process-wide mutex, re-entered by the same thread through a count.
 * The trap boundary is a __builtin_setjmp (libc setjmp under sanitizers) in rw_aot_call_handle
 * (calls) and rw_aot_guarded (instantiation, and calls made while a boundary is active);
 * generated code traps by calling host->trap, which jumps to the innermost boundary. The jump only
 * crosses frames of generated code and of the glue: a host function always returns to the glue
 * before a trap is raised for it (its error is kept in g_pending and raised as
 * RW_AOT_CODE_PENDING).
 *
 * Bounds: on 64-bit hosts (no sanitizer, no address-space limit below 8 GiB, RUNE_AOT_BOUNDS not
 * "explicit") a linear memory is an 8 GiB PROT_NONE reservation with its current pages read-write,
 * so generated code needs no bounds checks: any i32 address plus offset lands in the reservation. A
 * SIGSEGV/SIGBUS handler, installed once and chained to the previous handler for every fault that
 * is not ours, turns a fault inside a reservation, on a thread inside a boundary, into a memory
 * trap. Otherwise generated code checks each access. The choice is process-wide (rw_aot_guard_mode)
 * and part of the cache key.
 *
 * Workload: a call from the API with no boundary active on the thread (a host calling a rune's
 * _call per inference) costs one __builtin_setjmp, three stores to the instance's counters and two
 * to this thread's boundary pointer (bench/wasm/bench_call, bench/overhead); a nested call (a host
 * function calling generated code again) also saves and restores the instance's counters. An
 * import call from generated code costs a few ns more than a native one; loops and calls inside
 * generated code cost only the fuel and depth counters.
 */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0
#define WASM_RT_USE_STACK_DEPTH_COUNT 1
#include <wasm-rt.h>

#include "rune/alloc.h"
#include "aot_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define RW_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define RW_SANITIZED 1
#endif
#endif
#ifndef RW_SANITIZED
#define RW_SANITIZED 0
#endif

#define PAGE 65536u
#define MAX_PAGES 65535u    /* wasm_rt_memory_t.size is 32-bit: 4 GiB itself cannot be held */
#define MAX_TABLE 10000000u /* table.grow beyond this fails (returns -1), as the spec allows */

typedef struct fr_node {
    wasm_rt_funcref_t fr;
    struct fr_node *next;
} fr_node;

typedef struct rt_type {
    uint32_t np, nr;
    int t[RUNE_WASM_SIG_MAX];
} rt_type;

/* The trap boundary. Unsanitized builds use the compiler's __builtin_setjmp, which saves only the
 * frame, stack pointer and resume address (the function containing it saves the callee-saved
 * registers itself): about 1 ns against 4 ns for setjmp, on every call. Sanitizers must see the
 * jump (ASan unpoisons the abandoned frames in its longjmp interceptor): libc's setjmp there. The
 * trap code travels in g_code. */
#if RW_SANITIZED
typedef jmp_buf rw_jmp;
#define RW_SETJMP(jb) setjmp(jb)
#define RW_LONGJMP(jb) longjmp(jb, 1)
#else
typedef void *rw_jmp[5];
#define RW_SETJMP(jb) __builtin_setjmp(jb)
#define RW_LONGJMP(jb) __builtin_longjmp(jb, 1)
#endif

/* One process-wide mutex for what objects and instances share (the function-type and funcref
 * registries, the reservation list, loading and freeing); calls do not take it: each instance's run
 * state is its own (struct rw_aot_state) and everything a call touches besides is per thread.
 * Recursion is counted per thread, so the mutex itself is a plain one. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local unsigned g_held;
static _Thread_local int g_code; /* the trap code of the jump in flight */
static int g_refs;
/* An active boundary, on the stack of the function that set it: where a trap jumps to, and the
 * call-depth counter of its instance, which a nested entry (a host function calling generated code
 * again) continues so nesting counts against one limit. */
typedef struct rw_bound {
    rw_jmp jb;
    const uint32_t *depth; /* NULL in rw_aot_run_init */
} rw_bound;
static _Thread_local rw_bound *g_top;       /* this thread's innermost boundary, NULL if none */
static _Thread_local long g_trap_func;      /* function index of the last trap, -1 if unknown */
static _Thread_local const void *g_trap_pc; /* else a code address that locates it, or NULL */
static _Thread_local int g_trap_pc_ret;     /* g_trap_pc is a return address */
static _Thread_local int g_trap_access;     /* a guard-page fault's direction (RW_AOT_SITE_*) */
static int g_guard = -1;                    /* rw_aot_guard_mode(), decided once */

/* Guard mode: every memory is a reservation of RESERVE bytes (any i32 address plus any u32 offset
 * plus the access size lands inside it); only the first `size` bytes are readable and writable. */
#define RESERVE (((size_t)1 << 33) + (size_t)PAGE)
/* The reservations, for the fault handler, which may run on any thread while another adds or
 * removes one: a slot array published atomically. Writers hold the mutex; a full array is copied
 * into one twice its size and the old one kept (retired) until the last engine goes, so a handler
 * reading it never reads freed memory. A free slot is NULL. */
typedef struct res_list {
    struct res_list *retired; /* the list this one replaced */
    size_t cap;
    _Atomic(uint8_t *) base[];
} res_list;
static _Atomic(res_list *) g_res;
static struct sigaction g_old_segv, g_old_bus;
static _Thread_local rune_error g_pending;
static _Thread_local uint32_t g_limit_pages = RUNE_WASM_DEFAULT_MAX_PAGES; /* instantiation's */
static rt_type *g_types;
static uint32_t g_ntypes, g_captypes;
static fr_node *g_frs;

void rw_aot_lock(void)
{
    if (g_held++ == 0) pthread_mutex_lock(&g_mu);
}

void rw_aot_unlock(void)
{
    if (--g_held == 0) pthread_mutex_unlock(&g_mu);
}

/* To the innermost boundary with trap code `code` (never returns). */
__attribute__((noinline)) static _Noreturn void jump(int code)
{
    g_code = code;
    RW_LONGJMP(g_top->jb);
}

static int in_reservation(const void *addr)
{
    const uint8_t *a = addr;
    const res_list *l = atomic_load_explicit(&g_res, memory_order_acquire);
    for (size_t i = 0; l && i < l->cap; i++) {
        const uint8_t *b = atomic_load_explicit(&l->base[i], memory_order_relaxed);
        if (b && a >= b && a < b + RESERVE) return 1;
    }
    return 0;
}

/* Publish base in a free slot (mutex held); 0 on success. */
static int res_add(uint8_t *base)
{
    res_list *l = atomic_load_explicit(&g_res, memory_order_relaxed);
    for (size_t i = 0; l && i < l->cap; i++) {
        if (!atomic_load_explicit(&l->base[i], memory_order_relaxed)) {
            atomic_store_explicit(&l->base[i], base, memory_order_release);
            return 0;
        }
    }
    size_t cap = l ? 2 * l->cap : 16;
    res_list *n = rune_calloc(1, sizeof *n + cap * sizeof n->base[0]);
    if (!n) return -1;
    n->cap = cap;
    n->retired = l;
    for (size_t i = 0; l && i < l->cap; i++)
        atomic_init(&n->base[i], atomic_load_explicit(&l->base[i], memory_order_relaxed));
    atomic_init(&n->base[l ? l->cap : 0], base);
    atomic_store_explicit(&g_res, n, memory_order_release);
    return 0;
}

/* Clear base's slot (mutex held). */
static void res_remove(const uint8_t *base)
{
    res_list *l = atomic_load_explicit(&g_res, memory_order_relaxed);
    for (size_t i = 0; l && i < l->cap; i++) {
        if (atomic_load_explicit(&l->base[i], memory_order_relaxed) == base) {
            atomic_store_explicit(&l->base[i], NULL, memory_order_release);
            return;
        }
    }
}

/* SIGSEGV/SIGBUS: a fault inside a linear-memory reservation while this thread runs generated code
 * is an out-of-bounds access: jump to the boundary. Anything else goes to the previous handler. The
 * list is read lock-free (see res_list): a reservation being added or removed by another thread is
 * not this thread's memory. */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
    if (g_top && in_reservation(si->si_addr)) {
        g_trap_func = -1;
        g_trap_pc = rw_aot_fault_pc(uc);
        g_trap_pc_ret = 0;
        g_trap_access = rw_aot_fault_access(uc);
        jump(RUNE_WASM_TRAP_MEMORY_OOB);
    }
    struct sigaction *old = sig == SIGBUS ? &g_old_bus : &g_old_segv;
    if (old->sa_flags & SA_SIGINFO) {
        old->sa_sigaction(sig, si, uc);
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
    } else {
        sigaction(sig, old, NULL); /* the access faults again, now with the default action */
    }
}

static int decide_guard(void)
{
    if (sizeof(void *) < 8 || RW_SANITIZED) return 0;
    const char *e = getenv("RUNE_AOT_BOUNDS");
    if (e && strcmp(e, "explicit") == 0) return 0;
    /* An address-space limit (ulimit -v) may forbid 8 GiB reservations: then check explicitly. */
    void *probe =
        mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe == MAP_FAILED) return 0;
    munmap(probe, RESERVE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &g_old_segv) != 0) return 0;
    if (sigaction(SIGBUS, &sa, &g_old_bus) != 0) {
        sigaction(SIGSEGV, &g_old_segv, NULL);
        return 0;
    }
    return 1;
}

int rw_aot_guard_mode(void)
{
    rw_aot_lock();
    if (g_guard < 0) g_guard = decide_guard();
    int g = g_guard;
    rw_aot_unlock();
    return g;
}

rune_status rw_aot_rt_acquire(rune_error *err)
{
    (void)err;
    (void)rw_aot_guard_mode();
    rw_aot_lock();
    g_refs++;
    rw_aot_unlock();
    return RUNE_OK;
}

void rw_aot_rt_release(void)
{
    rw_aot_lock();
    if (--g_refs == 0) {
        rune_free(g_types);
        g_types = NULL;
        g_ntypes = g_captypes = 0;
        res_list *l = atomic_exchange(&g_res, NULL);
        while (l) {
            res_list *r = l->retired;
            rune_free(l);
            l = r;
        }
        while (g_frs) {
            fr_node *n = g_frs->next;
            rune_free(g_frs);
            g_frs = n;
        }
    }
    rw_aot_unlock();
}

void rw_aot_set_limit_pages(uint32_t pages)
{
    g_limit_pages = pages;
}

/* ---- the host API handed to generated code ----------------------------------------------------
 */

static _Noreturn void h_trap(int code)
{
    g_trap_func = -1;
    g_trap_pc = NULL;
    jump(code ? code : RUNE_WASM_TRAP_UNREACHABLE);
}

/* c_func is the C function the trap happened in: "w2c_f<N>" is wasm function N (the rewrite names
 * every defined function's export "f<N>" and wasm2c names functions after their export). */
static long func_of_name(const char *c_func)
{
    if (c_func && strncmp(c_func, "w2c_f", 5) == 0 && c_func[5] >= '0' && c_func[5] <= '9') {
        char *end;
        long v = strtol(c_func + 5, &end, 10);
        if (*end == '\0') return v;
    }
    return -1;
}

static _Noreturn void h_trap_in(int code, const char *c_func)
{
    g_trap_func = func_of_name(c_func);
    g_trap_pc = NULL;
    jump(code ? code : RUNE_WASM_TRAP_UNREACHABLE);
}

/* A trap in a helper (bounds checks of bulk memory and table operations): pc, the helper's return
 * address, locates the wasm function when c_func does not name one. */
static _Noreturn void h_trap_at(int code, const char *c_func, const void *pc)
{
    g_trap_func = func_of_name(c_func);
    g_trap_pc = g_trap_func < 0 ? pc : NULL;
    g_trap_pc_ret = 1;
    jump(code ? code : RUNE_WASM_TRAP_UNREACHABLE);
}

static uint32_t h_register_type(uint32_t np, uint32_t nr, const int *types)
{
    uint32_t n = np + nr < RUNE_WASM_SIG_MAX ? np + nr : RUNE_WASM_SIG_MAX;
    for (uint32_t i = 0; i < g_ntypes; i++) {
        if (g_types[i].np == np && g_types[i].nr == nr &&
            memcmp(g_types[i].t, types, n * sizeof(int)) == 0)
            return i + 1;
    }
    if (g_ntypes == g_captypes) {
        uint32_t cap = g_captypes ? 2 * g_captypes : 32;
        rt_type *t = rune_realloc_array(g_types, cap, sizeof *t);
        if (!t) h_trap(RW_AOT_CODE_NOMEM);
        g_types = t;
        g_captypes = cap;
    }
    rt_type *t = &g_types[g_ntypes];
    memset(t, 0, sizeof *t);
    t->np = np;
    t->nr = nr;
    memcpy(t->t, types, n * sizeof(int));
    return ++g_ntypes;
}

static int mem_init(wasm_rt_memory_t *m, uint32_t initial, uint32_t max, uint32_t limit)
{
    if (limit == 0 || limit > MAX_PAGES) limit = MAX_PAGES;
    if (max > limit) max = limit;
    if (g_guard == 1) {
        int rc = -1;
        void *p =
            mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED) {
            rw_aot_lock();
            if ((initial && mprotect(p, (size_t)initial * PAGE, PROT_READ | PROT_WRITE) != 0) ||
                res_add(p) != 0) {
                munmap(p, RESERVE);
            } else {
                m->data = p;
                rc = 0;
            }
            rw_aot_unlock();
        }
        if (rc) return rc;
    } else {
        m->data = rune_calloc(initial ? (size_t)initial * PAGE : 1, 1);
        if (!m->data) return -1;
    }
    m->pages = initial;
    m->max_pages = max;
    m->size = initial * PAGE;
    return 0;
}

static void h_mem_alloc(void *mem, uint32_t initial, uint32_t max)
{
    if (mem_init(mem, initial, max, g_limit_pages) != 0) h_trap(RW_AOT_CODE_NOMEM);
}

static uint32_t h_mem_grow(void *mem, uint32_t delta)
{
    wasm_rt_memory_t *m = mem;
    uint32_t old = m->pages;
    if (delta == 0) return old;
    if (delta > m->max_pages || old > m->max_pages - delta) return UINT32_MAX;
    uint32_t np = old + delta;
    if (g_guard == 1) {
        if (mprotect(m->data + (size_t)old * PAGE, (size_t)delta * PAGE, PROT_READ | PROT_WRITE))
            return UINT32_MAX;
    } else {
        uint8_t *d = rune_realloc(m->data, (size_t)np * PAGE);
        if (!d) return UINT32_MAX;
        memset(d + (size_t)old * PAGE, 0, (size_t)delta * PAGE);
        m->data = d;
    }
    m->pages = np;
    m->size = np * PAGE;
    return old;
}

static void h_mem_free(void *mem)
{
    wasm_rt_memory_t *m = mem;
    if (g_guard == 1 && m->data) {
        rw_aot_lock();
        res_remove(m->data);
        munmap(m->data, RESERVE);
        rw_aot_unlock();
    } else {
        rune_free(m->data);
    }
    m->data = NULL;
    m->size = m->pages = 0;
}

static size_t elem_size(int ext)
{
    return ext ? sizeof(wasm_rt_externref_t) : sizeof(wasm_rt_funcref_t);
}

/* Funcref and externref tables share the layout {data, max_size, size}. */
static int table_init(wasm_rt_funcref_table_t *t, int ext, uint32_t n, uint32_t max)
{
    if (n > MAX_TABLE) return -1;
    t->data = rune_calloc(n ? n : 1, elem_size(ext));
    if (!t->data) return -1;
    t->size = n;
    t->max_size = max;
    return 0;
}

static void h_table_alloc(void *table, int ext, uint32_t n, uint32_t max)
{
    if (table_init(table, ext, n, max) != 0) h_trap(RW_AOT_CODE_NOMEM);
}

static uint32_t h_table_grow(void *table, int ext, uint32_t delta, const void *init)
{
    wasm_rt_funcref_table_t *t = table;
    uint32_t old = t->size;
    if (delta == 0) return old;
    if (delta > t->max_size || old > t->max_size - delta || old + (uint64_t)delta > MAX_TABLE)
        return UINT32_MAX;
    size_t es = elem_size(ext);
    uint8_t *d = rune_realloc_array(t->data, (size_t)old + delta, es);
    if (!d) return UINT32_MAX;
    for (uint32_t i = old; i < old + delta; i++)
        memcpy(d + (size_t)i * es, init, es);
    t->data = (wasm_rt_funcref_t *)(void *)d;
    t->size = old + delta;
    return old;
}

static void h_table_free(void *table, int ext)
{
    (void)ext;
    wasm_rt_funcref_table_t *t = table;
    rune_free(t->data);
    t->data = NULL;
    t->size = 0;
}

/* An import call from generated code that is not a direct host call (an import bound to a function
 * of another instance). Nothing of the object's state is saved around it: a host function reaches
 * generated code again only through rw_aot_guarded, which restores what it changes and takes the
 * call depth on from the innermost active boundary (g_top->depth), so nesting counts against the
 * same limit. */
static void h_call_import(void *ctx, uint32_t k, const union rw_aot_val *args,
                          union rw_aot_val *results)
{
    rw_aot_inst *ai = ctx;
    rune_error e;
    rune_status st = rw_aot_call_binding(ai, k, (const rune_wasm_val *)(const void *)args,
                                         (rune_wasm_val *)(void *)results, &e);
    if (st != RUNE_OK) {
        g_pending = e;
        g_pending.status = st;
        h_trap(RW_AOT_CODE_PENDING);
    }
}

/* A direct host call (struct rw_aot_direct) returned status st with its error in the instance's
 * scratch record: raise it as rw_aot_call_binding would have. */
static void h_import_failed(void *ctx, uint32_t k, int status)
{
    rw_aot_inst *ai = ctx;
    rune_status st =
        rw_host_failure(&ai->pub->m->imports[k], (rune_status)status, &ai->scratch, &g_pending);
    g_pending.status = st;
    h_trap(RW_AOT_CODE_PENDING);
}

static void *h_import_ptr(void *ctx, uint32_t k)
{
    return ((rw_aot_inst *)ctx)->import_ptrs[k];
}

static uintptr_t h_funcref_handle(const void *funcref)
{
    const wasm_rt_funcref_t *fr = funcref;
    if (!fr->func) return RUNE_WASM_NULL_REF;
    rw_aot_lock();
    fr_node *n = g_frs;
    for (; n; n = n->next) {
        if (n->fr.func == fr->func && n->fr.module_instance == fr->module_instance &&
            n->fr.func_type == fr->func_type)
            break;
    }
    if (!n && (n = rune_malloc(sizeof *n)) != NULL) {
        n->fr = *fr;
        n->next = g_frs;
        g_frs = n;
    }
    rw_aot_unlock();
    if (!n) h_trap(RW_AOT_CODE_NOMEM);
    return (uintptr_t)n;
}

static void h_funcref_from(uintptr_t handle, void *out)
{
    wasm_rt_funcref_t *fr = out;
    fr->func_type = 0;
    fr->func = NULL;
    fr->module_instance = NULL;
    /* Only handles this runtime made are accepted; anything else is null. */
    rw_aot_lock();
    for (fr_node *n = g_frs; n; n = n->next) {
        if ((uintptr_t)n == handle) {
            *fr = n->fr;
            break;
        }
    }
    rw_aot_unlock();
}

const struct rw_aot_host rw_aot_host_api = {
    .trap = h_trap,
    .trap_in = h_trap_in,
    .trap_at = h_trap_at,
    .register_type = h_register_type,
    .mem_alloc = h_mem_alloc,
    .mem_grow = h_mem_grow,
    .mem_free = h_mem_free,
    .table_alloc = h_table_alloc,
    .table_grow = h_table_grow,
    .table_free = h_table_free,
    .call_import = h_call_import,
    .import_ptr = h_import_ptr,
    .import_failed = h_import_failed,
    .funcref_handle = h_funcref_handle,
    .funcref_from = h_funcref_from,
};

/* ---- boundary ---------------------------------------------------------------------------------
 */

/* The instance's fuel and call depth for a call starting now: inst->fuel, depth from `depth`.
 * Unlimited fuel (0) clears the metered flag: the generated code then skips its fuel ticks and
 * never reads the counter, which stays 0, so that what is left reads 0 without a test of the flag.
 * max_depth is the instance's own limit, set at instantiation; only a nested entry changes it (and
 * puts it back). */
static inline void state_in(struct rw_aot_state *s, uint64_t fuel, uint32_t depth)
{
    s->fuel = fuel > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)fuel;
    s->metered = fuel != 0;
    s->depth = depth;
}

/* What the call left of its fuel (0 when unmetered: see state_in). */
static inline void state_out(rune_wasm_instance *inst, const struct rw_aot_state *s)
{
    int64_t left = s->fuel;
    inst->fuel_left = left > 0 ? (uint64_t)left : 0;
}

/* The error of trap `code` in a call into ai, located (see rune/wasm.h). Once per trap: kept out
 * of the boundaries, which hold only what every call needs. */
__attribute__((noinline, cold)) static rune_status trap_status(rw_aot_inst *ai, int code,
                                                               rune_error *err)
{
    const struct rw_aot_module_info *info = ai->obj->info;
    rw_aot_lock();                  /* the object's DWARF, opened on the first trap that needs it */
    rune_error pending = g_pending; /* this thread's, set only when a host call failed */
    /* Where: the function from the trap's __func__ (fuel, bulk helpers) or from the line of its
     * site (TRAP, call_indirect: rw_fn_lines), else from the code address (guard-page faults);
     * the wasm code offset of that line from the object's rw_trap_sites (aot_sites.c). */
    long func = g_trap_func;
    uint32_t *trap_line = info->trap_line();
    uint32_t line = *trap_line;
    *trap_line = 0;
    int access = 0; /* line is the trap site's own */
    if (func < 0 && line && code != RW_AOT_CODE_PENDING) func = rw_aot_func_of_line(info, line);
    if (func < 0 && g_trap_pc && code != RW_AOT_CODE_PENDING) {
        func = rw_aot_func_at((rw_aot_object *)ai->obj, g_trap_pc, g_trap_pc_ret, &line);
        access = g_trap_pc_ret ? -1 : g_trap_access; /* a helper's return address: no offset */
    }
    long off = code == RW_AOT_CODE_PENDING ? -1 : rw_aot_offset_at(info, func, line, access);
    const void **where = info->trap_where();
    if (code == RUNE_WASM_TRAP_STACK_EXHAUSTED && where[0]) {
        /* in the callee's entry: named, like the interpreter does, by the call that entered it */
        long caller;
        long o = rw_aot_call_site((rw_aot_object *)ai->obj, func, where[0], where[1], &caller);
        if (o >= 0) {
            func = caller;
            off = o;
        }
    }
    where[0] = where[1] = NULL;
    rw_aot_unlock();
    if (code == RW_AOT_CODE_PENDING) {
        if (err) *err = pending;
        return pending.status;
    }
    if (code == RW_AOT_CODE_NOMEM)
        return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory allocating a memory or table");
    rune_wasm_trap k =
        code > 0 && code < RUNE_WASM_TRAP_COUNT ? (rune_wasm_trap)code : RUNE_WASM_TRAP_UNREACHABLE;
    rune_status st;
    if (func >= 0 && off >= 0)
        st = RUNE_ERR(err, k == RUNE_WASM_TRAP_FUEL ? RUNE_E_LIMIT : RUNE_E_TRAP,
                      "trap: %s (func %ld, offset 0x%lx)", rune_wasm_trap_text(k), func,
                      (unsigned long)off);
    else if (func >= 0)
        st = RUNE_ERR(err, k == RUNE_WASM_TRAP_FUEL ? RUNE_E_LIMIT : RUNE_E_TRAP,
                      "trap: %s (func %ld)", rune_wasm_trap_text(k), func);
    else
        st = RUNE_ERR(err, k == RUNE_WASM_TRAP_FUEL ? RUNE_E_LIMIT : RUNE_E_TRAP,
                      "trap: %s (func ?)", rune_wasm_trap_text(k));
    if (err) err->code = (int)k;
    return st;
}

/* Leaving rw_aot_guarded's boundary: the fuel left, and a nested entry's state put back. */
static inline void guarded_exit(rw_aot_inst *ai, rw_bound *prev, const struct rw_aot_state *saved,
                                uint32_t prev_limit)
{
    state_out(ai->pub, ai->state);
    if (prev) {
        *ai->state = *saved;
        g_limit_pages = prev_limit;
    }
    g_top = prev;
}

rune_status rw_aot_guarded(rw_aot_inst *ai, rw_aot_body fn, void *arg, rune_error *err)
{
    rune_wasm_instance *inst = ai->pub;
    struct rw_aot_state *s = ai->state;
    /* Only a nested entry (a host function calling generated code again) has state to put back
     * on the way out: the instance's counters and limits as the outer call left them. An outermost
     * entry sets them all and leaves them; the next entry sets them again. */
    rw_bound *prev = g_top;
    const struct rw_aot_state saved = *s;
    const uint32_t prev_limit = g_limit_pages;
    state_in(s, inst->fuel, prev && prev->depth ? *prev->depth : 0);
    s->max_depth =
        inst->lim.max_call_depth ? inst->lim.max_call_depth : RUNE_WASM_DEFAULT_CALL_DEPTH;
    g_limit_pages = inst->lim.max_memory_pages;
    rw_bound b;
    b.depth = &s->depth;
    g_top = &b;
    /* no local changes after the setjmp: nothing for the jump to clobber */
    if (RW_SETJMP(b.jb) == 0) {
        fn(ai, arg);
        guarded_exit(ai, prev, &saved, prev_limit);
        return RUNE_OK;
    }
    guarded_exit(ai, prev, &saved, prev_limit);
    return trap_status(ai, g_code, err);
}

typedef struct handle_call {
    const rw_aot_thunk *thunk;
    const rune_wasm_val *args;
    rune_wasm_val *results;
} handle_call;

static void body_handle(rw_aot_inst *ai, void *arg)
{
    const handle_call *c = arg;
    (*c->thunk)(ai->wasm, (const union rw_aot_val *)(const void *)c->args,
                (union rw_aot_val *)(void *)c->results);
}

/* A call while a boundary is active on this thread: through rw_aot_guarded, which saves and
 * restores the instance's counters and continues the outer call depth. */
__attribute__((noinline)) static rune_status call_nested(rw_aot_inst *ai, const void *handle,
                                                         const rune_wasm_val *args,
                                                         rune_wasm_val *results, rune_error *err)
{
    handle_call c = {handle, args, results};
    return rw_aot_guarded(ai, body_handle, &c, err);
}

/* The outermost call trapped: its boundary is gone; the fuel left and the error. */
__attribute__((noinline, cold)) static rune_status call_trapped(rw_aot_inst *ai, rune_error *err)
{
    g_top = NULL;
    state_out(ai->pub, ai->state);
    return trap_status(ai, g_code, err);
}

rune_status rw_aot_call_handle(rune_wasm_instance *inst, const void *handle,
                               const rune_wasm_val *args, rune_wasm_val *results, rune_error *err)
{
    rw_aot_inst *ai = inst->priv;
    if (g_top) return call_nested(ai, handle, args, results, err);
    /* The outermost entry on this thread: nothing to put back afterwards (the next entry sets the
     * counters again), the page limit is instantiation's only, max_depth stays the instance's. */
    struct rw_aot_state *s = ai->state;
    state_in(s, inst->fuel, 0);
    rw_bound b;
    b.depth = &s->depth;
    g_top = &b;
    if (RW_SETJMP(b.jb) != 0) return call_trapped(ai, err);
    (*(const rw_aot_thunk *)handle)(ai->wasm, (const union rw_aot_val *)(const void *)args,
                                    (union rw_aot_val *)(void *)results);
    g_top = NULL;
    state_out(inst, s);
    return RUNE_OK;
}

rune_status rw_aot_call_binding(rw_aot_inst *ai, uint32_t k, const rune_wasm_val *args,
                                rune_wasm_val *results, rune_error *err)
{
    const rw_binding *b = &ai->pub->bindings[k];
    if (b->host) {
        const rw_link_entry *e = b->host;
        rune_error local;
        rune_error *ep = err ? err : &local;
        rune_error_clear(ep);
        rune_status st = e->fn(ai->pub, e->user, args, results, ep);
        if (st == RUNE_OK) return st;
        return rw_host_failure(&ai->pub->m->imports[k], st, ep, ep);
    }
    if (b->inst) return b->inst->mod->eng->ops->call(b->inst, b->index, args, results, err);
    return RUNE_ERR(err, RUNE_E_INTERNAL, "aot: import %u is not bound", (unsigned)k);
}

/* ---- memories and tables for linker-defined imports -------------------------------------------
 */

void *rw_aot_mem_new(uint32_t min, uint32_t max, uint32_t limit_pages)
{
    wasm_rt_memory_t *m = rune_calloc(1, sizeof *m);
    if (!m) return NULL;
    if (mem_init(m, min, max, limit_pages) != 0) {
        rune_free(m);
        return NULL;
    }
    return m;
}

void rw_aot_mem_delete(void *mem)
{
    if (!mem) return;
    h_mem_free(mem);
    rune_free(mem);
}

void *rw_aot_table_new(uint32_t min, uint32_t max)
{
    wasm_rt_funcref_table_t *t = rune_calloc(1, sizeof *t);
    if (!t) return NULL;
    if (table_init(t, 0, min, max) != 0) {
        rune_free(t);
        return NULL;
    }
    return t;
}

void rw_aot_table_delete(void *table)
{
    if (!table) return;
    h_table_free(table, 0);
    rune_free(table);
}

rune_status rw_aot_run_init(const struct rw_aot_module_info *info, rune_error *err)
{
    rw_aot_lock();
    rw_bound *prev = g_top;
    rw_bound b;
    b.depth = prev ? prev->depth : NULL; /* a nested entry under this one continues the outer's */
    g_top = &b;
    int code = 0;
    if (RW_SETJMP(b.jb) == 0)
        info->init_module();
    else
        code = g_code;
    g_top = prev;
    rw_aot_unlock();
    if (code) return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory registering function types");
    return RUNE_OK;
}
