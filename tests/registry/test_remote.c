/*
 * test_remote.c - the Distribution client against a real registry: Debian's docker-registry on a
 * free loopback port (registry_fixture.h). Push (chunked), tags, delete locally, pull by tag and by
 * digest, digests verified (a blob corrupted inside the registry's storage is refused), registry
 * errors quoted, signatures as referrers, annotations visible to skopeo, basic auth (htpasswd).
 */
#include "test.h"

#include <curl/curl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rune/alloc.h"
#include "rune/registry.h"
#include "rune/sign.h"
#include "container_int.h"
#include "registry_fixture.h"
#include "rune_fixture.h"

#define MODEL SHARED("models/micro_speech_quantized.tflite")

static int port;
static char host[64];

static rune_oci_store *temp_store(char *dir)
{
    strcpy(dir, "/tmp/rune-oci-XXXXXX");
    rune_oci_store *s = NULL;
    rune_error err;
    if (!mkdtemp(dir) || rune_oci_store_open(dir, &s, &err) != RUNE_OK) return NULL;
    return s;
}

static void drop_store(rune_oci_store *s, char *dir)
{
    rune_oci_store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

static rune_registry *client(const char *user, const char *pass)
{
    rune_registry_opts o = {0};
    o.plain_http = 1;
    o.chunk_size = 4096; /* the 19 KB rune goes up in 5 PATCHes */
    o.timeout_seconds = 20;
    o.username = user;
    o.password = pass;
    rune_registry *r = NULL;
    rune_error err;
    if (rune_registry_open(host, &o, &r, &err) != RUNE_OK) fprintf(stderr, "%s\n", err.msg);
    return r;
}

TEST(push_delete_pull_round_trip)
{
    char da[64], db[64];
    rune_oci_store *a = temp_store(da), *b = temp_store(db);
    rune_registry *r = client(NULL, NULL);
    size_t len;
    uint8_t *rune = fixture_rune(MODEL, "speech", &len, NULL, NULL);
    CHECK(a && b && r && rune);
    if (!a || !b || !r || !rune) return;
    rune_error err;
    char local[RUNE_DIGEST_STR_LEN], pushed[RUNE_DIGEST_STR_LEN], pulled[RUNE_DIGEST_STR_LEN];
    CHECK_OK(rune_oci_store_add_rune(a, rune, len, "speech:1.0", local, &err), &err);
    CHECK_OK(rune_registry_push(r, a, "speech:1.0", "runes/speech", "1.0", pushed, &err), &err);
    CHECK_STR(pushed, local);
    /* pushing again finds every blob already there */
    CHECK_OK(rune_registry_push(r, a, "speech:1.0", "runes/speech", "stable", pushed, &err), &err);
    char **tags = NULL;
    size_t nt = 0;
    CHECK_OK(rune_registry_tags(r, "runes/speech", &tags, &nt, &err), &err);
    CHECK_EQ_INT(nt, 2);
    int seen = 0;
    for (size_t i = 0; i < nt; i++)
        seen += !strcmp(tags[i], "1.0") + !strcmp(tags[i], "stable");
    CHECK_EQ_INT(seen, 2);
    rune_registry_tags_free(tags, nt);

    /* delete locally, pull back: same bytes, same digest */
    size_t freed = 0;
    CHECK_OK(rune_oci_store_remove(a, "speech:1.0", &freed, &err), &err);
    CHECK_EQ_INT(freed, 3);
    CHECK_OK(rune_registry_pull(r, a, "runes/speech", "1.0", "speech:1.0", pulled, &err), &err);
    CHECK_STR(pulled, local);
    uint8_t *got = NULL;
    size_t glen = 0;
    CHECK_OK(rune_oci_store_get_rune(a, "speech:1.0", &got, &glen, &err), &err);
    CHECK(got && glen == len && memcmp(got, rune, len) == 0);
    rune_free(got);
    /* by digest into another store, default local name */
    CHECK_OK(rune_registry_pull(r, b, "runes/speech", local, NULL, pulled, &err), &err);
    CHECK_STR(pulled, local);
    char byd[120];
    snprintf(byd, sizeof byd, "runes/speech:sha256-%s", local + 7);
    CHECK_OK(rune_oci_store_get_rune(b, byd, &got, &glen, &err), &err);
    CHECK(got && glen == len && memcmp(got, rune, len) == 0);
    rune_free(got);

    /* registry errors are quoted */
    CHECK_STATUS(rune_registry_pull(r, b, "runes/speech", "9.9", NULL, pulled, &err),
                 RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "HTTP 404");
    CHECK_CONTAINS(err.msg, "MANIFEST_UNKNOWN");
    CHECK_STATUS(rune_registry_pull(r, b, "runes/nothing", "1", NULL, pulled, &err),
                 RUNE_E_NOT_FOUND);
    CHECK_STATUS(rune_registry_push(r, a, "speech:1.0", "Bad Name", "1", pushed, &err), RUNE_E_ARG);

    rune_free(rune);
    rune_registry_close(r);
    drop_store(a, da);
    drop_store(b, db);
}

/* Progress as a CLI draws it: per blob, from 0 up to its size, never backwards. */
typedef struct progress_log {
    int calls, finished, backwards;
    uint64_t bytes_finished, last;
    char digest[RUNE_DIGEST_STR_LEN];
} progress_log;

static void record_progress(void *user, const char *digest, uint64_t done, uint64_t total)
{
    progress_log *l = user;
    l->calls++;
    if (strcmp(digest, l->digest) != 0) { /* a new blob */
        snprintf(l->digest, sizeof l->digest, "%s", digest);
        l->last = 0;
    }
    if (done < l->last || done > total) l->backwards++;
    l->last = done;
    if (done == total) {
        l->finished++;
        l->bytes_finished += total;
    }
}

TEST(push_and_pull_report_progress_per_blob)
{
    char da[64], db[64];
    rune_oci_store *a = temp_store(da), *b = temp_store(db);
    size_t len;
    uint8_t *rune = fixture_rune(MODEL, "progress", &len, NULL, NULL);
    progress_log up = {0}, down = {0};
    rune_registry_opts o = {0};
    o.plain_http = 1;
    o.chunk_size = 4096;
    o.timeout_seconds = 20;
    o.progress = record_progress;
    o.progress_user = &up;
    rune_registry *r = NULL;
    rune_error err;
    CHECK_OK(rune_registry_open(host, &o, &r, &err), &err);
    CHECK(a && b && r && rune);
    if (!a || !b || !r || !rune) return;
    char d[RUNE_DIGEST_STR_LEN];
    CHECK_OK(rune_oci_store_add_rune(a, rune, len, "progress:1", d, &err), &err);
    CHECK_OK(rune_registry_push(r, a, "progress:1", "runes/progress", "1", d, &err), &err);
    /* two blobs sent (the rune in 4 KiB chunks, and its config); the manifest is not a blob */
    CHECK_EQ_INT(up.finished, 2);
    CHECK(up.calls >= 2 + (int)(len / 4096));
    CHECK(up.bytes_finished > len);
    CHECK_EQ_INT(up.backwards, 0);
    rune_registry_close(r);
    o.progress_user = &down;
    CHECK_OK(rune_registry_open(host, &o, &r, &err), &err);
    CHECK_OK(rune_registry_pull(r, b, "runes/progress", "1", NULL, d, &err), &err);
    CHECK_EQ_INT(down.finished, 2);
    CHECK_EQ_INT(down.bytes_finished, up.bytes_finished);
    CHECK_EQ_INT(down.backwards, 0);
    rune_free(rune);
    rune_registry_close(r);
    drop_store(a, da);
    drop_store(b, db);
}

/* Find the blob's data file inside the registry's storage. */
static void registry_blob_path(const char *digest, char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/docker/registry/v2/blobs/sha256/%.2s/%s/data", registry_dir_,
             digest + 7, digest + 7);
}

TEST(corrupted_blob_in_registry_is_refused)
{
    char da[64];
    rune_oci_store *a = temp_store(da);
    rune_registry *r = client(NULL, NULL);
    size_t len;
    uint8_t *rune = fixture_rune(SHARED("models/hello_world_int8.tflite"), "hw", &len, NULL, NULL);
    if (!a || !r || !rune) return;
    rune_error err;
    char d[RUNE_DIGEST_STR_LEN], layer[RUNE_DIGEST_STR_LEN], p[512];
    CHECK_OK(rune_oci_store_add_rune(a, rune, len, "hw:1", d, &err), &err);
    CHECK_OK(rune_registry_push(r, a, "hw:1", "runes/hw", "1", d, &err), &err);
    CHECK_OK(rune_oci_store_remove(a, "hw:1", NULL, &err), &err);
    rune_digest_str(rune, len, layer);
    registry_blob_path(layer, p, sizeof p);
    FILE *f = fopen(p, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 200, SEEK_SET);
        fputc(0xAA, f);
        fclose(f);
    }
    CHECK_STATUS(rune_registry_pull(r, a, "runes/hw", "1", NULL, d, &err), RUNE_E_VERIFY);
    CHECK_CONTAINS(err.msg, "arrived as");
    char res[RUNE_DIGEST_STR_LEN];
    CHECK_STATUS(rune_oci_store_resolve(a, "runes/hw:1", res, &err), RUNE_E_NOT_FOUND);
    rune_free(rune);
    rune_registry_close(r);
    drop_store(a, da);
}

static size_t sink(char *p, size_t a, size_t b, void *ud)
{
    (void)p;
    (void)ud;
    return a * b;
}

/* PUT a manifest by hand (to forge one the client would never write); returns the HTTP status. */
static long put_raw_manifest(const char *name, const char *tag, const char *json)
{
    char url[256];
    snprintf(url, sizeof url, "http://%s/v2/%s/manifests/%s", host, name, tag);
    CURL *c = curl_easy_init();
    struct curl_slist *h =
        curl_slist_append(NULL, "Content-Type: application/vnd.oci.image.manifest.v1+json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* A manifest whose annotations lie about the rune is refused on pull. */
TEST(forged_annotations_refused)
{
    char da[64];
    rune_oci_store *a = temp_store(da);
    rune_registry *r = client(NULL, NULL);
    size_t len;
    uint8_t *rune = fixture_rune(SHARED("models/hello_world_int8.tflite"), "hw", &len, NULL, NULL);
    if (!a || !r || !rune) return;
    rune_error err;
    char d[RUNE_DIGEST_STR_LEN];
    CHECK_OK(rune_oci_store_add_rune(a, rune, len, "hw:real", d, &err), &err);
    CHECK_OK(rune_registry_push(r, a, "hw:real", "runes/forged", "real", d, &err), &err);
    uint8_t *m = NULL;
    size_t mlen;
    CHECK_OK(rune_oci_store_get_blob(a, d, &m, &mlen, &err), &err);
    if (!m) return;
    char *forged = malloc(mlen + 1);
    memcpy(forged, m, mlen);
    forged[mlen] = 0;
    char *v = strstr(forged, "\\\"version\\\":\\\"1.0.0\\\"");
    CHECK(v != NULL);
    if (v) memcpy(strstr(v, "1.0.0"), "6.6.6", 5); /* the annotation now claims another version */
    CHECK_EQ_INT(put_raw_manifest("runes/forged", "lie", forged), 201);
    CHECK_STATUS(rune_registry_pull(r, a, "runes/forged", "lie", NULL, d, &err), RUNE_E_VERIFY);
    CHECK_CONTAINS(err.msg, "annotation differs");
    char *dg = strstr(forged, "\"org.runic.rune.digest\":\"sha256:");
    memcpy(strstr(forged, "6.6.6"), "1.0.0", 5);
    if (dg) dg[strlen("\"org.runic.rune.digest\":\"sha256:")] ^= 1;
    CHECK_EQ_INT(put_raw_manifest("runes/forged", "lie2", forged), 201);
    CHECK_STATUS(rune_registry_pull(r, a, "runes/forged", "lie2", NULL, d, &err), RUNE_E_VERIFY);
    CHECK_CONTAINS(err.msg, "differs from the annotation");
    /* an image that is not a rune (an ordinary container image's media types) */
    const char *from = "application/vnd.wasm.config.v0+json";
    char *cfg = strstr(forged, from), other[4096];
    CHECK(cfg != NULL && strlen(forged) < sizeof other - 16);
    if (cfg)
        snprintf(other, sizeof other, "%.*sapplication/vnd.oci.image.config.v1+json%s",
                 (int)(cfg - forged), forged, cfg + strlen(from));
    CHECK_EQ_INT(put_raw_manifest("runes/forged", "notarune", other), 201);
    CHECK_STATUS(rune_registry_pull(r, a, "runes/forged", "notarune", NULL, d, &err),
                 RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "is not a rune");
    free(forged);
    rune_free(m);
    rune_free(rune);
    rune_registry_close(r);
    drop_store(a, da);
}

TEST(signature_as_referrer)
{
    char da[64];
    rune_oci_store *a = temp_store(da);
    rune_registry *r = client(NULL, NULL);
    size_t len, slen;
    uint8_t *rune = fixture_rune(SHARED("models/hello_world_int8.tflite"), "hw", &len, NULL, NULL);
    rune_sign_key k;
    rune_error err;
    CHECK_OK(rune_sign_keygen(&k, &err), &err);
    uint8_t *signed_rune = NULL;
    if (!a || !r || !rune) return;
    CHECK_OK(rune_sign_rune(rune, len, &k, &signed_rune, &slen, &err), &err);
    char d[RUNE_DIGEST_STR_LEN], sd[RUNE_DIGEST_STR_LEN], sd2[RUNE_DIGEST_STR_LEN];
    CHECK_OK(rune_oci_store_add_rune(a, signed_rune, slen, "hw:signed", d, &err), &err);
    CHECK_OK(rune_registry_push(r, a, "hw:signed", "runes/hw", "signed", d, &err), &err);
    const uint8_t *sig;
    size_t siglen;
    CHECK_OK(rune_container_digest(signed_rune, slen, NULL, &sig, &siglen, NULL, NULL, &err), &err);
    CHECK_OK(rune_registry_push_signature(r, "runes/hw", d, sig, siglen, sd, &err), &err);
    /* idempotent: the fallback index does not grow */
    CHECK_OK(rune_registry_push_signature(r, "runes/hw", d, sig, siglen, sd2, &err), &err);
    CHECK_STR(sd, sd2);
    rune_registry_sig *sigs = NULL;
    size_t n = 0;
    CHECK_OK(rune_registry_signatures(r, "runes/hw", d, &sigs, &n, &err), &err);
    CHECK_EQ_INT(n, 1);
    CHECK(n == 1 && sigs[0].len == siglen && memcmp(sigs[0].data, sig, siglen) == 0);
    rune_registry_sigs_free(sigs, n);
    /* a rune without signatures has none */
    char other[RUNE_DIGEST_STR_LEN];
    CHECK_OK(rune_oci_store_add_rune(a, rune, len, "hw:plain", other, &err), &err);
    CHECK_OK(rune_registry_push(r, a, "hw:plain", "runes/hw", "plain", other, &err), &err);
    CHECK_OK(rune_registry_signatures(r, "runes/hw", other, &sigs, &n, &err), &err);
    CHECK_EQ_INT(n, 0);
    rune_registry_sigs_free(sigs, n);
    rune_free(signed_rune);
    rune_free(rune);
    rune_registry_close(r);
    drop_store(a, da);
}

/* skopeo, a tool that knows nothing of runes, shows the rune manifest annotation. */
TEST(skopeo_sees_annotations)
{
    if (access("/usr/bin/skopeo", X_OK) != 0) {
        printf("SKIP skopeo_sees_annotations: skopeo not installed\n");
        return;
    }
    char da[64];
    rune_oci_store *a = temp_store(da);
    rune_registry *r = client(NULL, NULL);
    size_t len;
    uint8_t *rune = fixture_rune(SHARED("models/hello_world_int8.tflite"), "hw", &len, NULL, NULL);
    if (!a || !r || !rune) return;
    rune_error err;
    char d[RUNE_DIGEST_STR_LEN];
    CHECK_OK(rune_oci_store_add_rune(a, rune, len, "hw:inspect", d, &err), &err);
    CHECK_OK(rune_registry_push(r, a, "hw:inspect", "runes/inspect", "v1", d, &err), &err);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "skopeo inspect --raw --tls-verify=false docker://%s/runes/inspect:v1 2>&1", host);
    FILE *p = popen(cmd, "r");
    static char out[65536];
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    CHECK(p && pclose(p) == 0);
    CHECK_CONTAINS(out, "\"org.runic.manifest\"");
    CHECK_CONTAINS(out, "application/vnd.wasm.config.v0+json");
    /* the manifest skopeo shows is byte for byte the one we pushed */
    char want[RUNE_DIGEST_STR_LEN];
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = 0;
    rune_digest_str(out, n, want);
    CHECK_STR(want, d);
    /* Without --raw, skopeo 1.9 refuses every artifact whose config is not an image config
     * ("unsupported image-specific operation on artifact with type ..."), so --raw is the way. */
    rune_free(rune);
    rune_registry_close(r);
    drop_store(a, da);
}

TEST(unreachable_registry_is_an_io_error)
{
    rune_registry_opts o = {0};
    o.plain_http = 1;
    o.timeout_seconds = 5;
    rune_registry *r = NULL;
    rune_error err;
    CHECK_OK(rune_registry_open("127.0.0.1:1", &o, &r, &err), &err);
    char **tags;
    size_t n;
    CHECK_STATUS(rune_registry_tags(r, "x", &tags, &n, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "127.0.0.1:1");
    rune_registry_close(r);
    CHECK_STATUS(rune_registry_open("http://x/y", &o, &r, &err), RUNE_E_ARG);
}

int main(void)
{
    port = registry_fixture_start(NULL);
    if (port == 0) {
        printf("SKIP: %s is not installed (apt-get install docker-registry)\n", REGISTRY_BIN);
        return 0;
    }
    if (port < 0) {
        fprintf(stderr, "FAIL: could not start %s\n", REGISTRY_BIN);
        return 1;
    }
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    RUN(push_delete_pull_round_trip);
    RUN(push_and_pull_report_progress_per_blob);
    RUN(corrupted_blob_in_registry_is_refused);
    RUN(forged_annotations_refused);
    RUN(signature_as_referrer);
    RUN(skopeo_sees_annotations);
    RUN(unreachable_registry_is_an_io_error);
    registry_fixture_stop();
    return test_report();
}
