/*
 * fuzz_compose_base - FROM composition reads a base rune's manifest (the base may come from any
 * registry) and writes it back as Runefile text. Input: manifest JSON. It is packaged with dummy
 * model and resource bytes, turned into text by rc_compose_base_text and parsed again. Property:
 * when the text parses, it holds exactly the base's stages and resources (no manifest string can
 * smuggle in a directive of its own).
 */
#include "compiler_int.h"

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/runefile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rune_manifest *m = NULL;
    if (rune_manifest_decode((const char *)data, size, &m, NULL) != RUNE_OK) return 0;
    if (m->nmodels > 64 || m->nresources > 64) {
        rune_manifest_free(m);
        return 0;
    }
    static const uint8_t x[1] = {'x'};
    rune_blob models[64], res[64];
    for (size_t i = 0; i < m->nmodels; i++)
        models[i] = (rune_blob){m->models[i].name, x, 1};
    for (size_t i = 0; i < m->nresources; i++)
        res[i] = (rune_blob){m->resources[i].name, x, 1};
    uint8_t *rune = NULL;
    size_t len = 0;
    rune_container *c = NULL;
    char *text = NULL;
    size_t tlen = 0;
    rune_runefile *g = NULL;
    if (rune_container_write(wasm, sizeof wasm, m, models, m->nmodels, res, m->nresources, &rune,
                             &len, NULL) == RUNE_OK &&
        rune_container_open(rune, len, &c, NULL) == RUNE_OK &&
        rc_compose_base_text(c, NULL, NULL, &text, &tlen, NULL) == RUNE_OK &&
        rune_runefile_parse_text(text, tlen, "base", &g, NULL) == RUNE_OK) {
        const rune_manifest *cm = c->manifest;
        size_t want = cm->ncapabilities + cm->nproc_blocks + cm->nmodels + cm->noutputs;
        if (g->n_stages != want || g->n_resources != cm->nresources ||
            g->n_edges != cm->npipeline) {
            fprintf(stderr, "stages %zu/%zu resources %zu/%zu edges %zu/%zu in:\n%.*s\n",
                    g->n_stages, want, g->n_resources, cm->nresources, g->n_edges, cm->npipeline,
                    (int)tlen, text);
            abort();
        }
    }
    rune_runefile_free(g);
    rune_free(text);
    rune_container_free(c);
    rune_free(rune);
    rune_manifest_free(m);
    return 0;
}
