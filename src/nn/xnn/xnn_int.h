/*
 * xnn_int.h - the XNNPACK fast path of the model engine (built with RUNE_NN_XNNPACK).
 *
 * nn_xnn_prepare (declared in nn_int.h) runs after an op's portable prepare when the model is
 * loaded with options.fast_path; it builds an XNNPACK operator (weights packed by XNNPACK at
 * creation) and sets op->fast_eval / fast_state / fast_free, or leaves the op to the portable
 * kernel. An XNNPACK operator belongs to the model and is set up with the calling interpreter's
 * tensor addresses at each eval, under a mutex per operator: interpreters of one model may run in
 * different threads at once (they take turns on each fast op).
 *
 * Which ops take it (Debian's libxnnpack-dev, 2022-02 snapshot):
 *   float32: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, ADD, SUB,
 *            MUL, SOFTMAX (beta 1), LOGISTIC. Results within float rounding of the portable kernels
 *            (different summation order and exp/sigmoid approximations).
 *   exact, any type: MAX_POOL_2D int8 (s8: a max and a clamp), PAD int8/float32 (constant pad),
 *            DEQUANTIZE int8 -> float32 (one float multiply of an exact difference equals TFLite's
 *            double product rounded to float); identical to the portable kernels.
 *   int8 arithmetic: none by default. XNNPACK's qs8/qc8 operators requantize in float ("fp32"
 *            requantization, round to nearest even) where TFLite uses a 31-bit fixed-point
 *            multiplier with rounding half away from zero; outputs differ by 1 on some elements
 *            and the difference propagates (see tests/nn/ops/test_nn_ops_xnn.c and bench/nn), so
 *            the int8 operators below are built only when nn_xnn_int8 is set - for measurement,
 *            never by the public API.
 */
#ifndef RUNE_NN_XNN_INT_H
#define RUNE_NN_XNN_INT_H

#include "../nn_int.h"

#ifdef RUNE_NN_XNNPACK
#include <pthread.h>
#include <xnnpack.h>

/* Set to 1 to let int8 CONV_2D / DEPTHWISE_CONV_2D (qc8), FULLY_CONNECTED and ADD/MUL (qs8) take
 * XNNPACK although its rounding differs from TFLite's; read at load. Benchmarks and tests only. */
extern int nn_xnn_int8;

/* Ops with less work than this (MACs, or output elements for data movement) stay portable:
 * XNNPACK's per-call setup costs more than it saves on tiny layers (hello_world's 16-unit
 * FULLY_CONNECTEDs ran 0.7x as fast). Tests lower it to 0 to exercise the fast path on small
 * models. */
#ifndef NN_XNN_MIN_MACS
#define NN_XNN_MIN_MACS 4096
#endif
extern uint64_t nn_xnn_min_macs;

typedef struct nn_xnn_state {
    xnn_operator_t op;
    pthread_mutex_t lock; /* setup + run of op */
    int kind;             /* which setup call eval makes (xnn.c) */
    size_t batch, in_h, in_w;
    size_t n_a, n_b;                     /* binary: ranks */
    size_t shape_a[XNN_MAX_TENSOR_DIMS]; /* binary: input shapes */
    size_t shape_b[XNN_MAX_TENSOR_DIMS];
    size_t pre[XNN_MAX_TENSOR_DIMS], post[XNN_MAX_TENSOR_DIMS]; /* PAD */
} nn_xnn_state;

enum {
    NN_XNN_CONV_F32 = 1,
    NN_XNN_FC_F32,
    NN_XNN_AVGPOOL_F32,
    NN_XNN_MAXPOOL_F32,
    NN_XNN_ADD_F32,
    NN_XNN_SUB_F32,
    NN_XNN_MUL_F32,
    NN_XNN_SOFTMAX_F32,
    NN_XNN_SIGMOID_F32,
    NN_XNN_CONV_QC8,
    NN_XNN_FC_QS8,
    NN_XNN_ADD_QS8,
    NN_XNN_MUL_QS8,
    NN_XNN_MAXPOOL_S8,
    NN_XNN_PAD_X8,
    NN_XNN_PAD_X32,
    NN_XNN_DEQUANT_QS8,
};

/* Per-type builders (xnn_f32.c, xnn_qs8.c): fill st->op and st->kind, return 1 when the op was
 * built, 0 when XNNPACK does not take it (the portable kernel stays). */
int nn_xnn_build_f32(nn_graph *g, nn_op *op, nn_xnn_state *st);
int nn_xnn_build_qs8(nn_graph *g, nn_op *op, nn_xnn_state *st);
int nn_xnn_build_exact(nn_graph *g, nn_op *op, nn_xnn_state *st);

/* Window geometry shared by the builders: explicit paddings (TFLite SAME splits the total with
 * the extra pixel after), from the options table of a conv/depthwise/pool op. */
typedef struct nn_xnn_window {
    uint32_t pad_top, pad_right, pad_bottom, pad_left;
    uint32_t stride_h, stride_w, dil_h, dil_w;
} nn_xnn_window;
int nn_xnn_window_of(const nn_tensor *in, const nn_tensor *out, int kh, int kw, int padding, int sh,
                     int sw, int dh, int dw, nn_xnn_window *w);
#endif

#endif
