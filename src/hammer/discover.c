/*
 * discover.c - finding targets: serial ports by glob, network devices by an SMP probe.
 *
 * The network probe asks every address at once from one socket per address family (an OS info
 * request for the node name, sent twice: at the start and half-way, for a lossy link) and matches
 * answers by their source address, so probing a range of 50 loopback ports costs one timeout, not
 * fifty. Serial targets are probed one by one through an ordinary connection. Workload: a few to a
 * few hundred addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hammer_int.h"
#include "rune/alloc.h"

rune_status rune_hmr_scan_serial(const char *const *patterns, rune_hmr_targets *ts, rune_error *err)
{
    static const char *const defaults[] = {"/dev/ttyUSB*", "/dev/ttyACM*", NULL};
    if (!patterns) patterns = defaults;
    for (size_t k = 0; patterns[k]; k++) {
        glob_t g;
        memset(&g, 0, sizeof g);
        if (glob(patterns[k], 0, NULL, &g) != 0) {
            globfree(&g);
            continue;
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const char *p = g.gl_pathv[i];
            if (strlen(p) >= sizeof ts->v->address || rune_hmr_targets_find(ts, p)) continue;
            rune_hmr_target *t = hmr_targets_push(ts, err);
            if (!t) {
                globfree(&g);
                return err ? err->status : RUNE_E_NOMEM;
            }
            snprintf(t->id, sizeof t->id, "%s", p);
            snprintf(t->address, sizeof t->address, "%s", p);
            t->type = RUNE_HMR_SERIAL;
            snprintf(t->source, sizeof t->source, "serial");
            int fd = open(p, O_RDWR | O_NOCTTY | O_NONBLOCK);
            t->available = fd >= 0;
            if (fd >= 0) close(fd);
        }
        globfree(&g);
    }
    return RUNE_OK;
}

static bool has_address(const rune_hmr_targets *ts, const char *addr)
{
    for (size_t i = 0; i < ts->n; i++)
        if (ts->v[i].type == RUNE_HMR_UDP && strcmp(ts->v[i].address, addr) == 0) return true;
    return false;
}

static rune_status push_udp(rune_hmr_targets *ts, const char *addr, rune_error *err)
{
    if (has_address(ts, addr)) return RUNE_OK;
    rune_hmr_target *t = hmr_targets_push(ts, err);
    if (!t) return err ? err->status : RUNE_E_NOMEM;
    snprintf(t->id, sizeof t->id, "%s", addr);
    snprintf(t->address, sizeof t->address, "%s", addr);
    t->type = RUNE_HMR_UDP;
    snprintf(t->source, sizeof t->source, "network");
    return RUNE_OK;
}

rune_status rune_hmr_add_udp(rune_hmr_targets *ts, const char *host, uint16_t lo, uint16_t hi,
                             rune_error *err)
{
    if (!ts || !host) return RUNE_ERR(err, RUNE_E_ARG, "targets: no host");
    char h[256];
    uint16_t port;
    if (lo == 0) {
        rune_status st = hmr_split_hostport(host, h, sizeof h, &port, err);
        if (st != RUNE_OK) return st;
        if (strlen(host) >= sizeof ts->v->id)
            return RUNE_ERR(err, RUNE_E_INVALID, "address \"%s\" is too long", host);
        return push_udp(ts, host, err);
    }
    if (hi < lo) return RUNE_ERR(err, RUNE_E_ARG, "targets: port range %u-%u is empty", lo, hi);
    if (strlen(host) > 200)
        return RUNE_ERR(err, RUNE_E_INVALID, "host \"%.40s...\" is too long", host);
    bool v6 = strchr(host, ':') != NULL;
    for (unsigned p = lo; p <= hi; p++) {
        char addr[256];
        snprintf(addr, sizeof addr, v6 ? "[%s]:%u" : "%s:%u", host, p);
        rune_status st = push_udp(ts, addr, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

/* One UDP target being probed. */
typedef struct probe_slot {
    struct sockaddr_storage sa;
    socklen_t sa_len;
    int fam;
    bool ok, answered;
} probe_slot;

static int probe_socket(int fam)
{
    int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void take_answer(rune_hmr_target *t, rune_smp_msg *m, const uint8_t *buf, size_t len)
{
    rune_error e;
    if (rune_smp_msg_decode(buf, len, m, &e) != RUNE_OK) return;
    if (m->hdr.group != RUNE_SMP_GROUP_OS || m->hdr.id != RUNE_SMP_OS_INFO ||
        m->hdr.op != RUNE_SMP_OP_READ_RSP)
        return;
    char name[64] = "";
    if (rune_cbor_get_textz(&m->doc, 0, "output", name, sizeof name, &e) != RUNE_OK &&
        rune_smp_msg_rc(m, NULL, NULL, 0) == 0)
        return;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->available = true;
}

static rune_status probe_udp(rune_hmr_targets *ts, int timeout_ms, rune_error *err)
{
    size_t n = ts->n;
    probe_slot *slots = rune_calloc(n ? n : 1, sizeof *slots);
    rune_smp_msg *m = rune_malloc(sizeof *m);
    uint8_t *buf = rune_malloc(RUNE_SMP_MAX_MSG);
    rune_status st = RUNE_OK;
    int fd4 = -1, fd6 = -1;
    if (!slots || !m || !buf) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "probe: out of memory");
        goto done;
    }
    size_t want = 0;
    for (size_t i = 0; i < n; i++) {
        rune_hmr_target *t = &ts->v[i];
        if (t->type != RUNE_HMR_UDP) continue;
        t->available = false;
        t->name[0] = 0;
        char host[256], port[8];
        uint16_t p;
        rune_error e;
        if (hmr_split_hostport(t->address, host, sizeof host, &p, &e) != RUNE_OK) continue;
        snprintf(port, sizeof port, "%u", p);
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_DGRAM;
        if (getaddrinfo(host, port, &hints, &res) != 0 || !res) continue;
        memcpy(&slots[i].sa, res->ai_addr, res->ai_addrlen);
        slots[i].sa_len = res->ai_addrlen;
        slots[i].fam = res->ai_family;
        slots[i].ok = true;
        freeaddrinfo(res);
        if (slots[i].fam == AF_INET && fd4 < 0) fd4 = probe_socket(AF_INET);
        if (slots[i].fam == AF_INET6 && fd6 < 0) fd6 = probe_socket(AF_INET6);
        want++;
    }
    if (want == 0) goto done;
    /* the request: OS info, format "n" (the node name) */
    uint8_t req[32];
    size_t req_len = 0;
    if ((st = hmr_os_info_request(0x5a, req, sizeof req, &req_len, err)) != RUNE_OK) goto done;
    uint64_t start = hmr_now_ms(), deadline = start + (uint64_t)timeout_ms;
    int rounds_sent = 0;
    size_t answered = 0;
    for (;;) {
        uint64_t now = hmr_now_ms();
        if (rounds_sent < 2 && now >= start + (uint64_t)(rounds_sent * timeout_ms / 2)) {
            for (size_t i = 0; i < n; i++) {
                if (!slots[i].ok || slots[i].answered) continue;
                int fd = slots[i].fam == AF_INET ? fd4 : fd6;
                if (fd >= 0)
                    (void)sendto(fd, req, req_len, 0, (struct sockaddr *)&slots[i].sa,
                                 slots[i].sa_len);
            }
            rounds_sent++;
        }
        if (answered == want || now >= deadline) break;
        uint64_t next = rounds_sent < 2 ? start + (uint64_t)(timeout_ms / 2) : deadline;
        if (next > deadline) next = deadline;
        struct pollfd pf[2] = {{fd4, POLLIN, 0}, {fd6, POLLIN, 0}};
        int wait = next > now ? (int)(next - now) : 0;
        if (poll(pf, 2, wait) <= 0) continue;
        for (int k = 0; k < 2; k++) {
            if (pf[k].fd < 0 || !(pf[k].revents & POLLIN)) continue;
            for (;;) {
                struct sockaddr_storage from;
                socklen_t flen = sizeof from;
                ssize_t got =
                    recvfrom(pf[k].fd, buf, RUNE_SMP_MAX_MSG, 0, (struct sockaddr *)&from, &flen);
                if (got < 0) break;
                for (size_t i = 0; i < n; i++) {
                    if (!slots[i].ok || slots[i].answered || !same_addr(&slots[i].sa, &from))
                        continue;
                    take_answer(&ts->v[i], m, buf, (size_t)got);
                    if (ts->v[i].available) {
                        slots[i].answered = true;
                        answered++;
                    }
                    break;
                }
            }
        }
    }
done:
    if (fd4 >= 0) close(fd4);
    if (fd6 >= 0) close(fd6);
    rune_free(slots);
    rune_free(m);
    rune_free(buf);
    return st;
}

static void probe_serial(rune_hmr_target *t, int timeout_ms)
{
    rune_hmr_conn c;
    rune_error e;
    t->name[0] = 0;
    if (rune_hmr_connect(t, timeout_ms, &c, &e) != RUNE_OK) {
        t->available = false;
        return;
    }
    c.c.retries = 1;
    char name[64];
    t->available = rune_smp_os_info(&c.c, "n", name, sizeof name, &e) == RUNE_OK;
    if (t->available) snprintf(t->name, sizeof t->name, "%s", name);
    rune_hmr_disconnect(&c);
}

rune_status rune_hmr_probe(rune_hmr_targets *ts, int timeout_ms, unsigned flags, rune_error *err)
{
    if (!ts) return RUNE_ERR(err, RUNE_E_ARG, "probe: no targets");
    if (timeout_ms <= 0) timeout_ms = RUNE_HMR_PROBE_MS;
    rune_status st = probe_udp(ts, timeout_ms, err);
    if (st != RUNE_OK) return st;
    for (size_t i = 0; i < ts->n; i++) {
        rune_hmr_target *t = &ts->v[i];
        if (t->type != RUNE_HMR_SERIAL) continue;
        if (strcmp(t->source, "config") == 0 ||
            ((flags & RUNE_HMR_PROBE_SERIAL_PORTS) && t->available))
            probe_serial(t, timeout_ms);
    }
    if (flags & RUNE_HMR_PROBE_DROP_SILENT) {
        size_t k = 0;
        for (size_t i = 0; i < ts->n; i++)
            if (ts->v[i].available || strcmp(ts->v[i].source, "network") != 0)
                ts->v[k++] = ts->v[i];
        ts->n = k;
    }
    return RUNE_OK;
}

rune_status hmr_os_info_request(uint8_t seq, uint8_t *req, size_t cap, size_t *len, rune_error *err)
{
    uint8_t body[16];
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, body, sizeof body);
    rune_cbor_put_map(&e, 1);
    rune_cbor_put_textz(&e, "format");
    rune_cbor_put_textz(&e, "n");
    rune_smp_hdr h = {RUNE_SMP_OP_READ, RUNE_SMP_V2, 0, 0, RUNE_SMP_GROUP_OS, seq,
                      RUNE_SMP_OS_INFO};
    return rune_smp_msg_build(&h, body, e.len, req, cap, len, err);
}
