/*
 * interp.c - the interpreter: runs the main graph's operators in order over one arena.
 *
 * Workload: many invocations of one model; invoke does no allocation and no checks that load has
 * already made (shapes, types and the arena layout are fixed at load). The arena is the caller's
 * (or allocated once at create).
 */
#include "nn_int.h"

#include <string.h>

#include "rune/alloc.h"
#include "rune/config.h"

struct rune_nn_interp {
    const nn_model *m;
    nn_exec x;
    void *own; /* arena allocation when the interpreter made it */
};

rune_status rune_nn_interp_create(const rune_nn_model *m, void *arena, size_t arena_len,
                                  rune_nn_interp **out, rune_error *err)
{
    if (!m || !out) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_interp_create: NULL argument");
    *out = NULL;
    if (arena) {
        if (arena_len < m->arena_size)
            return RUNE_ERR(err, RUNE_E_ARG,
                            "arena of %zu bytes is smaller than the %zu the model "
                            "needs",
                            arena_len, m->arena_size);
        if ((uintptr_t)arena % RUNE_NN_ARENA_ALIGN)
            return RUNE_ERR(err, RUNE_E_ARG, "arena is not aligned to %d bytes",
                            RUNE_NN_ARENA_ALIGN);
    }
    rune_nn_interp *it = rune_calloc(1, sizeof *it);
    if (!it) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory creating an interpreter");
    if (!arena) {
        it->own = rune_malloc(m->arena_size + RUNE_NN_ARENA_ALIGN);
        if (!it->own) {
            rune_free(it);
            return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory for a %zu-byte arena", m->arena_size);
        }
        uintptr_t p =
            ((uintptr_t)it->own + RUNE_NN_ARENA_ALIGN - 1) & ~(uintptr_t)(RUNE_NN_ARENA_ALIGN - 1);
        arena = (void *)p;
    }
    memset(arena, 0, m->arena_size); /* variables start at zero; no stale data between models */
    it->m = m;
    it->x.model = m;
    it->x.g = &m->graphs[0];
    it->x.arena = arena;
    *out = it;
    return RUNE_OK;
}

void rune_nn_interp_free(rune_nn_interp *it)
{
    if (!it) return;
    rune_free(it->own);
    rune_free(it);
}

static const nn_tensor *io_tensor(const rune_nn_interp *it, int i, int output)
{
    const nn_graph *g = it->x.g;
    int n = output ? g->n_outputs : g->n_inputs;
    if (i < 0 || i >= n) return NULL;
    return &g->tensors[output ? g->outputs[i] : g->inputs[i]];
}

rune_status rune_nn_interp_set_input(rune_nn_interp *it, int i, const void *data, size_t len,
                                     rune_error *err)
{
    if (!it || (!data && len)) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_interp_set_input: NULL");
    const nn_tensor *t = io_tensor(it, i, 0);
    if (!t)
        return RUNE_ERR(err, RUNE_E_ARG, "input %d out of range (%d inputs)", i, it->x.g->n_inputs);
    if (len != t->bytes)
        return RUNE_ERR(err, RUNE_E_ARG, "input %d (%s) takes %zu bytes (%s), got %zu", i, t->name,
                        t->bytes, rune_nn_type_name(t->type), len);
    if (len) memcpy(it->x.arena + t->offset, data, len);
    return RUNE_OK;
}

void *rune_nn_interp_input_data(rune_nn_interp *it, int i, size_t *len)
{
    const nn_tensor *t = it ? io_tensor(it, i, 0) : NULL;
    if (len) *len = t ? t->bytes : 0;
    return t ? it->x.arena + t->offset : NULL;
}

rune_status rune_nn_interp_invoke(rune_nn_interp *it, rune_error *err)
{
    if (!it) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_interp_invoke: NULL interpreter");
    const nn_graph *g = it->x.g;
    int reference = it->m->opts.reference;
    for (int i = 0; i < g->n_ops; i++) {
        const nn_op *op = &g->ops[i];
        rune_status (*fn)(const nn_exec *, const nn_op *) = op->kernel->eval;
        if (op->fast_eval)
            fn = op->fast_eval;
        else if (reference && op->kernel->eval_ref)
            fn = op->kernel->eval_ref;
        rune_status st = fn(&it->x, op);
        if (st)
            return RUNE_ERR(err, st, "operator %d (%s) failed: %s", i, nn_builtin_name(op->code),
                            rune_status_name(st));
    }
    return RUNE_OK;
}

rune_status rune_nn_interp_output(const rune_nn_interp *it, int i, const void **data, size_t *len,
                                  rune_error *err)
{
    if (!it || !data) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_interp_output: NULL argument");
    const nn_tensor *t = io_tensor(it, i, 1);
    if (!t)
        return RUNE_ERR(err, RUNE_E_ARG, "output %d out of range (%d outputs)", i,
                        it->x.g->n_outputs);
    *data = nn_data(&it->x, t);
    if (len) *len = t->bytes;
    return RUNE_OK;
}

rune_status rune_nn_interp_get_output(const rune_nn_interp *it, int i, void *dst, size_t cap,
                                      size_t *written, rune_error *err)
{
    const void *src;
    size_t len;
    if (written) *written = 0;
    rune_status st = rune_nn_interp_output(it, i, &src, &len, err);
    if (st) return st;
    if (!dst && len) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_interp_get_output: dst is NULL");
    if (cap < len)
        return RUNE_ERR(err, RUNE_E_ARG, "output %d needs %zu bytes, the buffer holds %zu", i, len,
                        cap);
    if (len) memcpy(dst, src, len);
    if (written) *written = len;
    return RUNE_OK;
}

const void *rune_nn_interp_tensor_data(const rune_nn_interp *it, int ti, size_t *len)
{
    if (len) *len = 0;
    if (!it || ti < 0 || ti >= it->x.g->n_tensors) return NULL;
    const nn_tensor *t = &it->x.g->tensors[ti];
    if (!t->data && t->offset == NN_NO_OFFSET) return NULL;
    if (len) *len = t->bytes;
    return nn_data(&it->x, t);
}
