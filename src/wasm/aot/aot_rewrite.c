/*
 * aot_rewrite.c - re-encode a validated module for wasm2c with names we choose.
 *
 * wasm2c derives C symbols from import and export names (mangled) and from the name section. To
 * bind them without parsing its output we hand it a copy of the module in which:
 *   - every import is "h"."i<k>" (k = import index), so all imports share one C instance pointer,
 *   - the exports are replaced by one per defined item: "f<i>", "g<i>", "m<i>", "t<i>" (index-space
 *     indices), so every defined function, global, memory and table is reachable from the glue,
 *     plus "f<i>" for each imported function the module exported: an export declares a function
 *     for ref.func, so dropping it would make a valid module invalid,
 *   - custom sections (names, rune models, ...) are dropped.
 * Every other section is copied byte for byte, so code and data are exactly what was validated.
 * Workload: one pass over the module's sections; the module was decoded and validated before.
 */
#include <stdio.h>
#include <string.h>

#include "rune/alloc.h"
#include "aot_int.h"

static void put_name(rw_aot_buf *b, char kind, uint32_t i)
{
    char s[16];
    int n = snprintf(s, sizeof s, "%c%u", kind, (unsigned)i);
    rw_aot_buf_u32(b, (uint32_t)n);
    rw_aot_buf_put(b, s, (size_t)n);
}

static void put_limits(rw_aot_buf *b, const rw_limits *l)
{
    rw_aot_buf_byte(b, l->has_max ? 1 : 0);
    rw_aot_buf_u32(b, l->min);
    if (l->has_max) rw_aot_buf_u32(b, l->max);
}

static void put_section(rw_aot_buf *out, uint8_t id, const rw_aot_buf *payload)
{
    rw_aot_buf_byte(out, id);
    rw_aot_buf_u32(out, (uint32_t)payload->len);
    rw_aot_buf_put(out, payload->p, payload->len);
}

static void encode_imports(const rw_module *m, rw_aot_buf *b)
{
    rw_aot_buf_u32(b, m->nimports);
    for (uint32_t k = 0; k < m->nimports; k++) {
        const rw_import *im = &m->imports[k];
        rw_aot_buf_u32(b, 1);
        rw_aot_buf_byte(b, 'h');
        put_name(b, 'i', k);
        rw_aot_buf_byte(b, (uint8_t)im->kind);
        switch (im->kind) {
        case RUNE_WASM_EXTERN_FUNC: rw_aot_buf_u32(b, im->type_index); break;
        case RUNE_WASM_EXTERN_TABLE:
            rw_aot_buf_byte(b, im->table.elem);
            put_limits(b, &im->table.lim);
            break;
        case RUNE_WASM_EXTERN_MEMORY: put_limits(b, &im->mem); break;
        case RUNE_WASM_EXTERN_GLOBAL:
            rw_aot_buf_byte(b, im->global.type);
            rw_aot_buf_byte(b, im->global.mut);
            break;
        }
    }
}

/* rx[i] is 1 when imported function i is exported by the module. */
static void encode_exports(const rw_module *m, const uint8_t *rx, rw_aot_buf *b)
{
    uint32_t n = (m->nfuncs - m->n_imported_funcs) + (m->nglobals - m->n_imported_globals) +
                 (m->nmems - m->n_imported_mems) + (m->ntables - m->n_imported_tables);
    for (uint32_t i = 0; i < m->n_imported_funcs; i++)
        n += rx[i];
    rw_aot_buf_u32(b, n);
    for (uint32_t i = 0; i < m->n_imported_funcs; i++) {
        if (!rx[i]) continue;
        put_name(b, 'f', i);
        rw_aot_buf_byte(b, RUNE_WASM_EXTERN_FUNC);
        rw_aot_buf_u32(b, i);
    }
    for (uint32_t i = m->n_imported_funcs; i < m->nfuncs; i++) {
        put_name(b, 'f', i);
        rw_aot_buf_byte(b, RUNE_WASM_EXTERN_FUNC);
        rw_aot_buf_u32(b, i);
    }
    for (uint32_t i = m->n_imported_globals; i < m->nglobals; i++) {
        put_name(b, 'g', i);
        rw_aot_buf_byte(b, RUNE_WASM_EXTERN_GLOBAL);
        rw_aot_buf_u32(b, i);
    }
    for (uint32_t i = m->n_imported_mems; i < m->nmems; i++) {
        put_name(b, 'm', i);
        rw_aot_buf_byte(b, RUNE_WASM_EXTERN_MEMORY);
        rw_aot_buf_u32(b, i);
    }
    for (uint32_t i = m->n_imported_tables; i < m->ntables; i++) {
        put_name(b, 't', i);
        rw_aot_buf_byte(b, RUNE_WASM_EXTERN_TABLE);
        rw_aot_buf_u32(b, i);
    }
}

/* Sections that must come after the export section (start, elem, datacount, code, data). */
static int after_exports(uint8_t id)
{
    return id == 8 || id == 9 || id == 10 || id == 11 || id == 12;
}

rune_status rw_aot_rewrite(const rw_module *m, rw_aot_buf *out, rune_error *err)
{
    const uint8_t *p = m->bytes, *end = m->bytes + m->len;
    rw_aot_buf sec = {0};
    int imports_done = 0, exports_done = 0;
    if (m->len < 8) return RUNE_ERR(err, RUNE_E_MALFORMED, "aot: module shorter than its header");
    uint8_t *rx = rune_calloc((size_t)m->n_imported_funcs + 1, 1);
    if (!rx) return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory re-encoding the module");
    for (uint32_t k = 0; k < m->nexports; k++)
        if (m->exports[k].kind == RUNE_WASM_EXTERN_FUNC &&
            m->exports[k].index < m->n_imported_funcs)
            rx[m->exports[k].index] = 1;
    rw_aot_buf_put(out, p, 8);
    p += 8;
    for (;;) {
        uint8_t id = 0;
        uint32_t size = 0;
        const uint8_t *payload = NULL;
        if (p < end) {
            id = *p++;
            if (rw_read_u32(&p, end, &size) || size > (size_t)(end - p)) {
                rw_aot_buf_free(out);
                rune_free(rx);
                return RUNE_ERR(err, RUNE_E_MALFORMED,
                                "aot: section at offset %zu runs past the end",
                                (size_t)(p - m->bytes));
            }
            payload = p;
            p += size;
        }
        int at_end = payload == NULL;
        if (!exports_done && (at_end || after_exports(id))) {
            if (!imports_done && m->nimports) {
                encode_imports(m, &sec);
                put_section(out, 2, &sec);
                sec.len = 0;
                imports_done = 1;
            }
            encode_exports(m, rx, &sec);
            put_section(out, 7, &sec);
            sec.len = 0;
            exports_done = 1;
        }
        if (at_end) break;
        if (id == 0 || id == 7) continue; /* custom: dropped; exports: replaced */
        if (id == 2) {
            encode_imports(m, &sec);
            put_section(out, 2, &sec);
            sec.len = 0;
            imports_done = 1;
            continue;
        }
        rw_aot_buf_byte(out, id);
        rw_aot_buf_u32(out, size);
        rw_aot_buf_put(out, payload, size);
    }
    int oom = sec.oom || out->oom;
    rw_aot_buf_free(&sec);
    rune_free(rx);
    if (oom) {
        rw_aot_buf_free(out);
        return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory re-encoding the module");
    }
    return RUNE_OK;
}
