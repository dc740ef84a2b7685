/*
 * interp.c - the interpreter engine's vtable: compiling modules, building instances (memories,
 * tables, globals, function references, stacks, segments, start) and calls from the public API.
 *
 * Everything an instance will ever need is allocated here, once: linear memory is reserved up to
 * its effective maximum (declared max capped by the instance limit), tables up to theirs, and the
 * value and call stacks by the limits. After instantiation nothing is allocated (the
 * microcontroller rule).
 *
 * Workload: a few instances per process, each called many times.
 */
#include <string.h>

#include "rune/alloc.h"
#include "interp_int.h"

static rune_status module_prepare(rune_wasm_module *mod, rune_error *err)
{
    rw_code *code = NULL;
    rune_status st = rw_compile(mod->m, &code, err);
    if (st != RUNE_OK) return st;
    mod->priv = code;
    return RUNE_OK;
}

static void module_release(rune_wasm_module *mod)
{
    rw_code_free(mod->priv);
    mod->priv = NULL;
}

static void instance_release(rune_wasm_instance *inst)
{
    rw_istate *st = inst->priv;
    inst->mem_base = NULL;
    inst->mem_pages = NULL;
    if (!st) return;
    rune_free(st->own_mem.data);
    if (st->own_tables) {
        for (uint32_t i = 0; i < inst->mod->m->ntables; i++)
            rune_free(st->own_tables[i].elems);
    }
    rune_free(st->own_tables);
    rune_free(st->tables);
    rune_free(st->own_globals);
    rune_free(st->globals);
    rune_free(st->funcrefs);
    rune_free(st->funcref_of);
    rune_free(st->elem_dropped);
    rune_free(st->data_dropped);
    rune_free(st->import_of_func);
    rune_free(st->hostcalls);
    rune_free(st->stack);
    rune_free(st->frames);
    rune_free(st);
    inst->priv = NULL;
}

static rune_status make_memory(rw_meminst *mm, uint32_t min, uint32_t max, uint32_t limit,
                               rune_error *err)
{
    if (min > limit)
        return RUNE_ERR(err, RUNE_E_LIMIT, "memory needs %u pages, the limit is %u", (unsigned)min,
                        (unsigned)limit);
    uint32_t reserve = max < limit ? max : limit;
    /* Reserved but not zeroed past the initial pages: untouched pages of a large allocation cost
     * no RAM on a host with virtual memory; memory.grow zeroes the pages it adds. */
    mm->data = rune_malloc_array(reserve ? reserve : 1, 65536);
    if (!mm->data)
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory reserving %u pages of linear memory",
                        (unsigned)reserve);
    if (min) memset(mm->data, 0, (size_t)min * 65536u);
    mm->pages = min;
    mm->size = (uint64_t)min * 65536u;
    mm->max_pages = reserve;
    mm->decl_max = max;
    return RUNE_OK;
}

static rune_status make_table(rw_tableinst *t, uint8_t type, uint32_t min, uint32_t max,
                              rune_error *err)
{
    uint32_t reserve = min > RW_DEFAULT_TABLE_RESERVE ? min : RW_DEFAULT_TABLE_RESERVE;
    if (max < reserve) reserve = max;
    if (min > (1u << 20))
        return RUNE_ERR(err, RUNE_E_LIMIT, "table of %u elements is too large", (unsigned)min);
    t->elems = rune_calloc(reserve ? reserve : 1, sizeof *t->elems);
    if (!t->elems) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory reserving a table");
    t->size = min;
    t->max = reserve;
    t->decl_max = max;
    t->type = type;
    return RUNE_OK;
}

static rune_wasm_val eval_const(const rw_istate *st, const rw_const *c)
{
    rune_wasm_val v;
    v.i64 = 0;
    switch (c->op) {
    case RW_CONST_GLOBAL_GET: return *st->globals[c->index];
    case RW_CONST_REF_FUNC: v.ref = (uintptr_t)st->funcref_of[c->index]; return v;
    case RW_CONST_REF_NULL: return v;
    default: return c->v;
    }
}

/* An active segment that does not fit: a trap during instantiation, named by segment. */
static rune_status segment_trap(rune_error *err, rune_wasm_trap trap, const char *kind, uint32_t i)
{
    RUNE_ERR(err, RUNE_E_TRAP, "trap: %s (%s segment %u)", rune_wasm_trap_text(trap), kind,
             (unsigned)i);
    if (err) err->code = (int)trap;
    return RUNE_E_TRAP;
}

#define ALLOC(ptr, n)                                                                              \
    do {                                                                                           \
        (ptr) = rune_calloc((size_t)(n) + 1, sizeof *(ptr));                                       \
        if (!(ptr)) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory instantiating");             \
    } while (0)

static rune_status build(rune_wasm_instance *inst, rw_istate *st, rune_error *err)
{
    const rw_module *m = inst->mod->m;
    rune_status s;
    st->code = inst->mod->priv;

    /* Functions and their references. */
    ALLOC(st->funcrefs, m->nfuncs);
    ALLOC(st->funcref_of, m->nfuncs);
    ALLOC(st->import_of_func, m->nfuncs);
    for (uint32_t i = 0, f = 0; i < m->nimports; i++)
        if (m->imports[i].kind == RUNE_WASM_EXTERN_FUNC) st->import_of_func[f++] = i;
    ALLOC(st->hostcalls, m->n_imported_funcs);
    for (uint32_t i = 0; i < m->n_imported_funcs; i++) {
        const rw_binding *b = &inst->bindings[st->import_of_func[i]];
        const rw_functype *ft = rw_func_type(m, i);
        rw_hostcall *h = &st->hostcalls[i];
        if (b->inst) {
            h->other = b->inst;
            h->index = b->index;
        } else {
            h->fn = b->host->fn;
            h->user = b->host->user;
            h->i32 = b->host->i32;
        }
        h->nparams = ft->nparams;
        for (uint32_t k = 0; k < ft->nparams && k < 64; k++) {
            uint8_t t = RW_PARAMS(ft)[k];
            if (t == RUNE_WASM_I32 || t == RUNE_WASM_F32) h->narrow |= (uint64_t)1 << k;
        }
    }
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        st->funcrefs[i] = (rw_funcref){inst, i, rw_func_type(m, i)};
        st->funcref_of[i] = &st->funcrefs[i];
        if (m->funcs[i].imported) {
            const rw_binding *b = &inst->bindings[st->import_of_func[i]];
            if (b->inst) st->funcref_of[i] = ((rw_istate *)b->inst->priv)->funcref_of[b->index];
        }
    }

    /* Memory. */
    uint32_t limit = inst->lim.max_memory_pages;
    for (uint32_t i = 0, imp = 0; i < m->nimports; i++) {
        const rw_import *im = &m->imports[i];
        const rw_binding *b = &inst->bindings[i];
        if (im->kind == RUNE_WASM_EXTERN_MEMORY) {
            if (b->inst) {
                st->mem = ((rw_istate *)b->inst->priv)->mem;
            } else {
                s = make_memory(&st->own_mem, b->host->min, b->host->max, limit, err);
                if (s) return s;
                st->mem = &st->own_mem;
            }
            imp++;
        }
    }
    if (m->nmems > m->n_imported_mems) {
        const rw_limits *l = &m->mems[m->n_imported_mems].lim;
        s = make_memory(&st->own_mem, l->min, l->has_max ? l->max : UINT32_MAX, limit, err);
        if (s) return s;
        st->mem = &st->own_mem;
    }
    if (st->mem) {
        inst->mem_base = &st->mem->data;
        inst->mem_pages = &st->mem->pages;
    }

    /* Tables. */
    ALLOC(st->tables, m->ntables);
    ALLOC(st->own_tables, m->ntables);
    for (uint32_t i = 0, t = 0; i < m->nimports; i++) {
        const rw_binding *b = &inst->bindings[i];
        if (m->imports[i].kind != RUNE_WASM_EXTERN_TABLE) continue;
        if (b->inst) {
            st->tables[t] = ((rw_istate *)b->inst->priv)->tables[b->index];
        } else {
            s = make_table(&st->own_tables[t], RUNE_WASM_FUNCREF, b->host->min, b->host->max, err);
            if (s) return s;
            st->tables[t] = &st->own_tables[t];
        }
        t++;
    }
    for (uint32_t t = m->n_imported_tables; t < m->ntables; t++) {
        const rw_tabletype *tt = &m->tables[t].type;
        s = make_table(&st->own_tables[t], tt->elem, tt->lim.min,
                       tt->lim.has_max ? tt->lim.max : UINT32_MAX, err);
        if (s) return s;
        st->tables[t] = &st->own_tables[t];
    }

    /* Globals. */
    ALLOC(st->globals, m->nglobals);
    ALLOC(st->own_globals, m->nglobals);
    for (uint32_t i = 0, g = 0; i < m->nimports; i++) {
        const rw_binding *b = &inst->bindings[i];
        if (m->imports[i].kind != RUNE_WASM_EXTERN_GLOBAL) continue;
        st->globals[g++] =
            b->inst ? ((rw_istate *)b->inst->priv)->globals[b->index] : b->host->cell;
    }
    for (uint32_t g = m->n_imported_globals; g < m->nglobals; g++) {
        st->own_globals[g] = eval_const(st, &m->globals[g].init);
        st->globals[g] = &st->own_globals[g];
    }

    /* Stacks. */
    /* The value stack needs no zeroing: frames zero their locals on entry and every other slot is
     * written before it is read. */
    st->stack = rune_malloc_array((size_t)inst->lim.stack_slots + 1, sizeof *st->stack);
    if (!st->stack) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory instantiating");
    st->stack_end = st->stack + inst->lim.stack_slots;
    st->sp_free = st->stack;
    st->max_depth = inst->lim.max_call_depth + 1;
    ALLOC(st->frames, st->max_depth);
    ALLOC(st->elem_dropped, m->nelems);
    ALLOC(st->data_dropped, m->ndatas);

    /* Segments, in order (a trap leaves earlier writes in imported tables and memories). */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const rw_elem *e = &m->elems[i];
        if (e->mode == RW_SEG_ACTIVE) {
            rw_tableinst *t = st->tables[e->table];
            uint64_t off = eval_const(st, &e->offset).i32;
            if (off + e->n > t->size)
                return segment_trap(err, RUNE_WASM_TRAP_TABLE_OOB, "element", i);
            for (uint32_t k = 0; k < e->n; k++)
                t->elems[off + k] = eval_const(st, &e->items[k]).ref;
        }
        if (e->mode != RW_SEG_PASSIVE) st->elem_dropped[i] = 1;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const rw_data *d = &m->datas[i];
        if (d->mode != RW_SEG_ACTIVE) continue;
        uint64_t off = eval_const(st, &d->offset).i32;
        if (!st->mem || off + d->len > st->mem->size)
            return segment_trap(err, RUNE_WASM_TRAP_MEMORY_OOB, "data", i);
        if (d->len) memcpy(st->mem->data + off, m->bytes + d->offset_in_bytes, d->len);
        st->data_dropped[i] = 1;
    }
    return RUNE_OK;
}

static rune_status instantiate(rune_wasm_instance *inst, rune_error *err)
{
    rw_istate *st = rune_calloc(1, sizeof *st);
    if (!st) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory instantiating");
    inst->priv = st;
    rune_status s = build(inst, st, err);
    if (s == RUNE_OK && inst->mod->m->has_start) {
        st->fuel = inst->fuel ? inst->fuel : UINT64_MAX;
        s = rw_interp_invoke(inst, inst->mod->m->start, NULL, NULL, err);
        if (s != RUNE_OK) rune_error_prefix(err, "start function");
    }
    if (s != RUNE_OK) instance_release(inst);
    return s;
}

/* Results out of the value stack: i32/f32 with their upper half zeroed (narrow: bit i), others
 * whole. */
static inline void copy_results(rune_wasm_val *results, const rune_wasm_val *base, uint32_t n,
                                uint64_t narrow)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i < 64 && (narrow >> i & 1)) {
            uint32_t v = base[i].i32;
            results[i].i64 = 0;
            results[i].i32 = v;
        } else {
            results[i] = base[i];
        }
    }
}

/* An imported function called from the API (or through a re-export): the host call path. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static rune_status
invoke_import(rune_wasm_instance *inst, uint32_t func, const rune_wasm_val *args,
              rune_wasm_val *results, rune_error *err)
{
    rw_istate *st = inst->priv;
    const rw_functype *ft = rw_func_type(inst->m, func);
    uint32_t n = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
    rune_wasm_val *base = st->sp_free;
    if ((size_t)(st->stack_end - base) < (size_t)n + 1 || st->depth + 2 > st->max_depth)
        return rw_trap(err, RUNE_WASM_TRAP_STACK_EXHAUSTED, func, 0);
    for (uint32_t i = 0; i < ft->nparams; i++)
        base[i] = args[i];
    st->sp_free = base + n;
    rune_status s = rw_interp_call_import(inst, func, base, err);
    st->sp_free = base;
    if (s != RUNE_OK) return s;
    uint64_t narrow = 0;
    for (uint32_t i = 0; i < ft->nresults && i < 64; i++) {
        uint8_t t = RW_RESULTS(ft)[i];
        if (t == RUNE_WASM_I32 || t == RUNE_WASM_F32) narrow |= (uint64_t)1 << i;
    }
    copy_results(results, base, ft->nresults, narrow);
    return RUNE_OK;
}

rune_status rw_interp_invoke(rune_wasm_instance *inst, uint32_t func, const rune_wasm_val *args,
                             rune_wasm_val *results, rune_error *err)
{
    rw_istate *st = inst->priv;
    if (inst->m->funcs[func].imported) return invoke_import(inst, func, args, results, err);
    /* the common case, from rune_wasm_call_func: everything it needs is in the rw_cfunc */
    const rw_cfunc *cf = &st->code->funcs[func];
    rune_wasm_val *base = st->sp_free;
    uint32_t n = cf->nparams > cf->nresults ? cf->nparams : cf->nresults;
    if ((size_t)(st->stack_end - base) < (size_t)n + 1 || st->depth + 2 > st->max_depth)
        return rw_trap(err, RUNE_WASM_TRAP_STACK_EXHAUSTED, func, 0);
    for (uint32_t i = 0; i < cf->nparams; i++)
        base[i] = args[i];
    rune_status s = rw_interp_run(inst, func, err);
    if (s != RUNE_OK) return s;
    copy_results(results, base, cf->nresults, cf->narrow_results);
    return RUNE_OK;
}

static rune_status call(rune_wasm_instance *inst, uint32_t func, const rune_wasm_val *args,
                        rune_wasm_val *results, rune_error *err)
{
    rw_istate *st = inst->priv;
    int top = st->depth == 0;
    uint64_t saved = st->fuel;
    if (top) st->fuel = inst->fuel ? inst->fuel : UINT64_MAX;
    rune_status s = rw_interp_invoke(inst, func, args, results, err);
    if (top) {
        inst->fuel_left = inst->fuel ? st->fuel : 0;
        st->fuel = saved;
    }
    return s;
}

static rune_wasm_val global_get(rune_wasm_instance *inst, uint32_t g)
{
    rw_istate *st = inst->priv;
    return *st->globals[g];
}

static void global_set(rune_wasm_instance *inst, uint32_t g, rune_wasm_val v)
{
    rw_istate *st = inst->priv;
    uint8_t t = inst->mod->m->globals[g].type.type;
    rune_wasm_val *cell = st->globals[g];
    if (t == RUNE_WASM_I32 || t == RUNE_WASM_F32) {
        cell->i64 = 0;
        cell->i32 = v.i32;
    } else {
        *cell = v;
    }
}

static uint8_t *memory_data(rune_wasm_instance *inst, uint32_t mem, uint64_t *size)
{
    rw_istate *st = inst->priv;
    (void)mem;
    if (!st->mem) {
        *size = 0;
        return NULL;
    }
    *size = st->mem->size;
    return st->mem->data;
}

static void extern_limits(rune_wasm_instance *inst, rune_wasm_extern_kind kind, uint32_t index,
                          uint32_t *cur, uint32_t *max)
{
    rw_istate *st = inst->priv;
    if (kind == RUNE_WASM_EXTERN_MEMORY && st->mem) {
        *cur = st->mem->pages;
        *max = st->mem->decl_max;
    } else if (kind == RUNE_WASM_EXTERN_TABLE) {
        *cur = st->tables[index]->size;
        *max = st->tables[index]->decl_max;
    } else {
        *cur = 0;
        *max = UINT32_MAX;
    }
}

const rune_wasm_engine_ops rw_interp_ops = {
    .name = "interp",
    .engine_init = NULL,
    .engine_fini = NULL,
    .module_prepare = module_prepare,
    .module_release = module_release,
    .instantiate = instantiate,
    .instance_release = instance_release,
    .call = call,
    .global_get = global_get,
    .global_set = global_set,
    .memory_data = memory_data,
    .extern_limits = extern_limits,
};
