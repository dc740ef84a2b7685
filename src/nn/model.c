/*
 * model.c - model life cycle (load = read + prepare + plan, free), the model's persistent memory,
 * tensor helpers, and the public describe functions of rune/nn.h.
 *
 * Workload: a model is loaded once and described many times; all memory of a model is a list of
 * blocks from nn_persist, so freeing it (also after a failure half-way through load) is one walk.
 */
#include "nn_int.h"

#include <string.h>

#include "rune/alloc.h"
#include "rune/config.h"

struct nn_block {
    nn_block *next;
};
/* Header rounded up so the payload keeps RUNE_NN_ARENA_ALIGN alignment. */
#define BLOCK_HDR                                                                                  \
    ((sizeof(nn_block) + RUNE_NN_ARENA_ALIGN - 1) / RUNE_NN_ARENA_ALIGN * RUNE_NN_ARENA_ALIGN)

void *nn_persist(nn_model *m, size_t size)
{
    size_t total;
    if (rune_add_overflow(size, BLOCK_HDR + RUNE_NN_ARENA_ALIGN, &total)) return NULL;
    uint8_t *raw = rune_calloc(1, total);
    if (!raw) return NULL;
    nn_block *b = (nn_block *)raw;
    b->next = m->blocks;
    m->blocks = b;
    m->persistent_bytes += size;
    uintptr_t p = (uintptr_t)(raw + BLOCK_HDR);
    p = (p + RUNE_NN_ARENA_ALIGN - 1) & ~(uintptr_t)(RUNE_NN_ARENA_ALIGN - 1);
    return (void *)p;
}

size_t nn_type_size(rune_nn_type type)
{
    switch (type) {
    case RUNE_NN_FLOAT32: return 4;
    case RUNE_NN_INT32: return 4;
    case RUNE_NN_UINT8: return 1;
    case RUNE_NN_INT64: return 8;
    case RUNE_NN_BOOL: return 1;
    case RUNE_NN_INT16: return 2;
    case RUNE_NN_INT8: return 1;
    case RUNE_NN_FLOAT16: return 2;
    case RUNE_NN_FLOAT64: return 8;
    default: return 0;
    }
}

const char *rune_nn_type_name(rune_nn_type type)
{
    static const char *const names[] = {"float32",   "float16", "int32",  "uint8",
                                        "int64",     "string",  "bool",   "int16",
                                        "complex64", "int8",    "float64"};
    if ((int)type < 0 || (int)type >= (int)(sizeof names / sizeof names[0])) return "unknown";
    return names[type];
}

rune_status nn_tensor_set_shape(nn_tensor *t, int ndims, const int32_t *dims, rune_error *err)
{
    if (ndims < 0 || ndims > RUNE_NN_MAX_DIMS)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "%d dimensions (at most %d)", ndims,
                        RUNE_NN_MAX_DIMS);
    size_t n = 1, bytes;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] < 0)
            return RUNE_ERR(err, RUNE_E_INVALID, "dimension %d is negative (%d)", i, (int)dims[i]);
        if (rune_mul_overflow(n, (size_t)dims[i], &n))
            return RUNE_ERR(err, RUNE_E_INVALID, "element count overflows");
    }
    /* Cap at 2^31 bytes so offsets and int32 index arithmetic in kernels stay exact. */
    if (rune_mul_overflow(n, nn_type_size(t->type), &bytes) || bytes > 0x7fffffffu)
        return RUNE_ERR(err, RUNE_E_INVALID, "element count overflows (%zu elements)", n);
    t->ndims = ndims;
    for (int i = 0; i < ndims; i++)
        t->dims[i] = dims[i];
    for (int i = ndims; i < RUNE_NN_MAX_DIMS; i++)
        t->dims[i] = 0;
    t->n_elems = n;
    t->bytes = bytes;
    return RUNE_OK;
}

int nn_same_shape(const nn_tensor *a, const nn_tensor *b)
{
    if (a->ndims != b->ndims) return 0;
    for (int i = 0; i < a->ndims; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

static rune_status prepare_graph(nn_model *m, nn_graph *g, rune_error *err)
{
    for (int i = 0; i < g->n_ops; i++) {
        nn_op *op = &g->ops[i];
        rune_status st = op->kernel->prepare(m, g, op, err);
        if (st) return rune_error_prefix(err, "operator %d (%s)", i, nn_builtin_name(op->code));
#ifdef RUNE_NN_XNNPACK
        if (m->opts.fast_path && !m->opts.reference) {
            st = nn_xnn_prepare(m, g, op, err);
            if (st) return rune_error_prefix(err, "operator %d (%s)", i, nn_builtin_name(op->code));
        }
#endif
        m->macs += op->macs;
    }
    return RUNE_OK;
}

rune_status rune_nn_model_load_ex(const void *bytes, size_t len, const rune_nn_options *opts,
                                  rune_nn_model **out, rune_error *err)
{
    rune_status st;
    if (!out) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_model_load: out is NULL");
    *out = NULL;
    if (!bytes && len) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_model_load: bytes is NULL");
    nn_model *m = rune_calloc(1, sizeof *m);
    if (!m) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory loading a model");
    m->fb.p = bytes;
    m->fb.len = bytes ? len : 0;
    if (opts) m->opts = *opts;
    if (m->opts.copy_bytes && len) {
        uint8_t *copy = nn_persist(m, len);
        if (!copy) {
            st = RUNE_ERR(err, RUNE_E_NOMEM, "out of memory copying a %zu-byte model", len);
            goto fail;
        }
        memcpy(copy, bytes, len);
        m->fb.p = copy;
    }
    if ((st = nn_read(m, err))) goto fail;
    if ((st = prepare_graph(m, &m->graphs[0], err))) goto fail;
    if ((st = nn_plan(m, &m->graphs[0], err))) goto fail;
    *out = m;
    return RUNE_OK;
fail:
    rune_nn_model_free(m);
    return st;
}

rune_status rune_nn_model_load(const void *bytes, size_t len, rune_nn_model **out, rune_error *err)
{
    return rune_nn_model_load_ex(bytes, len, NULL, out, err);
}

void rune_nn_model_free(rune_nn_model *m)
{
    if (!m) return;
    for (int gi = 0; gi < m->n_graphs && m->graphs; gi++) {
        nn_graph *g = &m->graphs[gi];
        for (int i = 0; i < g->n_ops && g->ops; i++)
            if (g->ops[i].fast_free && g->ops[i].fast_state)
                g->ops[i].fast_free(g->ops[i].fast_state);
    }
    nn_block *b = m->blocks;
    while (b) {
        nn_block *next = b->next;
        rune_free(b);
        b = next;
    }
    rune_free(m);
}

/* ---- describe ---- */

static const nn_graph *main_graph(const rune_nn_model *m)
{
    return &m->graphs[0];
}

int rune_nn_model_input_count(const rune_nn_model *m)
{
    return m ? main_graph(m)->n_inputs : 0;
}
int rune_nn_model_output_count(const rune_nn_model *m)
{
    return m ? main_graph(m)->n_outputs : 0;
}
int rune_nn_model_tensor_count(const rune_nn_model *m)
{
    return m ? main_graph(m)->n_tensors : 0;
}
int rune_nn_model_op_count(const rune_nn_model *m)
{
    return m ? main_graph(m)->n_ops : 0;
}
size_t rune_nn_model_arena_size(const rune_nn_model *m)
{
    return m ? m->arena_size : 0;
}
size_t rune_nn_model_persistent_bytes(const rune_nn_model *m)
{
    return m ? m->persistent_bytes : 0;
}
uint64_t rune_nn_model_macs(const rune_nn_model *m)
{
    return m ? m->macs : 0;
}
uint32_t rune_nn_model_version(const rune_nn_model *m)
{
    return m ? m->version : 0;
}
int rune_nn_model_subgraph_count(const rune_nn_model *m)
{
    return m ? m->n_graphs : 0;
}

rune_status rune_nn_model_tensor(const rune_nn_model *m, int ti, rune_nn_tensor_info *out,
                                 rune_error *err)
{
    if (!m || !out) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_model_tensor: NULL argument");
    const nn_graph *g = main_graph(m);
    if (ti < 0 || ti >= g->n_tensors)
        return RUNE_ERR(err, RUNE_E_ARG, "tensor %d out of range (%d tensors)", ti, g->n_tensors);
    const nn_tensor *t = &g->tensors[ti];
    memset(out, 0, sizeof *out);
    out->index = ti;
    out->name = t->name;
    out->type = t->type;
    out->ndims = t->ndims;
    memcpy(out->dims, t->dims, sizeof out->dims);
    out->n_elems = t->n_elems;
    out->bytes = t->bytes;
    out->scale = t->scale;
    out->zero_point = t->zero_point;
    out->n_channels = t->q.n;
    out->quant_axis = t->q.axis;
    out->channel_scales = t->q.scale;
    out->channel_zero_points = t->q.zero_point;
    out->is_const = t->data != NULL;
    return RUNE_OK;
}

rune_status rune_nn_model_input(const rune_nn_model *m, int i, rune_nn_tensor_info *out,
                                rune_error *err)
{
    if (!m) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_model_input: model is NULL");
    const nn_graph *g = main_graph(m);
    if (i < 0 || i >= g->n_inputs)
        return RUNE_ERR(err, RUNE_E_ARG, "input %d out of range (%d inputs)", i, g->n_inputs);
    return rune_nn_model_tensor(m, g->inputs[i], out, err);
}

rune_status rune_nn_model_output(const rune_nn_model *m, int i, rune_nn_tensor_info *out,
                                 rune_error *err)
{
    if (!m) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_model_output: model is NULL");
    const nn_graph *g = main_graph(m);
    if (i < 0 || i >= g->n_outputs)
        return RUNE_ERR(err, RUNE_E_ARG, "output %d out of range (%d outputs)", i, g->n_outputs);
    return rune_nn_model_tensor(m, g->outputs[i], out, err);
}

static int find_in(const nn_graph *g, const int32_t *list, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(g->tensors[list[i]].name, name) == 0) return i;
    return -1;
}
int rune_nn_model_find_input(const rune_nn_model *m, const char *name)
{
    return m ? find_in(main_graph(m), main_graph(m)->inputs, main_graph(m)->n_inputs, name) : -1;
}
int rune_nn_model_find_output(const rune_nn_model *m, const char *name)
{
    return m ? find_in(main_graph(m), main_graph(m)->outputs, main_graph(m)->n_outputs, name) : -1;
}

rune_status rune_nn_model_op(const rune_nn_model *m, int i, rune_nn_op_info *out, rune_error *err)
{
    if (!m || !out) return RUNE_ERR(err, RUNE_E_ARG, "rune_nn_model_op: NULL argument");
    const nn_graph *g = main_graph(m);
    if (i < 0 || i >= g->n_ops)
        return RUNE_ERR(err, RUNE_E_ARG, "operator %d out of range (%d operators)", i, g->n_ops);
    const nn_op *op = &g->ops[i];
    out->code = op->code;
    out->name = nn_builtin_name(op->code);
    out->n_inputs = op->n_inputs;
    out->n_outputs = op->n_outputs;
    out->inputs = op->inputs;
    out->outputs = op->outputs;
    out->macs = op->macs;
    out->scratch_bytes = op->scratch_bytes;
    out->fast = op->fast_eval != NULL;
    return RUNE_OK;
}
