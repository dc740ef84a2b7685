/*
 * Trust policies at rune_host_open (and `rune run --trusted-key/--trust/--require-signature`): the
 * real microspeech rune, signed with Ed25519 keys made here, is refused before any guest code runs
 * when one byte anywhere was changed (header, code, manifest, model, signature, and a sweep over
 * the whole file), when its key is not trusted or revoked, and when it is unsigned under a policy
 * that requires signatures; each refusal says why. Two trusted keys (rotation) are both accepted
 * and the accepted rune still hears "yes". One build with clang, then only hashing: a couple of
 * seconds.
 */
#include "test.h"

#include "rune/alloc.h"
#include "rune/compiler.h"
#include "rune/container.h"
#include "rune/runicos.h"
#include "rune/sign.h"
#include "rune/source.h"

#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[64];
static uint8_t *plain, *signed_a, *signed_b;
static size_t plain_len, a_len, b_len;
static rune_sign_key key_a, key_b;

/* Open (and on success run once on yes_1000ms.wav) under policy; serial output into out. */
static rune_status open_run(const uint8_t *bytes, size_t len, const rune_trust_policy *policy,
                            char *out, size_t cap, rune_error *err)
{
    rune_cap_provider *p = NULL;
    rune_status st = rune_cap_sound_file(SHARED("testdata/yes_1000ms.wav"), 0, &p, err);
    FILE *ser = tmpfile();
    rune_host_config cfg = {0};
    cfg.engine = RUNE_WASM_INTERP;
    cfg.providers = &p;
    cfg.nproviders = 1;
    cfg.serial_out = ser;
    cfg.quiet = 1;
    cfg.trust = policy;
    rune_host *h = NULL;
    if (st == RUNE_OK) st = rune_host_open(bytes, len, &cfg, &h, err);
    if (st == RUNE_OK) st = rune_host_call(h, err);
    rune_host_free(h);
    rewind(ser);
    size_t n = fread(out, 1, cap - 1, ser);
    out[n] = '\0';
    fclose(ser);
    rune_cap_provider_free(p);
    return st;
}

static void policy_of(rune_trust_policy *p, int trust_a, int trust_b, int require)
{
    memset(p, 0, sizeof *p);
    rune_sign_key pa = key_a, pb = key_b;
    pa.has_secret = pb.has_secret = 0;
    if (trust_a) rune_trust_policy_add_key(p, &pa, NULL);
    if (trust_b) rune_trust_policy_add_key(p, &pb, NULL);
    p->require_signature = require;
}

TEST(setup_build_and_sign)
{
    char rf[512], out[200], cache[200];
    snprintf(rf, sizeof rf, "%s/examples/microspeech/Runefile", RUNE_SOURCE_DIR);
    snprintf(out, sizeof out, "%s/ms.rune", tmpdir);
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    o.cache_dir = cache;
    rune_build_result r;
    rune_error err;
    CHECK_OK(rune_build(&o, &r, &err), &err);
    CHECK_OK(rune_file_read_max(out, 0, &plain, &plain_len, &err), &err);
    CHECK_OK(rune_sign_keygen(&key_a, &err), &err);
    CHECK_OK(rune_sign_keygen(&key_b, &err), &err);
    if (!plain) return;
    CHECK_OK(rune_sign_rune(plain, plain_len, &key_a, &signed_a, &a_len, &err), &err);
    CHECK_OK(rune_sign_rune(plain, plain_len, &key_b, &signed_b, &b_len, &err), &err);
}

TEST(rotation_two_trusted_keys_are_both_accepted)
{
    if (!signed_a || !signed_b) return;
    rune_trust_policy p;
    policy_of(&p, 1, 1, 1);
    char out[512];
    rune_error err;
    CHECK_OK(open_run(signed_a, a_len, &p, out, sizeof out, &err), &err);
    CHECK_CONTAINS(out, "[\"yes\"]");
    CHECK_OK(open_run(signed_b, b_len, &p, out, sizeof out, &err), &err);
    CHECK_CONTAINS(out, "[\"yes\"]");
    /* After rotating to b and revoking a, only b's runes run. */
    CHECK_OK(rune_trust_policy_revoke(&p, key_a.id, &err), &err);
    CHECK_STATUS(open_run(signed_a, a_len, &p, out, sizeof out, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "refused by the trust policy");
    CHECK_CONTAINS(err.msg, "revoked");
    CHECK_CONTAINS(err.msg, key_a.id);
    CHECK_OK(open_run(signed_b, b_len, &p, out, sizeof out, &err), &err);
    rune_trust_policy_clear(&p);
}

TEST(wrong_key_revoked_key_and_unsigned_are_refused)
{
    if (!signed_a) return;
    long live = rune_alloc_live();
    rune_trust_policy p;
    char out[512];
    rune_error err;
    policy_of(&p, 0, 1, 1); /* trusts only b */
    CHECK_STATUS(open_run(signed_a, a_len, &p, out, sizeof out, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "not trusted");
    CHECK_CONTAINS(err.msg, key_a.id);
    CHECK_STR(out, ""); /* no guest code ran */
    rune_trust_policy_clear(&p);

    policy_of(&p, 1, 0, 0);
    CHECK_OK(rune_trust_policy_revoke(&p, key_a.id, &err), &err);
    CHECK_STATUS(open_run(signed_a, a_len, &p, out, sizeof out, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "revoked");
    rune_trust_policy_clear(&p);

    policy_of(&p, 1, 1, 1);
    CHECK_STATUS(open_run(plain, plain_len, &p, out, sizeof out, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "refused by the trust policy");
    CHECK_CONTAINS(err.msg, "no signature");
    p.require_signature = 0; /* unsigned is fine when the policy does not ask */
    CHECK_OK(open_run(plain, plain_len, &p, out, sizeof out, &err), &err);
    CHECK_CONTAINS(out, "[\"yes\"]");
    rune_trust_policy_clear(&p);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

/* Offset of the first byte of the code section (id 10) payload, or 0. */
static size_t code_offset(const uint8_t *b, size_t len)
{
    size_t i = 8;
    while (i < len) {
        uint8_t id = b[i++];
        uint32_t size = 0;
        for (int shift = 0; i < len && shift < 35; shift += 7) {
            uint8_t c = b[i++];
            size |= (uint32_t)(c & 0x7f) << shift;
            if (!(c & 0x80)) break;
        }
        if (id == 10) return i + size / 2;
        i += size;
    }
    return 0;
}

static void expect_refused(const uint8_t *orig, size_t len, size_t off, const char *region,
                           const char *why, rune_trust_policy *p)
{
    uint8_t *t = rune_malloc(len);
    if (!t) return;
    memcpy(t, orig, len);
    t[off] ^= 0x01;
    char out[256];
    rune_error err;
    rune_error_clear(&err);
    rune_status st = open_run(t, len, p, out, sizeof out, &err);
    CHECK_MSG_(st != RUNE_OK, "%s: byte %zu changed, yet accepted", region, off);
    CHECK_MSG_(st == RUNE_E_VERIFY || st == RUNE_E_DENIED || st == RUNE_E_MALFORMED,
               "%s: byte %zu: status %s", region, off, rune_status_name(st));
    CHECK_CONTAINS(err.msg, "refused by the trust policy");
    if (why)
        CHECK_MSG_(strstr(err.msg, why), "%s: byte %zu: '%s' lacks '%s'", region, off, err.msg,
                   why);
    CHECK_MSG_(out[0] == '\0', "%s: guest code ran", region);
    rune_free(t);
}

TEST(a_changed_byte_anywhere_is_refused)
{
    if (!signed_a) return;
    long live = rune_alloc_live();
    rune_container *c = NULL;
    rune_error err;
    CHECK_OK(rune_container_open(signed_a, a_len, &c, &err), &err);
    if (!c) return;
    size_t man = (size_t)((const uint8_t *)c->manifest_json - signed_a) + c->manifest_json_len / 2;
    size_t model = (size_t)(c->models[0].data - signed_a) + c->models[0].len / 2;
    /* Inside the base64 of the signature bytes themselves (not the key id). */
    size_t sig = 0;
    for (size_t i = 0; i + 7 <= c->signature_len && !sig; i++)
        if (!memcmp(c->signature + i, "\"sig\":\"", 7))
            sig = (size_t)(c->signature - signed_a) + i + 7 + 20;
    size_t sig_start = (size_t)(c->signature - signed_a), sig_end = sig_start + c->signature_len;
    size_t code = code_offset(signed_a, a_len);
    rune_container_free(c);
    rune_trust_policy p;
    policy_of(&p, 1, 0, 1);
    CHECK(code > 0 && sig > 0);
    expect_refused(signed_a, a_len, 4, "header", "wasm", &p);
    expect_refused(signed_a, a_len, code, "code", "modified after signing", &p);
    expect_refused(signed_a, a_len, man, "manifest", "modified after signing", &p);
    expect_refused(signed_a, a_len, model, "model", "modified after signing", &p);
    if (sig) expect_refused(signed_a, a_len, sig, "signature", "signature", &p);
    /* Every byte of the signature section: its JSON names the digest and key it signs, and a
     * changed hex digit there is still a well-formed digest, so each one must be caught. */
    for (size_t off = sig_start; off < sig_end; off++)
        expect_refused(signed_a, a_len, off, "signature section", NULL, &p);
    /* And a sweep: every 97th byte of the whole file, each tampering alone. */
    for (size_t off = 0; off < a_len; off += 97)
        expect_refused(signed_a, a_len, off, "sweep", NULL, &p);
    /* The untouched rune still passes under the same policy. */
    char out[256];
    CHECK_OK(open_run(signed_a, a_len, &p, out, sizeof out, &err), &err);
    rune_trust_policy_clear(&p);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

/* `rune run` with the trust options: exit status and the reason on stderr. */
static int run_cli(const char *args, char *errbuf, size_t cap)
{
    char cmd[2048], errp[200];
    snprintf(errp, sizeof errp, "%s/stderr.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "%s run %s --sound %s >%s/stdout.txt 2>%s", RUNE_BIN, args,
             SHARED("testdata/yes_1000ms.wav"), tmpdir, errp);
    int rc = system(cmd);
    FILE *f = fopen(errp, "r");
    size_t n = f ? fread(errbuf, 1, cap - 1, f) : 0;
    errbuf[n] = '\0';
    if (f) fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(rune_run_cli_enforces_the_policy)
{
    if (!signed_a) return;
    char pa[200], pb[200], ra[200], rp[200], pol[200], e[1024];
    snprintf(pa, sizeof pa, "%s/a.pub", tmpdir);
    snprintf(pb, sizeof pb, "%s/b.pub", tmpdir);
    snprintf(ra, sizeof ra, "%s/signed_a.rune", tmpdir);
    snprintf(rp, sizeof rp, "%s/ms.rune", tmpdir);
    snprintf(pol, sizeof pol, "%s/policy", tmpdir);
    rune_error err;
    CHECK_OK(rune_sign_key_save(pa, &key_a, 0, &err), &err);
    CHECK_OK(rune_sign_key_save(pb, &key_b, 0, &err), &err);
    CHECK_OK(rune_file_write_atomic(ra, signed_a, a_len, &err), &err);
    char args[1024];
    snprintf(args, sizeof args, "--trusted-key %s --trusted-key %s --require-signature %s", pa, pb,
             ra);
    CHECK_EQ_INT(run_cli(args, e, sizeof e), 0);
    snprintf(args, sizeof args, "--trusted-key %s --require-signature %s", pa, rp);
    CHECK_EQ_INT(run_cli(args, e, sizeof e), 1);
    CHECK_CONTAINS(e, "no signature");
    snprintf(args, sizeof args, "--trusted-key %s %s", pb, ra);
    CHECK_EQ_INT(run_cli(args, e, sizeof e), 1);
    CHECK_CONTAINS(e, "not trusted");
    /* A policy file: trust a, but revoke it. */
    char *pub = NULL;
    CHECK_OK(rune_sign_key_format(&key_a, 0, &pub, &err), &err);
    const char *k = pub ? strstr(pub, "\nkey ") : NULL;
    char line[200] = "";
    if (k) sscanf(k + 5, "%199s", line);
    FILE *f = fopen(pol, "w");
    if (f) {
        fprintf(f, "# test policy\nrequire-signature yes\ntrust %s %s\nrevoke %s\n", key_a.id, line,
                key_a.id);
        fclose(f);
    }
    rune_free(pub);
    snprintf(args, sizeof args, "--trust %s %s", pol, ra);
    CHECK_EQ_INT(run_cli(args, e, sizeof e), 1);
    CHECK_CONTAINS(e, "revoked");
    snprintf(args, sizeof args, "--trusted-key %s/nope.pub %s", tmpdir, ra);
    CHECK_EQ_INT(run_cli(args, e, sizeof e), 2);
    CHECK_CONTAINS(e, "trust policy");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rune-trust-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    RUN(setup_build_and_sign);
    RUN(rotation_two_trusted_keys_are_both_accepted);
    RUN(wrong_key_revoked_key_and_unsigned_are_refused);
    RUN(a_changed_byte_anywhere_is_refused);
    RUN(rune_run_cli_enforces_the_policy);
    rune_free(plain);
    rune_free(signed_a);
    rune_free(signed_b);
    rune_sign_key_wipe(&key_a);
    rune_sign_key_wipe(&key_b);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", tmpdir);
    return test_report();
}
