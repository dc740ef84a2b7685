/*
 * test_image_formats.c - every image format the IMAGE capability reads, from the real picture in
 * ../shared/testdata/person.png re-encoded here (libpng, libjpeg-turbo, by hand for PGM/PPM) in
 * the variants that take different decoder paths: 16-bit, palette with transparency, interlaced,
 * 1-bit, gray and colour JPEG, binary and ASCII netpbm with any maxval. And every way a file can
 * lie: truncated, sizes beyond its data, sizes beyond the limits, damaged, CMYK, unknown.
 * Each refusal says why, and nothing is leaked.
 */
#include "test.h"

#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/source.h"

static rune_image person; /* 96x96 gray, the reference picture */

/* ---- encoders of test files ---- */

typedef struct membuf {
    unsigned char *p;
    size_t len, cap;
} membuf;

static void mem_write(png_structp png, png_bytep data, size_t n)
{
    membuf *b = png_get_io_ptr(png);
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

/* A PNG of w x h with the given color type and depth; rows of `row` bytes already in that format.
 */
static membuf write_png(uint32_t w, uint32_t h, int color, int depth, int interlace,
                        const unsigned char *pix, size_t row, const png_color *pal, int npal,
                        const png_byte *trns, int ntrns)
{
    membuf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(b.p);
        membuf none = {0};
        return none;
    }
    png_set_write_fn(png, &b, mem_write, mem_flush);
    png_set_IHDR(png, info, w, h, depth, color,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pal) png_set_PLTE(png, info, pal, npal);
    if (trns) png_set_tRNS(png, info, trns, ntrns, NULL);
    png_write_info(png, info);
    png_bytep *rows = malloc(h * sizeof *rows);
    for (uint32_t y = 0; y < h; y++)
        rows[y] = (png_bytep)pix + (size_t)y * row;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    free(rows);
    png_destroy_write_struct(&png, &info);
    return b;
}

static membuf write_jpeg(const unsigned char *pix, uint32_t w, uint32_t h, int comps,
                         int progressive)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *out = NULL;
    unsigned long len = 0;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &len);
    c.image_width = w;
    c.image_height = h;
    c.input_components = comps;
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < h) {
        JSAMPROW r = (JSAMPROW)pix + (size_t)c.next_scanline * w * comps;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    membuf b = {out, len, len};
    return b;
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return ~c;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Rewrite the IHDR's size (and its CRC, so only the size is a lie). */
static void png_set_size(unsigned char *png, uint32_t w, uint32_t h)
{
    put_be32(png + 16, w);
    put_be32(png + 20, h);
    put_be32(png + 29, crc32_of(png + 12, 17));
}

/* Mean absolute difference of two 96x96 gray pictures. */
static double mean_abs_diff(const uint8_t *a, const uint8_t *b)
{
    long s = 0;
    for (int i = 0; i < 96 * 96; i++)
        s += abs(a[i] - b[i]);
    return (double)s / (96 * 96);
}

/* ---- tests ---- */

TEST(png_variants_decode_to_the_picture)
{
    rune_image img;
    rune_error err;
    long live = rune_alloc_live();
    /* 16-bit gray: each sample p * 257, its high byte p */
    uint16_t *g16 = malloc(96 * 96 * 2);
    unsigned char *be = malloc(96 * 96 * 2);
    for (int i = 0; i < 96 * 96; i++) {
        g16[i] = (uint16_t)(person.pixels[i] * 257);
        be[2 * i] = (unsigned char)(g16[i] >> 8);
        be[2 * i + 1] = (unsigned char)g16[i];
    }
    membuf b = write_png(96, 96, PNG_COLOR_TYPE_GRAY, 16, 0, be, 192, NULL, 0, NULL, 0);
    CHECK_OK(rune_image_decode(b.p, b.len, &img, &err), &err);
    CHECK(img.channels == 1 && img.pixels && memcmp(img.pixels, person.pixels, 96 * 96) == 0);
    rune_image_free(&img);
    free(b.p);

    /* interlaced (Adam7) gray: put together into the same picture */
    b = write_png(96, 96, PNG_COLOR_TYPE_GRAY, 8, 1, person.pixels, 96, NULL, 0, NULL, 0);
    CHECK_OK(rune_image_decode(b.p, b.len, &img, &err), &err);
    CHECK(img.channels == 1 && img.pixels && memcmp(img.pixels, person.pixels, 96 * 96) == 0);
    rune_image_free(&img);
    free(b.p);

    /* palette of 256 grays with tRNS: RGBA, the gray in each colour channel, alpha from tRNS */
    png_color pal[256];
    png_byte trns[256];
    for (int i = 0; i < 256; i++) {
        pal[i].red = pal[i].green = pal[i].blue = (png_byte)i;
        trns[i] = (png_byte)(255 - i);
    }
    b = write_png(96, 96, PNG_COLOR_TYPE_PALETTE, 8, 0, person.pixels, 96, pal, 256, trns, 256);
    CHECK_OK(rune_image_info(b.p, b.len, &img, &err), &err);
    CHECK(img.width == 96 && img.height == 96 && img.channels == 4 && !img.pixels);
    CHECK_OK(rune_image_decode(b.p, b.len, &img, &err), &err);
    CHECK_EQ_INT(img.channels, 4);
    int same = img.pixels != NULL;
    for (int i = 0; same && i < 96 * 96; i++)
        same = img.pixels[4 * i] == person.pixels[i] && img.pixels[4 * i + 2] == person.pixels[i] &&
               img.pixels[4 * i + 3] == 255 - person.pixels[i];
    CHECK(same);
    rune_image_free(&img);
    free(b.p);

    /* 1-bit gray: 0 and 1 become 0 and 255 */
    unsigned char bits[12 * 2];
    memset(bits, 0xf0, sizeof bits); /* each row: 4 on, 4 off, ... */
    b = write_png(96, 2, PNG_COLOR_TYPE_GRAY, 1, 0, bits, 12, NULL, 0, NULL, 0);
    CHECK_OK(rune_image_decode(b.p, b.len, &img, &err), &err);
    CHECK(img.pixels && img.pixels[0] == 255 && img.pixels[3] == 255 && img.pixels[4] == 0 &&
          img.pixels[96 + 8] == 255);
    rune_image_free(&img);
    free(b.p);
    free(g16);
    free(be);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(png_lies_are_refused)
{
    size_t len = 0;
    unsigned char *png = test_read_file(SHARED("testdata/person.png"), &len);
    CHECK(png != NULL && len > 100);
    if (!png) return;
    unsigned char *bad = malloc(len);
    rune_image img;
    rune_error err;
    long live = rune_alloc_live();

    /* the image data claims 1.4 GB (what the fuzzer found): refused, nothing of that size taken */
    memcpy(bad, png, len);
    put_be32(bad + 33, 0x53d531b6u);
    CHECK_STATUS(rune_image_decode(bad, len, &img, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "image: PNG: ");

    /* sizes beyond the limits, with a good CRC */
    memcpy(bad, png, len);
    png_set_size(bad, 16384, 16384);
    CHECK_STATUS(rune_image_info(bad, len, &img, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "16384x16384 is more than 64 megapixels");
    CHECK_STATUS(rune_image_decode(bad, len, &img, &err), RUNE_E_LIMIT);
    png_set_size(bad, 16385, 1);
    CHECK(rune_image_info(bad, len, &img, &err) != RUNE_OK);
    png_set_size(bad, 0, 5);
    CHECK(rune_image_info(bad, len, &img, &err) != RUNE_OK);

    /* 16 megapixels claimed over 96x96 pixels of data */
    png_set_size(bad, 4000, 4000);
    CHECK_OK(rune_image_info(bad, len, &img, &err), &err); /* the header alone is fine */
    CHECK_STATUS(rune_image_decode(bad, len, &img, &err), RUNE_E_MALFORMED);

    /* a damaged header (CRC), and a file cut inside its image data */
    memcpy(bad, png, len);
    bad[17] ^= 1;
    CHECK_STATUS(rune_image_decode(bad, len, &img, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "CRC");
    CHECK_STATUS(rune_image_decode(png, len / 2, &img, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "the file ends inside the image");
    CHECK_STATUS(rune_image_decode(png, 8, &img, &err), RUNE_E_MALFORMED);
    CHECK_EQ_INT(rune_alloc_live(), live);
    free(bad);
    free(png);
}

TEST(jpeg_gray_colour_and_progressive_decode_close_to_the_picture)
{
    rune_image img;
    rune_error err;
    long live = rune_alloc_live();
    for (int progressive = 0; progressive < 2; progressive++) {
        membuf b = write_jpeg(person.pixels, 96, 96, 1, progressive);
        CHECK_OK(rune_image_info(b.p, b.len, &img, &err), &err);
        CHECK(img.width == 96 && img.height == 96 && img.channels == 1);
        CHECK_OK(rune_image_decode(b.p, b.len, &img, &err), &err);
        CHECK(img.pixels && mean_abs_diff(img.pixels, person.pixels) < 2.0); /* quality 95 */
        rune_image_free(&img);
        free(b.p);
    }
    /* RGB: the gray in all three channels comes back close in each */
    unsigned char *rgb = malloc(96 * 96 * 3);
    for (int i = 0; i < 96 * 96; i++)
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = person.pixels[i];
    membuf b = write_jpeg(rgb, 96, 96, 3, 0);
    CHECK_OK(rune_image_decode(b.p, b.len, &img, &err), &err);
    CHECK_EQ_INT(img.channels, 3);
    rune_image gray;
    CHECK_OK(rune_image_convert(&img, 96, 96, 1, &gray, &err), &err);
    CHECK(gray.pixels && mean_abs_diff(gray.pixels, person.pixels) < 3.0);
    rune_image_free(&gray);
    rune_image_free(&img);

    /* truncated: refused, not padded with gray */
    CHECK_STATUS(rune_image_decode(b.p, b.len * 2 / 3, &img, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "image: JPEG: the file ends before the image does");
    CHECK_STATUS(rune_image_decode(b.p, 40, &img, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "image: JPEG: ");
    free(b.p);
    free(rgb);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

/* A netpbm file of the picture: P5/P2 gray, P6/P3 colour (gray in each channel), any maxval. */
static membuf write_pnm(char kind, unsigned maxval, const char *comment)
{
    int ch = kind == '3' || kind == '6' ? 3 : 1, bin = kind == '5' || kind == '6';
    size_t cap = 96 * 96 * 3 * 6 + 200;
    membuf b = {malloc(cap), 0, cap};
    b.len = (size_t)snprintf((char *)b.p, cap, "P%c\n%s96 96\n%u\n", kind, comment, maxval);
    for (int i = 0; i < 96 * 96; i++)
        for (int k = 0; k < ch; k++) {
            unsigned v = (person.pixels[i] * maxval + 127) / 255;
            if (!bin)
                b.len += (size_t)snprintf((char *)b.p + b.len, cap - b.len, "%u ", v);
            else if (maxval < 256)
                b.p[b.len++] = (unsigned char)v;
            else {
                b.p[b.len++] = (unsigned char)(v >> 8);
                b.p[b.len++] = (unsigned char)v;
            }
        }
    return b;
}

TEST(pgm_and_ppm_decode_to_the_picture)
{
    rune_image img;
    rune_error err;
    long live = rune_alloc_live();
    const char kinds[] = "5263";
    for (int k = 0; k < 4; k++) {
        unsigned maxvals[] = {255, 65535, 15};
        for (int m = 0; m < 3; m++) {
            membuf b = write_pnm(kinds[k], maxvals[m], m == 1 ? "# a comment\n" : "");
            CHECK_OK(rune_image_decode(b.p, b.len, &img, &err), &err);
            unsigned ch = kinds[k] == '3' || kinds[k] == '6' ? 3 : 1;
            CHECK(img.width == 96 && img.height == 96 && img.channels == ch);
            int ok = img.pixels != NULL;
            for (int i = 0; ok && i < 96 * 96; i++) {
                int d = img.pixels[i * ch] - person.pixels[i];
                ok = maxvals[m] == 15 ? abs(d) <= 9 : d == 0; /* 4 bits lose the low ones */
            }
            CHECK(ok);
            rune_image_free(&img);
            if (kinds[k] == '5' || kinds[k] == '6') { /* one byte short */
                CHECK_STATUS(rune_image_decode(b.p, b.len - 1, &img, &err), RUNE_E_MALFORMED);
                CHECK_CONTAINS(err.msg, "of the image's");
            }
            free(b.p);
        }
    }
    const char *bad[] = {"P5\n96 96\n0\n",    "P5\n96\n",      "P2\n2 1\n255\n1 256",
                         "P2\n2 1\n255\n1 x", "P5 96 96 255x", "P4\n1 1\n\x80",
                         "P5\n99999 1\n255\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(rune_image_decode((const uint8_t *)bad[i], strlen(bad[i]), &img, &err) != RUNE_OK);
        CHECK(strncmp(err.msg, "image: P", 8) == 0);
    }
    CHECK_STATUS(rune_image_decode((const uint8_t *)"P5 99999 1 255\n", 15, &img, &err),
                 RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "image: PGM: 99999x1 is outside 1..16384 pixels a side");
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(unknown_formats_are_named)
{
    rune_image img;
    rune_error err;
    const char *gif = "GIF89a\x01\x00\x01\x00";
    CHECK_STATUS(rune_image_decode((const uint8_t *)gif, 10, &img, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "not a PNG, JPEG, BMP or PGM/PPM file");
    CHECK_STATUS(rune_image_decode((const uint8_t *)gif, 0, &img, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "empty");
    CHECK_STATUS(rune_image_decode((const uint8_t *)"BM", 2, &img, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "image: BMP: ");
}

int main(void)
{
    rune_error err;
    if (rune_image_load(SHARED("testdata/person.png"), &person, &err) != RUNE_OK ||
        person.width != 96 || person.height != 96 || person.channels != 1) {
        fprintf(stderr, "person.png: %s\n", err.msg);
        return 1;
    }
    RUN(png_variants_decode_to_the_picture);
    RUN(png_lies_are_refused);
    RUN(jpeg_gray_colour_and_progressive_decode_close_to_the_picture);
    RUN(pgm_and_ppm_decode_to_the_picture);
    RUN(unknown_formats_are_named);
    rune_image_free(&person);
    return test_report();
}
