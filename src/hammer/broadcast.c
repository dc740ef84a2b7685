/*
 * broadcast.c - finding devices without being told where they are: one SMP OS info request (the
 * node name) sent to the broadcast address of every IPv4 interface that has one (getifaddrs),
 * port 1337 by default; whoever answers within the timeout is a network target "ip:port".
 *
 * Workload: `hmr targets ls` on a laptop or a lab machine with a few interfaces and up to a few
 * hundred devices on the segment; one socket, two sends a destination (the second half-way, for a
 * lossy link), answers collected until the timeout. Loopback has no broadcast address: devices on
 * this machine are found through the config file or --probe/--scan.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hammer_int.h"
#include "rune/alloc.h"

rune_status rune_hmr_broadcast_addrs(char (*out)[64], size_t cap, size_t *n, rune_error *err)
{
    *n = 0;
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) != 0) return RUNE_ERR(err, RUNE_E_IO, "getifaddrs failed");
    for (struct ifaddrs *i = ifs; i && *n < cap; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        if ((i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP) ||
            !(i->ifa_flags & IFF_BROADCAST) || !i->ifa_broadaddr)
            continue;
        const struct sockaddr_in *b = (const struct sockaddr_in *)(const void *)i->ifa_broadaddr;
        char text[INET_ADDRSTRLEN];
        if (!inet_ntop(AF_INET, &b->sin_addr, text, sizeof text)) continue;
        bool seen = false;
        for (size_t k = 0; k < *n; k++)
            seen = seen || strcmp(out[k], text) == 0;
        if (!seen) snprintf(out[(*n)++], 64, "%s", text);
    }
    freeifaddrs(ifs);
    return RUNE_OK;
}

/* Add (or mark) the target that answered from `from`. */
static rune_status take(rune_hmr_targets *ts, const struct sockaddr_in *from, rune_smp_msg *m,
                        const uint8_t *buf, size_t len, rune_error *err)
{
    rune_error e;
    if (rune_smp_msg_decode(buf, len, m, &e) != RUNE_OK || m->hdr.group != RUNE_SMP_GROUP_OS ||
        m->hdr.id != RUNE_SMP_OS_INFO || m->hdr.op != RUNE_SMP_OP_READ_RSP)
        return RUNE_OK; /* not an answer to us */
    char name[64] = "", ip[INET_ADDRSTRLEN], addr[80];
    if (rune_cbor_get_textz(&m->doc, 0, "output", name, sizeof name, &e) != RUNE_OK &&
        rune_smp_msg_rc(m, NULL, NULL, 0) == 0)
        return RUNE_OK;
    if (!inet_ntop(AF_INET, &from->sin_addr, ip, sizeof ip)) return RUNE_OK;
    snprintf(addr, sizeof addr, "%s:%u", ip, ntohs(from->sin_port));
    rune_hmr_target *t = NULL;
    for (size_t i = 0; i < ts->n && !t; i++)
        if (ts->v[i].type == RUNE_HMR_UDP && strcmp(ts->v[i].address, addr) == 0) t = &ts->v[i];
    if (!t) {
        if (!(t = hmr_targets_push(ts, err))) return err ? err->status : RUNE_E_NOMEM;
        snprintf(t->id, sizeof t->id, "%s", addr);
        snprintf(t->address, sizeof t->address, "%s", addr);
        t->type = RUNE_HMR_UDP;
        snprintf(t->source, sizeof t->source, "network");
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    t->available = true;
    return RUNE_OK;
}

rune_status rune_hmr_discover(rune_hmr_targets *ts, const char *const *addrs, uint16_t port,
                              int timeout_ms, rune_error *err)
{
    if (!ts) return RUNE_ERR(err, RUNE_E_ARG, "discover: no targets");
    if (port == 0) port = RUNE_SMP_UDP_PORT;
    if (timeout_ms <= 0) timeout_ms = RUNE_HMR_PROBE_MS;
    char found[16][64];
    size_t nfound = 0;
    const char *list[17];
    size_t n = 0;
    if (addrs) {
        for (; addrs[n] && n < 16; n++)
            list[n] = addrs[n];
    } else {
        rune_status st = rune_hmr_broadcast_addrs(found, 16, &nfound, err);
        if (st != RUNE_OK) return st;
        for (; n < nfound; n++)
            list[n] = found[n];
    }
    if (n == 0) return RUNE_OK;
    struct sockaddr_in dst[16];
    for (size_t i = 0; i < n; i++) {
        memset(&dst[i], 0, sizeof dst[i]);
        dst[i].sin_family = AF_INET;
        dst[i].sin_port = htons(port);
        if (inet_pton(AF_INET, list[i], &dst[i].sin_addr) != 1)
            return RUNE_ERR(err, RUNE_E_INVALID, "discover: \"%s\" is not an IPv4 address",
                            list[i]);
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return RUNE_ERR(err, RUNE_E_IO, "discover: socket failed");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    rune_smp_msg *m = rune_malloc(sizeof *m);
    uint8_t *buf = rune_malloc(RUNE_SMP_MAX_MSG);
    rune_status st = RUNE_OK;
    if (!m || !buf) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "discover: out of memory");
        goto done;
    }
    uint8_t req[32];
    size_t req_len = 0;
    if ((st = hmr_os_info_request(0xa5, req, sizeof req, &req_len, err)) != RUNE_OK) goto done;
    uint64_t start = hmr_now_ms(), deadline = start + (uint64_t)timeout_ms;
    int sent = 0;
    for (;;) {
        uint64_t now = hmr_now_ms();
        if (sent < 2 && now >= start + (uint64_t)(sent * timeout_ms / 2)) {
            for (size_t i = 0; i < n; i++)
                (void)sendto(fd, req, req_len, 0, (struct sockaddr *)&dst[i], sizeof dst[i]);
            sent++;
        }
        if (now >= deadline) break;
        uint64_t next = sent < 2 ? start + (uint64_t)(timeout_ms / 2) : deadline;
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, next > now ? (int)(next - now) : 0) <= 0) continue;
        for (;;) {
            struct sockaddr_in from;
            socklen_t fl = sizeof from;
            ssize_t got = recvfrom(fd, buf, RUNE_SMP_MAX_MSG, 0, (struct sockaddr *)&from, &fl);
            if (got < 0) break;
            if (fl == sizeof from && (st = take(ts, &from, m, buf, (size_t)got, err)) != RUNE_OK)
                goto done;
        }
    }
done:
    close(fd);
    rune_free(m);
    rune_free(buf);
    return st;
}
