/*
 * http.c - the Distribution client's HTTP layer over libcurl: one request at a time, responses
 * collected in memory (manifests are KiB, rune layers a few MiB; capped at RUNE_HTTP_MAX_BODY),
 * auth challenges answered (Bearer token endpoint or Basic) and retried once, registry error JSON
 * turned into messages.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../container/container_int.h"
#include "http_int.h"
#include "rune/alloc.h"

#define RUNE_HTTP_MAX_BODY ((size_t)1 << 30)
/* Extra attempts for idempotent requests after a transient failure. */
#define RUNE_HTTP_RETRIES 3

void rune_http_resp_free(rune_http_resp *r)
{
    if (!r) return;
    rune_free(r->body);
    memset(r, 0, sizeof *r);
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    rune_http_resp *r = ud;
    size_t n = sz * nm;
    if (n > RUNE_HTTP_MAX_BODY - r->len) return 0;
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        uint8_t *b = rune_realloc(r->body, cap);
        if (!b) return 0;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, p, n);
    r->len += n;
    r->body[r->len] = 0;
    return n;
}

static void copy_header(const char *v, size_t vn, char *dst, size_t cap)
{
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
        vn--;
    while (vn && *v == ' ')
        v++, vn--;
    if (vn >= cap) vn = cap - 1;
    memcpy(dst, v, vn);
    dst[vn] = 0;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    rune_http_resp *r = ud;
    size_t n = sz * nm;
    static const struct {
        const char *name;
        size_t off, cap;
    } want[] = {
        {"location:", offsetof(rune_http_resp, location), sizeof((rune_http_resp *)0)->location},
        {"docker-content-digest:", offsetof(rune_http_resp, digest),
         sizeof((rune_http_resp *)0)->digest},
        {"www-authenticate:", offsetof(rune_http_resp, www_auth),
         sizeof((rune_http_resp *)0)->www_auth},
        {"content-type:", offsetof(rune_http_resp, content_type),
         sizeof((rune_http_resp *)0)->content_type},
        {"link:", offsetof(rune_http_resp, link), sizeof((rune_http_resp *)0)->link},
    };
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* a new response (after a redirect or 100-continue): forget the previous headers */
        r->location[0] = r->digest[0] = r->www_auth[0] = r->content_type[0] = r->link[0] = 0;
    }
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        size_t k = strlen(want[i].name);
        if (n > k && strncasecmp(p, want[i].name, k) == 0)
            copy_header(p + k, n - k, (char *)r + want[i].off, want[i].cap);
    }
    return n;
}

/* "registry: HTTP 404 on GET URL: CODE: message" from the error JSON, if any. */
rune_status rune_http_error(const rune_http_resp *resp, const char *method, const char *what,
                            rune_error *err)
{
    char detail[160] = "";
    if (resp->body && resp->len) {
        rune_json_use_rune_alloc();
        cJSON *j = cJSON_ParseWithLength((const char *)resp->body, resp->len);
        const cJSON *errs = j ? cJSON_GetObjectItemCaseSensitive(j, "errors") : NULL;
        const cJSON *e0 = cJSON_IsArray(errs) ? cJSON_GetArrayItem(errs, 0) : NULL;
        const cJSON *code = e0 ? cJSON_GetObjectItemCaseSensitive(e0, "code") : NULL;
        const cJSON *msg = e0 ? cJSON_GetObjectItemCaseSensitive(e0, "message") : NULL;
        if (cJSON_IsString(code))
            snprintf(detail, sizeof detail, ": %.40s: %.100s", code->valuestring,
                     cJSON_IsString(msg) ? msg->valuestring : "");
        cJSON_Delete(j);
    }
    rune_status st = resp->status == 401 || resp->status == 403 ? RUNE_E_DENIED
                     : resp->status == 404                      ? RUNE_E_NOT_FOUND
                                                                : RUNE_E_PROTOCOL;
    st = RUNE_ERR(err, st, "registry: HTTP %ld on %s %.120s%s", resp->status, method, what, detail);
    if (err) err->code = (int)resp->status;
    return st;
}

int rune_registry_parse_challenge(const char *h, char *scheme, char *realm, char *service,
                                  char *scope, size_t cap)
{
    scheme[0] = realm[0] = service[0] = scope[0] = 0;
    if (!h || cap == 0) return -1;
    while (*h == ' ')
        h++;
    size_t i = 0;
    while (*h && *h != ' ' && i + 1 < cap)
        scheme[i++] = *h++;
    scheme[i] = 0;
    if (!scheme[0]) return -1;
    while (*h) {
        while (*h == ' ' || *h == ',')
            h++;
        const char *k = h;
        while (*h && *h != '=' && *h != ',')
            h++;
        size_t kn = (size_t)(h - k);
        if (*h != '=') continue;
        h++;
        char val[1024];
        size_t vn = 0;
        if (*h == '"') {
            h++;
            while (*h && *h != '"') {
                if (*h == '\\' && h[1]) h++;
                if (vn + 1 < sizeof val) val[vn++] = *h;
                h++;
            }
            if (*h != '"') return -1;
            h++;
        } else {
            while (*h && *h != ',' && *h != ' ')
                if (vn + 1 < sizeof val)
                    val[vn++] = *h++;
                else
                    h++;
        }
        val[vn] = 0;
        char *dst = kn == 5 && !strncasecmp(k, "realm", 5)     ? realm
                    : kn == 7 && !strncasecmp(k, "service", 7) ? service
                    : kn == 5 && !strncasecmp(k, "scope", 5)   ? scope
                                                               : NULL;
        if (dst) snprintf(dst, cap, "%s", val);
    }
    return 0;
}

/* URL-escape into out. */
static void esc(CURL *c, const char *s, char *out, size_t cap)
{
    char *e = curl_easy_escape(c, s, 0);
    snprintf(out, cap, "%s", e ? e : "");
    curl_free(e);
}

/* Fetch a bearer token for the challenge; stores it in r->auth. */
static rune_status fetch_token(rune_http *h, const char *realm, const char *service,
                               const char *scope, rune_error *err)
{
    char url[3072], es[512], ec[1024];
    esc(h->curl, service, es, sizeof es);
    esc(h->curl, scope, ec, sizeof ec);
    snprintf(url, sizeof url, "%s%s%s%s%s%s", realm, strchr(realm, '?') ? "&" : "?",
             service[0] ? "service=" : "", service[0] ? es : "", scope[0] ? "&scope=" : "",
             scope[0] ? ec : "");
    rune_http_resp resp = {0};
    char saved[sizeof h->auth];
    memcpy(saved, h->auth, sizeof saved);
    h->auth[0] = 0;
    rune_status st =
        rune_http_raw(h, "GET", url, NULL, NULL, 0, 0, h->username != NULL, &resp, err);
    if (st == RUNE_OK && resp.status != 200) st = rune_http_error(&resp, "GET", realm, err);
    if (st == RUNE_OK) {
        rune_json_use_rune_alloc();
        cJSON *j = cJSON_ParseWithLength((const char *)resp.body, resp.len);
        const cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "token") : NULL;
        if (!cJSON_IsString(t)) t = j ? cJSON_GetObjectItemCaseSensitive(j, "access_token") : NULL;
        if (cJSON_IsString(t) && strlen(t->valuestring) + 8 < sizeof h->auth)
            snprintf(h->auth, sizeof h->auth, "Bearer %s", t->valuestring);
        else
            st = RUNE_ERR(err, RUNE_E_PROTOCOL, "registry: token endpoint %.100s gave no token",
                          realm);
        cJSON_Delete(j);
    } else {
        memcpy(h->auth, saved, sizeof saved);
    }
    rune_http_resp_free(&resp);
    return st;
}

static int on_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
    (void)dltotal, (void)ultotal, (void)ulnow;
    const rune_http *h = ud;
    if (dlnow > 0) h->xfer(h->xfer_user, (uint64_t)dlnow);
    return 0;
}

rune_status rune_http_raw(rune_http *h, const char *method, const char *url,
                          const char *const *headers, const uint8_t *body, size_t body_len,
                          int head_only, int basic, rune_http_resp *resp, rune_error *err)
{
    CURL *c = h->curl;
    rune_http_resp_free(resp);
    curl_easy_reset(c);
    struct curl_slist *hl = NULL;
    char authz[sizeof h->auth + 32];
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    if (h->auth[0]) {
        snprintf(authz, sizeof authz, "Authorization: %s", h->auth);
        hl = curl_slist_append(hl, authz);
    }
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "rune/0.1");
    if (h->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (basic && h->username) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, h->username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, h->password ? h->password : "");
    }
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L); /* blobs may redirect to storage */
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    } else if (head_only) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    if (h->xfer && strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    if (cc != CURLE_OK) {
        rune_status st = cc == CURLE_OPERATION_TIMEDOUT ? RUNE_E_TIMEOUT
                         : cc == CURLE_WRITE_ERROR      ? RUNE_E_LIMIT
                                                        : RUNE_E_IO;
        return RUNE_ERR(err, st, "registry: %s %.120s: %s", method, url, curl_easy_strerror(cc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    return RUNE_OK;
}

/* One request with the auth dance (a 401 with a challenge is answered once). */
static rune_status do_auth(rune_http *h, const char *method, const char *url,
                           const char *const *headers, const uint8_t *body, size_t body_len,
                           rune_http_resp *resp, rune_error *err)
{
    int head_only = strcmp(method, "HEAD") == 0;
    rune_status st =
        rune_http_raw(h, method, url, headers, body, body_len, head_only, h->use_basic, resp, err);
    if (st != RUNE_OK || resp->status != 401 || !resp->www_auth[0]) return st;
    char scheme[1024], realm[1024], service[1024], scope[1024];
    if (rune_registry_parse_challenge(resp->www_auth, scheme, realm, service, scope, 1024) != 0)
        return RUNE_OK; /* caller reports the 401 */
    if (strcasecmp(scheme, "Basic") == 0) {
        if (!h->username || h->use_basic) return RUNE_OK;
        h->use_basic = 1;
    } else if (strcasecmp(scheme, "Bearer") == 0) {
        st = fetch_token(h, realm, service, scope, err);
        if (st != RUNE_OK) return st;
    } else {
        return RUNE_OK;
    }
    return rune_http_raw(h, method, url, headers, body, body_len, head_only, h->use_basic, resp,
                         err);
}

/* Idempotent requests (GET, HEAD, PUT of a manifest or a finished upload) are retried after a
 * transport error or a 429/502/503/504, with 0.25 s, 0.5 s, 1 s pauses. */
rune_status rune_http_do(rune_http *h, const char *method, const char *url,
                         const char *const *headers, const uint8_t *body, size_t body_len,
                         rune_http_resp *resp, rune_error *err)
{
    int idempotent = !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "PUT");
    for (int attempt = 0;; attempt++) {
        rune_status st = do_auth(h, method, url, headers, body, body_len, resp, err);
        int transient = st == RUNE_E_IO || st == RUNE_E_TIMEOUT ||
                        (st == RUNE_OK && (resp->status == 429 || resp->status == 502 ||
                                           resp->status == 503 || resp->status == 504));
        if (!idempotent || !transient || attempt == RUNE_HTTP_RETRIES) return st;
        struct timespec ts = {0, (250L * 1000 * 1000) << attempt};
        while (ts.tv_nsec >= 1000L * 1000 * 1000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000L * 1000 * 1000;
        }
        nanosleep(&ts, NULL);
    }
}
