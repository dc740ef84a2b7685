/*
 * compiler.h - `rune build`: from a Runefile (text or YAML) to a .rune.
 *
 *   parse -> type-check (against the model files and the proc-block catalog) -> generate the pipeline
 *   in C -> clang --target=wasm32-wasi against the guest SDK and proc-block library -> wasm-ld ->
 *   package NAME.rune (manifest, models, resources in custom sections; see container.h)
 *
 * A build of an unchanged Runefile is served from the cache: the key is the SHA-256 of everything
 * that goes into the rune (the Runefile, every model, resource and custom proc-block file, the guest
 * library, the toolchain's version and the options), and the cached rune is copied to the output.
 */
#ifndef RUNE_COMPILER_H
#define RUNE_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#include "rune/runefile.h"
#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rune_build_options {
    const char *runefile;  /* path of Runefile or Runefile.yml (required) */
    const char *output;    /* NULL: NAME.rune in the current directory */
    const char *name;      /* NULL: the Runefile's directory name */
    const char *version;   /* NULL: "0.1.0" */
    const char *cache_dir; /* NULL: $RUNE_CACHE_DIR/build or ~/.cache/rune/build */
    const char *guest_dir; /* NULL: $RUNE_GUEST_DIR or the one this librune was built with */
    const char *cc;        /* NULL: $RUNE_WASM_CC or "clang" */
    int no_cache;          /* always compile (the result still refreshes the cache) */
    int verbose;           /* print each step and the compiler commands on stderr */
    int keep_c;            /* also write the generated C next to the output (NAME.rune.c) */
} rune_build_options;

typedef struct rune_build_result {
    char output[1024];  /* the .rune written */
    char digest[80];    /* its rune digest "sha256:..." */
    size_t size;        /* bytes */
    int cached;         /* served from the cache */
    double seconds;     /* wall time of the build */
} rune_build_result;

rune_status rune_build(const rune_build_options *opts, rune_build_result *res, rune_error *err);

/* The steps, exposed for tests and `rune graph`: parse and type-check a Runefile with the standard
 * resolver (model files relative to the Runefile's directory, the proc-block catalog). */
rune_status rune_compiler_load_checked(const char *runefile, rune_runefile **out, rune_error *err);
/* Generate the pipeline's C for a checked graph; *out is rune_malloc'd text. */
rune_status rune_compiler_codegen(const rune_runefile *g, char **out, size_t *out_len,
                                  rune_error *err);

#ifdef __cplusplus
}
#endif
#endif
