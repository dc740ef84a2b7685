/*
 * End-to-end: each example under examples/ from its Runefile to its output, on the interpreter and
 * on AOT, with the real models and inputs of ../shared. Outputs must be the expected labels and
 * identical on both engines. Also: a second build of an unchanged Runefile comes from the cache.
 */
#include "test.h"

#include "rune/alloc.h"
#include "rune/compiler.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <math.h>
#include <unistd.h>

static char tmpdir[64];

static int build(const char *example, const char *runefile, char *out, size_t cap,
                 rune_build_result *r)
{
    char rf[1024];
    snprintf(rf, sizeof rf, "%s/examples/%s/%s", RUNE_SOURCE_DIR, example, runefile);
    snprintf(out, cap, "%s/%s.rune", tmpdir, example);
    char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    o.cache_dir = cache;
    rune_error err;
    rune_status st = rune_build(&o, r, &err);
    CHECK_OK(st, &err);
    return st == RUNE_OK;
}

/* Run a rune once (or `calls` times) with one provider; serial output into buf. */
static rune_status run(const char *rune_path, rune_cap_provider *p, rune_wasm_engine_kind engine,
                       int calls, char *buf, size_t cap, rune_error *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_status st = rune_file_read_max(rune_path, 0, &bytes, &len, err);
    if (st != RUNE_OK) return st;
    FILE *ser = tmpfile();
    rune_host_config cfg = {0};
    cfg.engine = engine;
    cfg.providers = &p;
    cfg.nproviders = 1;
    cfg.serial_out = ser;
    cfg.quiet = 1;
    rune_host *h = NULL;
    st = rune_host_open(bytes, len, &cfg, &h, err);
    for (int i = 0; st == RUNE_OK && i < calls; i++) st = rune_host_call(h, err);
    rune_host_free(h);
    rewind(ser);
    size_t n = fread(buf, 1, cap - 1, ser);
    buf[n] = '\0';
    fclose(ser);
    rune_free(bytes);
    return st;
}

TEST(microspeech_hears_yes_no_silence_silence_on_both_engines)
{
    char path[256];
    rune_build_result r;
    if (!build("microspeech", "Runefile", path, sizeof path, &r)) return;
    const char *wavs[] = {"yes", "no", "silence", "noise"};
    const char *want[] = {"[\"yes\"]", "[\"no\"]", "[\"silence\"]", "[\"silence\"]"};
    for (int i = 0; i < 4; i++) {
        char rel[64], out[2][512];
        snprintf(rel, sizeof rel, "testdata/%s_1000ms.wav", wavs[i]);
        for (int e = 0; e < 2; e++) {
            rune_cap_provider *p = NULL;
            rune_error err;
            CHECK_OK(rune_cap_sound_file(SHARED(rel), 0, &p, &err), &err);
            CHECK_OK(run(path, p, e ? RUNE_WASM_AOT : RUNE_WASM_INTERP, 1, out[e], sizeof out[e],
                         &err),
                     &err);
            rune_cap_provider_free(p);
            CHECK_CONTAINS(out[e], want[i]);
        }
        CHECK_STR(out[0], out[1]);
    }
}

TEST(microspeech_yaml_builds_the_same_pipeline)
{
    char a[256], b[256];
    rune_build_result ra, rb;
    if (!build("microspeech", "Runefile", a, sizeof a, &ra)) return;
    char keep[256];
    snprintf(keep, sizeof keep, "%s", a);
    if (!build("microspeech", "Runefile.yml", b, sizeof b, &rb)) return;
    rune_cap_provider *p = NULL;
    rune_error err;
    char out[512];
    CHECK_OK(rune_cap_sound_file(SHARED("testdata/no_1000ms.wav"), 0, &p, &err), &err);
    CHECK_OK(run(b, p, RUNE_WASM_INTERP, 1, out, sizeof out, &err), &err);
    rune_cap_provider_free(p);
    CHECK_CONTAINS(out, "[\"no\"]");
}

TEST(person_detection_sees_person_and_no_person_on_both_engines)
{
    char path[256];
    rune_build_result r;
    if (!build("person_detection", "Runefile", path, sizeof path, &r)) return;
    const char *pngs[] = {"person", "no_person"};
    const char *want[] = {"[\"person\"]", "[\"no_person\"]"};
    for (int i = 0; i < 2; i++) {
        char rel[64], out[2][512];
        snprintf(rel, sizeof rel, "testdata/%s.png", pngs[i]);
        for (int e = 0; e < 2; e++) {
            rune_cap_provider *p = NULL;
            rune_error err;
            CHECK_OK(rune_cap_image_file(SHARED(rel), &p, &err), &err);
            CHECK_OK(run(path, p, e ? RUNE_WASM_AOT : RUNE_WASM_INTERP, 1, out[e], sizeof out[e],
                         &err),
                     &err);
            rune_cap_provider_free(p);
            CHECK_CONTAINS(out[e], want[i]);
        }
        CHECK_STR(out[0], out[1]);
    }
}

/* The RAND provider's documented stream (SplitMix64; f32 = top 24 bits / 2^24). */
static float rand_f32(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (float)(z >> 40) / 16777216.0f;
}

TEST(sine_predicts_sin_of_its_random_input_on_both_engines)
{
    char path[256];
    rune_build_result r;
    if (!build("sine", "Runefile", path, sizeof path, &r)) return;
    char out[2][4096];
    for (int e = 0; e < 2; e++) {
        rune_cap_provider *p = NULL;
        rune_error err;
        CHECK_OK(rune_cap_random(7, &p, &err), &err);
        CHECK_OK(run(path, p, e ? RUNE_WASM_AOT : RUNE_WASM_INTERP, 20, out[e], sizeof out[e],
                     &err),
                 &err);
        rune_cap_provider_free(p);
    }
    CHECK_STR(out[0], out[1]);
    /* Each line's y is sin(x) of the provider's x (x mod 2*pi), within the model's accuracy. */
    uint64_t s = 7;
    const char *line = out[0];
    int n = 0;
    while ((line = strstr(line, "\"data\":[")) != NULL) {
        line += 8;
        double y = strtod(line, NULL);
        double x = fmod((double)rand_f32(&s), 6.2831855);
        CHECK_NEAR(y, sin(x), 0.1);
        n++;
    }
    CHECK_EQ_INT(n, 20);
}

TEST(custom_proc_block_from_a_c_file_runs_on_both_engines)
{
    char path[256];
    rune_build_result r;
    if (!build("custom_block", "Runefile", path, sizeof path, &r)) return;
    char out[2][4096];
    for (int e = 0; e < 2; e++) {
        rune_cap_provider *p = NULL;
        rune_error err;
        CHECK_OK(rune_cap_random(11, &p, &err), &err);
        CHECK_OK(run(path, p, e ? RUNE_WASM_AOT : RUNE_WASM_INTERP, 20, out[e], sizeof out[e],
                     &err),
                 &err);
        rune_cap_provider_free(p);
    }
    CHECK_STR(out[0], out[1]);
    /* ./scale.c maps u in [0, 1) to x = 2*pi*u: y follows sin(x) over the whole period. */
    uint64_t s = 11;
    const char *line = out[0];
    int n = 0, negative = 0;
    while ((line = strstr(line, "\"data\":[")) != NULL) {
        line += 8;
        double y = strtod(line, NULL);
        double x = (double)rand_f32(&s) * 6.2831853;
        CHECK_NEAR(y, sin(x), 0.1);
        negative += y < 0;
        n++;
    }
    CHECK_EQ_INT(n, 20);
    CHECK(negative > 0); /* the scale block ran: without it every x < 1 and sin(x) > 0 */
}

TEST(unchanged_runefile_is_served_from_the_cache)
{
    char path[256];
    rune_build_result r1, r2;
    if (!build("sine", "Runefile", path, sizeof path, &r1)) return;
    if (!build("sine", "Runefile", path, sizeof path, &r2)) return;
    CHECK_EQ_INT(r2.cached, 1);
    CHECK_STR(r1.digest, r2.digest);
}

TEST(build_errors_name_the_place)
{
    char rf[128];
    snprintf(rf, sizeof rf, "%s/Runefile", tmpdir);
    FILE *f = fopen(rf, "w");
    fprintf(f, "FROM runicos/base\nCAPABILITY<I16[16000]> audio SOUND --hz 16000\n"
               "MODEL<I8[1960],I8[4]> model %s\nRUN audio model serial\nOUT serial\n",
            SHARED("models/micro_speech_quantized.tflite"));
    fclose(f);
    rune_build_options o = {0};
    o.runefile = rf;
    char out[128];
    snprintf(out, sizeof out, "%s/bad.rune", tmpdir);
    o.output = out;
    rune_build_result r;
    rune_error err;
    CHECK_STATUS(rune_build(&o, &r, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "Runefile:");
    CHECK(access(out, F_OK) != 0); /* nothing written */
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rune-e2e-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    setenv("RUNE_CACHE_DIR", tmpdir, 1); /* AOT objects too */
    RUN(microspeech_hears_yes_no_silence_silence_on_both_engines);
    RUN(microspeech_yaml_builds_the_same_pipeline);
    RUN(person_detection_sees_person_and_no_person_on_both_engines);
    RUN(sine_predicts_sin_of_its_random_input_on_both_engines);
    RUN(custom_proc_block_from_a_c_file_runs_on_both_engines);
    RUN(unchanged_runefile_is_served_from_the_cache);
    RUN(build_errors_name_the_place);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_report();
}
