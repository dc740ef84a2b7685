/*
 * ops_sub.c - SUB (float32 and int8, numpy broadcasting, fused activation): ADD's arithmetic with
 * the scaled second input subtracted (TFLite's left-shift-20 scheme, see ops_add.c).
 */
#include "ops_int.h"

enum { SUB_OPTIONS = 28 };

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    return nnops_addsub_prepare(m, g, op, SUB_OPTIONS, err);
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    return nnops_addsub_eval(x, op, 1);
}

const nn_kernel nn_kernel_sub = {prepare, eval, eval};
