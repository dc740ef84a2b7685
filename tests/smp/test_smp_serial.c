/*
 * test_smp_serial.c - SMP console framing: CRC16 (XMODEM) check value, frame layout and line
 * lengths, round trips fed in one go and byte by byte with console text around, and hostile frames
 * (bad base64, bad CRC, duplicated and reordered frames, continuation without start, overlong
 * lines, lengths over the buffer), each a clear error after which the next packet still decodes.
 */
#include "rune/alloc.h"
#include "rune/smp.h"
#include "test.h"

static uint8_t frame[200000];

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

TEST(crc16_xmodem)
{
    /* the standard check value of CRC-16/XMODEM */
    CHECK_EQ_INT(rune_smp_crc16(0, (const uint8_t *)"123456789", 9), 0x31c3);
    CHECK_EQ_INT(rune_smp_crc16(0, NULL, 0), 0);
}

TEST(frame_layout)
{
    static uint8_t m[2000];
    size_t n = make_msg(m, 1000, 1), fl = 0;
    rune_error err;
    CHECK_OK(rune_smp_serial_frame(m, n, frame, sizeof frame, &fl, &err), &err);
    CHECK_EQ_INT(fl, rune_smp_serial_frame_size(n));
    /* lines: first 06 09, then 04 14, each <= 127 bytes with its newline, only base64 inside */
    size_t start = 0, lines = 0;
    for (size_t i = 0; i < fl; i++) {
        if (frame[i] != '\n') continue;
        size_t len = i - start + 1;
        CHECK(len <= 127);
        if (lines == 0)
            CHECK(frame[start] == 0x06 && frame[start + 1] == 0x09);
        else
            CHECK(frame[start] == 0x04 && frame[start + 1] == 0x14);
        for (size_t k = start + 2; k < i; k++)
            CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
                         frame[k]) != NULL);
        lines++;
        start = i + 1;
    }
    CHECK_EQ_INT(start, fl);
    /* 1008-byte message + 4 bytes of length and CRC, 93 raw bytes a line */
    CHECK_EQ_INT(lines, (1012 + 92) / 93);
    /* the first line decodes to the length: 1008 + 2 = 0x03f2 -> base64 "A/IA..." */
    CHECK(frame[2] == 'A' && frame[3] == '/');
    CHECK_STATUS(rune_smp_serial_frame(m, n, frame, 10, &fl, &err), RUNE_E_LIMIT);
    CHECK_STATUS(rune_smp_serial_frame(m, 4, frame, sizeof frame, &fl, &err), RUNE_E_ARG);
}

TEST(round_trips)
{
    static uint8_t m[70000];
    rune_error err;
    long live = rune_alloc_live();
    rune_smp_deframer d;
    CHECK_OK(rune_smp_deframer_init(&d, 65000, &err), &err);
    size_t sizes[] = {0, 1, 2, 3, 85, 89, 90, 91, 92, 93, 200, 1024, 65000 - 8};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = make_msg(m, sizes[si], (uint8_t)si), fl = 0;
        CHECK_OK(rune_smp_serial_frame(m, n, frame, sizeof frame, &fl, &err), &err);
        /* console text before it, and a line of text between */
        static uint8_t stream[200100];
        const char *pre = "boot: hello\n\x04 not a frame\n";
        size_t pl = strlen(pre);
        memcpy(stream, pre, pl);
        memcpy(stream + pl, frame, fl);
        size_t total = pl + fl;
        const uint8_t *out = NULL;
        size_t out_len = 0, used = 0, pos = 0;
        /* all at once */
        CHECK_OK(rune_smp_deframer_feed(&d, stream, total, &used, &out, &out_len, &err), &err);
        CHECK(out != NULL);
        CHECK_EQ_INT(used, total);
        CHECK(out && out_len == n && memcmp(out, m, n) == 0);
        /* one byte at a time */
        out = NULL;
        for (pos = 0; pos < total && !out; pos++) {
            CHECK_OK(rune_smp_deframer_feed(&d, stream + pos, 1, &used, &out, &out_len, &err),
                     &err);
        }
        CHECK_EQ_INT(pos, total);
        CHECK(out && out_len == n && memcmp(out, m, n) == 0);
    }
    /* two packets in one buffer: the first is returned, the rest is left for the next call */
    size_t n1 = make_msg(m, 10, 1), f1 = 0, f2 = 0;
    CHECK_OK(rune_smp_serial_frame(m, n1, frame, sizeof frame, &f1, &err), &err);
    size_t n2 = make_msg(m, 20, 2);
    CHECK_OK(rune_smp_serial_frame(m, n2, frame + f1, sizeof frame - f1, &f2, &err), &err);
    const uint8_t *out;
    size_t ol, used;
    CHECK_OK(rune_smp_deframer_feed(&d, frame, f1 + f2, &used, &out, &ol, &err), &err);
    CHECK(out && ol == n1 && used == f1);
    CHECK_OK(rune_smp_deframer_feed(&d, frame + used, f1 + f2 - used, &used, &out, &ol, &err),
             &err);
    CHECK(out && ol == n2 && memcmp(out, m, n2) == 0);
    rune_smp_deframer_free(&d);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

/* Feed bytes; expect the error `want` with `msg`, then a good packet must still come through. */
static void expect_bad(rune_smp_deframer *d, const uint8_t *bytes, size_t len, rune_status want,
                       const char *msg)
{
    rune_error err;
    rune_error_clear(&err);
    const uint8_t *out = NULL;
    size_t ol = 0, used = 0, pos = 0;
    rune_status st = RUNE_OK;
    while (pos < len && st == RUNE_OK && !out) {
        st = rune_smp_deframer_feed(d, bytes + pos, len - pos, &used, &out, &ol, &err);
        pos += used;
    }
    CHECK_STATUS(st, want);
    CHECK(out == NULL);
    CHECK_CONTAINS(err.msg, msg);
    /* drain the rest of the bad input, then a good packet decodes */
    while (pos < len) {
        rune_smp_deframer_feed(d, bytes + pos, len - pos, &used, &out, &ol, &err);
        pos += used;
    }
    static uint8_t m[64], f[200];
    size_t n = make_msg(m, 30, 77), fl = 0;
    CHECK_OK(rune_smp_serial_frame(m, n, f, sizeof f, &fl, NULL), NULL);
    CHECK_OK(rune_smp_deframer_feed(d, f, fl, &used, &out, &ol, &err), &err);
    CHECK(out && ol == n && memcmp(out, m, n) == 0);
}

TEST(hostile_frames)
{
    rune_smp_deframer d;
    rune_error err;
    long live = rune_alloc_live();
    CHECK_OK(rune_smp_deframer_init(&d, 1024, &err), &err);
    static uint8_t m[2000], bad[4000];
    size_t n = make_msg(m, 300, 5), fl = 0;
    CHECK_OK(rune_smp_serial_frame(m, n, frame, sizeof frame, &fl, &err), &err);
    /* line boundaries of the good frame */
    size_t ends[16], nl = 0;
    for (size_t i = 0; i < fl; i++)
        if (frame[i] == '\n') ends[nl++] = i + 1;
    CHECK(nl == 4);

    memcpy(bad, frame, fl);
    bad[10] = '*';
    expect_bad(&d, bad, fl, RUNE_E_MALFORMED, "bad base64");
    memcpy(bad, frame, fl);
    bad[ends[1] + 5] = bad[ends[1] + 5] == 'A' ? 'B' : 'A';
    expect_bad(&d, bad, fl, RUNE_E_MALFORMED, "CRC mismatch");
    /* a line whose base64 is not whole groups */
    memcpy(bad, frame, ends[0]);
    bad[ends[0] - 2] = '\n';
    expect_bad(&d, bad, ends[0] - 1, RUNE_E_MALFORMED, "whole base64 groups");
    /* duplicated continuation frame */
    size_t bl = 0;
    memcpy(bad, frame, ends[1]);
    bl = ends[1];
    memcpy(bad + bl, frame + ends[0], ends[1] - ends[0]);
    bl += ends[1] - ends[0];
    memcpy(bad + bl, frame + ends[1], fl - ends[1]);
    bl += fl - ends[1];
    expect_bad(&d, bad, bl, RUNE_E_MALFORMED, "");
    /* reordered continuation frames */
    bl = 0;
    memcpy(bad, frame, ends[0]);
    bl = ends[0];
    memcpy(bad + bl, frame + ends[1], ends[2] - ends[1]);
    bl += ends[2] - ends[1];
    memcpy(bad + bl, frame + ends[0], ends[1] - ends[0]);
    bl += ends[1] - ends[0];
    memcpy(bad + bl, frame + ends[2], fl - ends[2]);
    bl += fl - ends[2];
    expect_bad(&d, bad, bl, RUNE_E_MALFORMED, "CRC mismatch");
    /* continuation without a start */
    expect_bad(&d, frame + ends[0], fl - ends[0], RUNE_E_MALFORMED, "without a start");
    /* an overlong line */
    memset(bad, 'A', 300);
    bad[0] = 0x06;
    bad[1] = 0x09;
    bad[300] = '\n';
    expect_bad(&d, bad, 301, RUNE_E_MALFORMED, "longer than 127");
    /* a declared length over the buffer: 0xffff */
    const uint8_t big[] = {0x06, 0x09, '/', '/', '8', 'A', '\n'};
    expect_bad(&d, big, sizeof big, RUNE_E_LIMIT, "exceeds the receive buffer");
    /* a declared length shorter than a header: 3 */
    const uint8_t tiny[] = {0x06, 0x09, 'A', 'A', 'M', 'A', '\n'};
    expect_bad(&d, tiny, sizeof tiny, RUNE_E_MALFORMED, "shorter than header");
    /* a frame running past the declared length: length 10 but 93 bytes of data */
    memcpy(bad, frame, ends[0]);
    uint8_t raw[93] = {0, 10};
    extern size_t smp_b64_encode(const uint8_t *in, size_t len, uint8_t *out);
    smp_b64_encode(raw, 93, bad + 2);
    expect_bad(&d, bad, ends[0], RUNE_E_MALFORMED, "past the declared");
    /* a start frame cut short, then a new start: the new packet wins (no error needed) */
    rune_smp_deframer_free(&d);
    CHECK_EQ_INT(rune_alloc_live(), live);
    CHECK_STATUS(rune_smp_deframer_init(&d, 3, &err), RUNE_E_ARG);
}

/* The fuzz seeds were made by an independent encoder (a Python script: its own CBOR, CRC16 and
 * base64); our de-framer must read them, and our framer must produce the same bytes. */
TEST(independent_encoder_seeds)
{
    const char *names[] = {"echo_v1", "upload_first", "rune_logs", "nested", "rune_start"};
    rune_smp_deframer d;
    CHECK_OK(rune_smp_deframer_init(&d, 1024, NULL), NULL);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        size_t sl = 0, ml = 0;
        snprintf(path, sizeof path, "%s/fuzz/smp/corpus/smp_serial/%s", RUNE_SOURCE_DIR, names[i]);
        uint8_t *ser = test_read_file(path, &sl);
        snprintf(path, sizeof path, "%s/fuzz/smp/corpus/smp_frame/%s", RUNE_SOURCE_DIR, names[i]);
        uint8_t *m = test_read_file(path, &ml);
        CHECK(ser && m && sl > 1);
        if (!ser || !m) {
            free(ser);
            free(m);
            continue;
        }
        const uint8_t *out = NULL;
        size_t ol = 0, used = 0;
        CHECK_OK(rune_smp_deframer_feed(&d, ser + 1, sl - 1, &used, &out, &ol, NULL), NULL);
        CHECK(out && ol == ml && memcmp(out, m, ml) == 0);
        size_t fl = 0;
        CHECK_OK(rune_smp_serial_frame(m, ml, frame, sizeof frame, &fl, NULL), NULL);
        CHECK(fl == sl - 1 && memcmp(frame, ser + 1, fl) == 0);
        static rune_smp_msg msg;
        CHECK_OK(rune_smp_msg_decode(m, ml, &msg, NULL), NULL);
        free(ser);
        free(m);
    }
    rune_smp_deframer_free(&d);
}

int main(void)
{
    RUN(independent_encoder_seeds);
    RUN(crc16_xmodem);
    RUN(frame_layout);
    RUN(round_trips);
    RUN(hostile_frames);
    return test_report();
}
