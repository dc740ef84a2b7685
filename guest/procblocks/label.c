/*
 * label.c - "label": class indices -> class names, '\n'-separated text (u8 bytes).
 *
 * Workload: a few indices per call. The labels are parsed once (label_init.c), from labels="a,b,c"
 * or from a resource blob with one per line, into the block's fixed text buffer. An index past the
 * list is refused (a model/labels mismatch is a bug to see). This file has no import calls, so
 * the host catalog can link it.
 */
#include <string.h>

#include "pb_int.h"

static rune_status add_label(rune_pb_label *st, size_t *used, const char *s, size_t n,
                             rune_error *err)
{
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    while (n && *s == ' ') {
        s++;
        n--;
    }
    if (n == 0) return RUNE_OK;
    if (st->count >= RUNE_PB_LABEL_MAX)
        return RUNE_ERR(err, RUNE_E_LIMIT, "label: more than %d labels", RUNE_PB_LABEL_MAX);
    if (n > sizeof st->text - *used)
        return RUNE_ERR(err, RUNE_E_LIMIT, "label: labels exceed %d bytes", RUNE_PB_LABEL_TEXT_MAX);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n') return RUNE_ERR(err, RUNE_E_ARG, "label: a label contains a newline");
    memcpy(st->text + *used, s, n);
    st->start[st->count] = (uint16_t)*used;
    st->len[st->count] = (uint16_t)n;
    st->count++;
    *used += n;
    return RUNE_OK;
}

static rune_status split(rune_pb_label *st, const char *text, size_t len, char sep, rune_error *err)
{
    size_t used = 0, start = 0;
    st->count = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == sep) {
            PB_TRY(add_label(st, &used, text + start, i - start, err));
            start = i + 1;
        }
    }
    if (st->count == 0) return RUNE_ERR(err, RUNE_E_ARG, "label: no labels given");
    return RUNE_OK;
}

rune_status rune_pb_label_set_lines(rune_pb_label *st, const char *text, size_t len,
                                    rune_error *err)
{
    if (!st || (!text && len)) return RUNE_ERR(err, RUNE_E_ARG, "label: missing text");
    return split(st, text, len, '\n', err);
}

rune_status rune_pb_label_set_list(rune_pb_label *st, const char *list, rune_error *err)
{
    if (!st || !list) return RUNE_ERR(err, RUNE_E_ARG, "label: missing list");
    return split(st, list, strlen(list), ',', err);
}

rune_status rune_pb_label_transform(rune_pb_label *st, const rune_tensor *in, rune_tensor *out,
                                    rune_error *err)
{
    size_t n = 0;
    if (!st || st->count == 0) return RUNE_ERR(err, RUNE_E_ARG, "label: not initialized");
    PB_TRY(pb_input("label", in, &n, err));
    if (in->elem != RUNE_ELEM_U32 && in->elem != RUNE_ELEM_I32 && in->elem != RUNE_ELEM_U8 &&
        in->elem != RUNE_ELEM_U16)
        return RUNE_ERR(err, RUNE_E_ARG, "label: expected integer indices, got %s",
                        rune_abi_elem_name(in->elem));
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        double v = pb_get(in, i);
        if (v < 0 || v >= st->count)
            return RUNE_ERR(err, RUNE_E_ARG, "label: index %.0f is outside the %u labels", v,
                            (unsigned)st->count);
        need += st->len[(size_t)v] + (i ? 1 : 0);
    }
    if (!out || !out->data || out->len < need)
        return RUNE_ERR(err, RUNE_E_LIMIT, "label: output needs %zu bytes, buffer has %zu", need,
                        out && out->data ? out->len : (size_t)0);
    if (out->data == in->data)
        return RUNE_ERR(err, RUNE_E_ARG, "label: output must not share the input's buffer");
    char *p = (char *)out->data;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)pb_get(in, i);
        if (i) p[pos++] = '\n';
        memcpy(p + pos, st->text + st->start[k], st->len[k]);
        pos += st->len[k];
    }
    out->elem = RUNE_ELEM_U8;
    out->rank = 1;
    memset(out->dims, 0, sizeof out->dims);
    out->dims[0] = (uint32_t)pos;
    out->len = pos;
    return RUNE_OK;
}
