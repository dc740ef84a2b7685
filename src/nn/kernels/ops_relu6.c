/*
 * ops_relu6.c - RELU6 (float32 and int8): RELU's arithmetic with the upper clamp at 6 (int8: at
 * min(127, zo + round(6 / so)), as TFLite's QuantizedReluX; see ops_relu.c).
 */
#include "ops_int.h"

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    return nnops_relu_prepare(m, g, op, 6.0f, err);
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    return nnops_relu_eval(x, op, 6.0f);
}

const nn_kernel nn_kernel_relu6 = {prepare, eval, eval};
