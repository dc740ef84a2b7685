/*
 * decode.c - rw_decode: WebAssembly binary -> rw_module, with every index outside function bodies
 * checked (function bodies are type-checked by validate.c).
 *
 * Workload: modules up to a few MB, mostly custom sections and data; one pass, one allocation per
 * vector. Sections are decoded by a table indexed by section id. Errors name the section and
 * offset.
 */
#include <string.h>

#include "rune/alloc.h"
#include "wasm_int.h"

#define RW_MAX_PAGES 65536u
#define RW_MAX_LOCALS 50000u /* per function; more is refused ("too many locals") */
#define RW_MAX_VEC 10000000u /* no vector may claim more entries than this */

typedef struct dec {
    rw_module *m;
    const uint8_t *base, *p, *end; /* end: of the current section */
    const char *sec;               /* name of the section being decoded */
    rune_error *err;
    uint32_t nfunc_decls; /* entries of the function section */
    int have_code;
} dec;

static size_t off(const dec *d)
{
    return (size_t)(d->p - d->base);
}

#define FAIL(st, ...)                                                                              \
    do {                                                                                           \
        rune_status st_ = RUNE_ERR(d->err, (st), __VA_ARGS__);                                     \
        rune_error_prefix(d->err, "%s section, offset 0x%zx", d->sec, off(d));                     \
        return st_;                                                                                \
    } while (0)
#define TRY(x)                                                                                     \
    do {                                                                                           \
        rune_status t_ = (x);                                                                      \
        if (t_ != RUNE_OK) return t_;                                                              \
    } while (0)

static rune_status u8(dec *d, uint8_t *out)
{
    if (d->p >= d->end) FAIL(RUNE_E_MALFORMED, "unexpected end");
    *out = *d->p++;
    return RUNE_OK;
}

static rune_status u32(dec *d, uint32_t *out)
{
    if (rw_read_u32(&d->p, d->end, out)) {
        if (d->p >= d->end) FAIL(RUNE_E_MALFORMED, "unexpected end");
        FAIL(RUNE_E_MALFORMED, "integer representation too long or integer too large");
    }
    return RUNE_OK;
}

/* A vector count: also refuses counts that cannot fit in the rest of the section (min_size bytes
 * per entry), so a huge count never turns into a huge allocation. */
static rune_status count(dec *d, size_t min_size, uint32_t *out)
{
    TRY(u32(d, out));
    if (*out > RW_MAX_VEC || (size_t)*out * min_size > (size_t)(d->end - d->p))
        FAIL(RUNE_E_MALFORMED, "count %u too large for the section (unexpected end)",
             (unsigned)*out);
    return RUNE_OK;
}

static int utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t cp;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static rune_status name(dec *d, char **out)
{
    uint32_t n;
    TRY(u32(d, &n));
    if ((size_t)(d->end - d->p) < n) FAIL(RUNE_E_MALFORMED, "unexpected end (name length %u)", n);
    if (!utf8_ok(d->p, n)) FAIL(RUNE_E_MALFORMED, "malformed UTF-8 encoding");
    if (memchr(d->p, 0, n)) FAIL(RUNE_E_UNSUPPORTED, "names containing NUL are not supported");
    *out = rune_strndup((const char *)d->p, n);
    if (!*out) return RUNE_ERR(d->err, RUNE_E_NOMEM, "out of memory decoding a name");
    d->p += n;
    return RUNE_OK;
}

static int is_numtype(uint8_t t)
{
    return t == RUNE_WASM_I32 || t == RUNE_WASM_I64 || t == RUNE_WASM_F32 || t == RUNE_WASM_F64;
}
static int is_reftype(uint8_t t)
{
    return t == RUNE_WASM_FUNCREF || t == RUNE_WASM_EXTERNREF;
}

static rune_status valtype(dec *d, uint8_t *out)
{
    TRY(u8(d, out));
    if (is_numtype(*out) || is_reftype(*out)) return RUNE_OK;
    if (*out == 0x7b) FAIL(RUNE_E_UNSUPPORTED, "unsupported: SIMD type v128");
    d->p--;
    FAIL(RUNE_E_MALFORMED, "malformed value type 0x%02x", *out);
}

static rune_status reftype(dec *d, uint8_t *out)
{
    TRY(u8(d, out));
    if (is_reftype(*out)) return RUNE_OK;
    d->p--;
    FAIL(RUNE_E_MALFORMED, "malformed reference type 0x%02x", *out);
}

static rune_status limits(dec *d, rw_limits *l, uint32_t bound, const char *what)
{
    uint8_t flags;
    TRY(u8(d, &flags));
    if (flags == 2 || flags == 3) FAIL(RUNE_E_UNSUPPORTED, "unsupported: shared memory (threads)");
    if (flags > 1) FAIL(RUNE_E_MALFORMED, "integer too large: limits flags 0x%02x", flags);
    TRY(u32(d, &l->min));
    l->has_max = flags == 1;
    l->max = UINT32_MAX;
    if (l->has_max) TRY(u32(d, &l->max));
    if (bound && l->min > bound)
        FAIL(RUNE_E_INVALID, "%s size must be at most %u pages", what, (unsigned)bound);
    if (bound && l->has_max && l->max > bound)
        FAIL(RUNE_E_INVALID, "%s size must be at most %u pages", what, (unsigned)bound);
    if (l->has_max && l->min > l->max)
        FAIL(RUNE_E_INVALID, "size minimum must not be greater than maximum");
    return RUNE_OK;
}

static rune_status tabletype(dec *d, rw_tabletype *t)
{
    TRY(reftype(d, &t->elem));
    return limits(d, &t->lim, 0, "table");
}

static rune_status globaltype(dec *d, rw_globaltype *g)
{
    TRY(valtype(d, &g->type));
    TRY(u8(d, &g->mut));
    if (g->mut > 1) FAIL(RUNE_E_MALFORMED, "malformed mutability 0x%02x", g->mut);
    return RUNE_OK;
}

/* A constant expression of type want (0: any reference type, filled into *got). Globals visible:
 * [0, nglobals_visible). */
static rune_status const_expr(dec *d, rw_const *c, uint8_t want, uint32_t nglobals_visible)
{
    rw_module *m = d->m;
    uint8_t op;
    uint8_t type = 0;
    memset(c, 0, sizeof *c);
    TRY(u8(d, &op));
    c->op = op;
    switch (op) {
    case RW_CONST_I32: {
        int32_t v;
        if (rw_read_s32(&d->p, d->end, &v)) FAIL(RUNE_E_MALFORMED, "bad i32.const immediate");
        c->v.i64 = 0;
        c->v.i32 = (uint32_t)v;
        type = RUNE_WASM_I32;
        break;
    }
    case RW_CONST_I64: {
        int64_t v;
        if (rw_read_s64(&d->p, d->end, &v)) FAIL(RUNE_E_MALFORMED, "bad i64.const immediate");
        c->v.i64 = (uint64_t)v;
        type = RUNE_WASM_I64;
        break;
    }
    case RW_CONST_F32:
        if (d->end - d->p < 4) FAIL(RUNE_E_MALFORMED, "unexpected end");
        c->v.i64 = 0;
        memcpy(&c->v.f32, d->p, 4);
        d->p += 4;
        type = RUNE_WASM_F32;
        break;
    case RW_CONST_F64:
        if (d->end - d->p < 8) FAIL(RUNE_E_MALFORMED, "unexpected end");
        memcpy(&c->v.f64, d->p, 8);
        d->p += 8;
        type = RUNE_WASM_F64;
        break;
    case RW_CONST_GLOBAL_GET:
        TRY(u32(d, &c->index));
        if (c->index >= nglobals_visible || c->index >= m->nglobals)
            FAIL(RUNE_E_INVALID, "unknown global %u", (unsigned)c->index);
        if (c->index >= m->n_imported_globals || m->globals[c->index].type.mut)
            FAIL(RUNE_E_INVALID,
                 "constant expression required (global %u must be an immutable "
                 "import)",
                 (unsigned)c->index);
        type = m->globals[c->index].type.type;
        break;
    case RW_CONST_REF_NULL:
        TRY(reftype(d, &c->reftype));
        type = c->reftype;
        break;
    case RW_CONST_REF_FUNC:
        TRY(u32(d, &c->index));
        if (c->index >= m->nfuncs) FAIL(RUNE_E_INVALID, "unknown function %u", (unsigned)c->index);
        m->func_declared[c->index] = 1;
        type = RUNE_WASM_FUNCREF;
        break;
    case 0x0b: d->p--; FAIL(RUNE_E_INVALID, "type mismatch: empty constant expression");
    default: d->p--; FAIL(RUNE_E_INVALID, "constant expression required (opcode 0x%02x)", op);
    }
    uint8_t e;
    TRY(u8(d, &e));
    if (e != 0x0b) {
        d->p--;
        if (e == RW_CONST_I32 || e == RW_CONST_I64 || e == RW_CONST_F32 || e == RW_CONST_F64 ||
            e == RW_CONST_GLOBAL_GET || e == RW_CONST_REF_NULL || e == RW_CONST_REF_FUNC)
            FAIL(RUNE_E_INVALID, "type mismatch: constant expression leaves more than one value");
        FAIL(RUNE_E_INVALID, "constant expression required (opcode 0x%02x)", e);
    }
    if (want && type != want)
        FAIL(RUNE_E_INVALID, "type mismatch: constant expression of type %c, expected %c",
             rw_valtype_letter(type), rw_valtype_letter(want));
    return RUNE_OK;
}

#define ALLOC_VEC(ptr, n)                                                                          \
    do {                                                                                           \
        (ptr) = rune_calloc((n) ? (n) : 1, sizeof *(ptr));                                         \
        if (!(ptr)) return RUNE_ERR(d->err, RUNE_E_NOMEM, "out of memory in %s section", d->sec);  \
    } while (0)

static rune_status sec_type(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 3, &n));
    ALLOC_VEC(m->types, n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t form;
        TRY(u8(d, &form));
        if (form != 0x60) FAIL(RUNE_E_MALFORMED, "malformed function type form 0x%02x", form);
        uint32_t np, nr;
        TRY(count(d, 1, &np));
        const uint8_t *pp = d->p;
        d->p += np;
        TRY(count(d, 1, &nr));
        d->p = pp;
        rw_functype *ft = &m->types[i];
        ft->types = rune_malloc((size_t)np + nr + 1);
        if (!ft->types) return RUNE_ERR(d->err, RUNE_E_NOMEM, "out of memory in type section");
        m->ntypes = i + 1;
        ft->nparams = np;
        ft->nresults = nr;
        for (uint32_t k = 0; k < np; k++)
            TRY(valtype(d, &ft->types[k]));
        uint32_t nr2;
        TRY(u32(d, &nr2));
        for (uint32_t k = 0; k < nr; k++)
            TRY(valtype(d, &ft->types[np + k]));
    }
    m->ntypes = n;
    return RUNE_OK;
}

static rune_status sec_import(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 4, &n));
    ALLOC_VEC(m->imports, n);
    for (uint32_t i = 0; i < n; i++) {
        rw_import *im = &m->imports[i];
        m->nimports = i + 1;
        TRY(name(d, &im->module));
        TRY(name(d, &im->name));
        uint8_t kind;
        TRY(u8(d, &kind));
        im->kind = (rune_wasm_extern_kind)kind;
        switch (kind) {
        case RUNE_WASM_EXTERN_FUNC:
            TRY(u32(d, &im->type_index));
            if (im->type_index >= m->ntypes)
                FAIL(RUNE_E_INVALID, "unknown type %u", (unsigned)im->type_index);
            break;
        case RUNE_WASM_EXTERN_TABLE: TRY(tabletype(d, &im->table)); break;
        case RUNE_WASM_EXTERN_MEMORY: TRY(limits(d, &im->mem, RW_MAX_PAGES, "memory")); break;
        case RUNE_WASM_EXTERN_GLOBAL: TRY(globaltype(d, &im->global)); break;
        default: d->p--; FAIL(RUNE_E_MALFORMED, "malformed import kind 0x%02x", kind);
        }
    }
    return RUNE_OK;
}

static rune_status sec_function(dec *d)
{
    uint32_t n;
    TRY(count(d, 1, &n));
    rw_module *m = d->m;
    rw_func *f = rune_realloc_array(m->funcs, (size_t)m->nfuncs + n + 1, sizeof *f);
    if (!f) return RUNE_ERR(d->err, RUNE_E_NOMEM, "out of memory in function section");
    m->funcs = f;
    for (uint32_t i = 0; i < n; i++) {
        rw_func *fn = &m->funcs[m->nfuncs];
        memset(fn, 0, sizeof *fn);
        TRY(u32(d, &fn->type_index));
        if (fn->type_index >= m->ntypes)
            FAIL(RUNE_E_INVALID, "unknown type %u", (unsigned)fn->type_index);
        m->nfuncs++;
    }
    d->nfunc_decls = n;
    return RUNE_OK;
}

static rune_status grow_vec(dec *d, void **vec, size_t have, size_t add, size_t size)
{
    void *v = rune_realloc_array(*vec, have + add + 1, size);
    if (!v) return RUNE_ERR(d->err, RUNE_E_NOMEM, "out of memory in %s section", d->sec);
    *vec = v;
    memset((uint8_t *)v + have * size, 0, (add + 1) * size);
    return RUNE_OK;
}

static rune_status sec_table(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 2, &n));
    TRY(grow_vec(d, (void **)&m->tables, m->ntables, n, sizeof *m->tables));
    for (uint32_t i = 0; i < n; i++) {
        TRY(tabletype(d, &m->tables[m->ntables].type));
        m->ntables++;
    }
    return RUNE_OK;
}

static rune_status sec_memory(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 2, &n));
    TRY(grow_vec(d, (void **)&m->mems, m->nmems, n, sizeof *m->mems));
    for (uint32_t i = 0; i < n; i++) {
        TRY(limits(d, &m->mems[m->nmems].lim, RW_MAX_PAGES, "memory"));
        m->nmems++;
    }
    if (m->nmems > 1) FAIL(RUNE_E_INVALID, "multiple memories");
    return RUNE_OK;
}

static rune_status sec_global(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 3, &n));
    TRY(grow_vec(d, (void **)&m->globals, m->nglobals, n, sizeof *m->globals));
    for (uint32_t i = 0; i < n; i++) {
        rw_global *g = &m->globals[m->nglobals];
        TRY(globaltype(d, &g->type));
        TRY(const_expr(d, &g->init, g->type.type, m->nglobals));
        m->nglobals++;
    }
    return RUNE_OK;
}

static rune_status sec_export(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 3, &n));
    ALLOC_VEC(m->exports, n);
    for (uint32_t i = 0; i < n; i++) {
        rw_export *e = &m->exports[i];
        m->nexports = i + 1;
        TRY(name(d, &e->name));
        uint8_t kind;
        TRY(u8(d, &kind));
        e->kind = (rune_wasm_extern_kind)kind;
        TRY(u32(d, &e->index));
        uint32_t lim = 0;
        switch (kind) {
        case RUNE_WASM_EXTERN_FUNC: lim = m->nfuncs; break;
        case RUNE_WASM_EXTERN_TABLE: lim = m->ntables; break;
        case RUNE_WASM_EXTERN_MEMORY: lim = m->nmems; break;
        case RUNE_WASM_EXTERN_GLOBAL: lim = m->nglobals; break;
        default: FAIL(RUNE_E_MALFORMED, "malformed export kind 0x%02x", kind);
        }
        static const char *const kn[] = {"function", "table", "memory", "global"};
        if (e->index >= lim) FAIL(RUNE_E_INVALID, "unknown %s %u", kn[kind], (unsigned)e->index);
        if (kind == RUNE_WASM_EXTERN_FUNC) m->func_declared[e->index] = 1;
        for (uint32_t k = 0; k < i; k++)
            if (strcmp(m->exports[k].name, e->name) == 0)
                FAIL(RUNE_E_INVALID, "duplicate export name \"%s\"", e->name);
    }
    return RUNE_OK;
}

static rune_status sec_start(dec *d)
{
    rw_module *m = d->m;
    TRY(u32(d, &m->start));
    if (m->start >= m->nfuncs) FAIL(RUNE_E_INVALID, "unknown function %u", (unsigned)m->start);
    const rw_functype *ft = rw_func_type(m, m->start);
    if (ft->nparams || ft->nresults) FAIL(RUNE_E_INVALID, "start function must have type [] -> []");
    m->has_start = 1;
    return RUNE_OK;
}

static rune_status check_table(dec *d, uint32_t t, uint8_t type)
{
    if (t >= d->m->ntables) FAIL(RUNE_E_INVALID, "unknown table %u", (unsigned)t);
    if (d->m->tables[t].type.elem != type)
        FAIL(RUNE_E_INVALID, "type mismatch: element segment of type %c for table %u of type %c",
             rw_valtype_letter(type), (unsigned)t, rw_valtype_letter(d->m->tables[t].type.elem));
    return RUNE_OK;
}

static rune_status sec_elem(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 1, &n));
    ALLOC_VEC(m->elems, n);
    for (uint32_t i = 0; i < n; i++) {
        rw_elem *e = &m->elems[i];
        m->nelems = i + 1;
        uint32_t flags;
        TRY(u32(d, &flags));
        if (flags > 7) FAIL(RUNE_E_MALFORMED, "malformed elements segment kind %u", flags);
        e->type = RUNE_WASM_FUNCREF;
        e->mode = (flags & 1) ? ((flags & 2) ? RW_SEG_DECLARATIVE : RW_SEG_PASSIVE) : RW_SEG_ACTIVE;
        if (e->mode == RW_SEG_ACTIVE) {
            if (flags & 2) TRY(u32(d, &e->table));
            TRY(const_expr(d, &e->offset, RUNE_WASM_I32, m->nglobals));
        }
        int exprs = (flags & 4) != 0;
        if (flags & 3) {
            if (exprs) {
                TRY(reftype(d, &e->type));
            } else {
                uint8_t kind;
                TRY(u8(d, &kind));
                if (kind != 0) FAIL(RUNE_E_MALFORMED, "malformed element kind 0x%02x", kind);
            }
        }
        if (e->mode == RW_SEG_ACTIVE) TRY(check_table(d, e->table, e->type));
        TRY(count(d, 1, &e->n));
        ALLOC_VEC(e->items, e->n);
        for (uint32_t k = 0; k < e->n; k++) {
            rw_const *c = &e->items[k];
            if (exprs) {
                TRY(const_expr(d, c, e->type, m->nglobals));
            } else {
                c->op = RW_CONST_REF_FUNC;
                TRY(u32(d, &c->index));
                if (c->index >= m->nfuncs)
                    FAIL(RUNE_E_INVALID, "unknown function %u", (unsigned)c->index);
                m->func_declared[c->index] = 1;
            }
        }
    }
    return RUNE_OK;
}

static rune_status sec_datacount(dec *d)
{
    TRY(u32(d, &d->m->datacount));
    d->m->has_datacount = 1;
    return RUNE_OK;
}

static rune_status sec_code(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 2, &n));
    if (n != d->nfunc_decls)
        FAIL(RUNE_E_MALFORMED, "function and code section have inconsistent lengths (%u vs %u)",
             (unsigned)d->nfunc_decls, (unsigned)n);
    d->have_code = 1;
    for (uint32_t i = 0; i < n; i++) {
        rw_func *f = &m->funcs[m->n_imported_funcs + i];
        f->code_offset = off(d);
        uint32_t size;
        TRY(u32(d, &size));
        if ((size_t)(d->end - d->p) < size) FAIL(RUNE_E_MALFORMED, "unexpected end (body size)");
        const uint8_t *body_end = d->p + size, *sec_end = d->end;
        d->end = body_end;
        uint32_t ngroups;
        TRY(count(d, 2, &ngroups));
        const uint8_t *groups = d->p;
        uint64_t total = 0;
        for (uint32_t g = 0; g < ngroups; g++) {
            uint32_t c;
            uint8_t t;
            TRY(u32(d, &c));
            TRY(valtype(d, &t));
            total += c;
            if (total > RW_MAX_LOCALS) FAIL(RUNE_E_MALFORMED, "too many locals");
        }
        f->nlocals = (uint32_t)total;
        f->local_types = rune_malloc(total ? (size_t)total : 1);
        if (!f->local_types) return RUNE_ERR(d->err, RUNE_E_NOMEM, "out of memory for locals");
        d->p = groups;
        uint32_t k = 0;
        for (uint32_t g = 0; g < ngroups; g++) {
            uint32_t c;
            uint8_t t;
            TRY(u32(d, &c));
            TRY(valtype(d, &t));
            memset(f->local_types + k, t, c);
            k += c;
        }
        f->body_offset = off(d);
        f->body_end = (size_t)(body_end - d->base);
        if (body_end == d->p || body_end[-1] != 0x0b) {
            d->p = body_end;
            FAIL(RUNE_E_MALFORMED, "function %u body does not end with 'end' (END opcode expected)",
                 (unsigned)(m->n_imported_funcs + i));
        }
        d->p = body_end;
        d->end = sec_end;
    }
    return RUNE_OK;
}

static rune_status sec_data(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(count(d, 1, &n));
    if (m->has_datacount && n != m->datacount)
        FAIL(RUNE_E_MALFORMED, "data count and data section have inconsistent lengths");
    ALLOC_VEC(m->datas, n);
    for (uint32_t i = 0; i < n; i++) {
        rw_data *s = &m->datas[i];
        m->ndatas = i + 1;
        uint32_t flags;
        TRY(u32(d, &flags));
        if (flags > 2) FAIL(RUNE_E_MALFORMED, "malformed data segment kind %u", flags);
        s->mode = flags == 1 ? RW_SEG_PASSIVE : RW_SEG_ACTIVE;
        if (flags == 2) TRY(u32(d, &s->memory));
        if (s->mode == RW_SEG_ACTIVE) {
            if (s->memory >= m->nmems) FAIL(RUNE_E_INVALID, "unknown memory %u", s->memory);
            TRY(const_expr(d, &s->offset, RUNE_WASM_I32, m->nglobals));
        }
        uint32_t len;
        TRY(u32(d, &len));
        if ((size_t)(d->end - d->p) < len)
            FAIL(RUNE_E_MALFORMED,
                 "unexpected end of section or "
                 "function (data segment length %u)",
                 len);
        s->offset_in_bytes = off(d);
        s->len = len;
        d->p += len;
    }
    return RUNE_OK;
}

static rune_status sec_custom(dec *d)
{
    rw_module *m = d->m;
    uint32_t n;
    TRY(u32(d, &n));
    if ((size_t)(d->end - d->p) < n) FAIL(RUNE_E_MALFORMED, "unexpected end (custom section name)");
    if (!utf8_ok(d->p, n)) FAIL(RUNE_E_MALFORMED, "malformed UTF-8 encoding");
    rw_custom *c = rune_realloc_array(m->customs, (size_t)m->ncustoms + 1, sizeof *c);
    if (!c) return RUNE_ERR(d->err, RUNE_E_NOMEM, "out of memory in custom section");
    m->customs = c;
    c = &m->customs[m->ncustoms++];
    c->name = d->p;
    c->name_len = n;
    d->p += n;
    c->payload_offset = off(d);
    c->payload_len = (size_t)(d->end - d->p);
    d->p = d->end;
    return RUNE_OK;
}

typedef rune_status (*sec_fn)(dec *d);
static const struct {
    const char *name;
    sec_fn fn;
    int order; /* sections must appear in increasing order */
} sections[13] = {
    [0] = {"custom", sec_custom, 0},
    [1] = {"type", sec_type, 1},
    [2] = {"import", sec_import, 2},
    [3] = {"function", sec_function, 3},
    [4] = {"table", sec_table, 4},
    [5] = {"memory", sec_memory, 5},
    [6] = {"global", sec_global, 7},
    [7] = {"export", sec_export, 8},
    [8] = {"start", sec_start, 9},
    [9] = {"element", sec_elem, 10},
    [10] = {"code", sec_code, 12},
    [11] = {"data", sec_data, 13},
    [12] = {"data count", sec_datacount, 11},
};

/* After the import section: place imported functions/tables/memories/globals in the index spaces.
 */
static rune_status index_imports(dec *d)
{
    rw_module *m = d->m;
    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        switch (m->imports[i].kind) {
        case RUNE_WASM_EXTERN_FUNC: nf++; break;
        case RUNE_WASM_EXTERN_TABLE: nt++; break;
        case RUNE_WASM_EXTERN_MEMORY: nm++; break;
        case RUNE_WASM_EXTERN_GLOBAL: ng++; break;
        }
    }
    TRY(grow_vec(d, (void **)&m->funcs, 0, nf, sizeof *m->funcs));
    TRY(grow_vec(d, (void **)&m->tables, 0, nt, sizeof *m->tables));
    TRY(grow_vec(d, (void **)&m->mems, 0, nm, sizeof *m->mems));
    TRY(grow_vec(d, (void **)&m->globals, 0, ng, sizeof *m->globals));
    for (uint32_t i = 0; i < m->nimports; i++) {
        const rw_import *im = &m->imports[i];
        switch (im->kind) {
        case RUNE_WASM_EXTERN_FUNC:
            m->funcs[m->nfuncs].type_index = im->type_index;
            m->funcs[m->nfuncs++].imported = 1;
            break;
        case RUNE_WASM_EXTERN_TABLE:
            m->tables[m->ntables].type = im->table;
            m->tables[m->ntables++].imported = 1;
            break;
        case RUNE_WASM_EXTERN_MEMORY:
            m->mems[m->nmems].lim = im->mem;
            m->mems[m->nmems++].imported = 1;
            break;
        case RUNE_WASM_EXTERN_GLOBAL:
            m->globals[m->nglobals].type = im->global;
            m->globals[m->nglobals++].imported = 1;
            break;
        }
    }
    m->n_imported_funcs = nf;
    m->n_imported_tables = nt;
    m->n_imported_mems = nm;
    m->n_imported_globals = ng;
    if (m->nmems > 1) FAIL(RUNE_E_INVALID, "multiple memories");
    return RUNE_OK;
}

/* Once the function count is known (after the function section, or wherever it is first needed). */
static rune_status ensure_declared(dec *d)
{
    rw_module *m = d->m;
    rune_free(m->func_declared);
    m->func_declared = rune_calloc((size_t)m->nfuncs + 1, 1);
    if (!m->func_declared) return RUNE_ERR(d->err, RUNE_E_NOMEM, "out of memory");
    return RUNE_OK;
}

static rune_status decode_all(dec *d)
{
    rw_module *m = d->m;
    d->sec = "header";
    d->p = d->base;
    d->end = d->base + m->len;
    if (m->len < 4 || memcmp(d->base, "\0asm", 4) != 0)
        FAIL(RUNE_E_MALFORMED, "magic header not detected");
    if (m->len < 8 || memcmp(d->base + 4, "\1\0\0\0", 4) != 0)
        FAIL(RUNE_E_MALFORMED, "unknown binary version");
    d->p += 8;
    int last = 0;
    int imports_indexed = 0, declared_made = 0;
    const uint8_t *mend = d->base + m->len;
    while (d->p < mend) {
        d->end = mend;
        d->sec = "module";
        uint8_t id = *d->p++;
        uint32_t size;
        TRY(u32(d, &size));
        if ((size_t)(mend - d->p) < size)
            FAIL(RUNE_E_MALFORMED, "section size %u runs past the end (length out of bounds)",
                 (unsigned)size);
        if (id > 12) {
            d->p--;
            FAIL(RUNE_E_MALFORMED, "malformed section id %u", id);
        }
        d->sec = sections[id].name;
        if (id != 0) {
            if (sections[id].order <= last)
                FAIL(RUNE_E_MALFORMED,
                     "unexpected content after last section (section %s out of "
                     "order or duplicated)",
                     sections[id].name);
            last = sections[id].order;
        }
        if (!imports_indexed && id != 0 && id > 2) {
            TRY(index_imports(d));
            imports_indexed = 1;
        }
        if (!declared_made && id != 0 && id > 3) {
            TRY(ensure_declared(d));
            declared_made = 1;
        }
        if (id == 10 && !imports_indexed) { /* unreachable: code comes after function */
            TRY(index_imports(d));
            imports_indexed = 1;
        }
        d->end = d->p + size;
        TRY(sections[id].fn(d));
        if (d->p != d->end) FAIL(RUNE_E_MALFORMED, "section size mismatch");
        if (id == 3 && !declared_made) {
            TRY(ensure_declared(d));
            declared_made = 1;
        }
    }
    d->sec = "module";
    if (!imports_indexed) TRY(index_imports(d));
    if (!declared_made) TRY(ensure_declared(d));
    if (d->nfunc_decls && !d->have_code)
        FAIL(RUNE_E_MALFORMED, "function and code section have inconsistent lengths");
    if (m->has_datacount && m->datacount != m->ndatas)
        FAIL(RUNE_E_MALFORMED, "data count and data section have inconsistent lengths");
    return RUNE_OK;
}

rune_status rw_decode(const uint8_t *bytes, size_t len, rw_module **out, rune_error *err)
{
    *out = NULL;
    rw_module *m = rune_calloc(1, sizeof *m);
    if (!m) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory decoding a module");
    m->bytes = rune_malloc(len ? len : 1);
    if (!m->bytes) {
        rune_free(m);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory copying a module of %zu bytes", len);
    }
    if (len) memcpy(m->bytes, bytes, len);
    m->len = len;
    dec d = {.m = m, .base = m->bytes, .err = err};
    rune_status st = decode_all(&d);
    if (st != RUNE_OK) {
        rw_module_free(m);
        return st;
    }
    *out = m;
    return RUNE_OK;
}

void rw_module_free(rw_module *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->ntypes; i++)
        rune_free(m->types[i].types);
    rune_free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        rune_free(m->imports[i].module);
        rune_free(m->imports[i].name);
    }
    rune_free(m->imports);
    if (m->funcs)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            rune_free(m->funcs[i].local_types);
    rune_free(m->funcs);
    rune_free(m->tables);
    rune_free(m->mems);
    rune_free(m->globals);
    for (uint32_t i = 0; i < m->nexports; i++)
        rune_free(m->exports[i].name);
    rune_free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++)
        rune_free(m->elems[i].items);
    rune_free(m->elems);
    rune_free(m->datas);
    rune_free(m->customs);
    rune_free(m->func_declared);
    rune_free(m->bytes);
    rune_free(m);
}
