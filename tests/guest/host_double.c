/*
 * host_double.c - the test double of host_double.h.
 */
#include "host_double.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

host_double hd;

enum { H_SOUND = 1, H_IMAGE = 2, H_SERIAL = 10, H_TENSOR = 11 };
static long sound_samples = 0;

void host_double_reset(void)
{
    memset(&hd, 0, sizeof hd);
    sound_samples = 0;
}

static long param(const char *p, int32_t len, const char *key)
{
    size_t kl = strlen(key);
    for (int32_t i = 0; i + (int32_t)kl < len; i++) {
        if ((i == 0 || p[i - 1] == '\n') && strncmp(p + i, key, kl) == 0 &&
            p[i + (int32_t)kl] == '=')
            return strtol(p + i + kl + 1, NULL, 10);
    }
    return -1;
}

int32_t runic_capability_open(int32_t kind, const void *params, int32_t params_len)
{
    snprintf(hd.last_params, sizeof hd.last_params, "%.*s", (int)params_len, (const char *)params);
    if (kind == RUNE_CAP_SOUND) {
        sound_samples = param(params, params_len, "samples");
        if (sound_samples <= 0) return RUNE_ABI_E_INVAL;
        return H_SOUND;
    }
    if (kind == RUNE_CAP_IMAGE) return hd.deny_image ? RUNE_ABI_E_DENIED : H_IMAGE;
    return RUNE_ABI_E_UNSUPPORTED;
}

int32_t runic_capability_read(int32_t handle, void *buf, int32_t buf_len)
{
    if (handle != H_SOUND) return RUNE_ABI_E_BAD_HANDLE;
    if (buf_len < sound_samples * 2) return RUNE_ABI_E_LIMIT;
    if (hd.audio_pos >= hd.audio_len) return RUNE_ABI_E_END;
    size_t n = hd.audio_len - hd.audio_pos;
    if (n > (size_t)sound_samples) n = (size_t)sound_samples;
    memcpy(buf, hd.audio + hd.audio_pos, n * 2);
    hd.audio_pos += n;
    return (int32_t)(n * 2);
}

int32_t runic_capability_close(int32_t handle)
{
    return handle == H_SOUND || handle == H_IMAGE ? 0 : RUNE_ABI_E_BAD_HANDLE;
}

int32_t runic_output_open(int32_t kind, const void *params, int32_t params_len)
{
    (void)params;
    (void)params_len;
    if (kind == RUNE_OUT_SERIAL) return H_SERIAL;
    if (kind == RUNE_OUT_TENSOR) return H_TENSOR;
    return RUNE_ABI_E_UNSUPPORTED;
}

int32_t runic_output_write(int32_t handle, const void *data, int32_t len)
{
    if (handle != H_SERIAL && handle != H_TENSOR) return RUNE_ABI_E_BAD_HANDLE;
    if ((size_t)len + 1 > sizeof hd.written - hd.written_len) return RUNE_ABI_E_LIMIT;
    memcpy(hd.written + hd.written_len, data, (size_t)len);
    hd.written_len += (size_t)len;
    hd.written[hd.written_len++] = '\n';
    hd.writes++;
    return hd.short_write ? len - 1 : len;
}

int32_t runic_output_close(int32_t handle)
{
    return handle == H_SERIAL || handle == H_TENSOR ? 0 : RUNE_ABI_E_BAD_HANDLE;
}

int32_t runic_resource_size(const void *name, int32_t name_len)
{
    if (!hd.resource_name || (size_t)name_len != strlen(hd.resource_name) ||
        memcmp(name, hd.resource_name, (size_t)name_len) != 0)
        return RUNE_ABI_E_NOT_FOUND;
    return (int32_t)strlen(hd.resource);
}

int32_t runic_resource_read(const void *name, int32_t name_len, int32_t offset, void *buf,
                            int32_t buf_len)
{
    int32_t size = runic_resource_size(name, name_len);
    if (size < 0) return size;
    if (offset < 0) return RUNE_ABI_E_INVAL;
    if (offset >= size) return 0;
    int32_t n = size - offset;
    if (n > buf_len) n = buf_len;
    if (n > 5) n = 5; /* small chunks, so the guest must loop */
    memcpy(buf, hd.resource + offset, (size_t)n);
    return n;
}

void runic_log(int32_t level, const void *msg, int32_t len)
{
    hd.last_level = level;
    snprintf(hd.last_log, sizeof hd.last_log, "%.*s", (int)len, (const char *)msg);
}

int32_t rune_nn_raw_load(const rune_nn_graph_builder *builders, int32_t n, int32_t encoding,
                         int32_t target, uint32_t *graph_out)
{
    if (n != 1 || encoding != RUNE_NN_ENCODING_TENSORFLOWLITE || target != RUNE_NN_TARGET_CPU)
        return RUNE_NN_INVALID_ARGUMENT;
    /* A TFLite flatbuffer carries "TFL3" at offset 4. */
    if (builders[0].len < 8 || memcmp(builders[0].ptr + 4, "TFL3", 4) != 0)
        return RUNE_NN_INVALID_ENCODING;
    *graph_out = 7;
    return RUNE_NN_SUCCESS;
}

int32_t rune_nn_raw_load_by_name(const char *name, int32_t name_len, uint32_t *graph_out)
{
    if (name_len == 12 && memcmp(name, "micro_speech", 12) == 0) {
        *graph_out = 3;
        return RUNE_NN_SUCCESS;
    }
    return RUNE_NN_NOT_FOUND;
}

int32_t rune_nn_raw_init_execution_context(uint32_t graph, uint32_t *ctx_out)
{
    if (graph != 3 && graph != 7) return RUNE_NN_INVALID_ARGUMENT;
    *ctx_out = graph + 100;
    return RUNE_NN_SUCCESS;
}

int32_t rune_nn_raw_set_input(uint32_t ctx, uint32_t index, const rune_nn_tensor *t)
{
    if (ctx < 100 || index != 0) return RUNE_NN_INVALID_ARGUMENT;
    hd.last_type = t->type;
    hd.last_rank = t->dims_len;
    for (uint32_t i = 0; i < t->dims_len && i < 8; i++)
        hd.last_dims[i] = t->dims[i];
    if (hd.expect_input && (t->data_len != hd.expect_input_len ||
                            memcmp(t->data, hd.expect_input, hd.expect_input_len) != 0))
        return RUNE_NN_INVALID_ARGUMENT;
    return RUNE_NN_SUCCESS;
}

int32_t rune_nn_raw_compute(uint32_t ctx)
{
    if (ctx < 100) return RUNE_NN_INVALID_ARGUMENT;
    hd.computed++;
    return RUNE_NN_SUCCESS;
}

int32_t rune_nn_raw_get_output(uint32_t ctx, uint32_t index, void *out, uint32_t out_max,
                               uint32_t *bytes_written)
{
    if (ctx < 100 || index != 0 || !hd.computed) return RUNE_NN_INVALID_ARGUMENT;
    if (out_max < hd.nn_output_len) return RUNE_NN_TOO_LARGE;
    memcpy(out, hd.nn_output, hd.nn_output_len);
    *bytes_written = (uint32_t)hd.nn_output_len;
    return RUNE_NN_SUCCESS;
}
