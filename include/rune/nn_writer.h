/*
 * nn_writer.h - a small TensorFlow Lite model writer, for tests, fuzz seeds and examples.
 *
 * Builds a .tflite FlatBuffer (file identifier "TFL3", schema version 3, one subgraph) from tensors
 * and operators described in plain C structs: float32 / int8 / int32 tensors, per-tensor and
 * per-channel quantization, constant data (weights, biases, shape operands), names and builtin
 * options. Every OperatorCode carries both builtin_code and deprecated_builtin_code (the latter
 * clamped to 127, as TFLite does for codes past the int8 range).
 *
 *   rune_nnw *w; rune_nnw_new(&w, &err);
 *   int in  = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "x", .type = RUNE_NNW_FLOAT32,
 * ...}); int out = rune_nnw_add_tensor(w, ...); rune_nnw_add_op(w, RUNE_NNW_OP_RELU, (int[]){in},
 * 1, (int[]){out}, 1, NULL); rune_nnw_set_io(w, (int[]){in}, 1, (int[]){out}, 1);
 *   rune_nnw_finish(w, &bytes, &len, &err);   bytes: rune_malloc'd, the caller frees with rune_free
 *   rune_nnw_free(w);
 *
 * The writer checks only what it needs to produce a well-formed FlatBuffer; it does not judge the
 * model (shapes, types, indices may be wrong on purpose, so tests can feed bad models to the
 * reader). Errors are sticky: an add that fails returns -1, records the error, and rune_nnw_finish
 * reports it; so a test may add everything and check once. All input arrays and strings are copied.
 */
#ifndef RUNE_NN_WRITER_H
#define RUNE_NN_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* TFLite TensorType codes. */
enum {
    RUNE_NNW_FLOAT32 = 0,
    RUNE_NNW_FLOAT16 = 1,
    RUNE_NNW_INT32 = 2,
    RUNE_NNW_UINT8 = 3,
    RUNE_NNW_INT64 = 4,
    RUNE_NNW_BOOL = 6,
    RUNE_NNW_INT16 = 7,
    RUNE_NNW_INT8 = 9,
};

/* TFLite BuiltinOperator codes of the ops Rune implements (any other code may be passed too). */
enum {
    RUNE_NNW_OP_ADD = 0,
    RUNE_NNW_OP_AVERAGE_POOL_2D = 1,
    RUNE_NNW_OP_CONCATENATION = 2,
    RUNE_NNW_OP_CONV_2D = 3,
    RUNE_NNW_OP_DEPTHWISE_CONV_2D = 4,
    RUNE_NNW_OP_DEQUANTIZE = 6,
    RUNE_NNW_OP_FULLY_CONNECTED = 9,
    RUNE_NNW_OP_LOGISTIC = 14,
    RUNE_NNW_OP_LSTM = 16,
    RUNE_NNW_OP_MAX_POOL_2D = 17,
    RUNE_NNW_OP_MUL = 18,
    RUNE_NNW_OP_RELU = 19,
    RUNE_NNW_OP_RELU6 = 21,
    RUNE_NNW_OP_RESHAPE = 22,
    RUNE_NNW_OP_SOFTMAX = 25,
    RUNE_NNW_OP_TANH = 28,
    RUNE_NNW_OP_PAD = 34,
    RUNE_NNW_OP_TRANSPOSE = 39,
    RUNE_NNW_OP_MEAN = 40,
    RUNE_NNW_OP_SUB = 41,
    RUNE_NNW_OP_SQUEEZE = 43,
    RUNE_NNW_OP_STRIDED_SLICE = 45,
    RUNE_NNW_OP_EXPAND_DIMS = 70,
    RUNE_NNW_OP_QUANTIZE = 114,
};

/* TFLite BuiltinOptions union type codes (rune_nnw_options.type). */
enum {
    RUNE_NNW_OPT_NONE = 0,
    RUNE_NNW_OPT_CONV_2D = 1,
    RUNE_NNW_OPT_DEPTHWISE_CONV_2D = 2,
    RUNE_NNW_OPT_POOL_2D = 5,
    RUNE_NNW_OPT_FULLY_CONNECTED = 8,
    RUNE_NNW_OPT_SOFTMAX = 9,
    RUNE_NNW_OPT_CONCATENATION = 10,
    RUNE_NNW_OPT_ADD = 11,
    RUNE_NNW_OPT_RESHAPE = 17,
    RUNE_NNW_OPT_MUL = 21,
    RUNE_NNW_OPT_PAD = 22,
    RUNE_NNW_OPT_TRANSPOSE = 26,
    RUNE_NNW_OPT_REDUCER = 27,
    RUNE_NNW_OPT_SUB = 28,
    RUNE_NNW_OPT_SQUEEZE = 30,
    RUNE_NNW_OPT_STRIDED_SLICE = 32,
    RUNE_NNW_OPT_DEQUANTIZE = 38,
    RUNE_NNW_OPT_EXPAND_DIMS = 52,
    RUNE_NNW_OPT_QUANTIZE = 89,
};

/* Padding and fused activation codes used in the options tables. */
enum { RUNE_NNW_PAD_SAME = 0, RUNE_NNW_PAD_VALID = 1 };
enum {
    RUNE_NNW_ACT_NONE = 0,
    RUNE_NNW_ACT_RELU = 1,
    RUNE_NNW_ACT_RELU_N1_TO_1 = 2,
    RUNE_NNW_ACT_RELU6 = 3,
    RUNE_NNW_ACT_TANH = 4,
};

#define RUNE_NNW_MAX_RANK 16
#define RUNE_NNW_MAX_FIELDS 8

typedef struct rune_nnw_tensor {
    const char *name; /* NULL: no name */
    int type;         /* RUNE_NNW_FLOAT32, RUNE_NNW_INT8, ... */
    int rank;         /* 0..RUNE_NNW_MAX_RANK; shape may be NULL when 0 */
    const int32_t *shape;
    const void *data;          /* constant contents, little-endian (copied); NULL for activations */
    size_t data_len;           /* bytes of data; 0 with data == NULL */
    int n_quant;               /* 0: no quantization; 1: per-tensor; >1: per-channel */
    const float *scale;        /* n_quant entries */
    const int64_t *zero_point; /* n_quant entries */
    int quantized_dimension;
} rune_nnw_tensor;

/* One field of a builtin options table, by its field id in the TFLite schema. */
typedef enum rune_nnw_field_kind {
    RUNE_NNW_F_BYTE = 1, /* int8/enum fields: padding, fused_activation_function */
    RUNE_NNW_F_BOOL,
    RUNE_NNW_F_INT, /* int32 */
    RUNE_NNW_F_FLOAT,
    RUNE_NNW_F_INTS, /* [int] vector */
} rune_nnw_field_kind;

typedef struct rune_nnw_field {
    int id;
    rune_nnw_field_kind kind;
    int32_t i;
    float f;
    const int32_t *ints; /* RUNE_NNW_F_INTS: n_ints entries (copied when the op is added) */
    int n_ints;
} rune_nnw_field;

typedef struct rune_nnw_options {
    int type;    /* RUNE_NNW_OPT_*; RUNE_NNW_OPT_NONE writes no options table */
    int version; /* OperatorCode version; 0 means 1 */
    int n_fields;
    rune_nnw_field fields[RUNE_NNW_MAX_FIELDS];
} rune_nnw_options;

typedef struct rune_nnw rune_nnw;

rune_status rune_nnw_new(rune_nnw **out, rune_error *err);
void rune_nnw_free(rune_nnw *w); /* accepts NULL */

/* Add a tensor; returns its index, or -1 on error (recorded; rune_nnw_finish reports it). */
int rune_nnw_add_tensor(rune_nnw *w, const rune_nnw_tensor *t);
/* Add an operator with builtin code `code`; opts may be NULL (no options). Returns its index or -1.
 */
int rune_nnw_add_op(rune_nnw *w, int code, const int *inputs, int n_inputs, const int *outputs,
                    int n_outputs, const rune_nnw_options *opts);
/* The subgraph's input and output tensor lists. */
void rune_nnw_set_io(rune_nnw *w, const int *inputs, int n_inputs, const int *outputs,
                     int n_outputs);
/* Serialize. *bytes is rune_malloc'd and owned by the caller; the total length is a multiple of 16
 * and constant buffers start 16-byte aligned relative to the start of the file. */
rune_status rune_nnw_finish(rune_nnw *w, uint8_t **bytes, size_t *len, rune_error *err);

/* Options builders (fill and return a rune_nnw_options by value). */
rune_nnw_options rune_nnw_opts_conv2d(int padding, int stride_w, int stride_h, int act,
                                      int dilation_w, int dilation_h);
rune_nnw_options rune_nnw_opts_depthwise(int padding, int stride_w, int stride_h, int multiplier,
                                         int act, int dilation_w, int dilation_h);
rune_nnw_options rune_nnw_opts_pool(int padding, int stride_w, int stride_h, int filter_w,
                                    int filter_h, int act);
rune_nnw_options rune_nnw_opts_fc(int act);
rune_nnw_options rune_nnw_opts_softmax(float beta);
rune_nnw_options rune_nnw_opts_concat(int axis, int act);
rune_nnw_options rune_nnw_opts_act(int type, int act); /* ADD, SUB, MUL: type RUNE_NNW_OPT_ADD... */
rune_nnw_options rune_nnw_opts_reshape(const int32_t *new_shape, int n);
rune_nnw_options rune_nnw_opts_reducer(int keep_dims);
rune_nnw_options rune_nnw_opts_squeeze(const int32_t *dims, int n);
rune_nnw_options rune_nnw_opts_strided_slice(int begin_mask, int end_mask, int ellipsis_mask,
                                             int new_axis_mask, int shrink_axis_mask);
rune_nnw_options rune_nnw_opts_empty(int type); /* PAD, TRANSPOSE, QUANTIZE, ...: empty table */

/* The Rune paper's example model: FULLY_CONNECTED from input [150,1] to output [1] (weights
 * [1,150], bias [1]), float32 (type RUNE_NNW_FLOAT32) or int8 (RUNE_NNW_INT8, int32 bias). The
 * weights are a fixed ramp, so the output is a known function of the input: y = sum_i w_i x_i + b
 * with w_i = (i - 75) / 150, b = 0.5 (int8: quantized versions of these). */
rune_status rune_nnw_make_paper_example(int type, uint8_t **bytes, size_t *len, rune_error *err);

#ifdef __cplusplus
}
#endif
#endif
