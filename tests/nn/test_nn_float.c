/*
 * test_nn_float.c - the nn helper's kernels on writer-made single-op models, against values
 * computed in the test itself: float32 CONV_2D (SAME, strides, dilation, RELU6), DEPTHWISE_CONV_2D
 * (depth multiplier, VALID, RELU_N1_TO_1), AVERAGE_POOL_2D (SAME, partial windows), SOFTMAX (beta),
 * and the int8 cases the real models do not reach: average-pool rounding of negative ties and
 * softmax over many classes. Both the optimized and the reference kernels run.
 */
#include "rune/alloc.h"
#include "rune/nn.h"
#include "rune/nn_writer.h"
#include "test.h"

typedef struct op_model {
    int code;
    rune_nnw_options opts;
    int type; /* RUNE_NNW_FLOAT32 or RUNE_NNW_INT8 */
    int in_rank, out_rank;
    const int32_t *in_shape, *out_shape;
    const int32_t *w_shape, *b_shape; /* NULL: no weights / bias */
    const void *w, *b;
    size_t w_len, b_len;
    float in_scale, out_scale;
    int64_t in_zp, out_zp;
} op_model;

/* Build, load (optimized or reference), run on input x, copy the output into y. */
static int run_op(const op_model *s, int reference, const void *x, size_t x_len, void *y,
                  size_t y_len)
{
    rune_nnw *w = NULL;
    rune_error err = {0};
    CHECK_OK(rune_nnw_new(&w, &err), &err);
    if (!w) return 0;
    int q = s->type == RUNE_NNW_INT8;
    rune_nnw_tensor ti = {.name = "x", .type = s->type, .rank = s->in_rank, .shape = s->in_shape};
    rune_nnw_tensor to = {.name = "y", .type = s->type, .rank = s->out_rank, .shape = s->out_shape};
    if (q) {
        ti.n_quant = to.n_quant = 1;
        ti.scale = &s->in_scale;
        ti.zero_point = &s->in_zp;
        to.scale = &s->out_scale;
        to.zero_point = &s->out_zp;
    }
    int ins[3], n_in = 0;
    ins[n_in++] = rune_nnw_add_tensor(w, &ti);
    if (s->w_shape)
        ins[n_in++] = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "w",
                                                                .type = s->type,
                                                                .rank = 4,
                                                                .shape = s->w_shape,
                                                                .data = s->w,
                                                                .data_len = s->w_len});
    if (s->b_shape)
        ins[n_in++] = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "b",
                                                                .type = s->type,
                                                                .rank = 1,
                                                                .shape = s->b_shape,
                                                                .data = s->b,
                                                                .data_len = s->b_len});
    int out = rune_nnw_add_tensor(w, &to);
    rune_nnw_add_op(w, s->code, ins, n_in, &out, 1, &s->opts);
    rune_nnw_set_io(w, ins, 1, &out, 1);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK_OK(rune_nnw_finish(w, &bytes, &len, &err), &err);
    rune_nnw_free(w);
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    int ok = 0;
    rune_nn_options o = {.reference = reference};
    if (bytes) CHECK_OK(rune_nn_model_load_ex(bytes, len, &o, &m, &err), &err);
    if (m) CHECK_OK(rune_nn_interp_create(m, NULL, 0, &it, &err), &err);
    if (it) {
        const void *p;
        size_t n = 0;
        CHECK_OK(rune_nn_interp_set_input(it, 0, x, x_len, &err), &err);
        CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
        CHECK_OK(rune_nn_interp_output(it, 0, &p, &n, &err), &err);
        CHECK_EQ_INT(n, y_len);
        if (n == y_len) {
            memcpy(y, p, n);
            ok = 1;
        }
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    rune_free(bytes);
    return ok;
}

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) % 2001) / 1000.0f - 1.0f;
}

TEST(test_conv_float)
{
    enum { H = 5, W = 6, C = 3, OC = 4, KH = 3, KW = 2, SH = 1, SW = 2, DH = 2, DW = 1 };
    static const int32_t in_s[] = {1, H, W, C}, w_s[] = {OC, KH, KW, C}, b_s[] = {OC};
    const int OH = 5, OW = 3; /* SAME: ceil(5/1), ceil(6/2) */
    static const int32_t out_s[] = {1, 5, 3, OC};
    float x[H * W * C], wt[OC * KH * KW * C], b[OC], y[5 * 3 * OC], want[5 * 3 * OC];
    unsigned seed = 7;
    for (int i = 0; i < H * W * C; i++)
        x[i] = 6 * frand(&seed);
    for (int i = 0; i < OC * KH * KW * C; i++)
        wt[i] = frand(&seed);
    for (int i = 0; i < OC; i++)
        b[i] = frand(&seed);
    /* SAME padding: total = (out-1)*stride + (k-1)*dil + 1 - in, before = total/2 */
    int pad_h = ((OH - 1) * SH + (KH - 1) * DH + 1 - H) / 2,
        pad_w = ((OW - 1) * SW + (KW - 1) * DW + 1 - W) / 2;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int oc = 0; oc < OC; oc++) {
                double acc = b[oc];
                for (int ky = 0; ky < KH; ky++)
                    for (int kx = 0; kx < KW; kx++) {
                        int iy = oy * SH - pad_h + ky * DH, ix = ox * SW - pad_w + kx * DW;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        for (int c = 0; c < C; c++)
                            acc +=
                                x[(iy * W + ix) * C + c] * wt[((oc * KH + ky) * KW + kx) * C + c];
                    }
                want[(oy * OW + ox) * OC + oc] = (float)(acc < 0 ? 0 : acc > 6 ? 6 : acc);
            }
    op_model s = {.code = RUNE_NNW_OP_CONV_2D,
                  .opts =
                      rune_nnw_opts_conv2d(RUNE_NNW_PAD_SAME, SW, SH, RUNE_NNW_ACT_RELU6, DW, DH),
                  .type = RUNE_NNW_FLOAT32,
                  .in_rank = 4,
                  .out_rank = 4,
                  .in_shape = in_s,
                  .out_shape = out_s,
                  .w_shape = w_s,
                  .b_shape = b_s,
                  .w = wt,
                  .b = b,
                  .w_len = sizeof wt,
                  .b_len = sizeof b};
    int clamped = 0, zero = 0;
    for (int ref = 0; ref < 2; ref++) {
        if (!run_op(&s, ref, x, sizeof x, y, sizeof y)) return;
        for (int i = 0; i < OH * OW * OC; i++) {
            CHECK_NEAR(y[i], want[i], 1e-4);
            clamped += want[i] == 6;
            zero += want[i] == 0;
        }
    }
    CHECK(clamped > 0 && zero > 0); /* both ends of RELU6 are exercised */
}

TEST(test_depthwise_float)
{
    enum { H = 4, W = 4, C = 2, DM = 2, OC = 4, K = 3 };
    static const int32_t in_s[] = {1, H, W, C}, w_s[] = {1, K, K, OC}, b_s[] = {OC};
    static const int32_t out_s[] = {1, 2, 2, OC}; /* VALID, stride 1 */
    float x[H * W * C], wt[K * K * OC], b[OC], y[2 * 2 * OC], want[2 * 2 * OC];
    unsigned seed = 99;
    for (int i = 0; i < H * W * C; i++)
        x[i] = frand(&seed);
    for (int i = 0; i < K * K * OC; i++)
        wt[i] = frand(&seed);
    for (int i = 0; i < OC; i++)
        b[i] = frand(&seed) * 0.5f;
    for (int oy = 0; oy < 2; oy++)
        for (int ox = 0; ox < 2; ox++)
            for (int ic = 0; ic < C; ic++)
                for (int m = 0; m < DM; m++) {
                    int oc = ic * DM + m;
                    double acc = b[oc];
                    for (int ky = 0; ky < K; ky++)
                        for (int kx = 0; kx < K; kx++)
                            acc +=
                                x[((oy + ky) * W + ox + kx) * C + ic] * wt[(ky * K + kx) * OC + oc];
                    want[(oy * 2 + ox) * OC + oc] = (float)(acc < -1 ? -1 : acc > 1 ? 1 : acc);
                }
    op_model s = {.code = RUNE_NNW_OP_DEPTHWISE_CONV_2D,
                  .opts = rune_nnw_opts_depthwise(RUNE_NNW_PAD_VALID, 1, 1, DM,
                                                  RUNE_NNW_ACT_RELU_N1_TO_1, 1, 1),
                  .type = RUNE_NNW_FLOAT32,
                  .in_rank = 4,
                  .out_rank = 4,
                  .in_shape = in_s,
                  .out_shape = out_s,
                  .w_shape = w_s,
                  .b_shape = b_s,
                  .w = wt,
                  .b = b,
                  .w_len = sizeof wt,
                  .b_len = sizeof b};
    for (int ref = 0; ref < 2; ref++) {
        if (!run_op(&s, ref, x, sizeof x, y, sizeof y)) return;
        for (int i = 0; i < 2 * 2 * OC; i++)
            CHECK_NEAR(y[i], want[i], 1e-5);
    }
}

TEST(test_average_pool_float_same)
{
    /* 5x5 input, 3x3 window, stride 2, SAME: 3x3 output, border windows average fewer taps */
    static const int32_t in_s[] = {1, 5, 5, 2}, out_s[] = {1, 3, 3, 2};
    float x[50], y[18];
    for (int i = 0; i < 50; i++)
        x[i] = (float)(i * i % 17) - 4.0f;
    op_model s = {.code = RUNE_NNW_OP_AVERAGE_POOL_2D,
                  .opts = rune_nnw_opts_pool(RUNE_NNW_PAD_SAME, 2, 2, 3, 3, RUNE_NNW_ACT_NONE),
                  .type = RUNE_NNW_FLOAT32,
                  .in_rank = 4,
                  .out_rank = 4,
                  .in_shape = in_s,
                  .out_shape = out_s};
    if (!run_op(&s, 0, x, sizeof x, y, sizeof y)) return;
    /* pad before = ((3-1)*2 + 3 - 5)/2 = 1 */
    for (int oy = 0; oy < 3; oy++)
        for (int ox = 0; ox < 3; ox++)
            for (int c = 0; c < 2; c++) {
                double sum = 0;
                int n = 0;
                for (int iy = oy * 2 - 1; iy <= oy * 2 + 1; iy++)
                    for (int ix = ox * 2 - 1; ix <= ox * 2 + 1; ix++)
                        if (iy >= 0 && iy < 5 && ix >= 0 && ix < 5) {
                            sum += x[(iy * 5 + ix) * 2 + c];
                            n++;
                        }
                CHECK_NEAR(y[(oy * 3 + ox) * 2 + c], sum / n, 1e-5);
            }
}

TEST(test_average_pool_int8_rounding)
{
    /* 2x2 windows over a 2x4 input: sums -9 (avg -2.25 -> -2), -10 (-2.5 -> -3), 10 (2.5 -> 3),
     * 9 (2.25 -> 2) */
    static const int32_t in_s[] = {1, 2, 8, 1}, out_s[] = {1, 1, 4, 1};
    int8_t x[16] = {-3, -2, -3, -3, 3, 3, 3, 2, -2, -2, -2, -2, 2, 2, 2, 2};
    int8_t y[4];
    op_model s = {.code = RUNE_NNW_OP_AVERAGE_POOL_2D,
                  .opts = rune_nnw_opts_pool(RUNE_NNW_PAD_VALID, 2, 2, 2, 2, RUNE_NNW_ACT_NONE),
                  .type = RUNE_NNW_INT8,
                  .in_rank = 4,
                  .out_rank = 4,
                  .in_shape = in_s,
                  .out_shape = out_s,
                  .in_scale = 0.5f,
                  .out_scale = 0.5f,
                  .in_zp = 1,
                  .out_zp = 1};
    if (!run_op(&s, 0, x, sizeof x, y, sizeof y)) return;
    CHECK_EQ_INT(y[0], -2);
    CHECK_EQ_INT(y[1], -3);
    CHECK_EQ_INT(y[2], 3);
    CHECK_EQ_INT(y[3], 2);
}

TEST(test_softmax)
{
    static const int32_t sh[] = {2, 3};
    float x[6] = {1, 2, 3, -1, 0, 5}, y[6];
    rune_nnw_options o = rune_nnw_opts_softmax(0.5f);
    op_model s = {.code = RUNE_NNW_OP_SOFTMAX,
                  .opts = o,
                  .type = RUNE_NNW_FLOAT32,
                  .in_rank = 2,
                  .out_rank = 2,
                  .in_shape = sh,
                  .out_shape = sh};
    if (!run_op(&s, 0, x, sizeof x, y, sizeof y)) return;
    for (int r = 0; r < 2; r++) {
        double sum = 0;
        for (int c = 0; c < 3; c++)
            sum += exp(0.5 * x[r * 3 + c]);
        for (int c = 0; c < 3; c++)
            CHECK_NEAR(y[r * 3 + c], exp(0.5 * x[r * 3 + c]) / sum, 1e-6);
    }
    /* beta must be positive and finite (a NaN beta once reached an int8 conversion) */
    s.opts = rune_nnw_opts_softmax(NAN);
    {
        rune_nnw *w = NULL;
        rune_error err = {0};
        CHECK_OK(rune_nnw_new(&w, &err), &err);
        int a = rune_nnw_add_tensor(
            w, &(rune_nnw_tensor){.name = "a", .type = 0, .rank = 2, .shape = sh});
        int b = rune_nnw_add_tensor(
            w, &(rune_nnw_tensor){.name = "b", .type = 0, .rank = 2, .shape = sh});
        rune_nnw_add_op(w, RUNE_NNW_OP_SOFTMAX, &a, 1, &b, 1, &s.opts);
        rune_nnw_set_io(w, &a, 1, &b, 1);
        uint8_t *bytes = NULL;
        size_t len = 0;
        CHECK_OK(rune_nnw_finish(w, &bytes, &len, &err), &err);
        rune_nnw_free(w);
        rune_nn_model *m = NULL;
        CHECK_STATUS(rune_nn_model_load(bytes, len, &m, &err), RUNE_E_INVALID);
        CHECK_CONTAINS(err.msg, "beta");
        rune_nn_model_free(m);
        rune_free(bytes);
    }
    /* int8, 10 classes, output scale 1/256 zp -128: within 1 of the real softmax */
    static const int32_t sh10[] = {1, 10};
    int8_t q[10], out[10];
    for (int i = 0; i < 10; i++)
        q[i] = (int8_t)(i * 23 - 110);
    op_model s8 = {.code = RUNE_NNW_OP_SOFTMAX,
                   .opts = rune_nnw_opts_softmax(1.0f),
                   .type = RUNE_NNW_INT8,
                   .in_rank = 2,
                   .out_rank = 2,
                   .in_shape = sh10,
                   .out_shape = sh10,
                   .in_scale = 0.05f,
                   .out_scale = 1.0f / 256,
                   .in_zp = -10,
                   .out_zp = -128};
    if (!run_op(&s8, 0, q, sizeof q, out, sizeof out)) return;
    double sum = 0;
    for (int i = 0; i < 10; i++)
        sum += exp(0.05 * (q[i] + 10));
    for (int i = 0; i < 10; i++) {
        double p = exp(0.05 * (q[i] + 10)) / sum;
        double want = fmin(127, round(p * 256) - 128);
        CHECK(fabs(out[i] - want) <= 1);
    }
}

int main(void)
{
    RUN(test_conv_float);
    RUN(test_depthwise_float);
    RUN(test_average_pool_float_same);
    RUN(test_average_pool_int8_rounding);
    RUN(test_softmax);
    return test_report();
}
