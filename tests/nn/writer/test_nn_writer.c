/*
 * test_nn_writer.c - the TFLite writer: its FlatBuffers checked field by field with the engine's
 * bounds-checked accessors (fb.c, written independently of the writer), then loaded and run by the
 * model engine; bad arguments and allocation failures give clear errors and leak nothing.
 */
#include <math.h>

#include "nn_int.h"
#include "rune/alloc.h"
#include "rune/nn.h"
#include "rune/nn_writer.h"
#include "test.h"

/* Fields of the schema that the checks below read (TFLite schema.fbs field ids). */
enum { M_VERSION = 0, M_OPCODES = 1, M_SUBGRAPHS = 2, M_DESC = 3, M_BUFFERS = 4 };
enum { OC_DEPRECATED = 0, OC_VERSION = 2, OC_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPS = 3 };
enum { T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4 };
enum { Q_SCALE = 2, Q_ZP = 3, Q_DIM = 6 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTS_TYPE = 3, OP_OPTS = 4 };

static int vec_table(const nn_fb_table *t, int field, uint32_t i, nn_fb_table *out)
{
    nn_fb_vec v;
    if (nn_fb_vec_field(t, field, 4, &v) != 1 || i >= v.n) return 0;
    return nn_fb_vec_table(&v, i, out);
}

static int str_is(const nn_fb_table *t, int field, const char *want)
{
    const char *s;
    uint32_t n;
    if (nn_fb_str_field(t, field, &s, &n) != 1) return 0;
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* The writer's bytes come from rune_malloc. */
static void drop(uint8_t *p)
{
    rune_free(p);
}

TEST(paper_example_float_fields)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error err = {0};
    CHECK_OK(rune_nnw_make_paper_example(RUNE_NNW_FLOAT32, &bytes, &len, &err), &err);
    if (!bytes) return;
    CHECK_EQ_INT(len % 16, 0);
    nn_fb fb = {.p = bytes, .len = len};
    nn_fb_table model, sg, oc, op, t, buf, opts;
    CHECK(nn_fb_root(&fb, "TFL3", &model));
    CHECK(memcmp(bytes + 4, "TFL3", 4) == 0);
    CHECK_EQ_INT(nn_fb_u32(&model, M_VERSION, 0), 3);
    CHECK(str_is(&model, M_DESC, "rune nn_writer"));
    CHECK(vec_table(&model, M_OPCODES, 0, &oc));
    CHECK_EQ_INT(nn_fb_i32(&oc, OC_BUILTIN, -1), 9);
    CHECK_EQ_INT(nn_fb_i8(&oc, OC_DEPRECATED, -1), 9);
    CHECK_EQ_INT(nn_fb_i32(&oc, OC_VERSION, 0), 1);
    nn_fb_vec subgraphs;
    CHECK_EQ_INT(nn_fb_vec_field(&model, M_SUBGRAPHS, 4, &subgraphs), 1);
    CHECK_EQ_INT(subgraphs.n, 1);
    CHECK(vec_table(&model, M_SUBGRAPHS, 0, &sg));
    nn_fb_vec tensors, ins, outs;
    CHECK_EQ_INT(nn_fb_vec_field(&sg, SG_TENSORS, 4, &tensors), 1);
    CHECK_EQ_INT(tensors.n, 4);
    CHECK_EQ_INT(nn_fb_vec_field(&sg, SG_INPUTS, 4, &ins), 1);
    CHECK_EQ_INT(nn_fb_vec_field(&sg, SG_OUTPUTS, 4, &outs), 1);
    CHECK(ins.n == 1 && nn_fb_vec_i32(&ins, 0) == 0);
    CHECK(outs.n == 1 && nn_fb_vec_i32(&outs, 0) == 3);

    /* tensor 0: input [150,1] float32, no data */
    CHECK(vec_table(&sg, SG_TENSORS, 0, &t));
    nn_fb_vec shape;
    CHECK_EQ_INT(nn_fb_vec_field(&t, T_SHAPE, 4, &shape), 1);
    CHECK(shape.n == 2 && nn_fb_vec_i32(&shape, 0) == 150 && nn_fb_vec_i32(&shape, 1) == 1);
    CHECK_EQ_INT(nn_fb_u8(&t, T_TYPE, 99), 0);
    CHECK_EQ_INT(nn_fb_u32(&t, T_BUFFER, 99), 0);
    CHECK(str_is(&t, T_NAME, "input"));
    CHECK(!nn_fb_has(&t, T_QUANT));

    /* tensor 1: weights, their own buffer, 16-byte aligned from the start of the file */
    CHECK(vec_table(&sg, SG_TENSORS, 1, &t));
    uint32_t bi = nn_fb_u32(&t, T_BUFFER, 0);
    CHECK(bi > 0);
    CHECK(vec_table(&model, M_BUFFERS, bi, &buf));
    nn_fb_vec data;
    CHECK_EQ_INT(nn_fb_vec_field(&buf, 0, 1, &data), 1);
    CHECK_EQ_INT(data.n, 150 * 4);
    CHECK_EQ_INT(data.pos % 16, 0);
    for (uint32_t i = 0; i < 150 && data.n == 600; i++)
        CHECK_NEAR(nn_ld_f32(bytes + data.pos + 4 * i), ((double)i - 75) / 150, 1e-7);
    /* buffer 0 is the empty one */
    CHECK(vec_table(&model, M_BUFFERS, 0, &buf));
    CHECK_EQ_INT(nn_fb_vec_field(&buf, 0, 1, &data), 0);

    /* the operator */
    CHECK(vec_table(&sg, SG_OPS, 0, &op));
    CHECK_EQ_INT(nn_fb_u32(&op, OP_OPCODE, 99), 0);
    CHECK_EQ_INT(nn_fb_vec_field(&op, OP_INPUTS, 4, &ins), 1);
    CHECK(ins.n == 3 && nn_fb_vec_i32(&ins, 0) == 0 && nn_fb_vec_i32(&ins, 1) == 1 &&
          nn_fb_vec_i32(&ins, 2) == 2);
    CHECK_EQ_INT(nn_fb_u8(&op, OP_OPTS_TYPE, 0), RUNE_NNW_OPT_FULLY_CONNECTED);
    CHECK_EQ_INT(nn_fb_table_field(&op, OP_OPTS, &opts), 1);
    CHECK(!fb.bad);
    drop(bytes);
}

TEST(quantization_and_big_codes)
{
    rune_nnw *w = NULL;
    rune_error err = {0};
    CHECK_OK(rune_nnw_new(&w, &err), &err);
    const int32_t wshape[4] = {4, 1, 1, 2};
    const float scales[4] = {0.5f, 0.25f, 0.125f, 1.0f / 3};
    const int64_t zps[4] = {0, 0, 0, -7};
    const int8_t wdata[8] = {1, -2, 3, -4, 5, -6, 7, -128};
    int a = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "w",
                                                      .type = RUNE_NNW_INT8,
                                                      .rank = 4,
                                                      .shape = wshape,
                                                      .data = wdata,
                                                      .data_len = 8,
                                                      .n_quant = 4,
                                                      .scale = scales,
                                                      .zero_point = zps,
                                                      .quantized_dimension = 3});
    int b = rune_nnw_add_tensor(
        w, &(rune_nnw_tensor){.type = RUNE_NNW_INT8, .rank = 4, .shape = wshape});
    const int32_t dims[2] = {1, 2};
    rune_nnw_options sq = rune_nnw_opts_squeeze(dims, 2);
    sq.version = 2;
    CHECK_EQ_INT(rune_nnw_add_op(w, 200, (int[]){a}, 1, (int[]){b}, 1, &sq), 0);
    CHECK_EQ_INT(rune_nnw_add_op(w, 200, (int[]){b}, 1, (int[]){a}, 1, &sq), 1);
    rune_nnw_set_io(w, NULL, 0, (int[]){b}, 1);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK_OK(rune_nnw_finish(w, &bytes, &len, &err), &err);
    rune_nnw_free(w);
    if (!bytes) return;
    nn_fb fb = {.p = bytes, .len = len};
    nn_fb_table model, sg, oc, t, q, op, opts;
    CHECK(nn_fb_root(&fb, "TFL3", &model));
    nn_fb_vec ocs;
    CHECK_EQ_INT(nn_fb_vec_field(&model, M_OPCODES, 4, &ocs), 1);
    CHECK_EQ_INT(ocs.n, 1); /* same code and version: one OperatorCode */
    CHECK(vec_table(&model, M_OPCODES, 0, &oc));
    CHECK_EQ_INT(nn_fb_i32(&oc, OC_BUILTIN, -1), 200);
    CHECK_EQ_INT(nn_fb_i8(&oc, OC_DEPRECATED, -1), 127);
    CHECK_EQ_INT(nn_fb_i32(&oc, OC_VERSION, 0), 2);
    CHECK(vec_table(&model, M_SUBGRAPHS, 0, &sg));
    CHECK(vec_table(&sg, SG_TENSORS, 0, &t));
    CHECK_EQ_INT(nn_fb_u8(&t, T_TYPE, 0), RUNE_NNW_INT8);
    CHECK_EQ_INT(nn_fb_table_field(&t, T_QUANT, &q), 1);
    nn_fb_vec sv, zv;
    CHECK_EQ_INT(nn_fb_vec_field(&q, Q_SCALE, 4, &sv), 1);
    CHECK_EQ_INT(nn_fb_vec_field(&q, Q_ZP, 8, &zv), 1);
    CHECK(sv.n == 4 && zv.n == 4);
    for (uint32_t i = 0; i < 4 && sv.n == 4 && zv.n == 4; i++) {
        CHECK(nn_fb_vec_f32(&sv, i) == scales[i]);
        CHECK_EQ_INT(nn_fb_vec_i64(&zv, i), zps[i]);
    }
    CHECK_EQ_INT(nn_fb_i32(&q, Q_DIM, -1), 3);
    CHECK(vec_table(&sg, SG_TENSORS, 1, &t));
    CHECK(!nn_fb_has(&t, T_NAME));
    CHECK(vec_table(&sg, SG_OPS, 1, &op));
    CHECK_EQ_INT(nn_fb_u8(&op, OP_OPTS_TYPE, 0), RUNE_NNW_OPT_SQUEEZE);
    CHECK_EQ_INT(nn_fb_table_field(&op, OP_OPTS, &opts), 1);
    nn_fb_vec dv;
    CHECK_EQ_INT(nn_fb_vec_field(&opts, 0, 4, &dv), 1);
    CHECK(dv.n == 2 && nn_fb_vec_i32(&dv, 0) == 1 && nn_fb_vec_i32(&dv, 1) == 2);
    nn_fb_vec gin;
    CHECK_EQ_INT(nn_fb_vec_field(&sg, SG_INPUTS, 4, &gin), 1);
    CHECK_EQ_INT(gin.n, 0);
    CHECK(!fb.bad);
    drop(bytes);
}

TEST(paper_example_runs_float)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error err = {0};
    CHECK_OK(rune_nnw_make_paper_example(RUNE_NNW_FLOAT32, &bytes, &len, &err), &err);
    rune_nn_model *m = NULL;
    CHECK_OK(rune_nn_model_load(bytes, len, &m, &err), &err);
    rune_nn_interp *it = NULL;
    if (m) CHECK_OK(rune_nn_interp_create(m, NULL, 0, &it, &err), &err);
    if (it) {
        rune_nn_tensor_info in;
        CHECK_OK(rune_nn_model_input(m, 0, &in, &err), &err);
        CHECK_EQ_INT(in.ndims, 2);
        CHECK_EQ_INT(in.dims[0], 150);
        CHECK_STR(in.name, "input");
        float x[150];
        double want = 0.5;
        for (int i = 0; i < 150; i++) {
            x[i] = sinf((float)i * 0.1f);
            want += (double)x[i] * ((double)((float)(i - 75) / 150.0f));
        }
        CHECK_OK(rune_nn_interp_set_input(it, 0, x, sizeof x, &err), &err);
        CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
        const void *out = NULL;
        size_t olen = 0;
        CHECK_OK(rune_nn_interp_output(it, 0, &out, &olen, &err), &err);
        CHECK_EQ_INT(olen, 4);
        if (out && olen == 4) CHECK_NEAR(*(const float *)out, want, 1e-4);
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    drop(bytes);
}

TEST(paper_example_runs_int8)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error err = {0};
    CHECK_OK(rune_nnw_make_paper_example(RUNE_NNW_INT8, &bytes, &len, &err), &err);
    rune_nn_model *m = NULL;
    CHECK_OK(rune_nn_model_load(bytes, len, &m, &err), &err);
    rune_nn_interp *it = NULL;
    if (m) CHECK_OK(rune_nn_interp_create(m, NULL, 0, &it, &err), &err);
    if (it) {
        rune_nn_tensor_info wi, in, out_info;
        CHECK_OK(rune_nn_model_tensor(m, 1, &wi, &err), &err);
        CHECK_OK(rune_nn_model_input(m, 0, &in, &err), &err);
        CHECK_OK(rune_nn_model_output(m, 0, &out_info, &err), &err);
        CHECK_EQ_INT(in.type, RUNE_NN_INT8);
        CHECK_NEAR(in.scale, 1.0 / 64, 1e-9);
        size_t wlen = 0;
        const int8_t *wq = rune_nn_interp_tensor_data(it, 1, &wlen);
        CHECK_EQ_INT(wlen, 150);
        int8_t x[150];
        for (int i = 0; i < 150; i++)
            x[i] = (int8_t)((i * 37) % 256 - 128);
        CHECK_OK(rune_nn_interp_set_input(it, 0, x, sizeof x, &err), &err);
        CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
        const void *out = NULL;
        size_t olen = 0;
        CHECK_OK(rune_nn_interp_output(it, 0, &out, &olen, &err), &err);
        if (out && olen == 1 && wq && wlen == 150) {
            /* real-valued reference: dequantize, compute, requantize; TFLite's fixed point agrees
             * within one step */
            double acc = 0.5;
            for (int i = 0; i < 150; i++)
                acc += (x[i] / 64.0) * (wq[i] * wi.scale);
            double q = round(acc / out_info.scale);
            if (q > 127) q = 127;
            if (q < -128) q = -128;
            CHECK_NEAR(*(const int8_t *)out, q, 1);
        }
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    drop(bytes);
}

/* The same model twice gives the same bytes (runes embed model bytes and are content-addressed). */
TEST(deterministic_output)
{
    uint8_t *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    rune_error err = {0};
    CHECK_OK(rune_nnw_make_paper_example(RUNE_NNW_INT8, &a, &la, &err), &err);
    CHECK_OK(rune_nnw_make_paper_example(RUNE_NNW_INT8, &b, &lb, &err), &err);
    CHECK(a && b && la == lb && memcmp(a, b, la) == 0);
    drop(a);
    drop(b);
}

TEST(bad_arguments)
{
    rune_nnw *w = NULL;
    rune_error err = {0};
    CHECK_STATUS(rune_nnw_new(NULL, &err), RUNE_E_ARG);
    CHECK_OK(rune_nnw_new(&w, &err), &err);
    int32_t shape[17] = {0};
    CHECK_EQ_INT(rune_nnw_add_tensor(w, &(rune_nnw_tensor){.type = 0, .rank = 17, .shape = shape}),
                 -1);
    /* sticky: later adds fail too, finish reports the first error */
    CHECK_EQ_INT(rune_nnw_add_tensor(w, &(rune_nnw_tensor){.type = 0, .rank = 1, .shape = shape}),
                 -1);
    uint8_t *bytes = (uint8_t *)1;
    size_t len = 1;
    CHECK_STATUS(rune_nnw_finish(w, &bytes, &len, &err), RUNE_E_ARG);
    CHECK(bytes == NULL && len == 0);
    CHECK_CONTAINS(err.msg, "rank");
    rune_nnw_free(w);

    CHECK_OK(rune_nnw_new(&w, &err), &err);
    CHECK_EQ_INT(rune_nnw_add_tensor(
                     w, &(rune_nnw_tensor){.type = 9, .rank = 1, .shape = shape, .n_quant = 1}),
                 -1);
    CHECK_STATUS(rune_nnw_finish(w, &bytes, &len, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "quantization");
    rune_nnw_free(w);

    CHECK_OK(rune_nnw_new(&w, &err), &err);
    rune_nnw_options o = rune_nnw_opts_fc(0);
    o.fields[0].id = 99;
    CHECK_EQ_INT(rune_nnw_add_op(w, 9, NULL, 0, NULL, 0, &o), -1);
    CHECK_STATUS(rune_nnw_finish(w, &bytes, &len, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "field id");
    rune_nnw_free(w);
    CHECK_EQ_INT(rune_nnw_add_op(NULL, 9, NULL, 0, NULL, 0, NULL), -1);
    CHECK_STATUS(rune_nnw_finish(NULL, &bytes, &len, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_nnw_make_paper_example(RUNE_NNW_INT16, &bytes, &len, &err), RUNE_E_ARG);
    rune_nnw_free(NULL);
}

TEST(allocation_failures_leak_nothing)
{
    long base = rune_alloc_live();
    int saw_nomem = 0, saw_ok = 0;
    for (long n = 0; n < 200 && !saw_ok; n++) {
        rune_error err = {0};
        uint8_t *bytes = NULL;
        size_t len = 0;
        rune_alloc_fail_after(n);
        rune_status st = rune_nnw_make_paper_example(RUNE_NNW_INT8, &bytes, &len, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            saw_ok = 1;
            CHECK(bytes != NULL);
        } else {
            saw_nomem++;
            CHECK_STATUS(st, RUNE_E_NOMEM);
            CHECK(bytes == NULL);
        }
        drop(bytes);
        CHECK_EQ_INT(rune_alloc_live(), base);
    }
    CHECK(saw_ok);
    CHECK(saw_nomem > 5);
}

int main(void)
{
    RUN(paper_example_float_fields);
    RUN(quantization_and_big_codes);
    RUN(paper_example_runs_float);
    RUN(paper_example_runs_int8);
    RUN(deterministic_output);
    RUN(bad_arguments);
    RUN(allocation_failures_leak_nothing);
    return test_report();
}
