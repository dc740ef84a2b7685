/*
 * rune_guest.h - the guest SDK: what a rune's generated C calls to reach its host.
 *
 * Typed wrappers over the imports of rune/abi.h ("runic" capabilities, outputs, resources and logs;
 * "wasi_ephemeral_nn" models) that turn negative ABI codes into rune_status + rune_error, plus the
 * serial JSON and tensor-record writers and the export macro for _manifest/_call. Compiled to
 * wasm32 for runes (the imports become wasm imports) and natively for tests, where a test double
 * defines the runic_* / rune_nn_raw_* functions. Nothing here allocates: the JSON / record writer
 * uses one static buffer of RUNE_GUEST_OUT_MAX bytes.
 *
 * A generated rune looks like:
 *   static int32_t audio; static uint32_t model_ctx; static rune_pb_fft fft;
 *   RUNE_EXPORT("_manifest") int32_t rune_manifest(void) {
 *       rune_error err; rune_status st;
 *       if ((st = rune_capability_open(RUNE_CAP_SOUND, "hz=16000\nsamples=16000", &audio, &err)) ||
 *           (st = rune_pb_fft_init(&fft, fft_args, 2, &err)) || ...)
 *           return rune_guest_fail(st, &err);
 *       return 0;
 *   }
 *   RUNE_EXPORT("_call") int32_t rune_call(void) { ... read, transform, infer, write ... }
 */
#ifndef RUNE_GUEST_H
#define RUNE_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "rune/abi.h"
#include "rune/status.h"
#include "rune_tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__wasm__)
#define RUNE_IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))
#define RUNE_EXPORT(name) __attribute__((export_name(name), visibility("default")))
#else
#define RUNE_IMPORT(mod, name)
#define RUNE_EXPORT(name) __attribute__((visibility("default")))
#endif

/* Size of the static buffer the serial JSON and tensor-record writers format into. */
#ifndef RUNE_GUEST_OUT_MAX
#define RUNE_GUEST_OUT_MAX (128 * 1024)
#endif

/* ---- raw imports (rune/abi.h documents them); natively a test double provides them -------------
 */
RUNE_IMPORT("runic", "capability_open")
int32_t runic_capability_open(int32_t kind, const void *params, int32_t params_len);
RUNE_IMPORT("runic", "capability_read")
int32_t runic_capability_read(int32_t handle, void *buf, int32_t buf_len);
RUNE_IMPORT("runic", "capability_close") int32_t runic_capability_close(int32_t handle);
RUNE_IMPORT("runic", "output_open")
int32_t runic_output_open(int32_t kind, const void *params, int32_t params_len);
RUNE_IMPORT("runic", "output_write")
int32_t runic_output_write(int32_t handle, const void *data, int32_t len);
RUNE_IMPORT("runic", "output_close") int32_t runic_output_close(int32_t handle);
RUNE_IMPORT("runic", "resource_size")
int32_t runic_resource_size(const void *name, int32_t name_len);
RUNE_IMPORT("runic", "resource_read")
int32_t runic_resource_read(const void *name, int32_t name_len, int32_t offset, void *buf,
                            int32_t buf_len);
RUNE_IMPORT("runic", "log") void runic_log(int32_t level, const void *msg, int32_t len);

/* WASI-NN records as the witx ABI lays them out on wasm32 (8 and 20 bytes). */
typedef struct rune_nn_graph_builder {
    const uint8_t *ptr;
    uint32_t len;
} rune_nn_graph_builder;

typedef struct rune_nn_tensor {
    const uint32_t *dims;
    uint32_t dims_len;
    uint8_t type; /* rune_abi_nn_type */
    const uint8_t *data;
    uint32_t data_len;
} rune_nn_tensor;

#if defined(__wasm32__)
_Static_assert(sizeof(rune_nn_graph_builder) == 8, "graph_builder is 8 bytes on wasm32");
_Static_assert(sizeof(rune_nn_tensor) == RUNE_ABI_NN_TENSOR_SIZE, "tensor is 20 bytes on wasm32");
_Static_assert(offsetof(rune_nn_tensor, type) == RUNE_ABI_NN_TENSOR_TYPE, "tensor.type at 8");
_Static_assert(offsetof(rune_nn_tensor, data) == RUNE_ABI_NN_TENSOR_DATA_PTR, "tensor.data at 12");
#endif

RUNE_IMPORT("wasi_ephemeral_nn", "load")
int32_t rune_nn_raw_load(const rune_nn_graph_builder *builders, int32_t n, int32_t encoding,
                         int32_t target, uint32_t *graph_out);
RUNE_IMPORT("wasi_ephemeral_nn", "load_by_name")
int32_t rune_nn_raw_load_by_name(const char *name, int32_t name_len, uint32_t *graph_out);
RUNE_IMPORT("wasi_ephemeral_nn", "init_execution_context")
int32_t rune_nn_raw_init_execution_context(uint32_t graph, uint32_t *ctx_out);
RUNE_IMPORT("wasi_ephemeral_nn", "set_input")
int32_t rune_nn_raw_set_input(uint32_t ctx, uint32_t index, const rune_nn_tensor *tensor);
RUNE_IMPORT("wasi_ephemeral_nn", "compute") int32_t rune_nn_raw_compute(uint32_t ctx);
RUNE_IMPORT("wasi_ephemeral_nn", "get_output")
int32_t rune_nn_raw_get_output(uint32_t ctx, uint32_t index, void *out, uint32_t out_max,
                               uint32_t *bytes_written);

/* ---- capabilities ---------------------------------------------------------------------------- */

/* Open a capability; params is the key=value text of rune/abi.h (NULL = none). */
rune_status rune_capability_open(int32_t kind, const char *params, int32_t *handle,
                                 rune_error *err);
/* Read one reading into buf (cap bytes); *n = bytes written. */
rune_status rune_capability_read(int32_t handle, void *buf, size_t cap, size_t *n, rune_error *err);
/* Read exactly t->len bytes into t->data (a tensor of the capability's declared shape). */
rune_status rune_capability_read_tensor(int32_t handle, rune_tensor *t, rune_error *err);
rune_status rune_capability_close(int32_t handle, rune_error *err);

/* ---- outputs -------------------------------------------------------------------------------- */
rune_status rune_output_open(int32_t kind, const char *params, int32_t *handle, rune_error *err);
rune_status rune_output_write(int32_t handle, const void *data, size_t len, rune_error *err);
/* SERIAL: one JSON line {"name":NAME,"type":"f32","shape":[1,4],"data":[...]}. */
rune_status rune_output_serial_tensor(int32_t handle, const char *name, const rune_tensor *t,
                                      rune_error *err);
/* SERIAL: one JSON line {"name":NAME,"labels":["yes","no"]} from '\n'-separated text. */
rune_status rune_output_serial_labels(int32_t handle, const char *name, const char *text,
                                      size_t len, rune_error *err);
/* SERIAL: a JSON document the caller formatted. */
rune_status rune_output_serial_json(int32_t handle, const char *json, size_t len, rune_error *err);
/* TENSOR: one tensor record (u32 elem, u32 rank, u32 dims[rank], data). */
rune_status rune_output_tensor(int32_t handle, const rune_tensor *t, rune_error *err);

/* Format t as the JSON object rune_output_serial_tensor writes, into buf (NUL-terminated); *len is
 * the length. RUNE_E_LIMIT if it does not fit. Used by tests and by hosts that print tensors. */
rune_status rune_json_tensor(const char *name, const rune_tensor *t, char *buf, size_t cap,
                             size_t *len, rune_error *err);
rune_status rune_json_labels(const char *name, const char *text, size_t tlen, char *buf, size_t cap,
                             size_t *len, rune_error *err);

/* ---- resources and logs ---------------------------------------------------------------------- */
/* Size of resource name; then read up to cap bytes from offset into buf (*n = bytes read). */
rune_status rune_resource_size(const char *name, size_t *size, rune_error *err);
rune_status rune_resource_read(const char *name, size_t offset, void *buf, size_t cap, size_t *n,
                               rune_error *err);

/* printf-style log line at level (rune_abi_log_level); truncated at 512 bytes. */
void rune_log(int32_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- models (WASI-NN) ------------------------------------------------------------------------ */
/* Load a TFLite model from bytes the rune holds, or one the host knows by name. */
rune_status rune_nn_load(const uint8_t *model, size_t len, uint32_t *graph, rune_error *err);
rune_status rune_nn_load_by_name(const char *name, uint32_t *graph, rune_error *err);
rune_status rune_nn_init_context(uint32_t graph, uint32_t *ctx, rune_error *err);
/* t: F32 -> f32, U8/I8 -> u8 bytes, I32 -> i32; other element types are RUNE_E_UNSUPPORTED. */
rune_status rune_nn_set_input(uint32_t ctx, uint32_t index, const rune_tensor *t, rune_error *err);
rune_status rune_nn_compute(uint32_t ctx, rune_error *err);
/* Fill t->data (t->len bytes, type and shape set by the caller from the model's signature); the
 * host must write exactly t->len bytes. */
rune_status rune_nn_get_output(uint32_t ctx, uint32_t index, rune_tensor *t, rune_error *err);

/* ---- the generated pipeline's per-inference fast path -------------------------------------------
 * When every tensor has the shape the Runefile declared, the generated _call calls the raw imports
 * directly with arguments prepared once in _manifest (WASI-NN tensor descriptors, TENSOR record
 * headers in front of the data they describe), and only on a failure one of these, which build the
 * very rune_error the typed wrappers above would (they are those wrappers' own error paths):
 *   r = runic_capability_read(h, buf, n);   if (r != n) -> rune_capability_read_error(r, n, err)
 *   r = runic_output_write(h, rec, n);      if (r != n) -> rune_output_write_error(r, n, err)
 *   e = rune_nn_raw_set_input / compute(..) if (e)      -> rune_nn_error(e, "set_input", err)
 *   e = rune_nn_raw_get_output(.., &w);     if (e || w != n) -> rune_nn_get_output_error(..) */
rune_status rune_capability_read_error(int32_t r, size_t want, rune_error *err);
rune_status rune_output_write_error(int32_t r, size_t len, rune_error *err);
/* what: the import's name ("compute"), for the message "wasi-nn compute: runtime error (5)". */
rune_status rune_nn_error(int32_t e, const char *what, rune_error *err);
rune_status rune_nn_get_output_error(int32_t e, uint32_t index, uint32_t written, size_t want,
                                     rune_error *err);
/* Write t's TENSOR record header (u32 elem, u32 rank, u32 dims[rank], little-endian) at p; returns
 * its length, 8 + 4 * rank. The data (t->len bytes) follows it in a record. */
size_t rune_tensor_record_header(const rune_tensor *t, uint8_t *p);

/* ---- glue for _manifest / _call ------------------------------------------------------------ */
/* Map a runic status (negative) to rune_status and a message naming the call. */
rune_status rune_guest_status(int32_t abi, const char *what, rune_error *err);
/* Log err at ERROR and return the negative ABI code _manifest/_call should return for st. */
int32_t rune_guest_fail(rune_status st, const rune_error *err);

#ifdef __cplusplus
}
#endif
#endif
