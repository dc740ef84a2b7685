/*
 * ops_add.c - ADD (float32 and int8, numpy broadcasting up to RUNE_NN_MAX_DIMS dims, fused
 * activation), and the arithmetic it shares with SUB (ops_sub.c).
 *
 * int8 follows TFLite's reference arithmetic: both inputs are shifted left by 20 bits, scaled to a
 * common scale (twice the larger input scale) with multipliers below one, added or subtracted in
 * int32, and the sum is scaled to the output with a third multiplier:
 *   a' = MBQM((a - za) << 20, ma, sa)   b' = MBQM((b - zb) << 20, mb, sb)
 *   out = clamp(MBQM(a' +- b', mo, so) + zo)
 * where ma = sa/(2 max), mb = sb/(2 max), mo = 2 max / (2^20 so). Workload: residual adds and
 * bias-like broadcasts of TinyML graphs; one pass, no scratch.
 */
#include "ops_int.h"

enum { ADD_OPTIONS = 11 };

rune_status nnops_addsub_prepare(nn_model *m, nn_graph *g, nn_op *op, int opts_type,
                                 rune_error *err)
{
    rune_status st = nnops_check_opts(op, opts_type, err);
    if (st != RUNE_OK) return st;
    nnops_binary *p;
    if ((st = nnops_binary_prepare(m, g, op, &p, err)) != RUNE_OK) return st;
    nn_tensor *a = nn_in(g, op, 0), *b = nn_in(g, op, 1), *o = nn_out(g, op, 0);
    if (a->type != RUNE_NN_INT8) return RUNE_OK;
    p->left_shift = 20;
    p->a_off = -a->zero_point;
    p->b_off = -b->zero_point;
    p->out_off = o->zero_point;
    double twice_max = 2.0 * (a->scale > b->scale ? a->scale : b->scale);
    nn_quantize_multiplier(a->scale / twice_max, &p->a_mult, &p->a_shift);
    nn_quantize_multiplier(b->scale / twice_max, &p->b_mult, &p->b_shift);
    nn_quantize_multiplier(twice_max / ((double)(1 << 20) * o->scale), &p->out_mult, &p->out_shift);
    return RUNE_OK;
}

static rune_status prepare_add(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    return nnops_addsub_prepare(m, g, op, ADD_OPTIONS, err);
}

static inline int32_t scale_in(int32_t v, int32_t off, int left, int32_t mult, int shift)
{
    return nn_mbqm((v + off) * (1 << left), mult, shift);
}

rune_status nnops_addsub_eval(const nn_exec *x, const nn_op *op, int sub)
{
    const nn_tensor *a = nn_in(x->g, op, 0);
    const nnops_binary *p = op->params;
    const void *pa = nn_data(x, a), *pb = nn_data(x, nn_in(x->g, op, 1));
    void *po = nn_data(x, nn_out(x->g, op, 0));
    if (a->type == RUNE_NN_FLOAT32) {
        const float *fa = pa, *fb = pb;
        float *fo = po, lo = p->f_lo, hi = p->f_hi;
        if (sub)
            NNOPS_BINARY_LOOP(p, {
                float v = fa[ia] - fb[ib];
                fo[io] = v < lo ? lo : v > hi ? hi : v;
            });
        else
            NNOPS_BINARY_LOOP(p, {
                float v = fa[ia] + fb[ib];
                fo[io] = v < lo ? lo : v > hi ? hi : v;
            });
        return RUNE_OK;
    }
    const int8_t *qa = pa, *qb = pb;
    int8_t *qo = po;
    NNOPS_BINARY_LOOP(p, {
        int32_t sa = scale_in(qa[ia], p->a_off, p->left_shift, p->a_mult, p->a_shift);
        int32_t sb = scale_in(qb[ib], p->b_off, p->left_shift, p->b_mult, p->b_shift);
        int32_t sum = sub ? nn_wrap_add(sa, (int32_t)(0u - (uint32_t)sb)) : nn_wrap_add(sa, sb);
        int32_t raw = nn_wrap_add(nn_mbqm(sum, p->out_mult, p->out_shift), p->out_off);
        qo[io] = (int8_t)nnops_clamp(raw, p->q_lo, p->q_hi);
    });
    return RUNE_OK;
}

static rune_status eval_add(const nn_exec *x, const nn_op *op)
{
    return nnops_addsub_eval(x, op, 0);
}

const nn_kernel nn_kernel_add = {prepare_add, eval_add, eval_add};
