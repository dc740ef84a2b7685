/*
 * alloc.h - the one allocator of librune.
 *
 * All heap memory of librune goes through these functions, so an embedder can route it to its own
 * heap (rune_alloc_set_hooks) and tests can make the N-th allocation fail (rune_alloc_fail_after) to
 * check that every failure path returns RUNE_E_NOMEM and leaks nothing. Array helpers check the
 * multiplication for overflow. rune_free(NULL) is a no-op.
 */
#ifndef RUNE_ALLOC_H
#define RUNE_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *rune_malloc(size_t size);
void *rune_calloc(size_t n, size_t size);           /* zeroed; NULL on overflow */
void *rune_realloc(void *p, size_t size);
void *rune_malloc_array(size_t n, size_t size);     /* NULL on overflow of n*size */
void *rune_realloc_array(void *p, size_t n, size_t size);
char *rune_strdup(const char *s);
char *rune_strndup(const char *s, size_t n);
void rune_free(void *p);

/* Overflow-checked arithmetic: return 0 and store the result, or 1 on overflow. */
int rune_mul_overflow(size_t a, size_t b, size_t *out);
int rune_add_overflow(size_t a, size_t b, size_t *out);

typedef struct rune_alloc_hooks {
    void *(*malloc_fn)(void *ud, size_t size);
    void *(*realloc_fn)(void *ud, void *p, size_t size);
    void (*free_fn)(void *ud, void *p);
    void *ud;
} rune_alloc_hooks;

/* Route all allocation through hooks (NULL restores the C library). Not thread-safe: call at start. */
void rune_alloc_set_hooks(const rune_alloc_hooks *hooks);

/* Fault injection for tests: after n more successful allocations, every allocation fails until
 * rune_alloc_fail_after(-1) is called. Returns the count of allocations made since the last call. */
long rune_alloc_fail_after(long n);
/* Allocations currently live (allocated and not freed) through this allocator; for leak checks. */
long rune_alloc_live(void);

#ifdef __cplusplus
}
#endif
#endif
