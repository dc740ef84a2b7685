/*
 * spectest_host.c - the standard "spectest" host module every spec .wast file may import:
 * print, print_i32, print_i64, print_f32, print_f64, print_i32_f32, print_f64_f64 (they print
 * nothing unless asked: the runner's output is the summary), global_i32/i64/f32/f64 = 666,
 * table 10..20 funcref, memory 1..2.
 */
#include <stdio.h>

#include "spectest.h"

static rune_status print_fn(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                            rune_wasm_val *results, rune_error *err)
{
    (void)inst;
    (void)args;
    (void)results;
    (void)err;
    const char *name = user;
    if (spectest_echo) printf("spectest: %s\n", name);
    return RUNE_OK;
}

rune_status spectest_define_host(rune_wasm_linker *l, rune_error *err)
{
    static const struct {
        const char *name, *sig;
    } fns[] = {
        {"print", ":"},           {"print_i32", "i:"}, {"print_i64", "I:"},
        {"print_f32", "f:"},      {"print_f64", "F:"}, {"print_i32_f32", "if:"},
        {"print_f64_f64", "FF:"},
    };
    rune_status st;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        st = rune_wasm_linker_define_func(l, "spectest", fns[i].name, fns[i].sig, print_fn,
                                          (void *)fns[i].name, err);
        if (st) return st;
    }
    rune_wasm_val v;
    v.i64 = 0;
    v.i32 = 666;
    if ((st = rune_wasm_linker_define_global(l, "spectest", "global_i32", 'i', 0, v, err)))
        return st;
    v.i64 = 666;
    if ((st = rune_wasm_linker_define_global(l, "spectest", "global_i64", 'I', 0, v, err)))
        return st;
    v = rune_wasm_from_f32(666.0f);
    if ((st = rune_wasm_linker_define_global(l, "spectest", "global_f32", 'f', 0, v, err)))
        return st;
    v = rune_wasm_from_f64(666.0);
    if ((st = rune_wasm_linker_define_global(l, "spectest", "global_f64", 'F', 0, v, err)))
        return st;
    if ((st = rune_wasm_linker_define_table(l, "spectest", "table", 10, 20, err))) return st;
    return rune_wasm_linker_define_memory(l, "spectest", "memory", 1, 2, err);
}
