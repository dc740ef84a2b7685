/*
 * test_runefile_typecheck.c - the type checker against a fake resolver (rf_helpers.h): the paper's
 * listing against a FULLY_CONNECTED [150,1] -> [1] model, the examples against the real models'
 * tensor types, the capability rules, and every kind of mismatch with both ends named.
 */
#include "rf_helpers.h"

static rune_runefile *checked(const char *src, const rune_rf_resolver *res, rune_status want,
                              rune_error *err)
{
    rune_runefile *g = rf_text(src, err);
    if (!g) {
        CHECK_MSG_(0, "parse failed: %s", err->msg);
        return NULL;
    }
    rune_status st = rune_runefile_typecheck(g, res, err);
    CHECK_MSG_(st == want, "typecheck: %s, want %s (%s)", rune_status_name(st),
               rune_status_name(want), err->msg);
    return g;
}

static const rune_rf_stage *stage(const rune_runefile *g, const char *name)
{
    long i = rune_runefile_find(g, name);
    CHECK_MSG_(i >= 0, "no stage %s", name);
    return i >= 0 ? &g->stages[i] : &g->stages[0];
}

static const char *tstr(const rune_rf_type *t)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) & 3;
    return rune_rf_type_str(t, buf[k], sizeof buf[k]);
}

TEST(paper_listing_checks)
{
    rune_error err;
    rune_runefile *g = checked("FROM runicos/base\n"
                               "CAPABILITY AUDIO audio hz 16000 samples 150 sample-size 1500\n"
                               "PROC_BLOCK runicos/fft fft\n"
                               "MODEL ./example.tflite model input [150,1] output 1\n"
                               "RUN audio fft model\n"
                               "OUT serial\n",
                               &fake_resolver, RUNE_OK, &err);
    if (!g) return;
    CHECK(g->typed);
    CHECK_STR(tstr(&stage(g, "audio")->out[0]), "I16[150]");
    CHECK_STR(tstr(&stage(g, "fft")->in[0]), "I16[150]");
    CHECK_STR(tstr(&stage(g, "fft")->out[0]), "F32[150]");
    CHECK_STR(tstr(&stage(g, "model")->in[0]), "F32[150]");
    CHECK_STR(tstr(&stage(g, "model")->out[0]), "F32[1]");
    CHECK_STR(tstr(&stage(g, "serial")->in[0]), "F32[1]");
    CHECK_EQ_INT(stage(g, "serial")->n_out, 0);
    rune_runefile_free(g);
}

TEST(paper_listing_wrong_model_shape)
{
    rune_error err;
    rune_runefile *g = checked("FROM runicos/base\n"
                               "CAPABILITY AUDIO audio hz 16000 samples 150 sample-size 1500\n"
                               "PROC_BLOCK runicos/fft fft\n"
                               "MODEL ./example.tflite model input [160,1] output 1\n"
                               "RUN audio fft model\n"
                               "OUT serial\n",
                               &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "model 'model' (Runefile:4:1): input 0 is declared any[160,1] but the "
                       "model file says F32[150,1]");
    rune_runefile_free(g);
    /* samples that do not fit the sample-size buffer */
    g = checked(
        "FROM x\nCAPABILITY AUDIO audio hz 16000 samples 1000 sample-size 1500\nRUN audio\n",
        &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "capability 'audio' (Runefile:2:1): sample-size 1500 bytes cannot hold "
                       "1000 16-bit samples");
    rune_runefile_free(g);
}

TEST(examples_check_against_real_model_types)
{
    static const char *const files[] = {"paper/Runefile",           "sine/Runefile",
                                        "sine/Runefile.yml",        "microspeech/Runefile",
                                        "microspeech/Runefile.yml", "person_detection/Runefile"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        rune_runefile *g = NULL;
        rune_error err;
        CHECK_OK(rune_runefile_load(rf_example(files[i]), &g, &err), &err);
        if (!g) continue;
        CHECK_OK(rune_runefile_typecheck(g, &fake_resolver, &err), &err);
        /* Every model stage now carries the model file's own tensor types. */
        for (size_t k = 0; k < g->n_stages; k++) {
            const rune_rf_stage *s = &g->stages[k];
            rune_rf_sig sig;
            memset(&sig, 0, sizeof sig);
            if (s->kind != RUNE_RF_MODEL || fake_model(NULL, s, &sig, &err) != RUNE_OK) continue;
            CHECK_EQ_INT(s->n_out, sig.n_out);
            CHECK_STR(tstr(&s->out[0]), tstr(&sig.out[0]));
            CHECK(rune_rf_type_compatible(&s->in[0], &sig.in[0]));
        }
        rune_runefile_free(g);
    }
    rune_error err;
    rune_runefile *g = rf_text(RF_MICROSPEECH, &err);
    if (!g) return;
    /* Declared types alone (no resolver) hold together too. */
    CHECK_OK(rune_runefile_typecheck(g, NULL, &err), &err);
    CHECK_STR(tstr(&stage(g, "model")->out[0]), "I8[4]"); /* as declared */
    CHECK_OK(rune_runefile_typecheck(g, &fake_resolver, &err), &err);
    CHECK_STR(tstr(&stage(g, "audio")->out[0]), "I16[16000]");
    CHECK_STR(tstr(&stage(g, "fft")->out[0]), "I8[1960]");
    CHECK_STR(tstr(&stage(g, "model")->out[0]), "I8[1,4]"); /* the model file's own shape */
    CHECK_STR(tstr(&stage(g, "label")->in[0]), "I8[1,4]");
    CHECK_STR(tstr(&stage(g, "label")->out[0]), "UTF8[1]");
    rune_runefile_free(g);
    g = rf_text(RF_PERSON, &err);
    if (!g) return;
    CHECK_OK(rune_runefile_typecheck(g, NULL, &err), &err);
    CHECK_OK(rune_runefile_typecheck(g, &fake_resolver, &err), &err);
    CHECK_STR(tstr(&stage(g, "camera")->out[0]), "U8[1,96,96,1]");
    CHECK_STR(tstr(&stage(g, "normalize")->out[0]), "I8[1,96,96,1]");
    rune_runefile_free(g);
}

TEST(edge_mismatch_names_both_ends)
{
    rune_error err;
    rune_runefile *g = checked("FROM x\n"
                               "CAPABILITY<I16[16000]> audio SOUND --hz 16000\n"
                               "PROC_BLOCK<F32[16000],F32[1]> fft ./mine.c\n"
                               "RUN audio fft serial\n"
                               "OUT serial\n",
                               &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "Runefile:4:11: audio.0 (Runefile:2:1) gives I16[16000] but fft.0 "
                       "(Runefile:3:1) takes F32[16000]");
    rune_runefile_free(g);
    /* Through the resolver: the model wants I8[1,1960], the fake fft gives F32[8000]. */
    g = checked("FROM x\n"
                "CAPABILITY audio SOUND --hz 8000\n"
                "PROC_BLOCK fft runicos/fft\n"
                "MODEL m ../../../shared/models/micro_speech_quantized.tflite\n"
                "RUN audio fft m serial\nOUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "Runefile:5:15: fft.0 (Runefile:3:1) gives F32[8000] but m.0 "
                       "(Runefile:4:1) takes I8[1,1960]");
    rune_runefile_free(g);
    /* An element class: label takes any integer, not floats. */
    g = checked("FROM x\nCAPABILITY<F32[4]> r RAW\nPROC_BLOCK label runicos/label --labels a,b\n"
                "RUN r label serial\nOUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_CONTAINS(err.msg, "r.0 (Runefile:2:1) gives F32[4] but label.0 (Runefile:3:1) takes "
                            "int[*]");
    rune_runefile_free(g);
    /* [1,256] and [256] meet; [16,16] and [256] do not. */
    g = checked("FROM x\nCAPABILITY<F32[1,256]> r RAW\nPROC_BLOCK<F32[256],F32[1]> p ./p.c\n"
                "RUN r p serial\nOUT serial\n",
                &fake_resolver, RUNE_OK, &err);
    rune_runefile_free(g);
    g = checked("FROM x\nCAPABILITY<F32[16,16]> r RAW\nPROC_BLOCK<F32[256],F32[1]> p ./p.c\n"
                "RUN r p serial\nOUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_CONTAINS(err.msg, "gives F32[16,16] but p.0 (Runefile:3:1) takes F32[256]");
    rune_runefile_free(g);
}

TEST(capability_rules)
{
    static const struct {
        const char *line;
        const char *type; /* NULL: error containing msg */
        const char *msg;
    } cases[] = {
        {"CAPABILITY AUDIO c hz 16000", "I16[16000]", NULL},
        {"CAPABILITY c SOUND --hz 16000 --seconds 2", "I16[32000]", NULL},
        {"CAPABILITY c SOUND --hz 16000 --ms 30", "I16[480]", NULL},
        {"CAPABILITY c SOUND --hz 16000 --samples 512", "I16[512]", NULL},
        {"CAPABILITY<I16[16000]> c SOUND --hz 16000", "I16[16000]", NULL},
        {"CAPABILITY<I16[16000]> c SOUND", "I16[16000]", NULL},
        {"CAPABILITY<I16[8000]> c SOUND --hz 16000", NULL,
         "capability 'c' (Runefile:2:1): declared I16[8000] but its parameters give I16[16000]"},
        {"CAPABILITY<F32[16000]> c SOUND --hz 16000", NULL, "declared F32[16000]"},
        {"CAPABILITY c SOUND", NULL,
         "cannot tell its output type: give its parameters (hz or samples)"},
        {"CAPABILITY c SOUND --hz abc", NULL,
         "Runefile:2:20: argument 'hz' of 'c' must be a whole number; got 'abc'"},
        {"CAPABILITY c SOUND --hz 0", NULL, "argument 'hz' of 'c' must be from 1"},
        {"CAPABILITY c SOUND --hz 44100 --ms 1", NULL, "not a whole number of samples"},
        {"CAPABILITY c IMAGE --width 96 --height 96", "U8[1,96,96,3]", NULL},
        {"CAPABILITY c IMAGE --width 320 --height 240 --pixel-format grayscale", "U8[1,240,320,1]",
         NULL},
        {"CAPABILITY c IMAGE --width 96 --height 96 --pixel-format rbg8", NULL,
         "must be rgb8, bgr8 or grayscale; got 'rbg8' (did you mean 'rgb8'?)"},
        {"CAPABILITY c IMAGE --width 96", NULL, "give both width and height"},
        {"CAPABILITY c ACCEL --samples 128", "F32[128,3]", NULL},
        {"CAPABILITY c RAND --count 4", "U8[4]", NULL},
        {"CAPABILITY<F32[1]> c RAND --n 1", "F32[1]", NULL},
        {"CAPABILITY<U8[64]> c RAW", "U8[64]", NULL},
        {"CAPABILITY c RAW", NULL, "cannot tell its output type"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char src[256];
        snprintf(src, sizeof src, "FROM x\n%s\nRUN c serial\nOUT serial\n", cases[i].line);
        rune_error err;
        rune_runefile *g = rf_text(src, &err);
        CHECK_MSG_(g != NULL, "case %zu: %s", i, err.msg);
        if (!g) continue;
        rune_status st = rune_runefile_typecheck(g, &fake_resolver, &err);
        if (cases[i].type) {
            CHECK_MSG_(st == RUNE_OK, "case %zu: %s", i, err.msg);
            if (!st) CHECK_STR(tstr(&stage(g, "c")->out[0]), cases[i].type);
        } else {
            CHECK_MSG_(st == RUNE_E_INVALID, "case %zu: %s", i, rune_status_name(st));
            CHECK_MSG_(strstr(err.msg, cases[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
                       err.msg, cases[i].msg);
        }
        rune_runefile_free(g);
    }
}

TEST(ports_and_counts)
{
    rune_error err;
    /* Two inputs into the two-input "add" block, whose output feeds serial. */
    rune_runefile *g = checked("FROM x\nCAPABILITY<F32[4]> a RAW\nCAPABILITY<F32[4]> b RAW\n"
                               "PROC_BLOCK add runicos/add\nRUN a add serial\nRUN b add\n"
                               "OUT serial\n",
                               &fake_resolver, RUNE_OK, &err);
    if (g) CHECK_EQ_INT(stage(g, "add")->n_in, 2);
    rune_runefile_free(g);
    g = checked("FROM x\nCAPABILITY<F32[4]> a RAW\nCAPABILITY<I8[4]> b RAW\n"
                "PROC_BLOCK add runicos/add\nRUN a add serial\nRUN b add\nOUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "Runefile:6:7: b.0 (Runefile:3:1) gives I8[4] but add.1 (Runefile:4:1) "
                       "takes F32[4]");
    rune_runefile_free(g);
    g = checked("FROM x\nCAPABILITY<F32[4]> a RAW\nPROC_BLOCK add runicos/add\nRUN a add serial\n"
                "OUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "proc block 'add' (Runefile:3:1): takes 2 inputs but 1 is connected");
    rune_runefile_free(g);
    g = checked("FROM x\nCAPABILITY<F32[4]> a RAW\nRUN a.1 serial\nOUT serial\n", &fake_resolver,
                RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "Runefile:3:9: capability 'a' (Runefile:2:1) has no output 1 (it has 1)");
    rune_runefile_free(g);
    g = checked("FROM x\nMODEL m ./hello_world_float.tflite\nRUN m serial\nOUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "model 'm' (Runefile:2:1): takes 1 input but nothing feeds it");
    rune_runefile_free(g);
    /* An unknown proc block: declared types stand in; without them, an error. */
    g = checked("FROM x\nCAPABILITY<F32[4]> a RAW\nPROC_BLOCK<F32[4],F32[2]> p ./mine.c\n"
                "RUN a p serial\nOUT serial\n",
                &fake_resolver, RUNE_OK, &err);
    if (g) CHECK_STR(tstr(&stage(g, "serial")->in[0]), "F32[2]");
    rune_runefile_free(g);
    g = checked("FROM x\nCAPABILITY<F32[4]> a RAW\nPROC_BLOCK p ./mine.c\nRUN a p serial\n"
                "OUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "proc block 'p' (Runefile:3:1): unknown proc block './mine.c' and no "
                       "declared output types (PROC_BLOCK<IN,OUT>)");
    rune_runefile_free(g);
    /* Resolver errors other than not-found carry the stage. */
    g = checked("FROM x\nCAPABILITY<U8[4]> a RAW\nPROC_BLOCK label runicos/label\n"
                "RUN a label serial\nOUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "proc block 'label' (Runefile:3:1): label needs --labels");
    rune_runefile_free(g);
    g = checked("FROM x\nCAPABILITY<U8[4]> a RAW\nMODEL m ./nothere.tflite\nRUN a m serial\n"
                "OUT serial\n",
                &fake_resolver, RUNE_E_NOT_FOUND, &err);
    CHECK_STR(err.msg, "model 'm' (Runefile:3:1): cannot open model ./nothere.tflite");
    rune_runefile_free(g);
    /* A model declaring two outputs when the file has one. */
    g = checked("FROM x\nCAPABILITY<F32[1]> a RAW\n"
                "MODEL<F32[1],(F32[1],F32[1])> m ./hello_world_float.tflite\nRUN a m serial\n"
                "OUT serial\n",
                &fake_resolver, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "model 'm' (Runefile:3:1): declares 2 outputs but the model file has 1");
    rune_runefile_free(g);
}

/* The typed form as the task and the later Rune docs write it: it parses, and its own declarations
 * disagree (fft gives U32, the model takes I8), which the checker reports with both ends. */
TEST(typed_form_as_written)
{
    rune_error err;
    rune_runefile *g =
        checked("FROM runicos/base\n"
                "CAPABILITY<I16[16000]> audio SOUND --hz 16000\n"
                "PROC_BLOCK<I16[16000],U32[1960]> fft runicos/fft\n"
                "MODEL<I8[1960],I8[6]> model ./m.tflite\n"
                "PROC_BLOCK<I8[6],UTF8[1]> label hotg-ai/rune#proc_blocks/ww --labels "
                "silence,unknown,yes,no\n"
                "RUN audio fft model label serial\n"
                "OUT serial\n",
                NULL, RUNE_E_INVALID, &err);
    CHECK_STR(err.msg, "Runefile:6:15: fft.0 (Runefile:3:1) gives U32[1960] but model.0 "
                       "(Runefile:4:1) takes I8[1960]");
    if (g) CHECK_STR(stage(g, "label")->source, "hotg-ai/rune#proc_blocks/ww");
    rune_runefile_free(g);
}

int main(void)
{
    RUN(paper_listing_checks);
    RUN(paper_listing_wrong_model_shape);
    RUN(examples_check_against_real_model_types);
    RUN(edge_mismatch_names_both_ends);
    RUN(capability_rules);
    RUN(ports_and_counts);
    RUN(typed_form_as_written);
    CHECK_EQ_INT(rune_alloc_live(), 0);
    return test_report();
}
