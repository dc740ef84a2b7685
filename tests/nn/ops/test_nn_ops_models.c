/*
 * test_nn_ops_models.c - every nnops one-op model (ops_models.h), float32 and int8: loads and runs;
 * an allocation failure at every point of load, plan and interpreter creation gives RUNE_E_NOMEM
 * and leaks nothing; every truncation of the file is refused with an error, never a crash.
 */
#include "ops_models.h"
#include "rune/nn.h"
#include "test.h"

static int n_models = 0;

static rune_status load_and_run(const uint8_t *bytes, size_t len, rune_error *err)
{
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    rune_status st = rune_nn_model_load(bytes, len, &m, err);
    if (st == RUNE_OK) st = rune_nn_interp_create(m, NULL, 0, &it, err);
    if (st == RUNE_OK) st = rune_nn_interp_invoke(it, err);
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    return st;
}

static int check_one(void *ctx, const char *name, int int8, const uint8_t *bytes, size_t len)
{
    (void)ctx;
    n_models++;
    long base = rune_alloc_live();
    rune_error err = {0};
    rune_status st = load_and_run(bytes, len, &err);
    CHECK_MSG_(st == RUNE_OK, "%s %s: %s", name, int8 ? "int8" : "f32", err.msg);
    /* allocation failure at each step */
    int ok_seen = 0;
    for (long n = 0; n < 400 && !ok_seen; n++) {
        rune_alloc_fail_after(n);
        st = load_and_run(bytes, len, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK)
            ok_seen = 1;
        else
            CHECK_MSG_(st == RUNE_E_NOMEM, "%s: fail after %ld: %s (%s)", name, n,
                       rune_status_name(st), err.msg);
        CHECK_EQ_INT(rune_alloc_live(), base);
    }
    CHECK(ok_seen);
    /* every truncation */
    for (size_t cut = 0; cut < len; cut += 1 + cut / 16) {
        st = load_and_run(bytes, cut, &err);
        CHECK_MSG_(st != RUNE_OK, "%s truncated to %zu bytes loaded", name, cut);
        CHECK(err.msg[0] != 0);
        CHECK_EQ_INT(rune_alloc_live(), base);
    }
    return 0;
}

TEST(every_op_model)
{
    ops_models_out out = {check_one, NULL};
    CHECK_EQ_INT(ops_models_make(&out, 0), 0);
    CHECK_EQ_INT(ops_models_make(&out, 1), 0);
    CHECK(n_models >= 30);
    printf("%d models checked\n", n_models);
}

int main(void)
{
    RUN(every_op_model);
    return test_report();
}
