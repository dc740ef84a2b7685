/*
 * test_nn_reader.c - the bounds-checked FlatBuffer accessors on hand-made hostile buffers, and the
 * reader's handling of the real files' quirks: unaligned weights (copied once for float, used in
 * place for int8), per-channel bias axis on a 1-D tensor, and the deprecated opcode field.
 */
#include "nn_int.h"
#include "writer_fb.h"
#include "rune/alloc.h"
#include "rune/nn.h"
#include "rune/nn_writer.h"
#include "test.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (uint8_t)(v >> 24);
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v & 0xff;
    p[1] = (uint8_t)(v >> 8);
}

/* Layout used below: [0] root offset -> 16, [4] "TEST", [8] vtable (vt_len 8, tbl_len 12,
 * field0 at +4, field1 at +8), [16] table: soffset 8 (vtable at 8), u32 field0 = 7, u32 field1 =
 * offset to a vector at 32: [32] n = 2, two u32. */
static void make_buf(uint8_t *b)
{
    memset(b, 0, 48);
    put32(b, 16);
    memcpy(b + 4, "TEST", 4);
    put16(b + 8, 8);
    put16(b + 10, 12);
    put16(b + 12, 4);
    put16(b + 14, 8);
    put32(b + 16, 8);
    put32(b + 20, 7);
    put32(b + 24, 32 - 24);
    put32(b + 32, 2);
    put32(b + 36, 11);
    put32(b + 40, 22);
}

TEST(test_fb_good)
{
    uint8_t b[48];
    make_buf(b);
    nn_fb fb = {.p = b, .len = 48};
    nn_fb_table t;
    CHECK(nn_fb_root(&fb, "TEST", &t));
    CHECK_EQ_INT(nn_fb_u32(&t, 0, 0), 7);
    CHECK_EQ_INT(nn_fb_u32(&t, 5, 99), 99); /* beyond the vtable: default */
    nn_fb_vec v;
    CHECK_EQ_INT(nn_fb_vec_field(&t, 1, 4, &v), 1);
    CHECK_EQ_INT(v.n, 2);
    CHECK_EQ_INT(nn_fb_vec_i32(&v, 1), 22);
    CHECK(!fb.bad);
}

TEST(test_fb_hostile)
{
    uint8_t b[48];
    nn_fb_table t;
    nn_fb_vec v;
    nn_fb fb;
    /* wrong identifier */
    make_buf(b);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(!nn_fb_root(&fb, "TFL3", &t));
    CHECK_CONTAINS(fb.what, "identifier");
    /* vtable before the start of the buffer */
    make_buf(b);
    put32(b + 16, 100);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(!nn_fb_root(&fb, "TEST", &t));
    CHECK_CONTAINS(fb.what, "vtable");
    /* odd vtable length */
    make_buf(b);
    put16(b + 8, 7);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(!nn_fb_root(&fb, "TEST", &t));
    /* table longer than the buffer */
    make_buf(b);
    put16(b + 10, 200);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(!nn_fb_root(&fb, "TEST", &t));
    CHECK_CONTAINS(fb.what, "runs past the end");
    /* field offset outside the table */
    make_buf(b);
    put16(b + 12, 11);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(nn_fb_root(&fb, "TEST", &t));
    CHECK_EQ_INT(nn_fb_u32(&t, 0, 5), 5);
    CHECK(fb.bad);
    CHECK_CONTAINS(fb.what, "outside the table");
    /* sticky: later reads give defaults */
    CHECK_EQ_INT(nn_fb_vec_field(&t, 1, 4, &v), -1);
    /* vector length past the end */
    make_buf(b);
    put32(b + 32, 1000);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(nn_fb_root(&fb, "TEST", &t));
    CHECK_EQ_INT(nn_fb_vec_field(&t, 1, 4, &v), -1);
    CHECK_CONTAINS(fb.what, "runs past the end");
    /* huge vector length that would overflow n * elem */
    make_buf(b);
    put32(b + 32, 0xffffffffu);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(nn_fb_root(&fb, "TEST", &t));
    CHECK_EQ_INT(nn_fb_vec_field(&t, 1, 8, &v), -1);
    /* offset field pointing past the end */
    make_buf(b);
    put32(b + 24, 0x7ffffff0u);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(nn_fb_root(&fb, "TEST", &t));
    CHECK_EQ_INT(nn_fb_vec_field(&t, 1, 4, &v), -1);
    CHECK_CONTAINS(fb.what, "outside the file");
    /* vector of tables whose element points outside */
    make_buf(b);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(nn_fb_root(&fb, "TEST", &t));
    CHECK_EQ_INT(nn_fb_vec_field(&t, 1, 4, &v), 1);
    nn_fb_table e;
    CHECK(!nn_fb_vec_table(&v, 1, &e)); /* element 1 = 22: 40 + 22 > 48 */
    /* string */
    make_buf(b);
    fb = (nn_fb){.p = b, .len = 48};
    CHECK(nn_fb_root(&fb, "TEST", &t));
    const char *s;
    uint32_t n;
    CHECK_EQ_INT(nn_fb_str_field(&t, 1, &s, &n), 1);
    CHECK_EQ_INT(n, 2);
    /* short buffer */
    fb = (nn_fb){.p = b, .len = 7};
    CHECK(!nn_fb_root(&fb, NULL, &t));
    CHECK_CONTAINS(fb.what, "too short");
}

/* A float FC model copied to an odd address: float weights are copied once into aligned memory;
 * the same int8 model keeps its weights in the caller's bytes. */
TEST(test_unaligned_weights)
{
    rune_error err = {0};
    for (int type = 0; type < 2; type++) {
        uint8_t *b = NULL;
        size_t n = 0;
        CHECK_OK(rune_nnw_make_paper_example(type ? RUNE_NNW_INT8 : RUNE_NNW_FLOAT32, &b, &n, &err),
                 &err);
        if (!b) return;
        uint8_t *buf = malloc(n + 1), *odd = buf + 1;
        memcpy(odd, b, n);
        rune_nn_model *ma = NULL, *mu = NULL;
        rune_nn_interp *ia = NULL, *iu = NULL;
        CHECK_OK(rune_nn_model_load(b, n, &ma, &err), &err);
        CHECK_OK(rune_nn_model_load(odd, n, &mu, &err), &err);
        if (ma && mu) {
            CHECK_OK(rune_nn_interp_create(ma, NULL, 0, &ia, &err), &err);
            CHECK_OK(rune_nn_interp_create(mu, NULL, 0, &iu, &err), &err);
        }
        if (ia && iu) {
            size_t in_len;
            uint8_t *x1 = rune_nn_interp_input_data(ia, 0, &in_len);
            uint8_t *x2 = rune_nn_interp_input_data(iu, 0, NULL);
            for (size_t i = 0; i < in_len; i++)
                x1[i] = x2[i] = (uint8_t)(type ? i * 7 : (i % 4 == 3 ? 0x3f : 0));
            CHECK_OK(rune_nn_interp_invoke(ia, &err), &err);
            CHECK_OK(rune_nn_interp_invoke(iu, &err), &err);
            const void *ya, *yu;
            size_t yl;
            rune_nn_interp_output(ia, 0, &ya, &yl, NULL);
            rune_nn_interp_output(iu, 0, &yu, NULL, NULL);
            CHECK(memcmp(ya, yu, yl) == 0);
            /* where do the weights live? */
            rune_nn_op_info op;
            rune_nn_model_op(mu, 0, &op, NULL);
            const uint8_t *w = rune_nn_interp_tensor_data(iu, op.inputs[1], NULL);
            int inside = w >= odd && w < odd + n;
            CHECK_EQ_INT(inside, type == 1);
            CHECK_EQ_INT((uintptr_t)w % (type ? 1 : 4), 0);
        }
        rune_nn_interp_free(ia);
        rune_nn_interp_free(iu);
        rune_nn_model_free(ma);
        rune_nn_model_free(mu);
        free(buf);
        rune_free(b);
    }
}

TEST(test_person_detect_quirks)
{
    size_t len = 0;
    unsigned char *bytes = test_read_file(SHARED("models/person_detect.tflite"), &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    rune_nn_model *m = NULL;
    rune_error err = {0};
    CHECK_OK(rune_nn_model_load(bytes, len, &m, &err), &err);
    int per_channel_bias = 0, dw = 0, conv = 0;
    for (int i = 0; m && i < rune_nn_model_op_count(m); i++) {
        rune_nn_op_info op;
        rune_nn_model_op(m, i, &op, NULL);
        dw += op.code == 4;
        conv += op.code == 3;
        if ((op.code == 3 || op.code == 4) && op.n_inputs > 2) {
            rune_nn_tensor_info w, b;
            rune_nn_model_tensor(m, op.inputs[1], &w, NULL);
            rune_nn_model_tensor(m, op.inputs[2], &b, NULL);
            CHECK_EQ_INT(w.quant_axis, op.code == 3 ? 0 : 3);
            CHECK_EQ_INT(w.n_channels, w.dims[op.code == 3 ? 0 : 3]);
            if (b.ndims == 1 && b.n_channels > 1) {
                per_channel_bias++;
                CHECK_EQ_INT(b.quant_axis, 0); /* the file says 3 on a 1-D tensor */
                CHECK_EQ_INT(b.n_channels, b.dims[0]);
            }
        }
    }
    CHECK_EQ_INT(dw, 14);
    CHECK_EQ_INT(conv, 14);
    CHECK(per_channel_bias >= 28);
    rune_nn_tensor_info in;
    CHECK_OK(rune_nn_model_input(m, 0, &in, &err), &err);
    CHECK_EQ_INT(in.type, RUNE_NN_INT8);
    CHECK_EQ_INT(in.zero_point, -1);
    CHECK_EQ_INT(rune_nn_model_find_input(m, in.name), 0);
    CHECK_EQ_INT(rune_nn_model_find_input(m, "nope"), -1);
    rune_nn_model_free(m);
    free(bytes);
}

/* Two subgraphs, built with the writer's FlatBuffer builder (writer_fb.h): each holds one
 * RESHAPE [1,4] -> [2,2]. The first runs, both are checked at load: a bad index in subgraph 1 is
 * refused with the subgraph named. */
static uint8_t *two_subgraphs(int bad_second, int sparse, size_t *len)
{
    wfb b;
    wfb_init(&b);
    wfb_ref graphs[2];
    for (int gi = 1; gi >= 0; gi--) {
        static const int32_t s4[] = {1, 4}, s22[] = {2, 2};
        wfb_ref t[2];
        for (int k = 1; k >= 0; k--) {
            wfb_ref shape = wfb_vec(&b, k ? s22 : s4, 2, 4, 4);
            wfb_ref name = wfb_string(&b, k ? "r" : "a");
            wfb_ref sparsity = 0;
            if (sparse && k == 0 && gi == 0) {
                wfb_table_start(&b);
                sparsity = wfb_table_end(&b);
            }
            wfb_table_start(&b);
            wfb_add_ref(&b, 6, sparsity);
            wfb_add_ref(&b, 0, shape);
            wfb_add_u8(&b, 1, 0); /* float32 (default, stored anyway) */
            wfb_add_i32(&b, 2, 0);
            wfb_add_ref(&b, 3, name);
            t[k] = wfb_table_end(&b);
        }
        int32_t in0 = 0, out1 = (gi == 1 && bad_second) ? 5 : 1;
        wfb_ref op_in = wfb_vec(&b, &in0, 1, 4, 4), op_out = wfb_vec(&b, &out1, 1, 4, 4);
        wfb_table_start(&b);
        wfb_add_i32(&b, 0, 0);
        wfb_add_ref(&b, 1, op_in);
        wfb_add_ref(&b, 2, op_out);
        wfb_ref op = wfb_table_end(&b);
        wfb_ref tensors = wfb_vec_refs(&b, t, 2), ops = wfb_vec_refs(&b, &op, 1);
        int32_t one = 1;
        wfb_ref gin = wfb_vec(&b, &in0, 1, 4, 4), gout = wfb_vec(&b, &one, 1, 4, 4);
        wfb_table_start(&b);
        wfb_add_ref(&b, 0, tensors);
        wfb_add_ref(&b, 1, gin);
        wfb_add_ref(&b, 2, gout);
        wfb_add_ref(&b, 3, ops);
        graphs[gi] = wfb_table_end(&b);
    }
    wfb_table_start(&b);
    wfb_add_u8(&b, 0, 22);
    wfb_add_i32(&b, 3, 22);
    wfb_ref oc = wfb_table_end(&b);
    wfb_table_start(&b);
    wfb_ref buf0 = wfb_table_end(&b);
    wfb_ref ocs = wfb_vec_refs(&b, &oc, 1), gs = wfb_vec_refs(&b, graphs, 2);
    wfb_ref bufs = wfb_vec_refs(&b, &buf0, 1);
    wfb_table_start(&b);
    wfb_add_i32(&b, 0, 3);
    wfb_add_ref(&b, 1, ocs);
    wfb_add_ref(&b, 2, gs);
    wfb_add_ref(&b, 4, bufs);
    wfb_ref model = wfb_table_end(&b);
    const uint8_t *p = wfb_finish(&b, model, "TFL3", len);
    uint8_t *copy = NULL;
    if (p && !b.failed) {
        copy = malloc(*len);
        memcpy(copy, p, *len);
    }
    wfb_release(&b);
    return copy;
}

TEST(test_two_subgraphs)
{
    size_t len = 0;
    uint8_t *bytes = two_subgraphs(0, 0, &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    rune_error err = {0};
    CHECK_OK(rune_nn_model_load(bytes, len, &m, &err), &err);
    CHECK_EQ_INT(rune_nn_model_subgraph_count(m), 2);
    if (m) CHECK_OK(rune_nn_interp_create(m, NULL, 0, &it, &err), &err);
    if (it) {
        float x[4] = {1, 2, 3, 4}, y[4] = {0};
        CHECK_OK(rune_nn_interp_set_input(it, 0, x, sizeof x, &err), &err);
        CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
        CHECK_OK(rune_nn_interp_get_output(it, 0, y, sizeof y, NULL, &err), &err);
        CHECK(memcmp(x, y, sizeof x) == 0);
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    free(bytes);
    bytes = two_subgraphs(1, 0, &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    m = NULL;
    CHECK_STATUS(rune_nn_model_load(bytes, len, &m, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "subgraph 1");
    CHECK_CONTAINS(err.msg, "tensor index 5 out of range");
    free(bytes);
    /* a sparse tensor is refused rather than read as dense */
    bytes = two_subgraphs(0, 1, &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    CHECK_STATUS(rune_nn_model_load(bytes, len, &m, &err), RUNE_E_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "tensor 0 (a) is sparse");
    free(bytes);
}

int main(void)
{
    RUN(test_fb_good);
    RUN(test_fb_hostile);
    RUN(test_unaligned_weights);
    RUN(test_person_detect_quirks);
    RUN(test_two_subgraphs);
    return test_report();
}
