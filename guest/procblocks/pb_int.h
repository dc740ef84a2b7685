/*
 * pb_int.h - helpers shared by the small proc blocks: reading any numeric element as a double,
 * checking inputs and preparing outputs. Internal to guest/procblocks.
 */
#ifndef RUNE_GUEST_PB_INT_H
#define RUNE_GUEST_PB_INT_H

#include <string.h>

#include "rune_procblocks.h"

#define PB_TRY(x)                                                                                  \
    do {                                                                                           \
        rune_status st_ = (x);                                                                     \
        if (st_ != RUNE_OK) return st_;                                                            \
    } while (0)

/* Element i of a numeric tensor as a double. */
static inline double pb_get(const rune_tensor *t, size_t i)
{
    const uint8_t *p = (const uint8_t *)t->data + i * rune_abi_elem_size(t->elem);
    switch (t->elem) {
    case RUNE_ELEM_U8: return p[0];
    case RUNE_ELEM_I8: return (int8_t)p[0];
    case RUNE_ELEM_U16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case RUNE_ELEM_I16: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case RUNE_ELEM_U32: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case RUNE_ELEM_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case RUNE_ELEM_F32: {
        float v;
        memcpy(&v, p, 4);
        return v;
    }
    case RUNE_ELEM_F64: {
        double v;
        memcpy(&v, p, 8);
        return v;
    }
    default: return 0;
    }
}

/* A well-formed input tensor of any known element type with at least one element. Every
 * inference checks this, so the common case (a consistent tensor under 4 GiB) is tested inline and
 * only anything else goes through rune_tensor_expect for its message. */
static inline rune_status pb_input(const char *block, const rune_tensor *in, size_t *n,
                                   rune_error *err)
{
    if (in && in->data && in->rank <= RUNE_ABI_MAX_RANK) {
        const size_t es = rune_abi_elem_size(in->elem);
        uint64_t count = 1;
        for (uint32_t i = 0; i < in->rank && count <= UINT32_MAX; i++)
            count *= in->dims[i];
        if (es && count && count <= UINT32_MAX && (uint64_t)in->len == count * es) {
            *n = (size_t)count;
            return RUNE_OK;
        }
    }
    if (!in) return RUNE_ERR(err, RUNE_E_ARG, "%s: missing input tensor", block);
    PB_TRY(rune_tensor_expect(in, in->elem, block, err));
    *n = in->len / rune_abi_elem_size(in->elem);
    if (*n == 0) return RUNE_ERR(err, RUNE_E_ARG, "%s: empty input tensor", block);
    return RUNE_OK;
}

/* Set out's description: elem, shape (rank, dims) and len. dims past rank are 0 (rune_tensor_init
 * makes them so): only those the new rank uncovers need clearing, so this runs over max(rank, old
 * rank) entries, not all eight. (One loop with a select: a separate copy or zeroing loop would
 * become a call to memmove / memset on wasm32.) dims may be out->dims itself: each entry is read
 * before it is written. */
static inline void pb_describe(rune_tensor *out, int32_t elem, uint32_t rank, const uint32_t *dims,
                               size_t len)
{
    const uint32_t old = out->rank < RUNE_ABI_MAX_RANK ? out->rank : RUNE_ABI_MAX_RANK;
    if (rank == 1 && old <= 1) {
        out->dims[0] = dims[0]; /* the usual small case, without the loop */
    } else {
        const uint32_t upto = rank > old ? rank : old;
        for (uint32_t i = 0; i < upto; i++)
            out->dims[i] = i < rank ? dims[i] : 0;
    }
    out->elem = elem;
    out->rank = rank;
    out->len = len;
}

/* Give out the type elem and shape (rank, dims), checking the caller's buffer holds it. */
static inline rune_status pb_output(const char *block, rune_tensor *out, int32_t elem,
                                    uint32_t rank, const uint32_t *dims, rune_error *err)
{
    if (!out) return RUNE_ERR(err, RUNE_E_ARG, "%s: missing output tensor", block);
    size_t n = 1;
    for (uint32_t i = 0; i < rank; i++)
        n *= dims[i];
    size_t need = n * rune_abi_elem_size(elem);
    if (need && (!out->data || out->len < need))
        return RUNE_ERR(err, RUNE_E_LIMIT, "%s: output needs %zu bytes, buffer has %zu", block,
                        need, out->data ? out->len : (size_t)0);
    pb_describe(out, elem, rank, dims, need);
    return RUNE_OK;
}

/* The per-inference fast check of an elementwise block (out takes in's type and shape): in is a
 * consistent, non-empty tensor of elem type under 4 G elements and out has room for its bytes.
 * *n = its element count. 0 means "take the general path", which reports what is wrong. */
static inline int pb_elementwise_ok(const rune_tensor *in, int32_t elem, const rune_tensor *out,
                                    size_t *n)
{
    if (!in || !out || in->elem != elem || !in->data || !out->data || in->rank > RUNE_ABI_MAX_RANK)
        return 0;
    uint64_t count = in->rank ? in->dims[0] : 1; /* rank 1 needs no loop */
    for (uint32_t i = 1; i < in->rank && count <= UINT32_MAX; i++)
        count *= in->dims[i];
    if (!count || count > UINT32_MAX || (uint64_t)in->len != count * rune_abi_elem_size(elem) ||
        out->len < in->len)
        return 0;
    *n = (size_t)count;
    return 1;
}

#endif
