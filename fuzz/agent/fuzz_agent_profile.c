/*
 * fuzz_agent_profile.c - any bytes as a device profile: parsed or refused with a message, never a
 * crash; a parsed profile has a name and a store.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rune/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rune_agent_profile p;
    rune_error err;
    rune_error_clear(&err);
    rune_status st = rune_agent_profile_parse((const char *)data, size, "/base", &p, &err);
    if (st == RUNE_OK && (!p.name[0] || !p.store[0])) abort();
    if (st != RUNE_OK && !err.msg[0]) abort();
    return 0;
}
