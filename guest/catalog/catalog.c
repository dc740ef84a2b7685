/*
 * catalog.c - the table of standard proc blocks and name lookup (rune_procblock_catalog).
 *
 * Workload: a few lookups per Runefile build; a linear scan of a dozen entries. The argument lists
 * here are the documentation (docs/procblocks.md says the same in prose); the checking itself is
 * the blocks' own init, called from infer.c.
 */
#include <stdio.h>
#include <string.h>

#include "catalog_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define I RUNE_CATALOG_ARG_INT
#define F RUNE_CATALOG_ARG_FLOAT
#define B RUNE_CATALOG_ARG_BOOL
#define S RUNE_CATALOG_ARG_STRING
#define E RUNE_CATALOG_ARG_ENUM

static const rune_catalog_arg fft_args[] = {
    {"sample_rate", I, "16000", 0, NULL, "audio sample rate in Hz (also spelled hz)"},
    {"window_size_ms", I, "30", 0, NULL, "length of one analysis window"},
    {"window_step_ms", I, "20", 0, NULL, "distance between window starts"},
    {"num_channels", I, "40", 0, NULL, "mel channels per frame (1..64)"},
    {"lower_band_limit", F, "125", 0, NULL, "lowest frequency of the filterbank, Hz"},
    {"upper_band_limit", F, "7500", 0, NULL, "highest frequency of the filterbank, Hz"},
    {"smoothing_bits", I, "10", 0, NULL, "noise estimate precision (bits)"},
    {"even_smoothing", F, "0.025", 0, NULL, "noise smoothing of even channels (0..1)"},
    {"odd_smoothing", F, "0.06", 0, NULL, "noise smoothing of odd channels (0..1)"},
    {"min_signal_remaining", F, "0.05", 0, NULL, "fraction kept after noise subtraction"},
    {"enable_pcan", B, "true", 0, NULL, "per-channel amplitude normalization"},
    {"strength", F, "0.95", 0, NULL, "PCAN gain exponent"},
    {"offset", F, "80", 0, NULL, "PCAN offset added to the noise estimate"},
    {"gain_bits", I, "21", 0, NULL, "PCAN gain precision"},
    {"enable_log", B, "true", 0, NULL, "log-scale the channels"},
    {"scale_shift", I, "6", 0, NULL, "log output scale (bits)"},
    {"output", E, "i8", 0, "i8|u16|f32", "i8 model input, raw u16 features, or f32 = u16 / 25.6"},
    {"streaming", B, "false", 0, NULL, "keep window and noise state between calls"},
    {"mode", E, "auto", 0, "auto|frontend|spectrum",
     "spectrum: |X[k]| of the whole input (f32[N]); auto: spectrum if shorter than one window"},
};
static const rune_catalog_arg image_normalize_args[] = {
    {"mean", F, "0", 0, NULL, "subtracted from each pixel"},
    {"std", F, "1", 0, NULL, "divides each pixel after the mean"},
    {"scale", F, "1", 0, NULL, "quantization scale of the model input"},
    {"zero_point", I, "0", 0, NULL, "quantization zero point of the model input"},
    {"output", E, "i8", 0, "i8|u8|f32", "element type of the output"},
};
static const rune_catalog_arg modulo_args[] = {
    {"modulus", F, NULL, 1, NULL, "positive modulus; results lie in [0, modulus)"},
};
static const rune_catalog_arg softmax_args[] = {
    {"scale", F, "1", 0, NULL, "dequantization scale for i8/u8 logits"},
    {"zero_point", I, "0", 0, NULL, "dequantization zero point for i8/u8 logits"},
};
static const rune_catalog_arg mci_args[] = {
    {"count", I, "1", 0, NULL, "how many indices to return, best first"},
};
static const rune_catalog_arg label_args[] = {
    {"labels", S, NULL, 0, NULL, "comma-separated class names, index 0 first"},
    {"resource", S, NULL, 0, NULL, "name of a resource with one class name per line"},
};
static const rune_catalog_arg binary_args[] = {
    {"threshold", F, "0.5", 0, NULL, "output 1 when the score is above this"},
};
static const rune_catalog_arg threshold_args[] = {
    {"threshold", F, "0.5", 0, NULL, "keep scores at or above this"},
    {"max", I, "0", 0, NULL, "keep at most this many (0 = all)"},
};

#define BLOCK(n, doc, in, args, st, fn)                                                            \
    {                                                                                              \
        n, "runicos/" n, doc, in, args, N(args), "rune_pb_" #st, "rune_pb_" #st "_init",           \
            "rune_pb_" #st "_transform", sizeof(rune_pb_##st), catalog_infer_##fn, NULL, NULL      \
    }
/* A block with plan and run (rune_procblocks.h). */
#define BLOCKP(n, doc, in, args, st, fn)                                                           \
    {                                                                                              \
        n, "runicos/" n, doc, in, args, N(args), "rune_pb_" #st, "rune_pb_" #st "_init",           \
            "rune_pb_" #st "_transform", sizeof(rune_pb_##st), catalog_infer_##fn,                 \
            "rune_pb_" #st "_plan", "rune_pb_" #st "_run"                                          \
    }
#define BLOCK0(n, doc, in, st, fn)                                                                 \
    {                                                                                              \
        n, "runicos/" n, doc, in, NULL, 0, "rune_pb_" #st, "rune_pb_" #st "_init",                 \
            "rune_pb_" #st "_transform", sizeof(rune_pb_##st), catalog_infer_##fn, NULL, NULL      \
    }

static const rune_catalog_block blocks[] = {
    BLOCK("fft",
          "TensorFlow microfrontend: audio -> mel spectrogram features (micro_speech); inputs "
          "shorter than one window: magnitude spectrum",
          "i16|f32", fft_args, fft, fft),
    BLOCK0("normalize", "scale f32 values into [0, 1] by their min and max", "f32", normalize,
           normalize),
    BLOCK("image_normalize", "pixels -> (p - mean) / std, quantized for an int8/uint8 model", "u8",
          image_normalize_args, image_normalize, image_normalize),
    BLOCKP("modulo", "x mod modulus, elementwise", "f32|i32", modulo_args, modulo, modulo),
    BLOCK("softmax", "logits -> probabilities summing to 1", "f32|i8|u8", softmax_args, softmax,
          softmax),
    BLOCK0("argmax", "index of the largest value", "u8|i8|u16|i16|u32|i32|f32|f64", argmax, argmax),
    BLOCK("most_confident_indices", "indices of the count largest values, best first",
          "u8|i8|u16|i16|u32|i32|f32|f64", mci_args, most_confident_indices, most_confident),
    BLOCK("label", "class indices -> class names ('\\n'-separated text)", "u8|u16|u32|i32",
          label_args, label, label),
    BLOCK0("audio_float", "i16 samples -> f32 in [-1, 1)", "i16", audio_float, audio_float),
    BLOCK("binary_classification", "1 if the score is above a threshold, else 0", "f32",
          binary_args, binary_classification, binary),
    BLOCK("threshold", "object filter: indices of scores at or above a threshold, best first",
          "f32", threshold_args, threshold, threshold),
};

/* Other names users wrote for the same blocks (Rune's proc-block crates). */
static const struct {
    const char *alias, *name;
} aliases[] = {
    {"audio_float_conversion", "audio_float"},
    {"object_filter", "threshold"},
    {"image_normalization", "image_normalize"},
    {"microfrontend", "fft"},
};

size_t rune_catalog_count(void)
{
    return N(blocks);
}

const rune_catalog_block *rune_catalog_at(size_t i)
{
    return i < N(blocks) ? &blocks[i] : NULL;
}

/* a == b with '-' and '_' alike. */
static int name_eq(const char *a, const char *b, size_t blen)
{
    size_t i = 0;
    for (; i < blen && a[i]; i++) {
        char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
        if (x != y) return 0;
    }
    return i == blen && a[i] == 0;
}

const rune_catalog_block *rune_catalog_find(const char *name)
{
    if (!name) return NULL;
    /* The last path component: after the last '/' or '#', and before any ":tag" or "@version". */
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '#') base = p + 1;
    size_t len = strcspn(base, ":@");
    if (len == 0) return NULL;
    for (size_t i = 0; i < N(aliases); i++)
        if (name_eq(aliases[i].alias, base, len)) return rune_catalog_find(aliases[i].name);
    for (size_t i = 0; i < N(blocks); i++)
        if (name_eq(blocks[i].name, base, len)) return &blocks[i];
    return NULL;
}

rune_status rune_catalog_infer(const char *name, const rune_catalog_type *in,
                               const rune_pb_arg *args, size_t nargs, rune_catalog_type *out,
                               rune_error *err)
{
    const rune_catalog_block *b = rune_catalog_find(name);
    if (!b) {
        char known[512];
        size_t pos = 0;
        known[0] = 0;
        for (size_t i = 0; i < N(blocks) && pos < sizeof known; i++) {
            int w =
                snprintf(known + pos, sizeof known - pos, "%s%s", i ? ", " : "", blocks[i].name);
            if (w < 0) break;
            pos += (size_t)w;
        }
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "unknown proc block \"%s\" (known: %s)",
                        name ? name : "(null)", known);
    }
    if (!in || !out) return RUNE_ERR(err, RUNE_E_ARG, "%s: missing input or output type", b->name);
    return b->infer(in, args, nargs, out, err);
}

rune_status rune_catalog_resolve(void *user, const char *name, const rune_catalog_type *in,
                                 const rune_pb_arg *args, size_t nargs, rune_catalog_type *out,
                                 rune_error *err)
{
    (void)user;
    return rune_catalog_infer(name, in, args, nargs, out, err);
}

const char *rune_catalog_type_str(const rune_catalog_type *t, char *buf, size_t cap)
{
    if (!buf || !cap) return buf;
    const char *e = rune_abi_elem_name(t->elem);
    size_t pos = 0;
    int w =
        snprintf(buf, cap, "%s%s[%s", t->text ? "text " : "", e ? e : "?", t->dynamic ? "<=" : "");
    if (w < 0) return buf;
    pos = (size_t)w;
    for (uint32_t i = 0; i < t->rank && i < RUNE_ABI_MAX_RANK && pos < cap; i++) {
        w = snprintf(buf + pos, cap - pos, i ? ",%u" : "%u", (unsigned)t->dims[i]);
        if (w < 0) return buf;
        pos += (size_t)w;
    }
    if (pos < cap) snprintf(buf + pos, cap - pos, "]");
    return buf;
}
