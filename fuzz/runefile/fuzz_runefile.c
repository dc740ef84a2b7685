/* fuzz_runefile.c - libFuzzer harness for the text Runefile parser (paper and typed forms). */
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rune_runefile *g = NULL;
    rune_error err;
    if (rune_runefile_parse_text((const char *)data, size, "Runefile", &g, &err) == RUNE_OK)
        fz_use(g);
    rune_runefile_free(g);
    return 0;
}
