/*
 * test_wasi.c - the WASI subset on both engines: a wasi-libc program (args, stdout/stderr through
 * the sink, clocks, random, empty environment, EBADF, exit code), direct calls with bad pointers
 * (EFAULT) and bad arguments, proc_exit, unknown imports, and the rune-wasm run command.
 */
#include <stdlib.h>

#include "test.h"
#include "rune/alloc.h"
#include "rune/wasi.h"
#include "rune/wasm.h"
#include "rune_wasm_cmd.h"

typedef struct capture {
    char out[16384], errb[1024];
    size_t nout, nerr;
    int flushes;
} capture;

static void sink(void *user, int fd, const uint8_t *data, size_t len)
{
    capture *c = user;
    char *dst = fd == 1 ? c->out : c->errb;
    size_t *n = fd == 1 ? &c->nout : &c->nerr;
    size_t cap = fd == 1 ? sizeof c->out : sizeof c->errb;
    if (*n + len >= cap) len = cap - 1 - *n;
    memcpy(dst + *n, data, len);
    *n += len;
    dst[*n] = 0;
    c->flushes++;
}

typedef struct run {
    rune_wasm_engine *eng;
    rune_wasm_module *mod;
    rune_wasm_linker *l;
    rune_wasm_instance *inst;
    rune_wasi *w;
} run;

static rune_status up(run *r, rune_wasm_engine_kind k, const char *path, int argc,
                      const char *const *argv, capture *c, rune_error *err)
{
    memset(r, 0, sizeof *r);
    size_t len = 0;
    unsigned char *b = test_read_file(path, &len);
    if (!b) return RUNE_ERR(err, RUNE_E_IO, "cannot read %s", path);
    rune_wasm_engine_config cfg = {RUNE_TEST_TMP "/aot-cache-wasi", NULL, NULL};
    rune_wasi_config wc = {argc, argv, sink, c};
    rune_status st = rune_wasm_engine_new(k, &cfg, &r->eng, err);
    if (!st) st = rune_wasm_module_load(r->eng, b, len, &r->mod, err);
    free(b);
    if (!st) st = rune_wasm_linker_new(&r->l, err);
    if (!st) st = rune_wasi_new(&wc, &r->w, err);
    if (!st) st = rune_wasi_define(r->w, r->l, err);
    if (!st) st = rune_wasm_instantiate(r->mod, r->l, NULL, &r->inst, err);
    return st;
}

static void down(run *r)
{
    rune_wasm_instance_free(r->inst);
    rune_wasi_free(r->w);
    rune_wasm_linker_free(r->l);
    rune_wasm_module_free(r->mod);
    rune_wasm_engine_free(r->eng);
}

TEST(wasi_libc_program_on_both_engines)
{
    for (int k = 0; k < 2; k++) {
        capture c;
        memset(&c, 0, sizeof c);
        rune_error err;
        run r;
        const char *argv[] = {"hello.wasm", "3", "two words"};
        CHECK_OK(up(&r, (rune_wasm_engine_kind)k, C_DIR "/wasi_hello.wasm", 3, argv, &c, &err),
                 &err);
        int code = -1;
        CHECK_OK(rune_wasi_run_start(r.w, r.inst, &code, &err), &err);
        CHECK_EQ_INT(code, 3);
        CHECK_CONTAINS(c.out, "argc=3 [hello.wasm] [3] [two words]\n");
        CHECK_CONTAINS(c.out, "clock ok\n");
        CHECK_CONTAINS(c.out, "monotonic ok\n");
        CHECK_CONTAINS(c.out, "random ok\n");
        CHECK_CONTAINS(c.out, "ebadf ok\n");
        CHECK_CONTAINS(c.out, "env empty\n");
        CHECK_CONTAINS(c.out, "280 281 282");
        CHECK_CONTAINS(c.out, "299\n");
        CHECK_STR(c.errb, "to stderr\n");
        down(&r);
        /* No arguments: exit code 0 from returning. */
        memset(&c, 0, sizeof c);
        CHECK_OK(up(&r, (rune_wasm_engine_kind)k, C_DIR "/wasi_hello.wasm", 0, NULL, &c, &err),
                 &err);
        CHECK_OK(rune_wasi_run_start(r.w, r.inst, &code, &err), &err);
        CHECK_EQ_INT(code, 0);
        CHECK_CONTAINS(c.out, "argc=0\n");
        down(&r);
    }
}

static uint32_t call0(run *r, const char *name, rune_status want, rune_error *err)
{
    rune_wasm_val res = {0};
    rune_wasm_func fn;
    if (rune_wasm_find_func(r->inst, name, &fn, err)) return 0xdead;
    size_t nres = strchr(fn.sig, ':')[1] ? 1 : 0;
    rune_status st = rune_wasm_call_func(r->inst, &fn, NULL, 0, &res, nres, err);
    CHECK_MSG_(st == want, "%s: got %s (%s)", name, rune_status_name(st), err->msg);
    return res.i32;
}

TEST(bad_pointers_and_arguments)
{
    for (int k = 0; k < 2; k++) {
        capture c;
        memset(&c, 0, sizeof c);
        rune_error err;
        run r;
        CHECK_OK(up(&r, (rune_wasm_engine_kind)k, C_DIR "/wasi_fault.wasm", 0, NULL, &c, &err),
                 &err);
        CHECK_EQ_INT(call0(&r, "ok_write", RUNE_OK, &err), 0);
        CHECK_EQ_INT(call0(&r, "written", RUNE_OK, &err), 6);
        CHECK_EQ_INT(call0(&r, "bad_fd", RUNE_OK, &err), 8);    /* EBADF */
        CHECK_EQ_INT(call0(&r, "bad_iovs", RUNE_OK, &err), 21); /* EFAULT */
        CHECK_EQ_INT(call0(&r, "bad_buf", RUNE_OK, &err), 21);
        CHECK_EQ_INT(call0(&r, "bad_count", RUNE_OK, &err), 21);
        CHECK_EQ_INT(call0(&r, "bad_args", RUNE_OK, &err), 21);
        CHECK_EQ_INT(call0(&r, "bad_clock", RUNE_OK, &err), 28); /* EINVAL */
        CHECK_EQ_INT(call0(&r, "clock_ptr", RUNE_OK, &err), 21);
        CHECK_EQ_INT(call0(&r, "bad_random", RUNE_OK, &err), 21);
        CHECK_EQ_INT(call0(&r, "fdstat", RUNE_OK, &err), 0);
        CHECK_EQ_INT(call0(&r, "filetype", RUNE_OK, &err), 2); /* character device */
        CHECK_EQ_INT(call0(&r, "seek", RUNE_OK, &err), 70);    /* ESPIPE */
        CHECK_EQ_INT(call0(&r, "open", RUNE_OK, &err), 52);    /* ENOSYS */
        call0(&r, "exit7", RUNE_E_EXIT, &err);
        CHECK_EQ_INT(err.code, 7);
        rune_wasi_flush(r.w);
        CHECK_STR(c.out, "hello\n");
        down(&r);
    }
}

TEST(unknown_import_and_bad_config)
{
    capture c;
    memset(&c, 0, sizeof c);
    rune_error err;
    run r;
    CHECK_STATUS(up(&r, RUNE_WASM_INTERP, C_DIR "/wasi_unknown.wasm", 0, NULL, &c, &err),
                 RUNE_E_LINK);
    CHECK_CONTAINS(err.msg, "fd_teleport");
    down(&r);
    rune_wasi *w = NULL;
    rune_wasi_config bad = {2, NULL, NULL, NULL};
    CHECK_STATUS(rune_wasi_new(&bad, &w, &err), RUNE_E_ARG);
    CHECK(w == NULL);
    rune_wasi_free(NULL);
}

TEST(allocation_failures_leak_nothing)
{
    const char *argv[] = {"a", "bb", "ccc"};
    rune_wasi_config wc = {3, argv, NULL, NULL};
    int done = 0;
    for (long n = 0; n < 1000 && !done; n++) {
        long live0 = rune_alloc_live();
        rune_wasi *w = NULL;
        rune_wasm_linker *l = NULL;
        rune_error err;
        rune_alloc_fail_after(n);
        rune_status st = rune_wasi_new(&wc, &w, &err);
        if (!st) st = rune_wasm_linker_new(&l, &err);
        if (!st) st = rune_wasi_define(w, l, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK)
            done = 1;
        else
            CHECK_MSG_(st == RUNE_E_NOMEM, "n=%ld: %s", n, rune_status_name(st));
        rune_wasm_linker_free(l);
        rune_wasi_free(w);
        CHECK_EQ_INT(rune_alloc_live(), live0);
    }
    CHECK(done);
}

TEST(rune_wasm_run_command)
{
    char *a1[] = {"run", "--engine", "aot", C_DIR "/wasi_hello.wasm", "5", NULL};
    setenv("RUNE_CACHE_DIR", RUNE_TEST_TMP "/aot-cache-wasi", 1);
    fflush(stdout);
    CHECK_EQ_INT(rune_cmd_wasm_run(5, a1), 5);
    char *a2[] = {"run", C_DIR "/wasi_hello.wasm", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(2, a2), 0);
    char *a3[] = {"run", "--engine", "jit", C_DIR "/wasi_hello.wasm", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(4, a3), 2);
    char *a4[] = {"run", "/no/such/file.wasm", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(2, a4), 1);
    char *a5[] = {"run", "--fuel", "many", C_DIR "/wasi_hello.wasm", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(4, a5), 2);
    char *a6[] = {"run", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(1, a6), 2);
    /* Fuel too small for the program: stopped, exit 1 with a message. */
    char *a7[] = {"run", "--fuel", "100", C_DIR "/wasi_hello.wasm", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(4, a7), 1);
    char *a8[] = {"run", "--engine", "aot", "--fuel", "100", C_DIR "/wasi_hello.wasm", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(6, a8), 1);
    char *a9[] = {"run", "--max-pages", "1", C_DIR "/wasi_hello.wasm", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(4, a9), 1); /* wasi-libc programs need 2 pages */
    char *a10[] = {"run", "--help", NULL};
    CHECK_EQ_INT(rune_cmd_wasm_run(2, a10), 0);
}

int main(void)
{
    long live0 = rune_alloc_live();
    RUN(wasi_libc_program_on_both_engines);
    RUN(bad_pointers_and_arguments);
    RUN(unknown_import_and_bad_config);
    RUN(allocation_failures_leak_nothing);
    RUN(rune_wasm_run_command);
    CHECK_EQ_INT(rune_alloc_live(), live0);
    return test_report();
}
