/*
 * http_int.h - the registry client's HTTP layer (http.c), private to src/registry.
 */
#ifndef RUNE_HTTP_INT_H
#define RUNE_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"

typedef struct rune_http {
    void *curl; /* CURL * */
    const char *username, *password;
    int use_basic; /* send basic credentials with every request */
    int insecure;
    long timeout;
    char auth[4096]; /* "Bearer TOKEN" once a token was fetched */
    /* Download progress of the next GETs while set: xfer(xfer_user, bytes so far). */
    void (*xfer)(void *user, uint64_t now);
    void *xfer_user;
} rune_http;

typedef struct rune_http_resp {
    long status;
    uint8_t *body; /* NUL-terminated, rune_malloc'd */
    size_t len, cap;
    char location[2048];
    char digest[96];
    char www_auth[1024];
    char content_type[256];
    char link[2048]; /* Link header (pagination: <URL>; rel="next") */
} rune_http_resp;

void rune_http_resp_free(rune_http_resp *r);
/* One request, no auth handling. headers is NULL-terminated. */
rune_status rune_http_raw(rune_http *h, const char *method, const char *url,
                          const char *const *headers, const uint8_t *body, size_t body_len,
                          int head_only, int basic, rune_http_resp *resp, rune_error *err);
/* One request; a 401 with a challenge is answered once; idempotent requests are retried after
 * transient failures (see http.c). Transport errors only are failures: the caller checks
 * resp->status. */
rune_status rune_http_do(rune_http *h, const char *method, const char *url,
                         const char *const *headers, const uint8_t *body, size_t body_len,
                         rune_http_resp *resp, rune_error *err);
rune_status rune_http_error(const rune_http_resp *resp, const char *method, const char *what,
                            rune_error *err);

#endif
