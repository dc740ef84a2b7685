/*
 * serial_bin.c - the binary serial framing that hmr and runicosd negotiate (smp.h): framer and a
 * resynchronising de-framer.
 *
 * Frame: 0xA5 0x5A, u16 BE length, CRC-8 of the length, the message, CRC16-XMODEM of the message.
 * Workload: a serial line at 115200 - 921600 baud carrying upload chunks of a few KB, maybe with
 * console text between frames, bytes flipped or lost. The de-framer keeps the pushed bytes in one
 * buffer (twice the largest frame); a frame that fails a check drops only its first byte, so the
 * search for the next sync starts inside it and a frame that follows a damaged one survives.
 */
#include <string.h>

#include "rune/alloc.h"
#include "smp_int.h"

#define SYNC0 0xA5
#define SYNC1 0x5A
#define HDR 5

uint8_t rune_smp_crc8(const uint8_t *p, size_t len)
{
    uint8_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x80) ? (uint8_t)(crc << 1 ^ 0x07) : (uint8_t)(crc << 1);
    }
    return crc;
}

size_t rune_smp_bin_frame_size(size_t msg_len)
{
    return msg_len + RUNE_SMP_BIN_OVERHEAD;
}

rune_status rune_smp_bin_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
                               size_t *out_len, rune_error *err)
{
    if (len < RUNE_SMP_HDR_LEN || len > 0xffff)
        return RUNE_ERR(err, RUNE_E_ARG, "smp binary frame: message of %zu bytes", len);
    if (cap < len + RUNE_SMP_BIN_OVERHEAD)
        return RUNE_ERR(err, RUNE_E_LIMIT, "smp binary frame: needs %zu bytes, buffer holds %zu",
                        len + RUNE_SMP_BIN_OVERHEAD, cap);
    out[0] = SYNC0;
    out[1] = SYNC1;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    out[4] = rune_smp_crc8(out + 2, 2);
    memcpy(out + HDR, msg, len);
    uint16_t crc = rune_smp_crc16(0, msg, len);
    out[HDR + len] = (uint8_t)(crc >> 8);
    out[HDR + len + 1] = (uint8_t)crc;
    *out_len = len + RUNE_SMP_BIN_OVERHEAD;
    return RUNE_OK;
}

rune_status rune_smp_bin_deframer_init(rune_smp_bin_deframer *d, size_t cap, rune_error *err)
{
    memset(d, 0, sizeof *d);
    if (cap < RUNE_SMP_HDR_LEN || cap > 0xffff)
        return RUNE_ERR(err, RUNE_E_ARG, "smp binary frame: bad de-framer capacity %zu", cap);
    d->cap = cap;
    d->in_cap = 2 * (cap + RUNE_SMP_BIN_OVERHEAD);
    d->in = rune_malloc(d->in_cap);
    if (!d->in) return RUNE_ERR(err, RUNE_E_NOMEM, "smp binary frame: out of memory");
    return RUNE_OK;
}

void rune_smp_bin_deframer_free(rune_smp_bin_deframer *d)
{
    if (!d) return;
    rune_free(d->in);
    d->in = NULL;
}

size_t rune_smp_bin_deframer_push(rune_smp_bin_deframer *d, const uint8_t *buf, size_t len)
{
    if (d->pos > 0) {
        memmove(d->in, d->in + d->pos, d->len - d->pos);
        d->len -= d->pos;
        d->pos = 0;
    }
    size_t n = d->in_cap - d->len < len ? d->in_cap - d->len : len;
    memcpy(d->in + d->len, buf, n);
    d->len += n;
    if (n) d->starved = false;
    return n;
}

void rune_smp_bin_deframer_skip(rune_smp_bin_deframer *d)
{
    if (d->pos < d->len) {
        d->pos++;
        d->taken++;
    }
    d->starved = false;
}

static rune_status advance(rune_smp_bin_deframer *d, size_t n)
{
    d->pos += n;
    d->taken += n;
    return RUNE_OK;
}

rune_status rune_smp_bin_deframer_next(rune_smp_bin_deframer *d, const uint8_t **msg,
                                       size_t *msg_len, const uint8_t **other, size_t *other_len,
                                       rune_error *err)
{
    *msg = *other = NULL;
    *msg_len = *other_len = 0;
    d->starved = false;
    if (d->pos >= d->len) return RUNE_OK;
    const uint8_t *p = d->in + d->pos;
    size_t avail = d->len - d->pos;
    if (p[0] != SYNC0) { /* console bytes up to the next possible sync */
        size_t j = 1;
        while (j < avail && p[j] != SYNC0)
            j++;
        *other = p;
        *other_len = j;
        return advance(d, j);
    }
    d->starved = true; /* until a frame (or not-a-frame) is decided below */
    if (avail < 2) return RUNE_OK;
    size_t n = avail >= 4 ? (size_t)p[2] << 8 | p[3] : 0;
    if (p[1] != SYNC1 ||
        (avail >= HDR && (rune_smp_crc8(p + 2, 2) != p[4] || n < RUNE_SMP_HDR_LEN || n > d->cap))) {
        *other = p; /* not a frame after all: the byte is console text */
        *other_len = 1;
        d->starved = false;
        return advance(d, 1);
    }
    if (avail < HDR || avail < n + RUNE_SMP_BIN_OVERHEAD) return RUNE_OK;
    d->starved = false;
    uint16_t crc = (uint16_t)(p[HDR + n] << 8 | p[HDR + n + 1]);
    if (rune_smp_crc16(0, p + HDR, n) != crc) {
        advance(d, 1); /* search again from inside the damaged frame */
        return RUNE_ERR(err, RUNE_E_MALFORMED, "smp binary frame: CRC mismatch (%zu bytes)", n);
    }
    *msg = p + HDR;
    *msg_len = n;
    return advance(d, n + RUNE_SMP_BIN_OVERHEAD);
}
