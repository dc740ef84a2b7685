/*
 * graph.c - the pipeline graph builder both parsers fill, and the graph's life cycle and lookups.
 *
 * Stages are added in the order written (duplicate names refused on the spot, naming both places);
 * edges arrive by name and are resolved in rf_build_finish, which also numbers input ports, refuses
 * edges into capabilities or out of outputs, and computes a topological order (Kahn's algorithm,
 * ties broken by declaration order, so the order is stable). A cycle is reported by walking back
 * through stages that still have unprocessed producers until one repeats.
 * Workload: tens of stages; O(n^2) scans are fine and keep the code plain.
 */
#include "runefile_int.h"

#include "rune/alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void arg_free(rune_rf_arg *a)
{
    for (size_t i = 0; i < a->n; i++)
        rune_free(a->values[i]);
    rune_free(a->values);
    rune_free(a->key);
}

static void stage_free(rune_rf_stage *st)
{
    for (size_t i = 0; i < st->n_args; i++)
        arg_free(&st->args[i]);
    rune_free(st->args);
    rune_free(st->name);
    rune_free(st->source);
}

void rune_runefile_free(rune_runefile *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_stages; i++)
        stage_free(&g->stages[i]);
    rune_free(g->stages);
    rune_free(g->edges);
    for (size_t i = 0; i < g->n_resources; i++) {
        rune_free(g->resources[i].name);
        rune_free(g->resources[i].path);
        rune_free(g->resources[i].data);
    }
    rune_free(g->resources);
    rune_free(g->order);
    rune_free(g->image);
    rune_free(g->file);
    rune_free(g);
}

rune_status rf_build_init(rf_builder *b, const char *file, rune_error *err)
{
    memset(b, 0, sizeof *b);
    b->g = rune_calloc(1, sizeof *b->g);
    if (!b->g) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory for a Runefile graph");
    b->g->file = rune_strdup(file ? file : "Runefile");
    if (!b->g->file) {
        rune_free(b->g);
        b->g = NULL;
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory for a Runefile graph");
    }
    return RUNE_OK;
}

void rf_build_free(rf_builder *b)
{
    for (size_t i = 0; i < b->n_refs; i++) {
        rune_free(b->refs[i].from);
        rune_free(b->refs[i].to);
    }
    rune_free(b->refs);
    rune_runefile_free(b->g);
    memset(b, 0, sizeof *b);
}

long rune_runefile_find(const rune_runefile *g, const char *name)
{
    if (!g || !name) return -1;
    for (size_t i = 0; i < g->n_stages; i++)
        if (strcmp(g->stages[i].name, name) == 0) return (long)i;
    return -1;
}

static long find_n(const rune_runefile *g, const char *name, size_t len)
{
    for (size_t i = 0; i < g->n_stages; i++)
        if (strlen(g->stages[i].name) == len && memcmp(g->stages[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

#define NOMEM(err) RUNE_ERR(err, RUNE_E_NOMEM, "out of memory reading a Runefile")

rune_status rf_stage_add(rf_builder *b, rune_rf_stage_kind kind, const char *name, size_t name_len,
                         rune_rf_loc loc, rune_rf_stage **out, rune_error *err)
{
    rune_runefile *g = b->g;
    if (g->n_stages == RUNE_RF_MAX_STAGES)
        return rf_err(err, RUNE_E_LIMIT, loc, "too many stages (at most %d)", RUNE_RF_MAX_STAGES);
    long prev = find_n(g, name, name_len);
    if (prev >= 0) {
        const rune_rf_loc *p = &g->stages[prev].loc;
        return rf_err(err, RUNE_E_INVALID, loc,
                      "duplicate stage name '%.*s'; first declared at %s:%u:%u", (int)name_len,
                      name, p->file, (unsigned)p->line, (unsigned)p->col);
    }
    rune_status st =
        rf_grow((void **)&g->stages, &b->cap_stages, g->n_stages + 1, sizeof *g->stages, err);
    if (st) return st;
    rune_rf_stage *s = &g->stages[g->n_stages];
    memset(s, 0, sizeof *s);
    s->name = rune_strndup(name, name_len);
    if (!s->name) return NOMEM(err);
    s->kind = kind;
    s->loc = loc;
    g->n_stages++;
    *out = s;
    return RUNE_OK;
}

rune_status rf_arg_add(rune_rf_stage *st, const char *key, size_t key_len, int is_list,
                       rune_rf_loc loc, rune_rf_arg **out, rune_error *err)
{
    for (size_t i = 0; i < st->n_args; i++) {
        if (strlen(st->args[i].key) == key_len && memcmp(st->args[i].key, key, key_len) == 0) {
            const rune_rf_loc *p = &st->args[i].loc;
            return rf_err(err, RUNE_E_INVALID, loc,
                          "argument '%.*s' given twice to '%s'; first at %s:%u:%u", (int)key_len,
                          key, st->name, p->file, (unsigned)p->line, (unsigned)p->col);
        }
    }
    if (st->n_args == RUNE_RF_MAX_ARGS)
        return rf_err(err, RUNE_E_LIMIT, loc, "too many arguments for '%s' (at most %d)", st->name,
                      RUNE_RF_MAX_ARGS);
    /* Arguments are few; grow one at a time to keep no capacity field in the public struct. */
    rune_rf_arg *na = rune_realloc_array(st->args, st->n_args + 1, sizeof *na);
    if (!na) return NOMEM(err);
    st->args = na;
    rune_rf_arg *a = &na[st->n_args];
    memset(a, 0, sizeof *a);
    a->key = rune_strndup(key, key_len);
    if (!a->key) return NOMEM(err);
    a->is_list = is_list;
    a->loc = loc;
    st->n_args++;
    *out = a;
    return RUNE_OK;
}

rune_status rf_arg_push(rune_rf_arg *a, const char *v, size_t len, rune_error *err)
{
    char *s = rune_strndup(v, len);
    if (!s) return NOMEM(err);
    char **nv = rune_realloc_array(a->values, a->n + 1, sizeof *nv);
    if (!nv) {
        rune_free(s);
        return NOMEM(err);
    }
    nv[a->n++] = s;
    a->values = nv;
    return RUNE_OK;
}

void rf_arg_remove(rune_rf_stage *st, size_t i)
{
    if (i >= st->n_args) return;
    arg_free(&st->args[i]);
    memmove(&st->args[i], &st->args[i + 1], (st->n_args - i - 1) * sizeof *st->args);
    st->n_args--;
}

rune_status rf_ref_add(rf_builder *b, const char *from, size_t from_len, size_t from_port,
                       rune_rf_loc from_loc, const char *to, size_t to_len, long to_port,
                       rune_rf_loc to_loc, rune_error *err)
{
    if (b->n_refs == RUNE_RF_MAX_EDGES)
        return rf_err(err, RUNE_E_LIMIT, to_loc, "too many connections (at most %d)",
                      RUNE_RF_MAX_EDGES);
    rune_status st = rf_grow((void **)&b->refs, &b->cap_refs, b->n_refs + 1, sizeof *b->refs, err);
    if (st) return st;
    rf_ref *r = &b->refs[b->n_refs];
    memset(r, 0, sizeof *r);
    r->from = rune_strndup(from, from_len);
    r->to = rune_strndup(to, to_len);
    if (!r->from || !r->to) {
        rune_free(r->from);
        rune_free(r->to);
        r->from = r->to = NULL;
        return NOMEM(err);
    }
    r->from_port = from_port;
    r->from_loc = from_loc;
    r->to_port = to_port;
    r->to_loc = to_loc;
    b->n_refs++;
    return RUNE_OK;
}

rune_status rf_resource_add(rf_builder *b, const char *name, size_t name_len, rune_rf_loc loc,
                            rune_rf_resource **out, rune_error *err)
{
    rune_runefile *g = b->g;
    if (g->n_resources == RUNE_RF_MAX_STAGES)
        return rf_err(err, RUNE_E_LIMIT, loc, "too many resources (at most %d)",
                      RUNE_RF_MAX_STAGES);
    for (size_t i = 0; i < g->n_resources; i++) {
        if (strlen(g->resources[i].name) == name_len &&
            memcmp(g->resources[i].name, name, name_len) == 0) {
            const rune_rf_loc *p = &g->resources[i].loc;
            return rf_err(err, RUNE_E_INVALID, loc,
                          "duplicate resource name '%.*s'; first declared at %s:%u:%u",
                          (int)name_len, name, p->file, (unsigned)p->line, (unsigned)p->col);
        }
    }
    rune_status st = rf_grow((void **)&g->resources, &b->cap_resources, g->n_resources + 1,
                             sizeof *g->resources, err);
    if (st) return st;
    rune_rf_resource *r = &g->resources[g->n_resources];
    memset(r, 0, sizeof *r);
    r->name = rune_strndup(name, name_len);
    if (!r->name) return NOMEM(err);
    r->loc = loc;
    g->n_resources++;
    *out = r;
    return RUNE_OK;
}

/* "unknown stage 'x' (did you mean 'y'?)": the stage names are the candidates. */
static rune_status unknown_stage(const rune_runefile *g, const char *name, rune_rf_loc loc,
                                 rune_error *err)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < g->n_stages; i++) {
        size_t d = rf_closeness(name, strlen(name), g->stages[i].name);
        if (d < best_d) {
            best = g->stages[i].name;
            best_d = d;
        }
    }
    if (best)
        return rf_err(err, RUNE_E_INVALID, loc, "unknown stage '%s' (did you mean '%s'?)", name,
                      best);
    return rf_err(err, RUNE_E_INVALID, loc, "unknown stage '%s': no stage of that name is declared",
                  name);
}

static size_t inputs_of(const rune_runefile *g, size_t to)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_edges; i++)
        if (g->edges[i].to == to) n++;
    return n;
}

static rune_status resolve_ref(rf_builder *b, size_t *cap_edges, const rf_ref *r, rune_error *err)
{
    rune_runefile *g = b->g;
    long from = rune_runefile_find(g, r->from);
    if (from < 0) return unknown_stage(g, r->from, r->from_loc, err);
    long to = rune_runefile_find(g, r->to);
    if (to < 0) return unknown_stage(g, r->to, r->to_loc, err);
    const rune_rf_stage *fs = &g->stages[from], *ts = &g->stages[to];
    if (ts->kind == RUNE_RF_CAPABILITY)
        return rf_err(err, RUNE_E_INVALID, r->to_loc,
                      "capability '%s' (%s:%u:%u) takes no inputs, but '%s' feeds it", ts->name,
                      ts->loc.file, (unsigned)ts->loc.line, (unsigned)ts->loc.col, fs->name);
    if (fs->kind == RUNE_RF_OUT)
        return rf_err(err, RUNE_E_INVALID, r->from_loc,
                      "output '%s' (%s:%u:%u) gives nothing, so it cannot feed '%s'", fs->name,
                      fs->loc.file, (unsigned)fs->loc.line, (unsigned)fs->loc.col, ts->name);
    if (from == to)
        return rf_err(err, RUNE_E_INVALID, r->to_loc, "cycle in the pipeline: %s -> %s", fs->name,
                      ts->name);
    size_t port = r->to_port < 0 ? inputs_of(g, (size_t)to) : (size_t)r->to_port;
    if (port >= RUNE_RF_MAX_PORTS || r->from_port >= RUNE_RF_MAX_PORTS)
        return rf_err(err, RUNE_E_INVALID, r->to_loc, "too many ports: a stage has at most %d",
                      RUNE_RF_MAX_PORTS);
    for (size_t i = 0; i < g->n_edges; i++) {
        const rune_rf_edge *e = &g->edges[i];
        if (e->to != (size_t)to) continue;
        if (e->from == (size_t)from && e->from_port == r->from_port)
            return rf_err(err, RUNE_E_INVALID, r->to_loc, "%s.%zu already feeds '%s' (at %s:%u:%u)",
                          fs->name, r->from_port, ts->name, e->loc.file, (unsigned)e->loc.line,
                          (unsigned)e->loc.col);
        if (e->to_port == port)
            return rf_err(err, RUNE_E_INVALID, r->to_loc,
                          "input %zu of '%s' is already fed by %s.%zu (at %s:%u:%u)", port,
                          ts->name, g->stages[e->from].name, e->from_port, e->loc.file,
                          (unsigned)e->loc.line, (unsigned)e->loc.col);
    }
    rune_status st = rf_grow((void **)&g->edges, cap_edges, g->n_edges + 1, sizeof *g->edges, err);
    if (st) return st;
    rune_rf_edge *e = &g->edges[g->n_edges++];
    e->from = (size_t)from;
    e->from_port = r->from_port;
    e->to = (size_t)to;
    e->to_port = port;
    e->loc = r->to_loc;
    return RUNE_OK;
}

/* Kahn's algorithm; on a cycle, name it. */
static rune_status order(rune_runefile *g, rune_error *err)
{
    size_t n = g->n_stages;
    rune_status st = RUNE_OK;
    size_t *indeg = rune_calloc(n ? n : 1, sizeof *indeg);
    unsigned char *done = rune_calloc(n ? n : 1, 1);
    size_t *walk = rune_calloc(n ? n + 1 : 1, sizeof *walk);
    g->order = rune_calloc(n ? n : 1, sizeof *g->order);
    if (!indeg || !done || !walk || !g->order) {
        st = NOMEM(err);
        goto out;
    }
    for (size_t i = 0; i < g->n_edges; i++)
        indeg[g->edges[i].to]++;
    size_t k = 0;
    while (k < n) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++)
            if (!done[i] && indeg[i] == 0) pick = i;
        if (pick == n) break;
        done[pick] = 1;
        g->order[k++] = pick;
        for (size_t i = 0; i < g->n_edges; i++)
            if (g->edges[i].from == pick) indeg[g->edges[i].to]--;
    }
    if (k < n) {
        /* Every stage left has a producer that is also left: walk back until one repeats. */
        size_t cur = 0;
        while (done[cur])
            cur++;
        size_t len = 0, start = 0;
        const rune_rf_edge *last = NULL;
        for (;;) {
            for (size_t j = 0; j < len; j++)
                if (walk[j] == cur) {
                    start = j;
                    goto found;
                }
            walk[len++] = cur;
            for (size_t i = 0; i < g->n_edges; i++)
                if (g->edges[i].to == cur && !done[g->edges[i].from]) {
                    last = &g->edges[i];
                    cur = g->edges[i].from;
                    break;
                }
        }
    found:;
        /* walk[start..len) goes against the edges; print it forwards. */
        char names[160];
        size_t pos = 0;
        names[0] = 0;
        for (size_t j = len; j-- > start && pos < sizeof names;)
            pos += (size_t)snprintf(names + pos, sizeof names - pos, "%s -> ",
                                    g->stages[walk[j]].name);
        if (pos < sizeof names)
            snprintf(names + pos, sizeof names - pos, "%s", g->stages[walk[len - 1]].name);
        st = rf_err(err, RUNE_E_INVALID, last ? last->loc : g->stages[cur].loc,
                    "cycle in the pipeline: %s", names);
    }
out:
    rune_free(indeg);
    rune_free(done);
    rune_free(walk);
    return st;
}

rune_status rf_build_finish(rf_builder *b, rune_runefile **out, rune_error *err)
{
    size_t cap_edges = 0;
    for (size_t i = 0; i < b->n_refs; i++) {
        rune_status st = resolve_ref(b, &cap_edges, &b->refs[i], err);
        if (st) return st;
    }
    rune_status st = order(b->g, err);
    if (st) return st;
    *out = b->g;
    b->g = NULL;
    rf_build_free(b);
    return RUNE_OK;
}

const rune_rf_arg *rune_rf_stage_arg(const rune_rf_stage *st, const char *key)
{
    if (!st || !key) return NULL;
    for (size_t i = 0; i < st->n_args; i++)
        if (strcmp(st->args[i].key, key) == 0) return &st->args[i];
    return NULL;
}

rune_status rune_rf_stage_arg_u64(const rune_rf_stage *st, const char *key, uint64_t *out,
                                  rune_error *err)
{
    const rune_rf_arg *a = rune_rf_stage_arg(st, key);
    if (!a) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "no argument '%s'", key ? key : "(null)");
    const char *s = a->n == 1 && !a->is_list ? a->values[0] : NULL;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return rf_err(err, RUNE_E_INVALID, a->loc, "argument '%s' of '%s' must be a number", a->key,
                      st->name);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        return rf_err(err, RUNE_E_INVALID, a->loc,
                      "argument '%s' of '%s' must be a whole number; got '%s'", a->key, st->name,
                      s);
    *out = v;
    return RUNE_OK;
}
