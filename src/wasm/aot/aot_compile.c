/*
 * aot_compile.c - turn a module into a loaded shared object: cache lookup, wasm2c, cc, dlopen.
 *
 * Cache: <cache dir>/<sha256>.so where the SHA-256 (libsodium) covers the ABI version, the
 * compiler, its flags and the re-encoded module, so a module compiles once per machine and
 * configuration. A miss compiles in a private temporary directory inside the cache dir and
 * publishes the object with rename(), which is atomic: concurrent processes either see no object or
 * a whole one. Workload: a compile costs wasm2c + cc (0.1 s for a spec-test module, seconds for a
 * large rune); a hit costs one hash of the module and one dlopen.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "rune/alloc.h"
#include "aot_int.h"

extern char **environ;

static unsigned long g_compiles;

unsigned long rw_aot_compile_count(void)
{
    return g_compiles;
}

static rune_status write_file(const char *path, const void *data, size_t len, rune_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f) return RUNE_ERR(err, RUNE_E_IO, "aot: cannot create %s: %s", path, strerror(errno));
    size_t n = fwrite(data, 1, len, f);
    int bad = n != len;
    if (fclose(f) != 0) bad = 1;
    if (bad) return RUNE_ERR(err, RUNE_E_IO, "aot: cannot write %s", path);
    return RUNE_OK;
}

static rune_status read_file(const char *path, rw_aot_buf *out, rune_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return RUNE_ERR(err, RUNE_E_IO, "aot: cannot open %s: %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rw_aot_buf_put(out, chunk, n);
    fclose(f);
    if (out->oom) return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory reading %s", path);
    return RUNE_OK;
}

/* Run argv with stdout+stderr to log; RUNE_OK if it exited 0, else the log's tail in the message.
 */
static rune_status run(char *const argv[], const char *log, rune_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "aot: cannot run %s: %s", argv[0], strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return RUNE_ERR(err, RUNE_E_IO, "aot: waitpid: %s", strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return RUNE_OK;
    rw_aot_buf out = {0};
    rune_error ignored;
    (void)read_file(log, &out, &ignored);
    const char *tail = out.p ? out.p : "";
    if (out.len > 160) tail = out.p + out.len - 160;
    rune_status st = RUNE_ERR(err, RUNE_E_UNSUPPORTED, "aot: %s failed (status %d): %s", argv[0],
                              WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
    rw_aot_buf_free(&out);
    return st;
}

/* Split flags at spaces into argv[*n...] (pointers into the copy fl). */
static void split_flags(char *fl, char **argv, int *n, int max)
{
    char *save = NULL;
    for (char *t = strtok_r(fl, " \t", &save); t && *n < max; t = strtok_r(NULL, " \t", &save))
        argv[(*n)++] = t;
}

static const char *cc_of(const rune_wasm_engine *eng)
{
    if (eng->aot_cc && *eng->aot_cc) return eng->aot_cc;
    const char *e = getenv("CC");
    return e && *e ? e : "cc";
}

static const char *cflags_of(const rune_wasm_engine *eng)
{
    if (eng->aot_cflags) return eng->aot_cflags;
    const char *e = getenv("RUNE_AOT_CFLAGS");
    return e && *e ? e : RW_AOT_DEFAULT_CFLAGS;
}

static rune_status compile(rune_wasm_engine *eng, const rw_module *m, const rw_aot_buf *wasm,
                           const rw_aot_buf *glue, const char *dst, rune_error *err)
{
    const char *dir = rw_aot_cache_dir(eng);
    rw_aot_buf tmp = {0}, path = {0}, csrc = {0}, inst = {0};
    char *flags = NULL;
    rune_status st = RUNE_OK;
    rw_aot_buf_printf(&tmp, "%s/tmp-XXXXXX", dir);
    if (tmp.oom) return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
    if (!mkdtemp(tmp.p)) {
        st = RUNE_ERR(err, RUNE_E_IO, "aot: cannot create a directory in %s: %s", dir,
                      strerror(errno));
        rw_aot_buf_free(&tmp);
        return st;
    }
#define P(name) (path.len = 0, rw_aot_buf_printf(&path, "%s/%s", tmp.p, name), path.p)
    char *a_wasm = NULL, *a_c = NULL, *a_log = NULL, *a_glue = NULL, *a_so = NULL;
    a_wasm = rune_strdup(P("m.wasm"));
    a_c = rune_strdup(P("m.c"));
    a_log = rune_strdup(P("log.txt"));
    a_glue = rune_strdup(P("glue.c"));
    a_so = rune_strdup(P("m.so"));
    char *a_inc = rune_strdup(P("mi.c"));
    char *a_h = rune_strdup(P("m.h"));
    char *idir = NULL;
    if (!a_wasm || !a_c || !a_log || !a_glue || !a_so || !a_inc || !a_h || path.oom) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
        goto done;
    }
    st = write_file(a_wasm, wasm->p, wasm->len, err);
    if (st) goto done;
    {
        char *argv[] = {"wasm2c", "-n", "m", a_wasm, "-o", a_c, NULL};
        st = run(argv, a_log, err);
        if (st) goto done;
    }
    st = read_file(a_c, &csrc, err);
    if (st) goto done;
    st = rw_aot_instrument(m, csrc.p ? csrc.p : "", csrc.len, &inst, err);
    if (st) goto done;
    st = write_file(a_inc, inst.p, inst.len, err);
    if (st) goto done;
    st = write_file(a_glue, glue->p, glue->len, err);
    if (st) goto done;
    {
        flags = rune_strdup(cflags_of(eng));
        idir = rune_malloc(strlen(tmp.p) + 3);
        if (!flags || !idir) {
            st = RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
            goto done;
        }
        snprintf(idir, strlen(tmp.p) + 3, "-I%s", tmp.p);
        char *argv[48];
        int n = 0;
        argv[n++] = (char *)cc_of(eng);
        split_flags(flags, argv, &n, 32);
        /* -g1: line tables only, for trap locations (aot_trap_loc.c); no effect on the code. */
        const char *fixed[] = {"-fPIC", "-shared", "-fvisibility=hidden", "-DNDEBUG",
                               "-w",    "-g1",     "-fno-strict-aliasing"};
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            argv[n++] = (char *)fixed[i];
        argv[n++] = idir;
        argv[n++] = "-o";
        argv[n++] = a_so;
        argv[n++] = a_glue;
        argv[n++] = "-lm";
        argv[n] = NULL;
        st = run(argv, a_log, err);
        if (st) goto done;
    }
    if (rename(a_so, dst) != 0)
        st = RUNE_ERR(err, RUNE_E_IO, "aot: cannot publish %s: %s", dst, strerror(errno));
    else {
        rw_aot_lock();
        g_compiles++;
        rw_aot_unlock();
    }
done:;
    const char *keep = getenv("RUNE_AOT_KEEP");
    if (keep && (st != RUNE_OK || !strcmp(keep, "all"))) {
        /* Debugging: keep the failed build's files (RUNE_AOT_KEEP=all: every build's); a failure's
         * message names the directory. */
        if (st != RUNE_OK) rune_error_prefix(err, "files kept in %s", tmp.p);
    } else {
        const char *made[] = {a_wasm, a_c, a_h, a_log, a_glue, a_inc, a_so};
        for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
            if (made[i]) unlink(made[i]);
        rmdir(tmp.p);
    }
    rune_free(a_wasm);
    rune_free(a_c);
    rune_free(a_h);
    rune_free(a_log);
    rune_free(a_glue);
    rune_free(a_inc);
    rune_free(a_so);
    rune_free(flags);
    rune_free(idir);
    rw_aot_buf_free(&tmp);
    rw_aot_buf_free(&path);
    rw_aot_buf_free(&csrc);
    rw_aot_buf_free(&inst);
    return st;
#undef P
}

/* dlopen path and check it was made for m. */
static rune_status open_object(const char *path, const rw_module *m, rw_aot_object *out,
                               rune_error *err)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        return RUNE_ERR(err, RUNE_E_IO, "aot: cannot load %s: %s", path, e ? e : "?");
    }
    typedef const struct rw_aot_module_info *(*entry_fn)(const struct rw_aot_host *);
    entry_fn entry;
    void *sym = dlsym(dl, "rw_aot_entry");
    memcpy(&entry, &sym, sizeof entry);
    const struct rw_aot_module_info *info = sym ? entry(&rw_aot_host_api) : NULL;
    if (!info || info->abi_version != RW_AOT_ABI_VERSION || info->nfuncs != m->nfuncs ||
        info->nglobals != m->nglobals || info->nmems != m->nmems || info->ntables != m->ntables) {
        dlclose(dl);
        return RUNE_ERR(err, RUNE_E_IO, "aot: %s does not match the module", path);
    }
    rune_status st = rw_aot_run_init(info, err);
    if (st) {
        dlclose(dl);
        return st;
    }
    out->path = rune_strdup(path);
    if (!out->path) {
        dlclose(dl);
        return RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
    }
    out->dl = dl;
    out->info = info;
    out->dw = NULL;
    out->dw_fd = -1;
    out->dw_failed = 0;
    return RUNE_OK;
}

rune_status rw_aot_load(rune_wasm_engine *eng, const rw_module *m, rw_aot_object *out,
                        rune_error *err)
{
    rw_aot_buf wasm = {0}, dst = {0}, glue = {0};
    rune_status st = rw_aot_rewrite(m, &wasm, err);
    if (st) return st;
    st = rw_aot_glue(m, "mi.c", rw_aot_guard_mode(), &glue, err);
    if (st) {
        rw_aot_buf_free(&wasm);
        rw_aot_buf_free(&glue);
        return st;
    }

    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state s;
    char salt[64];
    int n = snprintf(salt, sizeof salt, "rune-aot-%d-%d", RW_AOT_ABI_VERSION, rw_aot_guard_mode());
    const char *cc = cc_of(eng), *fl = cflags_of(eng);
    crypto_hash_sha256_init(&s);
    crypto_hash_sha256_update(&s, (const unsigned char *)salt, (size_t)n + 1);
    crypto_hash_sha256_update(&s, (const unsigned char *)cc, strlen(cc) + 1);
    crypto_hash_sha256_update(&s, (const unsigned char *)fl, strlen(fl) + 1);
    crypto_hash_sha256_update(&s, (const unsigned char *)wasm.p, wasm.len);
    crypto_hash_sha256_update(&s, (const unsigned char *)glue.p, glue.len);
    crypto_hash_sha256_final(&s, h);
    char hex[2 * sizeof h + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    rw_aot_buf_printf(&dst, "%s/%s.so", rw_aot_cache_dir(eng), hex);
    if (dst.oom) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "aot: out of memory");
        goto done;
    }
    /* A cached object that does not load or does not match (a truncated file, another build) is
     * compiled again, once. */
    struct stat sb;
    int cached = stat(dst.p, &sb) == 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!cached || attempt == 1) {
            if (cached) unlink(dst.p);
            st = compile(eng, m, &wasm, &glue, dst.p, err);
            if (st) goto done;
        }
        st = open_object(dst.p, m, out, err);
        if (st == RUNE_OK || st == RUNE_E_NOMEM || !cached) break;
    }
done:;
    rw_aot_buf_free(&wasm);
    rw_aot_buf_free(&glue);
    rw_aot_buf_free(&dst);
    return st;
}

void rw_aot_unload(rw_aot_object *obj)
{
    if (!obj || !obj->dl) return;
    rw_aot_lock();
    rw_aot_trap_loc_close(obj);
    rw_aot_unlock();
    rune_free(obj->path);
    obj->path = NULL;
    dlclose(obj->dl);
    obj->dl = NULL;
    obj->info = NULL;
}
