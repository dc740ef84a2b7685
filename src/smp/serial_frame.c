/*
 * serial_frame.c - SMP console framing (MCUmgr "SMP over console"): framer and de-framer.
 *
 * A message travels as [u16 BE length = msg + 2][msg][CRC16 BE], base64-encoded and cut into lines
 * of at most 127 bytes: the first starts with 0x06 0x09, the others with 0x04 0x14, each ends in
 * '\n'. The CRC is CRC16-CCITT as XMODEM computes it (poly 0x1021, init 0, no reflection) over msg.
 * Workload: a serial line at 115200 - 921600 baud shared with console text, which the de-framer
 * skips. The de-framer works byte by byte with one line buffer and one packet buffer; any bad frame
 * drops the packet it belongs to and leaves it ready for the next start frame.
 */
#include <string.h>

#include "rune/alloc.h"
#include "smp_int.h"

uint16_t rune_smp_crc16(uint16_t crc, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

size_t rune_smp_serial_frame_size(size_t msg_len)
{
    size_t raw = msg_len + 4;
    size_t full = raw / SMP_SERIAL_RAW_PER_LINE, rest = raw % SMP_SERIAL_RAW_PER_LINE;
    size_t n = full * (2 + SMP_SERIAL_RAW_PER_LINE / 3 * 4 + 1);
    if (rest) n += 2 + (rest + 2) / 3 * 4 + 1;
    return n;
}

rune_status rune_smp_serial_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
                                  size_t *out_len, rune_error *err)
{
    if (len < RUNE_SMP_HDR_LEN || len > 0xffff - 2)
        return RUNE_ERR(err, RUNE_E_ARG, "smp serial: message of %zu bytes cannot be framed", len);
    size_t need = rune_smp_serial_frame_size(len);
    if (cap < need)
        return RUNE_ERR(err, RUNE_E_LIMIT, "smp serial: frame needs %zu bytes, buffer holds %zu",
                        need, cap);
    uint16_t crc = rune_smp_crc16(0, msg, len);
    uint8_t head[2] = {(uint8_t)((len + 2) >> 8), (uint8_t)(len + 2)};
    uint8_t tail[2] = {(uint8_t)(crc >> 8), (uint8_t)crc};
    size_t raw = len + 4, pos = 0, o = 0;
    uint8_t chunk[SMP_SERIAL_RAW_PER_LINE];
    while (pos < raw) {
        size_t n = raw - pos < SMP_SERIAL_RAW_PER_LINE ? raw - pos : SMP_SERIAL_RAW_PER_LINE;
        for (size_t k = 0; k < n; k++) {
            size_t i = pos + k;
            chunk[k] = i < 2 ? head[i] : i < 2 + len ? msg[i - 2] : tail[i - 2 - len];
        }
        out[o++] = pos == 0 ? 0x06 : 0x04;
        out[o++] = pos == 0 ? 0x09 : 0x14;
        o += smp_b64_encode(chunk, n, out + o);
        out[o++] = '\n';
        pos += n;
    }
    *out_len = o;
    return RUNE_OK;
}

rune_status rune_smp_deframer_init(rune_smp_deframer *d, size_t cap, rune_error *err)
{
    memset(d, 0, sizeof *d);
    if (cap < RUNE_SMP_HDR_LEN || cap > 0xffff - 2)
        return RUNE_ERR(err, RUNE_E_ARG, "smp serial: bad de-framer capacity %zu", cap);
    d->pkt_cap = cap + 4;
    d->pkt = rune_malloc(d->pkt_cap);
    if (!d->pkt) return RUNE_ERR(err, RUNE_E_NOMEM, "smp serial: out of memory");
    return RUNE_OK;
}

void rune_smp_deframer_free(rune_smp_deframer *d)
{
    if (!d) return;
    rune_free(d->pkt);
    d->pkt = NULL;
}

static rune_status drop(rune_smp_deframer *d, rune_status st, rune_error *err, const char *what)
{
    d->in_packet = false;
    d->pkt_len = 0;
    d->want = 0;
    return RUNE_ERR(err, st, "smp serial: %s", what);
}

/* One complete line (without its '\n') that starts with a marker. */
static rune_status take_line(rune_smp_deframer *d, const uint8_t **msg, size_t *msg_len,
                             rune_error *err)
{
    bool start = d->line[0] == 0x06;
    const uint8_t *b64 = d->line + 2;
    size_t n = d->line_len - 2;
    if (start) {
        d->in_packet = true;
        d->pkt_len = 0;
        d->want = 0;
    } else if (!d->in_packet) {
        return drop(d, RUNE_E_MALFORMED, err, "continuation frame without a start frame");
    }
    if (n == 0 || n % 4) return drop(d, RUNE_E_MALFORMED, err, "frame is not whole base64 groups");
    if (n / 4 * 3 > d->pkt_cap - d->pkt_len)
        return drop(d, RUNE_E_LIMIT, err, "packet longer than the receive buffer");
    size_t got = smp_b64_decode(b64, n, d->pkt + d->pkt_len);
    if (got == (size_t)-1) return drop(d, RUNE_E_MALFORMED, err, "bad base64 in frame");
    d->pkt_len += got;
    if (d->want == 0) {
        if (d->pkt_len < 2) return drop(d, RUNE_E_MALFORMED, err, "start frame without a length");
        size_t plen = (size_t)d->pkt[0] << 8 | d->pkt[1];
        if (plen < RUNE_SMP_HDR_LEN + 2)
            return drop(d, RUNE_E_MALFORMED, err, "packet length shorter than header and CRC");
        if (2 + plen > d->pkt_cap)
            return drop(d, RUNE_E_LIMIT, err, "packet length exceeds the receive buffer");
        d->want = 2 + plen;
    }
    if (d->pkt_len > d->want)
        return drop(d, RUNE_E_MALFORMED, err, "frame runs past the declared packet length");
    if (d->pkt_len < d->want) return RUNE_OK;
    if (rune_smp_crc16(0, d->pkt + 2, d->want - 2) != 0)
        return drop(d, RUNE_E_MALFORMED, err, "CRC mismatch");
    *msg = d->pkt + 2;
    *msg_len = d->want - 4;
    d->in_packet = false;
    d->want = 0;
    d->pkt_len = 0;
    return RUNE_OK;
}

rune_status rune_smp_deframer_feed(rune_smp_deframer *d, const uint8_t *buf, size_t len,
                                   size_t *used, const uint8_t **msg, size_t *msg_len,
                                   rune_error *err)
{
    *msg = NULL;
    *msg_len = 0;
    size_t i = 0;
    rune_status st = RUNE_OK;
    while (i < len) {
        uint8_t b = buf[i++];
        if (d->line_skip) {
            if (b == '\n') {
                d->line_skip = false;
                d->line_len = 0;
            }
            continue;
        }
        if (b == '\n') {
            if (d->line_len >= 2) st = take_line(d, msg, msg_len, err);
            d->line_len = 0;
            if (st != RUNE_OK || *msg) break;
            continue;
        }
        if (d->line_len == 0 && b != 0x06 && b != 0x04) {
            d->line_skip = true; /* console text */
            continue;
        }
        if (d->line_len == 1 &&
            !((d->line[0] == 0x06 && b == 0x09) || (d->line[0] == 0x04 && b == 0x14))) {
            d->line_skip = true;
            d->line_len = 0;
            continue;
        }
        if (d->line_len >= RUNE_SMP_SERIAL_LINE_MAX - 1) {
            d->line_skip = true;
            d->line_len = 0;
            st = drop(d, RUNE_E_MALFORMED, err, "frame longer than 127 bytes");
            break;
        }
        d->line[d->line_len++] = b;
    }
    *used = i;
    return st;
}
