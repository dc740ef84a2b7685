/*
 * ops_logistic.c - LOGISTIC (sigmoid), float32 and int8.
 *
 * int8 uses a 256-entry table computed at prepare from the real function (nnops_lut_fill), the way
 * TFLite's optimized int8 kernel does; it matches TFLite's fixed-point reference kernel within 1.
 * The output must be quantized with scale 1/256 and zero point -128, as TFLite requires.
 */
#include <math.h>

#include "ops_int.h"

static float sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 1, 1, 1, err);
    if (st != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_f32_or_i8(in, out, err)) != RUNE_OK) return st;
    if ((st = nnops_check_shape(out, "output 0", in->ndims, in->dims, err)) != RUNE_OK) return st;
    if (in->type != RUNE_NN_INT8) return RUNE_OK;
    if (fabsf(out->scale - 1.0f / 256) > 1e-3f / 256 || out->zero_point != -128)
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "int8 output must have scale 1/256 and zero point -128, got %g and %d",
                        (double)out->scale, (int)out->zero_point);
    nnops_lut *lut = nn_persist(m, sizeof *lut);
    if (!lut) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    nnops_lut_fill(lut, in, out, sigmoid);
    op->params = lut;
    return RUNE_OK;
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    if (in->type == RUNE_NN_INT8) return nnops_lut_eval(x, op);
    const float *src = nn_data(x, in);
    float *dst = nn_data(x, out);
    for (size_t i = 0; i < in->n_elems; i++)
        dst[i] = sigmoid(src[i]);
    return RUNE_OK;
}

const nn_kernel nn_kernel_logistic = {prepare, eval, eval};
