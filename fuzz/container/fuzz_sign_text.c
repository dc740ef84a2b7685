/*
 * fuzz_sign_text.c - libFuzzer harness for the text formats users hand to `rune sign/verify`: key
 * files and trust-policy files (rune/sign.h). Property: a key that parses formats and re-parses to
 * the same key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rune_error err;
    rune_sign_key k, k2;
    if (rune_sign_key_parse((const char *)data, size, &k, &err) == RUNE_OK) {
        char *text = NULL;
        if (rune_sign_key_format(&k, k.has_secret, &text, &err) != RUNE_OK) abort();
        if (rune_sign_key_parse(text, strlen(text), &k2, &err) != RUNE_OK) abort();
        if (memcmp(k.pk, k2.pk, 32) != 0 || strcmp(k.id, k2.id) != 0) abort();
        rune_free(text);
    }
    rune_trust_policy p = {0};
    rune_trust_policy_parse((const char *)data, size, &p, &err);
    rune_trust_policy_clear(&p);
    return 0;
}
