/*
 * cap_params.c - the "key=value\n" parameter strings runes pass to capability_open and output_open
 * (format in rune/abi.h), parsed into a fixed-size table: no allocation, bounded by construction.
 */
#include "rune/abi.h"
#include "rune/runicos.h"

#include <string.h>

const char *rune_cap_param(const rune_cap_params *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->kv[i].key, key) == 0) return p->kv[i].value;
    return NULL;
}

rune_status rune_cap_params_parse(int kind, const char *text, size_t len, rune_cap_params *out,
                                  rune_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    size_t pos = 0, line = 0;
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, RUNE_ABI_PARAM_SEP, len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n == 0) continue;
        const char *eq = memchr(s, '=', n);
        if (!eq || eq == s)
            return RUNE_ERR(err, RUNE_E_INVALID, "params line %zu: expected key=value", line);
        size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
        for (size_t i = 0; i < klen; i++) {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                return RUNE_ERR(err, RUNE_E_INVALID, "params line %zu: bad character in key",
                                line);
        }
        if (klen >= sizeof out->kv[0].key || vlen >= sizeof out->kv[0].value)
            return RUNE_ERR(err, RUNE_E_INVALID, "params line %zu: key or value too long", line);
        if (out->n == RUNE_CAP_MAX_PARAMS)
            return RUNE_ERR(err, RUNE_E_INVALID, "more than %d params", RUNE_CAP_MAX_PARAMS);
        memcpy(out->kv[out->n].key, s, klen);
        for (size_t i = 0; i < klen; i++)
            if (out->kv[out->n].key[i] == '-') out->kv[out->n].key[i] = '_';
        memcpy(out->kv[out->n].value, eq + 1, vlen);
        out->n++;
    }
    return RUNE_OK;
}
