/*
 * test_guest_blocks.c - the small standard proc blocks with real numbers: softmax against the
 * formula, argmax / most_confident_indices / label on micro_speech's logits, image_normalize on
 * person.png against the int8 bytes of person.bmp and against the quantization formula,
 * audio_float on a WAV, modulo, normalize, binary_classification, threshold; and the refusals.
 */
#include <math.h>
#include <stdint.h>

#include "guest/wav.h"
#include "rune_procblocks.h"
#include "test.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

static const int8_t yes_logits[4] = {-50, -5, 121, -4}; /* micro_speech on the yes features */

TEST(softmax_formula)
{
    rune_error err;
    rune_pb_softmax sm;
    static const rune_pb_arg a[] = {{"scale", "0.0625"}, {"zero_point", "-4"}};
    CHECK_OK(rune_pb_softmax_init(&sm, a, 2, &err), &err);
    rune_tensor in = {RUNE_ELEM_I8, 2, {1, 4}, (void *)yes_logits, 4}, out = {0};
    float p[4];
    out.data = p;
    out.len = sizeof p;
    CHECK_OK(rune_pb_softmax_transform(&sm, &in, &out, &err), &err);
    CHECK_EQ_INT(out.elem, RUNE_ELEM_F32);
    CHECK_EQ_INT(out.rank, 2);
    CHECK_EQ_INT(out.dims[1], 4);
    double z = 0, sum = 0;
    for (int i = 0; i < 4; i++)
        z += exp((yes_logits[i] + 4) * 0.0625);
    for (int i = 0; i < 4; i++) {
        CHECK_NEAR(p[i], exp((yes_logits[i] + 4) * 0.0625) / z, 1e-6);
        sum += p[i];
    }
    CHECK_NEAR(sum, 1.0, 1e-6);

    /* f32 with huge logits stays finite (the maximum is subtracted first). */
    float big[3] = {1000.0f, 999.0f, -1000.0f}, q[3];
    rune_pb_softmax plain;
    CHECK_OK(rune_pb_softmax_init(&plain, NULL, 0, &err), &err);
    rune_tensor fin = {RUNE_ELEM_F32, 1, {3}, big, sizeof big}, fout = {0};
    fout.data = q;
    fout.len = sizeof q;
    CHECK_OK(rune_pb_softmax_transform(&plain, &fin, &fout, &err), &err);
    CHECK_NEAR(q[0], 1 / (1 + exp(-1.0)), 1e-6);
    CHECK_NEAR(q[1], exp(-1.0) / (1 + exp(-1.0)), 1e-6);
    CHECK(q[2] >= 0 && q[2] < 1e-30);
    big[1] = NAN;
    CHECK_STATUS(rune_pb_softmax_transform(&plain, &fin, &fout, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "input 1 is NaN");
    int16_t s16[2] = {1, 2};
    rune_tensor bad = {RUNE_ELEM_I16, 1, {2}, s16, 4};
    CHECK_STATUS(rune_pb_softmax_transform(&plain, &bad, &fout, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "expected f32, i8 or u8 elements, got i16");
    fout.len = 8;
    big[1] = 1;
    CHECK_STATUS(rune_pb_softmax_transform(&plain, &fin, &fout, &err), RUNE_E_LIMIT);
    static const rune_pb_arg bad_scale[] = {{"scale", "0"}};
    CHECK_STATUS(rune_pb_softmax_init(&sm, bad_scale, 1, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "softmax: argument scale=0 is outside");
}

TEST(argmax_indices_labels)
{
    rune_error err;
    rune_pb_argmax am;
    rune_pb_most_confident_indices mci;
    rune_pb_label lb;
    uint32_t idx[4];
    char text[64];
    rune_tensor in = {RUNE_ELEM_I8, 2, {1, 4}, (void *)yes_logits, 4}, out = {0};
    CHECK_OK(rune_pb_argmax_init(&am, NULL, 0, &err), &err);
    out.data = idx;
    out.len = sizeof idx;
    CHECK_OK(rune_pb_argmax_transform(&am, &in, &out, &err), &err);
    CHECK_EQ_INT(out.elem, RUNE_ELEM_U32);
    CHECK_EQ_INT(out.len, 4);
    CHECK_EQ_INT(idx[0], 2);
    const int8_t no_logits[4] = {-61, 37, -13, 68}; /* on the no features */
    rune_tensor in_no = {RUNE_ELEM_I8, 2, {1, 4}, (void *)no_logits, 4};
    CHECK_OK(rune_pb_argmax_transform(&am, &in_no, &out, &err), &err);
    CHECK_EQ_INT(idx[0], 3);
    float ties[4] = {0.5f, 0.9f, 0.9f, 0.1f};
    rune_tensor tin = {RUNE_ELEM_F32, 1, {4}, ties, sizeof ties};
    CHECK_OK(rune_pb_argmax_transform(&am, &tin, &out, &err), &err);
    CHECK_EQ_INT(idx[0], 1);

    static const rune_pb_arg three[] = {{"count", "3"}};
    CHECK_OK(rune_pb_most_confident_indices_init(&mci, three, 1, &err), &err);
    out.len = sizeof idx;
    CHECK_OK(rune_pb_most_confident_indices_transform(&mci, &in, &out, &err), &err);
    CHECK_EQ_INT(out.dims[0], 3);
    CHECK_EQ_INT(idx[0], 2);
    CHECK_EQ_INT(idx[1], 3);
    CHECK_EQ_INT(idx[2], 1);
    static const rune_pb_arg five[] = {{"count", "5"}};
    CHECK_OK(rune_pb_most_confident_indices_init(&mci, five, 1, &err), &err);
    CHECK_STATUS(rune_pb_most_confident_indices_transform(&mci, &in, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "count=5 but the input has only 4 elements");
    static const rune_pb_arg zero[] = {{"count", "0"}};
    CHECK_STATUS(rune_pb_most_confident_indices_init(&mci, zero, 1, &err), RUNE_E_ARG);

    static const rune_pb_arg labels[] = {{"labels", "silence, unknown,yes,no"}};
    CHECK_OK(rune_pb_label_init(&lb, labels, 1, &err), &err);
    CHECK_EQ_INT(lb.count, 4);
    idx[0] = 2;
    idx[1] = 0;
    rune_tensor li = {RUNE_ELEM_U32, 1, {2}, idx, 8}, lo = {0};
    lo.data = text;
    lo.len = sizeof text;
    CHECK_OK(rune_pb_label_transform(&lb, &li, &lo, &err), &err);
    CHECK_EQ_INT(lo.len, 11);
    CHECK(memcmp(text, "yes\nsilence", 11) == 0);
    idx[1] = 4;
    CHECK_STATUS(rune_pb_label_transform(&lb, &li, &lo, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "index 4 is outside the 4 labels");
    idx[1] = 1;
    lo.len = 5;
    CHECK_STATUS(rune_pb_label_transform(&lb, &li, &lo, &err), RUNE_E_LIMIT);
    static const rune_pb_arg none[] = {{"labels", " , ,"}};
    CHECK_STATUS(rune_pb_label_init(&lb, none, 1, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "no labels");
    CHECK_STATUS(rune_pb_label_init(&lb, NULL, 0, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "labels or resource is required");
    static const rune_pb_arg both[] = {{"labels", "a"}, {"resource", "r"}};
    CHECK_STATUS(rune_pb_label_init(&lb, both, 2, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "not both");
    CHECK_OK(rune_pb_label_set_lines(&lb, "cat\r\n\ndog\n", 10, &err), &err);
    CHECK_EQ_INT(lb.count, 2);
    CHECK_EQ_INT(lb.len[0], 3);
}

TEST(image_normalize_person)
{
    rune_error err;
    int w = 0, h = 0, ch = 0;
    unsigned char *px = stbi_load(SHARED("testdata/person.png"), &w, &h, &ch, 1);
    size_t blen = 0;
    unsigned char *bmp = test_read_file(SHARED("testdata/person.bmp"), &blen);
    CHECK(px && w == 96 && h == 96);
    CHECK(bmp && blen == 1078 + 96 * 96);
    if (!px || !bmp || w != 96 || h != 96 || blen != 1078 + 96 * 96) {
        stbi_image_free(px);
        free(bmp);
        return;
    }
    rune_pb_image_normalize in8;
    static const rune_pb_arg a[] = {{"mean", "128"}};
    CHECK_OK(rune_pb_image_normalize_init(&in8, a, 1, &err), &err);
    rune_tensor in = {RUNE_ELEM_U8, 4, {1, 96, 96, 1}, px, 96 * 96}, out = {0};
    static int8_t q[96 * 96];
    out.data = q;
    out.len = sizeof q;
    CHECK_OK(rune_pb_image_normalize_transform(&in8, &in, &out, &err), &err);
    CHECK_EQ_INT(out.elem, RUNE_ELEM_I8);
    CHECK_EQ_INT(out.rank, 4);
    /* person.bmp holds the same picture as int8 model input (pixel XOR 0x80), rows bottom-up. */
    int same = 0;
    for (int y = 0; y < 96; y++)
        for (int x = 0; x < 96; x++)
            same += q[y * 96 + x] == (int8_t)bmp[1078 + (95 - y) * 96 + x];
    CHECK_EQ_INT(same, 96 * 96);

    /* The quantization formula: q = round(((p - mean) / std) / scale) + zero_point, clamped. */
    static const rune_pb_arg b[] = {
        {"std", "255"}, {"scale", "0.0078431377"}, {"zero_point", "10"}};
    CHECK_OK(rune_pb_image_normalize_init(&in8, b, 3, &err), &err);
    CHECK_OK(rune_pb_image_normalize_transform(&in8, &in, &out, &err), &err);
    int ok = 1, clamped = 0;
    for (int i = 0; i < 96 * 96; i++) {
        long want = lround((px[i] / 255.0) / 0.0078431377) + 10;
        if (want > 127) {
            want = 127;
            clamped++;
        }
        ok &= labs(q[i] - want) <= 1 && q[i] >= 10;
    }
    CHECK(ok);
    CHECK(clamped > 0); /* bright pixels saturate at 127 with this zero point */

    static const rune_pb_arg f[] = {{"std", "255"}, {"output", "f32"}};
    static float fl[96 * 96];
    CHECK_OK(rune_pb_image_normalize_init(&in8, f, 2, &err), &err);
    out.data = fl;
    out.len = sizeof fl;
    CHECK_OK(rune_pb_image_normalize_transform(&in8, &in, &out, &err), &err);
    CHECK_NEAR(fl[1234], px[1234] / 255.0, 1e-6);
    static const rune_pb_arg u[] = {{"output", "u8"}, {"zero_point", "-1"}};
    CHECK_STATUS(rune_pb_image_normalize_init(&in8, u, 2, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "zero_point=-1 is outside 0..255");
    static const rune_pb_arg s0[] = {{"std", "0"}};
    CHECK_STATUS(rune_pb_image_normalize_init(&in8, s0, 1, &err), RUNE_E_ARG);
    rune_tensor wrong = {RUNE_ELEM_I8, 1, {4}, q, 4};
    CHECK_OK(rune_pb_image_normalize_init(&in8, NULL, 0, &err), &err);
    CHECK_STATUS(rune_pb_image_normalize_transform(&in8, &wrong, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "expected u8 elements, got i8");
    stbi_image_free(px);
    free(bmp);
}

TEST(audio_float_wav)
{
    rune_error err;
    size_t len = 0, n = 0;
    uint32_t rate;
    const char *why;
    unsigned char *b = test_read_file(SHARED("testdata/no_1000ms.wav"), &len);
    int16_t *s = b ? wav_parse(b, len, &n, &rate, &why) : NULL;
    free(b);
    CHECK(s && n == 16000);
    if (!s) return;
    static float f[16000];
    rune_pb_audio_float af;
    CHECK_OK(rune_pb_audio_float_init(&af, NULL, 0, &err), &err);
    rune_tensor in = {RUNE_ELEM_I16, 1, {16000}, s, 32000}, out = {0};
    out.data = f;
    out.len = sizeof f;
    CHECK_OK(rune_pb_audio_float_transform(&af, &in, &out, &err), &err);
    int ok = 1;
    for (int i = 0; i < 16000; i++)
        ok &= f[i] * 32768.0f == (float)s[i] && f[i] >= -1 && f[i] < 1;
    CHECK(ok);
    static const rune_pb_arg extra[] = {{"gain", "2"}};
    CHECK_STATUS(rune_pb_audio_float_init(&af, extra, 1, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "audio_float: unknown argument \"gain\"");
    out.data = s;
    CHECK_STATUS(rune_pb_audio_float_transform(&af, &in, &out, &err), RUNE_E_ARG);
    free(s);
}

TEST(modulo_normalize)
{
    rune_error err;
    rune_pb_modulo m;
    static const rune_pb_arg two_pi[] = {{"modulus", "6.2831853"}};
    CHECK_OK(rune_pb_modulo_init(&m, two_pi, 1, &err), &err);
    float x[4] = {7.0f, -1.0f, 3.0f, 12.566371f}, y[4];
    rune_tensor in = {RUNE_ELEM_F32, 1, {4}, x, sizeof x}, out = {0};
    out.data = y;
    out.len = sizeof y;
    CHECK_OK(rune_pb_modulo_transform(&m, &in, &out, &err), &err);
    CHECK_NEAR(y[0], 7.0 - 6.2831853, 1e-5);
    CHECK_NEAR(y[1], 6.2831853 - 1.0, 1e-5);
    CHECK_NEAR(y[2], 3.0, 1e-6);
    CHECK(y[3] >= 0 && y[3] < 6.2831853f);
    static const rune_pb_arg seven[] = {{"modulus", "7"}};
    CHECK_OK(rune_pb_modulo_init(&m, seven, 1, &err), &err);
    int32_t xi[3] = {-3, 15, 7}, yi[3];
    rune_tensor ii = {RUNE_ELEM_I32, 1, {3}, xi, sizeof xi}, io = {0};
    io.data = yi;
    io.len = sizeof yi;
    CHECK_OK(rune_pb_modulo_transform(&m, &ii, &io, &err), &err);
    CHECK_EQ_INT(yi[0], 4);
    CHECK_EQ_INT(yi[1], 1);
    CHECK_EQ_INT(yi[2], 0);
    CHECK_STATUS(rune_pb_modulo_init(&m, NULL, 0, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "modulus is required");
    static const rune_pb_arg neg[] = {{"modulus", "-2"}};
    CHECK_STATUS(rune_pb_modulo_init(&m, neg, 1, &err), RUNE_E_ARG);
    CHECK_OK(rune_pb_modulo_init(&m, two_pi, 1, &err), &err);
    CHECK_STATUS(rune_pb_modulo_transform(&m, &ii, &io, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "integer modulus");
    static const rune_pb_arg huge[] = {{"modulus", "1e30"}};
    CHECK_OK(rune_pb_modulo_init(&m, huge, 1, &err), &err);
    CHECK_STATUS(rune_pb_modulo_transform(&m, &ii, &io, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "up to 2147483647");

    rune_pb_normalize nz;
    CHECK_OK(rune_pb_normalize_init(&nz, NULL, 0, &err), &err);
    float v[4] = {2.0f, 4.0f, 3.0f, 10.0f}, r[4];
    rune_tensor vi = {RUNE_ELEM_F32, 2, {2, 2}, v, sizeof v}, vo = {0};
    vo.data = r;
    vo.len = sizeof r;
    CHECK_OK(rune_pb_normalize_transform(&nz, &vi, &vo, &err), &err);
    CHECK_NEAR(r[0], 0.0, 1e-7);
    CHECK_NEAR(r[1], 0.25, 1e-7);
    CHECK_NEAR(r[2], 0.125, 1e-7);
    CHECK_NEAR(r[3], 1.0, 1e-7);
    CHECK_EQ_INT(vo.rank, 2);
    float c[3] = {5, 5, 5};
    rune_tensor ci = {RUNE_ELEM_F32, 1, {3}, c, sizeof c};
    CHECK_OK(rune_pb_normalize_transform(&nz, &ci, &vo, &err), &err);
    CHECK(r[0] == 0 && r[1] == 0 && r[2] == 0);
    rune_tensor empty = {RUNE_ELEM_F32, 1, {0}, NULL, 0};
    CHECK_STATUS(rune_pb_normalize_transform(&nz, &empty, &vo, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "empty input");
}

/* plan + run give transform's results bit for bit (f32 with values in and out of range, and
 * i32), plan describes the output as transform does, refuses what transform refuses with the same
 * message, and init forgets a plan. */
TEST(modulo_plan_and_run)
{
    rune_error err, err2;
    rune_pb_modulo m;
    static const rune_pb_arg two_pi[] = {{"modulus", "6.2831853"}};
    CHECK_OK(rune_pb_modulo_init(&m, two_pi, 1, &err), &err);
    float x[6] = {7.0f, -1.0f, 3.0f, 12.566371f, -0.0f, 0.5f}, want[6], got[6];
    rune_tensor in = {RUNE_ELEM_F32, 2, {2, 3}, x, sizeof x}, out = {0}, ref = {0};
    ref.data = want;
    ref.len = sizeof want;
    out.data = got;
    out.len = sizeof got;
    CHECK_OK(rune_pb_modulo_transform(&m, &in, &ref, &err), &err);
    CHECK_OK(rune_pb_modulo_plan(&m, &in, &out, &err), &err);
    CHECK_EQ_INT(out.elem, RUNE_ELEM_F32);
    CHECK_EQ_INT(out.rank, 2);
    CHECK(out.dims[0] == 2 && out.dims[1] == 3 && out.len == sizeof got);
    for (int call = 0; call < 3; call++) {
        memset(got, 0x55, sizeof got);
        rune_pb_modulo_run(&m, &in, &out);
        CHECK(memcmp(got, want, sizeof got) == 0);
        x[5] += 2.0f; /* new data each call, same tensors */
        CHECK_OK(rune_pb_modulo_transform(&m, &in, &ref, &err), &err);
    }
    /* i32 */
    static const rune_pb_arg seven[] = {{"modulus", "7"}};
    CHECK_OK(rune_pb_modulo_init(&m, seven, 1, &err), &err);
    int32_t xi[4] = {-3, 15, 7, -2147483647 - 1}, yi[4], ri[4];
    rune_tensor ii = {RUNE_ELEM_I32, 1, {4}, xi, sizeof xi}, io = {0}, iref = {0};
    io.data = yi;
    io.len = sizeof yi;
    iref.data = ri;
    iref.len = sizeof ri;
    CHECK_OK(rune_pb_modulo_transform(&m, &ii, &iref, &err), &err);
    CHECK_OK(rune_pb_modulo_plan(&m, &ii, &io, &err), &err);
    rune_pb_modulo_run(&m, &ii, &io);
    CHECK(memcmp(yi, ri, sizeof yi) == 0);
    CHECK_EQ_INT(yi[3], 5); /* -2^31 = -306783379 * 7 + 5 */
    /* what transform refuses, plan refuses alike */
    CHECK_OK(rune_pb_modulo_init(&m, two_pi, 1, &err), &err);
    CHECK_EQ_INT(m.plan_n, 0);
    CHECK_STATUS(rune_pb_modulo_plan(&m, &ii, &io, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_pb_modulo_transform(&m, &ii, &io, &err2), RUNE_E_ARG);
    CHECK_STR(err.msg, err2.msg);
    CHECK_EQ_INT(m.plan_n, 0);
    float small[1];
    rune_tensor tiny = {0};
    tiny.data = small;
    tiny.len = sizeof small;
    CHECK_STATUS(rune_pb_modulo_plan(&m, &in, &tiny, &err),
                 rune_pb_modulo_transform(&m, &in, &tiny, &err2));
    CHECK_STR(err.msg, err2.msg);
    uint8_t bytes[4] = {0};
    rune_tensor u8 = {RUNE_ELEM_U8, 1, {4}, bytes, sizeof bytes};
    CHECK_STATUS(rune_pb_modulo_plan(&m, &u8, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "expected f32 or i32");
    CHECK_STATUS(rune_pb_modulo_plan(NULL, &in, &out, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_pb_modulo_plan(&m, NULL, &out, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_pb_modulo_plan(&m, &in, NULL, &err), RUNE_E_ARG);
}

/* modulo's fast path (a value already in [0, m) is its own remainder) gives exactly fmodf's
 * answer, bit for bit, over values in and out of range and the special ones. */
TEST(modulo_matches_fmodf)
{
    rune_error err;
    rune_pb_modulo m;
    static const rune_pb_arg two_pi[] = {{"modulus", "6.2831855"}};
    CHECK_OK(rune_pb_modulo_init(&m, two_pi, 1, &err), &err);
    const float mf = (float)m.modulus;
    enum { N = 4096 };
    static float x[N], y[N];
    uint32_t z = 12345;
    for (int i = 0; i < N; i++) {
        z = z * 1664525u + 1013904223u;
        x[i] = ((float)(z >> 8) / 16777216.0f) * 40.0f - 20.0f; /* [-20, 20) */
    }
    const float special[] = {0.0f,
                             -0.0f,
                             mf,
                             -mf,
                             nextafterf(mf, 0),
                             nextafterf(mf, 100.0f),
                             1e-45f,
                             -1e-45f,
                             INFINITY,
                             -INFINITY,
                             NAN,
                             3e38f,
                             -3e38f};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        x[i] = special[i];
    rune_tensor in = {RUNE_ELEM_F32, 2, {64, 64}, x, sizeof x};
    rune_tensor out = {RUNE_ELEM_F32, 3, {7, 7, 7}, y, sizeof y};
    CHECK_OK(rune_pb_modulo_transform(&m, &in, &out, &err), &err);
    int same = 1;
    for (int i = 0; i < N; i++) {
        float r = fmodf(x[i], mf);
        if (r < 0) r += mf;
        if (memcmp(&r, &y[i], sizeof r) != 0) {
            same = 0;
            fprintf(stderr, "  modulo(%a) = %a, fmodf says %a\n", x[i], y[i], r);
        }
    }
    CHECK(same);
    /* The output describes the input's shape; the dims the smaller rank uncovers are cleared. */
    CHECK_EQ_INT(out.rank, 2);
    CHECK(out.dims[0] == 64 && out.dims[1] == 64 && out.dims[2] == 0);
    CHECK_EQ_INT(out.len, sizeof x);
    /* From rank 3 down to rank 1, and rank 1 to rank 1: the shape follows, nothing stale stays. */
    float one = 1.5f, r1 = 0;
    rune_tensor i1 = {RUNE_ELEM_F32, 1, {1}, &one, 4}, o1 = {RUNE_ELEM_F32, 3, {2, 2, 2}, &r1, 4};
    CHECK_OK(rune_pb_modulo_transform(&m, &i1, &o1, &err), &err);
    CHECK(o1.rank == 1 && o1.dims[0] == 1 && o1.dims[1] == 0 && o1.dims[2] == 0 && r1 == 1.5f);
    one = 7.0f;
    CHECK_OK(rune_pb_modulo_transform(&m, &i1, &o1, &err), &err);
    CHECK(o1.rank == 1 && o1.dims[0] == 1 && o1.len == 4);
    CHECK_NEAR(r1, 7.0 - 6.2831855, 1e-6);
    /* In place (out is in) works too. */
    CHECK_OK(rune_pb_modulo_transform(&m, &in, &in, &err), &err);
    CHECK(memcmp(x, y, sizeof x) == 0);
    CHECK_EQ_INT(in.rank, 2);
    /* What the fast path does not take still fails with its message. */
    float small[2];
    rune_tensor tiny = {RUNE_ELEM_F32, 1, {2}, small, sizeof small};
    CHECK_STATUS(rune_pb_modulo_transform(&m, &in, &tiny, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "output needs 16384 bytes, buffer has 8");
    rune_tensor bad = {RUNE_ELEM_F32, 1, {5}, x, 16};
    CHECK_STATUS(rune_pb_modulo_transform(&m, &bad, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "does not match");
    rune_tensor u8 = {RUNE_ELEM_U8, 1, {4}, x, 4};
    CHECK_STATUS(rune_pb_modulo_transform(&m, &u8, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "expected f32 or i32 elements, got u8");
    rune_pb_modulo unset = {0};
    CHECK_STATUS(rune_pb_modulo_transform(&unset, &in, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "not initialized");
}

TEST(thresholds)
{
    rune_error err;
    rune_pb_binary_classification bc;
    CHECK_OK(rune_pb_binary_classification_init(&bc, NULL, 0, &err), &err);
    float s[5] = {0.1f, 0.9f, 0.5f, 0.7f, 0.9f};
    uint32_t o[5];
    rune_tensor in = {RUNE_ELEM_F32, 1, {1}, &s[3], 4}, out = {0};
    out.data = o;
    out.len = sizeof o;
    CHECK_OK(rune_pb_binary_classification_transform(&bc, &in, &out, &err), &err);
    CHECK_EQ_INT(o[0], 1);
    in.data = &s[0];
    CHECK_OK(rune_pb_binary_classification_transform(&bc, &in, &out, &err), &err);
    CHECK_EQ_INT(o[0], 0);
    static const rune_pb_arg t05[] = {{"threshold", "0.05"}};
    CHECK_OK(rune_pb_binary_classification_init(&bc, t05, 1, &err), &err);
    CHECK_OK(rune_pb_binary_classification_transform(&bc, &in, &out, &err), &err);
    CHECK_EQ_INT(o[0], 1);

    rune_pb_threshold th;
    CHECK_OK(rune_pb_threshold_init(&th, NULL, 0, &err), &err);
    rune_tensor all = {RUNE_ELEM_F32, 1, {5}, s, sizeof s};
    out.len = sizeof o;
    CHECK_OK(rune_pb_threshold_transform(&th, &all, &out, &err), &err);
    CHECK_EQ_INT(out.dims[0], 4);
    CHECK_EQ_INT(o[0], 1);
    CHECK_EQ_INT(o[1], 4);
    CHECK_EQ_INT(o[2], 3);
    CHECK_EQ_INT(o[3], 2);
    static const rune_pb_arg max2[] = {{"threshold", "0.6"}, {"max", "2"}};
    CHECK_OK(rune_pb_threshold_init(&th, max2, 2, &err), &err);
    out.len = sizeof o;
    CHECK_OK(rune_pb_threshold_transform(&th, &all, &out, &err), &err);
    CHECK_EQ_INT(out.dims[0], 2);
    CHECK_EQ_INT(o[0], 1);
    CHECK_EQ_INT(o[1], 4);
    static const rune_pb_arg high[] = {{"threshold", "0.95"}};
    CHECK_OK(rune_pb_threshold_init(&th, high, 1, &err), &err);
    out.len = sizeof o;
    CHECK_OK(rune_pb_threshold_transform(&th, &all, &out, &err), &err);
    CHECK_EQ_INT(out.dims[0], 0);
    CHECK_EQ_INT(out.len, 0);
    CHECK_OK(rune_pb_threshold_init(&th, NULL, 0, &err), &err);
    out.len = 8;
    CHECK_STATUS(rune_pb_threshold_transform(&th, &all, &out, &err), RUNE_E_LIMIT);
    static const rune_pb_arg junk[] = {{"max", "2x"}};
    CHECK_STATUS(rune_pb_threshold_init(&th, junk, 1, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "threshold: argument max=\"2x\" is not an integer");
}

int main(void)
{
    RUN(softmax_formula);
    RUN(argmax_indices_labels);
    RUN(image_normalize_person);
    RUN(audio_float_wav);
    RUN(modulo_normalize);
    RUN(modulo_matches_fmodf);
    RUN(modulo_plan_and_run);
    RUN(thresholds);
    return test_report();
}
