/*
 * test_wasm_decode.c - decoding and validation errors on hand-assembled modules: every bad input is
 * refused with the right status and a message naming what and where, and leaks nothing. Also the
 * raw section iterator (rune_wasm_section_next).
 */
#include "wasm_test.h"

#define HDR 0, 'a', 's', 'm', 1, 0, 0, 0

static rune_wasm_engine *eng;
static rune_error err;

/* Load bytes; check nothing leaks and, on failure, that no module came out. */
static rune_status load(const uint8_t *b, size_t len)
{
    long live = rune_alloc_live();
    rune_wasm_module *mod = (rune_wasm_module *)1;
    rune_error_clear(&err);
    rune_status st = rune_wasm_module_load(eng, b, len, &mod, &err);
    if (st == RUNE_OK)
        rune_wasm_module_free(mod);
    else
        CHECK(mod == NULL);
    CHECK_EQ_INT(rune_alloc_live(), live);
    if (st != RUNE_OK) CHECK(err.msg[0] != 0);
    return st;
}
#define LOAD(...)                                                                                  \
    ({                                                                                             \
        static const uint8_t b_[] = {__VA_ARGS__};                                                 \
        load(b_, sizeof b_);                                                                       \
    })

/* A module with one function of type [] -> [] (type 0) or [i32] -> [i32] (type 1) and the given
 * body (without the size): compile the body by itself. */
static rune_status body(const uint8_t *code, size_t n, int type)
{
    uint8_t m[512];
    size_t k = 0;
    static const uint8_t head[] = {HDR, 1, 9, 2, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f, 3, 2, 1, 0};
    memcpy(m, head, sizeof head);
    k = sizeof head;
    m[k - 1] = (uint8_t)type;
    /* a memory and a global so loads and global.get 0 are valid */
    static const uint8_t mem_glob[] = {5, 3, 1, 0, 1, 6, 6, 1, 0x7f, 0, 0x41, 0, 0x0b};
    memcpy(m + k, mem_glob, sizeof mem_glob);
    k += sizeof mem_glob;
    m[k++] = 10;
    m[k++] = (uint8_t)(n + 3);
    m[k++] = 1;
    m[k++] = (uint8_t)(n + 1);
    m[k++] = 0; /* no locals */
    memcpy(m + k, code, n);
    k += n;
    return load(m, k);
}
#define BODY(type, ...)                                                                            \
    ({                                                                                             \
        static const uint8_t c_[] = {__VA_ARGS__};                                                 \
        body(c_, sizeof c_, type);                                                                 \
    })

TEST(header_errors)
{
    CHECK_STATUS(load((const uint8_t *)"", 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "magic header");
    CHECK_STATUS(LOAD(0, 'a', 's'), RUNE_E_MALFORMED);
    CHECK_STATUS(LOAD(0, 'a', 's', 'n', 1, 0, 0, 0), RUNE_E_MALFORMED);
    CHECK_STATUS(LOAD(0, 'a', 's', 'm', 2, 0, 0, 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "unknown binary version");
    CHECK_STATUS(LOAD(0, 'a', 's', 'm', 1, 0, 0), RUNE_E_MALFORMED);
    CHECK_OK(LOAD(HDR), &err); /* the empty module is valid */
}

TEST(section_errors)
{
    /* size runs past the end */
    CHECK_STATUS(LOAD(HDR, 1, 5, 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "past the end");
    /* unknown section id */
    CHECK_STATUS(LOAD(HDR, 14, 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "section id 14");
    /* duplicate and out-of-order sections */
    CHECK_STATUS(LOAD(HDR, 1, 1, 0, 1, 1, 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "type");
    CHECK_STATUS(LOAD(HDR, 3, 1, 0, 1, 1, 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "out of order");
    /* data count after data: out of order; custom sections anywhere are fine */
    CHECK_STATUS(LOAD(HDR, 11, 1, 0, 12, 1, 0), RUNE_E_MALFORMED);
    CHECK_OK(LOAD(HDR, 0, 2, 1, 'x', 1, 1, 0, 0, 3, 1, 'y', 9), &err);
    /* section content shorter than its size */
    CHECK_STATUS(LOAD(HDR, 1, 2, 0, 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "size mismatch");
}

TEST(leb_and_counts)
{
    /* overlong u32 (6 bytes) and a 5-byte u32 with bits past 32 */
    CHECK_STATUS(LOAD(HDR, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "too long");
    CHECK_STATUS(LOAD(HDR, 1, 6, 0xff, 0xff, 0xff, 0xff, 0x7f, 0), RUNE_E_MALFORMED);
    /* a redundant but in-range 5-byte encoding is fine */
    CHECK_OK(LOAD(HDR, 1, 5, 0x80, 0x80, 0x80, 0x80, 0x00), &err);
    /* a huge count does not turn into a huge allocation */
    CHECK_STATUS(LOAD(HDR, 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "too large");
    CHECK_STATUS(LOAD(HDR, 2, 5, 0xff, 0xff, 0xff, 0x7f, 0), RUNE_E_MALFORMED);
    /* truncated in the middle of a type */
    CHECK_STATUS(LOAD(HDR, 1, 3, 1, 0x60, 2), RUNE_E_MALFORMED);
    /* i32.const with an overlong signed LEB */
    CHECK_STATUS(BODY(1, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b), RUNE_E_MALFORMED);
    CHECK_STATUS(BODY(1, 0x41, 0xff, 0xff, 0xff, 0xff, 0x4f, 0x0b), RUNE_E_MALFORMED);
}

TEST(index_errors)
{
    /* function with type index 5 of 1 */
    CHECK_STATUS(LOAD(HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 5), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "unknown type 5");
    CHECK_CONTAINS(err.msg, "function section");
    /* export of function 3 that does not exist */
    CHECK_STATUS(LOAD(HDR, 7, 5, 1, 1, 'f', 0, 3), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "unknown function 3");
    /* duplicate export names */
    CHECK_STATUS(LOAD(HDR, 5, 3, 1, 0, 1, 7, 9, 2, 1, 'm', 2, 0, 1, 'm', 2, 0), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "duplicate export");
    /* start function with a parameter */
    CHECK_STATUS(LOAD(HDR, 1, 5, 1, 0x60, 1, 0x7f, 0, 3, 2, 1, 0, 8, 1, 0, 10, 4, 1, 2, 0, 0x0b),
                 RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "start function");
    /* function and code counts differ */
    CHECK_STATUS(LOAD(HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "inconsistent");
    /* memory: min > max, more than 65536 pages, two memories, shared */
    CHECK_STATUS(LOAD(HDR, 5, 4, 1, 1, 2, 1), RUNE_E_INVALID);
    CHECK_STATUS(LOAD(HDR, 5, 5, 1, 0, 0x81, 0x80, 0x04), RUNE_E_INVALID);
    CHECK_STATUS(LOAD(HDR, 5, 5, 2, 0, 1, 0, 1), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "multiple memories");
    CHECK_STATUS(LOAD(HDR, 5, 4, 1, 3, 1, 2), RUNE_E_UNSUPPORTED);
    /* data segment for a memory that does not exist; data count mismatch */
    CHECK_STATUS(LOAD(HDR, 11, 6, 1, 0, 0x41, 0, 0x0b, 0), RUNE_E_INVALID);
    CHECK_STATUS(LOAD(HDR, 12, 1, 2, 11, 1, 0), RUNE_E_MALFORMED);
    /* a global initialized from a non-constant instruction */
    CHECK_STATUS(LOAD(HDR, 6, 6, 1, 0x7f, 0, 0x20, 0, 0x0b), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "constant expression");
    /* v128 global: unsupported, clearly */
    CHECK_STATUS(LOAD(HDR, 6, 6, 1, 0x7b, 0, 0x41, 0, 0x0b), RUNE_E_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "SIMD");
    /* names must be UTF-8 */
    CHECK_STATUS(LOAD(HDR, 7, 5, 1, 1, 0xff, 0, 0), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "UTF-8");
}

TEST(validation_errors)
{
    CHECK_OK(BODY(1, 0x20, 0, 0x41, 1, 0x6a, 0x0b), &err); /* local.get 0; i32.const 1; add */
    /* type mismatch: i64.add on i32 */
    CHECK_STATUS(BODY(1, 0x20, 0, 0x20, 0, 0x7c, 0x0b), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "type mismatch");
    CHECK_CONTAINS(err.msg, "func 0");
    CHECK_CONTAINS(err.msg, "offset 0x");
    /* result missing, extra value left */
    CHECK_STATUS(BODY(1, 0x0b), RUNE_E_INVALID);
    CHECK_STATUS(BODY(0, 0x41, 1, 0x0b), RUNE_E_INVALID);
    /* bad branch depth, unknown local, global, function */
    CHECK_STATUS(BODY(0, 0x0c, 3, 0x0b), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "unknown label");
    CHECK_STATUS(BODY(1, 0x20, 9, 0x0b), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "unknown local 9");
    CHECK_STATUS(BODY(1, 0x23, 4, 0x0b), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "unknown global 4");
    CHECK_STATUS(BODY(0, 0x10, 7, 0x0b), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "unknown function 7");
    /* global.set on an immutable global */
    CHECK_STATUS(BODY(0, 0x41, 0, 0x24, 0, 0x0b), RUNE_E_INVALID);
    /* branch value of the wrong type */
    CHECK_STATUS(BODY(1, 0x42, 0, 0x0c, 0, 0x0b), RUNE_E_INVALID);
    /* unreachable code is polymorphic: valid */
    CHECK_OK(BODY(1, 0x00, 0x6a, 0x0b), &err);
    /* bad alignment, unknown opcode, SIMD prefix, missing end */
    CHECK_STATUS(BODY(1, 0x20, 0, 0x28, 3, 0, 0x0b), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "alignment");
    CHECK_STATUS(BODY(0, 0xd7, 0x0b), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "illegal opcode");
    CHECK_STATUS(BODY(0, 0xfd, 0x0c, 0x0b), RUNE_E_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "SIMD");
    CHECK_STATUS(BODY(0, 0x02, 0x40, 0x0b), RUNE_E_MALFORMED);
    /* memory.init without a data count section */
    CHECK_STATUS(BODY(0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 8, 0, 0, 0x0b), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "data count");
    /* ref.func of a function never declared */
    CHECK_STATUS(BODY(0, 0xd2, 0, 0x1a, 0x0b), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "undeclared");
}

TEST(deep_nesting)
{
    /* 100000 nested blocks: refused cleanly (no recursion in the validator) */
    size_t n = 100000, k = 0;
    uint8_t *m = malloc(2 * n + 64);
    static const uint8_t head[] = {HDR, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10};
    memcpy(m, head, sizeof head);
    k = sizeof head;
    size_t half = n / 2, blen = 1 + 3 * half + 1, slen = 1 + 3 + blen;
    m[k++] = (uint8_t)(0x80 | (slen & 0x7f));
    m[k++] = (uint8_t)(0x80 | ((slen >> 7) & 0x7f));
    m[k++] = (uint8_t)(slen >> 14);
    m[k++] = 1;
    m[k++] = (uint8_t)(0x80 | (blen & 0x7f));
    m[k++] = (uint8_t)(0x80 | ((blen >> 7) & 0x7f));
    m[k++] = (uint8_t)(blen >> 14);
    m[k++] = 0;
    for (size_t i = 0; i < half; i++)
        m[k++] = 0x02, m[k++] = 0x40;
    for (size_t i = 0; i < half; i++)
        m[k++] = 0x0b;
    m[k++] = 0x0b;
    rune_status st = load(m, k);
    CHECK(st == RUNE_E_UNSUPPORTED || st == RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "nested");
    free(m);
}

TEST(section_iterator)
{
    static const uint8_t m[] = {HDR, 0, 6, 4, 'r', 'u', 'n', 'e', 42, 1, 1, 0, 0, 3, 1, 'z', 7};
    size_t pos = 0;
    rune_wasm_section s;
    CHECK_OK(rune_wasm_section_next(m, sizeof m, &pos, &s, &err), &err);
    CHECK_EQ_INT(s.id, 0);
    CHECK(s.name_len == 4 && memcmp(s.name, "rune", 4) == 0);
    CHECK(s.payload_len == 1 && s.payload[0] == 42);
    CHECK_EQ_INT(s.offset, 8);
    CHECK_OK(rune_wasm_section_next(m, sizeof m, &pos, &s, &err), &err);
    CHECK_EQ_INT(s.id, 1);
    CHECK(s.name == NULL && s.payload_len == 1);
    CHECK_OK(rune_wasm_section_next(m, sizeof m, &pos, &s, &err), &err);
    CHECK(s.name_len == 1 && s.name[0] == 'z' && s.payload_len == 1 && s.payload[0] == 7);
    CHECK_STATUS(rune_wasm_section_next(m, sizeof m, &pos, &s, &err), RUNE_E_NOT_FOUND);
    /* truncated: the last section claims more bytes than there are */
    pos = 0;
    CHECK_OK(rune_wasm_section_next(m, sizeof m - 1, &pos, &s, &err), &err);
    CHECK_OK(rune_wasm_section_next(m, sizeof m - 1, &pos, &s, &err), &err);
    CHECK_STATUS(rune_wasm_section_next(m, sizeof m - 1, &pos, &s, &err), RUNE_E_MALFORMED);
    pos = 0;
    CHECK_STATUS(rune_wasm_section_next((const uint8_t *)"\0asm\2\0\0\0", 8, &pos, &s, &err),
                 RUNE_E_MALFORMED);
}

int main(void)
{
    rune_wasm_engine_new(RUNE_WASM_INTERP, NULL, &eng, &err);
    RUN(header_errors);
    RUN(section_errors);
    RUN(leb_and_counts);
    RUN(index_errors);
    RUN(validation_errors);
    RUN(deep_nesting);
    RUN(section_iterator);
    rune_wasm_engine_free(eng);
    return test_report();
}
