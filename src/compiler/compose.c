/*
 * compose.c - FROM composition for `rune build`: a Runefile whose FROM names another rune is read
 * as the continuation of that rune's own pipeline (contract in rune/compiler.h).
 *
 * How: the base rune is found (local OCI store, else pulled from a registry; checked against the
 * trust policy and for FROM cycles), its manifest is turned back into Runefile text without the
 * declarations the derived Runefile makes itself (compose_text.c; models and resources extracted
 * into a temp directory), and the derived text is appended with its FROM line blanked. The merged
 * text is parsed and type-checked like any Runefile, then every location is mapped back: lines of
 * the derived part to their own numbers, lines of the base part to the FROM line. To learn which
 * names the derived Runefile declares, it is parsed once first with its RUN lines blanked (so the
 * names of base stages are not needed yet).
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
#define FEEDER_NAME "rune_compose_feeder_"

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

/* NAME@DIGEST may also name the rune digest (what `rune build` prints) instead of the OCI manifest
 * digest: look for a stored NAME:* whose manifest carries that rune digest. */
static int find_by_rune_digest(rune_oci_store *store, const rune_oci_ref *ref,
                               char digest[RUNE_DIGEST_STR_LEN])
{
    rune_oci_entry *e = NULL;
    size_t n = 0, nl = strlen(ref->name);
    int found = 0;
    if (!ref->digest[0] || rune_oci_store_list(store, &e, &n, NULL) != RUNE_OK) return 0;
    for (size_t i = 0; i < n && !found; i++) {
        if (strncmp(e[i].ref, ref->name, nl) != 0 || e[i].ref[nl] != ':') continue;
        uint8_t *blob = NULL;
        size_t blen = 0;
        rune_oci_manifest *m = NULL;
        if (rune_oci_store_get_blob(store, e[i].digest, &blob, &blen, NULL) == RUNE_OK &&
            rune_oci_manifest_parse((const char *)blob, blen, &m, NULL) == RUNE_OK &&
            m->rune_digest && !strcmp(m->rune_digest, ref->digest)) {
            memcpy(digest, e[i].digest, RUNE_DIGEST_STR_LEN);
            found = 1;
        }
        rune_oci_manifest_free(m);
        rune_free(blob);
    }
    rune_free(e);
    return found;
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
    /* First as a rune digest: the store resolves NAME@DIGEST for any blob it holds, and an
     * unsigned rune's digest is also its layer's. */
    if (find_by_rune_digest(store, ref, digest)) return RUNE_OK;
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

/* Runefile.yml: no composition (its image must be a root). */
static rune_status load_yaml(const char *path, rune_runefile **out, rune_error *err)
{
    rune_status st = rc_load_checked_plain(path, out, err);
    if (st != RUNE_OK || is_root_image((*out)->image)) return st;
    const rune_runefile *g = *out;
    st = RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                  "%s:%u:%u: image %s: composing on another rune needs the text Runefile syntax "
                  "(FROM %s); Runefile.yml takes runicos/ images only",
                  g->file, (unsigned)g->image_loc.line, (unsigned)g->image_loc.col, g->image,
                  g->image);
    rune_runefile_free(*out);
    *out = NULL;
    return st;
}

/* Pass 1: the derived Runefile's own declarations, its RUN lines blanked; a placeholder capability feeds
 * its OUTs (the paper's rule needs a RUN line). *nrun gets the number of RUN lines. */
static rune_status load_decl(const char *path, const char *text, size_t len, rune_runefile **decl,
                             size_t *nrun, rune_error *err)
{
    static const char feeder[] = "\nCAPABILITY<U8[1]> " FEEDER_NAME " RAW\nRUN " FEEDER_NAME "\n";
    char *p1 = rune_malloc(len + sizeof feeder);
    if (!p1) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    memcpy(p1, text, len);
    memcpy(p1 + len, feeder, sizeof feeder);
    *nrun = blank_run_lines(p1, len);
    rune_status st = rune_runefile_parse_text(p1, len + sizeof feeder - 1, path, decl, err);
    rune_free(p1);
    return st;
}

/* The base: resolved (pulled if need be), read, checked against the trust policy and the chain. */
static rune_status load_base(const rune_build_options *o, const rune_runefile *decl, rc_compose *cx,
                             uint8_t **bytes, size_t *len, rune_container **base, rune_error *err)
{
    rune_oci_ref ref;
    rune_oci_store *store = NULL;
    rune_error e2;
    char digest[RUNE_DIGEST_STR_LEN], local[600];
    rune_status st = rune_oci_ref_parse(decl->image, &ref, &e2);
    if (st != RUNE_OK) return from_err(err, RUNE_E_INVALID, decl, "%s", e2.msg);
    st = rune_oci_store_open(o->store_dir, &store, &e2);
    if (st != RUNE_OK) return from_err(err, st, decl, "%s", e2.msg);
    if ((st = resolve_base(o, store, decl, &ref, digest, err))) goto done;
    snprintf(local, sizeof local, "%s@%s", ref.name, digest);
    st = rune_oci_store_get_rune(store, local, bytes, len, &e2);
    if (st == RUNE_OK) st = rune_container_open(*bytes, *len, base, &e2);
    if (st != RUNE_OK) {
        st = from_err(err, st, decl, "the stored rune is unusable: %s", e2.msg);
        goto done;
    }
    if (o->base_trust) {
        rune_verify_result vr;
        st = rune_sign_verify(*bytes, *len, o->base_trust, &vr, &e2);
        if (st != RUNE_OK) {
            st = from_err(err, st, decl, "refused by the trust policy: %s", e2.msg);
            goto done;
        }
    }
    if ((st = check_chain(o, store, decl, &ref, (*base)->manifest, err))) goto done;
    snprintf(cx->base_ref, sizeof cx->base_ref, "%s%s%s%s%s@%s", ref.host, ref.host[0] ? "/" : "",
             ref.name, ref.tag[0] ? ":" : "", ref.tag, digest);
done:
    rune_oci_store_close(store);
    return st;
}

/* Pass 2: the base's text (its files into a fresh temp dir), then the derived text with its FROM
 * blanked; parsed, locations mapped back, type-checked. */
static rune_status load_merged(const rune_build_options *o, const rune_runefile *decl,
                               const rune_container *base, const char *text, size_t len,
                               rc_compose *cx, rune_runefile **out, rune_error *err)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp && strpbrk(tmp, " \t\n#\"\\")) tmp = NULL; /* the path becomes a Runefile word */
    snprintf(cx->tmpdir, sizeof cx->tmpdir, "%s/rune-compose-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(cx->tmpdir)) {
        rune_status st = RUNE_ERR(err, RUNE_E_IO, "%s: %s", cx->tmpdir, strerror(errno));
        cx->tmpdir[0] = '\0';
        return st;
    }
    rune_status st = note_files(cx, base, err);
    if (st != RUNE_OK) return st;
    char *bt = NULL;
    size_t blen = 0;
    st = rc_compose_base_text(base, decl, cx->tmpdir, &bt, &blen, err);
    if (st != RUNE_OK)
        return rune_error_prefix(err, "%s:%u:%u: FROM %s", decl->file,
                                 (unsigned)decl->image_loc.line, (unsigned)decl->image_loc.col,
                                 decl->image);
    uint32_t base_lines = 0;
    for (size_t i = 0; i < blen; i++)
        base_lines += bt[i] == '\n';
    char *merged = rune_realloc(bt, blen + len + 1);
    if (!merged) {
        rune_free(bt);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    memcpy(merged + blen, text, len);
    merged[blen + len] = '\0';
    blank_upto(merged + blen, len, decl->image_loc.line);
    rune_rf_loc from = decl->image_loc;
    rune_runefile *g = NULL;
    st = rune_runefile_parse_text(merged, blen + len, o->runefile, &g, err);
    if (st != RUNE_OK) {
        map_msg(err, decl->file, base_lines, &from);
        rune_free(merged);
        return st;
    }
    cx->text = merged;
    cx->text_len = blen + len;
    map_graph(g, base_lines, &from);
    char *img = rune_strdup(decl->image); /* the graph shows what the Runefile says */
    if (!img) st = RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    if (st == RUNE_OK) {
        rune_free(g->image);
        g->image = img;
        rc_resolver_ctx rctx;
        rune_rf_resolver r;
        rc_resolver_init(&rctx, o->runefile, &r);
        st = rune_runefile_typecheck(g, &r, err);
    }
    if (st != RUNE_OK) {
        rune_runefile_free(g);
        return st;
    }
    *out = g;
    return RUNE_OK;
}

rune_status rc_compose_load(const rune_build_options *o, rune_runefile **out, rc_compose *cx,
                            rune_error *err)
{
    memset(cx, 0, sizeof *cx);
    *out = NULL;
    uint8_t *raw = NULL, *base_bytes = NULL;
    size_t len = 0, base_len = 0, nrun = 0;
    rune_runefile *decl = NULL;
    rune_container *base = NULL;
    rune_status st = rune_file_read_max(o->runefile, 16u << 20, &raw, &len, err);
    if (st != RUNE_OK) return st;
    const char *text = (const char *)raw;
    if (is_yaml(o->runefile, text, len)) {
        st = load_yaml(o->runefile, out, err);
        goto done;
    }
    if ((st = load_decl(o->runefile, text, len, &decl, &nrun, err))) goto done;
    if (is_root_image(decl->image)) {
        st = rc_load_checked_plain(o->runefile, out, err);
        goto done;
    }
    if ((st = load_base(o, decl, cx, &base_bytes, &base_len, &base, err))) goto done;
    if ((st = rc_compose_check_replacements(decl, base->manifest, decl->image, err))) goto done;
    if (!nrun && (st = check_unfed_outs(decl, base->manifest, err))) goto done;
    st = load_merged(o, decl, base, text, len, cx, out, err);
done:
    rune_runefile_free(decl);
    rune_container_free(base);
    rune_free(base_bytes);
    rune_free(raw);
    if (st != RUNE_OK) rc_compose_free(cx);
    return st;
}
