/*
 * fuzz_smp_binframe.c - libFuzzer harness: bytes from a serial line through the binary de-framer
 * and, for what lies outside binary frames, the console de-framer, as the serial transport chains
 * them; pushed in chunks whose sizes come from the input, with a give-up (skip) of a waiting frame
 * when the input says so. Every message must fit the buffer and survive re-framing unchanged, and
 * every call must make progress.
 */
#include <stdlib.h>
#include <string.h>

#include "rune/smp.h"

#define CAP 4096

static rune_smp_bin_deframer bd, bd2;
static rune_smp_deframer cd;
static uint8_t framed[CAP + RUNE_SMP_BIN_OVERHEAD];

static void check_roundtrip(const uint8_t *m, size_t ml)
{
    if (ml > CAP || ml < RUNE_SMP_HDR_LEN) abort();
    size_t fl = 0;
    rune_error err;
    if (rune_smp_bin_frame(m, ml, framed, sizeof framed, &fl, &err) != RUNE_OK) abort();
    if (fl != ml + RUNE_SMP_BIN_OVERHEAD) abort();
    bd2.pos = bd2.len = 0;
    if (rune_smp_bin_deframer_push(&bd2, framed, fl) != fl) abort();
    const uint8_t *m2, *o2;
    size_t ml2, ol2;
    if (rune_smp_bin_deframer_next(&bd2, &m2, &ml2, &o2, &ol2, &err) != RUNE_OK) abort();
    if (!m2 || ml2 != ml || memcmp(m2, m, ml) != 0 || o2) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!bd.in) {
        if (rune_smp_bin_deframer_init(&bd, CAP, NULL) != RUNE_OK) abort();
        if (rune_smp_bin_deframer_init(&bd2, CAP, NULL) != RUNE_OK) abort();
        if (rune_smp_deframer_init(&cd, 1024, NULL) != RUNE_OK) abort();
    }
    bd.pos = bd.len = 0;
    bd.starved = false;
    cd.line_len = cd.pkt_len = cd.want = 0;
    cd.line_skip = cd.in_packet = false;
    if (size < 2) return 0;
    size_t step = (size_t)data[0] * 37 % 5000 + 1;
    unsigned skip_every = data[1] % 8; /* 0: never give up on a waiting frame */
    data += 2;
    size -= 2;
    size_t pos = 0;
    unsigned idle = 0;
    for (int guard = 0; guard < 1000000; guard++) {
        const uint8_t *m, *o;
        size_t ml, ol;
        rune_error err;
        size_t before = bd.pos;
        rune_status st = rune_smp_bin_deframer_next(&bd, &m, &ml, &o, &ol, &err);
        if (st != RUNE_OK && st != RUNE_E_MALFORMED) abort();
        if (st == RUNE_E_MALFORMED) {
            if (bd.pos != before + 1) abort(); /* a bad frame costs its first byte */
            continue;
        }
        if (m) {
            check_roundtrip(m, ml);
            continue;
        }
        while (ol > 0) {
            const uint8_t *cm = NULL;
            size_t cl = 0, used = 0;
            rune_smp_deframer_feed(&cd, o, ol, &used, &cm, &cl, &err);
            if (used == 0 && !cm) abort();
            if (cm && (cl > 1024 || cl < RUNE_SMP_HDR_LEN)) abort();
            o += used;
            ol -= used;
        }
        if (o) continue;
        if (pos == size) {
            if (!bd.starved || bd.pos >= bd.len) break;
            rune_smp_bin_deframer_skip(&bd); /* the line went quiet: give up on it */
            continue;
        }
        if (bd.starved && skip_every && ++idle % skip_every == 0) {
            rune_smp_bin_deframer_skip(&bd);
            continue;
        }
        size_t k = size - pos < step ? size - pos : step;
        size_t took = rune_smp_bin_deframer_push(&bd, data + pos, k);
        if (took == 0) abort(); /* the buffer is full of undecided bytes: cannot happen */
        pos += took;
    }
    return 0;
}
