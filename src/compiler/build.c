/*
 * build.c - `rune build`: Runefile -> checked graph -> C -> wasm32 -> .rune, with a
 * content-addressed cache (see rune/compiler.h for the contract).
 *
 * Workload: a handful of stages, models up to a few MB. A cold build is dominated by clang (about a
 * second); a warm one by hashing the inputs (milliseconds).
 */
#include "compiler_int.h"

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/nn.h"
#include "rune/registry.h"
#include "rune/source.h"
#include "rune/version.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef RUNE_GUEST_LIB
#define RUNE_GUEST_LIB "librune_guest.a"
#endif
#ifndef RUNE_GUEST_INCLUDE
#define RUNE_GUEST_INCLUDE "guest/include"
#endif
#ifndef RUNE_SOURCE_DIR
#define RUNE_SOURCE_DIR "."
#endif

rune_status rc_load_checked_plain(const char *runefile, rune_runefile **out, rune_error *err)
{
    rune_runefile *g = NULL;
    rune_status st = rune_runefile_load(runefile, &g, err);
    if (st != RUNE_OK) return st;
    rc_resolver_ctx ctx;
    rune_rf_resolver r;
    rc_resolver_init(&ctx, runefile, &r);
    st = rune_runefile_typecheck(g, &r, err);
    if (st != RUNE_OK) {
        rune_runefile_free(g);
        return st;
    }
    *out = g;
    return RUNE_OK;
}

rune_status rune_compiler_load_checked(const char *runefile, rune_runefile **out, rune_error *err)
{
    rune_build_options o;
    memset(&o, 0, sizeof o);
    o.runefile = runefile;
    rc_compose cx;
    rune_status st = rc_compose_load(&o, out, &cx, err);
    rc_compose_free(&cx);
    return st;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void mkdirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
}

static void default_cache_dir(char *out, size_t cap)
{
    const char *env = getenv("RUNE_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (env && *env)
        snprintf(out, cap, "%s/build", env);
    else if (xdg && *xdg)
        snprintf(out, cap, "%s/rune/build", xdg);
    else
        snprintf(out, cap, "%s/.cache/rune/build", home && *home ? home : "/tmp");
}

/* Everything a build reads, loaded once: used for the cache key and for packaging. */
typedef struct inputs {
    uint8_t *runefile;
    size_t runefile_len;
    rune_blob models[RUNE_RF_MAX_PORTS * 4];
    uint8_t *model_bytes[RUNE_RF_MAX_PORTS * 4];
    size_t nmodels;
    rune_blob resources[64];
    uint8_t *resource_bytes[64];
    size_t nresources;
    char custom[16][1024]; /* custom proc-block C files */
    size_t ncustom;
} inputs;

static void inputs_free(inputs *in)
{
    rune_free(in->runefile);
    for (size_t i = 0; i < in->nmodels; i++)
        rune_free(in->model_bytes[i]);
    for (size_t i = 0; i < in->nresources; i++)
        rune_free(in->resource_bytes[i]);
}

static rune_status load_inputs(const rune_runefile *g, const char *runefile, const char *dir,
                               inputs *in, rune_error *err)
{
    rune_status st = rune_file_read_max(runefile, 16u << 20, &in->runefile, &in->runefile_len, err);
    if (st != RUNE_OK) return st;
    for (size_t k = 0; k < g->n_stages; k++) {
        const rune_rf_stage *s = &g->stages[k];
        char path[2048];
        rc_path_join(dir, s->source, path, sizeof path);
        if (s->kind == RUNE_RF_MODEL) {
            if (in->nmodels == sizeof in->models / sizeof in->models[0])
                return RUNE_ERR(err, RUNE_E_LIMIT, "too many models");
            size_t i = in->nmodels;
            st = rune_file_read_max(path, 512u << 20, &in->model_bytes[i], &in->models[i].len, err);
            if (st != RUNE_OK) return st;
            in->models[i].name = s->name;
            in->models[i].data = in->model_bytes[i];
            in->nmodels++;
        } else if (s->kind == RUNE_RF_PROC_BLOCK && rc_is_custom_block(s)) {
            if (in->ncustom == 16)
                return RUNE_ERR(err, RUNE_E_LIMIT, "too many custom proc blocks");
            if (access(path, R_OK) != 0)
                return RUNE_ERR(err, RUNE_E_IO, "%s:%u:%u: custom proc block %s: %s", s->loc.file,
                                s->loc.line, s->loc.col, path, strerror(errno));
            snprintf(in->custom[in->ncustom++], sizeof in->custom[0], "%s", path);
        }
    }
    for (size_t r = 0; r < g->n_resources; r++) {
        const rune_rf_resource *res = &g->resources[r];
        if (in->nresources == 64) return RUNE_ERR(err, RUNE_E_LIMIT, "too many resources");
        size_t i = in->nresources;
        if (res->path) {
            char path[2048];
            rc_path_join(dir, res->path, path, sizeof path);
            st = rune_file_read_max(path, 64u << 20, &in->resource_bytes[i], &in->resources[i].len,
                                    err);
            if (st != RUNE_OK) return st;
        } else {
            size_t n = res->data ? strlen(res->data) : 0;
            in->resource_bytes[i] = rune_malloc(n ? n : 1);
            if (!in->resource_bytes[i]) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
            memcpy(in->resource_bytes[i], res->data, n);
            in->resources[i].len = n;
        }
        in->resources[i].name = res->name;
        in->resources[i].data = in->resource_bytes[i];
        in->nresources++;
    }
    return RUNE_OK;
}

static void hash_str(crypto_hash_sha256_state *h, const char *s)
{
    uint64_t n = strlen(s);
    crypto_hash_sha256_update(h, (const uint8_t *)&n, sizeof n);
    crypto_hash_sha256_update(h, (const uint8_t *)s, n);
}

static void hash_bytes(crypto_hash_sha256_state *h, const uint8_t *p, size_t len)
{
    uint64_t n = len;
    crypto_hash_sha256_update(h, (const uint8_t *)&n, sizeof n);
    if (len) crypto_hash_sha256_update(h, p, len);
}

/*
 * The program doing the build, by the identity of its file (size, modification time, inode), as
 * ccache checks its compiler: codegen and the container writer are linked into it, so a rebuilt
 * toolchain never takes a rune its older self cached. Without /proc, RUNE_VERSION alone.
 */
static void hash_tool(crypto_hash_sha256_state *h)
{
    struct stat st;
    char id[160];
    if (stat("/proc/self/exe", &st) != 0) return;
    snprintf(id, sizeof id, "tool %lld %lld.%09ld %llu", (long long)st.st_size,
             (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
    hash_str(h, id);
}

static rune_status hash_file(crypto_hash_sha256_state *h, const char *path, rune_error *err)
{
    uint8_t *b = NULL;
    size_t len = 0;
    rune_status st = rune_file_read_max(path, 256u << 20, &b, &len, err);
    if (st != RUNE_OK) return st;
    hash_bytes(h, b, len);
    rune_free(b);
    return RUNE_OK;
}

/* Arguments of a stage for the manifest, as the host compares them with the params. */
static rune_status add_args(rune_manifest_stage *ms, const rune_rf_stage *s, rune_error *err)
{
    for (size_t i = 0; i < s->n_args; i++) {
        char v[1024];
        size_t used = 0;
        v[0] = '\0';
        for (size_t j = 0; j < s->args[i].n; j++) {
            int w = snprintf(v + used, sizeof v - used, "%s%s", j ? "," : "", s->args[i].values[j]);
            if (w < 0 || (size_t)w >= sizeof v - used) break;
            used += (size_t)w;
        }
        rune_status st = rune_manifest_stage_add_arg(ms, s->args[i].key, v, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

static rune_status add_types(rune_manifest_stage *ms, const rune_rf_type *t, size_t n, int output,
                             rune_error *err)
{
    for (size_t i = 0; i < n; i++) {
        rune_tensor_type tt;
        memset(&tt, 0, sizeof tt);
        int d = rc_rf_to_dtype(t[i].elem);
        if (d < 0) /* type checking resolves every edge; a generic type here is our bug */
            return RUNE_ERR(err, RUNE_E_INTERNAL, "build: stage %s: %s %zu has no concrete type",
                            ms->name, output ? "output" : "input", i);
        tt.dtype = (rune_dtype)d;
        tt.ndims = t[i].rank < 0 ? 0 : (uint32_t)t[i].rank;
        for (uint32_t k = 0; k < tt.ndims && k < RUNE_TENSOR_MAX_DIMS; k++)
            tt.dims[k] = t[i].dims[k];
        rune_status st = rune_manifest_stage_add_tensor(ms, output, &tt, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

static const char *cap_kind_name(int k)
{
    static const char *const names[] = {"SOUND", "IMAGE", "ACCEL", "RAND", "RAW"};
    return k >= 0 && k < 5 ? names[k] : "RAW";
}

static const char *out_kind_name(int k)
{
    static const char *const names[] = {"SERIAL", "TENSOR", "FILE"};
    return k >= 0 && k < 3 ? names[k] : "SERIAL";
}

static rune_status make_manifest(const rune_runefile *g, const char *name, const char *version,
                                 const char *base, const uint8_t *runefile, size_t rlen,
                                 rune_manifest **out, rune_error *err)
{
    rune_manifest *m = NULL;
    rune_status st = rune_manifest_new(name, version, &m, err);
    if (st != RUNE_OK) return st;
    if (base && !*base) base = g->image;
    if (base) {
        m->base = rune_strdup(base);
        if (!m->base) {
            st = RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    for (size_t k = 0; k < g->n_stages && st == RUNE_OK; k++) {
        const rune_rf_stage *s = &g->stages[k];
        rune_manifest_stage *ms = NULL;
        switch (s->kind) {
        case RUNE_RF_CAPABILITY:
            st = rune_manifest_add_stage(m, RUNE_LIST_CAPABILITIES, s->name,
                                         cap_kind_name(s->subkind), &ms, err);
            break;
        case RUNE_RF_PROC_BLOCK:
            st = rune_manifest_add_stage(m, RUNE_LIST_PROC_BLOCKS, s->name, s->source, &ms, err);
            break;
        case RUNE_RF_MODEL:
            st = rune_manifest_add_stage(m, RUNE_LIST_MODELS, s->name, "tflite", &ms, err);
            break;
        case RUNE_RF_OUT:
            st = rune_manifest_add_stage(m, RUNE_LIST_OUTPUTS, s->name, out_kind_name(s->subkind),
                                         &ms, err);
            break;
        }
        if (st == RUNE_OK && s->kind != RUNE_RF_MODEL) st = add_args(ms, s, err);
        if (st == RUNE_OK) st = add_types(ms, s->in, s->n_in, 0, err);
        if (st == RUNE_OK) st = add_types(ms, s->out, s->n_out, 1, err);
    }
    for (size_t r = 0; r < g->n_resources && st == RUNE_OK; r++)
        st = rune_manifest_add_stage(m, RUNE_LIST_RESOURCES, g->resources[r].name,
                                     g->resources[r].binary ? "binary" : "string", NULL, err);
    for (size_t i = 0; i < g->n_edges && st == RUNE_OK; i++)
        st = rune_manifest_add_edge(m, g->stages[g->edges[i].from].name,
                                    (uint32_t)g->edges[i].from_port, g->stages[g->edges[i].to].name,
                                    (uint32_t)g->edges[i].to_port, err);
    if (st == RUNE_OK) {
        uint8_t h[32];
        crypto_hash_sha256(h, runefile, rlen);
        char hex[80] = "sha256:";
        sodium_bin2hex(hex + 7, sizeof hex - 7, h, sizeof h);
        st = rune_manifest_add_build(m, "tool", "rune " RUNE_VERSION, err);
        if (st == RUNE_OK) st = rune_manifest_add_build(m, "runefile_digest", hex, err);
        if (st == RUNE_OK) st = rune_manifest_add_build(m, "abi", "1", err);
    }
    if (st != RUNE_OK) goto fail;
    *out = m;
    return RUNE_OK;
fail:
    rune_manifest_free(m);
    return st;
}

static void default_name(const char *runefile, char *out, size_t cap)
{
    char abs[2048];
    if (!realpath(runefile, abs)) snprintf(abs, sizeof abs, "%s", runefile);
    char *slash = strrchr(abs, '/');
    if (slash) *slash = '\0';
    const char *base = strrchr(abs, '/');
    base = base ? base + 1 : abs;
    snprintf(out, cap, "%s", *base ? base : "rune");
}

static rune_status compile_wasm(const rune_build_options *o, const char *tmpdir, const char *c_src,
                                size_t c_len, const inputs *in, const char *guest_lib,
                                uint8_t **wasm, size_t *wasm_len, rune_error *err)
{
    char cpath[1200], wpath[1200], inc1[1200], inc2[1200];
    snprintf(cpath, sizeof cpath, "%s/pipeline.c", tmpdir);
    snprintf(wpath, sizeof wpath, "%s/pipeline.wasm", tmpdir);
    snprintf(inc1, sizeof inc1, "-I%s", RUNE_GUEST_INCLUDE);
    snprintf(inc2, sizeof inc2, "-I%s/include", RUNE_SOURCE_DIR);
    rune_status st = rune_file_write_atomic(cpath, c_src, c_len, err);
    if (st != RUNE_OK) return st;
    const char *cc = o->cc ? o->cc : getenv("RUNE_WASM_CC");
    if (!cc || !*cc) cc = "clang";
    char *argv[64];
    size_t n = 0;
    argv[n++] = (char *)cc;
    argv[n++] = "--target=wasm32-wasi";
    argv[n++] = "-O2";
    argv[n++] = "-mexec-model=reactor";
    argv[n++] = "-Wall";
    argv[n++] = "-Wno-unused-function";
    argv[n++] = inc1;
    argv[n++] = inc2;
    argv[n++] = "-o";
    argv[n++] = wpath;
    argv[n++] = cpath;
    for (size_t i = 0; i < in->ncustom && n < 50; i++)
        argv[n++] = (char *)in->custom[i];
    argv[n++] = (char *)guest_lib;
    argv[n++] = "-Wl,-z,stack-size=131072";
    argv[n++] = "-Wl,--strip-debug";
    argv[n] = NULL;
    st = rc_run(argv, o->verbose, err);
    if (st != RUNE_OK) return st;
    return rune_file_read_max(wpath, 256u << 20, wasm, wasm_len, err);
}

/* -t takes NAME[:TAG]: checked before anything is built. */
static rune_status check_tag(const char *tag, rune_oci_ref *ref, rune_error *err)
{
    rune_status st = rune_oci_ref_parse(tag, ref, err);
    if (st != RUNE_OK) return rune_error_prefix(err, "-t %s", tag);
    if (ref->host[0] || ref->digest[0])
        st = RUNE_ERR(err, RUNE_E_ARG, "-t %s: give NAME[:TAG] (no registry host, no digest)", tag);
    return st;
}

/* -t: put the rune into the local store under the tag. */
static rune_status store_tagged(const rune_build_options *o, const uint8_t *rune, size_t len,
                                rune_build_result *res, rune_error *err)
{
    rune_oci_store *s = NULL;
    rune_oci_ref ref;
    rune_status st = check_tag(o->tag, &ref, err);
    if (st == RUNE_OK) st = rune_oci_store_open(o->store_dir, &s, err);
    char digest[RUNE_DIGEST_STR_LEN] = "";
    rune_oci_ref_local(&ref, res->ref, sizeof res->ref);
    if (st == RUNE_OK) st = rune_oci_store_add_rune(s, rune, len, res->ref, digest, err);
    if (st == RUNE_OK)
        snprintf(res->oci_digest, sizeof res->oci_digest, "%s", digest);
    else
        res->ref[0] = '\0';
    rune_oci_store_close(s);
    return st == RUNE_OK ? st : rune_error_prefix(err, "storing as %s", o->tag);
}

static void rmtree_simple(const char *dir)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/pipeline.c", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/pipeline.wasm", dir);
    unlink(p);
    rmdir(dir);
}

rune_status rune_build(const rune_build_options *o, rune_build_result *res, rune_error *err)
{
    if (!o || !o->runefile || !res) return RUNE_ERR(err, RUNE_E_ARG, "rune_build: no Runefile");
    memset(res, 0, sizeof *res);
    double t0 = now_s();
    if (sodium_init() < 0) return RUNE_ERR(err, RUNE_E_INTERNAL, "libsodium failed to start");
    rune_oci_ref tag_ref;
    rune_status tst = o->tag ? check_tag(o->tag, &tag_ref, err) : RUNE_OK;
    if (tst != RUNE_OK) return tst;
    rune_runefile *g = NULL;
    inputs in;
    memset(&in, 0, sizeof in);
    rune_manifest *m = NULL;
    uint8_t *wasm = NULL, *rune = NULL, *cached = NULL;
    char *c_src = NULL;
    size_t wasm_len = 0, rune_len = 0, c_len = 0, cached_len = 0;
    char tmpdir[1100] = "";

    if (o->verbose) fprintf(stderr, "rune build: parsing and type-checking %s\n", o->runefile);
    rc_compose cx;
    rune_status st = rc_compose_load(o, &g, &cx, err);
    if (st != RUNE_OK) goto done;
    snprintf(res->base, sizeof res->base, "%s", cx.base_ref);
    rc_resolver_ctx rctx;
    rune_rf_resolver unused;
    rc_resolver_init(&rctx, o->runefile, &unused);
    st = load_inputs(g, o->runefile, rctx.dir, &in, err);
    if (st != RUNE_OK) goto done;

    char name[256];
    if (o->name)
        snprintf(name, sizeof name, "%s", o->name);
    else
        default_name(o->runefile, name, sizeof name);
    const char *version = o->version ? o->version : "0.1.0";
    if (o->output)
        snprintf(res->output, sizeof res->output, "%s", o->output);
    else
        snprintf(res->output, sizeof res->output, "%s.rune", name);

    const char *guest_lib = o->guest_dir ? o->guest_dir : getenv("RUNE_GUEST_LIB");
    if (!guest_lib || !*guest_lib) guest_lib = RUNE_GUEST_LIB;
    if (access(guest_lib, R_OK) != 0) {
        st = RUNE_ERR(err, RUNE_E_NOT_FOUND,
                      "guest library %s not found (build the project first, or set RUNE_GUEST_LIB)",
                      guest_lib);
        goto done;
    }

    /* The cache key: every input of the build. */
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    hash_str(&hs, "rune-build-2 " RUNE_VERSION); /* 2: model and resource payloads 16-aligned */
    hash_tool(&hs);
    hash_str(&hs, name);
    hash_str(&hs, version);
    hash_bytes(&hs, in.runefile, in.runefile_len);
    hash_str(&hs, cx.base_ref); /* pins every byte of a FROM base */
    for (size_t i = 0; i < in.nmodels; i++) {
        hash_str(&hs, in.models[i].name);
        hash_bytes(&hs, in.models[i].data, in.models[i].len);
    }
    for (size_t i = 0; i < in.nresources; i++) {
        hash_str(&hs, in.resources[i].name);
        hash_bytes(&hs, in.resources[i].data, in.resources[i].len);
    }
    for (size_t i = 0; i < in.ncustom && st == RUNE_OK; i++)
        st = hash_file(&hs, in.custom[i], err);
    if (st == RUNE_OK) st = hash_file(&hs, guest_lib, err);
    if (st != RUNE_OK) goto done;
    uint8_t key[32];
    crypto_hash_sha256_final(&hs, key);
    char keyhex[65];
    sodium_bin2hex(keyhex, sizeof keyhex, key, sizeof key);
    char cache_dir[1024], cache_path[1200];
    if (o->cache_dir)
        snprintf(cache_dir, sizeof cache_dir, "%s", o->cache_dir);
    else
        default_cache_dir(cache_dir, sizeof cache_dir);
    snprintf(cache_path, sizeof cache_path, "%s/%s.rune", cache_dir, keyhex);

    if (!o->no_cache && access(cache_path, R_OK) == 0) {
        rune_error e2;
        if (rune_file_read_max(cache_path, 1u << 30, &cached, &cached_len, &e2) == RUNE_OK) {
            rune_container *c = NULL;
            if (rune_container_open(cached, cached_len, &c, &e2) == RUNE_OK) {
                snprintf(res->digest, sizeof res->digest, "%s", c->digest);
                rune_container_free(c);
                st = rune_file_write_atomic(res->output, cached, cached_len, err);
                if (st == RUNE_OK) {
                    res->cached = 1;
                    res->size = cached_len;
                    if (o->verbose) fprintf(stderr, "rune build: cached (%s)\n", cache_path);
                    if (o->tag) st = store_tagged(o, cached, cached_len, res, err);
                }
                goto done;
            }
        }
        /* A damaged cache entry is rebuilt. */
    }

    if (o->verbose) fprintf(stderr, "rune build: generating C\n");
    st = rune_compiler_codegen(g, &c_src, &c_len, err);
    if (st != RUNE_OK) goto done;
    mkdirs(cache_dir);
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp-XXXXXX", cache_dir);
    if (!mkdtemp(tmpdir)) {
        st = RUNE_ERR(err, RUNE_E_IO, "%s: %s", tmpdir, strerror(errno));
        tmpdir[0] = '\0';
        goto done;
    }
    if (o->verbose) fprintf(stderr, "rune build: compiling to wasm32\n");
    st = compile_wasm(o, tmpdir, c_src, c_len, &in, guest_lib, &wasm, &wasm_len, err);
    if (st != RUNE_OK) goto done;
    if (o->verbose) fprintf(stderr, "rune build: packaging\n");
    st = make_manifest(g, name, version, cx.base_ref, in.runefile, in.runefile_len, &m, err);
    if (st != RUNE_OK) goto done;
    st = rune_container_write(wasm, wasm_len, m, in.models, in.nmodels, in.resources, in.nresources,
                              &rune, &rune_len, err);
    if (st != RUNE_OK) goto done;
    st = rune_file_write_atomic(res->output, rune, rune_len, err);
    if (st != RUNE_OK) goto done;
    if (o->keep_c) {
        char cp[1100];
        snprintf(cp, sizeof cp, "%s.c", res->output);
        rune_error e2;
        rune_file_write_atomic(cp, c_src, c_len, &e2);
    }
    {
        rune_error e2;
        rune_file_write_atomic(cache_path, rune, rune_len, &e2); /* best effort */
        uint8_t d[32];
        if (rune_container_digest(rune, rune_len, d, NULL, NULL, NULL, NULL, &e2) == RUNE_OK) {
            char hex[65];
            sodium_bin2hex(hex, sizeof hex, d, sizeof d);
            snprintf(res->digest, sizeof res->digest, "sha256:%s", hex);
        }
    }
    res->size = rune_len;
    if (o->tag) st = store_tagged(o, rune, rune_len, res, err);
done:
    if (tmpdir[0]) rmtree_simple(tmpdir);
    res->seconds = now_s() - t0;
    rune_free(cached);
    rune_free(rune);
    rune_free(wasm);
    rune_free(c_src);
    rune_manifest_free(m);
    inputs_free(&in);
    rune_runefile_free(g);
    rc_compose_free(&cx);
    return st;
}
