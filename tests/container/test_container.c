/*
 * test_container.c - the .rune container: round trips with a real TFLite model, wasm tools can read
 * it, and every corruption is refused: a flipped byte anywhere changes the digest (and in a model
 * is "digest mismatch"), every truncation, duplicates, unlisted sections, bad names, bad sizes.
 */
#include "test.h"

#include <unistd.h>

#include "rune/alloc.h"
#include "rune/container.h"
#include "container_int.h"
#include "rune_fixture.h"

#define MODEL_PATH SHARED("models/micro_speech_quantized.tflite")
#define SMALL_MODEL SHARED("models/hello_world_int8.tflite")

TEST(round_trip_with_real_model)
{
    size_t len, mlen = 0;
    unsigned char *model = NULL;
    uint8_t *rune = fixture_rune(MODEL_PATH, "speech", &len, &model, &mlen);
    CHECK(rune != NULL && model != NULL && mlen == 18800);
    if (!rune || !model) return;
    rune_error err;
    rune_container *c = NULL;
    CHECK_OK(rune_container_open(rune, len, &c, &err), &err);
    if (c) {
        const rune_blob *b = rune_container_model(c, "model");
        CHECK(b && b->len == mlen && memcmp(b->data, model, mlen) == 0);
        const rune_blob *r = rune_container_resource(c, "labels");
        CHECK(r && r->len == strlen(fixture_labels) &&
              memcmp(r->data, fixture_labels, r->len) == 0);
        CHECK(rune_container_model(c, "labels") == NULL);
        CHECK_STR(c->manifest->name, "speech");
        char want[RUNE_DIGEST_STR_LEN];
        rune_digest_str(model, mlen, want);
        CHECK_STR(c->manifest->models[0].digest, want);
        CHECK_EQ_INT(c->manifest->models[0].size, mlen);
        /* unsigned: the rune digest is the SHA-256 of the whole file */
        rune_digest_str(rune, len, want);
        CHECK_STR(c->digest, want);
        CHECK(c->signature == NULL);
        /* the module is untouched at the front */
        CHECK(memcmp(rune, fixture_wasm, sizeof fixture_wasm) == 0);
    }
    rune_container_free(c);
    rune_free(rune);
    free(model);
}

/* Every model and resource payload starts at a multiple of 16 in the file, whatever comes before
 * it (the manifest's length moves the model: 32 names cover every residue), with at most 26 bytes
 * of rune.pad before each, and the padded rune opens with the same contents. */
TEST(payloads_are_aligned_in_the_file)
{
    for (int k = 1; k <= 32; k++) {
        char name[40];
        memset(name, 'n', (size_t)k);
        name[k] = 0;
        size_t len, mlen = 0;
        unsigned char *model = NULL;
        uint8_t *rune = fixture_rune(SMALL_MODEL, name, &len, &model, &mlen);
        CHECK(rune != NULL && model != NULL);
        if (!rune || !model) {
            rune_free(rune);
            free(model);
            return;
        }
        rune_error err;
        rune_container *c = NULL;
        CHECK_OK(rune_container_open(rune, len, &c, &err), &err);
        const rune_blob *b = c ? rune_container_model(c, "model") : NULL;
        const rune_blob *r = c ? rune_container_resource(c, "labels") : NULL;
        CHECK(b && r);
        if (b && r) {
            CHECK_EQ_INT((b->data - rune) % RUNE_CONTAINER_ALIGN, 0);
            CHECK_EQ_INT((r->data - rune) % RUNE_CONTAINER_ALIGN, 0);
            CHECK(b->len == mlen && memcmp(b->data, model, mlen) == 0);
            /* Between the model's end and the labels: the labels' 23-byte header (id, size, name
             * length, "rune.resource.labels") and either no rune.pad or one of 11 to 26 bytes. */
            size_t pad = (size_t)(r->data - b->data) - b->len - 23;
            CHECK(pad == 0 || (pad >= 11 && pad <= 26));
            CHECK_EQ_INT((size_t)(r->data - rune) + r->len, len);
        }
        rune_container_free(c);
        rune_free(rune);
        free(model);
    }
}

/* Builds are reproducible: same inputs, same bytes. */
TEST(write_is_deterministic)
{
    size_t a_len, b_len;
    uint8_t *a = fixture_rune(SMALL_MODEL, "hw", &a_len, NULL, NULL);
    uint8_t *b = fixture_rune(SMALL_MODEL, "hw", &b_len, NULL, NULL);
    CHECK(a && b && a_len == b_len && memcmp(a, b, a_len) == 0);
    rune_free(a);
    rune_free(b);
}

/* wabt's wasm-objdump (a tool that knows nothing of runes) lists our custom sections. */
TEST(wasm_objdump_reads_a_rune)
{
    if (access("/usr/bin/wasm-objdump", X_OK) != 0) {
        printf("SKIP wasm_objdump_reads_a_rune: wasm-objdump not installed\n");
        return;
    }
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    char path[] = "/tmp/rune-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && rune);
    if (fd < 0 || !rune) return;
    CHECK(write(fd, rune, len) == (ssize_t)len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "wasm-objdump -h %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    char out[4096] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    CHECK(p && pclose(p) == 0);
    CHECK_CONTAINS(out, "\"rune.manifest\"");
    CHECK_CONTAINS(out, "\"rune.model.model\"");
    CHECK_CONTAINS(out, "\"rune.resource.labels\"");
    CHECK_CONTAINS(out, "Export");
    unlink(path);
    rune_free(rune);
}

/* Flip one byte at every offset: the rune is refused or (outside model/manifest checks, e.g. in
 * the code section) its digest changes; inside the model it is exactly "digest mismatch". */
TEST(every_flipped_byte_is_detected)
{
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    CHECK(rune != NULL);
    if (!rune) return;
    rune_error err;
    rune_container *c = NULL;
    CHECK_OK(rune_container_open(rune, len, &c, &err), &err);
    if (!c) return;
    char digest[RUNE_DIGEST_STR_LEN];
    memcpy(digest, c->digest, sizeof digest);
    const rune_blob *mb = rune_container_model(c, "model");
    size_t m_off = (size_t)(mb->data - rune), m_len = mb->len;
    rune_container_free(c);
    long base = rune_alloc_live();
    size_t refused = 0, model_mismatch = 0;
    for (size_t i = 0; i < len; i++) {
        rune[i] ^= 0x01;
        rune_container *t = NULL;
        rune_status st = rune_container_open(rune, len, &t, &err);
        if (st == RUNE_OK) {
            CHECK_MSG_(strcmp(t->digest, digest) != 0, "flip at %zu: same digest", i);
            CHECK_MSG_(i < m_off || i >= m_off + m_len, "flip at %zu in the model accepted", i);
        } else {
            refused++;
            CHECK(t == NULL);
            if (i >= m_off && i < m_off + m_len) {
                CHECK_STATUS(st, RUNE_E_VERIFY);
                if (strstr(err.msg, "model 'model': digest mismatch")) model_mismatch++;
            }
        }
        rune_container_free(t);
        rune[i] ^= 0x01;
    }
    CHECK_EQ_INT(model_mismatch, m_len);
    CHECK(refused >= m_len);
    CHECK_EQ_INT(rune_alloc_live(), base);
    rune_free(rune);
}

TEST(every_truncation_is_refused)
{
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    CHECK(rune != NULL);
    if (!rune) return;
    long base = rune_alloc_live();
    for (size_t n = 0; n < len; n++) {
        rune_error err;
        rune_container *t = NULL;
        rune_status st = rune_container_open(rune, n, &t, &err);
        CHECK_MSG_(st != RUNE_OK, "truncated to %zu accepted", n);
        CHECK(t == NULL && err.msg[0] != 0);
    }
    CHECK_EQ_INT(rune_alloc_live(), base);
    rune_free(rune);
}

/* Append raw bytes to a copy of rune. */
static uint8_t *with_tail(const uint8_t *rune, size_t len, const void *tail, size_t tlen,
                          size_t *out_len)
{
    uint8_t *b = malloc(len + tlen);
    memcpy(b, rune, len);
    memcpy(b + len, tail, tlen);
    *out_len = len + tlen;
    return b;
}

static void expect_open_fails(const uint8_t *b, size_t n, rune_status want, const char *msg)
{
    rune_error err;
    rune_container *c = NULL;
    CHECK_STATUS(rune_container_open(b, n, &c, &err), want);
    CHECK_CONTAINS(err.msg, msg);
    CHECK(c == NULL);
}

TEST(structural_corruptions_refused)
{
    size_t len, n;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    if (!rune) return;
    rune_error err;
    rune_container *c = NULL;
    CHECK_OK(rune_container_open(rune, len, &c, &err), &err);
    const rune_blob *mb = c ? rune_container_model(c, "model") : NULL;
    if (!mb) return;

    /* a second copy of the model section */
    uint8_t sec[8192], *end = rune_sec_put(sec, "rune.model.model", 16, mb->data, mb->len);
    uint8_t *b = with_tail(rune, len, sec, (size_t)(end - sec), &n);
    expect_open_fails(b, n, RUNE_E_MALFORMED, "model 'model' appears twice");
    free(b);
    /* a model the manifest does not list */
    end = rune_sec_put(sec, "rune.model.extra", 16, (const uint8_t *)"x", 1);
    b = with_tail(rune, len, sec, (size_t)(end - sec), &n);
    expect_open_fails(b, n, RUNE_E_INVALID, "model 'extra' is not in the manifest");
    free(b);
    /* a second manifest */
    end = rune_sec_put(sec, "rune.manifest", 13, (const uint8_t *)c->manifest_json,
                       c->manifest_json_len);
    b = with_tail(rune, len, sec, (size_t)(end - sec), &n);
    expect_open_fails(b, n, RUNE_E_MALFORMED, "two rune.manifest sections");
    free(b);
    /* a custom section whose name is not UTF-8 */
    end = rune_sec_put(sec, "rune.\xc0\xaf", 7, (const uint8_t *)"x", 1);
    b = with_tail(rune, len, sec, (size_t)(end - sec), &n);
    expect_open_fails(b, n, RUNE_E_MALFORMED, "not valid UTF-8");
    free(b);
    /* a section whose size runs past the end */
    const uint8_t past[] = {0x00, 0x10, 0x01, 'x'};
    b = with_tail(rune, len, past, sizeof past, &n);
    expect_open_fails(b, n, RUNE_E_MALFORMED, "runs past the end");
    free(b);
    /* an over-long LEB128 size */
    const uint8_t leb[] = {0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    b = with_tail(rune, len, leb, sizeof leb, &n);
    expect_open_fails(b, n, RUNE_E_MALFORMED, "bad or truncated size");
    free(b);
    /* a name length past its section */
    const uint8_t nm[] = {0x00, 0x02, 0x09, 'x'};
    b = with_tail(rune, len, nm, sizeof nm, &n);
    expect_open_fails(b, n, RUNE_E_MALFORMED, "name runs past the section");
    free(b);
    /* two signature sections */
    end = rune_sec_put(sec, "rune.signature", 14, (const uint8_t *)"{}", 2);
    end = rune_sec_put(end, "rune.signature", 14, (const uint8_t *)"{}", 2);
    b = with_tail(rune, len, sec, (size_t)(end - sec), &n);
    expect_open_fails(b, n, RUNE_E_MALFORMED, "two rune.signature sections");
    free(b);
    /* not wasm at all */
    expect_open_fails((const uint8_t *)"\x7f"
                                       "ELF\x02\x01\x01\x00",
                      8, RUNE_E_MALFORMED, "bad magic");
    /* a plain module without a manifest */
    expect_open_fails(fixture_wasm, sizeof fixture_wasm, RUNE_E_INVALID, "no rune.manifest");
    /* an unknown section is kept and ignored */
    end = rune_sec_put(sec, "producers", 9, (const uint8_t *)"\x00", 1);
    b = with_tail(rune, len, sec, (size_t)(end - sec), &n);
    rune_container *c2 = NULL;
    CHECK_OK(rune_container_open(b, n, &c2, &err), &err);
    rune_container_free(c2);
    free(b);
    rune_container_free(c);
    rune_free(rune);
}

TEST(writer_refuses_bad_input)
{
    rune_error err;
    rune_manifest *m = fixture_manifest("x", "1");
    uint8_t *out = NULL;
    size_t n;
    rune_blob model = {"model", (const uint8_t *)"abc", 3};
    rune_blob labels = {"labels", (const uint8_t *)"l", 1};
    rune_blob extra = {"other", (const uint8_t *)"l", 1};
    CHECK_STATUS(rune_container_write(fixture_wasm, sizeof fixture_wasm, m, NULL, 0, &labels, 1,
                                      &out, &n, &err),
                 RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "manifest model 'model' has no bytes given");
    rune_blob two[2] = {model, extra};
    CHECK_STATUS(rune_container_write(fixture_wasm, sizeof fixture_wasm, m, two, 2, &labels, 1,
                                      &out, &n, &err),
                 RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "model 'other' is not in the manifest");
    rune_blob dup[2] = {model, model};
    CHECK_STATUS(rune_container_write(fixture_wasm, sizeof fixture_wasm, m, dup, 2, &labels, 1,
                                      &out, &n, &err),
                 RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "given twice");
    CHECK_STATUS(rune_container_write((const uint8_t *)"\0asm\2\0\0\0", 8, m, &model, 1, &labels, 1,
                                      &out, &n, &err),
                 RUNE_E_MALFORMED);
    /* a rune is not a module to wrap again */
    uint8_t *r = NULL;
    size_t rl;
    CHECK_OK(rune_container_write(fixture_wasm, sizeof fixture_wasm, m, &model, 1, &labels, 1, &r,
                                  &rl, &err),
             &err);
    CHECK_STATUS(rune_container_write(r, rl, m, &model, 1, &labels, 1, &out, &n, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "already has a 'rune.manifest' section");
    CHECK(out == NULL);
    rune_free(r);
    rune_manifest_free(m);
}

TEST(allocation_failures_leak_nothing)
{
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    if (!rune) return;
    long base = rune_alloc_live();
    int opened = 0;
    for (long n = 0; n < 5000 && !opened; n++) {
        rune_error err;
        rune_container *c = NULL;
        rune_alloc_fail_after(n);
        rune_status st = rune_container_open(rune, len, &c, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK)
            opened = 1;
        else
            CHECK(st == RUNE_E_NOMEM || st == RUNE_E_MALFORMED);
        rune_container_free(c);
        CHECK_EQ_INT(rune_alloc_live(), base);
    }
    CHECK(opened);
    rune_free(rune);
}

TEST(write_allocation_failures)
{
    size_t mlen;
    unsigned char *model = test_read_file(SMALL_MODEL, &mlen);
    if (!model) return;
    rune_blob mb = {"model", model, mlen};
    rune_blob rb = {"labels", (const uint8_t *)fixture_labels, strlen(fixture_labels)};
    long base = rune_alloc_live();
    int done = 0;
    for (long n = 0; n < 3000 && !done; n++) {
        rune_manifest *m = fixture_manifest("hw", "1");
        uint8_t *out = NULL;
        size_t olen;
        rune_error err;
        rune_alloc_fail_after(n);
        rune_status st = rune_container_write(fixture_wasm, sizeof fixture_wasm, m, &mb, 1, &rb, 1,
                                              &out, &olen, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK)
            done = 1;
        else
            CHECK_MSG_(st == RUNE_E_NOMEM, "n=%ld: %s", n, err.msg);
        rune_free(out);
        rune_manifest_free(m);
        CHECK_EQ_INT(rune_alloc_live(), base);
    }
    CHECK(done);
    free(model);
}

TEST(signature_section_replaced_not_hashed)
{
    size_t len, l1, l2;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    if (!rune) return;
    rune_error err;
    uint8_t *s1 = NULL, *s2 = NULL, *s3 = NULL, d0[32], d1[32], d2[32];
    CHECK_OK(rune_container_replace_signature(rune, len, (const uint8_t *)"one", 3, &s1, &l1, &err),
             &err);
    CHECK_OK(rune_container_replace_signature(s1, l1, (const uint8_t *)"second", 6, &s2, &l2, &err),
             &err);
    const uint8_t *sig;
    size_t sl, so, ss;
    CHECK_OK(rune_container_digest(rune, len, d0, NULL, NULL, NULL, NULL, &err), &err);
    CHECK_OK(rune_container_digest(s1, l1, d1, NULL, NULL, NULL, NULL, &err), &err);
    CHECK_OK(rune_container_digest(s2, l2, d2, &sig, &sl, &so, &ss, &err), &err);
    CHECK(memcmp(d0, d1, 32) == 0 && memcmp(d0, d2, 32) == 0);
    CHECK(sl == 6 && memcmp(sig, "second", 6) == 0 && so == len && so + ss == l2);
    size_t l3;
    CHECK_OK(rune_container_replace_signature(s2, l2, NULL, 0, &s3, &l3, &err), &err);
    CHECK(l3 == len && memcmp(s3, rune, len) == 0);
    rune_free(s1);
    rune_free(s2);
    rune_free(s3);
    rune_free(rune);
}

int main(void)
{
    RUN(round_trip_with_real_model);
    RUN(payloads_are_aligned_in_the_file);
    RUN(write_is_deterministic);
    RUN(wasm_objdump_reads_a_rune);
    RUN(every_flipped_byte_is_detected);
    RUN(every_truncation_is_refused);
    RUN(structural_corruptions_refused);
    RUN(writer_refuses_bad_input);
    RUN(allocation_failures_leak_nothing);
    RUN(write_allocation_failures);
    RUN(signature_section_replaced_not_hashed);
    return test_report();
}
