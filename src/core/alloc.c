/*
 * alloc.c - the single allocation path of librune (see rune/alloc.h).
 *
 * Live-allocation counting and fault injection cost one branch and one counter update per call;
 * they are always on so that the same binary used in tests is the one measured in benchmarks.
 * The counters are C11 atomics with relaxed ordering (runicosd allocates on two threads; they
 * count, they order nothing); a toolchain without <stdatomic.h> gets plain counters. Fault
 * injection itself is for single-threaded tests.
 */
#include "rune/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
typedef atomic_long counter;
#define COUNT_ADD(c, n) atomic_fetch_add_explicit(&(c), (n), memory_order_relaxed)
#define COUNT_GET(c) atomic_load_explicit(&(c), memory_order_relaxed)
#define COUNT_SWAP(c, v) atomic_exchange_explicit(&(c), (v), memory_order_relaxed)
#else
typedef long counter;
#define COUNT_ADD(c, n) ((c) += (n))
#define COUNT_GET(c) (c)
static long count_swap(long *c, long v)
{
    long old = *c;
    *c = v;
    return old;
}
#define COUNT_SWAP(c, v) count_swap(&(c), (v))
#endif

static void *libc_malloc(void *ud, size_t size)
{
    (void)ud;
    return malloc(size);
}
static void *libc_realloc(void *ud, void *p, size_t size)
{
    (void)ud;
    return realloc(p, size);
}
static void libc_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

static rune_alloc_hooks hooks = {libc_malloc, libc_realloc, libc_free, NULL};
static counter fail_countdown = -1; /* -1: never fail */
static counter made_since = 0;
static counter live = 0;

void rune_alloc_set_hooks(const rune_alloc_hooks *h)
{
    if (h)
        hooks = *h;
    else
        hooks = (rune_alloc_hooks){libc_malloc, libc_realloc, libc_free, NULL};
}

long rune_alloc_fail_after(long n)
{
    long made = COUNT_SWAP(made_since, 0);
    COUNT_SWAP(fail_countdown, n);
    return made;
}

long rune_alloc_live(void)
{
    return COUNT_GET(live);
}

/* Returns 1 if this allocation must fail (fault injection). */
static int should_fail(void)
{
    long left = COUNT_GET(fail_countdown);
    if (left < 0) return 0;
    if (left == 0) return 1;
    COUNT_ADD(fail_countdown, -1);
    return 0;
}

void *rune_malloc(size_t size)
{
    if (should_fail()) return NULL;
    void *p = hooks.malloc_fn(hooks.ud, size ? size : 1);
    if (p) {
        COUNT_ADD(live, 1);
        COUNT_ADD(made_since, 1);
    }
    return p;
}

void *rune_calloc(size_t n, size_t size)
{
    size_t total;
    if (rune_mul_overflow(n, size, &total)) return NULL;
    void *p = rune_malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

void *rune_realloc(void *p, size_t size)
{
    if (!p) return rune_malloc(size);
    if (should_fail()) return NULL;
    void *q = hooks.realloc_fn(hooks.ud, p, size ? size : 1);
    if (q) COUNT_ADD(made_since, 1);
    return q;
}

void *rune_malloc_array(size_t n, size_t size)
{
    size_t total;
    if (rune_mul_overflow(n, size, &total)) return NULL;
    return rune_malloc(total);
}

void *rune_realloc_array(void *p, size_t n, size_t size)
{
    size_t total;
    if (rune_mul_overflow(n, size, &total)) return NULL;
    return rune_realloc(p, total);
}

char *rune_strndup(const char *s, size_t n)
{
    if (!s) return NULL;
    size_t len = strnlen(s, n);
    char *d = rune_malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *rune_strdup(const char *s)
{
    return s ? rune_strndup(s, SIZE_MAX) : NULL;
}

void rune_free(void *p)
{
    if (!p) return;
    COUNT_ADD(live, -1);
    hooks.free_fn(hooks.ud, p);
}

int rune_mul_overflow(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 1;
    *out = a * b;
    return 0;
}

int rune_add_overflow(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a) return 1;
    *out = a + b;
    return 0;
}
