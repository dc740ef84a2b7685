/*
 * test_paper.c - end to end: the Rune paper's listing (examples/paper/Runefile) exactly as printed,
 * from Runefile to serial output on the interpreter and on AOT.
 *
 *   FROM runicos/base
 *   CAPABILITY AUDIO audio hz 16000 samples 150 sample-size 1500
 *   PROC_BLOCK runicos/fft fft
 *   MODEL ./example.tflite model input [150,1] output 1
 *   RUN audio fft model
 *   OUT serial
 *
 * The SOUND capability is fed from yes_1000ms.wav, 150 samples a call; 107 calls walk through the
 * second (the last one zero-padded), the 108th finds the input exhausted. Each call must print one
 * JSON line, the same on both engines, whose value is what this test computes on its own: the WAV
 * read by tests/guest/wav.h, |X[k]| by a direct DFT in double, y = sum of the documented weights
 * (tools/gen-paper-model/paper_model.h) times |X[k]|. Also: the committed example.tflite is
 * byte-identical to what gen-paper-model writes and really holds those weights (run through the
 * model engine), the types the checker infers, and a refused variant naming its place.
 *
 *   test_e2e_paper          everything (the AOT engine compiles the rune with the system C
 *                           compiler: ~20 s, so this one is labelled slow)
 *   test_e2e_paper quick    everything but AOT
 */
#include "test.h"

#include "guest/wav.h"
#include "paper_model.h"
#include "rune/alloc.h"
#include "rune/compiler.h"
#include "rune/nn.h"
#include "rune/runefile.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <unistd.h>

#define CALLS 107 /* ceil(16000 / 150) */
#define LINE_MAX_ 160

static char tmpdir[64];
static char rune_path[128];
static int built;

static const char *paper_file(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/examples/paper/%s", RUNE_SOURCE_DIR, name);
    return buf;
}

/* The expected output of each call, computed here without any of Rune's code. */
static double expected[CALLS];

static int compute_expected(void)
{
    size_t len = 0, n = 0;
    uint32_t rate = 0;
    const char *why = "";
    unsigned char *b = test_read_file(SHARED("testdata/yes_1000ms.wav"), &len);
    CHECK(b != NULL);
    if (!b) return 0;
    int16_t *s = wav_parse(b, len, &n, &rate, &why);
    free(b);
    CHECK_MSG_(s != NULL, "yes_1000ms.wav: %s", why);
    if (!s) return 0;
    CHECK_EQ_INT(rate, 16000);
    CHECK_EQ_INT(n, 16000);
    const double pi = 3.14159265358979323846;
    for (int c = 0; c < CALLS; c++) {
        double x[PAPER_MODEL_N], y = 0;
        for (int i = 0; i < PAPER_MODEL_N; i++) { /* the provider zero-pads the last reading */
            const size_t at = (size_t)c * PAPER_MODEL_N + (size_t)i;
            x[i] = at < n ? s[at] : 0;
        }
        for (int k = 0; k < PAPER_MODEL_N; k++) {
            double re = 0, im = 0;
            for (int j = 0; j < PAPER_MODEL_N; j++) {
                const double ph = -2 * pi * (double)((k * j) % PAPER_MODEL_N) / PAPER_MODEL_N;
                re += x[j] * cos(ph);
                im += x[j] * sin(ph);
            }
            y += paper_model_weight(k) * sqrt(re * re + im * im);
        }
        expected[c] = y;
    }
    free(s);
    return 1;
}

TEST(committed_model_is_what_the_generator_writes)
{
    uint8_t *gen = NULL;
    size_t gen_len = 0, file_len = 0;
    rune_error err;
    CHECK_OK(paper_model_build(&gen, &gen_len, &err), &err);
    unsigned char *file = test_read_file(paper_file("example.tflite"), &file_len);
    CHECK_MSG_(file != NULL, "cannot read %s", paper_file("example.tflite"));
    if (gen && file) {
        CHECK_EQ_INT(file_len, gen_len);
        CHECK_MSG_(file_len == gen_len && memcmp(file, gen, gen_len) == 0,
                   "examples/paper/example.tflite differs from what gen-paper-model writes: run "
                   "build/tools/gen-paper-model/gen-paper-model examples/paper/example.tflite");
    }
    rune_free(gen);
    free(file);
}

/* Bin k alone (a unit vector) through the model engine gives back weight k. */
TEST(model_holds_the_documented_weights)
{
    size_t len = 0;
    unsigned char *file = test_read_file(paper_file("example.tflite"), &len);
    CHECK(file != NULL);
    if (!file) return;
    rune_error err;
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    CHECK_OK(rune_nn_model_load(file, len, &m, &err), &err);
    if (m) CHECK_OK(rune_nn_interp_create(m, NULL, 0, &it, &err), &err);
    rune_nn_tensor_info in, out;
    if (it) {
        CHECK_OK(rune_nn_model_input(m, 0, &in, &err), &err);
        CHECK_OK(rune_nn_model_output(m, 0, &out, &err), &err);
        CHECK_EQ_INT(in.type, RUNE_NN_FLOAT32);
        CHECK_EQ_INT(in.ndims, 2);
        CHECK_EQ_INT(in.dims[0], 150);
        CHECK_EQ_INT(in.dims[1], 1);
        CHECK_EQ_INT(out.n_elems, 1);
        int nonzero = 0;
        for (int k = 0; k < PAPER_MODEL_N; k++) {
            float x[PAPER_MODEL_N] = {0};
            x[k] = 1.0f;
            const void *y = NULL;
            size_t ylen = 0;
            CHECK_OK(rune_nn_interp_set_input(it, 0, x, sizeof x, &err), &err);
            CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
            CHECK_OK(rune_nn_interp_output(it, 0, &y, &ylen, &err), &err);
            if (!y || ylen != 4) continue;
            float v;
            memcpy(&v, y, 4);
            CHECK_MSG_(v == paper_model_weight(k), "bin %d: model gives %g, documented %g", k, v,
                       paper_model_weight(k));
            nonzero += v != 0;
        }
        CHECK_EQ_INT(nonzero, PAPER_MODEL_BAND_HI - PAPER_MODEL_BAND_LO + 1);
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    free(file);
}

TEST(listing_type_checks_with_the_implied_types)
{
    rune_runefile *g = NULL;
    rune_error err;
    CHECK_OK(rune_compiler_load_checked(paper_file("Runefile"), &g, &err), &err);
    if (!g) return;
    char s[64];
    const char *want[][3] = {{"audio", "", "I16[150]"},
                             {"fft", "I16[150]", "F32[150]"},
                             {"model", "F32[150]", "F32[1]"},
                             {"serial", "F32[1]", ""}};
    for (int i = 0; i < 4; i++) {
        long at = rune_runefile_find(g, want[i][0]);
        CHECK_MSG_(at >= 0, "no stage %s", want[i][0]);
        if (at < 0) continue;
        const rune_rf_stage *st = &g->stages[at];
        CHECK_STR(st->n_in ? rune_rf_type_str(&st->in[0], s, sizeof s) : "", want[i][1]);
        CHECK_STR(st->n_out ? rune_rf_type_str(&st->out[0], s, sizeof s) : "", want[i][2]);
    }
    rune_runefile_free(g);
}

TEST(listing_builds)
{
    char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    snprintf(rune_path, sizeof rune_path, "%s/paper.rune", tmpdir);
    rune_build_options o = {0};
    o.runefile = paper_file("Runefile");
    o.output = rune_path;
    o.cache_dir = cache;
    rune_build_result r;
    rune_error err;
    rune_status st = rune_build(&o, &r, &err);
    CHECK_OK(st, &err);
    built = st == RUNE_OK;
    if (built) printf("built %s: %zu bytes in %.2f s\n", rune_path, r.size, r.seconds);
}

/* Run the rune `calls` times on one engine, serial output into buf; the status of the first
 * failing call (or of the open) is returned, *ok counts the calls that succeeded. */
static rune_status run(rune_wasm_engine_kind engine, int calls, char *buf, size_t cap, int *ok,
                       char *log, size_t log_cap, rune_error *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_cap_provider *p = NULL;
    *ok = 0;
    buf[0] = '\0';
    rune_status st = rune_cap_sound_file(SHARED("testdata/yes_1000ms.wav"), 0, &p, err);
    if (st == RUNE_OK) st = rune_file_read_max(rune_path, 0, &bytes, &len, err);
    FILE *ser = st == RUNE_OK ? tmpfile() : NULL, *logf = ser ? tmpfile() : NULL;
    if (st == RUNE_OK && (!ser || !logf)) st = RUNE_ERR(err, RUNE_E_IO, "tmpfile failed");
    rune_host *h = NULL;
    if (st == RUNE_OK) {
        rune_host_config cfg = {0};
        cfg.engine = engine;
        cfg.providers = &p;
        cfg.nproviders = 1;
        cfg.serial_out = ser;
        cfg.quiet = 1;
        cfg.log_out = logf;
        st = rune_host_open(bytes, len, &cfg, &h, err);
    }
    for (int i = 0; st == RUNE_OK && i < calls; i++) {
        st = rune_host_call(h, err);
        if (st == RUNE_OK) (*ok)++;
    }
    rune_host_free(h);
    log[0] = '\0';
    if (ser) {
        rewind(ser);
        size_t n = fread(buf, 1, cap - 1, ser);
        buf[n] = '\0';
        fclose(ser);
    }
    if (logf) {
        rewind(logf);
        size_t n = fread(log, 1, log_cap - 1, logf);
        log[n] = '\0';
        fclose(logf);
    }
    rune_free(bytes);
    rune_cap_provider_free(p);
    return st;
}

/* Each line is {"name":"model","type":"f32","shape":[1],"data":[Y]}: check and compare Y. */
static void check_lines(const char *out, const char *engine)
{
    static const char prefix[] = "{\"name\":\"model\",\"type\":\"f32\",\"shape\":[1],\"data\":[";
    const char *line = out;
    int n = 0, loudest = 0;
    double worst = 0;
    while (*line) {
        const char *end = strchr(line, '\n');
        CHECK_MSG_(end != NULL, "%s: unterminated last line", engine);
        if (!end) break;
        CHECK_MSG_(strncmp(line, prefix, sizeof prefix - 1) == 0 && end - line < LINE_MAX_,
                   "%s line %d: %.*s", engine, n + 1, (int)(end - line), line);
        char *num_end = NULL;
        double y = strtod(line + sizeof prefix - 1, &num_end);
        CHECK_MSG_(num_end && strncmp(num_end, "]}\n", 3) == 0, "%s line %d: %.*s", engine, n + 1,
                   (int)(end - line), line);
        if (n < CALLS) {
            const double d = fabs(y - expected[n]);
            if (d > worst) worst = d;
            CHECK_MSG_(d <= 1e-6 + 1e-5 * expected[n], "%s call %d: rune gives %.9g, expected %.9g",
                       engine, n + 1, y, expected[n]);
            if (expected[n] > expected[loudest]) loudest = n;
        }
        n++;
        line = end + 1;
    }
    CHECK_EQ_INT(n, CALLS);
    /* The model means something: "yes" is loud in its middle, quiet at its ends. */
    CHECK(expected[loudest] > 20 * expected[0] && expected[loudest] > 20 * expected[CALLS - 1]);
    printf("%s: %d lines, worst |y - expected| = %.3g, loudest call %d: %.4f (first %.4f, last "
           "%.4f)\n",
           engine, n, worst, loudest + 1, expected[loudest], expected[0], expected[CALLS - 1]);
}

static char outputs[2][CALLS * LINE_MAX_ + 4096];

static void run_engine(int e)
{
    const char *name = e ? "aot" : "interp";
    if (!built) return;
    rune_error err;
    int ok = 0;
    char log[1024];
    /* One call more than the file holds: it must fail cleanly, after exactly CALLS lines, and
     * the guest's log must say why. */
    rune_status st = run(e ? RUNE_WASM_AOT : RUNE_WASM_INTERP, CALLS + 1, outputs[e],
                         sizeof outputs[e], &ok, log, sizeof log, &err);
    CHECK_MSG_(st != RUNE_OK, "%s: call %d past the end of the WAV succeeded", name, CALLS + 1);
    CHECK_EQ_INT(ok, CALLS);
    CHECK_CONTAINS(log, "capability_read: host returned end of input");
    printf("%s: call %d: %s: %s\n", name, CALLS + 1, rune_status_name(st), err.msg);
    check_lines(outputs[e], name);
}

TEST(runs_on_the_interpreter)
{
    run_engine(0);
}

TEST(runs_on_aot_identically)
{
    run_engine(1);
    if (built) CHECK_STR(outputs[0], outputs[1]);
}

/* The same listing asking for int8 features from 150 samples: refused at build, with its place. */
TEST(impossible_variant_is_refused_with_its_place)
{
    char rf[128], out[128];
    snprintf(rf, sizeof rf, "%s/Runefile", tmpdir);
    snprintf(out, sizeof out, "%s/bad.rune", tmpdir);
    FILE *f = fopen(rf, "w");
    CHECK(f != NULL);
    if (!f) return;
    fprintf(f,
            "FROM runicos/base\nCAPABILITY AUDIO audio hz 16000 samples 150 sample-size 1500\n"
            "PROC_BLOCK runicos/fft fft output i8\nMODEL %s model input [150,1] output 1\n"
            "RUN audio fft model\nOUT serial\n",
            paper_file("example.tflite"));
    fclose(f);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    rune_build_result r;
    rune_error err;
    rune_status st = rune_build(&o, &r, &err);
    CHECK(st != RUNE_OK);
    CHECK_CONTAINS(err.msg, "Runefile:3");
    CHECK_CONTAINS(err.msg, "output=i8 is not possible");
    CHECK(access(out, F_OK) != 0);
}

int main(int argc, char **argv)
{
    const int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rune-paper-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    setenv("RUNE_CACHE_DIR", tmpdir, 1); /* AOT objects too */
    RUN(committed_model_is_what_the_generator_writes);
    RUN(model_holds_the_documented_weights);
    RUN(listing_type_checks_with_the_implied_types);
    if (compute_expected()) {
        RUN(listing_builds);
        RUN(runs_on_the_interpreter);
        if (!quick) RUN(runs_on_aot_identically);
    }
    RUN(impossible_variant_is_refused_with_its_place);
    CHECK_EQ_INT(rune_alloc_live(), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_report();
}
