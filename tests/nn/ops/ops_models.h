/*
 * ops_models.h - one small writer-made model per nnops op, float32 and int8 variants, handed to a
 * callback: fuzz seeds (make_ops_seeds.c) and the load-robustness test (test_nn_ops_models.c).
 */
#ifndef RUNE_TEST_NN_OPS_MODELS_H
#define RUNE_TEST_NN_OPS_MODELS_H

#include <stdio.h>

#include "rune/alloc.h"
#include "rune/nn_writer.h"

static int act(rune_nnw *w, int int8, int rank, const int32_t *shape, float scale, int zp)
{
    int64_t z = zp;
    if (!int8)
        return rune_nnw_add_tensor(
            w, &(rune_nnw_tensor){.type = RUNE_NNW_FLOAT32, .rank = rank, .shape = shape});
    return rune_nnw_add_tensor(w, &(rune_nnw_tensor){.type = RUNE_NNW_INT8,
                                                     .rank = rank,
                                                     .shape = shape,
                                                     .n_quant = 1,
                                                     .scale = &scale,
                                                     .zero_point = &z});
}

static int ints(rune_nnw *w, const int32_t *v, int n, int rank2)
{
    int32_t shape[2] = {rank2 ? n / 2 : n, 2};
    return rune_nnw_add_tensor(w, &(rune_nnw_tensor){.type = RUNE_NNW_INT32,
                                                     .rank = rank2 ? 2 : 1,
                                                     .shape = shape,
                                                     .data = v,
                                                     .data_len = sizeof(int32_t) * (size_t)n});
}

/* Called with each finished model (bytes owned by the caller of ops_models_make's emit: it must
 * not keep them); returns nonzero to report a failure. */
typedef int (*ops_models_emit)(void *ctx, const char *name, int int8, const uint8_t *bytes,
                               size_t len);

typedef struct ops_models_out {
    ops_models_emit emit;
    void *ctx;
} ops_models_out;

static int save(rune_nnw *w, const int *in, int n_in, int out, const ops_models_out *dir,
                const char *name, int int8)
{
    rune_nnw_set_io(w, in, n_in, &out, 1);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error err = {0};
    rune_status st = rune_nnw_finish(w, &bytes, &len, &err);
    rune_nnw_free(w);
    if (st != RUNE_OK) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        return 1;
    }
    int bad = dir->emit(dir->ctx, name, int8, bytes, len);
    rune_free(bytes);
    return bad;
}

/* Every nnops one-op model, float32 (int8 = 0) or int8 (int8 = 1). */
static int ops_models_make(const ops_models_out *dir, int int8)
{
    int bad = 0;
    rune_nnw *w;
    const int32_t d4[4] = {1, 4, 4, 3}, d2[2] = {4, 3}, d1[2] = {1, 3};
    static const int binary[3][2] = {{RUNE_NNW_OP_ADD, RUNE_NNW_OPT_ADD},
                                     {RUNE_NNW_OP_SUB, RUNE_NNW_OPT_SUB},
                                     {RUNE_NNW_OP_MUL, RUNE_NNW_OPT_MUL}};
    static const char *bnames[3] = {"add", "sub", "mul"};
    for (int k = 0; k < 3; k++) {
        if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
        int a = act(w, int8, 2, d2, 0.1f, 3), b = act(w, int8, 2, d1, 0.05f, -2);
        int o = act(w, int8, 2, d2, 0.2f, 1);
        rune_nnw_options opt = rune_nnw_opts_act(binary[k][1], RUNE_NNW_ACT_RELU);
        rune_nnw_add_op(w, binary[k][0], (int[]){a, b}, 2, &o, 1, &opt);
        bad |= save(w, (int[]){a, b}, 2, o, dir, bnames[k], int8);
    }
    static const int unary[4] = {RUNE_NNW_OP_RELU, RUNE_NNW_OP_RELU6, RUNE_NNW_OP_LOGISTIC,
                                 RUNE_NNW_OP_TANH};
    static const char *unames[4] = {"relu", "relu6", "logistic", "tanh"};
    static const float uscale[4] = {0.05f, 6.0f / 255, 1.0f / 256, 1.0f / 128};
    static const int uzp[4] = {-128, -128, -128, 0};
    for (int k = 0; k < 4; k++) {
        if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
        int a = act(w, int8, 2, d2, 0.1f, 3), o = act(w, int8, 2, d2, uscale[k], uzp[k]);
        rune_nnw_add_op(w, unary[k], &a, 1, &o, 1, NULL);
        bad |= save(w, &a, 1, o, dir, unames[k], int8);
    }
    /* QUANTIZE (float or int8 in), DEQUANTIZE */
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    int a = act(w, int8, 2, d2, 0.1f, 3), o = act(w, 1, 2, d2, 0.03f, -5);
    rune_nnw_add_op(w, RUNE_NNW_OP_QUANTIZE, &a, 1, &o, 1, NULL);
    bad |= save(w, &a, 1, o, dir, "quantize", int8);
    if (int8) {
        if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
        a = act(w, 1, 2, d2, 0.1f, 3);
        o = act(w, 0, 2, d2, 0, 0);
        rune_nnw_add_op(w, RUNE_NNW_OP_DEQUANTIZE, &a, 1, &o, 1, NULL);
        bad |= save(w, &a, 1, o, dir, "dequantize", int8);
    }
    /* MAX_POOL_2D */
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    a = act(w, int8, 4, d4, 0.1f, 3);
    o = act(w, int8, 4, (int32_t[]){1, 2, 2, 3}, 0.1f, 3);
    rune_nnw_options opt = rune_nnw_opts_pool(RUNE_NNW_PAD_SAME, 2, 2, 3, 3, RUNE_NNW_ACT_RELU6);
    rune_nnw_add_op(w, RUNE_NNW_OP_MAX_POOL_2D, &a, 1, &o, 1, &opt);
    bad |= save(w, &a, 1, o, dir, "max_pool", int8);
    /* MEAN over H, W keeping dims */
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    a = act(w, int8, 4, d4, 0.1f, 3);
    int ax = ints(w, (int32_t[]){1, -2}, 2, 0);
    o = act(w, int8, 4, (int32_t[]){1, 1, 1, 3}, 0.07f, -1);
    opt = rune_nnw_opts_reducer(1);
    rune_nnw_add_op(w, RUNE_NNW_OP_MEAN, (int[]){a, ax}, 2, &o, 1, &opt);
    bad |= save(w, &a, 1, o, dir, "mean", int8);
    /* CONCATENATION of two inputs with different scales along the last axis */
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    a = act(w, int8, 2, d2, 0.1f, 3);
    int b = act(w, int8, 2, (int32_t[]){4, 2}, 0.3f, -9);
    o = act(w, int8, 2, (int32_t[]){4, 5}, 0.1f, 3);
    opt = rune_nnw_opts_concat(-1, 0);
    rune_nnw_add_op(w, RUNE_NNW_OP_CONCATENATION, (int[]){a, b}, 2, &o, 1, &opt);
    bad |= save(w, (int[]){a, b}, 2, o, dir, "concatenation", int8);
    /* PAD */
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    a = act(w, int8, 2, d2, 0.1f, 3);
    int p = ints(w, (int32_t[]){1, 0, 2, 1}, 4, 1);
    o = act(w, int8, 2, (int32_t[]){5, 6}, 0.1f, 3);
    rune_nnw_add_op(w, RUNE_NNW_OP_PAD, (int[]){a, p}, 2, &o, 1, NULL);
    bad |= save(w, &a, 1, o, dir, "pad", int8);
    /* SQUEEZE, EXPAND_DIMS */
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    a = act(w, int8, 4, (int32_t[]){1, 4, 1, 3}, 0.1f, 3);
    o = act(w, int8, 2, d2, 0.1f, 3);
    opt = rune_nnw_opts_squeeze((int32_t[]){0, 2}, 2);
    rune_nnw_add_op(w, RUNE_NNW_OP_SQUEEZE, &a, 1, &o, 1, &opt);
    bad |= save(w, &a, 1, o, dir, "squeeze", int8);
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    a = act(w, int8, 2, d2, 0.1f, 3);
    ax = ints(w, (int32_t[]){-1}, 1, 0);
    o = act(w, int8, 3, (int32_t[]){4, 3, 1}, 0.1f, 3);
    rune_nnw_add_op(w, RUNE_NNW_OP_EXPAND_DIMS, (int[]){a, ax}, 2, &o, 1, NULL);
    bad |= save(w, &a, 1, o, dir, "expand_dims", int8);
    /* STRIDED_SLICE: reversed rows, every other column */
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    a = act(w, int8, 2, d2, 0.1f, 3);
    int bg = ints(w, (int32_t[]){-1, 0}, 2, 0), en = ints(w, (int32_t[]){0, 3}, 2, 0);
    int sd = ints(w, (int32_t[]){-1, 2}, 2, 0);
    o = act(w, int8, 2, (int32_t[]){4, 2}, 0.1f, 3);
    opt = rune_nnw_opts_strided_slice(0, 1, 0, 0, 0);
    rune_nnw_add_op(w, RUNE_NNW_OP_STRIDED_SLICE, (int[]){a, bg, en, sd}, 4, &o, 1, &opt);
    bad |= save(w, &a, 1, o, dir, "strided_slice", int8);
    /* TRANSPOSE */
    if (rune_nnw_new(&w, NULL) != RUNE_OK) return 1;
    a = act(w, int8, 4, d4, 0.1f, 3);
    p = ints(w, (int32_t[]){0, 3, 1, 2}, 4, 0);
    o = act(w, int8, 4, (int32_t[]){1, 3, 4, 4}, 0.1f, 3);
    rune_nnw_add_op(w, RUNE_NNW_OP_TRANSPOSE, (int[]){a, p}, 2, &o, 1, NULL);
    bad |= save(w, &a, 1, o, dir, "transpose", int8);
    return bad;
}

#endif
