/*
 * fuzz_wasm_load.c - libFuzzer harness: bytes -> load (decode + validate + compile) -> link every
 * import to a stub of the right type -> instantiate under small limits -> call every exported
 * function with zero arguments under a fuel budget. Any crash, sanitizer report or leak is a bug;
 * errors are expected and fine.
 */
#include <stdint.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/wasm.h"

static rune_status stub(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                        rune_wasm_val *results, rune_error *err)
{
    size_t nres = (size_t)(uintptr_t)user;
    for (size_t i = 0; i < nres; i++)
        results[i].i64 = 0;
    return RUNE_OK;
}

static void link_imports(rune_wasm_module *mod, rune_wasm_linker *l)
{
    rune_error err;
    for (size_t i = 0; i < rune_wasm_module_import_count(mod); i++) {
        rune_wasm_extern_desc d;
        if (rune_wasm_module_import(mod, i, &d) != RUNE_OK) continue;
        switch (d.kind) {
        case RUNE_WASM_EXTERN_FUNC: {
            const char *colon = strchr(d.sig, ':');
            size_t nres = colon ? strlen(colon + 1) : 0;
            rune_wasm_linker_define_func(l, d.module, d.name, d.sig, stub, (void *)(uintptr_t)nres,
                                         &err);
            break;
        }
        case RUNE_WASM_EXTERN_GLOBAL: {
            rune_wasm_val v;
            v.i64 = 0;
            if (d.sig[0] == 'i' || d.sig[0] == 'I' || d.sig[0] == 'f' || d.sig[0] == 'F')
                rune_wasm_linker_define_global(l, d.module, d.name, d.sig[0], d.mutable_, v, &err);
            break;
        }
        case RUNE_WASM_EXTERN_MEMORY:
            rune_wasm_linker_define_memory(l, d.module, d.name, d.min,
                                           d.max == UINT32_MAX ? UINT32_MAX : d.max, &err);
            break;
        case RUNE_WASM_EXTERN_TABLE:
            rune_wasm_linker_define_table(l, d.module, d.name, d.min, d.max, &err);
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rune_wasm_engine *eng;
    rune_error err;
    if (!eng && rune_wasm_engine_new(RUNE_WASM_INTERP, NULL, &eng, &err) != RUNE_OK) return 0;
    long live = rune_alloc_live();
    rune_wasm_module *mod = NULL;
    if (rune_wasm_module_load(eng, data, size, &mod, &err) != RUNE_OK) {
        if (rune_alloc_live() != live) __builtin_trap();
        return 0;
    }
    rune_wasm_linker *l = NULL;
    rune_wasm_linker_new(&l, &err);
    if (l) link_imports(mod, l);
    rune_wasm_limits lim = {0};
    lim.max_memory_pages = 4;
    lim.stack_slots = 4096;
    lim.max_call_depth = 100;
    lim.fuel = 20000;
    rune_wasm_instance *inst = NULL;
    if (l && rune_wasm_instantiate(mod, l, &lim, &inst, &err) == RUNE_OK) {
        for (size_t i = 0; i < rune_wasm_module_export_count(mod); i++) {
            rune_wasm_extern_desc d;
            if (rune_wasm_module_export(mod, i, &d) != RUNE_OK || d.kind != RUNE_WASM_EXTERN_FUNC)
                continue;
            rune_wasm_func fn;
            if (rune_wasm_find_func(inst, d.name, &fn, &err) != RUNE_OK) continue;
            const char *colon = strchr(fn.sig, ':');
            size_t np = (size_t)(colon - fn.sig), nr = strlen(colon + 1);
            rune_wasm_val args[RUNE_WASM_SIG_MAX], res[RUNE_WASM_SIG_MAX];
            memset(args, 0, sizeof args);
            rune_wasm_call_func(inst, &fn, args, np, res, nr, &err);
            /* the memory accessors on whatever state the call left */
            uint64_t sz = rune_wasm_memory_size(inst);
            if (sz && !rune_wasm_memory_ptr(inst, sz - 1, 1)) __builtin_trap();
            if (rune_wasm_memory_ptr(inst, sz, 1)) __builtin_trap();
        }
    }
    rune_wasm_instance_free(inst);
    rune_wasm_linker_free(l);
    rune_wasm_module_free(mod);
    if (rune_alloc_live() != live) __builtin_trap();
    return 0;
}
