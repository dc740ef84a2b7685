/*
 * client_tags.c - the tag list of a repository, following Link pagination (GHCR and Docker Hub page
 * by default; docker-registry when asked with ?n=).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../container/container_int.h"
#include "http_int.h"
#include "registry_int.h"
#include "rune/alloc.h"
#include "rune/registry.h"

void rune_registry_tags_free(char **tags, size_t n)
{
    for (size_t i = 0; tags && i < n; i++)
        rune_free(tags[i]);
    rune_free(tags);
}

/* The URL of a Link header's rel="next" target (absolute), or 0 if there is none. */
static int next_link(const rune_registry *r, const char *link, char *out, size_t cap)
{
    const char *lt = strchr(link, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (!lt || !gt || !strstr(gt, "rel=\"next\"")) return 0;
    char path[2048];
    snprintf(path, sizeof path, "%.*s", (int)(gt - lt - 1), lt + 1);
    rune_reg_absolute(r, path, out, cap);
    return 1;
}

/* Append the tags of one page to *tags. */
static rune_status add_tags(const rune_http_resp *resp, char ***tags, size_t *n, rune_error *err)
{
    rune_json_use_rune_alloc();
    cJSON *j = cJSON_ParseWithLength((const char *)resp->body, resp->len);
    const cJSON *arr = j ? cJSON_GetObjectItemCaseSensitive(j, "tags") : NULL;
    rune_status st = RUNE_OK;
    if (!j || !(cJSON_IsArray(arr) || cJSON_IsNull(arr) || !arr)) {
        st = RUNE_ERR(err, RUNE_E_PROTOCOL, "registry: tags list is not {\"tags\":[...]}");
    } else if (cJSON_IsArray(arr)) {
        char **nt = rune_realloc_array(*tags, *n + (size_t)cJSON_GetArraySize(arr) + 1, sizeof *nt);
        if (!nt)
            st = RUNE_ERR(err, RUNE_E_NOMEM, "registry: out of memory");
        else
            *tags = nt;
        const cJSON *t;
        cJSON_ArrayForEach(t, arr)
        {
            if (st != RUNE_OK) break;
            if (!cJSON_IsString(t)) {
                st = RUNE_ERR(err, RUNE_E_PROTOCOL, "registry: tags[%zu] is not a string", *n);
                break;
            }
            if (!((*tags)[(*n)++] = rune_strdup(t->valuestring)))
                st = RUNE_ERR(err, RUNE_E_NOMEM, "registry: out of memory");
        }
    }
    cJSON_Delete(j);
    return st;
}

rune_status rune_registry_tags(rune_registry *r, const char *name, char ***tags, size_t *n,
                               rune_error *err)
{
    *tags = NULL;
    *n = 0;
    rune_status st = rune_reg_check_name(name, err);
    if (st != RUNE_OK) return st;
    char url[2400];
    snprintf(url, sizeof url, "%s/v2/%s/tags/list", r->base, name);
    rune_http_resp resp = {0};
    for (int page = 0; st == RUNE_OK; page++) {
        if (page == 1000) {
            st = RUNE_ERR(err, RUNE_E_LIMIT, "registry: more than 1000 pages of tags");
            break;
        }
        st = rune_http_do(&r->http, "GET", url, NULL, NULL, 0, &resp, err);
        if (st == RUNE_OK && resp.status != 200) st = rune_http_error(&resp, "GET", url, err);
        if (st == RUNE_OK) st = add_tags(&resp, tags, n, err);
        if (st != RUNE_OK || !next_link(r, resp.link, url, sizeof url)) break;
    }
    rune_http_resp_free(&resp);
    if (st != RUNE_OK) {
        rune_registry_tags_free(*tags, *n);
        *tags = NULL;
        *n = 0;
    }
    return st;
}
