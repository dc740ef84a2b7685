/*
 * host_nn.c - the WASI-NN imports ("wasi_ephemeral_nn", witx ABI; layout in rune/abi.h) over the
 * model engine (rune/nn.h).
 *
 * Models come from the rune's own rune.model.NAME sections (load_by_name; used in place, the rune
 * bytes outlive the host) or from guest memory (load; copied, since the engine keeps pointers into
 * the model bytes). Each execution context owns one interpreter with its arena allocated once at
 * init_execution_context: compute allocates nothing. Data crosses as bytes and is checked against
 * the model's tensor: type (int8 tensors take u8 bytes), element count and byte length. A failure
 * is an nn errno for the guest and a notice on the host log, never a trap. Workload: load and
 * init_execution_context once; set_input / compute / get_output every inference, so a context keeps
 * its inputs' and outputs' facts (type, size, where the bytes are) and those calls look up nothing.
 */
#include "host_int.h"

#include "rune/abi.h"
#include "rune/alloc.h"

#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static rune_status ret(rune_wasm_val *results, int32_t v)
{
    results[0].i32 = (uint32_t)v;
    return RUNE_OK;
}

static int32_t new_graph(rune_host *h, const uint8_t *bytes, size_t len, uint8_t *owned,
                         uint32_t *out)
{
    int slot = -1;
    for (int i = 0; i < RH_MAX_GRAPHS; i++)
        if (!h->graphs[i].model) {
            slot = i;
            break;
        }
    if (slot < 0) {
        rh_notice(h, "wasi-nn: more than %d models loaded", RH_MAX_GRAPHS);
        rune_free(owned);
        return RUNE_NN_TOO_LARGE;
    }
    rune_error e;
    rune_nn_model *m = NULL;
    rune_status st = rune_nn_model_load(bytes, len, &m, &e);
    if (st != RUNE_OK) {
        rh_notice(h, "wasi-nn: model refused: %s", e.msg);
        rune_free(owned);
        return st == RUNE_E_UNSUPPORTED ? RUNE_NN_UNSUPPORTED_OPERATION : RUNE_NN_INVALID_ENCODING;
    }
    h->graphs[slot].model = m;
    h->graphs[slot].owned = owned;
    h->stats.nn_arena_bytes += rune_nn_model_arena_size(m);
    h->stats.nn_model_bytes += rune_nn_model_persistent_bytes(m);
    *out = (uint32_t)slot;
    return RUNE_NN_SUCCESS;
}

/* load(builders_ptr, builders_len, encoding, target, graph_out_ptr) -> errno */
static rune_status nn_load(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                           rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    uint32_t bptr = a[0].i32, blen = a[1].i32, enc = a[2].i32, target = a[3].i32;
    uint8_t *gout = rh_mem_ptr(h, inst, a[4].i32, 4);
    if (!gout) return ret(r, RUNE_NN_INVALID_ARGUMENT);
    if (enc != RUNE_NN_ENCODING_TENSORFLOWLITE) {
        rh_notice(h, "wasi-nn: graph encoding %u is not tensorflowlite (4)", enc);
        return ret(r, RUNE_NN_INVALID_ENCODING);
    }
    if (target != RUNE_NN_TARGET_CPU) {
        rh_notice(h, "wasi-nn: execution target %u: only cpu (0) here", target);
        return ret(r, RUNE_NN_UNSUPPORTED_OPERATION);
    }
    if (blen != 1) return ret(r, RUNE_NN_INVALID_ARGUMENT);
    const uint8_t *b = rh_mem_ptr(h, inst, bptr, 8);
    if (!b) return ret(r, RUNE_NN_INVALID_ARGUMENT);
    uint32_t mptr = rd32(b), mlen = rd32(b + 4);
    const uint8_t *model = rh_mem_ptr(h, inst, mptr, mlen);
    if (!model || mlen == 0) return ret(r, RUNE_NN_INVALID_ARGUMENT);
    uint8_t *copy = rune_malloc(mlen);
    if (!copy) return ret(r, RUNE_NN_TOO_LARGE);
    memcpy(copy, model, mlen);
    uint32_t g = 0;
    int32_t e = new_graph(h, copy, mlen, copy, &g);
    if (e == RUNE_NN_SUCCESS) wr32(gout, g);
    (void)err;
    return ret(r, e);
}

/* load_by_name(name_ptr, name_len, graph_out_ptr) -> errno */
static rune_status nn_load_by_name(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                                   rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    const uint8_t *name = rh_mem_ptr(h, inst, a[0].i32, a[1].i32);
    uint8_t *gout = rh_mem_ptr(h, inst, a[2].i32, 4);
    if (!name || !gout || a[1].i32 == 0 || a[1].i32 > 255) return ret(r, RUNE_NN_INVALID_ARGUMENT);
    char buf[256];
    memcpy(buf, name, a[1].i32);
    buf[a[1].i32] = '\0';
    const rune_blob *m = rune_container_model(h->container, buf);
    if (!m) {
        rh_notice(h, "wasi-nn: the rune carries no model named '%s'", buf);
        return ret(r, RUNE_NN_NOT_FOUND);
    }
    uint32_t g = 0;
    int32_t e = new_graph(h, m->data, m->len, NULL, &g);
    if (e == RUNE_NN_SUCCESS) wr32(gout, g);
    (void)err;
    return ret(r, e);
}

/* Which ABI tensor type carries data for a model tensor type; -1 if none does. */
static int abi_type_for(rune_nn_type t)
{
    switch (t) {
    case RUNE_NN_FLOAT32: return RUNE_NN_TYPE_F32;
    case RUNE_NN_INT8:
    case RUNE_NN_UINT8: return RUNE_NN_TYPE_U8;
    case RUNE_NN_INT32: return RUNE_NN_TYPE_I32;
    case RUNE_NN_FLOAT16: return RUNE_NN_TYPE_F16;
    default: return -1;
    }
}

/* What set_input / get_output check and touch, for the model's first RH_CTX_IO inputs and
 * outputs: the per-inference path then needs no model lookups. */
static void cache_io(rh_ctx *c, const rune_nn_model *m)
{
    rune_nn_tensor_info info;
    rune_error e;
    c->n_in = c->n_out = 0;
    int n = rune_nn_model_input_count(m);
    for (int i = 0; i < n && i < RH_CTX_IO; i++) {
        size_t len = 0;
        uint8_t *d = rune_nn_interp_input_data(c->interp, i, &len);
        if (!d || rune_nn_model_input(m, i, &info, &e) != RUNE_OK || len != info.bytes) break;
        c->in[i] = (rh_io){.data = d,
                           .bytes = info.bytes,
                           .n_elems = info.n_elems,
                           .abi_type = abi_type_for(info.type)};
        c->n_in = i + 1;
    }
    n = rune_nn_model_output_count(m);
    for (int i = 0; i < n && i < RH_CTX_IO; i++) {
        const void *d = NULL;
        size_t len = 0;
        if (rune_nn_interp_output(c->interp, i, &d, &len, &e) != RUNE_OK || (!d && len)) break;
        c->out[i] = (rh_io){.data = (uint8_t *)d, .bytes = len, .abi_type = -1};
        c->n_out = i + 1;
    }
}

/* init_execution_context(graph, ctx_out_ptr) -> errno */
static rune_status nn_init_ctx(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                               rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    uint32_t g = a[0].i32;
    uint8_t *cout = rh_mem_ptr(h, inst, a[1].i32, 4);
    if (!cout || g >= RH_MAX_GRAPHS || !h->graphs[g].model) return ret(r, RUNE_NN_INVALID_ARGUMENT);
    int slot = -1;
    for (int i = 0; i < RH_MAX_CTXS; i++)
        if (!h->ctxs[i].interp) {
            slot = i;
            break;
        }
    if (slot < 0) return ret(r, RUNE_NN_TOO_LARGE);
    rune_error e;
    if (rune_nn_interp_create(h->graphs[g].model, NULL, 0, &h->ctxs[slot].interp, &e) != RUNE_OK) {
        rh_notice(h, "wasi-nn: cannot create an execution context: %s", e.msg);
        return ret(r, RUNE_NN_RUNTIME_ERROR);
    }
    h->ctxs[slot].graph = (int)g;
    cache_io(&h->ctxs[slot], h->graphs[g].model);
    wr32(cout, (uint32_t)slot);
    (void)err;
    return ret(r, RUNE_NN_SUCCESS);
}

static rh_ctx *ctx_of(rune_host *h, uint32_t c)
{
    return c < RH_MAX_CTXS && h->ctxs[c].interp ? &h->ctxs[c] : NULL;
}

/* set_input(ctx, index, tensor_ptr) -> errno: the general path, which says what is wrong. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static rune_status
set_input_checked(rune_wasm_instance *inst, rune_host *h, const rune_wasm_val *a, rune_wasm_val *r,
                  rune_error *err)
{
    rh_ctx *c = ctx_of(h, a[0].i32);
    const uint8_t *t = rh_mem_ptr(h, inst, a[2].i32, RUNE_ABI_NN_TENSOR_SIZE);
    if (!c || !t) return ret(r, RUNE_NN_INVALID_ARGUMENT);
    const rune_nn_model *m = h->graphs[c->graph].model;
    int index = (int)a[1].i32;
    rune_nn_tensor_info info;
    rune_error e;
    if (index < 0 || rune_nn_model_input(m, index, &info, &e) != RUNE_OK) {
        rh_notice(h, "wasi-nn: set_input: the model has no input %d", index);
        return ret(r, RUNE_NN_INVALID_ARGUMENT);
    }
    uint32_t dims_ptr = rd32(t + RUNE_ABI_NN_TENSOR_DIMS_PTR);
    uint32_t ndims = rd32(t + RUNE_ABI_NN_TENSOR_DIMS_LEN);
    uint8_t type = t[RUNE_ABI_NN_TENSOR_TYPE];
    uint32_t data_ptr = rd32(t + RUNE_ABI_NN_TENSOR_DATA_PTR);
    uint32_t data_len = rd32(t + RUNE_ABI_NN_TENSOR_DATA_LEN);
    const uint8_t *dims = ndims <= 16 ? rh_mem_ptr(h, inst, dims_ptr, (uint64_t)ndims * 4) : NULL;
    const uint8_t *data = rh_mem_ptr(h, inst, data_ptr, data_len);
    if (!dims || !data) return ret(r, RUNE_NN_INVALID_ARGUMENT);
    if ((int)type != abi_type_for(info.type)) {
        rh_notice(h, "wasi-nn: set_input %d: the model takes %s but the rune sent tensor type %u",
                  index, rune_nn_type_name(info.type), type);
        return ret(r, RUNE_NN_INVALID_ARGUMENT);
    }
    uint64_t n = 1;
    for (uint32_t i = 0; i < ndims; i++)
        n *= rd32(dims + 4 * i);
    if (n != info.n_elems || data_len != info.bytes) {
        rh_notice(h,
                  "wasi-nn: set_input %d: the model takes %zu elements (%zu bytes) but the rune "
                  "sent %llu elements (%u bytes)",
                  index, info.n_elems, info.bytes, (unsigned long long)n, data_len);
        return ret(r, RUNE_NN_INVALID_ARGUMENT);
    }
    if (rune_nn_interp_set_input(c->interp, index, data, data_len, &e) != RUNE_OK) {
        rh_notice(h, "wasi-nn: set_input %d: %s", index, e.msg);
        return ret(r, RUNE_NN_INVALID_ARGUMENT);
    }
    (void)err;
    return ret(r, RUNE_NN_SUCCESS);
}

/* A per-inference copy of more than 16 bytes, then success: out of line so the fast paths below
 * make no call of their own (they end in a jump here or to their general path). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint32_t
copy_then_ok(uint8_t *restrict d, const uint8_t *restrict src, size_t n)
{
    memcpy(d, src, n);
    return RUNE_NN_SUCCESS;
}

/* Copy n bytes and answer success: a few bytes inline, more through copy_then_ok. */
static inline uint32_t copy_ok(uint8_t *restrict d, const uint8_t *restrict src, size_t n)
{
    if (n > 16) return copy_then_ok(d, src, n);
    rh_copy(d, src, n);
    return RUNE_NN_SUCCESS;
}

/* The general paths, called from the i32 fast paths below with the arguments back in an array. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint32_t
set_input_general(rune_wasm_hostcall *hc, uint32_t a0, uint32_t a1, uint32_t a2)
{
    rune_wasm_val a[3] = {{.i32 = a0}, {.i32 = a1}, {.i32 = a2}}, r[1] = {{0}};
    set_input_checked(hc->inst, hc->user, a, r, hc->err);
    return r[0].i32;
}

/* set_input's checks against the facts cache_io kept, for a record not seen before (or changed):
 * on success the record is remembered in io->seen; anything that does not pass goes to
 * set_input_checked for its notice. Out of line: the fast path below saves few registers. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint32_t
set_input_check(rune_wasm_hostcall *hc, uint32_t ci, uint32_t index, uint32_t tp)
{
    rune_host *h = hc->user;
    if (hc->inst == h->mem_inst && ci < RH_MAX_CTXS && index < (uint32_t)h->ctxs[ci].n_in) {
        rh_io *io = &h->ctxs[ci].in[index];
        uint64_t msize;
        const uint8_t *mem = rune_wasm_memref_view(&h->mem, &msize);
        const uint8_t *t = rune_wasm_view_ptr((uint8_t *)mem, msize, tp, RUNE_ABI_NN_TENSOR_SIZE);
        if (!t || t[RUNE_ABI_NN_TENSOR_TYPE] != io->abi_type ||
            rd32(t + RUNE_ABI_NN_TENSOR_DATA_LEN) != io->bytes)
            goto general;
        const uint32_t ndims = rd32(t + RUNE_ABI_NN_TENSOR_DIMS_LEN);
        const uint32_t dims_ptr = rd32(t + RUNE_ABI_NN_TENSOR_DIMS_PTR);
        if (ndims > 16 || !rune_wasm_view_ptr((uint8_t *)mem, msize, dims_ptr, 4 * ndims))
            goto general;
        uint64_t n = 1;
        for (uint32_t i = 0; i < ndims; i++)
            n *= rd32(mem + dims_ptr + 4 * i);
        const uint8_t *data = rune_wasm_view_ptr((uint8_t *)mem, msize,
                                                 rd32(t + RUNE_ABI_NN_TENSOR_DATA_PTR), io->bytes);
        if (n != io->n_elems || !data) goto general;
        io->seen_key = 0;
        if (ndims <= RH_SEEN_DIMS) {
            memcpy(io->seen, t, sizeof io->seen);
            memcpy(io->seen_dims, mem + dims_ptr, 4 * ndims);
            io->seen_key = (uint64_t)tp + 1;
        }
        return copy_ok(io->data, data, io->bytes);
    }
general:
    return set_input_general(hc, ci, index, tp);
}

/* Are the guest's n dims at d (n <= RH_SEEN_DIMS) the bytes seen? Fixed-size compares, no loop. */
static inline int same_dims(const uint8_t *d, const uint8_t *seen, uint32_t n)
{
    switch (n) {
    case 0: return 1;
    case 1: return memcmp(d, seen, 4) == 0;
    case 2: return memcmp(d, seen, 8) == 0;
    case 3: return memcmp(d, seen, 12) == 0;
    default: return memcmp(d, seen, 16) == 0;
    }
}

/* set_input(ctx, index, tensor_ptr), per inference: the record that passed every check last time
 * (io->seen), its bytes and dims unchanged, needs only the copy (its ranges are still inside
 * memory: wasm memory never shrinks); anything else takes set_input_check. An i32 host function:
 * the arguments arrive in registers. */
static uint32_t nn_set_input(rune_wasm_hostcall *hc, uint32_t ci, uint32_t index, uint32_t tp,
                             uint32_t a3, uint32_t a4)
{
    rune_host *h = hc->user;
    (void)a3;
    (void)a4;
    /* n_in is 0 for a free context slot */
    if (hc->inst == h->mem_inst && ci < RH_MAX_CTXS && index < (uint32_t)h->ctxs[ci].n_in) {
        const rh_io *io = &h->ctxs[ci].in[index];
        const uint8_t *mem = *h->mem.base;
        if (io->seen_key == (uint64_t)tp + 1 && memcmp(mem + tp, io->seen, sizeof io->seen) == 0 &&
            same_dims(mem + rd32(io->seen + RUNE_ABI_NN_TENSOR_DIMS_PTR), io->seen_dims,
                      rd32(io->seen + RUNE_ABI_NN_TENSOR_DIMS_LEN)))
            return copy_ok(io->data, mem + rd32(io->seen + RUNE_ABI_NN_TENSOR_DATA_PTR), io->bytes);
    }
    return set_input_check(hc, ci, index, tp);
}

/* compute(ctx) -> errno */
static uint32_t nn_compute(rune_wasm_hostcall *hc, uint32_t ci, uint32_t a1, uint32_t a2,
                           uint32_t a3, uint32_t a4)
{
    rune_host *h = hc->user;
    (void)a1, (void)a2, (void)a3, (void)a4;
    rh_ctx *c = ctx_of(h, ci);
    if (!c) return (uint32_t)RUNE_NN_INVALID_ARGUMENT;
    rune_error e;
    if (rune_nn_interp_invoke(c->interp, &e) != RUNE_OK) {
        rh_notice(h, "wasi-nn: compute: %s", e.msg);
        return (uint32_t)RUNE_NN_RUNTIME_ERROR;
    }
    h->stats.inferences++;
    return RUNE_NN_SUCCESS;
}

/* get_output(ctx, index, out_ptr, out_max_len, bytes_written_ptr) -> errno: the general path, for
 * an output cache_io did not keep and for every failure (with its notice). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint32_t
get_output_checked(rune_wasm_instance *inst, rune_host *h, uint32_t ci, uint32_t index,
                   uint32_t out_ptr, uint32_t max, uint32_t written_ptr)
{
    rh_ctx *c = ctx_of(h, ci);
    uint8_t *written = rh_mem_ptr(h, inst, written_ptr, 4);
    uint8_t *out = rh_mem_ptr(h, inst, out_ptr, max);
    if (!c || !written || !out) return (uint32_t)RUNE_NN_INVALID_ARGUMENT;
    const void *data = NULL;
    size_t len = 0;
    rune_error e;
    if (index < (uint32_t)c->n_out) {
        data = c->out[index].data;
        len = c->out[index].bytes;
    } else if (rune_nn_interp_output(c->interp, (int)index, &data, &len, &e) != RUNE_OK) {
        rh_notice(h, "wasi-nn: get_output %d: %s", (int)index, e.msg);
        return (uint32_t)RUNE_NN_INVALID_ARGUMENT;
    }
    if (len > max) {
        rh_notice(h, "wasi-nn: get_output %d: %zu bytes do not fit the rune's %u-byte buffer",
                  (int)index, len, max);
        return (uint32_t)RUNE_NN_TOO_LARGE;
    }
    if (len) memcpy(out, data, len);
    wr32(written, (uint32_t)len);
    return RUNE_NN_SUCCESS;
}

/* get_output, per inference: an output cache_io kept, both guest ranges inside memory and the
 * output fitting the rune's buffer; anything else goes to get_output_checked. */
static uint32_t nn_get_output(rune_wasm_hostcall *hc, uint32_t ci, uint32_t index, uint32_t out_ptr,
                              uint32_t max, uint32_t written_ptr)
{
    rune_host *h = hc->user;
    if (hc->inst == h->mem_inst && ci < RH_MAX_CTXS && index < (uint32_t)h->ctxs[ci].n_out &&
        h->ctxs[ci].out[index].bytes <= max) {
        uint64_t msize;
        uint8_t *mem = rune_wasm_memref_view(&h->mem, &msize);
        uint8_t *written = rune_wasm_view_ptr(mem, msize, written_ptr, 4);
        uint8_t *out = rune_wasm_view_ptr(mem, msize, out_ptr, max);
        if (written && out) {
            const rh_io *io = &h->ctxs[ci].out[index];
            wr32(written, (uint32_t)io->bytes);
            return copy_ok(out, io->data, io->bytes);
        }
    }
    return get_output_checked(hc->inst, h, ci, index, out_ptr, max, written_ptr);
}

rune_status rh_define_nn(rune_host *h, rune_wasm_linker *l, rune_error *err)
{
    static const struct {
        const char *name, *sig;
        rune_wasm_host_fn fn;
    } fns[] = {
        {RUNE_ABI_NN_IMPORT_LOAD, "iiiii:i", nn_load},
        {RUNE_ABI_NN_IMPORT_LOAD_BY_NAME, "iii:i", nn_load_by_name},
        {RUNE_ABI_NN_IMPORT_INIT_CONTEXT, "ii:i", nn_init_ctx},
    };
    /* the per-inference ones: i32 host functions, their arguments in registers */
    static const struct {
        const char *name, *sig;
        rune_wasm_host_i32_fn fn;
    } fns32[] = {
        {RUNE_ABI_NN_IMPORT_SET_INPUT, "iii:i", nn_set_input},
        {RUNE_ABI_NN_IMPORT_COMPUTE, "i:i", nn_compute},
        {RUNE_ABI_NN_IMPORT_GET_OUTPUT, "iiiii:i", nn_get_output},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        rune_status st = rune_wasm_linker_define_func(l, RUNE_ABI_NN_MODULE, fns[i].name,
                                                      fns[i].sig, fns[i].fn, h, err);
        if (st != RUNE_OK) return st;
    }
    for (size_t i = 0; i < sizeof fns32 / sizeof fns32[0]; i++) {
        rune_status st = rune_wasm_linker_define_i32(l, RUNE_ABI_NN_MODULE, fns32[i].name,
                                                     fns32[i].sig, fns32[i].fn, h, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}
