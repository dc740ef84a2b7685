/*
 * fuzz_aot_rewrite.c - any bytes that decode and validate must survive the AOT engine's rewrite:
 * the re-encoded module decodes and validates again with the same index spaces, one export per
 * defined item plus one per imported function the module exported, and the glue generator produces
 * C for it. (No compiler runs here.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/wasm/aot/aot_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rw_module *m = NULL, *m2 = NULL;
    rune_error err;
    if (rw_decode(data, size, &m, &err) != RUNE_OK) return 0;
    if (rw_validate(m, &err) == RUNE_OK) {
        rw_aot_buf out = {0}, glue = {0};
        if (rw_aot_rewrite(m, &out, &err) == RUNE_OK) {
            if (rw_decode((const uint8_t *)out.p, out.len, &m2, &err) != RUNE_OK) abort();
            if (rw_validate(m2, &err) != RUNE_OK) abort();
            uint32_t defined =
                (m->nfuncs - m->n_imported_funcs) + (m->nglobals - m->n_imported_globals) +
                (m->nmems - m->n_imported_mems) + (m->ntables - m->n_imported_tables);
            for (uint32_t i = 0; i < m->n_imported_funcs; i++) {
                int exported = 0;
                for (uint32_t k = 0; k < m->nexports; k++)
                    exported |=
                        m->exports[k].kind == RUNE_WASM_EXTERN_FUNC && m->exports[k].index == i;
                defined += (uint32_t)exported;
            }
            if (m2->nfuncs != m->nfuncs || m2->nglobals != m->nglobals || m2->nmems != m->nmems ||
                m2->ntables != m->ntables || m2->nimports != m->nimports ||
                m2->nexports != defined || m2->ncustoms != 0)
                abort();
            if (rw_aot_glue(m, "mi.c", 1, &glue, &err) == RUNE_OK && glue.len == 0) abort();
            rw_module_free(m2);
        }
        rw_aot_buf_free(&out);
        rw_aot_buf_free(&glue);
    }
    rw_module_free(m);
    return 0;
}
