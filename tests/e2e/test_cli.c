/*
 * test_cli.c - the `rune` command as a user types it: build the examples, inspect them (models at
 * 16-aligned offsets, the same the JSON says), run them with --json (the model engine keeps no copy
 * of the weights), and feed person_detection the real picture in every image format the IMAGE
 * capability reads (PNG, and JPEG and PGM re-encoded here: "person"; the other picture as PNG and
 * BMP: "no_person"). Bad images and
 * bad usage give their exit codes (1, 2) and a message on stderr.
 */
#include <stdio.h> /* before jpeglib.h, which needs FILE */
#include <sys/wait.h>
#include <unistd.h>

#include <jpeglib.h>

#include "rune/alloc.h"
#include "rune/nn.h"
#include "rune/source.h"
#include "test.h"

static char tmpdir[64];

/* Run `rune ARGS`; exit status; stdout and stderr into out/err (NUL-terminated, truncated). */
static int rune(const char *args, char *out, size_t out_cap, char *err, size_t err_cap)
{
    char cmd[4096], op[128], ep[128];
    snprintf(op, sizeof op, "%s/stdout.txt", tmpdir);
    snprintf(ep, sizeof ep, "%s/stderr.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", RUNE_BIN, args, op, ep);
    int rc = system(cmd);
    const char *paths[2] = {op, ep};
    char *bufs[2] = {out, err};
    size_t caps[2] = {out_cap, err_cap};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "r");
        size_t n = f ? fread(bufs[i], 1, caps[i] - 1, f) : 0;
        bufs[i][n] = 0;
        if (f) fclose(f);
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char out[65536], err[8192];

/* Build examples/NAME into tmpdir/NAME.rune with the CLI; 1 on success. */
static int build_example(const char *name)
{
    char args[1024];
    snprintf(args, sizeof args, "build '%s/examples/%s/Runefile' -o '%s/%s.rune' --quiet",
             RUNE_SOURCE_DIR, name, tmpdir, name);
    int rc = rune(args, out, sizeof out, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (rc) fprintf(stderr, "%s", err);
    return rc == 0;
}

/* The number after "key": in s, or -1. */
static long long json_num(const char *s, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(s, k);
    return p ? atoll(p + strlen(k)) : -1;
}

TEST(sine_builds_inspects_and_runs_with_its_model_in_place)
{
    if (!build_example("sine")) return;
    char args[512];
    snprintf(args, sizeof args, "inspect '%s/sine.rune' --json", tmpdir);
    CHECK_EQ_INT(rune(args, out, sizeof out, err, sizeof err), 0);
    CHECK_CONTAINS(out, "\"models\":[{\"name\":\"sine\",\"offset\":");
    long long off = json_num(out, "offset"), size = json_num(out, "size");
    CHECK(off > 0 && off % 16 == 0);
    /* the bytes at that offset are the model file's */
    size_t rl = 0, ml = 0;
    char rp[128];
    snprintf(rp, sizeof rp, "%s/sine.rune", tmpdir);
    unsigned char *r = test_read_file(rp, &rl);
    unsigned char *m = test_read_file(SHARED("models/hello_world_float.tflite"), &ml);
    CHECK(r && m && off + (long long)ml <= (long long)rl && memcmp(r + off, m, ml) == 0);
    snprintf(args, sizeof args, "inspect '%s/sine.rune'", tmpdir);
    CHECK_EQ_INT(rune(args, out, sizeof out, err, sizeof err), 0);
    char at[64];
    snprintf(at, sizeof at, "at offset %lld", off);
    CHECK_CONTAINS(out, at);

    /* run: the summary counts what the model engine kept, no more than the model alone needs */
    snprintf(args, sizeof args, "run '%s/sine.rune' --random 7 --repeat 3 --json", tmpdir);
    CHECK_EQ_INT(rune(args, out, sizeof out, err, sizeof err), 0);
    CHECK_CONTAINS(out, "\"ok\":true");
    CHECK_EQ_INT(json_num(out, "inferences"), 3);
    rune_nn_model *alone = NULL;
    rune_error e;
    if (m && rune_nn_model_load(m, ml, &alone, &e) == RUNE_OK) {
        CHECK_EQ_INT(json_num(out, "nn_model_bytes"), rune_nn_model_persistent_bytes(alone));
        CHECK_EQ_INT(json_num(out, "nn_arena_bytes"), rune_nn_model_arena_size(alone));
        rune_nn_model_free(alone);
    }
    (void)size;
    free(r);
    free(m);
}

/* person.png's pixels as a JPEG (libjpeg-turbo, quality 95) at path. */
static int write_jpeg(const rune_image *img, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = img->width;
    c.image_height = img->height;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < img->height) {
        JSAMPROW row = img->pixels + (size_t)c.next_scanline * img->width;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return fclose(f) == 0;
}

/* person.png's pixels as a binary PGM at path. */
static int write_pgm(const rune_image *img, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fprintf(f, "P5\n# person.png\n%u %u\n255\n", img->width, img->height);
    fwrite(img->pixels, 1, (size_t)img->width * img->height, f);
    return fclose(f) == 0;
}

TEST(person_detection_sees_the_person_in_every_image_format)
{
    if (!build_example("person_detection")) return;
    rune_image person;
    rune_error e;
    CHECK_OK(rune_image_load(SHARED("testdata/person.png"), &person, &e), &e);
    char jpg[128], pgm[128], gif[128];
    snprintf(jpg, sizeof jpg, "%s/person.jpg", tmpdir);
    snprintf(pgm, sizeof pgm, "%s/person.pgm", tmpdir);
    snprintf(gif, sizeof gif, "%s/person.gif", tmpdir);
    CHECK(write_jpeg(&person, jpg));
    CHECK(write_pgm(&person, pgm));
    rune_image_free(&person);
    const char *images[] = {SHARED("testdata/person.png"), jpg, pgm, NULL};
    for (int i = 0; images[i]; i++) {
        char args[2048];
        snprintf(args, sizeof args, "run '%s/person_detection.rune' --image '%s'", tmpdir,
                 images[i]);
        CHECK_EQ_INT(rune(args, out, sizeof out, err, sizeof err), 0);
        CHECK_CONTAINS(out, "\"person\"");
        if (!strstr(out, "\"person\"")) fprintf(stderr, "  with %s: %s%s\n", images[i], out, err);
    }
    /* the other picture, as PNG and as BMP, is no person: the answers depend on the pixels */
    char args[2048];
    const char *others[] = {"testdata/no_person.png", "testdata/no_person.bmp"};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "run '%s/person_detection.rune' --image '%s'", tmpdir,
                 SHARED(others[i]));
        CHECK_EQ_INT(rune(args, out, sizeof out, err, sizeof err), 0);
        CHECK_CONTAINS(out, "\"no_person\"");
    }

    /* a format it does not read, a truncated JPEG: exit 1, the reason on stderr */
    FILE *f = fopen(gif, "wb");
    if (f) {
        fputs("GIF89a\x01\x00\x01\x00\x80\x00\x00", f);
        fclose(f);
    }
    snprintf(args, sizeof args, "run '%s/person_detection.rune' --image '%s'", tmpdir, gif);
    CHECK_EQ_INT(rune(args, out, sizeof out, err, sizeof err), 1);
    CHECK_CONTAINS(err, "not a PNG, JPEG, BMP or PGM/PPM file");
    size_t jl = 0;
    unsigned char *j = test_read_file(jpg, &jl);
    f = j ? fopen(jpg, "wb") : NULL;
    if (f) {
        fwrite(j, 1, jl / 2, f);
        fclose(f);
    }
    free(j);
    snprintf(args, sizeof args, "run '%s/person_detection.rune' --image '%s'", tmpdir, jpg);
    CHECK_EQ_INT(rune(args, out, sizeof out, err, sizeof err), 1);
    CHECK_CONTAINS(err, "image: JPEG: the file ends before the image does");
}

TEST(bad_usage_and_bad_files)
{
    char args[512];
    snprintf(args, sizeof args, "inspect '%s'", SHARED("testdata/person.png"));
    CHECK_EQ_INT(rune(args, out, sizeof out, err, sizeof err), 1);
    CHECK_CONTAINS(err, "rune inspect: ");
    CHECK_EQ_INT(rune("inspect", out, sizeof out, err, sizeof err), 2);
    CHECK_CONTAINS(err, "which rune?");
    CHECK_EQ_INT(rune("inspect --bogus x", out, sizeof out, err, sizeof err), 2);
    CHECK_EQ_INT(rune("inspect --help", out, sizeof out, err, sizeof err), 0);
    CHECK_CONTAINS(out, "16-aligned");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rune-cli-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    setenv("RUNE_CACHE_DIR", cache, 1); /* builds cached here, not in the user's ~/.cache */
    RUN(sine_builds_inspects_and_runs_with_its_model_in_place);
    RUN(person_detection_sees_the_person_in_every_image_format);
    RUN(bad_usage_and_bad_files);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", tmpdir);
    return test_report();
}
