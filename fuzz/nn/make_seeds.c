/*
 * make_seeds.c - writes the fuzz_tflite seed corpus with the TFLite writer: tiny models, one per
 * kernel of the nn helper, float32 and int8. Usage: make_nn_fuzz_seeds DIR.
 */
#include <stdio.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/nn_writer.h"

static int save(const char *dir, const char *name, uint8_t *b, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        if (f) fclose(f);
        return 1;
    }
    fclose(f);
    rune_free(b);
    return 0;
}

/* int8 [1,5,5,2] -> op -> ... with per-channel weights */
static int window_model(const char *dir, const char *name, int code)
{
    static const int32_t in_s[] = {1, 5, 5, 2}, conv_w[] = {3, 3, 3, 2}, dw_w[] = {1, 3, 3, 4};
    static const int32_t conv_o[] = {1, 3, 3, 3}, dw_o[] = {1, 5, 5, 4}, pool_o[] = {1, 2, 2, 2};
    static const int32_t b3[] = {3}, b4[] = {4};
    static int8_t w[64];
    static int32_t bias[4] = {100, -200, 300, -400};
    static const float s_in = 0.05f, s_out = 0.1f, s_w[4] = {0.01f, 0.02f, 0.03f, 0.04f};
    static const float s_b[4] = {0.0005f, 0.001f, 0.0015f, 0.002f};
    static const int64_t zp_in = -3, zp_out = 2, zp0[4] = {0, 0, 0, 0};
    for (int i = 0; i < 64; i++)
        w[i] = (int8_t)(i * 37 - 90);
    rune_nnw *wr;
    rune_error err;
    if (rune_nnw_new(&wr, &err)) return 1;
    int nch = code == RUNE_NNW_OP_CONV_2D ? 3 : 4;
    int in = rune_nnw_add_tensor(wr, &(rune_nnw_tensor){.name = "in",
                                                        .type = RUNE_NNW_INT8,
                                                        .rank = 4,
                                                        .shape = in_s,
                                                        .n_quant = 1,
                                                        .scale = &s_in,
                                                        .zero_point = &zp_in});
    int out;
    rune_nnw_options o;
    if (code == RUNE_NNW_OP_AVERAGE_POOL_2D) {
        out = rune_nnw_add_tensor(wr, &(rune_nnw_tensor){.name = "out",
                                                         .type = RUNE_NNW_INT8,
                                                         .rank = 4,
                                                         .shape = pool_o,
                                                         .n_quant = 1,
                                                         .scale = &s_in,
                                                         .zero_point = &zp_in});
        o = rune_nnw_opts_pool(RUNE_NNW_PAD_VALID, 2, 2, 2, 2, RUNE_NNW_ACT_NONE);
        rune_nnw_add_op(wr, code, (int[]){in}, 1, (int[]){out}, 1, &o);
    } else {
        int is_conv = code == RUNE_NNW_OP_CONV_2D;
        int wt =
            rune_nnw_add_tensor(wr, &(rune_nnw_tensor){.name = "w",
                                                       .type = RUNE_NNW_INT8,
                                                       .rank = 4,
                                                       .shape = is_conv ? conv_w : dw_w,
                                                       .data = w,
                                                       .data_len = is_conv ? 54 : 36,
                                                       .n_quant = nch,
                                                       .scale = s_w,
                                                       .zero_point = zp0,
                                                       .quantized_dimension = is_conv ? 0 : 3});
        int bt = rune_nnw_add_tensor(wr, &(rune_nnw_tensor){.name = "b",
                                                            .type = RUNE_NNW_INT32,
                                                            .rank = 1,
                                                            .shape = is_conv ? b3 : b4,
                                                            .data = bias,
                                                            .data_len = 4u * nch,
                                                            .n_quant = nch,
                                                            .scale = s_b,
                                                            .zero_point = zp0});
        out = rune_nnw_add_tensor(wr, &(rune_nnw_tensor){.name = "out",
                                                         .type = RUNE_NNW_INT8,
                                                         .rank = 4,
                                                         .shape = is_conv ? conv_o : dw_o,
                                                         .n_quant = 1,
                                                         .scale = &s_out,
                                                         .zero_point = &zp_out});
        o = is_conv ? rune_nnw_opts_conv2d(RUNE_NNW_PAD_VALID, 1, 1, RUNE_NNW_ACT_RELU6, 1, 1)
                    : rune_nnw_opts_depthwise(RUNE_NNW_PAD_SAME, 1, 1, 2, RUNE_NNW_ACT_RELU, 1, 1);
        rune_nnw_add_op(wr, code, (int[]){in, wt, bt}, 3, (int[]){out}, 1, &o);
    }
    rune_nnw_set_io(wr, (int[]){in}, 1, (int[]){out}, 1);
    uint8_t *b;
    size_t n;
    rune_status st = rune_nnw_finish(wr, &b, &n, &err);
    rune_nnw_free(wr);
    if (st) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        return 1;
    }
    return save(dir, name, b, n);
}

static int softmax_model(const char *dir)
{
    static const int32_t s4[] = {1, 4}, s22[] = {2, 2};
    rune_nnw *wr;
    rune_error err;
    if (rune_nnw_new(&wr, &err)) return 1;
    int a = rune_nnw_add_tensor(
        wr, &(rune_nnw_tensor){.name = "a", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = s4});
    int r = rune_nnw_add_tensor(
        wr, &(rune_nnw_tensor){.name = "r", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = s22});
    int s = rune_nnw_add_tensor(
        wr, &(rune_nnw_tensor){.name = "s", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = s22});
    rune_nnw_options ro = rune_nnw_opts_reshape(s22, 2), so = rune_nnw_opts_softmax(1.0f);
    rune_nnw_add_op(wr, RUNE_NNW_OP_RESHAPE, (int[]){a}, 1, (int[]){r}, 1, &ro);
    rune_nnw_add_op(wr, RUNE_NNW_OP_SOFTMAX, (int[]){r}, 1, (int[]){s}, 1, &so);
    rune_nnw_set_io(wr, (int[]){a}, 1, (int[]){s}, 1);
    uint8_t *b;
    size_t n;
    rune_status st = rune_nnw_finish(wr, &b, &n, &err);
    rune_nnw_free(wr);
    return st ? 1 : save(dir, "reshape_softmax_f32.tflite", b, n);
}

/* int8 [1,6] -> SOFTMAX with TFLite's output quantization (the fixed-point path) */
static int softmax_int8_model(const char *dir)
{
    static const int32_t sh[] = {1, 6};
    static const float s_in = 0.1f, s_out = 1.0f / 256;
    static const int64_t zp_in = 3, zp_out = -128;
    rune_nnw *wr;
    rune_error err;
    if (rune_nnw_new(&wr, &err)) return 1;
    int a = rune_nnw_add_tensor(wr, &(rune_nnw_tensor){.name = "a",
                                                       .type = RUNE_NNW_INT8,
                                                       .rank = 2,
                                                       .shape = sh,
                                                       .n_quant = 1,
                                                       .scale = &s_in,
                                                       .zero_point = &zp_in});
    int s = rune_nnw_add_tensor(wr, &(rune_nnw_tensor){.name = "s",
                                                       .type = RUNE_NNW_INT8,
                                                       .rank = 2,
                                                       .shape = sh,
                                                       .n_quant = 1,
                                                       .scale = &s_out,
                                                       .zero_point = &zp_out});
    rune_nnw_options so = rune_nnw_opts_softmax(1.0f);
    rune_nnw_add_op(wr, RUNE_NNW_OP_SOFTMAX, (int[]){a}, 1, (int[]){s}, 1, &so);
    rune_nnw_set_io(wr, (int[]){a}, 1, (int[]){s}, 1);
    uint8_t *b;
    size_t n;
    rune_status st = rune_nnw_finish(wr, &b, &n, &err);
    rune_nnw_free(wr);
    return st ? 1 : save(dir, "softmax_int8.tflite", b, n);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_nn_fuzz_seeds DIR\n");
        return 2;
    }
    int bad = 0;
    for (int type = 0; type < 2; type++) {
        uint8_t *b;
        size_t n;
        rune_error err;
        if (rune_nnw_make_paper_example(type ? RUNE_NNW_INT8 : RUNE_NNW_FLOAT32, &b, &n, &err)) {
            fprintf(stderr, "paper example: %s\n", err.msg);
            return 1;
        }
        bad |= save(argv[1], type ? "fc_int8.tflite" : "fc_f32.tflite", b, n);
    }
    bad |= window_model(argv[1], "conv_int8.tflite", RUNE_NNW_OP_CONV_2D);
    bad |= window_model(argv[1], "dwconv_int8.tflite", RUNE_NNW_OP_DEPTHWISE_CONV_2D);
    bad |= window_model(argv[1], "avgpool_int8.tflite", RUNE_NNW_OP_AVERAGE_POOL_2D);
    bad |= softmax_model(argv[1]);
    bad |= softmax_int8_model(argv[1]);
    return bad;
}
