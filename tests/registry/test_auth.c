/*
 * test_auth.c - registry authentication. Bearer: a small fake registry + token endpoint in a thread
 * of this test (challenge -> token request with the service and scope, with basic credentials ->
 * retry with the token; bad credentials quoted; a tag list paginated with Link headers; 503s
 * retried). Basic: Debian's docker-registry with an htpasswd file (bcrypt from libcrypt): right
 * credentials push and pull, wrong or missing ones are refused.
 */
#include "test.h"

#include <crypt.h>
#include <pthread.h>

#include "rune/alloc.h"
#include "rune/registry.h"
#include "container_int.h"
#include "registry_fixture.h"
#include "rune_fixture.h"

/* ---- fake bearer registry ------------------------------------------------------------------- */

static int fake_fd = -1, fake_port;
static int token_requests, token_with_basic, flaky_hits;
static char last_token_query[1024];
/* base64("alice:s3cret") */
#define ALICE_BASIC "Basic YWxpY2U6czNjcmV0"

static void respond(int c, int status, const char *extra_hdr, const char *body)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n%s\r\n%s",
                     status, strlen(body), extra_hdr, body);
    if (write(c, buf, (size_t)n) < 0) perror("fake registry write");
}

static void *fake_server(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(fake_fd, NULL, NULL);
        if (c < 0) return NULL;
        char req[8192];
        size_t n = 0;
        while (n < sizeof req - 1) {
            ssize_t r = read(c, req + n, sizeof req - 1 - n);
            if (r <= 0) break;
            n += (size_t)r;
            req[n] = 0;
            if (strstr(req, "\r\n\r\n")) break;
        }
        req[n] = 0;
        char method[16] = "", path[2048] = "";
        sscanf(req, "%15s %2047s", method, path);
        if (!strcmp(method, "QUIT")) {
            close(c);
            return NULL;
        }
        int has_token = strstr(req, "Authorization: Bearer good-token") != NULL;
        if (!strncmp(path, "/token", 6)) {
            token_requests++;
            snprintf(last_token_query, sizeof last_token_query, "%s", path);
            if (strstr(req, "Authorization: " ALICE_BASIC)) {
                token_with_basic++;
                respond(c, 200, "", "{\"token\":\"good-token\",\"expires_in\":60}");
            } else {
                respond(
                    c, 401, "",
                    "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}");
            }
        } else if (!has_token) {
            char hdr[512];
            snprintf(hdr, sizeof hdr,
                     "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\","
                     "service=\"fake-registry\",scope=\"repository:runes/x:pull\"\r\n",
                     fake_port);
            respond(c, 401, hdr,
                    "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication "
                    "required\"}]}");
        } else if (!strcmp(path, "/v2/runes/x/tags/list")) {
            /* two pages, the way GHCR and Docker Hub paginate */
            respond(c, 200, "Link: </v2/runes/x/tags/list?last=a&n=1>; rel=\"next\"\r\n",
                    "{\"name\":\"runes/x\",\"tags\":[\"a\"]}");
        } else if (!strcmp(path, "/v2/runes/flaky/tags/list")) {
            /* busy twice, then fine: the client retries idempotent requests */
            if (++flaky_hits <= 2)
                respond(c, 503, "",
                        "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"busy\"}]}");
            else
                respond(c, 200, "", "{\"name\":\"runes/flaky\",\"tags\":[\"z\"]}");
        } else if (!strcmp(path, "/v2/runes/down/tags/list")) {
            flaky_hits++;
            respond(c, 503, "", "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"down\"}]}");
        } else if (!strcmp(path, "/v2/runes/x/tags/list?last=a&n=1")) {
            respond(c, 200, "", "{\"name\":\"runes/x\",\"tags\":[\"b\"]}");
        } else {
            respond(c, 404, "", "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"nope\"}]}");
        }
        close(c);
    }
}

static void fake_stop(pthread_t th)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)fake_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, "QUIT / x\r\n\r\n", 12) < 0)
        perror("fake registry quit");
    close(fd);
    pthread_join(th, NULL);
    close(fake_fd);
}

TEST(bearer_token_flow)
{
    fake_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    CHECK(bind(fake_fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fake_fd, 8) == 0 &&
          getsockname(fake_fd, (struct sockaddr *)&a, &al) == 0);
    fake_port = ntohs(a.sin_port);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, fake_server, NULL) == 0);
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", fake_port);
    long live = rune_alloc_live();

    rune_registry_opts o = {0};
    o.plain_http = 1;
    o.timeout_seconds = 10;
    o.username = "alice";
    o.password = "s3cret";
    rune_registry *r = NULL;
    rune_error err;
    CHECK_OK(rune_registry_open(host, &o, &r, &err), &err);
    char **tags = NULL;
    size_t n = 0;
    CHECK_OK(rune_registry_tags(r, "runes/x", &tags, &n, &err), &err);
    CHECK(n == 2 && !strcmp(tags[0], "a") && !strcmp(tags[1], "b"));
    rune_registry_tags_free(tags, n);
    CHECK_EQ_INT(token_requests, 1);
    CHECK_EQ_INT(token_with_basic, 1);
    CHECK_CONTAINS(last_token_query, "service=fake-registry");
    CHECK_CONTAINS(last_token_query, "scope=repository%3Arunes%2Fx%3Apull");
    /* the token is reused: no second token request */
    CHECK_OK(rune_registry_tags(r, "runes/x", &tags, &n, &err), &err);
    rune_registry_tags_free(tags, n);
    CHECK_EQ_INT(token_requests, 1);
    /* transient 503s are retried; a registry that stays down is reported after 4 attempts */
    CHECK_OK(rune_registry_tags(r, "runes/flaky", &tags, &n, &err), &err);
    CHECK(n == 1 && !strcmp(tags[0], "z"));
    rune_registry_tags_free(tags, n);
    CHECK_EQ_INT(flaky_hits, 3);
    flaky_hits = 0;
    CHECK_STATUS(rune_registry_tags(r, "runes/down", &tags, &n, &err), RUNE_E_PROTOCOL);
    CHECK_CONTAINS(err.msg, "HTTP 503");
    CHECK_CONTAINS(err.msg, "UNAVAILABLE: down");
    CHECK_EQ_INT(flaky_hits, 4);
    rune_registry_close(r);

    /* wrong password: the token endpoint's error is quoted */
    o.password = "wrong";
    CHECK_OK(rune_registry_open(host, &o, &r, &err), &err);
    CHECK_STATUS(rune_registry_tags(r, "runes/x", &tags, &n, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "UNAUTHORIZED: bad credentials");
    rune_registry_close(r);
    CHECK_EQ_INT(rune_alloc_live(), live);
    fake_stop(th);
}

/* ---- docker-registry with htpasswd (basic auth) ------------------------------------------- */

TEST(basic_auth_with_docker_registry)
{
    char adir[] = "/tmp/rune-auth-XXXXXX", pw[128], extra[512];
    CHECK(mkdtemp(adir) != NULL);
    snprintf(pw, sizeof pw, "%s/htpasswd", adir);
    const char *hash = crypt("s3cret", "$2b$05$abcdefghijklmnopqrstuu");
    FILE *f = fopen(pw, "w");
    CHECK(f && hash && hash[0] == '$');
    if (!f || !hash) return;
    fprintf(f, "alice:%s\n", hash);
    fclose(f);
    snprintf(extra, sizeof extra, "auth:\n  htpasswd:\n    realm: rune-test\n    path: %s\n", pw);
    int port = registry_fixture_start(extra);
    if (port == 0) {
        printf("SKIP basic_auth_with_docker_registry: %s not installed\n", REGISTRY_BIN);
        return;
    }
    CHECK(port > 0);
    char host[64], sdir[] = "/tmp/rune-oci-XXXXXX";
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    CHECK(mkdtemp(sdir) != NULL);
    rune_error err;
    rune_oci_store *s = NULL;
    CHECK_OK(rune_oci_store_open(sdir, &s, &err), &err);
    size_t len;
    uint8_t *rune = fixture_rune(SHARED("models/hello_world_int8.tflite"), "hw", &len, NULL, NULL);
    char d[RUNE_DIGEST_STR_LEN];
    CHECK_OK(rune_oci_store_add_rune(s, rune, len, "hw:1", d, &err), &err);

    rune_registry_opts o = {0};
    o.plain_http = 1;
    o.timeout_seconds = 10;
    rune_registry *r = NULL;
    /* anonymous */
    CHECK_OK(rune_registry_open(host, &o, &r, &err), &err);
    CHECK_STATUS(rune_registry_push(r, s, "hw:1", "runes/hw", "1", d, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "HTTP 401");
    rune_registry_close(r);
    /* wrong password */
    o.username = "alice";
    o.password = "nope";
    CHECK_OK(rune_registry_open(host, &o, &r, &err), &err);
    CHECK_STATUS(rune_registry_push(r, s, "hw:1", "runes/hw", "1", d, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "UNAUTHORIZED");
    rune_registry_close(r);
    /* right password: push, pull back */
    o.password = "s3cret";
    CHECK_OK(rune_registry_open(host, &o, &r, &err), &err);
    CHECK_OK(rune_registry_push(r, s, "hw:1", "runes/hw", "1", d, &err), &err);
    CHECK_OK(rune_oci_store_remove(s, "hw:1", NULL, &err), &err);
    CHECK_OK(rune_registry_pull(r, s, "runes/hw", "1", "hw:1", d, &err), &err);
    uint8_t *got = NULL;
    size_t glen = 0;
    CHECK_OK(rune_oci_store_get_rune(s, "hw:1", &got, &glen, &err), &err);
    CHECK(got && glen == len && memcmp(got, rune, len) == 0);
    rune_free(got);
    rune_registry_close(r);
    rune_free(rune);
    rune_oci_store_close(s);
    registry_fixture_stop();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", adir, sdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot clean up\n");
}

int main(void)
{
    RUN(bearer_token_flow);
    RUN(basic_auth_with_docker_registry);
    return test_report();
}
