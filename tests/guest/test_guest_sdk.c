/*
 * test_guest_sdk.c - the guest SDK over a test double of the host (host_double.c): a whole
 * micro_speech pipeline as generated code would write it (capability -> fft -> model -> softmax ->
 * most_confident_indices -> label -> serial JSON), the JSON and tensor-record formats, and how
 * every host error reaches the guest as a status with a message.
 */
#include "guest/host_double.h"
#include "guest/wav.h"
#include "rune_guest.h"
#include "rune_procblocks.h"
#include "test.h"

static int16_t *yes_audio(size_t *n)
{
    size_t len = 0;
    uint32_t rate;
    const char *why;
    unsigned char *b = test_read_file(SHARED("testdata/yes_1000ms.wav"), &len);
    int16_t *s = b ? wav_parse(b, len, n, &rate, &why) : NULL;
    free(b);
    return s;
}

/* What a generated rune does, minus the exports. */
static rune_pb_fft fft;
static rune_pb_softmax softmax;
static rune_pb_most_confident_indices mci;
static rune_pb_label label;

TEST(micro_speech_pipeline)
{
    rune_error err;
    size_t n = 0;
    int16_t *audio = yes_audio(&n);
    size_t flen = 0;
    unsigned char *features =
        test_read_file(SHARED("testdata/yes_micro_features_1960_int8.bin"), &flen);
    CHECK(audio && n == 16000 && features && flen == 1960);
    if (!audio || !features) return;
    host_double_reset();
    hd.audio = audio;
    hd.audio_len = n;
    /* The stand-in model accepts only the exact features TensorFlow computes for this audio and
     * answers with the logits the README lists for them. */
    hd.expect_input = features;
    hd.expect_input_len = flen;
    const int8_t logits[4] = {-50, -5, 121, -4};
    memcpy(hd.nn_output, logits, 4);
    hd.nn_output_len = 4;
    hd.resource_name = "labels.txt";
    hd.resource = "silence\nunknown\nyes\nno\n";

    /* _manifest */
    int32_t audio_h, serial_h;
    uint32_t graph, ctx;
    static const rune_pb_arg sm_args[] = {{"scale", "0.1"}};
    static const rune_pb_arg mci_args[] = {{"count", "2"}};
    static const rune_pb_arg label_args[] = {{"resource", "labels.txt"}};
    CHECK_OK(rune_capability_open(RUNE_CAP_SOUND, "hz=16000\nsamples=16000", &audio_h, &err), &err);
    CHECK_STR(hd.last_params, "hz=16000\nsamples=16000");
    CHECK_OK(rune_output_open(RUNE_OUT_SERIAL, NULL, &serial_h, &err), &err);
    CHECK_OK(rune_nn_load_by_name("micro_speech", &graph, &err), &err);
    CHECK_OK(rune_nn_init_context(graph, &ctx, &err), &err);
    CHECK_OK(rune_pb_fft_init(&fft, NULL, 0, &err), &err);
    CHECK_OK(rune_pb_softmax_init(&softmax, sm_args, 1, &err), &err);
    CHECK_OK(rune_pb_most_confident_indices_init(&mci, mci_args, 1, &err), &err);
    CHECK_OK(rune_pb_label_init(&label, label_args, 1, &err), &err);
    CHECK_EQ_INT(label.count, 4);

    /* _call */
    static int16_t samples[16000];
    static int8_t feat[1960];
    int8_t out[4];
    float probs[4];
    uint32_t idx[2];
    char text[64];
    const uint32_t sdims[1] = {16000}, odims[2] = {1, 4};
    rune_tensor t_audio, t_feat = {0}, t_out, t_probs = {0}, t_idx = {0}, t_label = {0};
    CHECK_OK(rune_tensor_init(&t_audio, RUNE_ELEM_I16, 1, sdims, samples, sizeof samples, &err),
             &err);
    CHECK_OK(rune_capability_read_tensor(audio_h, &t_audio, &err), &err);
    t_feat.data = feat;
    t_feat.len = sizeof feat;
    CHECK_OK(rune_pb_fft_transform(&fft, &t_audio, &t_feat, &err), &err);
    CHECK_OK(rune_nn_set_input(ctx, 0, &t_feat, &err), &err);
    CHECK_EQ_INT(hd.last_type, RUNE_NN_TYPE_U8); /* int8 travels as u8 bytes */
    CHECK_EQ_INT(hd.last_rank, 2);
    CHECK_EQ_INT(hd.last_dims[1], 1960);
    CHECK_OK(rune_nn_compute(ctx, &err), &err);
    CHECK_OK(rune_tensor_init(&t_out, RUNE_ELEM_I8, 2, odims, out, sizeof out, &err), &err);
    CHECK_OK(rune_nn_get_output(ctx, 0, &t_out, &err), &err);
    t_probs.data = probs;
    t_probs.len = sizeof probs;
    CHECK_OK(rune_pb_softmax_transform(&softmax, &t_out, &t_probs, &err), &err);
    t_idx.data = idx;
    t_idx.len = sizeof idx;
    CHECK_OK(rune_pb_most_confident_indices_transform(&mci, &t_probs, &t_idx, &err), &err);
    CHECK_EQ_INT(idx[0], 2);
    CHECK_EQ_INT(idx[1], 3);
    t_label.data = text;
    t_label.len = sizeof text;
    CHECK_OK(rune_pb_label_transform(&label, &t_idx, &t_label, &err), &err);
    CHECK_OK(rune_output_serial_labels(serial_h, "label", text, t_label.len, &err), &err);
    CHECK_STR(hd.written, "{\"name\":\"label\",\"labels\":[\"yes\",\"no\"]}\n");
    CHECK_EQ_INT(hd.writes, 1);

    /* The recording has one second: the next read reports the end of the input. */
    CHECK_STATUS(rune_capability_read_tensor(audio_h, &t_audio, &err), RUNE_E_IO);
    CHECK_EQ_INT(err.code, RUNE_ABI_E_END);
    CHECK_CONTAINS(err.msg, "end of input");
    free(audio);
    free(features);
}

TEST(json_formats)
{
    rune_error err;
    char buf[256];
    size_t len = 0;
    float f[3] = {0.25f, -1.5f, 1.0f / 3.0f};
    rune_tensor t = {RUNE_ELEM_F32, 2, {1, 3}, f, sizeof f};
    CHECK_OK(rune_json_tensor("probs", &t, buf, sizeof buf, &len, &err), &err);
    CHECK_STR(
        buf,
        "{\"name\":\"probs\",\"type\":\"f32\",\"shape\":[1,3],\"data\":[0.25,-1.5,0.333333343]}");
    CHECK_EQ_INT(len, strlen(buf));
    /* The 9 digits read back to the same float. */
    CHECK(strtof("0.333333343", NULL) == f[2]);
    f[1] = NAN;
    CHECK_OK(rune_json_tensor("q\"uote\n", &t, buf, sizeof buf, &len, &err), &err);
    CHECK_CONTAINS(buf, "\"name\":\"q\\\"uote\\u000a\"");
    CHECK_CONTAINS(buf, "[0.25,null,");
    int8_t q[4] = {-128, 0, 5, 127};
    rune_tensor ti = {RUNE_ELEM_I8, 1, {4}, q, 4};
    CHECK_OK(rune_json_tensor("x", &ti, buf, sizeof buf, &len, &err), &err);
    CHECK_STR(buf, "{\"name\":\"x\",\"type\":\"i8\",\"shape\":[4],\"data\":[-128,0,5,127]}");
    CHECK_STATUS(rune_json_tensor("x", &ti, buf, 20, &len, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "does not fit");
    ti.len = 3; /* shape says 4 */
    CHECK_STATUS(rune_json_tensor("x", &ti, buf, sizeof buf, &len, &err), RUNE_E_ARG);
    CHECK_OK(rune_json_labels("l", "a\nb", 3, buf, sizeof buf, &len, &err), &err);
    CHECK_STR(buf, "{\"name\":\"l\",\"labels\":[\"a\",\"b\"]}");
    CHECK_OK(rune_json_labels("l", "", 0, buf, sizeof buf, &len, &err), &err);
    CHECK_STR(buf, "{\"name\":\"l\",\"labels\":[]}");
}

TEST(tensor_record)
{
    rune_error err;
    int32_t h;
    host_double_reset();
    uint16_t v[2] = {0x0102, 0xfffe};
    rune_tensor t = {RUNE_ELEM_U16, 2, {1, 2}, v, 4};
    CHECK_OK(rune_output_open(RUNE_OUT_TENSOR, NULL, &h, &err), &err);
    CHECK_OK(rune_output_tensor(h, &t, &err), &err);
    const unsigned char want[] = {3, 0, 0, 0, 2, 0, 0,    0,    1,    0,
                                  0, 0, 2, 0, 0, 0, 0x02, 0x01, 0xfe, 0xff};
    CHECK_EQ_INT(hd.written_len, sizeof want + 1);
    CHECK(memcmp(hd.written, want, sizeof want) == 0);
    /* The same tensor as a serial JSON line. */
    int32_t s;
    host_double_reset();
    CHECK_OK(rune_output_open(RUNE_OUT_SERIAL, NULL, &s, &err), &err);
    CHECK_OK(rune_output_serial_tensor(s, "v", &t, &err), &err);
    CHECK_STR(hd.written,
              "{\"name\":\"v\",\"type\":\"u16\",\"shape\":[1,2],\"data\":[258,65534]}\n");
    /* A tensor larger than the record buffer is refused before anything is written. */
    rune_tensor huge = {RUNE_ELEM_U8, 1, {RUNE_GUEST_OUT_MAX}, hd.written, RUNE_GUEST_OUT_MAX};
    CHECK_STATUS(rune_output_tensor(s, &huge, &err), RUNE_E_LIMIT);
    CHECK_EQ_INT(hd.writes, 1);
}

/* The generated _call's fast path: raw calls, and on a failure the *_error functions, which must
 * say what the typed wrappers say for the same host answer. */
TEST(fast_path_errors_match_the_wrappers)
{
    rune_error a, b;
    int32_t h;
    host_double_reset();
    /* capability_read: an error code, a short read, a host claiming more than asked. */
    CHECK_STATUS(rune_capability_read_error(RUNE_ABI_E_END, 200, &a), RUNE_E_IO);
    CHECK_CONTAINS(a.msg, "capability_read: host returned end of input");
    CHECK_EQ_INT(a.code, RUNE_ABI_E_END);
    CHECK_OK(rune_capability_open(RUNE_CAP_SOUND, "samples=100", &h, &b), &b);
    int16_t few[3] = {1, 2, 3}, into[100];
    hd.audio = few;
    hd.audio_len = 3;
    rune_tensor t = {RUNE_ELEM_I16, 1, {100}, into, sizeof into};
    CHECK_STATUS(rune_capability_read_tensor(h, &t, &b), RUNE_E_IO);
    CHECK_STATUS(rune_capability_read_error(6, 200, &a), RUNE_E_IO);
    CHECK_STR(a.msg, b.msg);
    CHECK_STATUS(rune_capability_read_tensor(h, &t, &b), RUNE_E_IO); /* now exhausted */
    CHECK_STATUS(rune_capability_read_error(RUNE_ABI_E_END, 200, &a), RUNE_E_IO);
    CHECK_STR(a.msg, b.msg);
    CHECK_STATUS(rune_capability_read_error(300, 200, &a), RUNE_E_PROTOCOL);
    CHECK_CONTAINS(a.msg, "host claims 300 bytes of 200");
    /* output_write: refused, or a short write. */
    int32_t s;
    CHECK_OK(rune_output_open(RUNE_OUT_SERIAL, NULL, &s, &b), &b);
    hd.short_write = 1;
    CHECK_STATUS(rune_output_write(s, "{}", 2, &b), RUNE_E_IO);
    CHECK_STATUS(rune_output_write_error(1, 2, &a), RUNE_E_IO);
    CHECK_STR(a.msg, b.msg);
    CHECK_STATUS(rune_output_write(99, "{}", 2, &b), RUNE_E_ARG);
    CHECK_STATUS(rune_output_write_error(RUNE_ABI_E_BAD_HANDLE, 2, &a), RUNE_E_ARG);
    CHECK_STR(a.msg, b.msg);
    /* WASI-NN: every errno maps as the wrappers map it; get_output's short answer. */
    CHECK_STATUS(rune_nn_compute(5, &b), RUNE_E_ARG);
    CHECK_STATUS(rune_nn_error(RUNE_NN_INVALID_ARGUMENT, "compute", &a), RUNE_E_ARG);
    CHECK_STR(a.msg, b.msg);
    CHECK_EQ_INT(a.code, RUNE_NN_INVALID_ARGUMENT);
    CHECK_STATUS(rune_nn_error(RUNE_NN_RUNTIME_ERROR, "set_input", &a), RUNE_E_INVALID);
    CHECK_STR(a.msg, "wasi-nn set_input: runtime error (5)");
    CHECK_STATUS(rune_nn_error(RUNE_NN_TOO_LARGE, "get_output", &a), RUNE_E_LIMIT);
    CHECK_STATUS(rune_nn_get_output_error(RUNE_NN_TOO_LARGE, 0, 0, 4, &a), RUNE_E_LIMIT);
    CHECK_CONTAINS(a.msg, "wasi-nn get_output: too large");
    CHECK_STATUS(rune_nn_get_output_error(0, 1, 3, 4, &a), RUNE_E_INVALID);
    CHECK_STR(a.msg, "wasi-nn get_output: output 1 has 3 bytes, the pipeline expects 4");
}

/* A record header written once in front of the data, as generated code keeps it, is the record
 * rune_output_tensor builds. */
TEST(record_header_in_place)
{
    rune_error err;
    int32_t h;
    host_double_reset();
    CHECK_OK(rune_output_open(RUNE_OUT_TENSOR, NULL, &h, &err), &err);
    float v[6] = {1.5f, -2.0f, 0.0f, 3.25f, 1e-3f, 7.0f};
    rune_tensor t = {RUNE_ELEM_F32, 3, {1, 2, 3}, v, sizeof v};
    CHECK_OK(rune_output_tensor(h, &t, &err), &err);
    uint8_t rec[64] = {0};
    size_t head = rune_tensor_record_header(&t, rec);
    CHECK_EQ_INT(head, 8 + 4 * 3);
    memcpy(rec + head, v, sizeof v);
    CHECK_EQ_INT(hd.written_len, head + sizeof v + 1);
    CHECK(memcmp(hd.written, rec, head + sizeof v) == 0);
    rune_tensor scalar = {RUNE_ELEM_I32, 0, {0}, v, 4};
    CHECK_EQ_INT(rune_tensor_record_header(&scalar, rec), 8);
    CHECK(rec[0] == RUNE_ELEM_I32 && rec[4] == 0);
}

TEST(host_errors_reach_the_guest)
{
    rune_error err;
    int32_t h = 99;
    host_double_reset();
    hd.deny_image = 1;
    CHECK_STATUS(rune_capability_open(RUNE_CAP_IMAGE, "width=96\nheight=96", &h, &err),
                 RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "capability image: capability_open: host returned denied");
    CHECK_EQ_INT(h, -1);
    CHECK_STATUS(rune_capability_open(RUNE_CAP_ACCEL, NULL, &h, &err), RUNE_E_UNSUPPORTED);
    CHECK_STATUS(rune_capability_open(42, NULL, &h, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "unknown kind 42");
    CHECK_STATUS(rune_capability_open(RUNE_CAP_SOUND, "hz=16000", &h, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "invalid argument");
    char buf[16];
    size_t n;
    CHECK_STATUS(rune_capability_read(5, buf, sizeof buf, &n, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "bad handle");
    CHECK_OK(rune_capability_open(RUNE_CAP_SOUND, "samples=100", &h, &err), &err);
    CHECK_STATUS(rune_capability_read(h, buf, sizeof buf, &n, &err), RUNE_E_LIMIT);
    int16_t few[3] = {1, 2, 3}, into[100];
    hd.audio = few;
    hd.audio_len = 3;
    rune_tensor t = {RUNE_ELEM_I16, 1, {100}, into, sizeof into};
    CHECK_STATUS(rune_capability_read_tensor(h, &t, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "got 6 bytes, the declared shape needs 200");
    CHECK_OK(rune_capability_close(h, &err), &err);
    CHECK_STATUS(rune_capability_close(77, &err), RUNE_E_ARG);

    int32_t out;
    CHECK_STATUS(rune_output_open(RUNE_OUT_FILE, "path=x", &out, &err), RUNE_E_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "output file");
    CHECK_OK(rune_output_open(RUNE_OUT_SERIAL, NULL, &out, &err), &err);
    hd.short_write = 1;
    CHECK_STATUS(rune_output_serial_json(out, "{}", 2, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "took 1 of 2 bytes");

    size_t size;
    CHECK_STATUS(rune_resource_size("nope", &size, &err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "resource \"nope\"");
    rune_pb_label lb;
    static const rune_pb_arg la[] = {{"resource", "nope"}};
    CHECK_STATUS(rune_pb_label_init(&lb, la, 1, &err), RUNE_E_NOT_FOUND);

    uint32_t g, ctx;
    CHECK_STATUS(rune_nn_load_by_name("person", &g, &err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "model \"person\": wasi-nn load_by_name: not found");
    const uint8_t junk[16] = {0};
    CHECK_STATUS(rune_nn_load(junk, sizeof junk, &g, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "invalid encoding");
    size_t mlen = 0;
    unsigned char *model = test_read_file(SHARED("models/micro_speech_quantized.tflite"), &mlen);
    CHECK(model != NULL);
    if (model) {
        CHECK_OK(rune_nn_load(model, mlen, &g, &err), &err);
        CHECK_OK(rune_nn_init_context(g, &ctx, &err), &err);
        double d[2] = {1, 2};
        rune_tensor td = {RUNE_ELEM_F64, 1, {2}, d, sizeof d};
        CHECK_STATUS(rune_nn_set_input(ctx, 0, &td, &err), RUNE_E_UNSUPPORTED);
        CHECK_CONTAINS(err.msg, "f64 tensors cannot be passed");
        CHECK_OK(rune_nn_compute(ctx, &err), &err);
        hd.nn_output_len = 3;
        int8_t o4[4];
        rune_tensor to = {RUNE_ELEM_I8, 1, {4}, o4, 4};
        CHECK_STATUS(rune_nn_get_output(ctx, 0, &to, &err), RUNE_E_INVALID);
        CHECK_CONTAINS(err.msg, "has 3 bytes, the pipeline expects 4");
        free(model);
    }
    CHECK_STATUS(rune_nn_compute(5, &err), RUNE_E_ARG);
}

TEST(logs_and_fail)
{
    rune_error err;
    host_double_reset();
    rune_log(RUNE_LOG_INFO, "frame %d of %d", 3, 49);
    CHECK_EQ_INT(hd.last_level, RUNE_LOG_INFO);
    CHECK_STR(hd.last_log, "frame 3 of 49");
    char big[700];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    rune_log(RUNE_LOG_DEBUG, "%s", big);
    CHECK_EQ_INT(strlen(hd.last_log), 511);
    RUNE_ERR(&err, RUNE_E_DENIED, "capability sound: denied");
    CHECK_EQ_INT(rune_guest_fail(RUNE_E_DENIED, &err), RUNE_ABI_E_DENIED);
    CHECK_EQ_INT(hd.last_level, RUNE_LOG_ERROR);
    CHECK_STR(hd.last_log, "capability sound: denied");
    CHECK_EQ_INT(rune_guest_fail(RUNE_E_MALFORMED, NULL), RUNE_ABI_E_INVAL);
}

int main(void)
{
    RUN(micro_speech_pipeline);
    RUN(json_formats);
    RUN(tensor_record);
    RUN(fast_path_errors_match_the_wrappers);
    RUN(record_header_in_place);
    RUN(host_errors_reach_the_guest);
    RUN(logs_and_fail);
    return test_report();
}
