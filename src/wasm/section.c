/*
 * section.c - rune_wasm_section_next: walk a module's sections without decoding them.
 *
 * Workload: the rune container reads its custom sections (manifest, models of a few MB) this way;
 * it touches only section headers, so it costs nothing per payload byte.
 */
#include "wasm_int.h"

rune_status rune_wasm_section_next(const uint8_t *bytes, size_t len, size_t *pos,
                                   rune_wasm_section *out, rune_error *err)
{
    if (!bytes || !pos || !out) return RUNE_ERR(err, RUNE_E_ARG, "section_next: NULL argument");
    if (*pos == 0) {
        static const uint8_t hdr[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
        if (len < 4 || bytes[0] != hdr[0] || bytes[1] != hdr[1] || bytes[2] != hdr[2] ||
            bytes[3] != hdr[3])
            return RUNE_ERR(err, RUNE_E_MALFORMED, "magic header not detected");
        if (len < 8 || bytes[4] != 1 || bytes[5] || bytes[6] || bytes[7])
            return RUNE_ERR(err, RUNE_E_MALFORMED, "unknown binary version");
        *pos = 8;
    }
    if (*pos >= len) return RUNE_E_NOT_FOUND;
    const uint8_t *p = bytes + *pos, *end = bytes + len;
    size_t start = *pos;
    uint8_t id = *p++;
    uint32_t size;
    if (rw_read_u32(&p, end, &size))
        return RUNE_ERR(err, RUNE_E_MALFORMED, "section %u at offset 0x%zx: bad size", id, start);
    if ((size_t)(end - p) < size)
        return RUNE_ERR(
            err, RUNE_E_MALFORMED,
            "section %u at offset 0x%zx: size %u runs past the end (length out of bounds)", id,
            start, (unsigned)size);
    const uint8_t *send = p + size;
    out->id = id;
    out->offset = start;
    out->name = NULL;
    out->name_len = 0;
    if (id == 0) {
        uint32_t nlen;
        if (rw_read_u32(&p, send, &nlen) || (size_t)(send - p) < nlen)
            return RUNE_ERR(err, RUNE_E_MALFORMED,
                            "custom section at offset 0x%zx: name runs past the section", start);
        out->name = p;
        out->name_len = nlen;
        p += nlen;
    }
    out->payload = p;
    out->payload_len = (size_t)(send - p);
    *pos = (size_t)(send - bytes);
    return RUNE_OK;
}
