/* inspect_cmd.c - `rune inspect FILE.rune [--json]`: the manifest, sections and requirements. */
#include "commands.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/source.h"

#include <stdio.h>
#include <string.h>

static void print_types(const rune_tensor_type *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%s%s[", i ? ", " : "", rune_dtype_name(t[i].dtype));
        for (uint32_t d = 0; d < t[i].ndims; d++)
            printf("%s%u", d ? "," : "", t[i].dims[d]);
        printf("]");
    }
}

/* Where each blob's bytes sit in the file: {"name":..,"offset":..,"size":..},... */
static void print_blobs_json(const rune_blob *b, size_t n, const uint8_t *file)
{
    for (size_t i = 0; i < n; i++)
        printf("%s{\"name\":\"%s\",\"offset\":%zu,\"size\":%zu}", i ? "," : "", b[i].name,
               (size_t)(b[i].data - file), b[i].len);
}

/* blobs (NULL for stages without bytes) give each entry's file offset. */
static void print_list(const char *title, const rune_manifest_stage *s, size_t n,
                       const rune_blob *blobs, const uint8_t *file)
{
    if (!n) return;
    printf("%s:\n", title);
    for (size_t i = 0; i < n; i++) {
        printf("  %-12s %-16s", s[i].name, s[i].kind ? s[i].kind : "");
        if (s[i].ninputs) {
            printf(" in ");
            print_types(s[i].inputs, s[i].ninputs);
        }
        if (s[i].noutputs) {
            printf(" out ");
            print_types(s[i].outputs, s[i].noutputs);
        }
        for (size_t a = 0; a < s[i].nargs; a++)
            printf(" %s=%s", s[i].args[a].key, s[i].args[a].value);
        if (s[i].digest[0]) printf(" %zu bytes %.19s...", (size_t)s[i].size, s[i].digest);
        if (blobs) printf(" at offset %zu", (size_t)(blobs[i].data - file));
        printf("\n");
    }
}

int rune_cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf(
                "usage: rune inspect FILE.rune [--json]\n\n"
                "Shows a rune's manifest (capabilities, proc blocks, models, outputs, pipeline),\n"
                "its digest, size and signature. Every model and resource digest is checked.\n"
                "Models and resources show where their bytes sit in the file (16-aligned).\n"
                "--json prints {\"digest\",\"size\",\"signed\",\"models\",\"resources\",\n"
                "\"manifest\"}; models and resources as [{\"name\",\"offset\",\"size\"}].\n");
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "rune inspect: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "rune inspect: which rune? (try --help)\n");
        return 2;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error err;
    rune_container *c = NULL;
    rune_status st = rune_file_read_max(path, 1u << 30, &bytes, &len, &err);
    if (st == RUNE_OK) st = rune_container_open(bytes, len, &c, &err);
    if (st != RUNE_OK) {
        fprintf(stderr, "rune inspect: %s: %s\n", path, err.msg);
        rune_free(bytes);
        return 1;
    }
    const rune_manifest *m = c->manifest;
    if (json) {
        printf("{\"digest\":\"%s\",\"size\":%zu,\"signed\":%s,\"models\":[", c->digest, len,
               c->signature ? "true" : "false");
        print_blobs_json(c->models, c->nmodels, bytes);
        printf("],\"resources\":[");
        print_blobs_json(c->resources, c->nresources, bytes);
        printf("],\"manifest\":%.*s}\n", (int)c->manifest_json_len, c->manifest_json);
    } else {
        printf("rune %s %s (%zu bytes)\n", m->name, m->version, len);
        printf("digest   %s\n", c->digest);
        printf("base     %s\n", m->base ? m->base : "-");
        printf("signed   %s\n", c->signature ? "yes" : "no");
        print_list("capabilities", m->capabilities, m->ncapabilities, NULL, bytes);
        print_list("proc blocks", m->proc_blocks, m->nproc_blocks, NULL, bytes);
        print_list("models", m->models, m->nmodels, c->models, bytes);
        print_list("outputs", m->outputs, m->noutputs, NULL, bytes);
        print_list("resources", m->resources, m->nresources, c->resources, bytes);
        if (m->npipeline) {
            printf("pipeline:\n");
            for (size_t i = 0; i < m->npipeline; i++)
                printf("  %s.%u -> %s.%u\n", m->pipeline[i].from, m->pipeline[i].from_port,
                       m->pipeline[i].to, m->pipeline[i].to_port);
        }
        for (size_t i = 0; i < m->nbuild; i++)
            printf("build    %s = %s\n", m->build[i].key, m->build[i].value);
    }
    rune_container_free(c);
    rune_free(bytes);
    return 0;
}
