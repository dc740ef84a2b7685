/*
 * cap_devices.c - capability providers backed by real devices: an ALSA microphone for SOUND and a
 * V4L2 camera for IMAGE, for hosts that have them.
 *
 * Both open the device when the rune opens the capability, with the rune's declared parameters:
 *   SOUND  ALSA PCM capture, S16_LE mono at hz, `samples` frames a read (blocking: the rune runs at
 *          the rate the microphone sets).
 *   IMAGE  V4L2 single-planar capture in YUYV (the one format every UVC camera offers) at the size the
 *          driver grants nearest to width x height, read() per frame, converted (BT.601) to the
 *          declared pixel format and resized to exactly width x height.
 * A missing or busy device is a clear error at open, naming it; nothing here is used unless the user
 * asks for the device (rune run --microphone / --camera).
 */
#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <alsa/asoundlib.h>
#include <linux/videodev2.h>

typedef struct device_ud {
    char name[256];
} device_ud;

static rune_status param_pos(const rune_cap_params *p, const char *key, uint32_t def, uint32_t *out,
                             rune_error *err)
{
    const char *v = rune_cap_param(p, key);
    if (!v) {
        *out = def;
        return RUNE_OK;
    }
    char *end = NULL;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || x == 0 || x > (1u << 24))
        return RUNE_ERR(err, RUNE_E_INVALID, "parameter %s=%s is not a positive integer", key, v);
    *out = (uint32_t)x;
    return RUNE_OK;
}

static void device_free(rune_cap_provider *p)
{
    rune_free(p->ud);
    rune_free(p);
}

static rune_status new_device(int kind, const char *name, rune_cap_provider **out, rune_error *err)
{
    rune_cap_provider *p = rune_calloc(1, sizeof *p);
    device_ud *ud = rune_calloc(1, sizeof *ud);
    if (!p || !ud) {
        rune_free(p);
        rune_free(ud);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    snprintf(ud->name, sizeof ud->name, "%s", name);
    p->kind = kind;
    p->source = ud->name;
    p->free = device_free;
    p->ud = ud;
    *out = p;
    return RUNE_OK;
}

/* ---- ALSA microphone ---- */

typedef struct mic {
    snd_pcm_t *pcm;
    uint32_t samples;
} mic;

/* ALSA prints its own diagnostics to stderr; ours (with the device name) are the ones that count. */
static void alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
    (void)file, (void)line, (void)function, (void)err, (void)fmt;
}

static rune_status mic_open(const rune_cap_provider *p, const rune_cap_params *params, void **state,
                            rune_error *err)
{
    const device_ud *ud = p->ud;
    uint32_t hz, samples;
    rune_status st = param_pos(params, "hz", 16000, &hz, err);
    if (st == RUNE_OK) st = param_pos(params, "samples", hz, &samples, err);
    if (st != RUNE_OK) return st;
    mic *m = rune_calloc(1, sizeof *m);
    if (!m) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    snd_lib_error_set_handler(alsa_quiet);
    int rc = snd_pcm_open(&m->pcm, ud->name, SND_PCM_STREAM_CAPTURE, 0);
    if (rc < 0) {
        rune_free(m);
        return RUNE_ERR(err, RUNE_E_IO, "microphone '%s': %s", ud->name, snd_strerror(rc));
    }
    rc = snd_pcm_set_params(m->pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, hz, 1,
                            500000);
    if (rc < 0) {
        snd_pcm_close(m->pcm);
        rune_free(m);
        return RUNE_ERR(err, RUNE_E_IO, "microphone '%s': cannot capture mono 16-bit at %u Hz: %s",
                        ud->name, hz, snd_strerror(rc));
    }
    m->samples = samples;
    *state = m;
    return RUNE_OK;
}

static int32_t mic_read(void *state, uint8_t *buf, size_t len, rune_error *err)
{
    mic *m = state;
    size_t need = (size_t)m->samples * 2;
    if (len < need) {
        RUNE_ERR(err, RUNE_E_LIMIT, "buffer of %zu bytes is smaller than one reading (%zu)", len,
                 need);
        return RUNE_ABI_E_LIMIT;
    }
    size_t got = 0;
    while (got < m->samples) {
        snd_pcm_sframes_t n = snd_pcm_readi(m->pcm, buf + 2 * got, m->samples - got);
        if (n == -EPIPE || n == -ESTRPIPE || n == -EINTR) {
            if (snd_pcm_recover(m->pcm, (int)n, 1) < 0) n = -EIO;
            else continue;
        }
        if (n < 0) {
            RUNE_ERR(err, RUNE_E_IO, "microphone: %s", snd_strerror((int)n));
            return RUNE_ABI_E_IO;
        }
        got += (size_t)n;
    }
    return (int32_t)need;
}

static void mic_close(void *state)
{
    mic *m = state;
    if (!m) return;
    snd_pcm_close(m->pcm);
    rune_free(m);
}

rune_status rune_cap_sound_alsa(const char *device, rune_cap_provider **out, rune_error *err)
{
    rune_status st = new_device(RUNE_CAP_SOUND, device && *device ? device : "default", out, err);
    if (st != RUNE_OK) return st;
    (*out)->open = mic_open;
    (*out)->read = mic_read;
    (*out)->close = mic_close;
    return RUNE_OK;
}

/* ---- V4L2 camera ---- */

typedef struct camera {
    int fd;
    uint32_t cam_w, cam_h, bytesperline; /* what the driver granted */
    uint32_t w, h;                       /* what the rune declared */
    int fmt;                             /* RUNE_PIXEL_* */
    uint8_t *frame;                      /* one YUYV frame */
    size_t frame_len;
} camera;

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

static int pixel_format_of(const char *s)
{
    if (!s || !strcmp(s, "rgb8") || !strcmp(s, "rgb")) return RUNE_PIXEL_RGB8;
    if (!strcmp(s, "bgr8") || !strcmp(s, "bgr")) return RUNE_PIXEL_BGR8;
    if (!strcmp(s, "gray8") || !strcmp(s, "grayscale") || !strcmp(s, "gray")) return RUNE_PIXEL_GRAY8;
    if (!strcmp(s, "rgba8")) return RUNE_PIXEL_RGBA8;
    return -1;
}

static rune_status cam_open(const rune_cap_provider *p, const rune_cap_params *params,
                            void **state, rune_error *err)
{
    const device_ud *ud = p->ud;
    uint32_t w, h;
    rune_status st = param_pos(params, "width", 224, &w, err);
    if (st == RUNE_OK) st = param_pos(params, "height", 224, &h, err);
    if (st != RUNE_OK) return st;
    int fmt = pixel_format_of(rune_cap_param(params, "pixel_format"));
    if (fmt < 0) return RUNE_ERR(err, RUNE_E_INVALID, "camera: unknown pixel_format");
    int fd = open(ud->name, O_RDWR);
    if (fd < 0) return RUNE_ERR(err, RUNE_E_IO, "camera '%s': %s", ud->name, strerror(errno));
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0 || !(cap.capabilities & V4L2_CAP_VIDEO_CAPTURE) ||
        !(cap.capabilities & V4L2_CAP_READWRITE)) {
        close(fd);
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "camera '%s' is not a V4L2 capture device with read() support", ud->name);
    }
    struct v4l2_format f;
    memset(&f, 0, sizeof f);
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    f.fmt.pix.width = w;
    f.fmt.pix.height = h;
    f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(fd, VIDIOC_S_FMT, &f) < 0 || f.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV) {
        close(fd);
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "camera '%s' does not offer YUYV frames", ud->name);
    }
    camera *c = rune_calloc(1, sizeof *c);
    size_t frame_len = (size_t)f.fmt.pix.bytesperline * f.fmt.pix.height;
    if (c) c->frame = rune_malloc(frame_len ? frame_len : 1);
    if (!c || !c->frame) {
        if (c) rune_free(c);
        close(fd);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    c->fd = fd;
    c->cam_w = f.fmt.pix.width;
    c->cam_h = f.fmt.pix.height;
    c->bytesperline = f.fmt.pix.bytesperline;
    c->frame_len = frame_len;
    c->w = w;
    c->h = h;
    c->fmt = fmt;
    *state = c;
    return RUNE_OK;
}

static uint8_t clamp8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

static int32_t cam_read(void *state, uint8_t *buf, size_t len, rune_error *err)
{
    camera *c = state;
    int ch = rune_abi_pixel_channels(c->fmt);
    size_t need = (size_t)c->w * c->h * (size_t)ch;
    if (len < need) {
        RUNE_ERR(err, RUNE_E_LIMIT, "buffer of %zu bytes is smaller than one frame (%zu)", len, need);
        return RUNE_ABI_E_LIMIT;
    }
    ssize_t n;
    do n = read(c->fd, c->frame, c->frame_len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        RUNE_ERR(err, RUNE_E_IO, "camera: %s", strerror(errno));
        return RUNE_ABI_E_IO;
    }
    /* YUYV -> RGB (BT.601, studio swing), then resize and convert with the file path's code. */
    rune_image rgb = {rune_malloc_array((size_t)c->cam_w * c->cam_h, 3), c->cam_w, c->cam_h, 3};
    if (!rgb.pixels) {
        RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
        return RUNE_ABI_E_LIMIT;
    }
    for (uint32_t y = 0; y < c->cam_h; y++) {
        const uint8_t *row = c->frame + (size_t)y * c->bytesperline;
        for (uint32_t x = 0; x < c->cam_w; x++) {
            const uint8_t *q = row + (x & ~1u) * 2;
            int Y = (x & 1 ? q[2] : q[0]) - 16, U = q[1] - 128, V = q[3] - 128;
            uint8_t *d = rgb.pixels + ((size_t)y * c->cam_w + x) * 3;
            d[0] = clamp8((298 * Y + 409 * V + 128) >> 8);
            d[1] = clamp8((298 * Y - 100 * U - 208 * V + 128) >> 8);
            d[2] = clamp8((298 * Y + 516 * U + 128) >> 8);
        }
    }
    rune_image conv;
    rune_status st = rune_image_convert(&rgb, c->w, c->h, c->fmt == RUNE_PIXEL_GRAY8 ? 1 : 3, &conv,
                                        err);
    rune_image_free(&rgb);
    if (st != RUNE_OK) return RUNE_ABI_E_IO;
    size_t npx = (size_t)c->w * c->h;
    for (size_t i = 0; i < npx; i++) {
        const uint8_t *s = conv.pixels + i * (c->fmt == RUNE_PIXEL_GRAY8 ? 1 : 3);
        uint8_t *d = buf + i * (size_t)ch;
        switch (c->fmt) {
        case RUNE_PIXEL_GRAY8: d[0] = s[0]; break;
        case RUNE_PIXEL_BGR8: d[0] = s[2], d[1] = s[1], d[2] = s[0]; break;
        case RUNE_PIXEL_RGBA8: d[0] = s[0], d[1] = s[1], d[2] = s[2], d[3] = 255; break;
        default: d[0] = s[0], d[1] = s[1], d[2] = s[2];
        }
    }
    rune_image_free(&conv);
    return (int32_t)need;
}

static void cam_close(void *state)
{
    camera *c = state;
    if (!c) return;
    close(c->fd);
    rune_free(c->frame);
    rune_free(c);
}

rune_status rune_cap_image_v4l2(const char *device, rune_cap_provider **out, rune_error *err)
{
    rune_status st = new_device(RUNE_CAP_IMAGE, device && *device ? device : "/dev/video0", out, err);
    if (st != RUNE_OK) return st;
    (*out)->open = cam_open;
    (*out)->read = cam_read;
    (*out)->close = cam_close;
    return RUNE_OK;
}
