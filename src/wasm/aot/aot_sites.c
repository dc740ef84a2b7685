/*
 * aot_sites.c - the wasm code offset of every trap site in wasm2c's C text, as a line -> offset
 * table (rw_trap_sites) appended to the instrumented file.
 *
 * wasm2c 1.0.32 keeps no code offsets, but it emits each wasm instruction as one C statement, in
 * instruction order, and stops emitting the rest of a block after br / br_table / return /
 * unreachable. So for each defined function (C definition "w2c_f<N>(", see aot_rewrite.c) two lists
 * are made: the trapping instructions of its wasm body in that order, skipping what wasm2c skips
 * (their offsets in rw_module.bytes, as the interpreter reports them), and the trapping constructs
 * of its C text in line order (the load/store macros, DIV/REM/TRUNC macros, UNREACHABLE,
 * CALL_INDIRECT, the memory_* / *_table_* helpers; and the direct calls of defined functions). When
 * both lists have the same length and every pair is the same kind of instruction, they are zipped
 * into {line, offset, class} entries (class: load, store, call_indirect, direct call of function N,
 * or other: a guard-page fault is only matched to an access of its direction, a call-stack
 * exhaustion only to a call of its function); otherwise that function gets none and its traps name
 * the function only (never a wrong offset). A line holding two sites gets no entry either. Traps
 * with no site (call-stack exhaustion, fuel) have none.
 *
 * Workload: one scan of the C text and one decode of every body, at compile time (cache miss).
 */
#include <string.h>

#include "rune/alloc.h"

#include "aot_int.h"

/* The C construct of each trapping wasm instruction; a kind is an index into this table. */
typedef struct site_kind {
    const char *c;   /* the C identifier wasm2c emits ("table_*" without funcref_/externref_) */
    uint8_t op, op2; /* opcode(s); 0xfc: op2 is the sub-opcode */
} site_kind;

static const site_kind kinds[] = {
    {"UNREACHABLE", 0x00, 0},     {"CALL_INDIRECT", 0x11, 0},   {"table_get", 0x25, 0},
    {"table_set", 0x26, 0},       {"i32_load", 0x28, 0},        {"i64_load", 0x29, 0},
    {"f32_load", 0x2a, 0},        {"f64_load", 0x2b, 0},        {"i32_load8_s", 0x2c, 0},
    {"i32_load8_u", 0x2d, 0},     {"i32_load16_s", 0x2e, 0},    {"i32_load16_u", 0x2f, 0},
    {"i64_load8_s", 0x30, 0},     {"i64_load8_u", 0x31, 0},     {"i64_load16_s", 0x32, 0},
    {"i64_load16_u", 0x33, 0},    {"i64_load32_s", 0x34, 0},    {"i64_load32_u", 0x35, 0},
    {"i32_store", 0x36, 0},       {"i64_store", 0x37, 0},       {"f32_store", 0x38, 0},
    {"f64_store", 0x39, 0},       {"i32_store8", 0x3a, 0},      {"i32_store16", 0x3b, 0},
    {"i64_store8", 0x3c, 0},      {"i64_store16", 0x3d, 0},     {"i64_store32", 0x3e, 0},
    {"I32_DIV_S", 0x6d, 0},       {"DIV_U", 0x6e, 0x80},        {"I32_REM_S", 0x6f, 0},
    {"REM_U", 0x70, 0x82},        {"I64_DIV_S", 0x7f, 0},       {"I64_REM_S", 0x81, 0},
    {"I32_TRUNC_S_F32", 0xa8, 0}, {"I32_TRUNC_U_F32", 0xa9, 0}, {"I32_TRUNC_S_F64", 0xaa, 0},
    {"I32_TRUNC_U_F64", 0xab, 0}, {"I64_TRUNC_S_F32", 0xae, 0}, {"I64_TRUNC_U_F32", 0xaf, 0},
    {"I64_TRUNC_S_F64", 0xb0, 0}, {"I64_TRUNC_U_F64", 0xb1, 0}, {"memory_init", 0xfc, 8},
    {"memory_copy", 0xfc, 10},    {"memory_fill", 0xfc, 11},    {"table_init", 0xfc, 12},
    {"table_copy", 0xfc, 14},     {"table_fill", 0xfc, 17},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static int kind_of_op(uint8_t op, uint32_t sub)
{
    for (size_t k = 0; k < NKINDS; k++) {
        if (op == 0xfc ? kinds[k].op == 0xfc && kinds[k].op2 == sub
                       : kinds[k].op != 0xfc && (kinds[k].op == op || (kinds[k].op2 == op && op)))
            return (int)k;
    }
    return -1;
}

static int kind_of_ident(const char *s, size_t n)
{
    if (n > 8 && memcmp(s, "funcref_", 8) == 0) {
        s += 8;
        n -= 8;
    } else if (n > 10 && memcmp(s, "externref_", 10) == 0) {
        s += 10;
        n -= 10;
    }
    for (size_t k = 0; k < NKINDS; k++)
        if (strlen(kinds[k].c) == n && memcmp(kinds[k].c, s, n) == 0) return (int)k;
    return -1;
}

#define K_CALL ((int)NKINDS) /* a direct call of a defined function (its target in site.target) */

typedef struct site {
    uint32_t at; /* wasm offset or C line */
    int kind;
    uint32_t target; /* K_CALL: the function called */
} site;

typedef struct sites {
    site *v;
    size_t n, cap;
    int oom;
} sites;

static void push(sites *s, uint32_t at, int kind, uint32_t target)
{
    if (s->oom) return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        site *v = rune_realloc_array(s->v, cap, sizeof *v);
        if (!v) {
            s->oom = 1;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (site){at, kind, target};
}

/* ---- wasm side --------------------------------------------------------------------------------
 */

static int skip_leb(const uint8_t **p, const uint8_t *end)
{
    for (int i = 0; i < 10; i++) {
        if (*p >= end) return -1;
        if (!(*(*p)++ & 0x80)) return 0;
    }
    return -1;
}

static int skip_u32s(const uint8_t **p, const uint8_t *end, int n)
{
    for (int i = 0; i < n; i++)
        if (skip_leb(p, end)) return -1;
    return 0;
}

static int skip_bytes(const uint8_t **p, const uint8_t *end, size_t n)
{
    if ((size_t)(end - *p) < n) return -1;
    *p += n;
    return 0;
}

static int skip_blocktype(const uint8_t **p, const uint8_t *end)
{
    if (*p >= end) return -1;
    uint8_t b = **p;
    if (b == 0x40 || (b >= 0x7b && b <= 0x7f) || b == 0x70 || b == 0x6f) {
        (*p)++;
        return 0;
    }
    return skip_leb(p, end); /* s33 type index */
}

/* The trapping instructions of defined function fi that wasm2c emits, in order. 0, or -1 if the
 * body holds something this walker does not know (then the function gets no offsets). */
static int wasm_sites(const rw_module *m, uint32_t fi, sites *out)
{
    const rw_func *f = &m->funcs[fi];
    if (f->body_offset > f->body_end || f->body_end > m->len) return -1;
    const uint8_t *p = m->bytes + f->body_offset, *end = m->bytes + f->body_end;
    uint32_t depth = 1;   /* open blocks, the body being one */
    uint32_t dead_at = 0; /* nonzero: the rest of the block at this depth is not emitted */
    while (p < end) {
        uint32_t off = (uint32_t)(p - m->bytes);
        uint8_t op = *p++;
        uint32_t sub = 0;
        int rc = 0;
        switch (op) {
        case 0x02:
        case 0x03:
        case 0x04:
            rc = skip_blocktype(&p, end);
            depth++;
            break;
        case 0x05: /* else: the else arm is emitted if the if was */
            if (dead_at == depth) dead_at = 0;
            break;
        case 0x0b:
            if (dead_at == depth) dead_at = 0;
            depth--;
            break;
        case 0x0c: rc = skip_leb(&p, end); break;
        case 0x0d: rc = skip_leb(&p, end); break;
        case 0x0e: {
            uint32_t n;
            if (rw_read_u32(&p, end, &n)) return -1;
            if (n > (size_t)(end - p)) return -1;
            rc = skip_u32s(&p, end, (int)n + 1);
            break;
        }
        case 0x10: rc = rw_read_u32(&p, end, &sub) ? -1 : 0; break;
        case 0x11: rc = skip_u32s(&p, end, 2); break;
        case 0x1c: {
            uint32_t n;
            if (rw_read_u32(&p, end, &n)) return -1;
            rc = skip_bytes(&p, end, n);
            break;
        }
        case 0x20:
        case 0x21:
        case 0x22:
        case 0x23:
        case 0x24:
        case 0x25:
        case 0x26:
        case 0xd2: rc = skip_leb(&p, end); break;
        case 0x3f:
        case 0x40:
        case 0xd0: rc = skip_bytes(&p, end, 1); break;
        case 0x41:
        case 0x42: rc = skip_leb(&p, end); break;
        case 0x43: rc = skip_bytes(&p, end, 4); break;
        case 0x44: rc = skip_bytes(&p, end, 8); break;
        case 0xfc:
            if (rw_read_u32(&p, end, &sub)) return -1;
            switch (sub) {
            case 8: rc = skip_leb(&p, end) || skip_bytes(&p, end, 1); break;
            case 9:
            case 13:
            case 15:
            case 16:
            case 17: rc = skip_leb(&p, end); break;
            case 10: rc = skip_bytes(&p, end, 2); break;
            case 11: rc = skip_bytes(&p, end, 1); break;
            case 12:
            case 14: rc = skip_u32s(&p, end, 2); break;
            default: rc = sub <= 7 ? 0 : -1; break;
            }
            break;
        default:
            if (op >= 0x28 && op <= 0x3e)
                rc = skip_u32s(&p, end, 2); /* memarg */
            else if (!(op <= 0x01 || op == 0x0f || op == 0x1a || op == 0x1b || op == 0xd1 ||
                       (op >= 0x45 && op <= 0xc4)))
                return -1;
            break;
        }
        if (rc) return -1;
        if (dead_at) continue;
        if (op == 0x10) {
            /* calls of defined functions: a call-stack exhaustion in the callee's entry names
             * the call (calls of imports have no C line of their own to match) */
            if (sub >= m->n_imported_funcs) push(out, off, K_CALL, sub);
            continue;
        }
        int k = kind_of_op(op, sub);
        if (k >= 0) push(out, off, k, 0);
        if (op == 0x00 || op == 0x0c || op == 0x0e || op == 0x0f) dead_at = depth;
    }
    return out->oom ? -1 : 0;
}

/* ---- C side -----------------------------------------------------------------------------------
 */

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The trap sites of the C function body [p, end) whose first line is `line`. */
static void c_sites(const char *p, const char *end, uint32_t line, sites *out)
{
    while (p < end) {
        char c = *p;
        if (c == '\n') {
            line++;
            p++;
        } else if (ident_char(c)) {
            const char *s = p;
            while (p < end && ident_char(*p))
                p++;
            size_t n = (size_t)(p - s);
            int k = kind_of_ident(s, n);
            if (k >= 0) push(out, line, k, 0);
            if (k < 0 && n > 5 && memcmp(s, "w2c_f", 5) == 0 && p < end && *p == '(') {
                uint64_t v = 0;
                size_t i = 5;
                while (i < n && s[i] >= '0' && s[i] <= '9' && v < UINT32_MAX)
                    v = v * 10 + (uint64_t)(s[i++] - '0');
                if (i == n && v < UINT32_MAX) push(out, line, K_CALL, (uint32_t)v);
            }
        } else {
            p++;
        }
    }
}

/* If line l starts a definition of "w2c_f<N>(" ending in '{', N; else UINT32_MAX. */
static uint32_t def_func(const char *p, const char *e)
{
    const char *t = e;
    while (t > p && (t[-1] == ' ' || t[-1] == '\r'))
        t--;
    if (t == p || t[-1] != '{' || *p == ' ' || *p == '\t' || *p == '#' || *p == '/' || *p == '}')
        return UINT32_MAX;
    for (const char *q = p; q + 6 < t; q++) {
        if (memcmp(q, " w2c_f", 6) != 0) continue;
        uint64_t v = 0;
        const char *d = q + 6;
        while (d < t && *d >= '0' && *d <= '9' && v < UINT32_MAX)
            v = v * 10 + (uint64_t)(*d++ - '0');
        if (d > q + 6 && d < t && *d == '(' && v < UINT32_MAX) return (uint32_t)v;
        return UINT32_MAX;
    }
    return UINT32_MAX;
}

/* ---- zip --------------------------------------------------------------------------------------
 */

/* 1 if the lists agree (and their entries were written), 0 if not. */
static int zip(const sites *w, const sites *c, rw_aot_buf *out)
{
    if (w->n != c->n) return 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].kind != c->v[i].kind || w->v[i].target != c->v[i].target) return 0;
    for (size_t i = 0; i < c->n; i++) {
        uint32_t l = c->v[i].at;
        if ((i > 0 && c->v[i - 1].at == l) || (i + 1 < c->n && c->v[i + 1].at == l)) continue;
        uint64_t cls = RW_AOT_SITE_CALL + (uint64_t)c->v[i].target;
        if (c->v[i].kind != K_CALL) {
            uint8_t op = kinds[c->v[i].kind].op;
            cls = op >= 0x28 && op <= 0x35   ? RW_AOT_SITE_LOAD
                  : op >= 0x36 && op <= 0x3e ? RW_AOT_SITE_STORE
                  : op == 0x11               ? RW_AOT_SITE_CALL_INDIRECT
                                             : RW_AOT_SITE_OTHER;
        }
        if (cls > UINT32_MAX) continue;
        rw_aot_buf_printf(out, "%u, %u, %u, ", (unsigned)l, (unsigned)w->v[i].at, (unsigned)cls);
    }
    return 1;
}

void rw_aot_sites(const rw_module *m, const char *src, size_t len, rw_aot_buf *out,
                  rw_aot_sites_stats *stats)
{
    const char *p = src, *end = src + len;
    uint32_t line = 1;
    sites w = {0}, c = {0};
    rw_aot_sites_stats st = {0, 0};
    rw_aot_buf_printf(out, "\nstatic const uint32_t rw_trap_sites[] = {");
    while (m && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        uint32_t fi = def_func(p, e);
        if (fi == UINT32_MAX || fi < m->n_imported_funcs || fi >= m->nfuncs || !nl) {
            line++;
            p = e + 1;
            continue;
        }
        /* the body: up to the next line that is "}" at column 0 */
        const char *b = nl + 1, *q = b;
        while (q < end && !(q[0] == '}' && (q + 1 == end || q[1] == '\n'))) {
            const char *n2 = memchr(q, '\n', (size_t)(end - q));
            q = n2 ? n2 + 1 : end;
        }
        w.n = c.n = 0;
        c_sites(b, q, line + 1, &c);
        if (wasm_sites(m, fi, &w) == 0 && !c.oom) {
            if (zip(&w, &c, out))
                st.matched++;
            else
                st.unmatched++;
        } else {
            st.unmatched++;
        }
        /* continue after the body (its lines counted) */
        for (const char *r = p; r < q; r++)
            if (*r == '\n') line++;
        p = q;
    }
    rw_aot_buf_printf(out, "0, 0, 0};\n");
    if (w.oom || c.oom) out->oom = 1;
    rune_free(w.v);
    rune_free(c.v);
    if (stats) *stats = st;
}
