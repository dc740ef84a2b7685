/* fuzz_runefile_yml.c - libFuzzer harness for the Runefile.yml parser (libfyaml underneath). */
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rune_runefile *g = NULL;
    rune_error err;
    if (rune_runefile_parse_yaml((const char *)data, size, "Runefile.yml", &g, &err) == RUNE_OK)
        fz_use(g);
    rune_runefile_free(g);
    return 0;
}
