/*
 * resolve.c - the standard resolver of `rune build`: model types from the .tflite files themselves,
 * proc-block types from the catalog (rune_catalog.h), custom proc blocks from their declarations.
 *
 * One rule beyond the catalog's: a declared proc-block output may reshape what the block gives to
 * any shape with the same element type and count (the data is the same row-major bytes), so
 * `PROC_BLOCK<I16[16000],I8[1960]> fft` declares the front end's 49x40 features flat, as the
 * micro_speech model's [1,1960] input takes them.
 */
#include "compiler_int.h"

#include "rune/alloc.h"
#include "rune/nn.h"
#include "rune/source.h"

#include <string.h>

void rc_path_join(const char *dir, const char *rel, char *out, size_t cap)
{
    if (rel[0] == '/' || !dir[0])
        snprintf(out, cap, "%s", rel);
    else
        snprintf(out, cap, "%s/%s", dir, rel);
}

int32_t rc_rf_to_abi(rune_rf_elem e)
{
    switch (e) {
    case RUNE_RF_U8: return RUNE_ELEM_U8;
    case RUNE_RF_I8: return RUNE_ELEM_I8;
    case RUNE_RF_U16: return RUNE_ELEM_U16;
    case RUNE_RF_I16: return RUNE_ELEM_I16;
    case RUNE_RF_U32: return RUNE_ELEM_U32;
    case RUNE_RF_I32: return RUNE_ELEM_I32;
    case RUNE_RF_F32: return RUNE_ELEM_F32;
    case RUNE_RF_F64: return RUNE_ELEM_F64;
    case RUNE_RF_UTF8: return RUNE_ELEM_U8;
    default: return -1;
    }
}

rune_rf_elem rc_abi_to_rf(int32_t abi)
{
    switch (abi) {
    case RUNE_ELEM_U8: return RUNE_RF_U8;
    case RUNE_ELEM_I8: return RUNE_RF_I8;
    case RUNE_ELEM_U16: return RUNE_RF_U16;
    case RUNE_ELEM_I16: return RUNE_RF_I16;
    case RUNE_ELEM_U32: return RUNE_RF_U32;
    case RUNE_ELEM_I32: return RUNE_RF_I32;
    case RUNE_ELEM_F32: return RUNE_RF_F32;
    case RUNE_ELEM_F64: return RUNE_RF_F64;
    default: return RUNE_RF_ANY;
    }
}

int rc_rf_to_dtype(rune_rf_elem e)
{
    switch (e) {
    case RUNE_RF_U8: return RUNE_DTYPE_U8;
    case RUNE_RF_I8: return RUNE_DTYPE_I8;
    case RUNE_RF_U16: return RUNE_DTYPE_U16;
    case RUNE_RF_I16: return RUNE_DTYPE_I16;
    case RUNE_RF_U32: return RUNE_DTYPE_U32;
    case RUNE_RF_I32: return RUNE_DTYPE_I32;
    case RUNE_RF_F32: return RUNE_DTYPE_F32;
    case RUNE_RF_F64: return RUNE_DTYPE_F64;
    case RUNE_RF_UTF8: return RUNE_DTYPE_UTF8;
    default: return -1;
    }
}

static rune_rf_elem nn_to_rf(rune_nn_type t)
{
    switch (t) {
    case RUNE_NN_FLOAT32: return RUNE_RF_F32;
    case RUNE_NN_INT8: return RUNE_RF_I8;
    case RUNE_NN_UINT8: return RUNE_RF_U8;
    case RUNE_NN_INT16: return RUNE_RF_I16;
    case RUNE_NN_INT32: return RUNE_RF_I32;
    case RUNE_NN_FLOAT64: return RUNE_RF_F64;
    default: return RUNE_RF_ANY;
    }
}

int rc_is_custom_block(const rune_rf_stage *s)
{
    size_t n = strlen(s->source);
    return n > 2 && strcmp(s->source + n - 2, ".c") == 0;
}

size_t rc_block_args(const rune_rf_stage *s, rune_pb_arg *args, char (*storage)[2][256], size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_args && n < cap; i++) {
        const rune_rf_arg *a = &s->args[i];
        char *k = storage[n][0], *v = storage[n][1];
        snprintf(k, 256, "%s", a->key);
        for (char *c = k; *c; c++)
            if (*c == '-') *c = '_';
        v[0] = '\0';
        size_t used = 0;
        for (size_t j = 0; j < a->n; j++) {
            int w = snprintf(v + used, 256 - used, "%s%s", j ? "," : "", a->values[j]);
            if (w < 0 || (size_t)w >= 256 - used) break;
            used += (size_t)w;
        }
        args[n].name = k;
        args[n].value = v;
        n++;
    }
    return n;
}

static void rf_to_catalog(const rune_rf_type *t, rune_catalog_type *c)
{
    memset(c, 0, sizeof *c);
    c->elem = rc_rf_to_abi(t->elem);
    c->text = t->elem == RUNE_RF_UTF8;
    c->rank = t->rank < 0 ? 0 : (uint32_t)t->rank;
    for (uint32_t i = 0; i < c->rank && i < RUNE_ABI_MAX_RANK; i++)
        c->dims[i] = t->dims[i];
}

static void catalog_to_rf(const rune_catalog_type *c, rune_rf_type *t)
{
    memset(t, 0, sizeof *t);
    if (c->text) {
        t->elem = RUNE_RF_UTF8;
        t->rank = -1; /* a number of labels the block decides at run time */
        return;
    }
    t->elem = rc_abi_to_rf(c->elem);
    t->rank = (int)c->rank;
    for (uint32_t i = 0; i < c->rank; i++)
        t->dims[i] = c->dynamic ? 0 : c->dims[i];
}

rune_status rc_block_out(const rune_rf_stage *s, const rune_rf_type *in, rune_catalog_type *out,
                         rune_error *err)
{
    rune_pb_arg args[64];
    static char storage[64][2][256];
    size_t n = rc_block_args(s, args, storage, 64);
    rune_catalog_type cin;
    rf_to_catalog(in, &cin);
    return rune_catalog_infer(s->source, &cin, args, n, out, err);
}

static rune_status resolve_model(void *ud, const rune_rf_stage *st, rune_rf_sig *sig,
                                 rune_error *err)
{
    rc_resolver_ctx *ctx = ud;
    char path[2048];
    rc_path_join(ctx->dir, st->source, path, sizeof path);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_status s = rune_file_read_max(path, 512u << 20, &bytes, &len, err);
    if (s != RUNE_OK) return s;
    rune_nn_model *m = NULL;
    s = rune_nn_model_load(bytes, len, &m, err);
    if (s != RUNE_OK) {
        rune_free(bytes);
        return rune_error_prefix(err, "model %s", path);
    }
    memset(sig, 0, sizeof *sig);
    int nin = rune_nn_model_input_count(m), nout = rune_nn_model_output_count(m);
    if (nin > RUNE_RF_MAX_PORTS || nout > RUNE_RF_MAX_PORTS) {
        s = RUNE_ERR(err, RUNE_E_UNSUPPORTED, "model %s has more than %d inputs or outputs", path,
                     RUNE_RF_MAX_PORTS);
        goto done;
    }
    for (int io = 0; io < 2; io++) {
        int n = io ? nout : nin;
        for (int i = 0; i < n; i++) {
            rune_nn_tensor_info info;
            s = io ? rune_nn_model_output(m, i, &info, err) : rune_nn_model_input(m, i, &info, err);
            if (s != RUNE_OK) goto done;
            rune_rf_type *t = io ? &sig->out[i] : &sig->in[i];
            t->elem = nn_to_rf(info.type);
            if (t->elem == RUNE_RF_ANY) {
                s = RUNE_ERR(err, RUNE_E_UNSUPPORTED, "model %s: %s tensor '%s' has type %s", path,
                             io ? "output" : "input", info.name ? info.name : "?",
                             rune_nn_type_name(info.type));
                goto done;
            }
            t->rank = info.ndims;
            for (int d = 0; d < info.ndims; d++)
                t->dims[d] = (uint32_t)(info.dims[d] < 1 ? 1 : info.dims[d]);
        }
    }
    sig->n_in = (size_t)nin;
    sig->n_out = (size_t)nout;
done:
    rune_nn_model_free(m);
    rune_free(bytes);
    return s;
}

static rune_status resolve_block(void *ud, const rune_rf_stage *st, const rune_rf_type *in,
                                 size_t n_in, rune_rf_sig *sig, rune_error *err)
{
    (void)ud;
    memset(sig, 0, sizeof *sig);
    if (rc_is_custom_block(st)) {
        if (!st->n_decl_in || !st->n_decl_out)
            return RUNE_ERR(err, RUNE_E_INVALID,
                            "custom proc block %s needs declared types: PROC_BLOCK<IN,OUT> %s %s",
                            st->source, st->name, st->source);
        sig->n_in = st->n_decl_in;
        sig->n_out = st->n_decl_out;
        memcpy(sig->in, st->decl_in, sizeof sig->in);
        memcpy(sig->out, st->decl_out, sizeof sig->out);
        return RUNE_OK;
    }
    if (!rune_catalog_find(st->source))
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "unknown proc block '%s'", st->source);
    if (n_in != 1)
        return RUNE_ERR(err, RUNE_E_INVALID, "proc block %s takes one input, %zu given", st->source,
                        n_in);
    rune_catalog_type out;
    rune_status s = rc_block_out(st, &in[0], &out, err);
    if (s != RUNE_OK) return s;
    sig->n_in = 1;
    sig->in[0] = in[0];
    sig->n_out = 1;
    catalog_to_rf(&out, &sig->out[0]);
    /* A declaration may view the output in another shape of the same element count. */
    if (st->n_decl_out == 1 && !out.text && !out.dynamic) {
        const rune_rf_type *d = &st->decl_out[0];
        uint64_t want = rune_rf_type_count(d), have = rune_rf_type_count(&sig->out[0]);
        if (want && want == have && (d->elem == sig->out[0].elem || d->elem == RUNE_RF_ANY)) {
            sig->out[0].rank = d->rank;
            memcpy(sig->out[0].dims, d->dims, sizeof d->dims);
        }
    }
    return RUNE_OK;
}

void rc_resolver_init(rc_resolver_ctx *ctx, const char *runefile_path, rune_rf_resolver *out)
{
    const char *slash = strrchr(runefile_path, '/');
    if (slash)
        snprintf(ctx->dir, sizeof ctx->dir, "%.*s", (int)(slash - runefile_path), runefile_path);
    else
        snprintf(ctx->dir, sizeof ctx->dir, ".");
    if (!ctx->dir[0]) snprintf(ctx->dir, sizeof ctx->dir, "/");
    memset(out, 0, sizeof *out);
    out->ud = ctx;
    out->model = resolve_model;
    out->proc_block = resolve_block;
}
