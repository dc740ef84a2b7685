/*
 * ops_dequantize.c - DEQUANTIZE: int8 -> float32, per-tensor or per-channel.
 *
 * As TFLite's reference: y = (float)(scale * (q - zero_point)) with the product in double. With
 * per-channel quantization, channel = index along quantized_dimension. Workload: model outputs and
 * the occasional dequantized constant; one pass.
 */
#include "ops_int.h"

typedef struct deq_params {
    size_t inner; /* elements after the quantized axis (1 for per-tensor) */
    int channels; /* 1 for per-tensor */
} deq_params;

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 1, 1, 1, err);
    if (st != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nn_check_type(in, "input 0", RUNE_NN_INT8, err)) != RUNE_OK) return st;
    if ((st = nn_check_type(out, "output 0", RUNE_NN_FLOAT32, err)) != RUNE_OK) return st;
    if (in->q.n < 1) return RUNE_ERR(err, RUNE_E_INVALID, "input 0 has no quantization parameters");
    if ((st = nnops_check_shape(out, "output 0", in->ndims, in->dims, err)) != RUNE_OK) return st;
    deq_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    p->inner = 1;
    p->channels = 1;
    if (in->q.n > 1) {
        int axis = in->q.axis;
        if (axis < 0 || axis >= in->ndims || in->dims[axis] != in->q.n)
            return RUNE_ERR(err, RUNE_E_INVALID,
                            "input 0 has %d channel scales for quantized dimension %d", in->q.n,
                            axis);
        for (int i = axis + 1; i < in->ndims; i++)
            p->inner *= (size_t)in->dims[i];
        p->channels = in->q.n;
    }
    op->params = p;
    return RUNE_OK;
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const deq_params *p = op->params;
    const int8_t *src = nn_data(x, in);
    float *dst = nn_data(x, out);
    size_t n = in->n_elems;
    if (p->channels == 1) {
        double scale = in->scale;
        int32_t zp = in->zero_point;
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)(scale * (src[i] - zp));
        return RUNE_OK;
    }
    for (size_t i = 0; i < n; i++) {
        size_t c = (i / p->inner) % (size_t)p->channels;
        dst[i] = (float)((double)in->q.scale[c] * (src[i] - in->q.zero_point[c]));
    }
    return RUNE_OK;
}

const nn_kernel nn_kernel_dequantize = {prepare, eval, eval};
