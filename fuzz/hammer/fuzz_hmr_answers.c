/*
 * fuzz_hmr_answers.c - hmr against a hostile device: the fuzzer's bytes are the device's answers
 * (each [u16 BE length][message]; the sequence number is patched to match the request so the
 * client does not just skip it) to status, metrics, rollback, the Prometheus pages and a whole
 * cast; the first byte picks the operation (or a targets file to parse). Nothing may crash, leak
 * or hang: a fake transport answers at once, and runs out of answers as a timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/hammer.h"
#include "rune/manifest.h"

typedef struct fake {
    const uint8_t *p;
    size_t n;
    uint8_t seq;
} fake;

static rune_status f_send(rune_smp_transport *t, const uint8_t *msg, size_t len, rune_error *err)
{
    fake *f = t->impl;
    if (len >= RUNE_SMP_HDR_LEN) f->seq = msg[6];
    return RUNE_OK;
}

static rune_status f_recv(rune_smp_transport *t, uint8_t *buf, size_t cap, size_t *len,
                          int timeout_ms, rune_error *err)
{
    fake *f = t->impl;
    if (f->n < 2) return RUNE_ERR(err, RUNE_E_TIMEOUT, "fake: no more answers");
    size_t m = (size_t)f->p[0] << 8 | f->p[1];
    f->p += 2;
    f->n -= 2;
    if (m > f->n) m = f->n;
    if (m > cap) m = cap;
    memcpy(buf, f->p, m);
    f->p += m;
    f->n -= m;
    if (m > 6) buf[6] = f->seq;
    *len = m;
    return RUNE_OK;
}

static void f_close(rune_smp_transport *t)
{
    free(t);
}

static uint8_t *rune_bytes;
static size_t rune_len;

static void make_rune(void)
{
    static const uint8_t wasm[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    rune_manifest *m = NULL;
    rune_manifest_stage *s = NULL;
    rune_error err;
    if (rune_manifest_new("f", "1", &m, &err) != RUNE_OK) return;
    rune_manifest_add_stage(m, RUNE_LIST_CAPABILITIES, "rng", "RAND", &s, &err);
    if (rune_container_write(wasm, sizeof wasm, m, NULL, 0, NULL, 0, &rune_bytes, &rune_len,
                             &err) != RUNE_OK)
        rune_bytes = NULL;
    rune_manifest_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rune_bytes) make_rune();
    if (size < 1) return 0;
    uint8_t op = data[0] % 8;
    rune_error err;
    if (op == 7) {
        rune_hmr_targets ts = {0};
        rune_hmr_config_parse((const char *)data + 1, size - 1, "fuzz", &ts, &err);
        rune_hmr_targets_free(&ts);
        return 0;
    }
    rune_smp_transport *t = calloc(1, sizeof *t);
    fake *f = calloc(1, sizeof *f);
    if (!t || !f) {
        free(t);
        free(f);
        return 0;
    }
    f->p = data + 1;
    f->n = size - 1;
    t->name = "fake";
    t->mtu = 1024;
    t->send = f_send;
    t->recv = f_recv;
    t->close = f_close;
    t->impl = f;
    rune_hmr_conn c;
    if (rune_hmr_connect_transport(t, 1, &c, &err) != RUNE_OK) {
        free(f);
        return 0;
    }
    c.c.retries = 0;
    char text[64];
    char *out = NULL;
    uint64_t v;
    rune_hmr_status st;
    switch (op) {
    case 0: rune_hmr_get_status(&c, &st, &err); break;
    case 1: rune_hmr_metric(&c, op & 1 ? "f" : NULL, "p99", &v, &err); break;
    case 2:
        rune_hmr_metrics_json(&c, NULL, &out, &err);
        rune_free(out);
        break;
    case 3: rune_hmr_rollback(&c, text, sizeof text, &err); break;
    case 4:
        rune_hmr_metrics_prometheus(&c, &out, &err);
        rune_free(out);
        break;
    case 5: rune_hmr_start_stop(&c, true, "f", text, sizeof text, &err); break;
    default:
        if (rune_bytes) {
            rune_hmr_cast_opts o = {NULL, NULL, true, 0, -1};
            rune_hmr_cast_result r;
            rune_hmr_cast(&c, rune_bytes, rune_len, &o, &r, &err);
        }
        break;
    }
    rune_hmr_disconnect(&c);
    free(f);
    return 0;
}
