/*
 * util.c - small utilities of src/smp: the monotonic millisecond clock of the timeouts, and the
 * bounded string join used for "rsn" reason texts.
 */
#include <string.h>
#include <time.h>

#include "smp_int.h"

uint64_t smp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void smp_strcat2(char *dst, size_t cap, const char *a, const char *b)
{
    if (!cap) return;
    size_t na = strlen(a), nb = strlen(b);
    if (na > cap - 1) na = cap - 1;
    memcpy(dst, a, na);
    if (nb > cap - 1 - na) nb = cap - 1 - na;
    memcpy(dst + na, b, nb);
    dst[na + nb] = 0;
}

uint64_t smp_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
