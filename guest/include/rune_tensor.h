/*
 * rune_tensor.h - the tensor the guest SDK and every proc block pass around.
 *
 * A tensor is a view: element type, shape and a pointer to bytes someone else owns (the generated
 * pipeline's static buffers, a capability's read buffer). Nothing here allocates. Used on the guest
 * (wasm32) and natively in tests; also by the host-side proc-block catalog for shapes (data NULL).
 */
#ifndef RUNE_TENSOR_H
#define RUNE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "rune/abi.h"
#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rune_tensor {
    int32_t elem;  /* rune_abi_elem */
    uint32_t rank; /* 0..RUNE_ABI_MAX_RANK; rank 0 is a scalar (one element) */
    uint32_t dims[RUNE_ABI_MAX_RANK];
    void *data; /* not owned; may be NULL for a shape-only tensor */
    size_t len; /* bytes at data: the capacity of an output buffer before a
                   transform, the bytes used after it */
} rune_tensor;

/* Number of elements (product of dims; 1 for rank 0). Returns 0 and sets *overflow if the product
 * does not fit size_t (overflow may be NULL). */
size_t rune_tensor_count(const rune_tensor *t, int *overflow);

/* Describe a tensor over data: checks the type, rank, that no dimension is 0 and that the byte size
 * fits cap (the bytes at data). RUNE_E_ARG with a message otherwise. */
rune_status rune_tensor_init(rune_tensor *t, int32_t elem, uint32_t rank, const uint32_t *dims,
                             void *data, size_t cap, rune_error *err);

/* Check that t is a tensor of elem type (any shape) whose len matches its shape; `what` names it
 * in the message ("fft input"). */
rune_status rune_tensor_expect(const rune_tensor *t, int32_t elem, const char *what,
                               rune_error *err);

/* Format a shape as "i16[1,16000]" into buf (always NUL-terminated); returns buf. */
const char *rune_tensor_shape_str(int32_t elem, uint32_t rank, const uint32_t *dims, char *buf,
                                  size_t cap);

#ifdef __cplusplus
}
#endif
#endif
