/*
 * test_guest_spectrum.c - the "fft" block's magnitude spectrum (mode=spectrum, and mode=auto on
 * inputs shorter than one front-end window, as in the Rune paper's listing): every length class
 * (1, powers of two, mixed radix, primes) against a direct DFT computed here in double, on real
 * speech and on synthetic signals; a sine's bin; i16 and f32 inputs alike; the plan following a
 * change of length; the front end untouched for full windows; and every refusal.
 */
#include <stdint.h>

#include "guest/wav.h"
#include "rune_procblocks.h"
#include "test.h"

static rune_pb_fft st; /* 41 KB: static, as generated code keeps it */

/* |X[k]| by the definition, in double. */
static void direct_dft(const double *x, size_t n, double *mag)
{
    const double pi = 3.14159265358979323846;
    for (size_t k = 0; k < n; k++) {
        double re = 0, im = 0;
        for (size_t j = 0; j < n; j++) {
            const double ph = -2.0 * pi * (double)((k * j) % n) / (double)n;
            re += x[j] * cos(ph);
            im += x[j] * sin(ph);
        }
        mag[k] = sqrt(re * re + im * im);
    }
}

static double worst_rel; /* largest error seen, relative to sum |x| (the bound of any |X[k]|) */

/* Spectrum of n i16 samples against the direct DFT; tolerance relative to sum |x|. */
static void check_i16(const int16_t *s, size_t n)
{
    static double x[RUNE_PB_FFT_MAX_SPECTRUM], want[RUNE_PB_FFT_MAX_SPECTRUM];
    static float got[RUNE_PB_FFT_MAX_SPECTRUM];
    rune_error err;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = s[i];
        sum += fabs(x[i]);
    }
    direct_dft(x, n, want);
    CHECK_OK(rune_pb_fft_spectrum(&st, RUNE_ELEM_I16, s, n, got, &err), &err);
    double worst = 0;
    for (size_t k = 0; k < n; k++) {
        const double d = fabs(got[k] - want[k]);
        if (d > worst) worst = d;
    }
    const double rel = sum > 0 ? worst / sum : worst;
    if (rel > worst_rel) worst_rel = rel;
    CHECK_MSG_(worst <= 1e-6 * sum + 1e-3, "n=%zu: max |diff| %g, sum|x| %g", n, worst, sum);
}

static int16_t *load_yes(size_t *n)
{
    size_t len = 0;
    uint32_t rate = 0;
    const char *why = "";
    unsigned char *b = test_read_file(SHARED("testdata/yes_1000ms.wav"), &len);
    if (!b) return NULL;
    int16_t *s = wav_parse(b, len, n, &rate, &why);
    free(b);
    return s;
}

TEST(speech_every_length_class_matches_direct_dft)
{
    size_t n = 0;
    int16_t *s = load_yes(&n);
    CHECK(s != NULL && n == 16000);
    if (!s) return;
    rune_error err;
    CHECK_OK(rune_pb_fft_init(&st, (const rune_pb_arg[]){{"mode", "spectrum"}}, 1, &err), &err);
    /* 150 = 2*3*5*5 (the paper), powers of two, primes, 1023 = 3*11*31, 1000 = 2^3*5^3. */
    static const size_t lens[] = {1,   2,   3,   4,   5,   7,   8,    16,   97,  150,
                                  149, 151, 256, 480, 512, 997, 1000, 1023, 1024};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        check_i16(s + 6000, lens[i]); /* the loud part of "yes" */
    /* 150 samples at a time through the whole second, as the paper's rune reads it. */
    for (size_t off = 0; off + 150 <= n; off += 150)
        check_i16(s + off, 150);
    printf("spectrum vs direct DFT: worst |diff| / sum|x| = %.3g\n", worst_rel);
    free(s);
}

TEST(synthetic_signals)
{
    rune_error err;
    static int16_t x[RUNE_PB_FFT_MAX_SPECTRUM];
    static float mag[RUNE_PB_FFT_MAX_SPECTRUM];
    CHECK_OK(rune_pb_fft_init(&st, NULL, 0, &err), &err);
    /* Full-scale extremes, a constant, an impulse. */
    for (size_t i = 0; i < 150; i++)
        x[i] = (int16_t)(i % 2 ? 32767 : -32768);
    check_i16(x, 150);
    for (size_t i = 0; i < 150; i++)
        x[i] = 1000;
    check_i16(x, 150);
    CHECK_OK(rune_pb_fft_spectrum(&st, RUNE_ELEM_I16, x, 150, mag, &err), &err);
    CHECK_NEAR(mag[0], 150000.0, 0.05);
    CHECK_NEAR(mag[1], 0.0, 0.05);
    memset(x, 0, sizeof x);
    x[3] = -20000;
    CHECK_OK(rune_pb_fft_spectrum(&st, RUNE_ELEM_I16, x, 150, mag, &err), &err);
    for (size_t k = 0; k < 150; k++)
        CHECK_NEAR(mag[k], 20000.0, 0.05);
    /* A cosine of amplitude A on bin 10 of 150: |X[10]| = |X[140]| = A * N / 2, the rest ~0. */
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < 150; i++)
        x[i] = (int16_t)lrint(16000.0 * cos(2 * pi * 10 * (double)i / 150));
    CHECK_OK(rune_pb_fft_spectrum(&st, RUNE_ELEM_I16, x, 150, mag, &err), &err);
    CHECK_NEAR(mag[10], 16000.0 * 75, 50.0); /* rounding to i16 moves it by < 1 per sample */
    CHECK_NEAR(mag[140], mag[10], 0.5);
    CHECK(mag[11] < 100 && mag[0] < 100);
    check_i16(x, 150);
}

TEST(f32_input_gives_the_same_spectrum)
{
    rune_error err;
    static int16_t xi[150];
    static float xf[150], a[150], b[150];
    for (int i = 0; i < 150; i++) {
        xi[i] = (int16_t)((i * 7919) % 20000 - 10000);
        xf[i] = xi[i];
    }
    CHECK_OK(rune_pb_fft_init(&st, NULL, 0, &err), &err);
    CHECK_OK(rune_pb_fft_spectrum(&st, RUNE_ELEM_I16, xi, 150, a, &err), &err);
    CHECK_OK(rune_pb_fft_spectrum(&st, RUNE_ELEM_F32, xf, 150, b, &err), &err);
    CHECK(memcmp(a, b, sizeof a) == 0);
}

TEST(transform_auto_mode_and_plan_changes)
{
    rune_error err;
    static int16_t audio[480];
    static float out[RUNE_PB_FFT_MAX_SPECTRUM], direct[150];
    for (int i = 0; i < 480; i++)
        audio[i] = (int16_t)((i * 4421) % 30000 - 15000);
    CHECK_OK(rune_pb_fft_init(&st, NULL, 0, &err), &err);
    CHECK(rune_pb_fft_is_spectrum(&st, 150));
    CHECK(!rune_pb_fft_is_spectrum(&st, 480));
    rune_tensor in = {RUNE_ELEM_I16, 2, {150, 1}, audio, 300}, o = {0};
    o.data = out;
    o.len = sizeof out;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    CHECK_EQ_INT(o.elem, RUNE_ELEM_F32);
    CHECK_EQ_INT(o.rank, 1);
    CHECK_EQ_INT(o.dims[0], 150);
    CHECK_EQ_INT(o.len, 600);
    memcpy(direct, out, sizeof direct);
    /* Another length re-plans; coming back gives the same numbers. */
    rune_tensor in64 = {RUNE_ELEM_I16, 1, {64}, audio, 128};
    o.len = sizeof out;
    CHECK_OK(rune_pb_fft_transform(&st, &in64, &o, &err), &err);
    CHECK_EQ_INT(o.dims[0], 64);
    check_i16(audio, 64);
    o.len = sizeof out;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    CHECK(memcmp(out, direct, sizeof direct) == 0);
    /* A full window still goes to the front end: one frame of 40 int8 features. */
    rune_tensor win = {RUNE_ELEM_I16, 1, {480}, audio, 960};
    o.len = sizeof out;
    CHECK_OK(rune_pb_fft_transform(&st, &win, &o, &err), &err);
    CHECK_EQ_INT(o.elem, RUNE_ELEM_I8);
    CHECK_EQ_INT(o.len, 40);
    /* mode=frontend keeps the old meaning for short inputs: no frames. */
    CHECK_OK(rune_pb_fft_init(&st, (const rune_pb_arg[]){{"mode", "frontend"}}, 1, &err), &err);
    CHECK(!rune_pb_fft_is_spectrum(&st, 150));
    o.len = sizeof out;
    CHECK_OK(rune_pb_fft_transform(&st, &in, &o, &err), &err);
    CHECK_EQ_INT(o.len, 0);
    /* Streaming front end: short reads are buffered, not transformed. */
    CHECK_OK(rune_pb_fft_init(&st, (const rune_pb_arg[]){{"streaming", "true"}}, 1, &err), &err);
    CHECK(!rune_pb_fft_is_spectrum(&st, 150));
}

TEST(refusals)
{
    rune_error err;
    static int16_t audio[2048];
    static float out[2048];
    CHECK_STATUS(rune_pb_fft_init(&st, (const rune_pb_arg[]){{"mode", "fft"}}, 1, &err),
                 RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "fft: argument mode=\"fft\" is not one of auto, frontend, spectrum");
    CHECK_STATUS(rune_pb_fft_init(
                     &st, (const rune_pb_arg[]){{"mode", "spectrum"}, {"streaming", "1"}}, 2, &err),
                 RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "streaming=true is for the front end");
    CHECK_STATUS(rune_pb_fft_init(
                     &st, (const rune_pb_arg[]){{"mode", "spectrum"}, {"output", "i8"}}, 2, &err),
                 RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "mode=spectrum gives f32; output=i8 is not possible");
    /* auto + output=u16 on a short input: refused by the transform (the catalog says it first). */
    CHECK_OK(rune_pb_fft_init(&st, (const rune_pb_arg[]){{"output", "u16"}}, 1, &err), &err);
    rune_tensor in = {RUNE_ELEM_I16, 1, {150}, audio, 300}, o = {0};
    o.data = out;
    o.len = sizeof out;
    CHECK_STATUS(rune_pb_fft_transform(&st, &in, &o, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "output=u16 is not possible");
    /* Too long, too short, wrong element type, small output buffer. */
    CHECK_OK(rune_pb_fft_init(&st, (const rune_pb_arg[]){{"mode", "spectrum"}}, 1, &err), &err);
    rune_tensor big = {RUNE_ELEM_I16, 1, {2048}, audio, 4096};
    o.len = sizeof out;
    CHECK_STATUS(rune_pb_fft_transform(&st, &big, &o, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "a spectrum of 2048 samples; 1..1024 are supported");
    CHECK_STATUS(rune_pb_fft_spectrum(&st, RUNE_ELEM_I16, audio, 0, out, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_pb_fft_spectrum(&st, RUNE_ELEM_U8, audio, 4, out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "takes i16 or f32");
    rune_tensor u8 = {RUNE_ELEM_U8, 1, {150}, audio, 150};
    o.len = sizeof out;
    CHECK_STATUS(rune_pb_fft_transform(&st, &u8, &o, &err), RUNE_E_ARG);
    rune_tensor lie = {RUNE_ELEM_I16, 1, {150}, audio, 200}; /* len does not match the shape */
    o.len = sizeof out;
    CHECK_STATUS(rune_pb_fft_transform(&st, &lie, &o, &err), RUNE_E_ARG);
    o.len = 599;
    CHECK_STATUS(rune_pb_fft_transform(&st, &in, &o, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "output needs 600 bytes, buffer has 599");
    o.data = NULL;
    CHECK_STATUS(rune_pb_fft_transform(&st, &in, &o, &err), RUNE_E_LIMIT);
    CHECK_STATUS(rune_pb_fft_spectrum(NULL, RUNE_ELEM_I16, audio, 4, out, &err), RUNE_E_ARG);
}

int main(void)
{
    RUN(speech_every_length_class_matches_direct_dft);
    RUN(synthetic_signals);
    RUN(f32_input_gives_the_same_spectrum);
    RUN(transform_auto_mode_and_plan_changes);
    RUN(refusals);
    return test_report();
}
