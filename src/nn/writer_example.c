/*
 * writer_example.c - the Rune paper's example model, made with the TFLite writer: one
 * FULLY_CONNECTED from input [150,1] to output [1] ("MODEL ./example.tflite model input [150,1]
 * output 1"). Used by tests of the Runefile type checker, the compiler and the model engine.
 *
 * Weights w_i = (i - 75) / 150 for i in 0..149 (a ramp), bias 0.5. int8 variant: input scale 1/64
 * zero point 0, weights symmetric per-tensor scale 0.5/127, bias int32 at input_scale*weight_scale,
 * output scale 1/16 zero point 0.
 */
#include <math.h>

#include "rune/alloc.h"
#include "rune/nn_writer.h"

#define EX_N 150

rune_status rune_nnw_make_paper_example(int type, uint8_t **bytes, size_t *len, rune_error *err)
{
    if (!bytes || !len) return RUNE_ERR(err, RUNE_E_ARG, "paper example: NULL output");
    if (type != RUNE_NNW_FLOAT32 && type != RUNE_NNW_INT8)
        return RUNE_ERR(err, RUNE_E_ARG, "paper example: type must be float32 or int8");
    rune_nnw *w = NULL;
    rune_status st = rune_nnw_new(&w, err);
    if (st != RUNE_OK) return st;

    const int32_t in_shape[2] = {EX_N, 1}, w_shape[2] = {1, EX_N}, b_shape[1] = {1},
                  out_shape[1] = {1};
    float wf[EX_N], bf = 0.5f;
    for (int i = 0; i < EX_N; i++)
        wf[i] = (float)(i - 75) / 150.0f;
    int in, wt, bias, out;
    if (type == RUNE_NNW_FLOAT32) {
        in = rune_nnw_add_tensor(
            w, &(rune_nnw_tensor){
                   .name = "input", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = in_shape});
        wt = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "weights",
                                                       .type = RUNE_NNW_FLOAT32,
                                                       .rank = 2,
                                                       .shape = w_shape,
                                                       .data = wf,
                                                       .data_len = sizeof wf});
        bias = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "bias",
                                                         .type = RUNE_NNW_FLOAT32,
                                                         .rank = 1,
                                                         .shape = b_shape,
                                                         .data = &bf,
                                                         .data_len = sizeof bf});
        out = rune_nnw_add_tensor(
            w, &(rune_nnw_tensor){
                   .name = "output", .type = RUNE_NNW_FLOAT32, .rank = 1, .shape = out_shape});
    } else {
        const float in_s = 1.0f / 64, w_s = 0.5f / 127, b_s = in_s * w_s, out_s = 1.0f / 16;
        const int64_t zp0 = 0;
        int8_t wq[EX_N];
        for (int i = 0; i < EX_N; i++)
            wq[i] = (int8_t)lrintf(wf[i] / w_s);
        int32_t bq = (int32_t)lrintf(bf / b_s);
        in = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "input",
                                                       .type = RUNE_NNW_INT8,
                                                       .rank = 2,
                                                       .shape = in_shape,
                                                       .n_quant = 1,
                                                       .scale = &in_s,
                                                       .zero_point = &zp0});
        wt = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "weights",
                                                       .type = RUNE_NNW_INT8,
                                                       .rank = 2,
                                                       .shape = w_shape,
                                                       .data = wq,
                                                       .data_len = sizeof wq,
                                                       .n_quant = 1,
                                                       .scale = &w_s,
                                                       .zero_point = &zp0});
        bias = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "bias",
                                                         .type = RUNE_NNW_INT32,
                                                         .rank = 1,
                                                         .shape = b_shape,
                                                         .data = &bq,
                                                         .data_len = sizeof bq,
                                                         .n_quant = 1,
                                                         .scale = &b_s,
                                                         .zero_point = &zp0});
        out = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "output",
                                                        .type = RUNE_NNW_INT8,
                                                        .rank = 1,
                                                        .shape = out_shape,
                                                        .n_quant = 1,
                                                        .scale = &out_s,
                                                        .zero_point = &zp0});
    }
    rune_nnw_options fc = rune_nnw_opts_fc(RUNE_NNW_ACT_NONE);
    rune_nnw_add_op(w, RUNE_NNW_OP_FULLY_CONNECTED, (int[]){in, wt, bias}, 3, (int[]){out}, 1, &fc);
    rune_nnw_set_io(w, (int[]){in}, 1, (int[]){out}, 1);
    st = rune_nnw_finish(w, bytes, len, err);
    rune_nnw_free(w);
    return st;
}
