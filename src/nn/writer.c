/*
 * writer.c - the TFLite model writer of rune/nn_writer.h: collects tensors and operators, then lays
 * them out as a TFLite FlatBuffer with writer_fb.c.
 *
 * Workload: test models of a handful of ops and up to a few MiB of weights. Everything the caller
 * passes is copied at once, so the caller's arrays may be temporaries. Schema facts used (TFLite
 * schema.fbs, field ids in parentheses):
 *   Model: version(0) operator_codes(1) subgraphs(2) description(3) buffers(4)
 *   OperatorCode: deprecated_builtin_code(0, int8) custom_code(1) version(2) builtin_code(3, int32)
 *   SubGraph: tensors(0) inputs(1) outputs(2) operators(3) name(4)
 *   Tensor: shape(0) type(1) buffer(2) name(3) quantization(4)
 *   QuantizationParameters: min(0) max(1) scale(2) zero_point(3, [long]) quantized_dimension(6)
 *   Operator: opcode_index(0) inputs(1) outputs(2) builtin_options_type(3) builtin_options(4)
 *   Buffer: data(0, [ubyte], force_align 16)
 * Buffer 0 is the empty buffer every non-constant tensor refers to, as the TFLite converter does.
 */
#include "rune/nn_writer.h"

#include <string.h>

#include "rune/alloc.h"
#include "writer_fb.h"

typedef struct wtensor {
    char *name;
    int type, rank;
    int32_t shape[RUNE_NNW_MAX_RANK];
    uint32_t buffer;
    int n_quant;
    float *scale;
    int64_t *zero_point;
    int qdim;
} wtensor;

typedef struct wbuffer {
    uint8_t *data;
    size_t len;
} wbuffer;

typedef struct wop {
    int opcode_index;
    int32_t *io; /* inputs then outputs */
    int n_in, n_out;
    rune_nnw_options opts;
    int32_t *ints[RUNE_NNW_MAX_FIELDS]; /* owned copies of the INTS fields */
} wop;

typedef struct wopcode {
    int code, version;
} wopcode;

struct rune_nnw {
    wtensor *tensors;
    int n_tensors, cap_tensors;
    wbuffer *buffers;
    int n_buffers, cap_buffers;
    wop *ops;
    int n_ops, cap_ops;
    wopcode *opcodes;
    int n_opcodes, cap_opcodes;
    int32_t *io; /* graph inputs then outputs */
    int n_in, n_out;
    rune_error err; /* the first error, sticky */
};

static int fail(rune_nnw *w, rune_status st, const char *msg)
{
    if (w->err.status == RUNE_OK) RUNE_ERR(&w->err, st, "nn writer: %s", msg);
    return -1;
}

/* Grow an array of elem-byte entries so that one more fits. */
static int reserve(void **arr, int *cap, int n, size_t elem)
{
    if (n < *cap) return 1;
    int ncap = *cap ? *cap * 2 : 8;
    void *p = rune_realloc_array(*arr, (size_t)ncap, elem);
    if (!p) return 0;
    *arr = p;
    *cap = ncap;
    return 1;
}

static void *dup_mem(const void *p, size_t n)
{
    void *q = rune_malloc(n ? n : 1);
    if (q && n) memcpy(q, p, n);
    return q;
}

rune_status rune_nnw_new(rune_nnw **out, rune_error *err)
{
    if (!out) return RUNE_ERR(err, RUNE_E_ARG, "nn writer: NULL out");
    *out = NULL;
    rune_nnw *w = rune_calloc(1, sizeof *w);
    if (!w) return RUNE_ERR(err, RUNE_E_NOMEM, "nn writer: out of memory");
    /* buffer 0: the empty buffer */
    if (!reserve((void **)&w->buffers, &w->cap_buffers, 0, sizeof *w->buffers)) {
        rune_free(w);
        return RUNE_ERR(err, RUNE_E_NOMEM, "nn writer: out of memory");
    }
    w->buffers[0] = (wbuffer){NULL, 0};
    w->n_buffers = 1;
    *out = w;
    return RUNE_OK;
}

void rune_nnw_free(rune_nnw *w)
{
    if (!w) return;
    for (int i = 0; i < w->n_tensors; i++) {
        rune_free(w->tensors[i].name);
        rune_free(w->tensors[i].scale);
        rune_free(w->tensors[i].zero_point);
    }
    for (int i = 0; i < w->n_buffers; i++)
        rune_free(w->buffers[i].data);
    for (int i = 0; i < w->n_ops; i++) {
        rune_free(w->ops[i].io);
        for (int f = 0; f < RUNE_NNW_MAX_FIELDS; f++)
            rune_free(w->ops[i].ints[f]);
    }
    rune_free(w->tensors);
    rune_free(w->buffers);
    rune_free(w->ops);
    rune_free(w->opcodes);
    rune_free(w->io);
    rune_free(w);
}

int rune_nnw_add_tensor(rune_nnw *w, const rune_nnw_tensor *t)
{
    if (!w) return -1;
    if (w->err.status != RUNE_OK) return -1;
    if (!t) return fail(w, RUNE_E_ARG, "NULL tensor");
    if (t->rank < 0 || t->rank > RUNE_NNW_MAX_RANK || (t->rank && !t->shape))
        return fail(w, RUNE_E_ARG, "tensor rank out of range or shape missing");
    if (t->n_quant < 0 || (t->n_quant && (!t->scale || !t->zero_point)))
        return fail(w, RUNE_E_ARG, "quantization count negative or arrays missing");
    if (t->data_len && !t->data) return fail(w, RUNE_E_ARG, "data_len without data");
    if (!reserve((void **)&w->tensors, &w->cap_tensors, w->n_tensors, sizeof *w->tensors))
        return fail(w, RUNE_E_NOMEM, "out of memory");
    wtensor wt;
    memset(&wt, 0, sizeof wt);
    wt.type = t->type;
    wt.rank = t->rank;
    if (t->rank) memcpy(wt.shape, t->shape, sizeof(int32_t) * (size_t)t->rank);
    wt.n_quant = t->n_quant;
    wt.qdim = t->quantized_dimension;
    if (t->name && !(wt.name = rune_strdup(t->name))) goto nomem;
    if (t->n_quant) {
        wt.scale = dup_mem(t->scale, sizeof(float) * (size_t)t->n_quant);
        wt.zero_point = dup_mem(t->zero_point, sizeof(int64_t) * (size_t)t->n_quant);
        if (!wt.scale || !wt.zero_point) goto nomem;
    }
    if (t->data) {
        if (!reserve((void **)&w->buffers, &w->cap_buffers, w->n_buffers, sizeof *w->buffers))
            goto nomem;
        uint8_t *d = dup_mem(t->data, t->data_len);
        if (!d) goto nomem;
        w->buffers[w->n_buffers] = (wbuffer){d, t->data_len};
        wt.buffer = (uint32_t)w->n_buffers++;
    }
    w->tensors[w->n_tensors] = wt;
    return w->n_tensors++;
nomem:
    rune_free(wt.name);
    rune_free(wt.scale);
    rune_free(wt.zero_point);
    return fail(w, RUNE_E_NOMEM, "out of memory");
}

static int opcode_index(rune_nnw *w, int code, int version)
{
    for (int i = 0; i < w->n_opcodes; i++)
        if (w->opcodes[i].code == code && w->opcodes[i].version == version) return i;
    if (!reserve((void **)&w->opcodes, &w->cap_opcodes, w->n_opcodes, sizeof *w->opcodes))
        return -1;
    w->opcodes[w->n_opcodes] = (wopcode){code, version};
    return w->n_opcodes++;
}

int rune_nnw_add_op(rune_nnw *w, int code, const int *inputs, int n_inputs, const int *outputs,
                    int n_outputs, const rune_nnw_options *opts)
{
    if (!w) return -1;
    if (w->err.status != RUNE_OK) return -1;
    if (n_inputs < 0 || n_outputs < 0 || (n_inputs && !inputs) || (n_outputs && !outputs))
        return fail(w, RUNE_E_ARG, "operator input/output lists missing or negative");
    if (code < 0) return fail(w, RUNE_E_ARG, "negative builtin code");
    if (opts && (opts->n_fields < 0 || opts->n_fields > RUNE_NNW_MAX_FIELDS || opts->type < 0 ||
                 opts->type > 255))
        return fail(w, RUNE_E_ARG, "options out of range");
    if (!reserve((void **)&w->ops, &w->cap_ops, w->n_ops, sizeof *w->ops))
        return fail(w, RUNE_E_NOMEM, "out of memory");
    wop op;
    memset(&op, 0, sizeof op);
    if (opts) op.opts = *opts;
    if (op.opts.version <= 0) op.opts.version = 1;
    op.opcode_index = opcode_index(w, code, op.opts.version);
    if (op.opcode_index < 0) return fail(w, RUNE_E_NOMEM, "out of memory");
    op.n_in = n_inputs;
    op.n_out = n_outputs;
    op.io = rune_malloc_array((size_t)n_inputs + (size_t)n_outputs + 1, sizeof(int32_t));
    if (!op.io) goto nomem;
    for (int i = 0; i < n_inputs; i++)
        op.io[i] = inputs[i];
    for (int i = 0; i < n_outputs; i++)
        op.io[n_inputs + i] = outputs[i];
    for (int f = 0; f < op.opts.n_fields; f++) {
        rune_nnw_field *fd = &op.opts.fields[f];
        if (fd->id < 0 || fd->id >= WFB_MAX_FIELDS) {
            for (int g = 0; g < f; g++)
                rune_free(op.ints[g]);
            rune_free(op.io);
            return fail(w, RUNE_E_ARG, "options field id out of range");
        }
        if (fd->kind != RUNE_NNW_F_INTS) continue;
        if (fd->n_ints < 0 || (fd->n_ints && !fd->ints)) {
            for (int g = 0; g < f; g++)
                rune_free(op.ints[g]);
            rune_free(op.io);
            return fail(w, RUNE_E_ARG, "options int list missing");
        }
        op.ints[f] = dup_mem(fd->ints, sizeof(int32_t) * (size_t)fd->n_ints);
        if (!op.ints[f]) goto nomem;
        fd->ints = op.ints[f];
    }
    w->ops[w->n_ops] = op;
    return w->n_ops++;
nomem:
    for (int f = 0; f < RUNE_NNW_MAX_FIELDS; f++)
        rune_free(op.ints[f]);
    rune_free(op.io);
    return fail(w, RUNE_E_NOMEM, "out of memory");
}

void rune_nnw_set_io(rune_nnw *w, const int *inputs, int n_inputs, const int *outputs,
                     int n_outputs)
{
    if (!w || w->err.status != RUNE_OK) return;
    if (n_inputs < 0 || n_outputs < 0 || (n_inputs && !inputs) || (n_outputs && !outputs)) {
        fail(w, RUNE_E_ARG, "graph input/output lists missing or negative");
        return;
    }
    int32_t *io = rune_malloc_array((size_t)n_inputs + (size_t)n_outputs + 1, sizeof(int32_t));
    if (!io) {
        fail(w, RUNE_E_NOMEM, "out of memory");
        return;
    }
    for (int i = 0; i < n_inputs; i++)
        io[i] = inputs[i];
    for (int i = 0; i < n_outputs; i++)
        io[n_inputs + i] = outputs[i];
    rune_free(w->io);
    w->io = io;
    w->n_in = n_inputs;
    w->n_out = n_outputs;
}

/* ---- serialization ---- */

static wfb_ref write_quant(wfb *b, const wtensor *t)
{
    if (!t->n_quant) return 0;
    wfb_ref scale = wfb_vec(b, t->scale, (size_t)t->n_quant, 4, 4);
    wfb_ref zp = wfb_vec(b, t->zero_point, (size_t)t->n_quant, 8, 8);
    wfb_table_start(b);
    wfb_add_ref(b, 2, scale);
    wfb_add_ref(b, 3, zp);
    if (t->qdim) wfb_add_i32(b, 6, t->qdim);
    return wfb_table_end(b);
}

static wfb_ref write_tensor(wfb *b, const wtensor *t)
{
    wfb_ref shape = wfb_vec(b, t->shape, (size_t)t->rank, 4, 4);
    wfb_ref name = t->name ? wfb_string(b, t->name) : 0;
    wfb_ref quant = write_quant(b, t);
    wfb_table_start(b);
    wfb_add_ref(b, 0, shape);
    wfb_add_ref(b, 3, name);
    wfb_add_ref(b, 4, quant);
    wfb_add_i32(b, 2, (int32_t)t->buffer);
    wfb_add_u8(b, 1, (uint8_t)t->type);
    return wfb_table_end(b);
}

static wfb_ref write_options(wfb *b, const rune_nnw_options *o)
{
    if (o->type == RUNE_NNW_OPT_NONE) return 0;
    wfb_ref vecs[RUNE_NNW_MAX_FIELDS] = {0};
    for (int f = 0; f < o->n_fields; f++)
        if (o->fields[f].kind == RUNE_NNW_F_INTS)
            vecs[f] = wfb_vec(b, o->fields[f].ints, (size_t)o->fields[f].n_ints, 4, 4);
    wfb_table_start(b);
    for (int f = 0; f < o->n_fields; f++) {
        const rune_nnw_field *fd = &o->fields[f];
        switch (fd->kind) {
        case RUNE_NNW_F_INTS: wfb_add_ref(b, fd->id, vecs[f]); break;
        case RUNE_NNW_F_INT: wfb_add_i32(b, fd->id, fd->i); break;
        case RUNE_NNW_F_FLOAT: wfb_add_f32(b, fd->id, fd->f); break;
        case RUNE_NNW_F_BYTE:
        case RUNE_NNW_F_BOOL: wfb_add_u8(b, fd->id, (uint8_t)fd->i); break;
        }
    }
    return wfb_table_end(b);
}

static wfb_ref write_op(wfb *b, const wop *op)
{
    wfb_ref in = wfb_vec(b, op->io, (size_t)op->n_in, 4, 4);
    wfb_ref out = wfb_vec(b, op->io + op->n_in, (size_t)op->n_out, 4, 4);
    wfb_ref opts = write_options(b, &op->opts);
    wfb_table_start(b);
    wfb_add_ref(b, 1, in);
    wfb_add_ref(b, 2, out);
    wfb_add_ref(b, 4, opts);
    wfb_add_i32(b, 0, op->opcode_index);
    if (opts) wfb_add_u8(b, 3, (uint8_t)op->opts.type);
    return wfb_table_end(b);
}

/* A vector of tables made one by one: refs collected in a temporary array. */
static wfb_ref write_table_vec(wfb *b, int n, wfb_ref (*one)(wfb *, const rune_nnw *, int),
                               const rune_nnw *w)
{
    wfb_ref *refs = rune_malloc_array((size_t)n + 1, sizeof *refs);
    if (!refs) {
        b->failed = 1;
        return 0;
    }
    for (int i = 0; i < n; i++)
        refs[i] = one(b, w, i);
    wfb_ref v = wfb_vec_refs(b, refs, (size_t)n);
    rune_free(refs);
    return v;
}

static wfb_ref one_buffer(wfb *b, const rune_nnw *w, int i)
{
    const wbuffer *bu = &w->buffers[i];
    wfb_ref data = bu->len ? wfb_vec(b, bu->data, bu->len, 1, 16) : 0;
    wfb_table_start(b);
    wfb_add_ref(b, 0, data);
    return wfb_table_end(b);
}

static wfb_ref one_tensor(wfb *b, const rune_nnw *w, int i)
{
    return write_tensor(b, &w->tensors[i]);
}

static wfb_ref one_op(wfb *b, const rune_nnw *w, int i)
{
    return write_op(b, &w->ops[i]);
}

static wfb_ref one_opcode(wfb *b, const rune_nnw *w, int i)
{
    const wopcode *oc = &w->opcodes[i];
    wfb_table_start(b);
    wfb_add_i32(b, 3, oc->code);
    wfb_add_i32(b, 2, oc->version);
    wfb_add_u8(b, 0, (uint8_t)(oc->code < 127 ? oc->code : 127));
    return wfb_table_end(b);
}

rune_status rune_nnw_finish(rune_nnw *w, uint8_t **bytes, size_t *len, rune_error *err)
{
    if (!w || !bytes || !len) return RUNE_ERR(err, RUNE_E_ARG, "nn writer: NULL argument");
    *bytes = NULL;
    *len = 0;
    if (w->err.status != RUNE_OK) {
        if (err) *err = w->err;
        return w->err.status;
    }
    wfb b;
    wfb_init(&b);
    wfb_ref buffers = write_table_vec(&b, w->n_buffers, one_buffer, w);
    wfb_ref tensors = write_table_vec(&b, w->n_tensors, one_tensor, w);
    wfb_ref ops = write_table_vec(&b, w->n_ops, one_op, w);
    wfb_ref gin = wfb_vec(&b, w->io, (size_t)w->n_in, 4, 4);
    wfb_ref gout = wfb_vec(&b, w->io ? w->io + w->n_in : NULL, (size_t)w->n_out, 4, 4);
    wfb_ref sgname = wfb_string(&b, "main");
    wfb_table_start(&b);
    wfb_add_ref(&b, 0, tensors);
    wfb_add_ref(&b, 1, gin);
    wfb_add_ref(&b, 2, gout);
    wfb_add_ref(&b, 3, ops);
    wfb_add_ref(&b, 4, sgname);
    wfb_ref sg = wfb_table_end(&b);
    wfb_ref subgraphs = wfb_vec_refs(&b, &sg, 1);
    wfb_ref opcodes = write_table_vec(&b, w->n_opcodes, one_opcode, w);
    wfb_ref desc = wfb_string(&b, "rune nn_writer");
    wfb_table_start(&b);
    wfb_add_ref(&b, 1, opcodes);
    wfb_add_ref(&b, 2, subgraphs);
    wfb_add_ref(&b, 3, desc);
    wfb_add_ref(&b, 4, buffers);
    wfb_add_i32(&b, 0, 3);
    wfb_ref model = wfb_table_end(&b);
    size_t n = 0;
    const uint8_t *p = wfb_finish(&b, model, "TFL3", &n);
    if (!p) {
        wfb_release(&b);
        return RUNE_ERR(err, RUNE_E_NOMEM, "nn writer: out of memory or model past 2 GiB");
    }
    uint8_t *out = rune_malloc(n);
    if (!out) {
        wfb_release(&b);
        return RUNE_ERR(err, RUNE_E_NOMEM, "nn writer: out of memory");
    }
    memcpy(out, p, n);
    wfb_release(&b);
    *bytes = out;
    *len = n;
    return RUNE_OK;
}
