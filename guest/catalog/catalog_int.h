/*
 * catalog_int.h - the output-type functions of each block (infer.c), for the table in catalog.c.
 */
#ifndef RUNE_GUEST_CATALOG_INT_H
#define RUNE_GUEST_CATALOG_INT_H

#include "rune_catalog.h"

rune_status catalog_infer_fft(const rune_catalog_type *in, const rune_pb_arg *args, size_t nargs,
                              rune_catalog_type *out, rune_error *err);
#define CATALOG_INFER(name)                                                                        \
    rune_status catalog_infer_##name(const rune_catalog_type *in, const rune_pb_arg *args,         \
                                     size_t nargs, rune_catalog_type *out, rune_error *err)
CATALOG_INFER(normalize);
CATALOG_INFER(image_normalize);
CATALOG_INFER(modulo);
CATALOG_INFER(softmax);
CATALOG_INFER(argmax);
CATALOG_INFER(most_confident);
CATALOG_INFER(label);
CATALOG_INFER(audio_float);
CATALOG_INFER(binary);
CATALOG_INFER(threshold);

#endif
