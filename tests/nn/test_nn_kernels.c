/*
 * test_nn_kernels.c - the optimized kernels against their reference twins (STYLE habit 12): random
 * int8 convolutions and depthwise convolutions over many geometries must agree exactly, and so must
 * every intermediate tensor of the real models; plus the fixed-point helpers on known values and
 * the memory planner's invariant (tensors alive at the same time never share bytes).
 */
#include "kernels/kernels_int.h"
#include "kernels/requant_sse2.h"
#include "kernels/softmax_int.h"
#include "nn_int.h"
#include "rune/alloc.h"
#include "rune/config.h"
#include "rune/nn.h"
#include "test.h"

static uint32_t rng = 12345;
static int rnd(int lo, int hi) /* inclusive */
{
    rng = rng * 1664525u + 1013904223u;
    return lo + (int)((rng >> 8) % (uint32_t)(hi - lo + 1));
}

/* Random geometry and quantization into p (int8), weights and bias; returns 0 if it does not fit.
 */
static int random_params(nn_conv_params *p, nn_model *m, int depthwise)
{
    memset(p, 0, sizeof *p);
    p->batches = rnd(1, 2);
    p->in_h = rnd(1, 12);
    p->in_w = rnd(1, 12);
    p->in_c = depthwise ? rnd(1, 10) : rnd(1, 20);
    if (!depthwise && rnd(0, 7) == 0) p->in_c = rnd(100, 500); /* long patches: small conv tiles */
    p->depth_mult = depthwise ? rnd(1, 3) : 1;
    p->out_c = depthwise ? p->in_c * p->depth_mult : rnd(1, 11);
    p->k_h = rnd(1, 4);
    p->k_w = rnd(1, 4);
    p->stride_h = rnd(1, 3);
    p->stride_w = rnd(1, 3);
    p->dil_h = rnd(1, 2);
    p->dil_w = rnd(1, 2);
    int padding = rnd(0, 1);
    p->out_h = nn_conv_out_size(padding, p->in_h, p->k_h, p->stride_h, p->dil_h);
    p->out_w = nn_conv_out_size(padding, p->in_w, p->k_w, p->stride_w, p->dil_w);
    if (p->out_h <= 0 || p->out_w <= 0) return 0;
    p->pad_h = nn_conv_pad(padding, p->in_h, p->k_h, p->stride_h, p->dil_h, p->out_h);
    p->pad_w = nn_conv_pad(padding, p->in_w, p->k_w, p->stride_w, p->dil_w, p->out_w);
    p->is_int8 = 1;
    p->in_offset = -rnd(-128, 127);
    p->out_offset = rnd(-128, 127);
    p->act_min = rnd(-128, 0);
    p->act_max = rnd(1, 127);
    p->mult = nn_persist(m, sizeof(int32_t) * (size_t)p->out_c);
    p->shift = nn_persist(m, sizeof(int) * (size_t)p->out_c);
    p->rq = nn_persist(m, sizeof(nn_rq) * (size_t)p->out_c);
    for (int c = 0; c < p->out_c; c++) {
        /* mostly below 1, some above (left shifts) */
        double real = rnd(0, 30) ? 0.0001 + rnd(0, 10000) * 1e-5 : 1.0 + rnd(0, 1000) * 0.01;
        nn_quantize_multiplier(real, &p->mult[c], &p->shift[c]);
        nn_rq_set(&p->rq[c], p->mult[c], p->shift[c]);
    }
    rune_error err = {0};
    if (nn_rq4_prepare(m, p, p->out_c, &err)) return 0; /* rq4 stays NULL with a left shift */
    return 1;
}

static void fill(int8_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (int8_t)rnd(-128, 127);
}

TEST(test_conv_fast_matches_reference)
{
    int cases = 0, long_patches = 0;
    for (int iter = 0; iter < 400; iter++) {
        nn_model *m = rune_calloc(1, sizeof *m);
        nn_conv_params p;
        if (!random_params(&p, m, 0)) {
            rune_nn_model_free(m);
            continue;
        }
        size_t n_in = (size_t)p.batches * p.in_h * p.in_w * p.in_c;
        size_t n_w = (size_t)p.out_c * p.k_h * p.k_w * p.in_c;
        size_t n_out = (size_t)p.batches * p.out_h * p.out_w * p.out_c;
        int8_t *in = malloc(n_in), *w = malloc(n_w), *o1 = malloc(n_out), *o2 = malloc(n_out);
        int32_t *bias = malloc(sizeof(int32_t) * (size_t)p.out_c);
        fill(in, n_in);
        fill(w, n_w);
        for (int c = 0; c < p.out_c; c++)
            bias[c] = rnd(-20000, 20000);
        int with_bias = rnd(0, 1);
        rune_error err = {0};
        CHECK_OK(nn_pack_weights(m, &p, w, with_bias ? bias : NULL, p.out_c, p.k_h * p.k_w * p.in_c,
                                 &err),
                 &err);
        int16_t *scratch = malloc(nn_conv_fast_scratch(&p));
        long_patches += p.k16 > 256; /* tiles of fewer than 32 pixels */
        nn_conv_ref_i8(&p, in, w, with_bias ? bias : NULL, o1);
        nn_conv_fast_i8(&p, in, o2, scratch);
        int same = memcmp(o1, o2, n_out) == 0;
        CHECK_MSG_(same, "conv case %d differs: in %dx%dx%d k %dx%d s %d,%d d %d,%d oc %d", iter,
                   p.in_h, p.in_w, p.in_c, p.k_h, p.k_w, p.stride_h, p.stride_w, p.dil_h, p.dil_w,
                   p.out_c);
        /* the outputs are not degenerate (clamped everywhere) */
        int distinct = 0;
        for (size_t i = 1; i < n_out; i++)
            distinct |= o1[i] != o1[0];
        cases += distinct;
        free(in), free(w), free(o1), free(o2), free(bias), free(scratch);
        rune_nn_model_free(m);
    }
    CHECK(cases > 100);
    CHECK(long_patches > 10);
}

TEST(test_dwconv_fast_matches_reference)
{
    int cases = 0;
    for (int iter = 0; iter < 400; iter++) {
        nn_model *m = rune_calloc(1, sizeof *m);
        nn_conv_params p;
        if (!random_params(&p, m, 1)) {
            rune_nn_model_free(m);
            continue;
        }
        size_t n_in = (size_t)p.batches * p.in_h * p.in_w * p.in_c;
        size_t n_w = (size_t)p.k_h * p.k_w * p.out_c;
        size_t n_out = (size_t)p.batches * p.out_h * p.out_w * p.out_c;
        int8_t *in = malloc(n_in), *w = malloc(n_w), *o1 = malloc(n_out), *o2 = malloc(n_out);
        int32_t *bias = malloc(sizeof(int32_t) * (size_t)p.out_c);
        void *scratch = malloc(nn_dwconv_fast_scratch(&p));
        fill(in, n_in);
        fill(w, n_w);
        for (int c = 0; c < p.out_c; c++)
            bias[c] = rnd(-20000, 20000);
        int with_bias = rnd(0, 1);
        nn_dwconv_ref_i8(&p, in, w, with_bias ? bias : NULL, o1);
        rune_error err = {0};
        CHECK_OK(nn_dwconv_pack(m, &p, w, &err), &err);
        nn_dwconv_fast_i8(&p, in, with_bias ? bias : NULL, o2, scratch);
        CHECK_MSG_(memcmp(o1, o2, n_out) == 0, "depthwise case %d differs (dm %d)", iter,
                   p.depth_mult);
        cases++;
        free(in), free(w), free(o1), free(o2), free(bias), free(scratch);
        rune_nn_model_free(m);
    }
    CHECK(cases > 100);
}

static float frnd(void)
{
    return (float)rnd(-1000, 1000) / 250.0f;
}

/* Float conv, depthwise and FC: optimized loops give the very same floats as the reference. */
TEST(test_float_fast_matches_reference)
{
    int cases = 0;
    for (int iter = 0; iter < 300; iter++) {
        nn_model *m = rune_calloc(1, sizeof *m);
        nn_conv_params p;
        int dw = iter % 2;
        if (!random_params(&p, m, dw)) {
            rune_nn_model_free(m);
            continue;
        }
        p.is_int8 = 0;
        p.f_min = rnd(0, 1) ? -INFINITY : -1.0f;
        p.f_max = rnd(0, 1) ? INFINITY : 3.0f;
        size_t n_in = (size_t)p.batches * p.in_h * p.in_w * p.in_c;
        size_t n_w =
            dw ? (size_t)p.k_h * p.k_w * p.out_c : (size_t)p.out_c * p.k_h * p.k_w * p.in_c;
        size_t n_out = (size_t)p.batches * p.out_h * p.out_w * p.out_c;
        float *in = malloc(n_in * 4), *w = malloc(n_w * 4), *bias = malloc((size_t)p.out_c * 4);
        float *o1 = malloc(n_out * 4), *o2 = malloc(n_out * 4), *acc = malloc((size_t)p.out_c * 4);
        for (size_t i = 0; i < n_in; i++)
            in[i] = frnd();
        for (size_t i = 0; i < n_w; i++)
            w[i] = frnd();
        for (int c = 0; c < p.out_c; c++)
            bias[c] = frnd();
        const float *b = rnd(0, 1) ? bias : NULL;
        rune_error err = {0};
        if (dw) {
            nn_dwconv_ref_f32(&p, in, w, b, o1);
            nn_dwconv_fast_f32(&p, in, w, b, o2, acc);
        } else {
            CHECK_OK(nn_f32_transpose(m, w, p.out_c, p.k_h * p.k_w * p.in_c, &p.wt_f32, &err),
                     &err);
            nn_conv_ref_f32(&p, in, w, b, o1);
            nn_conv_fast_f32(&p, in, p.wt_f32, b, o2, acc);
        }
        int same = 1;
        for (size_t i = 0; i < n_out; i++)
            same &= o1[i] == o2[i];
        CHECK_MSG_(same, "float %s case %d differs", dw ? "depthwise" : "conv", iter);
        cases++;
        free(in), free(w), free(bias), free(o1), free(o2), free(acc);
        rune_nn_model_free(m);
    }
    CHECK(cases > 100);
}

/* Load a real model twice (optimized, reference) keeping every tensor, run on the same input, and
 * compare every tensor. */
static void compare_model(const char *rel, const char *input_rel)
{
    size_t len = 0, in_len = 0;
    unsigned char *bytes = test_read_file(SHARED(rel), &len);
    unsigned char *input = input_rel ? test_read_file(SHARED(input_rel), &in_len) : NULL;
    CHECK(bytes != NULL);
    if (!bytes) return;
    rune_nn_model *m[2] = {NULL, NULL};
    rune_nn_interp *it[2] = {NULL, NULL};
    rune_error err = {0};
    for (int k = 0; k < 2; k++) {
        rune_nn_options o = {.reference = k, .keep_tensors = 1};
        CHECK_OK(rune_nn_model_load_ex(bytes, len, &o, &m[k], &err), &err);
        if (m[k]) CHECK_OK(rune_nn_interp_create(m[k], NULL, 0, &it[k], &err), &err);
        if (!it[k]) goto out;
        size_t n;
        uint8_t *dst = rune_nn_interp_input_data(it[k], 0, &n);
        for (size_t i = 0; i < n; i++)
            dst[i] = input && i < in_len ? input[i] : (uint8_t)(i * 37 + 11);
        CHECK_OK(rune_nn_interp_invoke(it[k], &err), &err);
    }
    int compared = 0;
    for (int t = 0; t < rune_nn_model_tensor_count(m[0]); t++) {
        size_t n0, n1;
        const void *a = rune_nn_interp_tensor_data(it[0], t, &n0);
        const void *b = rune_nn_interp_tensor_data(it[1], t, &n1);
        if (!a || !b) continue;
        CHECK_EQ_INT(n0, n1);
        CHECK_MSG_(n0 == n1 && memcmp(a, b, n0) == 0, "%s: tensor %d differs", rel, t);
        compared++;
    }
    CHECK(compared > 3);
out:
    for (int k = 0; k < 2; k++) {
        rune_nn_interp_free(it[k]);
        rune_nn_model_free(m[k]);
    }
    free(bytes);
    free(input);
}

TEST(test_real_models_fast_matches_reference)
{
    compare_model("models/person_detect.tflite", NULL);
    compare_model("models/micro_speech_quantized.tflite",
                  "testdata/yes_micro_features_1960_int8.bin");
    compare_model("models/hello_world_int8.tflite", NULL);
    compare_model("models/hello_world_float.tflite", NULL); /* float FC fast vs reference */
}

TEST(test_fixed_point_helpers)
{
    int32_t q;
    int s;
    nn_quantize_multiplier(0.5, &q, &s);
    CHECK_EQ_INT(q, 1 << 30);
    CHECK_EQ_INT(s, 0);
    nn_quantize_multiplier(0.75, &q, &s);
    CHECK_EQ_INT(q, 3 << 29);
    CHECK_EQ_INT(s, 0);
    nn_quantize_multiplier(3.0, &q, &s);
    CHECK_EQ_INT(q, 3 << 29);
    CHECK_EQ_INT(s, 2);
    nn_quantize_multiplier(0.0, &q, &s);
    CHECK(q == 0 && s == 0);
    nn_quantize_multiplier(1e-12, &q, &s); /* below 2^-31: TFLite flushes to zero */
    CHECK(q == 0 && s == 0);
    CHECK_EQ_INT(nn_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
    CHECK_EQ_INT(nn_srdhm(1 << 30, 1 << 30), 1 << 29);
    CHECK_EQ_INT(nn_srdhm(-3, 1 << 30), -1); /* -1.5 rounds away from zero */
    CHECK_EQ_INT(nn_rdbpot(5, 1), 3);
    CHECK_EQ_INT(nn_rdbpot(-5, 1), -3);
    CHECK_EQ_INT(nn_rdbpot(-6, 2), -2);
    CHECK_EQ_INT(nn_rdbpot(6, 2), 2);
    CHECK_EQ_INT(nn_rdbpot(7, 0), 7);
    /* the branch-free nn_mbqm equals TFLite's composition of SRDHM and RDBPOT */
    static const int32_t edge[] = {0,
                                   1,
                                   -1,
                                   2,
                                   -2,
                                   1 << 30,
                                   -(1 << 30),
                                   INT32_MAX,
                                   INT32_MIN,
                                   (1 << 30) + 1,
                                   -(1 << 30) - 1,
                                   12345,
                                   -12345};
    for (int i = 0; i < 200000; i++) {
        int32_t x = i < 169 ? edge[i % 13]
                            : (int32_t)(((uint32_t)rnd(0, 65535) << 16) ^ (uint32_t)rnd(0, 65535));
        int32_t qm = i < 169 ? edge[i / 13]
                             : (int32_t)(((uint32_t)rnd(0, 65535) << 16) ^ (uint32_t)rnd(0, 65535));
        int sh = rnd(-31, 8);
        int left = sh > 0 ? sh : 0, right = sh > 0 ? 0 : -sh;
        int32_t want = nn_rdbpot(nn_srdhm((int32_t)((uint32_t)x << left), qm), right);
        CHECK_MSG_(nn_mbqm(x, qm, sh) == want, "mbqm(%d, %d, %d) = %d, want %d", (int)x, (int)qm,
                   sh, (int)nn_mbqm(x, qm, sh), (int)want);
    }
    /* the prepared-constant requantization equals the reference one */
    {
        nn_conv_params p;
        memset(&p, 0, sizeof p);
        int32_t mult[1];
        int shift[1];
        nn_rq rq[1];
        p.mult = mult;
        p.shift = shift;
        p.rq = rq;
        for (int i = 0; i < 200000; i++) {
            double real = ldexp(rnd(1, 1 << 20) / (double)(1 << 20), rnd(-40, 12));
            nn_quantize_multiplier(real, &mult[0], &shift[0]);
            nn_rq_set(&rq[0], mult[0], shift[0]);
            p.out_offset = rnd(-128, 127);
            p.act_min = rnd(-128, 0);
            p.act_max = rnd(0, 127);
            int32_t acc = (int32_t)(((uint32_t)rnd(0, 65535) << 16) ^ (uint32_t)rnd(0, 65535));
            if (i % 3 == 0) acc = rnd(-100000, 100000);
            CHECK_MSG_(nn_requant(&p, acc, 0) == nn_requant_ref(&p, acc, 0),
                       "requant(%d) with %d/%d: %d vs %d", (int)acc, (int)mult[0], shift[0],
                       nn_requant(&p, acc, 0), nn_requant_ref(&p, acc, 0));
        }
    }
    /* mbqm against exact rational rounding for multipliers in [0.5, 1) * 2^shift */
    for (int i = 0; i < 2000; i++) {
        int32_t x = rnd(-2000000, 2000000);
        double real = (rnd(1, 100000) / 100000.0) * (rnd(0, 1) ? 1.0 / 1024 : 4.0);
        nn_quantize_multiplier(real, &q, &s);
        double exact = (double)x * q * ldexp(1.0, s - 31);
        CHECK(fabs(nn_mbqm(x, q, s) - exact) <= 1.0);
    }
    int32_t lo, hi;
    rune_error err = {0};
    CHECK_OK(nn_act_range_int8(NN_ACT_RELU6, 6.0f / 255, -128, &lo, &hi, &err), &err);
    CHECK_EQ_INT(lo, -128);
    CHECK_EQ_INT(hi, 127);
    CHECK_OK(nn_act_range_int8(NN_ACT_RELU, 0.1f, 10, &lo, &hi, &err), &err);
    CHECK_EQ_INT(lo, 10);
    CHECK_STATUS(nn_act_range_int8(NN_ACT_TANH, 0.1f, 10, &lo, &hi, &err), RUNE_E_UNSUPPORTED);
    CHECK_EQ_INT(nn_conv_out_size(NN_PAD_SAME, 96, 3, 2, 1), 48);
    CHECK_EQ_INT(nn_conv_pad(NN_PAD_SAME, 96, 3, 2, 1, 48), 0);
    CHECK_EQ_INT(nn_conv_out_size(NN_PAD_VALID, 6, 3, 2, 1), 2);
    CHECK_EQ_INT(nn_conv_out_size(NN_PAD_SAME, 49, 10, 2, 1), 25);
    CHECK_EQ_INT(nn_conv_pad(NN_PAD_SAME, 49, 10, 2, 1, 25), 4);
}

/* Tensors alive during the same operators never share arena bytes; sharing does happen. */
TEST(test_planner_no_overlap)
{
    size_t len = 0;
    unsigned char *bytes = test_read_file(SHARED("models/person_detect.tflite"), &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    rune_nn_model *m = NULL, *mk = NULL;
    rune_error err = {0};
    CHECK_OK(rune_nn_model_load(bytes, len, &m, &err), &err);
    rune_nn_options o = {.keep_tensors = 1};
    CHECK_OK(rune_nn_model_load_ex(bytes, len, &o, &mk, &err), &err);
    if (m && mk) {
        const nn_graph *g = &m->graphs[0];
        size_t sum = 0, biggest = 0;
        for (int i = 0; i < g->n_tensors; i++) {
            const nn_tensor *a = &g->tensors[i];
            if (a->offset == NN_NO_OFFSET) continue;
            CHECK(a->offset + a->bytes <= m->arena_size);
            CHECK_EQ_INT(a->offset % RUNE_NN_ARENA_ALIGN, 0);
            sum += a->bytes;
            if (a->bytes > biggest) biggest = a->bytes;
            for (int j = i + 1; j < g->n_tensors; j++) {
                const nn_tensor *b = &g->tensors[j];
                if (b->offset == NN_NO_OFFSET) continue;
                int live_together = a->first_op <= b->last_op && b->first_op <= a->last_op;
                int share = a->offset < b->offset + b->bytes && b->offset < a->offset + a->bytes;
                CHECK_MSG_(!(live_together && share && a->bytes && b->bytes),
                           "tensors %d and %d overlap", i, j);
            }
            for (int k = 0; k < g->n_ops; k++) {
                const nn_op *op = &g->ops[k];
                if (!op->scratch_bytes || k < a->first_op || k > a->last_op) continue;
                CHECK(!(a->offset < op->scratch_offset + op->scratch_bytes &&
                        op->scratch_offset < a->offset + a->bytes));
            }
        }
        CHECK(m->arena_size < sum);      /* memory is reused */
        CHECK(m->arena_size >= biggest); /* and every tensor fits */
        CHECK(mk->arena_size >= sum);    /* keep_tensors: nothing shared */
        /* Lower bound: the largest op's live set (input + output) must fit at once. */
        CHECK(m->arena_size >= 48 * 48 * 8 + 96 * 96);
    }
    rune_nn_model_free(m);
    rune_nn_model_free(mk);
    free(bytes);
}

/* The fixed-point int8 softmax stays within 1 of the real softmax over random rows and scales,
 * and orders its outputs as its inputs. */
TEST(test_softmax_fixed_point)
{
    int rows = 0, exact = 0, total = 0;
    for (int iter = 0; iter < 3000; iter++) {
        int n = rnd(1, 40);
        double scale = rnd(1, 2000) / 10000.0, beta = rnd(0, 1) ? 1.0 : rnd(1, 40) / 10.0;
        nn_softmax_q q;
        if (!nn_softmax_q_prepare(beta, scale, &q)) continue;
        int8_t in[40], out[40];
        for (int i = 0; i < n; i++)
            in[i] = (int8_t)rnd(-128, 127);
        nn_softmax_q_row(&q, in, out, n);
        int mx = -128;
        for (int i = 0; i < n; i++)
            mx = in[i] > mx ? in[i] : mx;
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += exp((in[i] - mx) * scale * beta);
        for (int i = 0; i < n; i++) {
            double want = fmin(127, round(exp((in[i] - mx) * scale * beta) / sum * 256) - 128);
            CHECK_MSG_(fabs(out[i] - want) <= 1, "row %d: out %d want %g (scale %g beta %g)", iter,
                       out[i], want, scale, beta);
            exact += out[i] == want;
            total++;
            for (int j = 0; j < n; j++)
                if (in[i] > in[j]) CHECK(out[i] >= out[j]);
        }
        rows++;
    }
    CHECK(rows > 2000);
    CHECK(exact > total * 9 / 10); /* mostly identical to the rounded real value */
}

/* Four-lane SSE2 requantization equals the reference one lane by lane (the optimized loops use it
 * whenever no channel needs a left shift). */
TEST(test_requant4_matches_reference)
{
#ifdef NN_REQUANT4
    int done = 0;
    for (int iter = 0; iter < 50000; iter++) {
        nn_model *m = rune_calloc(1, sizeof *m);
        nn_conv_params p;
        memset(&p, 0, sizeof p);
        int32_t mult[4];
        int shift[4];
        p.mult = mult;
        p.shift = shift;
        for (int c = 0; c < 4; c++) {
            double real = ldexp(rnd(1, 1 << 20) / (double)(1 << 20), rnd(-40, 0));
            nn_quantize_multiplier(real, &mult[c], &shift[c]);
            if (shift[c] > 0) shift[c] = 0;
        }
        p.out_offset = rnd(-128, 127);
        p.act_min = rnd(-128, 0);
        p.act_max = rnd(0, 127);
        rune_error err = {0};
        CHECK_OK(nn_rq4_prepare(m, &p, 4, &err), &err);
        if (!p.rq4) {
            rune_nn_model_free(m);
            continue;
        }
        int32_t acc[4];
        for (int c = 0; c < 4; c++) {
            acc[c] = (int32_t)(((uint32_t)rnd(0, 65535) << 16) ^ (uint32_t)rnd(0, 65535));
            if (iter % 3) acc[c] = rnd(-200000, 200000);
            if (iter % 7 == 0) acc[c] = (c & 1) ? INT32_MIN : INT32_MAX;
        }
        int8_t out[4];
        nn_requant4(&p, _mm_loadu_si128((const __m128i *)acc), 0, out);
        for (int c = 0; c < 4; c++)
            CHECK_MSG_(out[c] == nn_requant_ref(&p, acc[c], c),
                       "lane %d: acc %d mult %d shift %d: %d vs %d", c, (int)acc[c], (int)mult[c],
                       shift[c], out[c], nn_requant_ref(&p, acc[c], c));
        done++;
        rune_nn_model_free(m);
    }
    CHECK(done > 40000);
#endif
}

int main(void)
{
    RUN(test_conv_fast_matches_reference);
    RUN(test_dwconv_fast_matches_reference);
    RUN(test_float_fast_matches_reference);
    RUN(test_real_models_fast_matches_reference);
    RUN(test_fixed_point_helpers);
    RUN(test_planner_no_overlap);
    RUN(test_softmax_fixed_point);
    RUN(test_requant4_matches_reference);
    return test_report();
}
