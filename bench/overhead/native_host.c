/*
 * native_host.c - the baseline of the overhead benchmark: the host side of the runic and WASI-NN
 * imports as direct native calls, so the pipeline C that `rune build` generated runs compiled
 * natively against the same model engine, the same proc blocks and the same RAND stream. Only what
 * the sine pipeline uses is served; everything else answers "unsupported".
 */
#include "native_host.h"

#include "rune/abi.h"
#include "rune/nn.h"
#include "rune/runicos.h"
#include "rune_guest.h"

#include <stdio.h>
#include <string.h>

static const uint8_t *model_bytes;
static size_t model_len;
static rune_nn_model *model;
static rune_nn_interp *interp;
static uint64_t rand_state;
static uint8_t *in_data; /* the model's input 0 and output 0, found at init_execution_context */
static size_t in_len, in_elems, out_len;
static const void *out_data;
static FILE *serial;

void native_host_init(const uint8_t *model_data, size_t len, uint64_t seed, FILE *out)
{
    model_bytes = model_data;
    model_len = len;
    rand_state = seed;
    serial = out;
}

void native_host_reset(void)
{
    rune_nn_interp_free(interp);
    rune_nn_model_free(model);
    interp = NULL;
    model = NULL;
}

int32_t runic_capability_open(int32_t kind, const void *params, int32_t params_len)
{
    (void)params;
    (void)params_len;
    return kind == RUNE_CAP_RAND ? 0 : RUNE_ABI_E_UNSUPPORTED;
}

int32_t runic_capability_read(int32_t handle, void *buf, int32_t buf_len)
{
    /* f32 values uniform in [0, 1), the host's RAND provider's stream. */
    (void)handle;
    float *f = buf;
    for (int32_t i = 0; i < buf_len / 4; i++) {
        uint64_t z = (rand_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        f[i] = (float)(z >> 40) / 16777216.0f;
    }
    return buf_len;
}

int32_t runic_capability_close(int32_t handle)
{
    return handle == 0 ? 0 : RUNE_ABI_E_BAD_HANDLE;
}
int32_t runic_output_open(int32_t kind, const void *params, int32_t params_len)
{
    (void)params;
    (void)params_len;
    return kind == RUNE_OUT_SERIAL ? 0 : RUNE_ABI_E_UNSUPPORTED;
}
int32_t runic_output_write(int32_t handle, const void *data, int32_t len)
{
    /* The same rendering the host does: a tensor record as a JSON line. */
    (void)handle;
    return rune_host_render_serial(serial, "sine", data, (size_t)len) == 0 ? len : RUNE_ABI_E_INVAL;
}
int32_t runic_output_close(int32_t handle)
{
    return handle == 0 ? 0 : RUNE_ABI_E_BAD_HANDLE;
}
int32_t runic_resource_size(const void *name, int32_t name_len)
{
    (void)name;
    (void)name_len;
    return RUNE_ABI_E_NOT_FOUND;
}
int32_t runic_resource_read(const void *name, int32_t name_len, int32_t offset, void *buf,
                            int32_t buf_len)
{
    (void)name, (void)name_len, (void)offset, (void)buf, (void)buf_len;
    return RUNE_ABI_E_NOT_FOUND;
}
void runic_log(int32_t level, const void *msg, int32_t len)
{
    fprintf(stderr, "[native] %d: %.*s\n", level, (int)len, (const char *)msg);
}

int32_t rune_nn_raw_load(const rune_nn_graph_builder *b, int32_t n, int32_t encoding,
                         int32_t target, uint32_t *graph_out)
{
    (void)b, (void)n, (void)encoding, (void)target, (void)graph_out;
    return RUNE_NN_UNSUPPORTED_OPERATION;
}

int32_t rune_nn_raw_load_by_name(const char *name, int32_t name_len, uint32_t *graph_out)
{
    (void)name;
    (void)name_len;
    rune_error err;
    if (rune_nn_model_load(model_bytes, model_len, &model, &err) != RUNE_OK) {
        fprintf(stderr, "native: %s\n", err.msg);
        return RUNE_NN_INVALID_ENCODING;
    }
    *graph_out = 0;
    return RUNE_NN_SUCCESS;
}

int32_t rune_nn_raw_init_execution_context(uint32_t graph, uint32_t *ctx_out)
{
    rune_error err;
    rune_nn_tensor_info info;
    (void)graph;
    if (rune_nn_interp_create(model, NULL, 0, &interp, &err) != RUNE_OK)
        return RUNE_NN_RUNTIME_ERROR;
    /* Like the host: what set_input and get_output need, looked up once. */
    if (rune_nn_model_input(model, 0, &info, &err) != RUNE_OK) return RUNE_NN_RUNTIME_ERROR;
    in_elems = info.n_elems;
    in_data = rune_nn_interp_input_data(interp, 0, &in_len);
    if (!in_data || in_len != info.bytes ||
        rune_nn_interp_output(interp, 0, &out_data, &out_len, &err) != RUNE_OK)
        return RUNE_NN_RUNTIME_ERROR;
    *ctx_out = 0;
    return RUNE_NN_SUCCESS;
}

int32_t rune_nn_raw_set_input(uint32_t ctx, uint32_t index, const rune_nn_tensor *t)
{
    /* The same checks the host makes: type, element count and byte length against the model's
     * tensor. */
    (void)ctx;
    uint64_t n = 1;
    for (uint32_t i = 0; i < t->dims_len; i++)
        n *= t->dims[i];
    if (index != 0 || t->type != RUNE_NN_TYPE_F32 || n != in_elems || t->data_len != in_len)
        return RUNE_NN_INVALID_ARGUMENT;
    memcpy(in_data, t->data, t->data_len);
    return RUNE_NN_SUCCESS;
}

int32_t rune_nn_raw_compute(uint32_t ctx)
{
    rune_error err;
    (void)ctx;
    return rune_nn_interp_invoke(interp, &err) == RUNE_OK ? RUNE_NN_SUCCESS : RUNE_NN_RUNTIME_ERROR;
}

int32_t rune_nn_raw_get_output(uint32_t ctx, uint32_t index, void *out, uint32_t out_max,
                               uint32_t *bytes_written)
{
    (void)ctx;
    if (index != 0) return RUNE_NN_INVALID_ARGUMENT;
    if (out_len > out_max) return RUNE_NN_TOO_LARGE;
    memcpy(out, out_data, out_len);
    *bytes_written = (uint32_t)out_len;
    return RUNE_NN_SUCCESS;
}
