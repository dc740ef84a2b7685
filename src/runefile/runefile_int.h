/*
 * runefile_int.h - internals shared by the Runefile parsers, the graph builder and the checker.
 *
 * Both parsers fill a builder: stages are added as they are read (duplicates refused at once),
 * while edges are kept by name (rf_ref) until every stage is known, then rf_build_finish resolves
 * them, numbers the input ports, refuses unknown names and cycles, and computes the topological
 * order. Workload: Runefiles are tens of lines, so plain arrays and linear searches are enough.
 */
#ifndef RUNE_RUNEFILE_INT_H
#define RUNE_RUNEFILE_INT_H

#include "rune/runefile.h"

#include <stdarg.h>

/* A reference from one stage's output to another's input, by name, before the names are resolved.
 */
typedef struct rf_ref {
    char *from;
    size_t from_port;
    rune_rf_loc from_loc;
    char *to;
    long to_port; /* -1: the next free input port of `to` */
    rune_rf_loc to_loc;
} rf_ref;

typedef struct rf_builder {
    rune_runefile *g;
    size_t cap_stages, cap_edges, cap_resources;
    rf_ref *refs;
    size_t n_refs, cap_refs;
} rf_builder;

/* Error helper: "FILE:LINE:COL: message". Returns st. */
rune_status rf_err(rune_error *err, rune_status st, rune_rf_loc loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Grow *p (an array of elem-byte items with capacity *cap) to hold at least n items. */
rune_status rf_grow(void **p, size_t *cap, size_t n, size_t elem, rune_error *err);

/* Builder. rf_build_init allocates the graph and copies file; rf_build_free frees what is left. */
rune_status rf_build_init(rf_builder *b, const char *file, rune_error *err);
void rf_build_free(rf_builder *b);
/* Adds a stage named name[0..name_len) (duplicates refused with both locations); *out points at it
 * until the next rf_stage_add. */
rune_status rf_stage_add(rf_builder *b, rune_rf_stage_kind kind, const char *name, size_t name_len,
                         rune_rf_loc loc, rune_rf_stage **out, rune_error *err);
/* Adds an argument (key copied); values are added with rf_arg_push. Duplicate keys are refused. */
rune_status rf_arg_add(rune_rf_stage *st, const char *key, size_t key_len, int is_list,
                       rune_rf_loc loc, rune_rf_arg **out, rune_error *err);
rune_status rf_arg_push(rune_rf_arg *a, const char *v, size_t len, rune_error *err);
/* Removes argument i of a stage (the paper's MODEL input/output become types). */
void rf_arg_remove(rune_rf_stage *st, size_t i);
rune_status rf_ref_add(rf_builder *b, const char *from, size_t from_len, size_t from_port,
                       rune_rf_loc from_loc, const char *to, size_t to_len, long to_port,
                       rune_rf_loc to_loc, rune_error *err);
rune_status rf_resource_add(rf_builder *b, const char *name, size_t name_len, rune_rf_loc loc,
                            rune_rf_resource **out, rune_error *err);
/* Resolves refs, checks the graph, orders it; on success hands the graph to *out. */
rune_status rf_build_finish(rf_builder *b, rune_runefile **out, rune_error *err);

/* Names and suggestions. */
int rf_cap_kind_parse(const char *s, size_t len); /* rune_rf_cap_kind or -1; AUDIO = SOUND */
int rf_out_kind_parse(const char *s, size_t len); /* rune_rf_out_kind or -1 */
int rf_elem_parse(const char *s, size_t len);     /* concrete rune_rf_elem or -1 */
/* Edit distance of word to cand if close enough to suggest, else (size_t)-1. */
size_t rf_closeness(const char *word, size_t len, const char *cand);
/* The candidate nearest to word (case-insensitive edit distance), or NULL if none is close. */
const char *rf_suggest(const char *word, size_t len, const char *const *cands, size_t n);
/* " (did you mean 'X'?)" or "" into buf. */
const char *rf_hint(char *buf, size_t cap, const char *word, size_t len, const char *const *cands,
                    size_t n);
extern const char *const rf_cap_kind_names[]; /* with aliases, for suggestions */
extern const size_t rf_n_cap_kind_names;
extern const char *const rf_out_kind_names[];
extern const size_t rf_n_out_kind_names;
extern const char *const rf_elem_names[];
extern const size_t rf_n_elem_names;

/* Type parsing with detail: returns 0, 1 (bad element type, *bad = offset of it), 2 (bad dims,
 * *bad = offset of the offending character). */
int rf_type_parse_ex(const char *s, size_t len, rune_rf_type *out, size_t *bad);

/* 0 if src is UTF-8 of YAML-printable characters, else -1 with the 1-based place of the first bad
 * byte. */
int rf_utf8_check(const char *src, size_t len, uint32_t *line, uint32_t *col);

int rf_streq_nocase(const char *a, size_t alen, const char *b);

#endif
