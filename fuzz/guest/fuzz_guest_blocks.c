/*
 * fuzz_guest_blocks.c - libFuzzer harness for everything of the guest that reads outside input:
 * Runefile arguments (name=value text) through the catalog and every block's init, tensors of any
 * type and shape through every transform, and label resource text. Beyond "no crash", it checks
 * the catalog's promise: a transform's output always fits the type the catalog inferred.
 *
 * Input layout: byte 0 picks the block, byte 1 the input element type, byte 2 the rank (1..3);
 * then "name=value\n..." argument text up to a NUL; then the tensor bytes (dims derived from the
 * byte count). Block index 11 instead feeds the rest to the label line parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune_catalog.h"

#define MAXARGS 8

static union {
    rune_pb_fft fft;
    rune_pb_normalize normalize;
    rune_pb_image_normalize image;
    rune_pb_modulo modulo;
    rune_pb_softmax softmax;
    rune_pb_argmax argmax;
    rune_pb_most_confident_indices mci;
    rune_pb_label label;
    rune_pb_audio_float af;
    rune_pb_binary_classification bc;
    rune_pb_threshold th;
} st;

static rune_status run(const char *name, const rune_pb_arg *a, size_t n, const rune_tensor *in,
                       rune_tensor *out, rune_error *e)
{
    rune_status s;
#define BLOCK(str, field, pfx)                                                                     \
    if (strcmp(name, str) == 0) {                                                                  \
        s = rune_pb_##pfx##_init(&st.field, a, n, e);                                              \
        return s ? s : rune_pb_##pfx##_transform(&st.field, in, out, e);                           \
    }
    BLOCK("fft", fft, fft)
    BLOCK("normalize", normalize, normalize)
    BLOCK("image_normalize", image, image_normalize)
    BLOCK("modulo", modulo, modulo)
    BLOCK("softmax", softmax, softmax)
    BLOCK("argmax", argmax, argmax)
    BLOCK("most_confident_indices", mci, most_confident_indices)
    BLOCK("audio_float", af, audio_float)
    BLOCK("binary_classification", bc, binary_classification)
    BLOCK("threshold", th, threshold)
    if (strcmp(name, "label") == 0) {
        const char *list = rune_pb_arg_get(a, n, "labels");
        if (!list) return RUNE_E_ARG; /* resource mode needs the host */
        s = rune_pb_label_set_list(&st.label, list, e);
        return s ? s : rune_pb_label_transform(&st.label, in, out, e);
    }
    return RUNE_E_NOT_FOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[4096];
    static uint8_t tensor[70000], outbuf[1 << 20];
    rune_error err;
    if (size < 3) return 0;
    const size_t bi = data[0] % (rune_catalog_count() + 1);
    if (bi == rune_catalog_count()) {
        rune_pb_label lb;
        (void)rune_pb_label_set_lines(&lb, (const char *)data + 1, size - 1, &err);
        return 0;
    }
    const rune_catalog_block *b = rune_catalog_at(bi);
    const int32_t elem = 1 + data[1] % 8;
    const uint32_t rank = 1 + data[2] % 3;
    size_t pos = 3, tl = 0;
    while (pos < size && data[pos] && tl < sizeof text - 1)
        text[tl++] = (char)data[pos++];
    text[tl] = 0;
    pos++;
    rune_pb_arg args[MAXARGS];
    size_t nargs = 0;
    for (char *line = text; line && *line && nargs < MAXARGS;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = 0;
            args[nargs].name = line;
            args[nargs].value = eq + 1;
            nargs++;
        }
        line = nl ? nl + 1 : NULL;
    }
    size_t esize = rune_abi_elem_size(elem);
    size_t bytes = pos < size ? size - pos : 0;
    if (bytes > sizeof tensor) bytes = sizeof tensor;
    size_t count = bytes / esize;
    if (count == 0) return 0;
    memcpy(tensor, data + pos, count * esize);
    rune_catalog_type in;
    memset(&in, 0, sizeof in);
    in.elem = elem;
    in.rank = rank;
    in.dims[0] = (uint32_t)count;
    for (uint32_t i = 1; i < rank; i++)
        in.dims[i] = 1;
    rune_catalog_type want;
    rune_status s = rune_catalog_infer(b->name, &in, args, nargs, &want, &err);
    if (s != RUNE_OK) return 0;
    size_t wn = rune_abi_elem_size(want.elem);
    for (uint32_t i = 0; i < want.rank; i++)
        wn *= want.dims[i];
    if (wn > sizeof outbuf) return 0;
    rune_tensor t = {elem, rank, {0}, tensor, count * esize}, o;
    memcpy(t.dims, in.dims, sizeof t.dims);
    memset(&o, 0, sizeof o);
    o.data = outbuf;
    o.len = wn; /* exactly what the catalog promised */
    s = run(b->name, args, nargs, &t, &o, &err);
    if (s == RUNE_OK) {
        /* The transform's output must fit the inferred type. */
        if (o.elem != want.elem || o.len > wn) abort();
        if (!want.dynamic && o.len != wn) abort();
    } else if (s == RUNE_E_LIMIT && strcmp(b->name, "label") != 0) {
        abort(); /* the catalog sized the buffer, so it cannot be too small */
    }
    if (rune_alloc_live() != 0) abort();
    return 0;
}
