/*
 * spectest.h - internals of the spectest tool (tools/spectest): runs wast2json output on either
 * engine.
 */
#ifndef RUNE_SPECTEST_H
#define RUNE_SPECTEST_H

#include "rune/wasm.h"

extern int spectest_echo; /* print spectest.print* calls */

/* Define the "spectest" host module in l. */
rune_status spectest_define_host(rune_wasm_linker *l, rune_error *err);

#endif
