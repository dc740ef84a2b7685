/*
 * fuzz_common.h - what both Runefile fuzzers do with a graph that parsed: type-check it with and
 * without a resolver (one that knows "fft"-like blocks and answers for any model), dump it and print
 * it as DOT. Everything must end in a status, never a crash, and free cleanly.
 */
#ifndef FUZZ_RUNEFILE_COMMON_H
#define FUZZ_RUNEFILE_COMMON_H

#include "rune/runefile.h"

#include <stdio.h>
#include <string.h>

static rune_status fz_model(void *ud, const rune_rf_stage *st, rune_rf_sig *sig, rune_error *err)
{
    (void)ud;
    if (strstr(st->source, "missing")) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "no model");
    sig->n_in = sig->n_out = 1;
    sig->in[0].elem = RUNE_RF_I8;
    sig->in[0].rank = 2;
    sig->in[0].dims[0] = 1;
    sig->in[0].dims[1] = 1960;
    sig->out[0] = sig->in[0];
    sig->out[0].dims[1] = 4;
    return RUNE_OK;
}

static rune_status fz_block(void *ud, const rune_rf_stage *st, const rune_rf_type *in, size_t n_in,
                            rune_rf_sig *sig, rune_error *err)
{
    (void)ud;
    if (strstr(st->source, "fft")) {
        sig->n_in = 1;
        sig->in[0].elem = RUNE_RF_ANY_INT;
        sig->in[0].rank = -1;
        sig->n_out = 1;
        sig->out[0] = n_in ? in[0] : sig->in[0];
        return RUNE_OK;
    }
    return RUNE_ERR(err, RUNE_E_NOT_FOUND, "unknown");
}

static void fz_use(rune_runefile *g)
{
    static const rune_rf_resolver res = {NULL, fz_model, fz_block};
    rune_error err;
    static char buf[1 << 16];
    rune_runefile_typecheck(g, NULL, &err);
    rune_runefile_typecheck(g, &res, &err);
    rune_runefile_dump(g, RUNE_RF_DUMP_LOCATIONS, buf, sizeof buf);
    static FILE *devnull;
    if (!devnull) devnull = fopen("/dev/null", "w");
    if (devnull) rune_runefile_to_dot(g, devnull, &err);
}

#endif
