/*
 * test_nn_models.c - the real TFLite models of ../shared/models through the public API, with the
 * expected results of ../shared/models/README.md, on both the optimized and the reference kernels.
 */
#include "rune/alloc.h"
#include "rune/config.h"
#include "rune/nn.h"
#include "test.h"

/* stb_image compiled in here (header-only use of libstb-dev) so the test also builds for -m32. */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO_WARNINGS
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

typedef struct loaded {
    unsigned char *bytes;
    size_t len;
    rune_nn_model *m;
    rune_nn_interp *it;
} loaded;

static int load(loaded *l, const char *rel, int reference)
{
    rune_error err = {0};
    memset(l, 0, sizeof *l);
    l->bytes = test_read_file(SHARED(rel), &l->len);
    CHECK(l->bytes != NULL);
    if (!l->bytes) return 0;
    rune_nn_options o = {.reference = reference};
    rune_status st = rune_nn_model_load_ex(l->bytes, l->len, &o, &l->m, &err);
    CHECK_OK(st, &err);
    if (st) return 0;
    st = rune_nn_interp_create(l->m, NULL, 0, &l->it, &err);
    CHECK_OK(st, &err);
    return st == RUNE_OK;
}

static void unload(loaded *l)
{
    rune_nn_interp_free(l->it);
    rune_nn_model_free(l->m);
    free(l->bytes);
}

/* Index of the tensor feeding the last operator (the logits before SOFTMAX). */
static int last_op_input(const rune_nn_model *m)
{
    rune_nn_op_info op;
    if (rune_nn_model_op(m, rune_nn_model_op_count(m) - 1, &op, NULL)) return -1;
    return op.inputs[0];
}

static void hello_float(int reference)
{
    loaded l;
    if (!load(&l, "models/hello_world_float.tflite", reference)) goto out;
    rune_nn_tensor_info ti;
    CHECK_OK(rune_nn_model_input(l.m, 0, &ti, NULL), NULL);
    CHECK_EQ_INT(ti.type, RUNE_NN_FLOAT32);
    CHECK_EQ_INT(ti.bytes, 4);
    const float xs[] = {0.0f, 1.0f, 3.0f, 5.0f};
    const double ref[] = {0.026406, 0.863044, 0.127646, -0.956519};
    for (int i = 0; i < 4; i++) {
        rune_error err = {0};
        CHECK_OK(rune_nn_interp_set_input(l.it, 0, &xs[i], sizeof(float), &err), &err);
        CHECK_OK(rune_nn_interp_invoke(l.it, &err), &err);
        const void *p;
        size_t n;
        CHECK_OK(rune_nn_interp_output(l.it, 0, &p, &n, &err), &err);
        CHECK_EQ_INT(n, 4);
        float y;
        memcpy(&y, p, 4);
        CHECK_NEAR(y, sin(xs[i]), 0.05);
        CHECK_NEAR(y, ref[i], 1e-4);
    }
out:
    unload(&l);
}
TEST(test_hello_world_float)
{
    hello_float(0);
}
TEST(test_hello_world_float_reference)
{
    hello_float(1);
}

static void hello_int8(int reference)
{
    loaded l;
    if (!load(&l, "models/hello_world_int8.tflite", reference)) goto out;
    rune_nn_tensor_info in, outi;
    CHECK_OK(rune_nn_model_input(l.m, 0, &in, NULL), NULL);
    CHECK_OK(rune_nn_model_output(l.m, 0, &outi, NULL), NULL);
    CHECK_EQ_INT(in.type, RUNE_NN_INT8);
    CHECK_NEAR(in.scale, 0.024480116, 1e-8);
    CHECK_EQ_INT(in.zero_point, -128);
    CHECK_NEAR(outi.scale, 0.0082909567, 1e-9);
    CHECK_EQ_INT(outi.zero_point, 5);
    const int8_t xs[] = {-96, -63, -34, 0};
    const int8_t want[] = {89, 125, 93, 4};
    for (int i = 0; i < 4; i++) {
        rune_error err = {0};
        CHECK_OK(rune_nn_interp_set_input(l.it, 0, &xs[i], 1, &err), &err);
        CHECK_OK(rune_nn_interp_invoke(l.it, &err), &err);
        const void *p;
        CHECK_OK(rune_nn_interp_output(l.it, 0, &p, NULL, &err), &err);
        CHECK_EQ_INT(*(const int8_t *)p, want[i]);
        int8_t copy[2] = {0, 0};
        size_t written = 99;
        CHECK_STATUS(rune_nn_interp_get_output(l.it, 0, copy, 0, &written, &err), RUNE_E_ARG);
        CHECK_CONTAINS(err.msg, "needs 1 bytes");
        CHECK_EQ_INT(written, 0);
        CHECK_OK(rune_nn_interp_get_output(l.it, 0, copy, sizeof copy, &written, &err), &err);
        CHECK_EQ_INT(written, 1);
        CHECK_EQ_INT(copy[0], want[i]);
        CHECK_STATUS(rune_nn_interp_get_output(l.it, 1, copy, sizeof copy, NULL, &err), RUNE_E_ARG);
    }
out:
    unload(&l);
}
TEST(test_hello_world_int8)
{
    hello_int8(0);
}
TEST(test_hello_world_int8_reference)
{
    hello_int8(1);
}

static void speech(int reference, const char *features, const int want[4], int label)
{
    loaded l;
    size_t n = 0;
    unsigned char *x = test_read_file(SHARED(features), &n);
    CHECK(x != NULL);
    CHECK_EQ_INT(n, 1960);
    if (!x || !load(&l, "models/micro_speech_quantized.tflite", reference)) goto out;
    rune_error err = {0};
    CHECK_OK(rune_nn_interp_set_input(l.it, 0, x, n, &err), &err);
    CHECK_OK(rune_nn_interp_invoke(l.it, &err), &err);
    size_t ln;
    const int8_t *logits = rune_nn_interp_tensor_data(l.it, last_op_input(l.m), &ln);
    CHECK(logits != NULL && ln == 4);
    if (logits)
        for (int i = 0; i < 4; i++)
            CHECK_EQ_INT(logits[i], want[i]);
    const void *p;
    CHECK_OK(rune_nn_interp_output(l.it, 0, &p, NULL, &err), &err);
    const int8_t *prob = p;
    int best = 0;
    for (int i = 1; i < 4; i++)
        if (prob[i] > prob[best]) best = i;
    CHECK_EQ_INT(best, label);
out:
    free(x);
    unload(&l);
}
TEST(test_micro_speech_yes)
{
    static const int want[4] = {-50, -5, 121, -4};
    speech(0, "testdata/yes_micro_features_1960_int8.bin", want, 2);
    speech(1, "testdata/yes_micro_features_1960_int8.bin", want, 2);
}
TEST(test_micro_speech_no)
{
    static const int want[4] = {-61, 37, -13, 68};
    speech(0, "testdata/no_micro_features_1960_int8.bin", want, 3);
    speech(1, "testdata/no_micro_features_1960_int8.bin", want, 3);
}

static void person(int reference, const char *png, int l0, int l1, int label)
{
    loaded l;
    int w = 0, h = 0, ch = 0;
    unsigned char *pix = stbi_load(SHARED(png), &w, &h, &ch, 1);
    CHECK(pix != NULL);
    if (!pix || !load(&l, "models/person_detect.tflite", reference)) goto out;
    CHECK_EQ_INT(w, 96);
    CHECK_EQ_INT(h, 96);
    size_t n;
    int8_t *in = rune_nn_interp_input_data(l.it, 0, &n);
    CHECK_EQ_INT(n, 96 * 96);
    for (size_t i = 0; i < n && i < (size_t)w * h; i++)
        in[i] = (int8_t)(pix[i] - 128);
    rune_error err = {0};
    CHECK_OK(rune_nn_interp_invoke(l.it, &err), &err);
    size_t ln;
    const int8_t *logits = rune_nn_interp_tensor_data(l.it, last_op_input(l.m), &ln);
    CHECK(logits != NULL && ln == 2);
    if (logits) {
        CHECK_EQ_INT(logits[0], l0);
        CHECK_EQ_INT(logits[1], l1);
    }
    const void *p;
    CHECK_OK(rune_nn_interp_output(l.it, 0, &p, NULL, &err), &err);
    const int8_t *prob = p;
    CHECK_EQ_INT(prob[1] > prob[0], label);
    CHECK_EQ_INT((rune_nn_model_macs(l.m) + 5000) / 10000, 716); /* README: 7.16 M MACs */
out:
    stbi_image_free(pix);
    unload(&l);
}
TEST(test_person_detect_person)
{
    person(0, "testdata/person.png", -112, 110, 1);
    person(1, "testdata/person.png", -112, 110, 1);
}
TEST(test_person_detect_no_person)
{
    person(0, "testdata/no_person.png", 56, -55, 0);
    person(1, "testdata/no_person.png", 56, -55, 0);
}

/* The caller-arena form: exact size suffices, one byte less is refused, misalignment refused. */
TEST(test_caller_arena)
{
    size_t len;
    unsigned char *bytes = test_read_file(SHARED("models/person_detect.tflite"), &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    rune_nn_model *m = NULL;
    rune_error err = {0};
    CHECK_OK(rune_nn_model_load(bytes, len, &m, &err), &err);
    if (m) {
        size_t need = rune_nn_model_arena_size(m);
        CHECK(need > 96 * 96);
        unsigned char *arena = aligned_alloc(RUNE_NN_ARENA_ALIGN, need + RUNE_NN_ARENA_ALIGN);
        rune_nn_interp *it = NULL;
        CHECK_STATUS(rune_nn_interp_create(m, arena, need - 1, &it, &err), RUNE_E_ARG);
        CHECK_CONTAINS(err.msg, "smaller");
        CHECK_STATUS(rune_nn_interp_create(m, arena + 1, need, &it, &err), RUNE_E_ARG);
        CHECK_OK(rune_nn_interp_create(m, arena, need, &it, &err), &err);
        long live = rune_alloc_live();
        if (it) {
            int8_t zeros[96 * 96] = {0};
            CHECK_STATUS(rune_nn_interp_set_input(it, 0, zeros, sizeof zeros - 1, &err),
                         RUNE_E_ARG);
            CHECK_CONTAINS(err.msg, "9216 bytes");
            CHECK_STATUS(rune_nn_interp_set_input(it, 1, zeros, sizeof zeros, &err), RUNE_E_ARG);
            CHECK_OK(rune_nn_interp_set_input(it, 0, zeros, sizeof zeros, &err), &err);
            CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
            CHECK_EQ_INT(rune_alloc_live(), live); /* no allocation per inference */
        }
        rune_nn_interp_free(it);
        free(arena);
    }
    rune_nn_model_free(m);
    free(bytes);
}

/* copy_bytes: the caller's buffer may be freed (and scribbled on) right after load. */
TEST(test_copy_bytes)
{
    size_t len = 0;
    unsigned char *bytes = test_read_file(SHARED("models/hello_world_int8.tflite"), &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    rune_nn_options o = {.copy_bytes = 1};
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    rune_error err = {0};
    CHECK_OK(rune_nn_model_load_ex(bytes, len, &o, &m, &err), &err);
    memset(bytes, 0xA5, len);
    free(bytes);
    CHECK(rune_nn_model_persistent_bytes(m) >= len);
    if (m) CHECK_OK(rune_nn_interp_create(m, NULL, 0, &it, &err), &err);
    if (it) {
        int8_t x = -63;
        const void *p;
        CHECK_OK(rune_nn_interp_set_input(it, 0, &x, 1, &err), &err);
        CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
        CHECK_OK(rune_nn_interp_output(it, 0, &p, NULL, &err), &err);
        CHECK_EQ_INT(*(const int8_t *)p, 125);
        rune_nn_tensor_info ti;
        CHECK_OK(rune_nn_model_input(m, 0, &ti, &err), &err);
        CHECK_STR(ti.name, "serving_default_dense_input:0");
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
}

int main(void)
{
    RUN(test_hello_world_float);
    RUN(test_hello_world_float_reference);
    RUN(test_hello_world_int8);
    RUN(test_hello_world_int8_reference);
    RUN(test_micro_speech_yes);
    RUN(test_micro_speech_no);
    RUN(test_person_detect_person);
    RUN(test_person_detect_no_person);
    RUN(test_caller_arena);
    RUN(test_copy_bytes);
    return test_report();
}
