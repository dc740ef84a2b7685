/*
 * ops_test.h - helpers for the op tests: build a one-op model with the TFLite writer, load it with
 * the model engine, run it on given inputs and copy the output out; plus the int8 reference
 * formulas the tests compute expectations with. Header-only, for tests/nn/ops/test_nn_ops_*.c.
 */
#ifndef RUNE_TEST_NN_OPS_H
#define RUNE_TEST_NN_OPS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/nn.h"
#include "rune/nn_writer.h"
#include "test.h"

/* Activation tensors. */
static inline int t_f32(rune_nnw *w, int rank, const int32_t *shape)
{
    return rune_nnw_add_tensor(
        w, &(rune_nnw_tensor){.type = RUNE_NNW_FLOAT32, .rank = rank, .shape = shape});
}
static inline int t_i8(rune_nnw *w, int rank, const int32_t *shape, float scale, int zp)
{
    int64_t z = zp;
    return rune_nnw_add_tensor(w, &(rune_nnw_tensor){.type = RUNE_NNW_INT8,
                                                     .rank = rank,
                                                     .shape = shape,
                                                     .n_quant = 1,
                                                     .scale = &scale,
                                                     .zero_point = &z});
}
/* A constant int32 operand (axes, paddings, perm, begin/end/strides). */
static inline int t_const_i32(rune_nnw *w, int rank, const int32_t *shape, const int32_t *vals,
                              int n)
{
    return rune_nnw_add_tensor(w, &(rune_nnw_tensor){.type = RUNE_NNW_INT32,
                                                     .rank = rank,
                                                     .shape = shape,
                                                     .data = vals,
                                                     .data_len = sizeof(int32_t) * (size_t)n});
}
static inline int t_vec_i32(rune_nnw *w, const int32_t *vals, int n)
{
    int32_t shape[1] = {n};
    return t_const_i32(w, 1, shape, vals, n);
}

/* A one-op model: op `code` from inputs to one output; the graph inputs are the non-constant
 * inputs given in graph_in. */
typedef struct op_model {
    rune_nnw *w;
    int graph_in[8];
    int n_graph_in;
    int out;
    long live; /* allocations live before the model was begun */
} op_model;

static inline void om_begin(op_model *om)
{
    memset(om, 0, sizeof *om);
    om->live = rune_alloc_live();
    rune_error err = {0};
    CHECK_OK(rune_nnw_new(&om->w, &err), &err);
}

/* Finish, load and run: inputs[i] has in_len[i] bytes; the output is copied into out (out_len bytes
 * expected). Returns the load/run status; err says why. Frees everything, checks nothing leaked. */
static inline rune_status om_run(op_model *om, int code, const int *inputs, int n_inputs,
                                 const rune_nnw_options *opts, const void *const *in_data,
                                 const size_t *in_len, void *out, size_t out_len, rune_error *err)
{
    rune_nnw_add_op(om->w, code, inputs, n_inputs, &om->out, 1, opts);
    rune_nnw_set_io(om->w, om->graph_in, om->n_graph_in, &om->out, 1);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_status st = rune_nnw_finish(om->w, &bytes, &len, err);
    rune_nnw_free(om->w);
    om->w = NULL;
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    if (st == RUNE_OK) st = rune_nn_model_load(bytes, len, &m, err);
    if (st == RUNE_OK) st = rune_nn_interp_create(m, NULL, 0, &it, err);
    for (int i = 0; st == RUNE_OK && i < om->n_graph_in; i++)
        st = rune_nn_interp_set_input(it, i, in_data[i], in_len[i], err);
    if (st == RUNE_OK) st = rune_nn_interp_invoke(it, err);
    if (st == RUNE_OK) {
        const void *o = NULL;
        size_t olen = 0;
        st = rune_nn_interp_output(it, 0, &o, &olen, err);
        if (st == RUNE_OK) {
            CHECK_EQ_INT(olen, out_len);
            if (olen == out_len) memcpy(out, o, olen);
        }
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    rune_free(bytes);
    CHECK_EQ_INT(rune_alloc_live(), om->live);
    return st;
}

/* Expect a load error: status want and a message containing needle. */
#define CHECK_LOAD_FAILS(st, err, want, needle)                                                    \
    do {                                                                                           \
        CHECK_STATUS((st), (want));                                                                \
        CHECK_CONTAINS((err).msg, (needle));                                                       \
    } while (0)

/* int8 reference: quantize a real value (round half away from zero, saturate). */
static inline int q8(double real, double scale, int zp)
{
    double q = round(real / scale) + zp;
    return q < -128 ? -128 : q > 127 ? 127 : (int)q;
}
static inline double dq8(int q, double scale, int zp)
{
    return (q - zp) * scale;
}

/* Deterministic test data. */
static inline float frand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f; /* [-1, 1) */
}
static inline int8_t i8rand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (int8_t)(*s >> 24);
}

#endif
