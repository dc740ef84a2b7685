/*
 * reader.c - decodes a TFLite FlatBuffer (schema version 3, identifier "TFL3") into the engine's
 * model structures, trusting nothing in the file.
 *
 * Workload: files from the TensorFlow converter and from fuzzers. Every index (opcode, buffer,
 * tensor) is range-checked, every shape checked for overflow, every buffer checked to hold its
 * tensor, and the operator order checked to be a valid schedule (no operator reads a tensor that is
 * not yet produced, which also rules out cycles). Schema facts used (field ids): Model: 0 version,
 * 1 operator_codes, 2 subgraphs, 3 description, 4 buffers OperatorCode: 0 deprecated_builtin_code
 * (i8), 1 custom_code, 2 version, 3 builtin_code (i32) SubGraph: 0 tensors, 1 inputs, 2 outputs, 3
 * operators, 4 name Tensor: 0 shape, 1 type, 2 buffer, 3 name, 4 quantization, 5 is_variable
 *   Buffer: 0 data, 1 offset (u64, from file start), 2 size (u64)
 *   Operator: 0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type, 4 builtin_options
 *   QuantizationParameters: 0 min, 1 max, 2 scale, 3 zero_point (i64), 4 details_type,
 *     6 quantized_dimension
 */
#include "nn_int.h"

#include <string.h>

#include "rune/config.h"

#ifndef NN_MAX_TENSORS
#define NN_MAX_TENSORS                                                                             \
    100000 /* far above any TinyML model; bounds memory a hostile file can ask                     \
            */
#endif
#ifndef NN_MAX_OPS
#define NN_MAX_OPS 100000
#endif
#ifndef NN_MAX_GRAPHS
#define NN_MAX_GRAPHS 64
#endif
#ifndef NN_MAX_OP_IO
#define NN_MAX_OP_IO 1024
#endif

#define MAL(...) RUNE_ERR(err, RUNE_E_MALFORMED, __VA_ARGS__)
#define INV(...) RUNE_ERR(err, RUNE_E_INVALID, __VA_ARGS__)
#define NOMEM() RUNE_ERR(err, RUNE_E_NOMEM, "out of memory reading the model")

typedef struct opcode {
    int code;
    const char *custom; /* custom_code, persistent */
} opcode;

typedef struct reader {
    nn_model *m;
    nn_fb *fb;
    int n_opcodes;
    opcode *opcodes;
    nn_fb_vec buffers;
} reader;

static rune_status fb_error(nn_fb *fb, rune_error *err, const char *where)
{
    return RUNE_ERR(err, RUNE_E_MALFORMED, "malformed model: %s: %s", where, fb->what);
}

static const char *copy_str(nn_model *m, const char *s, uint32_t len)
{
    char *p = nn_persist(m, (size_t)len + 1);
    if (!p) return NULL;
    if (len) memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* String field as a persistent NUL-terminated copy ("" when absent); NULL on error. */
static const char *read_str(reader *r, const nn_fb_table *t, int field)
{
    const char *s;
    uint32_t len;
    int res = nn_fb_str_field(t, field, &s, &len);
    if (res < 0) return NULL;
    return copy_str(r->m, res ? s : "", res ? len : 0);
}

static rune_status read_opcodes(reader *r, const nn_fb_table *model, rune_error *err)
{
    nn_fb_vec v;
    int res = nn_fb_vec_field(model, 1, 4, &v);
    if (res < 0) return fb_error(r->fb, err, "operator_codes");
    if (v.n > NN_MAX_OPS) return INV("model has %u operator codes (limit %d)", v.n, NN_MAX_OPS);
    r->n_opcodes = (int)v.n;
    r->opcodes = nn_persist(r->m, sizeof(opcode) * (v.n ? v.n : 1));
    if (!r->opcodes) return NOMEM();
    for (uint32_t i = 0; i < v.n; i++) {
        nn_fb_table oc;
        if (!nn_fb_vec_table(&v, i, &oc)) return fb_error(r->fb, err, "operator code");
        int dep = nn_fb_i8(&oc, 0, 0);
        int32_t bc = nn_fb_i32(&oc, 3, 0);
        r->opcodes[i].code = bc > dep ? bc : dep;
        r->opcodes[i].custom = read_str(r, &oc, 1);
        if (r->fb->bad) return fb_error(r->fb, err, "operator code");
        if (!r->opcodes[i].custom) return NOMEM();
    }
    return RUNE_OK;
}

static rune_status read_int_list(reader *r, const nn_fb_table *t, int field, const char *what,
                                 int limit, int *n, int32_t **out, rune_error *err)
{
    nn_fb_vec v;
    int res = nn_fb_vec_field(t, field, 4, &v);
    if (res < 0) return fb_error(r->fb, err, what);
    if (v.n > (uint32_t)limit) return INV("%s has %u entries (limit %d)", what, v.n, limit);
    *n = (int)v.n;
    *out = nn_persist(r->m, sizeof(int32_t) * (v.n ? v.n : 1));
    if (!*out) return NOMEM();
    for (uint32_t i = 0; i < v.n; i++)
        (*out)[i] = nn_fb_vec_i32(&v, i);
    return RUNE_OK;
}

static rune_status read_quant(reader *r, nn_tensor *t, int ti, const nn_fb_table *qt,
                              rune_error *err)
{
    nn_fb_vec sv, zv;
    int rs = nn_fb_vec_field(qt, 2, 4, &sv);
    int rz = nn_fb_vec_field(qt, 3, 8, &zv);
    if (rs < 0 || rz < 0) return fb_error(r->fb, err, "quantization");
    int32_t axis = nn_fb_i32(qt, 6, 0);
    if (nn_fb_u8(qt, 4, 0) != 0) /* QuantizationDetails union: custom quantization */
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "tensor %d (%s) uses custom quantization (not supported)", ti, t->name);
    if (rs == 0 || sv.n == 0) return RUNE_OK; /* min/max only: treated as not quantized */
    if (rz > 0 && zv.n != sv.n && zv.n != 0)
        return INV("tensor %d (%s): %u scales but %u zero points", ti, t->name, sv.n, zv.n);
    if (sv.n > 1) {
        /* Per-channel: the axis must index a dimension of that size; a 1-D tensor may carry the
         * axis of its matching weights (person_detect's biases say 3). */
        if (axis < 0 || axis >= t->ndims || t->dims[axis] != (int32_t)sv.n) {
            if (t->ndims == 1 && t->dims[0] == (int32_t)sv.n)
                axis = 0;
            else
                return INV("tensor %d (%s): %u per-channel scales do not match dimension %d", ti,
                           t->name, sv.n, (int)axis);
        }
    }
    t->q.n = (int)sv.n;
    t->q.axis = sv.n > 1 ? axis : 0;
    t->q.scale = nn_persist(r->m, sizeof(float) * sv.n);
    t->q.zero_point = nn_persist(r->m, sizeof(int32_t) * sv.n);
    if (!t->q.scale || !t->q.zero_point) return NOMEM();
    for (uint32_t i = 0; i < sv.n; i++) {
        float s = nn_fb_vec_f32(&sv, i);
        int64_t z = (rz > 0 && zv.n) ? nn_fb_vec_i64(&zv, i) : 0;
        if (!(s >= 0.0f) || s > 3.0e38f)
            return INV("tensor %d (%s): bad quantization scale %g", ti, t->name, (double)s);
        if (z < INT32_MIN || z > INT32_MAX)
            return INV("tensor %d (%s): zero point out of range", ti, t->name);
        /* TFLite's int8 quantization keeps zero points representable (int8 ops take x - zp in
         * 9 bits): outside it, every kernel's arithmetic could overflow */
        if (t->type == RUNE_NN_INT8 && (z < -128 || z > 127))
            return INV("tensor %d (%s): int8 zero point %lld outside -128..127", ti, t->name,
                       (long long)z);
        t->q.scale[i] = s;
        t->q.zero_point[i] = (int32_t)z;
    }
    t->scale = t->q.scale[0];
    t->zero_point = t->q.zero_point[0];
    return RUNE_OK;
}

/* Point t->data at buffer data (or a once-made aligned copy); checks the size. */
static rune_status attach_buffer(reader *r, nn_tensor *t, int ti, uint32_t bi, rune_error *err)
{
    nn_fb_table bt;
    if (!nn_fb_vec_table(&r->buffers, bi, &bt)) return fb_error(r->fb, err, "buffer");
    const uint8_t *p = NULL;
    size_t n = 0;
    nn_fb_vec dv;
    int res = nn_fb_vec_field(&bt, 0, 1, &dv);
    if (res < 0) return fb_error(r->fb, err, "buffer data");
    if (res > 0 && dv.n > 0) {
        p = r->fb->p + dv.pos;
        n = dv.n;
    } else {
        uint64_t off = nn_fb_u64(&bt, 1, 0), size = nn_fb_u64(&bt, 2, 0);
        if (r->fb->bad) return fb_error(r->fb, err, "buffer");
        if (off > 1 && size > 0) {
            if (off > r->fb->len || size > r->fb->len - off)
                return MAL("malformed model: buffer %u (offset %llu, %llu bytes) lies outside the "
                           "file",
                           bi, (unsigned long long)off, (unsigned long long)size);
            p = r->fb->p + off;
            n = (size_t)size;
        }
    }
    if (!p) return RUNE_OK; /* no data: a tensor computed at run time */
    if (n < t->bytes)
        return INV("tensor %d (%s): buffer %u holds %zu bytes, the tensor needs %zu", ti, t->name,
                   bi, n, t->bytes);
    size_t es = nn_type_size(t->type);
    if (es > 1 && ((uintptr_t)p % es) != 0) {
        void *copy = nn_persist(r->m, t->bytes ? t->bytes : 1);
        if (!copy) return NOMEM();
        memcpy(copy, p, t->bytes);
        p = copy;
    }
    t->data = p;
    return RUNE_OK;
}

static rune_status read_tensor(reader *r, nn_tensor *t, int ti, const nn_fb_table *tt,
                               rune_error *err)
{
    rune_status st;
    t->first_op = t->last_op = -1;
    t->offset = NN_NO_OFFSET;
    t->name = read_str(r, tt, 3);
    if (r->fb->bad) return fb_error(r->fb, err, "tensor name");
    if (!t->name) return NOMEM();
    nn_fb_vec sv;
    int res = nn_fb_vec_field(tt, 0, 4, &sv);
    if (res < 0) return fb_error(r->fb, err, "tensor shape");
    if (sv.n > RUNE_NN_MAX_DIMS)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "tensor %d (%s) has %u dimensions (at most %d)",
                        ti, t->name, sv.n, RUNE_NN_MAX_DIMS);
    int32_t dims[RUNE_NN_MAX_DIMS];
    for (uint32_t i = 0; i < sv.n; i++)
        dims[i] = nn_fb_vec_i32(&sv, i);
    int type = nn_fb_i8(tt, 1, 0);
    t->type = (rune_nn_type)type;
    if (nn_type_size(t->type) == 0)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "tensor %d (%s) has unsupported type %s (%d)", ti,
                        t->name, rune_nn_type_name(t->type), type);
    st = nn_tensor_set_shape(t, (int)sv.n, dims, err);
    if (st) return rune_error_prefix(err, "tensor %d (%s)", ti, t->name);
    t->is_variable = nn_fb_u8(tt, 5, 0) != 0;
    if (nn_fb_has(tt, 6)) /* SparsityParameters: the data is not a dense array */
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "tensor %d (%s) is sparse (not supported)", ti,
                        t->name);
    nn_fb_table qt;
    res = nn_fb_table_field(tt, 4, &qt);
    if (res < 0) return fb_error(r->fb, err, "tensor quantization");
    if (res > 0 && (st = read_quant(r, t, ti, &qt, err))) return st;
    uint32_t bi = nn_fb_u32(tt, 2, 0);
    if (r->fb->bad) return fb_error(r->fb, err, "tensor");
    if (bi >= r->buffers.n && !(bi == 0 && r->buffers.n == 0))
        return INV("tensor %d (%s): buffer index %u out of range (%u buffers)", ti, t->name, bi,
                   r->buffers.n);
    return bi < r->buffers.n ? attach_buffer(r, t, ti, bi, err) : RUNE_OK;
}

static rune_status check_index(int32_t idx, int n_tensors, int optional, const char *what, int i,
                               rune_error *err)
{
    if ((optional && idx == NN_NO_TENSOR) || (idx >= 0 && idx < n_tensors)) return RUNE_OK;
    return INV("%s %d: tensor index %d out of range (%d tensors)", what, i, (int)idx, n_tensors);
}

static rune_status read_op(reader *r, nn_graph *g, nn_op *op, int oi, const nn_fb_table *ot,
                           rune_error *err)
{
    rune_status st;
    op->index = oi;
    uint32_t oc = nn_fb_u32(ot, 0, 0);
    if (r->fb->bad) return fb_error(r->fb, err, "operator");
    if (oc >= (uint32_t)r->n_opcodes)
        return INV("operator %d: opcode index %u out of range (%d codes)", oi, oc, r->n_opcodes);
    op->code = r->opcodes[oc].code;
    if ((st = read_int_list(r, ot, 1, "operator inputs", NN_MAX_OP_IO, &op->n_inputs, &op->inputs,
                            err)))
        return st;
    if ((st = read_int_list(r, ot, 2, "operator outputs", NN_MAX_OP_IO, &op->n_outputs,
                            &op->outputs, err)))
        return st;
    for (int i = 0; i < op->n_inputs; i++)
        if ((st = check_index(op->inputs[i], g->n_tensors, 1, "operator input", i, err)))
            return rune_error_prefix(err, "operator %d", oi);
    for (int i = 0; i < op->n_outputs; i++)
        if ((st = check_index(op->outputs[i], g->n_tensors, 0, "operator output", i, err)))
            return rune_error_prefix(err, "operator %d", oi);
    op->opts_type = nn_fb_u8(ot, 3, 0);
    int res = nn_fb_table_field(ot, 4, &op->opts);
    if (res < 0) return fb_error(r->fb, err, "operator options");
    op->has_opts = res > 0;
    op->kernel = nn_kernel_for(op->code);
    if (!op->kernel) {
        if (op->code == 32)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "unsupported custom op \"%s\" at operator %d",
                            r->opcodes[oc].custom, oi);
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "unsupported op %s (code %d) at operator %d",
                        nn_builtin_name(op->code), op->code, oi);
    }
    return RUNE_OK;
}

/* The operator order must be a schedule: inputs are constants, graph inputs, variables or outputs
 * of earlier operators; each tensor is produced once. */
static rune_status check_schedule(nn_model *m, nn_graph *g, int gi, rune_error *err)
{
    uint8_t *ready = nn_persist(m, (size_t)g->n_tensors + 1);
    if (!ready) return NOMEM();
    for (int i = 0; i < g->n_tensors; i++)
        ready[i] = g->tensors[i].data != NULL || g->tensors[i].is_variable;
    for (int i = 0; i < g->n_inputs; i++) {
        nn_tensor *t = &g->tensors[g->inputs[i]];
        if (t->data) return INV("subgraph %d: input %d (%s) is a constant", gi, i, t->name);
        t->is_input = 1;
        ready[g->inputs[i]] = 1;
    }
    for (int o = 0; o < g->n_ops; o++) {
        nn_op *op = &g->ops[o];
        for (int i = 0; i < op->n_inputs; i++) {
            int32_t ti = op->inputs[i];
            if (ti >= 0 && !ready[ti])
                return INV("subgraph %d: operator %d (%s) reads tensor %d (%s) before any earlier "
                           "operator produces it (cycle or bad order)",
                           gi, o, nn_builtin_name(op->code), (int)ti, g->tensors[ti].name);
        }
        for (int i = 0; i < op->n_outputs; i++) {
            int32_t ti = op->outputs[i];
            if (ready[ti])
                return INV("subgraph %d: operator %d (%s) writes tensor %d (%s), which is a "
                           "constant, an input or already produced",
                           gi, o, nn_builtin_name(op->code), (int)ti, g->tensors[ti].name);
            ready[ti] = 1;
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        nn_tensor *t = &g->tensors[g->outputs[i]];
        if (!ready[g->outputs[i]])
            return INV("subgraph %d: output %d (%s) is never produced", gi, i, t->name);
        t->is_output = 1;
    }
    return RUNE_OK;
}

static rune_status read_graph(reader *r, nn_graph *g, int gi, const nn_fb_table *gt,
                              rune_error *err)
{
    rune_status st;
    g->name = read_str(r, gt, 4);
    if (r->fb->bad) return fb_error(r->fb, err, "subgraph name");
    if (!g->name) return NOMEM();
    nn_fb_vec tv, ov;
    int rt = nn_fb_vec_field(gt, 0, 4, &tv), ro = nn_fb_vec_field(gt, 3, 4, &ov);
    if (rt < 0 || ro < 0) return fb_error(r->fb, err, "subgraph");
    if (tv.n > NN_MAX_TENSORS)
        return INV("subgraph %d has %u tensors (limit %d)", gi, tv.n, NN_MAX_TENSORS);
    if (ov.n > NN_MAX_OPS)
        return INV("subgraph %d has %u operators (limit %d)", gi, ov.n, NN_MAX_OPS);
    g->n_tensors = (int)tv.n;
    g->n_ops = (int)ov.n;
    g->tensors = nn_persist(r->m, sizeof(nn_tensor) * (tv.n ? tv.n : 1));
    g->ops = nn_persist(r->m, sizeof(nn_op) * (ov.n ? ov.n : 1));
    if (!g->tensors || !g->ops) return NOMEM();
    for (uint32_t i = 0; i < tv.n; i++) {
        nn_fb_table tt;
        if (!nn_fb_vec_table(&tv, i, &tt)) return fb_error(r->fb, err, "tensor");
        if ((st = read_tensor(r, &g->tensors[i], (int)i, &tt, err)))
            return gi ? rune_error_prefix(err, "subgraph %d", gi) : st;
    }
    if ((st = read_int_list(r, gt, 1, "subgraph inputs", NN_MAX_TENSORS, &g->n_inputs, &g->inputs,
                            err)) ||
        (st = read_int_list(r, gt, 2, "subgraph outputs", NN_MAX_TENSORS, &g->n_outputs,
                            &g->outputs, err)))
        return st;
    for (int i = 0; i < g->n_inputs; i++)
        if ((st = check_index(g->inputs[i], g->n_tensors, 0, "subgraph input", i, err))) return st;
    for (int i = 0; i < g->n_outputs; i++)
        if ((st = check_index(g->outputs[i], g->n_tensors, 0, "subgraph output", i, err)))
            return st;
    for (uint32_t i = 0; i < ov.n; i++) {
        nn_fb_table ot;
        if (!nn_fb_vec_table(&ov, i, &ot)) return fb_error(r->fb, err, "operator");
        if ((st = read_op(r, g, &g->ops[i], (int)i, &ot, err)))
            return gi ? rune_error_prefix(err, "subgraph %d", gi) : st;
    }
    return check_schedule(r->m, g, gi, err);
}

rune_status nn_read(nn_model *m, rune_error *err)
{
    rune_status st;
    reader r = {.m = m, .fb = &m->fb};
    nn_fb_table model;
    if (!nn_fb_root(&m->fb, "TFL3", &model)) return fb_error(&m->fb, err, "header");
    m->version = nn_fb_u32(&model, 0, 0);
    if (m->fb.bad) return fb_error(&m->fb, err, "model");
    if (m->version != 3)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "TFLite schema version %u (only 3 is supported)",
                        m->version);
    m->description = read_str(&r, &model, 3);
    if (m->fb.bad) return fb_error(&m->fb, err, "description");
    if (!m->description) return NOMEM();
    if ((st = read_opcodes(&r, &model, err))) return st;
    int res = nn_fb_vec_field(&model, 4, 4, &r.buffers);
    if (res < 0) return fb_error(&m->fb, err, "buffers");
    nn_fb_vec gv;
    res = nn_fb_vec_field(&model, 2, 4, &gv);
    if (res < 0) return fb_error(&m->fb, err, "subgraphs");
    if (gv.n == 0) return INV("model has no subgraph");
    if (gv.n > NN_MAX_GRAPHS) return INV("model has %u subgraphs (limit %d)", gv.n, NN_MAX_GRAPHS);
    m->n_graphs = (int)gv.n;
    m->graphs = nn_persist(m, sizeof(nn_graph) * gv.n);
    if (!m->graphs) return NOMEM();
    for (uint32_t i = 0; i < gv.n; i++) {
        nn_fb_table gt;
        if (!nn_fb_vec_table(&gv, i, &gt)) return fb_error(&m->fb, err, "subgraph");
        if ((st = read_graph(&r, &m->graphs[i], (int)i, &gt, err))) return st;
    }
    return RUNE_OK;
}

int rune_nn_unsupported_ops(const void *bytes, size_t len, int *codes, int max, rune_error *err)
{
    nn_fb fb = {.p = bytes, .len = bytes ? len : 0};
    nn_fb_table model;
    nn_fb_vec v;
    if (!nn_fb_root(&fb, "TFL3", &model) || nn_fb_vec_field(&model, 1, 4, &v) < 0) {
        fb_error(&fb, err, "operator_codes");
        return -1;
    }
    int found = 0;
    for (uint32_t i = 0; i < v.n; i++) {
        nn_fb_table oc;
        if (!nn_fb_vec_table(&v, i, &oc)) {
            fb_error(&fb, err, "operator code");
            return -1;
        }
        int dep = nn_fb_i8(&oc, 0, 0);
        int32_t bc = nn_fb_i32(&oc, 3, 0);
        int code = bc > dep ? bc : dep;
        if (nn_kernel_for(code)) continue;
        int seen = 0;
        for (int k = 0; k < found && k < max; k++)
            seen |= codes[k] == code;
        if (seen) continue;
        if (found < max && codes) codes[found] = code;
        found++;
    }
    return found;
}
