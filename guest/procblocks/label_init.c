/*
 * label_init.c - init of the "label" block: labels from the labels argument or from a resource
 * blob read through the runic resource imports (kept apart from label.c so host code that only
 * parses label lists does not need the imports). Workload: once per rune start.
 */
#include <string.h>

#include "pb_int.h"
#include "rune_guest.h"

rune_status rune_pb_label_init(rune_pb_label *st, const rune_pb_arg *args, size_t nargs,
                               rune_error *err)
{
    static const char *const known[] = {"labels", "resource", NULL};
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "label: no state");
    st->count = 0;
    PB_TRY(rune_pb_args_check("label", args, nargs, known, err));
    const char *list = rune_pb_arg_get(args, nargs, "labels");
    const char *res = rune_pb_arg_get(args, nargs, "resource");
    if (list && res)
        return RUNE_ERR(err, RUNE_E_ARG, "label: give either labels or resource, not both");
    if (list) return rune_pb_label_set_list(st, list, err);
    if (!res) return RUNE_ERR(err, RUNE_E_ARG, "label: argument labels or resource is required");

    /* Read the resource into the text buffer, then split it in place through a second pass. */
    static char raw[RUNE_PB_LABEL_TEXT_MAX + RUNE_PB_LABEL_MAX];
    size_t size = 0, got = 0;
    PB_TRY(rune_resource_size(res, &size, err));
    if (size > sizeof raw)
        return RUNE_ERR(err, RUNE_E_LIMIT, "label: resource \"%s\" is %zu bytes, at most %zu", res,
                        size, sizeof raw);
    while (got < size) {
        size_t n = 0;
        PB_TRY(rune_resource_read(res, got, raw + got, size - got, &n, err));
        if (n == 0) return RUNE_ERR(err, RUNE_E_IO, "label: resource \"%s\" ended early", res);
        got += n;
    }
    return rune_pb_label_set_lines(st, raw, size, err);
}
