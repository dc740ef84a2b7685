/*
 * test_store.c - the local OCI image-layout store and the OCI JSON documents, offline: references,
 * add/tag/list/resolve/get/remove with garbage collection, corrupt blobs refused, deterministic
 * manifests carrying the rune manifest annotation, the auth challenge parser.
 */
#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rune/alloc.h"
#include "rune/registry.h"
#include "container_int.h"
#include "rune_fixture.h"

#define SMALL_MODEL SHARED("models/hello_world_int8.tflite")

static size_t count_blobs(const char *dir)
{
    char p[600];
    snprintf(p, sizeof p, "%s/blobs/sha256", dir);
    DIR *d = opendir(p);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static void rm_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

TEST(references_parse)
{
    rune_oci_ref r;
    rune_error err;
    CHECK_OK(rune_oci_ref_parse("hello", &r, &err), &err);
    CHECK_STR(r.name, "hello");
    CHECK_STR(r.tag, "latest");
    CHECK_OK(rune_oci_ref_parse("127.0.0.1:5000/runes/micro_speech:v1.2", &r, &err), &err);
    CHECK_STR(r.host, "127.0.0.1:5000");
    CHECK_STR(r.name, "runes/micro_speech");
    CHECK_STR(r.tag, "v1.2");
    const char *dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char buf[200];
    snprintf(buf, sizeof buf, "localhost/a/b@%s", dg);
    CHECK_OK(rune_oci_ref_parse(buf, &r, &err), &err);
    CHECK_STR(r.host, "localhost");
    CHECK_STR(r.digest, dg);
    CHECK_STR(r.tag, "");
    const char *bad[] = {"", "Hello", "a//b", "a:", "a:-x", "a@sha256:12", "a-", "a/-b", "a b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_MSG_(rune_oci_ref_parse(bad[i], &r, &err) == RUNE_E_ARG, "'%s' accepted", bad[i]);
    }
}

TEST(challenge_parser)
{
    char s[64], realm[256], svc[256], scope[256];
    CHECK_EQ_INT(rune_registry_parse_challenge(
                     "Bearer realm=\"https://auth.io/token\",service=\"registry.io\","
                     "scope=\"repository:a/b:pull,push\"",
                     s, realm, svc, scope, 256),
                 0);
    CHECK_STR(s, "Bearer");
    CHECK_STR(realm, "https://auth.io/token");
    CHECK_STR(svc, "registry.io");
    CHECK_STR(scope, "repository:a/b:pull,push");
    CHECK_EQ_INT(rune_registry_parse_challenge("Basic realm=\"x\"", s, realm, svc, scope, 256), 0);
    CHECK_STR(s, "Basic");
    CHECK_STR(realm, "x");
    CHECK(rune_registry_parse_challenge("Bearer realm=\"unterminated", s, realm, svc, scope, 256) !=
          0);
}

TEST(store_add_tag_list_get_remove)
{
    char dir[] = "/tmp/rune-oci-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    rune_error err;
    rune_oci_store *s = NULL;
    CHECK_OK(rune_oci_store_open(dir, &s, &err), &err);
    if (!s) return;
    char p[600];
    snprintf(p, sizeof p, "%s/oci-layout", dir);
    CHECK(access(p, R_OK) == 0);
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    char d1[RUNE_DIGEST_STR_LEN], d2[RUNE_DIGEST_STR_LEN];
    CHECK_OK(rune_oci_store_add_rune(s, rune, len, "hw:1.0", d1, &err), &err);
    CHECK_OK(rune_oci_store_add_rune(s, rune, len, "hw:1.0", d2, &err), &err);
    CHECK_STR(d1, d2); /* deterministic, idempotent */
    CHECK_EQ_INT(count_blobs(dir), 3);
    CHECK_OK(rune_oci_store_tag(s, "hw:1.0", "hw", &err), &err);
    rune_oci_entry *e = NULL;
    size_t n = 0;
    CHECK_OK(rune_oci_store_list(s, &e, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_STR(e[0].ref, "hw:1.0");
        CHECK_STR(e[1].ref, "hw:latest");
        CHECK_STR(e[1].digest, d1);
    }
    rune_free(e);
    /* by tag and by digest */
    uint8_t *got = NULL;
    size_t glen = 0;
    CHECK_OK(rune_oci_store_get_rune(s, "hw:latest", &got, &glen, &err), &err);
    CHECK(got && glen == len && memcmp(got, rune, len) == 0);
    rune_free(got);
    char byd[200], res[RUNE_DIGEST_STR_LEN];
    snprintf(byd, sizeof byd, "hw@%s", d1);
    CHECK_OK(rune_oci_store_resolve(s, byd, res, &err), &err);
    CHECK_STR(res, d1);
    CHECK_STATUS(rune_oci_store_resolve(s, "hw:2.0", res, &err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "no image named hw:2.0");
    /* the manifest carries the rune manifest for skopeo & co */
    uint8_t *mj = NULL;
    size_t mjl;
    CHECK_OK(rune_oci_store_get_blob(s, d1, &mj, &mjl, &err), &err);
    rune_oci_manifest *om = NULL;
    CHECK_OK(rune_oci_manifest_parse((const char *)mj, mjl, &om, &err), &err);
    CHECK(om && om->rune_manifest && strstr(om->rune_manifest, "\"name\":\"hw\""));
    /* A layer's digest is a blob of the store but names no image. */
    if (om && om->nlayers > 0) {
        snprintf(byd, sizeof byd, "hw@%s", om->layers[0].digest);
        CHECK_STATUS(rune_oci_store_resolve(s, byd, res, &err), RUNE_E_NOT_FOUND);
        CHECK_CONTAINS(err.msg, "not an image in it");
        snprintf(byd, sizeof byd, "hw@%s", om->config.digest);
        CHECK_STATUS(rune_oci_store_resolve(s, byd, res, &err), RUNE_E_NOT_FOUND);
        CHECK_CONTAINS(err.msg, "not an image in it");
    }
    CHECK(om && om->nlayers == 1 && om->layers[0].size == len);
    CHECK_STR(om ? om->config.media_type : NULL, RUNE_WASM_CONFIG_TYPE);
    CHECK_STR(om ? om->layers[0].media_type : NULL, RUNE_WASM_LAYER_TYPE);
    rune_oci_manifest_free(om);
    rune_free(mj);
    /* removing one of two tags frees nothing; removing the last frees all three blobs */
    size_t freed = 99;
    CHECK_OK(rune_oci_store_remove(s, "hw:1.0", &freed, &err), &err);
    CHECK_EQ_INT(freed, 0);
    CHECK_OK(rune_oci_store_remove(s, "hw", &freed, &err), &err);
    CHECK_EQ_INT(freed, 3);
    CHECK_EQ_INT(count_blobs(dir), 0);
    CHECK_STATUS(rune_oci_store_remove(s, "hw", &freed, &err), RUNE_E_NOT_FOUND);
    /* a broken rune is not stored */
    rune[len - 1] ^= 1;
    CHECK(rune_oci_store_add_rune(s, rune, len, "bad:1", NULL, &err) != RUNE_OK);
    CHECK_EQ_INT(count_blobs(dir), 0);
    rune_free(rune);
    rune_oci_store_close(s);
    rm_tree(dir);
}

TEST(corrupt_blob_refused)
{
    char dir[] = "/tmp/rune-oci-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    rune_error err;
    rune_oci_store *s = NULL;
    CHECK_OK(rune_oci_store_open(dir, &s, &err), &err);
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    char layer[RUNE_DIGEST_STR_LEN];
    rune_digest_str(rune, len, layer);
    CHECK_OK(rune_oci_store_add_rune(s, rune, len, "hw:1", NULL, &err), &err);
    char p[600];
    snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, layer + 7);
    FILE *f = fopen(p, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 100, SEEK_SET);
        fputc(0x55, f);
        fclose(f);
    }
    uint8_t *got = NULL;
    size_t glen;
    CHECK_STATUS(rune_oci_store_get_rune(s, "hw:1", &got, &glen, &err), RUNE_E_VERIFY);
    CHECK_CONTAINS(err.msg, "is corrupt");
    CHECK(got == NULL);
    /* a damaged index.json is an error, not a crash */
    snprintf(p, sizeof p, "%s/index.json", dir);
    f = fopen(p, "w");
    if (f) {
        fputs("{\"schemaVersion\":2,\"manifests\":[{\"digest\":5}]}", f);
        fclose(f);
    }
    char d[RUNE_DIGEST_STR_LEN];
    CHECK_STATUS(rune_oci_store_resolve(s, "hw:1", d, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "index.manifests[0].digest");
    rune_free(rune);
    rune_oci_store_close(s);
    rm_tree(dir);
}

TEST(oci_json_readers_refuse_bad_documents)
{
    rune_error err;
    rune_oci_manifest *m = NULL;
    const char *docs[][2] = {
        {"{\"schemaVersion\":1}", "schemaVersion: expected 2"},
        {"{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:1\",\"size\":1}}", "config.digest"},
        {"{\"schemaVersion\":2,\"mediaType\":\"application/"
         "vnd.docker.distribution.manifest.v1+json\"}",
         "is not an OCI image manifest"},
        {"[]", "expected a JSON object"},
        {"{", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        CHECK(rune_oci_manifest_parse(docs[i][0], strlen(docs[i][0]), &m, &err) != RUNE_OK);
        CHECK_CONTAINS(err.msg, docs[i][1]);
        CHECK(m == NULL);
    }
    rune_oci_desc *d = NULL;
    size_t n;
    const char *idx =
        "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:0123456789abcdef0123"
        "456789abcdef0123456789abcdef0123456789abcdef\",\"size\":-1}]}";
    CHECK_STATUS(rune_oci_index_parse(idx, strlen(idx), &d, &n, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "index.manifests[0].size");
}

/* Every allocation of add/get/list/remove may fail: an error, never a crash or a leak, and the
 * store stays usable (a later full run succeeds). */
TEST(store_allocation_failures)
{
    char dir[] = "/tmp/rune-oci-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    rune_error err;
    rune_oci_store *s = NULL;
    CHECK_OK(rune_oci_store_open(dir, &s, &err), &err);
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    if (!s || !rune) return;
    long base = rune_alloc_live();
    int done = 0;
    for (long n = 0; n < 3000 && !done; n++) {
        uint8_t *got = NULL;
        size_t glen = 0, nl = 0;
        rune_oci_entry *e = NULL;
        rune_alloc_fail_after(n);
        rune_status st = rune_oci_store_add_rune(s, rune, len, "hw:1", NULL, &err);
        if (st == RUNE_OK) st = rune_oci_store_get_rune(s, "hw:1", &got, &glen, &err);
        if (st == RUNE_OK) st = rune_oci_store_list(s, &e, &nl, &err);
        if (st == RUNE_OK) st = rune_oci_store_remove(s, "hw:1", NULL, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            done = 1;
            CHECK(got && glen == len && nl == 1);
        } else {
            CHECK_MSG_(st == RUNE_E_NOMEM || st == RUNE_E_MALFORMED, "n=%ld: %s", n, err.msg);
        }
        rune_free(got);
        rune_free(e);
        CHECK_MSG_(rune_alloc_live() == base, "n=%ld: %ld live after '%s'", n,
                   rune_alloc_live() - base, st == RUNE_OK ? "ok" : err.msg);
    }
    CHECK(done);
    rune_free(rune);
    rune_oci_store_close(s);
    rm_tree(dir);
}

/* skopeo (containers/image) reads our layout and writes one we read back: the layout is OCI. */
TEST(layout_interoperates_with_skopeo)
{
    if (access("/usr/bin/skopeo", X_OK) != 0) {
        printf("SKIP layout_interoperates_with_skopeo: skopeo not installed\n");
        return;
    }
    char ours[] = "/tmp/rune-oci-XXXXXX", theirs[] = "/tmp/rune-oci-XXXXXX";
    CHECK(mkdtemp(ours) && mkdtemp(theirs));
    rune_error err;
    rune_oci_store *s = NULL, *t = NULL;
    CHECK_OK(rune_oci_store_open(ours, &s, &err), &err);
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    char d[RUNE_DIGEST_STR_LEN], d2[RUNE_DIGEST_STR_LEN];
    if (!s || !rune) return;
    CHECK_OK(rune_oci_store_add_rune(s, rune, len, "hw:1.0", d, &err), &err);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "skopeo copy --quiet oci:%s:hw:1.0 oci:%s/copy:hw:2.0 >/dev/null 2>&1", ours, theirs);
    CHECK_EQ_INT(system(cmd), 0);
    char copy[128];
    snprintf(copy, sizeof copy, "%s/copy", theirs);
    CHECK_OK(rune_oci_store_open(copy, &t, &err), &err);
    if (t) {
        CHECK_OK(rune_oci_store_resolve(t, "hw:2.0", d2, &err), &err);
        CHECK_STR(d2, d); /* skopeo kept the manifest byte for byte */
        uint8_t *got = NULL;
        size_t glen = 0;
        CHECK_OK(rune_oci_store_get_rune(t, "hw:2.0", &got, &glen, &err), &err);
        CHECK(got && glen == len && memcmp(got, rune, len) == 0);
        rune_free(got);
    }
    rune_oci_store_close(t);
    rune_oci_store_close(s);
    rune_free(rune);
    rm_tree(ours);
    rm_tree(theirs);
}

int main(void)
{
    RUN(references_parse);
    RUN(challenge_parser);
    RUN(store_add_tag_list_get_remove);
    RUN(corrupt_blob_refused);
    RUN(oci_json_readers_refuse_bad_documents);
    RUN(store_allocation_failures);
    RUN(layout_interoperates_with_skopeo);
    return test_report();
}
