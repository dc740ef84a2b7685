/*
 * test_guest_fft.c - the "fft" proc block (TensorFlow microfrontend) against TensorFlow's own
 * numbers: the exact int8 frames of yes_30ms / no_30ms from the TFLite Micro example test, the
 * 49x40 features of yes/no_1000ms against the example's feature files, all four 1 s WAVs, the
 * fixed-point FFT against a double-precision DFT, streaming, and every refused argument.
 */
#include <stdint.h>

#include "guest/wav.h"
#include "rune/alloc.h"
#include "rune_procblocks.h"
#include "test.h"

static int16_t *load_wav(const char *name, size_t *n)
{
    size_t len = 0;
    uint32_t rate = 0;
    const char *why = "";
    unsigned char *b = test_read_file(SHARED(name), &len);
    if (!b) {
        fprintf(stderr, "cannot read %s\n", SHARED(name));
        return NULL;
    }
    int16_t *s = wav_parse(b, len, n, &rate, &why);
    free(b);
    if (!s) fprintf(stderr, "%s: %s\n", name, why);
    if (s && rate != 16000) fprintf(stderr, "%s: rate %u\n", name, (unsigned)rate);
    return s;
}

static rune_pb_fft st; /* 41 KB: static, as generated code keeps it */

static void check_frame(const char *wav, const char *expected)
{
    size_t n = 0, used = 0;
    int16_t *s = load_wav(wav, &n);
    rune_error err;
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ_INT(n, 480);
    CHECK_OK(rune_pb_fft_init(&st, NULL, 0, &err), &err);
    uint16_t frame[RUNE_PB_FFT_MAX_CHANNELS];
    CHECK_EQ_INT(rune_pb_fft_push(&st, s, n, &used, frame), 1);
    CHECK_EQ_INT(used, 480);
    const char *p = expected;
    for (int c = 0; c < 40; c++) {
        char *end;
        long want = strtol(p, &end, 10);
        p = end;
        int got = rune_pb_fft_quantize_i8(frame[c]);
        CHECK_MSG_(got == want, "%s channel %d: got %d, TensorFlow gives %ld", wav, c, got, want);
    }
    free(s);
}

TEST(exact_frames_30ms)
{
    check_frame("testdata/yes_30ms.wav",
                "124 105 126 103 125 101 123 100 116 98 115 97 113 90 91 82 "
                "104 96 117 97 121 103 126 101 125 104 126 104 125 101 116 "
                "90 81 74 80 71 83 76 82 71");
    check_frame("testdata/no_30ms.wav",
                "126 103 124 102 124 102 123 100 118 97 118 100 118 98 121 "
                "100 121 98 117 91 96 74 54 87 100 87 109 92 91 80 64 55 83 "
                "74 74 78 114 95 101 81");
}

/* Run the block on a WAV; returns the number of int8 outputs (1960 expected). */
static size_t features(const char *wav, int8_t *out, size_t cap)
{
    size_t n = 0;
    int16_t *s = load_wav(wav, &n);
    rune_error err;
    if (!s) return 0;
    rune_tensor in, o;
    uint32_t dims[2] = {1, (uint32_t)n};
    CHECK_OK(rune_tensor_init(&in, RUNE_ELEM_I16, 2, dims, s, n * 2, &err), &err);
    memset(&o, 0, sizeof o);
    o.data = out;
    o.len = cap;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    free(s);
    CHECK_EQ_INT(o.elem, RUNE_ELEM_I8);
    CHECK_EQ_INT(o.rank, 2);
    CHECK_EQ_INT(o.dims[0], 1);
    CHECK_EQ_INT(o.dims[1], o.len);
    return o.len;
}

static void compare_reference(const char *wav, const char *ref)
{
    int8_t got[1960];
    size_t rlen = 0;
    unsigned char *want = test_read_file(SHARED(ref), &rlen);
    CHECK(want != NULL && rlen == 1960);
    CHECK_EQ_INT(features(wav, got, sizeof got), 1960);
    if (!want || rlen != 1960) {
        free(want);
        return;
    }
    int exact = 0, maxd = 0;
    for (int i = 0; i < 1960; i++) {
        int d = abs(got[i] - (int8_t)want[i]);
        exact += d == 0;
        if (d > maxd) maxd = d;
    }
    printf("%s vs %s: %d/1960 identical, max difference %d\n", wav, ref, exact, maxd);
    CHECK_EQ_INT(exact, 1960);
    free(want);
}

TEST(one_second_matches_reference_features)
{
    rune_error err;
    CHECK_OK(rune_pb_fft_init(&st, NULL, 0, &err), &err);
    compare_reference("testdata/yes_1000ms.wav", "testdata/yes_micro_features_1960_int8.bin");
    compare_reference("testdata/no_1000ms.wav", "testdata/no_micro_features_1960_int8.bin");
}

TEST(one_second_all_wavs)
{
    static const char *const wavs[] = {"testdata/yes_1000ms.wav", "testdata/no_1000ms.wav",
                                       "testdata/silence_1000ms.wav", "testdata/noise_1000ms.wav"};
    rune_error err;
    int8_t a[1960], b[1960];
    CHECK_OK(rune_pb_fft_init(&st, NULL, 0, &err), &err);
    CHECK_EQ_INT(rune_pb_fft_frames(&st, 16000), 49);
    double mean[4];
    for (int w = 0; w < 4; w++) {
        CHECK_EQ_INT(features(wavs[w], a, sizeof a), 1960);
        /* Not streaming: the same audio again gives the same features. */
        CHECK_EQ_INT(features(wavs[w], b, sizeof b), 1960);
        CHECK(memcmp(a, b, sizeof a) == 0);
        long sum = 0;
        for (int i = 0; i < 1960; i++)
            sum += a[i];
        mean[w] = sum / 1960.0;
        printf("%s: mean feature %.1f\n", wavs[w], mean[w]);
    }
    /* Speech carries more energy than the silence recording. */
    CHECK(mean[0] > mean[2]);
    CHECK(mean[1] > mean[2]);
}

TEST(streaming_in_pieces_equals_one_shot)
{
    rune_error err;
    static const rune_pb_arg args[] = {{"streaming", "true"}};
    size_t n = 0;
    int16_t *s = load_wav("testdata/yes_1000ms.wav", &n);
    CHECK(s && n == 16000);
    if (!s) return;
    int8_t whole[1960], parts[1960];
    CHECK_OK(rune_pb_fft_init(&st, args, 1, &err), &err);
    rune_tensor in = {RUNE_ELEM_I16, 1, {16000}, s, 32000}, o = {0};
    o.data = whole;
    o.len = sizeof whole;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    CHECK_EQ_INT(o.len, 1960);

    rune_pb_fft_reset(&st);
    size_t got = 0;
    for (size_t off = 0; off < 16000; off += 1000) { /* 16 reads of 1000 samples */
        rune_tensor piece = {RUNE_ELEM_I16, 1, {1000}, s + off, 2000};
        rune_tensor po = {0};
        po.data = parts + got;
        po.len = sizeof parts - got;
        CHECK_OK(rune_pb_fft_transform(&st, &piece, &po, &err), &err);
        got += po.len;
    }
    CHECK_EQ_INT(got, 1960);
    CHECK(memcmp(whole, parts, sizeof whole) == 0);
    free(s);
}

/* The fixed-point FFT divides by the size at every stage, so its output approximates
 * DFT(x) / fft_size; compare every bin of a real window with a double-precision DFT. */
TEST(fixed_fft_against_double_dft)
{
    rune_error err;
    size_t n = 0, used = 0;
    int16_t *s = load_wav("testdata/yes_30ms.wav", &n);
    CHECK(s != NULL);
    if (!s) return;
    CHECK_OK(rune_pb_fft_init(&st, NULL, 0, &err), &err);
    uint16_t frame[RUNE_PB_FFT_MAX_CHANNELS];
    CHECK_EQ_INT(rune_pb_fft_push(&st, s, n, &used, frame), 1);
    /* st.fft_in still holds the windowed, scaled input; st.spectrum its transform. */
    const int N = st.fft_size;
    double worst = 0;
    for (int k = 0; k <= N / 2; k++) {
        double re = 0, im = 0;
        for (int t = 0; t < N; t++) {
            re += st.fft_in[t] * cos(2 * M_PI * k * t / N);
            im -= st.fft_in[t] * sin(2 * M_PI * k * t / N);
        }
        double dr = fabs(st.spectrum[k].r - re / N), di = fabs(st.spectrum[k].i - im / N);
        if (dr > worst) worst = dr;
        if (di > worst) worst = di;
    }
    printf("fixed FFT vs double DFT / %d: worst difference %.2f LSB\n", N, worst);
    CHECK(worst < 4.0);
    free(s);
}

TEST(other_configurations)
{
    rune_error err;
    static const rune_pb_arg raw[] = {
        {"output", "u16"}, {"num-channels", "32"}, {"window_step_ms", "10"}};
    static const rune_pb_arg flt[] = {{"output", "f32"}, {"enable_pcan", "false"}};
    size_t n = 0;
    int16_t *s = load_wav("testdata/no_1000ms.wav", &n);
    if (!s) return;
    static uint16_t u[98 * 32];
    CHECK_OK(rune_pb_fft_init(&st, raw, 3, &err), &err);
    rune_tensor in = {RUNE_ELEM_I16, 1, {16000}, s, 32000}, o = {0};
    o.data = u;
    o.len = sizeof u;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    CHECK_EQ_INT(o.elem, RUNE_ELEM_U16);
    CHECK_EQ_INT(o.dims[1], 98 * 32); /* (16000 - 480) / 160 + 1 = 98 frames */
    /* The i8 output is this u16 quantized. */
    static const rune_pb_arg raw_i8[] = {{"num-channels", "32"}, {"window_step_ms", "10"}};
    static int8_t q[98 * 32];
    CHECK_OK(rune_pb_fft_init(&st, raw_i8, 2, &err), &err);
    o.data = q;
    o.len = sizeof q;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    int same = 1;
    for (size_t i = 0; i < 98 * 32; i++)
        same &= q[i] == rune_pb_fft_quantize_i8(u[i]);
    CHECK(same);

    static float f[1960];
    CHECK_OK(rune_pb_fft_init(&st, flt, 2, &err), &err);
    o.data = f;
    o.len = sizeof f;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    CHECK_EQ_INT(o.elem, RUNE_ELEM_F32);
    CHECK_EQ_INT(o.len, sizeof f);
    int in_range = 1;
    for (int i = 0; i < 1960; i++)
        in_range &= f[i] >= 0 && f[i] <= 65535 / 25.6f;
    CHECK(in_range);
    free(s);
}

static void refused(const char *name, const char *value, const char *msg)
{
    rune_error err;
    rune_pb_arg a = {name, value};
    rune_error_clear(&err);
    CHECK_STATUS(rune_pb_fft_init(&st, &a, 1, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, msg);
}

TEST(bad_arguments)
{
    refused("window_size", "30", "unknown argument \"window_size\"");
    refused("sample_rate", "sixteen", "is not an integer");
    refused("sample_rate", "100", "outside 1000..192000");
    refused("window_size_ms", "100", "1024 are supported");
    refused("num_channels", "65", "outside 1..64");
    refused("num_channels", "0", "outside 1..64");
    refused("upper_band_limit", "9000", "below 8000 Hz");
    refused("lower_band_limit", "7600", "must be increasing");
    refused("even_smoothing", "1.5", "outside 0..1");
    refused("enable_pcan", "maybe", "not a boolean");
    refused("output", "i16", "not one of i8, u16, f32");
    refused("smoothing_bits", "1", "PCAN needs smoothing_bits >= 3");
    refused("window_step_ms", "40", "at most the window");
    rune_pb_arg hz2[] = {{"hz", "16000"}, {"sample_rate", "16000"}};
    rune_error e1;
    CHECK_STATUS(rune_pb_fft_init(&st, hz2, 2, &e1), RUNE_E_ARG);
    CHECK_CONTAINS(e1.msg, "not both");
    CHECK_OK(rune_pb_fft_init(&st, hz2, 1, &e1), &e1);
    CHECK_EQ_INT(st.sample_rate, 16000);
    rune_pb_arg narrow[] = {{"lower_band_limit", "1000"}, {"upper_band_limit", "1000.001"}};
    rune_error e2;
    CHECK_STATUS(rune_pb_fft_init(&st, narrow, 2, &e2), RUNE_E_ARG);
    CHECK_CONTAINS(e2.msg, "too narrow");
    rune_pb_arg twice[] = {{"num_channels", "40"}, {"num-channels", "40"}};
    rune_error err;
    CHECK_STATUS(rune_pb_fft_init(&st, twice, 2, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "given twice");
}

TEST(bad_tensors)
{
    rune_error err;
    int16_t s[480] = {0};
    int8_t out[40];
    /* The front end (mode=auto would give inputs shorter than a window their spectrum: see
     * test_guest_spectrum.c). */
    static const rune_pb_arg frontend[] = {{"mode", "frontend"}};
    CHECK_OK(rune_pb_fft_init(&st, frontend, 1, &err), &err);
    rune_tensor in = {RUNE_ELEM_F32, 1, {240}, s, sizeof s}, o = {0};
    o.data = out;
    o.len = sizeof out;
    CHECK_STATUS(rune_pb_fft_transform(&st, &in, &o, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "expected i16 elements, got f32");
    in.elem = RUNE_ELEM_I16;
    in.dims[0] = 480;
    in.len = 100; /* shape and bytes disagree */
    CHECK_STATUS(rune_pb_fft_transform(&st, &in, &o, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "does not match");
    in.len = sizeof s;
    o.len = 39;
    CHECK_STATUS(rune_pb_fft_transform(&st, &in, &o, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "needs 40 bytes");
    o.len = sizeof out;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    CHECK_EQ_INT(o.len, 40);
    /* Fewer samples than a window: no frames, nothing written. */
    in.dims[0] = 100;
    in.len = 200;
    o.len = sizeof out;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    CHECK_EQ_INT(o.len, 0);
    rune_pb_fft fresh;
    memset(&fresh, 0, sizeof fresh);
    CHECK_STATUS(rune_pb_fft_transform(&fresh, &in, &o, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "not initialized");
}

int main(void)
{
    RUN(exact_frames_30ms);
    RUN(one_second_matches_reference_features);
    RUN(one_second_all_wavs);
    RUN(streaming_in_pieces_equals_one_shot);
    RUN(fixed_fft_against_double_dft);
    RUN(other_configurations);
    RUN(bad_arguments);
    RUN(bad_tensors);
    CHECK_EQ_INT(rune_alloc_live(), 0);
    return test_report();
}
