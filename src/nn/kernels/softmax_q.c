/*
 * softmax_q.c - int8 SOFTMAX in TFLite's fixed-point arithmetic (reference_integer_ops::Softmax,
 * the one TFLite Micro runs for int8 -> int8 with output scale 1/256 and zero point -128), so
 * outputs match TFLite bit for bit rather than within 1.
 *
 * The algorithm, from gemmlowp's fixed-point library as TFLite uses it: input differences from the
 * row maximum are scaled by beta * input_scale into Q5.26; exp() of a negative Q5.26 value is
 * computed as exp on [-1/4, 0) (a 4th-order Taylor expansion around -1/8) times a product of
 * constants exp(-2^k) selected by the bits of the remainder; the sum of exponentials in Q12.19 is
 * inverted with Newton-Raphson (1 / (1 + x) for x in [0, 1)), and each output is
 * exp * reciprocal, rounded down to 8 bits. Workload: one row of a few classes per inference.
 */
#include "softmax_int.h"

#include <math.h>

static int32_t rdbpot(int32_t x, int e)
{
    return nn_rdbpot(x, e);
}
static int32_t mul(int32_t a, int32_t b)
{
    return nn_srdhm(a, b);
}

/* Saturating x * 2^e for e > 0. */
static int32_t sat_shl(int32_t x, int e)
{
    int32_t threshold = (int32_t)((1u << (31 - e)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << e);
}

static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    int64_t sum = (int64_t)a + b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t c = 1895147668;        /* exp(-1/8) */
    const int32_t one_third = 715827883; /* 1/3 */
    int32_t x = a + (1 << 28);           /* a + 1/8 */
    int32_t x2 = mul(x, x), x3 = mul(x2, x), x4 = mul(x2, x2);
    int32_t x4_4 = rdbpot(x4, 2);
    int32_t poly = rdbpot(mul(x4_4 + x3, one_third) + x2, 1);
    return c + mul(c, x + poly);
}

/* exp(a) for a <= 0 in Q5.26, result in Q0.31. */
static int32_t exp_neg_q5(int32_t a)
{
    const int32_t quarter = 1 << 24;
    int32_t a_mod = (a & (quarter - 1)) - quarter;
    int32_t result = exp_quarter(sat_shl(a_mod, 5));
    int32_t rem = a_mod - a;
    static const int32_t mults[7] = {1672461947, 1302514674, 790015084, 290630308,
                                     39332535,   720401,     242};
    for (int k = 0; k < 7; k++) /* exp(-2^(k-2)) when bit 24+k of the remainder is set */
        if (rem & (1 << (24 + k))) result = mul(result, mults[k]);
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out (Newton-Raphson in Q2.29). */
static int32_t one_over_one_plus(int32_t a)
{
    int32_t half_den = rounding_half_sum(a, INT32_MAX);
    const int32_t c48_17 = 1515870810, cm32_17 = -1010580540;
    int32_t x = c48_17 + mul(half_den, cm32_17);
    for (int i = 0; i < 3; i++) {
        int32_t hd_x = mul(half_den, x);
        int32_t one_minus = (1 << 29) - hd_x;
        x = x + sat_shl(mul(x, one_minus), 2);
    }
    return sat_shl(x, 1);
}

static int clz32(uint32_t x)
{
    int n = 0;
    if (!x) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

int nn_softmax_q_prepare(double beta, double in_scale, nn_softmax_q *q)
{
    double real = beta * in_scale * (double)(1 << (31 - 5));
    if (real > 2147483647.0) real = 2147483647.0;
    nn_quantize_multiplier(real, &q->mult, &q->left_shift);
    if (q->left_shift < 0 || q->mult == 0) return 0;
    double radius =
        1.0 * ((1 << 5) - 1) * (double)(1LL << (31 - 5)) / (double)(1LL << q->left_shift);
    q->diff_min = -(int32_t)floor(radius);
    return 1;
}

void nn_softmax_q_row(const nn_softmax_q *q, const int8_t *in, int8_t *out, int n)
{
    int mx = -128;
    for (int c = 0; c < n; c++)
        mx = in[c] > mx ? in[c] : mx;
    int32_t sum = 0; /* Q12.19 */
    for (int c = 0; c < n; c++) {
        int32_t diff = in[c] - mx;
        if (diff >= q->diff_min) /* wrapping add: only a row of > 4096 classes could wrap */
            sum = (int32_t)((uint32_t)sum +
                            (uint32_t)rdbpot(exp_neg_q5(mul(diff * (1 << q->left_shift), q->mult)),
                                             12));
    }
    int headroom = clz32((uint32_t)sum);
    int bits_over_unit = 12 - headroom;
    int32_t scale = one_over_one_plus((int32_t)(((uint32_t)sum << headroom) - (1u << 31)));
    for (int c = 0; c < n; c++) {
        int32_t diff = in[c] - mx;
        int32_t v = -128;
        if (diff >= q->diff_min) {
            int32_t e = exp_neg_q5(mul(diff * (1 << q->left_shift), q->mult));
            v = rdbpot(mul(scale, e), bits_over_unit + 31 - 8) - 128;
            if (v > 127) v = 127;
            if (v < -128) v = -128;
        }
        out[c] = (int8_t)v;
    }
}
