/*
 * planner.c - memory planning: every non-constant tensor of the main graph and every operator's
 * scratch gets an offset in one arena, so that two buffers share bytes only when their lifetimes
 * (first to last operator that touches them) do not overlap.
 *
 * Workload: up to a few thousand buffers, planned once at load. Greedy by size, as TFLite Micro's
 * greedy planner: buffers are placed largest first, each at the lowest offset that does not collide
 * with an already placed buffer whose lifetime overlaps. O(n^2) in the number of buffers.
 * Lifetimes: graph inputs live from operator 0, graph outputs and variables to the last operator
 * (so outputs can be read after invoke and inputs can be set before it); an operator's scratch
 * lives only during that operator. With options.keep_tensors every tensor lives throughout.
 */
#include "nn_int.h"

#include <stdlib.h>

#include "rune/alloc.h"
#include "rune/config.h"

typedef struct item {
    size_t size;
    int first, last;
    size_t *offset; /* where to store the result */
    size_t placed;
} item;

static size_t align_up(size_t n)
{
    return (n + RUNE_NN_ARENA_ALIGN - 1) / RUNE_NN_ARENA_ALIGN * RUNE_NN_ARENA_ALIGN;
}

static int by_size_desc(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    if (x->first != y->first) return x->first - y->first;
    return x->last - y->last;
}

static int by_offset(const void *a, const void *b)
{
    const item *x = *(const item *const *)a, *y = *(const item *const *)b;
    return x->placed < y->placed ? -1 : x->placed > y->placed;
}

static void lifetimes(nn_model *m, nn_graph *g)
{
    int last = g->n_ops > 0 ? g->n_ops - 1 : 0;
    for (int i = 0; i < g->n_tensors; i++) {
        g->tensors[i].first_op = g->tensors[i].last_op = -1;
        g->tensors[i].offset = NN_NO_OFFSET;
    }
    for (int o = 0; o < g->n_ops; o++) {
        const nn_op *op = &g->ops[o];
        for (int k = 0; k < op->n_inputs + op->n_outputs; k++) {
            int32_t ti = k < op->n_inputs ? op->inputs[k] : op->outputs[k - op->n_inputs];
            if (ti < 0) continue;
            nn_tensor *t = &g->tensors[ti];
            if (t->first_op < 0) t->first_op = o;
            t->last_op = o;
        }
    }
    for (int i = 0; i < g->n_tensors; i++) {
        nn_tensor *t = &g->tensors[i];
        if (t->data) continue;
        if (t->is_input || t->is_variable || m->opts.keep_tensors) t->first_op = 0;
        if (t->is_output || t->is_variable || m->opts.keep_tensors) {
            if (t->first_op < 0) t->first_op = 0;
            t->last_op = last;
        }
        if (t->is_input && t->last_op < 0) t->last_op = 0;
    }
}

rune_status nn_plan(nn_model *m, nn_graph *g, rune_error *err)
{
    lifetimes(m, g);
    int n = 0;
    for (int i = 0; i < g->n_tensors; i++)
        n += !g->tensors[i].data && g->tensors[i].first_op >= 0;
    for (int o = 0; o < g->n_ops; o++)
        n += g->ops[o].scratch_bytes > 0;
    item *items = rune_calloc((size_t)n + 1, sizeof(item));
    item **placed = rune_calloc((size_t)n + 1, sizeof(item *));
    if (!items || !placed) {
        rune_free(items);
        rune_free(placed);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory planning the arena");
    }
    int k = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        nn_tensor *t = &g->tensors[i];
        if (t->data || t->first_op < 0) continue;
        items[k++] = (item){align_up(t->bytes), t->first_op, t->last_op, &t->offset, 0};
    }
    for (int o = 0; o < g->n_ops; o++) {
        nn_op *op = &g->ops[o];
        op->scratch_offset = 0;
        if (op->scratch_bytes == 0) continue;
        items[k++] = (item){align_up(op->scratch_bytes), o, o, &op->scratch_offset, 0};
    }
    qsort(items, (size_t)n, sizeof(item), by_size_desc);
    size_t total = 0;
    int n_placed = 0;
    for (int i = 0; i < n; i++) {
        item *it = &items[i];
        int n_live = 0;
        for (int j = 0; j < n_placed; j++) {
            item *p = placed[j];
            if (p->first <= it->last && it->first <= p->last) placed[n_live++] = p;
        }
        /* placed[0..n_live) now holds the overlapping ones; sort them by offset and find a gap.
         * The others are re-added below (placed[] is rebuilt from items[0..i]). */
        qsort(placed, (size_t)n_live, sizeof(item *), by_offset);
        size_t off = 0;
        for (int j = 0; j < n_live; j++) {
            if (off + it->size <= placed[j]->placed) break;
            size_t end = placed[j]->placed + placed[j]->size;
            if (end > off) off = end;
        }
        it->placed = off;
        if (off + it->size > total) total = off + it->size;
        n_placed = i + 1;
        for (int j = 0; j < n_placed; j++)
            placed[j] = &items[j];
    }
    for (int i = 0; i < n; i++)
        *items[i].offset = items[i].placed;
    rune_free(items);
    rune_free(placed);
    m->arena_size = align_up(total);
    return RUNE_OK;
}
