/*
 * hostile.c - a rune that misbehaves on purpose, one way per value of its RAW input's first byte,
 * so the security tests can check that the host stops each misbehaviour with a clear error and
 * goes on. Built with clang --target=wasm32-wasi -mexec-model=reactor (no guest SDK: raw imports).
 */
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("runic"), import_name(name)))
IMPORT("capability_open") int32_t cap_open(int32_t kind, const void *p, int32_t n);
IMPORT("capability_read") int32_t cap_read(int32_t h, void *buf, int32_t n);
IMPORT("output_open") int32_t out_open(int32_t kind, const void *p, int32_t n);
IMPORT("output_write") int32_t out_write(int32_t h, const void *p, int32_t n);

static int32_t raw, serial;
static volatile int32_t sink;

__attribute__((export_name("_manifest"))) int32_t manifest(void)
{
    raw = cap_open(5 /* RAW */, "length=1\n", 9);
    serial = out_open(1 /* SERIAL */, "", 0);
    return raw < 0 ? raw : serial < 0 ? serial : 0;
}

static int32_t recurse(int32_t n)
{
    volatile int32_t pad[16];
    pad[n & 15] = n;
    return recurse(n + 1) + pad[(n + 3) & 15];
}

__attribute__((export_name("_call"))) int32_t call(void)
{
    uint8_t mode = 0;
    int32_t n = cap_read(raw, &mode, 1);
    if (n != 1) return n;
    switch (mode) {
    case 'i': /* open a capability the manifest does not declare */
        return cap_open(4 /* IMAGE */, "width=96\nheight=96\n", 19);
    case 'p': /* ask for more than declared */
        return cap_open(5 /* RAW */, "length=4096\n", 12);
    case 'm': /* hand the host a pointer past the end of memory */
        return cap_read(raw, (void *)0x7ffffff0, 64);
    case 'o': { /* read past the end of memory itself */
        volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(__builtin_wasm_memory_size(0) * 65536);
        return p[16];
    }
    case 'l': /* loop forever */
        for (;;) sink++;
    case 'r': /* recurse without end */
        return recurse(0);
    case 'u': /* trap */
        __builtin_trap();
    default: {
        static const char ok[] = "{\"ok\":true}";
        return out_write(serial, ok, sizeof ok - 1) < 0 ? -1 : 0;
    }
    }
}
