/*
 * saga_smp.c - LibSaga on the SMP rune group: the device-side handlers of the metrics and logs
 * commands, and the client-side reader of a metrics answer.
 *
 * Workload: hmr asking a device for its health every second or so. A logs answer is capped at
 * RUNE_SAGA_SMP_LOGS_MAX entries so that it fits one message; the client pages with "next".
 */
#include <string.h>

#include "saga_int.h"

/* Copy a reason text, cut to fit. */
static void set_rsn(rune_smp_request *req, const char *msg)
{
    size_t n = strlen(msg);
    if (n > sizeof req->rsn - 1) n = sizeof req->rsn - 1;
    memcpy(req->rsn, msg, n);
    req->rsn[n] = 0;
}

static int name_arg(rune_smp_request *req, char *name, size_t cap, bool *given)
{
    rune_error e;
    rune_status st = rune_cbor_get_textz(&req->msg->doc, 0, "name", name, cap, &e);
    *given = st == RUNE_OK;
    if (st == RUNE_OK || st == RUNE_E_NOT_FOUND) return RUNE_SMP_ERR_OK;
    set_rsn(req, "\"name\" must be a text of at most 63 bytes");
    return RUNE_SMP_ERR_INVAL;
}

static int h_metrics(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    char name[RUNE_SAGA_NAME_MAX + 1];
    bool given;
    int rc = name_arg(req, name, sizeof name, &given);
    if (rc != RUNE_SMP_ERR_OK) return rc;
    rune_error e;
    if (rune_saga_cbor_metrics(ud, given ? name : NULL, rsp, &e) != RUNE_OK) {
        set_rsn(req, e.msg);
        return RUNE_SMP_ERR_NOENT;
    }
    return RUNE_SMP_ERR_OK;
}

static int h_logs(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    char name[RUNE_SAGA_NAME_MAX + 1];
    bool given;
    int rc = name_arg(req, name, sizeof name, &given);
    if (rc != RUNE_SMP_ERR_OK) return rc;
    uint64_t since = 0, max = RUNE_SAGA_SMP_LOGS_MAX;
    rune_error e;
    if (rune_cbor_get_uint(&req->msg->doc, 0, "since", &since, &e) == RUNE_E_INVALID ||
        rune_cbor_get_uint(&req->msg->doc, 0, "max", &max, &e) == RUNE_E_INVALID) {
        set_rsn(req, e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    if (max > RUNE_SAGA_SMP_LOGS_MAX) max = RUNE_SAGA_SMP_LOGS_MAX;
    rune_saga_cbor_logs(ud, since, (size_t)max, given ? name : NULL, rsp, NULL);
    return RUNE_SMP_ERR_OK;
}

rune_status rune_saga_register_smp(rune_saga *s, rune_smp_server *srv, rune_error *err)
{
    rune_status st = rune_smp_server_register(srv, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_METRICS,
                                              RUNE_SMP_OP_READ, h_metrics, s, err);
    if (st != RUNE_OK) return st;
    return rune_smp_server_register(srv, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_LOGS, RUNE_SMP_OP_READ,
                                    h_logs, s, err);
}

rune_status rune_saga_metrics_parse(const rune_cbor_doc *doc, uint64_t *uptime_ms,
                                    void (*fn)(void *ud, const rune_saga_stats *st), void *ud,
                                    rune_error *err)
{
    rune_error e;
    if (rune_cbor_get_uint(doc, 0, "uptime_ms", uptime_ms, &e) != RUNE_OK)
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "metrics answer: %s", e.msg);
    long arr = rune_cbor_map_find(doc, 0, "runes");
    if (arr < 0 || doc->items[arr].type != RUNE_CBOR_ARRAY)
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "metrics answer has no \"runes\" array");
    for (uint32_t k = 0; k < doc->items[arr].count; k++) {
        long m = rune_cbor_array_at(doc, (uint32_t)arr, k);
        rune_saga_stats rs;
        memset(&rs, 0, sizeof rs);
        if (m < 0) return RUNE_ERR(err, RUNE_E_PROTOCOL, "metrics answer: entry %u missing", k);
        uint32_t r = (uint32_t)m;
        long lat = rune_cbor_map_find(doc, r, "latency_us");
        const struct {
            uint32_t map;
            const char *key;
            uint64_t *out;
        } fields[] = {
            {r, "uptime_ms", &rs.uptime_ms},
            {r, "inferences", &rs.inferences},
            {r, "traps", &rs.traps},
            {r, "cap_reads", &rs.cap_reads},
            {r, "mem_bytes", &rs.mem_bytes},
            {(uint32_t)lat, "count", &rs.lat_count},
            {(uint32_t)lat, "sum", &rs.lat_sum},
            {(uint32_t)lat, "min", &rs.lat_min},
            {(uint32_t)lat, "max", &rs.lat_max},
            {(uint32_t)lat, "p50", &rs.p50},
            {(uint32_t)lat, "p90", &rs.p90},
            {(uint32_t)lat, "p99", &rs.p99},
        };
        if (lat < 0 || rune_cbor_get_textz(doc, r, "name", rs.name, sizeof rs.name, &e) != RUNE_OK)
            return RUNE_ERR(err, RUNE_E_PROTOCOL, "metrics answer: entry %u is not a rune", k);
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (rune_cbor_get_uint(doc, fields[i].map, fields[i].key, fields[i].out, &e) != RUNE_OK)
                return RUNE_ERR(err, RUNE_E_PROTOCOL, "metrics answer: entry %u: %s", k, e.msg);
        if (fn) fn(ud, &rs);
    }
    return RUNE_OK;
}
