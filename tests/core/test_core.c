/* Tests of the core: status names, error records, the allocator and its fault injection. */
#include "test.h"

#include "rune/alloc.h"
#include "rune/status.h"

#include <stdint.h>

TEST(status_names_are_distinct)
{
    for (int i = 0; i < RUNE_STATUS_COUNT; i++)
        for (int j = i + 1; j < RUNE_STATUS_COUNT; j++)
            CHECK(strcmp(rune_status_name(i), rune_status_name(j)) != 0);
    CHECK_STR(rune_status_name((rune_status)999), "unknown status");
}

TEST(error_records_message_and_origin)
{
    rune_error err;
    rune_error_clear(&err);
    CHECK_EQ_INT(err.status, RUNE_OK);
    rune_status st = RUNE_ERR(&err, RUNE_E_MALFORMED, "section %d truncated", 3);
    CHECK_EQ_INT(st, RUNE_E_MALFORMED);
    CHECK_STR(err.msg, "section 3 truncated");
    rune_error_prefix(&err, "module.wasm");
    CHECK_STR(err.msg, "module.wasm: section 3 truncated");
    CHECK_CONTAINS(err.origin_file, "test_core.c");
    CHECK_EQ_INT(RUNE_ERR(NULL, RUNE_E_IO, "x"), RUNE_E_IO);
}

TEST(allocator_counts_and_fails_on_demand)
{
    long live0 = rune_alloc_live();
    void *a = rune_malloc(10);
    CHECK(a != NULL);
    CHECK_EQ_INT(rune_alloc_live(), live0 + 1);
    rune_alloc_fail_after(1);
    void *b = rune_malloc(10);
    void *c = rune_malloc(10);
    CHECK(b != NULL);
    CHECK(c == NULL);
    rune_alloc_fail_after(-1);
    rune_free(a);
    rune_free(b);
    rune_free(NULL);
    CHECK_EQ_INT(rune_alloc_live(), live0);
}

TEST(array_helpers_refuse_overflow)
{
    CHECK(rune_malloc_array(SIZE_MAX / 2, 4) == NULL);
    CHECK(rune_calloc(SIZE_MAX, 2) == NULL);
    size_t out = 0;
    CHECK_EQ_INT(rune_mul_overflow(SIZE_MAX, 2, &out), 1);
    CHECK_EQ_INT(rune_add_overflow(SIZE_MAX, 1, &out), 1);
    CHECK_EQ_INT(rune_add_overflow(2, 3, &out), 0);
    CHECK_EQ_INT(out, 5);
    char *s = rune_strdup("rune");
    CHECK_STR(s, "rune");
    rune_free(s);
}

int main(void)
{
    RUN(status_names_are_distinct);
    RUN(error_records_message_and_origin);
    RUN(allocator_counts_and_fails_on_demand);
    RUN(array_helpers_refuse_overflow);
    return test_report();
}
