/*
 * transport_serial.c - SMP over a serial line (a UART tty, a USB CDC-ACM port, a pty in tests) with
 * the SMP console framing of serial_frame.c and the negotiated binary framing of serial_bin.c.
 *
 * Workload: one peer at 115200 - 921600 baud, messages of up to mtu bytes (1 KB by default, 4 KB
 * in the binary framing). The tty is put in raw mode (no echo, no line editing, no CR/LF
 * translation, 8N1). Input goes through the binary de-framer first; what lies outside binary
 * frames goes on to the console de-framer, which skips console text. Bytes read past the end of
 * one message are kept for the next recv. Sending uses the console framing unless the transport
 * was switched to binary, or answers a binary request (see rune_smp_serial_framing).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "rune/alloc.h"
#include "smp_int.h"

typedef struct serial_impl {
    int fd;
    bool own_fd;
    rune_smp_deframer df;
    rune_smp_bin_deframer bdf;
    const uint8_t *other; /* bytes the binary de-framer handed to the console one, not yet fed */
    size_t other_len;
    int framing;      /* RUNE_SMP_FRAMING_* */
    uint64_t wait_id; /* the incomplete binary frame being waited for (bdf.taken at its start) */
    uint64_t wait_since_ms;
    size_t rate;
    bool last_rx_bin; /* the last message received came in a binary frame */
    uint8_t *tx;
    size_t tx_cap;
    uint8_t rbuf[4096];
    size_t rpos, rlen; /* bytes read but not yet pushed to the binary de-framer */
} serial_impl;

static const struct {
    int baud;
    speed_t speed;
} bauds[] = {
    {9600, B9600},     {19200, B19200},   {38400, B38400},   {57600, B57600},
    {115200, B115200}, {230400, B230400}, {460800, B460800}, {921600, B921600},
};

static rune_status set_raw(int fd, int baud, rune_error *err)
{
    speed_t sp = 0;
    bool found = false;
    for (size_t i = 0; i < sizeof bauds / sizeof bauds[0]; i++) {
        if (bauds[i].baud == baud) {
            sp = bauds[i].speed;
            found = true;
        }
    }
    if (!found) return RUNE_ERR(err, RUNE_E_ARG, "smp serial: unsupported baud rate %d", baud);
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0)
        return RUNE_ERR(err, RUNE_E_IO, "smp serial: tcgetattr: %s", strerror(errno));
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    if (cfsetispeed(&tio, sp) != 0 || cfsetospeed(&tio, sp) != 0)
        return RUNE_ERR(err, RUNE_E_IO, "smp serial: cannot set %d baud: %s", baud,
                        strerror(errno));
    if (tcsetattr(fd, TCSANOW, &tio) != 0)
        return RUNE_ERR(err, RUNE_E_IO, "smp serial: tcsetattr: %s", strerror(errno));
    return RUNE_OK;
}

static rune_status serial_send(rune_smp_transport *t, const uint8_t *msg, size_t len,
                               rune_error *err)
{
    serial_impl *s = t->impl;
    size_t n = 0;
    bool bin = s->framing == RUNE_SMP_FRAMING_BINARY || s->last_rx_bin;
    rune_status st = bin ? rune_smp_bin_frame(msg, len, s->tx, s->tx_cap, &n, err)
                         : rune_smp_serial_frame(msg, len, s->tx, s->tx_cap, &n, err);
    if (st != RUNE_OK) return st;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(s->fd, s->tx + off, n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
                if (poll(&pfd, 1, 1000) == 0)
                    return RUNE_ERR(err, RUNE_E_TIMEOUT, "smp serial: line blocked for 1 s");
                continue;
            }
            return RUNE_ERR(err, RUNE_E_IO, "smp serial: write: %s", strerror(errno));
        }
        off += (size_t)w;
    }
    return RUNE_OK;
}

/* Has the binary frame at the front of the de-framer waited longer than the line needs to carry
 * it plus 200 ms? (A line cut mid-frame: give up on it so what comes next is read.) */
static bool stalled(serial_impl *s)
{
    uint64_t now = smp_now_ms();
    if (s->wait_id != s->bdf.taken + 1) {
        s->wait_id = s->bdf.taken + 1;
        s->wait_since_ms = now;
        return false;
    }
    const uint8_t *p = s->bdf.in + s->bdf.pos;
    size_t n = s->bdf.len - s->bdf.pos >= 4 ? (size_t)p[2] << 8 | p[3] : s->bdf.cap;
    uint64_t limit = 200 + (s->rate ? (uint64_t)(n + RUNE_SMP_BIN_OVERHEAD) * 1000u / s->rate : 0);
    return now - s->wait_since_ms > limit;
}

static rune_status serial_recv(rune_smp_transport *t, uint8_t *buf, size_t cap, size_t *len,
                               int timeout_ms, rune_error *err)
{
    serial_impl *s = t->impl;
    uint64_t deadline = smp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        const uint8_t *msg = NULL;
        size_t mlen = 0;
        bool bin = false;
        /* console bytes first, then the binary de-framer's next event, then more input */
        while (!msg && s->other_len > 0) {
            size_t used = 0;
            rune_status st =
                rune_smp_deframer_feed(&s->df, s->other, s->other_len, &used, &msg, &mlen, err);
            s->other += used;
            s->other_len -= used;
            if (st != RUNE_OK) return st;
        }
        if (!msg) {
            rune_status st =
                rune_smp_bin_deframer_next(&s->bdf, &msg, &mlen, &s->other, &s->other_len, err);
            if (st != RUNE_OK) return st;
            bin = msg != NULL;
            if (s->other_len > 0) continue;
        }
        if (msg) {
            if (mlen > cap)
                return RUNE_ERR(err, RUNE_E_LIMIT,
                                "smp serial: message of %zu bytes, buffer holds %zu", mlen, cap);
            memcpy(buf, msg, mlen);
            *len = mlen;
            s->last_rx_bin = bin;
            return RUNE_OK;
        }
        if (s->rpos < s->rlen) {
            s->rpos += rune_smp_bin_deframer_push(&s->bdf, s->rbuf + s->rpos, s->rlen - s->rpos);
            continue;
        }
        if (s->bdf.starved && stalled(s)) {
            rune_smp_bin_deframer_skip(&s->bdf);
            continue;
        }
        uint64_t now = smp_now_ms();
        int wait = now >= deadline ? 0 : (int)(deadline - now);
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int r = poll(&pfd, 1, wait);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return RUNE_ERR(err, RUNE_E_IO, "smp serial: poll: %s", strerror(errno));
        if (r == 0)
            return RUNE_ERR(err, RUNE_E_TIMEOUT, "smp serial: no message in %d ms", timeout_ms);
        ssize_t n = read(s->fd, s->rbuf, sizeof s->rbuf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return RUNE_ERR(err, RUNE_E_IO, "smp serial: read: %s", strerror(errno));
        }
        if (n == 0) return RUNE_ERR(err, RUNE_E_IO, "smp serial: line closed");
        s->rpos = 0;
        s->rlen = (size_t)n;
    }
}

static int serial_pollfd(rune_smp_transport *t, bool *buffered)
{
    serial_impl *s = t->impl;
    *buffered =
        s->rpos < s->rlen || s->other_len > 0 || (s->bdf.pos < s->bdf.len && !s->bdf.starved);
    return s->fd;
}

static rune_status serial_set_framing(rune_smp_transport *t, int framing, size_t mtu,
                                      rune_error *err)
{
    serial_impl *s = t->impl;
    if (framing != RUNE_SMP_FRAMING_REPLY && framing != RUNE_SMP_FRAMING_BINARY)
        return RUNE_ERR(err, RUNE_E_ARG, "smp serial: unknown framing %d", framing);
    if (mtu == 0) mtu = t->mtu;
    size_t max = framing == RUNE_SMP_FRAMING_BINARY ? s->bdf.cap : s->df.pkt_cap - 4;
    if (mtu < RUNE_SMP_HDR_LEN + 16 || mtu > max)
        return RUNE_ERR(err, RUNE_E_ARG, "smp serial: mtu %zu out of range (at most %zu)", mtu,
                        max);
    size_t need = framing == RUNE_SMP_FRAMING_BINARY ? rune_smp_bin_frame_size(mtu)
                                                     : rune_smp_serial_frame_size(mtu);
    if (need > s->tx_cap) {
        uint8_t *tx = rune_malloc(need);
        if (!tx) return RUNE_ERR(err, RUNE_E_NOMEM, "smp serial: out of memory");
        rune_free(s->tx);
        s->tx = tx;
        s->tx_cap = need;
    }
    s->framing = framing;
    t->mtu = mtu;
    return RUNE_OK;
}

rune_status rune_smp_serial_framing(rune_smp_transport *t, int framing, size_t mtu, rune_error *err)
{
    if (!t || !t->set_framing)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "smp: transport %s has one framing only",
                        t && t->name ? t->name : "?");
    return t->set_framing(t, framing, mtu, err);
}

static void serial_close(rune_smp_transport *t)
{
    serial_impl *s = t->impl;
    if (s) {
        if (s->own_fd && s->fd >= 0) close(s->fd);
        rune_smp_deframer_free(&s->df);
        rune_smp_bin_deframer_free(&s->bdf);
        rune_free(s->tx);
        rune_free(s);
    }
    rune_free(t);
}

rune_status rune_smp_serial_fdopen(int fd, bool own_fd, bool raw, int baud, size_t mtu,
                                   rune_smp_transport **out, rune_error *err)
{
    *out = NULL;
    if (mtu == 0) mtu = RUNE_SMP_SERIAL_MTU;
    if (fd < 0 || mtu < RUNE_SMP_HDR_LEN + 16 || mtu > 0xffff - 2) {
        if (own_fd && fd >= 0) close(fd);
        return RUNE_ERR(err, RUNE_E_ARG, "smp serial: bad fd or mtu %zu", mtu);
    }
    rune_status st;
    rune_smp_transport *t = rune_calloc(1, sizeof *t);
    serial_impl *s = rune_calloc(1, sizeof *s);
    if (!t || !s) {
        rune_free(t);
        rune_free(s);
        if (own_fd) close(fd);
        return RUNE_ERR(err, RUNE_E_NOMEM, "smp serial: out of memory");
    }
    s->fd = fd;
    s->own_fd = own_fd;
    t->impl = s;
    t->close = serial_close;
    if (raw && (st = set_raw(fd, baud, err)) != RUNE_OK) goto fail;
    if ((st = rune_smp_deframer_init(&s->df, mtu, err)) != RUNE_OK) goto fail;
    size_t bin_cap = mtu > RUNE_SMP_SERIAL_BIN_MTU ? mtu : RUNE_SMP_SERIAL_BIN_MTU;
    if ((st = rune_smp_bin_deframer_init(&s->bdf, bin_cap, err)) != RUNE_OK) goto fail;
    s->tx_cap = rune_smp_serial_frame_size(mtu);
    s->tx = rune_malloc(s->tx_cap);
    if (!s->tx) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "smp serial: out of memory");
        goto fail;
    }
    t->name = "serial";
    t->mtu = mtu;
    t->send = serial_send;
    t->recv = serial_recv;
    t->pollfd = serial_pollfd;
    t->set_framing = serial_set_framing;
    t->rate = baud > 0 ? (size_t)baud / 10 : 0;
    s->rate = t->rate;
    *out = t;
    return RUNE_OK;
fail:
    serial_close(t);
    return st;
}

rune_status rune_smp_serial_open(const char *path, int baud, size_t mtu, rune_smp_transport **out,
                                 rune_error *err)
{
    *out = NULL;
    if (!path) return RUNE_ERR(err, RUNE_E_ARG, "smp serial: no device path");
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return RUNE_ERR(err, RUNE_E_IO, "smp serial: open %s: %s", path, strerror(errno));
    return rune_smp_serial_fdopen(fd, true, true, baud, mtu, out, err);
}
