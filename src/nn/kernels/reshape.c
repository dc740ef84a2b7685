/*
 * reshape.c - RESHAPE: the output tensor's shape (from the file) must hold the input's elements;
 * the optional shape input and ReshapeOptions.new_shape are not needed beyond that. A byte copy.
 */
#include "../nn_int.h"

#include <string.h>

static rune_status reshape_prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    (void)m;
    rune_status st;
    if ((st = nn_check_io(g, op, 1, 2, 1, err))) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nn_check_type(out, "output", in->type, err))) return st;
    if (in->n_elems != out->n_elems)
        return RUNE_ERR(err, RUNE_E_INVALID, "input has %zu elements, output %zu", in->n_elems,
                        out->n_elems);
    if (in->type == RUNE_NN_INT8 && (in->scale != out->scale || in->zero_point != out->zero_point))
        return RUNE_ERR(err, RUNE_E_INVALID, "input and output quantization differ");
    return RUNE_OK;
}

static rune_status reshape_eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const void *s = nn_data(x, in);
    void *d = nn_data(x, out);
    if (s != d && in->bytes) memmove(d, s, in->bytes);
    return RUNE_OK;
}

const nn_kernel nn_kernel_reshape = {reshape_prepare, reshape_eval, NULL};
