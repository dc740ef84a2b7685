/*
 * host_runic.c - the "runic" imports (contract in rune/abi.h): capabilities, outputs, resources and
 * logs, with least privilege enforced on every open.
 *
 * A capability_open is granted only if (1) the manifest declares a capability of that kind whose
 * declared arguments agree with every parameter the guest passed (so a rune cannot ask for more
 * samples or a bigger picture than it declared), (2) the device policy allows the kind, and (3) a
 * provider serves it. Outputs likewise must be declared. Refusals return RUNE_ABI_E_DENIED, are
 * counted and are logged with the reason. Guest (ptr, len) ranges are checked before any access.
 */
#include "host_int.h"

#include "rune/abi.h"
#include "rune/alloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

static rune_status ret(rune_wasm_val *results, int32_t v)
{
    results[0].i32 = (uint32_t)v;
    return RUNE_OK;
}

void rh_notice(rune_host *h, const char *fmt, ...)
{
    /* (fmt is never NULL; the test keeps GCC's -Wformat-overflow quiet under -fsanitize=undefined)
     */
    if (h->cfg.quiet || !fmt) return;
    FILE *f = h->cfg.log_out ? h->cfg.log_out : stderr;
    va_list ap;
    va_start(ap, fmt);
    fprintf(f, "[%s] host: ", h->name ? h->name : "rune");
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
}

/* Manifest arg keys may be written "sample-size"; params use "sample_size". */
static int key_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : (char)tolower((unsigned char)*a);
        char y = *b == '-' ? '_' : (char)tolower((unsigned char)*b);
        if (x != y) return 0;
    }
    return *a == *b;
}

/* Does the declared stage agree with every param the guest passed? Keys the manifest does not
 * mention are allowed only for the "x_" extension space and "source". */
static int params_agree(const rune_manifest_stage *s, const rune_cap_params *p, char *why,
                        size_t why_len)
{
    for (size_t i = 0; i < p->n; i++) {
        const char *k = p->kv[i].key, *v = p->kv[i].value;
        const char *declared = NULL;
        for (size_t j = 0; j < s->nargs; j++)
            if (key_eq(s->args[j].key, k)) declared = s->args[j].value;
        if (!declared) {
            if (strncmp(k, "x_", 2) == 0 || strcmp(k, "source") == 0) continue;
            snprintf(why, why_len, "parameter %s=%s is not declared in the manifest", k, v);
            return 0;
        }
        if (strcmp(declared, v) != 0) {
            snprintf(why, why_len, "parameter %s=%s differs from the manifest's %s", k, v,
                     declared);
            return 0;
        }
    }
    return 1;
}

static const rune_cap_provider *provider_for(rune_host *h, int kind)
{
    for (size_t i = 0; i < h->cfg.nproviders; i++)
        if (h->cfg.providers[i] && h->cfg.providers[i]->kind == kind) return h->cfg.providers[i];
    return NULL;
}

static int32_t deny(rune_host *h, const char *what, const char *why)
{
    h->stats.denials++;
    rh_notice(h, "denied: %s: %s", what, why);
    return RUNE_ABI_E_DENIED;
}

static rune_status cap_open(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                            rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    int32_t kind = (int32_t)a[0].i32;
    const char *text = (const char *)rh_mem_ptr(h, inst, a[1].i32, a[2].i32);
    if (!text) return ret(r, RUNE_ABI_E_MEMORY);
    const char *kname = rune_abi_capability_name(kind);
    if (!kname) return ret(r, RUNE_ABI_E_INVAL);
    char what[48];
    int at = snprintf(what, sizeof what, "capability ");
    for (const char *c = kname; *c && at < (int)sizeof what - 1; c++)
        what[at++] = (char)toupper((unsigned char)*c);
    what[at] = '\0';
    rune_cap_params params;
    rune_error e;
    if (rune_cap_params_parse(kind, text, a[2].i32, &params, &e) != RUNE_OK) {
        rh_notice(h, "%s: %s", what, e.msg);
        return ret(r, RUNE_ABI_E_INVAL);
    }
    const rune_manifest *m = h->container->manifest;
    int declared = 0, agreed = 0;
    char why[160] = "";
    for (size_t i = 0; i < m->ncapabilities && !agreed; i++) {
        const char *k = m->capabilities[i].kind;
        if (!k || rune_abi_capability_parse(k, strlen(k)) != kind) continue;
        declared = 1;
        agreed = params_agree(&m->capabilities[i], &params, why, sizeof why);
    }
    if (!declared) return ret(r, deny(h, what, "not declared in the manifest"));
    if (!agreed) return ret(r, deny(h, what, why));
    if (h->cfg.allowed_caps && !(h->cfg.allowed_caps & (1u << kind)))
        return ret(r, deny(h, what, "not allowed by the device policy"));
    const rune_cap_provider *p = provider_for(h, kind);
    if (!p) {
        rh_notice(h, "%s: this device has no provider for it", what);
        return ret(r, RUNE_ABI_E_UNSUPPORTED);
    }
    int slot = -1;
    for (int i = 0; i < RH_MAX_CAPS; i++)
        if (!h->caps[i].provider) {
            slot = i;
            break;
        }
    if (slot < 0) return ret(r, RUNE_ABI_E_LIMIT);
    void *state = NULL;
    rune_status ost = p->open(p, &params, &state, &e);
    if (ost != RUNE_OK) {
        rh_notice(h, "%s from %s: %s", what, p->source, e.msg);
        return ret(r, ost == RUNE_E_IO            ? RUNE_ABI_E_IO
                      : ost == RUNE_E_UNSUPPORTED ? RUNE_ABI_E_UNSUPPORTED
                      : ost == RUNE_E_NOMEM       ? RUNE_ABI_E_LIMIT
                                                  : RUNE_ABI_E_INVAL);
    }
    h->caps[slot].provider = p;
    h->caps[slot].state = state;
    (void)err;
    return ret(r, slot);
}

/* The end of a capability read: count it, or log why it failed; the guest gets n either way. */
static inline rune_status read_done(rune_host *h, int32_t n, const rune_error *e, rune_wasm_val *r)
{
    if (n >= 0)
        h->stats.capability_reads++;
    else if (n != RUNE_ABI_E_END)
        rh_notice(h, "capability read: %s", e->msg);
    return ret(r, n);
}

/* capability_read(handle, ptr, len) -> bytes or an error: the general path (every refusal, and an
 * instance other than the host's own). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static rune_status
cap_read_general(rune_wasm_instance *inst, rune_host *h, const rune_wasm_val *a, rune_wasm_val *r)
{
    uint32_t hd = a[0].i32;
    if (hd >= RH_MAX_CAPS || !h->caps[hd].provider) return ret(r, RUNE_ABI_E_BAD_HANDLE);
    uint8_t *buf = rh_mem_ptr(h, inst, a[1].i32, a[2].i32);
    if (!buf) return ret(r, RUNE_ABI_E_MEMORY);
    rune_error e;
    return read_done(h, h->caps[hd].provider->read(h->caps[hd].state, buf, a[2].i32, &e), &e, r);
}

/* capability_read(handle, ptr, len), per inference: an open handle and a buffer inside the host's
 * own instance. An i32 host function: the arguments arrive in registers. */
static uint32_t cap_read(rune_wasm_hostcall *hc, uint32_t hd, uint32_t ptr, uint32_t len,
                         uint32_t a3, uint32_t a4)
{
    rune_host *h = hc->user;
    (void)a3, (void)a4;
    uint8_t *buf;
    if (hc->inst != h->mem_inst || hd >= RH_MAX_CAPS || !h->caps[hd].provider ||
        !(buf = rune_wasm_memref_ptr(&h->mem, ptr, len))) {
        rune_wasm_val a[3] = {{.i32 = hd}, {.i32 = ptr}, {.i32 = len}}, r[1] = {{0}};
        cap_read_general(hc->inst, h, a, r);
        return r[0].i32;
    }
    rune_error e;
    rune_wasm_val r[1];
    read_done(h, h->caps[hd].provider->read(h->caps[hd].state, buf, len, &e), &e, r);
    return r[0].i32;
}

static rune_status cap_close(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                             rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    uint32_t hd = a[0].i32;
    if (hd >= RH_MAX_CAPS || !h->caps[hd].provider) return ret(r, RUNE_ABI_E_BAD_HANDLE);
    h->caps[hd].provider->close(h->caps[hd].state);
    h->caps[hd].provider = NULL;
    h->caps[hd].state = NULL;
    (void)inst;
    (void)err;
    return ret(r, RUNE_ABI_OK);
}

/* A FILE output's path: relative, no "..", no empty components. */
static int safe_relative_path(const char *p)
{
    if (!*p || *p == '/') return 0;
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 2 && s[0] == '.' && s[1] == '.')) return 0;
        s += n + (e ? 1 : 0);
        if (e && !*s) return 0;
    }
    return 1;
}

static rune_status out_open(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                            rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    int32_t kind = (int32_t)a[0].i32;
    const char *text = (const char *)rh_mem_ptr(h, inst, a[1].i32, a[2].i32);
    if (!text) return ret(r, RUNE_ABI_E_MEMORY);
    const char *kname = rune_abi_output_name(kind);
    if (!kname) return ret(r, RUNE_ABI_E_INVAL);
    char what[40];
    snprintf(what, sizeof what, "output %s", kname);
    const rune_manifest *m = h->container->manifest;
    int declared = 0;
    for (size_t i = 0; i < m->noutputs; i++) {
        const char *k = m->outputs[i].kind;
        if (k && rune_abi_output_parse(k, strlen(k)) == kind) declared = 1;
    }
    if (!declared) return ret(r, deny(h, what, "not declared in the manifest"));
    rune_cap_params params;
    rune_error e;
    if (rune_cap_params_parse(0, text, a[2].i32, &params, &e) != RUNE_OK) {
        rh_notice(h, "%s: %s", what, e.msg);
        return ret(r, RUNE_ABI_E_INVAL);
    }
    int slot = -1;
    for (int i = 0; i < RH_MAX_OUTS; i++)
        if (!h->outs[i].kind) {
            slot = i;
            break;
        }
    if (slot < 0) return ret(r, RUNE_ABI_E_LIMIT);
    FILE *f = NULL;
    if (kind == RUNE_OUT_FILE) {
        const char *path = rune_cap_param(&params, "path");
        if (!path || !safe_relative_path(path))
            return ret(r, deny(h, what, "path must be relative, without '..'"));
        char full[512];
        snprintf(full, sizeof full, "%s/%s", h->cfg.output_dir ? h->cfg.output_dir : ".", path);
        f = fopen(full, "ab");
        if (!f) {
            rh_notice(h, "%s: cannot open %s", what, full);
            return ret(r, RUNE_ABI_E_IO);
        }
    }
    h->outs[slot].kind = kind;
    h->outs[slot].file = f;
    const char *nm = rune_cap_param(&params, "x_name");
    snprintf(h->outs[slot].name, sizeof h->outs[slot].name, "%s", nm ? nm : "");
    for (char *c = h->outs[slot].name; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = '_';
    (void)err;
    return ret(r, slot);
}

static void write_json_line(FILE *f, const uint8_t *p, size_t len)
{
    /* One document a line: newlines inside the document (only legal as whitespace) become spaces.
     */
    for (size_t i = 0; i < len; i++)
        fputc(p[i] == '\n' || p[i] == '\r' ? ' ' : p[i], f);
    fputc('\n', f);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Check a TENSOR record (rune/abi.h); returns its element type or -1. */
static int tensor_record_ok(const uint8_t *p, size_t len, uint32_t *rank, uint64_t *n)
{
    if (len < 8) return -1;
    uint32_t elem = rd32(p);
    *rank = rd32(p + 4);
    size_t esz = rune_abi_elem_size((int32_t)elem);
    if (!esz || *rank > RUNE_ABI_MAX_RANK || len < 8 + 4 * (size_t)*rank) return -1;
    *n = 1;
    for (uint32_t i = 0; i < *rank; i++) {
        *n *= rd32(p + 8 + 4 * i);
        if (*n > ((uint64_t)1 << 32)) return -1;
    }
    if (len != 8 + 4 * (size_t)*rank + *n * esz) return -1;
    return (int)elem;
}

static void write_tensor_json(FILE *f, const char *name, const uint8_t *p, uint32_t rank,
                              uint64_t n, int elem)
{
    fputc('{', f);
    if (name && *name) fprintf(f, "\"name\":\"%s\",", name);
    fprintf(f, "\"type\":\"%s\",\"shape\":[", rune_abi_elem_name(elem));
    for (uint32_t i = 0; i < rank; i++)
        fprintf(f, "%s%u", i ? "," : "", rd32(p + 8 + 4 * i));
    fprintf(f, "],\"data\":[");
    const uint8_t *d = p + 8 + 4 * rank;
    for (uint64_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        switch (elem) {
        case RUNE_ELEM_U8: fprintf(f, "%u", d[i]); break;
        case RUNE_ELEM_I8: fprintf(f, "%d", (int8_t)d[i]); break;
        case RUNE_ELEM_U16: fprintf(f, "%u", (unsigned)(d[2 * i] | d[2 * i + 1] << 8)); break;
        case RUNE_ELEM_I16: fprintf(f, "%d", (int16_t)(d[2 * i] | d[2 * i + 1] << 8)); break;
        case RUNE_ELEM_U32: fprintf(f, "%u", rd32(d + 4 * i)); break;
        case RUNE_ELEM_I32: fprintf(f, "%d", (int32_t)rd32(d + 4 * i)); break;
        case RUNE_ELEM_F32: {
            uint32_t u = rd32(d + 4 * i);
            float x;
            memcpy(&x, &u, 4);
            fprintf(f, "%.9g", x);
            break;
        }
        default: {
            uint64_t u = rd32(d + 8 * i) | (uint64_t)rd32(d + 8 * i + 4) << 32;
            double x;
            memcpy(&x, &u, 8);
            fprintf(f, "%.17g", x);
        }
        }
    }
    fprintf(f, "]}\n");
}

int rune_host_render_serial(FILE *f, const char *name, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t rank = 0;
    uint64_t n = 0;
    int elem = len && p[0] != '{' && p[0] != '[' ? tensor_record_ok(p, len, &rank, &n) : -1;
    if (elem >= 0) {
        write_tensor_json(f, name, p, rank, n, elem);
        return 0;
    }
    write_json_line(f, p, len);
    return 0;
}

/* output_write(handle, ptr, len) -> len or an error: the general path (every kind, every refusal,
 * and an instance other than the host's own). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static rune_status
out_write_general(rune_wasm_instance *inst, rune_host *h, const rune_wasm_val *a, rune_wasm_val *r)
{
    const uint32_t hd = a[0].i32, len = a[2].i32;
    if (hd >= RH_MAX_OUTS || !h->outs[hd].kind) return ret(r, RUNE_ABI_E_BAD_HANDLE);
    const uint8_t *p = rh_mem_ptr(h, inst, a[1].i32, len);
    if (!p) return ret(r, RUNE_ABI_E_MEMORY);
    FILE *serial = h->cfg.serial_out ? h->cfg.serial_out : stdout;
    switch (h->outs[hd].kind) {
    case RUNE_OUT_SERIAL: rune_host_render_serial(serial, h->outs[hd].name, p, len); break;
    case RUNE_OUT_TENSOR: {
        uint32_t rank = 0;
        uint64_t n = 0;
        int elem = tensor_record_ok(p, len, &rank, &n);
        if (elem < 0) {
            rh_notice(h, "output tensor: the record does not parse (rune/abi.h layout)");
            return ret(r, RUNE_ABI_E_INVAL);
        }
        if (h->cfg.tensor_out) {
            if (fwrite(p, 1, len, h->cfg.tensor_out) != len) return ret(r, RUNE_ABI_E_IO);
        } else {
            write_tensor_json(serial, h->outs[hd].name, p, rank, n, elem);
        }
        break;
    }
    default:
        if (fwrite(p, 1, len, h->outs[hd].file) != len) return ret(r, RUNE_ABI_E_IO);
    }
    h->stats.outputs_written++;
    return ret(r, (int32_t)len);
}

/* output_write(handle, ptr, len), per inference: a SERIAL output of the host's own instance, the
 * range inside memory. An i32 host function. */
static uint32_t out_write(rune_wasm_hostcall *hc, uint32_t hd, uint32_t ptr, uint32_t len,
                          uint32_t a3, uint32_t a4)
{
    rune_host *h = hc->user;
    (void)a3, (void)a4;
    if (hc->inst != h->mem_inst || hd >= RH_MAX_OUTS || h->outs[hd].kind != RUNE_OUT_SERIAL) {
        rune_wasm_val a[3] = {{.i32 = hd}, {.i32 = ptr}, {.i32 = len}}, r[1] = {{0}};
        out_write_general(hc->inst, h, a, r);
        return r[0].i32;
    }
    const uint8_t *p = rune_wasm_memref_ptr(&h->mem, ptr, len);
    if (!p) return (uint32_t)RUNE_ABI_E_MEMORY;
    h->stats.outputs_written++;
    rune_host_render_serial(h->cfg.serial_out ? h->cfg.serial_out : stdout, h->outs[hd].name, p,
                            len);
    return len;
}

static rune_status out_close(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                             rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    uint32_t hd = a[0].i32;
    if (hd >= RH_MAX_OUTS || !h->outs[hd].kind) return ret(r, RUNE_ABI_E_BAD_HANDLE);
    if (h->outs[hd].file) fclose(h->outs[hd].file);
    h->outs[hd].file = NULL;
    h->outs[hd].kind = 0;
    (void)inst;
    (void)err;
    return ret(r, RUNE_ABI_OK);
}

static const rune_blob *resource_named(rune_host *h, rune_wasm_instance *inst, uint32_t ptr,
                                       uint32_t len, int *status)
{
    const char *name = (const char *)rh_mem_ptr(h, inst, ptr, len);
    if (!name || len == 0 || len > 255) {
        *status = RUNE_ABI_E_MEMORY;
        return NULL;
    }
    char buf[256];
    memcpy(buf, name, len);
    buf[len] = '\0';
    const rune_blob *b = rune_container_resource(h->container, buf);
    if (!b) *status = RUNE_ABI_E_NOT_FOUND;
    return b;
}

static rune_status res_size(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                            rune_wasm_val *r, rune_error *err)
{
    int st = 0;
    const rune_blob *b = resource_named(user, inst, a[0].i32, a[1].i32, &st);
    (void)err;
    return ret(r, b ? (int32_t)b->len : st);
}

static rune_status res_read(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                            rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    int st = 0;
    const rune_blob *b = resource_named(h, inst, a[0].i32, a[1].i32, &st);
    if (!b) return ret(r, st);
    int32_t off = (int32_t)a[2].i32;
    if (off < 0) return ret(r, RUNE_ABI_E_INVAL);
    uint8_t *dst = rh_mem_ptr(h, inst, a[3].i32, a[4].i32);
    if (!dst) return ret(r, RUNE_ABI_E_MEMORY);
    size_t avail = (size_t)off < b->len ? b->len - (size_t)off : 0;
    size_t n = avail < a[4].i32 ? avail : a[4].i32;
    memcpy(dst, b->data + off, n);
    (void)err;
    return ret(r, (int32_t)n);
}

static rune_status guest_log(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                             rune_wasm_val *r, rune_error *err)
{
    rune_host *h = user;
    static const char *const levels[] = {"?", "error", "warn", "info", "debug", "trace"};
    int level = (int)a[0].i32;
    const char *msg = (const char *)rh_mem_ptr(h, inst, a[1].i32, a[2].i32);
    int max = h->cfg.log_level ? h->cfg.log_level : RUNE_LOG_INFO;
    if (msg && level >= RUNE_LOG_ERROR && level <= RUNE_LOG_TRACE && level <= max) {
        FILE *f = h->cfg.log_out ? h->cfg.log_out : stderr;
        fprintf(f, "[%s] %s: %.*s\n", h->name ? h->name : "rune", levels[level], (int)a[2].i32,
                msg);
    }
    (void)r;
    (void)err;
    return RUNE_OK;
}

rune_status rh_define_runic(rune_host *h, rune_wasm_linker *l, rune_error *err)
{
    static const struct {
        const char *name, *sig;
        rune_wasm_host_fn fn;
    } fns[] = {
        {RUNE_ABI_IMPORT_CAPABILITY_OPEN, "iii:i", cap_open},
        {RUNE_ABI_IMPORT_CAPABILITY_CLOSE, "i:i", cap_close},
        {RUNE_ABI_IMPORT_OUTPUT_OPEN, "iii:i", out_open},
        {RUNE_ABI_IMPORT_OUTPUT_CLOSE, "i:i", out_close},
        {RUNE_ABI_IMPORT_RESOURCE_SIZE, "ii:i", res_size},
        {RUNE_ABI_IMPORT_RESOURCE_READ, "iiiii:i", res_read},
        {RUNE_ABI_IMPORT_LOG, "iii:", guest_log},
    };
    /* the per-inference ones: i32 host functions, their arguments in registers */
    static const struct {
        const char *name, *sig;
        rune_wasm_host_i32_fn fn;
    } fns32[] = {
        {RUNE_ABI_IMPORT_CAPABILITY_READ, "iii:i", cap_read},
        {RUNE_ABI_IMPORT_OUTPUT_WRITE, "iii:i", out_write},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        rune_status st = rune_wasm_linker_define_func(l, RUNE_ABI_MODULE, fns[i].name, fns[i].sig,
                                                      fns[i].fn, h, err);
        if (st != RUNE_OK) return st;
    }
    for (size_t i = 0; i < sizeof fns32 / sizeof fns32[0]; i++) {
        rune_status st = rune_wasm_linker_define_i32(l, RUNE_ABI_MODULE, fns32[i].name,
                                                     fns32[i].sig, fns32[i].fn, h, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

void rh_close_handles(rune_host *h)
{
    for (int i = 0; i < RH_MAX_CAPS; i++)
        if (h->caps[i].provider) {
            h->caps[i].provider->close(h->caps[i].state);
            h->caps[i].provider = NULL;
        }
    for (int i = 0; i < RH_MAX_OUTS; i++) {
        if (h->outs[i].file) fclose(h->outs[i].file);
        h->outs[i].file = NULL;
        h->outs[i].kind = 0;
    }
    for (int i = 0; i < RH_MAX_CTXS; i++) {
        rune_nn_interp_free(h->ctxs[i].interp);
        h->ctxs[i].interp = NULL;
        h->ctxs[i].n_in = h->ctxs[i].n_out = 0; /* a free slot has no cached inputs or outputs */
    }
    for (int i = 0; i < RH_MAX_GRAPHS; i++) {
        rune_nn_model_free(h->graphs[i].model);
        rune_free(h->graphs[i].owned);
        h->graphs[i].model = NULL;
        h->graphs[i].owned = NULL;
    }
}
