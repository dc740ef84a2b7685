/*
 * hist.c - log-linear latency histogram (HdrHistogram-like) with nearest-rank quantiles.
 *
 * Workload: one sample per inference (from a few per second to thousands), quantiles read when
 * someone asks for metrics. Recording is a bit scan and an increment; no per-sample storage.
 * Layout: index v for v < 2^S; above, for the highest set bit m of v, shift = m - S and
 * index = (shift + 1) * 2^S + (v >> shift) - 2^S, so each power of two has 2^S buckets of width
 * 2^shift, i.e. at most 2^-S of the values in it.
 */
#include <string.h>

#include "rune/saga.h"

#define SUB (1u << RUNE_SAGA_HIST_SUB_BITS)

void rune_saga_hist_reset(rune_saga_hist *h)
{
    memset(h, 0, sizeof *h);
}

size_t rune_saga_hist_bucket(uint64_t v)
{
    if (v < SUB) return (size_t)v;
    if (v >> RUNE_SAGA_HIST_MAX_BITS) return RUNE_SAGA_HIST_BUCKETS - 1;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - RUNE_SAGA_HIST_SUB_BITS;
    return ((size_t)(shift + 1) << RUNE_SAGA_HIST_SUB_BITS) + (size_t)((v >> shift) - SUB);
}

uint64_t rune_saga_hist_bucket_low(size_t i)
{
    if (i < SUB) return i;
    int shift = (int)(i >> RUNE_SAGA_HIST_SUB_BITS) - 1;
    return (uint64_t)((i & (SUB - 1)) + SUB) << shift;
}

uint64_t rune_saga_hist_bucket_high(size_t i)
{
    if (i < SUB) return i;
    int shift = (int)(i >> RUNE_SAGA_HIST_SUB_BITS) - 1;
    return rune_saga_hist_bucket_low(i) + (((uint64_t)1 << shift) - 1);
}

void rune_saga_hist_record(rune_saga_hist *h, uint64_t v)
{
    if (h->count == 0 || v < h->min) h->min = v;
    if (v > h->max) h->max = v;
    h->count++;
    h->sum += v;
    uint32_t *b = &h->b[rune_saga_hist_bucket(v)];
    if (*b != UINT32_MAX) (*b)++;
}

uint64_t rune_saga_hist_quantile(const rune_saga_hist *h, double q)
{
    if (h->count == 0) return 0;
    if (!(q > 0)) return h->min;
    if (q >= 1) return h->max;
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if ((double)rank < q * (double)h->count) rank++;
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < RUNE_SAGA_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t lo = rune_saga_hist_bucket_low(i), hi = rune_saga_hist_bucket_high(i);
            uint64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min) mid = h->min;
            if (mid > h->max) mid = h->max;
            return mid;
        }
    }
    return h->max;
}
