/*
 * nn.c - typed wrappers over the WASI-NN (wasi_ephemeral_nn, witx) imports.
 *
 * Workload: one load and one context at _manifest, then set_input/compute/get_output per _call.
 * Element types map onto WASI-NN's four: f32, u8 (also int8 data, as bytes), i32; the host checks
 * the bytes against the model's tensor.
 */
#include <string.h>

#include "rune_guest.h"

static const char *nn_errno_name(int32_t e)
{
    switch (e) {
    case RUNE_NN_INVALID_ARGUMENT: return "invalid argument";
    case RUNE_NN_INVALID_ENCODING: return "invalid encoding";
    case RUNE_NN_MISSING_MEMORY: return "missing memory";
    case RUNE_NN_BUSY: return "busy";
    case RUNE_NN_RUNTIME_ERROR: return "runtime error";
    case RUNE_NN_UNSUPPORTED_OPERATION: return "unsupported operation";
    case RUNE_NN_TOO_LARGE: return "too large";
    case RUNE_NN_NOT_FOUND: return "not found";
    default: return "unknown error";
    }
}

rune_status rune_nn_error(int32_t e, const char *what, rune_error *err)
{
    rune_status st = e == RUNE_NN_NOT_FOUND               ? RUNE_E_NOT_FOUND
                     : e == RUNE_NN_INVALID_ARGUMENT      ? RUNE_E_ARG
                     : e == RUNE_NN_INVALID_ENCODING      ? RUNE_E_MALFORMED
                     : e == RUNE_NN_UNSUPPORTED_OPERATION ? RUNE_E_UNSUPPORTED
                     : e == RUNE_NN_TOO_LARGE             ? RUNE_E_LIMIT
                     : e == RUNE_NN_MISSING_MEMORY        ? RUNE_E_NOMEM
                                                          : RUNE_E_INVALID;
    RUNE_ERR(err, st, "wasi-nn %s: %s (%d)", what, nn_errno_name(e), (int)e);
    if (err) err->code = e;
    return st;
}

rune_status rune_nn_load(const uint8_t *model, size_t len, uint32_t *graph, rune_error *err)
{
    if (!model || !len || !graph) return RUNE_ERR(err, RUNE_E_ARG, "wasi-nn load: no model bytes");
    if (len > 0x7fffffff) return RUNE_ERR(err, RUNE_E_ARG, "wasi-nn load: model too large");
    rune_nn_graph_builder b = {model, (uint32_t)len};
    int32_t e = rune_nn_raw_load(&b, 1, RUNE_NN_ENCODING_TENSORFLOWLITE, RUNE_NN_TARGET_CPU, graph);
    return e ? rune_nn_error(e, "load", err) : RUNE_OK;
}

rune_status rune_nn_load_by_name(const char *name, uint32_t *graph, rune_error *err)
{
    if (!name || !*name || !graph)
        return RUNE_ERR(err, RUNE_E_ARG, "wasi-nn load_by_name: no name");
    int32_t e = rune_nn_raw_load_by_name(name, (int32_t)strlen(name), graph);
    if (!e) return RUNE_OK;
    rune_status st = rune_nn_error(e, "load_by_name", err);
    rune_error_prefix(err, "model \"%s\"", name);
    return st;
}

rune_status rune_nn_init_context(uint32_t graph, uint32_t *ctx, rune_error *err)
{
    if (!ctx) return RUNE_ERR(err, RUNE_E_ARG, "wasi-nn init_execution_context: no out pointer");
    int32_t e = rune_nn_raw_init_execution_context(graph, ctx);
    return e ? rune_nn_error(e, "init_execution_context", err) : RUNE_OK;
}

rune_status rune_nn_set_input(uint32_t ctx, uint32_t index, const rune_tensor *t, rune_error *err)
{
    if (!t) return RUNE_ERR(err, RUNE_E_ARG, "wasi-nn set_input: no tensor");
    uint8_t type;
    switch (t->elem) {
    case RUNE_ELEM_F32: type = RUNE_NN_TYPE_F32; break;
    case RUNE_ELEM_U8:
    case RUNE_ELEM_I8: type = RUNE_NN_TYPE_U8; break;
    case RUNE_ELEM_I32: type = RUNE_NN_TYPE_I32; break;
    default: {
        const char *n = rune_abi_elem_name(t->elem);
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "wasi-nn set_input: %s tensors cannot be passed",
                        n ? n : "unknown");
    }
    }
    rune_status st = rune_tensor_expect(t, t->elem, "wasi-nn set_input", err);
    if (st != RUNE_OK) return st;
    rune_nn_tensor nt = {t->dims, t->rank, type, (const uint8_t *)t->data, (uint32_t)t->len};
    int32_t e = rune_nn_raw_set_input(ctx, index, &nt);
    return e ? rune_nn_error(e, "set_input", err) : RUNE_OK;
}

rune_status rune_nn_compute(uint32_t ctx, rune_error *err)
{
    int32_t e = rune_nn_raw_compute(ctx);
    return e ? rune_nn_error(e, "compute", err) : RUNE_OK;
}

rune_status rune_nn_get_output(uint32_t ctx, uint32_t index, rune_tensor *t, rune_error *err)
{
    if (!t || (!t->data && t->len))
        return RUNE_ERR(err, RUNE_E_ARG, "wasi-nn get_output: no buffer");
    uint32_t written = 0;
    int32_t e = rune_nn_raw_get_output(ctx, index, t->data, (uint32_t)t->len, &written);
    return e || written != t->len ? rune_nn_get_output_error(e, index, written, t->len, err)
                                  : RUNE_OK;
}

rune_status rune_nn_get_output_error(int32_t e, uint32_t index, uint32_t written, size_t want,
                                     rune_error *err)
{
    if (e) return rune_nn_error(e, "get_output", err);
    return RUNE_ERR(err, RUNE_E_INVALID,
                    "wasi-nn get_output: output %u has %u bytes, the pipeline expects %zu",
                    (unsigned)index, (unsigned)written, want);
}
