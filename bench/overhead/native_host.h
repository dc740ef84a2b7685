/* native_host.h - the native baseline host of bench/overhead (see native_host.c). */
#ifndef RUNE_BENCH_NATIVE_HOST_H
#define RUNE_BENCH_NATIVE_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void native_host_init(const uint8_t *model_data, size_t len, uint64_t seed, FILE *out);
void native_host_reset(void);
/* The generated pipeline's entry points (rune build --keep-c), compiled natively. */
int32_t rune_manifest_(void);
int32_t rune_call_(void);

#endif
