/*
 * test_smp_msg.c - the SMP envelope and the dispatcher: header bits, length checks, body rules,
 * v1 "rc" and v2 "err" answers, retried requests answered from the cache, and every field of the
 * image upload exchange against the server-side receiver (sink in memory).
 */
#include <sodium.h>
#include <unistd.h>

#include "rune/alloc.h"
#include "rune/smp.h"
#include "test.h"

static rune_smp_msg msg; /* large: keep off the stack */
static uint8_t rsp[RUNE_SMP_MAX_MSG];

TEST(header_round_trip)
{
    rune_smp_hdr h = {.op = RUNE_SMP_OP_WRITE_RSP,
                      .version = RUNE_SMP_V2,
                      .flags = 0x5a,
                      .len = 0x1234,
                      .group = 0xabcd,
                      .seq = 0xfe,
                      .id = 7};
    uint8_t b[8];
    rune_smp_hdr_encode(&h, b);
    CHECK_EQ_INT(b[0], 0x0b); /* ver 1 << 3 | op 3 */
    CHECK(b[2] == 0x12 && b[3] == 0x34 && b[4] == 0xab && b[5] == 0xcd);
    rune_smp_hdr g;
    CHECK_OK(rune_smp_hdr_decode(b, 8, &g, NULL), NULL);
    CHECK(g.op == h.op && g.version == h.version && g.flags == h.flags && g.len == h.len &&
          g.group == h.group && g.seq == h.seq && g.id == h.id);
    rune_error err;
    CHECK_STATUS(rune_smp_hdr_decode(b, 7, &g, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "short header");
    b[0] = 0x80;
    CHECK_STATUS(rune_smp_hdr_decode(b, 8, &g, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "reserved");
    b[0] = 0x10; /* version bits 2: SMP v3 does not exist */
    CHECK_STATUS(rune_smp_hdr_decode(b, 8, &g, &err), RUNE_E_INVALID);
    b[0] = 0x05; /* op 5 */
    CHECK_STATUS(rune_smp_hdr_decode(b, 8, &g, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "unknown op");
}

static size_t build(uint8_t *out, uint8_t op, uint8_t ver, uint16_t group, uint8_t id, uint8_t seq,
                    const uint8_t *body, size_t body_len)
{
    rune_smp_hdr h = {.op = op, .version = ver, .group = group, .seq = seq, .id = id};
    size_t n = 0;
    CHECK_OK(rune_smp_msg_build(&h, body, body_len, out, RUNE_SMP_MAX_MSG, &n, NULL), NULL);
    return n;
}

TEST(message_decode_rules)
{
    static uint8_t m[RUNE_SMP_MAX_MSG];
    rune_error err;
    const uint8_t body[] = {0xa1, 0x61, 'd', 0x62, 'h', 'i'};
    size_t n = build(m, RUNE_SMP_OP_WRITE, RUNE_SMP_V1, 0, 0, 9, body, sizeof body);
    CHECK_EQ_INT(n, 14);
    CHECK_OK(rune_smp_msg_decode(m, n, &msg, &err), &err);
    CHECK_EQ_INT(msg.hdr.len, 6);
    CHECK(rune_cbor_text_eq(&msg.doc, (uint32_t)rune_cbor_map_find(&msg.doc, 0, "d"), "hi"));
    /* length past the end, and bytes beyond the declared length */
    CHECK_STATUS(rune_smp_msg_decode(m, n - 1, &msg, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "declares a 6-byte body, the message has 5");
    m[n] = 0;
    CHECK_STATUS(rune_smp_msg_decode(m, n + 1, &msg, &err), RUNE_E_MALFORMED);
    /* empty body reads as an empty map */
    n = build(m, RUNE_SMP_OP_READ, RUNE_SMP_V1, 0, 6, 0, NULL, 0);
    CHECK_OK(rune_smp_msg_decode(m, n, &msg, &err), &err);
    CHECK_EQ_INT(msg.items[0].type, RUNE_CBOR_MAP);
    /* body not a map */
    const uint8_t arr[] = {0x82, 0x01, 0x02};
    n = build(m, RUNE_SMP_OP_READ, RUNE_SMP_V1, 0, 0, 0, arr, sizeof arr);
    CHECK_STATUS(rune_smp_msg_decode(m, n, &msg, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "not a CBOR map");
    /* CBOR with a huge declared length inside a message */
    const uint8_t huge[] = {0xa1, 0x61, 'd', 0x5a, 0x7f, 0xff, 0xff, 0xff};
    n = build(m, RUNE_SMP_OP_READ, RUNE_SMP_V1, 0, 0, 0, huge, sizeof huge);
    CHECK_STATUS(rune_smp_msg_decode(m, n, &msg, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "smp body");
    CHECK_STATUS(rune_smp_msg_build(&(rune_smp_hdr){0}, NULL, 70000, m, sizeof m, &n, &err),
                 RUNE_E_LIMIT);
}

static int echo_calls;
static int counting_echo(void *ud, rune_smp_request *req, rune_cbor_enc *rsp_enc)
{
    echo_calls++;
    const char *p;
    size_t len;
    if (rune_cbor_get_text(&req->msg->doc, 0, "d", &p, &len, NULL) != RUNE_OK)
        return RUNE_SMP_ERR_INVAL;
    rune_cbor_put_textz(rsp_enc, "r");
    rune_cbor_put_text(rsp_enc, p, len);
    return 0;
}

static int failing(void *ud, rune_smp_request *req, rune_cbor_enc *rsp_enc)
{
    rune_cbor_put_textz(rsp_enc, "partial"); /* must be discarded */
    rune_cbor_put_uint(rsp_enc, 1);
    snprintf(req->rsn, sizeof req->rsn, "rune \"x\" is not installed");
    req->group_err = true;
    return RUNE_SMP_ERR_NOENT;
}

static int flooding(void *ud, rune_smp_request *req, rune_cbor_enc *rsp_enc)
{
    static uint8_t big[70000];
    rune_cbor_put_textz(rsp_enc, "big");
    rune_cbor_put_bytes(rsp_enc, big, sizeof big);
    return 0;
}

TEST(dispatcher)
{
    static uint8_t m[RUNE_SMP_MAX_MSG];
    rune_error err;
    long live = rune_alloc_live();
    rune_smp_server *s;
    CHECK_OK(rune_smp_server_create(&s, &err), &err);
    CHECK_OK(rune_smp_server_register(s, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_ECHO, RUNE_SMP_OP_WRITE,
                                      counting_echo, NULL, &err),
             &err);
    CHECK_OK(rune_smp_server_register(s, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_START,
                                      RUNE_SMP_OP_WRITE, failing, NULL, &err),
             &err);
    CHECK_OK(rune_smp_server_register(s, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_LOGS, RUNE_SMP_OP_READ,
                                      flooding, NULL, &err),
             &err);
    CHECK_STATUS(rune_smp_server_register(s, 1, 1, RUNE_SMP_OP_READ_RSP, failing, NULL, &err),
                 RUNE_E_ARG);
    const uint8_t body[] = {0xa1, 0x61, 'd', 0x63, 'a', 'b', 'c'};
    size_t n = build(m, RUNE_SMP_OP_WRITE, RUNE_SMP_V1, 0, 0, 42, body, sizeof body), rn = 0;
    echo_calls = 0;
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_OK(rune_smp_msg_decode(rsp, rn, &msg, &err), &err);
    CHECK_EQ_INT(msg.hdr.op, RUNE_SMP_OP_WRITE_RSP);
    CHECK_EQ_INT(msg.hdr.seq, 42);
    CHECK_EQ_INT(rune_smp_msg_rc(&msg, NULL, NULL, 0), 0);
    char out[16];
    CHECK_OK(rune_cbor_get_textz(&msg.doc, 0, "r", out, sizeof out, &err), &err);
    CHECK_STR(out, "abc");
    /* the same request again (a retry): same answer, handler not run again */
    size_t rn2 = 0;
    static uint8_t rsp2[RUNE_SMP_MAX_MSG];
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp2, sizeof rsp2, &rn2, &err), &err);
    CHECK(rn2 == rn && memcmp(rsp, rsp2, rn) == 0);
    CHECK_EQ_INT(echo_calls, 1);
    /* a new sequence number runs it */
    m[6] = 43;
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_EQ_INT(echo_calls, 2);
    /* a repeat after the retry window is a new request (another client that drew the same seq) */
    rune_smp_server_set_retry_window(s, 30);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_EQ_INT(echo_calls, 2);
    usleep(60 * 1000);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_EQ_INT(echo_calls, 3);
    rune_smp_server_set_retry_window(s, 0);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_EQ_INT(echo_calls, 4);

    /* unknown command: "rc": 8, in v1 and in v2 (an SMP-level error, not a group's) */
    n = build(m, RUNE_SMP_OP_READ, RUNE_SMP_V1, 9, 3, 1, NULL, 0);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_OK(rune_smp_msg_decode(rsp, rn, &msg, &err), &err);
    uint64_t rc = 0;
    CHECK_OK(rune_cbor_get_uint(&msg.doc, 0, "rc", &rc, &err), &err);
    CHECK_EQ_INT(rc, RUNE_SMP_ERR_NOTSUP);
    n = build(m, RUNE_SMP_OP_READ, RUNE_SMP_V2, 9, 3, 2, NULL, 0);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_OK(rune_smp_msg_decode(rsp, rn, &msg, &err), &err);
    CHECK_EQ_INT(msg.hdr.version, RUNE_SMP_V2);
    CHECK(rune_cbor_map_find(&msg.doc, 0, "err") < 0);
    int eg = 0;
    CHECK_EQ_INT(rune_smp_msg_rc(&msg, &eg, NULL, 0), RUNE_SMP_ERR_NOTSUP);
    CHECK_EQ_INT(eg, -1);

    /* a handler's group error: v2 "err" {group, rc}; its pairs are dropped, the reason is kept */
    n = build(m, RUNE_SMP_OP_WRITE, RUNE_SMP_V2, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_START, 3, NULL,
              0);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_OK(rune_smp_msg_decode(rsp, rn, &msg, &err), &err);
    char rsn[64];
    CHECK_EQ_INT(rune_smp_msg_rc(&msg, &eg, rsn, sizeof rsn), RUNE_SMP_ERR_NOENT);
    CHECK_EQ_INT(eg, RUNE_SMP_GROUP_RUNE);
    long e = rune_cbor_map_find(&msg.doc, 0, "err");
    CHECK(e > 0);
    CHECK_OK(rune_cbor_get_uint(&msg.doc, (uint32_t)e, "group", &rc, &err), &err);
    CHECK_EQ_INT(rc, RUNE_SMP_GROUP_RUNE);
    CHECK(rune_cbor_map_find(&msg.doc, 0, "rc") < 0);
    CHECK_STR(rsn, "rune \"x\" is not installed");
    CHECK(rune_cbor_map_find(&msg.doc, 0, "partial") < 0);
    /* the same handler error to a v1 request: "rc" */
    n = build(m, RUNE_SMP_OP_WRITE, RUNE_SMP_V1, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_START, 33, NULL,
              0);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_OK(rune_smp_msg_decode(rsp, rn, &msg, &err), &err);
    CHECK_EQ_INT(rune_smp_msg_rc(&msg, &eg, NULL, 0), RUNE_SMP_ERR_NOENT);
    CHECK_EQ_INT(eg, -1);

    /* an answer too large for the message: EMSGSIZE */
    n = build(m, RUNE_SMP_OP_READ, RUNE_SMP_V1, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_LOGS, 4, NULL,
              0);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_OK(rune_smp_msg_decode(rsp, rn, &msg, &err), &err);
    CHECK_EQ_INT(rune_smp_msg_rc(&msg, NULL, NULL, 0), RUNE_SMP_ERR_MSGSIZE);

    /* a body that is not CBOR: the error, and an EINVAL answer that says why */
    const uint8_t junk[] = {0xa1, 0x61};
    n = build(m, RUNE_SMP_OP_WRITE, RUNE_SMP_V1, 0, 0, 5, junk, sizeof junk);
    CHECK_STATUS(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), RUNE_E_MALFORMED);
    CHECK(rn > 0);
    CHECK_OK(rune_smp_msg_decode(rsp, rn, &msg, &err), &err);
    CHECK_EQ_INT(rune_smp_msg_rc(&msg, NULL, rsn, sizeof rsn), RUNE_SMP_ERR_INVAL);
    CHECK_CONTAINS(rsn, "smp body: cbor: map declares 1 entries");
    /* the length past the end: EINVAL answer too */
    n = build(m, RUNE_SMP_OP_WRITE, RUNE_SMP_V1, 0, 0, 6, body, sizeof body);
    CHECK_STATUS(rune_smp_server_handle(s, m, n - 2, rsp, sizeof rsp, &rn, &err), RUNE_E_MALFORMED);
    /* a short header: no answer at all */
    CHECK_STATUS(rune_smp_server_handle(s, m, 5, rsp, sizeof rsp, &rn, &err), RUNE_E_MALFORMED);
    CHECK_EQ_INT(rn, 0);
    /* responses are not answered */
    n = build(m, RUNE_SMP_OP_READ_RSP, RUNE_SMP_V1, 0, 0, 6, NULL, 0);
    CHECK_OK(rune_smp_server_handle(s, m, n, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_EQ_INT(rn, 0);
    rune_smp_server_destroy(s);
    CHECK_EQ_INT(rune_alloc_live(), live);

    /* every allocation failure of create is a clean NOMEM */
    for (long k = 0; k < 6; k++) {
        rune_alloc_fail_after(k);
        rune_smp_server *s2 = NULL;
        rune_status st = rune_smp_server_create(&s2, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            rune_smp_server_destroy(s2);
            break;
        }
        CHECK_STATUS(st, RUNE_E_NOMEM);
        CHECK(s2 == NULL);
        CHECK_EQ_INT(rune_alloc_live(), live);
    }
}

/* ---- image upload, handler level ---- */

typedef struct mem_sink {
    uint8_t *buf;
    size_t len, written;
    int begins, finishes;
    bool match;
} mem_sink;

static int sink_begin(void *ud, uint32_t image, size_t len, const uint8_t sha[32])
{
    mem_sink *m = ud;
    free(m->buf);
    m->buf = malloc(len ? len : 1);
    m->len = len;
    m->written = 0;
    m->begins++;
    return m->buf ? 0 : RUNE_SMP_ERR_NOMEM;
}

static int sink_write(void *ud, size_t off, const uint8_t *data, size_t len)
{
    mem_sink *m = ud;
    if (off != m->written || off + len > m->len) return RUNE_SMP_ERR_UNKNOWN;
    memcpy(m->buf + off, data, len);
    m->written += len;
    return 0;
}

static rune_smp_img_recv *refusing_recv; /* where the sink writes its reason */
static int sink_finish(void *ud, bool match)
{
    mem_sink *m = ud;
    m->finishes++;
    m->match = match;
    if (match && refusing_recv) {
        snprintf(refusing_recv->rsn, sizeof refusing_recv->rsn, "rune rejected: bad magic");
        return RUNE_SMP_ERR_INVAL;
    }
    return 0;
}

/* Send one upload request through the dispatcher; the decoded answer lands in msg. */
static int upload_req(rune_smp_server *s, uint8_t seq, int64_t off, const uint8_t *data, size_t n,
                      int64_t len, const uint8_t *sha, size_t sha_len)
{
    static uint8_t body[4096], m[RUNE_SMP_MAX_MSG];
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, body, sizeof body);
    rune_cbor_put_map_indef(&e);
    if (off >= 0) {
        rune_cbor_put_textz(&e, "off");
        rune_cbor_put_uint(&e, (uint64_t)off);
    }
    if (data) {
        rune_cbor_put_textz(&e, "data");
        rune_cbor_put_bytes(&e, data, n);
    }
    if (len >= 0) {
        rune_cbor_put_textz(&e, "len");
        rune_cbor_put_uint(&e, (uint64_t)len);
    }
    if (sha) {
        rune_cbor_put_textz(&e, "sha");
        rune_cbor_put_bytes(&e, sha, sha_len);
    }
    rune_cbor_put_break(&e);
    size_t mn = build(m, RUNE_SMP_OP_WRITE, RUNE_SMP_V1, RUNE_SMP_GROUP_IMAGE,
                      RUNE_SMP_IMAGE_UPLOAD, seq, body, e.len);
    size_t rn = 0;
    rune_error err;
    CHECK_OK(rune_smp_server_handle(s, m, mn, rsp, sizeof rsp, &rn, &err), &err);
    CHECK_OK(rune_smp_msg_decode(rsp, rn, &msg, &err), &err);
    return rune_smp_msg_rc(&msg, NULL, NULL, 0);
}

static uint64_t rsp_off(void)
{
    uint64_t off = 99999;
    CHECK_OK(rune_cbor_get_uint(&msg.doc, 0, "off", &off, NULL), NULL);
    return off;
}

TEST(upload_exchange_fields)
{
    CHECK(sodium_init() >= 0);
    uint8_t img[3000], sha[32], bad_sha[32];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i * 7 + 3);
    crypto_hash_sha256(sha, img, sizeof img);
    memset(bad_sha, 0x11, sizeof bad_sha);
    rune_error err;
    rune_smp_server *s;
    CHECK_OK(rune_smp_server_create(&s, &err), &err);
    mem_sink ms = {0};
    rune_smp_img_sink sink = {sink_begin, sink_write, sink_finish, &ms};
    rune_smp_img_recv r;
    rune_smp_img_recv_init(&r, &sink, 1 << 20);
    CHECK_OK(rune_smp_img_recv_register(&r, s, &err), &err);
    uint8_t seq = 0;

    /* a chunk before any first packet: no session (a state, not a bad request: a pipelined
     * client's chunk may arrive after the session ended, and must not read as a refusal) */
    CHECK_EQ_INT(upload_req(s, seq++, 1000, img, 100, -1, NULL, 0), RUNE_SMP_ERR_BADSTATE);
    /* first packet without len, without sha, with a short sha, too big */
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 100, -1, sha, 32), RUNE_SMP_ERR_INVAL);
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 100, 3000, NULL, 0), RUNE_SMP_ERR_INVAL);
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 100, 3000, sha, 16), RUNE_SMP_ERR_INVAL);
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 100, 2 << 20, sha, 32), RUNE_SMP_ERR_NOMEM);
    /* missing off / data */
    CHECK_EQ_INT(upload_req(s, seq++, -1, img, 100, 3000, sha, 32), RUNE_SMP_ERR_INVAL);
    CHECK_EQ_INT(upload_req(s, seq++, 0, NULL, 0, 3000, sha, 32), RUNE_SMP_ERR_INVAL);
    CHECK_EQ_INT(ms.begins, 0);

    /* the real exchange: first packet, then chunks; answers carry rc 0 and the offset */
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 1000, 3000, sha, 32), 0);
    CHECK_EQ_INT(rsp_off(), 1000);
    uint64_t rc = 1;
    CHECK_OK(rune_cbor_get_uint(&msg.doc, 0, "rc", &rc, NULL), NULL);
    CHECK_EQ_INT(rc, 0);
    CHECK(rune_cbor_map_find(&msg.doc, 0, "match") < 0);
    /* a chunk at the wrong offset is not written; the answer says where to go on */
    CHECK_EQ_INT(upload_req(s, seq++, 2000, img + 2000, 1000, -1, NULL, 0), 0);
    CHECK_EQ_INT(rsp_off(), 1000);
    CHECK_EQ_INT(ms.written, 1000);
    /* a chunk past the declared length */
    CHECK_EQ_INT(upload_req(s, seq++, 1000, img, 2500, -1, NULL, 0), RUNE_SMP_ERR_INVAL);
    CHECK_EQ_INT(upload_req(s, seq++, 1000, img + 1000, 1000, -1, NULL, 0), 0);
    CHECK_EQ_INT(rsp_off(), 2000);
    /* resume: the first packet again with the same sha answers the held offset, writes nothing */
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 1000, 3000, sha, 32), 0);
    CHECK_EQ_INT(rsp_off(), 2000);
    CHECK_EQ_INT(ms.begins, 1);
    CHECK_EQ_INT(upload_req(s, seq++, 2000, img + 2000, 1000, -1, NULL, 0), 0);
    CHECK_EQ_INT(rsp_off(), 3000);
    bool match = false;
    CHECK_OK(rune_cbor_get_bool(&msg.doc, 0, "match", &match, NULL), NULL);
    CHECK(match);
    CHECK_EQ_INT(ms.finishes, 1);
    CHECK(ms.match);
    CHECK(memcmp(ms.buf, img, sizeof img) == 0);

    /* an upload whose declared sha is wrong ends with match false */
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 3000, 3000, bad_sha, 32), 0);
    CHECK_EQ_INT(rsp_off(), 3000);
    CHECK_OK(rune_cbor_get_bool(&msg.doc, 0, "match", &match, NULL), NULL);
    CHECK(!match);
    CHECK(!ms.match);
    /* and a resume of it does not claim success: it starts over */
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 1000, 3000, bad_sha, 32), 0);
    CHECK_EQ_INT(rsp_off(), 1000);
    CHECK_EQ_INT(ms.begins, 3);

    /* a sink that refuses the finished image: its rc and reason reach the client */
    refusing_recv = &r;
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 3000, 3000, sha, 32), RUNE_SMP_ERR_INVAL);
    char rsn[64];
    CHECK_EQ_INT(rune_smp_msg_rc(&msg, NULL, rsn, sizeof rsn), RUNE_SMP_ERR_INVAL);
    CHECK_STR(rsn, "rune rejected: bad magic");
    CHECK_EQ_INT(r.rsn[0], 0);
    refusing_recv = NULL;
    /* an empty image */
    CHECK_EQ_INT(upload_req(s, seq++, 0, img, 0, 0, sha, 32), 0);
    CHECK_EQ_INT(rsp_off(), 0);
    CHECK(rune_cbor_map_find(&msg.doc, 0, "match") >= 0);
    free(ms.buf);
    rune_smp_server_destroy(s);
}

/* An agent restarted in the middle of an upload restores the session from its staging file. */
TEST(upload_restore_after_restart)
{
    uint8_t img[2500], sha[32];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i * 13 + 1);
    crypto_hash_sha256(sha, img, sizeof img);
    rune_error err;
    rune_smp_server *s;
    CHECK_OK(rune_smp_server_create(&s, &err), &err);
    mem_sink ms = {0};
    rune_smp_img_sink sink = {sink_begin, sink_write, sink_finish, &ms};
    rune_smp_img_recv r;
    rune_smp_img_recv_init(&r, &sink, 1 << 20);
    CHECK_OK(rune_smp_img_recv_register(&r, s, &err), &err);
    /* the sink still holds 1200 bytes from before the restart */
    ms.buf = malloc(sizeof img);
    ms.len = sizeof img;
    memcpy(ms.buf, img, 1200);
    ms.written = 1200;
    CHECK_STATUS(rune_smp_img_recv_restore(&r, 0, sizeof img, sha, img, sizeof img, &err),
                 RUNE_E_ARG);
    CHECK_STATUS(rune_smp_img_recv_restore(&r, 0, 2 << 20, sha, img, 10, &err), RUNE_E_ARG);
    CHECK_OK(rune_smp_img_recv_restore(&r, 0, sizeof img, sha, img, 1200, &err), &err);
    /* the client's first packet again: it is told to go on from 1200 */
    CHECK_EQ_INT(upload_req(s, 1, 0, img, 1000, sizeof img, sha, 32), 0);
    CHECK_EQ_INT(rsp_off(), 1200);
    CHECK_EQ_INT(ms.begins, 0);
    CHECK_EQ_INT(upload_req(s, 2, 1200, img + 1200, 1300, -1, NULL, 0), 0);
    CHECK_EQ_INT(rsp_off(), sizeof img);
    bool match = false;
    CHECK_OK(rune_cbor_get_bool(&msg.doc, 0, "match", &match, NULL), NULL);
    CHECK(match); /* the hash covers the restored bytes too */
    CHECK(memcmp(ms.buf, img, sizeof img) == 0);
    /* restored from damaged bytes: the end says so */
    uint8_t bad[1200];
    memcpy(bad, img, sizeof bad);
    bad[7] ^= 1;
    CHECK_OK(rune_smp_img_recv_restore(&r, 0, sizeof img, sha, bad, sizeof bad, &err), &err);
    ms.written = 1200;
    CHECK_EQ_INT(upload_req(s, 3, 1200, img + 1200, 1300, -1, NULL, 0), 0);
    CHECK_OK(rune_cbor_get_bool(&msg.doc, 0, "match", &match, NULL), NULL);
    CHECK(!match);
    free(ms.buf);
    rune_smp_server_destroy(s);
}

int main(void)
{
    RUN(header_round_trip);
    RUN(message_decode_rules);
    RUN(dispatcher);
    RUN(upload_exchange_fields);
    RUN(upload_restore_after_restart);
    return test_report();
}
