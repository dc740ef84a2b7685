/*
 * cbor_json.c - a decoded CBOR answer as JSON text, for `hmr ... --json` and for metrics. Byte
 * strings become lower-case hex (digests), integers stay exact up to 2^53 (JSON numbers).
 * Recursion follows the document's nesting, which the decoder bounds (RUNE_CBOR_MAX_DEPTH).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "hammer_int.h"
#include "rune/alloc.h"

static cJSON *item_json(const rune_cbor_doc *d, uint32_t i, int depth)
{
    if (i >= d->n || depth > RUNE_CBOR_MAX_DEPTH) return NULL;
    const rune_cbor_item *it = &d->items[i];
    switch (it->type) {
    case RUNE_CBOR_UINT: return cJSON_CreateNumber((double)it->v.u);
    case RUNE_CBOR_NINT: return cJSON_CreateNumber((double)it->v.i);
    case RUNE_CBOR_FLOAT: return cJSON_CreateNumber(it->v.f);
    case RUNE_CBOR_BOOL: return cJSON_CreateBool(it->v.b);
    case RUNE_CBOR_NULL:
    case RUNE_CBOR_UNDEF: return cJSON_CreateNull();
    case RUNE_CBOR_TEXT: {
        char *s = rune_strndup((const char *)it->v.s.p, it->v.s.len);
        cJSON *j = s ? cJSON_CreateString(s) : NULL;
        rune_free(s);
        return j;
    }
    case RUNE_CBOR_BYTES: {
        size_t n = it->v.s.len;
        char *s = rune_malloc_array(n ? 2 * n + 1 : 1, 1);
        if (!s) return NULL;
        for (size_t k = 0; k < n; k++)
            snprintf(s + 2 * k, 3, "%02x", it->v.s.p[k]);
        s[2 * n] = 0;
        cJSON *j = cJSON_CreateString(s);
        rune_free(s);
        return j;
    }
    case RUNE_CBOR_ARRAY: {
        cJSON *a = cJSON_CreateArray();
        for (uint32_t k = 0; a && k < it->count; k++) {
            long e = rune_cbor_array_at(d, i, k);
            cJSON *v = e < 0 ? NULL : item_json(d, (uint32_t)e, depth + 1);
            if (!v) {
                cJSON_Delete(a);
                return NULL;
            }
            cJSON_AddItemToArray(a, v);
        }
        return a;
    }
    case RUNE_CBOR_MAP: {
        cJSON *o = cJSON_CreateObject();
        uint32_t k = i + 1;
        for (uint32_t pair = 0; o && pair < it->count; pair++) {
            if (k >= d->n) break;
            const rune_cbor_item *key = &d->items[k];
            uint32_t v = key->next;
            char name[64];
            if (key->type == RUNE_CBOR_TEXT)
                snprintf(name, sizeof name, "%.*s", (int)(key->v.s.len < 63 ? key->v.s.len : 63),
                         (const char *)key->v.s.p);
            else if (key->type == RUNE_CBOR_UINT)
                snprintf(name, sizeof name, "%llu", (unsigned long long)key->v.u);
            else
                snprintf(name, sizeof name, "?");
            cJSON *val = v < d->n ? item_json(d, v, depth + 1) : NULL;
            if (!val) {
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddItemToObject(o, name, val);
            k = d->items[v].next;
        }
        return o;
    }
    default: return cJSON_CreateNull();
    }
}

rune_status rune_hmr_cbor_to_json(const rune_cbor_doc *doc, uint32_t idx, char **json,
                                  rune_error *err)
{
    *json = NULL;
    cJSON *j = item_json(doc, idx, 0);
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!s) return RUNE_ERR(err, RUNE_E_NOMEM, "json: out of memory or a malformed document");
    *json = rune_strdup(s);
    cJSON_free(s);
    return *json ? RUNE_OK : RUNE_ERR(err, RUNE_E_NOMEM, "json: out of memory");
}
