/*
 * rune_wasm_run.c - `run [--engine interp|aot] [--fuel N] [--max-pages N] FILE.wasm [ARGS...]`:
 * load a WASI command module, link the WASI subset, run _start. The exit code is the guest's
 * (proc_exit code, or 0 when _start returns); load, link and trap errors go to stderr with exit 1,
 * usage errors exit 2. Workload: one module per process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/wasi.h"
#include "rune/wasm.h"
#include "rune_wasm_cmd.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: rune-wasm run [--engine interp|aot] [--fuel N] [--max-pages N] FILE.wasm "
               "[ARGS...]\n"
               "Runs a WASI command module's _start; the exit code is the guest's.\n"
               "  --engine    interp (default) or aot (wasm2c + cc, cached in $RUNE_CACHE_DIR)\n"
               "  --fuel N    stop the guest after about N units of work (0 = unlimited)\n"
               "  --max-pages N  cap on linear memory, in 64 KiB pages\n");
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, n = 0, k;
    unsigned char *buf = rune_malloc(cap);
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *nb = rune_realloc(buf, cap * 2);
            if (!nb) {
                rune_free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno || !*s || *end || s[0] == '-' ? -1 : 0;
}

int rune_cmd_wasm_run(int argc, char **argv)
{
    int kind = RUNE_WASM_INTERP, i = 1;
    unsigned long long fuel = 0, pages = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--engine") == 0 && i + 1 < argc) {
            kind = rune_wasm_engine_kind_parse(argv[++i]);
            if (kind < 0) {
                fprintf(stderr, "rune-wasm: unknown engine '%s' (interp or aot)\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--fuel") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], &fuel)) {
                fprintf(stderr, "rune-wasm: --fuel needs a number, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--max-pages") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], &pages) || pages == 0 || pages > 65536) {
                fprintf(stderr, "rune-wasm: --max-pages needs 1..65536, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "rune-wasm: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[i];
    size_t len = 0;
    unsigned char *bytes = read_all(path, &len);
    if (!bytes) {
        fprintf(stderr, "rune-wasm: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    rune_error err;
    rune_error_clear(&err);
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_linker *l = NULL;
    rune_wasm_instance *inst = NULL;
    rune_wasi *w = NULL;
    int code = 1;
    rune_wasi_config wc = {argc - i, (const char *const *)(argv + i), NULL, NULL};
    rune_wasm_limits lim = {(uint32_t)pages, 0, 0, fuel};
    rune_status st = rune_wasm_engine_new((rune_wasm_engine_kind)kind, NULL, &eng, &err);
    if (!st) st = rune_wasm_module_load(eng, bytes, len, &mod, &err);
    if (!st) st = rune_wasm_linker_new(&l, &err);
    if (!st) st = rune_wasi_new(&wc, &w, &err);
    if (!st) st = rune_wasi_define(w, l, &err);
    if (!st) st = rune_wasm_instantiate(mod, l, &lim, &inst, &err);
    if (!st) {
        rune_wasm_set_fuel(inst, fuel);
        st = rune_wasi_run_start(w, inst, &code, &err);
    }
    if (st) {
        rune_wasi_flush(w);
        fprintf(stderr, "rune-wasm: %s: %s: %s\n", path, rune_status_name(st), err.msg);
        code = 1;
    }
    rune_wasm_instance_free(inst);
    rune_wasi_free(w);
    rune_wasm_linker_free(l);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
    rune_free(bytes);
    return code;
}
