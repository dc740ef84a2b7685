/*
 * Security tests of the RunicOS host: a rune that opens an undeclared capability, asks for more
 * than it declared, hands the host a bad pointer, reads past its memory, loops forever, recurses
 * without end or traps is stopped with a clear error, and the host goes on to run the next call;
 * a rune whose model section was tampered with is refused before it runs. Both engines.
 */
#include "test.h"

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <unistd.h>

static uint8_t *wasm;
static size_t wasm_len;
static char log_path[64], mode_path[64];

/* A rune around hostile.wasm: RAW capability "input" (length=1), SERIAL output, and optionally a
 * model section (to test tampering). */
static uint8_t *make_rune(size_t *len, int with_model, const char *cap_kind)
{
    rune_manifest *m = NULL;
    rune_manifest_stage *s = NULL;
    rune_error err;
    uint8_t *out = NULL;
    if (rune_manifest_new("hostile", "1.0.0", &m, &err) != RUNE_OK) return NULL;
    rune_manifest_add_stage(m, RUNE_LIST_CAPABILITIES, "input", cap_kind, &s, &err);
    rune_manifest_stage_add_arg(s, "length", "1", &err);
    rune_manifest_add_stage(m, RUNE_LIST_OUTPUTS, "serial", "SERIAL", NULL, &err);
    rune_blob model = {"model", NULL, 0};
    size_t mlen = 0;
    unsigned char *mbytes = NULL;
    if (with_model) {
        mbytes = test_read_file(SHARED("models/hello_world_int8.tflite"), &mlen);
        model.data = mbytes;
        model.len = mlen;
        rune_manifest_add_stage(m, RUNE_LIST_MODELS, "model", "tflite", NULL, &err);
    }
    rune_status st = rune_container_write(wasm, wasm_len, m, &model, with_model ? 1 : 0, NULL, 0,
                                          &out, len, &err);
    CHECK_OK(st, &err);
    rune_manifest_free(m);
    free(mbytes);
    return st == RUNE_OK ? out : NULL;
}

/* The RAW input: the misbehaviour for the first call, then '.' (behave) for the second. */
static void write_mode(char mode)
{
    FILE *f = fopen(mode_path, "wb");
    fputc(mode, f);
    fputc('.', f);
    fclose(f);
}

static char *read_log(void)
{
    size_t n = 0;
    unsigned char *b = test_read_file(log_path, &n);
    if (!b) return NULL;
    char *s = realloc(b, n + 1);
    s[n] = '\0';
    return s;
}

typedef struct outcome {
    rune_status open_st, call_st;
    char msg[RUNE_ERROR_MSG_MAX];
    char *log;
    char serial[256];
    uint64_t denials;
} outcome;

static void run_mode(rune_wasm_engine_kind engine, const uint8_t *rune, size_t len, char mode,
                     uint64_t fuel, outcome *o)
{
    memset(o, 0, sizeof *o);
    write_mode(mode);
    rune_cap_provider *raw = NULL;
    rune_error err;
    CHECK_OK(rune_cap_raw_file(mode_path, 0, &raw, &err), &err);
    FILE *logf = fopen(log_path, "wb");
    FILE *ser = tmpfile();
    rune_host_config cfg = {0};
    cfg.engine = engine;
    cfg.providers = &raw;
    cfg.nproviders = 1;
    cfg.log_out = logf;
    cfg.serial_out = ser;
    cfg.fuel_per_call = fuel;
    cfg.limits.max_call_depth = 512;
    rune_host *h = NULL;
    o->open_st = rune_host_open(rune, len, &cfg, &h, &err);
    if (o->open_st == RUNE_OK) {
        rune_error_clear(&err);
        o->call_st = rune_host_call(h, &err);
        /* The host goes on: the same instance runs a well-behaved call next. */
        rune_error e2;
        rune_status again = rune_host_call(h, &e2);
        CHECK_MSG_(again == RUNE_OK, "mode %c: the next call failed: %s", mode, e2.msg);
        o->denials = rune_host_stats_of(h)->denials;
    }
    snprintf(o->msg, sizeof o->msg, "%s", err.msg);
    rune_host_free(h);
    rune_cap_provider_free(raw);
    fclose(logf);
    o->log = read_log();
    rewind(ser);
    size_t n = fread(o->serial, 1, sizeof o->serial - 1, ser);
    o->serial[n] = '\0';
    fclose(ser);
}

static void security_on(rune_wasm_engine_kind engine)
{
    size_t len = 0;
    uint8_t *rune = make_rune(&len, 0, "RAW");
    if (!rune) return;
    long live = rune_alloc_live();
    outcome o;

    run_mode(engine, rune, len, '.', 0, &o);
    CHECK_OK(o.call_st, NULL);
    CHECK_CONTAINS(o.serial, "{\"ok\":true}");
    free(o.log);

    run_mode(engine, rune, len, 'i', 0, &o);
    CHECK_STATUS(o.call_st, RUNE_E_IO);
    CHECK_CONTAINS(o.msg, "denied");
    CHECK_CONTAINS(o.log, "denied: capability IMAGE: not declared in the manifest");
    CHECK_EQ_INT(o.denials, 1);
    free(o.log);

    run_mode(engine, rune, len, 'p', 0, &o);
    CHECK_STATUS(o.call_st, RUNE_E_IO);
    CHECK_CONTAINS(o.log, "parameter length=4096 differs from the manifest's 1");
    free(o.log);

    run_mode(engine, rune, len, 'm', 0, &o);
    CHECK_STATUS(o.call_st, RUNE_E_IO);
    CHECK_CONTAINS(o.msg, "bad memory range");
    free(o.log);

    run_mode(engine, rune, len, 'o', 0, &o);
    CHECK_STATUS(o.call_st, RUNE_E_TRAP);
    CHECK_CONTAINS(o.msg, "out of bounds memory access");
    free(o.log);

    run_mode(engine, rune, len, 'l', 5u * 1000 * 1000, &o);
    CHECK_STATUS(o.call_st, RUNE_E_LIMIT);
    CHECK_CONTAINS(o.msg, "fuel");
    free(o.log);

    run_mode(engine, rune, len, 'r', 0, &o);
    CHECK_STATUS(o.call_st, RUNE_E_TRAP);
    CHECK_CONTAINS(o.msg, "call stack exhausted");
    free(o.log);

    run_mode(engine, rune, len, 'u', 0, &o);
    CHECK_STATUS(o.call_st, RUNE_E_TRAP);
    CHECK_CONTAINS(o.msg, "unreachable");
    free(o.log);

    CHECK_EQ_INT(rune_alloc_live(), live);
    rune_free(rune);
}

TEST(hostile_rune_on_the_interpreter) { security_on(RUNE_WASM_INTERP); }
TEST(hostile_rune_on_aot) { security_on(RUNE_WASM_AOT); }

TEST(tampered_model_is_refused_before_running)
{
    size_t len = 0;
    uint8_t *rune = make_rune(&len, 1, "RAW");
    if (!rune) return;
    outcome o;
    run_mode(RUNE_WASM_INTERP, rune, len, '.', 0, &o);
    CHECK_OK(o.open_st, NULL);
    free(o.log);
    /* Flip one byte in the middle of the model section's payload. */
    rune_container *c = NULL;
    rune_error err;
    CHECK_OK(rune_container_open(rune, len, &c, &err), &err);
    if (!c) return;
    size_t at = (size_t)(rune_container_model(c, "model")->data - rune) + 100;
    rune_container_free(c);
    rune[at] ^= 0x01;
    run_mode(RUNE_WASM_INTERP, rune, len, '.', 0, &o);
    CHECK_STATUS(o.open_st, RUNE_E_VERIFY);
    CHECK_CONTAINS(o.msg, "digest mismatch");
    CHECK_CONTAINS(o.serial, "");
    CHECK(o.serial[0] == '\0'); /* nothing ran */
    free(o.log);
    rune_free(rune);
}

TEST(capability_the_device_lacks_is_refused_at_open)
{
    size_t len = 0;
    uint8_t *rune = make_rune(&len, 0, "IMAGE");
    if (!rune) return;
    outcome o;
    run_mode(RUNE_WASM_INTERP, rune, len, '.', 0, &o);
    CHECK_STATUS(o.open_st, RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(o.msg, "needs IMAGE input");
    free(o.log);
    rune_free(rune);
}

int main(void)
{
    wasm = test_read_file(HOSTILE_WASM, &wasm_len);
    if (!wasm) {
        fprintf(stderr, "cannot read %s\n", HOSTILE_WASM);
        return 1;
    }
    snprintf(log_path, sizeof log_path, "/tmp/rune-sec-log-%d", (int)getpid());
    snprintf(mode_path, sizeof mode_path, "/tmp/rune-sec-mode-%d", (int)getpid());
    RUN(hostile_rune_on_the_interpreter);
    RUN(hostile_rune_on_aot);
    RUN(tampered_model_is_refused_before_running);
    RUN(capability_the_device_lacks_is_refused_at_open);
    unlink(log_path);
    unlink(mode_path);
    free(wasm);
    return test_report();
}
