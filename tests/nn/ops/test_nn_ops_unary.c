/*
 * test_nn_ops_unary.c - RELU, RELU6, LOGISTIC, TANH, QUANTIZE and DEQUANTIZE on writer-made models:
 * float32 against the math done here, int8 against the real function at the tensors' quantization
 * within 1 (LOGISTIC/TANH use a table; see ops_logistic.c), and the errors refused at load.
 */
#include "ops_test.h"

#define N 64

/* Run a one-input op; in/out types and quantization as given (scale 0 = float32). */
static rune_status run1(int code, const rune_nnw_options *o, const void *in, float si, int zi,
                        void *out, float so, int zo, rune_error *err)
{
    int32_t d[2] = {4, N / 4};
    op_model om;
    om_begin(&om);
    int ti = si > 0 ? t_i8(om.w, 2, d, si, zi) : t_f32(om.w, 2, d);
    om.out = so > 0 ? t_i8(om.w, 2, d, so, zo) : t_f32(om.w, 2, d);
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    size_t il = si > 0 ? N : N * 4, ol = so > 0 ? N : N * 4;
    return om_run(&om, code, &ti, 1, o, &in, &il, out, ol, err);
}

static double relu6(double v)
{
    return v < 0 ? 0 : v > 6 ? 6 : v;
}
static double relu(double v)
{
    return v < 0 ? 0 : v;
}
static double sigm(double v)
{
    return 1 / (1 + exp(-v));
}

static void float_case(int code, double (*f)(double))
{
    float in[N], out[N];
    uint32_t s = (uint32_t)code;
    for (int i = 0; i < N; i++)
        in[i] = frand(&s) * 10;
    rune_error err = {0};
    CHECK_OK(run1(code, NULL, in, 0, 0, out, 0, 0, &err), &err);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(out[i], f(in[i]), 1e-6 * (1 + fabs(f(in[i]))));
}

static void int8_case(int code, double (*f)(double), float si, int zi, float so, int zo)
{
    int8_t in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = (int8_t)(i * 4 - 128); /* spans the whole int8 range */
    rune_error err = {0};
    CHECK_OK(run1(code, NULL, in, si, zi, out, so, zo, &err), &err);
    for (int i = 0; i < N; i++) {
        int want = q8(f(dq8(in[i], si, zi)), so, zo);
        CHECK_NEAR(out[i], want, 1);
    }
}

TEST(relu_relu6)
{
    float_case(RUNE_NNW_OP_RELU, relu);
    float_case(RUNE_NNW_OP_RELU6, relu6);
    int8_case(RUNE_NNW_OP_RELU, relu, 0.05f, -3, 0.03f, -128);
    int8_case(RUNE_NNW_OP_RELU6, relu6, 0.1f, 10, 6.0f / 255, -128);
    int8_case(RUNE_NNW_OP_RELU6, relu6, 0.02f, 0, 0.02f, 0);
}

TEST(logistic_tanh)
{
    float_case(RUNE_NNW_OP_LOGISTIC, sigm);
    float_case(RUNE_NNW_OP_TANH, tanh);
    int8_case(RUNE_NNW_OP_LOGISTIC, sigm, 0.08f, 0, 1.0f / 256, -128);
    int8_case(RUNE_NNW_OP_LOGISTIC, sigm, 0.03f, -20, 1.0f / 256, -128);
    int8_case(RUNE_NNW_OP_TANH, tanh, 0.04f, 5, 1.0f / 128, 0);
}

TEST(quantize_float_to_int8)
{
    float in[N];
    int8_t out[N];
    for (int i = 0; i < N; i++)
        in[i] = (float)(i - 32) * 0.173f;
    in[0] = 1e9f; /* saturates */
    in[1] = -1e9f;
    rune_error err = {0};
    CHECK_OK(run1(RUNE_NNW_OP_QUANTIZE, NULL, in, 0, 0, out, 0.05f, 7, &err), &err);
    for (int i = 0; i < N; i++)
        CHECK_EQ_INT(out[i], q8(in[i], 0.05f, 7));
}

TEST(quantize_int8_requantize)
{
    int8_t in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = (int8_t)(i * 4 - 128);
    rune_error err = {0};
    CHECK_OK(run1(RUNE_NNW_OP_QUANTIZE, NULL, in, 0.1f, 3, out, 0.03f, -5, &err), &err);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(out[i], q8(dq8(in[i], 0.1f, 3), 0.03f, -5), 1);
}

TEST(dequantize_per_tensor_and_per_channel)
{
    int8_t in[N];
    float out[N];
    for (int i = 0; i < N; i++)
        in[i] = (int8_t)(i * 4 - 128);
    rune_error err = {0};
    CHECK_OK(run1(RUNE_NNW_OP_DEQUANTIZE, NULL, in, 0.37f, -9, out, 0, 0, &err), &err);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(out[i], (in[i] + 9) * 0.37, 1e-5);

    /* per-channel along axis 1 of a constant [2,3] tensor */
    const float sc[3] = {0.5f, 0.25f, 2.0f};
    const int64_t zp[3] = {0, 1, -1};
    const int8_t w[6] = {1, 2, 3, -4, -5, -6};
    op_model om;
    om_begin(&om);
    int32_t d[2] = {2, 3};
    int tw = rune_nnw_add_tensor(om.w, &(rune_nnw_tensor){.type = RUNE_NNW_INT8,
                                                          .rank = 2,
                                                          .shape = d,
                                                          .data = w,
                                                          .data_len = 6,
                                                          .n_quant = 3,
                                                          .scale = sc,
                                                          .zero_point = zp,
                                                          .quantized_dimension = 1});
    om.out = t_f32(om.w, 2, d);
    float o6[6];
    CHECK_OK(om_run(&om, RUNE_NNW_OP_DEQUANTIZE, &tw, 1, NULL, NULL, NULL, o6, sizeof o6, &err),
             &err);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(o6[i], (w[i] - zp[i % 3]) * sc[i % 3], 1e-6);
}

TEST(errors_at_load)
{
    rune_error err = {0};
    int8_t in[N] = {0}, out[N];
    float fin[N] = {0}, fout[N];
    /* LOGISTIC int8 output must be 1/256, -128 */
    CHECK_LOAD_FAILS(run1(RUNE_NNW_OP_LOGISTIC, NULL, in, 0.1f, 0, out, 0.1f, 0, &err), err,
                     RUNE_E_INVALID, "scale 1/256");
    CHECK_CONTAINS(err.msg, "LOGISTIC");
    CHECK_LOAD_FAILS(run1(RUNE_NNW_OP_TANH, NULL, in, 0.1f, 0, out, 1.0f / 256, -128, &err), err,
                     RUNE_E_INVALID, "scale 1/128");
    /* type mismatches */
    CHECK_LOAD_FAILS(run1(RUNE_NNW_OP_RELU, NULL, fin, 0, 0, out, 0.1f, 0, &err), err,
                     RUNE_E_UNSUPPORTED, "output 0 must be float32, got int8");
    CHECK_LOAD_FAILS(run1(RUNE_NNW_OP_QUANTIZE, NULL, fin, 0, 0, fout, 0, 0, &err), err,
                     RUNE_E_UNSUPPORTED, "output 0 must be int8, got float32");
    CHECK_LOAD_FAILS(run1(RUNE_NNW_OP_DEQUANTIZE, NULL, fin, 0, 0, fout, 0, 0, &err), err,
                     RUNE_E_UNSUPPORTED, "input 0 must be int8, got float32");
    /* output shape differs from the input's */
    op_model om;
    om_begin(&om);
    int ti = t_f32(om.w, 1, (int32_t[]){8});
    om.out = t_f32(om.w, 1, (int32_t[]){9});
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    const void *ip = fin;
    size_t il = 32;
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_TANH, &ti, 1, NULL, &ip, &il, fout, 36, &err), err,
                     RUNE_E_INVALID, "output 0 shape [9] must be [8]");
}

int main(void)
{
    RUN(relu_relu6);
    RUN(logistic_tanh);
    RUN(quantize_float_to_int8);
    RUN(quantize_int8_requantize);
    RUN(dequantize_per_tensor_and_per_channel);
    RUN(errors_at_load);
    return test_report();
}
