/*
 * bench_smp.c - how much of a link an SMP image upload uses.
 *
 *   UDP loopback: upload throughput vs a raw stop-and-wait UDP exchange of the same datagram size
 *                 (send mtu bytes, wait for a 16-byte ack), measured in the same run.
 *   serial (pty): unpaced throughput, and paced runs where every message waits the time its framed
 *                 bytes take on a UART at 115200 / 921600 baud (8N1: 10 bits a byte), in both
 *                 directions, so the ratio to the raw link rate (baud / 10 bytes/s) shows the cost
 *                 of base64 framing, headers and request/answer turnaround (a pty itself has no
 * rate). Usage: bench_smp [udp_MB]   (default 8)
 */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rune/smp.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a device: OS handlers and an image receiver that keeps nothing ---- */

typedef struct dev {
    rune_smp_server *srv;
    rune_smp_transport *t;
    rune_smp_img_recv recv;
    atomic_int stop;
    pthread_t th;
} dev;

static int sink_write(void *ud, size_t off, const uint8_t *data, size_t len)
{
    return 0;
}

static void *dev_loop(void *p)
{
    dev *d = p;
    while (!atomic_load(&d->stop))
        rune_smp_server_serve(d->srv, d->t, 20, NULL);
    return NULL;
}

static int dev_start(dev *d, rune_smp_transport *t)
{
    memset(d, 0, sizeof *d);
    d->t = t;
    if (rune_smp_server_create(&d->srv, NULL) != RUNE_OK) return -1;
    rune_smp_server_register_os(d->srv, t->mtu, NULL);
    rune_smp_img_sink sink = {NULL, sink_write, NULL, NULL};
    rune_smp_img_recv_init(&d->recv, &sink, 1u << 30);
    rune_smp_img_recv_register(&d->recv, d->srv, NULL);
    return pthread_create(&d->th, NULL, dev_loop, d);
}

static void dev_stop(dev *d)
{
    atomic_store(&d->stop, 1);
    pthread_join(d->th, NULL);
    rune_smp_server_destroy(d->srv);
}

/* ---- pacing wrapper: a send takes as long as its framed bytes take on the line ---- */

typedef struct paced {
    rune_smp_transport base;
    rune_smp_transport *inner;
    int baud;
    atomic_ullong *line_bytes;
} paced;

static rune_status paced_send(rune_smp_transport *t, const uint8_t *msg, size_t len,
                              rune_error *err)
{
    paced *p = (paced *)t;
    size_t n = rune_smp_serial_frame_size(len);
    atomic_fetch_add(p->line_bytes, n);
    if (p->baud) {
        double s = (double)n * 10.0 / p->baud;
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return p->inner->send(p->inner, msg, len, err);
}

static rune_status paced_recv(rune_smp_transport *t, uint8_t *buf, size_t cap, size_t *len,
                              int timeout_ms, rune_error *err)
{
    paced *p = (paced *)t;
    return p->inner->recv(p->inner, buf, cap, len, timeout_ms, err);
}

static void paced_wrap(paced *p, rune_smp_transport *inner, int baud, atomic_ullong *counter)
{
    memset(p, 0, sizeof *p);
    p->inner = inner;
    p->baud = baud;
    p->line_bytes = counter;
    p->base.name = inner->name;
    p->base.mtu = inner->mtu;
    p->base.send = paced_send;
    p->base.recv = paced_recv;
}

static int upload(rune_smp_transport *t, const uint8_t *img, size_t len, double *secs)
{
    rune_smp_client c;
    rune_error err;
    if (rune_smp_client_init(&c, t, &err) != RUNE_OK) return -1;
    c.timeout_ms = 3000;
    rune_smp_upload u;
    double t0 = now_s();
    rune_status st = rune_smp_upload_begin(&u, &c, img, len, 0, &err);
    if (st == RUNE_OK) st = rune_smp_upload_run(&u, &c, &err);
    *secs = now_s() - t0;
    if (st != RUNE_OK) fprintf(stderr, "upload failed: %s\n", err.msg);
    rune_smp_client_free(&c);
    return st == RUNE_OK && u.match ? 0 : -1;
}

/* ---- raw UDP stop-and-wait baseline ---- */

static void *raw_echo(void *p)
{
    int fd = *(int *)p;
    uint8_t buf[2048];
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n <= 0 || buf[0] == 0xee) break;
        sendto(fd, buf, 16, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

static double raw_udp(size_t total, size_t dgram)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    connect(c, (struct sockaddr *)&a, sizeof a);
    pthread_t th;
    pthread_create(&th, NULL, raw_echo, &s);
    uint8_t buf[2048] = {0};
    double t0 = now_s();
    for (size_t sent = 0; sent < total; sent += dgram) {
        send(c, buf, dgram, 0);
        recv(c, buf + 1024, 1024, 0);
    }
    double secs = now_s() - t0;
    buf[0] = 0xee;
    send(c, buf, 1, 0);
    pthread_join(th, NULL);
    close(s);
    close(c);
    return (double)total / secs;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : 8;
    size_t len = mb << 20;
    uint8_t *img = malloc(len);
    for (size_t i = 0; i < len; i++)
        img[i] = (uint8_t)((i * 2654435761u) >> 11);

    /* UDP */
    rune_smp_transport *st = NULL, *ct = NULL;
    if (rune_smp_udp_server("127.0.0.1", 0, &st, NULL) != RUNE_OK) return 1;
    dev d;
    dev_start(&d, st);
    rune_smp_udp_client("127.0.0.1", rune_smp_udp_bound_port(st), &ct, NULL);
    double secs = 0;
    int bad = upload(ct, img, len, &secs);
    double smp_rate = (double)len / secs;
    double raw_rate = raw_udp(len, RUNE_SMP_UDP_MTU);
    printf("udp loopback: smp upload %.1f MB/s, raw stop-and-wait %zu-byte datagrams %.1f MB/s, "
           "ratio %.2f\n",
           smp_rate / 1e6, (size_t)RUNE_SMP_UDP_MTU, raw_rate / 1e6, smp_rate / raw_rate);
    rune_smp_transport_close(ct);
    dev_stop(&d);
    rune_smp_transport_close(st);

    /* serial over a pty */
    const struct {
        int baud;
        size_t bytes;
    } runs[] = {{0, 2u << 20}, {115200, 48u << 10}, {921600, 384u << 10}};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        int m = posix_openpt(O_RDWR | O_NOCTTY);
        if (m < 0 || grantpt(m) || unlockpt(m)) return 1;
        rune_smp_transport *cs = NULL, *ds = NULL;
        int baud = runs[r].baud ? runs[r].baud : 921600;
        if (rune_smp_serial_open(ptsname(m), baud, 0, &cs, NULL) != RUNE_OK ||
            rune_smp_serial_fdopen(m, true, false, baud, 0, &ds, NULL) != RUNE_OK)
            return 1;
        atomic_ullong line = 0;
        paced pc, pd;
        paced_wrap(&pc, cs, runs[r].baud, &line);
        paced_wrap(&pd, ds, runs[r].baud, &line);
        dev_start(&d, &pd.base);
        bad |= upload(&pc.base, img, runs[r].bytes, &secs);
        dev_stop(&d);
        double rate = (double)runs[r].bytes / secs;
        double eff = (double)runs[r].bytes / (double)atomic_load(&line);
        if (runs[r].baud)
            printf("serial %6d baud (paced pty): %.1f KB/s of %.1f KB/s raw link, ratio %.3f; "
                   "payload/line bytes %.3f\n",
                   runs[r].baud, rate / 1e3, runs[r].baud / 10.0 / 1e3,
                   rate / (runs[r].baud / 10.0), eff);
        else
            printf("serial unpaced pty: %.1f MB/s; payload/line bytes %.3f\n", rate / 1e6, eff);
        rune_smp_transport_close(cs);
        rune_smp_transport_close(ds);
    }
    free(img);
    return bad ? 1 : 0;
}
