/*
 * spectrum.c - the "fft" block's plain meaning: the magnitude spectrum |X[k]| of N real samples.
 *
 * Workload: one short signal per call (the Rune paper's listing: 150 samples at 16 kHz, ~107
 * calls a second), any length up to RUNE_PB_FFT_MAX_SPECTRUM. N is known only at the first
 * transform (init sees the arguments, not the input), so the plan - the factors of N and the
 * twiddles exp(-2 pi i j / N) - is made then and kept while the length stays the same.
 *
 * Algorithm: recursive mixed-radix decimation in time. N = p * m: the p sub-signals x[q + p j]
 * (q = 0..p-1) are transformed (size m) in place one after the other, then one radix-p butterfly
 * per k = 0..m-1 combines them: X[k + u m] = sum_q W_N^(q k) W_p^(q u) Y_q[k]. The butterfly is
 * the generic O(p^2) one, so any factor works (a prime N degrades to the direct DFT, which for
 * N <= 1024 is still a few milliseconds). Values are stored as float; each butterfly sums in
 * double; twiddles are computed in double and rounded once.
 */
#include <math.h>
#include <string.h>

#include "mf_int.h"

typedef rune_pb_fft_cpxf cpx;

/* Factor n into (radix, remaining) pairs, smallest primes first; 0-terminated. */
static void plan_factors(int *f, int n)
{
    int k = 0, p = 2;
    while (n > 1) {
        while (n % p != 0) {
            p = p == 2 ? 3 : p + 2;
            if (p * p > n) p = n; /* what is left is prime */
        }
        n /= p;
        f[k++] = p;
        f[k++] = n;
    }
    f[k] = 0;
}

static void plan(rune_pb_fft *st, int n)
{
    const double pi = 3.14159265358979323846264338327950288;
    for (int j = 0; j < n; j++) {
        const double ph = -2.0 * pi * (double)j / (double)n;
        st->spec_twiddles[j].r = (float)cos(ph);
        st->spec_twiddles[j].i = (float)sin(ph);
    }
    if (n == 1) {
        st->spec_factors[0] = 1; /* one radix-1 "butterfly": the sample itself */
        st->spec_factors[1] = 1;
        st->spec_factors[2] = 0;
    } else {
        plan_factors(st->spec_factors, n);
    }
    st->spec_n = n;
}

static float sample(int32_t elem, const void *x, int i)
{
    if (elem == RUNE_ELEM_I16) {
        int16_t v;
        memcpy(&v, (const uint8_t *)x + (size_t)i * 2, 2);
        return (float)v;
    }
    float v;
    memcpy(&v, (const uint8_t *)x + (size_t)i * 4, 4);
    return v;
}

/* Radix-p butterflies over out[k + q m], q = 0..p-1, k = 0..m-1; this level's size is p * m and
 * its twiddle W_(p m)^j is the plan's twiddle j * fstride. */
static void butterfly(rune_pb_fft *st, cpx *out, int fstride, int p, int m)
{
    const cpx *tw = st->spec_twiddles;
    cpx *t = st->spec_scratch;
    const int wp = m * fstride; /* W_p = W_N^(N / p) */
    for (int k = 0; k < m; k++) {
        for (int q = 0; q < p; q++) {
            const cpx a = out[k + q * m], w = tw[q * k * fstride];
            t[q].r = (float)((double)a.r * w.r - (double)a.i * w.i);
            t[q].i = (float)((double)a.r * w.i + (double)a.i * w.r);
        }
        for (int u = 0; u < p; u++) {
            double re = 0, im = 0;
            int e = 0; /* (q * u) mod p, stepped without a multiply */
            for (int q = 0; q < p; q++) {
                const cpx w = tw[e * wp];
                re += (double)t[q].r * w.r - (double)t[q].i * w.i;
                im += (double)t[q].r * w.i + (double)t[q].i * w.r;
                e += u;
                if (e >= p) e -= p;
            }
            out[k + u * m].r = (float)re;
            out[k + u * m].i = (float)im;
        }
    }
}

static void transform(rune_pb_fft *st, cpx *out, int32_t elem, const void *x, int in0, int fstride,
                      const int *f)
{
    const int p = f[0], m = f[1];
    for (int q = 0; q < p; q++) {
        const int src = in0 + q * fstride;
        if (m == 1) {
            out[q].r = sample(elem, x, src);
            out[q].i = 0;
        } else {
            transform(st, out + q * m, elem, x, src, fstride * p, f + 2);
        }
    }
    if (p > 1) butterfly(st, out, fstride, p, m);
}

rune_status rune_pb_fft_spectrum(rune_pb_fft *st, int32_t elem, const void *samples, size_t n,
                                 float *mag, rune_error *err)
{
    if (!st || !mag || (n && !samples))
        return RUNE_ERR(err, RUNE_E_ARG, "fft: missing state or buffer");
    if (elem != RUNE_ELEM_I16 && elem != RUNE_ELEM_F32)
        return RUNE_ERR(err, RUNE_E_ARG, "fft: the spectrum takes i16 or f32 samples");
    if (n < 1 || n > RUNE_PB_FFT_MAX_SPECTRUM)
        return RUNE_ERR(err, RUNE_E_ARG, "fft: a spectrum of %zu samples; 1..%d are supported", n,
                        RUNE_PB_FFT_MAX_SPECTRUM);
    if (st->spec_n != (int)n) plan(st, (int)n);
    transform(st, st->spec_out, elem, samples, 0, 1, st->spec_factors);
    for (size_t k = 0; k < n; k++) {
        const double re = st->spec_out[k].r, im = st->spec_out[k].i;
        mag[k] = (float)sqrt(re * re + im * im);
    }
    return RUNE_OK;
}
