/*
 * test.h - the tiny test harness every test executable uses.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_OK(status, &err); }
 *   int main(void) { RUN(name); return test_report(); }
 *
 * A failed check prints file:line and the expression (and the values for the _EQ forms) and the test
 * goes on, so one run shows every failure. test_report() prints "N passed, N failed" and returns the
 * exit code. Paths to the shared models and test data come from SHARED(...).
 */
#ifndef RUNE_TEST_H
#define RUNE_TEST_H

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rune/status.h"

static int test_checks_failed_ = 0;
static int test_failed_ = 0, test_passed_ = 0;
static const char *test_current_ = "";

#define TEST(name) static void name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        int before_ = test_checks_failed_;                                                         \
        test_current_ = #name;                                                                     \
        name();                                                                                    \
        if (test_checks_failed_ == before_) {                                                      \
            test_passed_++;                                                                        \
        } else {                                                                                   \
            test_failed_++;                                                                        \
            fprintf(stderr, "FAIL %s\n", #name);                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_MSG_(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_checks_failed_++;                                                                 \
            fprintf(stderr, "%s:%d: [%s] ", __FILE__, __LINE__, test_current_);                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK(cond) CHECK_MSG_((cond), "check failed: %s", #cond)
#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        CHECK_MSG_(a_ == b_, "%s == %s: %lld != %lld", #a, #b, a_, b_);                           \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        CHECK_MSG_(fabs(a_ - b_) <= (tol), "%s ~ %s: %g vs %g (tol %g)", #a, #b, a_, b_,         \
                   (double)(tol));                                                                 \
    } while (0)
#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        CHECK_MSG_(a_ && b_ && strcmp(a_, b_) == 0, "%s == %s: \"%s\" != \"%s\"", #a, #b,        \
                   a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                        \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        CHECK_MSG_(h_ && strstr(h_, n_), "%s contains \"%s\": got \"%s\"", #hay, n_,              \
                   h_ ? h_ : "(null)");                                                            \
    } while (0)
/* Status check that prints the error message on failure. err may be NULL. */
#define CHECK_OK(st, err)                                                                          \
    do {                                                                                           \
        rune_status s_ = (st);                                                                     \
        const rune_error *e_ = (err);                                                              \
        CHECK_MSG_(s_ == RUNE_OK, "%s: %s: %s", #st, rune_status_name(s_), e_ ? e_->msg : "");    \
    } while (0)
#define CHECK_STATUS(st, want)                                                                     \
    do {                                                                                           \
        rune_status s_ = (st), w_ = (want);                                                        \
        CHECK_MSG_(s_ == w_, "%s: got %s, want %s", #st, rune_status_name(s_),                     \
                   rune_status_name(w_));                                                          \
    } while (0)

static inline int test_report(void)
{
    printf("%d passed, %d failed\n", test_passed_, test_failed_);
    return test_failed_ ? 1 : 0;
}

/* Path of a file in ../shared (models/..., testdata/...). Static buffer: copy before the next call. */
static inline const char *SHARED(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", RUNE_SHARED_DIR, rel);
    return buf;
}

/* Read a whole file; returns a malloc'd buffer with a NUL after the bytes (caller frees), or NULL. */
static inline unsigned char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n + 1 : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n > 0 ? n : 0] = '\0'; /* text files can be used as strings */
    fclose(f);
    if (buf && len) *len = (size_t)n;
    return buf;
}

/* Make a fresh scratch directory RUNE_TEST_TMP/<prefix>-XXXXXX into buf; 0 (with a message) if it
 * cannot be made. Remove it with test_rm_flat_dir. */
#ifdef RUNE_TEST_TMP
static inline int test_scratch_dir(char *buf, size_t cap, const char *prefix)
{
    snprintf(buf, cap, "%s/%s-XXXXXX", RUNE_TEST_TMP, prefix);
    if (mkdtemp(buf)) return 1;
    perror("mkdtemp");
    return 0;
}
#endif

/* Remove the files directly in dir (a test's scratch directory, e.g. an AOT cache), then dir. */
static inline void test_rm_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[8192];
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

#endif
