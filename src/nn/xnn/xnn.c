/*
 * xnn.c - the XNNPACK fast path: per-operator selection at load (nn_xnn_prepare), eval through
 * xnn_setup_* + xnn_run_operator with the interpreter's tensor addresses, and cleanup.
 *
 * Workload: the conv/FC-heavy float32 models XNNPACK is built for; single-threaded (no
 * pthreadpool), XNNPACK initialised once on first use.
 */
#include "xnn_int.h"

#include <string.h>

#include "rune/alloc.h"

int nn_xnn_int8 = 0;
uint64_t nn_xnn_min_macs = NN_XNN_MIN_MACS;

static int xnn_ready = 0; /* 1 ok, -1 unsupported hardware */
static pthread_once_t xnn_once = PTHREAD_ONCE_INIT;

static void xnn_init_once(void)
{
    xnn_ready = xnn_initialize(NULL) == xnn_status_success ? 1 : -1;
}

static void state_free(void *p)
{
    nn_xnn_state *st = p;
    if (!st) return;
    if (st->op) xnn_delete_operator(st->op);
    pthread_mutex_destroy(&st->lock);
    rune_free(st);
}

int nn_xnn_window_of(const nn_tensor *in, const nn_tensor *out, int kh, int kw, int padding, int sh,
                     int sw, int dh, int dw, nn_xnn_window *w)
{
    if (sh < 1 || sw < 1 || dh < 1 || dw < 1 || kh < 1 || kw < 1) return 0;
    memset(w, 0, sizeof *w);
    w->stride_h = (uint32_t)sh;
    w->stride_w = (uint32_t)sw;
    w->dil_h = (uint32_t)dh;
    w->dil_w = (uint32_t)dw;
    if (padding == NN_PAD_SAME) {
        int64_t th = ((int64_t)out->dims[1] - 1) * sh + ((int64_t)kh - 1) * dh + 1 - in->dims[1];
        int64_t tw = ((int64_t)out->dims[2] - 1) * sw + ((int64_t)kw - 1) * dw + 1 - in->dims[2];
        if (th < 0) th = 0;
        if (tw < 0) tw = 0;
        w->pad_top = (uint32_t)(th / 2);
        w->pad_bottom = (uint32_t)(th - th / 2);
        w->pad_left = (uint32_t)(tw / 2);
        w->pad_right = (uint32_t)(tw - tw / 2);
    }
    return 1;
}

static rune_status fast_eval(const nn_exec *x, const nn_op *op)
{
    nn_xnn_state *st = op->fast_state;
    const nn_graph *g = x->g;
    const void *a = nn_data(x, nn_in(g, op, 0));
    void *o = nn_data(x, nn_out(g, op, 0));
    const void *b = op->n_inputs > 1 && nn_in(g, op, 1) ? nn_data(x, nn_in(g, op, 1)) : NULL;
    enum xnn_status s = xnn_status_invalid_parameter;
    pthread_mutex_lock(&st->lock);
    switch (st->kind) {
    case NN_XNN_CONV_F32:
        s = xnn_setup_convolution2d_nhwc_f32(st->op, st->batch, st->in_h, st->in_w, a, o, NULL);
        break;
    case NN_XNN_FC_F32: s = xnn_setup_fully_connected_nc_f32(st->op, st->batch, a, o, NULL); break;
    case NN_XNN_AVGPOOL_F32:
        s = xnn_setup_average_pooling2d_nhwc_f32(st->op, st->batch, st->in_h, st->in_w, a, o, NULL);
        break;
    case NN_XNN_MAXPOOL_F32:
        s = xnn_setup_max_pooling2d_nhwc_f32(st->op, st->batch, st->in_h, st->in_w, a, o, NULL);
        break;
    case NN_XNN_ADD_F32:
        s = xnn_setup_add_nd_f32(st->op, st->n_a, st->shape_a, st->n_b, st->shape_b, a, b, o, NULL);
        break;
    case NN_XNN_SUB_F32:
        s = xnn_setup_subtract_nd_f32(st->op, st->n_a, st->shape_a, st->n_b, st->shape_b, a, b, o,
                                      NULL);
        break;
    case NN_XNN_MUL_F32:
        s = xnn_setup_multiply_nd_f32(st->op, st->n_a, st->shape_a, st->n_b, st->shape_b, a, b, o,
                                      NULL);
        break;
    case NN_XNN_SOFTMAX_F32: s = xnn_setup_softmax_nc_f32(st->op, st->batch, a, o, NULL); break;
    case NN_XNN_SIGMOID_F32: s = xnn_setup_sigmoid_nc_f32(st->op, st->batch, a, o, NULL); break;
    case NN_XNN_CONV_QC8:
        s = xnn_setup_convolution2d_nhwc_qc8(st->op, st->batch, st->in_h, st->in_w, a, o, NULL);
        break;
    case NN_XNN_FC_QS8: s = xnn_setup_fully_connected_nc_qs8(st->op, st->batch, a, o, NULL); break;
    case NN_XNN_ADD_QS8:
        s = xnn_setup_add_nd_qs8(st->op, st->n_a, st->shape_a, st->n_b, st->shape_b, a, b, o, NULL);
        break;
    case NN_XNN_MAXPOOL_S8:
        s = xnn_setup_max_pooling2d_nhwc_s8(st->op, st->batch, st->in_h, st->in_w, a, o, NULL);
        break;
    case NN_XNN_PAD_X8:
        s = xnn_setup_constant_pad_nd_x8(st->op, st->n_a, st->shape_a, st->pre, st->post, a, o,
                                         NULL);
        break;
    case NN_XNN_PAD_X32:
        s = xnn_setup_constant_pad_nd_x32(st->op, st->n_a, st->shape_a, st->pre, st->post, a, o,
                                          NULL);
        break;
    case NN_XNN_DEQUANT_QS8: s = xnn_setup_convert_nc_qs8_f32(st->op, st->batch, a, o, NULL); break;
    case NN_XNN_MUL_QS8:
        s = xnn_setup_multiply_nd_qs8(st->op, st->n_a, st->shape_a, st->n_b, st->shape_b, a, b, o,
                                      NULL);
        break;
    default: break;
    }
    if (s == xnn_status_success) s = xnn_run_operator(st->op, NULL);
    pthread_mutex_unlock(&st->lock);
    if (s != xnn_status_success) return RUNE_E_INTERNAL;
    return RUNE_OK;
}

rune_status nn_xnn_prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    (void)m;
    pthread_once(&xnn_once, xnn_init_once);
    if (xnn_ready < 0) return RUNE_OK;
    const nn_tensor *in = nn_in(g, op, 0);
    if (!in || in->data) return RUNE_OK; /* constant-folded inputs: leave to the portable kernel */
    const nn_tensor *out = nn_out(g, op, 0);
    uint64_t work = out && out->n_elems > op->macs ? out->n_elems : op->macs;
    if (work < nn_xnn_min_macs) return RUNE_OK;
    nn_xnn_state *st = rune_calloc(1, sizeof *st);
    if (!st) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        rune_free(st);
        return RUNE_OK; /* no lock, no fast path */
    }
    int built = nn_xnn_build_exact(g, op, st);
    if (!built && in->type == RUNE_NN_FLOAT32)
        built = nn_xnn_build_f32(g, op, st);
    else if (!built && in->type == RUNE_NN_INT8 && nn_xnn_int8)
        built = nn_xnn_build_qs8(g, op, st);
    if (!built) {
        state_free(st);
        return RUNE_OK;
    }
    op->fast_state = st;
    op->fast_free = state_free;
    op->fast_eval = fast_eval;
    return RUNE_OK;
}
