/*
 * conn.c - a connection to one target: its transport (UDP or serial) and an SMP client over it.
 * Workload: one connection per command of the CLI; tests hold a few at once.
 */
#include <stdio.h>
#include <string.h>

#include "hammer_int.h"

rune_status rune_hmr_connect_transport(rune_smp_transport *t, int timeout_ms, rune_hmr_conn *out,
                                       rune_error *err)
{
    memset(out, 0, sizeof *out);
    if (!t) return RUNE_ERR(err, RUNE_E_ARG, "connect: no transport");
    out->t = t;
    rune_status st = rune_smp_client_init(&out->c, t, err);
    if (st != RUNE_OK) {
        rune_smp_transport_close(t);
        out->t = NULL;
        return st;
    }
    if (timeout_ms > 0) out->c.timeout_ms = timeout_ms;
    return RUNE_OK;
}

rune_status rune_hmr_connect(const rune_hmr_target *target, int timeout_ms, rune_hmr_conn *out,
                             rune_error *err)
{
    memset(out, 0, sizeof *out);
    if (!target) return RUNE_ERR(err, RUNE_E_ARG, "connect: no target");
    rune_smp_transport *t = NULL;
    rune_status st;
    if (target->type == RUNE_HMR_UDP) {
        char host[256];
        uint16_t port;
        st = hmr_split_hostport(target->address, host, sizeof host, &port, err);
        if (st == RUNE_OK) st = rune_smp_udp_client(host, port, &t, err);
    } else if (target->type == RUNE_HMR_SERIAL) {
        st =
            rune_smp_serial_open(target->address, target->baud ? target->baud : 115200, 0, &t, err);
    } else {
        st = RUNE_ERR(err, RUNE_E_ARG, "connect: target %s has no type", target->id);
    }
    if (st != RUNE_OK) return rune_error_prefix(err, "target %s", target->id);
    st = rune_hmr_connect_transport(t, timeout_ms, out, err);
    if (st == RUNE_OK) out->target = *target;
    return st;
}

void rune_hmr_disconnect(rune_hmr_conn *c)
{
    if (!c) return;
    if (c->t) rune_smp_client_free(&c->c);
    rune_smp_transport_close(c->t);
    c->t = NULL;
}
