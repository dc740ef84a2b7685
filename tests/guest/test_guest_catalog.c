/*
 * test_guest_catalog.c - the host-side proc-block catalog: names and aliases, documented
 * arguments, output types for the micro_speech and person_detect pipelines, refusals with the
 * guest's own messages, agreement with what each block's transform really produces, and no leaks
 * (also when allocation fails).
 */
#include "rune/alloc.h"
#include "rune_catalog.h"
#include "test.h"

static rune_catalog_type ty(int32_t elem, uint32_t rank, uint32_t d0, uint32_t d1)
{
    rune_catalog_type t;
    memset(&t, 0, sizeof t);
    t.elem = elem;
    t.rank = rank;
    t.dims[0] = d0;
    t.dims[1] = d1;
    return t;
}

TEST(names)
{
    CHECK_EQ_INT(rune_catalog_count(), 11);
    const rune_catalog_block *fft = rune_catalog_find("fft");
    CHECK(fft != NULL);
    CHECK(rune_catalog_find("runicos/fft") == fft);
    CHECK(rune_catalog_find("hotg-ai/rune#proc_blocks/fft") == fft);
    CHECK(rune_catalog_find("runicos/fft:latest") == fft);
    CHECK(rune_catalog_find("image-normalize") == rune_catalog_find("image_normalize"));
    CHECK(rune_catalog_find("proc-blocks/audio_float_conversion") ==
          rune_catalog_find("audio_float"));
    CHECK(rune_catalog_find("object_filter") == rune_catalog_find("threshold"));
    CHECK(rune_catalog_find("fftw") == NULL);
    CHECK(rune_catalog_find("runicos/") == NULL);
    CHECK(rune_catalog_find(NULL) == NULL);
    for (size_t i = 0; i < rune_catalog_count(); i++) {
        const rune_catalog_block *b = rune_catalog_at(i);
        CHECK(b && b->name && b->doc && b->infer && b->state_size > 0);
        CHECK(rune_catalog_find(b->full_name) == b);
        CHECK(strncmp(b->c_init, b->c_state, strlen(b->c_state)) == 0);
        for (size_t a = 0; a < b->nargs; a++)
            CHECK(b->args[a].name && b->args[a].doc);
    }
    CHECK(rune_catalog_at(rune_catalog_count()) == NULL);
    CHECK_STR(fft->c_transform, "rune_pb_fft_transform");
    CHECK_EQ_INT(fft->state_size, sizeof(rune_pb_fft));
}

TEST(micro_speech_types)
{
    rune_error err;
    char s[64];
    rune_catalog_type in = ty(RUNE_ELEM_I16, 1, 16000, 0), out;
    CHECK_OK(rune_catalog_infer("runicos/fft", &in, NULL, 0, &out, &err), &err);
    CHECK_STR(rune_catalog_type_str(&out, s, sizeof s), "i8[1,1960]");
    static const rune_pb_arg raw[] = {{"output", "u16"}, {"window-step-ms", "10"}};
    CHECK_OK(rune_catalog_infer("fft", &in, raw, 2, &out, &err), &err);
    CHECK_STR(rune_catalog_type_str(&out, s, sizeof s), "u16[1,3920]");
    /* Streaming reads of 320 samples: each call gives at most one frame. */
    static const rune_pb_arg stream[] = {{"streaming", "true"}};
    rune_catalog_type hop = ty(RUNE_ELEM_I16, 1, 320, 0);
    CHECK_OK(rune_catalog_infer("fft", &hop, stream, 1, &out, &err), &err);
    CHECK_STR(rune_catalog_type_str(&out, s, sizeof s), "i8[<=1,40]");
    /* The Rune paper's 150 samples: fewer than one window, so their magnitude spectrum. */
    rune_catalog_type paper = ty(RUNE_ELEM_I16, 1, 150, 0);
    CHECK_OK(rune_catalog_infer("runicos/fft", &paper, NULL, 0, &out, &err), &err);
    CHECK_STR(rune_catalog_type_str(&out, s, sizeof s), "f32[150]");
    static const rune_pb_arg spec[] = {{"mode", "spectrum"}};
    rune_catalog_type f512 = ty(RUNE_ELEM_F32, 2, 1, 512);
    CHECK_OK(rune_catalog_infer("fft", &f512, spec, 1, &out, &err), &err);
    CHECK_STR(rune_catalog_type_str(&out, s, sizeof s), "f32[512]");
    rune_catalog_type logits = ty(RUNE_ELEM_I8, 2, 1, 4);
    CHECK_OK(rune_catalog_infer("softmax", &logits, NULL, 0, &out, &err), &err);
    CHECK_STR(rune_catalog_type_str(&out, s, sizeof s), "f32[1,4]");
    CHECK_OK(rune_catalog_infer("most_confident_indices", &out, NULL, 0, &out, &err), &err);
    CHECK_STR(rune_catalog_type_str(&out, s, sizeof s), "u32[1]");
    static const rune_pb_arg labels[] = {{"labels", "silence,unknown,yes,no"}};
    CHECK_OK(rune_catalog_infer("label", &out, labels, 1, &out, &err), &err);
    CHECK_STR(rune_catalog_type_str(&out, s, sizeof s), "text u8[<=8]"); /* "unknown" + '\n' */
    rune_catalog_type img = ty(RUNE_ELEM_U8, 4, 1, 96), o2;
    img.dims[2] = 96;
    img.dims[3] = 1;
    static const rune_pb_arg pix[] = {{"mean", "128"}};
    CHECK_OK(rune_catalog_infer("image_normalize", &img, pix, 1, &o2, &err), &err);
    CHECK_STR(rune_catalog_type_str(&o2, s, sizeof s), "i8[1,96,96,1]");
    CHECK_EQ_INT(rune_alloc_live(), 0);
}

TEST(refusals)
{
    rune_error err;
    rune_catalog_type in = ty(RUNE_ELEM_I16, 1, 16000, 0), out;
    CHECK_STATUS(rune_catalog_infer("fftw", &in, NULL, 0, &out, &err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "unknown proc block \"fftw\" (known: fft, normalize,");
    static const rune_pb_arg bad[] = {{"num_channels", "100"}};
    CHECK_STATUS(rune_catalog_infer("fft", &in, bad, 1, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "fft: argument num_channels=100 is outside 1..64");
    rune_catalog_type f = ty(RUNE_ELEM_F32, 1, 16000, 0);
    CHECK_STATUS(rune_catalog_infer("fft", &f, NULL, 0, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "fft: input elements are f32, expected i16");
    rune_catalog_type shortin = ty(RUNE_ELEM_I16, 1, 100, 0);
    static const rune_pb_arg fe[] = {{"mode", "frontend"}};
    CHECK_STATUS(rune_catalog_infer("fft", &shortin, fe, 1, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "fewer than one 480-sample window");
    /* Short inputs give their spectrum, which is f32 only. */
    static const rune_pb_arg i8[] = {{"output", "i8"}};
    CHECK_STATUS(rune_catalog_infer("fft", &shortin, i8, 1, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "gives their f32 spectrum; output=i8 is not possible");
    static const rune_pb_arg spec[] = {{"mode", "spectrum"}};
    CHECK_STATUS(rune_catalog_infer("fft", &in, spec, 1, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "fft: a spectrum of 16000 samples; 1..1024 are supported");
    static const rune_pb_arg badmode[] = {{"mode", "fast"}};
    CHECK_STATUS(rune_catalog_infer("fft", &shortin, badmode, 1, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "mode=\"fast\" is not one of auto, frontend, spectrum");
    rune_catalog_type four = ty(RUNE_ELEM_F32, 1, 4, 0);
    static const rune_pb_arg c9[] = {{"count", "9"}};
    CHECK_STATUS(rune_catalog_infer("most_confident_indices", &four, c9, 1, &out, &err),
                 RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "count=9 but the input has only 4");
    CHECK_STATUS(rune_catalog_infer("label", &four, NULL, 0, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "label: input elements are f32");
    rune_catalog_type idx = ty(RUNE_ELEM_U32, 1, 1, 0);
    CHECK_STATUS(rune_catalog_infer("label", &idx, NULL, 0, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "labels or resource is required");
    static const rune_pb_arg res[] = {{"resource", "labels.txt"}};
    CHECK_OK(rune_catalog_infer("label", &idx, res, 1, &out, &err), &err);
    CHECK(out.text && out.dynamic && out.dims[0] >= 1);
    CHECK_STATUS(rune_catalog_infer("modulo", &four, NULL, 0, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "modulus is required");
    rune_catalog_type i32 = ty(RUNE_ELEM_I32, 1, 4, 0);
    static const rune_pb_arg half[] = {{"modulus", "2.5"}};
    CHECK_STATUS(rune_catalog_infer("modulo", &i32, half, 1, &out, &err), RUNE_E_ARG);
    rune_catalog_type zero = ty(RUNE_ELEM_F32, 2, 1, 0);
    CHECK_STATUS(rune_catalog_infer("softmax", &zero, NULL, 0, &out, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "dimension 1 is 0");
    rune_catalog_type weird = ty(99, 1, 4, 0);
    CHECK_STATUS(rune_catalog_infer("argmax", &weird, NULL, 0, &out, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_catalog_infer("argmax", NULL, NULL, 0, &out, &err), RUNE_E_ARG);

    /* Allocation failure inside infer: a status, nothing leaked. */
    rune_alloc_fail_after(0);
    CHECK_STATUS(rune_catalog_infer("fft", &in, NULL, 0, &out, &err), RUNE_E_NOMEM);
    static const rune_pb_arg l[] = {{"labels", "a,b"}};
    CHECK_STATUS(rune_catalog_infer("label", &idx, l, 1, &out, &err), RUNE_E_NOMEM);
    rune_alloc_fail_after(-1);
    CHECK_EQ_INT(rune_alloc_live(), 0);
}

/* The catalog's type is the type the transform produces (bounded ones: within the bound). */
TEST(catalog_agrees_with_transforms)
{
    rune_error err;
    char a[64], b[64];
    static int16_t audio[16000];
    for (int i = 0; i < 16000; i++)
        audio[i] = (int16_t)((i * 7919) % 20000 - 10000);
    static unsigned char outbuf[65536];
    static rune_pb_fft fft;
    rune_catalog_type in = ty(RUNE_ELEM_I16, 2, 1, 16000), want;
    CHECK_OK(rune_catalog_infer("fft", &in, NULL, 0, &want, &err), &err);
    CHECK_OK(rune_pb_fft_init(&fft, NULL, 0, &err), &err);
    rune_tensor t = {RUNE_ELEM_I16, 2, {1, 16000}, audio, sizeof audio}, o = {0};
    o.data = outbuf;
    o.len = sizeof outbuf;
    CHECK_OK(rune_pb_fft_transform(&fft, &t, &o, &err), &err);
    rune_catalog_type got = ty(o.elem, o.rank, o.dims[0], o.dims[1]);
    CHECK_STR(rune_catalog_type_str(&got, a, sizeof a), rune_catalog_type_str(&want, b, sizeof b));

    /* Streaming in 320-sample reads into a buffer of exactly the catalog's bound. */
    static const rune_pb_arg stream[] = {{"streaming", "true"}};
    rune_catalog_type hop = ty(RUNE_ELEM_I16, 1, 320, 0);
    CHECK_OK(rune_catalog_infer("fft", &hop, stream, 1, &want, &err), &err);
    CHECK_OK(rune_pb_fft_init(&fft, stream, 1, &err), &err);
    size_t frames = 0;
    for (size_t off = 0; off < 16000; off += 320) {
        rune_tensor piece = {RUNE_ELEM_I16, 1, {320}, audio + off, 640};
        o.data = outbuf;
        o.len = want.dims[1];
        CHECK_OK(rune_pb_fft_transform(&fft, &piece, &o, &err), &err);
        CHECK(o.len <= want.dims[1]);
        frames += o.len / 40;
    }
    CHECK_EQ_INT(frames, 49);

    /* The spectrum of a short input. */
    rune_catalog_type shortin = ty(RUNE_ELEM_I16, 1, 150, 0);
    CHECK_OK(rune_catalog_infer("fft", &shortin, NULL, 0, &want, &err), &err);
    CHECK_OK(rune_pb_fft_init(&fft, NULL, 0, &err), &err);
    rune_tensor piece = {RUNE_ELEM_I16, 1, {150}, audio, 300};
    o.data = outbuf;
    o.len = sizeof outbuf;
    CHECK_OK(rune_pb_fft_transform(&fft, &piece, &o, &err), &err);
    got = ty(o.elem, o.rank, o.dims[0], o.dims[1]);
    CHECK_STR(rune_catalog_type_str(&got, a, sizeof a), rune_catalog_type_str(&want, b, sizeof b));

    float scores[6] = {0.2f, 0.9f, 0.4f, 0.8f, 0.1f, 0.7f};
    rune_catalog_type sin = ty(RUNE_ELEM_F32, 2, 2, 3);
    rune_tensor st = {RUNE_ELEM_F32, 2, {2, 3}, scores, sizeof scores};
    rune_pb_threshold th;
    static const rune_pb_arg ta[] = {{"threshold", "0.5"}};
    CHECK_OK(rune_catalog_infer("threshold", &sin, ta, 1, &want, &err), &err);
    CHECK_OK(rune_pb_threshold_init(&th, ta, 1, &err), &err);
    o.len = sizeof outbuf;
    CHECK_OK(rune_pb_threshold_transform(&th, &st, &o, &err), &err);
    CHECK(want.dynamic && o.elem == want.elem && o.rank == 1 && o.dims[0] <= want.dims[0]);
    CHECK_EQ_INT(o.dims[0], 3);

    rune_pb_softmax sm;
    CHECK_OK(rune_catalog_infer("softmax", &sin, NULL, 0, &want, &err), &err);
    CHECK_OK(rune_pb_softmax_init(&sm, NULL, 0, &err), &err);
    o.len = sizeof outbuf;
    CHECK_OK(rune_pb_softmax_transform(&sm, &st, &o, &err), &err);
    got = ty(o.elem, o.rank, o.dims[0], o.dims[1]);
    CHECK_STR(rune_catalog_type_str(&got, a, sizeof a), rune_catalog_type_str(&want, b, sizeof b));
}

int main(void)
{
    RUN(names);
    RUN(micro_speech_types);
    RUN(refusals);
    RUN(catalog_agrees_with_transforms);
    CHECK_EQ_INT(rune_alloc_live(), 0);
    return test_report();
}
