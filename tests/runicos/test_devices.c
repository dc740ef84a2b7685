/* The device-backed providers on a machine without the devices: clear errors at open, no leaks. */
#include "test.h"

#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/runicos.h"

static rune_status open_with(rune_cap_provider *p, const char *text, rune_error *err)
{
    rune_cap_params params;
    rune_status st = rune_cap_params_parse(p->kind, text, strlen(text), &params, err);
    if (st != RUNE_OK) return st;
    void *state = NULL;
    st = p->open(p, &params, &state, err);
    if (st == RUNE_OK) p->close(state);
    return st;
}

TEST(missing_camera_is_named)
{
    long live = rune_alloc_live();
    rune_cap_provider *p = NULL;
    rune_error err;
    CHECK_OK(rune_cap_image_v4l2("/dev/no-such-video9", &p, &err), &err);
    CHECK_EQ_INT(p->kind, RUNE_CAP_IMAGE);
    CHECK_STATUS(open_with(p, "width=96\nheight=96\npixel_format=gray8\n", &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "camera '/dev/no-such-video9'");
    rune_cap_provider_free(p);
    /* A file that is not a camera. */
    CHECK_OK(rune_cap_image_v4l2("/dev/null", &p, &err), &err);
    rune_status st = open_with(p, "width=96\nheight=96\n", &err);
    CHECK(st == RUNE_E_UNSUPPORTED || st == RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "/dev/null");
    rune_cap_provider_free(p);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(missing_microphone_is_named)
{
    long live = rune_alloc_live();
    rune_cap_provider *p = NULL;
    rune_error err;
    CHECK_OK(rune_cap_sound_alsa("hw:97,0", &p, &err), &err);
    CHECK_EQ_INT(p->kind, RUNE_CAP_SOUND);
    CHECK_STATUS(open_with(p, "hz=16000\nsamples=16000\n", &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "microphone 'hw:97,0'");
    CHECK_STATUS(open_with(p, "hz=abc\n", &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "hz=abc");
    rune_cap_provider_free(p);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

int main(void)
{
    RUN(missing_camera_is_named);
    RUN(missing_microphone_is_named);
    return test_report();
}
