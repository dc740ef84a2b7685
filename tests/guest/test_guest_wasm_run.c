/*
 * test_guest_wasm_run.c - run the wasm32 build of a rune: wasm/tiny_rune.c (the micro_speech
 * pipeline as generated code would write it) is compiled against librune_guest.a, translated by
 * wabt's wasm2c and linked here with small host imports (a test double of the runic and
 * wasi_ephemeral_nn modules over the instance's linear memory). This checks what the native tests
 * cannot: that the wasm32 build of the fft block (wasi-libc's libm, 32-bit pointers) computes the
 * same features bit for bit, that the ABI records (WASI-NN tensor, params) have the documented
 * layout in wasm memory, and that errors come back through _manifest/_call and runic.log.
 */
#include <stdint.h>

#include "guest/wav.h"
#include "rune/abi.h"
#include "test.h"
#include "tiny_rune_w2c.h"
#include "wasm-rt-impl.h"

struct Z_runic_instance_t {
    wasm_rt_memory_t *mem;
    const int16_t *audio;
    size_t audio_len, pos;
    int deny_sound;
    char out[1024];
    size_t out_len;
    char log[600];
    int log_level;
};
struct Z_wasi_ephemeral_nn_instance_t {
    wasm_rt_memory_t *mem;
    const unsigned char *yes, *no; /* the reference features */
    int which;                     /* 1 yes, 2 no, 0 unknown */
    uint32_t dims[4], rank, type, len;
};
struct Z_wasi_snapshot_preview1_instance_t {
    wasm_rt_memory_t *mem;
};

static uint8_t *at(wasm_rt_memory_t *m, uint32_t addr, uint32_t len)
{
    if ((uint64_t)addr + len > m->size) return NULL;
    return m->data + addr;
}
static uint32_t rd32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

enum { SOUND_H = 3, SERIAL_H = 4 };

u32 Z_runicZ_capability_open(struct Z_runic_instance_t *h, u32 kind, u32 p, u32 n)
{
    const uint8_t *params = at(h->mem, p, n);
    if (!params) return (u32)RUNE_ABI_E_MEMORY;
    if (kind != RUNE_CAP_SOUND) return (u32)RUNE_ABI_E_UNSUPPORTED;
    if (h->deny_sound) return (u32)RUNE_ABI_E_DENIED;
    if (n != 22 || memcmp(params, "hz=16000\nsamples=16000", 22) != 0) return (u32)RUNE_ABI_E_INVAL;
    return SOUND_H;
}

u32 Z_runicZ_capability_read(struct Z_runic_instance_t *h, u32 handle, u32 buf, u32 len)
{
    uint8_t *dst = at(h->mem, buf, len);
    if (handle != SOUND_H) return (u32)RUNE_ABI_E_BAD_HANDLE;
    if (!dst) return (u32)RUNE_ABI_E_MEMORY;
    if (len < 32000) return (u32)RUNE_ABI_E_LIMIT;
    if (h->pos + 16000 > h->audio_len) return (u32)RUNE_ABI_E_END;
    for (size_t i = 0; i < 16000; i++) {
        uint16_t v = (uint16_t)h->audio[h->pos + i];
        dst[2 * i] = (uint8_t)v;
        dst[2 * i + 1] = (uint8_t)(v >> 8);
    }
    h->pos += 16000;
    return 32000;
}

u32 Z_runicZ_output_open(struct Z_runic_instance_t *h, u32 kind, u32 p, u32 n)
{
    (void)p;
    (void)n;
    (void)h;
    return kind == RUNE_OUT_SERIAL ? SERIAL_H : (u32)RUNE_ABI_E_UNSUPPORTED;
}

u32 Z_runicZ_output_write(struct Z_runic_instance_t *h, u32 handle, u32 p, u32 n)
{
    const uint8_t *src = at(h->mem, p, n);
    if (handle != SERIAL_H) return (u32)RUNE_ABI_E_BAD_HANDLE;
    if (!src) return (u32)RUNE_ABI_E_MEMORY;
    if (h->out_len + n + 2 > sizeof h->out) return (u32)RUNE_ABI_E_LIMIT;
    memcpy(h->out + h->out_len, src, n);
    h->out_len += n;
    h->out[h->out_len++] = '\n';
    h->out[h->out_len] = 0;
    return n;
}

u32 Z_runicZ_resource_size(struct Z_runic_instance_t *h, u32 p, u32 n)
{
    (void)h;
    (void)p;
    (void)n;
    return (u32)RUNE_ABI_E_NOT_FOUND;
}

u32 Z_runicZ_resource_read(struct Z_runic_instance_t *h, u32 p, u32 n, u32 off, u32 b, u32 l)
{
    (void)h;
    (void)p;
    (void)n;
    (void)off;
    (void)b;
    (void)l;
    return (u32)RUNE_ABI_E_NOT_FOUND;
}

void Z_runicZ_log(struct Z_runic_instance_t *h, u32 level, u32 p, u32 n)
{
    const uint8_t *msg = at(h->mem, p, n);
    if (!msg) return;
    h->log_level = (int)level;
    snprintf(h->log, sizeof h->log, "%.*s", (int)n, (const char *)msg);
}

u32 Z_wasi_ephemeral_nnZ_load_by_name(struct Z_wasi_ephemeral_nn_instance_t *h, u32 p, u32 n,
                                      u32 out)
{
    const uint8_t *name = at(h->mem, p, n);
    uint8_t *o = at(h->mem, out, 4);
    if (!name || !o) return RUNE_NN_INVALID_ARGUMENT;
    if (n != 5 || memcmp(name, "model", 5) != 0) return RUNE_NN_NOT_FOUND;
    wr32(o, 1);
    return RUNE_NN_SUCCESS;
}

u32 Z_wasi_ephemeral_nnZ_init_execution_context(struct Z_wasi_ephemeral_nn_instance_t *h, u32 g,
                                                u32 out)
{
    uint8_t *o = at(h->mem, out, 4);
    if (!o || g != 1) return RUNE_NN_INVALID_ARGUMENT;
    wr32(o, 9);
    return RUNE_NN_SUCCESS;
}

u32 Z_wasi_ephemeral_nnZ_set_input(struct Z_wasi_ephemeral_nn_instance_t *h, u32 ctx, u32 index,
                                   u32 tp)
{
    /* The 20-byte witx tensor record, read at the offsets rune/abi.h documents. */
    const uint8_t *t = at(h->mem, tp, RUNE_ABI_NN_TENSOR_SIZE);
    if (!t || ctx != 9 || index != 0) return RUNE_NN_INVALID_ARGUMENT;
    h->rank = rd32(t + RUNE_ABI_NN_TENSOR_DIMS_LEN);
    h->type = t[RUNE_ABI_NN_TENSOR_TYPE];
    h->len = rd32(t + RUNE_ABI_NN_TENSOR_DATA_LEN);
    const uint8_t *dims = at(h->mem, rd32(t + RUNE_ABI_NN_TENSOR_DIMS_PTR), h->rank * 4);
    const uint8_t *data = at(h->mem, rd32(t + RUNE_ABI_NN_TENSOR_DATA_PTR), h->len);
    if (!dims || !data || h->rank > 4) return RUNE_NN_INVALID_ARGUMENT;
    for (uint32_t i = 0; i < h->rank; i++)
        h->dims[i] = rd32(dims + 4 * i);
    h->which = 0;
    if (h->len == 1960 && memcmp(data, h->yes, 1960) == 0) h->which = 1;
    if (h->len == 1960 && memcmp(data, h->no, 1960) == 0) h->which = 2;
    return RUNE_NN_SUCCESS;
}

u32 Z_wasi_ephemeral_nnZ_compute(struct Z_wasi_ephemeral_nn_instance_t *h, u32 ctx)
{
    /* Stand-in for the model: it only knows TensorFlow's exact features for yes and no. */
    return ctx == 9 && h->which ? RUNE_NN_SUCCESS : RUNE_NN_RUNTIME_ERROR;
}

u32 Z_wasi_ephemeral_nnZ_get_output(struct Z_wasi_ephemeral_nn_instance_t *h, u32 ctx, u32 index,
                                    u32 out, u32 max, u32 written)
{
    static const int8_t yes[4] = {-50, -5, 121, -4}, no[4] = {-61, 37, -13, 68};
    uint8_t *o = at(h->mem, out, max), *w = at(h->mem, written, 4);
    if (!o || !w || ctx != 9 || index != 0 || max < 4) return RUNE_NN_INVALID_ARGUMENT;
    memcpy(o, h->which == 1 ? yes : no, 4);
    wr32(w, 4);
    return RUNE_NN_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_write(struct Z_wasi_snapshot_preview1_instance_t *h, u32 fd,
                                       u32 iovs, u32 n, u32 nwritten)
{
    uint32_t total = 0;
    for (u32 i = 0; i < n; i++) {
        const uint8_t *iov = at(h->mem, iovs + 8 * i, 8);
        if (!iov) return 21; /* EFAULT */
        const uint8_t *b = at(h->mem, rd32(iov), rd32(iov + 4));
        if (!b) return 21;
        if (fd == 1 || fd == 2) fwrite(b, 1, rd32(iov + 4), stderr);
        total += rd32(iov + 4);
    }
    uint8_t *w = at(h->mem, nwritten, 4);
    if (w) wr32(w, total);
    return 0;
}
u32 Z_wasi_snapshot_preview1Z_fd_seek(struct Z_wasi_snapshot_preview1_instance_t *h, u32 fd,
                                      u64 off, u32 whence, u32 out)
{
    (void)h;
    (void)fd;
    (void)off;
    (void)whence;
    (void)out;
    return 70; /* ESPIPE */
}
u32 Z_wasi_snapshot_preview1Z_fd_close(struct Z_wasi_snapshot_preview1_instance_t *h, u32 fd)
{
    (void)h;
    (void)fd;
    return 8; /* EBADF */
}

static int16_t *wav(const char *name, size_t *n)
{
    size_t len = 0;
    uint32_t rate;
    const char *why;
    unsigned char *b = test_read_file(SHARED(name), &len);
    int16_t *s = b ? wav_parse(b, len, n, &rate, &why) : NULL;
    free(b);
    return s;
}

static Z_tiny_instance_t inst;
static struct Z_runic_instance_t runic;
static struct Z_wasi_ephemeral_nn_instance_t nn;
static struct Z_wasi_snapshot_preview1_instance_t wasi;

/* Instantiate, run _initialize and _manifest; returns _manifest's result (or 1000 + trap). */
static int32_t start(void)
{
    Z_tiny_instantiate(&inst, &runic, &nn, &wasi);
    runic.mem = nn.mem = wasi.mem = Z_tinyZ_memory(&inst);
    wasm_rt_trap_t trap = wasm_rt_impl_try();
    if (trap) return 1000 + (int32_t)trap;
    Z_tinyZ__initialize(&inst);
    return (int32_t)Z_tinyZ__manifest(&inst);
}

static int32_t call(void)
{
    wasm_rt_trap_t trap = wasm_rt_impl_try();
    if (trap) return 1000 + (int32_t)trap;
    return (int32_t)Z_tinyZ__call(&inst);
}

TEST(pipeline_in_wasm)
{
    size_t ny = 0, nn_ = 0, l1 = 0, l2 = 0;
    int16_t *yes = wav("testdata/yes_1000ms.wav", &ny), *no = wav("testdata/no_1000ms.wav", &nn_);
    unsigned char *fy = test_read_file(SHARED("testdata/yes_micro_features_1960_int8.bin"), &l1);
    unsigned char *fn = test_read_file(SHARED("testdata/no_micro_features_1960_int8.bin"), &l2);
    CHECK(yes && no && fy && fn && ny == 16000 && nn_ == 16000);
    if (!yes || !no || !fy || !fn) return;
    static int16_t both[32000];
    memcpy(both, yes, 32000);
    memcpy(both + 16000, no, 32000);
    memset(&runic, 0, sizeof runic);
    memset(&nn, 0, sizeof nn);
    runic.audio = both;
    runic.audio_len = 32000;
    nn.yes = fy;
    nn.no = fn;

    CHECK_EQ_INT(start(), 0);
    CHECK_EQ_INT(call(), 0);
    CHECK_EQ_INT(nn.which, 1); /* the wasm build's features are TensorFlow's, bit for bit */
    CHECK_EQ_INT(nn.type, RUNE_NN_TYPE_U8);
    CHECK_EQ_INT(nn.rank, 2);
    CHECK_EQ_INT(nn.dims[0], 1);
    CHECK_EQ_INT(nn.dims[1], 1960);
    CHECK_EQ_INT(call(), 0);
    CHECK_EQ_INT(nn.which, 2);
    CHECK_STR(runic.out, "{\"name\":\"label\",\"labels\":[\"yes\"]}\n"
                         "{\"name\":\"label\",\"labels\":[\"no\"]}\n");
    /* Third call: the recording is used up. */
    CHECK_EQ_INT(call(), RUNE_ABI_E_IO);
    CHECK_EQ_INT(runic.log_level, RUNE_LOG_ERROR);
    CHECK_CONTAINS(runic.log, "capability_read: host returned end of input (-9)");
    Z_tiny_free(&inst);
    free(yes);
    free(no);
    free(fy);
    free(fn);
}

TEST(denied_capability_fails_manifest)
{
    memset(&runic, 0, sizeof runic);
    memset(&nn, 0, sizeof nn);
    runic.deny_sound = 1;
    CHECK_EQ_INT(start(), RUNE_ABI_E_DENIED);
    CHECK_EQ_INT(runic.log_level, RUNE_LOG_ERROR);
    CHECK_STR(runic.log, "capability sound: capability_open: host returned denied (-2)");
    Z_tiny_free(&inst);
}

int main(void)
{
    wasm_rt_init();
    Z_tiny_init_module();
    RUN(pipeline_in_wasm);
    RUN(denied_capability_fails_manifest);
    wasm_rt_free();
    return test_report();
}
