/*
 * infer.c - output types of the standard proc blocks, for the host-side catalog.
 *
 * Workload: a few calls per Runefile build. Each function checks the input type, validates the
 * arguments by running the block's own init natively (so the messages are the guest's), and
 * computes the output shape with the same formulas the transforms use.
 */
#include <math.h>
#include <string.h>

#include "catalog_int.h"
#include "rune/alloc.h"

static size_t count_of(const rune_catalog_type *t)
{
    size_t n = 1;
    for (uint32_t i = 0; i < t->rank; i++)
        n *= t->dims[i];
    return n;
}

static rune_status want(const char *block, const rune_catalog_type *in, const char *types,
                        rune_error *err)
{
    const char *name = rune_abi_elem_name(in->elem);
    if (!name || in->rank > RUNE_ABI_MAX_RANK)
        return RUNE_ERR(err, RUNE_E_ARG, "%s: input has an unknown element type", block);
    for (uint32_t i = 0; i < in->rank; i++)
        if (in->dims[i] == 0)
            return RUNE_ERR(err, RUNE_E_ARG, "%s: input dimension %u is 0", block, i);
    if (in->text) return RUNE_ERR(err, RUNE_E_ARG, "%s: input is text, not numbers", block);
    size_t nl = strlen(name);
    for (const char *p = types; *p;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == nl && memcmp(p, name, nl) == 0) return RUNE_OK;
        p += len + (e ? 1 : 0);
    }
    return RUNE_ERR(err, RUNE_E_ARG, "%s: input elements are %s, expected %s", block, name, types);
}

static void set_type(rune_catalog_type *out, int32_t elem, uint32_t rank, const uint32_t *dims)
{
    memset(out, 0, sizeof *out);
    out->elem = elem;
    out->rank = rank;
    for (uint32_t i = 0; i < rank; i++)
        out->dims[i] = dims[i];
}

/* The spectrum: f32[N] for N samples (i16 or f32). */
static rune_status infer_fft_spectrum(const rune_pb_fft *pb, const rune_catalog_type *in,
                                      rune_catalog_type *out, rune_error *err)
{
    const size_t n = count_of(in);
    if (in->elem != RUNE_ELEM_I16 && in->elem != RUNE_ELEM_F32)
        return RUNE_ERR(err, RUNE_E_ARG, "fft: input elements are %s, expected i16 or f32",
                        rune_abi_elem_name(in->elem));
    if (n > RUNE_PB_FFT_MAX_SPECTRUM)
        return RUNE_ERR(err, RUNE_E_ARG, "fft: a spectrum of %zu samples; 1..%d are supported", n,
                        RUNE_PB_FFT_MAX_SPECTRUM);
    if (pb->output_given && pb->output != RUNE_PB_FFT_OUT_F32)
        return RUNE_ERR(err, RUNE_E_ARG,
                        "fft: %zu samples are fewer than one %d-sample window, so the block gives "
                        "their f32 spectrum; output=%s is not possible",
                        n, pb->window_size, pb->output == RUNE_PB_FFT_OUT_I8 ? "i8" : "u16");
    const uint32_t dims[1] = {(uint32_t)n};
    set_type(out, RUNE_ELEM_F32, 1, dims);
    return RUNE_OK;
}

rune_status catalog_infer_fft(const rune_catalog_type *in, const rune_pb_arg *args, size_t nargs,
                              rune_catalog_type *out, rune_error *err)
{
    rune_status st = want("fft", in, "i16|f32", err);
    if (st != RUNE_OK) return st;
    rune_pb_fft *pb = rune_malloc(sizeof *pb);
    if (!pb) return RUNE_ERR(err, RUNE_E_NOMEM, "fft: out of memory");
    st = rune_pb_fft_init(pb, args, nargs, err);
    if (st == RUNE_OK && rune_pb_fft_is_spectrum(pb, count_of(in))) {
        st = infer_fft_spectrum(pb, in, out, err);
    } else if (st == RUNE_OK && in->elem != RUNE_ELEM_I16) {
        st = RUNE_ERR(err, RUNE_E_ARG,
                      "fft: input elements are %s, expected i16 (the front end; f32 samples need "
                      "mode=spectrum)",
                      rune_abi_elem_name(in->elem));
    } else if (st == RUNE_OK) {
        /* Streaming keeps up to window - 1 samples from earlier calls, so a call may complete
         * more windows than its own samples give: the shape is then a bound. */
        const size_t n = count_of(in) + (pb->streaming ? (size_t)pb->window_size - 1 : 0);
        const size_t frames = rune_pb_fft_frames(pb, n);
        if (frames == 0) {
            st = RUNE_ERR(err, RUNE_E_ARG,
                          "fft: %zu samples are fewer than one %d-sample window (mode=frontend; "
                          "mode=auto or spectrum gives their spectrum)",
                          count_of(in), pb->window_size);
        } else {
            const uint32_t dims[2] = {1, (uint32_t)(frames * (size_t)pb->num_channels)};
            const int32_t elem = pb->output == RUNE_PB_FFT_OUT_I8    ? RUNE_ELEM_I8
                                 : pb->output == RUNE_PB_FFT_OUT_U16 ? RUNE_ELEM_U16
                                                                     : RUNE_ELEM_F32;
            set_type(out, elem, 2, dims);
            out->dynamic = pb->streaming;
        }
    }
    rune_free(pb);
    return st;
}

rune_status catalog_infer_normalize(const rune_catalog_type *in, const rune_pb_arg *args,
                                    size_t nargs, rune_catalog_type *out, rune_error *err)
{
    rune_pb_normalize pb;
    rune_status st = want("normalize", in, "f32", err);
    if (st == RUNE_OK) st = rune_pb_normalize_init(&pb, args, nargs, err);
    if (st == RUNE_OK) set_type(out, RUNE_ELEM_F32, in->rank, in->dims);
    return st;
}

rune_status catalog_infer_image_normalize(const rune_catalog_type *in, const rune_pb_arg *args,
                                          size_t nargs, rune_catalog_type *out, rune_error *err)
{
    rune_pb_image_normalize pb;
    rune_status st = want("image_normalize", in, "u8", err);
    if (st == RUNE_OK) st = rune_pb_image_normalize_init(&pb, args, nargs, err);
    if (st == RUNE_OK) set_type(out, pb.output, in->rank, in->dims);
    return st;
}

rune_status catalog_infer_modulo(const rune_catalog_type *in, const rune_pb_arg *args, size_t nargs,
                                 rune_catalog_type *out, rune_error *err)
{
    rune_pb_modulo pb;
    rune_status st = want("modulo", in, "f32|i32", err);
    if (st == RUNE_OK) st = rune_pb_modulo_init(&pb, args, nargs, err);
    if (st == RUNE_OK && in->elem == RUNE_ELEM_I32 &&
        (pb.modulus != floor(pb.modulus) || pb.modulus > 2147483647.0))
        st = RUNE_ERR(err, RUNE_E_ARG,
                      "modulo: i32 input needs an integer modulus up to 2147483647, not %g",
                      pb.modulus);
    if (st == RUNE_OK) set_type(out, in->elem, in->rank, in->dims);
    return st;
}

rune_status catalog_infer_softmax(const rune_catalog_type *in, const rune_pb_arg *args,
                                  size_t nargs, rune_catalog_type *out, rune_error *err)
{
    rune_pb_softmax pb;
    rune_status st = want("softmax", in, "f32|i8|u8", err);
    if (st == RUNE_OK) st = rune_pb_softmax_init(&pb, args, nargs, err);
    if (st == RUNE_OK) set_type(out, RUNE_ELEM_F32, in->rank, in->dims);
    return st;
}

static const char NUMERIC[] = "u8|i8|u16|i16|u32|i32|f32|f64";

rune_status catalog_infer_argmax(const rune_catalog_type *in, const rune_pb_arg *args, size_t nargs,
                                 rune_catalog_type *out, rune_error *err)
{
    rune_pb_argmax pb;
    const uint32_t one = 1;
    rune_status st = want("argmax", in, NUMERIC, err);
    if (st == RUNE_OK) st = rune_pb_argmax_init(&pb, args, nargs, err);
    if (st == RUNE_OK) set_type(out, RUNE_ELEM_U32, 1, &one);
    return st;
}

rune_status catalog_infer_most_confident(const rune_catalog_type *in, const rune_pb_arg *args,
                                         size_t nargs, rune_catalog_type *out, rune_error *err)
{
    rune_pb_most_confident_indices pb;
    rune_status st = want("most_confident_indices", in, NUMERIC, err);
    if (st == RUNE_OK) st = rune_pb_most_confident_indices_init(&pb, args, nargs, err);
    if (st == RUNE_OK && pb.count > count_of(in))
        st = RUNE_ERR(err, RUNE_E_ARG,
                      "most_confident_indices: count=%u but the input has only %zu elements",
                      (unsigned)pb.count, count_of(in));
    if (st == RUNE_OK) set_type(out, RUNE_ELEM_U32, 1, &pb.count);
    return st;
}

rune_status catalog_infer_label(const rune_catalog_type *in, const rune_pb_arg *args, size_t nargs,
                                rune_catalog_type *out, rune_error *err)
{
    static const char *const known[] = {"labels", "resource", NULL};
    rune_status st = want("label", in, "u8|u16|u32|i32", err);
    if (st != RUNE_OK) return st;
    st = rune_pb_args_check("label", args, nargs, known, err);
    if (st != RUNE_OK) return st;
    const char *list = rune_pb_arg_get(args, nargs, "labels");
    const char *res = rune_pb_arg_get(args, nargs, "resource");
    size_t longest = RUNE_PB_LABEL_TEXT_MAX;
    if (list && res)
        return RUNE_ERR(err, RUNE_E_ARG, "label: give either labels or resource, not both");
    if (!list && !res)
        return RUNE_ERR(err, RUNE_E_ARG, "label: argument labels or resource is required");
    if (list) {
        rune_pb_label *pb = rune_malloc(sizeof *pb);
        if (!pb) return RUNE_ERR(err, RUNE_E_NOMEM, "label: out of memory");
        st = rune_pb_label_set_list(pb, list, err); /* the guest's own parser */
        longest = 0;
        for (uint32_t i = 0; st == RUNE_OK && i < pb->count; i++)
            if (pb->len[i] > longest) longest = pb->len[i];
        rune_free(pb);
        if (st != RUNE_OK) return st;
    } else if (!*res) {
        return RUNE_ERR(err, RUNE_E_ARG, "label: argument resource is empty");
    }
    const uint32_t bytes = (uint32_t)(count_of(in) * (longest + 1));
    set_type(out, RUNE_ELEM_U8, 1, &bytes);
    out->dynamic = 1;
    out->text = 1;
    return RUNE_OK;
}

rune_status catalog_infer_audio_float(const rune_catalog_type *in, const rune_pb_arg *args,
                                      size_t nargs, rune_catalog_type *out, rune_error *err)
{
    rune_pb_audio_float pb;
    rune_status st = want("audio_float", in, "i16", err);
    if (st == RUNE_OK) st = rune_pb_audio_float_init(&pb, args, nargs, err);
    if (st == RUNE_OK) set_type(out, RUNE_ELEM_F32, in->rank, in->dims);
    return st;
}

rune_status catalog_infer_binary(const rune_catalog_type *in, const rune_pb_arg *args, size_t nargs,
                                 rune_catalog_type *out, rune_error *err)
{
    rune_pb_binary_classification pb;
    const uint32_t one = 1;
    rune_status st = want("binary_classification", in, "f32", err);
    if (st == RUNE_OK) st = rune_pb_binary_classification_init(&pb, args, nargs, err);
    if (st == RUNE_OK) set_type(out, RUNE_ELEM_U32, 1, &one);
    return st;
}

rune_status catalog_infer_threshold(const rune_catalog_type *in, const rune_pb_arg *args,
                                    size_t nargs, rune_catalog_type *out, rune_error *err)
{
    rune_pb_threshold pb;
    rune_status st = want("threshold", in, "f32", err);
    if (st == RUNE_OK) st = rune_pb_threshold_init(&pb, args, nargs, err);
    if (st != RUNE_OK) return st;
    size_t n = count_of(in);
    const uint32_t bound = (uint32_t)(pb.max && pb.max < n ? pb.max : n);
    set_type(out, RUNE_ELEM_U32, 1, &bound);
    out->dynamic = 1;
    return RUNE_OK;
}
