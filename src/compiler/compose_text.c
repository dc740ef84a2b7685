/*
 * compose_text.c - a base rune's pipeline written back as Runefile text, for FROM composition
 * (compose.c): typed capabilities, proc blocks in the paper's SOURCE NAME order (never ambiguous),
 * models and resources as files extracted into a directory, outputs, then one RUN line per edge,
 * each consumer's edges in port order. Declarations the derived Runefile makes itself are left out.
 *
 * The base may come from any registry, so every string of its manifest that becomes a word is
 * checked first: a name, kind or argument that would not read back as the same single directive
 * (a newline, '#', a quote, ...) is refused rather than escaped.
 *
 * Workload: manifests of tens of stages; a few KB of text.
 */
#include "compiler_int.h"

#include "rune/alloc.h"
#include "rune/container.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing string ------------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int nomem;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->nomem) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int w = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->nomem = 1;
            return;
        }
        if ((size_t)w < room) {
            b->len += (size_t)w;
            return;
        }
        size_t ncap = (b->cap ? b->cap * 2 : 1024) + (size_t)w;
        char *np = rune_realloc(b->p, ncap);
        if (!np) {
            b->nomem = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

static void sb_append(sbuf *b, const char *s, size_t n)
{
    if (b->nomem) return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap * 2 + n + 1024;
        char *np = rune_realloc(b->p, ncap);
        if (!np) {
            b->nomem = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* ---- the base as Runefile text --------------------------------------------------------------- */

static const char *const dtype_rf[RUNE_DTYPE_COUNT] = {"U8",  "I8",  "I16",  "I32", NULL,
                                                       "F32", "F64", "UTF8", "U16", "U32"};

static int type_text(const rune_tensor_type *t, char *buf, size_t cap)
{
    if ((unsigned)t->dtype >= RUNE_DTYPE_COUNT || !dtype_rf[t->dtype]) return -1;
    size_t used = (size_t)snprintf(buf, cap, "%s[", dtype_rf[t->dtype]);
    for (uint32_t i = 0; i < t->ndims && i < RUNE_TENSOR_MAX_DIMS && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%u", i ? "," : "", t->dims[i]);
    if (used < cap) used += (size_t)snprintf(buf + used, cap - used, "]");
    return used < cap ? 0 : -1;
}

/* A Runefile name: a letter or '_', then letters, digits, '_' and '-'. */
static int ident_ok(const char *s)
{
    if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (s++; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') return 0;
    return 1;
}

/* One Runefile word that cannot start a comment, a quote, a type group or an argument. */
static int word_ok(const char *s)
{
    if (!s || !*s || *s == '-') return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || strchr("#\"<>()[]\\,", *s) || (unsigned char)*s == 0x7f)
            return 0;
    return 1;
}

/* Everything of the base that goes into the text as a word is checked, so a hostile manifest (the
 * base may come from any registry) cannot add directives of its own. */
static rune_status check_words(const rune_manifest *m, rune_error *err)
{
    const rune_manifest_stage *lists[] = {m->capabilities, m->proc_blocks, m->models, m->outputs,
                                          m->resources};
    const size_t ns[] = {m->ncapabilities, m->nproc_blocks, m->nmodels, m->noutputs, m->nresources};
    for (size_t l = 0; l < 5; l++)
        for (size_t i = 0; i < ns[l]; i++) {
            const rune_manifest_stage *st = &lists[l][i];
            if (!ident_ok(st->name))
                return RUNE_ERR(err, RUNE_E_INVALID, "base stage name '%s' is not a Runefile name",
                                st->name ? st->name : "");
            if (l != 2 && l != 4 && !word_ok(st->kind))
                return RUNE_ERR(err, RUNE_E_INVALID, "base stage '%s' has kind '%s'", st->name,
                                st->kind ? st->kind : "");
        }
    for (size_t i = 0; i < m->npipeline; i++)
        if (!ident_ok(m->pipeline[i].from) || !ident_ok(m->pipeline[i].to) ||
            m->pipeline[i].from_port >= RUNE_RF_MAX_PORTS)
            return RUNE_ERR(err, RUNE_E_INVALID, "base pipeline edge %zu is not a Runefile edge",
                            i);
    return RUNE_OK;
}

/* " --key value": a list value (commas) stays a list; elements with blanks or '#' are quoted. */
static rune_status emit_arg(sbuf *b, const rune_manifest_arg *a, const char *stage, rune_error *err)
{
    const char *v = a->value ? a->value : "";
    for (const char *p = a->key; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "argument '%s' of base stage '%s' cannot be "
                            "written in a Runefile",
                            a->key, stage);
    int ctl = 0;
    for (const char *p = v; *p && !ctl; p++)
        ctl = (unsigned char)*p < ' ' || *p == 0x7f || *p == '"' || *p == '\\';
    if (ctl || !a->key[0])
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "argument '%s' of base stage '%s' holds a quote, backslash or control "
                        "character and cannot be recomposed",
                        a->key, stage);
    sb_printf(b, " --%s ", a->key);
    const char *p = v;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int quote = n == 0 || p[0] == '-' || p[0] == '[';
        for (size_t i = 0; i < n && !quote; i++)
            quote = isspace((unsigned char)p[i]) || p[i] == '#' || p[i] == '<' || p[i] == '(';
        if (quote) sb_append(b, "\"", 1);
        sb_append(b, p, n);
        if (quote) sb_append(b, "\"", 1);
        if (!e) break;
        sb_append(b, ",", 1);
        p = e + 1;
    }
    return RUNE_OK;
}

static rune_status emit_args(sbuf *b, const rune_manifest_stage *s, rune_error *err)
{
    for (size_t i = 0; i < s->nargs; i++) {
        rune_status st = emit_arg(b, &s->args[i], s->name, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

/* dir NULL: name a file that is not written (rc_compose_base_text for tests and fuzzers). */
static rune_status write_blob(const char *dir, const char *prefix, const rune_blob *bl, char *path,
                              size_t cap, rune_error *err)
{
    snprintf(path, cap, "%s/%s%s", dir ? dir : "/nonexistent", prefix, bl->name);
    return dir ? rune_file_write_atomic(path, bl->data, bl->len, err) : RUNE_OK;
}

/* The kind of a derived stage that replaces a base stage of the same name, or -1. */
static int derived_kind(const rune_runefile *d, const char *name)
{
    long i = d ? rune_runefile_find(d, name) : -1;
    return i < 0 ? -1 : (int)d->stages[i].kind;
}

static int derived_has_resource(const rune_runefile *d, const char *name)
{
    for (size_t i = 0; d && i < d->n_resources; i++)
        if (!strcmp(d->resources[i].name, name)) return 1;
    return 0;
}

/* A derived declaration of a base stage's name must be of the same kind. */
static rune_status check_kind(const rune_runefile *d, const char *name, rune_rf_stage_kind want,
                              const char *base, rune_error *err)
{
    int k = derived_kind(d, name);
    if (k < 0 || k == (int)want) return RUNE_OK;
    const rune_rf_stage *s = &d->stages[rune_runefile_find(d, name)];
    return RUNE_ERR(err, RUNE_E_INVALID,
                    "%s:%u:%u: '%s' is a %s in the base %s; a %s cannot replace it (use another "
                    "name)",
                    s->loc.file, (unsigned)s->loc.line, (unsigned)s->loc.col, name,
                    rune_rf_stage_kind_name(want), base, rune_rf_stage_kind_name(s->kind));
}

rune_status rc_compose_check_replacements(const rune_runefile *d, const rune_manifest *m,
                                          const char *base, rune_error *err)
{
    static const struct {
        size_t off_list, off_n;
        rune_rf_stage_kind kind;
    } lists[] = {
        {offsetof(rune_manifest, capabilities), offsetof(rune_manifest, ncapabilities),
         RUNE_RF_CAPABILITY},
        {offsetof(rune_manifest, proc_blocks), offsetof(rune_manifest, nproc_blocks),
         RUNE_RF_PROC_BLOCK},
        {offsetof(rune_manifest, models), offsetof(rune_manifest, nmodels), RUNE_RF_MODEL},
        {offsetof(rune_manifest, outputs), offsetof(rune_manifest, noutputs), RUNE_RF_OUT},
    };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        const rune_manifest_stage *arr =
            *(rune_manifest_stage *const *)((const char *)m + lists[l].off_list);
        size_t n = *(const size_t *)((const char *)m + lists[l].off_n);
        for (size_t i = 0; i < n; i++) {
            rune_status st = check_kind(d, arr[i].name, lists[l].kind, base, err);
            if (st != RUNE_OK) return st;
        }
    }
    return RUNE_OK;
}

static int cmp_edge_port(const void *a, const void *b)
{
    const rune_manifest_edge *x = *(const rune_manifest_edge *const *)a;
    const rune_manifest_edge *y = *(const rune_manifest_edge *const *)b;
    int c = strcmp(x->to, y->to);
    if (c) return c;
    return x->to_port < y->to_port ? -1 : x->to_port > y->to_port;
}

static rune_status emit_base(sbuf *b, const rune_container *c, const rune_runefile *d,
                             const char *dir, rune_error *err)
{
    const rune_manifest *m = c->manifest;
    rune_status st = RUNE_OK;
    char path[1400], ty[256];
    if ((st = check_words(m, err))) return st;
    sb_printf(b, "FROM runicos/base\n");
    for (size_t i = 0; i < m->ncapabilities && st == RUNE_OK; i++) {
        const rune_manifest_stage *s = &m->capabilities[i];
        if (derived_kind(d, s->name) >= 0) continue; /* replaced */
        if (s->noutputs != 1 || type_text(&s->outputs[0], ty, sizeof ty) != 0)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "base capability '%s' has no single output type in the manifest",
                            s->name);
        sb_printf(b, "CAPABILITY<%s> %s %s", ty, s->name, s->kind ? s->kind : "RAW");
        st = emit_args(b, s, err);
        sb_printf(b, "\n");
    }
    for (size_t i = 0; i < m->nproc_blocks && st == RUNE_OK; i++) {
        const rune_manifest_stage *s = &m->proc_blocks[i];
        if (derived_kind(d, s->name) >= 0) continue; /* replaced */
        size_t kl = strlen(s->kind);
        if (kl > 2 && !strcmp(s->kind + kl - 2, ".c"))
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "base proc block '%s' (%s) is a custom C block, whose source is not in "
                            "the rune: redeclare it in this Runefile",
                            s->name, s->kind ? s->kind : "?");
        sb_printf(b, "PROC_BLOCK %s %s", s->kind, s->name); /* the paper's SOURCE NAME order */
        st = emit_args(b, s, err);
        sb_printf(b, "\n");
    }
    for (size_t i = 0; i < m->nmodels && st == RUNE_OK; i++) {
        const rune_manifest_stage *s = &m->models[i];
        if (derived_kind(d, s->name) >= 0) continue; /* replaced */
        const rune_blob *bl = rune_container_model(c, s->name);
        if (!bl) return RUNE_ERR(err, RUNE_E_INVALID, "base model '%s' has no section", s->name);
        if ((st = write_blob(dir, "model-", bl, path, sizeof path, err))) break;
        sb_printf(b, "MODEL %s %s\n", path, s->name);
    }
    for (size_t i = 0; i < m->noutputs && st == RUNE_OK; i++) {
        const rune_manifest_stage *s = &m->outputs[i];
        if (derived_kind(d, s->name) >= 0) continue; /* replaced */
        char kind[32];
        snprintf(kind, sizeof kind, "%s", s->kind ? s->kind : "serial");
        for (char *p = kind; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        sb_printf(b, "OUT %s %s", kind, s->name);
        st = emit_args(b, s, err);
        sb_printf(b, "\n");
    }
    for (size_t i = 0; i < m->nresources && st == RUNE_OK; i++) {
        const rune_manifest_stage *s = &m->resources[i];
        if (derived_has_resource(d, s->name)) continue;
        const rune_blob *bl = rune_container_resource(c, s->name);
        if (!bl) return RUNE_ERR(err, RUNE_E_INVALID, "base resource '%s' has no section", s->name);
        if ((st = write_blob(dir, "resource-", bl, path, sizeof path, err))) break;
        sb_printf(b, "RESOURCE %s --path %s --type %s\n", s->name, path,
                  s->kind && !strcmp(s->kind, "binary") ? "binary" : "string");
    }
    if (st != RUNE_OK) return st;
    for (size_t i = 0; i < m->noutputs; i++) { /* else the paper's rule would feed it */
        size_t k = 0;
        while (k < m->npipeline && strcmp(m->pipeline[k].to, m->outputs[i].name) != 0)
            k++;
        if (k == m->npipeline && derived_kind(d, m->outputs[i].name) < 0)
            return RUNE_ERR(err, RUNE_E_INVALID, "base output '%s' is fed by nothing",
                            m->outputs[i].name);
    }
    /* One RUN line per edge, each consumer's edges in port order (ports number in that order). */
    const rune_manifest_edge **e = rune_malloc_array(m->npipeline ? m->npipeline : 1, sizeof *e);
    if (!e) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    for (size_t i = 0; i < m->npipeline; i++)
        e[i] = &m->pipeline[i];
    qsort(e, m->npipeline, sizeof *e, cmp_edge_port);
    for (size_t i = 0; i < m->npipeline; i++)
        sb_printf(b, "RUN %s.%u %s\n", e[i]->from, (unsigned)e[i]->from_port, e[i]->to);
    rune_free(e);
    return b->nomem ? RUNE_ERR(err, RUNE_E_NOMEM, "out of memory") : RUNE_OK;
}

rune_status rc_compose_base_text(const rune_container *base, const rune_runefile *derived,
                                 const char *dir, char **out, size_t *out_len, rune_error *err)
{
    sbuf b = {0};
    *out = NULL;
    rune_status st = emit_base(&b, base, derived, dir, err);
    if (st != RUNE_OK) {
        rune_free(b.p);
        return st;
    }
    *out = b.p;
    *out_len = b.len;
    return RUNE_OK;
}
