/*
 * mixed.c - differential-test module in C (clang --target=wasm32-wasi -O2): libc string formatting,
 * qsort through a function pointer, 64-bit and float arithmetic, switch tables, recursion. Every
 * export takes plain integers so the test can call it with arbitrary arguments; loops are bounded
 * by masking the inputs.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

static char buf[256];
static int32_t arr[512];

EXPORT("fmt") uint32_t fmt(int32_t a, int64_t b, double d)
{
    int n = snprintf(buf, sizeof buf, "%d|%lld|%.6g|%x|%s", a, (long long)b, d, (unsigned)a,
                     a & 1 ? "odd" : "even");
    uint32_t h = 2166136261u;
    for (int i = 0; i < n && i < (int)sizeof buf; i++)
        h = (h ^ (uint8_t)buf[i]) * 16777619u;
    return h;
}

static int cmp(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

EXPORT("sort") int32_t sort(uint32_t seed, uint32_t n)
{
    n &= 511;
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        arr[i] = (int32_t)seed;
    }
    qsort(arr, n, sizeof arr[0], cmp);
    int32_t acc = 0;
    for (uint32_t i = 0; i < n; i++)
        acc = acc * 31 + arr[i];
    return acc;
}

EXPORT("i64math") int64_t i64math(int64_t a, int64_t b)
{
    if (b == 0) b = 7;
    if (a == INT64_MIN && b == -1) b = 3;
    return a / b + a % b + (int64_t)((uint64_t)a >> (b & 63)) + (a * b);
}

EXPORT("fmath") double fmath(double x, float y)
{
    return sqrt(fabs(x)) + fmod(x, 3.25) + (double)floorf(y) + copysign(1.0, x) +
           fmax(x, (double)y);
}

EXPORT("toint") int32_t toint(double x)
{
    /* Guarded conversion: in range it converts, else a fixed code. */
    if (!(x > -2147483649.0 && x < 2147483648.0)) return x != x ? -7 : -9;
    return (int32_t)x;
}

EXPORT("classify") int32_t classify(int32_t x)
{
    switch (x & 15) {
    case 0: return 100;
    case 1: return x * 3;
    case 2: return x ^ 0x55;
    case 3: return -x;
    case 5: return x >> 2;
    case 8: return x << 3;
    case 9: return (int32_t)((uint32_t)x >> 5);
    case 13: return x % 7;
    default: return 0;
    }
}

static uint64_t ack(uint64_t m, uint64_t n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

EXPORT("ackermann") uint64_t ackermann(uint32_t m, uint32_t n)
{
    return ack(m & 1, n & 63) + ack(2, n & 7);
}

EXPORT("strops") uint32_t strops(uint32_t seed)
{
    char a[64], b[64];
    for (int i = 0; i < 63; i++) {
        seed = seed * 69069u + 1u;
        a[i] = (char)('a' + (seed >> 27) % 26);
    }
    a[63] = 0;
    memcpy(b, a, sizeof a);
    memmove(b + 3, b, 40);
    b[(seed >> 8) & 31] = 0;
    return (uint32_t)strlen(b) * 1000u + (uint32_t)(strstr(a, "a") ? strstr(a, "a") - a : 99) +
           (uint32_t)strcmp(a, b) * 7u;
}

EXPORT("peek") uint32_t peek(uint32_t addr)
{
    return *(volatile uint8_t *)(uintptr_t)addr;
}
