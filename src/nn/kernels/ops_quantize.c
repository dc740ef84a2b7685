/*
 * ops_quantize.c - QUANTIZE: float32 -> int8, and int8 -> int8 requantization.
 *
 * float32 -> int8 as TFLite's reference AffineQuantize: q = clamp(round(x / scale) + zero_point),
 * rounding half away from zero, the division in double (QuantizationParams.scale is a double). NaN,
 * which TFLite leaves undefined, becomes the zero point; infinities saturate. int8 -> int8 as
 * TFLite's Requantize: q = clamp(MBQM(x - zi, m, s) + zo) with (m, s) the fixed-point form of si /
 * so. Per-tensor quantization only.
 */
#include <math.h>

#include "ops_int.h"

typedef struct quant_params {
    int32_t mult;
    int shift;
} quant_params;

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 1, 1, 1, err);
    if (st != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if (in->type != RUNE_NN_FLOAT32 && in->type != RUNE_NN_INT8)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "input 0 must be float32 or int8, got %s",
                        rune_nn_type_name(in->type));
    if ((st = nn_check_type(out, "output 0", RUNE_NN_INT8, err)) != RUNE_OK) return st;
    if ((st = nn_check_quant(out, "output 0", err)) != RUNE_OK) return st;
    if (out->q.n > 1)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "per-channel output quantization is not supported");
    if ((st = nnops_check_shape(out, "output 0", in->ndims, in->dims, err)) != RUNE_OK) return st;
    if (in->type == RUNE_NN_INT8) {
        if ((st = nn_check_quant(in, "input 0", err)) != RUNE_OK) return st;
        if (in->q.n > 1)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "per-channel input quantization is not supported");
        quant_params *p = nn_persist(m, sizeof *p);
        if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
        nn_quantize_multiplier((double)in->scale / out->scale, &p->mult, &p->shift);
        op->params = p;
    }
    return RUNE_OK;
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    int8_t *dst = nn_data(x, out);
    int32_t zo = out->zero_point;
    size_t n = in->n_elems;
    if (in->type == RUNE_NN_FLOAT32) {
        const float *src = nn_data(x, in);
        double scale = out->scale;
        for (size_t i = 0; i < n; i++) {
            double r = round(src[i] / scale);
            int32_t q = nnops_f2i(r, 0) + zo; /* NaN -> the zero point */
            dst[i] = (int8_t)nnops_clamp(q, -128, 127);
        }
        return RUNE_OK;
    }
    const quant_params *p = op->params;
    const int8_t *src = nn_data(x, in);
    int32_t zi = in->zero_point;
    for (size_t i = 0; i < n; i++) {
        int32_t q = nn_wrap_add(nn_mbqm(src[i] - zi, p->mult, p->shift), zo);
        dst[i] = (int8_t)nnops_clamp(q, -128, 127);
    }
    return RUNE_OK;
}

const nn_kernel nn_kernel_quantize = {prepare, eval, eval};
