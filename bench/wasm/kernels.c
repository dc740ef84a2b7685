/*
 * kernels.c - compute kernels for the wasm benchmark and the differential test, compiled both
 * natively (-O2) and to wasm32 (clang --target=wasm32-wasi -O2). Each kernel takes a repeat count
 * and returns a checksum of its results, so runs on different engines can be compared.
 *   k_fft      1024-point complex radix-2 FFT (float)
 *   k_matmul   64x64 float matrix multiply
 *   k_crc32    bytewise table CRC-32 over 16 KiB
 *   k_sort     heap sort of 4096 pseudo-random 32-bit keys
 *   k_conv     int8 3x3 convolution, 16x16x8 -> 16x16x8, int32 accumulators, requantized
 * No libc calls: the wasm build needs no imports. Workload: each call a few ms natively.
 */
#include <stdint.h>

#if defined(__wasm__)
#define EXPORT(name) __attribute__((export_name(name)))
#else
#define EXPORT(name)
#endif

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

static uint32_t fbits(float f)
{
    union {
        float f;
        uint32_t u;
    } v;
    v.f = f;
    return v.u;
}

/* ---- FFT ---- */
#define FFT_N 1024
static float fre[FFT_N], fim[FFT_N], twr[FFT_N / 2], twi[FFT_N / 2];

/* sin/cos by Taylor series after range reduction to [-pi, pi]: good to ~1e-6, no libm. */
static float k_sin(float x)
{
    const float pi = 3.14159265358979f;
    while (x > pi)
        x -= 2 * pi;
    while (x < -pi)
        x += 2 * pi;
    float x2 = x * x, term = x, sum = x;
    for (int i = 1; i < 10; i++) {
        term *= -x2 / (float)((2 * i) * (2 * i + 1));
        sum += term;
    }
    return sum;
}

static void fft_once(void)
{
    int n = FFT_N;
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            float t = fre[i];
            fre[i] = fre[j];
            fre[j] = t;
            t = fim[i];
            fim[i] = fim[j];
            fim[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1) {
        int step = n / len;
        for (int i = 0; i < n; i += len) {
            for (int k = 0; k < len / 2; k++) {
                float wr = twr[k * step], wi = twi[k * step];
                float ur = fre[i + k], ui = fim[i + k];
                float vr = fre[i + k + len / 2] * wr - fim[i + k + len / 2] * wi;
                float vi = fre[i + k + len / 2] * wi + fim[i + k + len / 2] * wr;
                fre[i + k] = ur + vr;
                fim[i + k] = ui + vi;
                fre[i + k + len / 2] = ur - vr;
                fim[i + k + len / 2] = ui - vi;
            }
        }
    }
}

EXPORT("k_fft") uint32_t k_fft(uint32_t reps)
{
    const float pi = 3.14159265358979f;
    for (int k = 0; k < FFT_N / 2; k++) {
        twr[k] = k_sin(2 * pi * k / FFT_N + pi / 2);
        twi[k] = -k_sin(2 * pi * k / FFT_N);
    }
    uint32_t s = 1, sum = 0;
    for (uint32_t r = 0; r < reps; r++) {
        for (int i = 0; i < FFT_N; i++) {
            fre[i] = (float)(lcg(&s) >> 16) / 65536.0f - 0.5f;
            fim[i] = 0;
        }
        fft_once();
        for (int i = 0; i < FFT_N; i += 64)
            sum = sum * 31 + fbits(fre[i]) + fbits(fim[i]);
    }
    return sum;
}

/* ---- matmul ---- */
#define MM 64
static float ma[MM][MM], mb[MM][MM], mc[MM][MM];

EXPORT("k_matmul") uint32_t k_matmul(uint32_t reps)
{
    uint32_t s = 7, sum = 0;
    for (int i = 0; i < MM; i++)
        for (int j = 0; j < MM; j++) {
            ma[i][j] = (float)(lcg(&s) >> 20) / 4096.0f;
            mb[i][j] = (float)(lcg(&s) >> 20) / 4096.0f - 0.5f;
        }
    for (uint32_t r = 0; r < reps; r++) {
        for (int i = 0; i < MM; i++) {
            for (int j = 0; j < MM; j++)
                mc[i][j] = 0;
            for (int k = 0; k < MM; k++) {
                float a = ma[i][k];
                for (int j = 0; j < MM; j++)
                    mc[i][j] += a * mb[k][j];
            }
        }
        ma[r % MM][r % MM] += mc[MM - 1][r % MM] * 1e-3f;
        sum = sum * 31 + fbits(mc[r % MM][(r * 7) % MM]);
    }
    return sum;
}

/* ---- CRC-32 ---- */
#define CRC_LEN 16384
static uint8_t crc_buf[CRC_LEN];
static uint32_t crc_table[256];

EXPORT("k_crc32") uint32_t k_crc32(uint32_t reps)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    uint32_t s = 3;
    for (int i = 0; i < CRC_LEN; i++)
        crc_buf[i] = (uint8_t)(lcg(&s) >> 24);
    uint32_t crc = 0;
    for (uint32_t r = 0; r < reps; r++) {
        uint32_t c = ~crc;
        for (int i = 0; i < CRC_LEN; i++)
            c = crc_table[(c ^ crc_buf[i]) & 0xff] ^ (c >> 8);
        crc = ~c;
    }
    return crc;
}

/* ---- sort ---- */
#define SORT_N 4096
static uint32_t keys[SORT_N];

static void sift(uint32_t *a, int start, int end)
{
    int root = start;
    while (2 * root + 1 <= end) {
        int child = 2 * root + 1, sw = root;
        if (a[sw] < a[child]) sw = child;
        if (child + 1 <= end && a[sw] < a[child + 1]) sw = child + 1;
        if (sw == root) return;
        uint32_t t = a[root];
        a[root] = a[sw];
        a[sw] = t;
        root = sw;
    }
}

EXPORT("k_sort") uint32_t k_sort(uint32_t reps)
{
    uint32_t s = 11, sum = 0;
    for (uint32_t r = 0; r < reps; r++) {
        for (int i = 0; i < SORT_N; i++)
            keys[i] = lcg(&s);
        for (int start = SORT_N / 2 - 1; start >= 0; start--)
            sift(keys, start, SORT_N - 1);
        for (int end = SORT_N - 1; end > 0; end--) {
            uint32_t t = keys[0];
            keys[0] = keys[end];
            keys[end] = t;
            sift(keys, 0, end - 1);
        }
        for (int i = 1; i < SORT_N; i++)
            if (keys[i - 1] > keys[i]) return 0xbad;
        sum = sum * 31 + keys[r % SORT_N];
    }
    return sum;
}

/* ---- int8 convolution ---- */
#define CH 8
#define HW 16
static int8_t cin[HW][HW][CH], cout_[HW][HW][CH], cw[CH][3][3][CH];
static int32_t cbias[CH];

EXPORT("k_conv") uint32_t k_conv(uint32_t reps)
{
    uint32_t s = 5, sum = 0;
    for (int y = 0; y < HW; y++)
        for (int x = 0; x < HW; x++)
            for (int c = 0; c < CH; c++)
                cin[y][x][c] = (int8_t)(lcg(&s) >> 24);
    for (int o = 0; o < CH; o++) {
        cbias[o] = (int32_t)(lcg(&s) >> 20) - 2048;
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
                for (int c = 0; c < CH; c++)
                    cw[o][ky][kx][c] = (int8_t)(lcg(&s) >> 24);
    }
    for (uint32_t r = 0; r < reps; r++) {
        for (int y = 0; y < HW; y++)
            for (int x = 0; x < HW; x++)
                for (int o = 0; o < CH; o++) {
                    int32_t acc = cbias[o];
                    for (int ky = 0; ky < 3; ky++) {
                        int iy = y + ky - 1;
                        if (iy < 0 || iy >= HW) continue;
                        for (int kx = 0; kx < 3; kx++) {
                            int ix = x + kx - 1;
                            if (ix < 0 || ix >= HW) continue;
                            for (int c = 0; c < CH; c++)
                                acc += (int32_t)cin[iy][ix][c] * (int32_t)cw[o][ky][kx][c];
                        }
                    }
                    int32_t q = (int32_t)(((int64_t)acc * 1518500250 + (1ll << 37)) >> 38);
                    q = q < -128 ? -128 : q > 127 ? 127 : q;
                    cout_[y][x][o] = (int8_t)q;
                }
        cin[r % HW][(r * 3) % HW][r % CH] = cout_[HW - 1 - r % HW][r % HW][(r + 1) % CH];
        for (int i = 0; i < HW * HW * CH; i += 37)
            sum = sum * 31 + (uint8_t)(&cout_[0][0][0])[i];
    }
    return sum;
}
