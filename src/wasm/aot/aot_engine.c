/*
 * aot_engine.c - rune_wasm_aot_ops: the AOT engine behind the one wasm API (include/rune/wasm.h).
 *
 * Module load: engine.c decodes and validates (the same code as for the interpreter, so both
 * engines refuse the same modules), then module_prepare compiles or finds the cached object
 * (aot_compile.c). Instantiate binds every non-function import to a pointer the generated code uses
 * directly (host globals: the linker's cell; host memories and tables: made here for this instance;
 * another AOT instance's export: a pointer into it), then runs wasm2c's instantiate (globals,
 * memories, tables, segments, start) inside a trap boundary. Function imports go through
 * rw_aot_call_binding.
 *
 * Limits as in the interpreter: memory max clamped to lim.max_memory_pages (a larger declared
 * minimum is RUNE_E_LIMIT); call depth through wasm-rt's depth counter with lim.max_call_depth;
 * fuel counts loop back-edges and function entries (see aot_instrument.c), so an endless loop stops
 * with RUNE_E_LIMIT / RUNE_WASM_TRAP_FUEL on both engines, but the AOT engine's fuel units are
 * coarser. With fuel unlimited (0) the generated code skips its fuel ticks: they sit behind a flag
 * the function reads once, so the C compiler unswitches loops into a version without them, which
 * it can vectorize (bench/wasm: matmul 0.33 -> 1.1-1.6 of native). Traps name the wasm function
 * ("trap: <kind> (func N)"); the code offset is not known (see aot_trap_loc.c).
 * Imports of memories, tables and globals from interpreter instances are refused
 * (RUNE_E_LINK): generated code needs their storage in wasm-rt's layout.
 *
 * The cache directory must belong to this user and be writable by no one else (else RUNE_E_DENIED):
 * the objects found there are loaded into the process.
 *
 * Workload: instantiate and call are cheap; module_prepare is a compile on a cache miss.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0
#define WASM_RT_USE_STACK_DEPTH_COUNT 1
#include <wasm-rt.h>

#include "rune/alloc.h"
#include "aot_int.h"

typedef struct aot_engine {
    char *cache_dir;
} aot_engine;

typedef struct aot_mod {
    rw_aot_object obj;
    uint32_t *import_of[4]; /* per extern kind: index in that index space -> import index */
} aot_mod;

const char *rw_aot_cache_dir(const rune_wasm_engine *eng)
{
    return ((const aot_engine *)eng->priv)->cache_dir;
}

static rune_status mkdirs(char *path, rune_error *err)
{
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            int rc = mkdir(path, 0755);
            int e = errno;
            *p = c;
            if (rc != 0 && e != EEXIST)
                return RUNE_ERR(err, RUNE_E_IO, "aot: cannot create cache dir %s: %s", path,
                                strerror(e));
            if (c == '\0') break;
        }
    }
    return RUNE_OK;
}

static rune_status aot_engine_init(rune_wasm_engine *eng, rune_error *err)
{
    aot_engine *ae = rune_calloc(1, sizeof *ae);
    if (!ae) return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
    rw_aot_buf b = {0};
    const char *e;
    if (eng->aot_cache_dir && *eng->aot_cache_dir)
        rw_aot_buf_printf(&b, "%s", eng->aot_cache_dir);
    else if ((e = getenv("RUNE_CACHE_DIR")) && *e)
        rw_aot_buf_printf(&b, "%s", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && *e)
        rw_aot_buf_printf(&b, "%s/rune/aot", e);
    else if ((e = getenv("HOME")) && *e)
        rw_aot_buf_printf(&b, "%s/.cache/rune/aot", e);
    else
        rw_aot_buf_printf(&b, "/tmp/rune-aot-%lu", (unsigned long)geteuid());
    if (b.oom) {
        rune_free(ae);
        return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
    }
    rune_status st = mkdirs(b.p, err);
    /* Objects in the cache are loaded into this process: the directory must be ours alone. */
    struct stat sb;
    if (st == RUNE_OK && stat(b.p, &sb) != 0)
        st = RUNE_ERR(err, RUNE_E_IO, "aot: cache dir %s: %s", b.p, strerror(errno));
    else if (st == RUNE_OK &&
             (sb.st_uid != geteuid() || (sb.st_mode & 022) || !S_ISDIR(sb.st_mode)))
        st = RUNE_ERR(err, RUNE_E_DENIED,
                      "aot: cache dir %s must be a directory owned by this user and writable "
                      "by no one else",
                      b.p);
    if (st == RUNE_OK) st = rw_aot_rt_acquire(err);
    if (st) {
        rw_aot_buf_free(&b);
        rune_free(ae);
        return st;
    }
    ae->cache_dir = b.p;
    eng->priv = ae;
    return RUNE_OK;
}

static void aot_engine_fini(rune_wasm_engine *eng)
{
    aot_engine *ae = eng->priv;
    if (!ae) return;
    rune_free(ae->cache_dir);
    rune_free(ae);
    eng->priv = NULL;
    rw_aot_rt_release();
}

static void aot_module_release(rune_wasm_module *mod)
{
    aot_mod *am = mod->priv;
    if (!am) return;
    rw_aot_unload(&am->obj);
    for (int k = 0; k < 4; k++)
        rune_free(am->import_of[k]);
    rune_free(am);
    mod->priv = NULL;
}

static rune_status aot_module_prepare(rune_wasm_module *mod, rune_error *err)
{
    const rw_module *m = mod->m;
    aot_mod *am = rune_calloc(1, sizeof *am);
    if (!am) return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
    mod->priv = am;
    uint32_t counts[4] = {m->n_imported_funcs, m->n_imported_tables, m->n_imported_mems,
                          m->n_imported_globals};
    uint32_t seen[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++) {
        am->import_of[k] = rune_calloc(counts[k] + 1, sizeof(uint32_t));
        if (!am->import_of[k]) {
            aot_module_release(mod);
            return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
        }
    }
    for (uint32_t i = 0; i < m->nimports; i++) {
        int k = (int)m->imports[i].kind;
        if (seen[k] < counts[k]) am->import_of[k][seen[k]++] = i;
    }
    rune_status st = rw_aot_load(mod->eng, m, &am->obj, err);
    if (st) aot_module_release(mod);
    return st;
}

/* Pointer to the storage of item `index` of kind in inst (wasm-rt layout). */
static void *extern_ptr(rune_wasm_instance *inst, rune_wasm_extern_kind kind, uint32_t index)
{
    rw_aot_inst *ai = inst->priv;
    const rw_module *m = inst->mod->m;
    const aot_mod *am = inst->mod->priv;
    const struct rw_aot_module_info *info = am->obj.info;
    uint32_t nimp = kind == RUNE_WASM_EXTERN_GLOBAL   ? m->n_imported_globals
                    : kind == RUNE_WASM_EXTERN_MEMORY ? m->n_imported_mems
                                                      : m->n_imported_tables;
    if (!ai) return NULL;
    if (index < nimp) return ai->import_ptrs[am->import_of[kind][index]];
    const rw_aot_ptr_fn *fns = kind == RUNE_WASM_EXTERN_GLOBAL   ? info->globals
                               : kind == RUNE_WASM_EXTERN_MEMORY ? info->mems
                                                                 : info->tables;
    return fns[index] ? fns[index](ai->wasm) : NULL;
}

static void free_inst(rw_aot_inst *ai, const rw_module *m, int instantiated)
{
    if (!ai) return;
    if (instantiated && ai->wasm) {
        rw_aot_lock();
        ai->obj->info->free_instance(ai->wasm);
        rw_aot_unlock();
    }
    if (ai->owned) {
        for (uint32_t k = 0; k < m->nimports; k++) {
            if (!ai->owned[k]) continue;
            if (m->imports[k].kind == RUNE_WASM_EXTERN_MEMORY)
                rw_aot_mem_delete(ai->owned[k]);
            else
                rw_aot_table_delete(ai->owned[k]);
        }
    }
    rune_free(ai->owned);
    rune_free(ai->direct);
    rune_free(ai->import_ptrs);
    rune_free(ai->wasm);
    rune_free(ai);
}

static void body_instantiate(rw_aot_inst *ai, void *arg)
{
    (void)arg;
    ai->obj->info->instantiate(ai->wasm, ai);
}

_Static_assert(sizeof(rune_wasm_val) == sizeof(union rw_aot_val), "direct calls share arrays");
_Static_assert(sizeof(rune_status) == sizeof(int), "direct calls return an int");
_Static_assert(sizeof(struct rw_aot_hc) == sizeof(rune_wasm_hostcall) &&
                   offsetof(struct rw_aot_hc, err) == offsetof(rune_wasm_hostcall, err) &&
                   offsetof(struct rw_aot_hc, status) == offsetof(rune_wasm_hostcall, status),
               "i32 host calls share rune_wasm_hostcall");

static rune_status bind_import(rune_wasm_instance *inst, rw_aot_inst *ai, uint32_t k,
                               rune_error *err)
{
    const rw_import *im = &inst->mod->m->imports[k];
    const rw_binding *b = &inst->bindings[k];
    uint32_t limit = inst->lim.max_memory_pages;
    if (im->kind == RUNE_WASM_EXTERN_FUNC) {
        /* A host function is called from the trampoline itself: rune_wasm_val and union
         * rw_aot_val have one layout, and rune_status is an int-sized enum. */
        if (b->host) {
            struct rw_aot_direct *d = &ai->direct[k];
            d->fn = (int (*)(void *, void *, const union rw_aot_val *, union rw_aot_val *,
                             void *))b->host->fn;
            d->inst = inst;
            d->user = b->host->user;
            if (b->host->i32) {
                /* the trampoline passes &d->hc as the rune_wasm_hostcall (layouts asserted) */
                d->fn32 = (uint32_t(*)(void *, uint32_t, uint32_t, uint32_t, uint32_t,
                                       uint32_t))b->host->i32->fn;
                d->hc.inst = inst;
                d->hc.user = b->host->i32->user;
                d->hc.err = &ai->scratch;
                d->hc.status = 0;
            }
        }
        return RUNE_OK;
    }
    if (b->host) {
        const rw_link_entry *e = b->host;
        switch (im->kind) {
        case RUNE_WASM_EXTERN_GLOBAL: ai->import_ptrs[k] = e->cell; break;
        case RUNE_WASM_EXTERN_MEMORY:
            if (e->min > limit)
                return RUNE_ERR(err, RUNE_E_LIMIT,
                                "%s.%s: memory of %u pages exceeds the limit of %u pages",
                                im->module, im->name, (unsigned)e->min, (unsigned)limit);
            ai->owned[k] = ai->import_ptrs[k] = rw_aot_mem_new(e->min, e->max, limit);
            break;
        case RUNE_WASM_EXTERN_TABLE:
            ai->owned[k] = ai->import_ptrs[k] = rw_aot_table_new(e->min, e->max);
            break;
        default: break;
        }
        if (!ai->import_ptrs[k])
            return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory binding %s.%s", im->module,
                            im->name);
        return RUNE_OK;
    }
    if (b->inst) {
        if (b->inst->mod->eng->ops != &rune_wasm_aot_ops)
            return RUNE_ERR(err, RUNE_E_LINK,
                            "%s.%s: the AOT engine imports memories, tables and globals only "
                            "from AOT instances",
                            im->module, im->name);
        ai->import_ptrs[k] = extern_ptr(b->inst, im->kind, b->index);
        if (ai->import_ptrs[k]) return RUNE_OK;
    }
    return RUNE_ERR(err, RUNE_E_LINK, "%s.%s: import not bound", im->module, im->name);
}

static rune_status aot_instantiate(rune_wasm_instance *inst, rune_error *err)
{
    const rw_module *m = inst->mod->m;
    const aot_mod *am = inst->mod->priv;
    uint32_t limit =
        inst->lim.max_memory_pages ? inst->lim.max_memory_pages : RUNE_WASM_DEFAULT_MAX_PAGES;
    inst->lim.max_memory_pages = limit;
    for (uint32_t i = m->n_imported_mems; i < m->nmems; i++) {
        if (m->mems[i].lim.min > limit)
            return RUNE_ERR(err, RUNE_E_LIMIT,
                            "memory %u needs %u pages, more than the limit of %u pages",
                            (unsigned)i, (unsigned)m->mems[i].lim.min, (unsigned)limit);
    }
    rw_aot_inst *ai = rune_calloc(1, sizeof *ai);
    if (!ai) return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
    ai->pub = inst;
    ai->obj = &am->obj;
    const struct rw_aot_module_info *info = am->obj.info;
    ai->wasm = rune_calloc(1, info->state_offset + sizeof(struct rw_aot_state));
    if (ai->wasm) {
        /* ready for a call that arrives without a boundary (a funcref called from another
         * instance's code): unmetered, the instance's depth limit */
        ai->state = (struct rw_aot_state *)(void *)((char *)ai->wasm + info->state_offset);
        ai->state->fuel = INT64_MAX;
        ai->state->max_depth =
            inst->lim.max_call_depth ? inst->lim.max_call_depth : RUNE_WASM_DEFAULT_CALL_DEPTH;
    }
    ai->import_ptrs = rune_calloc(m->nimports + 1, sizeof(void *));
    ai->owned = rune_calloc(m->nimports + 1, sizeof(void *));
    ai->direct = rune_calloc(m->nimports + 1, sizeof *ai->direct);
    ai->ctx.direct = ai->direct;
    ai->ctx.err = &ai->scratch;
    ai->ctx.err_msg = ai->scratch.msg;
    if (!ai->wasm || !ai->import_ptrs || !ai->owned || !ai->direct) {
        free_inst(ai, m, 0);
        return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
    }
    for (uint32_t k = 0; k < m->nimports; k++) {
        rune_status st = bind_import(inst, ai, k, err);
        if (st) {
            free_inst(ai, m, 0);
            return st;
        }
    }
    inst->priv = ai;
    if (m->nmems) {
        /* memory 0's wasm-rt struct is in place (own: inside ai->wasm; imported: the exporter's)
         * before body_instantiate allocates it: data stays NULL until then */
        wasm_rt_memory_t *mem = extern_ptr(inst, RUNE_WASM_EXTERN_MEMORY, 0);
        if (mem) {
            inst->mem_base = &mem->data;
            inst->mem_pages = &mem->pages;
        }
    }
    rune_status st = rw_aot_guarded(ai, body_instantiate, NULL, err);
    if (st) {
        free_inst(ai, m, 1);
        inst->priv = NULL;
        inst->mem_base = NULL;
        inst->mem_pages = NULL;
    }
    return st;
}

static void aot_instance_release(rune_wasm_instance *inst)
{
    inst->mem_base = NULL;
    inst->mem_pages = NULL;
    free_inst(inst->priv, inst->mod->m, 1);
    inst->priv = NULL;
}

static rune_status aot_call(rune_wasm_instance *inst, uint32_t func, const rune_wasm_val *args,
                            rune_wasm_val *results, rune_error *err)
{
    rw_aot_inst *ai = inst->priv;
    const aot_mod *am = inst->mod->priv;
    if (!ai) return RUNE_ERR(err, RUNE_E_ARG, "aot: instance is not instantiated");
    if (func < inst->mod->m->n_imported_funcs) {
        inst->fuel_left = inst->fuel;
        return rw_aot_call_binding(ai, am->import_of[RUNE_WASM_EXTERN_FUNC][func], args, results,
                                   err);
    }
    const rw_aot_thunk *thunk = &am->obj.info->funcs[func];
    if (!*thunk) return RUNE_ERR(err, RUNE_E_INTERNAL, "aot: function %u has no thunk", func);
    return rw_aot_call_handle(inst, thunk, args, results, err);
}

/* The handle rw_aot_call_handle takes: the slot of func's thunk in the object's table. */
static const void *aot_func_handle(rune_wasm_instance *inst, uint32_t func)
{
    const aot_mod *am = inst->mod->priv;
    if (!inst->priv || func < inst->m->n_imported_funcs || func >= am->obj.info->nfuncs)
        return NULL;
    const rw_aot_thunk *thunk = &am->obj.info->funcs[func];
    return *thunk ? thunk : NULL;
}

static rune_wasm_val aot_global_get(rune_wasm_instance *inst, uint32_t g)
{
    rune_wasm_val v;
    memset(&v, 0, sizeof v);
    void *p = extern_ptr(inst, RUNE_WASM_EXTERN_GLOBAL, g);
    if (!p) return v;
    switch (inst->mod->m->globals[g].type.type) {
    case RUNE_WASM_I32:
    case RUNE_WASM_F32: memcpy(&v.i32, p, 4); break;
    case RUNE_WASM_I64:
    case RUNE_WASM_F64: memcpy(&v.i64, p, 8); break;
    case RUNE_WASM_FUNCREF:
        rw_aot_lock();
        v.ref = rw_aot_host_api.funcref_handle(p);
        rw_aot_unlock();
        break;
    default: v.ref = (uintptr_t) * (void **)p; break;
    }
    return v;
}

static void aot_global_set(rune_wasm_instance *inst, uint32_t g, rune_wasm_val v)
{
    void *p = extern_ptr(inst, RUNE_WASM_EXTERN_GLOBAL, g);
    if (!p) return;
    switch (inst->mod->m->globals[g].type.type) {
    case RUNE_WASM_I32:
    case RUNE_WASM_F32: memcpy(p, &v.i32, 4); break;
    case RUNE_WASM_I64:
    case RUNE_WASM_F64: memcpy(p, &v.i64, 8); break;
    case RUNE_WASM_FUNCREF:
        rw_aot_lock();
        rw_aot_host_api.funcref_from(v.ref, p);
        rw_aot_unlock();
        break;
    default: *(void **)p = (void *)v.ref; break;
    }
}

static uint8_t *aot_memory_data(rune_wasm_instance *inst, uint32_t mem, uint64_t *size)
{
    wasm_rt_memory_t *m =
        mem < inst->mod->m->nmems ? extern_ptr(inst, RUNE_WASM_EXTERN_MEMORY, mem) : NULL;
    if (!m) {
        if (size) *size = 0;
        return NULL;
    }
    if (size) *size = m->size;
    return m->data;
}

static void aot_extern_limits(rune_wasm_instance *inst, rune_wasm_extern_kind kind, uint32_t index,
                              uint32_t *cur, uint32_t *max)
{
    const rw_module *m = inst->mod->m;
    const aot_mod *am = inst->mod->priv;
    *cur = 0;
    *max = UINT32_MAX;
    void *p = extern_ptr(inst, kind, index);
    if (kind == RUNE_WASM_EXTERN_MEMORY) {
        if (p) *cur = ((wasm_rt_memory_t *)p)->pages;
        if (index >= m->n_imported_mems) {
            *max = m->mems[index].lim.has_max ? m->mems[index].lim.max : UINT32_MAX;
            return;
        }
    } else if (kind == RUNE_WASM_EXTERN_TABLE) {
        if (p) *cur = ((wasm_rt_funcref_table_t *)p)->size;
        if (index >= m->n_imported_tables) {
            *max = m->tables[index].type.lim.has_max ? m->tables[index].type.lim.max : UINT32_MAX;
            return;
        }
    } else {
        return;
    }
    const rw_binding *b = &inst->bindings[am->import_of[kind][index]];
    if (b->host) {
        *max = b->host->max;
    } else if (b->inst) {
        uint32_t c2;
        b->inst->mod->eng->ops->extern_limits(b->inst, kind, b->index, &c2, max);
    }
}

const rune_wasm_engine_ops rune_wasm_aot_ops = {
    "aot",           aot_engine_init,      aot_engine_fini, aot_module_prepare, aot_module_release,
    aot_instantiate, aot_instance_release, aot_call,        aot_global_get,     aot_global_set,
    aot_memory_data, aot_extern_limits,    aot_func_handle, rw_aot_call_handle,
};
