/*
 * test_compiler_codegen.c - the generated _call's two paths give the same results.
 *
 * Per inference the generated code calls the raw imports with arguments prepared in _manifest
 * (WASI-NN descriptors, TENSOR records in place) while a proc block's output still describes its
 * planned buffer, and the SDK wrappers otherwise. Two runes over the same RAND stream, one with a
 * custom block that always fills its planned buffer and one whose block answers from a buffer of
 * its own every other call, must print the same serial lines; a block that changes the output's
 * shape must have the new shape reach the host. Built for real (clang, wasm32) and run on the
 * interpreter.
 */
#include "test.h"

#include "rune/alloc.h"
#include "rune/compiler.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <unistd.h>

static char tmpdir[64];

static void write_text(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* A custom block y = factor * x over f32[1]; `how` runs before y is stored at dst (out->data,
 * unless `how` changes it). `planned` is the buffer the pipeline gave it first. */
static void write_block_times(const char *stem, const char *how, const char *factor)
{
    char src[2048], name[64];
    snprintf(src, sizeof src,
             "#include \"rune_procblocks.h\"\n"
             "static float alt[1];\n"
             "static void *planned;\n"
             "static unsigned calls;\n"
             "rune_status %s_init(const rune_pb_arg *args, size_t nargs, rune_error *err)\n"
             "{ (void)args; (void)nargs; (void)err; return RUNE_OK; }\n"
             "rune_status %s_transform(const rune_tensor *in, rune_tensor *out, rune_error *err)\n"
             "{\n"
             "    rune_status st = rune_tensor_expect(in, RUNE_ELEM_F32, \"%s\", err);\n"
             "    if (st != RUNE_OK) return st;\n"
             "    calls++;\n"
             "    if (!planned) planned = out->data;\n"
             "    float *dst = out->data;\n"
             "    %s\n"
             "    dst[0] = %s * ((const float *)in->data)[0];\n"
             "    out->elem = RUNE_ELEM_F32;\n"
             "    out->len = 4;\n"
             "    return RUNE_OK;\n"
             "}\n",
             stem, stem, stem, how, factor);
    snprintf(name, sizeof name, "%s.c", stem);
    write_text(name, src);
}

static void write_block(const char *stem, const char *how)
{
    write_block_times(stem, how, "2.0f");
}

static void write_runefile(const char *name, const char *stem)
{
    char rf[1024];
    snprintf(rf, sizeof rf,
             "FROM runicos/base\n"
             "CAPABILITY<F32[1]> rand RAND --count 1\n"
             "PROC_BLOCK<F32[1],F32[1]> blk ./%s.c\n"
             "MODEL<F32[1,1],F32[1,1]> sine %s\n"
             "RUN rand blk sine serial\n"
             "RUN blk serial\n"
             "OUT serial\n",
             stem, SHARED("models/hello_world_float.tflite"));
    write_text(name, rf);
}

/* Build tmpdir/NAME (keeping its C as NAME.rune.c) and run it `calls` times on `engine` over RAND
 * seed 7; the serial lines into out. */
static int build_and_run_on(const char *runefile, int calls, rune_wasm_engine_kind engine,
                            char *out, size_t cap)
{
    char rf[256], rune[256], cache[256];
    snprintf(rf, sizeof rf, "%s/%s", tmpdir, runefile);
    snprintf(rune, sizeof rune, "%s/%s.rune", tmpdir, runefile);
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = rune;
    o.cache_dir = cache;
    o.keep_c = 1;
    rune_build_result r;
    rune_error err;
    rune_status st = rune_build(&o, &r, &err);
    CHECK_OK(st, &err);
    if (st != RUNE_OK) return 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    st = rune_file_read_max(rune, 0, &bytes, &len, &err);
    CHECK_OK(st, &err);
    rune_cap_provider *p = NULL;
    if (st == RUNE_OK) st = rune_cap_random(7, &p, &err);
    FILE *ser = tmpfile();
    rune_host_config cfg = {0};
    cfg.engine = engine;
    cfg.providers = &p;
    cfg.nproviders = 1;
    cfg.serial_out = ser;
    cfg.quiet = 1;
    rune_host *h = NULL;
    if (st == RUNE_OK) st = rune_host_open(bytes, len, &cfg, &h, &err);
    for (int i = 0; st == RUNE_OK && i < calls; i++)
        st = rune_host_call(h, &err);
    CHECK_OK(st, &err);
    rune_host_free(h);
    rune_cap_provider_free(p);
    rune_free(bytes);
    rewind(ser);
    size_t n = fread(out, 1, cap - 1, ser);
    out[n] = '\0';
    fclose(ser);
    return st == RUNE_OK;
}

static int build_and_run(const char *runefile, int calls, char *out, size_t cap)
{
    return build_and_run_on(runefile, calls, RUNE_WASM_INTERP, out, cap);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

TEST(fast_and_general_paths_agree)
{
    static char steady[8192], wander[8192];
    write_block("steady", "");
    write_block("wander", "out->data = calls % 2 ? alt : planned; dst = out->data;");
    write_runefile("Steady", "steady");
    write_runefile("Wander", "wander");
    if (!build_and_run("Steady", 6, steady, sizeof steady)) return;
    if (!build_and_run("Wander", 6, wander, sizeof wander)) return;
    CHECK_EQ_INT(count_lines(steady), 12);
    CHECK_CONTAINS(steady, "{\"name\":\"blk\",\"type\":\"f32\",\"shape\":[1],\"data\":[");
    CHECK_CONTAINS(steady, "{\"name\":\"sine\",\"type\":\"f32\",\"shape\":[1,1],\"data\":[");
    CHECK_STR(wander, steady);
}

TEST(a_changed_shape_reaches_the_host)
{
    static char out[8192];
    /* The block declares f32[1] but answers f32[1,1]: the same bytes, another shape. */
    write_block("reshape", "out->rank = 2; out->dims[0] = 1; out->dims[1] = 1;");
    write_runefile("Reshape", "reshape");
    if (!build_and_run("Reshape", 3, out, sizeof out)) return;
    CHECK_EQ_INT(count_lines(out), 6);
    CHECK_CONTAINS(out, "{\"name\":\"blk\",\"type\":\"f32\",\"shape\":[1,1],\"data\":[");
    CHECK(strstr(out, "\"name\":\"blk\",\"type\":\"f32\",\"shape\":[1],") == NULL);
}

/* A chain of catalog blocks fed by a capability runs planned (plan once in _manifest, then the data
 * path alone); the same blocks behind a custom block cannot (its output may change from call to
 * call) and take the transform. Both print the same lines, values wrapped by both moduli included,
 * on both engines. */
TEST(planned_blocks_agree_with_their_transform)
{
    static char planned[16384], general[16384], aot[16384];
    const char *model = SHARED("models/hello_world_float.tflite");
    char rf[1024];
    snprintf(rf, sizeof rf,
             "FROM runicos/base\n"
             "CAPABILITY<F32[1]> rand RAND --count 1\n"
             "PROC_BLOCK<F32[1],F32[1]> mod runicos/modulo --modulus 0.3\n"
             "PROC_BLOCK<F32[1],F32[1]> mod2 runicos/modulo --modulus 0.2\n"
             "MODEL<F32[1,1],F32[1,1]> sine %s\n"
             "RUN rand mod mod2 sine serial\n"
             "RUN mod2 serial\n"
             "OUT serial\n",
             model);
    write_text("Planned", rf);
    write_block_times("same", "", "1.0f");
    snprintf(rf, sizeof rf,
             "FROM runicos/base\n"
             "CAPABILITY<F32[1]> rand RAND --count 1\n"
             "PROC_BLOCK<F32[1],F32[1]> same ./same.c\n"
             "PROC_BLOCK<F32[1],F32[1]> mod runicos/modulo --modulus 0.3\n"
             "PROC_BLOCK<F32[1],F32[1]> mod2 runicos/modulo --modulus 0.2\n"
             "MODEL<F32[1,1],F32[1,1]> sine %s\n"
             "RUN rand same mod mod2 sine serial\n"
             "RUN mod2 serial\n"
             "OUT serial\n",
             model);
    write_text("General", rf);
    if (!build_and_run("Planned", 40, planned, sizeof planned)) return;
    if (!build_and_run("General", 40, general, sizeof general)) return;
    CHECK_EQ_INT(count_lines(planned), 80);
    CHECK_CONTAINS(planned, "{\"name\":\"mod2\",\"type\":\"f32\",\"shape\":[1],\"data\":[");
    CHECK_STR(general, planned);
    /* The generated C: planned in a chain in one, the transform alone in the other. */
    char path[256];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/Planned.rune.c", tmpdir);
    char *c = (char *)test_read_file(path, &len);
    CHECK(c && strstr(c, "s1_mod_planned_ = rune_pb_modulo_plan(") != NULL);
    CHECK(c && strstr(c, "s2_mod2_planned_ = s1_mod_planned_ && rune_pb_modulo_plan(") != NULL);
    CHECK(c && strstr(c, "rune_pb_modulo_run(&s2_mod2_state") != NULL);
    free(c);
    snprintf(path, sizeof path, "%s/General.rune.c", tmpdir);
    c = (char *)test_read_file(path, &len);
    CHECK(c && strstr(c, "rune_pb_modulo_transform(") != NULL);
    CHECK(c && strstr(c, "_planned_") == NULL);
    free(c);
    /* Every value really went through both moduli: all in [0, 0.2). */
    int n = 0;
    for (const char *p = planned; (p = strstr(p, "\"name\":\"mod2\"")); p++, n++) {
        const char *d = strstr(p, "\"data\":[");
        CHECK(d != NULL);
        if (!d) break;
        double v = atof(d + 8);
        CHECK_MSG_(v >= 0 && v < 0.2, "mod2 value %g", v);
    }
    CHECK_EQ_INT(n, 40);
    rune_wasm_engine *eng = NULL;
    rune_error err;
    if (rune_wasm_engine_new(RUNE_WASM_AOT, NULL, &eng, &err) == RUNE_OK) {
        rune_wasm_engine_free(eng);
        if (!build_and_run_on("Planned", 40, RUNE_WASM_AOT, aot, sizeof aot)) return;
        CHECK_STR(aot, planned);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rune_codegen_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(fast_and_general_paths_agree);
    RUN(a_changed_shape_reaches_the_host);
    RUN(planned_blocks_agree_with_their_transform);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_report();
}
