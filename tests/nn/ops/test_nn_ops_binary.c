/*
 * test_nn_ops_binary.c - ADD, SUB and MUL on writer-made models: float32 against the arithmetic
 * done here, int8 against the real-valued formula (dequantize, operate, requantize) within 1, with
 * numpy broadcasting up to 4-D and fused activations; shape and type errors refused at load.
 */
#include "ops_test.h"

enum { ADD, SUB, MUL };

static const int codes[3] = {RUNE_NNW_OP_ADD, RUNE_NNW_OP_SUB, RUNE_NNW_OP_MUL};
static const int opt_types[3] = {RUNE_NNW_OPT_ADD, RUNE_NNW_OPT_SUB, RUNE_NNW_OPT_MUL};

static double apply(int op, double a, double b)
{
    return op == ADD ? a + b : op == SUB ? a - b : a * b;
}

/* Index of b (shape bd, rank nb) for output index of shape od (rank n), numpy rules. */
static size_t bcast_index(size_t io, int n, const int32_t *od, int nb, const int32_t *bd)
{
    size_t idx[8], r = io;
    for (int i = n; i-- > 0;) {
        idx[i] = r % (size_t)od[i];
        r /= (size_t)od[i];
    }
    size_t ib = 0;
    for (int i = 0; i < nb; i++) {
        size_t k = idx[n - nb + i];
        ib = ib * (size_t)bd[i] + (bd[i] == 1 ? 0 : k);
    }
    return ib;
}

static size_t count(int n, const int32_t *d)
{
    size_t c = 1;
    for (int i = 0; i < n; i++)
        c *= (size_t)d[i];
    return c;
}

static void run_float(int op, int na, const int32_t *ad, int nb, const int32_t *bd, int no,
                      const int32_t *od, int act)
{
    size_t ca = count(na, ad), cb = count(nb, bd), co = count(no, od);
    float a[256], b[256], out[256];
    uint32_t s = 7u + (uint32_t)op;
    for (size_t i = 0; i < ca; i++)
        a[i] = frand(&s) * 8;
    for (size_t i = 0; i < cb; i++)
        b[i] = frand(&s) * 8;
    op_model om;
    om_begin(&om);
    int ta = t_f32(om.w, na, ad), tb = t_f32(om.w, nb, bd);
    om.out = t_f32(om.w, no, od);
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    rune_nnw_options o = rune_nnw_opts_act(opt_types[op], act);
    const void *in[2] = {a, b};
    size_t il[2] = {ca * 4, cb * 4};
    rune_error err = {0};
    CHECK_OK(om_run(&om, codes[op], (int[]){ta, tb}, 2, &o, in, il, out, co * 4, &err), &err);
    for (size_t i = 0; i < co; i++) {
        double want =
            apply(op, a[bcast_index(i, no, od, na, ad)], b[bcast_index(i, no, od, nb, bd)]);
        if (act == RUNE_NNW_ACT_RELU && want < 0) want = 0;
        if (act == RUNE_NNW_ACT_RELU6) want = want < 0 ? 0 : want > 6 ? 6 : want;
        CHECK_NEAR(out[i], want, 1e-5 * (1 + fabs(want)));
    }
}

TEST(float_same_shape_and_broadcast)
{
    for (int op = ADD; op <= MUL; op++) {
        run_float(op, 2, (int32_t[]){3, 5}, 2, (int32_t[]){3, 5}, 2, (int32_t[]){3, 5},
                  RUNE_NNW_ACT_NONE);
        run_float(op, 4, (int32_t[]){2, 3, 4, 2}, 1, (int32_t[]){2}, 4, (int32_t[]){2, 3, 4, 2},
                  RUNE_NNW_ACT_RELU);
        run_float(op, 4, (int32_t[]){2, 1, 4, 1}, 3, (int32_t[]){3, 1, 5}, 4,
                  (int32_t[]){2, 3, 4, 5}, RUNE_NNW_ACT_RELU6);
        run_float(op, 0, NULL, 3, (int32_t[]){2, 2, 3}, 3, (int32_t[]){2, 2, 3}, RUNE_NNW_ACT_NONE);
    }
}

static int max_diff_i8(int op, int na, const int32_t *ad, float sa, int za, int nb,
                       const int32_t *bd, float sb, int zb, int no, const int32_t *od, float so,
                       int zo, int act)
{
    size_t ca = count(na, ad), cb = count(nb, bd), co = count(no, od);
    int8_t a[256], b[256], out[256];
    uint32_t s = 99u + (uint32_t)op;
    for (size_t i = 0; i < ca; i++)
        a[i] = i8rand(&s);
    for (size_t i = 0; i < cb; i++)
        b[i] = i8rand(&s);
    op_model om;
    om_begin(&om);
    int ta = t_i8(om.w, na, ad, sa, za), tb = t_i8(om.w, nb, bd, sb, zb);
    om.out = t_i8(om.w, no, od, so, zo);
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    rune_nnw_options o = rune_nnw_opts_act(opt_types[op], act);
    const void *in[2] = {a, b};
    size_t il[2] = {ca, cb};
    rune_error err = {0};
    CHECK_OK(om_run(&om, codes[op], (int[]){ta, tb}, 2, &o, in, il, out, co, &err), &err);
    int worst = 0;
    for (size_t i = 0; i < co; i++) {
        double ra = dq8(a[bcast_index(i, no, od, na, ad)], sa, za);
        double rb = dq8(b[bcast_index(i, no, od, nb, bd)], sb, zb);
        double r = apply(op, ra, rb);
        if (act == RUNE_NNW_ACT_RELU && r < 0) r = 0;
        if (act == RUNE_NNW_ACT_RELU6) r = r < 0 ? 0 : r > 6 ? 6 : r;
        int want = q8(r, so, zo), d = abs(out[i] - want);
        if (d > worst) worst = d;
    }
    return worst;
}

TEST(int8_matches_real_arithmetic_within_1)
{
    for (int op = ADD; op <= MUL; op++) {
        float so = op == MUL ? 0.5f : 0.08f;
        CHECK(max_diff_i8(op, 2, (int32_t[]){4, 8}, 0.05f, 3, 2, (int32_t[]){4, 8}, 0.03f, -10, 2,
                          (int32_t[]){4, 8}, so, -2, RUNE_NNW_ACT_NONE) <= 1);
        CHECK(max_diff_i8(op, 4, (int32_t[]){1, 3, 4, 2}, 0.02f, -128, 2, (int32_t[]){4, 1}, 0.07f,
                          5, 4, (int32_t[]){1, 3, 4, 2}, so, 0, RUNE_NNW_ACT_RELU) <= 1);
        CHECK(max_diff_i8(op, 3, (int32_t[]){2, 1, 5}, 0.1f, 0, 3, (int32_t[]){1, 4, 1}, 0.1f, 0, 3,
                          (int32_t[]){2, 4, 5}, so, 10, RUNE_NNW_ACT_RELU6) <= 1);
    }
}

/* A hand-checked int8 ADD: scales 0.5 and 0.25 into 0.25; 10*0.5 + 8*0.25 = 7.0 -> 28. */
TEST(int8_add_known_values)
{
    int8_t a[2] = {10, -3}, b[2] = {8, 1}, out[2] = {0, 0};
    op_model om;
    om_begin(&om);
    int32_t d[1] = {2};
    int ta = t_i8(om.w, 1, d, 0.5f, 0), tb = t_i8(om.w, 1, d, 0.25f, 0);
    om.out = t_i8(om.w, 1, d, 0.25f, 0);
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    rune_nnw_options o = rune_nnw_opts_act(RUNE_NNW_OPT_ADD, 0);
    const void *in[2] = {a, b};
    size_t il[2] = {2, 2};
    rune_error err = {0};
    CHECK_OK(om_run(&om, RUNE_NNW_OP_ADD, (int[]){ta, tb}, 2, &o, in, il, out, 2, &err), &err);
    CHECK_EQ_INT(out[0], 28);
    CHECK_EQ_INT(out[1], -5); /* -1.5 + 0.25 = -1.25 -> -5 */
}

TEST(errors_at_load)
{
    rune_error err = {0};
    int8_t dummy[64] = {0};
    float fdummy[64] = {0};
    /* shapes that do not broadcast */
    op_model om;
    om_begin(&om);
    int ta = t_f32(om.w, 2, (int32_t[]){3, 4}), tb = t_f32(om.w, 2, (int32_t[]){2, 4});
    om.out = t_f32(om.w, 2, (int32_t[]){3, 4});
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    const void *in[2] = {fdummy, fdummy};
    size_t il[2] = {48, 32};
    rune_status st =
        om_run(&om, RUNE_NNW_OP_ADD, (int[]){ta, tb}, 2, NULL, in, il, fdummy, 48, &err);
    CHECK_LOAD_FAILS(st, err, RUNE_E_INVALID, "do not broadcast");
    CHECK_CONTAINS(err.msg, "ADD");

    /* mixed types */
    om_begin(&om);
    ta = t_f32(om.w, 1, (int32_t[]){4});
    tb = t_i8(om.w, 1, (int32_t[]){4}, 0.1f, 0);
    om.out = t_f32(om.w, 1, (int32_t[]){4});
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    il[0] = 16;
    il[1] = 4;
    in[1] = dummy;
    st = om_run(&om, RUNE_NNW_OP_MUL, (int[]){ta, tb}, 2, NULL, in, il, fdummy, 16, &err);
    CHECK_LOAD_FAILS(st, err, RUNE_E_UNSUPPORTED, "input 1 must be float32, got int8");

    /* wrong output shape */
    om_begin(&om);
    ta = t_f32(om.w, 1, (int32_t[]){4});
    tb = t_f32(om.w, 1, (int32_t[]){1});
    om.out = t_f32(om.w, 1, (int32_t[]){5});
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    il[0] = 16;
    il[1] = 4;
    in[1] = fdummy;
    st = om_run(&om, RUNE_NNW_OP_SUB, (int[]){ta, tb}, 2, NULL, in, il, fdummy, 20, &err);
    CHECK_LOAD_FAILS(st, err, RUNE_E_INVALID, "output 0 shape [5] must be [4]");

    /* int8 without quantization */
    om_begin(&om);
    ta = rune_nnw_add_tensor(
        om.w, &(rune_nnw_tensor){.type = RUNE_NNW_INT8, .rank = 1, .shape = (int32_t[]){4}});
    tb = t_i8(om.w, 1, (int32_t[]){4}, 0.1f, 0);
    om.out = t_i8(om.w, 1, (int32_t[]){4}, 0.1f, 0);
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    il[0] = il[1] = 4;
    in[0] = in[1] = dummy;
    st = om_run(&om, RUNE_NNW_OP_ADD, (int[]){ta, tb}, 2, NULL, in, il, dummy, 4, &err);
    CHECK_LOAD_FAILS(st, err, RUNE_E_INVALID, "quantization scale");

    /* one input only */
    om_begin(&om);
    ta = t_f32(om.w, 1, (int32_t[]){4});
    om.out = t_f32(om.w, 1, (int32_t[]){4});
    om.graph_in[0] = ta;
    om.n_graph_in = 1;
    il[0] = 16;
    in[0] = fdummy;
    st = om_run(&om, RUNE_NNW_OP_ADD, (int[]){ta}, 1, NULL, in, il, fdummy, 16, &err);
    CHECK_LOAD_FAILS(st, err, RUNE_E_INVALID, "inputs");
}

int main(void)
{
    RUN(float_same_shape_and_broadcast);
    RUN(int8_matches_real_arithmetic_within_1);
    RUN(int8_add_known_values);
    RUN(errors_at_load);
    return test_report();
}
