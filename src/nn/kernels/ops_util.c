/*
 * ops_util.c - helpers shared by the nnops kernels (see ops_int.h): shape checks and messages,
 * broadcasting, constant operands, lookup tables, the plain copy used by reshape-like ops.
 */
#include "ops_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *nnops_dims_str(int ndims, const int32_t *dims, char *buf, size_t n)
{
    size_t used = 0;
    if (n == 0) return buf;
    buf[0] = 0;
    used += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndims && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? ",%d" : "%d", (int)dims[i]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}

rune_status nnops_check_shape(const nn_tensor *t, const char *what, int ndims, const int32_t *dims,
                              rune_error *err)
{
    int same = t->ndims == ndims;
    for (int i = 0; same && i < ndims; i++)
        same = t->dims[i] == dims[i];
    if (same) return RUNE_OK;
    char a[96], b[96];
    return RUNE_ERR(err, RUNE_E_INVALID, "%s shape %s must be %s", what,
                    nnops_dims_str(t->ndims, t->dims, a, sizeof a),
                    nnops_dims_str(ndims, dims, b, sizeof b));
}

rune_status nnops_check_same_quant(const nn_tensor *in, const nn_tensor *out, rune_error *err)
{
    if (in->type != RUNE_NN_INT8) return RUNE_OK;
    if (in->q.n > 1 || out->q.n > 1)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "per-channel quantization is not supported here");
    if (in->scale != out->scale || in->zero_point != out->zero_point)
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "output quantization (scale %g, zero point %d) must equal the input's "
                        "(scale %g, zero point %d)",
                        (double)out->scale, (int)out->zero_point, (double)in->scale,
                        (int)in->zero_point);
    return RUNE_OK;
}

rune_status nnops_check_f32_or_i8(const nn_tensor *in, const nn_tensor *out, rune_error *err)
{
    if (in->type != RUNE_NN_FLOAT32 && in->type != RUNE_NN_INT8)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "input 0 must be float32 or int8, got %s",
                        rune_nn_type_name(in->type));
    rune_status st = nn_check_type(out, "output 0", in->type, err);
    if (st != RUNE_OK) return st;
    if (in->type == RUNE_NN_INT8) {
        if ((st = nn_check_quant(in, "input 0", err)) != RUNE_OK) return st;
        if ((st = nn_check_quant(out, "output 0", err)) != RUNE_OK) return st;
        if (in->q.n > 1 || out->q.n > 1)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "per-channel quantized activations are not supported");
    }
    return RUNE_OK;
}

rune_status nnops_const_i32(const nn_tensor *t, const char *what, int max, int32_t *vals, int *n,
                            rune_error *err)
{
    if (!t) return RUNE_ERR(err, RUNE_E_INVALID, "%s is missing", what);
    if (t->type != RUNE_NN_INT32)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s must be int32, got %s", what,
                        rune_nn_type_name(t->type));
    if (!t->data) return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "%s must be a constant tensor", what);
    if (t->n_elems > (size_t)max)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s has %zu values, at most %d allowed", what,
                        t->n_elems, max);
    memcpy(vals, t->data, t->n_elems * sizeof(int32_t));
    *n = (int)t->n_elems;
    return RUNE_OK;
}

rune_status nnops_check_opts(const nn_op *op, int want, rune_error *err)
{
    if (op->has_opts && op->opts_type != want)
        return RUNE_ERR(err, RUNE_E_INVALID, "builtin options are of type %d, expected %d",
                        op->opts_type, want);
    return RUNE_OK;
}

void nnops_pad_shape(int ndims, const int32_t *dims, nnops_shape *out)
{
    int lead = NNOPS_DIMS - ndims;
    for (int i = 0; i < NNOPS_DIMS; i++)
        out->d[i] = i < lead ? 1 : dims[i - lead];
}

void nnops_strides(const nnops_shape *s, size_t *strides)
{
    size_t st = 1;
    for (int i = NNOPS_DIMS; i-- > 0;) {
        strides[i] = st;
        st *= (size_t)s->d[i];
    }
}

rune_status nnops_broadcast(const nn_tensor *a, const nn_tensor *b, int *ndims, int32_t *dims,
                            rune_error *err)
{
    int nd = a->ndims > b->ndims ? a->ndims : b->ndims;
    for (int i = 0; i < nd; i++) {
        int ia = a->ndims - nd + i, ib = b->ndims - nd + i;
        int32_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[96], sb[96];
            return RUNE_ERR(err, RUNE_E_INVALID, "input shapes %s and %s do not broadcast",
                            nnops_dims_str(a->ndims, a->dims, sa, sizeof sa),
                            nnops_dims_str(b->ndims, b->dims, sb, sizeof sb));
        }
        dims[i] = da == 1 ? db : da;
    }
    *ndims = nd;
    return RUNE_OK;
}

void nnops_bcast_strides(const nn_tensor *t, const nnops_shape *out, size_t *strides)
{
    nnops_shape s;
    nnops_pad_shape(t->ndims, t->dims, &s);
    nnops_strides(&s, strides);
    for (int i = 0; i < NNOPS_DIMS; i++)
        if (s.d[i] == 1 && out->d[i] != 1) strides[i] = 0;
}

rune_status nnops_binary_prepare(nn_model *m, nn_graph *g, nn_op *op, nnops_binary **out,
                                 rune_error *err)
{
    rune_status st = nn_check_io(g, op, 2, 2, 1, err);
    if (st != RUNE_OK) return st;
    nn_tensor *a = nn_in(g, op, 0), *b = nn_in(g, op, 1), *o = nn_out(g, op, 0);
    if (a->type != RUNE_NN_FLOAT32 && a->type != RUNE_NN_INT8)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "input 0 must be float32 or int8, got %s",
                        rune_nn_type_name(a->type));
    if ((st = nn_check_type(b, "input 1", a->type, err)) != RUNE_OK) return st;
    if ((st = nn_check_type(o, "output 0", a->type, err)) != RUNE_OK) return st;
    if (a->type == RUNE_NN_INT8) {
        if ((st = nn_check_quant(a, "input 0", err)) != RUNE_OK) return st;
        if ((st = nn_check_quant(b, "input 1", err)) != RUNE_OK) return st;
        if ((st = nn_check_quant(o, "output 0", err)) != RUNE_OK) return st;
    }
    int nd;
    int32_t dims[NNOPS_DIMS];
    if ((st = nnops_broadcast(a, b, &nd, dims, err)) != RUNE_OK) return st;
    if ((st = nnops_check_shape(o, "output 0", nd, dims, err)) != RUNE_OK) return st;
    nnops_binary *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    nnops_pad_shape(nd, dims, &p->out);
    nnops_bcast_strides(a, &p->out, p->sa);
    nnops_bcast_strides(b, &p->out, p->sb);
    p->flat = nn_same_shape(a, b) && nn_same_shape(a, o);
    p->n = o->n_elems;
    int act = nn_fb_i8(&op->opts, 0, NN_ACT_NONE);
    if (a->type == RUNE_NN_FLOAT32)
        st = nn_act_range_f32(act, &p->f_lo, &p->f_hi, err);
    else
        st = nn_act_range_int8(act, o->scale, o->zero_point, &p->q_lo, &p->q_hi, err);
    if (st != RUNE_OK) return st;
    op->params = p;
    op->macs = o->n_elems;
    *out = p;
    return RUNE_OK;
}

void nnops_lut_fill(nnops_lut *lut, const nn_tensor *in, const nn_tensor *out, float (*f)(float))
{
    const float inv = 1.0f / out->scale;
    for (int32_t v = -128; v <= 127; v++) {
        float x = in->scale * (float)(v - in->zero_point);
        float y = roundf(f(x) * inv);
        int32_t q = nnops_f2i(y, 0) + out->zero_point;
        lut->table[(uint8_t)(int8_t)v] = (int8_t)nnops_clamp(q, -128, 127);
    }
}

rune_status nnops_lut_eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const nnops_lut *lut = op->params;
    const uint8_t *src = nn_data(x, in);
    int8_t *dst = nn_data(x, out);
    for (size_t i = 0; i < in->n_elems; i++)
        dst[i] = lut->table[src[i]];
    return RUNE_OK;
}

rune_status nnops_copy_eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const void *src = nn_data(x, in);
    void *dst = nn_data(x, out);
    if (src != dst) memmove(dst, src, out->bytes);
    return RUNE_OK;
}

#define GATHER_LOOP(T)                                                                             \
    do {                                                                                           \
        T *d_ = dst;                                                                               \
        const T *s_ = src;                                                                         \
        for (int32_t i0 = 0; i0 < out->d[0]; i0++)                                                 \
            for (int32_t i1 = 0; i1 < out->d[1]; i1++)                                             \
                for (int32_t i2 = 0; i2 < out->d[2]; i2++)                                         \
                    for (int32_t i3 = 0; i3 < out->d[3]; i3++)                                     \
                        for (int32_t i4 = 0; i4 < out->d[4]; i4++) {                               \
                            ptrdiff_t o_ = base + i0 * strides[0] + i1 * strides[1] +              \
                                           i2 * strides[2] + i3 * strides[3] + i4 * strides[4];    \
                            for (int32_t i5 = 0; i5 < out->d[5]; i5++)                             \
                                *d_++ = s_[o_ + i5 * strides[5]];                                  \
                        }                                                                          \
    } while (0)

void nnops_gather(void *dst, const void *src, size_t esize, const nnops_shape *out,
                  const ptrdiff_t *strides, ptrdiff_t base)
{
    switch (esize) {
    case 1: GATHER_LOOP(uint8_t); break;
    case 2: GATHER_LOOP(uint16_t); break;
    case 4: GATHER_LOOP(uint32_t); break;
    case 8: GATHER_LOOP(uint64_t); break;
    default: break;
    }
}

rune_status nnops_check_move(const nn_tensor *in, const nn_tensor *out, rune_error *err)
{
    if (nn_type_size(in->type) == 0)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "input 0 type %s is not supported",
                        rune_nn_type_name(in->type));
    rune_status st = nn_check_type(out, "output 0", in->type, err);
    if (st != RUNE_OK) return st;
    return nnops_check_same_quant(in, out, err);
}
