/*
 * test_wasm_memgrow.c - host functions reach guest memory through rune_wasm_memory_ptr, which reads
 * the engine's live memory fields: after the guest grows its memory (from the host call's own
 * instance, and from another instance that shares the memory) a host function must see the new
 * size and the bytes the guest wrote there, and still refuse what is out of bounds. Run on the
 * interpreter and, where it is built, the AOT engine (default compile cache), each through
 * rune_wasm_memory_ptr, through a view (rune_wasm_memory_view + rune_wasm_view_ptr) and through a
 * memory reference taken once after instantiation (rune_wasm_memory_ref + rune_wasm_memref_ptr /
 * rune_wasm_memref_view). Calls go through rune_wasm_call, and in the reference mode through
 * rune_wasm_call_prepared.
 */
#include "wasm_test.h"

enum { MODE_PTR, MODE_VIEW, MODE_REF };
typedef struct peek_ctx {
    int mode;
    rune_wasm_instance *h; /* the instance whose reference is ref_h; the other one: ref_u */
    rune_wasm_memref ref_h, ref_u;
} peek_ctx;

/* env.peek(addr, len): the u32 at addr, or -1 when [addr, addr+len) is not inside memory 0. */
static rune_status h_peek(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                          rune_wasm_val *r, rune_error *err)
{
    const peek_ctx *c = user;
    const uint8_t *p = NULL;
    if (c->mode == MODE_REF) {
        const rune_wasm_memref *ref = inst == c->h ? &c->ref_h : &c->ref_u;
        if (!ref->base) return RUNE_ERR(err, RUNE_E_ARG, "no memory reference");
        uint64_t size = 0;
        uint8_t *base = rune_wasm_memref_view(ref, &size);
        if (size != rune_wasm_memory_size(inst)) return RUNE_ERR(err, RUNE_E_ARG, "ref size");
        p = rune_wasm_memref_ptr(ref, a[0].i32, a[1].i32);
        if (p != rune_wasm_view_ptr(base, size, a[0].i32, a[1].i32))
            return RUNE_ERR(err, RUNE_E_ARG, "memref_ptr and view_ptr disagree");
    } else if (c->mode == MODE_VIEW) {
        /* the view path (rune_wasm_memory_view + rune_wasm_view_ptr) */
        uint64_t size = 0;
        uint8_t *base = rune_wasm_memory_view(inst, &size);
        if (size != rune_wasm_memory_size(inst)) return RUNE_ERR(err, RUNE_E_ARG, "view size");
        p = rune_wasm_view_ptr(base, size, a[0].i32, a[1].i32);
    } else {
        p = rune_wasm_memory_ptr(inst, a[0].i32, a[1].i32);
    }
    uint32_t v = 0xffffffffu;
    if (p) memcpy(&v, p, 4);
    r[0].i64 = 0;
    r[0].i32 = v;
    return RUNE_OK;
}

static int g_prepared; /* call1 goes through rune_wasm_find_func + rune_wasm_call_prepared */

static uint32_t call1(rune_wasm_instance *inst, const char *name, uint32_t x, rune_error *err)
{
    rune_wasm_val a = wt_i32(x), r;
    r.i64 = 0;
    r.i32 = 0x5a5a5a5au;
    if (g_prepared) {
        rune_wasm_func fn;
        CHECK_OK(rune_wasm_find_func(inst, name, &fn, err), err);
        CHECK(strcmp(fn.sig, "i:i") == 0);
        CHECK_OK(rune_wasm_call_prepared(inst, &fn, &a, &r, err), err);
    } else {
        CHECK_OK(rune_wasm_call(inst, name, &a, 1, &r, 1, err), err);
    }
    return r.i32;
}

static uint32_t call2(rune_wasm_instance *inst, const char *name, uint32_t x, uint32_t y,
                      rune_error *err)
{
    rune_wasm_val a[2] = {wt_i32(x), wt_i32(y)}, r;
    r.i64 = 0;
    r.i32 = 0x5a5a5a5au;
    CHECK_OK(rune_wasm_call(inst, name, a, 2, &r, 1, err), err);
    return r.i32;
}

static rune_wasm_module *load(rune_wasm_engine *eng, const char *name, rune_error *err)
{
    size_t len = 0;
    uint8_t *b = wt_read(name, &len);
    rune_wasm_module *mod = NULL;
    if (b) CHECK_OK(rune_wasm_module_load(eng, b, len, &mod, err), err);
    free(b);
    return mod;
}

static void run_engine(rune_wasm_engine_kind kind, int mode)
{
    peek_ctx ctx = {.mode = mode};
    g_prepared = mode == MODE_REF;
    rune_error err;
    rune_wasm_engine *eng = NULL;
    rune_status st = rune_wasm_engine_new(kind, NULL, &eng, &err);
    if (st == RUNE_E_UNSUPPORTED) {
        fprintf(stderr, "note: engine %d not built in, skipped\n", (int)kind);
        return;
    }
    CHECK_OK(st, &err);
    if (st) return;
    rune_wasm_linker *l = NULL;
    CHECK_OK(rune_wasm_linker_new(&l, &err), &err);
    CHECK_OK(rune_wasm_linker_define_func(l, "env", "peek", "ii:i", h_peek, &ctx, &err), &err);
    rune_wasm_module *hm = load(eng, "memgrow_host", &err), *um = load(eng, "memgrow_user", &err);
    rune_wasm_instance *h = NULL, *u = NULL;
    if (hm) CHECK_OK(rune_wasm_instantiate(hm, l, NULL, &h, &err), &err);
    if (h) CHECK_OK(rune_wasm_linker_define_instance(l, "lib", h, &err), &err);
    if (h && um) CHECK_OK(rune_wasm_instantiate(um, l, NULL, &u, &err), &err);
    if (h && u && mode == MODE_REF) {
        /* taken once, before the memory grows; both reach the one shared memory */
        ctx.h = h;
        CHECK_OK(rune_wasm_memory_ref(h, &ctx.ref_h, &err), &err);
        CHECK_OK(rune_wasm_memory_ref(u, &ctx.ref_u, &err), &err);
        CHECK(ctx.ref_h.base && ctx.ref_h.base == ctx.ref_u.base);
        /* a function index the instance does not have is refused, not called */
        rune_wasm_func bad = {.index = 1000000, .sig = "i:i"};
        rune_wasm_val a = wt_i32(0), r;
        CHECK_EQ_INT(rune_wasm_call_prepared(h, &bad, &a, &r, &err), RUNE_E_ARG);
        CHECK(strstr(err.msg, "bad function index") != NULL);
    }
    if (h && u) {
        const uint32_t P = 65536;
        /* one page: its last word is in, the next byte is not */
        CHECK_EQ_INT(rune_wasm_memory_size(h), P);
        CHECK_EQ_INT(call1(h, "peek", P - 4, &err), 0);
        CHECK_EQ_INT(call1(h, "peek", P - 3, &err), 0xffffffffu);
        CHECK_EQ_INT(call1(h, "peek", P, &err), 0xffffffffu);
        CHECK(rune_wasm_memory_ptr(h, P, 1) == NULL);
        /* the guest grows by two pages and writes at the new end: the host reads it */
        CHECK_EQ_INT(call1(h, "grow", 2, &err), 1);
        CHECK_EQ_INT(rune_wasm_memory_size(h), 3 * P);
        CHECK_EQ_INT(call2(h, "store_peek", 3 * P - 4, 0xdeadbeefu, &err), 0xdeadbeefu);
        CHECK_EQ_INT(call1(h, "peek", 3 * P - 3, &err), 0xffffffffu);
        /* a grow beyond the declared maximum fails and changes nothing */
        CHECK_EQ_INT(call1(h, "grow", 2, &err), 0xffffffffu);
        CHECK_EQ_INT(call1(h, "peek", 3 * P, &err), 0xffffffffu);
        /* the other instance sees the grown memory and the bytes in it */
        CHECK_EQ_INT(call1(u, "peek", 3 * P - 4, &err), 0xdeadbeefu);
        CHECK_EQ_INT(rune_wasm_memory_size(u), 3 * P);
        /* grown inside the same call as the host read, through the other instance */
        CHECK_EQ_INT(call2(h, "grow_peek", 0, 4 * P - 4, &err), 0xffffffffu);
        CHECK_EQ_INT(call1(u, "grow", 1, &err), 3);
        CHECK_EQ_INT(call1(h, "peek", 4 * P - 4, &err), 0);
        CHECK_EQ_INT(call1(u, "peek", 4 * P - 4, &err), 0);
        CHECK_EQ_INT(call1(h, "peek", 4 * P - 3, &err), 0xffffffffu);
        CHECK_EQ_INT(rune_wasm_memory_size(h), 4 * P);
        uint8_t *p = rune_wasm_memory_ptr(h, 3 * P - 4, 4),
                *q = rune_wasm_memory_ptr(u, 3 * P - 4, 4);
        CHECK(p != NULL && p == q);
        CHECK(rune_wasm_memory_ptr(h, 0, 4 * P) != NULL);
        CHECK(rune_wasm_memory_ptr(h, 0, 4 * P + 1) == NULL);
        CHECK(rune_wasm_memory_ptr(h, UINT64_MAX, 2) == NULL);
    }
    rune_wasm_instance_free(u);
    rune_wasm_instance_free(h);
    rune_wasm_module_free(um);
    rune_wasm_module_free(hm);
    rune_wasm_linker_free(l);
    rune_wasm_engine_free(eng);
}

TEST(memgrow_interp)
{
    run_engine(RUNE_WASM_INTERP, MODE_PTR);
    run_engine(RUNE_WASM_INTERP, MODE_VIEW);
    run_engine(RUNE_WASM_INTERP, MODE_REF);
}

TEST(memgrow_aot)
{
    run_engine(RUNE_WASM_AOT, MODE_PTR);
    run_engine(RUNE_WASM_AOT, MODE_VIEW);
    run_engine(RUNE_WASM_AOT, MODE_REF);
}

TEST(no_memory)
{
    /* a module without memory (the empty module): no pointer, whatever is asked */
    static const uint8_t empty[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    rune_error err;
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_linker *l = NULL;
    rune_wasm_instance *inst = NULL;
    CHECK_OK(rune_wasm_engine_new(RUNE_WASM_INTERP, NULL, &eng, &err), &err);
    if (eng) CHECK_OK(rune_wasm_module_load(eng, empty, sizeof empty, &mod, &err), &err);
    CHECK_OK(rune_wasm_linker_new(&l, &err), &err);
    if (mod) CHECK_OK(rune_wasm_instantiate(mod, l, NULL, &inst, &err), &err);
    if (inst) {
        CHECK(rune_wasm_memory_ptr(inst, 0, 0) == NULL);
        CHECK(rune_wasm_memory_ptr(inst, 0, 1) == NULL);
        uint64_t size = 1;
        CHECK(rune_wasm_memory_view(inst, &size) == NULL);
        CHECK_EQ_INT(size, 0);
        CHECK(rune_wasm_view_ptr(NULL, 0, 0, 0) == NULL);
        CHECK_EQ_INT(rune_wasm_memory_size(inst), 0);
        /* no reference to take: refused, the output zeroed */
        rune_wasm_memref ref = {(uint8_t *const *)&ref, (const uint32_t *)&ref};
        CHECK_EQ_INT(rune_wasm_memory_ref(inst, &ref, &err), RUNE_E_NOT_FOUND);
        CHECK(ref.base == NULL && ref.pages == NULL);
        CHECK(strstr(err.msg, "no live memory") != NULL);
    }
    CHECK_EQ_INT(rune_wasm_memory_ref(NULL, NULL, &err), RUNE_E_ARG);
    CHECK(rune_wasm_memory_ptr(NULL, 0, 0) == NULL);
    CHECK_EQ_INT(rune_wasm_memory_size(NULL), 0);
    rune_wasm_instance_free(inst);
    rune_wasm_linker_free(l);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
}

int main(void)
{
    long live = rune_alloc_live();
    RUN(memgrow_interp);
    RUN(memgrow_aot);
    RUN(no_memory);
    if (rune_alloc_live() != live) {
        fprintf(stderr, "leak: %ld allocations live\n", rune_alloc_live() - live);
        return 1;
    }
    return test_report();
}
