/*
 * compose.c - FROM composition for `rune build`: a Runefile whose FROM names another rune is read
 * as the continuation of that rune's own pipeline (contract in rune/compiler.h).
 *
 * How: the base rune is found (local OCI store, else pulled from a registry), its manifest is
 * turned back into Runefile text (typed capabilities, proc blocks in the paper's SOURCE NAME order,
 * models and resources as files extracted into a temp directory, one RUN line per edge), the
 * declarations the derived Runefile makes itself are left out of that text, and the derived text
 * is appended with its FROM line blanked. The merged text is parsed and type-checked like any
 * Runefile, then every location is mapped back: lines of the derived part to their own numbers,
 * lines of the base part to the FROM line. To learn which names the derived Runefile declares, it
 * is parsed once with its RUN lines blanked (so names of base stages are not needed yet).
 *
 * Workload: Runefiles of tens of lines, FROM chains of a few runes; everything is linear scans.
 */
#include "compiler_int.h"

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/registry.h"
#include "rune/sign.h"
#include "rune/source.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CHAIN 32
#define STUB_NAME "rune_compose_stub_"

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

/* ---- the derived text ------------------------------------------------------------------------ */

static int is_root_image(const char *img)
{
    return !img || strncmp(img, "runicos/", 8) == 0;
}

static int is_yaml(const char *path, const char *text, size_t len)
{
    size_t n = strlen(path);
    if ((n >= 4 && !strcmp(path + n - 4, ".yml")) || (n >= 5 && !strcmp(path + n - 5, ".yaml")))
        return 1;
    size_t i = 0;
    for (;;) { /* the first directive, past blanks and comments */
        while (i < len && isspace((unsigned char)text[i]))
            i++;
        if (i < len && text[i] == '#') {
            while (i < len && text[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    return len - i >= 8 && !strncmp(text + i, "version:", 8);
}

/* Blank (spaces, newlines kept) every logical line whose directive is RUN; returns how many. */
static size_t blank_run_lines(char *t, size_t n)
{
    int cont = 0, blank = 0;
    size_t nrun = 0;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        if (!cont) {
            size_t w = i;
            while (w < e && (t[w] == ' ' || t[w] == '\t'))
                w++;
            size_t we = w;
            while (we < e && !isspace((unsigned char)t[we]) && t[we] != '<')
                we++;
            blank = we - w == 3 && strncasecmp(t + w, "RUN", 3) == 0;
            nrun += (size_t)blank;
        }
        size_t last = e;
        while (last > i && isspace((unsigned char)t[last - 1]))
            last--;
        cont = last > i && t[last - 1] == '\\';
        if (blank)
            for (size_t k = i; k < e; k++)
                t[k] = ' ';
        i = e < n ? e + 1 : e;
    }
    return nrun;
}

/* Blank lines 1..line (the FROM directive and what precedes it: only comments). */
static void blank_upto(char *t, size_t n, uint32_t line)
{
    uint32_t cur = 1;
    for (size_t i = 0; i < n && cur <= line; i++) {
        if (t[i] == '\n')
            cur++;
        else
            t[i] = ' ';
    }
}

/* ---- finding the base ------------------------------------------------------------------------ */

static int loopback_host(const char *h)
{
    return !strncmp(h, "localhost", 9) || !strncmp(h, "127.", 4) || !strncmp(h, "[::1]", 5);
}

/* An error at the FROM line: "FILE:L:C: FROM ref: ..." */
static rune_status from_err(rune_error *err, rune_status st, const rune_runefile *g,
                            const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static rune_status from_err(rune_error *err, rune_status st, const rune_runefile *g,
                            const char *fmt, ...)
{
    char msg[RUNE_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return RUNE_ERR(err, st, "%s:%u:%u: FROM %s: %s", g->file, (unsigned)g->image_loc.line,
                    (unsigned)g->image_loc.col, g->image, msg);
}

static rune_status open_registry(const rune_build_options *o, const char *host, rune_registry **out,
                                 rune_error *err)
{
    rune_registry_opts ro;
    memset(&ro, 0, sizeof ro);
    const char *env = getenv("RUNE_REGISTRY_PLAIN_HTTP");
    ro.plain_http = o->registry_plain_http || (env && !strcmp(env, "1")) || loopback_host(host);
    ro.username = getenv("RUNE_REGISTRY_USER");
    ro.password = getenv("RUNE_REGISTRY_PASSWORD");
    if (ro.username && !ro.username[0]) ro.username = NULL;
    return rune_registry_open(host, &ro, out, err);
}

/* Resolve the FROM reference to an OCI manifest digest in the store, pulling it when missing. */
static rune_status resolve_base(const rune_build_options *o, rune_oci_store *store,
                                const rune_runefile *g, const rune_oci_ref *ref,
                                char digest[RUNE_DIGEST_STR_LEN], rune_error *err)
{
    char local[600];
    if (ref->digest[0])
        snprintf(local, sizeof local, "%s@%s", ref->name, ref->digest);
    else
        rune_oci_ref_local(ref, local, sizeof local);
    rune_error e2;
    rune_error_clear(&e2);
    rune_status st = rune_oci_store_resolve(store, local, digest, &e2);
    if (st == RUNE_OK) return RUNE_OK;
    if (st != RUNE_E_NOT_FOUND)
        return from_err(err, st, g, "local store %s: %s", rune_oci_store_path(store), e2.msg);
    const char *host = ref->host[0]  ? ref->host
                       : o->registry ? o->registry
                                     : getenv("RUNE_REGISTRY");
    if (!host || !*host)
        return from_err(err, RUNE_E_NOT_FOUND, g,
                        "no such rune in the local store %s (build it with -t %s, pull it, or "
                        "name a registry with --registry / $RUNE_REGISTRY)",
                        rune_oci_store_path(store), local);
    rune_registry *r = NULL;
    st = open_registry(o, host, &r, &e2);
    if (st == RUNE_OK)
        st = rune_registry_pull(r, store, ref->name, ref->digest[0] ? ref->digest : ref->tag, NULL,
                                digest, &e2);
    rune_registry_close(r);
    if (st != RUNE_OK)
        return from_err(err, st, g, "not in the local store and not pulled from %s: %s", host,
                        e2.msg);
    if (o->verbose) fprintf(stderr, "rune build: pulled base %s from %s\n", g->image, host);
    return RUNE_OK;
}

/* Two references name the same rune version: same name and the same tag or digest. */
static int same_ref(const rune_oci_ref *a, const rune_oci_ref *b)
{
    if (strcmp(a->name, b->name) != 0) return 0;
    if (a->tag[0] && b->tag[0]) return strcmp(a->tag, b->tag) == 0;
    return a->digest[0] && b->digest[0] && strcmp(a->digest, b->digest) == 0;
}

static void ref_str(const rune_oci_ref *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s%s", r->name, r->tag[0] ? ":" : "", r->tag, r->tag[0] ? "" : "@",
             r->tag[0] ? "" : r->digest);
}

/* Walk the base chain (as far as the store has it) looking for the rune being built or a repeat. */
static rune_status check_chain(const rune_build_options *o, rune_oci_store *store,
                               const rune_runefile *g, const rune_oci_ref *first,
                               const rune_manifest *first_m, rune_error *err)
{
    rune_oci_ref chain[MAX_CHAIN + 1];
    size_t n = 0;
    if (o->tag) {
        rune_error e2;
        if (rune_oci_ref_parse(o->tag, &chain[0], &e2) == RUNE_OK) n = 1;
    }
    rune_oci_ref cur = *first;
    rune_manifest *owned = NULL;
    const rune_manifest *m = first_m;
    rune_status st = RUNE_OK;
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            if (!same_ref(&chain[i], &cur)) continue;
            char path[RUNE_ERROR_MSG_MAX] = "", one[300];
            size_t used = 0;
            for (size_t k = i; k < n; k++) {
                ref_str(&chain[k], one, sizeof one);
                used += (size_t)snprintf(path + used, used < sizeof path ? sizeof path - used : 0,
                                         "%s -> ", one);
                if (used >= sizeof path) break;
            }
            ref_str(&cur, one, sizeof one);
            if (used < sizeof path) snprintf(path + used, sizeof path - used, "%s", one);
            st = from_err(err, RUNE_E_INVALID, g, "cycle in FROM: %s", path);
            goto out;
        }
        if (n == MAX_CHAIN) {
            st =
                from_err(err, RUNE_E_LIMIT, g, "the FROM chain is deeper than %d runes", MAX_CHAIN);
            goto out;
        }
        chain[n++] = cur;
        if (!m || is_root_image(m->base)) break;
        rune_error e2;
        if (rune_oci_ref_parse(m->base, &cur, &e2) != RUNE_OK) break; /* not a rune reference */
        /* The next link, if the store has it: the composed base is self-contained, so a missing
         * ancestor only ends the walk. */
        char local[600], d[RUNE_DIGEST_STR_LEN];
        if (cur.digest[0])
            snprintf(local, sizeof local, "%s@%s", cur.name, cur.digest);
        else
            rune_oci_ref_local(&cur, local, sizeof local);
        uint8_t *bytes = NULL;
        size_t len = 0;
        rune_container *c = NULL;
        rune_manifest_free(owned);
        owned = NULL;
        m = NULL;
        if (rune_oci_store_resolve(store, local, d, &e2) == RUNE_OK &&
            rune_oci_store_get_rune(store, local, &bytes, &len, &e2) == RUNE_OK &&
            rune_container_open(bytes, len, &c, &e2) == RUNE_OK) {
            owned = c->manifest;
            c->manifest = NULL;
        }
        rune_container_free(c);
        rune_free(bytes);
        m = owned;
    }
out:
    rune_manifest_free(owned);
    return st;
}

/* ---- the base as Runefile text --------------------------------------------------------------- */

static const char *const dtype_rf[] = {"U8", "I8", "I16", "I32", NULL, "F32", "F64", "UTF8"};

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

static rune_status check_replacements(const rune_runefile *d, const rune_manifest *m,
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

/* The paper's rule feeds an OUT no RUN line names from the last RUN line; in a FROM Runefile
 * without RUN lines of its own that would be some base edge, so a new OUT there is refused instead.
 */
static rune_status check_unfed_outs(const rune_runefile *decl, const rune_manifest *base,
                                    rune_error *err)
{
    for (size_t i = 0; i < decl->n_stages; i++) {
        const rune_rf_stage *s = &decl->stages[i];
        if (s->kind != RUNE_RF_OUT || rune_manifest_find(base, RUNE_LIST_OUTPUTS, s->name))
            continue;
        return RUNE_ERR(
            err, RUNE_E_INVALID,
            "%s:%u:%u: output '%s' is fed by nothing: name it in a RUN line (the base's "
            "RUN lines do not feed a FROM Runefile's outputs)",
            s->loc.file, (unsigned)s->loc.line, (unsigned)s->loc.col, s->name);
    }
    return RUNE_OK;
}

/* ---- mapping locations back ------------------------------------------------------------------ */

static void map_loc(rune_rf_loc *l, uint32_t base_lines, const rune_rf_loc *from)
{
    if (l->line > base_lines) {
        l->line -= base_lines;
    } else {
        l->line = from->line;
        l->col = from->col;
    }
}

static void map_graph(rune_runefile *g, uint32_t base_lines, const rune_rf_loc *from)
{
    g->image_loc.line = from->line;
    g->image_loc.col = from->col;
    for (size_t i = 0; i < g->n_stages; i++) {
        map_loc(&g->stages[i].loc, base_lines, from);
        for (size_t k = 0; k < g->stages[i].n_args; k++)
            map_loc(&g->stages[i].args[k].loc, base_lines, from);
    }
    for (size_t i = 0; i < g->n_edges; i++)
        map_loc(&g->edges[i].loc, base_lines, from);
    for (size_t i = 0; i < g->n_resources; i++)
        map_loc(&g->resources[i].loc, base_lines, from);
}

/* Rewrite every "FILE:L:C" in err's message the same way. */
static void map_msg(rune_error *err, const char *file, uint32_t base_lines, const rune_rf_loc *from)
{
    if (!err) return;
    char out[RUNE_ERROR_MSG_MAX];
    size_t o = 0, fl = strlen(file);
    const char *p = err->msg;
    while (*p && o + 1 < sizeof out) {
        if (!strncmp(p, file, fl) && p[fl] == ':' && isdigit((unsigned char)p[fl + 1])) {
            char *end = NULL;
            unsigned long line = strtoul(p + fl + 1, &end, 10);
            if (*end == ':' && isdigit((unsigned char)end[1])) {
                char *end2 = NULL;
                unsigned long col = strtoul(end + 1, &end2, 10);
                rune_rf_loc l = {file, (uint32_t)line, (uint32_t)col};
                map_loc(&l, base_lines, from);
                int w = snprintf(out + o, sizeof out - o, "%s:%u:%u%s", file, (unsigned)l.line,
                                 (unsigned)l.col, line <= base_lines ? " (in the base)" : "");
                o = w > 0 && (size_t)w < sizeof out - o ? o + (size_t)w : sizeof out - 1;
                p = end2;
                continue;
            }
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
    memcpy(err->msg, out, o + 1);
}

/* ---- the entry point ------------------------------------------------------------------------- */

void rc_compose_free(rc_compose *cx)
{
    if (!cx) return;
    for (size_t i = 0; i < cx->nfiles; i++) {
        unlink(cx->files[i]);
        rune_free(cx->files[i]);
    }
    rune_free(cx->files);
    if (cx->tmpdir[0]) rmdir(cx->tmpdir);
    rune_free(cx->text);
    memset(cx, 0, sizeof *cx);
}

/* Remember the files in the temp dir so rc_compose_free removes exactly those. */
static rune_status note_files(rc_compose *cx, const rune_container *c, rune_error *err)
{
    size_t n = c->nmodels + c->nresources;
    cx->files = rune_calloc(n ? n : 1, sizeof *cx->files);
    if (!cx->files) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const rune_blob *bl = i < c->nmodels ? &c->models[i] : &c->resources[i - c->nmodels];
        char p[1400];
        snprintf(p, sizeof p, "%s/%s%s", cx->tmpdir, i < c->nmodels ? "model-" : "resource-",
                 bl->name);
        cx->files[i] = rune_strdup(p);
        if (!cx->files[i]) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
        cx->nfiles++;
    }
    return RUNE_OK;
}

rune_status rc_compose_load(const rune_build_options *o, rune_runefile **out, rc_compose *cx,
                            rune_error *err)
{
    memset(cx, 0, sizeof *cx);
    *out = NULL;
    uint8_t *raw = NULL;
    size_t len = 0;
    rune_status st = rune_file_read_max(o->runefile, 16u << 20, &raw, &len, err);
    if (st != RUNE_OK) return st;
    char *text = (char *)raw;
    if (is_yaml(o->runefile, text, len)) {
        rune_free(raw);
        st = rc_load_checked_plain(o->runefile, out, err);
        if (st == RUNE_OK && !is_root_image((*out)->image)) {
            const rune_runefile *g = *out;
            st = RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                          "%s:%u:%u: image %s: composing on another rune needs the text Runefile "
                          "syntax (FROM %s); Runefile.yml takes runicos/ images only",
                          g->file, (unsigned)g->image_loc.line, (unsigned)g->image_loc.col,
                          g->image, g->image);
            rune_runefile_free(*out);
            *out = NULL;
        }
        return st;
    }

    /* Pass 1: the derived Runefile's own declarations, RUN lines blanked; a stub feeds its OUTs. */
    rune_runefile *decl = NULL, *g = NULL;
    rune_container *base = NULL;
    rune_oci_store *store = NULL;
    uint8_t *base_bytes = NULL;
    size_t base_len = 0;
    sbuf b = {0};
    sbuf p1 = {0};
    sb_append(&p1, text, len);
    sb_printf(&p1, "\nCAPABILITY<U8[1]> %s RAW\nRUN %s\n", STUB_NAME, STUB_NAME);
    if (p1.nomem) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
        goto done;
    }
    size_t derived_runs = blank_run_lines(p1.p, len);
    st = rune_runefile_parse_text(p1.p, p1.len, o->runefile, &decl, err);
    if (st != RUNE_OK) goto done;
    if (is_root_image(decl->image)) {
        rune_runefile_free(decl);
        decl = NULL;
        st = rc_load_checked_plain(o->runefile, out, err);
        goto done;
    }

    /* The base. */
    rune_oci_ref ref;
    rune_error e2;
    if (rune_oci_ref_parse(decl->image, &ref, &e2) != RUNE_OK) {
        st = from_err(err, RUNE_E_INVALID, decl, "%s", e2.msg);
        goto done;
    }
    st = rune_oci_store_open(o->store_dir, &store, &e2);
    if (st != RUNE_OK) {
        st = from_err(err, st, decl, "%s", e2.msg);
        goto done;
    }
    char digest[RUNE_DIGEST_STR_LEN];
    if ((st = resolve_base(o, store, decl, &ref, digest, err))) goto done;
    char local[600];
    snprintf(local, sizeof local, "%s@%s", ref.name, digest);
    st = rune_oci_store_get_rune(store, local, &base_bytes, &base_len, &e2);
    if (st == RUNE_OK) st = rune_container_open(base_bytes, base_len, &base, &e2);
    if (st != RUNE_OK) {
        st = from_err(err, st, decl, "the stored rune is unusable: %s", e2.msg);
        goto done;
    }
    if (o->base_trust) {
        rune_verify_result vr;
        st = rune_sign_verify(base_bytes, base_len, o->base_trust, &vr, &e2);
        if (st != RUNE_OK) {
            st = from_err(err, st, decl, "refused by the trust policy: %s", e2.msg);
            goto done;
        }
    }
    if ((st = check_chain(o, store, decl, &ref, base->manifest, err))) goto done;
    snprintf(cx->base_ref, sizeof cx->base_ref, "%s%s%s%s%s@%s", ref.host, ref.host[0] ? "/" : "",
             ref.name, ref.tag[0] ? ":" : "", ref.tag, digest);

    /* Pass 2: the base's text, then the derived text with its FROM blanked. */
    const char *tmp = getenv("TMPDIR");
    if (tmp && strpbrk(tmp, " \t\n#\"\\")) tmp = NULL; /* the path becomes a Runefile word */
    snprintf(cx->tmpdir, sizeof cx->tmpdir, "%s/rune-compose-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(cx->tmpdir)) {
        st = RUNE_ERR(err, RUNE_E_IO, "%s: %s", cx->tmpdir, strerror(errno));
        cx->tmpdir[0] = '\0';
        goto done;
    }
    if ((st = note_files(cx, base, err))) goto done;
    if ((st = check_replacements(decl, base->manifest, decl->image, err))) goto done;
    if (!derived_runs && (st = check_unfed_outs(decl, base->manifest, err))) goto done;
    st = emit_base(&b, base, decl, cx->tmpdir, err);
    if (st != RUNE_OK) {
        rune_error_prefix(err, "%s:%u:%u: FROM %s", decl->file, (unsigned)decl->image_loc.line,
                          (unsigned)decl->image_loc.col, decl->image);
        goto done;
    }
    uint32_t base_lines = 0;
    for (size_t i = 0; i < b.len; i++)
        base_lines += b.p[i] == '\n';
    size_t derived_at = b.len;
    sb_append(&b, text, len);
    if (b.nomem) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
        goto done;
    }
    blank_upto(b.p + derived_at, len, decl->image_loc.line);
    rune_rf_loc from = decl->image_loc;
    st = rune_runefile_parse_text(b.p, b.len, o->runefile, &g, err);
    if (st != RUNE_OK) {
        map_msg(err, decl->file, base_lines, &from);
        goto done;
    }
    map_graph(g, base_lines, &from);
    char *img = rune_strdup(decl->image); /* the graph shows what the Runefile says */
    if (!img) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
        goto done;
    }
    rune_free(g->image);
    g->image = img;
    rc_resolver_ctx rctx;
    rune_rf_resolver r;
    rc_resolver_init(&rctx, o->runefile, &r);
    st = rune_runefile_typecheck(g, &r, err);
    if (st != RUNE_OK) goto done;
    cx->text = b.p;
    cx->text_len = b.len;
    b.p = NULL;
    *out = g;
    g = NULL;
done:
    rune_runefile_free(g);
    rune_runefile_free(decl);
    rune_container_free(base);
    rune_free(base_bytes);
    rune_oci_store_close(store);
    rune_free(b.p);
    rune_free(p1.p);
    rune_free(raw);
    if (st != RUNE_OK) rc_compose_free(cx);
    return st;
}
