/*
 * audio_float.c - "audio_float": i16 samples -> f32 in [-1, 1), x / 32768. Workload: 1 s of audio
 * (16000 samples) per call, one pass.
 */
#include "pb_int.h"

rune_status rune_pb_audio_float_init(rune_pb_audio_float *st, const rune_pb_arg *args, size_t nargs,
                                     rune_error *err)
{
    static const char *const known[] = {NULL};
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "audio_float: no state");
    st->unused_ = 0;
    return rune_pb_args_check("audio_float", args, nargs, known, err);
}

rune_status rune_pb_audio_float_transform(rune_pb_audio_float *st, const rune_tensor *in,
                                          rune_tensor *out, rune_error *err)
{
    size_t n = 0;
    (void)st;
    PB_TRY(pb_input("audio_float", in, &n, err));
    PB_TRY(rune_tensor_expect(in, RUNE_ELEM_I16, "audio_float input", err));
    if (out && out->data == in->data)
        return RUNE_ERR(err, RUNE_E_ARG, "audio_float: output must not share the input's buffer");
    uint32_t dims[RUNE_ABI_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    const int16_t *x = (const int16_t *)in->data;
    PB_TRY(pb_output("audio_float", out, RUNE_ELEM_F32, in->rank, dims, err));
    float *y = (float *)out->data;
    for (size_t i = 0; i < n; i++)
        y[i] = (float)x[i] / 32768.0f;
    return RUNE_OK;
}
