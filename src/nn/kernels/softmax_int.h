/*
 * softmax_int.h - the fixed-point int8 softmax (softmax_q.c) shared with softmax.c.
 */
#ifndef RUNE_NN_SOFTMAX_INT_H
#define RUNE_NN_SOFTMAX_INT_H

#include "../nn_int.h"

typedef struct nn_softmax_q {
    int32_t mult; /* beta * input scale in Q5.26 terms, as a multiplier > 1 */
    int left_shift;
    int32_t diff_min; /* differences below this contribute nothing */
} nn_softmax_q;

/* 1 when beta and the input scale give a usable fixed-point scaling (left shift >= 0). */
int nn_softmax_q_prepare(double beta, double in_scale, nn_softmax_q *q);
/* One row of n int8 values; output scale 1/256, zero point -128. */
void nn_softmax_q_row(const nn_softmax_q *q, const int8_t *in, int8_t *out, int n);

#endif
