/*
 * test_hostcalls.c - the RunicOS host's per-inference imports, called from inside a rune
 * (guests/hostcalls.wat forwards its exports' arguments to the imports) on both engines:
 * capability_read (RAND, f32 and u8 readings), output_write (SERIAL, TENSOR, FILE),
 * set_input / compute / get_output (the sine model, hello_world_float.tflite). Each call's fast
 * path and every refusal: bad handles and contexts, guest ranges outside memory (before and after
 * memory.grow: the host must see the grown memory), wrong tensor type, shape or length, an output
 * that does not fit, with the errno the guest gets and the notice the host logs. Results are
 * compared with the model engine and the RAND provider used directly. And rh_copy, the small
 * copy those paths use, for every length up to 40.
 */
#include "test.h"

#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/nn.h"
#include "rune/runicos.h"

#include "host_int.h" /* rh_copy */

#include <unistd.h>

#define PAGE 65536u

static uint8_t *wasm;
static size_t wasm_len;

/* The rune: RAND capability (count=2), SERIAL, TENSOR and FILE outputs, the sine model "model". */
static uint8_t *make_rune(size_t *len, unsigned char **model_out, size_t *model_len)
{
    rune_manifest *m = NULL;
    rune_manifest_stage *s = NULL;
    rune_error err;
    uint8_t *out = NULL;
    CHECK_OK(rune_manifest_new("hostcalls", "1.0.0", &m, &err), &err);
    if (!m) return NULL;
    rune_manifest_add_stage(m, RUNE_LIST_CAPABILITIES, "rand", "RAND", &s, &err);
    rune_manifest_stage_add_arg(s, "count", "2", &err);
    rune_manifest_add_stage(m, RUNE_LIST_OUTPUTS, "serial", "SERIAL", NULL, &err);
    rune_manifest_add_stage(m, RUNE_LIST_OUTPUTS, "tensor", "TENSOR", NULL, &err);
    rune_manifest_add_stage(m, RUNE_LIST_OUTPUTS, "file", "FILE", NULL, &err);
    rune_manifest_add_stage(m, RUNE_LIST_MODELS, "model", "tflite", NULL, &err);
    *model_out = test_read_file(SHARED("models/hello_world_float.tflite"), model_len);
    CHECK(*model_out != NULL);
    rune_blob model = {"model", *model_out, *model_len};
    CHECK_OK(rune_container_write(wasm, wasm_len, m, &model, 1, NULL, 0, &out, len, &err), &err);
    rune_manifest_free(m);
    return out;
}

typedef struct fixture {
    rune_host *h;
    rune_wasm_instance *inst;
    FILE *log, *serial, *tensor;
    rune_cap_provider *rand;
} fixture;

static uint32_t call(fixture *f, const char *name, int n, uint32_t a0, uint32_t a1, uint32_t a2,
                     uint32_t a3, uint32_t a4)
{
    rune_wasm_val a[5] = {{.i32 = a0}, {.i32 = a1}, {.i32 = a2}, {.i32 = a3}, {.i32 = a4}};
    rune_wasm_val r = {.i64 = 0};
    rune_error err;
    CHECK_OK(rune_wasm_call(f->inst, name, a, (size_t)n, &r, 1, &err), &err);
    return r.i32;
}
#define CALL1(f, name, x) call(f, name, 1, x, 0, 0, 0, 0)
#define CALL2(f, name, x, y) call(f, name, 2, x, y, 0, 0, 0)
#define CALL3(f, name, x, y, z) call(f, name, 3, x, y, z, 0, 0)
#define CALL5(f, name, a, b, c, d, e) call(f, name, 5, a, b, c, d, e)

static void poke(fixture *f, uint32_t addr, const void *p, size_t len)
{
    rune_error err;
    CHECK_OK(rune_wasm_memory_write(f->inst, addr, p, len, &err), &err);
}
static void poke32(fixture *f, uint32_t addr, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    poke(f, addr, b, 4);
}
static uint32_t peek32(fixture *f, uint32_t addr)
{
    uint8_t b[4] = {0};
    rune_error err;
    CHECK_OK(rune_wasm_memory_read(f->inst, addr, b, 4, &err), &err);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
/* A text at addr; returns its length. */
static uint32_t put_text(fixture *f, uint32_t addr, const char *s)
{
    poke(f, addr, s, strlen(s));
    return (uint32_t)strlen(s);
}

/* The host log so far, from the start (a fresh string; free it). */
static char *log_text(fixture *f)
{
    fflush(f->log);
    long n = ftell(f->log);
    char *s = malloc((size_t)n + 1);
    rewind(f->log);
    size_t got = fread(s, 1, (size_t)n, f->log);
    s[got] = '\0';
    fseek(f->log, 0, SEEK_END);
    return s;
}
#define CHECK_LOG(f, needle)                                                                       \
    do {                                                                                           \
        char *l_ = log_text(f);                                                                    \
        CHECK_CONTAINS(l_, needle);                                                                \
        free(l_);                                                                                  \
    } while (0)

/* A tensor record at addr: dims at addr+32, data at data_ptr. */
static void put_tensor(fixture *f, uint32_t addr, const uint32_t *dims, uint32_t ndims,
                       uint8_t type, uint32_t data_ptr, uint32_t data_len)
{
    uint8_t t[RUNE_ABI_NN_TENSOR_SIZE] = {0};
    poke(f, addr, t, sizeof t);
    for (uint32_t i = 0; i < ndims; i++)
        poke32(f, addr + 32 + 4 * i, dims[i]);
    poke32(f, addr + RUNE_ABI_NN_TENSOR_DIMS_PTR, addr + 32);
    poke32(f, addr + RUNE_ABI_NN_TENSOR_DIMS_LEN, ndims);
    poke(f, addr + RUNE_ABI_NN_TENSOR_TYPE, &type, 1);
    poke32(f, addr + RUNE_ABI_NN_TENSOR_DATA_PTR, data_ptr);
    poke32(f, addr + RUNE_ABI_NN_TENSOR_DATA_LEN, data_len);
}

/* sin-ish(x) from the model engine used directly: what the rune must get. */
static uint32_t model_direct(const unsigned char *model, size_t len, float x)
{
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    rune_error err;
    uint32_t y = 0xffffffffu;
    CHECK_OK(rune_nn_model_load(model, len, &m, &err), &err);
    if (m) CHECK_OK(rune_nn_interp_create(m, NULL, 0, &it, &err), &err);
    if (it) {
        CHECK_OK(rune_nn_interp_set_input(it, 0, &x, 4, &err), &err);
        CHECK_OK(rune_nn_interp_invoke(it, &err), &err);
        const void *d = NULL;
        size_t n = 0;
        CHECK_OK(rune_nn_interp_output(it, 0, &d, &n, &err), &err);
        if (n == 4) memcpy(&y, d, 4);
    }
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    return y;
}

static void nn_calls(fixture *f, const unsigned char *model, size_t model_len)
{
    uint32_t name = put_text(f, 100, "model");
    CHECK_EQ_INT(CALL3(f, "load_by_name", 100, name, 200), RUNE_NN_SUCCESS);
    uint32_t g = peek32(f, 200);
    /* The model section is 16-aligned in the rune, so the model engine used its float weights in
     * place: it kept no more than for the same model loaded from its own (malloc-aligned) buffer.
     */
    rune_nn_model *alone = NULL;
    rune_error err;
    CHECK_OK(rune_nn_model_load(model, model_len, &alone, &err), &err);
    CHECK_EQ_INT(rune_host_stats_of(f->h)->nn_model_bytes, rune_nn_model_persistent_bytes(alone));
    CHECK_EQ_INT(rune_host_stats_of(f->h)->nn_arena_bytes, rune_nn_model_arena_size(alone));
    rune_nn_model_free(alone);
    CHECK_EQ_INT(CALL2(f, "init", g, 204), RUNE_NN_SUCCESS);
    uint32_t ctx = peek32(f, 204);
    const uint32_t d11[2] = {1, 1}, d1[1] = {1}, d2[1] = {2};
    const float xs[3] = {0.5f, 1.0f, 2.5f};
    for (int i = 0; i < 3; i++) {
        poke(f, 300, &xs[i], 4);
        put_tensor(f, 400, d11, 2, RUNE_NN_TYPE_F32, 300, 4);
        CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_SUCCESS);
        CHECK_EQ_INT(CALL1(f, "compute", ctx), RUNE_NN_SUCCESS);
        poke32(f, 508, 0);
        CHECK_EQ_INT(CALL5(f, "get_output", ctx, 0, 500, 8, 508), RUNE_NN_SUCCESS);
        CHECK_EQ_INT(peek32(f, 508), 4);
        CHECK_EQ_INT(peek32(f, 500), model_direct(model, model_len, xs[i]));
    }
    /* [1] is as good as [1,1] */
    put_tensor(f, 400, d1, 1, RUNE_NN_TYPE_F32, 300, 4);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_SUCCESS);
    /* the host remembers the record that passed; a change to its dims alone (the record's bytes
     * the same) is still seen, and so is the change back */
    poke32(f, 432, 2);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    CHECK_LOG(f, "the model takes 1 elements (4 bytes) but the rune sent 2 elements (4 bytes)");
    poke32(f, 432, 1);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_SUCCESS);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_SUCCESS);

    /* refusals of set_input, each with its notice */
    put_tensor(f, 400, d11, 2, RUNE_NN_TYPE_U8, 300, 4);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    CHECK_LOG(f, "set_input 0: the model takes float32 but the rune sent tensor type 2");
    put_tensor(f, 400, d2, 1, RUNE_NN_TYPE_F32, 300, 8);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    CHECK_LOG(f, "the model takes 1 elements (4 bytes) but the rune sent 2 elements (8 bytes)");
    put_tensor(f, 400, d11, 2, RUNE_NN_TYPE_F32, 300, 3);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    CHECK_LOG(f, "but the rune sent 1 elements (3 bytes)");
    put_tensor(f, 400, d11, 2, RUNE_NN_TYPE_F32, 300, 4);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 1, 400), RUNE_NN_INVALID_ARGUMENT);
    CHECK_LOG(f, "set_input: the model has no input 1");
    CHECK_EQ_INT(CALL3(f, "set_input", 7, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    CHECK_EQ_INT(CALL3(f, "set_input", 1000, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    /* ranges outside memory: the record, its dims, its data */
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, PAGE - 19), RUNE_NN_INVALID_ARGUMENT);
    put_tensor(f, 400, d11, 2, RUNE_NN_TYPE_F32, PAGE - 2, 4);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    put_tensor(f, 400, d11, 2, RUNE_NN_TYPE_F32, 300, 4);
    poke32(f, 400 + RUNE_ABI_NN_TENSOR_DIMS_PTR, PAGE - 4);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    poke32(f, 400 + RUNE_ABI_NN_TENSOR_DIMS_PTR, 432);
    poke32(f, 400 + RUNE_ABI_NN_TENSOR_DIMS_LEN, 17);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    CHECK_EQ_INT(CALL1(f, "compute", 3), RUNE_NN_INVALID_ARGUMENT);

    /* refusals of get_output */
    CHECK_EQ_INT(CALL5(f, "get_output", ctx, 0, 500, 3, 508), RUNE_NN_TOO_LARGE);
    CHECK_LOG(f, "get_output 0: 4 bytes do not fit the rune's 3-byte buffer");
    CHECK_EQ_INT(CALL5(f, "get_output", ctx, 1, 500, 8, 508), RUNE_NN_INVALID_ARGUMENT);
    CHECK_LOG(f, "wasi-nn: get_output 1:");
    CHECK_EQ_INT(CALL5(f, "get_output", 5, 0, 500, 8, 508), RUNE_NN_INVALID_ARGUMENT);
    CHECK_EQ_INT(CALL5(f, "get_output", ctx, 0, PAGE - 3, 4, 508), RUNE_NN_INVALID_ARGUMENT);
    CHECK_EQ_INT(CALL5(f, "get_output", ctx, 0, 500, 8, PAGE - 2), RUNE_NN_INVALID_ARGUMENT);

    /* after memory.grow, the new page is reachable by both calls */
    const uint32_t hi = PAGE + 100;
    put_tensor(f, 400, d11, 2, RUNE_NN_TYPE_F32, hi, 4);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_INVALID_ARGUMENT);
    CHECK_EQ_INT(CALL5(f, "get_output", ctx, 0, hi + 8, 4, hi + 12), RUNE_NN_INVALID_ARGUMENT);
    CHECK_EQ_INT(CALL1(f, "grow", 1), 1);
    poke(f, hi, &xs[1], 4);
    CHECK_EQ_INT(CALL3(f, "set_input", ctx, 0, 400), RUNE_NN_SUCCESS);
    CHECK_EQ_INT(CALL1(f, "compute", ctx), RUNE_NN_SUCCESS);
    CHECK_EQ_INT(CALL5(f, "get_output", ctx, 0, hi + 8, 4, hi + 12), RUNE_NN_SUCCESS);
    CHECK_EQ_INT(peek32(f, hi + 8), model_direct(model, model_len, xs[1]));
    CHECK_EQ_INT(peek32(f, hi + 12), 4);
    CHECK_EQ_INT(rune_host_stats_of(f->h)->inferences, 4);
}

static void cap_calls(fixture *f)
{
    /* the same stream as the provider gives directly (same seed, same params) */
    uint32_t pf = put_text(f, 100, "count=2\nx_elem=f32");
    uint32_t hf = CALL3(f, "cap_open", RUNE_CAP_RAND, 100, pf);
    CHECK((int32_t)hf >= 0);
    rune_cap_params params;
    rune_error err;
    void *st = NULL;
    CHECK_OK(rune_cap_params_parse(RUNE_CAP_RAND, "count=2\nx_elem=f32", pf, &params, &err), &err);
    CHECK_OK(f->rand->open(f->rand, &params, &st, &err), &err);
    for (int i = 0; i < 3; i++) {
        uint8_t want[8] = {0}, got[8] = {0};
        CHECK_EQ_INT(f->rand->read(st, want, sizeof want, &err), 8);
        CHECK_EQ_INT(CALL3(f, "cap_read", hf, 600, 8), 8);
        CHECK_OK(rune_wasm_memory_read(f->inst, 600, got, 8, &err), &err);
        CHECK(memcmp(want, got, 8) == 0);
        float v[2];
        memcpy(v, got, 8);
        CHECK(v[0] >= 0.0f && v[0] < 1.0f && v[1] >= 0.0f && v[1] < 1.0f && v[0] != v[1]);
    }
    f->rand->close(st);
    /* u8 readings (the default element) */
    uint32_t pu = put_text(f, 100, "count=2");
    uint32_t hu = CALL3(f, "cap_open", RUNE_CAP_RAND, 100, pu);
    CHECK((int32_t)hu >= 0 && hu != hf);
    CHECK_EQ_INT(CALL3(f, "cap_read", hu, 600, 2), 2);
    /* refusals */
    CHECK_EQ_INT(CALL3(f, "cap_read", hf, 600, 7), (uint32_t)RUNE_ABI_E_LIMIT);
    CHECK_LOG(f, "capability read: buffer of 7 bytes is smaller than one reading (8)");
    const uint32_t end = (uint32_t)rune_wasm_memory_size(f->inst);
    CHECK_EQ_INT(CALL3(f, "cap_read", hf, end - 4, 8), (uint32_t)RUNE_ABI_E_MEMORY);
    CHECK_EQ_INT(CALL3(f, "cap_read", hf, end - 8, 8), 8);
    CHECK_EQ_INT(CALL3(f, "cap_read", 9, 600, 8), (uint32_t)RUNE_ABI_E_BAD_HANDLE);
    CHECK_EQ_INT(CALL3(f, "cap_read", 100000, 600, 8), (uint32_t)RUNE_ABI_E_BAD_HANDLE);
    uint64_t reads = rune_host_stats_of(f->h)->capability_reads;
    CHECK_EQ_INT(reads, 5);
}

static void out_calls(fixture *f)
{
    /* a tensor record: f32 [2] = {0.5, -2} */
    uint8_t rec[16];
    const float v[2] = {0.5f, -2.0f};
    uint32_t hdr[3] = {RUNE_ELEM_F32, 1, 2};
    memcpy(rec, hdr, 12);
    memcpy(rec + 12, &v[0], 4);
    uint8_t full[20];
    memcpy(full, rec, 16);
    memcpy(full + 16, &v[1], 4);
    poke(f, 700, full, sizeof full);

    uint32_t ps = put_text(f, 100, "x_name=sine");
    uint32_t hs = CALL3(f, "out_open", RUNE_OUT_SERIAL, 100, ps);
    CHECK((int32_t)hs >= 0);
    CHECK_EQ_INT(CALL3(f, "out_write", hs, 700, 20), 20);
    uint32_t pt = put_text(f, 100, "x_name=t");
    uint32_t ht = CALL3(f, "out_open", RUNE_OUT_TENSOR, 100, pt);
    CHECK((int32_t)ht >= 0);
    CHECK_EQ_INT(CALL3(f, "out_write", ht, 700, 20), 20);
    CHECK_EQ_INT(CALL3(f, "out_write", ht, 700, 19), (uint32_t)RUNE_ABI_E_INVAL);
    CHECK_LOG(f, "output tensor: the record does not parse");
    uint32_t pfile = put_text(f, 100, "path=out.bin");
    uint32_t hfile = CALL3(f, "out_open", RUNE_OUT_FILE, 100, pfile);
    CHECK((int32_t)hfile >= 0);
    CHECK_EQ_INT(CALL3(f, "out_write", hfile, 700, 5), 5);
    /* refusals */
    const uint32_t end = (uint32_t)rune_wasm_memory_size(f->inst);
    CHECK_EQ_INT(CALL3(f, "out_write", hs, end - 10, 20), (uint32_t)RUNE_ABI_E_MEMORY);
    CHECK_EQ_INT(CALL3(f, "out_write", 15, 700, 20), (uint32_t)RUNE_ABI_E_BAD_HANDLE);
    CHECK_EQ_INT(CALL3(f, "out_write", 99, 700, 20), (uint32_t)RUNE_ABI_E_BAD_HANDLE);
    CHECK_EQ_INT(rune_host_stats_of(f->h)->outputs_written, 3);

    /* what came out: one JSON line on serial, the raw record on the tensor stream, 5 bytes */
    char line[256] = {0};
    fflush(f->serial);
    rewind(f->serial);
    size_t n = fread(line, 1, sizeof line - 1, f->serial);
    line[n] = '\0';
    CHECK_CONTAINS(line, "{\"name\":\"sine\",\"type\":\"f32\",\"shape\":[2],\"data\":[0.5,-2]}\n");
    uint8_t raw[32];
    fflush(f->tensor);
    rewind(f->tensor);
    CHECK_EQ_INT(fread(raw, 1, sizeof raw, f->tensor), 20);
    CHECK(memcmp(raw, full, 20) == 0);
}

static void run_on(rune_wasm_engine_kind engine)
{
    size_t len = 0, model_len = 0;
    unsigned char *model = NULL;
    uint8_t *rune = make_rune(&len, &model, &model_len);
    if (!rune) {
        free(model);
        return;
    }
    long live = rune_alloc_live();
    char dir[] = "/tmp/rune_hostcalls_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    fixture f = {0};
    rune_error err;
    CHECK_OK(rune_cap_random(42, &f.rand, &err), &err);
    f.log = tmpfile();
    f.serial = tmpfile();
    f.tensor = tmpfile();
    rune_host_config cfg = {0};
    cfg.engine = engine;
    cfg.providers = &f.rand;
    cfg.nproviders = 1;
    cfg.log_out = f.log;
    cfg.serial_out = f.serial;
    cfg.tensor_out = f.tensor;
    cfg.output_dir = dir;
    rune_status st = rune_host_open(rune, len, &cfg, &f.h, &err);
    if (st == RUNE_E_UNSUPPORTED && engine == RUNE_WASM_AOT) {
        fprintf(stderr, "note: the AOT engine is not built in, skipped\n");
    } else {
        CHECK_OK(st, &err);
    }
    if (f.h) {
        f.inst = rune_host_instance(f.h);
        CHECK_OK(rune_host_call(f.h, &err), &err);
        nn_calls(&f, model, model_len);
        cap_calls(&f);
        out_calls(&f);
        /* the rune still runs */
        CHECK_OK(rune_host_call(f.h, &err), &err);
        CHECK_EQ_INT(rune_host_stats_of(f.h)->calls, 2);
    }
    int opened = f.h != NULL;
    rune_host_free(f.h);
    if (opened) {
        /* the FILE output, closed with the host: the 5 bytes written */
        char path[512];
        snprintf(path, sizeof path, "%s/out.bin", dir);
        size_t flen = 0;
        unsigned char *fb = test_read_file(path, &flen);
        CHECK_EQ_INT(flen, 5);
        CHECK(fb && memcmp(fb, (const uint32_t[]){RUNE_ELEM_F32, 1}, 5) == 0);
        free(fb);
        unlink(path);
    }
    rune_cap_provider_free(f.rand);
    fclose(f.log);
    fclose(f.serial);
    fclose(f.tensor);
    rmdir(dir);
    CHECK_EQ_INT(rune_alloc_live(), live);
    rune_free(rune);
    free(model);
}

/* rh_copy, the per-inference copy (overlapping word moves up to 16 bytes, memcpy beyond): every
 * length from 0 to 40 copies exactly those bytes and touches nothing around them. */
TEST(small_copies)
{
    uint8_t src[48], dst[64];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= 40; n++) {
        memset(dst, 0xa5, sizeof dst);
        rh_copy(dst + 8, src + 3, n);
        int ok = memcmp(dst + 8, src + 3, n) == 0;
        for (size_t i = 0; i < sizeof dst; i++)
            if ((i < 8 || i >= 8 + n) && dst[i] != 0xa5) ok = 0;
        CHECK_MSG_(ok, "rh_copy of %zu bytes", n);
    }
}

TEST(hostcalls_on_the_interpreter)
{
    run_on(RUNE_WASM_INTERP);
}
TEST(hostcalls_on_aot)
{
    run_on(RUNE_WASM_AOT);
}

int main(void)
{
    wasm = test_read_file(HOSTCALLS_WASM, &wasm_len);
    if (!wasm) {
        fprintf(stderr, "cannot read %s\n", HOSTCALLS_WASM);
        return 1;
    }
    RUN(small_copies);
    RUN(hostcalls_on_the_interpreter);
    RUN(hostcalls_on_aot);
    free(wasm);
    return test_report();
}
