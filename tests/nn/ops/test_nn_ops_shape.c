/*
 * test_nn_ops_shape.c - data movement ops on writer-made models: CONCATENATION (any axis, int8
 * requantized when scales differ), PAD (zero point padding for int8), SQUEEZE, EXPAND_DIMS,
 * STRIDED_SLICE (masks, ellipsis, shrink, negative strides) and TRANSPOSE (up to 6-D), checked
 * against index arithmetic written here; errors refused at load.
 */
#include "ops_test.h"

static size_t count(int n, const int32_t *d)
{
    size_t c = 1;
    for (int i = 0; i < n; i++)
        c *= (size_t)d[i];
    return c;
}

/* Unravel a row-major index. */
static void unravel(size_t i, int n, const int32_t *d, int32_t *idx)
{
    for (int k = n; k-- > 0;) {
        idx[k] = (int32_t)(i % (size_t)d[k]);
        i /= (size_t)d[k];
    }
}

static size_t ravel(int n, const int32_t *d, const int32_t *idx)
{
    size_t o = 0;
    for (int k = 0; k < n; k++)
        o = o * (size_t)d[k] + (size_t)idx[k];
    return o;
}

TEST(concatenation_float)
{
    /* three inputs [2,a,3] along axis 1 and the same along axis -3 (= 0) */
    for (int neg = 0; neg <= 1; neg++) {
        int axis = neg ? -3 : 1;
        int32_t d[3][3] = {{2, 1, 3}, {2, 2, 3}, {2, 3, 3}};
        if (neg)
            for (int k = 0; k < 3; k++)
                d[k][0] = k + 1, d[k][1] = 2;
        float in[3][32];
        uint32_t s = 3;
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 32; i++)
                in[k][i] = frand(&s);
        int32_t od[3] = {d[0][0], d[0][1], 3};
        int ax = neg ? 0 : 1;
        od[ax] = d[0][ax] + d[1][ax] + d[2][ax];
        op_model om;
        om_begin(&om);
        int t[3];
        for (int k = 0; k < 3; k++)
            om.graph_in[k] = t[k] = t_f32(om.w, 3, d[k]);
        om.n_graph_in = 3;
        om.out = t_f32(om.w, 3, od);
        rune_nnw_options o = rune_nnw_opts_concat(axis, 0);
        const void *ip[3] = {in[0], in[1], in[2]};
        size_t il[3] = {count(3, d[0]) * 4, count(3, d[1]) * 4, count(3, d[2]) * 4};
        float out[128];
        rune_error err = {0};
        CHECK_OK(
            om_run(&om, RUNE_NNW_OP_CONCATENATION, t, 3, &o, ip, il, out, count(3, od) * 4, &err),
            &err);
        for (size_t i = 0; i < count(3, od); i++) {
            int32_t idx[3];
            unravel(i, 3, od, idx);
            int k = 0;
            while (idx[ax] >= d[k][ax])
                idx[ax] -= d[k++][ax];
            CHECK(out[i] == in[k][ravel(3, d[k], idx)]);
        }
    }
}

TEST(concatenation_int8_requantizes)
{
    int32_t da[2] = {2, 3}, db[2] = {2, 2}, od[2] = {2, 5};
    int8_t a[6], b[4], out[10];
    uint32_t s = 9;
    for (int i = 0; i < 6; i++)
        a[i] = i8rand(&s);
    for (int i = 0; i < 4; i++)
        b[i] = i8rand(&s);
    op_model om;
    om_begin(&om);
    int ta = t_i8(om.w, 2, da, 0.1f, 2);   /* same as the output: copied */
    int tb = t_i8(om.w, 2, db, 0.23f, -7); /* requantized */
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    om.out = t_i8(om.w, 2, od, 0.1f, 2);
    rune_nnw_options o = rune_nnw_opts_concat(-1, 0);
    const void *ip[2] = {a, b};
    size_t il[2] = {6, 4};
    rune_error err = {0};
    CHECK_OK(om_run(&om, RUNE_NNW_OP_CONCATENATION, (int[]){ta, tb}, 2, &o, ip, il, out, 10, &err),
             &err);
    for (int r = 0; r < 2; r++) {
        for (int c = 0; c < 3; c++)
            CHECK_EQ_INT(out[r * 5 + c], a[r * 3 + c]);
        for (int c = 0; c < 2; c++)
            CHECK_NEAR(out[r * 5 + 3 + c], q8(dq8(b[r * 2 + c], 0.23f, -7), 0.1f, 2), 1);
    }
}

/* fuzz_tflite found: an input scale of 3e38 against an output scale of 1e-38 made the requantize
 * factor inf and its bias NaN (0 * inf), and the float -> int conversion undefined. Defined now:
 * NaN maps to the zero point, infinities saturate. */
TEST(regression_concat_absurd_scales)
{
    int32_t da[2] = {1, 4}, od[2] = {1, 8};
    int8_t a[4] = {1, -1, 0, 100}, b[4] = {5, 6, 7, 8}, out[8];
    op_model om;
    om_begin(&om);
    int ta = t_i8(om.w, 2, da, 3e38f, 0), tb = t_i8(om.w, 2, da, 3e38f, -5);
    om.graph_in[0] = ta;
    om.graph_in[1] = tb;
    om.n_graph_in = 2;
    om.out = t_i8(om.w, 2, od, 1e-38f, -3);
    rune_nnw_options o = rune_nnw_opts_concat(1, 0);
    const void *ip[2] = {a, b};
    size_t il[2] = {4, 4};
    rune_error err = {0};
    CHECK_OK(om_run(&om, RUNE_NNW_OP_CONCATENATION, (int[]){ta, tb}, 2, &o, ip, il, out, 8, &err),
             &err);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(out[i], -3); /* NaN -> zero point */
    for (int i = 4; i < 8; i++)
        CHECK_EQ_INT(out[i], 127); /* +inf saturates */
}

TEST(pad)
{
    int32_t id[3] = {2, 3, 2}, pads[6] = {1, 0, 0, 2, 3, 1}, od[3] = {3, 5, 6};
    for (int int8 = 0; int8 <= 1; int8++) {
        float in[12], out[90];
        int8_t qin[12], qout[90];
        for (int i = 0; i < 12; i++) {
            in[i] = (float)i + 0.5f;
            qin[i] = (int8_t)(i * 10 - 60);
        }
        op_model om;
        om_begin(&om);
        int ti = int8 ? t_i8(om.w, 3, id, 0.5f, -17) : t_f32(om.w, 3, id);
        int tp = t_const_i32(om.w, 2, (int32_t[]){3, 2}, pads, 6);
        om.out = int8 ? t_i8(om.w, 3, od, 0.5f, -17) : t_f32(om.w, 3, od);
        om.graph_in[0] = ti;
        om.n_graph_in = 1;
        const void *ip = int8 ? (const void *)qin : (const void *)in;
        size_t il = int8 ? 12 : 48;
        rune_error err = {0};
        CHECK_OK(om_run(&om, RUNE_NNW_OP_PAD, (int[]){ti, tp}, 2, NULL, &ip, &il,
                        int8 ? (void *)qout : out, int8 ? 90 : 360, &err),
                 &err);
        for (size_t i = 0; i < 90; i++) {
            int32_t idx[3];
            unravel(i, 3, od, idx);
            int inside = 1;
            for (int k = 0; k < 3; k++) {
                idx[k] -= pads[2 * k];
                if (idx[k] < 0 || idx[k] >= id[k]) inside = 0;
            }
            size_t src = inside ? ravel(3, id, idx) : 0;
            if (int8)
                CHECK_EQ_INT(qout[i], inside ? qin[src] : -17);
            else
                CHECK(out[i] == (inside ? in[src] : 0.0f));
        }
    }
}

/* SQUEEZE and EXPAND_DIMS keep the data and change only the shape. */
static void reshape_case(int code, const rune_nnw_options *o, int n_in, const int32_t *id,
                         int n_out, const int32_t *od, int axis)
{
    float in[64], out[64];
    for (int i = 0; i < 64; i++)
        in[i] = (float)i * 1.25f;
    op_model om;
    om_begin(&om);
    int ti = t_f32(om.w, n_in, id);
    int inputs[2] = {ti, 0};
    int n = 1;
    if (code == RUNE_NNW_OP_EXPAND_DIMS) {
        inputs[1] = t_vec_i32(om.w, (int32_t[]){axis}, 1);
        n = 2;
    }
    om.out = t_f32(om.w, n_out, od);
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    const void *ip = in;
    size_t il = count(n_in, id) * 4;
    rune_error err = {0};
    CHECK_OK(om_run(&om, code, inputs, n, o, &ip, &il, out, il, &err), &err);
    CHECK(memcmp(in, out, il) == 0);
}

TEST(squeeze_expand_dims)
{
    rune_nnw_options all = rune_nnw_opts_squeeze(NULL, 0);
    reshape_case(RUNE_NNW_OP_SQUEEZE, &all, 4, (int32_t[]){1, 4, 1, 3}, 2, (int32_t[]){4, 3}, 0);
    rune_nnw_options some = rune_nnw_opts_squeeze((int32_t[]){-2}, 1);
    reshape_case(RUNE_NNW_OP_SQUEEZE, &some, 4, (int32_t[]){1, 4, 1, 3}, 3, (int32_t[]){1, 4, 3},
                 0);
    reshape_case(RUNE_NNW_OP_EXPAND_DIMS, NULL, 2, (int32_t[]){4, 3}, 3, (int32_t[]){1, 4, 3}, 0);
    reshape_case(RUNE_NNW_OP_EXPAND_DIMS, NULL, 2, (int32_t[]){4, 3}, 3, (int32_t[]){4, 3, 1}, -1);
    reshape_case(RUNE_NNW_OP_EXPAND_DIMS, NULL, 2, (int32_t[]){4, 3}, 3, (int32_t[]){4, 1, 3}, 1);
}

/* Python slice semantics for one dim: the list of indices taken. */
static int py_slice(int dim, int begin, int end, int stride, int bmask, int emask, int32_t *out)
{
    int start, stop;
    if (stride > 0) {
        start = bmask ? 0 : begin < 0 ? begin + dim : begin;
        stop = emask ? dim : end < 0 ? end + dim : end;
        start = start < 0 ? 0 : start > dim ? dim : start;
        stop = stop < 0 ? 0 : stop > dim ? dim : stop;
    } else {
        start = bmask ? dim - 1 : begin < 0 ? begin + dim : begin;
        stop = emask ? -1 : end < 0 ? end + dim : end;
        start = start < -1 ? -1 : start > dim - 1 ? dim - 1 : start;
        stop = stop < -1 ? -1 : stop > dim - 1 ? dim - 1 : stop;
    }
    int n = 0;
    for (int i = start; stride > 0 ? i < stop : i > stop; i += stride)
        out[n++] = i;
    return n;
}

typedef struct slice_case {
    int32_t begin[4], end[4], strides[4];
    int n_spec, bmask, emask, ellipsis, shrink;
} slice_case;

static void slice_run(const slice_case *c, int int8)
{
    const int32_t id[3] = {4, 5, 6};
    /* expand the spec to one entry per dim, as the op's documentation says */
    int32_t b[3], e[3], st[3];
    int bm[3], em[3], sh[3], j = 0;
    for (int k = 0; k < c->n_spec; k++) {
        if (c->ellipsis & (1 << k)) {
            for (int f = 0; f < 3 - (c->n_spec - 1); f++, j++)
                b[j] = 0, e[j] = 0, st[j] = 1, bm[j] = em[j] = 1, sh[j] = 0;
            continue;
        }
        b[j] = c->begin[k], e[j] = c->end[k], st[j] = c->strides[k];
        bm[j] = (c->bmask >> k) & 1, em[j] = (c->emask >> k) & 1, sh[j] = (c->shrink >> k) & 1;
        j++;
    }
    for (; j < 3; j++)
        b[j] = 0, e[j] = 0, st[j] = 1, bm[j] = em[j] = 1, sh[j] = 0;
    int32_t take[3][8], nt[3], od[3];
    int nd = 0;
    for (int k = 0; k < 3; k++) {
        if (sh[k]) {
            take[k][0] = b[k] < 0 ? b[k] + id[k] : b[k];
            nt[k] = 1;
        } else {
            nt[k] = py_slice(id[k], b[k], e[k], st[k], bm[k], em[k], take[k]);
            od[nd++] = nt[k];
        }
    }
    float in[120], out[120];
    int8_t qin[120], qout[120];
    for (int i = 0; i < 120; i++)
        in[i] = (float)i, qin[i] = (int8_t)(i - 60);
    op_model om;
    om_begin(&om);
    int ti = int8 ? t_i8(om.w, 3, id, 0.1f, 1) : t_f32(om.w, 3, id);
    int tb = t_vec_i32(om.w, c->begin, c->n_spec), te = t_vec_i32(om.w, c->end, c->n_spec);
    int ts = t_vec_i32(om.w, c->strides, c->n_spec);
    om.out = int8 ? t_i8(om.w, nd, od, 0.1f, 1) : t_f32(om.w, nd, od);
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    rune_nnw_options o = rune_nnw_opts_strided_slice(c->bmask, c->emask, c->ellipsis, 0, c->shrink);
    const void *ip = int8 ? (const void *)qin : (const void *)in;
    size_t il = int8 ? 120 : 480, n = (size_t)nt[0] * nt[1] * nt[2];
    rune_error err = {0};
    CHECK_OK(om_run(&om, RUNE_NNW_OP_STRIDED_SLICE, (int[]){ti, tb, te, ts}, 4, &o, &ip, &il,
                    int8 ? (void *)qout : out, n * (int8 ? 1 : 4), &err),
             &err);
    size_t o_i = 0;
    for (int x = 0; x < nt[0]; x++)
        for (int y = 0; y < nt[1]; y++)
            for (int z = 0; z < nt[2]; z++, o_i++) {
                int src = (take[0][x] * 5 + take[1][y]) * 6 + take[2][z];
                if (int8)
                    CHECK_EQ_INT(qout[o_i], qin[src]);
                else
                    CHECK(out[o_i] == in[src]);
            }
}

TEST(strided_slice)
{
    const slice_case cases[] = {
        {{1, 0, 2}, {3, 5, 6}, {1, 2, 1}, 3, 0, 0, 0, 0},            /* plain */
        {{0, -1, 0}, {0, -6, 0}, {1, -1, 2}, 3, 1, 5, 0, 0},         /* negative stride, masks */
        {{-1, 0, 5}, {0, 0, -7}, {-2, 1, -3}, 3, 2, 2, 0, 0},        /* negative everything */
        {{2, 1, 0}, {3, 4, 6}, {1, 1, 1}, 3, 0, 0, 0, 1},            /* shrink dim 0 */
        {{0, 3, 0}, {4, 4, 6}, {1, 1, 1}, 3, 0, 0, 0, 2},            /* shrink dim 1 */
        {{0, 1}, {0, 5}, {1, 2}, 2, 0, 0, 1, 0},                     /* ellipsis then last dim */
        {{1, 0}, {3, 0}, {1, 1}, 2, 0, 0, 2, 0},                     /* first dim then ellipsis */
        {{1}, {-1}, {1}, 1, 0, 0, 0, 0},                             /* short spec */
        {{3, 0, 0}, {1, 5, 6}, {1, 1, 1}, 3, 0, 0, 0, 0},            /* empty */
        {{-100, 100, 0}, {100, -100, 6}, {1, -1, 5}, 3, 0, 0, 0, 0}, /* clamping */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        slice_run(&cases[i], 0);
        slice_run(&cases[i], 1);
    }
}

static void transpose_case(int n, const int32_t *id, const int32_t *perm, int int8)
{
    int32_t od[6];
    for (int i = 0; i < n; i++)
        od[i] = id[perm[i]];
    size_t cnt = count(n, id);
    float in[720], out[720];
    int8_t qin[720], qout[720];
    for (size_t i = 0; i < cnt; i++)
        in[i] = (float)i, qin[i] = (int8_t)(i * 7);
    op_model om;
    om_begin(&om);
    int ti = int8 ? t_i8(om.w, n, id, 0.3f, 0) : t_f32(om.w, n, id);
    int tp = t_vec_i32(om.w, perm, n);
    om.out = int8 ? t_i8(om.w, n, od, 0.3f, 0) : t_f32(om.w, n, od);
    om.graph_in[0] = ti;
    om.n_graph_in = 1;
    const void *ip = int8 ? (const void *)qin : (const void *)in;
    size_t il = cnt * (int8 ? 1 : 4);
    rune_error err = {0};
    CHECK_OK(om_run(&om, RUNE_NNW_OP_TRANSPOSE, (int[]){ti, tp}, 2, NULL, &ip, &il,
                    int8 ? (void *)qout : out, il, &err),
             &err);
    for (size_t i = 0; i < cnt; i++) {
        int32_t oidx[6], iidx[6];
        unravel(i, n, od, oidx);
        for (int k = 0; k < n; k++)
            iidx[perm[k]] = oidx[k];
        size_t src = ravel(n, id, iidx);
        if (int8)
            CHECK_EQ_INT(qout[i], qin[src]);
        else
            CHECK(out[i] == in[src]);
    }
}

TEST(transpose)
{
    for (int int8 = 0; int8 <= 1; int8++) {
        transpose_case(2, (int32_t[]){3, 7}, (int32_t[]){1, 0}, int8);
        transpose_case(4, (int32_t[]){2, 3, 4, 5}, (int32_t[]){0, 3, 1, 2}, int8);
        transpose_case(5, (int32_t[]){2, 3, 2, 5, 2}, (int32_t[]){4, 2, 0, 3, 1}, int8);
        transpose_case(6, (int32_t[]){2, 3, 2, 5, 2, 3}, (int32_t[]){5, 4, 3, 2, 1, 0}, int8);
    }
}

TEST(errors_at_load)
{
    rune_error err = {0};
    float buf[256] = {0};
    const void *ip[3] = {buf, buf, buf};
    size_t il[3] = {48, 48, 48};
    op_model om;
    /* CONCATENATION: dims differ off the axis; axis out of range */
    om_begin(&om);
    int a = t_f32(om.w, 2, (int32_t[]){4, 3}), b = t_f32(om.w, 2, (int32_t[]){3, 3});
    om.out = t_f32(om.w, 2, (int32_t[]){4, 6});
    om.graph_in[0] = a, om.graph_in[1] = b, om.n_graph_in = 2;
    il[1] = 36;
    rune_nnw_options o = rune_nnw_opts_concat(1, 0);
    CHECK_LOAD_FAILS(
        om_run(&om, RUNE_NNW_OP_CONCATENATION, (int[]){a, b}, 2, &o, ip, il, buf, 96, &err), err,
        RUNE_E_INVALID, "input 1 shape [3,3] does not match");
    om_begin(&om);
    a = t_f32(om.w, 2, (int32_t[]){4, 3});
    om.out = t_f32(om.w, 2, (int32_t[]){4, 3});
    om.graph_in[0] = a, om.n_graph_in = 1;
    o = rune_nnw_opts_concat(2, 0);
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_CONCATENATION, &a, 1, &o, ip, il, buf, 48, &err), err,
                     RUNE_E_INVALID, "axis 2 is out of range");
    /* PAD: negative padding; paddings of the wrong shape */
    om_begin(&om);
    a = t_f32(om.w, 2, (int32_t[]){4, 3});
    b = t_const_i32(om.w, 2, (int32_t[]){2, 2}, (int32_t[]){0, -1, 0, 0}, 4);
    om.out = t_f32(om.w, 2, (int32_t[]){3, 3});
    om.graph_in[0] = a, om.n_graph_in = 1;
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_PAD, (int[]){a, b}, 2, NULL, ip, il, buf, 36, &err),
                     err, RUNE_E_INVALID, "negative padding");
    om_begin(&om);
    a = t_f32(om.w, 2, (int32_t[]){4, 3});
    b = t_vec_i32(om.w, (int32_t[]){1, 1}, 2);
    om.out = t_f32(om.w, 2, (int32_t[]){6, 3});
    om.graph_in[0] = a, om.n_graph_in = 1;
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_PAD, (int[]){a, b}, 2, NULL, ip, il, buf, 72, &err),
                     err, RUNE_E_INVALID, "paddings must have shape [2,2]");
    /* SQUEEZE of a dim that is not 1 */
    om_begin(&om);
    a = t_f32(om.w, 2, (int32_t[]){4, 3});
    om.out = t_f32(om.w, 1, (int32_t[]){3});
    om.graph_in[0] = a, om.n_graph_in = 1;
    o = rune_nnw_opts_squeeze((int32_t[]){0}, 1);
    CHECK_LOAD_FAILS(om_run(&om, RUNE_NNW_OP_SQUEEZE, &a, 1, &o, ip, il, buf, 12, &err), err,
                     RUNE_E_INVALID, "squeeze dim 0 has size 4");
    /* EXPAND_DIMS axis out of range */
    om_begin(&om);
    a = t_f32(om.w, 2, (int32_t[]){4, 3});
    b = t_vec_i32(om.w, (int32_t[]){3}, 1);
    om.out = t_f32(om.w, 3, (int32_t[]){4, 3, 1});
    om.graph_in[0] = a, om.n_graph_in = 1;
    CHECK_LOAD_FAILS(
        om_run(&om, RUNE_NNW_OP_EXPAND_DIMS, (int[]){a, b}, 2, NULL, ip, il, buf, 48, &err), err,
        RUNE_E_INVALID, "axis 3 is out of range");
    /* STRIDED_SLICE: zero stride, new_axis_mask */
    for (int k = 0; k < 2; k++) {
        om_begin(&om);
        a = t_f32(om.w, 2, (int32_t[]){4, 3});
        int tb = t_vec_i32(om.w, (int32_t[]){0, 0}, 2), te = t_vec_i32(om.w, (int32_t[]){4, 3}, 2);
        int ts = t_vec_i32(om.w, (int32_t[]){1, k ? 1 : 0}, 2);
        om.out = t_f32(om.w, 2, (int32_t[]){4, 3});
        om.graph_in[0] = a, om.n_graph_in = 1;
        o = rune_nnw_opts_strided_slice(0, 0, 0, k ? 1 : 0, 0);
        rune_status st = om_run(&om, RUNE_NNW_OP_STRIDED_SLICE, (int[]){a, tb, te, ts}, 4, &o, ip,
                                il, buf, 48, &err);
        if (k)
            CHECK_LOAD_FAILS(st, err, RUNE_E_UNSUPPORTED, "new_axis_mask");
        else
            CHECK_LOAD_FAILS(st, err, RUNE_E_INVALID, "stride of dim 1 is 0");
    }
    /* TRANSPOSE: not a permutation */
    om_begin(&om);
    a = t_f32(om.w, 2, (int32_t[]){4, 3});
    b = t_vec_i32(om.w, (int32_t[]){1, 1}, 2);
    om.out = t_f32(om.w, 2, (int32_t[]){3, 4});
    om.graph_in[0] = a, om.n_graph_in = 1;
    CHECK_LOAD_FAILS(
        om_run(&om, RUNE_NNW_OP_TRANSPOSE, (int[]){a, b}, 2, NULL, ip, il, buf, 48, &err), err,
        RUNE_E_INVALID, "not a permutation");
    /* TRANSPOSE int8 that changes quantization */
    om_begin(&om);
    a = t_i8(om.w, 2, (int32_t[]){4, 3}, 0.5f, 0);
    b = t_vec_i32(om.w, (int32_t[]){1, 0}, 2);
    om.out = t_i8(om.w, 2, (int32_t[]){3, 4}, 0.25f, 0);
    om.graph_in[0] = a, om.n_graph_in = 1;
    il[0] = 12;
    CHECK_LOAD_FAILS(
        om_run(&om, RUNE_NNW_OP_TRANSPOSE, (int[]){a, b}, 2, NULL, ip, il, buf, 12, &err), err,
        RUNE_E_INVALID, "must equal the input's");
}

int main(void)
{
    RUN(concatenation_float);
    RUN(concatenation_int8_requantizes);
    RUN(regression_concat_absurd_scales);
    RUN(pad);
    RUN(squeeze_expand_dims);
    RUN(strided_slice);
    RUN(transpose);
    RUN(errors_at_load);
    return test_report();
}
