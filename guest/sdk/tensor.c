/*
 * tensor.c - shape helpers for rune_tensor (guest SDK and proc blocks; also built natively).
 *
 * Workload: a few calls per pipeline step; no allocation.
 */
#include <stdio.h>

#include "rune_tensor.h"

size_t rune_tensor_count(const rune_tensor *t, int *overflow)
{
    size_t n = 1;
    if (overflow) *overflow = 0;
    for (uint32_t i = 0; i < t->rank && i < RUNE_ABI_MAX_RANK; i++) {
        if (__builtin_mul_overflow(n, (size_t)t->dims[i], &n)) {
            if (overflow) *overflow = 1;
            return 0;
        }
    }
    return n;
}

const char *rune_tensor_shape_str(int32_t elem, uint32_t rank, const uint32_t *dims, char *buf,
                                  size_t cap)
{
    const char *name = rune_abi_elem_name(elem);
    size_t pos = 0;
    if (!buf || cap == 0) return buf;
    buf[0] = 0;
    int w = snprintf(buf, cap, "%s[", name ? name : "?");
    if (w < 0) return buf;
    pos = (size_t)w;
    for (uint32_t i = 0; i < rank && pos < cap; i++) {
        w = snprintf(buf + pos, cap - pos, i ? ",%u" : "%u", (unsigned)dims[i]);
        if (w < 0) return buf;
        pos += (size_t)w;
    }
    if (pos < cap) snprintf(buf + pos, cap - pos, "]");
    return buf;
}

rune_status rune_tensor_init(rune_tensor *t, int32_t elem, uint32_t rank, const uint32_t *dims,
                             void *data, size_t cap, rune_error *err)
{
    if (!t) return RUNE_ERR(err, RUNE_E_ARG, "tensor: NULL");
    size_t esize = rune_abi_elem_size(elem);
    if (esize == 0) return RUNE_ERR(err, RUNE_E_ARG, "tensor: unknown element type %d", (int)elem);
    if (rank > RUNE_ABI_MAX_RANK)
        return RUNE_ERR(err, RUNE_E_ARG, "tensor: rank %u is above %d", (unsigned)rank,
                        RUNE_ABI_MAX_RANK);
    if (rank && !dims) return RUNE_ERR(err, RUNE_E_ARG, "tensor: dims missing");
    t->elem = elem;
    t->rank = rank;
    for (uint32_t i = 0; i < RUNE_ABI_MAX_RANK; i++)
        t->dims[i] = i < rank ? dims[i] : 0;
    for (uint32_t i = 0; i < rank; i++)
        if (dims[i] == 0)
            return RUNE_ERR(err, RUNE_E_ARG, "tensor: dimension %u is 0", (unsigned)i);
    int ovf = 0;
    size_t n = rune_tensor_count(t, &ovf);
    if (ovf || n > (size_t)-1 / esize) return RUNE_ERR(err, RUNE_E_ARG, "tensor: size overflows");
    if (n * esize > cap) {
        char s[96];
        return RUNE_ERR(err, RUNE_E_LIMIT, "tensor: %s needs %zu bytes, buffer has %zu",
                        rune_tensor_shape_str(elem, rank, dims, s, sizeof s), n * esize, cap);
    }
    if (n * esize != 0 && !data) return RUNE_ERR(err, RUNE_E_ARG, "tensor: data missing");
    t->data = data;
    t->len = n * esize;
    return RUNE_OK;
}

rune_status rune_tensor_expect(const rune_tensor *t, int32_t elem, const char *what,
                               rune_error *err)
{
    if (!t) return RUNE_ERR(err, RUNE_E_ARG, "%s: missing tensor", what);
    if (t->elem != elem) {
        const char *got = rune_abi_elem_name(t->elem);
        return RUNE_ERR(err, RUNE_E_ARG, "%s: expected %s elements, got %s", what,
                        rune_abi_elem_name(elem), got ? got : "an unknown type");
    }
    const size_t es = rune_abi_elem_size(elem);
    if (es == 0)
        return RUNE_ERR(err, RUNE_E_ARG, "%s: unknown element type %d", what, (int)t->elem);
    if (t->rank > RUNE_ABI_MAX_RANK) return RUNE_ERR(err, RUNE_E_ARG, "%s: rank too large", what);
    int ovf = 0;
    size_t n = rune_tensor_count(t, &ovf), bytes = 0;
    if (ovf || __builtin_mul_overflow(n, es, &bytes) || bytes != t->len) {
        char s[96];
        return RUNE_ERR(err, RUNE_E_ARG, "%s: shape %s does not match %zu bytes", what,
                        rune_tensor_shape_str(t->elem, t->rank, t->dims, s, sizeof s), t->len);
    }
    if (t->len && !t->data) return RUNE_ERR(err, RUNE_E_ARG, "%s: data missing", what);
    return RUNE_OK;
}
