/*
 * host_int.h - internals of the RunicOS host shared by host.c (life cycle), host_runic.c (the runic
 * imports) and host_nn.c (the WASI-NN imports). Prefix: rh_.
 *
 * Every table is fixed-size: a rune cannot make the host allocate without bound by opening handles.
 */
#ifndef RUNE_RUNICOS_HOST_INT_H
#define RUNE_RUNICOS_HOST_INT_H

#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/nn.h"
#include "rune/runicos.h"
#include "rune/wasi.h"
#include "rune/wasm.h"

#define RH_MAX_CAPS 16
#define RH_MAX_OUTS 16
#define RH_MAX_GRAPHS 8
#define RH_MAX_CTXS 8

typedef struct rh_cap {
    const rune_cap_provider *provider; /* NULL: slot free */
    void *state;
} rh_cap;

typedef struct rh_out {
    int kind; /* 0: slot free */
    FILE *file;
    char name[64]; /* x_name param: the producing stage, named in rendered JSON lines */
} rh_out;

typedef struct rh_graph {
    rune_nn_model *model; /* NULL: slot free */
    uint8_t *owned;       /* model bytes copied out of guest memory (load); NULL for load_by_name */
} rh_graph;

/* A model input or output as the per-inference path needs it, looked up once per context. */
#define RH_CTX_IO 8
typedef struct rh_io {
    uint8_t *data; /* in the context's arena (inputs); the engine's tensor (outputs, read only) */
    size_t bytes, n_elems;
    int abi_type; /* the rune_abi_nn_type that carries it (inputs) */
} rh_io;

typedef struct rh_ctx {
    rune_nn_interp *interp; /* NULL: slot free */
    int graph;
    int n_in, n_out; /* how many of in[] / out[] are filled (the rest take the general path) */
    rh_io in[RH_CTX_IO], out[RH_CTX_IO];
} rh_ctx;

struct rune_host {
    rune_host_config cfg;
    rune_container *container;
    rune_wasm_engine *engine;
    int own_engine;
    rune_wasm_module *module;
    rune_wasm_linker *linker;
    rune_wasm_instance *inst;
    rune_wasm_func call_fn;
    rh_cap caps[RH_MAX_CAPS];
    rh_out outs[RH_MAX_OUTS];
    rh_graph graphs[RH_MAX_GRAPHS];
    rh_ctx ctxs[RH_MAX_CTXS];
    rune_host_stats stats;
    const char *name;
    rune_wasi *wasi;
    const char *wasi_argv[2];
};

/* Define the runic / WASI-NN imports of h in l. */
rune_status rh_define_runic(rune_host *h, rune_wasm_linker *l, rune_error *err);
rune_status rh_define_nn(rune_host *h, rune_wasm_linker *l, rune_error *err);
/* Release every handle, context and graph. */
void rh_close_handles(rune_host *h);

/* A host notice ("denied: ...") on the log stream, prefixed with the rune's name. */
void rh_notice(rune_host *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
