/*
 * image_jpeg.c - JPEG to 8-bit gray or RGB pixels with libjpeg-turbo (Debian libjpeg62-turbo-dev).
 *
 * Untrusted input is handled as libjpeg-turbo advises: a progressive file may have at most
 * MAX_SCANS scans (each one a pass over the whole image: a few kilobytes of scans could otherwise
 * cost minutes), the decoder's big buffers are capped at 16 bytes a pixel plus 4 MiB, and a file
 * that ends before its image does is refused rather than padded with gray. Other recoverable
 * damage (the library's warnings) is decoded as well as it can be, as every viewer does. Colour:
 * one component gives gray; YCbCr and RGB give RGB; CMYK/YCCK (Adobe) are refused by name.
 *
 * libjpeg reports errors through error_exit, which must not return: it longjmps to the setjmp
 * below, inside this file, and that path frees what was allocated.
 */
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image_int.h"
#include "rune/alloc.h"

#define MAX_SCANS 100

typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    int truncated; /* a warning said the data ended early */
} jpeg_fail;

static void on_error(j_common_ptr ci)
{
    jpeg_fail *f = (jpeg_fail *)(void *)ci->err;
    f->mgr.format_message(ci, f->msg);
    longjmp(f->jump, 1);
}

/* Every message, instead of printing it: warnings (level -1) are counted and remembered. */
static void on_message(j_common_ptr ci, int level)
{
    jpeg_fail *f = (jpeg_fail *)(void *)ci->err;
    if (level >= 0) return; /* trace messages */
    f->mgr.num_warnings++;
    if (f->mgr.msg_code == JWRN_JPEG_EOF) f->truncated = 1;
}

static void on_progress(j_common_ptr ci)
{
    j_decompress_ptr d = (j_decompress_ptr)ci;
    if (d->input_scan_number > MAX_SCANS) {
        jpeg_fail *f = (jpeg_fail *)(void *)ci->err;
        snprintf(f->msg, sizeof f->msg, "more than %d scans (a decompression bomb?)", MAX_SCANS);
        longjmp(f->jump, 1);
    }
}

rune_status rune_image_jpeg(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                            rune_error *err)
{
    memset(out, 0, sizeof *out);
    struct jpeg_decompress_struct ci;
    struct jpeg_progress_mgr progress = {.progress_monitor = on_progress};
    jpeg_fail fail;
    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = on_error;
    fail.mgr.emit_message = on_message;
    fail.truncated = 0;
    uint8_t *volatile px = NULL;
    if (setjmp(fail.jump)) {
        jpeg_destroy_decompress(&ci);
        rune_free(px);
        memset(out, 0, sizeof *out);
        return RUNE_ERR(err, RUNE_E_MALFORMED, "image: JPEG: %s", fail.msg);
    }
    jpeg_create_decompress(&ci);
    ci.progress = &progress;
    jpeg_mem_src(&ci, bytes, (unsigned long)len);
    jpeg_read_header(&ci, TRUE);
    rune_status st = rune_image_check_size("JPEG", ci.image_width, ci.image_height, err);
    if (st == RUNE_OK && (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK))
        st = RUNE_ERR(err, RUNE_E_UNSUPPORTED, "image: JPEG: CMYK images are not supported");
    if (st != RUNE_OK) {
        jpeg_destroy_decompress(&ci);
        return st;
    }
    unsigned c = ci.num_components == 1 ? 1 : 3;
    ci.out_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    out->width = ci.image_width;
    out->height = ci.image_height;
    out->channels = c;
    if (header_only) {
        jpeg_destroy_decompress(&ci);
        return RUNE_OK;
    }
    ci.mem->max_memory_to_use = 16L * (long)ci.image_width * (long)ci.image_height + (4L << 20);
    jpeg_start_decompress(&ci);
    if (ci.output_components != (int)c || ci.output_width != out->width ||
        ci.output_height != out->height) {
        snprintf(fail.msg, sizeof fail.msg, "unexpected output layout");
        longjmp(fail.jump, 1);
    }
    size_t row = (size_t)out->width * c;
    px = rune_malloc_array(out->height, row);
    if (!px) {
        snprintf(fail.msg, sizeof fail.msg, "out of memory for the pixels");
        longjmp(fail.jump, 1);
    }
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW r = px + (size_t)ci.output_scanline * row;
        jpeg_read_scanlines(&ci, &r, 1);
    }
    if (fail.truncated) {
        snprintf(fail.msg, sizeof fail.msg, "the file ends before the image does");
        longjmp(fail.jump, 1);
    }
    jpeg_abort_decompress(&ci); /* what follows the image is not needed */
    jpeg_destroy_decompress(&ci);
    out->pixels = px;
    return RUNE_OK;
}
