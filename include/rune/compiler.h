/*
 * compiler.h - `rune build`: from a Runefile (text or YAML) to a .rune.
 *
 *   parse -> type-check (against the model files and the proc-block catalog) -> generate the
 * pipeline in C -> clang --target=wasm32-wasi against the guest SDK and proc-block library ->
 * wasm-ld -> package NAME.rune (manifest, models, resources in custom sections; see container.h)
 *
 * A build of an unchanged Runefile is served from the cache: the key is the SHA-256 of everything
 * that goes into the rune (the Runefile, every model, resource and custom proc-block file, the
 * guest library, the toolchain's version and the options), and the cached rune is copied to the
 * output.
 *
 * FROM composition (src/compiler/compose.c). `FROM runicos/...` is a root. Any other FROM names a
 * rune, `NAME[:TAG]` or `NAME@sha256:HEX` (optionally `HOST[:PORT]/` first), resolved through the
 * local OCI store (registry.h; default dir $RUNE_STORE, else ~/.rune/oci) and, when it is not there
 * and a registry is known (the reference's HOST, else opts.registry, else $RUNE_REGISTRY), pulled
 * from that registry into the store. The base's pipeline is rebuilt from its manifest (stages,
 * kinds, arguments, capability types, edges) with its models and resources from its sections, and
 * the Runefile is read as if it continued the base's: its stages are added after the base's, its
 * RUN lines may start from (or feed) base stages, and a CAPABILITY, PROC_BLOCK, MODEL, OUT or
 * RESOURCE of the same name as the base's replaces that declaration (same kind; the base's edges
 * stay), e.g. `PROC_BLOCK label runicos/label --labels a,b,c,d` swaps the labels. The whole
 * pipeline is then generated and compiled again (a base's custom .c proc blocks are not in its rune
 * and cannot be recomposed). The manifest's "base" records the base as `NAME[:TAG]@sha256:HEX` (the
 * OCI manifest digest). Errors carry the Runefile's file:line:col (base stages point at the FROM
 * line): a base that is nowhere to be found, a base chain that comes back to the rune being built
 * (-t) or repeats a reference ("cycle in FROM: a:1 -> b:1 -> a:1"), a replacement of another kind.
 * With opts.base_trust the base's signature must satisfy that policy (refused as rune_host_open
 * refuses). Text Runefiles only; Runefile.yml must use a runicos/ image.
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
    const char *runefile;    /* path of Runefile or Runefile.yml (required) */
    const char *output;      /* NULL: NAME.rune in the current directory */
    const char *name;        /* NULL: the Runefile's directory name */
    const char *version;     /* NULL: "0.1.0" */
    const char *cache_dir;   /* NULL: $RUNE_CACHE_DIR/build or ~/.cache/rune/build */
    const char *guest_dir;   /* NULL: $RUNE_GUEST_DIR or the one this librune was built with */
    const char *cc;          /* NULL: $RUNE_WASM_CC or "clang" */
    int no_cache;            /* always compile (the result still refreshes the cache) */
    int verbose;             /* print each step and the compiler commands on stderr */
    int keep_c;              /* also write the generated C next to the output (NAME.rune.c) */
    const char *tag;         /* NAME[:TAG]: also store the rune in the local store under it */
    const char *store_dir;   /* local OCI store for -t and FROM; NULL: $RUNE_STORE or ~/.rune/oci */
    const char *registry;    /* HOST[:PORT] to pull FROM bases from; NULL: $RUNE_REGISTRY */
    int registry_plain_http; /* http://; also with $RUNE_REGISTRY_PLAIN_HTTP=1 or a loopback host */
    const struct rune_trust_policy
        *base_trust; /* FROM base must pass it (sign.h); NULL: no check */
} rune_build_options;

typedef struct rune_build_result {
    char output[1024];   /* the .rune written */
    char digest[80];     /* its rune digest "sha256:..." */
    size_t size;         /* bytes */
    int cached;          /* served from the cache */
    double seconds;      /* wall time of the build */
    char ref[400];       /* with opts.tag: the reference it was stored under ("NAME:TAG") */
    char oci_digest[80]; /* with opts.tag: the OCI manifest digest in the store */
    char base[600];      /* a composed rune's resolved base (as in its manifest), else "" */
} rune_build_result;

rune_status rune_build(const rune_build_options *opts, rune_build_result *res, rune_error *err);

/* The steps, exposed for tests and `rune graph`: parse and type-check a Runefile with the standard
 * resolver (model files relative to the Runefile's directory, the proc-block catalog). A FROM
 * naming a rune is composed as rune_build does (default store, $RUNE_REGISTRY); the base's models
 * were read from a temp directory that is gone when this returns, so those stages' sources name
 * files that no longer exist (the graph and its types are complete). */
rune_status rune_compiler_load_checked(const char *runefile, rune_runefile **out, rune_error *err);
/* Generate the pipeline's C for a checked graph; *out is rune_malloc'd text. */
rune_status rune_compiler_codegen(const rune_runefile *g, char **out, size_t *out_len,
                                  rune_error *err);

#ifdef __cplusplus
}
#endif
#endif
