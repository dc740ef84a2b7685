/* graph_cmd.c - `rune graph (Runefile | FILE.rune)`: the pipeline as Graphviz DOT on stdout. */
#include "commands.h"
#include "rune/alloc.h"
#include "rune/compiler.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/runefile.h"
#include "rune/source.h"

#include <stdio.h>
#include <string.h>

static void dot_list(const rune_manifest_stage *s, size_t n, const char *shape)
{
    for (size_t i = 0; i < n; i++)
        printf("  \"%s\" [shape=%s, label=\"%s\\n%s\"];\n", s[i].name, shape, s[i].name,
               s[i].kind ? s[i].kind : "");
}

static int graph_of_rune(const char *path)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error err;
    rune_container *c = NULL;
    rune_status st = rune_file_read_max(path, 1u << 30, &bytes, &len, &err);
    if (st == RUNE_OK) st = rune_container_open(bytes, len, &c, &err);
    if (st != RUNE_OK) {
        fprintf(stderr, "rune graph: %s: %s\n", path, err.msg);
        rune_free(bytes);
        return 1;
    }
    const rune_manifest *m = c->manifest;
    printf("digraph \"%s\" {\n  rankdir=LR;\n", m->name);
    dot_list(m->capabilities, m->ncapabilities, "invhouse");
    dot_list(m->proc_blocks, m->nproc_blocks, "box");
    dot_list(m->models, m->nmodels, "box3d");
    dot_list(m->outputs, m->noutputs, "house");
    for (size_t i = 0; i < m->npipeline; i++)
        printf("  \"%s\" -> \"%s\" [label=\"%u:%u\"];\n", m->pipeline[i].from, m->pipeline[i].to,
               m->pipeline[i].from_port, m->pipeline[i].to_port);
    printf("}\n");
    rune_container_free(c);
    rune_free(bytes);
    return 0;
}

int rune_cmd_graph(int argc, char **argv)
{
    const char *path = NULL;
    int no_check = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: rune graph (RUNEFILE | FILE.rune) [--no-check]\n\n"
                   "Prints the pipeline as Graphviz DOT (pipe it to `dot -Tpng`). A Runefile is\n"
                   "type-checked first so edges carry their types; --no-check skips that.\n");
            return 0;
        } else if (!strcmp(argv[i], "--no-check")) {
            no_check = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "rune graph: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "rune graph: which Runefile or rune? (try --help)\n");
        return 2;
    }
    size_t n = strlen(path);
    if (n > 5 && !strcmp(path + n - 5, ".rune")) return graph_of_rune(path);
    rune_runefile *g = NULL;
    rune_error err;
    rune_status st = no_check ? rune_runefile_load(path, &g, &err)
                              : rune_compiler_load_checked(path, &g, &err);
    if (st == RUNE_OK) st = rune_runefile_to_dot(g, stdout, &err);
    rune_runefile_free(g);
    if (st != RUNE_OK) {
        fprintf(stderr, "rune graph: %s\n", err.msg);
        return 1;
    }
    return 0;
}
