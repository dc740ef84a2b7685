/*
 * test_runefile_models.c - the type checker against the real model files in ../shared/models, read
 * by the model engine (rune_nn) through a resolver written here. It also proves that the fake
 * resolver the other tests use tells the truth about those files.
 */
#include "rf_helpers.h"

#include "rune/nn.h"

static rune_rf_elem elem_of(rune_nn_type t)
{
    switch (t) {
    case RUNE_NN_FLOAT32: return RUNE_RF_F32;
    case RUNE_NN_INT8: return RUNE_RF_I8;
    case RUNE_NN_UINT8: return RUNE_RF_U8;
    case RUNE_NN_INT16: return RUNE_RF_I16;
    case RUNE_NN_INT32: return RUNE_RF_I32;
    case RUNE_NN_FLOAT64: return RUNE_RF_F64;
    default: return RUNE_RF_ANY;
    }
}

/* The model named by a stage's path, looked up by file name in ../shared/models. */
static rune_status real_model(void *ud, const rune_rf_stage *st, rune_rf_sig *sig, rune_error *err)
{
    (void)ud;
    char path[1024];
    snprintf(path, sizeof path, "%s", SHARED("models/"));
    strncat(path, base_name(st->source), sizeof path - strlen(path) - 1);
    size_t len = 0;
    unsigned char *bytes = test_read_file(path, &len);
    if (!bytes) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "cannot read %s", path);
    rune_nn_model *m = NULL;
    rune_status s = rune_nn_model_load(bytes, len, &m, err);
    for (int io = 0; s == RUNE_OK && io < 2; io++) {
        int n = io ? rune_nn_model_output_count(m) : rune_nn_model_input_count(m);
        if (n > RUNE_RF_MAX_PORTS) n = RUNE_RF_MAX_PORTS;
        for (int i = 0; s == RUNE_OK && i < n; i++) {
            rune_nn_tensor_info info;
            s = io ? rune_nn_model_output(m, i, &info, err) : rune_nn_model_input(m, i, &info, err);
            if (s) break;
            rune_rf_type *t = io ? &sig->out[i] : &sig->in[i];
            memset(t, 0, sizeof *t);
            t->elem = elem_of(info.type);
            t->rank = info.ndims;
            for (int d = 0; d < info.ndims && d < RUNE_RF_MAX_RANK; d++)
                t->dims[d] = info.dims[d] > 0 ? (uint32_t)info.dims[d] : 1; /* -1 batch: 1 */
        }
        if (io)
            sig->n_out = (size_t)n;
        else
            sig->n_in = (size_t)n;
    }
    rune_nn_model_free(m);
    free(bytes);
    return s;
}

static const rune_rf_resolver real_resolver = {NULL, real_model, fake_proc_block};

static char *type_str(const rune_rf_type *t)
{
    static char buf[2][64];
    static int k;
    k ^= 1;
    return rune_rf_type_str(t, buf[k], sizeof buf[k]);
}

TEST(fake_resolver_tells_the_truth)
{
    static const char *const models[] = {"hello_world_float.tflite",
                                         "micro_speech_quantized.tflite", "person_detect.tflite"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        rune_rf_stage st;
        memset(&st, 0, sizeof st);
        st.source = (char *)models[i];
        rune_rf_sig real, fake;
        memset(&real, 0, sizeof real);
        memset(&fake, 0, sizeof fake);
        rune_error err;
        CHECK_OK(real_model(NULL, &st, &real, &err), &err);
        CHECK_OK(fake_model(NULL, &st, &fake, &err), &err);
        CHECK_EQ_INT(real.n_in, fake.n_in);
        CHECK_EQ_INT(real.n_out, fake.n_out);
        CHECK_STR(type_str(&real.in[0]), type_str(&fake.in[0]));
        CHECK_STR(type_str(&real.out[0]), type_str(&fake.out[0]));
    }
}

TEST(runefiles_against_real_models)
{
    const char *const sources[] = {RF_MICROSPEECH, RF_PERSON};
    for (size_t i = 0; i < 2; i++) {
        rune_error err;
        rune_runefile *g = rf_text(sources[i], &err);
        CHECK_MSG_(g != NULL, "%s", err.msg);
        if (!g) continue;
        CHECK_OK(rune_runefile_typecheck(g, &real_resolver, &err), &err);
        rune_runefile_free(g);
    }
    static const char *const files[] = {"sine/Runefile", "sine/Runefile.yml",
                                        "microspeech/Runefile", "microspeech/Runefile.yml",
                                        "person_detection/Runefile"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        rune_runefile *g = NULL;
        rune_error err;
        CHECK_OK(rune_runefile_load(rf_example(files[i]), &g, &err), &err);
        if (g) CHECK_OK(rune_runefile_typecheck(g, &real_resolver, &err), &err);
        rune_runefile_free(g);
    }
}

TEST(wrong_declaration_against_real_model)
{
    rune_error err;
    rune_runefile *g = rf_text("FROM runicos/base\n"
                               "CAPABILITY<I8[1960]> features RAW\n"
                               "MODEL<I8[1960],I8[6]> model ./micro_speech_quantized.tflite\n"
                               "RUN features model serial\nOUT serial\n",
                               &err);
    if (!g) return;
    CHECK_STATUS(rune_runefile_typecheck(g, &real_resolver, &err), RUNE_E_INVALID);
    CHECK_STR(err.msg, "model 'model' (Runefile:3:1): output 0 is declared I8[6] but the model "
                       "file says I8[1,4]");
    rune_runefile_free(g);
    g = rf_text("FROM runicos/base\n"
                "CAPABILITY<F32[1]> x RAW\n"
                "MODEL m ./person_detect.tflite\n"
                "RUN x m serial\nOUT serial\n",
                &err);
    if (!g) return;
    CHECK_STATUS(rune_runefile_typecheck(g, &real_resolver, &err), RUNE_E_INVALID);
    CHECK_STR(err.msg, "Runefile:4:7: x.0 (Runefile:2:1) gives F32[1] but m.0 (Runefile:3:1) "
                       "takes I8[1,96,96,1]");
    rune_runefile_free(g);
}

int main(void)
{
    RUN(fake_resolver_tells_the_truth);
    RUN(runefiles_against_real_models);
    RUN(wrong_declaration_against_real_model);
    return test_report();
}
