/*
 * compiler_int.h - internals shared by the files of src/compiler: the standard type resolver, type
 * conversions between the Runefile, ABI, manifest and model-engine type enums, and the toolchain
 * runner. Prefix: rc_.
 */
#ifndef RUNE_COMPILER_INT_H
#define RUNE_COMPILER_INT_H

#include "rune/compiler.h"
#include "rune/manifest.h"
#include "rune/runefile.h"
#include "rune_catalog.h"

/* The resolver's state: the Runefile's directory, for model and custom-block paths. */
typedef struct rc_resolver_ctx {
    char dir[1024];
} rc_resolver_ctx;

void rc_resolver_init(rc_resolver_ctx *ctx, const char *runefile_path, rune_rf_resolver *out);
/* dir + "/" + rel, unless rel is absolute. */
void rc_path_join(const char *dir, const char *rel, char *out, size_t cap);

/* Type conversions. -1 / RUNE_RF_ANY when there is no counterpart. */
int32_t rc_rf_to_abi(rune_rf_elem e);
rune_rf_elem rc_abi_to_rf(int32_t abi);
int rc_rf_to_dtype(rune_rf_elem e);

/* A proc block's arguments as the catalog and generated code take them: keys with '-' turned into
 * '_', list values joined with ','. Strings point into storage (n entries of 256 bytes). */
size_t rc_block_args(const rune_rf_stage *s, rune_pb_arg *args, char (*storage)[2][256],
                     size_t cap);

/* Is this proc block's source a C file of the user's (ends in ".c")? */
int rc_is_custom_block(const rune_rf_stage *s);

/* The catalog's view of a block's output for the type flowing in (text/dynamic bounds included). */
rune_status rc_block_out(const rune_rf_stage *s, const rune_rf_type *in, rune_catalog_type *out,
                         rune_error *err);

/* Run argv (argv[0] looked up in PATH); stderr and stdout of the child captured into log (cap
 * bytes). RUNE_E_IO with the child's output when it fails. */
rune_status rc_run(char *const argv[], int verbose, rune_error *err);

/* FROM composition (compose.c; contract in rune/compiler.h). rc_compose_load parses and type-checks
 * o->runefile; when its FROM names a rune, the result is the merged pipeline and cx says how it was
 * made (base_ref "" otherwise). cx owns a temp directory holding the base's models and resources,
 * which the graph's stages name: keep cx until the build is done, then rc_compose_free (accepts a
 * zeroed or freed cx). */
typedef struct rc_compose {
    char base_ref[600]; /* "[HOST/]NAME[:TAG]@sha256:HEX" of the resolved base, "" if none */
    char tmpdir[1024];
    char **files; /* the files written into tmpdir */
    size_t nfiles;
    char *text; /* the merged Runefile text */
    size_t text_len;
} rc_compose;
rune_status rc_compose_load(const rune_build_options *o, rune_runefile **out, rc_compose *cx,
                            rune_error *err);
void rc_compose_free(rc_compose *cx);
/* rune_compiler_load_checked without FROM composition (any FROM is just recorded). */
rune_status rc_load_checked_plain(const char *runefile, rune_runefile **out, rune_error *err);
/* The base's pipeline as Runefile text (without the derived part): declarations the derived graph
 * makes itself (may be NULL) are left out; models and resources are written into dir (NULL: named
 * under /nonexistent, not written). *out rune_malloc'd. Refuses names, kinds and arguments that
 * would not read back as the same single directive. */
struct rune_container;
/* A declaration of the derived graph that has a base stage's name must be of the same kind. */
rune_status rc_compose_check_replacements(const rune_runefile *derived, const rune_manifest *base,
                                          const char *base_ref, rune_error *err);
rune_status rc_compose_base_text(const struct rune_container *base, const rune_runefile *derived,
                                 const char *dir, char **out, size_t *out_len, rune_error *err);

#endif
