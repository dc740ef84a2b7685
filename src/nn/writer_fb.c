/*
 * writer_fb.c - a minimal back-to-front FlatBuffer builder (see writer_fb.h).
 *
 * Workload: test and example models of a few KiB to a few MiB, built once; simplicity over speed
 * (no vtable sharing, the buffer doubles when full). Written here because Debian's flatbuffers
 * package is C++ and generated code from TensorFlow's schema is what the project avoids.
 */
#include "writer_fb.h"

#include <string.h>

#include "rune/alloc.h"

#define WFB_MAX_SIZE 0x7fffffffu

void wfb_init(wfb *b)
{
    memset(b, 0, sizeof *b);
    b->minalign = 1;
}

void wfb_release(wfb *b)
{
    rune_free(b->buf);
    b->buf = NULL;
    b->cap = b->head = 0;
}

/* Make room for n more bytes in front of the contents. */
static int grow(wfb *b, size_t n)
{
    if (b->failed) return 0;
    if (n > WFB_MAX_SIZE || b->head + n > WFB_MAX_SIZE) {
        b->failed = 1;
        return 0;
    }
    if (b->cap - b->head >= n) return 1;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap - b->head < n)
        cap *= 2;
    uint8_t *nb = rune_malloc(cap);
    if (!nb) {
        b->failed = 1;
        return 0;
    }
    if (b->head) memcpy(nb + cap - b->head, b->buf + b->cap - b->head, b->head);
    rune_free(b->buf);
    b->buf = nb;
    b->cap = cap;
    return 1;
}

static void pad(wfb *b, size_t n)
{
    if (!n || !grow(b, n)) return;
    b->head += n;
    memset(b->buf + b->cap - b->head, 0, n);
}

/* Pad so that after `extra` more bytes the contents are aligned to `align` (a power of two). */
static void prep(wfb *b, size_t align, size_t extra)
{
    if (align > b->minalign) b->minalign = align;
    pad(b, (size_t)(-(b->head + extra)) & (align - 1));
}

static void push_le(wfb *b, uint64_t v, size_t n)
{
    if (!grow(b, n)) return;
    b->head += n;
    uint8_t *p = b->buf + b->cap - b->head;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void push_bytes(wfb *b, const void *p, size_t n)
{
    if (!n || !grow(b, n)) return;
    b->head += n;
    memcpy(b->buf + b->cap - b->head, p, n);
}

/* A uoffset to r, written at the current front. */
static void push_uoffset(wfb *b, wfb_ref r)
{
    prep(b, 4, 0);
    if (b->failed) return;
    push_le(b, (uint32_t)(b->head + 4 - r), 4);
}

wfb_ref wfb_string(wfb *b, const char *s)
{
    size_t n = strlen(s);
    prep(b, 4, n + 1);
    push_le(b, 0, 1);
    push_bytes(b, s, n);
    push_le(b, n, 4);
    return b->failed ? 0 : (wfb_ref)b->head;
}

wfb_ref wfb_vec(wfb *b, const void *data, size_t n, size_t elem, size_t align)
{
    size_t bytes = n * elem; /* n is bounded by the callers' int counts and data_len */
    prep(b, 4, bytes);
    prep(b, align < elem ? elem : align, bytes);
    if (elem == 1) {
        push_bytes(b, data, n);
    } else {
        const uint8_t *p = data;
        for (size_t i = n; i-- > 0;) {
            uint64_t v = 0;
            if (elem == 4) {
                uint32_t u;
                memcpy(&u, p + i * 4, 4);
                v = u;
            } else {
                memcpy(&v, p + i * 8, 8);
            }
            push_le(b, v, elem);
        }
    }
    push_le(b, n, 4);
    return b->failed ? 0 : (wfb_ref)b->head;
}

wfb_ref wfb_vec_refs(wfb *b, const wfb_ref *refs, size_t n)
{
    prep(b, 4, 4 * n);
    for (size_t i = n; i-- > 0;)
        push_uoffset(b, refs[i]);
    push_le(b, n, 4);
    return b->failed ? 0 : (wfb_ref)b->head;
}

void wfb_table_start(wfb *b)
{
    memset(b->fld, 0, sizeof b->fld);
    b->n_fld = 0;
    b->tbl_start = b->head;
}

static void note_field(wfb *b, int id)
{
    if (id < 0 || id >= WFB_MAX_FIELDS) {
        b->failed = 1;
        return;
    }
    b->fld[id] = (uint32_t)b->head;
    if (id + 1 > b->n_fld) b->n_fld = id + 1;
}

void wfb_add_u8(wfb *b, int id, uint8_t v)
{
    push_le(b, v, 1);
    note_field(b, id);
}

void wfb_add_i32(wfb *b, int id, int32_t v)
{
    prep(b, 4, 0);
    push_le(b, (uint32_t)v, 4);
    note_field(b, id);
}

void wfb_add_f32(wfb *b, int id, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    prep(b, 4, 0);
    push_le(b, u, 4);
    note_field(b, id);
}

void wfb_add_ref(wfb *b, int id, wfb_ref r)
{
    if (!r) return;
    push_uoffset(b, r);
    note_field(b, id);
}

wfb_ref wfb_table_end(wfb *b)
{
    prep(b, 4, 0);
    push_le(b, 0, 4); /* soffset to the vtable, patched below */
    if (b->failed) return 0;
    size_t tbl = b->head;
    size_t tbl_size = tbl - b->tbl_start;
    size_t vt_size = 4 + 2 * (size_t)b->n_fld;
    if (tbl_size > 0xffff) {
        b->failed = 1;
        return 0;
    }
    for (int id = b->n_fld; id-- > 0;) {
        size_t off = b->fld[id] ? tbl - b->fld[id] : 0;
        if (off > 0xffff) b->failed = 1;
        push_le(b, off, 2);
    }
    push_le(b, tbl_size, 2);
    push_le(b, vt_size, 2);
    if (b->failed) return 0;
    uint32_t so = (uint32_t)(b->head - tbl); /* table address - vtable address */
    uint8_t *p = b->buf + b->cap - tbl;
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(so >> (8 * i));
    return (wfb_ref)tbl;
}

const uint8_t *wfb_finish(wfb *b, wfb_ref root, const char ident[4], size_t *len)
{
    prep(b, b->minalign < 16 ? 16 : b->minalign, 8);
    push_bytes(b, ident, 4);
    push_uoffset(b, root);
    if (b->failed) return NULL;
    *len = b->head;
    return b->buf + b->cap - b->head;
}
