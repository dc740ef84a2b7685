/*
 * FROM composition end to end: the microspeech example is built and stored as ms-base:1, then
 * derived Runefiles that only say what differs are built on it and run on the real recordings of
 * ../shared/testdata: one swaps the labels, one adds stages after the base's model; a missing base,
 * a cycle of FROMs and a replacement of the wrong kind are refused with file:line:col. Each build
 * compiles with clang (about half a second); the whole file takes a few seconds.
 */
#include "test.h"

#include "rune/alloc.h"
#include "rune/compiler.h"
#include "rune/container.h"
#include "rune/nn_writer.h"
#include "rune/registry.h"
#include "rune/runicos.h"
#include "rune/sign.h"
#include "rune/source.h"

#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64], store[128], cache[128];
static int have_base = 0;

/* Write text as tmpdir/NAME/Runefile and build it to tmpdir/NAME.rune (tag may be NULL). */
static rune_status build_text(const char *name, const char *text, const char *tag,
                              rune_build_result *r, rune_error *err)
{
    char dir[256], rf[300], out[300];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    mkdir(dir, 0755);
    snprintf(rf, sizeof rf, "%s/Runefile", dir);
    snprintf(out, sizeof out, "%s/%s.rune", tmpdir, name);
    FILE *f = fopen(rf, "w");
    if (!f) return RUNE_ERR(err, RUNE_E_IO, "cannot write %s", rf);
    fputs(text, f);
    fclose(f);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    o.name = name;
    o.cache_dir = cache;
    o.store_dir = store;
    o.tag = tag;
    return rune_build(&o, r, err);
}

/* Run tmpdir/NAME.rune once on a recording (wav "rand": random numbers, seed 42); serial output
 * into buf. */
static rune_status run_wav(const char *name, const char *wav, char *buf, size_t cap,
                           rune_error *err)
{
    char path[300], rel[64];
    snprintf(path, sizeof path, "%s/%s.rune", tmpdir, name);
    snprintf(rel, sizeof rel, "testdata/%s_1000ms.wav", wav);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_cap_provider *p = NULL;
    rune_status st = rune_file_read_max(path, 0, &bytes, &len, err);
    if (st == RUNE_OK && !strcmp(wav, "rand"))
        st = rune_cap_random(42, &p, err);
    else if (st == RUNE_OK)
        st = rune_cap_sound_file(SHARED(rel), 0, &p, err);
    FILE *ser = tmpfile();
    rune_host_config cfg = {0};
    cfg.engine = RUNE_WASM_INTERP;
    cfg.providers = &p;
    cfg.nproviders = 1;
    cfg.serial_out = ser;
    cfg.quiet = 1;
    rune_host *h = NULL;
    if (st == RUNE_OK) st = rune_host_open(bytes, len, &cfg, &h, err);
    if (st == RUNE_OK) st = rune_host_call(h, err);
    rune_host_free(h);
    rewind(ser);
    size_t n = fread(buf, 1, cap - 1, ser);
    buf[n] = '\0';
    fclose(ser);
    rune_cap_provider_free(p);
    rune_free(bytes);
    return st;
}

/* The manifest of tmpdir/NAME.rune (caller frees). */
static rune_manifest *manifest_of(const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s.rune", tmpdir, name);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_container *c = NULL;
    rune_manifest *m = NULL;
    if (rune_file_read_max(path, 0, &bytes, &len, NULL) == RUNE_OK &&
        rune_container_open(bytes, len, &c, NULL) == RUNE_OK) {
        m = c->manifest;
        c->manifest = NULL;
    }
    rune_container_free(c);
    rune_free(bytes);
    return m;
}

static void stored_digest(const char *ref, char out[RUNE_DIGEST_STR_LEN])
{
    rune_oci_store *s = NULL;
    out[0] = '\0';
    if (rune_oci_store_open(store, &s, NULL) == RUNE_OK) rune_oci_store_resolve(s, ref, out, NULL);
    rune_oci_store_close(s);
}

TEST(base_is_built_and_stored)
{
    char rf[512];
    snprintf(rf, sizeof rf, "%s/examples/microspeech/Runefile", RUNE_SOURCE_DIR);
    char out[300];
    snprintf(out, sizeof out, "%s/ms-base.rune", tmpdir);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    o.cache_dir = cache;
    o.store_dir = store;
    o.tag = "ms-base:1";
    rune_build_result r;
    rune_error err;
    CHECK_OK(rune_build(&o, &r, &err), &err);
    CHECK_STR(r.ref, "ms-base:1");
    CHECK_STR(r.base, ""); /* FROM runicos/base is a root */
    char d[RUNE_DIGEST_STR_LEN];
    stored_digest("ms-base:1", d);
    CHECK_STR(d, r.oci_digest);
    have_base = d[0] != '\0';
}

static char swapped_digest[RUNE_DIGEST_STR_LEN]; /* its rune digest */

TEST(derived_rune_swaps_the_labels)
{
    if (!have_base) return;
    rune_build_result r;
    rune_error err;
    CHECK_OK(
        build_text("swapped",
                   "# only the labels differ from the base\n"
                   "FROM ms-base:1\n"
                   "PROC_BLOCK label runicos/label --labels quiet,other,affirmative,negative\n",
                   "swapped:1", &r, &err),
        &err);
    snprintf(swapped_digest, sizeof swapped_digest, "%s", r.digest);
    char d[RUNE_DIGEST_STR_LEN], want[200];
    stored_digest("ms-base:1", d);
    snprintf(want, sizeof want, "ms-base:1@%s", d);
    CHECK_STR(r.base, want);
    rune_manifest *m = manifest_of("swapped");
    CHECK(m != NULL);
    if (m) {
        CHECK_STR(m->base, want);
        CHECK_EQ_INT(m->ncapabilities, 1);
        CHECK_EQ_INT(m->nmodels, 1);
        CHECK_EQ_INT(m->npipeline, 5);
        rune_manifest_stage *label = rune_manifest_find(m, RUNE_LIST_PROC_BLOCKS, "label");
        CHECK(label && label->nargs == 1 &&
              !strcmp(label->args[0].value, "quiet,other,affirmative,negative"));
    }
    rune_manifest_free(m);
    char out[512];
    CHECK_OK(run_wav("swapped", "yes", out, sizeof out, &err), &err);
    CHECK_CONTAINS(out, "[\"affirmative\"]");
    CHECK_OK(run_wav("swapped", "no", out, sizeof out, &err), &err);
    CHECK_CONTAINS(out, "[\"negative\"]");
    CHECK_OK(run_wav("ms-base", "yes", out, sizeof out, &err), &err);
    CHECK_CONTAINS(out, "[\"yes\"]");
}

TEST(derived_rune_adds_stages_after_the_base_pipeline)
{
    if (!have_base) return;
    rune_build_result r;
    rune_error err;
    CHECK_OK(build_text("added",
                        "FROM ms-base:1\n"
                        "PROC_BLOCK probs runicos/softmax\n"
                        "OUT serial scores\n"
                        "RUN model probs scores   # a branch from the base's model\n",
                        NULL, &r, &err),
             &err);
    rune_manifest *m = manifest_of("added");
    CHECK(m && m->nproc_blocks == 4 && m->noutputs == 2 && m->npipeline == 7);
    CHECK(m && rune_manifest_find(m, RUNE_LIST_PROC_BLOCKS, "probs"));
    rune_manifest_free(m);
    char out[1024];
    CHECK_OK(run_wav("added", "yes", out, sizeof out, &err), &err);
    CHECK_CONTAINS(out, "[\"yes\"]");
    /* softmax over the four scores: "yes" (index 2) gets the most. */
    const char *p = strstr(out, "\"name\":\"probs\"");
    CHECK(p != NULL);
    const char *data = p ? strstr(p, "\"data\":[") : NULL;
    CHECK(data != NULL);
    if (data) {
        double v[4] = {0};
        int n = sscanf(data, "\"data\":[%lf,%lf,%lf,%lf]", &v[0], &v[1], &v[2], &v[3]);
        CHECK_EQ_INT(n, 4);
        CHECK_NEAR(v[0] + v[1] + v[2] + v[3], 1.0, 1e-3);
        CHECK(v[2] > v[0] && v[2] > v[1] && v[2] > v[3]);
    }
}

/* The first number of the "data" of the tensor record of stage name in out, or NAN. */
static double tensor_value(const char *out, const char *name)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"name\":\"%s\"", name);
    const char *p = strstr(out, pat);
    const char *d = p ? strstr(p, "\"data\":[") : NULL;
    double v = NAN;
    if (d && sscanf(d, "\"data\":[%lf", &v) != 1) v = NAN;
    return v;
}

/* The base's model swapped for another file: y = 2x + 1 (FULLY_CONNECTED written here) in place of
 * the sine model, and the value fed to it shown through an added output. */
TEST(derived_rune_replaces_a_model)
{
    char rf[512], out[300];
    snprintf(rf, sizeof rf, "%s/examples/sine/Runefile", RUNE_SOURCE_DIR);
    snprintf(out, sizeof out, "%s/sine-base.rune", tmpdir);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    o.cache_dir = cache;
    o.store_dir = store;
    o.tag = "sine-base:1";
    rune_build_result r;
    rune_error err;
    CHECK_OK(rune_build(&o, &r, &err), &err);
    /* The replacement model. */
    rune_nnw *w = NULL;
    CHECK_OK(rune_nnw_new(&w, &err), &err);
    if (!w) return;
    static const int32_t s11[] = {1, 1}, s1[] = {1};
    static const float weight[] = {2.0f}, bias[] = {1.0f};
    int in = rune_nnw_add_tensor(
        w, &(rune_nnw_tensor){.name = "x", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = s11});
    int wt = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "w",
                                                       .type = RUNE_NNW_FLOAT32,
                                                       .rank = 2,
                                                       .shape = s11,
                                                       .data = weight,
                                                       .data_len = sizeof weight});
    int bt = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "b",
                                                       .type = RUNE_NNW_FLOAT32,
                                                       .rank = 1,
                                                       .shape = s1,
                                                       .data = bias,
                                                       .data_len = sizeof bias});
    int ot = rune_nnw_add_tensor(
        w, &(rune_nnw_tensor){.name = "y", .type = RUNE_NNW_FLOAT32, .rank = 2, .shape = s11});
    rune_nnw_options fc = rune_nnw_opts_fc(RUNE_NNW_ACT_NONE);
    rune_nnw_add_op(w, RUNE_NNW_OP_FULLY_CONNECTED, (int[]){in, wt, bt}, 3, (int[]){ot}, 1, &fc);
    rune_nnw_set_io(w, (int[]){in}, 1, (int[]){ot}, 1);
    uint8_t *model = NULL;
    size_t mlen = 0;
    CHECK_OK(rune_nnw_finish(w, &model, &mlen, &err), &err);
    rune_nnw_free(w);
    char dir[200], mp[300];
    snprintf(dir, sizeof dir, "%s/line", tmpdir);
    mkdir(dir, 0755);
    snprintf(mp, sizeof mp, "%s/line.tflite", dir);
    if (model) CHECK_OK(rune_file_write_atomic(mp, model, mlen, &err), &err);
    rune_free(model);
    CHECK_OK(build_text("line",
                        "FROM sine-base:1\n"
                        "MODEL sine ./line.tflite   # same name: replaces the base's model\n"
                        "OUT serial xs\n"
                        "RUN mod xs\n",
                        NULL, &r, &err),
             &err);
    char buf[1024];
    CHECK_OK(run_wav("line", "rand", buf, sizeof buf, &err), &err);
    double x = tensor_value(buf, "mod"), y = tensor_value(buf, "sine");
    CHECK_MSG_(x >= 0 && x < 6.2832 && fabs(y - (2 * x + 1)) < 1e-4, "x %g y %g in %s", x, y, buf);
    CHECK_OK(run_wav("sine-base", "rand", buf, sizeof buf, &err), &err);
    CHECK_NEAR(tensor_value(buf, "sine"), sin(x), 0.1); /* the base still predicts sin(x) */
    rune_manifest *m = manifest_of("line");
    CHECK(m && m->nmodels == 1 && m->models[0].size == mlen);
    rune_manifest_free(m);
}

TEST(from_by_digest_and_two_levels)
{
    if (!have_base) return;
    char d[RUNE_DIGEST_STR_LEN], text[256];
    stored_digest("swapped:1", d);
    if (!d[0]) return; /* the labels test failed already */
    snprintf(text, sizeof text, "FROM swapped@%s\nOUT tensor raw\nRUN model raw\n", d);
    rune_build_result r;
    rune_error err;
    CHECK_OK(build_text("twolevel", text, NULL, &r, &err), &err);
    char want[200];
    snprintf(want, sizeof want, "swapped@%s", d);
    CHECK_STR(r.base, want);
    char out[1024];
    CHECK_OK(run_wav("twolevel", "yes", out, sizeof out, &err), &err);
    CHECK_CONTAINS(out, "[\"affirmative\"]"); /* the middle rune's labels came along */
    /* The rune digest `rune build` prints names the same base. */
    rune_build_result r2;
    snprintf(text, sizeof text, "FROM swapped@%s\nOUT tensor raw\nRUN model raw\n", swapped_digest);
    CHECK_OK(build_text("byrunedigest", text, NULL, &r2, &err), &err);
    CHECK_STR(r2.base, want);
}

TEST(missing_base_is_a_clear_error)
{
    long live = rune_alloc_live();
    rune_build_result r;
    rune_error err;
    rune_status st =
        build_text("missing", "# nothing here\nFROM nosuch:1\nOUT serial\n", NULL, &r, &err);
    CHECK_STATUS(st, RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "Runefile:2:6: FROM nosuch:1: no such rune in the local store");
    st = build_text("badref", "FROM Not_A_Ref!\n", NULL, &r, &err);
    CHECK_STATUS(st, RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "Runefile:1:6: FROM Not_A_Ref!");
    /* A bad -t is refused before anything is built. */
    st = build_text("badtag", "FROM ms-base:1\n", "Bad:Tag", &r, &err);
    CHECK_STATUS(st, RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "-t Bad:Tag: reference 'Bad:Tag': bad name");
    char out[300];
    snprintf(out, sizeof out, "%s/badtag.rune", tmpdir);
    CHECK(access(out, F_OK) != 0);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(cycles_are_clear_errors)
{
    if (!have_base) return;
    rune_build_result r;
    rune_error err;
    CHECK_OK(build_text("cyc-a", "FROM ms-base:1\n", "cyc-a:1", &r, &err), &err);
    CHECK_OK(build_text("cyc-b", "FROM cyc-a:1\n", "cyc-b:1", &r, &err), &err);
    long live = rune_alloc_live();
    rune_status st = build_text("cyc-a", "FROM cyc-b:1\n", "cyc-a:1", &r, &err);
    CHECK_STATUS(st, RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "Runefile:1:6: FROM cyc-b:1: cycle in FROM: cyc-a:1 -> cyc-b:1 -> "
                            "cyc-a:1");
    st = build_text("self", "FROM ms-base:1\n", "ms-base:1", &r, &err);
    CHECK_STATUS(st, RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "cycle in FROM: ms-base:1 -> ms-base:1");
    CHECK_EQ_INT(rune_alloc_live(), live);
    /* The refused builds stored nothing: cyc-a:1 is still the first one. */
    char a[RUNE_DIGEST_STR_LEN], b[RUNE_DIGEST_STR_LEN];
    stored_digest("cyc-a:1", a);
    stored_digest("ms-base:1", b);
    CHECK(a[0] && b[0] && strcmp(a, b) != 0);
}

TEST(derived_errors_point_at_the_derived_runefile)
{
    if (!have_base) return;
    long live = rune_alloc_live();
    rune_build_result r;
    rune_error err;
    rune_status st = build_text("typo",
                                "FROM ms-base:1\n"
                                "PROC_BLOCK probs runicos/softmax\n"
                                "RUN modle probs serial\n",
                                NULL, &r, &err);
    CHECK_STATUS(st, RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "Runefile:3:5: unknown stage 'modle' (did you mean 'model'?)");
    st = build_text("kind", "FROM ms-base:1\nMODEL label ./x.tflite\n", NULL, &r, &err);
    CHECK_STATUS(st, RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "Runefile:2:1: 'label' is a proc-block in the base ms-base:1");
    /* An output no RUN line of the derived Runefile feeds. */
    st = build_text("unfed", "FROM ms-base:1\nOUT tensor raw\n", NULL, &r, &err);
    CHECK_STATUS(st, RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "Runefile:2:1: output 'raw' is fed by nothing: name it in a RUN line");
    /* A type error between a base stage and a new one names the new one's line. */
    st = build_text("types", "FROM ms-base:1\nPROC_BLOCK n runicos/normalize\nRUN fft n serial\n",
                    NULL, &r, &err);
    CHECK(st != RUNE_OK);
    CHECK_CONTAINS(err.msg, "types/Runefile:2:1): normalize: input elements are i8");
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(base_must_pass_the_trust_policy_when_given)
{
    if (!have_base) return;
    char dir[200], rf[300];
    snprintf(dir, sizeof dir, "%s/trusted", tmpdir);
    mkdir(dir, 0755);
    snprintf(rf, sizeof rf, "%s/Runefile", dir);
    FILE *f = fopen(rf, "w");
    if (!f) return;
    fputs("FROM ms-base:1\n", f);
    fclose(f);
    rune_trust_policy p;
    memset(&p, 0, sizeof p);
    p.require_signature = 1; /* ms-base:1 is unsigned */
    rune_build_options o = {0};
    o.runefile = rf;
    o.cache_dir = cache;
    o.store_dir = store;
    o.base_trust = &p;
    char out[300];
    snprintf(out, sizeof out, "%s/trusted.rune", tmpdir);
    o.output = out;
    rune_build_result r;
    rune_error err;
    CHECK_STATUS(rune_build(&o, &r, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "Runefile:1:6: FROM ms-base:1: refused by the trust policy: ");
    CHECK_CONTAINS(err.msg, "no signature");
    p.require_signature = 0;
    CHECK_OK(rune_build(&o, &r, &err), &err);
}

/* Store as ref a rune with m's manifest (edited by the caller) and the models of ms-base. */
static int store_edited(rune_manifest *m, const rune_container *base, const char *ref)
{
    static const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    uint8_t *rune = NULL;
    size_t len = 0;
    rune_oci_store *s = NULL;
    rune_error err;
    rune_status st = rune_container_write(wasm, sizeof wasm, m, base->models, base->nmodels,
                                          base->resources, base->nresources, &rune, &len, &err);
    if (st == RUNE_OK) st = rune_oci_store_open(store, &s, &err);
    if (st == RUNE_OK) st = rune_oci_store_add_rune(s, rune, len, ref, NULL, &err);
    CHECK_OK(st, &err);
    rune_oci_store_close(s);
    rune_free(rune);
    return st == RUNE_OK;
}

TEST(hostile_base_manifests_cannot_add_directives)
{
    if (!have_base) return;
    char path[300];
    snprintf(path, sizeof path, "%s/ms-base.rune", tmpdir);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_container *c = NULL;
    rune_error err;
    CHECK_OK(rune_file_read_max(path, 0, &bytes, &len, &err), &err);
    if (bytes) CHECK_OK(rune_container_open(bytes, len, &c, &err), &err);
    if (!c) {
        rune_free(bytes);
        return;
    }
    /* An argument value carrying a newline and a directive. */
    rune_manifest_stage *label = rune_manifest_find(c->manifest, RUNE_LIST_PROC_BLOCKS, "label");
    CHECK(label && label->nargs == 1);
    if (label && label->nargs == 1) {
        char *old = label->args[0].value;
        label->args[0].value = rune_strdup("a,b\nCAPABILITY<U8[1]> evil RAW");
        if (store_edited(c->manifest, c, "evil-arg:1")) {
            long live = rune_alloc_live();
            rune_build_result r;
            rune_status st = build_text("evil1", "FROM evil-arg:1\n", NULL, &r, &err);
            CHECK_STATUS(st, RUNE_E_UNSUPPORTED);
            CHECK_CONTAINS(err.msg, "Runefile:1:6: FROM evil-arg:1: argument 'labels' of base "
                                    "stage 'label' holds a quote, backslash or control character");
            CHECK_EQ_INT(rune_alloc_live(), live);
        }
        rune_free(label->args[0].value);
        label->args[0].value = old;
    }
    /* A proc block kind that would end the directive early. */
    if (label) {
        char *old = label->kind;
        label->kind = rune_strdup("runicos/label #");
        if (store_edited(c->manifest, c, "evil-kind:1")) {
            rune_build_result r;
            rune_status st = build_text("evil2", "FROM evil-kind:1\n", NULL, &r, &err);
            CHECK_STATUS(st, RUNE_E_INVALID);
            CHECK_CONTAINS(err.msg, "base stage 'label' has kind 'runicos/label #'");
        }
        rune_free(label->kind);
        label->kind = old;
    }
    rune_container_free(c);
    rune_free(bytes);
}

/* Every allocation of the composition failing in turn: a clean NOMEM (or I/O) error, nothing
 * leaked, and the temp directory of the base's files removed. */
TEST(composition_survives_allocation_failures)
{
    if (!have_base) return;
    char rf[300];
    snprintf(rf, sizeof rf, "%s/swapped/Runefile", tmpdir); /* written by the labels test */
    rune_runefile *g = NULL;
    rune_error err;
    int done = 0, bad = 0;
    for (long n = 0; n < 20000 && !done; n++) {
        long live = rune_alloc_live();
        rune_alloc_fail_after(n);
        rune_status st = rune_compiler_load_checked(rf, &g, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            done = 1;
            CHECK_EQ_INT(g->n_stages, 6);
            rune_runefile_free(g);
            g = NULL;
        } else if (st != RUNE_E_NOMEM && st != RUNE_E_IO &&
                   !(st == RUNE_E_MALFORMED && strstr(err.msg, "not valid JSON")) && !bad) {
            /* (cJSON cannot tell a failed allocation from bad JSON: the store's index.json read
             * then says "not valid JSON".) */
            bad = 1;
            CHECK_MSG_(0, "failing allocation %ld: %s: %s", n, rune_status_name(st), err.msg);
        }
        if (rune_alloc_live() != live && !bad) {
            bad = 1;
            CHECK_MSG_(0, "failing allocation %ld leaked %ld", n, rune_alloc_live() - live);
        }
    }
    CHECK(done);
    /* No temp directory of the base's files is left behind. */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s/t')\"", tmpdir);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rune-from-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    snprintf(store, sizeof store, "%s/store", tmpdir);
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    setenv("RUNE_STORE", store, 1); /* rune_compiler_load_checked uses the default store */
    char t[128];
    snprintf(t, sizeof t, "%s/t", tmpdir);
    mkdir(t, 0755);
    setenv("TMPDIR", t, 1); /* where composition extracts the base's models */
    RUN(base_is_built_and_stored);
    RUN(derived_rune_swaps_the_labels);
    RUN(missing_base_is_a_clear_error);
    RUN(cycles_are_clear_errors);
    RUN(derived_errors_point_at_the_derived_runefile);
    RUN(base_must_pass_the_trust_policy_when_given);
    RUN(hostile_base_manifests_cannot_add_directives);
    RUN(composition_survives_allocation_failures);
    RUN(from_by_digest_and_two_levels);
    RUN(derived_rune_adds_stages_after_the_base_pipeline);
    RUN(derived_rune_replaces_a_model);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", tmpdir);
    return test_report();
}
