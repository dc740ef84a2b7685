/*
 * test_nn_errors.c - every kind of bad model is refused at load with a clear message and no leak:
 * truncated files, wrong identifier or version, indices out of range (patched into a real model
 * through the FlatBuffer accessors), cycles, overflowing shapes, short buffers, unsupported ops,
 * kernel shape/type errors, and allocation failures at every step of loading the real models.
 */
#include "nn_int.h"
#include "rune/alloc.h"
#include "rune/nn.h"
#include "rune/nn_writer.h"
#include "test.h"

/* Load bytes expecting failure with status want and a message containing needle; checks no leak. */
static void expect_fail(const uint8_t *bytes, size_t len, rune_status want, const char *needle)
{
    long live = rune_alloc_live();
    rune_nn_model *m = NULL;
    rune_error err = {0};
    rune_status st = rune_nn_model_load(bytes, len, &m, &err);
    CHECK_STATUS(st, want);
    CHECK(m == NULL);
    if (needle) CHECK_CONTAINS(err.msg, needle);
    rune_nn_model_free(m);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

static void t_i8(rune_nnw_tensor *t, const char *name, int rank, const int32_t *shape, float scale,
                 int64_t *zp)
{
    static float s;
    memset(t, 0, sizeof *t);
    s = scale;
    t->name = name;
    t->type = RUNE_NNW_INT8;
    t->rank = rank;
    t->shape = shape;
    t->n_quant = 1;
    t->scale = &s;
    t->zero_point = zp;
}

/* A float FULLY_CONNECTED [1,4] -> [1,2] model whose pieces the caller may spoil. */
typedef struct fc_spec {
    int in_idx, w_idx, out_idx; /* indices the op uses (defaults 0, 1, 2) */
    const int32_t *w_shape;     /* default [2,4] */
    size_t w_bytes;             /* default 32 */
    int code;                   /* default FULLY_CONNECTED */
    int extra_op_cycle;         /* add a second op whose output feeds the first */
} fc_spec;

static rune_status make_fc(const fc_spec *s, uint8_t **bytes, size_t *len, rune_error *err)
{
    static const int32_t in_shape[] = {1, 4}, w_shape[] = {2, 4}, out_shape[] = {1, 2};
    static const float w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    rune_nnw *wr = NULL;
    rune_status st = rune_nnw_new(&wr, err);
    if (st) return st;
    int in = rune_nnw_add_tensor(
        wr,
        &(rune_nnw_tensor){.name = "in", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = in_shape});
    int wt =
        rune_nnw_add_tensor(wr, &(rune_nnw_tensor){.name = "w",
                                                   .type = RUNE_NNW_FLOAT32,
                                                   .rank = 2,
                                                   .shape = s->w_shape ? s->w_shape : w_shape,
                                                   .data = w,
                                                   .data_len = s->w_bytes ? s->w_bytes : sizeof w});
    int out = rune_nnw_add_tensor(
        wr,
        &(rune_nnw_tensor){.name = "out", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = out_shape});
    (void)in;
    (void)wt;
    (void)out;
    int ins[2] = {s->in_idx, s->w_idx}, outs[1] = {s->out_idx};
    rune_nnw_options o = rune_nnw_opts_fc(RUNE_NNW_ACT_NONE);
    rune_nnw_add_op(wr, s->code ? s->code : RUNE_NNW_OP_FULLY_CONNECTED, ins, 2, outs, 1, &o);
    if (s->extra_op_cycle) {
        /* op 1: RESHAPE out -> in, so op 0 reads "in" produced later */
        int rin[1] = {2}, rout[1] = {0};
        rune_nnw_add_op(wr, RUNE_NNW_OP_RESHAPE, rin, 1, rout, 1, NULL);
    }
    rune_nnw_set_io(wr, (int[]){s->extra_op_cycle ? 1 : 0}, s->extra_op_cycle ? 0 : 1, (int[]){2},
                    1);
    st = rune_nnw_finish(wr, bytes, len, err);
    rune_nnw_free(wr);
    return st;
}

static void fc_case(fc_spec s, rune_status want, const char *needle)
{
    uint8_t *b = NULL;
    size_t n = 0;
    rune_error err = {0};
    if (!s.w_idx && !s.in_idx && !s.out_idx) {
        s.w_idx = 1;
        s.out_idx = 2;
    }
    CHECK_OK(make_fc(&s, &b, &n, &err), &err);
    if (b) expect_fail(b, n, want, needle);
    rune_free(b);
}

TEST(test_good_fc_loads)
{
    fc_spec s = {.w_idx = 1, .out_idx = 2};
    uint8_t *b = NULL;
    size_t n = 0;
    rune_error err = {0};
    CHECK_OK(make_fc(&s, &b, &n, &err), &err);
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    CHECK_OK(rune_nn_model_load(b, n, &m, &err), &err);
    if (m) CHECK_OK(rune_nn_interp_create(m, NULL, 0, &it, &err), &err);
    if (it) {
        float x[4] = {1, 0, -1, 2}, y[2];
        const void *p;
        CHECK_OK(rune_nn_interp_set_input(it, 0, x, sizeof x, &err), &err);
        CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
        CHECK_OK(rune_nn_interp_output(it, 0, &p, NULL, &err), &err);
        memcpy(y, p, sizeof y);
        CHECK_NEAR(y[0], 1 - 3 + 8, 1e-6);
        CHECK_NEAR(y[1], 5 - 7 + 16, 1e-6);
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    rune_free(b);
}

TEST(test_bad_indices_and_graphs)
{
    fc_case((fc_spec){.in_idx = 7, .w_idx = 1, .out_idx = 2}, RUNE_E_INVALID,
            "tensor index 7 out of range");
    fc_case((fc_spec){.in_idx = 0, .w_idx = 1, .out_idx = -1}, RUNE_E_INVALID, "out of range");
    fc_case((fc_spec){.in_idx = 0, .w_idx = 1, .out_idx = 1}, RUNE_E_INVALID, "constant");
    /* an operator that consumes its own output */
    fc_case((fc_spec){.in_idx = 2, .w_idx = 1, .out_idx = 2}, RUNE_E_INVALID,
            "before any earlier operator produces it");
    /* operator 0 reads a tensor that operator 1 produces */
    fc_case((fc_spec){.in_idx = 0, .w_idx = 1, .out_idx = 2, .extra_op_cycle = 1}, RUNE_E_INVALID,
            "operator 0 (FULLY_CONNECTED) reads tensor 0 (in) before");
}

TEST(test_bad_shapes_and_buffers)
{
    static const int32_t huge[] = {65536, 65536, 65536, 65536};
    static const int32_t neg[] = {2, -4};
    static const int32_t wrong[] = {2, 3};
    fc_case((fc_spec){.w_shape = huge, .w_idx = 1, .out_idx = 2}, RUNE_E_INVALID, "overflows");
    fc_case((fc_spec){.w_shape = neg, .w_idx = 1, .out_idx = 2}, RUNE_E_INVALID, "negative");
    fc_case((fc_spec){.w_bytes = 20, .w_idx = 1, .out_idx = 2}, RUNE_E_INVALID,
            "buffer 1 holds 20 bytes, the tensor needs 32");
    fc_case((fc_spec){.w_shape = wrong, .w_bytes = 24, .w_idx = 1, .out_idx = 2}, RUNE_E_INVALID,
            "operator 0 (FULLY_CONNECTED): input of 4 elements is not a multiple of depth 3");
}

TEST(test_unsupported_op_named)
{
    fc_case((fc_spec){.code = RUNE_NNW_OP_LSTM, .w_idx = 1, .out_idx = 2}, RUNE_E_UNSUPPORTED,
            "unsupported op LSTM (code 16) at operator 0");
    fc_case((fc_spec){.code = 150, .w_idx = 1, .out_idx = 2}, RUNE_E_UNSUPPORTED,
            "unsupported op GELU (code 150) at operator 0");
    fc_case((fc_spec){.code = 5000, .w_idx = 1, .out_idx = 2}, RUNE_E_UNSUPPORTED,
            "unsupported op UNKNOWN (code 5000)");
    CHECK_STR(rune_nn_builtin_name(16), "LSTM");
    CHECK_STR(rune_nn_builtin_name(-1), "UNKNOWN");
    CHECK(rune_nn_op_supported(3));
    CHECK(!rune_nn_op_supported(16));
    /* the survey lists them without loading */
    fc_spec s = {.code = RUNE_NNW_OP_LSTM, .w_idx = 1, .out_idx = 2};
    uint8_t *b = NULL;
    size_t n = 0;
    rune_error err = {0};
    CHECK_OK(make_fc(&s, &b, &n, &err), &err);
    int codes[4] = {0};
    CHECK_EQ_INT(rune_nn_unsupported_ops(b, n, codes, 4, &err), 1);
    CHECK_EQ_INT(codes[0], 16);
    rune_free(b);
}

/* Int8 conv with a spoiled part: prepare's messages name the operator and the problem. */
TEST(test_kernel_prepare_errors)
{
    static const int32_t in_shape[] = {1, 4, 4, 2}, w_shape[] = {3, 3, 3, 2}, b_shape[] = {3};
    static const int32_t out_shape[] = {1, 4, 4, 3}, bad_out[] = {1, 3, 4, 3};
    static int8_t w[54];
    static int32_t bias[3];
    int64_t zp0 = 0, zpm = -5, zp_big = 300;
    for (int variant = 0; variant < 7; variant++) {
        rune_nnw *wr = NULL;
        rune_error err = {0};
        CHECK_OK(rune_nnw_new(&wr, &err), &err);
        if (!wr) return;
        rune_nnw_tensor t;
        t_i8(&t, "in", 4, in_shape, 0.5f, variant == 6 ? &zp_big : &zpm);
        int in = rune_nnw_add_tensor(wr, &t);
        t_i8(&t, "w", 4, w_shape, 0.1f, &zp0);
        t.data = w;
        t.data_len = sizeof w;
        static const float three_scales[3] = {0.1f, 0.2f, 0.3f};
        static const int64_t three_zeros[3] = {0, 0, 0};
        if (variant == 4) { /* per-channel along KH (size 3 too): the wrong axis for CONV_2D */
            t.n_quant = 3;
            t.scale = three_scales;
            t.zero_point = three_zeros;
            t.quantized_dimension = 1;
        }
        int wt = rune_nnw_add_tensor(wr, &t);
        rune_nnw_tensor tb = {.name = "b",
                              .type = variant == 1 ? RUNE_NNW_FLOAT32 : RUNE_NNW_INT32,
                              .rank = 1,
                              .shape = b_shape,
                              .data = bias,
                              .data_len = sizeof bias};
        int bt = rune_nnw_add_tensor(wr, &tb);
        t_i8(&t, "out", 4, variant == 2 ? bad_out : out_shape, 0.25f, &zp0);
        int out = rune_nnw_add_tensor(wr, &t);
        rune_nnw_options o = rune_nnw_opts_conv2d(RUNE_NNW_PAD_SAME, 1, 1, RUNE_NNW_ACT_RELU, 1, 1);
        if (variant == 3)
            o = rune_nnw_opts_conv2d(RUNE_NNW_PAD_SAME, 0, 1, RUNE_NNW_ACT_RELU, 1, 1);
        if (variant == 5) /* absurd stride: refused before any index arithmetic could overflow */
            o = rune_nnw_opts_conv2d(RUNE_NNW_PAD_SAME, 1 << 30, 1, RUNE_NNW_ACT_RELU, 1, 1);
        rune_nnw_add_op(wr, RUNE_NNW_OP_CONV_2D, (int[]){in, wt, bt}, 3, (int[]){out}, 1, &o);
        rune_nnw_set_io(wr, (int[]){in}, 1, (int[]){out}, 1);
        uint8_t *b = NULL;
        size_t n = 0;
        CHECK_OK(rune_nnw_finish(wr, &b, &n, &err), &err);
        rune_nnw_free(wr);
        if (!b) continue;
        if (variant == 0) {
            rune_nn_model *m = NULL;
            CHECK_OK(rune_nn_model_load(b, n, &m, &err), &err);
            CHECK_EQ_INT(rune_nn_model_macs(m), 4 * 4 * 3 * 3 * 3 * 2);
            rune_nn_model_free(m);
        } else if (variant == 1) {
            expect_fail(b, n, RUNE_E_UNSUPPORTED,
                        "operator 0 (CONV_2D): bias must be int32, got float32");
        } else if (variant == 2) {
            expect_fail(b, n, RUNE_E_INVALID, "operator 0 (CONV_2D): output shape does not match");
        } else if (variant == 3) {
            expect_fail(b, n, RUNE_E_INVALID, "strides");
        } else if (variant == 4) {
            expect_fail(b, n, RUNE_E_UNSUPPORTED, "per channel along axis 1, expected axis 0");
        } else if (variant == 5) {
            expect_fail(b, n, RUNE_E_UNSUPPORTED, "too large");
        } else { /* what the fuzzer found: a zero point far outside int8 overflowed RELU's sum */
            expect_fail(b, n, RUNE_E_INVALID,
                        "tensor 0 (in): int8 zero point 300 outside -128..127");
        }
        rune_free(b);
    }
}

TEST(test_truncated_and_identifier)
{
    size_t len = 0;
    unsigned char *bytes = test_read_file(SHARED("models/hello_world_int8.tflite"), &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    long live = rune_alloc_live();
    int ok_prefixes = 0;
    for (size_t n = 0; n < len; n++) {
        unsigned char *copy = malloc(n ? n : 1); /* exact-size copy: ASan sees any over-read */
        memcpy(copy, bytes, n);
        rune_nn_model *m = NULL;
        rune_error err = {0};
        rune_status st = rune_nn_model_load(copy, n, &m, &err);
        if (st == RUNE_OK) ok_prefixes++;
        CHECK(st == RUNE_OK || err.msg[0] != 0);
        rune_nn_model_free(m);
        free(copy);
    }
    CHECK_EQ_INT(ok_prefixes, 0);
    CHECK_EQ_INT(rune_alloc_live(), live);
    expect_fail(bytes, 3, RUNE_E_MALFORMED, "too short");
    expect_fail(NULL, 0, RUNE_E_MALFORMED, "too short");
    unsigned char *bad = malloc(len);
    memcpy(bad, bytes, len);
    memcpy(bad + 4, "TFL2", 4);
    expect_fail(bad, len, RUNE_E_MALFORMED, "identifier");
    /* root offset past the end */
    memcpy(bad, bytes, len);
    bad[0] = 0xff;
    bad[1] = 0xff;
    bad[2] = 0xff;
    bad[3] = 0x7f;
    expect_fail(bad, len, RUNE_E_MALFORMED, "outside the file");
    free(bad);
    free(bytes);
}

/* Patch a u32 field of a table of a real model (found with the accessors) and load it. */
static unsigned char *patched(const unsigned char *bytes, size_t len, int which, uint32_t value)
{
    unsigned char *c = malloc(len);
    memcpy(c, bytes, len);
    nn_fb fb = {.p = c, .len = len};
    nn_fb_table model, t;
    nn_fb_vec v;
    nn_fb_root(&fb, "TFL3", &model);
    size_t pos = 0;
    if (which == 0) { /* Model.version */
        t = model;
        pos = 0;
    } else {
        nn_fb_table sg;
        nn_fb_vec_field(&model, 2, 4, &v);
        nn_fb_vec_table(&v, 0, &sg);
        if (which == 1) { /* tensor 1's buffer index */
            nn_fb_vec_field(&sg, 0, 4, &v);
            nn_fb_vec_table(&v, 1, &t);
            pos = 2;
        } else { /* the first operator whose opcode index is stored (non-zero) */
            nn_fb_vec_field(&sg, 3, 4, &v);
            for (uint32_t i = 0; i < v.n; i++) {
                nn_fb_vec_table(&v, i, &t);
                if (nn_ld_u16(c + t.vt + 4)) break;
            }
            pos = 0;
        }
    }
    uint16_t off = nn_ld_u16(c + t.vt + 4 + 2 * pos);
    CHECK(off != 0 && !fb.bad);
    if (off) {
        size_t p = t.pos + off;
        c[p] = value & 0xff;
        c[p + 1] = (value >> 8) & 0xff;
        c[p + 2] = (value >> 16) & 0xff;
        c[p + 3] = (uint8_t)(value >> 24);
    }
    return c;
}

TEST(test_patched_real_model)
{
    size_t len = 0;
    unsigned char *bytes = test_read_file(SHARED("models/hello_world_int8.tflite"), &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    unsigned char *c = patched(bytes, len, 0, 4);
    expect_fail(c, len, RUNE_E_UNSUPPORTED, "schema version 4");
    free(c);
    c = patched(bytes, len, 1, 9999);
    expect_fail(c, len, RUNE_E_INVALID, "buffer index 9999 out of range");
    free(c);
    free(bytes);
    bytes = test_read_file(SHARED("models/micro_speech_quantized.tflite"), &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    c = patched(bytes, len, 2, 77);
    expect_fail(c, len, RUNE_E_INVALID, "opcode index 77 out of range");
    free(c);
    free(bytes);
}

/* Fail the N-th allocation of a real model's load for every N: RUNE_E_NOMEM and no leak. */
static void nomem_sweep(const char *rel)
{
    size_t len = 0;
    unsigned char *bytes = test_read_file(SHARED(rel), &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    long live = rune_alloc_live();
    int done = 0;
    for (long n = 0; n < 100000 && !done; n++) {
        rune_nn_model *m = NULL;
        rune_error err = {0};
        rune_alloc_fail_after(n);
        rune_status st = rune_nn_model_load(bytes, len, &m, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            done = 1;
            CHECK(n > 10);
        } else {
            CHECK_STATUS(st, RUNE_E_NOMEM);
            CHECK(m == NULL);
        }
        rune_nn_model_free(m);
        CHECK_EQ_INT(rune_alloc_live(), live);
        if (st != RUNE_OK && st != RUNE_E_NOMEM) break;
    }
    CHECK(done);
    free(bytes);
}

TEST(test_alloc_failures)
{
    nomem_sweep("models/hello_world_int8.tflite");
    nomem_sweep("models/micro_speech_quantized.tflite");
    nomem_sweep("models/person_detect.tflite");
}

TEST(test_api_misuse)
{
    rune_error err = {0};
    rune_nn_model *m = NULL;
    CHECK_STATUS(rune_nn_model_load("x", 1, NULL, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_nn_model_load(NULL, 10, &m, &err), RUNE_E_ARG);
    rune_nn_model_free(NULL);
    rune_nn_interp_free(NULL);
    CHECK_STATUS(rune_nn_interp_create(NULL, NULL, 0, NULL, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_nn_interp_invoke(NULL, &err), RUNE_E_ARG);
    rune_nn_tensor_info ti;
    CHECK_STATUS(rune_nn_model_input(NULL, 0, &ti, &err), RUNE_E_ARG);
    CHECK(rune_nn_interp_tensor_data(NULL, 0, NULL) == NULL);
}

int main(void)
{
    RUN(test_good_fc_loads);
    RUN(test_bad_indices_and_graphs);
    RUN(test_bad_shapes_and_buffers);
    RUN(test_unsupported_op_named);
    RUN(test_kernel_prepare_errors);
    RUN(test_truncated_and_identifier);
    RUN(test_patched_real_model);
    RUN(test_alloc_failures);
    RUN(test_api_misuse);
    return test_report();
}
