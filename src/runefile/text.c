/*
 * text.c - the text Runefile: the Rune paper's listing and the later typed form (syntax in
 * rune/runefile.h).
 *
 * A lexer cuts the source into logical lines of words, each word keeping the line and column where
 * it starts (continuations and comments are dropped here); one handler per directive (a table)
 * turns a line into stages, edges or resources of the builder. Every error names file:line:column
 * of the word at fault and, where a name was misspelt, the nearest valid one. Workload: Runefiles
 * of tens of lines written by people; clarity over speed.
 */
#include "runefile_int.h"

#include "rune/alloc.h"

#include <ctype.h>
#include <string.h>

typedef struct word {
    const char *p;
    size_t len;
    rune_rf_loc loc;
} word;

typedef struct text_parser {
    rf_builder b;
    const char *file; /* owned by the graph */
    int have_from;
    rune_rf_loc first_directive;
    int any_directive;
    /* The paper's convention: an OUT no RUN line mentions is fed by the last RUN's tail. */
    word last_run_tail;
    int have_run;
    rune_error *err;
} text_parser;

#define NOMEM(err) RUNE_ERR(err, RUNE_E_NOMEM, "out of memory reading a Runefile")

static rune_rf_loc loc_at(const word *w, size_t off)
{
    rune_rf_loc l = w->loc;
    l.col += (uint32_t)off; /* words never span lines */
    return l;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* ---- lexer ---------------------------------------------------------------------------------- */

typedef struct lexer {
    const char *src;
    size_t len, pos;
    uint32_t line, col;
    const char *file;
    word *words;
    size_t n_words, cap_words;
} lexer;

static void lex_advance(lexer *lx)
{
    if (lx->src[lx->pos] == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->pos++;
}

/* Is there a backslash at pos followed only by blanks up to a newline (or the end)? */
static int continuation_at(const lexer *lx, size_t pos)
{
    if (lx->src[pos] != '\\') return 0;
    size_t i = pos + 1;
    while (i < lx->len && is_blank(lx->src[i]))
        i++;
    return i == lx->len || lx->src[i] == '\n';
}

/* Reads one word starting at lx->pos. first: the directive word, where <...> groups blanks. */
static rune_status lex_word(lexer *lx, int first, rune_error *err)
{
    word w = {lx->src + lx->pos, 0, {lx->file, lx->line, lx->col}};
    char stack[16];
    rune_rf_loc open_loc[16];
    size_t depth = 0;
    int in_quote = 0;
    rune_rf_loc quote_loc = w.loc;
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c == '\n') break;
        if (c == '\0')
            return rf_err(err, RUNE_E_MALFORMED, (rune_rf_loc){lx->file, lx->line, lx->col},
                          "a NUL byte in a text Runefile");
        if (in_quote) {
            if (c == '\\' && lx->pos + 1 < lx->len && lx->src[lx->pos + 1] != '\n')
                lex_advance(lx);
            else if (c == '"')
                in_quote = 0;
            lex_advance(lx);
            continue;
        }
        if (depth == 0 && (is_blank(c) || continuation_at(lx, lx->pos))) break;
        rune_rf_loc here = {lx->file, lx->line, lx->col};
        if (c == '"') {
            in_quote = 1;
            quote_loc = here;
        } else if (c == '[' || (first && (c == '<' || c == '('))) {
            if (depth == sizeof stack)
                return rf_err(err, RUNE_E_MALFORMED, here, "brackets nested too deeply");
            open_loc[depth] = here;
            stack[depth++] = c == '[' ? ']' : c == '<' ? '>' : ')';
        } else if (depth > 0 && c == stack[depth - 1]) {
            depth--;
        } else if (c == ']' || (first && (c == '>' || c == ')'))) {
            return rf_err(err, RUNE_E_MALFORMED, here, "'%c' without a matching opening bracket",
                          c);
        }
        lex_advance(lx);
    }
    if (in_quote)
        return rf_err(err, RUNE_E_MALFORMED, quote_loc,
                      "unterminated string: '\"' has no closing '\"' before the end of the line");
    if (depth > 0) {
        char open = stack[depth - 1] == ']' ? '[' : stack[depth - 1] == '>' ? '<' : '(';
        return rf_err(err, RUNE_E_MALFORMED, open_loc[depth - 1],
                      "unterminated list: '%c' has no matching '%c' before the end of the line",
                      open, stack[depth - 1]);
    }
    w.len = (size_t)(lx->src + lx->pos - w.p);
    rune_status st =
        rf_grow((void **)&lx->words, &lx->cap_words, lx->n_words + 1, sizeof *lx->words, err);
    if (st) return st;
    lx->words[lx->n_words++] = w;
    return RUNE_OK;
}

/* Reads the next logical line into lx->words; returns RUNE_OK with n_words == 0 at the end. */
static rune_status lex_line(lexer *lx, rune_error *err)
{
    lx->n_words = 0;
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c == '\n') {
            lex_advance(lx);
            if (lx->n_words) return RUNE_OK;
            continue;
        }
        if (is_blank(c)) {
            lex_advance(lx);
            continue;
        }
        if (continuation_at(lx, lx->pos)) {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lex_advance(lx);
            if (lx->pos < lx->len) lex_advance(lx);
            continue;
        }
        if (c == '#') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lex_advance(lx);
            continue;
        }
        if (c == '\0')
            return rf_err(err, RUNE_E_MALFORMED, (rune_rf_loc){lx->file, lx->line, lx->col},
                          "a NUL byte in a text Runefile");
        rune_status st = lex_word(lx, lx->n_words == 0, err);
        if (st) return st;
    }
    return RUNE_OK;
}

/* ---- values and arguments ------------------------------------------------------------------- */

/* Trims blanks and, if quoted, the quotes (escapes \" and \\ are kept as written but unquoted). */
static rune_status push_value(rune_rf_arg *a, const char *s, size_t len, rune_error *err)
{
    while (len && is_blank(*s))
        s++, len--;
    while (len && is_blank(s[len - 1]))
        len--;
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        char *tmp = rune_malloc(len);
        if (!tmp) return NOMEM(err);
        size_t n = 0;
        for (size_t i = 1; i + 1 < len; i++) {
            if (s[i] == '\\' && i + 2 < len) i++;
            tmp[n++] = s[i];
        }
        rune_status st = rf_arg_push(a, tmp, n, err);
        rune_free(tmp);
        return st;
    }
    return rf_arg_push(a, s, len, err);
}

/* Splits "a, b" at commas outside quotes into a's values. */
static rune_status push_list(rune_rf_arg *a, const word *w, size_t off, const char *s, size_t len,
                             rune_error *err)
{
    size_t start = 0;
    int in_quote = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] == '"') in_quote = !in_quote;
        if (i < len && (in_quote || s[i] != ',')) continue;
        const char *item = s + start;
        size_t ilen = i - start;
        size_t k = 0;
        while (k < ilen && is_blank(item[k]))
            k++;
        if (k == ilen) {
            if (len == 0 || (i == len && a->n > 0 && start == len)) break; /* [] or trailing , */
            return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off + start),
                          "empty item in the list '%.*s'", (int)w->len, w->p);
        }
        rune_status st = push_value(a, item, ilen, err);
        if (st) return st;
        start = i + 1;
    }
    return RUNE_OK;
}

/* Adds key = the value in word v (a list if bracketed or holding a comma outside quotes). */
static rune_status add_arg(rune_rf_stage *st, const word *kw, const char *key, size_t key_len,
                           const word *v, size_t voff, rune_error *err)
{
    const char *s = v->p + voff;
    size_t len = v->len - voff;
    int bracketed = len >= 1 && s[0] == '[';
    int has_comma = 0, in_quote = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') in_quote = !in_quote;
        if (!in_quote && s[i] == ',') has_comma = 1;
    }
    if (bracketed && s[len - 1] != ']')
        return rf_err(err, RUNE_E_MALFORMED, loc_at(v, voff + len),
                      "unexpected text after the list '%.*s'", (int)len, s);
    if (key_len == 0)
        return rf_err(err, RUNE_E_MALFORMED, kw->loc, "an argument needs a name: '%.*s'",
                      (int)kw->len, kw->p);
    rune_rf_arg *a;
    rune_status rs = rf_arg_add(st, key, key_len, bracketed || has_comma, kw->loc, &a, err);
    if (rs) return rs;
    if (bracketed) return push_list(a, v, voff + 1, s + 1, len - 2, err);
    if (has_comma) return push_list(a, v, voff, s, len, err);
    return push_value(a, s, len, err);
}

/* Arguments from words[i..n): `--k v`, `--k=v`, `--flag`, or bare `k v` pairs. */
static rune_status parse_args(rune_rf_stage *st, const word *w, size_t i, size_t n, rune_error *err)
{
    while (i < n) {
        const word *k = &w[i];
        if (k->len >= 2 && k->p[0] == '-' && k->p[1] == '-') {
            const char *eq = memchr(k->p, '=', k->len);
            if (eq) {
                size_t klen = (size_t)(eq - k->p) - 2;
                rune_status rs = add_arg(st, k, k->p + 2, klen, k, klen + 3, err);
                if (rs) return rs;
                i++;
                continue;
            }
            if (i + 1 < n && !(w[i + 1].len >= 2 && w[i + 1].p[0] == '-' && w[i + 1].p[1] == '-')) {
                rune_status rs = add_arg(st, k, k->p + 2, k->len - 2, &w[i + 1], 0, err);
                if (rs) return rs;
                i += 2;
                continue;
            }
            word t = {"true", 4, k->loc};
            rune_status rs = add_arg(st, k, k->p + 2, k->len - 2, &t, 0, err);
            if (rs) return rs;
            i++;
            continue;
        }
        if (i + 1 >= n)
            return rf_err(err, RUNE_E_MALFORMED, k->loc,
                          "argument '%.*s' has no value (write '%.*s VALUE' or '--%.*s VALUE')",
                          (int)k->len, k->p, (int)k->len, k->p, (int)k->len, k->p);
        rune_status rs = add_arg(st, k, k->p, k->len, &w[i + 1], 0, err);
        if (rs) return rs;
        i += 2;
    }
    return RUNE_OK;
}

/* ---- names and types ------------------------------------------------------------------------ */

static int is_ident(const char *s, size_t len)
{
    if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-')) return 0;
    return 1;
}

static rune_status check_name(const word *w, const char *what, rune_error *err)
{
    if (is_ident(w->p, w->len)) return RUNE_OK;
    return rf_err(err, RUNE_E_MALFORMED, w->loc,
                  "bad %s name '%.*s': use letters, digits, '_' and '-', starting with a letter",
                  what, (int)w->len, w->p);
}

static rune_status bad_type(const word *w, size_t off, const char *s, size_t len, int kind,
                            size_t bad, rune_error *err)
{
    char hint[64];
    if (kind == 1) {
        size_t elen = 0;
        while (elen < len && s[elen] != '[')
            elen++;
        return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off),
                      "bad type '%.*s': expected an element type such as U8, I8, U16, I16, U32, "
                      "I32, F32, F64, UTF8; got '%.*s'%s",
                      (int)len, s, (int)elen, s,
                      rf_hint(hint, sizeof hint, s, elen, rf_elem_names, rf_n_elem_names));
    }
    return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off + bad),
                  "bad dimensions in '%.*s': expected [N,N,...] with whole numbers from 1 up",
                  (int)len, s);
}

static size_t skip_blanks(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* One type of a <...> list, from *i up to the next ',', '(' or ')' outside brackets. */
static rune_status one_type(const word *w, size_t off, const char *s, size_t len, size_t *i,
                            rune_rf_type *out, rune_error *err)
{
    size_t start = skip_blanks(s, *i, len), j = start, depth = 0;
    while (j < len && (depth || (s[j] != ',' && s[j] != ')' && s[j] != '('))) {
        if (s[j] == '[') depth++;
        if (s[j] == ']' && depth) depth--;
        j++;
    }
    size_t end = j;
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    if (end == start) return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off + start), "missing type");
    size_t bad = 0;
    int k = rf_type_parse_ex(s + start, end - start, out, &bad);
    if (k) return bad_type(w, off + start, s + start, end - start, k, bad, err);
    *i = j;
    return RUNE_OK;
}

/* Types between < and > of word w (from offset off, length len): "T" or "IN,OUT", where each side
 * is T or (T,T,...). */
static rune_status parse_types(const word *w, size_t off, size_t len, rune_rf_stage *st,
                               int one_side, rune_error *err)
{
    const char *s = w->p + off;
    size_t side = 0, i = 0;
    size_t n_side[2] = {0, 0};
    rune_rf_type *dst[2] = {st->decl_in, st->decl_out};
    rune_status rs;
    for (;;) {
        i = skip_blanks(s, i, len);
        if (side == 2)
            return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off + i),
                          "too many types: write <OUT> or <IN,OUT>, grouping ports as (T,T)");
        if (i < len && s[i] == '(') {
            size_t open = i++;
            for (;;) {
                if (n_side[side] == RUNE_RF_MAX_PORTS)
                    return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off + i),
                                  "too many ports: a stage has at most %d", RUNE_RF_MAX_PORTS);
                if ((rs = one_type(w, off, s, len, &i, &dst[side][n_side[side]], err))) return rs;
                n_side[side]++;
                i = skip_blanks(s, i, len);
                if (i < len && s[i] == ',') {
                    i++;
                    continue;
                }
                if (i < len && s[i] == ')') {
                    i++;
                    break;
                }
                if (i == len)
                    return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off + open),
                                  "unterminated '(' group");
                return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off + i), "expected ',' or ')'");
            }
        } else {
            if ((rs = one_type(w, off, s, len, &i, &dst[side][0], err))) return rs;
            n_side[side] = 1;
        }
        side++;
        i = skip_blanks(s, i, len);
        if (i == len) break;
        if (s[i] != ',')
            return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off + i), "unexpected '%c'", s[i]);
        i++;
    }
    if (one_side) {
        if (side != 1)
            return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off),
                          "a capability has only outputs: write CAPABILITY<OUT>, e.g. "
                          "CAPABILITY<I16[16000]>");
        memcpy(st->decl_out, st->decl_in, sizeof st->decl_out);
        memset(st->decl_in, 0, sizeof st->decl_in);
        st->n_decl_out = n_side[0];
        st->n_decl_in = 0;
        return RUNE_OK;
    }
    if (side != 2)
        return rf_err(err, RUNE_E_MALFORMED, loc_at(w, off),
                      "expected <INPUT,OUTPUT> types, e.g. <I16[16000],I8[1960]>");
    st->n_decl_in = n_side[0];
    st->n_decl_out = n_side[1];
    return RUNE_OK;
}

/* ---- directives ----------------------------------------------------------------------------- */

typedef struct line {
    const word *w;
    size_t n;
    const word *types; /* the directive word, when it has <...> */
    size_t types_off, types_len;
} line;

static rune_status need_words(text_parser *tp, const line *ln, size_t n, const char *usage)
{
    if (ln->n >= n) return RUNE_OK;
    const word *last = &ln->w[ln->n - 1];
    return rf_err(tp->err, RUNE_E_MALFORMED, loc_at(last, last->len), "%.*s needs %s",
                  (int)ln->w[0].len, ln->w[0].p, usage);
}

static rune_status dir_from(text_parser *tp, const line *ln)
{
    rune_runefile *g = tp->b.g;
    if (ln->types) return rf_err(tp->err, RUNE_E_MALFORMED, ln->w[0].loc, "FROM takes no types");
    if (tp->have_from)
        return rf_err(tp->err, RUNE_E_INVALID, ln->w[0].loc,
                      "a second FROM; the base image was given at %s:%u:%u", g->image_loc.file,
                      (unsigned)g->image_loc.line, (unsigned)g->image_loc.col);
    if (tp->any_directive)
        return rf_err(tp->err, RUNE_E_INVALID, ln->w[0].loc,
                      "FROM must come before every other directive");
    if (ln->n != 2)
        return rf_err(tp->err, RUNE_E_MALFORMED, ln->n < 2 ? ln->w[0].loc : ln->w[2].loc,
                      "FROM takes one image name, e.g. FROM runicos/base");
    g->image = rune_strndup(ln->w[1].p, ln->w[1].len);
    if (!g->image) return NOMEM(tp->err);
    g->image_loc = ln->w[1].loc;
    tp->have_from = 1;
    return RUNE_OK;
}

static rune_status cap_kind_error(text_parser *tp, const word *w)
{
    char hint[64];
    return rf_err(tp->err, RUNE_E_MALFORMED, w->loc,
                  "expected a capability kind such as SOUND, IMAGE, ACCEL, RAND, RAW; got "
                  "'%.*s'%s",
                  (int)w->len, w->p,
                  rf_hint(hint, sizeof hint, w->p, w->len, rf_cap_kind_names, rf_n_cap_kind_names));
}

static int looks_like_kind(const word *w)
{
    if (w->len == 0) return 0;
    for (size_t i = 0; i < w->len; i++)
        if (!isupper((unsigned char)w->p[i])) return 0;
    return 1;
}

static rune_status dir_capability(text_parser *tp, const line *ln)
{
    rune_status st = need_words(tp, ln, 3, "a name and a kind, e.g. CAPABILITY audio SOUND");
    if (st) return st;
    const word *name, *kind;
    /* Kinds are written in capitals in the text form, which tells `CAPABILITY AUDIO audio` (the
     * paper: kind first) from `CAPABILITY audio SOUND` (name first). */
    int k1 = looks_like_kind(&ln->w[1]) ? rf_cap_kind_parse(ln->w[1].p, ln->w[1].len) : -1;
    int k2 = looks_like_kind(&ln->w[2]) ? rf_cap_kind_parse(ln->w[2].p, ln->w[2].len) : -1;
    int paper_order = k1 >= 0;
    if (!ln->types && paper_order) { /* paper: CAPABILITY KIND name */
        kind = &ln->w[1];
        name = &ln->w[2];
    } else if (k2 >= 0) {
        name = &ln->w[1];
        kind = &ln->w[2];
    } else {
        return cap_kind_error(tp, !ln->types && looks_like_kind(&ln->w[1]) ? &ln->w[1] : &ln->w[2]);
    }
    if ((st = check_name(name, "stage", tp->err))) return st;
    rune_rf_stage *s;
    if ((st = rf_stage_add(&tp->b, RUNE_RF_CAPABILITY, name->p, name->len, ln->w[0].loc, &s,
                           tp->err)))
        return st;
    s->subkind = rf_cap_kind_parse(kind->p, kind->len);
    s->source = rune_strdup(rune_rf_cap_kind_name((rune_rf_cap_kind)s->subkind));
    if (!s->source) return NOMEM(tp->err);
    if (ln->types && (st = parse_types(ln->types, ln->types_off, ln->types_len, s, 1, tp->err)))
        return st;
    return parse_args(s, ln->w, 3, ln->n, tp->err);
}

static int looks_like_source(const word *w)
{
    return memchr(w->p, '/', w->len) || memchr(w->p, '.', w->len) || memchr(w->p, '#', w->len);
}

/* PROC_BLOCK and MODEL: the paper writes SOURCE NAME, the typed form NAME SOURCE. */
static rune_status stage_with_source(text_parser *tp, const line *ln, rune_rf_stage_kind kind,
                                     rune_rf_stage **out)
{
    rune_status st = need_words(tp, ln, 3,
                                kind == RUNE_RF_MODEL ? "a path and a name, e.g. MODEL "
                                                        "./model.tflite model"
                                                      : "a source and a name, e.g. PROC_BLOCK "
                                                        "runicos/fft fft");
    if (st) return st;
    const word *name = &ln->w[2], *src = &ln->w[1];
    if (ln->types || (looks_like_source(&ln->w[2]) && !looks_like_source(&ln->w[1]))) {
        name = &ln->w[1];
        src = &ln->w[2];
    }
    if ((st = check_name(name, "stage", tp->err))) return st;
    rune_rf_stage *s;
    if ((st = rf_stage_add(&tp->b, kind, name->p, name->len, ln->w[0].loc, &s, tp->err))) return st;
    s->source = rune_strndup(src->p, src->len);
    if (!s->source) return NOMEM(tp->err);
    if (ln->types && (st = parse_types(ln->types, ln->types_off, ln->types_len, s, 0, tp->err)))
        return st;
    if ((st = parse_args(s, ln->w, 3, ln->n, tp->err))) return st;
    *out = s;
    return RUNE_OK;
}

static rune_status dir_proc_block(text_parser *tp, const line *ln)
{
    rune_rf_stage *s;
    return stage_with_source(tp, ln, RUNE_RF_PROC_BLOCK, &s);
}

/* The paper's `input [150,1]` / `output 1`: a shape with any element type (or a full type). */
static rune_status model_shape_arg(text_parser *tp, rune_rf_stage *s, const char *key,
                                   rune_rf_type *dst, size_t *n)
{
    for (size_t i = 0; i < s->n_args; i++) {
        rune_rf_arg *a = &s->args[i];
        if (strcmp(a->key, key) != 0) continue;
        rune_rf_type t;
        memset(&t, 0, sizeof t);
        t.elem = RUNE_RF_ANY;
        for (size_t j = 0; j < a->n; j++) {
            const char *v = a->values[j];
            size_t vlen = strlen(v), bad;
            int all_digits = vlen > 0;
            for (size_t c = 0; c < vlen; c++)
                if (!isdigit((unsigned char)v[c])) all_digits = 0;
            if (all_digits && t.rank < RUNE_RF_MAX_RANK) {
                rune_rf_type one;
                char tmp[24];
                int tl = snprintf(tmp, sizeof tmp, "[%s]", v);
                if (tl > 0 && (size_t)tl < sizeof tmp &&
                    rf_type_parse_ex(tmp, (size_t)tl, &one, &bad) == 0) {
                    t.dims[t.rank++] = one.dims[0];
                    continue;
                }
            } else if (!a->is_list && rf_type_parse_ex(v, vlen, &t, &bad) == 0) {
                continue;
            }
            return rf_err(tp->err, RUNE_E_MALFORMED, a->loc,
                          "bad %s shape for model '%s': expected dims like [150,1] or a number",
                          key, s->name);
        }
        *dst = t;
        *n = 1;
        rf_arg_remove(s, i);
        return RUNE_OK;
    }
    return RUNE_OK;
}

static rune_status dir_model(text_parser *tp, const line *ln)
{
    rune_rf_stage *s;
    rune_status st = stage_with_source(tp, ln, RUNE_RF_MODEL, &s);
    if (st || ln->types) return st;
    if ((st = model_shape_arg(tp, s, "input", &s->decl_in[0], &s->n_decl_in))) return st;
    return model_shape_arg(tp, s, "output", &s->decl_out[0], &s->n_decl_out);
}

static rune_status dir_out(text_parser *tp, const line *ln)
{
    rune_status st = need_words(tp, ln, 2, "a kind, e.g. OUT serial");
    if (st) return st;
    if (ln->types)
        return rf_err(tp->err, RUNE_E_MALFORMED, ln->w[0].loc,
                      "OUT takes no types: it accepts whatever feeds it");
    const word *kind = &ln->w[1];
    int k = rf_out_kind_parse(kind->p, kind->len);
    if (k < 0) {
        char hint[64];
        return rf_err(
            tp->err, RUNE_E_MALFORMED, kind->loc,
            "expected an output kind such as serial, tensor, file; got '%.*s'%s", (int)kind->len,
            kind->p,
            rf_hint(hint, sizeof hint, kind->p, kind->len, rf_out_kind_names, rf_n_out_kind_names));
    }
    const word *name = kind;
    size_t argi = 2;
    if (ln->n > 2 && ln->w[2].p[0] != '-') {
        name = &ln->w[2];
        argi = 3;
    }
    if ((st = check_name(name, "stage", tp->err))) return st;
    rune_rf_stage *s;
    if ((st = rf_stage_add(&tp->b, RUNE_RF_OUT, name->p, name->len, ln->w[0].loc, &s, tp->err)))
        return st;
    s->subkind = k;
    s->source = rune_strdup(rune_rf_out_kind_name((rune_rf_out_kind)k));
    if (!s->source) return NOMEM(tp->err);
    return parse_args(s, ln->w, argi, ln->n, tp->err);
}

/* "name" or "name.N": the stage name part and the port. */
static rune_status split_port(text_parser *tp, const word *w, size_t *name_len, size_t *port)
{
    const char *dot = memchr(w->p, '.', w->len);
    *port = 0;
    *name_len = w->len;
    if (!dot) return check_name(w, "stage", tp->err);
    *name_len = (size_t)(dot - w->p);
    size_t n = 0, i = *name_len + 1;
    if (i == w->len)
        return rf_err(tp->err, RUNE_E_MALFORMED, loc_at(w, i), "expected a port number after '.'");
    for (; i < w->len; i++) {
        if (!isdigit((unsigned char)w->p[i]) || n > RUNE_RF_MAX_PORTS)
            return rf_err(tp->err, RUNE_E_MALFORMED, loc_at(w, *name_len + 1),
                          "bad port in '%.*s': expected name.N with N below %d", (int)w->len, w->p,
                          RUNE_RF_MAX_PORTS);
        n = n * 10 + (size_t)(w->p[i] - '0');
    }
    word nw = {w->p, *name_len, w->loc};
    *port = n;
    return check_name(&nw, "stage", tp->err);
}

static rune_status dir_run(text_parser *tp, const line *ln)
{
    if (ln->types) return rf_err(tp->err, RUNE_E_MALFORMED, ln->w[0].loc, "RUN takes no types");
    rune_status st = need_words(tp, ln, 2, "stage names, e.g. RUN audio fft model");
    if (st) return st;
    size_t name_len = 0, port = 0;
    if ((st = split_port(tp, &ln->w[1], &name_len, &port))) return st;
    for (size_t i = 2; i < ln->n; i++) {
        const word *from = &ln->w[i - 1], *to = &ln->w[i];
        size_t to_len, to_port;
        if ((st = split_port(tp, to, &to_len, &to_port))) return st;
        if (to_len != to->len && i + 1 == ln->n)
            return rf_err(tp->err, RUNE_E_MALFORMED, to->loc,
                          "a port on the last stage of RUN selects nothing: '%.*s'", (int)to->len,
                          to->p);
        if ((st = rf_ref_add(&tp->b, from->p, name_len, port, from->loc, to->p, to_len, -1, to->loc,
                             tp->err)))
            return st;
        name_len = to_len;
        port = to_port;
    }
    tp->last_run_tail = ln->w[ln->n - 1];
    tp->last_run_tail.len = name_len;
    tp->have_run = 1;
    return RUNE_OK;
}

static rune_status dir_resource(text_parser *tp, const line *ln)
{
    rune_status st = need_words(tp, ln, 3, "a name and --path FILE or --inline TEXT");
    if (st) return st;
    if ((st = check_name(&ln->w[1], "resource", tp->err))) return st;
    /* Parse the arguments into a scratch stage to reuse the argument grammar. */
    rune_rf_stage tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.name = (char *)"resource";
    st = parse_args(&tmp, ln->w, 2, ln->n, tp->err);
    rune_rf_resource *r = NULL;
    if (!st) st = rf_resource_add(&tp->b, ln->w[1].p, ln->w[1].len, ln->w[0].loc, &r, tp->err);
    for (size_t i = 0; !st && i < tmp.n_args; i++) {
        rune_rf_arg *a = &tmp.args[i];
        char **dst = strcmp(a->key, "path") == 0     ? &r->path
                     : strcmp(a->key, "inline") == 0 ? &r->data
                                                     : NULL;
        if (strcmp(a->key, "type") == 0 && !a->is_list &&
            (strcmp(a->values[0], "string") == 0 || strcmp(a->values[0], "binary") == 0)) {
            r->binary = strcmp(a->values[0], "binary") == 0;
        } else if (!dst || a->is_list) {
            st = rf_err(tp->err, RUNE_E_MALFORMED, a->loc,
                        "RESOURCE takes --path FILE, --inline TEXT and --type string|binary; "
                        "got --%s",
                        a->key);
        } else {
            *dst = a->values[0];
            a->values[0] = NULL;
        }
    }
    if (!st && r && !!r->path == !!r->data)
        st = rf_err(tp->err, RUNE_E_MALFORMED, ln->w[0].loc,
                    "RESOURCE %s needs exactly one of --path and --inline", r->name);
    for (size_t i = 0; i < tmp.n_args; i++) {
        rune_rf_arg *a = &tmp.args[i];
        for (size_t j = 0; j < a->n; j++)
            rune_free(a->values[j]);
        rune_free(a->values);
        rune_free(a->key);
    }
    rune_free(tmp.args);
    return st;
}

typedef struct directive {
    const char *name;
    rune_status (*fn)(text_parser *tp, const line *ln);
} directive;

static const directive directives[] = {
    {"FROM", dir_from},
    {"CAPABILITY", dir_capability},
    {"PROC_BLOCK", dir_proc_block},
    {"MODEL", dir_model},
    {"RUN", dir_run},
    {"OUT", dir_out},
    {"RESOURCE", dir_resource},
};
static const char *const directive_names[] = {"FROM", "CAPABILITY", "PROC_BLOCK", "MODEL",
                                              "RUN",  "OUT",        "RESOURCE"};
#define N_DIRECTIVES (sizeof directives / sizeof directives[0])

static rune_status do_line(text_parser *tp, const word *w, size_t n)
{
    line ln = {w, n, NULL, 0, 0};
    const word *d = &w[0];
    size_t dlen = d->len;
    const char *lt = memchr(d->p, '<', d->len);
    if (lt) {
        dlen = (size_t)(lt - d->p);
        if (d->p[d->len - 1] != '>')
            return rf_err(tp->err, RUNE_E_MALFORMED, loc_at(d, d->len - 1),
                          "expected '>' to close the types of %.*s", (int)dlen, d->p);
        ln.types = d;
        ln.types_off = dlen + 1;
        ln.types_len = d->len - dlen - 2;
    }
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        if (!rf_streq_nocase(d->p, dlen, directives[i].name)) continue;
        if (!tp->any_directive) tp->first_directive = d->loc;
        if (i != 0 && !tp->have_from)
            return rf_err(tp->err, RUNE_E_INVALID, d->loc,
                          "missing FROM: a Runefile starts with FROM <image>, e.g. FROM "
                          "runicos/base");
        rune_status st = directives[i].fn(tp, &ln);
        tp->any_directive = 1;
        return st;
    }
    char hint[96];
    if (dlen > 1 && d->p[dlen - 1] == ':')
        snprintf(hint, sizeof hint,
                 " (YAML? name the file Runefile.yml or start it with "
                 "`version: 1`)");
    else
        rf_hint(hint, sizeof hint, d->p, dlen, directive_names, N_DIRECTIVES);
    return rf_err(tp->err, RUNE_E_MALFORMED, d->loc,
                  "unknown directive '%.*s': expected FROM, CAPABILITY, PROC_BLOCK, MODEL, RUN, "
                  "OUT or RESOURCE%s",
                  (int)dlen, d->p, hint);
}

/* The paper's convention: OUT stages no RUN line mentions are fed by the last RUN's last stage. */
static rune_status connect_outs(text_parser *tp)
{
    rune_runefile *g = tp->b.g;
    for (size_t i = 0; i < g->n_stages; i++) {
        const rune_rf_stage *s = &g->stages[i];
        if (s->kind != RUNE_RF_OUT) continue;
        int mentioned = 0;
        for (size_t r = 0; r < tp->b.n_refs && !mentioned; r++)
            mentioned =
                strcmp(tp->b.refs[r].to, s->name) == 0 || strcmp(tp->b.refs[r].from, s->name) == 0;
        if (mentioned) continue;
        if (!tp->have_run)
            return rf_err(tp->err, RUNE_E_INVALID, s->loc,
                          "output '%s' is fed by nothing: add a RUN line", s->name);
        const word *t = &tp->last_run_tail;
        rune_status st = rf_ref_add(&tp->b, t->p, t->len, 0, t->loc, s->name, strlen(s->name), -1,
                                    s->loc, tp->err);
        if (st) return st;
    }
    return RUNE_OK;
}

rune_status rune_runefile_parse_text(const char *src, size_t len, const char *file,
                                     rune_runefile **out, rune_error *err)
{
    if (!out || (!src && len)) return RUNE_ERR(err, RUNE_E_ARG, "rune_runefile_parse_text: NULL");
    *out = NULL;
    text_parser tp;
    memset(&tp, 0, sizeof tp);
    tp.err = err;
    rune_status st = rf_build_init(&tp.b, file, err);
    if (st) return st;
    lexer lx = {src ? src : "", len, 0, 1, 1, tp.b.g->file, NULL, 0, 0};
    for (;;) {
        if ((st = lex_line(&lx, err))) goto done;
        if (lx.n_words == 0) break;
        if ((st = do_line(&tp, lx.words, lx.n_words))) goto done;
    }
    if (!tp.have_from) {
        rune_rf_loc at = {tp.b.g->file, 1, 1};
        st = rf_err(err, RUNE_E_INVALID, at,
                    "missing FROM: a Runefile starts with FROM <image>, e.g. FROM runicos/base");
        goto done;
    }
    if ((st = connect_outs(&tp))) goto done;
    st = rf_build_finish(&tp.b, out, err);
done:
    rune_free(lx.words);
    if (st) rf_build_free(&tp.b);
    return st;
}
