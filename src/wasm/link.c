/*
 * link.c - the linker: host definitions and registered instances, and rw_link_resolve, the one
 * place where imports are matched and type-checked for both engines.
 *
 * Workload: tens of definitions (WASI, WASI-NN, runic) and tens of imports; linear search is fine.
 */
#include <stdarg.h>
#include <string.h>

#include "rune/alloc.h"
#include "wasm_int.h"

rune_status rune_wasm_linker_new(rune_wasm_linker **out, rune_error *err)
{
    if (!out) return RUNE_ERR(err, RUNE_E_ARG, "linker_new: NULL out");
    *out = rune_calloc(1, sizeof **out);
    if (!*out) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory creating a linker");
    return RUNE_OK;
}

void rune_wasm_linker_free(rune_wasm_linker *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) {
        rune_free(l->entries[i].module);
        rune_free(l->entries[i].name);
        rune_free(l->entries[i].cell);
        rune_free(l->entries[i].i32);
    }
    rune_free(l->entries);
    rune_free(l);
}

/* Append an entry with module/name copied; returns it or NULL (error filled). */
static rw_link_entry *add(rune_wasm_linker *l, rw_link_kind kind, const char *module,
                          const char *name, rune_error *err)
{
    if (!l || !module) {
        RUNE_ERR(err, RUNE_E_ARG, "linker: NULL linker or module name");
        return NULL;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        rw_link_entry *e = rune_realloc_array(l->entries, cap, sizeof *e);
        if (!e) {
            RUNE_ERR(err, RUNE_E_NOMEM, "out of memory growing the linker");
            return NULL;
        }
        l->entries = e;
        l->cap = cap;
    }
    rw_link_entry *e = &l->entries[l->n];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->module = rune_strdup(module);
    e->name = name ? rune_strdup(name) : NULL;
    if (!e->module || (name && !e->name)) {
        rune_free(e->module);
        rune_free(e->name);
        RUNE_ERR(err, RUNE_E_NOMEM, "out of memory in the linker");
        return NULL;
    }
    l->n++;
    return e;
}

static int sig_ok(const char *sig)
{
    const char *colon = strchr(sig, ':');
    if (!colon || strchr(colon + 1, ':') || strlen(sig) >= RUNE_WASM_SIG_MAX) return 0;
    for (const char *c = sig; *c; c++)
        if (c != colon && !rw_letter_valtype(*c)) return 0;
    return 1;
}

rune_status rune_wasm_linker_define_func(rune_wasm_linker *l, const char *module, const char *name,
                                         const char *sig, rune_wasm_host_fn fn, void *user,
                                         rune_error *err)
{
    if (!name || !sig || !fn) return RUNE_ERR(err, RUNE_E_ARG, "define_func: NULL argument");
    if (!sig_ok(sig))
        return RUNE_ERR(err, RUNE_E_ARG, "define_func %s.%s: bad signature \"%s\"",
                        module ? module : "?", name, sig);
    rw_link_entry *e = add(l, RW_LINK_FUNC, module, name, err);
    if (!e) return err ? err->status : RUNE_E_NOMEM;
    strcpy(e->sig, sig);
    e->fn = fn;
    e->user = user;
    return RUNE_OK;
}

rune_status rune_wasm_linker_define_i32(rune_wasm_linker *l, const char *module, const char *name,
                                        const char *sig, rune_wasm_host_i32_fn fn, void *user,
                                        rune_error *err)
{
    if (!name || !sig || !fn) return RUNE_ERR(err, RUNE_E_ARG, "define_i32: NULL argument");
    size_t np = strspn(sig, "i");
    int ok = sig[np] == ':' && np <= RUNE_WASM_I32_MAX_PARAMS &&
             (!strcmp(sig + np + 1, "") || !strcmp(sig + np + 1, "i"));
    if (!ok)
        return RUNE_ERR(err, RUNE_E_ARG,
                        "define_i32 %s.%s: bad signature \"%s\" (up to %d 'i' params, result "
                        "none or 'i')",
                        module ? module : "?", name, sig, RUNE_WASM_I32_MAX_PARAMS);
    rw_i32_host *h = rune_calloc(1, sizeof *h);
    if (!h) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory defining a host function");
    rw_link_entry *e = add(l, RW_LINK_FUNC, module, name, err);
    if (!e) {
        rune_free(h);
        return err ? err->status : RUNE_E_NOMEM;
    }
    h->fn = fn;
    h->user = user;
    h->nparams = (uint32_t)np;
    h->has_result = sig[np + 1] == 'i';
    strcpy(e->sig, sig);
    e->fn = rw_i32_call;
    e->user = h;
    e->i32 = h;
    return RUNE_OK;
}

/* The generic call of an i32 host function (rune_wasm_host_fn shape), for every path that has its
 * arguments in an array: results may alias args, so every argument is read first. */
rune_status rw_i32_call(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                        rune_wasm_val *results, rune_error *err)
{
    const rw_i32_host *h = user;
    uint32_t a[RUNE_WASM_I32_MAX_PARAMS] = {0};
    for (uint32_t i = 0; i < h->nparams; i++)
        a[i] = args[i].i32;
    rune_wasm_hostcall hc = {inst, h->user, err, RUNE_OK};
    uint32_t v = h->fn(&hc, a[0], a[1], a[2], a[3], a[4]);
    if (hc.status != RUNE_OK) return hc.status;
    if (h->has_result) results[0].i64 = v;
    return RUNE_OK;
}

uint32_t rune_wasm_host_fail(rune_wasm_hostcall *hc, rune_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rune_error_vset_at(hc->err, status == RUNE_OK ? RUNE_E_INTERNAL : status, __FILE__, __LINE__,
                       fmt, ap);
    va_end(ap);
    hc->status = status == RUNE_OK ? RUNE_E_INTERNAL : status;
    return 0;
}

rune_status rune_wasm_linker_define_global(rune_wasm_linker *l, const char *module,
                                           const char *name, char t, int mutable_, rune_wasm_val v,
                                           rune_error *err)
{
    if (!name) return RUNE_ERR(err, RUNE_E_ARG, "define_global: NULL name");
    if (t != 'i' && t != 'I' && t != 'f' && t != 'F')
        return RUNE_ERR(err, RUNE_E_ARG, "define_global %s: bad type '%c'", name, t);
    rune_wasm_val *cell = rune_calloc(1, sizeof *cell);
    if (!cell) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory defining a global");
    rw_link_entry *e = add(l, RW_LINK_GLOBAL, module, name, err);
    if (!e) {
        rune_free(cell);
        return err ? err->status : RUNE_E_NOMEM;
    }
    if (t == 'i' || t == 'f') {
        cell->i64 = 0;
        cell->i32 = v.i32;
    } else {
        cell->i64 = v.i64;
    }
    e->cell = cell;
    e->gtype = t;
    e->mutable_ = mutable_ ? 1 : 0;
    return RUNE_OK;
}

rune_status rune_wasm_linker_define_memory(rune_wasm_linker *l, const char *module,
                                           const char *name, uint32_t min, uint32_t max,
                                           rune_error *err)
{
    if (!name) return RUNE_ERR(err, RUNE_E_ARG, "define_memory: NULL name");
    if (min > 65536 || (max != UINT32_MAX && (max > 65536 || max < min)))
        return RUNE_ERR(err, RUNE_E_ARG, "define_memory %s: bad limits %u..%u", name, min, max);
    rw_link_entry *e = add(l, RW_LINK_MEMORY, module, name, err);
    if (!e) return err ? err->status : RUNE_E_NOMEM;
    e->min = min;
    e->max = max;
    return RUNE_OK;
}

rune_status rune_wasm_linker_define_table(rune_wasm_linker *l, const char *module, const char *name,
                                          uint32_t min, uint32_t max, rune_error *err)
{
    if (!name) return RUNE_ERR(err, RUNE_E_ARG, "define_table: NULL name");
    if (max < min) return RUNE_ERR(err, RUNE_E_ARG, "define_table %s: max < min", name);
    rw_link_entry *e = add(l, RW_LINK_TABLE, module, name, err);
    if (!e) return err ? err->status : RUNE_E_NOMEM;
    e->min = min;
    e->max = max;
    return RUNE_OK;
}

rune_status rune_wasm_linker_define_instance(rune_wasm_linker *l, const char *module,
                                             rune_wasm_instance *inst, rune_error *err)
{
    if (!inst) return RUNE_ERR(err, RUNE_E_ARG, "define_instance: NULL instance");
    rw_link_entry *e = add(l, RW_LINK_INSTANCE, module, NULL, err);
    if (!e) return err ? err->status : RUNE_E_NOMEM;
    e->inst = inst;
    return RUNE_OK;
}

/* Limits of a provided memory/table (cur, max) against the import's: the spec's import matching. */
static int limits_match(uint32_t cur, uint32_t max, const rw_limits *want)
{
    if (cur < want->min) return 0;
    if (want->has_max && (max == UINT32_MAX || max > want->max)) return 0;
    return 1;
}

static rune_status mismatch(rune_error *err, const rw_import *im, const char *why)
{
    return RUNE_ERR(err, RUNE_E_LINK, "incompatible import type for %s.%s: %s", im->module,
                    im->name, why);
}

static rune_status bind_host(const rw_module *m, const rw_import *im, const rw_link_entry *e,
                             rw_binding *b, rune_error *err)
{
    static const rune_wasm_extern_kind kinds[] = {[RW_LINK_FUNC] = RUNE_WASM_EXTERN_FUNC,
                                                  [RW_LINK_GLOBAL] = RUNE_WASM_EXTERN_GLOBAL,
                                                  [RW_LINK_MEMORY] = RUNE_WASM_EXTERN_MEMORY,
                                                  [RW_LINK_TABLE] = RUNE_WASM_EXTERN_TABLE};
    if (kinds[e->kind] != im->kind) return mismatch(err, im, "wrong kind of definition");
    b->kind = im->kind;
    b->host = e;
    switch (im->kind) {
    case RUNE_WASM_EXTERN_FUNC: {
        char sig[RUNE_WASM_SIG_MAX];
        rune_status st = rw_functype_sig(&m->types[im->type_index], sig, sizeof sig, err);
        if (st) return st;
        if (strcmp(sig, e->sig) != 0)
            return RUNE_ERR(err, RUNE_E_LINK,
                            "incompatible import type for %s.%s: module wants \"%s\", host "
                            "function has \"%s\"",
                            im->module, im->name, sig, e->sig);
        break;
    }
    case RUNE_WASM_EXTERN_GLOBAL:
        if (rw_letter_valtype(e->gtype) != im->global.type || e->mutable_ != im->global.mut)
            return mismatch(err, im, "global type or mutability differs");
        break;
    case RUNE_WASM_EXTERN_MEMORY:
        if (!limits_match(e->min, e->max, &im->mem)) return mismatch(err, im, "memory limits");
        break;
    case RUNE_WASM_EXTERN_TABLE:
        if (im->table.elem != RUNE_WASM_FUNCREF) return mismatch(err, im, "table element type");
        if (!limits_match(e->min, e->max, &im->table.lim)) return mismatch(err, im, "table limits");
        break;
    }
    return RUNE_OK;
}

static rune_status bind_instance(const rw_import *im, rune_wasm_instance *inst, rw_binding *b,
                                 const rw_module *m, rune_error *err, int *found)
{
    const rw_module *x = inst->mod->m;
    const rw_export *ex = NULL;
    for (uint32_t i = 0; i < x->nexports; i++)
        if (strcmp(x->exports[i].name, im->name) == 0) ex = &x->exports[i];
    if (!ex) return RUNE_OK;
    *found = 1;
    if (ex->kind != im->kind) return mismatch(err, im, "wrong kind of export");
    b->kind = ex->kind;
    b->inst = inst;
    b->index = ex->index;
    switch (ex->kind) {
    case RUNE_WASM_EXTERN_FUNC:
        if (!rw_functype_eq(rw_func_type(x, ex->index), &m->types[im->type_index]))
            return mismatch(err, im, "function type differs");
        break;
    case RUNE_WASM_EXTERN_GLOBAL: {
        const rw_globaltype *g = &x->globals[ex->index].type;
        if (g->type != im->global.type || g->mut != im->global.mut)
            return mismatch(err, im, "global type or mutability differs");
        break;
    }
    case RUNE_WASM_EXTERN_MEMORY: {
        uint32_t cur, max;
        inst->mod->eng->ops->extern_limits(inst, ex->kind, ex->index, &cur, &max);
        if (!limits_match(cur, max, &im->mem)) return mismatch(err, im, "memory limits");
        break;
    }
    case RUNE_WASM_EXTERN_TABLE: {
        uint32_t cur, max;
        if (x->tables[ex->index].type.elem != im->table.elem)
            return mismatch(err, im, "table element type");
        inst->mod->eng->ops->extern_limits(inst, ex->kind, ex->index, &cur, &max);
        if (!limits_match(cur, max, &im->table.lim)) return mismatch(err, im, "table limits");
        break;
    }
    }
    return RUNE_OK;
}

rune_status rw_link_resolve(const rw_module *m, const rune_wasm_linker *l, rw_binding *out,
                            rune_error *err)
{
    for (uint32_t i = 0; i < m->nimports; i++) {
        const rw_import *im = &m->imports[i];
        rw_binding *b = &out[i];
        memset(b, 0, sizeof *b);
        int found = 0;
        /* Later definitions win, so a test can override an earlier one. */
        for (size_t k = l ? l->n : 0; k-- > 0 && !found;) {
            const rw_link_entry *e = &l->entries[k];
            if (strcmp(e->module, im->module) != 0) continue;
            rune_status st = RUNE_OK;
            if (e->kind == RW_LINK_INSTANCE) {
                st = bind_instance(im, e->inst, b, m, err, &found);
            } else if (strcmp(e->name, im->name) == 0) {
                found = 1;
                st = bind_host(m, im, e, b, err);
            }
            if (st != RUNE_OK) return st;
        }
        if (!found) {
            static const char *const kn[] = {"function", "table", "memory", "global"};
            return RUNE_ERR(err, RUNE_E_LINK, "unknown import %s.%s (%s)", im->module, im->name,
                            kn[im->kind]);
        }
    }
    return RUNE_OK;
}
