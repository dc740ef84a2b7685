/*
 * The registry round trip, as a user types it, against Debian's docker-registry started on a free
 * loopback port (registry_fixture.h; skipped when the binary is absent): `rune build -t` the
 * microspeech example, `rune keygen`, `rune sign`, `rune push` (rune and signature referrer), `rune
 * rm` locally, `rune pull`, then check the pulled bytes and digests against what was pushed, `rune
 * verify` the signature, the signature referrer, `skopeo inspect --raw` (the rune manifest
 * annotation), `rune run NAME:TAG` under a trust policy -> "yes", and a FROM that pulls its base
 * from the registry. A few seconds (one clang build, one cached).
 */
#include "test.h"

#include "registry_fixture.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/registry.h"

#include <stdarg.h>
#include <sys/stat.h>

static char tmp[64], host[64], store[128];
static int port;

/* Run a shell command; its stdout and stderr into out. Returns the exit status. */
static int sh(char *out, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int sh(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[4096], outp[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(outp, sizeof outp, "%s/cmd.out", tmp);
    char full[4400];
    snprintf(full, sizeof full, "( %s ) >%s 2>&1", cmd, outp);
    int rc = system(full);
    FILE *f = fopen(outp, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = '\0';
    if (f) fclose(f);
    if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) /* expected or not: the check says */
        fprintf(stderr, "  (exit %d) $ %s\n%s", WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, cmd, out);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The value of "key":"..." in a JSON line, into buf. */
static const char *json_str(const char *json, const char *key, char *buf, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    buf[0] = '\0';
    if (!p) return buf;
    p += strlen(pat);
    size_t n = 0;
    while (p[n] && p[n] != '"' && n + 1 < cap)
        n++;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

TEST(build_push_rm_pull_verify_run)
{
    char out[8192], rf[512], pushed[RUNE_DIGEST_STR_LEN], pulled[RUNE_DIGEST_STR_LEN];
    snprintf(rf, sizeof rf, "%s/examples/microspeech/Runefile", RUNE_SOURCE_DIR);
    const char *wav = SHARED("testdata/yes_1000ms.wav");
    char wavp[512];
    snprintf(wavp, sizeof wavp, "%s", wav);

    CHECK_EQ_INT(sh(out, sizeof out, "%s build %s -o %s/ms.rune -t rt/microspeech:1 --json",
                    RUNE_BIN, rf, tmp),
                 0);
    CHECK_CONTAINS(out, "\"ref\":\"rt/microspeech:1\"");
    CHECK_EQ_INT(sh(out, sizeof out, "%s images --store %s", RUNE_BIN, store), 0);
    CHECK_CONTAINS(out, "rt/microspeech:1");
    CHECK_EQ_INT(sh(out, sizeof out, "%s keygen -o %s/k && %s keygen -o %s/other", RUNE_BIN, tmp,
                    RUNE_BIN, tmp),
                 0);
    CHECK_EQ_INT(sh(out, sizeof out, "%s sign --key %s/k.key %s/ms.rune", RUNE_BIN, tmp, tmp), 0);
    CHECK_EQ_INT(sh(out, sizeof out, "%s push --plain-http --json %s/ms.rune %s/rt/microspeech:1",
                    RUNE_BIN, tmp, host),
                 0);
    json_str(out, "digest", pushed, sizeof pushed);
    CHECK(strncmp(pushed, "sha256:", 7) == 0);
    CHECK(strstr(out, "\"signature\":\"sha256:") != NULL);

    /* Delete locally: the reference is gone. */
    CHECK_EQ_INT(sh(out, sizeof out, "%s rm rt/microspeech:1", RUNE_BIN), 0);
    CHECK_EQ_INT(sh(out, sizeof out, "%s run rt/microspeech:1 --sound %s", RUNE_BIN, wavp), 1);
    CHECK_CONTAINS(out, "no rune rt/microspeech:1 in the local store");

    /* Pull: same OCI manifest digest, same bytes as the signed file. */
    CHECK_EQ_INT(
        sh(out, sizeof out, "%s pull --plain-http --json %s/rt/microspeech:1", RUNE_BIN, host), 0);
    json_str(out, "digest", pulled, sizeof pulled);
    CHECK_STR(pulled, pushed);
    char path[200];
    snprintf(path, sizeof path, "%s/ms.rune", tmp);
    uint8_t *file = NULL, *got = NULL;
    size_t flen = 0, glen = 0;
    rune_oci_store *s = NULL;
    rune_error err;
    CHECK_OK(rune_file_read(path, &file, &flen, &err), &err);
    CHECK_OK(rune_oci_store_open(store, &s, &err), &err);
    if (s) CHECK_OK(rune_oci_store_get_rune(s, "rt/microspeech:1", &got, &glen, &err), &err);
    CHECK(file && got && flen == glen && memcmp(file, got, flen) == 0);
    rune_container *c = NULL;
    if (got) CHECK_OK(rune_container_open(got, glen, &c, &err), &err);
    CHECK(c && c->signature != NULL);

    /* The signature travelled as an OCI referrer too, and it is the rune's own. */
    rune_registry *r = NULL;
    rune_registry_opts ro = {0};
    ro.plain_http = 1;
    CHECK_OK(rune_registry_open(host, &ro, &r, &err), &err);
    rune_registry_sig *sigs = NULL;
    size_t nsigs = 0;
    if (r)
        CHECK_OK(rune_registry_signatures(r, "rt/microspeech", pushed, &sigs, &nsigs, &err), &err);
    CHECK_EQ_INT(nsigs, 1);
    CHECK(c && nsigs == 1 && sigs[0].len == c->signature_len &&
          memcmp(sigs[0].data, c->signature, c->signature_len) == 0);
    rune_registry_sigs_free(sigs, nsigs);
    rune_registry_close(r);
    rune_container_free(c);
    rune_oci_store_close(s);
    rune_free(file);
    rune_free(got);

    /* Verify and run the pulled rune under a policy that requires the signature. */
    CHECK_EQ_INT(
        sh(out, sizeof out, "%s verify --key %s/k.pub --require rt/microspeech:1", RUNE_BIN, tmp),
        0);
    CHECK_CONTAINS(out, "signed by trusted key");
    CHECK(sh(out, sizeof out, "%s verify --key %s/other.pub --require rt/microspeech:1", RUNE_BIN,
             tmp) != 0);
    CHECK_CONTAINS(out, "not trusted");
    CHECK_EQ_INT(sh(out, sizeof out,
                    "%s run rt/microspeech:1 --sound %s --trusted-key %s/k.pub --require-signature",
                    RUNE_BIN, wavp, tmp),
                 0);
    CHECK_CONTAINS(out, "[\"yes\"]");
    /* By digest, as FROM and hmr pin it. */
    CHECK_EQ_INT(sh(out, sizeof out, "%s run rt/microspeech@%s --sound %s", RUNE_BIN, pulled, wavp),
                 0);
    CHECK_CONTAINS(out, "[\"yes\"]");
    CHECK_EQ_INT(sh(out, sizeof out,
                    "%s run rt/microspeech:1 --sound %s --trusted-key %s/other.pub", RUNE_BIN, wavp,
                    tmp),
                 1);
    CHECK_CONTAINS(out, "refused by the trust policy");

    /* What any OCI tool sees: the wasm artifact with the rune manifest in its annotations. */
    if (access("/usr/bin/skopeo", X_OK) == 0) {
        CHECK_EQ_INT(sh(out, sizeof out,
                        "skopeo inspect --raw --tls-verify=false docker://%s/rt/microspeech:1",
                        host),
                     0);
        CHECK_CONTAINS(out, "\"org.runic.manifest\":\"{");
        CHECK_CONTAINS(out, "application/vnd.wasm.config.v0+json");
        CHECK_CONTAINS(out, "\"mediaType\":\"application/wasm\"");
    } else {
        printf("skopeo not installed: skipping the skopeo check\n");
    }
}

TEST(from_pulls_its_base_from_the_registry)
{
    char out[8192], dir[200], rf[300], pushed[RUNE_DIGEST_STR_LEN] = "";
    /* The base exists only in the registry now. */
    sh(out, sizeof out, "%s rm rt/microspeech:1", RUNE_BIN);
    snprintf(dir, sizeof dir, "%s/derived", tmp);
    mkdir(dir, 0755);
    snprintf(rf, sizeof rf, "%s/Runefile", dir);
    FILE *f = fopen(rf, "w");
    if (!f) return;
    fputs("FROM rt/microspeech:1\nPROC_BLOCK label runicos/label --labels a,b,oui,non\n", f);
    fclose(f);
    CHECK_EQ_INT(sh(out, sizeof out, "%s build %s -o %s/derived.rune --registry %s --json",
                    RUNE_BIN, rf, tmp, host),
                 0);
    char base[300];
    json_str(out, "base", base, sizeof base);
    CHECK(strncmp(base, "rt/microspeech:1@sha256:", 24) == 0);
    rune_oci_store *s = NULL;
    rune_error err;
    CHECK_OK(rune_oci_store_open(store, &s, &err), &err);
    if (s) CHECK_OK(rune_oci_store_resolve(s, "rt/microspeech:1", pushed, &err), &err);
    rune_oci_store_close(s);
    CHECK(pushed[0] && strcmp(base + 17, pushed) == 0);
    CHECK_EQ_INT(sh(out, sizeof out, "%s run %s/derived.rune --sound %s", RUNE_BIN, tmp,
                    SHARED("testdata/yes_1000ms.wav")),
                 0);
    CHECK_CONTAINS(out, "[\"oui\"]");
    /* The base (signed with k) must pass the policy the build is given. */
    CHECK_EQ_INT(sh(out, sizeof out,
                    "%s build %s -o %s/d1.rune --trusted-key %s/k.pub --require-signature",
                    RUNE_BIN, rf, tmp, tmp),
                 0);
    CHECK_EQ_INT(sh(out, sizeof out, "%s build %s -o %s/d1.rune --trusted-key %s/other.pub",
                    RUNE_BIN, rf, tmp, tmp),
                 1);
    CHECK_CONTAINS(out, "FROM rt/microspeech:1: refused by the trust policy: signed by key");
    /* Without a registry the missing base is a clear error. */
    sh(out, sizeof out, "%s rm rt/microspeech:1", RUNE_BIN);
    CHECK_EQ_INT(sh(out, sizeof out, "env -u RUNE_REGISTRY %s build %s -o %s/d2.rune --no-cache",
                    RUNE_BIN, rf, tmp),
                 1);
    CHECK_CONTAINS(out, "Runefile:1:6: FROM rt/microspeech:1: no such rune in the local store");
}

int main(void)
{
    port = registry_fixture_start(NULL);
    if (port == 0) {
        printf("docker-registry not installed: skipped\n");
        return 0;
    }
    if (port < 0) {
        fprintf(stderr, "cannot start docker-registry\n");
        return 1;
    }
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    snprintf(tmp, sizeof tmp, "/tmp/rune-roundtrip-XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    snprintf(store, sizeof store, "%s/store", tmp);
    char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    setenv("RUNE_STORE", store, 1);
    setenv("RUNE_CACHE_DIR", cache, 1);
    RUN(build_push_rm_pull_verify_run);
    RUN(from_pulls_its_base_from_the_registry);
    registry_fixture_stop();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", tmp);
    return test_report();
}
