/*
 * rf_helpers.h - helpers shared by the Runefile tests: parse a string or an example file, dump a
 * graph into a static buffer, and the fake resolver (a stand-in for the model engine and the proc
 * block catalog, which this part must not depend on).
 */
#ifndef RF_HELPERS_H
#define RF_HELPERS_H

#include "rune/alloc.h"
#include "rune/runefile.h"
#include "test.h"

static inline rune_runefile *rf_text(const char *src, rune_error *err)
{
    rune_runefile *g = NULL;
    rune_error_clear(err);
    if (rune_runefile_parse_text(src, strlen(src), "Runefile", &g, err) != RUNE_OK) return NULL;
    return g;
}

static inline rune_runefile *rf_yaml(const char *src, rune_error *err)
{
    rune_runefile *g = NULL;
    rune_error_clear(err);
    if (rune_runefile_parse_yaml(src, strlen(src), "Runefile.yml", &g, err) != RUNE_OK) return NULL;
    return g;
}

/* Dump into one of two rotating static buffers (so two dumps can be compared). */
static inline const char *rf_dump(const rune_runefile *g, unsigned flags)
{
    static char bufs[2][8192];
    static int which = 0;
    char *b = bufs[which];
    which ^= 1;
    size_t n = rune_runefile_dump(g, flags, b, sizeof bufs[0]);
    if (n >= sizeof bufs[0]) snprintf(b, sizeof bufs[0], "(dump too long: %zu)", n);
    return b;
}

static inline const char *rf_example(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/examples/%s", RUNE_SOURCE_DIR, rel);
    return buf;
}

static inline rune_rf_type rf_t(rune_rf_elem e, int rank, uint32_t d0, uint32_t d1, uint32_t d2,
                                uint32_t d3)
{
    rune_rf_type t;
    memset(&t, 0, sizeof t);
    t.elem = e;
    t.rank = rank;
    t.dims[0] = d0;
    t.dims[1] = d1;
    t.dims[2] = d2;
    t.dims[3] = d3;
    return t;
}

static inline const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/*
 * Fake model resolver: tensor types of the real models in ../shared/models as their README lists
 * them, plus "example.tflite", the paper's FULLY_CONNECTED [150,1] -> [1] model.
 */
static inline rune_status fake_model(void *ud, const rune_rf_stage *st, rune_rf_sig *sig,
                                     rune_error *err)
{
    (void)ud;
    const char *b = base_name(st->source);
    sig->n_in = sig->n_out = 1;
    if (strcmp(b, "example.tflite") == 0) {
        sig->in[0] = rf_t(RUNE_RF_F32, 2, 150, 1, 0, 0);
        sig->out[0] = rf_t(RUNE_RF_F32, 1, 1, 0, 0, 0);
    } else if (strcmp(b, "hello_world_float.tflite") == 0) {
        sig->in[0] = rf_t(RUNE_RF_F32, 2, 1, 1, 0, 0);
        sig->out[0] = rf_t(RUNE_RF_F32, 2, 1, 1, 0, 0);
    } else if (strcmp(b, "micro_speech_quantized.tflite") == 0) {
        sig->in[0] = rf_t(RUNE_RF_I8, 2, 1, 1960, 0, 0);
        sig->out[0] = rf_t(RUNE_RF_I8, 2, 1, 4, 0, 0);
    } else if (strcmp(b, "person_detect.tflite") == 0) {
        sig->in[0] = rf_t(RUNE_RF_I8, 4, 1, 96, 96, 1);
        sig->out[0] = rf_t(RUNE_RF_I8, 2, 1, 2, 0, 0);
    } else {
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "cannot open model %s", st->source);
    }
    return RUNE_OK;
}

/*
 * Fake proc-block catalog: fft (I16[n] -> I8[1960] for one second of 16 kHz audio, else an F32
 * spectrum of n values), argmax (numbers -> U32[1]), label (any int of any shape -> UTF8[1]),
 * normalize (U8 -> I8 of the same shape), modulo (float -> the same type), add (two tensors of one
 * type -> that type).
 */
static inline rune_status fake_proc_block(void *ud, const rune_rf_stage *st, const rune_rf_type *in,
                                          size_t n_in, rune_rf_sig *sig, rune_error *err)
{
    (void)ud;
    const char *b = base_name(st->source);
    sig->n_in = sig->n_out = 1;
    if (strcmp(b, "fft") == 0) {
        sig->in[0] = rf_t(RUNE_RF_I16, -1, 0, 0, 0, 0);
        uint64_t n = n_in ? rune_rf_type_count(&in[0]) : 0;
        sig->out[0] = n == 16000 ? rf_t(RUNE_RF_I8, 1, 1960, 0, 0, 0)
                                 : rf_t(RUNE_RF_F32, 1, (uint32_t)n, 0, 0, 0);
    } else if (strcmp(b, "argmax") == 0) {
        sig->in[0] = rf_t(RUNE_RF_ANY, -1, 0, 0, 0, 0);
        if (n_in && in[0].elem == RUNE_RF_UTF8)
            return RUNE_ERR(err, RUNE_E_INVALID, "argmax takes numbers, not text");
        sig->out[0] = rf_t(RUNE_RF_U32, 1, 1, 0, 0, 0);
    } else if (strcmp(b, "label") == 0) {
        if (!rune_rf_stage_arg(st, "labels"))
            return RUNE_ERR(err, RUNE_E_INVALID, "label needs --labels");
        sig->in[0] = rf_t(RUNE_RF_ANY_INT, -1, 0, 0, 0, 0);
        sig->out[0] = rf_t(RUNE_RF_UTF8, 1, 1, 0, 0, 0);
    } else if (strcmp(b, "image-normalization") == 0 || strcmp(b, "normalize") == 0) {
        sig->in[0] = rf_t(RUNE_RF_U8, -1, 0, 0, 0, 0);
        sig->out[0] = n_in ? in[0] : sig->in[0];
        sig->out[0].elem = RUNE_RF_I8;
    } else if (strcmp(b, "modulo") == 0) {
        sig->in[0] = rf_t(RUNE_RF_ANY_FLOAT, -1, 0, 0, 0, 0);
        sig->out[0] = n_in ? in[0] : sig->in[0];
    } else if (strcmp(b, "add") == 0) {
        sig->n_in = 2;
        sig->in[0] = sig->in[1] = n_in ? in[0] : rf_t(RUNE_RF_ANY, -1, 0, 0, 0, 0);
        sig->out[0] = sig->in[0];
    } else {
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "no proc block %s", st->source);
    }
    return RUNE_OK;
}

/*
 * The example pipelines as first written for these tests. examples/ is shared with the compiler and
 * runtime work, which edits those files; tests that look at exact details use these copies, and the
 * files under examples/ are only required to parse, check and agree with their YAML twins.
 */
static const char RF_MICROSPEECH[] =
    "# microspeech: one second of 16 kHz audio -> features -> model -> label\n"
    "FROM runicos/base\n"
    "\n"
    "CAPABILITY<I16[16000]> audio SOUND --hz 16000\n"
    "PROC_BLOCK<I16[16000],I8[1960]> fft runicos/fft \\\n"
    "    --window-ms 30 --stride-ms 20    # 49 frames of 40 mel channels\n"
    "MODEL<I8[1960],I8[4]> model ../../../shared/models/micro_speech_quantized.tflite\n"
    "PROC_BLOCK<I8[4],UTF8[1]> label runicos/label --labels silence,unknown,yes,no\n"
    "\n"
    "RUN audio fft model label serial\n"
    "OUT serial\n";

static const char RF_PERSON[] =
    "FROM runicos/base\n"
    "CAPABILITY<U8[1,96,96,1]> camera IMAGE --width 96 --height 96 --pixel-format grayscale\n"
    "PROC_BLOCK<U8[1,96,96,1],I8[1,96,96,1]> normalize runicos/image-normalization "
    "--offset=-128\n"
    "MODEL<I8[1,96,96,1],I8[1,2]> person_detect ../../../shared/models/person_detect.tflite\n"
    "PROC_BLOCK<I8[2],UTF8[1]> label runicos/label --labels=[no_person, person]\n"
    "RUN camera normalize person_detect label serial\n"
    "OUT serial\n";

static const rune_rf_resolver fake_resolver = {NULL, fake_model, fake_proc_block};

#endif
