/*
 * test_wasm_host.c - the linker: host functions with their signature checked at link time, host
 * globals (immutable and shared mutable), host memory, missing imports, host failures as traps,
 * RUNE_E_EXIT passing through, re-entrant calls from a host function back into the guest, one
 * instance's exports imported by another, and i32 host functions (rune_wasm_linker_define_i32)
 * doing all of that with their arguments in registers.
 */
#include "wasm_test.h"

static int put_calls;
static char put_seen[64];

static rune_status h_add3(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                          rune_wasm_val *r, rune_error *err)
{
    r[0].i32 = a[0].i32 + a[1].i32 + a[2].i32 + (uint32_t)(uintptr_t)user;
    return RUNE_OK;
}

static rune_status h_put(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                         rune_wasm_val *r, rune_error *err)
{
    put_calls++;
    uint8_t *p = rune_wasm_memory_ptr(inst, a[0].i32, a[1].i32);
    if (!p) return RUNE_ERR(err, RUNE_E_ARG, "put: buffer out of bounds");
    size_t n = a[1].i32 < sizeof put_seen - 1 ? a[1].i32 : sizeof put_seen - 1;
    memcpy(put_seen, p, n);
    put_seen[n] = 0;
    return RUNE_OK;
}

static rune_status h_fail(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                          rune_wasm_val *r, rune_error *err)
{
    if (a[0].i32 == 1) return RUNE_ERR(err, RUNE_E_IO, "sensor unplugged");
    if (a[0].i32 == 3) return RUNE_E_IO; /* fails without saying why */
    if (a[0].i32 == 2) {
        RUNE_ERR(err, RUNE_E_EXIT, "exit 3");
        err->code = 3;
        return RUNE_E_EXIT;
    }
    r[0].i32 = 77;
    return RUNE_OK;
}

/* What h_mix saw: each argument's whole 64-bit cell. */
static uint64_t mix_seen[5];

/* Writes its results before reading its arguments: the engine must not pass the same array. */
static rune_status h_mix(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                         rune_wasm_val *r, rune_error *err)
{
    r[0].i64 = 0xdeaddeaddeaddeadull;
    r[1].i64 = 0xdeaddeaddeaddeadull;
    for (int i = 0; i < 5; i++)
        mix_seen[i] = a[i].i64;
    r[0].i64 = a[1].i64 ^ a[0].i64;
    r[1].i32 = a[4].i32 + 1;
    return RUNE_OK;
}

static rune_status h_twice(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                           rune_wasm_val *r, rune_error *err)
{
    r[0].i32 = a[0].i32 * 2;
    return RUNE_OK;
}

static rune_wasm_linker *full_linker(const char *add3_sig)
{
    rune_wasm_linker *l = NULL;
    rune_error err;
    CHECK_OK(rune_wasm_linker_new(&l, &err), &err);
    CHECK_OK(rune_wasm_linker_define_func(l, "env", "add3", add3_sig, h_add3, (void *)(uintptr_t)1,
                                          &err),
             &err);
    CHECK_OK(rune_wasm_linker_define_func(l, "env", "put", "ii:", h_put, NULL, &err), &err);
    CHECK_OK(rune_wasm_linker_define_func(l, "env", "fail", "i:i", h_fail, NULL, &err), &err);
    CHECK_OK(rune_wasm_linker_define_global(l, "env", "base", 'i', 0, wt_i32(20), &err), &err);
    CHECK_OK(rune_wasm_linker_define_global(l, "env", "total", 'I', 1, wt_i64(5), &err), &err);
    CHECK_OK(rune_wasm_linker_define_memory(l, "env", "mem", 1, 2, &err), &err);
    return l;
}

TEST(host_calls)
{
    rune_wasm_linker *l = full_linker("iii:i");
    wt_env e;
    if (!wt_open(&e, "host", l, NULL)) {
        CHECK(0);
        rune_wasm_linker_free(l);
        return;
    }
    rune_wasm_val a = wt_i32(3), r;
    CHECK_OK(rune_wasm_call(e.inst, "use_add3", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 3 + 20 + 100 + 1);
    rune_wasm_val s[2] = {wt_i32(0), wt_i32(10)};
    put_calls = 0;
    CHECK_OK(rune_wasm_call(e.inst, "say", s, 2, NULL, 0, &e.err), &e.err);
    CHECK_EQ_INT(put_calls, 1);
    CHECK_STR(put_seen, "from guest");
    /* the host's own error becomes a trap naming the import, with the host's message */
    s[0] = wt_i32(65530);
    CHECK_STATUS(rune_wasm_call(e.inst, "say", s, 2, NULL, 0, &e.err), RUNE_E_TRAP);
    CHECK_EQ_INT(e.err.code, RUNE_WASM_TRAP_HOST);
    CHECK_CONTAINS(e.err.msg, "env.put");
    CHECK_CONTAINS(e.err.msg, "buffer out of bounds");
    a = wt_i32(1);
    CHECK_STATUS(rune_wasm_call(e.inst, "try_fail", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    CHECK_CONTAINS(e.err.msg, "sensor unplugged");
    a = wt_i32(2);
    CHECK_STATUS(rune_wasm_call(e.inst, "try_fail", &a, 1, &r, 1, &e.err), RUNE_E_EXIT);
    CHECK_EQ_INT(e.err.code, 3);
    /* a failure without a message gets one naming the import, even right after one with */
    a = wt_i32(1);
    CHECK_STATUS(rune_wasm_call(e.inst, "try_fail", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    a = wt_i32(3);
    CHECK_STATUS(rune_wasm_call(e.inst, "try_fail", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    CHECK_EQ_INT(e.err.code, RUNE_WASM_TRAP_HOST);
    CHECK_CONTAINS(e.err.msg, "host function env.fail failed");
    a = wt_i32(0);
    CHECK_OK(rune_wasm_call(e.inst, "try_fail", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 77);
    /* the mutable host global is shared: the guest's writes are visible to a second instance */
    rune_wasm_val v = wt_i64(10);
    CHECK_OK(rune_wasm_call(e.inst, "accumulate", &v, 1, NULL, 0, &e.err), &e.err);
    rune_wasm_instance *second = NULL;
    CHECK_OK(rune_wasm_instantiate(e.mod, l, NULL, &second, &e.err), &e.err);
    v = wt_i64(100);
    CHECK_OK(rune_wasm_call(second, "accumulate", &v, 1, NULL, 0, &e.err), &e.err);
    CHECK_OK(rune_wasm_call(e.inst, "get_total", NULL, 0, &r, 1, &e.err), &e.err);
    CHECK(r.i64 == 5 + 10 + 100);
    rune_wasm_instance_free(second);
    wt_close(&e);
    rune_wasm_linker_free(l);
}

TEST(host_args)
{
    rune_wasm_linker *l = NULL;
    rune_error err;
    CHECK_OK(rune_wasm_linker_new(&l, &err), &err);
    CHECK_OK(rune_wasm_linker_define_func(l, "env", "mix", "iIfFi:Ii", h_mix, NULL, &err), &err);
    CHECK_OK(rune_wasm_linker_define_func(l, "env", "twice", "i:i", h_twice, NULL, &err), &err);
    wt_env e;
    if (!wt_open(&e, "hostargs", l, NULL)) {
        CHECK(0);
        rune_wasm_linker_free(l);
        return;
    }
    rune_wasm_val r[2];
    memset(mix_seen, 0xff, sizeof mix_seen);
    CHECK_OK(rune_wasm_call(e.inst, "go", NULL, 0, r, 2, &e.err), &e.err);
    /* i32 and f32 arrive with the upper half zeroed, whatever the slot held before */
    CHECK(mix_seen[0] == 5);
    CHECK(mix_seen[1] == 0x1234567800000005ull);
    CHECK(mix_seen[2] == 0x3fc00000u);
    CHECK(mix_seen[3] == 0xc002000000000000ull);
    CHECK(mix_seen[4] == 0x12345678u);
    CHECK(r[0].i64 == 0x1234567800000000ull);
    CHECK_EQ_INT(r[1].i32, 0x12345679);
    CHECK(r[1].i64 == 0x12345679u); /* an i32 result comes out zero-extended */
    /* local = twice(x) while the old local (1000) is still to be added: 1000 + 10 * 2x */
    rune_wasm_val x = wt_i32(21);
    CHECK_OK(rune_wasm_call(e.inst, "twice-set", &x, 1, r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r[0].i32, 1420);
    wt_close(&e);
    rune_wasm_linker_free(l);
}

TEST(link_errors)
{
    size_t len;
    uint8_t *bytes = wt_read("host", &len);
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_instance *inst = NULL;
    rune_error err;
    CHECK_OK(rune_wasm_engine_new(wt_kind, NULL, &eng, &err), &err);
    CHECK_OK(rune_wasm_module_load(eng, bytes, len, &mod, &err), &err);
    free(bytes);
    CHECK_EQ_INT(rune_wasm_module_import_count(mod), 6);
    rune_wasm_extern_desc d;
    CHECK_OK(rune_wasm_module_import(mod, 0, &d), NULL);
    CHECK_STR(d.module, "env");
    CHECK_STR(d.name, "add3");
    CHECK_STR(d.sig, "iii:i");
    CHECK_OK(rune_wasm_module_import(mod, 4, &d), NULL);
    CHECK(d.kind == RUNE_WASM_EXTERN_GLOBAL && d.mutable_ && strcmp(d.sig, "I") == 0);

    /* wrong signature: refused at link time with both signatures in the message */
    rune_wasm_linker *l = full_linker("ii:i");
    CHECK_STATUS(rune_wasm_instantiate(mod, l, NULL, &inst, &err), RUNE_E_LINK);
    CHECK_CONTAINS(err.msg, "env.add3");
    CHECK_CONTAINS(err.msg, "\"iii:i\"");
    CHECK_CONTAINS(err.msg, "\"ii:i\"");
    rune_wasm_linker_free(l);

    /* missing import */
    rune_wasm_linker_new(&l, &err);
    CHECK_STATUS(rune_wasm_instantiate(mod, l, NULL, &inst, &err), RUNE_E_LINK);
    CHECK_CONTAINS(err.msg, "unknown import env.add3");
    rune_wasm_linker_free(l);
    /* global of the wrong mutability, memory too small */
    l = full_linker("iii:i");
    rune_wasm_linker_define_global(l, "env", "total", 'I', 0, wt_i64(0), &err);
    CHECK_STATUS(rune_wasm_instantiate(mod, l, NULL, &inst, &err), RUNE_E_LINK);
    CHECK_CONTAINS(err.msg, "env.total");
    rune_wasm_linker_free(l);
    l = full_linker("iii:i");
    rune_wasm_linker_define_memory(l, "env", "mem", 1, 8, &err);
    CHECK_STATUS(rune_wasm_instantiate(mod, l, NULL, &inst, &err), RUNE_E_LINK);
    CHECK_CONTAINS(err.msg, "memory limits");
    rune_wasm_linker_free(l);
    rune_wasm_linker_free(NULL);
    CHECK(inst == NULL);

    /* bad definitions */
    rune_wasm_linker_new(&l, &err);
    CHECK_STATUS(rune_wasm_linker_define_func(l, "env", "x", "ij", h_fail, NULL, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_wasm_linker_define_func(l, "env", "x", "i:i:i", h_fail, NULL, &err),
                 RUNE_E_ARG);
    CHECK_STATUS(rune_wasm_linker_define_global(l, "env", "g", 'q', 0, wt_i32(0), &err),
                 RUNE_E_ARG);
    CHECK_STATUS(rune_wasm_linker_define_memory(l, "env", "m", 3, 2, &err), RUNE_E_ARG);
    rune_wasm_linker_free(l);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
}

static rune_status h_again(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                           rune_wasm_val *r, rune_error *err)
{
    return rune_wasm_call(inst, "down", a, 1, r, 1, err);
}

TEST(reentrant_host)
{
    rune_wasm_linker *l = NULL;
    rune_error err;
    rune_wasm_linker_new(&l, &err);
    rune_wasm_linker_define_func(l, "env", "again", "i:i", h_again, NULL, &err);
    wt_env e;
    rune_wasm_limits lim = {0};
    lim.max_call_depth = 200;
    if (!wt_open(&e, "recurse_host", l, &lim)) {
        CHECK(0);
        rune_wasm_linker_free(l);
        return;
    }
    rune_wasm_val a = wt_i32(50), r;
    CHECK_OK(rune_wasm_call(e.inst, "down", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 50);
    /* guest -> host -> guest ... without end: the depth limit holds across host frames */
    a = wt_i32(1000000);
    CHECK_STATUS(rune_wasm_call(e.inst, "down", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    CHECK_CONTAINS(e.err.msg, "call stack exhausted");
    a = wt_i32(3);
    CHECK_OK(rune_wasm_call(e.inst, "down", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 3);
    wt_close(&e);
    rune_wasm_linker_free(l);
}

TEST(instance_imports)
{
    /* basic.wasm's exported add, memory and global imported by a module built by hand:
     *   (import "lib" "add" (func (param i32 i32) (result i32)))
     *   (func (export "twice") (param i32) (result i32) (call 0 (local.get 0) (local.get 0))) */
    static const uint8_t user[] = {
        0,    'a',  's', 'm',  1, 0,    0, 0,    1, 12,   2,   0x60, 2,   0x7f, 0x7f, 1,
        0x7f, 0x60, 1,   0x7f, 1, 0x7f, 2, 11,   1, 3,    'l', 'i',  'b', 3,    'a',  'd',
        'd',  0,    0,   3,    2, 1,    1, 7,    9, 1,    5,   't',  'w', 'i',  'c',  'e',
        0,    1,    10,  10,   1, 8,    0, 0x20, 0, 0x20, 0,   0x10, 0,   0x0b};
    wt_env lib;
    if (!wt_open(&lib, "basic", NULL, NULL)) {
        CHECK(0);
        return;
    }
    rune_wasm_linker *l = NULL;
    rune_error err;
    rune_wasm_linker_new(&l, &err);
    CHECK_OK(rune_wasm_linker_define_instance(l, "lib", lib.inst, &err), &err);
    rune_wasm_module *mod = NULL;
    rune_wasm_instance *inst = NULL;
    CHECK_OK(rune_wasm_module_load(lib.eng, user, sizeof user, &mod, &err), &err);
    CHECK_OK(rune_wasm_instantiate(mod, l, NULL, &inst, &err), &err);
    rune_wasm_val a = wt_i32(21), r;
    if (inst) {
        CHECK_OK(rune_wasm_call(inst, "twice", &a, 1, &r, 1, &err), &err);
        CHECK_EQ_INT(r.i32, 42);
    }
    rune_wasm_instance_free(inst);
    rune_wasm_module_free(mod);
    rune_wasm_linker_free(l);
    wt_close(&lib);
}

/* ---- i32 host functions ---------------------------------------------------------------------- */

static uint32_t i_sum5(rune_wasm_hostcall *hc, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                       uint32_t a4)
{
    return a0 + 10 * a1 + 100 * a2 + 1000 * a3 + 10000 * a4 + (uint32_t)(uintptr_t)hc->user;
}

static uint32_t i_add3(rune_wasm_hostcall *hc, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                       uint32_t a4)
{
    (void)hc;
    /* past the signature's params: 0 */
    return a3 || a4 ? 0xbad : a0 + a1 + a2;
}

static uint32_t i_put(rune_wasm_hostcall *hc, uint32_t ptr, uint32_t len, uint32_t a2, uint32_t a3,
                      uint32_t a4)
{
    (void)a2, (void)a3, (void)a4;
    put_calls++;
    uint8_t *p = rune_wasm_memory_ptr(hc->inst, ptr, len);
    if (!p)
        return rune_wasm_host_fail(hc, RUNE_E_ARG, "put: %u bytes at %u out of bounds", len, ptr);
    size_t n = len < sizeof put_seen - 1 ? len : sizeof put_seen - 1;
    memcpy(put_seen, p, n);
    put_seen[n] = 0;
    return 0xdead; /* no result in the signature: ignored */
}

static uint32_t i_seven(rune_wasm_hostcall *hc, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                        uint32_t a4)
{
    (void)hc;
    return a0 | a1 | a2 | a3 | a4 ? 0 : 7;
}

static uint32_t i_fail(rune_wasm_hostcall *hc, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                       uint32_t a4)
{
    (void)a1, (void)a2, (void)a3, (void)a4;
    if (a0 == 1) return rune_wasm_host_fail(hc, RUNE_E_IO, "sensor %u unplugged", a0);
    if (a0 == 2) {
        hc->err->code = 3;
        return rune_wasm_host_fail(hc, RUNE_E_EXIT, "exit 3");
    }
    return 77;
}

static uint32_t i_again(rune_wasm_hostcall *hc, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                        uint32_t a4)
{
    (void)a1, (void)a2, (void)a3, (void)a4;
    rune_wasm_val a = wt_i32(a0), r = wt_i32(0);
    rune_error e;
    rune_status st = rune_wasm_call(hc->inst, "down", &a, 1, &r, 1, &e);
    if (st != RUNE_OK) return rune_wasm_host_fail(hc, st, "%s", e.msg);
    return r.i32;
}

static rune_wasm_linker *i32_linker(const char *add3_sig)
{
    rune_wasm_linker *l = NULL;
    rune_error err;
    CHECK_OK(rune_wasm_linker_new(&l, &err), &err);
    CHECK_OK(rune_wasm_linker_define_i32(l, "env", "sum5", "iiiii:i", i_sum5, (void *)(uintptr_t)9,
                                         &err),
             &err);
    CHECK_OK(rune_wasm_linker_define_i32(l, "env", "add3", add3_sig, i_add3, NULL, &err), &err);
    CHECK_OK(rune_wasm_linker_define_i32(l, "env", "put", "ii:", i_put, NULL, &err), &err);
    CHECK_OK(rune_wasm_linker_define_i32(l, "env", "seven", ":i", i_seven, NULL, &err), &err);
    CHECK_OK(rune_wasm_linker_define_i32(l, "env", "fail", "i:i", i_fail, NULL, &err), &err);
    CHECK_OK(rune_wasm_linker_define_i32(l, "env", "again", "i:i", i_again, NULL, &err), &err);
    return l;
}

TEST(i32_host_calls)
{
    rune_wasm_linker *l = i32_linker("iii:i");
    wt_env e;
    rune_wasm_limits lim = {0};
    lim.max_call_depth = 200;
    if (!wt_open(&e, "hosti32", l, &lim)) {
        CHECK(0);
        rune_wasm_linker_free(l);
        return;
    }
    /* every argument in its place, user passed through */
    rune_wasm_val a5[5] = {wt_i32(1), wt_i32(2), wt_i32(3), wt_i32(4), wt_i32(5)}, r;
    CHECK_OK(rune_wasm_call(e.inst, "use_sum5", a5, 5, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 54321 + 9);
    /* the re-exported import called from the API (the array path): its i32 result zero-extended */
    r.i64 = ~0ull;
    CHECK_OK(rune_wasm_call(e.inst, "sum5", a5, 5, &r, 1, &e.err), &e.err);
    CHECK(r.i64 == 54321 + 9);
    rune_wasm_val a = wt_i32(3);
    CHECK_OK(rune_wasm_call(e.inst, "use_add3", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 102); /* 3 + 0xffffffff + 100, wrapped */
    CHECK_OK(rune_wasm_call(e.inst, "seven_plus", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 10);
    /* no result; the host reads guest memory through hc->inst */
    rune_wasm_val s[2] = {wt_i32(0), wt_i32(10)};
    put_calls = 0;
    CHECK_OK(rune_wasm_call(e.inst, "say", s, 2, NULL, 0, &e.err), &e.err);
    CHECK_EQ_INT(put_calls, 1);
    CHECK_STR(put_seen, "from guest");
    /* failures: a trap naming the import with the host's message; EXIT passes through */
    s[0] = wt_i32(65530);
    CHECK_STATUS(rune_wasm_call(e.inst, "say", s, 2, NULL, 0, &e.err), RUNE_E_TRAP);
    CHECK_EQ_INT(e.err.code, RUNE_WASM_TRAP_HOST);
    CHECK_CONTAINS(e.err.msg, "host function env.put failed");
    CHECK_CONTAINS(e.err.msg, "10 bytes at 65530 out of bounds");
    a = wt_i32(1);
    CHECK_STATUS(rune_wasm_call(e.inst, "try_fail", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    CHECK_CONTAINS(e.err.msg, "env.fail");
    CHECK_CONTAINS(e.err.msg, "sensor 1 unplugged");
    a = wt_i32(2);
    CHECK_STATUS(rune_wasm_call(e.inst, "try_fail", &a, 1, &r, 1, &e.err), RUNE_E_EXIT);
    CHECK_EQ_INT(e.err.code, 3);
    /* a failure does not stick: the next call of the same import succeeds */
    a = wt_i32(0);
    CHECK_OK(rune_wasm_call(e.inst, "try_fail", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 77);
    /* re-entry: host -> guest -> host ..., and the depth limit holds across the host frames */
    a = wt_i32(40);
    CHECK_OK(rune_wasm_call(e.inst, "down", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 40);
    a = wt_i32(1000000);
    CHECK_STATUS(rune_wasm_call(e.inst, "down", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    CHECK_CONTAINS(e.err.msg, "call stack exhausted");
    a = wt_i32(3);
    CHECK_OK(rune_wasm_call(e.inst, "down", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 3);
    CHECK_OK(rune_wasm_call(e.inst, "use_sum5", a5, 5, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 54321 + 9);
    wt_close(&e);
    rune_wasm_linker_free(l);
}

TEST(i32_host_errors)
{
    rune_wasm_linker *l = NULL;
    rune_error err;
    CHECK_OK(rune_wasm_linker_new(&l, &err), &err);
    const char *bad[] = {"if:i", "iiiiii:i", "i:I", "i:ii", "ii", "i:f", "", "I:"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_STATUS(rune_wasm_linker_define_i32(l, "env", "x", bad[i], i_seven, NULL, &err),
                     RUNE_E_ARG);
        CHECK_CONTAINS(err.msg, "env.x: bad signature");
    }
    CHECK_STATUS(rune_wasm_linker_define_i32(l, "env", "x", "i:i", NULL, NULL, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_wasm_linker_define_i32(l, "env", NULL, "i:i", i_seven, NULL, &err),
                 RUNE_E_ARG);
    rune_wasm_linker_free(l);
    /* bound to an import of another type: refused at link time like any host function */
    l = i32_linker("ii:i");
    size_t len;
    uint8_t *bytes = wt_read("hosti32", &len);
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_instance *inst = NULL;
    CHECK_OK(rune_wasm_engine_new(wt_kind, NULL, &eng, &err), &err);
    CHECK_OK(rune_wasm_module_load(eng, bytes, len, &mod, &err), &err);
    free(bytes);
    CHECK_STATUS(rune_wasm_instantiate(mod, l, NULL, &inst, &err), RUNE_E_LINK);
    CHECK_CONTAINS(err.msg, "env.add3");
    CHECK(inst == NULL);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
    rune_wasm_linker_free(l);
}

int main(void)
{
    long live = rune_alloc_live();
    RUN(host_calls);
    RUN(host_args);
    RUN(link_errors);
    RUN(reentrant_host);
    RUN(instance_imports);
    RUN(i32_host_calls);
    RUN(i32_host_errors);
    /* The same on the AOT engine, where it is built: host functions are called straight from
     * generated code there, other instances' functions through the runtime. */
    rune_wasm_engine *aot = NULL;
    rune_error err;
    rune_status st = rune_wasm_engine_new(RUNE_WASM_AOT, NULL, &aot, &err);
    rune_wasm_engine_free(aot);
    if (st == RUNE_OK) {
        wt_kind = RUNE_WASM_AOT;
        RUN(host_calls);
        RUN(host_args);
        RUN(link_errors);
        RUN(reentrant_host);
        RUN(instance_imports);
        RUN(i32_host_calls);
        RUN(i32_host_errors);
    } else {
        fprintf(stderr, "note: AOT engine not built in (%s), its run skipped\n", err.msg);
    }
    if (rune_alloc_live() != live) {
        fprintf(stderr, "leak: %ld allocations live\n", rune_alloc_live() - live);
        return 1;
    }
    return test_report();
}
