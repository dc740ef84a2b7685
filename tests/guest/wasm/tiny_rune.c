/*
 * tiny_rune.c - a rune as the code generator would write it for the micro_speech Runefile
 * (CAPABILITY SOUND -> fft -> model -> softmax -> most_confident_indices -> label -> OUT serial),
 * compiled by test_guest_wasm against the wasm32 guest archive to check it links into a module
 * with the right imports and exports. Not run here: there is no host in this test.
 */
#include "rune_guest.h"
#include "rune_procblocks.h"

static int32_t audio, serial;
static uint32_t ctx;
static rune_pb_fft fft;
static rune_pb_softmax softmax;
static rune_pb_most_confident_indices mci;
static rune_pb_label label;

static int16_t samples[16000];
static int8_t features[1960], logits[4];
static float probs[4];
static uint32_t indices[1];
static char text[64];

RUNE_EXPORT("_manifest") int32_t rune_manifest(void)
{
    static const rune_pb_arg fft_args[] = {{"sample-rate", "16000"}};
    static const rune_pb_arg sm_args[] = {{"scale", "0.00390625"}, {"zero_point", "-128"}};
    static const rune_pb_arg label_args[] = {{"labels", "silence,unknown,yes,no"}};
    rune_error err;
    rune_status st;
    uint32_t graph;
    if ((st = rune_capability_open(RUNE_CAP_SOUND, "hz=16000\nsamples=16000", &audio, &err)) ||
        (st = rune_output_open(RUNE_OUT_SERIAL, NULL, &serial, &err)) ||
        (st = rune_nn_load_by_name("model", &graph, &err)) ||
        (st = rune_nn_init_context(graph, &ctx, &err)) ||
        (st = rune_pb_fft_init(&fft, fft_args, 1, &err)) ||
        (st = rune_pb_softmax_init(&softmax, sm_args, 2, &err)) ||
        (st = rune_pb_most_confident_indices_init(&mci, NULL, 0, &err)) ||
        (st = rune_pb_label_init(&label, label_args, 1, &err)))
        return rune_guest_fail(st, &err);
    return 0;
}

RUNE_EXPORT("_call") int32_t rune_call(void)
{
    rune_error err;
    rune_status st;
    rune_tensor t_audio = {RUNE_ELEM_I16, 1, {16000}, samples, sizeof samples};
    rune_tensor t_feat = {0, 0, {0}, features, sizeof features};
    rune_tensor t_logits = {RUNE_ELEM_I8, 2, {1, 4}, logits, sizeof logits};
    rune_tensor t_probs = {0, 0, {0}, probs, sizeof probs};
    rune_tensor t_idx = {0, 0, {0}, indices, sizeof indices};
    rune_tensor t_text = {0, 0, {0}, text, sizeof text};
    if ((st = rune_capability_read_tensor(audio, &t_audio, &err)) ||
        (st = rune_pb_fft_transform(&fft, &t_audio, &t_feat, &err)) ||
        (st = rune_nn_set_input(ctx, 0, &t_feat, &err)) || (st = rune_nn_compute(ctx, &err)) ||
        (st = rune_nn_get_output(ctx, 0, &t_logits, &err)) ||
        (st = rune_pb_softmax_transform(&softmax, &t_logits, &t_probs, &err)) ||
        (st = rune_pb_most_confident_indices_transform(&mci, &t_probs, &t_idx, &err)) ||
        (st = rune_pb_label_transform(&label, &t_idx, &t_text, &err)) ||
        (st = rune_output_serial_labels(serial, "label", text, t_text.len, &err)))
        return rune_guest_fail(st, &err);
    return 0;
}
