/*
 * test_cli.c - the rune-registry commands end to end, as a user runs them: keygen, sign, verify
 * (accepted, refused for each reason, exit codes, --json), images/tag/rm on a temp store, and
 * push/pull against docker-registry on loopback (the pulled file is byte-identical).
 */
#include "test.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>

#include "rune/alloc.h"
#include "rune/sign.h"
#include "container_int.h"
#include "registry_fixture.h"
#include "rune_fixture.h"

static char dir[64];
static char out_[65536], err_[65536];

/* Run the CLI with args (a shell fragment); stdout/stderr into out_/err_; returns the exit code. */
static int run(const char *fmt, ...)
{
    char args[2048], cmd[4096], po[128], pe[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(po, sizeof po, "%s/stdout", dir);
    snprintf(pe, sizeof pe, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "cd %s && env -u RUNE_REGISTRY %s %s >%s 2>%s", dir,
             RUNE_REGISTRY_BIN, args, po, pe);
    int rc = system(cmd);
    size_t n;
    unsigned char *b = test_read_file(po, &n);
    snprintf(out_, sizeof out_, "%.*s", b ? (int)n : 0, b ? (const char *)b : "");
    free(b);
    b = test_read_file(pe, &n);
    snprintf(err_, sizeof err_, "%.*s", b ? (int)n : 0, b ? (const char *)b : "");
    free(b);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void write_file(const char *name, const void *data, size_t len)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

TEST(keygen_sign_verify)
{
    CHECK_EQ_INT(run("keygen -o k"), 0);
    CHECK_EQ_INT(run("keygen --json -o other"), 0);
    CHECK_CONTAINS(out_, "\"key_id\":\"");
    char p[128];
    struct stat sb;
    snprintf(p, sizeof p, "%s/k.key", dir);
    CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    snprintf(p, sizeof p, "%s/k.pub", dir);
    CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0644);

    CHECK_EQ_INT(run("verify hw.rune"), 0);
    CHECK_CONTAINS(out_, "no signature");
    CHECK_EQ_INT(run("verify --require hw.rune"), 1);
    CHECK_CONTAINS(err_, "no signature but policy requires one");
    CHECK_EQ_INT(run("sign --key k.key -o signed.rune hw.rune"), 0);
    CHECK_CONTAINS(out_, "signed signed.rune with key");
    CHECK_EQ_INT(run("verify --key k.pub --require --json signed.rune"), 0);
    CHECK_CONTAINS(out_, "\"accepted\":true");
    CHECK_EQ_INT(run("verify --key other.pub signed.rune"), 1);
    CHECK_CONTAINS(err_, "which is not trusted");
    /* rotation: either key accepted; then the signer revoked */
    CHECK_EQ_INT(run("verify --key other.pub --key k.pub signed.rune"), 0);
    rune_sign_key k;
    rune_error err;
    snprintf(p, sizeof p, "%s/k.pub", dir);
    CHECK_OK(rune_sign_key_load(p, &k, &err), &err);
    CHECK_EQ_INT(run("verify --key other.pub --key k.pub --revoke %s --json signed.rune", k.id), 1);
    CHECK_CONTAINS(out_, "which is revoked");
    CHECK_CONTAINS(out_, "\"accepted\":false");
    CHECK_EQ_INT(run("sign --key k.pub hw.rune"), 1);
    CHECK_CONTAINS(err_, "is a public key");
    CHECK_EQ_INT(run("verify --key missing.pub signed.rune"), 1);
    CHECK_CONTAINS(err_, "missing.pub");
    CHECK_EQ_INT(run("verify"), 2);
    CHECK_EQ_INT(run("verify --frobnicate x.rune"), 2);
    CHECK_EQ_INT(run("sign --help"), 0);
    CHECK_CONTAINS(out_, "usage: rune sign");

    /* a changed byte: refused, and the reason names it */
    size_t len;
    snprintf(p, sizeof p, "%s/signed.rune", dir);
    unsigned char *b = test_read_file(p, &len);
    if (b) {
        b[len / 2] ^= 1;
        write_file("tampered.rune", b, len);
        free(b);
    }
    CHECK_EQ_INT(run("verify --key k.pub tampered.rune"), 1);
    CHECK_CONTAINS(err_, "digest mismatch");
}

TEST(store_commands)
{
    CHECK_EQ_INT(run("images --store st --json"), 0);
    CHECK_CONTAINS(out_, "{\"images\":[]}");
    CHECK_EQ_INT(run("tag --store st nothing:1 x:2"), 1);
    CHECK_CONTAINS(err_, "no image named nothing:1");
    CHECK_EQ_INT(run("rm --store st nothing"), 1);
    CHECK_EQ_INT(run("images --store st extra"), 2);
}

TEST(push_pull)
{
    int port = registry_fixture_start(NULL);
    if (port == 0) {
        printf("SKIP push_pull: %s not installed\n", REGISTRY_BIN);
        return;
    }
    CHECK(port > 0);
    if (port < 0) return;
    CHECK_EQ_INT(run("push --store st --plain-http signed.rune 127.0.0.1:%d/runes/cli:1", port), 0);
    CHECK_CONTAINS(out_, "(with signature)");
    CHECK_EQ_INT(run("images --store st"), 0);
    CHECK_CONTAINS(out_, "runes/cli:1");
    /* verify a stored image by name */
    CHECK_EQ_INT(run("verify --store st --key k.pub --require runes/cli:1"), 0);
    CHECK_CONTAINS(out_, "signed by trusted key");
    CHECK_EQ_INT(run("verify --store st runes/cli:nope"), 1);
    CHECK_CONTAINS(err_, "no image named runes/cli:nope");
    CHECK_EQ_INT(run("tag --store st runes/cli:1 runes/cli:prod"), 0);
    CHECK_EQ_INT(run("rm --store st runes/cli:1 runes/cli:prod"), 0);
    CHECK_CONTAINS(out_, "removed runes/cli:prod (3 blobs freed)");
    CHECK_EQ_INT(run("pull --store st --plain-http -o pulled.rune 127.0.0.1:%d/runes/cli:1", port),
                 0);
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/signed.rune", dir);
    snprintf(b, sizeof b, "%s/pulled.rune", dir);
    size_t la = 0, lb = 0;
    unsigned char *ba = test_read_file(a, &la), *bb = test_read_file(b, &lb);
    CHECK(ba && bb && la == lb && memcmp(ba, bb, la) == 0);
    free(ba);
    free(bb);
    CHECK_EQ_INT(run("verify --key k.pub --require pulled.rune"), 0);
    /* pull with a trust policy: the wrong key refuses and untags, the right one accepts */
    CHECK_EQ_INT(run("pull --store st2 --plain-http --key other.pub --require "
                     "127.0.0.1:%d/runes/cli:1",
                     port),
                 1);
    CHECK_CONTAINS(err_, "which is not trusted");
    CHECK_EQ_INT(run("images --store st2 --json"), 0);
    CHECK_CONTAINS(out_, "{\"images\":[]}");
    CHECK_EQ_INT(run("pull --store st2 --plain-http --key k.pub --require --json "
                     "127.0.0.1:%d/runes/cli:1",
                     port),
                 0);
    CHECK_CONTAINS(out_, "\"signature\":\"signed by trusted key");
    CHECK_EQ_INT(run("pull --store st --plain-http --json 127.0.0.1:%d/runes/cli:404", port), 1);
    CHECK_CONTAINS(err_, "MANIFEST_UNKNOWN");
    CHECK_EQ_INT(run("push --store st signed.rune runes/cli:2"), 1);
    CHECK_CONTAINS(err_, "names no registry host");
    registry_fixture_stop();
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/rune-cli-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    size_t len;
    uint8_t *rune = fixture_rune(SHARED("models/hello_world_int8.tflite"), "hw", &len, NULL, NULL);
    if (!rune) return 1;
    write_file("hw.rune", rune, len);
    rune_free(rune);
    RUN(keygen_sign_verify);
    RUN(store_commands);
    RUN(push_pull);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    return test_report();
}
