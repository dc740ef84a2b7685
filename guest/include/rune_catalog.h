/*
 * rune_catalog.h - the host-side catalog of the standard proc blocks (library
 * rune_procblock_catalog).
 *
 * What the Runefile type checker and code generator need to know about each block without
 * running a rune: its names, its arguments (type, default, documentation), the C symbols generated
 * code calls, and a function computing the output element type and shape from the input's and the
 * arguments. Arguments are checked by the same code the guest runs at init (the blocks are built
 * natively into this library too), so a Runefile is refused at build time with the message the
 * rune would have given.
 *
 * Names: every block has a short name ("fft") and a full one ("runicos/fft"); lookup accepts
 * either, any other path prefix ("hotg-ai/rune#proc_blocks/fft", "proc-blocks/fft") and '-' for
 * '_' ("image-normalize").
 */
#ifndef RUNE_CATALOG_H
#define RUNE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "rune/abi.h"
#include "rune/status.h"
#include "rune_procblocks.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rune_catalog_arg_type {
    RUNE_CATALOG_ARG_INT = 0,
    RUNE_CATALOG_ARG_FLOAT = 1,
    RUNE_CATALOG_ARG_BOOL = 2,
    RUNE_CATALOG_ARG_STRING = 3,
    RUNE_CATALOG_ARG_ENUM = 4, /* one of the '|'-separated words in choices */
} rune_catalog_arg_type;

typedef struct rune_catalog_arg {
    const char *name;
    rune_catalog_arg_type type;
    const char *dflt;    /* default as the Runefile would write it; NULL = none */
    int required;        /* 1: the block refuses to start without it */
    const char *choices; /* ENUM: "i8|u16|f32"; else NULL */
    const char *doc;
} rune_catalog_arg;

/* A tensor type: element, shape, and two flags for the few blocks whose output size is only
 * bounded: dynamic (dims are an upper bound; the transform sets the real ones) and text
 * ('\n'-separated UTF-8 labels carried as u8 bytes). */
typedef struct rune_catalog_type {
    int32_t elem; /* rune_abi_elem */
    uint32_t rank;
    uint32_t dims[RUNE_ABI_MAX_RANK];
    int dynamic;
    int text;
} rune_catalog_type;

typedef rune_status (*rune_catalog_infer_fn)(const rune_catalog_type *in, const rune_pb_arg *args,
                                             size_t nargs, rune_catalog_type *out, rune_error *err);

typedef struct rune_catalog_block {
    const char *name;      /* "fft" */
    const char *full_name; /* "runicos/fft" */
    const char *doc;       /* one line */
    const char *inputs;    /* accepted input element types, e.g. "i16" or "f32|i8|u8" */
    const rune_catalog_arg *args;
    size_t nargs;
    const char *c_state;     /* "rune_pb_fft": the state type generated code declares */
    const char *c_init;      /* "rune_pb_fft_init" */
    const char *c_transform; /* "rune_pb_fft_transform" */
    size_t state_size;       /* sizeof the state, for memory budgets */
    rune_catalog_infer_fn infer;
    const char *c_plan; /* "rune_pb_modulo_plan", or NULL: no fixed-tensor fast path */
    const char *c_run;  /* "rune_pb_modulo_run" (see rune_procblocks.h) */
} rune_catalog_block;

size_t rune_catalog_count(void);
const rune_catalog_block *rune_catalog_at(size_t i);
/* NULL if no block has that name (see the naming rules above). */
const rune_catalog_block *rune_catalog_find(const char *name);

/* Check args and compute the output type of block `name` for input `in`. RUNE_E_NOT_FOUND for an
 * unknown block (the message lists the known ones), RUNE_E_ARG for bad arguments or an input the
 * block does not take, with the block's own message. */
rune_status rune_catalog_infer(const char *name, const rune_catalog_type *in,
                               const rune_pb_arg *args, size_t nargs, rune_catalog_type *out,
                               rune_error *err);

/* The same, with the shape of a resolver callback a type checker can hold (user is unused). */
rune_status rune_catalog_resolve(void *user, const char *name, const rune_catalog_type *in,
                                 const rune_pb_arg *args, size_t nargs, rune_catalog_type *out,
                                 rune_error *err);

/* Format a type as "i8[1,1960]" (with "text " / "<=" markers for text and dynamic). */
const char *rune_catalog_type_str(const rune_catalog_type *t, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
