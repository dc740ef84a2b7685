/*
 * writer_fb.h - internal: a minimal FlatBuffer builder used by the TFLite writer (writer.c).
 *
 * Builds back to front, as FlatBuffers are meant to be built: children first, so every uoffset
 * points forward. A reference (wfb_ref) is a position counted from the end of the buffer. Errors
 * (allocation, a buffer past 2 GiB, a table wider than a vtable can describe) are sticky in
 * b->failed.
 */
#ifndef RUNE_NN_WRITER_FB_H
#define RUNE_NN_WRITER_FB_H

#include <stddef.h>
#include <stdint.h>

#define WFB_MAX_FIELDS 16

typedef uint32_t wfb_ref; /* position from the end of the buffer; 0 = absent */

typedef struct wfb {
    uint8_t *buf; /* contents occupy buf[cap - head, cap) */
    size_t cap, head;
    size_t minalign;
    int failed;
    size_t tbl_start;
    uint32_t fld[WFB_MAX_FIELDS];
    int n_fld;
} wfb;

void wfb_init(wfb *b);
void wfb_release(wfb *b);
wfb_ref wfb_string(wfb *b, const char *s);
/* A vector of n scalars of elem bytes each (1, 4 or 8), given in host order, stored little-endian,
 * with its first element aligned to align. */
wfb_ref wfb_vec(wfb *b, const void *data, size_t n, size_t elem, size_t align);
wfb_ref wfb_vec_refs(wfb *b, const wfb_ref *refs, size_t n);
void wfb_table_start(wfb *b);
void wfb_add_u8(wfb *b, int id, uint8_t v);
void wfb_add_i32(wfb *b, int id, int32_t v);
void wfb_add_f32(wfb *b, int id, float v);
void wfb_add_ref(wfb *b, int id, wfb_ref r); /* r == 0: field left out */
wfb_ref wfb_table_end(wfb *b);
/* Finish with a root table and a 4-byte file identifier; returns the bytes (inside b) and length.
 */
const uint8_t *wfb_finish(wfb *b, wfb_ref root, const char ident[4], size_t *len);

#endif
