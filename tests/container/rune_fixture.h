/*
 * rune_fixture.h - builds real runes for the container, sign and registry tests: a tiny wasm module
 * (exports "answer" returning 42) plus a real TFLite model from ../shared/models and a text
 * resource, packaged with rune_container_write.
 */
#ifndef RUNE_TEST_RUNE_FIXTURE_H
#define RUNE_TEST_RUNE_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/manifest.h"

/* (module (func (export "answer") (result i32) i32.const 42)) */
static const uint8_t fixture_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                       /* header */
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,                             /* type: () -> i32 */
    0x03, 0x02, 0x01, 0x00,                                               /* func: type 0 */
    0x07, 0x0a, 0x01, 0x06, 'a',  'n',  's',  'w',  'e', 'r', 0x00, 0x00, /* export */
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,                       /* code: i32.const 42 */
};

static const char fixture_labels[] = "silence\nunknown\nyes\nno\n";

/* A manifest for the microspeech-like pipeline: audio -> model -> serial. */
static inline rune_manifest *fixture_manifest(const char *name, const char *version)
{
    rune_manifest *m = NULL;
    rune_manifest_stage *s;
    rune_tensor_type audio = {RUNE_DTYPE_I16, 1, {16000}};
    rune_tensor_type in = {RUNE_DTYPE_I8, 2, {1, 1960}};
    rune_tensor_type out = {RUNE_DTYPE_I8, 2, {1, 4}};
    if (rune_manifest_new(name, version, &m, NULL) != RUNE_OK) return NULL;
    m->base = rune_strdup("runicos/base");
    int ok = m->base != NULL;
    ok = ok && rune_manifest_add_stage(m, RUNE_LIST_CAPABILITIES, "audio", "SOUND", &s, NULL) == 0;
    ok = ok && rune_manifest_stage_add_arg(s, "hz", "16000", NULL) == 0;
    ok = ok && rune_manifest_stage_add_tensor(s, 1, &audio, NULL) == 0;
    ok = ok && rune_manifest_add_stage(m, RUNE_LIST_MODELS, "model", "tflite", &s, NULL) == 0;
    ok = ok && rune_manifest_stage_add_tensor(s, 0, &in, NULL) == 0;
    ok = ok && rune_manifest_stage_add_tensor(s, 1, &out, NULL) == 0;
    ok = ok && rune_manifest_add_stage(m, RUNE_LIST_OUTPUTS, "serial", "SERIAL", &s, NULL) == 0;
    ok = ok && rune_manifest_add_stage(m, RUNE_LIST_RESOURCES, "labels", NULL, NULL, NULL) == 0;
    ok = ok && rune_manifest_add_edge(m, "audio", 0, "model", 0, NULL) == 0;
    ok = ok && rune_manifest_add_edge(m, "model", 0, "serial", 0, NULL) == 0;
    ok = ok && rune_manifest_add_build(m, "tool", "rune-test", NULL) == 0;
    m->min_pages = 2;
    m->max_pages = 32;
    m->arena_bytes = 10240;
    if (!ok) {
        rune_manifest_free(m);
        return NULL;
    }
    return m;
}

/* Build a rune around a model file from ../shared/models; *model_out (malloc'd) gets the model
 * bytes if not NULL. Returns the rune (rune_malloc'd) or NULL. */
static inline uint8_t *fixture_rune(const char *model_path, const char *name, size_t *len,
                                    unsigned char **model_out, size_t *model_len)
{
    size_t mlen = 0, rlen = 0;
    unsigned char *model = test_read_file(model_path, &mlen);
    rune_manifest *m = fixture_manifest(name, "1.0.0");
    uint8_t *rune = NULL;
    if (model && m) {
        rune_blob models[1] = {{"model", model, mlen}};
        rune_blob res[1] = {{"labels", (const uint8_t *)fixture_labels, sizeof fixture_labels - 1}};
        rune_error err;
        if (rune_container_write(fixture_wasm, sizeof fixture_wasm, m, models, 1, res, 1, &rune,
                                 &rlen, &err) != RUNE_OK) {
            fprintf(stderr, "fixture_rune: %s\n", err.msg);
            rune = NULL;
        }
    }
    rune_manifest_free(m);
    if (model_out && model) {
        *model_out = model;
        if (model_len) *model_len = mlen;
    } else {
        free(model);
    }
    *len = rlen;
    return rune;
}

#endif
