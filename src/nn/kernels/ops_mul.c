/*
 * ops_mul.c - MUL (float32 and int8, numpy broadcasting, fused activation).
 *
 * int8 as TFLite's reference: out = clamp(MBQM((a - za) * (b - zb), m, s) + zo) with (m, s) the
 * fixed-point form of sa * sb / so. Workload: gating and scaling in small graphs; one pass.
 */
#include "ops_int.h"

enum { MUL_OPTIONS = 21 };

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nnops_check_opts(op, MUL_OPTIONS, err);
    if (st != RUNE_OK) return st;
    nnops_binary *p;
    if ((st = nnops_binary_prepare(m, g, op, &p, err)) != RUNE_OK) return st;
    nn_tensor *a = nn_in(g, op, 0), *b = nn_in(g, op, 1), *o = nn_out(g, op, 0);
    if (a->type != RUNE_NN_INT8) return RUNE_OK;
    p->a_off = -a->zero_point;
    p->b_off = -b->zero_point;
    p->out_off = o->zero_point;
    nn_quantize_multiplier((double)a->scale * b->scale / o->scale, &p->out_mult, &p->out_shift);
    return RUNE_OK;
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *a = nn_in(x->g, op, 0);
    const nnops_binary *p = op->params;
    const void *pa = nn_data(x, a), *pb = nn_data(x, nn_in(x->g, op, 1));
    void *po = nn_data(x, nn_out(x->g, op, 0));
    if (a->type == RUNE_NN_FLOAT32) {
        const float *fa = pa, *fb = pb;
        float *fo = po, lo = p->f_lo, hi = p->f_hi;
        NNOPS_BINARY_LOOP(p, {
            float v = fa[ia] * fb[ib];
            fo[io] = v < lo ? lo : v > hi ? hi : v;
        });
        return RUNE_OK;
    }
    const int8_t *qa = pa, *qb = pb;
    int8_t *qo = po;
    NNOPS_BINARY_LOOP(p, {
        int32_t prod = (qa[ia] + p->a_off) * (qb[ib] + p->b_off);
        int32_t raw = nn_wrap_add(nn_mbqm(prod, p->out_mult, p->out_shift), p->out_off);
        qo[io] = (int8_t)nnops_clamp(raw, p->q_lo, p->q_hi);
    });
    return RUNE_OK;
}

const nn_kernel nn_kernel_mul = {prepare, eval, eval};
