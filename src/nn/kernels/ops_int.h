/*
 * ops_int.h - helpers shared by the nnops kernels (src/nn/kernels/ops_*.c): shapes, broadcasting,
 * constant operands, int8 helpers and lookup tables. Internal to the model engine.
 *
 * Workload: the elementwise and data-movement ops of TinyML graphs, tensors of up to
 * RUNE_NN_MAX_DIMS dims; all index arithmetic is done on shapes padded to NNOPS_DIMS dims in front,
 * so every kernel runs the same fixed nest of loops.
 */
#ifndef RUNE_NN_OPS_INT_H
#define RUNE_NN_OPS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../nn_int.h"

#define NNOPS_DIMS RUNE_NN_MAX_DIMS

static inline int32_t nnops_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* A rounded float result as int32 for requantization: saturated to +-2^30 (far outside int8, so
 * the caller's clamp decides), NaN -> nan_value. Models with absurd scales (inf, denormal) reach
 * here with inf/NaN; TFLite leaves that undefined, we keep it defined. */
static inline int32_t nnops_f2i(double v, int32_t nan_value)
{
    if (v != v) return nan_value;
    if (v > 1073741824.0) return 1073741824;
    if (v < -1073741824.0) return -1073741824;
    return (int32_t)v;
}

/* "[1,2,3]" into buf (always NUL-terminated); returns buf. */
const char *nnops_dims_str(int ndims, const int32_t *dims, char *buf, size_t n);
/* RUNE_E_INVALID unless t has exactly the given shape ("output 0 shape [..] must be [..]"). */
rune_status nnops_check_shape(const nn_tensor *t, const char *what, int ndims, const int32_t *dims,
                              rune_error *err);
/* Both tensors int8 with the same per-tensor scale and zero point (data movement ops). */
rune_status nnops_check_same_quant(const nn_tensor *in, const nn_tensor *out, rune_error *err);
/* in and out: float32 or int8, the same type; int8 with per-tensor quantization. */
rune_status nnops_check_f32_or_i8(const nn_tensor *in, const nn_tensor *out, rune_error *err);
/* Values of a constant int32 tensor (an operand like axes or paddings): at most max values. */
rune_status nnops_const_i32(const nn_tensor *t, const char *what, int max, int32_t *vals, int *n,
                            rune_error *err);

/* RUNE_E_INVALID when the operator carries a builtin options table of another type than want. */
rune_status nnops_check_opts(const nn_op *op, int want, rune_error *err);

/* A shape padded in front to NNOPS_DIMS dims, with element strides of a tensor read through it
 * (stride 0 on dims the tensor broadcasts along). */
typedef struct nnops_shape {
    int32_t d[NNOPS_DIMS];
} nnops_shape;

void nnops_pad_shape(int ndims, const int32_t *dims, nnops_shape *out);
/* Row-major strides of a padded shape. */
void nnops_strides(const nnops_shape *s, size_t *strides);
/* Numpy broadcast of a and b; RUNE_E_INVALID if incompatible. */
rune_status nnops_broadcast(const nn_tensor *a, const nn_tensor *b, int *ndims, int32_t *dims,
                            rune_error *err);
/* Strides of t read as broadcast to the padded output shape out. */
void nnops_bcast_strides(const nn_tensor *t, const nnops_shape *out, size_t *strides);

/* Element-wise binary ops with broadcasting (ADD, SUB, MUL): prepared once. */
typedef struct nnops_binary {
    nnops_shape out;
    size_t sa[NNOPS_DIMS], sb[NNOPS_DIMS];
    int flat;         /* same shapes: one flat loop */
    size_t n;         /* output elements */
    float f_lo, f_hi; /* float activation clamp */
    /* int8 */
    int32_t a_off, b_off, out_off;
    int32_t a_mult, b_mult, out_mult;
    int a_shift, b_shift, out_shift;
    int left_shift;
    int32_t q_lo, q_hi;
} nnops_binary;

/* Loop over every output element of a prepared nnops_binary: BODY sees ia, ib (input element
 * indices) and io (output element index). */
#define NNOPS_BINARY_LOOP(bp, BODY)                                                                \
    do {                                                                                           \
        const nnops_binary *p_ = (bp);                                                             \
        if (p_->flat) {                                                                            \
            for (size_t io = 0; io < p_->n; io++) {                                                \
                size_t ia = io, ib = io;                                                           \
                BODY;                                                                              \
            }                                                                                      \
            break;                                                                                 \
        }                                                                                          \
        size_t io = 0;                                                                             \
        for (int32_t i0 = 0; i0 < p_->out.d[0]; i0++)                                              \
            for (int32_t i1 = 0; i1 < p_->out.d[1]; i1++)                                          \
                for (int32_t i2 = 0; i2 < p_->out.d[2]; i2++)                                      \
                    for (int32_t i3 = 0; i3 < p_->out.d[3]; i3++)                                  \
                        for (int32_t i4 = 0; i4 < p_->out.d[4]; i4++) {                            \
                            size_t ba_ = i0 * p_->sa[0] + i1 * p_->sa[1] + i2 * p_->sa[2] +        \
                                         i3 * p_->sa[3] + i4 * p_->sa[4];                          \
                            size_t bb_ = i0 * p_->sb[0] + i1 * p_->sb[1] + i2 * p_->sb[2] +        \
                                         i3 * p_->sb[3] + i4 * p_->sb[4];                          \
                            for (int32_t i5 = 0; i5 < p_->out.d[5]; i5++, io++) {                  \
                                size_t ia = ba_ + i5 * p_->sa[5], ib = bb_ + i5 * p_->sb[5];       \
                                BODY;                                                              \
                            }                                                                      \
                        }                                                                          \
    } while (0)

/* Shared prepare of ADD/SUB/MUL: types, broadcast shape, activation; int8 multipliers are the
 * caller's (they differ per op). */
rune_status nnops_binary_prepare(nn_model *m, nn_graph *g, nn_op *op, nnops_binary **out,
                                 rune_error *err);

/* ADD and SUB (ops_add.c): prepare with the op's options type; eval adds, or subtracts when sub. */
rune_status nnops_addsub_prepare(nn_model *m, nn_graph *g, nn_op *op, int opts_type,
                                 rune_error *err);
rune_status nnops_addsub_eval(const nn_exec *x, const nn_op *op, int sub);

/* RELU and RELU6 (ops_relu.c): cap 0 for none, 6 for RELU6. */
typedef struct nnops_relu_params {
    int32_t mult;
    int shift;
    int32_t lo, hi;
} nnops_relu_params;
rune_status nnops_relu_prepare(nn_model *m, nn_graph *g, nn_op *op, float cap, rune_error *err);
rune_status nnops_relu_eval(const nn_exec *x, const nn_op *op, float cap);

/* Element-wise int8 -> int8 through a 256-entry table indexed by (uint8_t)x. */
typedef struct nnops_lut {
    int8_t table[256];
} nnops_lut;
/* Fill a table as TFLite's PopulateLookupTable does: dequantize each int8 value with the input's
 * scale/zero point, apply f in float, round half away from zero at the output scale, add the output
 * zero point, saturate. */
void nnops_lut_fill(nnops_lut *lut, const nn_tensor *in, const nn_tensor *out, float (*f)(float));
rune_status nnops_lut_eval(const nn_exec *x, const nn_op *op);

/* Gather with signed element strides: for every index i of the padded shape `out` (row-major),
 * dst[i] = src[base + sum_d i_d * strides[d]]; elements of esize bytes (1, 2, 4 or 8). The caller
 * guarantees every index lands inside src. Used by TRANSPOSE and STRIDED_SLICE. */
void nnops_gather(void *dst, const void *src, size_t esize, const nnops_shape *out,
                  const ptrdiff_t *strides, ptrdiff_t base);

/* Checks shared by the reshape-like data movement ops: output 0 has input 0's type and
 * quantization (any type). */
rune_status nnops_check_move(const nn_tensor *in, const nn_tensor *out, rune_error *err);

/* Copy input 0 byte for byte (SQUEEZE, EXPAND_DIMS); no-op when they share memory. */
rune_status nnops_copy_eval(const nn_exec *x, const nn_op *op);

#endif
