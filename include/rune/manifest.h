/*
 * manifest.h - the rune manifest: what a rune is, needs and contains, as a C struct and as JSON.
 *
 * The manifest travels in the rune's `rune.manifest` custom section (see container.h) and in the
 * "org.runic.manifest" annotation of its OCI manifest (see registry.h). JSON shape (schema 1):
 *
 *   { "schema": 1, "name": "microspeech", "version": "0.1.0", "base": "runicos/base",
 *     "capabilities": [ { "name": "audio", "kind": "SOUND", "args": {"hz": "16000"},
 *                         "outputs": [ {"type": "i16", "shape": [16000]} ] } ],
 *     "proc_blocks":  [ { "name": "fft", "path": "runicos/fft", "args": {}, "inputs": [...],
 *                         "outputs": [...] } ],
 *     "models":       [ { "name": "model", "format": "tflite", "digest": "sha256:<64 hex>",
 *                         "size": 18712, "inputs": [...], "outputs": [...] } ],
 *     "outputs":      [ { "name": "serial", "kind": "SERIAL", "args": {}, "inputs": [...] } ],
 *     "resources":    [ { "name": "labels", "digest": "sha256:<64 hex>", "size": 21 } ],
 *     "pipeline":     [ { "from": "audio", "from_port": 0, "to": "fft", "to_port": 0 } ],
 *     "memory":       { "min_pages": 2, "max_pages": 256, "arena_bytes": 10240 },
 *     "build":        { "tool": "rune 0.1.0", "runefile_digest": "sha256:..." } }
 *
 * Tensor types: "type" is one of u8 i8 i16 i32 i64 f32 f64 utf8; "shape" an array of dimensions.
 * Argument values are strings (a JSON number or boolean is accepted on decode and kept as its
 * text).
 *
 * Decoding is strict about types and lenient about the unknown: a field of the wrong type is
 * refused with its JSON path ("models[1].digest: expected a string"); unknown fields are ignored so
 * older readers accept newer manifests of the same schema; a higher schema number is
 * RUNE_E_UNSUPPORTED.
 *
 * Encoding is canonical: object keys in sorted order, no whitespace, argument keys sorted, arrays
 * in the order of the struct. Encoding a decoded manifest gives the same bytes whatever the input's
 * key order or spacing was, so digests over manifests are reproducible.
 *
 * Ownership: a rune_manifest owns every string and array it points to (all from rune_malloc);
 * rune_manifest_free releases them and accepts NULL. Build one by hand with rune_calloc'd arrays
 * and rune_strdup'd strings, or through the rune_manifest_add_* helpers.
 */
#ifndef RUNE_MANIFEST_H
#define RUNE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RUNE_MANIFEST_SCHEMA 1

/* Limits that keep a hostile manifest from costing more than milliseconds to check (name
 * uniqueness and edge checks are quadratic); real pipelines have a handful of each. Exceeding one
 * is RUNE_E_LIMIT. */
#ifndef RUNE_MANIFEST_MAX_STAGES
#define RUNE_MANIFEST_MAX_STAGES 1024 /* per list (capabilities, models, ...) */
#endif
#ifndef RUNE_MANIFEST_MAX_EDGES
#define RUNE_MANIFEST_MAX_EDGES 4096
#endif
#ifndef RUNE_MANIFEST_MAX_ARGS
#define RUNE_MANIFEST_MAX_ARGS 256 /* per stage, and build entries */
#endif
#ifndef RUNE_MANIFEST_MAX_PORTS
#define RUNE_MANIFEST_MAX_PORTS 64 /* tensor types per stage side */
#endif
/* "sha256:" + 64 hex digits + NUL */
#define RUNE_DIGEST_STR_LEN 72

typedef enum rune_dtype {
    RUNE_DTYPE_U8 = 0,
    RUNE_DTYPE_I8,
    RUNE_DTYPE_I16,
    RUNE_DTYPE_I32,
    RUNE_DTYPE_I64,
    RUNE_DTYPE_F32,
    RUNE_DTYPE_F64,
    RUNE_DTYPE_UTF8,
    RUNE_DTYPE_U16, /* appended: the values above keep their numbers */
    RUNE_DTYPE_U32,
    RUNE_DTYPE_COUNT
} rune_dtype;

/* "u8", "i8", ... ; rune_dtype_parse returns -1 for an unknown name. */
const char *rune_dtype_name(rune_dtype t);
int rune_dtype_parse(const char *name);

#define RUNE_TENSOR_MAX_DIMS 8

typedef struct rune_tensor_type {
    rune_dtype dtype;
    uint32_t ndims;
    uint32_t dims[RUNE_TENSOR_MAX_DIMS];
} rune_tensor_type;

typedef struct rune_manifest_arg {
    char *key;
    char *value;
} rune_manifest_arg;

/* One stage of the pipeline. Which fields mean something depends on the list it sits in:
 *   capabilities: name, kind ("SOUND", "IMAGE", "RAW", ...), args, outputs
 *   proc_blocks:  name, kind = path ("runicos/fft"), args, inputs, outputs
 *   models:       name, kind = format ("tflite"), digest, size, inputs, outputs
 *   outputs:      name, kind ("SERIAL", ...), args, inputs
 *   resources:    name, digest, size */
typedef struct rune_manifest_stage {
    char *name;
    char *kind;
    rune_manifest_arg *args;
    size_t nargs;
    rune_tensor_type *inputs;
    size_t ninputs;
    rune_tensor_type *outputs;
    size_t noutputs;
    char digest[RUNE_DIGEST_STR_LEN]; /* models, resources: "sha256:<hex>", "" if not yet known */
    uint64_t size;                    /* models, resources: byte length */
} rune_manifest_stage;

typedef struct rune_manifest_edge {
    char *from;
    uint32_t from_port;
    char *to;
    uint32_t to_port;
} rune_manifest_edge;

typedef struct rune_manifest {
    uint32_t schema; /* RUNE_MANIFEST_SCHEMA when encoded */
    char *name;      /* required, non-empty */
    char *version;   /* required, non-empty */
    char *base;      /* may be NULL */
    rune_manifest_stage *capabilities;
    size_t ncapabilities;
    rune_manifest_stage *proc_blocks;
    size_t nproc_blocks;
    rune_manifest_stage *models;
    size_t nmodels;
    rune_manifest_stage *outputs;
    size_t noutputs;
    rune_manifest_stage *resources;
    size_t nresources;
    rune_manifest_edge *pipeline;
    size_t npipeline;
    uint32_t min_pages, max_pages; /* linear memory, 64 KiB pages; 0 = unspecified */
    uint64_t arena_bytes;          /* model arena; 0 = unspecified */
    rune_manifest_arg *build;      /* free-form build info, e.g. tool, runefile_digest */
    size_t nbuild;
} rune_manifest;

/* Parse JSON (len bytes, need not be NUL-terminated) into a fresh manifest (*out, caller frees). */
rune_status rune_manifest_decode(const char *json, size_t len, rune_manifest **out,
                                 rune_error *err);

/* Canonical JSON of m: *out is a NUL-terminated rune_malloc'd string (caller rune_frees), *out_len
 * its length. Refuses a manifest that breaks the rules the decoder checks (RUNE_E_INVALID). */
rune_status rune_manifest_encode(const rune_manifest *m, char **out, size_t *out_len,
                                 rune_error *err);

/* Check the rules both directions share: name and version non-empty, stage names unique within
 * their list and non-empty, digests well-formed, edges naming existing stages. */
rune_status rune_manifest_check(const rune_manifest *m, rune_error *err);

/* An empty manifest with name and version (copied). */
rune_status rune_manifest_new(const char *name, const char *version, rune_manifest **out,
                              rune_error *err);
/* Append a stage (name and kind copied; kind may be NULL) to one of the lists; *out_stage (may be
 * NULL) points at the new element and stays valid until the next append to the same list. */
typedef enum rune_manifest_list {
    RUNE_LIST_CAPABILITIES,
    RUNE_LIST_PROC_BLOCKS,
    RUNE_LIST_MODELS,
    RUNE_LIST_OUTPUTS,
    RUNE_LIST_RESOURCES
} rune_manifest_list;
rune_status rune_manifest_add_stage(rune_manifest *m, rune_manifest_list list, const char *name,
                                    const char *kind, rune_manifest_stage **out_stage,
                                    rune_error *err);
rune_status rune_manifest_stage_add_arg(rune_manifest_stage *s, const char *key, const char *value,
                                        rune_error *err);
rune_status rune_manifest_stage_add_tensor(rune_manifest_stage *s, int output,
                                           const rune_tensor_type *t, rune_error *err);
rune_status rune_manifest_add_edge(rune_manifest *m, const char *from, uint32_t from_port,
                                   const char *to, uint32_t to_port, rune_error *err);
rune_status rune_manifest_add_build(rune_manifest *m, const char *key, const char *value,
                                    rune_error *err);

/* The stage of that name in a list, or NULL. */
rune_manifest_stage *rune_manifest_find(const rune_manifest *m, rune_manifest_list list,
                                        const char *name);

void rune_manifest_free(rune_manifest *m);

#ifdef __cplusplus
}
#endif
#endif
