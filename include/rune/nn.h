// clang-format off
/*
 * nn.h - the model engine of librune: TensorFlow Lite models (float32 and int8) read, planned and
 * run in one arena, with no allocation per inference.
 *
 *   rune_nn_model_load(bytes, len, &model, &err)    decode, check, prepare every op, plan the arena
 *   rune_nn_model_arena_size(model)                 exact arena bytes (tensors + kernel scratch)
 *   rune_nn_interp_create(model, arena, size, &it)  over a caller arena (arena NULL: one allocation)
 *   rune_nn_interp_set_input(it, i, data, len)      len must equal the tensor's byte size
 *   rune_nn_interp_invoke(it, &err)
 *   rune_nn_interp_output(it, i, &data, &len)       points into the arena, valid until next invoke
 *   free the interpreter, then the model. Every *_free accepts NULL.
 *
 * Ownership: the model keeps pointers into `bytes` (int8 weights are used in place): the bytes must
 * stay valid and unchanged until rune_nn_model_free, unless options.copy_bytes is set. Wider weights that are not aligned in the file
 * are copied once at load (see rune_nn_model_persistent_bytes). The model is read-only after load;
 * any number of interpreters (each with its own arena) may run it, one thread per interpreter.
 *
 * Errors: load refuses malformed files (RUNE_E_MALFORMED: truncated, bad identifier, offsets out of
 * the buffer), broken graphs (RUNE_E_INVALID: indices out of range, an operator reading a tensor
 * that no earlier operator produced, shapes that overflow, buffers shorter than their tensor, type
 * or shape mismatches) and ops the engine lacks (RUNE_E_UNSUPPORTED: "unsupported op LSTM (code 16)
 * at operator 3"). Data travels as bytes: int8 tensors as their raw bytes, float32 in host order.
 */
// clang-format on
#ifndef RUNE_NN_H
#define RUNE_NN_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tensor element types, numbered as TFLite's TensorType. */
typedef enum rune_nn_type {
    RUNE_NN_FLOAT32 = 0,
    RUNE_NN_FLOAT16 = 1,
    RUNE_NN_INT32 = 2,
    RUNE_NN_UINT8 = 3,
    RUNE_NN_INT64 = 4,
    RUNE_NN_STRING = 5,
    RUNE_NN_BOOL = 6,
    RUNE_NN_INT16 = 7,
    RUNE_NN_COMPLEX64 = 8,
    RUNE_NN_INT8 = 9,
    RUNE_NN_FLOAT64 = 10,
} rune_nn_type;

/* "float32", "int8", ...; "unknown" otherwise. */
const char *rune_nn_type_name(rune_nn_type type);

/* Most dimensions a tensor may have (more is refused at load). */
#define RUNE_NN_MAX_DIMS 6

typedef struct rune_nn_model rune_nn_model;
typedef struct rune_nn_interp rune_nn_interp;

typedef struct rune_nn_options {
    int reference;    /* use the plain reference kernels instead of the optimized ones */
    int fast_path;    /* allow the XNNPACK fast path where built and where it matches exactly */
    int keep_tensors; /* give every tensor its own arena memory so every intermediate can be
                         read after invoke (bigger arena; for debugging and tests) */
    int copy_bytes;   /* copy the file once at load (aligned), so the caller may free its bytes
                         right after load; counted in rune_nn_model_persistent_bytes */
} rune_nn_options;

/* Load with default options (optimized portable kernels, no fast path, tensors share memory). */
rune_status rune_nn_model_load(const void *bytes, size_t len, rune_nn_model **out, rune_error *err);
rune_status rune_nn_model_load_ex(const void *bytes, size_t len, const rune_nn_options *opts,
                                  rune_nn_model **out, rune_error *err);
void rune_nn_model_free(rune_nn_model *model);

typedef struct rune_nn_tensor_info {
    int index;        /* tensor index in the main graph */
    const char *name; /* owned by the model */
    rune_nn_type type;
    int ndims;
    int32_t dims[RUNE_NN_MAX_DIMS];
    size_t n_elems;
    size_t bytes;
    float scale; /* per-tensor scale (or the first channel's), 0 if not quantized */
    int32_t zero_point;
    int n_channels;              /* count of scales: 0 none, 1 per-tensor, >1 per-channel */
    int quant_axis;              /* per-channel axis */
    const float *channel_scales; /* n_channels entries, owned by the model */
    const int32_t *channel_zero_points;
    int is_const;
} rune_nn_tensor_info;

int rune_nn_model_input_count(const rune_nn_model *model);
int rune_nn_model_output_count(const rune_nn_model *model);
int rune_nn_model_tensor_count(const rune_nn_model *model);
/* Describe input/output i (0-based) or any tensor of the main graph; RUNE_E_ARG when out of range.
 */
rune_status rune_nn_model_input(const rune_nn_model *model, int i, rune_nn_tensor_info *out,
                                rune_error *err);
rune_status rune_nn_model_output(const rune_nn_model *model, int i, rune_nn_tensor_info *out,
                                 rune_error *err);
rune_status rune_nn_model_tensor(const rune_nn_model *model, int tensor, rune_nn_tensor_info *out,
                                 rune_error *err);
/* Input/output position of a tensor name, or -1. */
int rune_nn_model_find_input(const rune_nn_model *model, const char *name);
int rune_nn_model_find_output(const rune_nn_model *model, const char *name);

size_t rune_nn_model_arena_size(const rune_nn_model *model);
/* Bytes the model allocated at load besides the caller's file (prepared params, copies, names). */
size_t rune_nn_model_persistent_bytes(const rune_nn_model *model);
uint64_t rune_nn_model_macs(const rune_nn_model *model);
uint32_t rune_nn_model_version(const rune_nn_model *model);
int rune_nn_model_subgraph_count(const rune_nn_model *model);

typedef struct rune_nn_op_info {
    int code;         /* builtin code */
    const char *name; /* "CONV_2D" */
    int n_inputs, n_outputs;
    const int32_t *inputs; /* tensor indices (-1 = absent optional input), owned by the model */
    const int32_t *outputs;
    uint64_t macs;
    size_t scratch_bytes;
    int fast; /* runs on the fast path */
} rune_nn_op_info;

int rune_nn_model_op_count(const rune_nn_model *model);
rune_status rune_nn_model_op(const rune_nn_model *model, int i, rune_nn_op_info *out,
                             rune_error *err);
/* Name of a TFLite builtin op code ("LSTM" for 16), "UNKNOWN" if out of TFLite's list. */
const char *rune_nn_builtin_name(int code);
/* 1 if the engine implements builtin code. */
int rune_nn_op_supported(int code);

/* Survey a file without preparing it: every op code it uses that the engine lacks, for tools that
 * want to list them all (load stops at the first). Fills up to max codes; returns the count found,
 * or -1 when the file does not decode (err says why). */
int rune_nn_unsupported_ops(const void *bytes, size_t len, int *codes, int max, rune_error *err);

/* Interpreter over an arena of at least rune_nn_model_arena_size bytes aligned to
 * RUNE_NN_ARENA_ALIGN (config.h); arena NULL makes the interpreter allocate one (freed with it).
 * The model must outlive the interpreter. */
rune_status rune_nn_interp_create(const rune_nn_model *model, void *arena, size_t arena_len,
                                  rune_nn_interp **out, rune_error *err);
void rune_nn_interp_free(rune_nn_interp *it);

/* Copy len bytes into input i; len must equal the tensor's bytes (RUNE_E_ARG otherwise).
 * Inputs share arena memory with later tensors once their last reader has run: set every input
 * again before each invoke. */
rune_status rune_nn_interp_set_input(rune_nn_interp *it, int i, const void *data, size_t len,
                                     rune_error *err);
/* Where input i lives in the arena (to fill in place), and its size. */
void *rune_nn_interp_input_data(rune_nn_interp *it, int i, size_t *len);
rune_status rune_nn_interp_invoke(rune_nn_interp *it, rune_error *err);
/* Output i after invoke: pointer into the arena and its byte size. */
rune_status rune_nn_interp_output(const rune_nn_interp *it, int i, const void **data, size_t *len,
                                  rune_error *err);
/* Copy output i into dst (cap bytes): RUNE_E_ARG when cap is smaller than the tensor; *written
 * (may be NULL) gets the byte count. The form WASI-NN's get_output needs. */
rune_status rune_nn_interp_get_output(const rune_nn_interp *it, int i, void *dst, size_t cap,
                                      size_t *written, rune_error *err);
/* Data of any tensor of the main graph (constants: the weights). After invoke an intermediate
 * tensor holds its value only while no later tensor shared its memory: the last op's inputs and
 * the graph outputs always do; load with keep_tensors for all of them. NULL if out of range. */
const void *rune_nn_interp_tensor_data(const rune_nn_interp *it, int tensor, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
