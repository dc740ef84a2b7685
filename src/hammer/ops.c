/*
 * ops.c - watching and undoing: status, manual rollback, start/stop, metrics (JSON, one number,
 * Prometheus text) over one connection. Each is one or two SMP requests; answers are read in
 * place from the client's last response. Workload: a CLI command or a test's poll loop.
 */
#include <stdio.h>
#include <string.h>

#include "hammer_int.h"
#include "rune/agent.h"
#include "rune/alloc.h"

static void on_rune(void *ud, const rune_smp_rune_info *r)
{
    rune_hmr_status *s = ud;
    if (s->n < sizeof s->runes / sizeof s->runes[0]) s->runes[s->n++] = *r;
}

rune_status rune_hmr_get_status(rune_hmr_conn *c, rune_hmr_status *out, rune_error *err)
{
    memset(out, 0, sizeof *out);
    rune_status st = rune_smp_rune_status(&c->c, NULL, on_rune, out, err);
    if (st != RUNE_OK) return st;
    const rune_cbor_doc *d = &c->c.rsp->doc;
    rune_error e;
    rune_cbor_get_textz(d, 0, "device", out->device, sizeof out->device, &e);
    rune_cbor_get_textz(d, 0, "provider", out->provider, sizeof out->provider, &e);
    rune_cbor_get_textz(d, 0, "previous", out->previous, sizeof out->previous, &e);
    rune_cbor_get_bool(d, 0, "probation", &out->probation, &e);
    return RUNE_OK;
}

rune_status rune_hmr_rollback(rune_hmr_conn *c, char *name, size_t cap, rune_error *err)
{
    rune_smp_image_slot s[4];
    size_t n = 0;
    rune_status st = rune_smp_image_state(&c->c, NULL, 0, false, s, 4, &n, err);
    if (st != RUNE_OK) return st;
    const rune_smp_image_slot *prev = NULL;
    for (size_t i = 0; i < n; i++)
        if (!s[i].active && s[i].hash_len == 32) prev = &s[i];
    if (!prev)
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "rollback: the device holds no previous rune");
    uint8_t hash[32];
    memcpy(hash, prev->hash, 32);
    st = rune_smp_image_state(&c->c, hash, 32, true, s, 4, &n, err);
    if (st != RUNE_OK) return rune_error_prefix(err, "rollback");
    rune_hmr_status stat;
    if (name && cap) {
        name[0] = 0;
        if (rune_hmr_get_status(c, &stat, err) == RUNE_OK && stat.n)
            snprintf(name, cap, "%s", stat.runes[0].name);
    }
    return RUNE_OK;
}

rune_status rune_hmr_start_stop(rune_hmr_conn *c, bool start, const char *name, char *state,
                                size_t cap, rune_error *err)
{
    rune_status st =
        rune_smp_rune_cmd(&c->c, start ? RUNE_SMP_RUNE_START : RUNE_SMP_RUNE_STOP, name, err);
    if (st != RUNE_OK) return st;
    if (state && cap) {
        rune_error e;
        state[0] = 0;
        rune_cbor_get_textz(&c->c.rsp->doc, 0, "state", state, cap, &e);
    }
    return RUNE_OK;
}

static rune_status metrics_request(rune_hmr_conn *c, const char *name, rune_error *err)
{
    uint8_t body[96];
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, body, sizeof body);
    rune_cbor_put_map(&e, name ? 1 : 0);
    if (name) {
        rune_cbor_put_textz(&e, "name");
        rune_cbor_put_textz(&e, name);
    }
    rune_status st = rune_cbor_enc_finish(&e, err);
    if (st != RUNE_OK) return st;
    return rune_smp_client_request(&c->c, RUNE_SMP_OP_READ, RUNE_SMP_GROUP_RUNE,
                                   RUNE_SMP_RUNE_METRICS, body, e.len, err);
}

rune_status rune_hmr_metrics_json(rune_hmr_conn *c, const char *name, char **json, rune_error *err)
{
    *json = NULL;
    rune_status st = metrics_request(c, name, err);
    if (st != RUNE_OK) return st;
    return rune_hmr_cbor_to_json(&c->c.rsp->doc, 0, json, err);
}

rune_status rune_hmr_metric(rune_hmr_conn *c, const char *rune, const char *key, uint64_t *out,
                            rune_error *err)
{
    rune_status st = metrics_request(c, NULL, err);
    if (st != RUNE_OK) return st;
    const rune_cbor_doc *d = &c->c.rsp->doc;
    long runes = rune_cbor_map_find(d, 0, "runes");
    if (runes < 0 || d->items[runes].type != RUNE_CBOR_ARRAY)
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "metrics: the answer has no runes array");
    for (uint32_t i = 0; i < d->items[runes].count; i++) {
        long r = rune_cbor_array_at(d, (uint32_t)runes, i);
        long nm = r < 0 ? -1 : rune_cbor_map_find(d, (uint32_t)r, "name");
        if (nm < 0 || (rune && !rune_cbor_text_eq(d, (uint32_t)nm, rune))) continue;
        rune_error e;
        if (rune_cbor_get_uint(d, (uint32_t)r, key, out, &e) == RUNE_OK) return RUNE_OK;
        long lat = rune_cbor_map_find(d, (uint32_t)r, "latency_us");
        if (lat >= 0 && rune_cbor_get_uint(d, (uint32_t)lat, key, out, &e) == RUNE_OK)
            return RUNE_OK;
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "metrics: no \"%s\" for rune %s", key,
                        rune ? rune : "(any)");
    }
    return RUNE_ERR(err, RUNE_E_NOT_FOUND, "metrics: no rune %s on the device",
                    rune ? rune : "at all");
}

rune_status rune_hmr_metrics_prometheus(rune_hmr_conn *c, char **text, rune_error *err)
{
    *text = NULL;
    char *buf = NULL;
    size_t have = 0;
    uint64_t off = 0, total = 0;
    for (int page = 0; page < 4096; page++) {
        uint8_t body[32];
        rune_cbor_enc e;
        rune_cbor_enc_init(&e, body, sizeof body);
        rune_cbor_put_map(&e, 1);
        rune_cbor_put_textz(&e, "off");
        rune_cbor_put_uint(&e, off);
        rune_status st = rune_smp_client_request(&c->c, RUNE_SMP_OP_READ, RUNE_SMP_GROUP_RUNE,
                                                 RUNE_AGENT_SMP_PROMETHEUS, body, e.len, err);
        const char *p = NULL;
        size_t n = 0;
        uint64_t next = 0;
        if (st == RUNE_OK) st = rune_cbor_get_text(&c->c.rsp->doc, 0, "text", &p, &n, err);
        if (st == RUNE_OK) st = rune_cbor_get_uint(&c->c.rsp->doc, 0, "off", &next, err);
        if (st == RUNE_OK) st = rune_cbor_get_uint(&c->c.rsp->doc, 0, "len", &total, err);
        if (st == RUNE_OK && (next < off || next > total || total > (64u << 20)))
            st = RUNE_ERR(err, RUNE_E_PROTOCOL, "prometheus: bad page offsets");
        if (st == RUNE_OK) {
            char *nb = rune_realloc(buf, have + n + 1);
            if (!nb)
                st = RUNE_ERR(err, RUNE_E_NOMEM, "prometheus: out of memory");
            else {
                buf = nb;
                memcpy(buf + have, p, n);
                have += n;
                buf[have] = 0;
            }
        }
        if (st != RUNE_OK) {
            rune_free(buf);
            return st;
        }
        off = next;
        if (off >= total || n == 0) break;
    }
    if (!buf) buf = rune_strdup("");
    if (!buf) return RUNE_ERR(err, RUNE_E_NOMEM, "prometheus: out of memory");
    *text = buf;
    return RUNE_OK;
}
