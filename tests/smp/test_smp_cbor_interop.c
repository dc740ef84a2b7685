/*
 * test_smp_cbor_interop.c - our bounded CBOR codec against an independent implementation (Debian's
 * libcbor): random documents built and serialized by libcbor decode with ours to the same values,
 * and what our encoder writes (definite and indefinite containers, every head width) libcbor
 * reads back to the same values.
 */
#include <cbor.h>

#include "rune/smp.h"
#include "test.h"

static rune_cbor_item items[RUNE_CBOR_MAX_ITEMS];
static uint32_t rng = 0x12345678;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static uint64_t rand_u64(void)
{
    /* every head width: below 24, 1, 2, 4 and 8 bytes */
    static const uint64_t tops[] = {23, 0xff, 0xffff, 0xffffffffu, UINT64_MAX};
    uint64_t top = tops[next_rand() % 5];
    uint64_t v = ((uint64_t)next_rand() << 32) | next_rand();
    return top == UINT64_MAX ? v : v % (top + 1);
}

static cbor_item_t *random_item(int depth)
{
    int kind = (int)(next_rand() % (depth >= 4 ? 6 : 8));
    switch (kind) {
    case 0: return cbor_build_uint64(rand_u64());
    case 1: return cbor_build_negint64(rand_u64() >> 1);
    case 2: {
        uint8_t b[40];
        size_t n = next_rand() % sizeof b;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)next_rand();
        return cbor_build_bytestring(b, n);
    }
    case 3: {
        char t[24];
        size_t n = next_rand() % (sizeof t - 1);
        for (size_t i = 0; i < n; i++)
            t[i] = (char)('a' + next_rand() % 26);
        return cbor_build_stringn(t, n);
    }
    case 4: return cbor_build_bool(next_rand() % 2);
    case 5:
        return (next_rand() % 2) ? cbor_new_null() : cbor_build_float8((double)next_rand() / 7.0);
    case 6: {
        size_t n = next_rand() % 5;
        cbor_item_t *a =
            (next_rand() % 2) ? cbor_new_definite_array(n) : cbor_new_indefinite_array();
        for (size_t i = 0; i < n; i++) {
            cbor_item_t *x = random_item(depth + 1);
            cbor_array_push(a, x);
            cbor_decref(&x);
        }
        return a;
    }
    default: {
        size_t n = next_rand() % 5;
        cbor_item_t *m = (next_rand() % 2) ? cbor_new_definite_map(n) : cbor_new_indefinite_map();
        for (size_t i = 0; i < n; i++) {
            char key[8];
            snprintf(key, sizeof key, "k%zu", i);
            cbor_item_t *k = cbor_build_string(key), *v = random_item(depth + 1);
            cbor_map_add(m, (struct cbor_pair){.key = k, .value = v});
            cbor_decref(&k);
            cbor_decref(&v);
        }
        return m;
    }
    }
}

/* Do libcbor's item x and our item i hold the same value? */
static bool same(const cbor_item_t *x, const rune_cbor_doc *d, uint32_t i)
{
    if (i >= d->n) return false;
    const rune_cbor_item *it = &d->items[i];
    switch (cbor_typeof(x)) {
    case CBOR_TYPE_UINT: return it->type == RUNE_CBOR_UINT && it->v.u == cbor_get_int(x);
    case CBOR_TYPE_NEGINT:
        return it->type == RUNE_CBOR_NINT && it->v.i == -(int64_t)cbor_get_int(x) - 1;
    case CBOR_TYPE_BYTESTRING:
        return it->type == RUNE_CBOR_BYTES && it->v.s.len == cbor_bytestring_length(x) &&
               (it->v.s.len == 0 || memcmp(it->v.s.p, cbor_bytestring_handle(x), it->v.s.len) == 0);
    case CBOR_TYPE_STRING:
        return it->type == RUNE_CBOR_TEXT && it->v.s.len == cbor_string_length(x) &&
               (it->v.s.len == 0 || memcmp(it->v.s.p, cbor_string_handle(x), it->v.s.len) == 0);
    case CBOR_TYPE_ARRAY: {
        if (it->type != RUNE_CBOR_ARRAY || it->count != cbor_array_size(x)) return false;
        for (uint32_t k = 0; k < it->count; k++) {
            long e = rune_cbor_array_at(d, i, k);
            if (e < 0 || !same(cbor_array_handle(x)[k], d, (uint32_t)e)) return false;
        }
        return true;
    }
    case CBOR_TYPE_MAP: {
        if (it->type != RUNE_CBOR_MAP || it->count != cbor_map_size(x)) return false;
        struct cbor_pair *p = cbor_map_handle(x);
        for (size_t k = 0; k < cbor_map_size(x); k++) {
            char key[16];
            size_t kl = cbor_string_length(p[k].key);
            snprintf(key, sizeof key, "%.*s", (int)kl, (const char *)cbor_string_handle(p[k].key));
            long v = rune_cbor_map_find(d, i, key);
            if (v < 0 || !same(p[k].value, d, (uint32_t)v)) return false;
        }
        return true;
    }
    case CBOR_TYPE_FLOAT_CTRL:
        if (!cbor_float_ctrl_is_ctrl(x))
            return it->type == RUNE_CBOR_FLOAT && it->v.f == cbor_float_get_float(x);
        if (cbor_is_null(x)) return it->type == RUNE_CBOR_NULL;
        if (cbor_is_bool(x)) return it->type == RUNE_CBOR_BOOL && it->v.b == cbor_get_bool(x);
        return it->type == RUNE_CBOR_FLOAT && it->v.f == cbor_float_get_float(x);
    default: return false;
    }
}

TEST(libcbor_documents_decode_the_same)
{
    for (int round = 0; round < 300; round++) {
        cbor_item_t *x = random_item(0);
        unsigned char *buf = NULL;
        size_t cap = 0;
        size_t len = cbor_serialize_alloc(x, &buf, &cap);
        CHECK(len > 0);
        rune_cbor_doc d;
        rune_error err;
        CHECK_OK(rune_cbor_decode(buf, len, items, RUNE_CBOR_MAX_ITEMS, &d, &err), &err);
        CHECK_MSG_(same(x, &d, 0), "round %d: values differ", round);
        /* every strict prefix is truncated, never accepted */
        for (size_t cut = 0; cut < len; cut += 1 + len / 8)
            CHECK(rune_cbor_decode(buf, cut, items, RUNE_CBOR_MAX_ITEMS, &d, &err) != RUNE_OK);
        free(buf);
        cbor_decref(&x);
    }
}

TEST(our_encoding_reads_in_libcbor)
{
    uint8_t buf[1024];
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, buf, sizeof buf);
    rune_cbor_put_map_indef(&e);
    rune_cbor_put_textz(&e, "off");
    rune_cbor_put_uint(&e, 70000);
    rune_cbor_put_textz(&e, "big");
    rune_cbor_put_uint(&e, UINT64_MAX);
    rune_cbor_put_textz(&e, "neg");
    rune_cbor_put_int(&e, -300);
    rune_cbor_put_textz(&e, "data");
    uint8_t blob[300];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)i;
    rune_cbor_put_bytes(&e, blob, sizeof blob);
    rune_cbor_put_textz(&e, "list");
    rune_cbor_put_array(&e, 3);
    rune_cbor_put_bool(&e, true);
    rune_cbor_put_null(&e);
    rune_cbor_put_double(&e, -1.25);
    rune_cbor_put_textz(&e, "runes");
    rune_cbor_put_array_indef(&e);
    rune_cbor_put_map(&e, 1);
    rune_cbor_put_textz(&e, "name");
    rune_cbor_put_textz(&e, "sine");
    rune_cbor_put_break(&e);
    rune_cbor_put_break(&e);
    CHECK_OK(rune_cbor_enc_finish(&e, NULL), NULL);

    struct cbor_load_result res;
    cbor_item_t *x = cbor_load(buf, e.len, &res);
    CHECK(x != NULL && res.error.code == CBOR_ERR_NONE && res.read == e.len);
    if (!x) return;
    /* and both readings agree */
    rune_cbor_doc d;
    CHECK_OK(rune_cbor_decode(buf, e.len, items, RUNE_CBOR_MAX_ITEMS, &d, NULL), NULL);
    CHECK(same(x, &d, 0));
    CHECK(cbor_isa_map(x) && cbor_map_is_indefinite(x) && cbor_map_size(x) == 6);
    struct cbor_pair *p = cbor_map_handle(x);
    CHECK(cbor_get_int(p[0].value) == 70000);
    CHECK(cbor_get_int(p[1].value) == UINT64_MAX);
    CHECK(cbor_isa_negint(p[2].value) && cbor_get_int(p[2].value) == 299);
    CHECK(cbor_bytestring_length(p[3].value) == sizeof blob &&
          memcmp(cbor_bytestring_handle(p[3].value), blob, sizeof blob) == 0);
    cbor_decref(&x);
}

int main(void)
{
    RUN(libcbor_documents_decode_the_same);
    RUN(our_encoding_reads_in_libcbor);
    return test_report();
}
