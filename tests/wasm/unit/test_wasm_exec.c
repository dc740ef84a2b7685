/*
 * test_wasm_exec.c - the interpreter runs wat/basic.wat: results are compared with the same
 * computation done in C, and each trap kind comes back as RUNE_E_TRAP with the spec's text and the
 * function index and offset.
 */
#include <math.h>
#include <stdint.h>

#include "wasm_test.h"

static wt_env E;

static uint32_t call_i32(const char *name, const rune_wasm_val *args, size_t n)
{
    rune_wasm_val r = {0};
    rune_status st = rune_wasm_call(E.inst, name, args, n, &r, 1, &E.err);
    CHECK_OK(st, &E.err);
    return r.i32;
}

TEST(arith_and_control)
{
    for (uint32_t a = 0; a < 50; a += 7) {
        rune_wasm_val args[2] = {wt_i32(a * 1000003u), wt_i32(a + 5)};
        CHECK_EQ_INT(call_i32("add", args, 2), (uint32_t)(a * 1000003u + a + 5));
    }
    for (uint64_t n = 0; n <= 20; n++) {
        uint64_t want = 1;
        for (uint64_t k = 2; k <= n; k++)
            want *= k;
        rune_wasm_val a = wt_i64(n), r = {0};
        CHECK_OK(rune_wasm_call(E.inst, "fac", &a, 1, &r, 1, &E.err), &E.err);
        CHECK(r.i64 == want);
    }
    for (uint32_t n = 0; n < 40; n++) {
        uint32_t x = 0, y = 1;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t t = x + y;
            x = y;
            y = t;
        }
        rune_wasm_val a = wt_i32(n);
        CHECK_EQ_INT(call_i32("fib", &a, 1), x);
    }
    rune_wasm_val sw[2] = {wt_i32(10), wt_i32(3)};
    CHECK_EQ_INT(call_i32("swap_locals", sw, 2), (uint32_t)(3 - 10));
    for (uint32_t i = 0; i < 3; i++) {
        rune_wasm_val args[3] = {wt_i32(i), wt_i32(12), wt_i32(5)};
        uint32_t want = i == 0 ? 17 : i == 1 ? 7 : 60;
        CHECK_EQ_INT(call_i32("apply", args, 3), want);
    }
    const uint32_t cls[] = {100, 200, 300, 400, 400, 400};
    for (uint32_t i = 0; i < 6; i++) {
        rune_wasm_val a = wt_i32(i == 5 ? 0xffffffffu : i);
        CHECK_EQ_INT(call_i32("classify", &a, 1), cls[i]);
    }
    rune_wasm_val mv[2] = {wt_i32(4), wt_i32(0xfffffffeu)}, res[3];
    CHECK_OK(rune_wasm_call(E.inst, "multi", mv, 2, res, 3, &E.err), &E.err);
    CHECK_EQ_INT(res[0].i32, 0xfffffffeu);
    CHECK_EQ_INT(res[1].i32, 4);
    CHECK(res[2].i64 == 2); /* (4 + 0xfffffffe) mod 2^32, zero-extended */
    rune_wasm_val bp = wt_i32(14);
    CHECK_EQ_INT(call_i32("block_params", &bp, 1), 42);
}

TEST(memory_and_globals)
{
    /* the data segment "hello, wasm" at 16 */
    const char *hello = "hello, wasm";
    uint32_t want = 0;
    for (const char *p = hello; *p; p++)
        want += (uint8_t)*p;
    rune_wasm_val a[2] = {wt_i32(16), wt_i32((uint32_t)strlen(hello))};
    CHECK_EQ_INT(call_i32("sum_bytes", a, 2), want);
    uint8_t *p = rune_wasm_memory_ptr(E.inst, 16, strlen(hello));
    CHECK(p && memcmp(p, hello, strlen(hello)) == 0);
    CHECK(rune_wasm_memory_ptr(E.inst, 65536 - 4, 5) == NULL);
    CHECK(rune_wasm_memory_ptr(E.inst, UINT64_MAX, 2) == NULL);
    char buf[4];
    CHECK_STATUS(rune_wasm_memory_read(E.inst, 65535, buf, 2, &E.err), RUNE_E_ARG);
    CHECK_CONTAINS(E.err.msg, "out of bounds");
    CHECK_OK(rune_wasm_memory_write(E.inst, 100, "abc", 3, &E.err), &E.err);
    CHECK_OK(rune_wasm_memory_read(E.inst, 101, buf, 2, &E.err), &E.err);
    CHECK(buf[0] == 'b' && buf[1] == 'c');

    rune_wasm_val sl[2] = {wt_i32(200), wt_i64(0x0123456789abcdefull)}, r;
    CHECK_OK(rune_wasm_call(E.inst, "store_load64", sl, 2, &r, 1, &E.err), &E.err);
    CHECK(r.i64 == 0x0123456789abcdefull);
    uint8_t le[8];
    CHECK_OK(rune_wasm_memory_read(E.inst, 208, le, 8, &E.err), &E.err);
    CHECK(le[0] == 0xef && le[7] == 0x01); /* little-endian in memory */

    rune_wasm_val fc[3] = {wt_i32(300), wt_i32(0x1ab), wt_i32(10)};
    CHECK_OK(rune_wasm_call(E.inst, "fill_copy", fc, 3, NULL, 0, &E.err), &E.err);
    uint8_t *q = rune_wasm_memory_ptr(E.inst, 300, 20);
    int all = q != NULL;
    for (int i = 0; q && i < 20; i++)
        all &= q[i] == 0xab;
    CHECK(all);

    CHECK_EQ_INT(call_i32("bump", NULL, 0), 8);
    CHECK_EQ_INT(call_i32("bump", NULL, 0), 9);
    rune_wasm_val g;
    char t = 0;
    CHECK_OK(rune_wasm_global_get(E.inst, "counter", &g, &t, &E.err), &E.err);
    CHECK_EQ_INT(g.i32, 9);
    CHECK_EQ_INT(t, 'i');
    CHECK_OK(rune_wasm_global_set(E.inst, "counter", wt_i32(40), &E.err), &E.err);
    CHECK_EQ_INT(call_i32("bump", NULL, 0), 41);
    CHECK_OK(rune_wasm_global_get(E.inst, "k", &g, &t, &E.err), &E.err);
    CHECK(g.i64 == (uint64_t)-5 && t == 'I');
    CHECK_STATUS(rune_wasm_global_set(E.inst, "k", wt_i64(1), &E.err), RUNE_E_ARG);
    CHECK_STATUS(rune_wasm_global_get(E.inst, "nope", &g, &t, &E.err), RUNE_E_NOT_FOUND);

    /* memory.grow up to the declared max of 4 pages, then -1 */
    CHECK_EQ_INT(call_i32("size", NULL, 0), 1);
    rune_wasm_val two = wt_i32(2), big = wt_i32(2);
    CHECK_EQ_INT(call_i32("grow", &two, 1), 1);
    CHECK_EQ_INT(rune_wasm_memory_size(E.inst), 3 * 65536);
    CHECK_EQ_INT(call_i32("grow", &big, 1), 0xffffffffu);
    CHECK_EQ_INT(call_i32("size", NULL, 0), 3);
}

TEST(floats)
{
    rune_wasm_val r;
    rune_wasm_val pk[3] = {wt_i32(0), rune_wasm_from_f64(1.5), rune_wasm_from_f64(-2.25)};
    CHECK_OK(rune_wasm_call(E.inst, "pick", pk, 3, &r, 1, &E.err), &E.err);
    CHECK(rune_wasm_f64(r) == -2.25);
    rune_wasm_val mn[2] = {rune_wasm_from_f32(0.0f), rune_wasm_from_f32(-0.0f)};
    CHECK_OK(rune_wasm_call(E.inst, "fmin", mn, 2, &r, 1, &E.err), &E.err);
    CHECK_EQ_INT(r.f32, 0x80000000u); /* min(+0, -0) = -0 */
    mn[0] = rune_wasm_from_f32(NAN);
    CHECK_OK(rune_wasm_call(E.inst, "fmin", mn, 2, &r, 1, &E.err), &E.err);
    CHECK(isnan(rune_wasm_f32(r)));
    rune_wasm_val mx[2] = {rune_wasm_from_f64(-0.0), rune_wasm_from_f64(0.0)};
    CHECK_OK(rune_wasm_call(E.inst, "fmax", mx, 2, &r, 1, &E.err), &E.err);
    CHECK(r.f64 == 0); /* +0 bits */
    const float near_in[] = {2.5f, 3.5f, -2.5f, 0.49999997f, 1e30f};
    for (int i = 0; i < 5; i++) {
        rune_wasm_val a = rune_wasm_from_f32(near_in[i]);
        CHECK_OK(rune_wasm_call(E.inst, "nearest", &a, 1, &r, 1, &E.err), &E.err);
        CHECK(rune_wasm_f32(r) == rintf(near_in[i]));
    }
    /* neg keeps a NaN payload bit-exact */
    rune_wasm_val nan = wt_i32(0x7fa00001u);
    CHECK_OK(rune_wasm_call(E.inst, "fneg", &nan, 1, &r, 1, &E.err), &E.err);
    CHECK_EQ_INT(r.f32, 0xffa00001u);
    const double sat_in[] = {1e10, -1e10, NAN, -3.9, 2147483647.5};
    const uint32_t sat_out[] = {0x7fffffffu, 0x80000000u, 0, (uint32_t)-3, 0x7fffffffu};
    for (int i = 0; i < 5; i++) {
        rune_wasm_val a = rune_wasm_from_f64(sat_in[i]);
        CHECK_EQ_INT(call_i32("sat", &a, 1), sat_out[i]);
    }
    rune_wasm_val e8 = wt_i32(0x1280);
    CHECK_EQ_INT(call_i32("ext8", &e8, 1), 0xffffff80u);
    rune_wasm_val rl[2] = {wt_i64(0x8000000000000001ull), wt_i64(65)};
    CHECK_OK(rune_wasm_call(E.inst, "rotl", rl, 2, &r, 1, &E.err), &E.err);
    CHECK(r.i64 == 0x0000000000000003ull); /* count mod 64 */
    rune_wasm_val sh[2] = {wt_i32(0x80000000u), wt_i32(33)};
    CHECK_EQ_INT(call_i32("shr_s", sh, 2), 0xc0000000u); /* shift count mod 32 */
}

/* Call name expecting a trap of kind k; the message carries the text, the function and offset. */
static void expect_trap(const char *name, const rune_wasm_val *args, size_t n, size_t nres,
                        rune_wasm_trap k)
{
    rune_wasm_val r[2];
    rune_error_clear(&E.err);
    rune_status st = rune_wasm_call(E.inst, name, args, n, r, nres, &E.err);
    CHECK_STATUS(st, RUNE_E_TRAP);
    CHECK_EQ_INT(E.err.code, k);
    CHECK_CONTAINS(E.err.msg, rune_wasm_trap_text(k));
    CHECK_CONTAINS(E.err.msg, "(func ");
    CHECK_CONTAINS(E.err.msg, "offset 0x");
}

TEST(traps)
{
    rune_wasm_val d[2] = {wt_i32(7), wt_i32(0)};
    expect_trap("div_s", d, 2, 1, RUNE_WASM_TRAP_DIV_ZERO);
    rune_wasm_val o[2] = {wt_i32(0x80000000u), wt_i32(0xffffffffu)};
    expect_trap("div_s", o, 2, 1, RUNE_WASM_TRAP_INT_OVERFLOW);
    CHECK_EQ_INT(call_i32("rem_s", o, 2), 0); /* INT_MIN % -1 is 0, no trap */
    rune_wasm_val f = rune_wasm_from_f32(3e9f);
    expect_trap("trunc", &f, 1, 1, RUNE_WASM_TRAP_INT_OVERFLOW);
    f = rune_wasm_from_f32(NAN);
    expect_trap("trunc", &f, 1, 1, RUNE_WASM_TRAP_INVALID_CONVERSION);
    rune_wasm_val a = wt_i32((uint32_t)rune_wasm_memory_size(E.inst) - 3);
    expect_trap("oob", &a, 1, 1, RUNE_WASM_TRAP_MEMORY_OOB);
    a = wt_i32(0xfffffffcu);
    expect_trap("oob", &a, 1, 1, RUNE_WASM_TRAP_MEMORY_OOB);
    expect_trap("boom", NULL, 0, 0, RUNE_WASM_TRAP_UNREACHABLE);
    expect_trap("null_call", NULL, 0, 1, RUNE_WASM_TRAP_UNINIT_ELEMENT);
    expect_trap("bad_sig", NULL, 0, 1, RUNE_WASM_TRAP_INDIRECT_MISMATCH);
    expect_trap("past_table", NULL, 0, 1, RUNE_WASM_TRAP_UNDEFINED_ELEMENT);
    /* the function index in the message is the export's */
    rune_wasm_func fn;
    CHECK_OK(rune_wasm_find_func(E.inst, "boom", &fn, &E.err), &E.err);
    char want[32];
    snprintf(want, sizeof want, "(func %u,", (unsigned)fn.index);
    rune_wasm_call(E.inst, "boom", NULL, 0, NULL, 0, &E.err);
    CHECK_CONTAINS(E.err.msg, want);
    /* the instance still works after traps */
    rune_wasm_val ok[2] = {wt_i32(2), wt_i32(3)};
    CHECK_EQ_INT(call_i32("add", ok, 2), 5);
}

TEST(tables)
{
    /* grows 4 -> 6 with $mul, copies slot 5 to 3, calls it: size 6 + 6*7 */
    CHECK_EQ_INT(call_i32("table_ops", NULL, 0), 6 + 42);
}

TEST(api_errors)
{
    rune_wasm_val r;
    CHECK_STATUS(rune_wasm_call(E.inst, "missing", NULL, 0, &r, 1, &E.err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(E.err.msg, "missing");
    rune_wasm_val one = wt_i32(1);
    CHECK_STATUS(rune_wasm_call(E.inst, "add", &one, 1, &r, 1, &E.err), RUNE_E_ARG);
    CHECK_CONTAINS(E.err.msg, "takes 2 arguments");
    rune_wasm_func fn;
    CHECK_OK(rune_wasm_find_func(E.inst, "multi", &fn, &E.err), &E.err);
    CHECK_STR(fn.sig, "ii:iiI");
    CHECK_EQ_INT(rune_wasm_module_export_count(E.mod) > 20, 1);
    rune_wasm_extern_desc d;
    int saw_memory = 0;
    for (size_t i = 0; i < rune_wasm_module_export_count(E.mod); i++) {
        CHECK_OK(rune_wasm_module_export(E.mod, i, &d), NULL);
        if (d.kind == RUNE_WASM_EXTERN_MEMORY) {
            saw_memory = 1;
            CHECK_STR(d.name, "memory");
            CHECK_EQ_INT(d.min, 1);
            CHECK_EQ_INT(d.max, 4);
        }
    }
    CHECK(saw_memory);
    CHECK_STATUS(rune_wasm_module_export(E.mod, 1000, &d), RUNE_E_ARG);
    CHECK_EQ_INT(rune_wasm_engine_kind_parse("interp"), RUNE_WASM_INTERP);
    CHECK_EQ_INT(rune_wasm_engine_kind_parse("jit"), -1);
    CHECK_STR(rune_wasm_trap_text(RUNE_WASM_TRAP_DIV_ZERO), "integer divide by zero");
}

/* After instantiation the interpreter allocates nothing: with every allocation failing, calls,
 * memory.grow, table.grow, traps and global access all still work. */
TEST(no_allocation_after_instantiation)
{
    rune_alloc_fail_after(0);
    rune_wasm_val a[2] = {wt_i32(2), wt_i32(3)}, r;
    rune_status st1 = rune_wasm_call(E.inst, "add", a, 2, &r, 1, &E.err);
    rune_wasm_val n = wt_i64(10);
    rune_status st2 = rune_wasm_call(E.inst, "fac", &n, 1, &r, 1, &E.err);
    rune_wasm_val one = wt_i32(1);
    rune_status st3 = rune_wasm_call(E.inst, "grow", &one, 1, &r, 1, &E.err);
    rune_status st4 = rune_wasm_call(E.inst, "table_ops", NULL, 0, &r, 1, &E.err);
    rune_status st5 = rune_wasm_call(E.inst, "boom", NULL, 0, NULL, 0, &E.err);
    rune_status st6 = rune_wasm_global_set(E.inst, "counter", wt_i32(1), &E.err);
    long made = rune_alloc_fail_after(-1);
    CHECK_OK(st1, &E.err);
    CHECK_OK(st2, &E.err);
    CHECK_OK(st3, &E.err);
    CHECK_OK(st4, &E.err);
    CHECK_STATUS(st5, RUNE_E_TRAP);
    CHECK_OK(st6, &E.err);
    CHECK_EQ_INT(made, 0);
}

int main(void)
{
    long live = rune_alloc_live();
    if (!wt_open(&E, "basic", NULL, NULL)) return 1;
    RUN(arith_and_control);
    RUN(memory_and_globals);
    RUN(floats);
    RUN(traps);
    RUN(tables);
    RUN(api_errors);
    RUN(no_allocation_after_instantiation);
    wt_close(&E);
    if (rune_alloc_live() != live) {
        fprintf(stderr, "leak: %ld allocations live\n", rune_alloc_live() - live);
        return 1;
    }
    return test_report();
}
