/*
 * test_smp_groups.c - the answer shapes of image state, rune status and caps: written with the
 * server-side put_* helpers by stub handlers, read back with the client helpers, field by field;
 * answers of the wrong shape are PROTOCOL errors; start/stop carry the name.
 */
#include "smp_fixture.h"

static rune_smp_image_slot slots[2];
static bool bad_shapes;

static int h_image_state(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    const uint8_t *hash;
    size_t hl;
    if (rune_cbor_get_bytes(&req->msg->doc, 0, "hash", &hash, &hl, NULL) == RUNE_OK) {
        bool confirm = false;
        rune_cbor_get_bool(&req->msg->doc, 0, "confirm", &confirm, NULL);
        if (hl != 32) {
            /* a group-specific code (as a standard device would send for a bad hash) */
            req->group_err = true;
            snprintf(req->rsn, sizeof req->rsn, "hash must be 32 bytes");
            return 3;
        }
        if (memcmp(hash, slots[1].hash, 32) != 0) {
            snprintf(req->rsn, sizeof req->rsn, "no image with that hash");
            return RUNE_SMP_ERR_NOENT;
        }
        slots[1].pending = !confirm;
        slots[1].confirmed = confirm;
        slots[1].permanent = confirm;
    }
    rune_smp_put_image_state(rsp, slots, 2);
    return 0;
}

static int h_status(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    if (bad_shapes) {
        rune_cbor_put_textz(rsp, "runes");
        rune_cbor_put_map(rsp, 0);
        return 0;
    }
    rune_smp_rune_info r[2] = {
        {.name = "sine",
         .version = "1.2.0",
         .state = "running",
         .digest_len = 32,
         .uptime_ms = 123456},
        {.name = "microspeech", .version = "0.9", .state = "stopped", .digest_len = 0},
    };
    for (int i = 0; i < 32; i++)
        r[0].digest[i] = (uint8_t)(0xa0 + i);
    char name[64];
    if (rune_cbor_get_textz(&req->msg->doc, 0, "name", name, sizeof name, NULL) == RUNE_OK) {
        for (int i = 0; i < 2; i++)
            if (strcmp(name, r[i].name) == 0) {
                rune_smp_put_rune_status(rsp, &r[i], 1);
                return 0;
            }
        return RUNE_SMP_ERR_NOENT;
    }
    rune_smp_put_rune_status(rsp, r, 2);
    return 0;
}

static int h_caps(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    if (bad_shapes) {
        rune_cbor_put_textz(rsp, "caps");
        rune_cbor_put_array(rsp, 1);
        rune_cbor_put_map(rsp, 1);
        rune_cbor_put_textz(rsp, "kind");
        rune_cbor_put_uint(rsp, 3);
        return 0;
    }
    rune_smp_cap_info caps[3] = {
        {"sound", "mic0", true}, {"image", "cam0", false}, {"random", "rng", true}};
    rune_smp_put_caps(rsp, caps, 3);
    return 0;
}

static int h_start(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    char name[64];
    if (rune_cbor_get_textz(&req->msg->doc, 0, "name", name, sizeof name, NULL) != RUNE_OK)
        return RUNE_SMP_ERR_INVAL;
    rune_cbor_put_textz(rsp, "state");
    rune_cbor_put_textz(rsp, strcmp(name, "sine") == 0 ? "running" : "failed");
    return 0;
}

typedef struct seen {
    rune_smp_rune_info r[4];
    rune_smp_cap_info c[4];
    int nr, nc;
} seen;

static void on_rune(void *ud, const rune_smp_rune_info *r)
{
    seen *s = ud;
    if (s->nr < 4) s->r[s->nr++] = *r;
}

static void on_cap(void *ud, const rune_smp_cap_info *c)
{
    seen *s = ud;
    if (s->nc < 4) s->c[s->nc++] = *c;
}

TEST(groups_round_trip)
{
    rune_error err;
    rune_smp_server *srv;
    CHECK_OK(rune_smp_server_create(&srv, &err), &err);
    rune_smp_server_register(srv, RUNE_SMP_GROUP_IMAGE, RUNE_SMP_IMAGE_STATE, RUNE_SMP_OP_READ,
                             h_image_state, NULL, &err);
    rune_smp_server_register(srv, RUNE_SMP_GROUP_IMAGE, RUNE_SMP_IMAGE_STATE, RUNE_SMP_OP_WRITE,
                             h_image_state, NULL, &err);
    rune_smp_server_register(srv, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_STATUS, RUNE_SMP_OP_READ,
                             h_status, NULL, &err);
    rune_smp_server_register(srv, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_CAPS, RUNE_SMP_OP_READ, h_caps,
                             NULL, &err);
    rune_smp_server_register(srv, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_START, RUNE_SMP_OP_WRITE,
                             h_start, NULL, &err);
    static direct d;
    direct_init(&d, srv, 2048);
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, &d.base, &err), &err);
    c.retries = 0;

    memset(slots, 0, sizeof slots);
    slots[0] = (rune_smp_image_slot){.image = 0,
                                     .slot = 0,
                                     .version = "1.0.0",
                                     .hash_len = 32,
                                     .bootable = true,
                                     .confirmed = true,
                                     .active = true};
    slots[1] = (rune_smp_image_slot){
        .image = 0, .slot = 1, .version = "1.1.0", .hash_len = 32, .bootable = true};
    for (int i = 0; i < 32; i++) {
        slots[0].hash[i] = (uint8_t)i;
        slots[1].hash[i] = (uint8_t)(255 - i);
    }
    rune_smp_image_slot got[4];
    size_t n = 0;
    CHECK_OK(rune_smp_image_state(&c, NULL, 0, false, got, 4, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    CHECK(memcmp(&got[0], &slots[0], sizeof got[0]) == 0);
    CHECK(memcmp(&got[1], &slots[1], sizeof got[1]) == 0);
    /* test the new image, then confirm it */
    CHECK_OK(rune_smp_image_state(&c, slots[1].hash, 32, false, got, 4, &n, &err), &err);
    CHECK(got[1].pending && !got[1].confirmed);
    CHECK_OK(rune_smp_image_state(&c, slots[1].hash, 32, true, got, 4, &n, &err), &err);
    CHECK(!got[1].pending && got[1].confirmed && got[1].permanent);
    /* room for one slot only: the first is kept */
    CHECK_OK(rune_smp_image_state(&c, NULL, 0, false, got, 1, &n, &err), &err);
    CHECK_EQ_INT(n, 1);
    uint8_t other[32] = {1};
    CHECK_STATUS(rune_smp_image_state(&c, other, 32, true, got, 4, &n, &err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "no image with that hash");
    /* a v2 group error of a standard group: its code means nothing to us */
    CHECK_STATUS(rune_smp_image_state(&c, slots[0].hash, 16, true, got, 4, &n, &err),
                 RUNE_E_PROTOCOL);
    CHECK_CONTAINS(err.msg, "group 1 error 3: hash must be 32 bytes");
    CHECK_EQ_INT(err.code, 3);

    seen s = {0};
    CHECK_OK(rune_smp_rune_status(&c, NULL, on_rune, &s, &err), &err);
    CHECK_EQ_INT(s.nr, 2);
    CHECK_STR(s.r[0].name, "sine");
    CHECK_STR(s.r[0].version, "1.2.0");
    CHECK_STR(s.r[0].state, "running");
    CHECK_EQ_INT(s.r[0].digest_len, 32);
    CHECK_EQ_INT(s.r[0].digest[31], 0xa0 + 31);
    CHECK_EQ_INT(s.r[0].uptime_ms, 123456);
    CHECK_STR(s.r[1].state, "stopped");
    CHECK_EQ_INT(s.r[1].digest_len, 0);
    memset(&s, 0, sizeof s);
    CHECK_OK(rune_smp_rune_status(&c, "microspeech", on_rune, &s, &err), &err);
    CHECK(s.nr == 1 && strcmp(s.r[0].name, "microspeech") == 0);
    CHECK_STATUS(rune_smp_rune_status(&c, "ghost", on_rune, &s, &err), RUNE_E_NOT_FOUND);

    CHECK_OK(rune_smp_rune_caps(&c, on_cap, &s, &err), &err);
    CHECK_EQ_INT(s.nc, 3);
    CHECK(strcmp(s.c[1].kind, "image") == 0 && strcmp(s.c[1].name, "cam0") == 0 && !s.c[1].allowed);
    CHECK(s.c[2].allowed);

    CHECK_OK(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_START, "sine", &err), &err);
    char state[16];
    CHECK_OK(rune_cbor_get_textz(&c.rsp->doc, 0, "state", state, sizeof state, &err), &err);
    CHECK_STR(state, "running");
    CHECK_STATUS(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_START, NULL, &err), RUNE_E_INVALID);
    CHECK_STATUS(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_STOP, "sine", &err), RUNE_E_UNSUPPORTED);

    /* answers of the wrong shape */
    bad_shapes = true;
    CHECK_STATUS(rune_smp_rune_status(&c, NULL, on_rune, &s, &err), RUNE_E_PROTOCOL);
    CHECK_CONTAINS(err.msg, "\"runes\" array");
    CHECK_STATUS(rune_smp_rune_caps(&c, on_cap, &s, &err), RUNE_E_PROTOCOL);
    CHECK_CONTAINS(err.msg, "\"kind\" is uint");
    bad_shapes = false;
    rune_smp_client_free(&c);
    rune_smp_server_destroy(srv);
}

int main(void)
{
    long live = rune_alloc_live();
    RUN(groups_round_trip);
    int rc = test_report();
    if (rune_alloc_live() != live) {
        fprintf(stderr, "leaked %ld allocations\n", rune_alloc_live() - live);
        return 1;
    }
    return rc;
}
