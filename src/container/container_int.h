/*
 * container_int.h - helpers shared by the files of src/container (and src/registry): cJSON routed
 * through the rune allocator, SHA-256 digests as "sha256:<hex>" strings, UTF-8 checks.
 */
#ifndef RUNE_CONTAINER_INT_H
#define RUNE_CONTAINER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rune/manifest.h"
#include "rune/status.h"

/* Route cJSON's allocations through rune_malloc/rune_free (idempotent; call before any cJSON use).
 */
void rune_json_use_rune_alloc(void);

/* SHA-256 of data as "sha256:<64 lowercase hex>" into out[RUNE_DIGEST_STR_LEN]. */
void rune_digest_str(const void *data, size_t len, char out[RUNE_DIGEST_STR_LEN]);
/* Raw 32 bytes to "sha256:<hex>". */
void rune_digest_fmt(const uint8_t raw[32], char out[RUNE_DIGEST_STR_LEN]);
/* 1 if s is "sha256:" followed by exactly 64 lowercase hex digits. */
int rune_digest_valid(const char *s);
/* Parse "sha256:<hex>" into 32 raw bytes; 0 on success, -1 if not valid. */
int rune_digest_parse(const char *s, uint8_t raw[32]);

/* 1 if [s, s+len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int rune_utf8_valid(const uint8_t *s, size_t len);

/* rune_file_write_atomic with the file's permission bits (0600 for secret keys). */
rune_status rune_file_write_atomic_mode(const char *path, const void *data, size_t len,
                                        unsigned mode, rune_error *err);

/* ---- manifest JSON (manifest_encode.c, manifest_decode.c) ----------------------------------- */

/* Which JSON fields each stage list carries, and the name of its "kind" field. */
typedef struct rune_manifest_list_spec {
    const char *json_name;
    const char *kind_field; /* NULL: none */
    unsigned args : 1, inputs : 1, outputs : 1, blob : 1;
} rune_manifest_list_spec;
extern const rune_manifest_list_spec rune_manifest_specs[5]; /* by rune_manifest_list */

/* ---- signing helpers (sign_key.c) ---------------------------------------------------------- */

/* 1 once libsodium is initialised (idempotent). */
int rune_sign_sodium_ready(void);
/* The key id of a public key: first 8 bytes of its SHA-256 in hex. */
void rune_sign_key_id_of(const uint8_t pk[32], char id[17]);
/* Next non-empty line of a text file, trimmed, '#' comments dropped; 0 at the end. */
int rune_sign_next_line(const char **p, const char *end, char *line, size_t cap, int *lineno);
/* Standard padded base64 decoding to exactly want bytes; 1 on success. */
int rune_sign_b64_decode(const char *s, uint8_t *out, size_t want);

/* ---- section walker (section.c) ------------------------------------------------------------ */

typedef struct rune_sec {
    uint8_t id;
    const uint8_t *name; /* custom sections only, else NULL; not NUL-terminated */
    size_t name_len;
    const uint8_t *payload; /* custom: after the name */
    size_t payload_len;
    size_t offset; /* of the id byte */
    size_t size;   /* whole section, id byte included */
} rune_sec;

/* Check the 8-byte wasm header; RUNE_E_MALFORMED with a message if it is wrong. */
rune_status rune_sec_header(const uint8_t *b, size_t len, rune_error *err);
/* Next section from *pos (start at 8). RUNE_OK and *pos moved past it, RUNE_E_NOT_FOUND at the end
 * (no error set), RUNE_E_MALFORMED on truncation, bad LEB128 or a custom name not valid UTF-8. */
rune_status rune_sec_next(const uint8_t *b, size_t len, size_t *pos, rune_sec *out,
                          rune_error *err);
/* 1 if the custom section s is named exactly name. */
int rune_sec_is(const rune_sec *s, const char *name);
/* 1 if s's name starts with prefix; *rest and *rest_len the remainder. */
int rune_sec_has_prefix(const rune_sec *s, const char *prefix, const uint8_t **rest,
                        size_t *rest_len);
/* Append a custom section to buf (capacity checked by the caller via rune_sec_size). */
size_t rune_sec_size(size_t name_len, size_t payload_len);
uint8_t *rune_sec_put(uint8_t *p, const char *name, size_t name_len, const uint8_t *payload,
                      size_t payload_len);

#endif
