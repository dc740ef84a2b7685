/*
 * codegen.c - the pipeline of a checked Runefile graph as C for the wasm32 guest.
 *
 * The generated file has no dynamic allocation: every stage's state and every tensor buffer is a
 * static sized from the checked types, so the rune's memory is known at build time.
 *   _manifest(): open capabilities (with their declared parameters, which the host compares against
 *                the manifest), init proc blocks with their arguments, load models by name and make
 *                their execution contexts, open outputs.
 *   _call():     in topological order: read capabilities, transform, set_input/compute/get_output,
 *                write outputs. Any failure logs the error and returns its negative ABI code.
 * _call is the per-inference path, so it does only what must be done each time: raw import calls
 * with constant arguments (buffer addresses and byte counts are literals; WASI-NN tensor
 * descriptors and TENSOR record headers are made once in _manifest, each record header sitting in
 * front of the data it describes, so an output is a single write with no copy). Where a proc
 * block's output feeds a model or a record, the fast path is taken while that output still
 * describes the planned buffer; otherwise the SDK wrapper runs, with its checks and messages. The
 * SDK's *_error functions give a failed fast call the same message the wrapper would. A catalog
 * block with plan/run (rune_procblocks.h) fed by a capability, a model or another planned block is
 * planned once in _manifest (sK_planned_); _call then runs its data path alone, and its consumers
 * skip their look at its output, which run never changes.
 * Stage identifiers are s<index>_<name> with the name reduced to [A-Za-z0-9_].
 */
#include "compiler_int.h"

#include "rune/abi.h"
#include "rune/alloc.h"

#include <stdarg.h>
#include <string.h>

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = b->cap ? b->cap * 2 : 8192;
        while (ncap < b->len + (size_t)n + 1)
            ncap *= 2;
        char *np = rune_realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

/* A C string literal of s. */
static void put_cstr(sbuf *b, const char *s)
{
    put(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(b, "\\%c", c);
        else if (c == '\n')
            put(b, "\\n");
        else if (c < 0x20 || c >= 0x7f)
            put(b, "\\%03o", c);
        else
            put(b, "%c", c);
    }
    put(b, "\"");
}

static void ident(const rune_runefile *g, size_t k, char *out, size_t cap)
{
    int n = snprintf(out, cap, "s%zu_", k);
    size_t j = (size_t)(n > 0 ? n : 0);
    for (const char *c = g->stages[k].name; *c && j + 1 < cap && j < 40; c++)
        out[j++] =
            ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))
                ? *c
                : '_';
    out[j] = '\0';
}

/* Bytes a port's buffer needs, and the ABI element type / shape to describe it. */
typedef struct port_plan {
    int32_t elem;
    uint32_t rank;
    uint32_t dims[RUNE_ABI_MAX_RANK];
    size_t bytes;
    int text;
} port_plan;

static rune_status plan_port(const rune_runefile *g, size_t k, size_t port, port_plan *pp,
                             rune_error *err)
{
    const rune_rf_stage *s = &g->stages[k];
    const rune_rf_type *t = &s->out[port];
    memset(pp, 0, sizeof *pp);
    if (s->kind == RUNE_RF_PROC_BLOCK && !rc_is_custom_block(s)) {
        /* The catalog knows text and dynamic outputs' bounds. */
        rune_catalog_type c;
        rune_status st = rc_block_out(s, &s->in[0], &c, err);
        if (st != RUNE_OK) return st;
        if (c.text || c.dynamic) {
            size_t n = 1;
            for (uint32_t i = 0; i < c.rank; i++)
                n *= c.dims[i] ? c.dims[i] : 1;
            pp->elem = c.elem;
            pp->rank = c.rank;
            memcpy(pp->dims, c.dims, sizeof pp->dims);
            pp->bytes = n * rune_abi_elem_size(c.elem);
            pp->text = c.text;
            return RUNE_OK;
        }
    }
    if (t->rank < 0 || t->elem == RUNE_RF_ANY || t->elem >= RUNE_RF_UTF8)
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "%s:%u:%u: the type of %s.%zu is not known well enough to size its buffer "
                        "(declare it, e.g. PROC_BLOCK<IN,OUT>)",
                        s->loc.file, s->loc.line, s->loc.col, s->name, port);
    uint64_t n = rune_rf_type_count(t);
    if (t->rank == 0) n = 1;
    if (n == 0 || n > (64u << 20))
        return RUNE_ERR(err, RUNE_E_INVALID, "%s:%u:%u: %s.%zu has an unusable size", s->loc.file,
                        s->loc.line, s->loc.col, s->name, port);
    pp->elem = rc_rf_to_abi(t->elem);
    pp->rank = (uint32_t)t->rank;
    for (int i = 0; i < t->rank && i < RUNE_ABI_MAX_RANK; i++)
        pp->dims[i] = t->dims[i];
    pp->bytes = (size_t)n * rune_abi_elem_size(pp->elem);
    return RUNE_OK;
}

/* The edge feeding stage k's input port p, or NULL. */
static const rune_rf_edge *input_edge(const rune_runefile *g, size_t k, size_t p)
{
    for (size_t i = 0; i < g->n_edges; i++)
        if (g->edges[i].to == k && g->edges[i].to_port == p) return &g->edges[i];
    return NULL;
}

static const char *cap_kind_macro(int subkind)
{
    switch (subkind) {
    case RUNE_RF_CAP_SOUND: return "RUNE_CAP_SOUND";
    case RUNE_RF_CAP_IMAGE: return "RUNE_CAP_IMAGE";
    case RUNE_RF_CAP_ACCEL: return "RUNE_CAP_ACCEL";
    case RUNE_RF_CAP_RAND: return "RUNE_CAP_RAND";
    default: return "RUNE_CAP_RAW";
    }
}

static const char *out_kind_macro(int subkind)
{
    switch (subkind) {
    case RUNE_RF_OUT_TENSOR: return "RUNE_OUT_TENSOR";
    case RUNE_RF_OUT_FILE: return "RUNE_OUT_FILE";
    default: return "RUNE_OUT_SERIAL";
    }
}

/* The params text a stage passes to capability_open / output_open: its arguments as key=value
 * lines, keys with '_' for '-', lists joined by ','. The manifest records the same arguments.
 * RAND also says which element type it wants (x_elem) and outputs which stage feeds them (x_name):
 * extension keys the host does not compare with the manifest. */
static void put_params(sbuf *b, const rune_rf_stage *s, const char *rand_elem, const char *x_name)
{
    char text[2048];
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < s->n_args; i++) {
        const rune_rf_arg *a = &s->args[i];
        int w = snprintf(text + used, sizeof text - used, "%s=", a->key);
        if (w < 0 || (size_t)w >= sizeof text - used) break;
        for (size_t c = used; c < used + (size_t)w; c++)
            if (text[c] == '-') text[c] = '_';
        used += (size_t)w;
        for (size_t j = 0; j < a->n; j++) {
            w = snprintf(text + used, sizeof text - used, "%s%s", j ? "," : "", a->values[j]);
            if (w < 0 || (size_t)w >= sizeof text - used) break;
            used += (size_t)w;
        }
        if (used + 1 < sizeof text) text[used++] = '\n', text[used] = '\0';
    }
    if (rand_elem) {
        char lower[16];
        size_t i = 0;
        for (; rand_elem[i] && i < sizeof lower - 1; i++)
            lower[i] = (char)(rand_elem[i] >= 'A' && rand_elem[i] <= 'Z' ? rand_elem[i] + 32
                                                                         : rand_elem[i]);
        lower[i] = '\0';
        used += (size_t)snprintf(text + used, sizeof text - used, "x_elem=%s\n", lower);
    }
    if (x_name && used < sizeof text)
        snprintf(text + used, sizeof text - used, "x_name=%s\n", x_name);
    put_cstr(b, text);
}

static void custom_stem(const rune_rf_stage *s, char *out, size_t cap)
{
    const char *base = strrchr(s->source, '/');
    base = base ? base + 1 : s->source;
    size_t j = 0;
    for (const char *c = base; *c && *c != '.' && j + 1 < cap; c++)
        out[j++] =
            ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))
                ? *c
                : '_';
    out[j] = '\0';
}

#define FAIL_CHECK "    if (st != RUNE_OK) return rune_guest_fail(st, &err_);\n"

/* Largest TENSOR record written in place (the SDK's own record buffer holds no more; a bigger
 * tensor takes the wrapper, which refuses it as before). */
#define REC_MAX (128 * 1024)

/* Where a port's bytes live. A port that feeds a TENSOR or numeric SERIAL output keeps its TENSOR
 * record header in front of its data (sK_oP_mem: header at rec_at, data at data_at, 16-aligned), so
 * the output is one output_write of bytes already in place; any other port is sK_oP_buf. */
typedef struct port_info {
    port_plan pp;
    int record;
    size_t hdr, rec_at, data_at;
} port_info;

/* Does port (k, p) feed an output that writes TENSOR records (TENSOR, or SERIAL of numbers)? */
static int feeds_record(const rune_runefile *g, size_t k, size_t p, const port_plan *pp)
{
    for (size_t i = 0; i < g->n_edges; i++) {
        const rune_rf_edge *e = &g->edges[i];
        if (e->from != k || e->from_port != p) continue;
        const rune_rf_stage *to = &g->stages[e->to];
        if (to->kind != RUNE_RF_OUT) continue;
        if (to->subkind == RUNE_RF_OUT_TENSOR || (to->subkind == RUNE_RF_OUT_SERIAL && !pp->text))
            return 1;
    }
    return 0;
}

static rune_status port_info_of(const rune_runefile *g, size_t k, size_t p, port_info *pi,
                                rune_error *err)
{
    memset(pi, 0, sizeof *pi);
    rune_status st = plan_port(g, k, p, &pi->pp, err);
    if (st != RUNE_OK) return st;
    pi->hdr = 8 + 4 * (size_t)pi->pp.rank;
    pi->record = feeds_record(g, k, p, &pi->pp) && pi->hdr + pi->pp.bytes <= REC_MAX;
    if (pi->record) {
        pi->data_at = (pi->hdr + 15) & ~(size_t)15;
        pi->rec_at = pi->data_at - pi->hdr;
    }
    return RUNE_OK;
}

/* The C expression of port (id, p)'s data. */
static void put_data(sbuf *b, const char *id, size_t p, const port_info *pi)
{
    if (pi->record)
        put(b, "(%s_o%zu_mem + %zu)", id, p, pi->data_at);
    else
        put(b, "%s_o%zu_buf", id, p);
}

/* Stage k's catalog block if it runs planned: a catalog proc block with plan/run, one input and
 * one numeric output, fed by a stage whose output keeps its description from call to call (a
 * capability, a model, or a proc block that itself runs planned). Its _manifest plans it, and
 * sK_planned_ says whether that worked; _call then runs the data path alone. NULL otherwise. */
static const rune_catalog_block *planned_block(const rune_runefile *g, size_t k)
{
    for (unsigned depth = 0; depth < 64; depth++) {
        const rune_rf_stage *s = &g->stages[k];
        if (s->kind != RUNE_RF_PROC_BLOCK || rc_is_custom_block(s) || s->n_out != 1) return NULL;
        const rune_catalog_block *cb = rune_catalog_find(s->source);
        if (!cb || !cb->c_plan || !cb->c_run) return NULL;
        const rune_rf_edge *e = input_edge(g, k, 0);
        if (!e) return NULL;
        const rune_rf_stage *from = &g->stages[e->from];
        if (from->kind == RUNE_RF_CAPABILITY || from->kind == RUNE_RF_MODEL)
            return rune_catalog_find(g->stages[k].source);
        k = e->from; /* a proc block: it must run planned too */
        (void)depth;
    }
    return NULL;
}

/* Only proc blocks write a tensor's description (elem, shape, len, data) at run time; capability
 * and model outputs keep what _manifest gave them. A proc block's output takes the fast path only
 * while it still describes the planned buffer: this condition. */
static int put_guard_raw(sbuf *b, const rune_runefile *g, size_t k, size_t p, const port_info *pi)
{
    if (g->stages[k].kind != RUNE_RF_PROC_BLOCK) return 0;
    char id[64];
    ident(g, k, id, sizeof id);
    put(b, "%s_o%zu.data == ", id, p);
    put_data(b, id, p, pi);
    put(b, " && %s_o%zu.elem == %d && %s_o%zu.rank == %u", id, p, pi->pp.elem, id, p, pi->pp.rank);
    for (uint32_t d = 0; d < pi->pp.rank; d++)
        put(b, " && %s_o%zu.dims[%u] == %u", id, p, d, pi->pp.dims[d]);
    put(b, " && %s_o%zu.len == %zu", id, p, pi->pp.bytes);
    return 1;
}

/* The same, where a planned block's output needs no look: its _manifest checked the condition
 * once, and run leaves the description alone. */
static int put_guard(sbuf *b, const rune_runefile *g, size_t k, size_t p, const port_info *pi)
{
    if (g->stages[k].kind != RUNE_RF_PROC_BLOCK) return 0;
    if (!planned_block(g, k)) return put_guard_raw(b, g, k, p, pi);
    char id[64];
    ident(g, k, id, sizeof id);
    put(b, "%s_planned_ || (", id);
    put_guard_raw(b, g, k, p, pi);
    put(b, ")");
    return 1;
}

/* "    if (<guard>) {" before a fast path that reads port (k, p), when its producer may have
 * changed it (put_guard); 1 if written (the caller closes it with "} else { <general path> }"). */
static int open_guard(sbuf *b, const rune_runefile *g, size_t k, size_t p, const port_info *pi)
{
    sbuf cond = {0};
    int guarded = put_guard(&cond, g, k, p, pi);
    if (guarded) put(b, "    if (%s) {\n", cond.p ? cond.p : "0");
    if (cond.oom) b->oom = 1;
    rune_free(cond.p);
    return guarded;
}

/* WASI-NN tensor type for an ABI element type; -1 if set_input cannot take it. */
static int nn_type_of(int32_t elem)
{
    switch (elem) {
    case RUNE_ELEM_F32: return RUNE_NN_TYPE_F32;
    case RUNE_ELEM_U8:
    case RUNE_ELEM_I8: return RUNE_NN_TYPE_U8;
    case RUNE_ELEM_I32: return RUNE_NN_TYPE_I32;
    default: return -1;
    }
}

/* What _call uses, so its locals are declared only when needed. */
typedef struct call_uses {
    int st, r, e, written;
} call_uses;

static rune_status gen_decls(sbuf *b, const rune_runefile *g, rune_error *err)
{
    char id[64], src[64];
    rune_status st;
    for (size_t k = 0; k < g->n_stages; k++) {
        const rune_rf_stage *s = &g->stages[k];
        ident(g, k, id, sizeof id);
        put(b, "/* %s %s (%s:%u) */\n", rune_rf_stage_kind_name(s->kind), s->name, s->loc.file,
            s->loc.line);
        switch (s->kind) {
        case RUNE_RF_CAPABILITY: put(b, "static int32_t %s_h;\n", id); break;
        case RUNE_RF_OUT: put(b, "static int32_t %s_h[%zu];\n", id, s->n_in ? s->n_in : 1); break;
        case RUNE_RF_MODEL:
            put(b, "static uint32_t %s_graph, %s_ctx;\n", id, id);
            for (size_t p = 0; p < s->n_in; p++)
                put(b, "static rune_nn_tensor %s_i%zu; /* set_input's descriptor */\n", id, p);
            break;
        case RUNE_RF_PROC_BLOCK:
            if (rc_is_custom_block(s)) {
                custom_stem(s, src, sizeof src);
                put(b,
                    "rune_status %s_init(const rune_pb_arg *args, size_t nargs, rune_error *err);\n"
                    "rune_status %s_transform(const rune_tensor *in, rune_tensor *out, "
                    "rune_error *err);\n",
                    src, src);
            } else {
                const rune_catalog_block *cb = rune_catalog_find(s->source);
                if (!cb)
                    return RUNE_ERR(err, RUNE_E_NOT_FOUND, "unknown proc block '%s'", s->source);
                put(b, "static %s %s_state;\n", cb->c_state, id);
                if (planned_block(g, k))
                    put(b,
                        "static int %s_planned_; /* planned: _call runs the data path alone */\n",
                        id);
            }
            break;
        }
        for (size_t p = 0; p < s->n_out; p++) {
            port_info pi;
            if ((st = port_info_of(g, k, p, &pi, err)) != RUNE_OK) return st;
            if (pi.record)
                put(b,
                    "static uint8_t %s_o%zu_mem[%zu] __attribute__((aligned(16))); /* record "
                    "header at %zu, data at %zu */\n",
                    id, p, pi.data_at + pi.pp.bytes, pi.rec_at, pi.data_at);
            else
                put(b, "static uint8_t %s_o%zu_buf[%zu] __attribute__((aligned(16)));\n", id, p,
                    pi.pp.bytes);
            put(b, "static rune_tensor %s_o%zu;\n", id, p);
        }
        put(b, "\n");
    }
    return RUNE_OK;
}

/* sK_planned_ = plan succeeded for the tensors every call passes (and so the output describes
 * its planned buffer); a proc block upstream must run planned too. A failed plan is no error
 * here: _call then takes the transform, which reports what is wrong. */
static rune_status gen_plan(sbuf *b, const rune_runefile *g, size_t k, rune_error *err)
{
    const rune_catalog_block *cb = planned_block(g, k);
    const rune_rf_edge *e = input_edge(g, k, 0);
    char id[64], pid[64];
    ident(g, k, id, sizeof id);
    ident(g, e->from, pid, sizeof pid);
    port_info pi;
    rune_status st = port_info_of(g, k, 0, &pi, err);
    if (st != RUNE_OK) return st;
    put(b, "    %s_planned_ = ", id);
    if (g->stages[e->from].kind == RUNE_RF_PROC_BLOCK) put(b, "%s_planned_ && ", pid);
    put(b, "%s(&%s_state, &%s_o%zu, &%s_o0, &err_) == RUNE_OK && ", cb->c_plan, id, pid,
        e->from_port, id);
    put_guard_raw(b, g, k, 0, &pi);
    put(b, ";\n");
    return RUNE_OK;
}

static rune_status gen_manifest(sbuf *b, const rune_runefile *g, rune_error *err)
{
    char id[64], src[64];
    rune_status st;
    put(b, "RUNE_EXPORT(\"_manifest\") int32_t rune_manifest_(void)\n{\n    rune_status st;\n");
    for (size_t oi = 0; oi < g->n_stages; oi++) {
        size_t k = g->order[oi];
        const rune_rf_stage *s = &g->stages[k];
        ident(g, k, id, sizeof id);
        for (size_t p = 0; p < s->n_out; p++) {
            port_info pi;
            if ((st = port_info_of(g, k, p, &pi, err)) != RUNE_OK) return st;
            put(b, "    {\n        static const uint32_t dims[%u] = {",
                pi.pp.rank ? pi.pp.rank : 1);
            for (uint32_t d = 0; d < pi.pp.rank; d++)
                put(b, "%s%u", d ? ", " : "", pi.pp.dims[d]);
            if (!pi.pp.rank) put(b, "1");
            put(b, "};\n        st = rune_tensor_init(&%s_o%zu, %d, %u, dims, ", id, p, pi.pp.elem,
                pi.pp.rank);
            put_data(b, id, p, &pi);
            put(b, ", %zu, &err_);\n    " FAIL_CHECK, pi.pp.bytes);
            if (pi.record)
                put(b, "        rune_tensor_record_header(&%s_o%zu, %s_o%zu_mem + %zu);\n", id, p,
                    id, p, pi.rec_at);
            put(b, "    }\n");
        }
        switch (s->kind) {
        case RUNE_RF_CAPABILITY:
            put(b, "    st = rune_capability_open(%s, ", cap_kind_macro(s->subkind));
            put_params(b, s,
                       s->subkind == RUNE_RF_CAP_RAND ? rune_rf_elem_name(s->out[0].elem) : NULL,
                       NULL);
            put(b, ", &%s_h, &err_);\n" FAIL_CHECK, id);
            break;
        case RUNE_RF_OUT:
            /* One handle per input, named after its producer (the host puts the name in the JSON
             * lines it renders from tensor records). */
            for (size_t p = 0; p < (s->n_in ? s->n_in : 1); p++) {
                const rune_rf_edge *e = input_edge(g, k, p);
                put(b, "    st = rune_output_open(%s, ", out_kind_macro(s->subkind));
                put_params(b, s, NULL, e ? g->stages[e->from].name : NULL);
                put(b, ", &%s_h[%zu], &err_);\n" FAIL_CHECK, id, p);
            }
            break;
        case RUNE_RF_MODEL:
            put(b, "    st = rune_nn_load_by_name(");
            put_cstr(b, s->name);
            put(b, ", &%s_graph, &err_);\n" FAIL_CHECK, id);
            put(b, "    st = rune_nn_init_context(%s_graph, &%s_ctx, &err_);\n" FAIL_CHECK, id, id);
            /* set_input's descriptors, once: they point at the producers' planned buffers. */
            for (size_t p = 0; p < s->n_in; p++) {
                const rune_rf_edge *e = input_edge(g, k, p);
                if (!e) continue;
                port_info pi;
                if ((st = port_info_of(g, e->from, e->from_port, &pi, err)) != RUNE_OK) return st;
                int type = nn_type_of(pi.pp.elem);
                if (type < 0) continue;
                char pid[64];
                ident(g, e->from, pid, sizeof pid);
                put(b,
                    "    %s_i%zu = (rune_nn_tensor){%s_o%zu.dims, %s_o%zu.rank, %d, "
                    "(const uint8_t *)%s_o%zu.data, (uint32_t)%s_o%zu.len};\n",
                    id, p, pid, e->from_port, pid, e->from_port, type, pid, e->from_port, pid,
                    e->from_port);
            }
            break;
        case RUNE_RF_PROC_BLOCK: {
            rune_pb_arg args[64];
            static char storage[64][2][256];
            size_t n = rc_block_args(s, args, storage, 64);
            put(b, "    {\n        static const rune_pb_arg args[%zu] = {", n ? n : 1);
            for (size_t i = 0; i < n; i++) {
                put(b, "%s{", i ? ", " : "");
                put_cstr(b, args[i].name);
                put(b, ", ");
                put_cstr(b, args[i].value);
                put(b, "}");
            }
            if (!n) put(b, "{0, 0}");
            if (rc_is_custom_block(s)) {
                custom_stem(s, src, sizeof src);
                put(b, "};\n        st = %s_init(args, %zu, &err_);\n    " FAIL_CHECK "    }\n",
                    src, n);
            } else {
                const rune_catalog_block *cb = rune_catalog_find(s->source);
                put(b,
                    "};\n        st = %s(&%s_state, args, %zu, &err_);\n    " FAIL_CHECK "    }\n",
                    cb->c_init, id, n);
                if (planned_block(g, k) && (st = gen_plan(b, g, k, err)) != RUNE_OK) return st;
            }
            break;
        }
        }
    }
    put(b, "    return 0;\n}\n\n");
    return RUNE_OK;
}

static rune_status gen_model_call(sbuf *b, const rune_runefile *g, size_t k, call_uses *u,
                                  rune_error *err)
{
    const rune_rf_stage *s = &g->stages[k];
    char id[64], pid[64];
    rune_status st;
    ident(g, k, id, sizeof id);
    for (size_t p = 0; p < s->n_in; p++) {
        const rune_rf_edge *e = input_edge(g, k, p);
        if (!e)
            return RUNE_ERR(err, RUNE_E_INVALID, "%s:%u:%u: model %s input %zu is not fed",
                            s->loc.file, s->loc.line, s->loc.col, s->name, p);
        ident(g, e->from, pid, sizeof pid);
        port_info pi;
        if ((st = port_info_of(g, e->from, e->from_port, &pi, err)) != RUNE_OK) return st;
        const char *ind = "    ";
        if (nn_type_of(pi.pp.elem) >= 0) {
            int guarded = open_guard(b, g, e->from, e->from_port, &pi);
            if (guarded) ind = "        ";
            put(b,
                "%sif ((e = rune_nn_raw_set_input(%s_ctx, %zu, &%s_i%zu)) != 0)\n"
                "%s    return rune_guest_fail(rune_nn_error(e, \"set_input\", &err_), &err_);\n",
                ind, id, p, id, p, ind);
            u->e = 1;
            if (!guarded) continue;
            put(b, "    } else {\n");
        }
        /* A tensor that is not the planned one (or a type WASI-NN cannot carry): the wrapper,
         * which checks and reports it. */
        put(b, "%sst = rune_nn_set_input(%s_ctx, %zu, &%s_o%zu, &err_);\n%s" FAIL_CHECK, ind, id, p,
            pid, e->from_port, ind[4] ? "    " : "");
        u->st = 1;
        if (ind[4]) put(b, "    }\n");
    }
    put(b,
        "    if ((e = rune_nn_raw_compute(%s_ctx)) != 0)\n"
        "        return rune_guest_fail(rune_nn_error(e, \"compute\", &err_), &err_);\n",
        id);
    u->e = 1;
    for (size_t p = 0; p < s->n_out; p++) {
        port_info pi;
        if ((st = port_info_of(g, k, p, &pi, err)) != RUNE_OK) return st;
        put(b, "    if ((e = rune_nn_raw_get_output(%s_ctx, %zu, ", id, p);
        put_data(b, id, p, &pi);
        put(b,
            ", %zu, &nn_written_)) != 0 || nn_written_ != %zu)\n"
            "        return rune_guest_fail(rune_nn_get_output_error(e, %zu, nn_written_, %zu, "
            "&err_), &err_);\n",
            pi.pp.bytes, pi.pp.bytes, p, pi.pp.bytes);
        u->written = 1;
    }
    return RUNE_OK;
}

static rune_status gen_out_call(sbuf *b, const rune_runefile *g, size_t k, call_uses *u,
                                rune_error *err)
{
    const rune_rf_stage *s = &g->stages[k];
    char id[64], pid[64];
    rune_status st;
    ident(g, k, id, sizeof id);
    for (size_t p = 0; p < s->n_in; p++) {
        const rune_rf_edge *e = input_edge(g, k, p);
        if (!e) continue;
        ident(g, e->from, pid, sizeof pid);
        port_info pi;
        if ((st = port_info_of(g, e->from, e->from_port, &pi, err)) != RUNE_OK) return st;
        const char *name = g->stages[e->from].name;
        if (s->subkind == RUNE_RF_OUT_SERIAL && pi.pp.text) {
            put(b, "    st = rune_output_serial_labels(%s_h[%zu], ", id, p);
            put_cstr(b, name);
            put(b, ", (const char *)%s_o%zu.data, %s_o%zu.len, &err_);\n" FAIL_CHECK, pid,
                e->from_port, pid, e->from_port);
            u->st = 1;
            continue;
        }
        if (s->subkind == RUNE_RF_OUT_FILE) {
            put(b,
                "    st = rune_output_write(%s_h[%zu], %s_o%zu.data, %s_o%zu.len, "
                "&err_);\n" FAIL_CHECK,
                id, p, pid, e->from_port, pid, e->from_port);
            u->st = 1;
            continue;
        }
        /* SERIAL numbers and TENSOR: a tensor record; for SERIAL the host renders the JSON
         * line, so the rune carries no number formatting. The record is already in place in
         * front of the data. */
        const char *ind = "    ";
        if (pi.record) {
            int guarded = open_guard(b, g, e->from, e->from_port, &pi);
            if (guarded) ind = "        ";
            size_t n = pi.hdr + pi.pp.bytes;
            put(b,
                "%sif ((r = runic_output_write(%s_h[%zu], %s_o%zu_mem + %zu, %zu)) != %zu)\n"
                "%s    return rune_guest_fail(rune_output_write_error(r, %zu, &err_), &err_);\n",
                ind, id, p, pid, e->from_port, pi.rec_at, n, n, ind, n);
            u->r = 1;
            if (!guarded) continue;
            put(b, "    } else {\n");
        }
        put(b, "%sst = rune_output_tensor(%s_h[%zu], &%s_o%zu, &err_);\n%s" FAIL_CHECK, ind, id, p,
            pid, e->from_port, ind[4] ? "    " : "");
        u->st = 1;
        if (ind[4]) put(b, "    }\n");
    }
    return RUNE_OK;
}

static rune_status gen_call(sbuf *out, const rune_runefile *g, rune_error *err)
{
    char id[64], src[64];
    rune_status st = RUNE_OK;
    call_uses u = {0};
    sbuf body = {0};
    sbuf *b = &body;
    for (size_t oi = 0; oi < g->n_stages && st == RUNE_OK; oi++) {
        size_t k = g->order[oi];
        const rune_rf_stage *s = &g->stages[k];
        ident(g, k, id, sizeof id);
        char in_id[64] = "";
        size_t in_port = 0;
        const rune_rf_edge *e0 = input_edge(g, k, 0);
        if (e0) {
            ident(g, e0->from, in_id, sizeof in_id);
            in_port = e0->from_port;
        }
        put(b, "    /* %s */\n", s->name);
        switch (s->kind) {
        case RUNE_RF_CAPABILITY: {
            port_info pi;
            if ((st = port_info_of(g, k, 0, &pi, err)) != RUNE_OK) break;
            put(b, "    if ((r = runic_capability_read(%s_h, ", id);
            put_data(b, id, 0, &pi);
            put(b,
                ", %zu)) != %zu)\n"
                "        return rune_guest_fail(rune_capability_read_error(r, %zu, &err_), "
                "&err_);\n",
                pi.pp.bytes, pi.pp.bytes, pi.pp.bytes);
            u.r = 1;
            break;
        }
        case RUNE_RF_PROC_BLOCK:
            if (!e0) {
                st = RUNE_ERR(err, RUNE_E_INVALID, "%s:%u:%u: proc block %s has no input",
                              s->loc.file, s->loc.line, s->loc.col, s->name);
                break;
            }
            /* A planned block runs its data path alone; the transform (with its checks and
             * messages) is the way when the plan did not hold. */
            const rune_catalog_block *pb = planned_block(g, k);
            const char *ind = pb ? "        " : "    ";
            if (pb)
                put(b,
                    "    if (%s_planned_) {\n        %s(&%s_state, &%s_o%zu, &%s_o0);\n    } else "
                    "{\n",
                    id, pb->c_run, id, in_id, in_port, id);
            /* The output's len is the buffer's capacity going in, the bytes used coming out. */
            for (size_t p = 0; p < s->n_out; p++) {
                port_info pi;
                if ((st = port_info_of(g, k, p, &pi, err)) != RUNE_OK) break;
                put(b, "%s%s_o%zu.len = %zu;\n", ind, id, p, pi.pp.bytes);
            }
            if (st != RUNE_OK) break;
            if (rc_is_custom_block(s)) {
                custom_stem(s, src, sizeof src);
                put(b, "    st = %s_transform(&%s_o%zu, &%s_o0, &err_);\n" FAIL_CHECK, src, in_id,
                    in_port, id);
            } else {
                const rune_catalog_block *cb = rune_catalog_find(s->source);
                put(b, "%sst = %s(&%s_state, &%s_o%zu, &%s_o0, &err_);\n%s" FAIL_CHECK, ind,
                    cb->c_transform, id, in_id, in_port, id, pb ? "    " : "");
                if (pb) put(b, "    }\n");
            }
            u.st = 1;
            break;
        case RUNE_RF_MODEL: st = gen_model_call(b, g, k, &u, err); break;
        case RUNE_RF_OUT: st = gen_out_call(b, g, k, &u, err); break;
        }
    }
    if (st == RUNE_OK) {
        if (u.written)
            put(out, "static uint32_t nn_written_; /* get_output's bytes_written */\n\n");
        put(out, "RUNE_EXPORT(\"_call\") int32_t rune_call_(void)\n{\n");
        if (u.st) put(out, "    rune_status st;\n");
        if (u.r) put(out, "    int32_t r;\n");
        if (u.e) put(out, "    int32_t e;\n");
        put(out, "%s    return 0;\n}\n", body.p ? body.p : "");
        if (body.oom) out->oom = 1;
    }
    rune_free(body.p);
    return st;
}

rune_status rune_compiler_codegen(const rune_runefile *g, char **out, size_t *out_len,
                                  rune_error *err)
{
    if (!g || !out || !g->typed)
        return RUNE_ERR(err, RUNE_E_ARG, "codegen needs a type-checked Runefile graph");
    sbuf b = {0};
    rune_status st = RUNE_OK;
    put(&b, "/* Generated by rune build from %s. Do not edit: edit the Runefile. */\n", g->file);
    put(&b, "#include <stdint.h>\n#include <string.h>\n#include \"rune/abi.h\"\n"
            "#include \"rune_guest.h\"\n#include \"rune_procblocks.h\"\n\n");
    put(&b, "static rune_error err_;\n\n");
    if ((st = gen_decls(&b, g, err)) != RUNE_OK) goto fail;
    if ((st = gen_manifest(&b, g, err)) != RUNE_OK) goto fail;
    if ((st = gen_call(&b, g, err)) != RUNE_OK) goto fail;
    if (b.oom) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "codegen: out of memory");
        goto fail;
    }
    *out = b.p;
    if (out_len) *out_len = b.len;
    return RUNE_OK;
fail:
    rune_free(b.p);
    return st;
}
