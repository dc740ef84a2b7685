/*
 * check.c - the checks kernels' prepare steps share, each with a message naming what is wrong.
 */
#include "nn_int.h"

rune_status nn_check_io(const nn_graph *g, const nn_op *op, int min_in, int max_in, int n_out,
                        rune_error *err)
{
    if (op->n_inputs < min_in || op->n_inputs > max_in)
        return RUNE_ERR(err, RUNE_E_INVALID, "takes %d to %d inputs, got %d", min_in, max_in,
                        op->n_inputs);
    for (int i = 0; i < min_in; i++)
        if (op->inputs[i] < 0)
            return RUNE_ERR(err, RUNE_E_INVALID, "input %d is required but absent", i);
    if (op->n_outputs != n_out)
        return RUNE_ERR(err, RUNE_E_INVALID, "has %d outputs, expected %d", op->n_outputs, n_out);
    for (int i = 0; i < n_out; i++)
        if (g->tensors[op->outputs[i]].data)
            return RUNE_ERR(err, RUNE_E_INVALID, "output %d is a constant", i);
    return RUNE_OK;
}

rune_status nn_check_type(const nn_tensor *t, const char *what, rune_nn_type want, rune_error *err)
{
    if (t->type == want) return RUNE_OK;
    return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "%s must be %s, got %s", what, rune_nn_type_name(want),
                    rune_nn_type_name(t->type));
}

rune_status nn_check_rank(const nn_tensor *t, const char *what, int ndims, rune_error *err)
{
    if (t->ndims == ndims) return RUNE_OK;
    return RUNE_ERR(err, RUNE_E_INVALID, "%s must have %d dimensions, got %d", what, ndims,
                    t->ndims);
}

rune_status nn_check_quant(const nn_tensor *t, const char *what, rune_error *err)
{
    if (t->q.n < 1 || !(t->scale > 0.0f))
        return RUNE_ERR(err, RUNE_E_INVALID, "%s (%s) needs a quantization scale > 0", what,
                        t->name);
    if (t->zero_point < -128 || t->zero_point > 127)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s (%s): zero point %d outside int8", what, t->name,
                        (int)t->zero_point);
    return RUNE_OK;
}
