/*
 * spectest.c - `spectest [--engine interp|aot] [--json] [--verbose] [--cache DIR] FILE.json...`
 *
 * Runs the JSON + .wasm output of wabt's wast2json against one engine: module, register, action,
 * assert_return (nan:canonical / nan:arithmetic), assert_trap, assert_exhaustion, assert_invalid,
 * assert_malformed (binary modules; text ones are skipped and counted), assert_unlinkable,
 * assert_uninstantiable. Commands with v128 values are skipped. Prints "FILE: N passed, N failed,
 * N skipped" per file and a total (or one JSON object with --json); exit 1 if anything failed.
 * Workload: spec-test files of up to a few thousand commands and a few hundred modules.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rune/alloc.h"
#include "spectest.h"

int spectest_echo = 0;

#define MAX_VALS 64

typedef struct named {
    char *name;
    rune_wasm_module *mod;
    rune_wasm_instance *inst;
} named;

typedef struct runner {
    rune_wasm_engine *eng;
    rune_wasm_linker *linker;
    const char *dir; /* of the JSON file: module files are relative to it */
    named *
        all; /* every module of the file, in order (instances may be registered: kept to the end) */
    size_t nall, capall;
    rune_wasm_instance *current;
    int verbose;
    const char *file;
    long passed, failed, skipped;
} runner;

static void fail(runner *r, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void fail(runner *r, int line, const char *fmt, ...)
{
    r->failed++;
    if (!r->verbose) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: FAIL: ", r->file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
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

/* Load (and optionally instantiate) the module file of a command. */
static rune_status load(runner *r, const char *filename, rune_wasm_module **mod,
                        rune_wasm_instance **inst, rune_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->dir, filename);
    size_t len = 0;
    unsigned char *bytes = read_all(path, &len);
    if (!bytes) return RUNE_ERR(err, RUNE_E_IO, "cannot read %s: %s", path, strerror(errno));
    rune_status st = rune_wasm_module_load(r->eng, bytes, len, mod, err);
    free(bytes);
    if (st || !inst) return st;
    st = rune_wasm_instantiate(*mod, r->linker, NULL, inst, err);
    if (st) {
        rune_wasm_module_free(*mod);
        *mod = NULL;
    }
    return st;
}

/* Keep mod/inst until the end of the file. Returns 0, or -1 (freed) if out of memory. */
static int keep(runner *r, const char *name, rune_wasm_module *mod, rune_wasm_instance *inst)
{
    if (r->nall == r->capall) {
        size_t cap = r->capall ? 2 * r->capall : 64;
        named *n = rune_realloc_array(r->all, cap, sizeof *n);
        if (!n) {
            rune_wasm_instance_free(inst);
            rune_wasm_module_free(mod);
            return -1;
        }
        r->all = n;
        r->capall = cap;
    }
    named *n = &r->all[r->nall++];
    n->name = name ? rune_strdup(name) : NULL;
    n->mod = mod;
    n->inst = inst;
    return 0;
}

static rune_wasm_instance *find(runner *r, const cJSON *name)
{
    if (!cJSON_IsString(name)) return r->current;
    for (size_t i = r->nall; i-- > 0;)
        if (r->all[i].name && strcmp(r->all[i].name, name->valuestring) == 0) return r->all[i].inst;
    return NULL;
}

/* Parse a JSON value {"type":..,"value":..}: 0 ok, 1 skip (v128), -1 bad. *nan: 1 canonical,
 * 2 arithmetic. */
static int parse_val(const cJSON *j, char *type, rune_wasm_val *v, int *nan)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(j, "value");
    if (!cJSON_IsString(t)) return -1;
    const char *ts = t->valuestring;
    memset(v, 0, sizeof *v);
    *nan = 0;
    if (strcmp(ts, "v128") == 0) return 1;
    const char *s = cJSON_IsString(val) ? val->valuestring : NULL;
    if (strcmp(ts, "i32") == 0)
        *type = 'i';
    else if (strcmp(ts, "i64") == 0)
        *type = 'I';
    else if (strcmp(ts, "f32") == 0)
        *type = 'f';
    else if (strcmp(ts, "f64") == 0)
        *type = 'F';
    else if (strcmp(ts, "funcref") == 0)
        *type = 'r';
    else if (strcmp(ts, "externref") == 0)
        *type = 'e';
    else
        return 1;
    if (!s) {
        *nan = 3; /* any value (e.g. a non-null funcref) */
        return 0;
    }
    if (strcmp(s, "nan:canonical") == 0)
        *nan = 1;
    else if (strcmp(s, "nan:arithmetic") == 0)
        *nan = 2;
    else if (strcmp(s, "null") == 0)
        v->ref = RUNE_WASM_NULL_REF;
    else {
        unsigned long long x = strtoull(s, NULL, 10);
        if (*type == 'i' || *type == 'f')
            v->i32 = (uint32_t)x;
        else if (*type == 'e')
            v->ref = (uintptr_t)x + 1;
        else
            v->i64 = x;
    }
    return 0;
}

static int val_matches(char type, rune_wasm_val got, rune_wasm_val want, int nan)
{
    if (nan == 3) return 1;
    if (type == 'f' && nan) {
        if ((got.i32 & 0x7f800000u) != 0x7f800000u || !(got.i32 & 0x7fffffu)) return 0;
        return nan == 1 ? (got.i32 & 0x7fffffu) == 0x400000u : (got.i32 & 0x400000u) != 0;
    }
    if (type == 'F' && nan) {
        const uint64_t exp = 0x7ff0000000000000ull, man = 0xfffffffffffffull, q = 1ull << 51;
        if ((got.i64 & exp) != exp || !(got.i64 & man)) return 0;
        return nan == 1 ? (got.i64 & man) == q : (got.i64 & q) != 0;
    }
    if (type == 'i' || type == 'f') return got.i32 == want.i32;
    if (type == 'r' || type == 'e') {
        if (type == 'r' && want.ref == RUNE_WASM_NULL_REF) return got.ref == RUNE_WASM_NULL_REF;
        return got.ref == want.ref;
    }
    return got.i64 == want.i64;
}

/* Run an action. Returns the call status; results in out, count in *nout. -2: skipped. */
static int run_action(runner *r, const cJSON *act, rune_wasm_val *out, size_t *nout,
                      rune_error *err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(act, "type");
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(act, "field");
    rune_wasm_instance *inst = find(r, cJSON_GetObjectItemCaseSensitive(act, "module"));
    if (!cJSON_IsString(type) || !cJSON_IsString(field)) {
        RUNE_ERR(err, RUNE_E_ARG, "bad action");
        return RUNE_E_ARG;
    }
    if (!inst) {
        RUNE_ERR(err, RUNE_E_NOT_FOUND, "no module for action");
        return RUNE_E_NOT_FOUND;
    }
    if (strcmp(type->valuestring, "get") == 0) {
        char t;
        *nout = 1;
        return rune_wasm_global_get(inst, field->valuestring, &out[0], &t, err);
    }
    rune_wasm_val args[MAX_VALS];
    size_t nargs = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(act, "args"))
    {
        char t;
        int nan;
        if (nargs == MAX_VALS) return -2;
        int rc = parse_val(a, &t, &args[nargs++], &nan);
        if (rc) return -2;
    }
    rune_wasm_func fn;
    rune_status st = rune_wasm_find_func(inst, field->valuestring, &fn, err);
    if (st) return st;
    const char *colon = strchr(fn.sig, ':');
    *nout = colon ? strlen(colon + 1) : 0;
    return rune_wasm_call_func(inst, &fn, args, nargs, out, *nout, err);
}

static int trap_text_matches(const rune_error *err, const char *want)
{
    const char *have = rune_wasm_trap_text((rune_wasm_trap)err->code);
    size_t n = strlen(have) < strlen(want) ? strlen(have) : strlen(want);
    return strncmp(have, want, n) == 0 || strstr(err->msg, want) != NULL;
}

static int has_v128(const cJSON *cmd)
{
    char *s = cJSON_PrintUnformatted(cmd);
    int v = s && strstr(s, "\"v128\"") != NULL;
    cJSON_free(s);
    return v;
}

static void command(runner *r, const cJSON *cmd)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "type"));
    const cJSON *jl = cJSON_GetObjectItemCaseSensitive(cmd, "line");
    int line = cJSON_IsNumber(jl) ? jl->valueint : 0;
    const char *filename = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "filename"));
    const char *mtype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "module_type"));
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(cmd, "action");
    rune_error err;
    rune_error_clear(&err);
    if (!type) return;
    if (has_v128(cmd)) {
        r->skipped++;
        return;
    }
    if (strcmp(type, "module") == 0) {
        rune_wasm_module *mod = NULL;
        rune_wasm_instance *inst = NULL;
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "name"));
        if (!filename || load(r, filename, &mod, &inst, &err)) {
            fail(r, line, "module %s: %s", filename ? filename : "?", err.msg);
            r->current = NULL;
            return;
        }
        if (keep(r, name, mod, inst) != 0) {
            fail(r, line, "out of memory");
            r->current = NULL;
            return;
        }
        r->current = inst;
        r->passed++;
    } else if (strcmp(type, "register") == 0) {
        const char *as = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "as"));
        rune_wasm_instance *inst = find(r, cJSON_GetObjectItemCaseSensitive(cmd, "name"));
        if (!as || !inst || rune_wasm_linker_define_instance(r->linker, as, inst, &err)) {
            fail(r, line, "register %s: %s", as ? as : "?", inst ? err.msg : "no module");
            return;
        }
        r->passed++;
    } else if (strcmp(type, "action") == 0 || strcmp(type, "assert_return") == 0) {
        rune_wasm_val out[MAX_VALS];
        size_t nout = 0;
        int st = run_action(r, act, out, &nout, &err);
        if (st == -2) {
            r->skipped++;
            return;
        }
        if (st != RUNE_OK) {
            fail(r, line, "%s: %s", rune_status_name((rune_status)st), err.msg);
            return;
        }
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
        size_t i = 0;
        const cJSON *e;
        int ok = (size_t)cJSON_GetArraySize(exp) == nout || strcmp(type, "action") == 0;
        if (strcmp(type, "assert_return") == 0) {
            cJSON_ArrayForEach(e, exp)
            {
                char t = 'i';
                int nan;
                rune_wasm_val want;
                if (i >= nout || parse_val(e, &t, &want, &nan) != 0) {
                    ok = 0;
                    break;
                }
                if (!val_matches(t, out[i], want, nan)) {
                    fail(r, line, "result %zu: got 0x%" PRIx64 ", want 0x%" PRIx64 "%s", i,
                         (t == 'i' || t == 'f') ? (uint64_t)out[i].i32 : out[i].i64,
                         (t == 'i' || t == 'f') ? (uint64_t)want.i32 : want.i64,
                         nan ? " (nan)" : "");
                    return;
                }
                i++;
            }
        }
        if (!ok) {
            fail(r, line, "got %zu results", nout);
            return;
        }
        r->passed++;
    } else if (strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0) {
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "text"));
        int st;
        if (act) {
            rune_wasm_val out[MAX_VALS];
            size_t nout = 0;
            st = run_action(r, act, out, &nout, &err);
            if (st == -2) {
                r->skipped++;
                return;
            }
        } else {
            rune_wasm_module *mod = NULL;
            rune_wasm_instance *inst = NULL;
            st = filename ? load(r, filename, &mod, &inst, &err) : RUNE_E_ARG;
            if (st == RUNE_OK) {
                rune_wasm_instance_free(inst);
                rune_wasm_module_free(mod);
            }
        }
        int exhaustion = strcmp(type, "assert_exhaustion") == 0;
        int ok = exhaustion ? ((st == RUNE_E_TRAP || st == RUNE_E_LIMIT) &&
                               err.code == RUNE_WASM_TRAP_STACK_EXHAUSTED)
                            : (st == RUNE_E_TRAP && (!text || trap_text_matches(&err, text)));
        if (!ok) {
            fail(r, line, "want trap \"%s\", got %s: %s", text ? text : "",
                 rune_status_name((rune_status)st), err.msg);
            return;
        }
        r->passed++;
    } else if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0 ||
               strcmp(type, "assert_unlinkable") == 0 ||
               strcmp(type, "assert_uninstantiable") == 0) {
        if (mtype && strcmp(mtype, "binary") != 0) {
            r->skipped++;
            return;
        }
        int want_load_fail = type[7] == 'i' || type[7] == 'm'; /* invalid / malformed */
        rune_wasm_module *mod = NULL;
        rune_wasm_instance *inst = NULL;
        rune_status st =
            filename ? load(r, filename, &mod, want_load_fail ? NULL : &inst, &err) : RUNE_E_ARG;
        rune_wasm_instance_free(inst);
        rune_wasm_module_free(mod);
        rune_status want = strcmp(type, "assert_invalid") == 0      ? RUNE_E_INVALID
                           : strcmp(type, "assert_malformed") == 0  ? RUNE_E_MALFORMED
                           : strcmp(type, "assert_unlinkable") == 0 ? RUNE_E_LINK
                                                                    : RUNE_E_TRAP;
        int ok = want_load_fail ? (st == RUNE_E_INVALID || st == RUNE_E_MALFORMED) : st == want;
        if (!ok) {
            const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "text"));
            fail(r, line, "%s \"%s\": got %s %s", type, text ? text : "", rune_status_name(st),
                 err.msg);
            return;
        }
        r->passed++;
    } else {
        r->skipped++;
    }
}

static void reset(runner *r)
{
    for (size_t i = r->nall; i-- > 0;) {
        rune_wasm_instance_free(r->all[i].inst);
        rune_wasm_module_free(r->all[i].mod);
        rune_free(r->all[i].name);
    }
    rune_free(r->all);
    r->all = NULL;
    r->nall = r->capall = 0;
    r->current = NULL;
    rune_wasm_linker_free(r->linker);
    r->linker = NULL;
}

/* Run one JSON file; counts into r. Returns 0, or -1 if the file could not be run at all. */
static int run_file(runner *r, const char *path)
{
    size_t len = 0;
    unsigned char *text = read_all(path, &len);
    rune_error err;
    if (!text) {
        fprintf(stderr, "spectest: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (!root) {
        fprintf(stderr, "spectest: %s: not JSON\n", path);
        return -1;
    }
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    r->dir = dir;
    const char *src =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "source_filename"));
    r->file = src ? src : path; /* failures name the .wast line */
    if (rune_wasm_linker_new(&r->linker, &err) || spectest_define_host(r->linker, &err)) {
        fprintf(stderr, "spectest: %s\n", err.msg);
        cJSON_Delete(root);
        rune_wasm_linker_free(r->linker);
        r->linker = NULL;
        return -1;
    }
    const cJSON *cmd;
    cJSON_ArrayForEach(cmd, cJSON_GetObjectItemCaseSensitive(root, "commands")) command(r, cmd);
    reset(r);
    cJSON_Delete(root);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: spectest [--engine interp|aot] [--json] [--verbose] [--cache DIR] "
               "FILE.json...\n"
               "Runs wast2json output; prints per-file and total passed/failed/skipped; exit 1 on "
               "any failure.\n");
}

int main(int argc, char **argv)
{
    int kind = RUNE_WASM_INTERP, json = 0, verbose = 0, nfiles = 0;
    const char *cache = NULL;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--engine") == 0 && i + 1 < argc) {
            kind = rune_wasm_engine_kind_parse(argv[++i]);
            if (kind < 0) {
                fprintf(stderr, "spectest: unknown engine %s\n", argv[i]);
                free(files);
                return 2;
            }
        } else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc) {
            cache = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "--echo") == 0) {
            spectest_echo = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            free(files);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "spectest: unknown option %s\n", argv[i]);
            usage(stderr);
            free(files);
            return 2;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (nfiles == 0) {
        usage(stderr);
        free(files);
        return 2;
    }
    rune_wasm_engine_config cfg = {cache, NULL, NULL};
    runner r;
    memset(&r, 0, sizeof r);
    r.verbose = verbose;
    rune_error err;
    if (rune_wasm_engine_new((rune_wasm_engine_kind)kind, &cfg, &r.eng, &err)) {
        fprintf(stderr, "spectest: %s\n", err.msg);
        free(files);
        return 2;
    }
    long tp = 0, tf = 0, ts = 0;
    int broken = 0;
    if (json) printf("{\"engine\": \"%s\", \"files\": [", rune_wasm_engine_kind_name(kind));
    for (int i = 0; i < nfiles; i++) {
        r.passed = r.failed = r.skipped = 0;
        if (run_file(&r, files[i]) != 0) {
            broken = 1;
            r.failed++;
        }
        tp += r.passed;
        tf += r.failed;
        ts += r.skipped;
        if (json)
            printf("%s{\"file\": \"%s\", \"passed\": %ld, \"failed\": %ld, \"skipped\": %ld}",
                   i ? ", " : "", files[i], r.passed, r.failed, r.skipped);
        else
            printf("%s: %ld passed, %ld failed, %ld skipped\n", files[i], r.passed, r.failed,
                   r.skipped);
    }
    if (json)
        printf("], \"passed\": %ld, \"failed\": %ld, \"skipped\": %ld}\n", tp, tf, ts);
    else
        printf("total (%s): %ld passed, %ld failed, %ld skipped\n",
               rune_wasm_engine_kind_name(kind), tp, tf, ts);
    rune_wasm_engine_free(r.eng);
    free(files);
    return (tf || broken) ? 1 : 0;
}
