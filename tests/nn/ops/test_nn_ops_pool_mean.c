/*
 * test_nn_ops_pool_mean.c - MAX_POOL_2D (SAME/VALID, strides, activation) and MEAN (axes, negative
 * axes, keep_dims) on writer-made models, float32 and int8, against loops written here; errors
 * refused at load.
 */
#include <float.h>

#include "ops_test.h"

/* Direct max pool over NHWC, windows clipped to the input. */
static void ref_max_pool(const float *in, int n, int h, int w, int c, int fh, int fw, int sh,
                         int sw, int same, float *out, int *oh, int *ow)
{
    *oh = same ? (h + sh - 1) / sh : (h - fh) / sh + 1;
    *ow = same ? (w + sw - 1) / sw : (w - fw) / sw + 1;
    int ph = same ? ((*oh - 1) * sh + fh - h) / 2 : 0,
        pw = same ? ((*ow - 1) * sw + fw - w) / 2 : 0;
    if (ph < 0) ph = 0;
    if (pw < 0) pw = 0;
    for (int b = 0; b < n; b++)
        for (int y = 0; y < *oh; y++)
            for (int x = 0; x < *ow; x++)
                for (int ch = 0; ch < c; ch++) {
                    float m = -FLT_MAX;
                    for (int ky = 0; ky < fh; ky++)
                        for (int kx = 0; kx < fw; kx++) {
                            int iy = y * sh - ph + ky, ix = x * sw - pw + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            float v = in[((b * h + iy) * w + ix) * c + ch];
                            if (v > m) m = v;
                        }
                    out[((b * *oh + y) * *ow + x) * c + ch] = m;
                }
}

static void pool_case(int same, int fh, int fw, int sh, int sw, int act, int int8)
{
    enum { B = 1, H = 7, W = 6, C = 3 };
    float in[B * H * W * C], want[B * H * W * C];
    int8_t qin[B * H * W * C], qout[B * H * W * C];
    float out[B * H * W * C];
    uint32_t s = 5;
    const float scale = 0.05f;
    const int zp = -4;
    for (int i = 0; i < B * H * W * C; i++) {
        qin[i] = i8rand(&s);
        in[i] = int8 ? (float)dq8(qin[i], scale, zp) : frand(&s) * 5;
    }
    int oh, ow;
    ref_max_pool(in, B, H, W, C, fh, fw, sh, sw, same, want, &oh, &ow);
    op_model om;
    om_begin(&om);
    int32_t id[4] = {B, H, W, C}, od[4] = {B, oh, ow, C};
    int ti = int8 ? t_i8(om.w, 4, id, scale, zp) : t_f32(om.w, 4, id);
    om.out = int8 ? t_i8(om.w, 4, od, scale, zp) : t_f32(om.w, 4, od);
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    rune_nnw_options o =
        rune_nnw_opts_pool(same ? RUNE_NNW_PAD_SAME : RUNE_NNW_PAD_VALID, sw, sh, fw, fh, act);
    const void *ip = int8 ? (const void *)qin : (const void *)in;
    size_t il = int8 ? sizeof qin : sizeof in, ol = (size_t)(B * oh * ow * C) * (int8 ? 1 : 4);
    rune_error err = {0};
    CHECK_OK(om_run(&om, RUNE_NNW_OP_MAX_POOL_2D, &ti, 1, &o, &ip, &il, int8 ? (void *)qout : out,
                    ol, &err),
             &err);
    for (int i = 0; i < B * oh * ow * C; i++) {
        double v = want[i];
        if (act == RUNE_NNW_ACT_RELU && v < 0) v = 0;
        if (act == RUNE_NNW_ACT_RELU6) v = v < 0 ? 0 : v > 6 ? 6 : v;
        if (int8)
            CHECK_EQ_INT(qout[i], q8(v, scale, zp));
        else
            CHECK(out[i] == (float)v);
    }
}

TEST(max_pool)
{
    for (int int8 = 0; int8 <= 1; int8++) {
        pool_case(0, 2, 2, 2, 2, RUNE_NNW_ACT_NONE, int8);
        pool_case(1, 3, 3, 2, 2, RUNE_NNW_ACT_NONE, int8);
        pool_case(1, 3, 2, 1, 1, RUNE_NNW_ACT_RELU, int8);
        pool_case(0, 3, 3, 1, 2, RUNE_NNW_ACT_RELU6, int8);
    }
}

/* MEAN of a [2,3,4,5] tensor over the given axes. */
static void mean_case(const int32_t *axes, int n_axes, int keep, int int8)
{
    enum { D0 = 2, D1 = 3, D2 = 4, D3 = 5, T = D0 * D1 * D2 * D3 };
    const int32_t id[4] = {D0, D1, D2, D3};
    int red[4] = {0};
    for (int i = 0; i < n_axes; i++)
        red[axes[i] < 0 ? axes[i] + 4 : axes[i]] = 1;
    int32_t od[4];
    int nd = 0;
    for (int i = 0; i < 4; i++)
        if (!red[i] || keep) od[nd++] = red[i] ? 1 : id[i];
    float in[T];
    int8_t qin[T];
    uint32_t s = 11;
    const float si = 0.04f, so = 0.02f;
    const int zi = 6, zo = -3;
    for (int i = 0; i < T; i++) {
        qin[i] = i8rand(&s);
        in[i] = frand(&s) * 3;
    }
    /* expected: sums over the reduced dims in double */
    double sum[T] = {0};
    int cnt[T] = {0};
    for (int a = 0; a < D0; a++)
        for (int b = 0; b < D1; b++)
            for (int c = 0; c < D2; c++)
                for (int d = 0; d < D3; d++) {
                    int idx[4] = {a, b, c, d}, o = 0;
                    for (int k = 0; k < 4; k++)
                        o = o * (red[k] ? 1 : id[k]) + (red[k] ? 0 : idx[k]);
                    int i = ((a * D1 + b) * D2 + c) * D3 + d;
                    sum[o] += int8 ? dq8(qin[i], si, zi) : in[i];
                    cnt[o]++;
                }
    size_t n_out = 1;
    for (int i = 0; i < nd; i++)
        n_out *= (size_t)od[i];
    op_model om;
    om_begin(&om);
    int ti = int8 ? t_i8(om.w, 4, id, si, zi) : t_f32(om.w, 4, id);
    int ta = t_vec_i32(om.w, axes, n_axes);
    om.out = int8 ? t_i8(om.w, nd, od, so, zo) : t_f32(om.w, nd, od);
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    rune_nnw_options o = rune_nnw_opts_reducer(keep);
    const void *ip = int8 ? (const void *)qin : (const void *)in;
    size_t il = int8 ? sizeof qin : sizeof in;
    float out[T];
    int8_t qout[T];
    rune_error err = {0};
    CHECK_OK(om_run(&om, RUNE_NNW_OP_MEAN, (int[]){ti, ta}, 2, &o, &ip, &il,
                    int8 ? (void *)qout : out, n_out * (int8 ? 1 : 4), &err),
             &err);
    for (size_t i = 0; i < n_out; i++) {
        double m = sum[i] / cnt[i];
        if (int8)
            CHECK_NEAR(qout[i], q8(m, so, zo), 1);
        else
            CHECK_NEAR(out[i], m, 1e-5);
    }
}

TEST(mean)
{
    for (int int8 = 0; int8 <= 1; int8++) {
        mean_case((int32_t[]){1, 2}, 2, 1, int8);
        mean_case((int32_t[]){1, 2}, 2, 0, int8);
        mean_case((int32_t[]){-1}, 1, 0, int8);
        mean_case((int32_t[]){0, 3, -1}, 3, 1, int8); /* repeated axis counts once */
        mean_case((int32_t[]){0, 1, 2, 3}, 4, 0, int8);
    }
}

TEST(errors_at_load)
{
    rune_error err = {0};
    float buf[256] = {0};
    const void *ip = buf;
    size_t il = 4 * 4 * 3 * 4;
    /* MAX_POOL_2D on a 3-D input */
    op_model om;
    om_begin(&om);
    int ti = t_f32(om.w, 3, (int32_t[]){4, 4, 3});
    om.out = t_f32(om.w, 3, (int32_t[]){2, 2, 3});
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    rune_nnw_options o = rune_nnw_opts_pool(RUNE_NNW_PAD_VALID, 2, 2, 2, 2, 0);
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_MAX_POOL_2D, &ti, 1, &o, &ip, &il, buf, 48, &err), err,
                     RUNE_E_INVALID, "must have 4 dimensions");
    /* MAX_POOL_2D int8 with different output quantization */
    om_begin(&om);
    ti = t_i8(om.w, 4, (int32_t[]){1, 4, 4, 3}, 0.1f, 0);
    om.out = t_i8(om.w, 4, (int32_t[]){1, 2, 2, 3}, 0.2f, 0);
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    il = 48;
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_MAX_POOL_2D, &ti, 1, &o, &ip, &il, buf, 12, &err), err,
                     RUNE_E_INVALID, "must equal the input's");
    /* zero stride */
    om_begin(&om);
    ti = t_f32(om.w, 4, (int32_t[]){1, 4, 4, 3});
    om.out = t_f32(om.w, 4, (int32_t[]){1, 2, 2, 3});
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    il = 192;
    o = rune_nnw_opts_pool(RUNE_NNW_PAD_VALID, 0, 2, 2, 2, 0);
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_MAX_POOL_2D, &ti, 1, &o, &ip, &il, buf, 48, &err), err,
                     RUNE_E_INVALID, "strides");
    /* MEAN axis out of range, and non-constant axes */
    om_begin(&om);
    ti = t_f32(om.w, 2, (int32_t[]){4, 3});
    int ta = t_vec_i32(om.w, (int32_t[]){2}, 1);
    om.out = t_f32(om.w, 1, (int32_t[]){4});
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    il = 48;
    o = rune_nnw_opts_reducer(0);
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_MEAN, (int[]){ti, ta}, 2, &o, &ip, &il, buf, 16, &err),
                     err, RUNE_E_INVALID, "axis 2 is out of range for rank 2");
    om_begin(&om);
    ti = t_f32(om.w, 2, (int32_t[]){4, 3});
    ta = t_f32(om.w, 1, (int32_t[]){1});
    om.out = t_f32(om.w, 1, (int32_t[]){4});
    om.graph_in[0] = ti;
    om.graph_in[1] = ta;
    om.n_graph_in = 2;
    const void *ips[2] = {buf, buf};
    size_t ils[2] = {48, 4};
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_MEAN, (int[]){ti, ta}, 2, &o, ips, ils, buf, 16, &err),
                     err, RUNE_E_INVALID, "input 1 (axes) must be int32");
    /* MEAN output shape wrong for keep_dims */
    om_begin(&om);
    ti = t_f32(om.w, 2, (int32_t[]){4, 3});
    ta = t_vec_i32(om.w, (int32_t[]){1}, 1);
    om.out = t_f32(om.w, 1, (int32_t[]){4});
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    o = rune_nnw_opts_reducer(1);
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_MEAN, (int[]){ti, ta}, 2, &o, &ip, &il, buf, 16, &err),
                     err, RUNE_E_INVALID, "must be [4,1]");
}

int main(void)
{
    RUN(max_pool);
    RUN(mean);
    RUN(errors_at_load);
    return test_report();
}
