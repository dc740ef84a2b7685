/*
 * test_smp_cbor.c - the bounded CBOR codec: round trips of every type, lookups, and hostile input
 * (truncation, lying lengths, deep nesting, unsupported encodings, wrong types), each a clear
 * error.
 */
#include "rune/alloc.h"
#include "rune/smp.h"
#include "test.h"

static rune_cbor_item items[RUNE_CBOR_MAX_ITEMS];

TEST(cbor_round_trip_all_types)
{
    uint8_t buf[512];
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, buf, sizeof buf);
    rune_cbor_put_map(&e, 9);
    rune_cbor_put_textz(&e, "u");
    rune_cbor_put_uint(&e, 0x1234567890ull);
    rune_cbor_put_textz(&e, "small");
    rune_cbor_put_uint(&e, 23);
    rune_cbor_put_textz(&e, "neg");
    rune_cbor_put_int(&e, -500);
    rune_cbor_put_textz(&e, "min");
    rune_cbor_put_int(&e, INT64_MIN);
    rune_cbor_put_textz(&e, "b");
    rune_cbor_put_bytes(&e, "\x00\x01\x02", 3);
    rune_cbor_put_textz(&e, "t");
    rune_cbor_put_textz(&e, "hello");
    rune_cbor_put_textz(&e, "arr");
    rune_cbor_put_array_indef(&e);
    rune_cbor_put_bool(&e, true);
    rune_cbor_put_null(&e);
    rune_cbor_put_double(&e, 2.5);
    rune_cbor_put_break(&e);
    rune_cbor_put_textz(&e, "f");
    rune_cbor_put_bool(&e, false);
    rune_cbor_put_textz(&e, "nested");
    rune_cbor_put_map_indef(&e);
    rune_cbor_put_textz(&e, "x");
    rune_cbor_put_uint(&e, 7);
    rune_cbor_put_break(&e);
    CHECK_OK(rune_cbor_enc_finish(&e, NULL), NULL);

    rune_cbor_doc d;
    rune_error err;
    CHECK_OK(rune_cbor_decode(buf, e.len, items, RUNE_CBOR_MAX_ITEMS, &d, &err), &err);
    CHECK_EQ_INT(items[0].type, RUNE_CBOR_MAP);
    CHECK_EQ_INT(items[0].count, 9);
    uint64_t u = 0;
    int64_t i = 0;
    CHECK_OK(rune_cbor_get_uint(&d, 0, "u", &u, &err), &err);
    CHECK(u == 0x1234567890ull);
    CHECK_OK(rune_cbor_get_uint(&d, 0, "small", &u, &err), &err);
    CHECK_EQ_INT(u, 23);
    CHECK_OK(rune_cbor_get_int(&d, 0, "neg", &i, &err), &err);
    CHECK_EQ_INT(i, -500);
    CHECK_OK(rune_cbor_get_int(&d, 0, "min", &i, &err), &err);
    CHECK(i == INT64_MIN);
    const uint8_t *bp;
    size_t bl;
    CHECK_OK(rune_cbor_get_bytes(&d, 0, "b", &bp, &bl, &err), &err);
    CHECK(bl == 3 && bp[0] == 0 && bp[2] == 2);
    char t[8];
    CHECK_OK(rune_cbor_get_textz(&d, 0, "t", t, sizeof t, &err), &err);
    CHECK_STR(t, "hello");
    CHECK_STATUS(rune_cbor_get_textz(&d, 0, "t", t, 3, &err), RUNE_E_LIMIT);
    long arr = rune_cbor_map_find(&d, 0, "arr");
    CHECK(arr > 0);
    CHECK_EQ_INT(items[arr].count, 3);
    long a2 = rune_cbor_array_at(&d, (uint32_t)arr, 2);
    CHECK(a2 > 0 && items[a2].type == RUNE_CBOR_FLOAT && items[a2].v.f == 2.5);
    CHECK_EQ_INT(items[rune_cbor_array_at(&d, (uint32_t)arr, 1)].type, RUNE_CBOR_NULL);
    CHECK(rune_cbor_array_at(&d, (uint32_t)arr, 3) < 0);
    bool b = true;
    CHECK_OK(rune_cbor_get_bool(&d, 0, "f", &b, &err), &err);
    CHECK(!b);
    long nested = rune_cbor_map_find(&d, 0, "nested");
    CHECK_OK(rune_cbor_get_uint(&d, (uint32_t)nested, "x", &u, &err), &err);
    CHECK_EQ_INT(u, 7);
    /* the key after a nested container is found: `next` skips subtrees correctly */
    CHECK(rune_cbor_map_find(&d, 0, "f") > arr);
    /* wrong types and missing keys name the key */
    CHECK_STATUS(rune_cbor_get_uint(&d, 0, "t", &u, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "\"t\" is text");
    CHECK_STATUS(rune_cbor_get_bool(&d, 0, "nope", &b, &err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "nope");
    CHECK_STATUS(rune_cbor_get_int(&d, 0, "b", &i, &err), RUNE_E_INVALID);
}

TEST(cbor_known_encodings)
{
    /* RFC 8949 appendix A examples */
    uint8_t buf[32];
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, buf, sizeof buf);
    rune_cbor_put_uint(&e, 1000000);
    CHECK(e.len == 5 && memcmp(buf, "\x1a\x00\x0f\x42\x40", 5) == 0);
    rune_cbor_enc_init(&e, buf, sizeof buf);
    rune_cbor_put_int(&e, -1000);
    CHECK(e.len == 3 && memcmp(buf, "\x39\x03\xe7", 3) == 0);
    rune_cbor_enc_init(&e, buf, sizeof buf);
    rune_cbor_put_uint(&e, 18446744073709551615ull);
    CHECK(e.len == 9 && buf[0] == 0x1b && buf[8] == 0xff);
    /* half float 1.5 = f9 3e 00, single 100000.0 = fa 47 c3 50 00 */
    rune_cbor_doc d;
    CHECK_OK(rune_cbor_decode((const uint8_t *)"\xf9\x3e\x00", 3, items, 4, &d, NULL), NULL);
    CHECK(items[0].type == RUNE_CBOR_FLOAT && items[0].v.f == 1.5);
    CHECK_OK(rune_cbor_decode((const uint8_t *)"\xfa\x47\xc3\x50\x00", 5, items, 4, &d, NULL),
             NULL);
    CHECK(items[0].v.f == 100000.0);
    /* an encoder that runs out of room says how much it needed */
    uint8_t small[4];
    rune_error err;
    rune_cbor_enc_init(&e, small, sizeof small);
    rune_cbor_put_textz(&e, "too long for four");
    CHECK_STATUS(rune_cbor_enc_finish(&e, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "18 bytes");
}

static void expect_bad(const char *bytes, size_t len, rune_status want, const char *msg)
{
    rune_cbor_doc d;
    rune_error err;
    rune_error_clear(&err);
    long live = rune_alloc_live();
    rune_status st =
        rune_cbor_decode((const uint8_t *)bytes, len, items, RUNE_CBOR_MAX_ITEMS, &d, &err);
    CHECK_STATUS(st, want);
    CHECK_CONTAINS(err.msg, msg);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(cbor_hostile)
{
    expect_bad("", 0, RUNE_E_MALFORMED, "truncated");
    expect_bad("\x19\x01", 2, RUNE_E_MALFORMED, "truncated integer");
    /* byte string declaring 2^64-1 bytes, text declaring 4 GB */
    expect_bad("\x5b\xff\xff\xff\xff\xff\xff\xff\xff\x00", 10, RUNE_E_MALFORMED, "declares");
    expect_bad("\x7a\xff\xff\xff\xff"
               "abc",
               8, RUNE_E_MALFORMED, "only 3 follow");
    /* array and map declaring more entries than bytes */
    expect_bad("\x9b\x00\x00\x00\x01\x00\x00\x00\x00\x01", 10, RUNE_E_MALFORMED, "entries");
    expect_bad("\xa2\x01\x02\x03", 4, RUNE_E_MALFORMED, "entries");
    /* 100 nested arrays */
    char deep[101];
    memset(deep, 0x81, 100);
    deep[100] = 0x00;
    expect_bad(deep, sizeof deep, RUNE_E_LIMIT, "nesting");
    /* nesting through indefinite maps too */
    char deep2[64];
    for (int i = 0; i < 32; i++) {
        deep2[2 * i] = (char)0xbf;
        deep2[2 * i + 1] = 0x60;
    }
    expect_bad(deep2, sizeof deep2, RUNE_E_LIMIT, "nesting");
    expect_bad("\x5f\x41\x00\xff", 4, RUNE_E_UNSUPPORTED, "indefinite-length strings");
    expect_bad("\xc1\x00", 2, RUNE_E_UNSUPPORTED, "tags");
    expect_bad("\x1c", 1, RUNE_E_MALFORMED, "reserved");
    expect_bad("\xff", 1, RUNE_E_MALFORMED, "unexpected break");
    expect_bad("\x01\x02", 2, RUNE_E_MALFORMED, "after the end");
    expect_bad("\x9f\x01\x02", 3, RUNE_E_MALFORMED, "no break");
    expect_bad("\xbf\x61\x61\xff", 4, RUNE_E_MALFORMED, "key without a value");
    expect_bad("\x3b\xff\xff\xff\xff\xff\xff\xff\xff", 9, RUNE_E_UNSUPPORTED, "below -2^63");
    expect_bad("\xf8\x20", 2, RUNE_E_UNSUPPORTED, "simple value");
    /* more items than the caller's array */
    uint8_t many[200];
    many[0] = 0x98;
    many[1] = 150;
    memset(many + 2, 0x01, 150);
    rune_cbor_doc d;
    rune_error err;
    CHECK_STATUS(rune_cbor_decode(many, 152, items, 100, &d, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "more than 100 items");
    CHECK_OK(rune_cbor_decode(many, 152, items, 151, &d, &err), &err);
    CHECK_EQ_INT(d.n, 151);
    /* lookups on something that is not a map */
    CHECK(rune_cbor_map_find(&d, 0, "x") < 0);
    CHECK(rune_cbor_array_at(&d, 1, 0) < 0);
    CHECK_STATUS(rune_cbor_decode(NULL, 3, items, 4, &d, &err), RUNE_E_ARG);
}

int main(void)
{
    RUN(cbor_round_trip_all_types);
    RUN(cbor_known_encodings);
    RUN(cbor_hostile);
    return test_report();
}
