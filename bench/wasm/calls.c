/*
 * calls.c - the guest side of bench_call (the call-boundary microbenchmark), compiled natively and
 * to wasm32: an empty export, an export that calls one host import, and a loop of n import calls
 * inside the guest. Workload: each function does nothing but the calls, so timing them measures
 * what crossing the engine's boundary costs.
 */
#include <stdint.h>

#if defined(__wasm__)
#define EXPORT(name) __attribute__((export_name(name)))
__attribute__((import_module("env"), import_name("id"))) uint32_t host_id(uint32_t x);
#else
#define EXPORT(name)
extern uint32_t (*volatile bench_call_host)(uint32_t);
#define host_id(x) bench_call_host(x)
#endif

EXPORT("nop") uint32_t c_nop(uint32_t x)
{
    return x + 1;
}

EXPORT("one_import") uint32_t c_one_import(uint32_t x)
{
    return host_id(x) + 1;
}

EXPORT("imports") uint32_t c_imports(uint32_t n)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += host_id(i);
    return s;
}
