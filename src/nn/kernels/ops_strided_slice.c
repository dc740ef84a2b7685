/*
 * ops_strided_slice.c - STRIDED_SLICE with constant int32 begin/end/strides, begin_mask, end_mask,
 * ellipsis_mask, shrink_axis_mask and negative strides; any element type. new_axis_mask and the
 * "offset" option are refused as unsupported.
 *
 * Per dim, as TFLite's strided_slice_logic: start = begin_mask ? (stride > 0 ? 0 : dim - 1) :
 * begin (+dim if negative), clamped to [0, dim] (stride > 0) or [-1, dim - 1] (stride < 0); stop
 * likewise from end/end_mask; a shrunk dim takes the one element at start and disappears from the
 * output. An ellipsis stands for as many full dims as the spec is short of the rank; a spec
 * shorter than the rank without an ellipsis leaves the trailing dims whole.
 * Workload: slicing feature maps and sequences; one strided gather (nnops_gather).
 */
#include "ops_int.h"

enum { SLICE_OPTIONS = 32 };

typedef struct slice_params {
    nnops_shape out;
    ptrdiff_t strides[NNOPS_DIMS];
    ptrdiff_t base;
} slice_params;

typedef struct dim_spec {
    int32_t begin, end, stride;
    int bmask, emask, shrink;
} dim_spec;

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 4, 4, 1, err);
    if (st != RUNE_OK) return st;
    if ((st = nnops_check_opts(op, SLICE_OPTIONS, err)) != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_move(in, out, err)) != RUNE_OK) return st;
    int32_t begin[RUNE_NN_MAX_DIMS], end[RUNE_NN_MAX_DIMS], strides[RUNE_NN_MAX_DIMS];
    int nb = 0, ne = 0, ns = 0;
    if ((st = nnops_const_i32(nn_in(g, op, 1), "input 1 (begin)", RUNE_NN_MAX_DIMS, begin, &nb,
                              err)) != RUNE_OK ||
        (st = nnops_const_i32(nn_in(g, op, 2), "input 2 (end)", RUNE_NN_MAX_DIMS, end, &ne, err)) !=
            RUNE_OK ||
        (st = nnops_const_i32(nn_in(g, op, 3), "input 3 (strides)", RUNE_NN_MAX_DIMS, strides, &ns,
                              err)) != RUNE_OK)
        return st;
    if (nb != ne || nb != ns)
        return RUNE_ERR(err, RUNE_E_INVALID, "begin, end and strides have %d, %d and %d values", nb,
                        ne, ns);
    uint32_t bmask = (uint32_t)nn_fb_i32(&op->opts, 0, 0),
             emask = (uint32_t)nn_fb_i32(&op->opts, 1, 0);
    uint32_t ellipsis = (uint32_t)nn_fb_i32(&op->opts, 2, 0);
    uint32_t new_axis = (uint32_t)nn_fb_i32(&op->opts, 3, 0);
    uint32_t shrink = (uint32_t)nn_fb_i32(&op->opts, 4, 0);
    if (new_axis & ((1u << nb) - 1))
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "new_axis_mask is not supported");
    if (nn_fb_u8(&op->opts, 5, 0))
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "the offset option is not supported");
    ellipsis &= (1u << nb) - 1;
    if (ellipsis & (ellipsis - 1))
        return RUNE_ERR(err, RUNE_E_INVALID, "more than one ellipsis in ellipsis_mask");
    int rank = in->ndims;
    if (nb > rank + (ellipsis ? 1 : 0))
        return RUNE_ERR(err, RUNE_E_INVALID, "%d slice specs for rank %d", nb, rank);
    /* expand the ellipsis (and a short spec) into one spec per input dim */
    dim_spec d[RUNE_NN_MAX_DIMS];
    int j = 0;
    for (int k = 0; k < nb; k++) {
        if (ellipsis & (1u << k)) {
            int full = rank - (nb - 1);
            for (int f = 0; f < full; f++)
                d[j++] = (dim_spec){0, 0, 1, 1, 1, 0};
            continue;
        }
        d[j++] = (dim_spec){begin[k],         end[k],           strides[k],
                            (bmask >> k) & 1, (emask >> k) & 1, (shrink >> k) & 1};
    }
    while (j < rank)
        d[j++] = (dim_spec){0, 0, 1, 1, 1, 0};

    nnops_shape ins;
    size_t in_strides[NNOPS_DIMS];
    nnops_pad_shape(rank, in->dims, &ins);
    nnops_strides(&ins, in_strides);
    int lead = NNOPS_DIMS - rank;
    slice_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    int32_t out_dims[RUNE_NN_MAX_DIMS];
    int n_out = 0;
    for (int i = 0; i < NNOPS_DIMS; i++)
        p->out.d[i] = 1;
    for (int i = 0; i < rank; i++) {
        int32_t dim = in->dims[i], stride = d[i].stride, start, stop, count;
        if (stride == 0) return RUNE_ERR(err, RUNE_E_INVALID, "stride of dim %d is 0", i);
        if (d[i].shrink) {
            start = d[i].begin < 0 ? d[i].begin + dim : d[i].begin;
            if (start < 0 || start >= dim)
                return RUNE_ERR(err, RUNE_E_INVALID,
                                "shrunk index %d is out of range for dim %d "
                                "of size %d",
                                (int)d[i].begin, i, (int)dim);
            stride = 1;
            count = 1;
        } else {
            if (d[i].bmask)
                start = stride > 0 ? 0 : dim - 1;
            else
                start = d[i].begin < 0 ? d[i].begin + dim : d[i].begin;
            if (d[i].emask)
                stop = stride > 0 ? dim : -1;
            else
                stop = d[i].end < 0 ? d[i].end + dim : d[i].end;
            if (stride > 0) {
                start = clamp32(start, 0, dim);
                stop = clamp32(stop, 0, dim);
                count = stop > start ? (int32_t)(((int64_t)stop - start + stride - 1) / stride) : 0;
            } else {
                start = clamp32(start, -1, dim - 1);
                stop = clamp32(stop, -1, dim - 1);
                count =
                    start > stop ? (int32_t)(((int64_t)start - stop - stride - 1) / -stride) : 0;
            }
            out_dims[n_out++] = count;
        }
        p->out.d[lead + i] = count;
        p->strides[lead + i] = (ptrdiff_t)in_strides[lead + i] * stride;
        if (count > 0) p->base += (ptrdiff_t)start * (ptrdiff_t)in_strides[lead + i];
    }
    if ((st = nnops_check_shape(out, "output 0", n_out, out_dims, err)) != RUNE_OK) return st;
    op->params = p;
    return RUNE_OK;
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const slice_params *p = op->params;
    if (out->n_elems == 0) return RUNE_OK;
    nnops_gather(nn_data(x, out), nn_data(x, in), nn_type_size(in->type), &p->out, p->strides,
                 p->base);
    return RUNE_OK;
}

const nn_kernel nn_kernel_strided_slice = {prepare, eval, eval};
