/*
 * paper_model.c - builds examples/paper/example.tflite (see paper_model.h for what it computes).
 *
 * Workload: run once by gen-paper-model and once by the test that checks the committed file is
 * what this code writes; the writer is deterministic, so the same code gives the same bytes.
 */
#include "paper_model.h"

#include "rune/nn_writer.h"

float paper_model_weight(int k)
{
    if (k < PAPER_MODEL_BAND_LO || k > PAPER_MODEL_BAND_HI) return 0.0f;
    return (float)(2.0 / (PAPER_MODEL_N * 32768.0));
}

rune_status paper_model_build(uint8_t **bytes, size_t *len, rune_error *err)
{
    if (!bytes || !len) return RUNE_ERR(err, RUNE_E_ARG, "paper model: NULL output");
    rune_nnw *w = NULL;
    rune_status st = rune_nnw_new(&w, err);
    if (st != RUNE_OK) return st;

    const int32_t in_shape[2] = {PAPER_MODEL_N, 1}, w_shape[2] = {1, PAPER_MODEL_N},
                  b_shape[1] = {1}, out_shape[1] = {1};
    float weights[PAPER_MODEL_N];
    const float bias = 0.0f;
    for (int k = 0; k < PAPER_MODEL_N; k++)
        weights[k] = paper_model_weight(k);

    const int in = rune_nnw_add_tensor(
        w, &(rune_nnw_tensor){
               .name = "spectrum", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = in_shape});
    const int wt = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "voice_band_weights",
                                                             .type = RUNE_NNW_FLOAT32,
                                                             .rank = 2,
                                                             .shape = w_shape,
                                                             .data = weights,
                                                             .data_len = sizeof weights});
    const int b = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "bias",
                                                            .type = RUNE_NNW_FLOAT32,
                                                            .rank = 1,
                                                            .shape = b_shape,
                                                            .data = &bias,
                                                            .data_len = sizeof bias});
    const int out = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "voice_band_level",
                                                              .type = RUNE_NNW_FLOAT32,
                                                              .rank = 1,
                                                              .shape = out_shape});
    const rune_nnw_options fc = rune_nnw_opts_fc(RUNE_NNW_ACT_NONE);
    rune_nnw_add_op(w, RUNE_NNW_OP_FULLY_CONNECTED, (const int[]){in, wt, b}, 3, (const int[]){out},
                    1, &fc);
    rune_nnw_set_io(w, (const int[]){in}, 1, (const int[]){out}, 1);
    st = rune_nnw_finish(w, bytes, len, err); /* reports any failed add */
    rune_nnw_free(w);
    return st;
}
