/*
 * hammer_fixture.h - what Hammer's integration and fault tests share: runes built from the test
 * guests, runicosd processes (profiles in a temporary directory, UDP on loopback port 0 or serial
 * on a pty), a pty bridge between the agent's tty and the one hmr opens (it can cut, corrupt and
 * pace the line), a UDP proxy that drops, corrupts and duplicates datagrams, and a seeded RNG.
 *
 * The bridge: pty A (the agent opens its slave) and pty B (hmr opens its slave); a thread copies
 * master A <-> master B. The bridge keeps both slaves open in raw mode so nothing is echoed and a
 * side that closes does not hang up the other.
 */
#ifndef HAMMER_FIXTURE_H
#define HAMMER_FIXTURE_H

#include "device_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/hammer.h"
#include "rune/manifest.h"
#include "rune/smp.h"
#include "test.h"

/* ---- random numbers (xorshift64*, seeded: every run of a seed is the same run) ---- */

static uint64_t hx_rng_state = 0x9e3779b97f4a7c15ull;
static inline void hx_seed(uint64_t s)
{
    hx_rng_state = s ? s : 1;
}
static inline uint64_t hx_rand_r(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}
/* The test thread's generator; the bridge and the proxy threads have their own (seeded from it). */
static inline uint64_t hx_rand(void)
{
    return hx_rand_r(&hx_rng_state);
}
/* Uniform in [lo, hi]. */
static inline size_t hx_range(size_t lo, size_t hi)
{
    return lo + (size_t)(hx_rand() % (hi - lo + 1));
}

#define hx_sleep_ms dev_sleep_ms
#define hx_now_ms dev_now_ms

/* ---- runes ---- */

/* A rune around guests/<wasm>.wasm named name/version declaring capability kind (RAND with n=4
 * unless kind says otherwise) and pad bytes of resource (to make uploads take many chunks).
 * rune_malloc'd. */
static inline uint8_t *hx_rune(const char *wasm, const char *name, const char *version,
                               const char *kind, size_t pad, size_t *len)
{
    static const char *const args[] = {"n", "4", NULL};
    uint64_t seed = 0x1234567ull ^ (uint64_t)pad ^ (uint64_t)version[0] << 32;
    return dev_rune(HAMMER_GUESTS, wasm, name, version, "rng", kind ? kind : "RAND", args, pad,
                    seed, len);
}

#define hx_write dev_write
#define hx_rmtree dev_rmtree

/* ---- runicosd processes ---- */

typedef struct hx_agent {
    char name[32];
    char dir[64];    /* temp dir: profile.json, store/, port */
    char serial[64]; /* tty path the agent serves ("" = UDP) */
    uint16_t port;   /* UDP port (0 for serial agents) */
    pid_t pid;
} hx_agent;

/* Start (or restart, keeping dir and port) runicosd. true when it came up (checked). */
static inline bool hx_agent_spawn(hx_agent *a)
{
    char prof[128], portf[128], udp[64];
    snprintf(prof, sizeof prof, "%s/profile.json", a->dir);
    snprintf(portf, sizeof portf, "%s/port", a->dir);
    unlink(portf);
    snprintf(udp, sizeof udp, "127.0.0.1:%u", a->port);
    pid_t pid = fork();
    if (pid == 0) {
        if (!getenv("HAMMER_ECHO")) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, 2);
        }
        if (a->serial[0])
            execl(RUNICOSD_PATH, "runicosd", "--profile", prof, "--serial", a->serial, (char *)0);
        else
            execl(RUNICOSD_PATH, "runicosd", "--profile", prof, "--udp", udp, "--port-file", portf,
                  (char *)0);
        _exit(127);
    }
    a->pid = pid;
    if (a->serial[0]) {
        hx_sleep_ms(100);
        return pid > 0;
    }
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(portf, "r");
        unsigned p = 0;
        if (f) {
            int got = fscanf(f, "%u", &p);
            fclose(f);
            if (got == 1 && p) {
                a->port = (uint16_t)p;
                return true;
            }
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            a->pid = 0;
            CHECK_MSG_(0, "runicosd %s exited at start (status %d)", a->name, status);
            return false;
        }
        hx_sleep_ms(10);
    }
    CHECK_MSG_(0, "runicosd %s did not write its port", a->name);
    return false;
}

/* A device profile: RAND (seed), 50 calls a second, probation 3 good calls, rollback after 3
 * failures, short backoff. serial: the tty to serve ("" = UDP on a free loopback port). */
static inline bool hx_agent_start(hx_agent *a, const char *name, const char *serial)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->dir, sizeof a->dir, "/tmp/hmr-test-XXXXXX");
    if (!mkdtemp(a->dir)) return false;
    if (serial) snprintf(a->serial, sizeof a->serial, "%s", serial);
    char prof[128], text[1024];
    snprintf(prof, sizeof prof, "%s/profile.json", a->dir);
    int n = snprintf(text, sizeof text,
                     "{\"name\": \"%s\", \"provider\": \"linux:x86_64\", \"store\": \"%s/store\",\n"
                     " \"capabilities\": [{\"kind\": \"rand\", \"seed\": 7}],\n"
                     " \"rate_hz\": 50, \"probation_calls\": 3, \"rollback_failures\": 3,\n"
                     " \"backoff_min_ms\": 5, \"backoff_max_ms\": 20}\n",
                     name, a->dir);
    hx_write(prof, text, (size_t)n);
    return hx_agent_spawn(a);
}

static inline void hx_agent_kill(hx_agent *a, int sig)
{
    if (a->pid <= 0) return;
    kill(a->pid, sig);
    waitpid(a->pid, NULL, 0);
    a->pid = 0;
}

static inline void hx_agent_stop(hx_agent *a)
{
    hx_agent_kill(a, SIGTERM);
    if (a->dir[0]) hx_rmtree(a->dir);
    a->dir[0] = 0;
}

static inline rune_hmr_target hx_udp_target(const char *id, uint16_t port)
{
    rune_hmr_target t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "%s", id);
    t.type = RUNE_HMR_UDP;
    snprintf(t.address, sizeof t.address, "127.0.0.1:%u", port);
    return t;
}

static inline rune_hmr_target hx_serial_target(const char *id, const char *path, int baud)
{
    rune_hmr_target t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "%s", id);
    t.type = RUNE_HMR_SERIAL;
    snprintf(t.address, sizeof t.address, "%s", path);
    t.baud = baud;
    return t;
}

/* Connect with a per-try timeout; checked. */
static inline bool hx_connect(const rune_hmr_target *t, int timeout_ms, rune_hmr_conn *c)
{
    rune_error err;
    rune_status st = rune_hmr_connect(t, timeout_ms, c, &err);
    CHECK_OK(st, &err);
    return st == RUNE_OK;
}

/* Wait until the device's active rune is `name` in `state`. */
static inline bool hx_wait_state(rune_hmr_conn *c, const char *name, const char *state,
                                 int timeout_ms)
{
    rune_hmr_status s;
    rune_error err;
    uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;
    do {
        if (rune_hmr_get_status(c, &s, &err) == RUNE_OK && s.n == 1 &&
            strcmp(s.runes[0].name, name) == 0 && strcmp(s.runes[0].state, state) == 0)
            return true;
        hx_sleep_ms(20);
    } while (hx_now_ms() < end);
    return false;
}

/* ---- pty bridge ---- */

typedef struct hx_bridge {
    int ma, mb, sa, sb; /* masters and the slaves the bridge holds open */
    char path_a[64], path_b[64];
    pthread_t th;
    atomic_int stop;
    atomic_int cut;                /* drop every byte while set */
    atomic_long cut_after;         /* > 0: set cut once this many bytes went towards the agent */
    atomic_long to_agent, to_host; /* bytes copied */
    atomic_long corrupt_every;     /* > 0: flip one bit in about every Nth byte towards the agent */
    atomic_long faults;
    /* SIGKILL this pid kill_delay_us after the bytes towards the agent reach kill_at */
    atomic_int kill_pid;
    atomic_long kill_at, kill_delay_us;
    long bytes_per_s; /* > 0: pace each direction to this rate */
    uint64_t rng;
} hx_bridge;

static inline int hx_pty(int *master, int *slave, char *path, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, path, cap)) return -1;
    int s = open(path, O_RDWR | O_NOCTTY);
    if (s < 0) return -1;
    struct termios tio;
    tcgetattr(s, &tio);
    cfmakeraw(&tio);
    tcsetattr(s, TCSANOW, &tio);
    tcgetattr(m, &tio);
    cfmakeraw(&tio);
    tcsetattr(m, TCSANOW, &tio);
    *master = m;
    *slave = s;
    return 0;
}

/* Pace one direction: n bytes leave no earlier than the line needs to carry them after the
 * previous ones (no credit builds up while the direction is idle). */
static inline void hx_bridge_pace(hx_bridge *b, uint64_t *next_us, long n)
{
    if (b->bytes_per_s <= 0) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    /* a sleep that ran late is made up for (as a UART's FIFO would), an idle line is not */
    uint64_t start = *next_us + 2000 > now ? *next_us : now;
    uint64_t due = start + (uint64_t)((double)n * 1e6 / (double)b->bytes_per_s);
    *next_us = due;
    if (due > now) {
        struct timespec d = {(time_t)((due - now) / 1000000u),
                             (long)((due - now) % 1000000u) * 1000};
        nanosleep(&d, NULL);
    }
}

static inline void *hx_bridge_main(void *p)
{
    hx_bridge *b = p;
    uint8_t buf[512];
    uint64_t next_us[2] = {0, 0}; /* pacing: when each direction's line is free again */
    while (!atomic_load(&b->stop)) {
        struct pollfd pf[2] = {{b->mb, POLLIN, 0}, {b->ma, POLLIN, 0}};
        int r = poll(pf, 2, 20);
        if (r <= 0) continue;
        for (int k = 0; k < 2; k++) {
            if (!(pf[k].revents & POLLIN)) continue;
            /* paced: about 2.5 ms of line time a read (finer pacing costs more than it shows) */
            int take = b->bytes_per_s > 0
                           ? (int)(b->bytes_per_s / 400 < 16    ? 16
                                   : b->bytes_per_s / 400 > 512 ? 512
                                                                : b->bytes_per_s / 400)
                           : (int)sizeof buf;
            ssize_t n = read(pf[k].fd, buf, (size_t)take);
            if (n <= 0) continue;
            if (k == 0) { /* host -> agent */
                long before = atomic_fetch_add(&b->to_agent, n);
                long ca = atomic_load(&b->cut_after);
                if (ca > 0 && before + n >= ca) {
                    atomic_store(&b->cut, 1);
                    atomic_store(&b->cut_after, 0);
                }
                long ka = atomic_load(&b->kill_at);
                int pid = atomic_load(&b->kill_pid);
                if (ka > 0 && pid > 0 && before + n >= ka) {
                    long d = atomic_load(&b->kill_delay_us);
                    struct timespec ts = {d / 1000000, (d % 1000000) * 1000};
                    nanosleep(&ts, NULL);
                    kill(pid, SIGKILL);
                    atomic_store(&b->kill_at, 0);
                    atomic_fetch_add(&b->faults, 1);
                }
                long every = atomic_load(&b->corrupt_every);
                for (ssize_t i = 0; every > 0 && i < n; i++)
                    if (hx_rand_r(&b->rng) % (uint64_t)every == 0) {
                        buf[i] ^= (uint8_t)(1u << (hx_rand_r(&b->rng) % 8));
                        atomic_fetch_add(&b->faults, 1);
                    }
            } else {
                atomic_fetch_add(&b->to_host, n);
            }
            if (atomic_load(&b->cut)) continue;
            int out = k == 0 ? b->ma : b->mb;
            hx_bridge_pace(b, &next_us[k], (long)n);
            for (ssize_t off = 0; off < n;) {
                ssize_t w = write(out, buf + off, (size_t)(n - off));
                if (w < 0 && errno == EAGAIN) {
                    hx_sleep_ms(1);
                    continue;
                }
                if (w <= 0) break;
                off += w;
            }
        }
    }
    return NULL;
}

static inline bool hx_bridge_start(hx_bridge *b, long bytes_per_s)
{
    memset(b, 0, sizeof *b);
    b->bytes_per_s = bytes_per_s;
    b->rng = hx_rand() | 1;
    if (hx_pty(&b->ma, &b->sa, b->path_a, sizeof b->path_a) ||
        hx_pty(&b->mb, &b->sb, b->path_b, sizeof b->path_b))
        return false;
    return pthread_create(&b->th, NULL, hx_bridge_main, b) == 0;
}

static inline void hx_bridge_stop(hx_bridge *b)
{
    atomic_store(&b->stop, 1);
    pthread_join(b->th, NULL);
    close(b->ma);
    close(b->mb);
    close(b->sa);
    close(b->sb);
}

/* ---- UDP proxy ---- */

typedef struct hx_proxy {
    int fd_host, fd_dev; /* host side bound to a free port; device side connected to the agent */
    uint16_t port, dev_port;
    struct sockaddr_in peer;
    bool have_peer;
    pthread_t th;
    atomic_int stop, cut;
    atomic_long cut_after;                  /* > 0: cut once this many bytes went to the agent */
    atomic_int drop_pm, corrupt_pm, dup_pm; /* per mille of datagrams */
    atomic_long to_agent, faults;
    /* SIGKILL this pid kill_delay_us after the bytes towards the agent reach kill_at */
    atomic_int kill_pid;
    atomic_long kill_at, kill_delay_us;
    uint64_t rng;
} hx_proxy;

static inline void hx_proxy_send(hx_proxy *p, int fd, const uint8_t *buf, size_t n,
                                 const struct sockaddr_in *to)
{
    uint8_t tmp[RUNE_SMP_UDP_MTU + 64];
    if (n > sizeof tmp) return;
    if (atomic_load(&p->cut)) return;
    if ((int)(hx_rand_r(&p->rng) % 1000) < atomic_load(&p->drop_pm)) {
        atomic_fetch_add(&p->faults, 1);
        return;
    }
    memcpy(tmp, buf, n);
    if ((int)(hx_rand_r(&p->rng) % 1000) < atomic_load(&p->corrupt_pm) && n) {
        tmp[hx_rand_r(&p->rng) % n] ^= (uint8_t)(1u << (hx_rand_r(&p->rng) % 8));
        atomic_fetch_add(&p->faults, 1);
    }
    int copies = (int)(hx_rand_r(&p->rng) % 1000) < atomic_load(&p->dup_pm) ? 2 : 1;
    if (copies == 2) atomic_fetch_add(&p->faults, 1);
    for (int i = 0; i < copies; i++) {
        if (to)
            (void)sendto(fd, tmp, n, 0, (const struct sockaddr *)to, sizeof *to);
        else
            (void)send(fd, tmp, n, 0);
    }
}

static inline void *hx_proxy_main(void *arg)
{
    hx_proxy *p = arg;
    uint8_t buf[70000];
    while (!atomic_load(&p->stop)) {
        struct pollfd pf[2] = {{p->fd_host, POLLIN, 0}, {p->fd_dev, POLLIN, 0}};
        if (poll(pf, 2, 20) <= 0) continue;
        if (pf[0].revents & POLLIN) {
            struct sockaddr_in from;
            socklen_t fl = sizeof from;
            ssize_t n = recvfrom(p->fd_host, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
            if (n > 0) {
                p->peer = from;
                p->have_peer = true;
                long before = atomic_fetch_add(&p->to_agent, n);
                long ca = atomic_load(&p->cut_after);
                if (ca > 0 && before + n >= ca) {
                    atomic_store(&p->cut, 1);
                    atomic_store(&p->cut_after, 0);
                }
                hx_proxy_send(p, p->fd_dev, buf, (size_t)n, NULL);
                long ka = atomic_load(&p->kill_at);
                int pid = atomic_load(&p->kill_pid);
                if (ka > 0 && pid > 0 && before + n >= ka) {
                    long d = atomic_load(&p->kill_delay_us);
                    struct timespec ts = {d / 1000000, (d % 1000000) * 1000};
                    nanosleep(&ts, NULL);
                    kill(pid, SIGKILL);
                    atomic_store(&p->kill_at, 0);
                    atomic_fetch_add(&p->faults, 1);
                }
            }
        }
        if (pf[1].revents & POLLIN) {
            ssize_t n = recv(p->fd_dev, buf, sizeof buf, 0);
            if (n > 0 && p->have_peer) hx_proxy_send(p, p->fd_host, buf, (size_t)n, &p->peer);
        }
    }
    return NULL;
}

static inline bool hx_proxy_start(hx_proxy *p, uint16_t dev_port)
{
    memset(p, 0, sizeof *p);
    p->dev_port = dev_port;
    p->rng = hx_rand() | 1;
    p->fd_host = socket(AF_INET, SOCK_DGRAM, 0);
    p->fd_dev = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(p->fd_host, (struct sockaddr *)&a, sizeof a)) return false;
    socklen_t al = sizeof a;
    getsockname(p->fd_host, (struct sockaddr *)&a, &al);
    p->port = ntohs(a.sin_port);
    a.sin_port = htons(dev_port);
    if (connect(p->fd_dev, (struct sockaddr *)&a, sizeof a)) return false;
    return pthread_create(&p->th, NULL, hx_proxy_main, p) == 0;
}

static inline void hx_proxy_stop(hx_proxy *p)
{
    atomic_store(&p->stop, 1);
    pthread_join(p->th, NULL);
    close(p->fd_host);
    close(p->fd_dev);
}

#endif
