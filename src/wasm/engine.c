/*
 * engine.c - the public API of rune/wasm.h over the engine vtable: engines, modules (decode +
 * validate, then the engine's prepare), import/export descriptions, instantiation (linking is
 * shared, link.c), calls, fuel, globals and memory accessors.
 *
 * Workload: the per-call path (rune_wasm_call_func) checks arity and dispatches, or only
 * dispatches for a function the caller prepared (rune_wasm_call_prepared); either goes straight to
 * the engine's handle on the function when rune_wasm_find_func got one on this instance (AOT: the
 * function's thunk), else by index. Everything else runs once per module or instance.
 */
#include <string.h>

#include "rune/alloc.h"
#include "rune/config.h"
#include "wasm_int.h"

/* Instance serial numbers (rune_wasm_func.found_on): unique in the process, never 0 (an unsigned
 * long: on a 32-bit target they repeat after 2^32 instances). */
#if !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
static atomic_ulong g_instance_serial;
#define SERIAL_NEXT() (atomic_fetch_add_explicit(&g_instance_serial, 1, memory_order_relaxed) + 1)
#else
static unsigned long g_instance_serial;
#define SERIAL_NEXT() (++g_instance_serial)
#endif

static uint64_t next_serial(void)
{
    unsigned long s = SERIAL_NEXT();
    return s ? s : SERIAL_NEXT();
}

const char *rune_wasm_engine_kind_name(rune_wasm_engine_kind kind)
{
    return kind == RUNE_WASM_AOT ? "aot" : kind == RUNE_WASM_INTERP ? "interp" : "unknown";
}

int rune_wasm_engine_kind_parse(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "interp") == 0) return RUNE_WASM_INTERP;
    if (strcmp(name, "aot") == 0) return RUNE_WASM_AOT;
    return -1;
}

static const rune_wasm_engine_ops *ops_for(rune_wasm_engine_kind kind)
{
    if (kind == RUNE_WASM_INTERP) return &rw_interp_ops;
#ifdef RUNE_HAVE_AOT
    if (kind == RUNE_WASM_AOT) return &rune_wasm_aot_ops;
#endif
    return NULL;
}

rune_status rune_wasm_engine_new(rune_wasm_engine_kind kind, const rune_wasm_engine_config *cfg,
                                 rune_wasm_engine **out, rune_error *err)
{
    if (!out) return RUNE_ERR(err, RUNE_E_ARG, "engine_new: NULL out");
    *out = NULL;
    const rune_wasm_engine_ops *ops = ops_for(kind);
    if (!ops)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "wasm engine \"%s\" is not built in",
                        rune_wasm_engine_kind_name(kind));
    rune_wasm_engine *e = rune_calloc(1, sizeof *e);
    if (!e) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory creating an engine");
    e->kind = kind;
    e->ops = ops;
    if (cfg) {
        if ((cfg->aot_cache_dir && !(e->aot_cache_dir = rune_strdup(cfg->aot_cache_dir))) ||
            (cfg->aot_cc && !(e->aot_cc = rune_strdup(cfg->aot_cc))) ||
            (cfg->aot_cflags && !(e->aot_cflags = rune_strdup(cfg->aot_cflags)))) {
            rune_wasm_engine_free(e);
            return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory creating an engine");
        }
    }
    if (ops->engine_init) {
        rune_status st = ops->engine_init(e, err);
        if (st != RUNE_OK) {
            e->ops = NULL; /* nothing to finalize */
            rune_wasm_engine_free(e);
            return st;
        }
    }
    *out = e;
    return RUNE_OK;
}

void rune_wasm_engine_free(rune_wasm_engine *eng)
{
    if (!eng) return;
    if (eng->ops && eng->ops->engine_fini) eng->ops->engine_fini(eng);
    rune_free(eng->aot_cache_dir);
    rune_free(eng->aot_cc);
    rune_free(eng->aot_cflags);
    rune_free(eng);
}

rune_wasm_engine_kind rune_wasm_engine_kind_of(const rune_wasm_engine *eng)
{
    return eng->kind;
}

rune_status rune_wasm_module_load(rune_wasm_engine *eng, const uint8_t *bytes, size_t len,
                                  rune_wasm_module **out, rune_error *err)
{
    if (!eng || !out || (!bytes && len))
        return RUNE_ERR(err, RUNE_E_ARG, "module_load: NULL argument");
    *out = NULL;
    rw_module *m = NULL;
    rune_status st = rw_decode(bytes ? bytes : (const uint8_t *)"", len, &m, err);
    if (st != RUNE_OK) return st;
    /* The interpreter validates while it compiles; other engines validate here first. */
    if (eng->ops != &rw_interp_ops && (st = rw_validate(m, err)) != RUNE_OK) {
        rw_module_free(m);
        return st;
    }
    rune_wasm_module *mod = rune_calloc(1, sizeof *mod);
    if (!mod) {
        rw_module_free(m);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory loading a module");
    }
    mod->eng = eng;
    mod->m = m;
    st = eng->ops->module_prepare(mod, err);
    if (st != RUNE_OK) {
        rw_module_free(m);
        rune_free(mod);
        return st;
    }
    *out = mod;
    return RUNE_OK;
}

void rune_wasm_module_free(rune_wasm_module *mod)
{
    if (!mod) return;
    mod->eng->ops->module_release(mod);
    rw_module_free(mod->m);
    rune_free(mod);
}

size_t rune_wasm_module_import_count(const rune_wasm_module *mod)
{
    return mod->m->nimports;
}
size_t rune_wasm_module_export_count(const rune_wasm_module *mod)
{
    return mod->m->nexports;
}

static void describe(const rw_module *m, rune_wasm_extern_kind kind, uint32_t index,
                     rune_wasm_extern_desc *out)
{
    out->kind = kind;
    out->sig[0] = '\0';
    out->mutable_ = 0;
    out->min = out->max = 0;
    switch (kind) {
    case RUNE_WASM_EXTERN_FUNC:
        if (rw_functype_sig(rw_func_type(m, index), out->sig, sizeof out->sig, NULL) != RUNE_OK)
            strcpy(out->sig, "?");
        break;
    case RUNE_WASM_EXTERN_TABLE:
        out->sig[0] = rw_valtype_letter(m->tables[index].type.elem);
        out->sig[1] = '\0';
        out->min = m->tables[index].type.lim.min;
        out->max = m->tables[index].type.lim.has_max ? m->tables[index].type.lim.max : UINT32_MAX;
        break;
    case RUNE_WASM_EXTERN_MEMORY:
        out->min = m->mems[index].lim.min;
        out->max = m->mems[index].lim.has_max ? m->mems[index].lim.max : UINT32_MAX;
        break;
    case RUNE_WASM_EXTERN_GLOBAL:
        out->sig[0] = rw_valtype_letter(m->globals[index].type.type);
        out->sig[1] = '\0';
        out->mutable_ = m->globals[index].type.mut;
        break;
    }
}

rune_status rune_wasm_module_import(const rune_wasm_module *mod, size_t i,
                                    rune_wasm_extern_desc *out)
{
    const rw_module *m = mod->m;
    if (i >= m->nimports || !out) return RUNE_ERR(NULL, RUNE_E_ARG, "import index out of range");
    const rw_import *im = &m->imports[i];
    /* The index of this import within its kind's index space. */
    uint32_t idx = 0;
    for (size_t k = 0; k < i; k++)
        idx += m->imports[k].kind == im->kind;
    describe(m, im->kind, idx, out);
    out->module = im->module;
    out->name = im->name;
    return RUNE_OK;
}

rune_status rune_wasm_module_export(const rune_wasm_module *mod, size_t i,
                                    rune_wasm_extern_desc *out)
{
    const rw_module *m = mod->m;
    if (i >= m->nexports || !out) return RUNE_ERR(NULL, RUNE_E_ARG, "export index out of range");
    describe(m, m->exports[i].kind, m->exports[i].index, out);
    out->module = NULL;
    out->name = m->exports[i].name;
    return RUNE_OK;
}

rune_status rune_wasm_instantiate(rune_wasm_module *mod, const rune_wasm_linker *l,
                                  const rune_wasm_limits *lim, rune_wasm_instance **out,
                                  rune_error *err)
{
    if (!mod || !out) return RUNE_ERR(err, RUNE_E_ARG, "instantiate: NULL argument");
    *out = NULL;
    rune_wasm_instance *inst = rune_calloc(1, sizeof *inst);
    if (!inst) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory creating an instance");
    inst->mod = mod;
    inst->m = mod->m;
    inst->ops = mod->eng->ops;
    inst->serial = next_serial();
    if (lim) inst->lim = *lim;
    if (!inst->lim.max_memory_pages) inst->lim.max_memory_pages = RUNE_WASM_DEFAULT_MAX_PAGES;
    if (!inst->lim.stack_slots) inst->lim.stack_slots = RUNE_WASM_DEFAULT_STACK_SLOTS;
    if (!inst->lim.max_call_depth) inst->lim.max_call_depth = RUNE_WASM_DEFAULT_CALL_DEPTH;
    inst->fuel = inst->lim.fuel;
    inst->fuel_left = inst->fuel;
    inst->bindings = rune_calloc(mod->m->nimports + 1, sizeof *inst->bindings);
    if (!inst->bindings) {
        rune_free(inst);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory creating an instance");
    }
    rune_status st = rw_link_resolve(mod->m, l, inst->bindings, err);
    for (uint32_t i = 0; st == RUNE_OK && i < mod->m->nimports; i++)
        if (inst->bindings[i].inst && inst->bindings[i].inst->mod->eng->ops != mod->eng->ops)
            st = RUNE_ERR(err, RUNE_E_LINK, "import %s.%s comes from an instance of another engine",
                          mod->m->imports[i].module, mod->m->imports[i].name);
    if (st == RUNE_OK) st = mod->eng->ops->instantiate(inst, err);
    if (st != RUNE_OK) {
        rune_free(inst->bindings);
        rune_free(inst);
        return st;
    }
    *out = inst;
    return RUNE_OK;
}

void rune_wasm_instance_free(rune_wasm_instance *inst)
{
    if (!inst) return;
    inst->mod->eng->ops->instance_release(inst);
    rune_free(inst->bindings);
    rune_free(inst);
}

void rune_wasm_instance_set_user(rune_wasm_instance *inst, void *user)
{
    inst->user = user;
}
void *rune_wasm_instance_user(const rune_wasm_instance *inst)
{
    return inst->user;
}

static const rw_export *find_export(const rw_module *m, const char *name, rune_wasm_extern_kind k)
{
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == k && strcmp(m->exports[i].name, name) == 0) return &m->exports[i];
    return NULL;
}

rune_status rune_wasm_find_func(rune_wasm_instance *inst, const char *name, rune_wasm_func *out,
                                rune_error *err)
{
    if (!inst || !name || !out) return RUNE_ERR(err, RUNE_E_ARG, "find_func: NULL argument");
    const rw_export *e = find_export(inst->mod->m, name, RUNE_WASM_EXTERN_FUNC);
    if (!e) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "no exported function \"%s\"", name);
    out->index = e->index;
    out->found_on = 0;
    out->handle = inst->ops->func_handle ? inst->ops->func_handle(inst, e->index) : NULL;
    if (out->handle) out->found_on = inst->serial;
    return rw_functype_sig(rw_func_type(inst->mod->m, e->index), out->sig, sizeof out->sig, err);
}

rune_status rune_wasm_call_func(rune_wasm_instance *inst, const rune_wasm_func *fn,
                                const rune_wasm_val *args, size_t nargs, rune_wasm_val *results,
                                size_t nresults, rune_error *err)
{
    if (!inst || !fn) return RUNE_ERR(err, RUNE_E_ARG, "call_func: NULL argument");
    const rw_module *m = inst->m;
    if (fn->index >= m->nfuncs) return RUNE_ERR(err, RUNE_E_ARG, "call_func: bad function index");
    const rw_functype *ft = rw_func_type(m, fn->index);
    if (nargs != ft->nparams || nresults != ft->nresults || (nargs && !args) ||
        (nresults && !results))
        return RUNE_ERR(err, RUNE_E_ARG,
                        "call of func %u: it takes %u arguments and returns %u results, got %zu "
                        "and %zu",
                        (unsigned)fn->index, (unsigned)ft->nparams, (unsigned)ft->nresults, nargs,
                        nresults);
    if (fn->found_on == inst->serial)
        return inst->ops->call_handle(inst, fn->handle, args, results, err);
    return inst->ops->call(inst, fn->index, args, results, err);
}

rune_status rune_wasm_call(rune_wasm_instance *inst, const char *name, const rune_wasm_val *args,
                           size_t nargs, rune_wasm_val *results, size_t nresults, rune_error *err)
{
    rune_wasm_func fn;
    rune_status st = rune_wasm_find_func(inst, name, &fn, err);
    if (st != RUNE_OK) return st;
    return rune_wasm_call_func(inst, &fn, args, nargs, results, nresults, err);
}

/* Out of line, so the per-call path below keeps its arguments where they came in. */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static rune_status
bad_func_index(rune_error *err)
{
    return RUNE_ERR(err, RUNE_E_ARG, "call_func: bad function index");
}

rune_status rune_wasm_call_prepared(rune_wasm_instance *inst, const rune_wasm_func *fn,
                                    const rune_wasm_val *args, rune_wasm_val *results,
                                    rune_error *err)
{
    if (fn->found_on == inst->serial)
        return inst->ops->call_handle(inst, fn->handle, args, results, err);
    if (fn->index >= inst->m->nfuncs) return bad_func_index(err);
    return inst->ops->call(inst, fn->index, args, results, err);
}

void rune_wasm_set_fuel(rune_wasm_instance *inst, uint64_t fuel)
{
    inst->fuel = fuel;
    inst->fuel_left = fuel;
}

uint64_t rune_wasm_fuel_left(const rune_wasm_instance *inst)
{
    return inst->fuel_left;
}

rune_status rune_wasm_global_get(rune_wasm_instance *inst, const char *name, rune_wasm_val *out,
                                 char *type_out, rune_error *err)
{
    if (!inst || !name) return RUNE_ERR(err, RUNE_E_ARG, "global_get: NULL argument");
    const rw_export *e = find_export(inst->mod->m, name, RUNE_WASM_EXTERN_GLOBAL);
    if (!e) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "no exported global \"%s\"", name);
    if (out) *out = inst->mod->eng->ops->global_get(inst, e->index);
    if (type_out) *type_out = rw_valtype_letter(inst->mod->m->globals[e->index].type.type);
    return RUNE_OK;
}

rune_status rune_wasm_global_set(rune_wasm_instance *inst, const char *name, rune_wasm_val v,
                                 rune_error *err)
{
    if (!inst || !name) return RUNE_ERR(err, RUNE_E_ARG, "global_set: NULL argument");
    const rw_export *e = find_export(inst->mod->m, name, RUNE_WASM_EXTERN_GLOBAL);
    if (!e) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "no exported global \"%s\"", name);
    if (!inst->mod->m->globals[e->index].type.mut)
        return RUNE_ERR(err, RUNE_E_ARG, "global \"%s\" is immutable", name);
    inst->mod->eng->ops->global_set(inst, e->index, v);
    return RUNE_OK;
}

uint64_t rune_wasm_memory_size(const rune_wasm_instance *inst)
{
    uint64_t size = 0;
    if (!inst || inst->m->nmems == 0) return 0;
    inst->ops->memory_data((rune_wasm_instance *)inst, 0, &size);
    return size;
}

/* rune_wasm_memory_ptr without a live view (no memory 0, or during instantiation on an engine
 * that has not set one yet): through the engine's vtable. Kept out of line so the fast path below
 * needs no stack frame. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint8_t *
memory_ptr_slow(rune_wasm_instance *inst, uint64_t addr, uint64_t len)
{
    uint64_t size = 0;
    if (!inst || inst->m->nmems == 0) return NULL;
    uint8_t *base = inst->ops->memory_data(inst, 0, &size);
    if (!base || addr > size || len > size - addr) return NULL;
    return base + addr;
}

uint8_t *rune_wasm_memory_ptr(rune_wasm_instance *inst, uint64_t addr, uint64_t len)
{
    if (!inst || !inst->mem_pages) return memory_ptr_slow(inst, addr, len);
    /* the per-host-call path: two loads from the engine's live memory fields */
    uint8_t *b = *inst->mem_base;
    uint64_t sz = (uint64_t)*inst->mem_pages << 16;
    if (!b || addr > sz || len > sz - addr) return NULL;
    return b + addr;
}

uint8_t *rune_wasm_memory_view(rune_wasm_instance *inst, uint64_t *size)
{
    if (inst && inst->mem_pages) {
        *size = (uint64_t)*inst->mem_pages << 16;
        return *inst->mem_base;
    }
    *size = 0;
    if (!inst || inst->m->nmems == 0) return NULL;
    uint8_t *base = inst->ops->memory_data(inst, 0, size);
    if (!base) *size = 0;
    return base;
}

rune_status rune_wasm_memory_ref(rune_wasm_instance *inst, rune_wasm_memref *out, rune_error *err)
{
    if (!out) return RUNE_ERR(err, RUNE_E_ARG, "memory_ref: NULL argument");
    out->base = NULL;
    out->pages = NULL;
    if (!inst || !inst->mem_base || !inst->mem_pages)
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "the instance has no live memory 0");
    out->base = inst->mem_base;
    out->pages = inst->mem_pages;
    return RUNE_OK;
}

rune_status rune_wasm_memory_read(rune_wasm_instance *inst, uint64_t addr, void *dst, size_t len,
                                  rune_error *err)
{
    uint8_t *p = rune_wasm_memory_ptr(inst, addr, len);
    if (!p)
        return RUNE_ERR(err, RUNE_E_ARG, "memory read [0x%llx, +%zu) out of bounds (size %llu)",
                        (unsigned long long)addr, len,
                        (unsigned long long)rune_wasm_memory_size(inst));
    if (len) memcpy(dst, p, len);
    return RUNE_OK;
}

rune_status rune_wasm_memory_write(rune_wasm_instance *inst, uint64_t addr, const void *src,
                                   size_t len, rune_error *err)
{
    uint8_t *p = rune_wasm_memory_ptr(inst, addr, len);
    if (!p)
        return RUNE_ERR(err, RUNE_E_ARG, "memory write [0x%llx, +%zu) out of bounds (size %llu)",
                        (unsigned long long)addr, len,
                        (unsigned long long)rune_wasm_memory_size(inst));
    if (len) memcpy(p, src, len);
    return RUNE_OK;
}
