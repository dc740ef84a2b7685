/*
 * dump.c - a canonical text form of a pipeline graph, used by tests to prove that the three
 * syntaxes give the same graph and by tools to show a graph plainly.
 *
 *   image runicos/base
 *   stage audio capability SOUND
 *     arg hz = 16000
 *     arg labels = [a, b]
 *     in 0 I16[16000]            (declared types; "out" likewise)
 *     gives 0 I16[16000]         (checked types, on request; "takes" for inputs)
 *   edge audio.0 -> fft.0
 *   resource labels string path ./labels.txt
 *
 * Stages are sorted by name and edges by (consumer, port), so the dump does not depend on the order
 * things were written in; arguments keep their order (it may matter to a proc block).
 * Workload: small graphs; stages sorted by insertion sort into a small index array on the stack.
 */
#include "runefile_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void put(out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = o->len < o->cap ? o->buf + o->len : NULL;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

static void put_loc(out *o, unsigned flags, const rune_rf_loc *l)
{
    if (flags & RUNE_RF_DUMP_LOCATIONS)
        put(o, " @%s:%u:%u", l->file, (unsigned)l->line, (unsigned)l->col);
}

static void put_types(out *o, const char *what, const rune_rf_type *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char s[64];
        put(o, "  %s %zu %s\n", what, i, rune_rf_type_str(&t[i], s, sizeof s));
    }
}

static int edge_less(const rune_runefile *g, const rune_rf_edge *a, const rune_rf_edge *b)
{
    int c = strcmp(g->stages[a->to].name, g->stages[b->to].name);
    if (c) return c < 0;
    if (a->to_port != b->to_port) return a->to_port < b->to_port;
    c = strcmp(g->stages[a->from].name, g->stages[b->from].name);
    if (c) return c < 0;
    return a->from_port < b->from_port;
}

size_t rune_runefile_dump(const rune_runefile *g, unsigned flags, char *buf, size_t cap)
{
    out o = {buf, buf ? cap : 0, 0};
    if (o.cap) o.buf[0] = 0;
    if (!g) return 0;
    put(&o, "image %s", g->image ? g->image : "");
    put_loc(&o, flags, &g->image_loc);
    put(&o, "\n");
    /* Selection by name each round: O(n^2), no allocation. */
    const char *prev = NULL;
    for (size_t k = 0; k < g->n_stages; k++) {
        const rune_rf_stage *s = NULL;
        for (size_t i = 0; i < g->n_stages; i++) {
            const rune_rf_stage *c = &g->stages[i];
            if (prev && strcmp(c->name, prev) <= 0) continue;
            if (!s || strcmp(c->name, s->name) < 0) s = c;
        }
        if (!s) break;
        prev = s->name;
        put(&o, "stage %s %s %s", s->name, rune_rf_stage_kind_name(s->kind),
            s->source ? s->source : "");
        put_loc(&o, flags, &s->loc);
        put(&o, "\n");
        for (size_t i = 0; i < s->n_args; i++) {
            const rune_rf_arg *a = &s->args[i];
            put(&o, "  arg %s = %s", a->key, a->is_list ? "[" : "");
            for (size_t j = 0; j < a->n; j++)
                put(&o, "%s%s", j ? ", " : "", a->values[j]);
            put(&o, "%s\n", a->is_list ? "]" : "");
        }
        if (!(flags & (RUNE_RF_DUMP_NO_DECL_IN | RUNE_RF_DUMP_NO_DECL)))
            put_types(&o, "in", s->decl_in, s->n_decl_in);
        if (!(flags & RUNE_RF_DUMP_NO_DECL)) put_types(&o, "out", s->decl_out, s->n_decl_out);
        if ((flags & RUNE_RF_DUMP_CHECKED) && g->typed) {
            put_types(&o, "takes", s->in, s->n_in);
            put_types(&o, "gives", s->out, s->n_out);
        }
    }
    const rune_rf_edge *last = NULL;
    for (size_t k = 0; k < g->n_edges; k++) {
        const rune_rf_edge *e = NULL;
        for (size_t i = 0; i < g->n_edges; i++) {
            const rune_rf_edge *c = &g->edges[i];
            if (last && !edge_less(g, last, c)) continue;
            if (!e || edge_less(g, c, e)) e = c;
        }
        if (!e) break;
        last = e;
        put(&o, "edge %s.%zu -> %s.%zu", g->stages[e->from].name, e->from_port,
            g->stages[e->to].name, e->to_port);
        put_loc(&o, flags, &e->loc);
        put(&o, "\n");
    }
    for (size_t i = 0; i < g->n_resources; i++) {
        const rune_rf_resource *r = &g->resources[i];
        put(&o, "resource %s %s %s %s", r->name, r->binary ? "binary" : "string",
            r->path ? "path" : "inline",
            r->path   ? r->path
            : r->data ? r->data
                      : "");
        put_loc(&o, flags, &r->loc);
        put(&o, "\n");
    }
    return o.len;
}
