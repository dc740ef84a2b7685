/*
 * transport_udp.c - SMP over UDP: one datagram is one SMP message (port 1337 by default).
 *
 * Workload: a client (hmr) talking to one device, and a device agent answering whichever peer sent
 * the last request. No fragmentation here: the client sizes its messages to mtu. IPv4 and IPv6.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rune/alloc.h"
#include "smp_int.h"

typedef struct udp_impl {
    int fd;
    bool server;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    uint16_t port;
} udp_impl;

static rune_status udp_send(rune_smp_transport *t, const uint8_t *msg, size_t len, rune_error *err)
{
    udp_impl *u = t->impl;
    ssize_t n;
    if (u->server) {
        if (!u->peer_len) return RUNE_ERR(err, RUNE_E_ARG, "smp udp: no peer to answer");
        n = sendto(u->fd, msg, len, 0, (struct sockaddr *)&u->peer, u->peer_len);
    } else {
        n = send(u->fd, msg, len, 0);
        /* a connected socket reports an earlier ICMP "port unreachable" on the next call: the
         * device was not up then; that is no reason to fail this send */
        if (n < 0 && errno == ECONNREFUSED) n = send(u->fd, msg, len, 0);
    }
    if (n < 0 || (size_t)n != len)
        return RUNE_ERR(err, RUNE_E_IO, "smp udp: send: %s", n < 0 ? strerror(errno) : "short");
    return RUNE_OK;
}

static rune_status udp_recv(rune_smp_transport *t, uint8_t *buf, size_t cap, size_t *len,
                            int timeout_ms, rune_error *err)
{
    udp_impl *u = t->impl;
    uint64_t deadline = smp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        uint64_t now = smp_now_ms();
        int wait = now >= deadline ? 0 : (int)(deadline - now);
        struct pollfd pfd = {.fd = u->fd, .events = POLLIN};
        int r = poll(&pfd, 1, wait);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return RUNE_ERR(err, RUNE_E_IO, "smp udp: poll: %s", strerror(errno));
        if (r == 0)
            return RUNE_ERR(err, RUNE_E_TIMEOUT, "smp udp: no message in %d ms", timeout_ms);
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(u->fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            /* a client's ICMP port unreachable: the device is not there (yet); keep waiting */
            if (errno == ECONNREFUSED && !u->server) continue;
            return RUNE_ERR(err, RUNE_E_IO, "smp udp: recv: %s", strerror(errno));
        }
        if ((size_t)n > cap)
            return RUNE_ERR(err, RUNE_E_LIMIT, "smp udp: datagram of %zd bytes, buffer holds %zu",
                            n, cap);
        if (u->server) {
            memcpy(&u->peer, &from, from_len);
            u->peer_len = from_len;
        }
        *len = (size_t)n;
        return RUNE_OK;
    }
}

static int udp_pollfd(rune_smp_transport *t, bool *buffered)
{
    *buffered = false;
    return ((udp_impl *)t->impl)->fd;
}

static void udp_close(rune_smp_transport *t)
{
    udp_impl *u = t->impl;
    if (u && u->fd >= 0) close(u->fd);
    rune_free(u);
    rune_free(t);
}

static rune_status udp_open(const char *host, uint16_t port, bool server, rune_smp_transport **out,
                            rune_error *err)
{
    *out = NULL;
    char port_s[8];
    snprintf(port_s, sizeof port_s, "%u", port);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_family = AF_UNSPEC};
    if (server) hints.ai_flags = AI_PASSIVE;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port_s, &hints, &res);
    if (gai != 0)
        return RUNE_ERR(err, RUNE_E_IO, "smp udp: cannot resolve %s: %s", host ? host : "*",
                        gai_strerror(gai));
    rune_smp_transport *t = rune_calloc(1, sizeof *t);
    udp_impl *u = rune_calloc(1, sizeof *u);
    rune_status st = RUNE_OK;
    if (!t || !u) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "smp udp: out of memory");
        goto fail;
    }
    u->fd = -1;
    u->server = server;
    int last_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int ok = server ? bind(fd, ai->ai_addr, ai->ai_addrlen)
                        : connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (ok == 0) {
            u->fd = fd;
            break;
        }
        last_errno = errno;
        close(fd);
    }
    if (u->fd < 0) {
        st = RUNE_ERR(err, RUNE_E_IO, "smp udp: cannot %s %s:%u: %s", server ? "bind" : "connect",
                      host ? host : "*", port, strerror(last_errno));
        goto fail;
    }
    struct sockaddr_storage local;
    socklen_t local_len = sizeof local;
    if (getsockname(u->fd, (struct sockaddr *)&local, &local_len) == 0) {
        char serv[8];
        if (getnameinfo((struct sockaddr *)&local, local_len, NULL, 0, serv, sizeof serv,
                        NI_NUMERICSERV) == 0)
            u->port = (uint16_t)atoi(serv);
    }
    t->name = server ? "udp-server" : "udp";
    t->mtu = RUNE_SMP_UDP_MTU;
    t->send = udp_send;
    t->recv = udp_recv;
    t->close = udp_close;
    t->pollfd = udp_pollfd;
    t->impl = u;
    freeaddrinfo(res);
    *out = t;
    return RUNE_OK;
fail:
    freeaddrinfo(res);
    if (u && u->fd >= 0) close(u->fd);
    rune_free(u);
    rune_free(t);
    return st;
}

rune_status rune_smp_udp_client(const char *host, uint16_t port, rune_smp_transport **out,
                                rune_error *err)
{
    if (!host) return RUNE_ERR(err, RUNE_E_ARG, "smp udp: no host");
    return udp_open(host, port ? port : RUNE_SMP_UDP_PORT, false, out, err);
}

rune_status rune_smp_udp_server(const char *addr, uint16_t port, rune_smp_transport **out,
                                rune_error *err)
{
    return udp_open(addr, port, true, out, err);
}

uint16_t rune_smp_udp_bound_port(const rune_smp_transport *t)
{
    if (!t || t->close != udp_close) return 0;
    return ((const udp_impl *)t->impl)->port;
}
