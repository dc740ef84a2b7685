/*
 * fuzz_smp_serial.c - libFuzzer harness: bytes from a serial line through the SMP console
 * de-framer, fed in chunks whose sizes come from the input; every message it yields must fit the
 * receive buffer, and re-framing it must give it back unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "rune/smp.h"

#define CAP 1024

static rune_smp_deframer df, df2;
static rune_smp_msg msg;
static uint8_t framed[CAP * 2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!df.pkt) {
        if (rune_smp_deframer_init(&df, CAP, NULL) != RUNE_OK) abort();
        if (rune_smp_deframer_init(&df2, CAP, NULL) != RUNE_OK) abort();
    }
    /* each input starts from a fresh line */
    df.line_len = df.pkt_len = df.want = 0;
    df.line_skip = df.in_packet = false;
    if (size < 1) return 0;
    size_t step = (size_t)data[0] % 64 + 1;
    data++;
    size--;
    size_t pos = 0;
    while (pos < size) {
        size_t chunk = size - pos < step ? size - pos : step;
        const uint8_t *m = NULL;
        size_t ml = 0, used = 0;
        rune_error err;
        rune_smp_deframer_feed(&df, data + pos, chunk, &used, &m, &ml, &err);
        if (used == 0 && !m) abort(); /* no progress: would loop forever */
        pos += used;
        if (!m) continue;
        if (ml > CAP || ml < RUNE_SMP_HDR_LEN) abort();
        rune_smp_msg_decode(m, ml, &msg, &err);
        size_t fl = 0;
        if (rune_smp_serial_frame(m, ml, framed, sizeof framed, &fl, &err) != RUNE_OK) abort();
        uint8_t copy[CAP];
        memcpy(copy, m, ml);
        const uint8_t *m2 = NULL;
        size_t ml2 = 0, used2 = 0;
        if (rune_smp_deframer_feed(&df2, framed, fl, &used2, &m2, &ml2, &err) != RUNE_OK) abort();
        if (!m2 || ml2 != ml || memcmp(m2, copy, ml) != 0) abort();
    }
    return 0;
}
