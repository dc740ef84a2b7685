/*
 * host_int.h - internals of the RunicOS host shared by host.c (life cycle), host_runic.c (the runic
 * imports) and host_nn.c (the WASI-NN imports). Prefix: rh_.
 *
 * Every table is fixed-size: a rune cannot make the host allocate without bound by opening handles.
 */
#ifndef RUNE_RUNICOS_HOST_INT_H
#define RUNE_RUNICOS_HOST_INT_H

#include "rune/abi.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/nn.h"
#include "rune/runicos.h"
#include "rune/wasi.h"
#include "rune/wasm.h"

#include <string.h>

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
#define RH_SEEN_DIMS 4
typedef struct rh_io {
    uint8_t *data; /* in the context's arena (inputs); the engine's tensor (outputs, read only) */
    size_t bytes, n_elems;
    int abi_type; /* the rune_abi_nn_type that carries it (inputs) */
    /* Inputs: the guest's tensor record that last passed every check (set_input), at guest address
     * seen_key - 1 (0: none), with its dims (at most RH_SEEN_DIMS). A call passing the same record
     * holding the same bytes, over the same dims, needs no bounds checks again: wasm memory never
     * shrinks, so ranges once inside stay inside. */
    uint64_t seen_key;
    uint8_t seen[RUNE_ABI_NN_TENSOR_SIZE];
    uint8_t seen_dims[4 * RH_SEEN_DIMS]; /* as the guest had them */
} rh_io;

typedef struct rh_ctx {
    rune_nn_interp *interp; /* NULL: slot free */
    int graph;
    int n_in, n_out; /* how many of in[] / out[] are filled (the rest take the general path); 0
                        in a free slot */
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
    rune_wasm_func call_fn; /* _call, its signature checked once at open */
    /* memory 0 of inst, for the host functions' inline guest accesses (rh_mem_ptr); mem_inst is
     * inst once the reference is taken (NULL before, and if the engine keeps no live fields) */
    rune_wasm_memref mem;
    rune_wasm_instance *mem_inst;
    rh_cap caps[RH_MAX_CAPS];
    rh_out outs[RH_MAX_OUTS];
    rh_graph graphs[RH_MAX_GRAPHS];
    rh_ctx ctxs[RH_MAX_CTXS];
    rune_host_stats stats;
    const char *name;
    rune_wasi *wasi;
    const char *wasi_argv[2];
};

/* Guest memory [addr, addr+len) for a host function that inst called, else NULL; inline through
 * h->mem for the host's own instance (every range still checked against the memory's size now). */
static inline uint8_t *rh_mem_ptr(rune_host *h, rune_wasm_instance *inst, uint64_t addr,
                                  uint64_t len)
{
    if (inst == h->mem_inst) return rune_wasm_memref_ptr(&h->mem, addr, len);
    return rune_wasm_memory_ptr(inst, addr, len);
}
/* Base and byte size of that memory now, for several rune_wasm_view_ptr checks in one call. */
static inline uint8_t *rh_mem_view(rune_host *h, rune_wasm_instance *inst, uint64_t *size)
{
    if (inst == h->mem_inst) return rune_wasm_memref_view(&h->mem, size);
    return rune_wasm_memory_view(inst, size);
}

/* memcpy for the per-inference copies between guest memory and the host (never overlapping),
 * most of them a few bytes (one f32): up to 16 bytes without a call into libc. */
static inline void rh_copy(uint8_t *restrict d, const uint8_t *restrict s, size_t n)
{
    if (n >= 4 && n <= 8) {
        uint32_t x, y;
        memcpy(&x, s, 4), memcpy(&y, s + n - 4, 4);
        memcpy(d, &x, 4), memcpy(d + n - 4, &y, 4);
    } else if (n > 8 && n <= 16) {
        uint64_t x, y;
        memcpy(&x, s, 8), memcpy(&y, s + n - 8, 8);
        memcpy(d, &x, 8), memcpy(d + n - 8, &y, 8);
    } else if (n) {
        memcpy(d, s, n);
    }
}

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
