/*
 * container.h - the .rune file: a valid WebAssembly module that carries its manifest, models and
 * resources in custom sections, so any wasm tool (wasm-objdump -h) can open it.
 *
 *   +-------------------------------+
 *   | \0asm 01 00 00 00             |  wasm header
 *   | type/import/func/.../code ... |  the pipeline module, untouched
 *   | custom "rune.manifest"        |  canonical manifest JSON (manifest.h)
 *   | custom "rune.model.NAME"      |  one per manifest model, raw model bytes (e.g. a .tflite)
 *   | custom "rune.resource.NAME"   |  one per manifest resource, raw bytes
 *   |   (each of the two above may  |
 *   |    follow a "rune.pad")       |
 *   | custom "rune.signature"       |  optional, see sign.h
 *   +-------------------------------+
 *
 * A custom section is: byte 0x00, u32 LEB128 size, u32 LEB128 name length, name (UTF-8), payload.
 *
 * Alignment: the writer puts every model and resource payload at a file offset that is a multiple
 * of RUNE_CONTAINER_ALIGN (16), inserting a "rune.pad" section (11 to 26 bytes, payload zeros) where
 * needed. A rune read into 16-aligned memory (malloc, mmap) then has its models' tensors aligned,
 * so the model engine uses weights in place instead of copying them into RAM. The reader does not
 * require alignment (older runes still open); rune.pad is one of the unknown sections it ignores.
 *
 * The rune digest: SHA-256 over the file's bytes with the whole rune.signature section removed
 * (from its id byte to its last payload byte); with no signature section, SHA-256 over the whole
 * file. Signing therefore never changes the digest, and any other byte changed does. Written
 * "sha256:<64 lowercase hex>".
 *
 * The reader refuses: a missing or wrong wasm header; a section (or a LEB128) running past the end;
 * an over-long LEB128; a custom-section name that is not valid UTF-8; a second rune.manifest,
 * rune.signature, or same-named rune.model./rune.resource. section; a model or resource section
 * missing from the manifest or a manifest entry without its section; a section whose SHA-256 or
 * size differs from the manifest ("model 'model': digest mismatch"). Unknown sections (also unknown
 * rune.* names) are kept and ignored.
 */
#ifndef RUNE_CONTAINER_H
#define RUNE_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "rune/manifest.h"
#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RUNE_SECTION_MANIFEST "rune.manifest"
#define RUNE_SECTION_MODEL_PREFIX "rune.model."
#define RUNE_SECTION_RESOURCE_PREFIX "rune.resource."
#define RUNE_SECTION_SIGNATURE "rune.signature"
#define RUNE_SECTION_PAD "rune.pad"
#define RUNE_CONTAINER_ALIGN 16

/* A named byte range. In a rune_container, name is owned by the container and data points into the
 * caller's rune bytes. As writer input, both are borrowed for the call. */
typedef struct rune_blob {
    const char *name;
    const uint8_t *data;
    size_t len;
} rune_blob;

/*
 * Build a rune: wasm (a module without rune.* sections) + manifest + the bytes of every model and
 * resource the manifest lists (matched by name; every listed one must be given, nothing extra).
 * The writer fills each manifest model's and resource's digest and size from the bytes (so the
 * caller's manifest is updated), then appends the sections in the order drawn above. *out is
 * rune_malloc'd (caller rune_frees). No signature is written (see rune_sign_rune).
 */
rune_status rune_container_write(const uint8_t *wasm, size_t wasm_len, rune_manifest *manifest,
                                 const rune_blob *models, size_t nmodels,
                                 const rune_blob *resources, size_t nresources, uint8_t **out,
                                 size_t *out_len, rune_error *err);

typedef struct rune_container {
    const uint8_t *bytes; /* the caller's rune bytes: must outlive the container */
    size_t len;
    rune_manifest *manifest;   /* owned */
    const char *manifest_json; /* into bytes; not NUL-terminated */
    size_t manifest_json_len;
    rune_blob *models; /* in manifest order; names owned, data into bytes */
    size_t nmodels;
    rune_blob *resources;
    size_t nresources;
    const uint8_t *signature; /* payload of rune.signature (into bytes), NULL if unsigned */
    size_t signature_len;
    size_t signature_offset, signature_size; /* the whole section's extent in bytes */
    char digest[RUNE_DIGEST_STR_LEN];        /* the rune digest, as defined above */
} rune_container;

/* Parse and verify a rune (see the list of refusals above). The container borrows bytes. */
rune_status rune_container_open(const uint8_t *bytes, size_t len, rune_container **out,
                                rune_error *err);
void rune_container_free(rune_container *c);

/* The model / resource of that name, or NULL. */
const rune_blob *rune_container_model(const rune_container *c, const char *name);
const rune_blob *rune_container_resource(const rune_container *c, const char *name);

/*
 * Lower level, no manifest checks: walk the sections (bounds, LEB128, UTF-8 names, at most one
 * rune.signature) and compute the rune digest (raw 32 bytes). *sig and *sig_len get the signature
 * payload (NULL and 0 if none); *sig_off and *sig_size the section's extent. Any out pointer may be
 * NULL.
 */
rune_status rune_container_digest(const uint8_t *bytes, size_t len, uint8_t digest[32],
                                  const uint8_t **sig, size_t *sig_len, size_t *sig_off,
                                  size_t *sig_size, rune_error *err);

/* A copy of the rune with its rune.signature section (if any) removed and, if payload is not NULL,
 * a new one holding payload appended at the end. *out is rune_malloc'd. */
rune_status rune_container_replace_signature(const uint8_t *bytes, size_t len,
                                             const uint8_t *payload, size_t payload_len,
                                             uint8_t **out, size_t *out_len, rune_error *err);

/* Read a whole file into rune_malloc'd memory (a helper for tools and tests). */
rune_status rune_file_read(const char *path, uint8_t **out, size_t *out_len, rune_error *err);
/* Write a whole file atomically: temp file in the same directory, fsync, rename. */
rune_status rune_file_write_atomic(const char *path, const void *data, size_t len, rune_error *err);

#ifdef __cplusplus
}
#endif
#endif
