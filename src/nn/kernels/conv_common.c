/*
 * conv_common.c - prepare-time helpers shared by CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED:
 * per-channel requantization multipliers, bias checks, and weight packing for the optimized loops.
 */
#include "kernels_int.h"

#include <string.h>

#include "rune/alloc.h"

rune_status nn_conv_multipliers(nn_model *m, const nn_tensor *in, const nn_tensor *filter,
                                const nn_tensor *out, int n_ch, int axis, nn_conv_params *p,
                                rune_error *err)
{
    rune_status st;
    if ((st = nn_check_quant(in, "input", err)) || (st = nn_check_quant(out, "output", err)))
        return st;
    if (filter->q.n != 1 && filter->q.n != n_ch)
        return RUNE_ERR(err, RUNE_E_INVALID, "filter has %d scales for %d output channels",
                        filter->q.n, n_ch);
    if (filter->q.n > 1 && filter->q.axis != axis)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "filter is quantized per channel along axis %d, expected axis %d",
                        filter->q.axis, axis);
    for (int c = 0; c < filter->q.n; c++) {
        if (!(filter->q.scale[c] > 0.0f))
            return RUNE_ERR(err, RUNE_E_INVALID, "filter scale %d is not positive", c);
        if (filter->q.zero_point[c] != 0)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "filter zero point %d is %d (int8 weights must be symmetric)", c,
                            (int)filter->q.zero_point[c]);
    }
    p->mult = nn_persist(m, sizeof(int32_t) * (size_t)n_ch);
    p->shift = nn_persist(m, sizeof(int) * (size_t)n_ch);
    p->rq = nn_persist(m, sizeof(nn_rq) * (size_t)n_ch);
    if (!p->mult || !p->shift || !p->rq) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    for (int c = 0; c < n_ch; c++) {
        double fs = (double)filter->q.scale[filter->q.n == 1 ? 0 : c];
        double real = (double)in->scale * fs / (double)out->scale;
        nn_quantize_multiplier(real, &p->mult[c], &p->shift[c]);
        nn_rq_set(&p->rq[c], p->mult[c], p->shift[c]);
    }
    p->in_offset = -in->zero_point;
    p->out_offset = out->zero_point;
    return nn_rq4_prepare(m, p, n_ch, err);
}

rune_status nn_rq4_prepare(nn_model *m, nn_conv_params *p, int n_ch, rune_error *err)
{
    p->rq4 = NULL;
    for (int c = 0; c < n_ch; c++)
        if (p->shift[c] > 0) return RUNE_OK; /* a left shift: the scalar path handles it */
    size_t n = ((size_t)n_ch + 3) / 4 * 4;
    nn_rq4 *r = nn_persist(m, sizeof *r);
    int32_t *all = nn_persist(m, 6 * n * sizeof(int32_t));
    if (!r || !all) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    r->mult = all;
    r->m = all + n;
    r->bias = all + 2 * n;
    r->keep = all + 3 * n;
    r->mask = all + 4 * n;
    r->half = all + 5 * n;
    for (int c = 0; c < n_ch; c++) {
        int right = -p->shift[c];
        r->mult[c] = p->mult[c];
        r->m[c] = right ? (int32_t)(uint32_t)(1ull << (32 - right)) : 0;
        r->bias[c] = right ? (int32_t)(1u << (31 - right)) : 0;
        r->keep[c] = right ? 0 : -1;
        r->mask[c] = (int32_t)((1ull << right) - 1);
        r->half[c] = r->mask[c] >> 1;
    }
    p->rq4 = r;
    return RUNE_OK;
}

void nn_rq_set(nn_rq *r, int32_t mult, int shift)
{
    int right = shift > 0 ? 0 : -shift;
    r->mult = mult;
    r->left = (uint8_t)(shift > 0 ? shift : 0);
    r->right = (uint8_t)right;
    r->adj = right > 0;
    r->round = right > 0 ? (int32_t)(1u << (right - 1)) : 0;
}

rune_status nn_check_bias(const nn_tensor *bias, rune_nn_type want, int n_ch, rune_error *err)
{
    if (!bias) return RUNE_OK;
    rune_status st = nn_check_type(bias, "bias", want, err);
    if (st) return st;
    if (!bias->data) return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "bias must be a constant");
    if (bias->n_elems != (size_t)n_ch)
        return RUNE_ERR(err, RUNE_E_INVALID, "bias has %zu elements for %d output channels",
                        bias->n_elems, n_ch);
    return RUNE_OK;
}

rune_status nn_pack_weights(nn_model *m, nn_conv_params *p, const int8_t *w, const int32_t *bias,
                            int oc, int k, rune_error *err)
{
    size_t n;
    if (k > (1 << 28) - 8 || rune_mul_overflow((size_t)oc, (size_t)k, &n) || n > ((size_t)1 << 30))
        return RUNE_ERR(err, RUNE_E_LIMIT, "weights too large");
    p->k = k;
    p->k16 = (k + 7) / 8 * 8;
    p->w8 = w;
    p->bias_fold = nn_persist(m, sizeof(int32_t) * (size_t)oc);
    if (!p->bias_fold) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    for (int c = 0; c < oc; c++) {
        /* Wrapping arithmetic: the fold equals the reference's sum modulo 2^32, and both are exact
         * whenever the reference does not overflow. */
        uint32_t sum = 0;
        for (int i = 0; i < k; i++)
            sum += (uint32_t)(int32_t)w[(size_t)c * k + i];
        p->bias_fold[c] = (int32_t)((uint32_t)(bias ? bias[c] : 0) + (uint32_t)p->in_offset * sum);
    }
    return RUNE_OK;
}

rune_status nn_conv_check_types(nn_model *m, const nn_tensor *in, const nn_tensor *filter,
                                const nn_tensor *bias, const nn_tensor *out, int act,
                                int quant_axis, nn_conv_params *p, rune_error *err)
{
    rune_status st;
    if (in->type == RUNE_NN_FLOAT32) {
        if ((st = nn_check_type(filter, "filter", RUNE_NN_FLOAT32, err)) ||
            (st = nn_check_type(out, "output", RUNE_NN_FLOAT32, err)) ||
            (st = nn_check_bias(bias, RUNE_NN_FLOAT32, p->out_c, err)))
            return st;
        return nn_act_range_f32(act, &p->f_min, &p->f_max, err);
    }
    if (in->type == RUNE_NN_INT8) {
        p->is_int8 = 1;
        if ((st = nn_check_type(filter, "filter", RUNE_NN_INT8, err)) ||
            (st = nn_check_type(out, "output", RUNE_NN_INT8, err)) ||
            (st = nn_check_bias(bias, RUNE_NN_INT32, p->out_c, err)) ||
            (st = nn_conv_multipliers(m, in, filter, out, p->out_c, quant_axis, p, err)))
            return st;
        return nn_act_range_int8(act, out->scale, out->zero_point, &p->act_min, &p->act_max, err);
    }
    return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "input type %s is not supported",
                    rune_nn_type_name(in->type));
}
