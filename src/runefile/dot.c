/*
 * dot.c - the pipeline as Graphviz DOT (for `rune graph`): one node per stage, shaped by kind, one
 * edge per connection, labelled with ports when not 0 and with the checked type once typed.
 * Workload: a few lines per stage written straight to the caller's FILE.
 */
#include "runefile_int.h"

#include <string.h>

/* DOT double-quoted string body: escape quotes and backslashes. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static const char *shape_of(rune_rf_stage_kind k)
{
    switch (k) {
    case RUNE_RF_CAPABILITY: return "invhouse";
    case RUNE_RF_PROC_BLOCK: return "box";
    case RUNE_RF_MODEL: return "box3d";
    case RUNE_RF_OUT: return "house";
    }
    return "box";
}

rune_status rune_runefile_to_dot(const rune_runefile *g, FILE *f, rune_error *err)
{
    if (!g || !f) return RUNE_ERR(err, RUNE_E_ARG, "rune_runefile_to_dot: NULL");
    fputs("digraph pipeline {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n", f);
    if (g->image) {
        fputs("  label=\"", f);
        put_escaped(f, g->image);
        fputs("\";\n", f);
    }
    for (size_t i = 0; i < g->n_stages; i++) {
        const rune_rf_stage *s = &g->stages[i];
        fprintf(f, "  s%zu [shape=%s, label=\"", i, shape_of(s->kind));
        put_escaped(f, s->name);
        fputs("\\n", f);
        fputs(rune_rf_stage_kind_name(s->kind), f);
        fputs(" ", f);
        put_escaped(f, s->source ? s->source : "");
        fputs("\"];\n", f);
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        const rune_rf_edge *e = &g->edges[i];
        char label[96];
        size_t n = 0;
        label[0] = 0;
        if (e->from_port || e->to_port)
            n = (size_t)snprintf(label, sizeof label, "%zu -> %zu", e->from_port, e->to_port);
        if (g->typed && n < sizeof label) {
            char t[64];
            rune_rf_type_str(&g->stages[e->to].in[e->to_port], t, sizeof t);
            snprintf(label + n, sizeof label - n, "%s%s", n ? "\\n" : "", t);
        }
        fprintf(f, "  s%zu -> s%zu", e->from, e->to);
        if (label[0]) fprintf(f, " [label=\"%s\"]", label);
        fputs(";\n", f);
    }
    fputs("}\n", f);
    if (ferror(f)) return RUNE_ERR(err, RUNE_E_IO, "writing DOT failed");
    return RUNE_OK;
}
