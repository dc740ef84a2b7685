/*
 * fuzz_sources.c - libFuzzer harness over the capture-file decoders and the capability params
 * parser: the first byte picks the decoder (WAV, CSV, image, params), the rest is its input.
 * Every input must give RUNE_OK or a clean error, never a crash, a leak or undefined behaviour.
 */
#include "rune/alloc.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    rune_error err;
    long live = rune_alloc_live();
    switch (data[0] % 4) {
    case 0: {
        rune_audio a;
        if (rune_wav_decode(p, n, &a, &err) == RUNE_OK) {
            if (a.sample_rate && a.n_samples < 200000) rune_audio_resample(&a, 16000, &err);
            rune_audio_free(&a);
        }
        break;
    }
    case 1: {
        rune_csv c;
        if (rune_csv_parse((const char *)p, n, &c, &err) == RUNE_OK) rune_csv_free(&c);
        break;
    }
    case 2: {
        rune_image img, conv;
        /* Bounded work per input: headers are checked at any size, pixels decoded up to 1 MP. */
        if (rune_image_info(p, n, &img, &err) == RUNE_OK &&
            (size_t)img.width * img.height <= 1u << 20 &&
            rune_image_decode(p, n, &img, &err) == RUNE_OK) {
            if (rune_image_convert(&img, 32, 24, 3, &conv, &err) == RUNE_OK) rune_image_free(&conv);
            rune_image_free(&img);
        }
        break;
    }
    default: {
        rune_cap_params params;
        if (rune_cap_params_parse(2, (const char *)p, n, &params, &err) == RUNE_OK)
            (void)rune_cap_param(&params, "hz");
        break;
    }
    }
    if (rune_alloc_live() != live) abort(); /* every path frees what it took */
    return 0;
}
