/*
 * test_runefile_alloc.c - allocation fault injection: every parse (text and YAML, good and bad
 * input) and the type checker are run with the N-th allocation failing, for every N until the run
 * completes. Each run must give RUNE_E_NOMEM or the normal result, and leave no allocation behind.
 */
#include "rf_helpers.h"

typedef rune_status (*parse_fn)(const char *, size_t, const char *, rune_runefile **, rune_error *);

static rune_status run_once(parse_fn parse, const char *src, int typecheck, rune_error *err)
{
    rune_runefile *g = NULL;
    rune_status st = parse(src, strlen(src), "Runefile", &g, err);
    if (st == RUNE_OK && typecheck) st = rune_runefile_typecheck(g, &fake_resolver, err);
    rune_runefile_free(g);
    return st;
}

/* Returns the number of allocation points exercised. want: the result without failures (checked
 * when given, else taken from a first run). */
static long inject(const char *what, parse_fn parse, const char *src, int want_given,
                   rune_status want, int typecheck)
{
    long base = rune_alloc_live();
    rune_error e0;
    rune_status plain = run_once(parse, src, typecheck, &e0);
    if (want_given)
        CHECK_MSG_(plain == want, "%s: %s (%s), want %s", what, rune_status_name(plain), e0.msg,
                   rune_status_name(want));
    want = plain;
    for (long n = 0; n < 100000; n++) {
        rune_runefile *g = NULL;
        rune_error err;
        rune_error_clear(&err);
        rune_alloc_fail_after(n);
        rune_status st = parse(src, strlen(src), "Runefile", &g, &err);
        if (st == RUNE_OK && typecheck) {
            st = rune_runefile_typecheck(g, &fake_resolver, &err);
            char buf[256];
            rune_runefile_dump(g, 0, buf, sizeof buf);
        }
        long made = rune_alloc_fail_after(-1);
        rune_runefile_free(g);
        CHECK_MSG_(rune_alloc_live() == base, "%s: failing allocation %ld leaks %ld", what, n,
                   rune_alloc_live() - base);
        if (st == RUNE_E_NOMEM) {
            CHECK_MSG_(err.msg[0] != 0, "%s: NOMEM without a message at %ld", what, n);
            continue;
        }
        CHECK_MSG_(st == want, "%s: failing allocation %ld gave %s (%s), want %s", what, n,
                   rune_status_name(st), err.msg, rune_status_name(want));
        /* The run completed: it made fewer allocations than the one set to fail. */
        CHECK_MSG_(made <= n, "%s: finished with %ld allocations but %ld were allowed", what, made,
                   n);
        return n;
    }
    CHECK_MSG_(0, "%s: never completed", what);
    return 0;
}

static char *slurp(const char *rel)
{
    size_t len = 0;
    unsigned char *b = test_read_file(rf_example(rel), &len);
    if (!b) return NULL;
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, b, len);
        s[len] = 0;
    }
    free(b);
    return s;
}

TEST(fault_injection)
{
    static const char *const text_files[] = {"paper/Runefile", "sine/Runefile",
                                             "microspeech/Runefile", "person_detection/Runefile"};
    static const char *const yaml_files[] = {"sine/Runefile.yml", "microspeech/Runefile.yml"};
    long points = 0;
    for (size_t i = 0; i < sizeof text_files / sizeof text_files[0]; i++) {
        char *s = slurp(text_files[i]);
        CHECK(s != NULL);
        if (!s) continue;
        /* examples/ is shared and edited by others: their result is whatever a plain run gives. */
        points += inject(text_files[i], rune_runefile_parse_text, s, 0, RUNE_OK, 1);
        free(s);
    }
    for (size_t i = 0; i < sizeof yaml_files / sizeof yaml_files[0]; i++) {
        char *s = slurp(yaml_files[i]);
        CHECK(s != NULL);
        if (!s) continue;
        points += inject(yaml_files[i], rune_runefile_parse_yaml, s, 0, RUNE_OK, 1);
        free(s);
    }
    points += inject("microspeech copy", rune_runefile_parse_text, RF_MICROSPEECH, 1, RUNE_OK, 1);
    points += inject("person copy", rune_runefile_parse_text, RF_PERSON, 1, RUNE_OK, 1);
    /* Inputs that fail late, after many allocations. */
    points += inject("cycle", rune_runefile_parse_text,
                     "FROM x\nPROC_BLOCK a.c a\nPROC_BLOCK b.c b\nPROC_BLOCK c.c c\n"
                     "RESOURCE r --path ./r --type binary\nRUN a b c\nRUN c a\n",
                     1, RUNE_E_INVALID, 0);
    points +=
        inject("unknown stage", rune_runefile_parse_text,
               "FROM x\nCAPABILITY AUDIO a hz 1 --labels x,y,z\nRUN a b\n", 1, RUNE_E_INVALID, 0);
    points += inject("yaml unknown stage", rune_runefile_parse_yaml,
                     "version: 1\nimage: x\npipeline:\n  a: {capability: RAW, args: {l: [1, 2]}}\n"
                     "  b: {out: serial, inputs: [c]}\nresources:\n  r: {inline: hi}\n",
                     1, RUNE_E_INVALID, 0);
    points += inject("type mismatch", rune_runefile_parse_text,
                     "FROM x\nCAPABILITY<F32[4]> r RAW\nPROC_BLOCK label runicos/label --labels "
                     "a,b\nRUN r label serial\nOUT serial\n",
                     1, RUNE_E_INVALID, 1);
    /* Enough allocation points were tried to mean something. */
    CHECK(points > 200);
    printf("fault injection: %ld allocation points\n", points);
}

int main(void)
{
    RUN(fault_injection);
    CHECK_EQ_INT(rune_alloc_live(), 0);
    return test_report();
}
