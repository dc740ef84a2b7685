/*
 * fully_connected.c - FULLY_CONNECTED, float32 and int8 (per-tensor or per-channel weights).
 * Weights [units, depth]; the input is any shape whose element count is batches * depth.
 * FullyConnectedOptions: 0 fused_activation_function, 1 weights_format (only DEFAULT), 2
 * keep_num_dims. Reference loops as TFLite's; the optimized int8 path widens the input row to int16
 * and uses the pre-packed int16 weights with the input offset folded into the bias (see
 * conv_fast.c).
 */
#include "kernels_int.h"
#include "requant_sse2.h"

typedef struct fc_params {
    nn_conv_params c; /* reuses: in_offset, out_offset, act range, mult/shift, w8, bias_fold, k16 */
    int batches, depth, units;
} fc_params;

static rune_status fc_prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st;
    if ((st = nn_check_io(g, op, 2, 3, 1, err))) return st;
    nn_tensor *in = nn_in(g, op, 0), *w = nn_in(g, op, 1), *bias = nn_in(g, op, 2);
    nn_tensor *out = nn_out(g, op, 0);
    if ((st = nn_check_rank(w, "weights", 2, err))) return st;
    if (!w->data) return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "weights must be a constant");
    if (nn_fb_i8(&op->opts, 1, 0) != 0)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "weights format %d is not supported",
                        nn_fb_i8(&op->opts, 1, 0));
    fc_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    p->units = w->dims[0];
    p->depth = w->dims[1];
    if (p->depth <= 0 || in->n_elems % (size_t)p->depth != 0)
        return RUNE_ERR(err, RUNE_E_INVALID, "input of %zu elements is not a multiple of depth %d",
                        in->n_elems, p->depth);
    p->batches = (int)(in->n_elems / (size_t)p->depth);
    if (out->n_elems != (size_t)p->batches * (size_t)p->units)
        return RUNE_ERR(err, RUNE_E_INVALID, "output has %zu elements, expected %d x %d",
                        out->n_elems, p->batches, p->units);
    op->macs = (uint64_t)p->batches * p->units * p->depth;
    int act = nn_fb_i8(&op->opts, 0, 0);
    if (in->type == RUNE_NN_FLOAT32) {
        if ((st = nn_check_type(w, "weights", RUNE_NN_FLOAT32, err)) ||
            (st = nn_check_type(out, "output", RUNE_NN_FLOAT32, err)) ||
            (st = nn_check_bias(bias, RUNE_NN_FLOAT32, p->units, err)) ||
            (st = nn_act_range_f32(act, &p->c.f_min, &p->c.f_max, err)))
            return st;
        if (!m->opts.reference) {
            if ((st = nn_f32_transpose(m, w->data, p->units, p->depth, &p->c.wt_f32, err)))
                return st;
            op->scratch_bytes = (size_t)p->units * sizeof(float);
        }
    } else if (in->type == RUNE_NN_INT8) {
        p->c.is_int8 = 1;
        if ((st = nn_check_type(w, "weights", RUNE_NN_INT8, err)) ||
            (st = nn_check_type(out, "output", RUNE_NN_INT8, err)) ||
            (st = nn_check_bias(bias, RUNE_NN_INT32, p->units, err)) ||
            (st = nn_conv_multipliers(m, in, w, out, p->units, 0, &p->c, err)) ||
            (st = nn_act_range_int8(act, out->scale, out->zero_point, &p->c.act_min, &p->c.act_max,
                                    err)))
            return st;
        if (!m->opts.reference) {
            if ((st = nn_pack_weights(m, &p->c, w->data, bias ? bias->data : NULL, p->units,
                                      p->depth, err)))
                return st;
            op->scratch_bytes = (size_t)p->c.k16 * sizeof(int16_t);
        }
    } else {
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "input type %s is not supported",
                        rune_nn_type_name(in->type));
    }
    op->params = p;
    return RUNE_OK;
}

static rune_status fc_eval_ref(const nn_exec *x, const nn_op *op)
{
    const nn_graph *g = x->g;
    const fc_params *p = op->params;
    const nn_tensor *tb = nn_in(g, op, 2);
    int D = p->depth;
    if (p->c.is_int8) {
        const int8_t *in = nn_data(x, nn_in(g, op, 0)), *w = nn_in(g, op, 1)->data;
        const int32_t *bias = tb ? tb->data : NULL;
        int8_t *out = nn_data(x, nn_out(g, op, 0));
        for (int b = 0; b < p->batches; b++)
            for (int u = 0; u < p->units; u++) {
                uint32_t acc =
                    0; /* wrapping: defined for any file, equal to TFLite's when it fits */
                for (int d = 0; d < D; d++)
                    acc += (uint32_t)((int32_t)w[(size_t)u * D + d] *
                                      ((int32_t)in[(size_t)b * D + d] + p->c.in_offset));
                if (bias) acc += (uint32_t)bias[u];
                out[(size_t)b * p->units + u] = nn_requant_ref(&p->c, (int32_t)acc, u);
            }
    } else {
        const float *in = nn_data(x, nn_in(g, op, 0)), *w = nn_in(g, op, 1)->data;
        const float *bias = tb ? tb->data : NULL;
        float *out = nn_data(x, nn_out(g, op, 0));
        for (int b = 0; b < p->batches; b++)
            for (int u = 0; u < p->units; u++) {
                float acc = 0.0f;
                for (int d = 0; d < D; d++)
                    acc += in[(size_t)b * D + d] * w[(size_t)u * D + d];
                if (bias) acc += bias[u];
                out[(size_t)b * p->units + u] = nn_clampf(acc, p->c.f_min, p->c.f_max);
            }
    }
    return RUNE_OK;
}

static rune_status fc_eval(const nn_exec *x, const nn_op *op)
{
    const fc_params *p = op->params;
    const nn_graph *g = x->g;
    if (p->c.wt_f32) {
        const nn_tensor *bias = nn_in(g, op, 2);
        nn_fc_fast_f32(p->batches, p->depth, p->units, nn_data(x, nn_in(g, op, 0)), p->c.wt_f32,
                       bias ? bias->data : NULL, nn_data(x, nn_out(g, op, 0)), nn_scratch(x, op),
                       p->c.f_min, p->c.f_max);
        return RUNE_OK;
    }
    if (!p->c.is_int8 || !p->c.w8) return fc_eval_ref(x, op);
    const int8_t *in = nn_data(x, nn_in(g, op, 0));
    int8_t *out = nn_data(x, nn_out(g, op, 0));
    int16_t *row = nn_scratch(x, op);
    int k16 = p->c.k16, D = p->depth; /* row: the input widened, zero-padded to k16 */
    for (int b = 0; b < p->batches; b++) {
        for (int d = 0; d < D; d++)
            row[d] = in[(size_t)b * D + d];
        for (int d = D; d < k16; d++)
            row[d] = 0;
        int u = 0;
        for (; u + 4 <= p->units; u += 4) {
            int32_t acc[4] = {0, 0, 0, 0};
            nn_dot8x4(row, p->c.w8 + (size_t)u * D, D, D, acc);
#ifdef NN_REQUANT4
            if (p->c.rq4) {
                __m128i v = _mm_add_epi32(_mm_loadu_si128((const __m128i *)acc),
                                          _mm_loadu_si128((const __m128i *)(p->c.bias_fold + u)));
                nn_requant4(&p->c, v, u, out + (size_t)b * p->units + u);
                continue;
            }
#endif
            for (int j = 0; j < 4; j++)
                out[(size_t)b * p->units + u + j] =
                    nn_requant(&p->c, nn_wrap_add(acc[j], p->c.bias_fold[u + j]), u + j);
        }
        for (; u < p->units; u++) {
            int32_t acc = nn_dot8(row, p->c.w8 + (size_t)u * D, D);
            out[(size_t)b * p->units + u] =
                nn_requant(&p->c, nn_wrap_add(acc, p->c.bias_fold[u]), u);
        }
    }
    return RUNE_OK;
}

const nn_kernel nn_kernel_fully_connected = {fc_prepare, fc_eval, fc_eval_ref};
