/*
 * fuzz_smp_frame.c - libFuzzer harness: an SMP message from the wire through the header check, the
 * CBOR body decoder and the dispatcher (OS handlers, the image receiver, and stub handlers that
 * echo what they were given). Every answer the server writes must itself decode.
 */
#include <stdlib.h>
#include <string.h>

#include "rune/smp.h"

static rune_smp_server *srv;
static rune_smp_img_recv recv_state;
static uint8_t rsp[RUNE_SMP_MAX_MSG];
static rune_smp_msg check;

/* Stub: echo the request's item count, its body, and every top-level text value it can read. */
static int stub_echo(void *ud, rune_smp_request *req, rune_cbor_enc *out)
{
    const rune_cbor_doc *d = &req->msg->doc;
    rune_cbor_put_textz(out, "n");
    rune_cbor_put_uint(out, d->n);
    rune_cbor_put_textz(out, "body");
    rune_cbor_put_bytes(out, req->msg->body, req->msg->body_len);
    static const char *keys[] = {"name", "d", "format", "since", "max", "hash", "confirm"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        long v = rune_cbor_map_find(d, 0, keys[i]);
        if (v < 0) continue;
        rune_cbor_put_textz(out, keys[i]);
        const rune_cbor_item *it = &d->items[v];
        if (it->type == RUNE_CBOR_TEXT)
            rune_cbor_put_text(out, (const char *)it->v.s.p, it->v.s.len);
        else
            rune_cbor_put_uint(out, it->type);
    }
    req->group_err = d->n % 2;
    return (d->n % 7 == 3) ? RUNE_SMP_ERR_BADSTATE : RUNE_SMP_ERR_OK;
}

static int sink_write(void *ud, size_t off, const uint8_t *data, size_t len)
{
    return off + len <= (1u << 20) ? 0 : RUNE_SMP_ERR_UNKNOWN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv) {
        if (rune_smp_server_create(&srv, NULL) != RUNE_OK) abort();
        rune_smp_server_register_os(srv, 1024, NULL);
        rune_smp_img_sink sink = {NULL, sink_write, NULL, NULL};
        rune_smp_img_recv_init(&recv_state, &sink, 1u << 20);
        rune_smp_img_recv_register(&recv_state, srv, NULL);
        for (uint8_t id = 0; id < 6; id++) {
            rune_smp_server_register(srv, RUNE_SMP_GROUP_RUNE, id, RUNE_SMP_OP_READ, stub_echo,
                                     NULL, NULL);
            rune_smp_server_register(srv, RUNE_SMP_GROUP_RUNE, id, RUNE_SMP_OP_WRITE, stub_echo,
                                     NULL, NULL);
        }
        rune_smp_server_register(srv, RUNE_SMP_GROUP_IMAGE, RUNE_SMP_IMAGE_STATE, RUNE_SMP_OP_READ,
                                 stub_echo, NULL, NULL);
    }
    size_t n = 0;
    rune_error err;
    rune_smp_server_handle(srv, data, size, rsp, sizeof rsp, &n, &err);
    if (n > 0) {
        if (rune_smp_msg_decode(rsp, n, &check, &err) != RUNE_OK) abort();
        char rsn[64];
        int group;
        rune_smp_msg_rc(&check, &group, rsn, sizeof rsn);
    }
    return 0;
}
