/*
 * nn_int.h - internals of the model engine shared by its own files (reader, planner, interpreter,
 * kernels in src/nn/kernels/, the XNNPACK fast path in src/nn/xnn/). Not installed.
 *
 * Workload: TFLite models of the TinyML kind (tens to a few hundred operators, up to a few thousand
 * tensors, weights up to a few MB) loaded once and invoked many times with no allocation per
 * inference.
 *
 * Life of a model:
 * - load: nn_read (reader.c) decodes the FlatBuffer with the bounds-checked accessors below into
 *   nn_model / nn_graph / nn_tensor / nn_op; every operator's code is looked up in the registry
 *   (ops.def); unknown ops are refused with their name.
 * - prepare: for each operator of the main graph in order, kernel->prepare checks input/output
 *   types and shapes, precomputes what eval needs (multipliers, packed weights) into memory from
 *   nn_persist() (owned by the model, counted in model->persistent_bytes), and sets op->params,
 *   op->scratch_bytes (arena scratch live only during this op) and op->macs.
 * - plan: planner.c gives every non-constant tensor and every op's scratch an offset in one arena
 *   from their lifetimes; model->arena_size is exact before the first inference.
 * - invoke: the interpreter calls kernel->eval (or eval_ref, the plain reference twin, when the
 *   model was loaded with options.reference) for each op in order. eval never allocates.
 *
 * Kernel contract (one nn_kernel per builtin op, registered in ops.def):
 * - prepare(m, g, op, err): may read op->opts (builtin options table; op->has_opts says if it is
 *   present); must check every input/output it uses (type, rank, shape consistency,
 *   quantization); may set output tensor dims if the model left them to be computed (keeping
 *   bytes and n_elems in step through nn_tensor_set_shape); returns RUNE_E_INVALID/UNSUPPORTED
 *   with a clear message ("input 0 must be int8, got float32"); the loader prefixes
 *   "operator N (NAME): ".
 * - eval(x, op): tensors' data through nn_data(), scratch at nn_scratch(x, op). Returns RUNE_OK;
 *   an error only for conditions prepare could not check.
 *
 * Constant tensors: t->data points at the weights. Weights of 1-byte types are used in place inside
 * the caller's model bytes (which must outlive the model); wider types (float32, int32 bias, int64)
 * are used in place when the file placed them at an address aligned to their element size, and
 * otherwise copied once at load into persistent memory. So a kernel may read t->data through a
 * pointer of the tensor's element type.
 */
#ifndef RUNE_NN_INT_H
#define RUNE_NN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rune/nn.h"
#include "rune/status.h"

/* ---------------------------------------------------------------------------------------------------
 * Bounds-checked FlatBuffer accessors (fb.c). Nothing in the bytes is trusted: every offset,
 * vtable, vector length and string is checked against the buffer before use; loads are
 * byte-assembled little-endian so unaligned data is fine. A failed check sets fb->bad (sticky) with
 * a description and the accessor returns its default / "absent", so a reader can test fb->bad once
 * per table.
 *
 *   table:  [soffset32 to vtable][fields...]   vtable: [u16 vt_len][u16 tbl_len][u16 field offs...]
 *   offset fields (table, vector, string) hold a u32 relative to the field's own position;
 *   vector: [u32 n][n elements]   string: [u32 n][n bytes][0]
 *   a union takes two field ids: type (u8) then value (offset to table).
 * ------------------------------------------------------------------------------------------------
 */
typedef struct nn_fb {
    const uint8_t *p;
    size_t len;
    int bad;       /* set by the first failed check */
    char what[96]; /* what failed, e.g. "vector at 1234 runs past the end" */
} nn_fb;

typedef struct nn_fb_table {
    nn_fb *fb;
    size_t pos; /* table start (position of its soffset) */
    size_t vt;  /* vtable position */
    uint16_t vt_len;
    uint16_t tbl_len;
} nn_fb_table;

typedef struct nn_fb_vec {
    nn_fb *fb;
    size_t pos; /* position of element 0 */
    uint32_t n;
    size_t elem; /* element size in bytes */
} nn_fb_vec;

static inline uint16_t nn_ld_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t nn_ld_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t nn_ld_u64(const uint8_t *p)
{
    return (uint64_t)nn_ld_u32(p) | ((uint64_t)nn_ld_u32(p + 4) << 32);
}
float nn_ld_f32(const uint8_t *p);

/* Mark fb bad (first message wins). Returns 0 so it can end an accessor. */
int nn_fb_fail(nn_fb *fb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The root table, after checking the size and (when ident != NULL) the 4-byte file identifier.
 * Returns 1 ok, 0 bad (fb->what says why). */
int nn_fb_root(nn_fb *fb, const char *ident, nn_fb_table *out);
/* Field presence and scalar fields (def when absent or when the table is bad). */
int nn_fb_has(const nn_fb_table *t, int field);
uint8_t nn_fb_u8(const nn_fb_table *t, int field, uint8_t def);
int8_t nn_fb_i8(const nn_fb_table *t, int field, int8_t def);
int32_t nn_fb_i32(const nn_fb_table *t, int field, int32_t def);
uint32_t nn_fb_u32(const nn_fb_table *t, int field, uint32_t def);
uint64_t nn_fb_u64(const nn_fb_table *t, int field, uint64_t def);
float nn_fb_f32(const nn_fb_table *t, int field, float def);
/* Offset fields: return 1 present (out filled), 0 absent, -1 malformed (fb->bad set). */
int nn_fb_table_field(const nn_fb_table *t, int field, nn_fb_table *out);
int nn_fb_vec_field(const nn_fb_table *t, int field, size_t elem, nn_fb_vec *out);
int nn_fb_str_field(const nn_fb_table *t, int field, const char **s, uint32_t *len);
/* Vector elements (i < v->n is the caller's job; the vector itself was bounds-checked). */
static inline const uint8_t *nn_fb_vec_at(const nn_fb_vec *v, uint32_t i)
{
    return v->fb->p + v->pos + (size_t)i * v->elem;
}
static inline int32_t nn_fb_vec_i32(const nn_fb_vec *v, uint32_t i)
{
    return (int32_t)nn_ld_u32(nn_fb_vec_at(v, i));
}
int64_t nn_fb_vec_i64(const nn_fb_vec *v, uint32_t i);
float nn_fb_vec_f32(const nn_fb_vec *v, uint32_t i);
/* Element i of a vector of tables (elem 4). 1 ok, 0 bad. */
int nn_fb_vec_table(const nn_fb_vec *v, uint32_t i, nn_fb_table *out);

/* ---------------------------------------------------------------------------------------------------
 * The model.
 * ------------------------------------------------------------------------------------------------
 */
#define NN_NO_TENSOR (-1) /* an optional operator input that is absent */
#define NN_NO_OFFSET ((size_t)-1)

typedef struct nn_quant {
    int n;               /* 0 none, 1 per-tensor, >1 per-channel (n = dims[axis]) */
    int axis;            /* quantized_dimension */
    float *scale;        /* n entries, persistent */
    int32_t *zero_point; /* n entries, persistent */
} nn_quant;

typedef struct nn_tensor {
    rune_nn_type type;
    int ndims;
    int32_t dims[RUNE_NN_MAX_DIMS];
    size_t n_elems;
    size_t bytes;
    const char *name; /* NUL-terminated, persistent; "" when the file has none */
    nn_quant q;
    float scale;        /* q.scale[0] or 0 */
    int32_t zero_point; /* q.zero_point[0] or 0 */
    const void *data;   /* constant data (see the header comment), NULL when in the arena */
    int is_variable;
    int is_input, is_output; /* of the graph */
    int first_op, last_op;   /* lifetime in op indices (planner); -1 if unused */
    size_t offset;           /* arena offset, NN_NO_OFFSET for constants / unused tensors */
} nn_tensor;

typedef struct rune_nn_model nn_model; /* defined below */
struct nn_graph;
struct nn_op;

typedef struct nn_exec {
    const nn_model *model;
    const struct nn_graph *g;
    uint8_t *arena;
} nn_exec;

typedef struct nn_kernel {
    rune_status (*prepare)(nn_model *m, struct nn_graph *g, struct nn_op *op, rune_error *err);
    rune_status (*eval)(const nn_exec *x, const struct nn_op *op);
    rune_status (*eval_ref)(const nn_exec *x, const struct nn_op *op); /* may be NULL */
} nn_kernel;

typedef struct nn_op {
    int index; /* in the graph */
    int code;  /* builtin code: max(builtin_code, deprecated_builtin_code) */
    const nn_kernel *kernel;
    int n_inputs, n_outputs;
    int32_t *inputs; /* tensor indices, NN_NO_TENSOR for an absent optional input */
    int32_t *outputs;
    nn_fb_table opts; /* builtin options table (valid when has_opts) */
    int has_opts;
    uint8_t opts_type;     /* BuiltinOptions union type */
    void *params;          /* set by prepare, persistent */
    size_t scratch_bytes;  /* set by prepare */
    size_t scratch_offset; /* set by the planner */
    uint64_t macs;         /* set by prepare (0 for data movement) */
    /* Fast path (src/nn/xnn/): when set, the interpreter calls fast_eval instead of kernel->eval.
     */
    rune_status (*fast_eval)(const nn_exec *x, const struct nn_op *op);
    void *fast_state;
    void (*fast_free)(void *fast_state);
} nn_op;

typedef struct nn_graph {
    const char *name;
    int n_tensors;
    nn_tensor *tensors;
    int n_ops;
    nn_op *ops;
    int n_inputs, n_outputs;
    int32_t *inputs, *outputs;
} nn_graph;

typedef struct nn_block nn_block; /* persistent allocation list (model.c) */

struct rune_nn_model {
    nn_fb fb;
    rune_nn_options opts;
    uint32_t version;
    const char *description;
    int n_graphs;
    nn_graph *graphs;        /* graphs[0] is the one that runs */
    size_t arena_size;       /* tensors + scratch, aligned to RUNE_NN_ARENA_ALIGN */
    size_t persistent_bytes; /* model-owned memory made at load (params, copies, names) */
    uint64_t macs;
    nn_block *blocks;
};

/* Zeroed persistent memory owned by the model, aligned to RUNE_NN_ARENA_ALIGN; NULL when out of
 * memory (the caller returns RUNE_E_NOMEM). Freed with the model. */
void *nn_persist(nn_model *m, size_t size);

/* Data of tensor t during eval. */
static inline void *nn_data(const nn_exec *x, const nn_tensor *t)
{
    return t->data ? (void *)(uintptr_t)t->data : (void *)(x->arena + t->offset);
}
static inline void *nn_scratch(const nn_exec *x, const nn_op *op)
{
    return x->arena + op->scratch_offset;
}
/* Input/output i of op as a tensor, NULL when i is out of range or the input is absent. */
static inline nn_tensor *nn_in(const nn_graph *g, const nn_op *op, int i)
{
    if (i < 0 || i >= op->n_inputs || op->inputs[i] < 0) return NULL;
    return &g->tensors[op->inputs[i]];
}
static inline nn_tensor *nn_out(const nn_graph *g, const nn_op *op, int i)
{
    if (i < 0 || i >= op->n_outputs || op->outputs[i] < 0) return NULL;
    return &g->tensors[op->outputs[i]];
}

/* Element size of a type (0 for types the engine does not hold in memory, e.g. string). */
size_t nn_type_size(rune_nn_type type);
/* Set dims and recompute n_elems/bytes; RUNE_E_INVALID on a negative dim or overflow. */
rune_status nn_tensor_set_shape(nn_tensor *t, int ndims, const int32_t *dims, rune_error *err);
/* 1 when a and b have the same rank and dims. */
int nn_same_shape(const nn_tensor *a, const nn_tensor *b);

/* ---------------------------------------------------------------------------------------------------
 * Checks used by prepare (check.c); each fills err with "<what> must be ..., got ..." on failure.
 * ------------------------------------------------------------------------------------------------
 */
rune_status nn_check_io(const nn_graph *g, const nn_op *op, int min_in, int max_in, int n_out,
                        rune_error *err);
rune_status nn_check_type(const nn_tensor *t, const char *what, rune_nn_type want, rune_error *err);
rune_status nn_check_rank(const nn_tensor *t, const char *what, int ndims, rune_error *err);
/* Per-tensor quantization present with scale > 0 (int8 tensors). */
rune_status nn_check_quant(const nn_tensor *t, const char *what, rune_error *err);

/* ---------------------------------------------------------------------------------------------------
 * TFLite reference arithmetic (quant.c and inline here): fixed-point requantization exactly as
 * TFLite's QuantizeMultiplier / SaturatingRoundingDoublingHighMul / RoundingDivideByPOT.
 * ------------------------------------------------------------------------------------------------
 */
enum nn_activation {
    NN_ACT_NONE = 0,
    NN_ACT_RELU = 1,
    NN_ACT_RELU_N1_TO_1 = 2,
    NN_ACT_RELU6 = 3,
    NN_ACT_TANH = 4,
    NN_ACT_SIGN_BIT = 5,
};
enum nn_padding { NN_PAD_SAME = 0, NN_PAD_VALID = 1 };

/* real_multiplier -> (q, shift) with real = q * 2^(shift - 31), q in [2^30, 2^31); 0 -> (0, 0). */
void nn_quantize_multiplier(double real_multiplier, int32_t *q, int *shift);
/* Activation clamp for int8 output of scale/zero point; RUNE_E_UNSUPPORTED for TANH/SIGN_BIT. */
rune_status nn_act_range_int8(int act, float scale, int32_t zp, int32_t *lo, int32_t *hi,
                              rune_error *err);
rune_status nn_act_range_f32(int act, float *lo, float *hi, rune_error *err);
/* SAME/VALID output size and the padding before (TFLite's ComputePaddingHeightWidth). */
int nn_conv_out_size(int padding, int in, int filter, int stride, int dilation);
int nn_conv_pad(int padding, int in, int filter, int stride, int dilation, int out);

static inline int32_t nn_srdhm(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}
static inline int32_t nn_rdbpot(int32_t x, int exponent)
{
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}
/* a + b modulo 2^32: int32 accumulation without undefined behaviour on hostile weights. */
static inline int32_t nn_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}
/* TFLite's MultiplyByQuantizedMultiplier (the double-rounding form the int8 reference kernels use):
 * nn_rdbpot(nn_srdhm(x << left, q), right), computed without branches on the hot path. For
 * SRDHM, (ab + nudge) / 2^31 with truncation equals (ab + 2^30) >> 31 with an arithmetic shift for
 * either sign of ab; RDBPOT's round-half-away-from-zero equals (s + 2^(e-1) - (s < 0)) >> e.
 * test_nn_kernels compares this with the composed definitions. */
static inline int32_t nn_mbqm(int32_t x, int32_t q, int shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int32_t a = (int32_t)((uint32_t)x << left);
    if (a == INT32_MIN && q == INT32_MIN) return nn_rdbpot(INT32_MAX, right);
    int32_t s = (int32_t)(((int64_t)a * q + ((int64_t)1 << 30)) >> 31);
    if (right == 0) return s;
    return (int32_t)(((int64_t)s + ((int64_t)1 << (right - 1)) - (s < 0)) >> right);
}

/* ---------------------------------------------------------------------------------------------------
 * Registry (ops.def, ops.c) and the builtin names table (names.c).
 * ------------------------------------------------------------------------------------------------
 */
#define NN_OP(code, name, kernel) extern const nn_kernel kernel;
#include "ops.def"
#undef NN_OP

/* Kernel of a builtin code, NULL when the engine does not implement it. */
const nn_kernel *nn_kernel_for(int code);
/* "FULLY_CONNECTED" for 9, ...; "UNKNOWN" for codes outside TFLite's list. Never NULL. */
const char *nn_builtin_name(int code);

/* Fast-path hook: implemented in src/nn/xnn/ when built with RUNE_NN_XNNPACK. Called after the
 * portable prepare of each op when options.fast_path is set; may set op->fast_eval/fast_state, and
 * leaves the op alone (returning RUNE_OK) when it does not take it. */
#ifdef RUNE_NN_XNNPACK
rune_status nn_xnn_prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err);
#endif

/* Planner (planner.c): offsets for every arena tensor and scratch of graph g; sets m->arena_size.
 */
rune_status nn_plan(nn_model *m, nn_graph *g, rune_error *err);
/* Reader (reader.c): decode m->fb into m (graphs, tensors, ops); no prepare. */
rune_status nn_read(nn_model *m, rune_error *err);

#endif
