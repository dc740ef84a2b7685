/*
 * mf_fft.c - the 16-bit fixed-point real FFT of the microfrontend.
 *
 * Workload: one real FFT of fft_size (512 for micro_speech) int16 samples per window. TensorFlow
 * runs KISS FFT built with FIXED_POINT=16, and the features depend on its exact rounding, so this
 * file reproduces that arithmetic (written here from the algorithm): the real input is packed as
 * fft_size/2 complex points and transformed by a mixed-radix (4 first, then 2) decimation-in-time
 * FFT that divides its inputs by the radix at every stage (x * (32767 / p) in Q15, rounded),
 * multiplies by Q15 twiddles with rounding, and wraps sums to int16; a final pass splits the
 * packed result into fft_size/2 + 1 bins, halving again.
 */
#include <math.h>

#include "mf_int.h"

typedef rune_pb_fft_cpx cpx;

static inline int16_t wrap16(int32_t v)
{
    return (int16_t)(uint16_t)(uint32_t)v;
}
static inline int16_t round_q15(int32_t v)
{
    return wrap16((v + (1 << 14)) >> 15);
}
/* x / p the fixed-point way: multiply by the Q15 reciprocal 32767 / p and round. */
static inline int16_t fixdiv(int16_t x, int p)
{
    return round_q15((int32_t)x * (32767 / p));
}

static inline cpx cpx_div(cpx a, int p)
{
    cpx r = {fixdiv(a.r, p), fixdiv(a.i, p)};
    return r;
}
static inline cpx cpx_mul(cpx a, cpx b)
{
    cpx r = {round_q15((int32_t)a.r * b.r - (int32_t)a.i * b.i),
             round_q15((int32_t)a.r * b.i + (int32_t)a.i * b.r)};
    return r;
}
static inline cpx cpx_add(cpx a, cpx b)
{
    cpx r = {wrap16(a.r + b.r), wrap16(a.i + b.i)};
    return r;
}
static inline cpx cpx_sub(cpx a, cpx b)
{
    cpx r = {wrap16(a.r - b.r), wrap16(a.i - b.i)};
    return r;
}

static cpx cexp_q15(double phase)
{
    cpx r = {(int16_t)floor(0.5 + 32767.0 * cos(phase)),
             (int16_t)floor(0.5 + 32767.0 * sin(phase))};
    return r;
}

int mf_fft_init(rune_pb_fft *st)
{
    const double pi = 3.14159265358979323846264338327950288;
    const int n = st->fft_size / 2; /* complex points */
    if (n < 2 || (n & (n - 1)) != 0 || n > RUNE_PB_FFT_MAX_FFT / 2) return 0;
    for (int i = 0; i < n; i++)
        st->twiddles[i] = cexp_q15(-2 * pi * i / n);
    for (int i = 0; i < n / 2; i++)
        st->super_twiddles[i] = cexp_q15(-pi * ((double)(i + 1) / n + .5));
    /* Plan: radix 4 while it divides, then 2; (p, m) pairs where m is what remains. */
    int k = 0, rem = n;
    while (rem > 1) {
        int p = (rem % 4 == 0) ? 4 : 2;
        rem /= p;
        st->factors[k++] = p;
        st->factors[k++] = rem;
    }
    st->factors[k] = 0;
    return 1;
}

static void bfly2(const rune_pb_fft *st, cpx *f, int fstride, int m)
{
    for (int k = 0; k < m; k++) {
        cpx a = cpx_div(f[k], 2), b = cpx_div(f[k + m], 2);
        cpx t = cpx_mul(b, st->twiddles[k * fstride]);
        f[k + m] = cpx_sub(a, t);
        f[k] = cpx_add(a, t);
    }
}

static void bfly4(const rune_pb_fft *st, cpx *f, int fstride, int m)
{
    for (int k = 0; k < m; k++) {
        cpx a0 = cpx_div(f[k], 4), a1 = cpx_div(f[k + m], 4);
        cpx a2 = cpx_div(f[k + 2 * m], 4), a3 = cpx_div(f[k + 3 * m], 4);
        cpx t1 = cpx_mul(a1, st->twiddles[k * fstride]);
        cpx t2 = cpx_mul(a2, st->twiddles[2 * k * fstride]);
        cpx t3 = cpx_mul(a3, st->twiddles[3 * k * fstride]);
        cpx d02 = cpx_sub(a0, t2);
        cpx s02 = cpx_add(a0, t2);
        cpx s13 = cpx_add(t1, t3);
        cpx d13 = cpx_sub(t1, t3);
        f[k + 2 * m] = cpx_sub(s02, s13);
        f[k] = cpx_add(s02, s13);
        f[k + m].r = wrap16(d02.r + d13.i);
        f[k + m].i = wrap16(d02.i - d13.r);
        f[k + 3 * m].r = wrap16(d02.r - d13.i);
        f[k + 3 * m].i = wrap16(d02.i + d13.r);
    }
}

/* Complex FFT of the points x[in0 + j * fstride] (complex j: real x[2j], imaginary x[2j+1]) into
 * out, stage plan f. */
static void cfft(const rune_pb_fft *st, cpx *out, const int16_t *x, int in0, int fstride,
                 const int *f)
{
    const int p = f[0], m = f[1];
    for (int q = 0; q < p; q++) {
        const int src = in0 + q * fstride;
        if (m == 1) {
            out[q].r = x[2 * src];
            out[q].i = x[2 * src + 1];
        } else {
            cfft(st, out + q * m, x, src, fstride * p, f + 2);
        }
    }
    if (p == 4)
        bfly4(st, out, fstride, m);
    else
        bfly2(st, out, fstride, m);
}

void mf_fft_run(rune_pb_fft *st)
{
    const int n = st->fft_size / 2;
    cpx *tmp = st->spectrum_tmp, *out = st->spectrum;
    cfft(st, tmp, st->fft_in, 0, 1, st->factors);

    /* Split the packed transform of the even/odd samples into the real signal's spectrum. */
    cpx dc = cpx_div(tmp[0], 2);
    out[0].r = wrap16(dc.r + dc.i);
    out[0].i = 0;
    out[n].r = wrap16(dc.r - dc.i);
    out[n].i = 0;
    for (int k = 1; k <= n / 2; k++) {
        cpx fk = cpx_div(tmp[k], 2);
        cpx conj = {tmp[n - k].r, wrap16(-tmp[n - k].i)};
        cpx fnk = cpx_div(conj, 2);
        cpx sum = cpx_add(fk, fnk), diff = cpx_sub(fk, fnk);
        cpx tw = cpx_mul(diff, st->super_twiddles[k - 1]);
        out[k].r = wrap16((sum.r + tw.r) >> 1);
        out[k].i = wrap16((sum.i + tw.i) >> 1);
        out[n - k].r = wrap16((sum.r - tw.r) >> 1);
        out[n - k].i = wrap16((tw.i - sum.i) >> 1);
    }
}
