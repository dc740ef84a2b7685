/*
 * quant.c - TFLite's quantization arithmetic used at prepare time: QuantizeMultiplier, activation
 * ranges, and convolution output size / padding. Follows the reference definitions so that int8
 * results match TFLite bit for bit (the hot per-element helpers are inline in nn_int.h).
 */
#include "nn_int.h"

#include <math.h>

void nn_quantize_multiplier(double real, int32_t *q, int *shift)
{
    if (real == 0.0 || !isfinite(real)) {
        *q = 0;
        *shift = 0;
        return;
    }
    int e;
    double frac = frexp(real, &e);
    int64_t fixed = (int64_t)round(frac * (double)(1LL << 31));
    if (fixed == (1LL << 31)) {
        fixed /= 2;
        e++;
    }
    if (e < -31) {
        e = 0;
        fixed = 0;
    }
    if (e > 30) {
        e = 30;
        fixed = (1LL << 31) - 1;
    }
    *q = (int32_t)fixed;
    *shift = e;
}

static int32_t quantize_clamped(float v, float scale, int32_t zp)
{
    double q = (double)zp + round((double)(v / scale));
    if (q < -128) return -128;
    if (q > 127) return 127;
    return (int32_t)q;
}

rune_status nn_act_range_int8(int act, float scale, int32_t zp, int32_t *lo, int32_t *hi,
                              rune_error *err)
{
    *lo = -128;
    *hi = 127;
    switch (act) {
    case NN_ACT_NONE: return RUNE_OK;
    case NN_ACT_RELU: *lo = quantize_clamped(0.0f, scale, zp); break;
    case NN_ACT_RELU6:
        *lo = quantize_clamped(0.0f, scale, zp);
        *hi = quantize_clamped(6.0f, scale, zp);
        break;
    case NN_ACT_RELU_N1_TO_1:
        *lo = quantize_clamped(-1.0f, scale, zp);
        *hi = quantize_clamped(1.0f, scale, zp);
        break;
    default: return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "fused activation %d is not supported", act);
    }
    if (*lo < -128) *lo = -128;
    if (*hi > 127) *hi = 127;
    return RUNE_OK;
}

rune_status nn_act_range_f32(int act, float *lo, float *hi, rune_error *err)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    switch (act) {
    case NN_ACT_NONE: return RUNE_OK;
    case NN_ACT_RELU: *lo = 0.0f; return RUNE_OK;
    case NN_ACT_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        return RUNE_OK;
    case NN_ACT_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        return RUNE_OK;
    default: return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "fused activation %d is not supported", act);
    }
}

int nn_conv_out_size(int padding, int in, int filter, int stride, int dilation)
{
    if (stride <= 0 || dilation <= 0 || in < 0 || filter <= 0) return -1;
    int64_t eff = (int64_t)(filter - 1) * dilation + 1;
    if (padding == NN_PAD_SAME) return (int)(((int64_t)in + stride - 1) / stride);
    if (padding == NN_PAD_VALID) return in < eff ? 0 : (int)(((int64_t)in - eff + stride) / stride);
    return -1;
}

int nn_conv_pad(int padding, int in, int filter, int stride, int dilation, int out)
{
    (void)padding;
    int64_t eff = (int64_t)(filter - 1) * dilation + 1;
    int64_t total = ((int64_t)out - 1) * stride + eff - in;
    return total > 0 ? (int)(total / 2) : 0;
}
