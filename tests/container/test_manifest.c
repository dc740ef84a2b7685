/*
 * test_manifest.c - the rune manifest: canonical round trips, strict decode with JSON-path errors,
 * unknown fields ignored, schema versions, the shared rules, and allocation failure at every step.
 */
#include "test.h"

#include "rune/alloc.h"
#include "rune/manifest.h"
#include "rune_fixture.h"

TEST(manifest_round_trip_is_canonical)
{
    rune_error err;
    rune_manifest *m = fixture_manifest("speech", "0.1.0"), *d = NULL;
    CHECK(m != NULL);
    char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    CHECK_OK(rune_manifest_encode(m, &a, &alen, &err), &err);
    CHECK_OK(rune_manifest_decode(a, alen, &d, &err), &err);
    CHECK_OK(rune_manifest_encode(d, &b, &blen, &err), &err);
    CHECK_STR(a, b);
    CHECK_EQ_INT(alen, blen);
    CHECK(d && d->nmodels == 1 && d->models[0].ninputs == 1 &&
          d->models[0].inputs[0].dims[1] == 1960);
    CHECK(d && d->ncapabilities == 1 && d->capabilities[0].nargs == 1);
    CHECK_STR(d ? d->capabilities[0].args[0].value : NULL, "16000");
    CHECK_STR(d ? d->base : NULL, "runicos/base");
    CHECK(d && d->npipeline == 2 && d->max_pages == 32 && d->arena_bytes == 10240);
    CHECK(a && strchr(a, ' ') == NULL && strchr(a, '\n') == NULL);
    rune_free(a);
    rune_free(b);
    rune_manifest_free(m);
    rune_manifest_free(d);
}

/* Every element type a Runefile can name survives the manifest: u16 and u32 were once written as
 * u8. */
TEST(manifest_keeps_every_element_type)
{
    static const rune_dtype all[] = {RUNE_DTYPE_U8,  RUNE_DTYPE_I8,  RUNE_DTYPE_U16, RUNE_DTYPE_I16,
                                     RUNE_DTYPE_U32, RUNE_DTYPE_I32, RUNE_DTYPE_I64, RUNE_DTYPE_F32,
                                     RUNE_DTYPE_F64, RUNE_DTYPE_UTF8};
    static const char *const names[] = {"u8",  "i8",  "u16", "i16", "u32",
                                        "i32", "i64", "f32", "f64", "utf8"};
    rune_error err;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        rune_manifest *m = fixture_manifest("speech", "0.1.0"), *d = NULL;
        if (!m) return;
        m->models[0].inputs[0].dtype = all[i];
        char *a = NULL;
        size_t alen = 0;
        CHECK_OK(rune_manifest_encode(m, &a, &alen, &err), &err);
        char want[64];
        snprintf(want, sizeof want, "\"type\":\"%s\"", names[i]);
        CHECK_CONTAINS(a, want);
        CHECK_STR(rune_dtype_name(all[i]), names[i]);
        CHECK_EQ_INT(rune_dtype_parse(names[i]), (int)all[i]);
        CHECK_OK(rune_manifest_decode(a, alen, &d, &err), &err);
        CHECK(d && d->models[0].inputs[0].dtype == all[i]);
        rune_free(a);
        rune_manifest_free(m);
        rune_manifest_free(d);
    }
}

/* The same document with keys reordered, spaces, args out of order and numbers as arg values
 * encodes to the same bytes. */
TEST(manifest_canonical_whatever_the_input_order)
{
    const char *x = "{ \"version\": \"1\", \"name\": \"n\", \"schema\": 1,\n"
                    "  \"capabilities\": [ {\"outputs\": [], \"name\": \"c\", \"kind\": \"RAW\",\n"
                    "      \"args\": {\"z\": 3, \"a\": \"x\", \"b\": true}} ] }";
    const char *y =
        "{\"schema\":1,\"capabilities\":[{\"args\":{\"b\":\"true\",\"a\":\"x\","
        "\"z\":\"3\"},\"name\":\"c\",\"kind\":\"RAW\"}],\"name\":\"n\",\"version\":\"1\"}";
    rune_error err;
    rune_manifest *mx = NULL, *my = NULL;
    char *ex = NULL, *ey = NULL;
    size_t n;
    CHECK_OK(rune_manifest_decode(x, strlen(x), &mx, &err), &err);
    CHECK_OK(rune_manifest_decode(y, strlen(y), &my, &err), &err);
    CHECK_OK(rune_manifest_encode(mx, &ex, &n, &err), &err);
    CHECK_OK(rune_manifest_encode(my, &ey, &n, &err), &err);
    CHECK_STR(ex, ey);
    CHECK_CONTAINS(ex, "\"args\":{\"a\":\"x\",\"b\":\"true\",\"z\":\"3\"}");
    rune_free(ex);
    rune_free(ey);
    rune_manifest_free(mx);
    rune_manifest_free(my);
}

static void expect_refused(const char *json, rune_status want, const char *msg)
{
    rune_error err;
    rune_manifest *m = (rune_manifest *)1;
    long live = rune_alloc_live();
    CHECK_STATUS(rune_manifest_decode(json, strlen(json), &m, &err), want);
    CHECK(m == NULL);
    CHECK_CONTAINS(err.msg, msg);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

#define HEAD "{\"schema\":1,\"name\":\"n\",\"version\":\"1\","
#define DG "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""

TEST(manifest_wrong_types_name_their_path)
{
    expect_refused(HEAD "\"models\":[{\"name\":\"a\",\"digest\":" DG "},{\"name\":\"b\","
                        "\"digest\":7}]}",
                   RUNE_E_INVALID, "models[1].digest: expected a string");
    expect_refused(HEAD "\"models\":[{\"name\":\"a\",\"digest\":\"sha256:12\"}]}", RUNE_E_INVALID,
                   "models[0].digest: expected \"sha256:\"");
    expect_refused(HEAD "\"capabilities\":{}}", RUNE_E_INVALID, "capabilities: expected an array");
    expect_refused(HEAD "\"proc_blocks\":[{\"name\":\"p\",\"inputs\":[{\"type\":\"i8\","
                        "\"shape\":[1,-2]}]}]}",
                   RUNE_E_INVALID, "proc_blocks[0].inputs[0].shape[1]: expected a non-negative");
    expect_refused(HEAD "\"proc_blocks\":[{\"name\":\"p\",\"outputs\":[{\"type\":\"q7\"}]}]}",
                   RUNE_E_INVALID, "proc_blocks[0].outputs[0].type: unknown element type 'q7'");
    expect_refused(HEAD "\"capabilities\":[{\"name\":\"c\",\"args\":{\"hz\":[1]}}]}",
                   RUNE_E_INVALID, "capabilities[0].args.hz: expected a string, number or boolean");
    expect_refused(HEAD "\"memory\":{\"max_pages\":\"many\"}}", RUNE_E_INVALID,
                   "memory.max_pages: expected a non-negative integer");
    expect_refused(HEAD "\"pipeline\":[{\"from\":\"x\",\"to\":\"y\"}]}", RUNE_E_INVALID,
                   "pipeline[0].from: no stage named 'x'");
    expect_refused(HEAD "\"outputs\":[{\"name\":\"o\"},{\"name\":\"o\"}]}", RUNE_E_INVALID,
                   "outputs[1].name: duplicate name 'o'");
    expect_refused(HEAD "\"outputs\":[{\"kind\":\"SERIAL\"}]}", RUNE_E_INVALID,
                   "outputs[0].name: missing");
    expect_refused("{\"schema\":1,\"version\":\"1\"}", RUNE_E_INVALID, "name: missing");
    expect_refused("{\"schema\":1,\"name\":\"\",\"version\":\"1\"}", RUNE_E_INVALID,
                   "name: must not be empty");
    expect_refused("{\"name\":\"n\",\"version\":\"1\"}", RUNE_E_INVALID, "schema: missing");
    expect_refused("{\"schema\":2,\"name\":\"n\",\"version\":\"1\"}", RUNE_E_UNSUPPORTED,
                   "schema: version 2 is newer");
    expect_refused("[1,2]", RUNE_E_INVALID, "(root): expected an object");
    expect_refused("{\"schema\":1,", RUNE_E_MALFORMED, "not valid JSON");
    expect_refused(HEAD "\"build\":{}} x", RUNE_E_MALFORMED, "trailing bytes");
}

TEST(manifest_unknown_fields_ignored)
{
    const char *j = HEAD "\"future\":{\"x\":[1,2,3]},\"models\":[{\"name\":\"m\",\"quantum\":true,"
                         "\"digest\":" DG ",\"size\":12}]}";
    rune_error err;
    rune_manifest *m = NULL;
    CHECK_OK(rune_manifest_decode(j, strlen(j), &m, &err), &err);
    CHECK(m && m->nmodels == 1 && m->models[0].size == 12);
    CHECK(m && rune_manifest_find(m, RUNE_LIST_MODELS, "m") == &m->models[0]);
    CHECK(m && rune_manifest_find(m, RUNE_LIST_MODELS, "zz") == NULL);
    char *e = NULL;
    size_t n;
    CHECK_OK(rune_manifest_encode(m, &e, &n, &err), &err);
    CHECK(e && strstr(e, "future") == NULL && strstr(e, "quantum") == NULL);
    rune_free(e);
    rune_manifest_free(m);
}

TEST(manifest_encode_refuses_what_decode_refuses)
{
    rune_error err;
    rune_manifest *m = fixture_manifest("x", "1");
    CHECK_OK(rune_manifest_add_edge(m, "audio", 0, "nowhere", 0, &err), &err);
    char *e = (char *)1;
    size_t n;
    CHECK_STATUS(rune_manifest_encode(m, &e, &n, &err), RUNE_E_INVALID);
    CHECK(e == NULL);
    CHECK_CONTAINS(err.msg, "pipeline[2].to: no stage named 'nowhere'");
    rune_manifest_free(m);
}

/* Every allocation in encode and decode may fail: RUNE_E_NOMEM (or a JSON error: cJSON reports
 * its own out-of-memory as a parse failure), never a crash, nothing leaked. */
TEST(manifest_allocation_failures)
{
    rune_manifest *m = fixture_manifest("speech", "0.1.0");
    char *json = NULL;
    size_t len = 0;
    rune_error err;
    CHECK_OK(rune_manifest_encode(m, &json, &len, &err), &err);
    long base = rune_alloc_live();
    int enc_ok = 0, dec_ok = 0;
    for (long n = 0; n < 2000 && !(enc_ok && dec_ok); n++) {
        char *e = NULL;
        size_t el;
        rune_manifest *d = NULL;
        rune_alloc_fail_after(n);
        rune_status se = rune_manifest_encode(m, &e, &el, &err);
        rune_alloc_fail_after(-1);
        if (se == RUNE_OK) {
            enc_ok = 1;
            CHECK_STR(e, json);
        } else {
            CHECK_STATUS(se, RUNE_E_NOMEM);
        }
        rune_free(e);
        rune_alloc_fail_after(n);
        rune_status sd = rune_manifest_decode(json, len, &d, &err);
        rune_alloc_fail_after(-1);
        if (sd == RUNE_OK)
            dec_ok = 1;
        else
            CHECK_MSG_(sd == RUNE_E_NOMEM || sd == RUNE_E_MALFORMED, "n=%ld: %s", n, err.msg);
        rune_manifest_free(d);
        CHECK_EQ_INT(rune_alloc_live(), base);
    }
    CHECK(enc_ok && dec_ok);
    rune_free(json);
    rune_manifest_free(m);
}

/* A hostile manifest with very many stages is refused quickly, not checked quadratically. */
TEST(manifest_limits)
{
    size_t cap = 64 + (RUNE_MANIFEST_MAX_STAGES + 1) * 16;
    char *j = malloc(cap);
    size_t n = (size_t)snprintf(j, cap, HEAD "\"outputs\":[");
    for (int i = 0; i <= RUNE_MANIFEST_MAX_STAGES; i++)
        n += (size_t)snprintf(j + n, cap - n, "%s{\"name\":\"o%d\"}", i ? "," : "", i);
    snprintf(j + n, cap - n, "]}");
    expect_refused(j, RUNE_E_LIMIT, "outputs: more than 1024 entries");
    free(j);
}

int main(void)
{
    RUN(manifest_round_trip_is_canonical);
    RUN(manifest_keeps_every_element_type);
    RUN(manifest_canonical_whatever_the_input_order);
    RUN(manifest_wrong_types_name_their_path);
    RUN(manifest_unknown_fields_ignored);
    RUN(manifest_encode_refuses_what_decode_refuses);
    RUN(manifest_allocation_failures);
    RUN(manifest_limits);
    return test_report();
}
