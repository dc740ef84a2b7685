/*
 * test_saga_hist.c - the log-linear histogram: bucket layout (contiguous, every value in its own
 * bucket's range, width within 2^-S of the value), and quantiles of known data sets against the
 * exact nearest-rank quantiles, within the bucket precision.
 */
#include "rune/saga.h"
#include "test.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(bucket_layout)
{
    CHECK_EQ_INT(rune_saga_hist_bucket_low(0), 0);
    for (size_t i = 0; i + 1 < RUNE_SAGA_HIST_BUCKETS; i++) {
        uint64_t lo = rune_saga_hist_bucket_low(i), hi = rune_saga_hist_bucket_high(i);
        CHECK(lo <= hi);
        CHECK_EQ_INT(rune_saga_hist_bucket_low(i + 1), hi + 1);
        CHECK_EQ_INT(rune_saga_hist_bucket(lo), i);
        CHECK_EQ_INT(rune_saga_hist_bucket(hi), i);
        /* width relative to the values in it */
        CHECK((hi - lo + 1) * (1u << RUNE_SAGA_HIST_SUB_BITS) <= lo || hi == lo);
    }
    /* values below 2^S are exact, values from 2^MAX_BITS on share the last bucket */
    for (uint64_t v = 0; v < (1u << RUNE_SAGA_HIST_SUB_BITS); v++)
        CHECK_EQ_INT(rune_saga_hist_bucket(v), v);
    CHECK_EQ_INT(rune_saga_hist_bucket((uint64_t)1 << RUNE_SAGA_HIST_MAX_BITS),
                 RUNE_SAGA_HIST_BUCKETS - 1);
    CHECK_EQ_INT(rune_saga_hist_bucket(UINT64_MAX), RUNE_SAGA_HIST_BUCKETS - 1);
    CHECK_EQ_INT(rune_saga_hist_bucket_high(RUNE_SAGA_HIST_BUCKETS - 1),
                 ((uint64_t)1 << RUNE_SAGA_HIST_MAX_BITS) - 1);
}

/* Record the data, then compare p for many q against the exact nearest-rank quantile. */
static void check_quantiles(uint64_t *v, size_t n)
{
    static rune_saga_hist h;
    rune_saga_hist_reset(&h);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        rune_saga_hist_record(&h, v[i]);
        sum += v[i];
    }
    qsort(v, n, sizeof *v, cmp_u64);
    CHECK_EQ_INT(h.count, n);
    CHECK(h.sum == sum);
    CHECK(h.min == v[0] && h.max == v[n - 1]);
    const double qs[] = {0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        size_t rank = (size_t)ceil(qs[k] * (double)n);
        if (rank < 1) rank = 1;
        uint64_t exact = v[rank - 1];
        uint64_t est = rune_saga_hist_quantile(&h, qs[k]);
        /* within half a bucket: 2^-(S+1) of the value, exact below 2^S */
        double tol = (double)exact / (double)(2u << RUNE_SAGA_HIST_SUB_BITS) + 0.5;
        CHECK_MSG_(fabs((double)est - (double)exact) <= tol, "q=%g: estimate %llu, exact %llu",
                   qs[k], (unsigned long long)est, (unsigned long long)exact);
    }
    CHECK_EQ_INT(rune_saga_hist_quantile(&h, 0), v[0]);
    CHECK_EQ_INT(rune_saga_hist_quantile(&h, 1), v[n - 1]);
}

TEST(quantiles_known_data)
{
    enum { N = 100000 };
    static uint64_t v[N];
    /* uniform 1..N */
    for (size_t i = 0; i < N; i++)
        v[i] = N - i;
    check_quantiles(v, N);
    /* a long-tailed latency-like set: 200 us base, exponential-ish tail from an LCG */
    uint32_t x = 12345;
    for (size_t i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;
        double u = (x >> 8) / 16777216.0;
        v[i] = 200 + (uint64_t)(-log(1.0 - u) * 1500.0);
    }
    check_quantiles(v, N);
    /* small exact values and one huge outlier */
    for (size_t i = 0; i < 999; i++)
        v[i] = i % 20;
    v[999] = (uint64_t)1 << 40;
    check_quantiles(v, 1000);
    /* a single value */
    v[0] = 123456;
    check_quantiles(v, 1);
    static rune_saga_hist h;
    rune_saga_hist_reset(&h);
    CHECK_EQ_INT(rune_saga_hist_quantile(&h, 0.5), 0);
}

int main(void)
{
    RUN(bucket_layout);
    RUN(quantiles_known_data);
    return test_report();
}
