/*
 * test_smp_binframe.c - the binary serial framing: CRC-8 check value, frame layout, round trips
 * fed whole and byte by byte with console text and console frames around, and damage: a flipped
 * bit in the payload, the length or the CRC, a lost byte, a truncated frame, a length over the
 * buffer. Each damaged frame is dropped alone and the frame after it still decodes; the console
 * frames on the same line come out of the console de-framer unchanged.
 */
#include "rune/alloc.h"
#include "rune/smp.h"
#include "test.h"

#define CAP 4096

static size_t make_msg(uint8_t *m, size_t body_len, uint8_t seq)
{
    rune_smp_hdr h = {
        .op = RUNE_SMP_OP_WRITE, .version = RUNE_SMP_V2, .group = 1, .seq = seq, .id = 1};
    for (size_t i = 0; i < body_len; i++)
        m[8 + i] = (uint8_t)(i * 31 + seq);
    size_t n = 0;
    CHECK_OK(rune_smp_msg_build(&h, m + 8, body_len, m, 8 + body_len, &n, NULL), NULL);
    return n;
}

/* What a line decodes to: the sequence numbers of the messages that came out (binary ones as
 * seq, console ones as 1000 + seq), and the number of CRC errors. */
typedef struct line_out {
    int seqs[64];
    size_t n;
    int crc_errors;
} line_out;

static void decode_line(const uint8_t *p, size_t len, size_t step, line_out *o)
{
    rune_smp_bin_deframer b;
    rune_smp_deframer con;
    rune_error err;
    memset(o, 0, sizeof *o);
    CHECK_OK(rune_smp_bin_deframer_init(&b, CAP, &err), &err);
    CHECK_OK(rune_smp_deframer_init(&con, 1024, &err), &err);
    size_t pos = 0;
    for (int guard = 0; guard < 100000; guard++) {
        const uint8_t *msg, *other;
        size_t ml, ol;
        rune_status st = rune_smp_bin_deframer_next(&b, &msg, &ml, &other, &ol, &err);
        if (st == RUNE_E_MALFORMED) {
            CHECK_CONTAINS(err.msg, "CRC mismatch");
            o->crc_errors++;
            continue;
        }
        CHECK_OK(st, &err);
        if (msg) {
            CHECK(ml >= 8 && o->n < 64);
            if (o->n < 64) o->seqs[o->n++] = msg[6];
            continue;
        }
        while (ol > 0) { /* console bytes */
            const uint8_t *cm = NULL;
            size_t cl = 0, used = 0;
            rune_smp_deframer_feed(&con, other, ol, &used, &cm, &cl, &err);
            other += used;
            ol -= used;
            if (cm && o->n < 64) o->seqs[o->n++] = 1000 + cm[6];
        }
        if (other) continue;
        if (pos == len) break;
        size_t k = len - pos < step ? len - pos : step;
        pos += rune_smp_bin_deframer_push(&b, p + pos, k);
    }
    rune_smp_bin_deframer_free(&b);
    rune_smp_deframer_free(&con);
}

static uint8_t line[200000];

/* Append a binary frame of message seq (body bytes) to line at *n; returns where it starts. */
static size_t put_bin(size_t *n, size_t body, uint8_t seq)
{
    static uint8_t m[CAP];
    size_t ml = make_msg(m, body, seq), fl = 0;
    size_t at = *n;
    CHECK_OK(rune_smp_bin_frame(m, ml, line + at, sizeof line - at, &fl, NULL), NULL);
    CHECK_EQ_INT(fl, rune_smp_bin_frame_size(ml));
    *n += fl;
    return at;
}

static void put_console(size_t *n, size_t body, uint8_t seq)
{
    static uint8_t m[1024];
    size_t ml = make_msg(m, body, seq), fl = 0;
    CHECK_OK(rune_smp_serial_frame(m, ml, line + *n, sizeof line - *n, &fl, NULL), NULL);
    *n += fl;
}

static void put_text(size_t *n, const char *s)
{
    memcpy(line + *n, s, strlen(s));
    *n += strlen(s);
}

TEST(crc8_and_layout)
{
    /* the standard check value of CRC-8 (poly 0x07, init 0) */
    CHECK_EQ_INT(rune_smp_crc8((const uint8_t *)"123456789", 9), 0xf4);
    size_t n = 0;
    put_bin(&n, 1000, 5);
    CHECK_EQ_INT(n, 1008 + RUNE_SMP_BIN_OVERHEAD);
    CHECK_EQ_INT(line[0], 0xA5);
    CHECK_EQ_INT(line[1], 0x5A);
    CHECK_EQ_INT(line[2] << 8 | line[3], 1008);
    CHECK_EQ_INT(line[4], rune_smp_crc8(line + 2, 2));
    uint16_t crc = rune_smp_crc16(0, line + 5, 1008);
    CHECK_EQ_INT(line[5 + 1008] << 8 | line[5 + 1009], crc);
    rune_error err;
    uint8_t small[100], m[64];
    size_t fl = 0, ml = make_msg(m, 40, 1);
    CHECK_STATUS(rune_smp_bin_frame(m, ml, small, 50, &fl, &err), RUNE_E_LIMIT);
    CHECK_STATUS(rune_smp_bin_frame(m, 4, small, sizeof small, &fl, &err), RUNE_E_ARG);
    rune_smp_bin_deframer d;
    CHECK_STATUS(rune_smp_bin_deframer_init(&d, 3, &err), RUNE_E_ARG);
}

TEST(round_trips_with_console)
{
    size_t n = 0;
    put_text(&n, "*** boot ***\r\n");
    put_bin(&n, 4000, 1);
    put_console(&n, 300, 2);
    put_bin(&n, 0, 3);
    put_text(&n, "log line \xA5 with a sync byte in it\n");
    put_bin(&n, 1, 4);
    put_bin(&n, 4096 - 8, 5);
    put_console(&n, 20, 6);
    static const int want[] = {1, 1002, 3, 4, 5, 1006};
    static const size_t steps[] = {1, 7, 127, 5000, sizeof line};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        line_out o;
        long live = rune_alloc_live();
        decode_line(line, n, steps[s], &o);
        CHECK_EQ_INT(rune_alloc_live(), live);
        CHECK_EQ_INT(o.n, 6);
        CHECK_EQ_INT(o.crc_errors, 0);
        for (size_t i = 0; i < 6 && i < o.n; i++)
            CHECK_EQ_INT(o.seqs[i], want[i]);
    }
}

/* Damage frame 2 of four (each 2000 bytes) in one way; frames 1, 3 and 4 must survive. */
static void damaged(const char *what, int kind, int want_crc_errors)
{
    size_t n = 0;
    put_bin(&n, 2000, 1);
    size_t at = put_bin(&n, 2000, 2);
    put_bin(&n, 2000, 3);
    put_bin(&n, 2000, 4);
    switch (kind) {
    case 0: line[at + 700] ^= 0x10; break;   /* payload */
    case 1: line[at + 2] ^= 0x01; break;     /* length: the header check sees it */
    case 2: line[at + 4] ^= 0x80; break;     /* the header check itself */
    case 3: line[at + 5 + 2008] ^= 1; break; /* the CRC */
    case 4:                                  /* a byte lost in the payload */
        memmove(line + at + 900, line + at + 901, n - at - 901);
        n--;
        break;
    case 5: /* the frame cut off after 1000 bytes, the next one right behind */
        memmove(line + at + 1000, line + at + 2015, n - at - 2015);
        n -= 1015;
        break;
    case 6: /* a length over the buffer, with a header check that matches it */
        line[at + 2] = 0x20;
        line[at + 4] = rune_smp_crc8(line + at + 2, 2);
        break;
    }
    for (size_t step = 1; step <= 4096; step *= 64) {
        line_out o;
        decode_line(line, n, step, &o);
        CHECK_MSG_(o.n == 3 && o.seqs[0] == 1 && o.seqs[1] == 3 && o.seqs[2] == 4,
                   "%s (step %zu): %zu messages, first %d", what, step, o.n, o.n ? o.seqs[0] : -1);
        CHECK_MSG_(o.crc_errors == want_crc_errors, "%s: %d CRC errors, want %d", what,
                   o.crc_errors, want_crc_errors);
    }
}

TEST(damage_costs_one_frame)
{
    damaged("payload bit", 0, 1);
    damaged("length bit", 1, 0);
    damaged("header check bit", 2, 0);
    damaged("CRC bit", 3, 1);
    damaged("lost byte", 4, 1);
    damaged("cut frame", 5, 1);
    damaged("length over the buffer", 6, 0);
}

/* Random damage: whatever comes out is a message that was sent, in order, never a made-up one. */
TEST(random_damage_never_invents)
{
    uint64_t x = 0x1234abcdull;
    for (int round = 0; round < 50; round++) {
        size_t n = 0;
        for (uint8_t k = 0; k < 12; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            if ((x >> 60) % 3 == 0)
                put_console(&n, (size_t)(x >> 40) % 400, (uint8_t)(k + 1));
            else
                put_bin(&n, (size_t)(x >> 40) % 3000, (uint8_t)(k + 1));
        }
        for (int f = 0; f < 3; f++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            line[(x >> 20) % n] ^= (uint8_t)(1u << ((x >> 8) % 8));
        }
        line_out o;
        decode_line(line, n, 1 + (size_t)(x >> 50) % 300, &o);
        CHECK(o.n >= 6);
        int last = 0;
        for (size_t i = 0; i < o.n; i++) {
            int s = o.seqs[i] % 1000;
            CHECK_MSG_(s > last && s <= 12, "round %d: message %d after %d", round, s, last);
            last = s;
        }
    }
}

int main(void)
{
    RUN(crc8_and_layout);
    RUN(round_trips_with_console);
    RUN(damage_costs_one_frame);
    RUN(random_damage_never_invents);
    return test_report();
}
