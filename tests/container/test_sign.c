/*
 * test_sign.c - Ed25519 rune signatures: keys round-trip through their text files, signed runes
 * verify, and every way of failing says why: a byte changed anywhere, the wrong key, a revoked key,
 * no signature under a policy that requires one; rotation with two trusted keys.
 */
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/sign.h"
#include "rune_fixture.h"

#define SMALL_MODEL SHARED("models/hello_world_int8.tflite")

static uint8_t *signed_rune(const rune_sign_key *k, size_t *len)
{
    size_t rl;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &rl, NULL, NULL), *out = NULL;
    rune_error err;
    if (rune && rune_sign_rune(rune, rl, k, &out, len, &err) != RUNE_OK) {
        fprintf(stderr, "sign: %s\n", err.msg);
        out = NULL;
    }
    rune_free(rune);
    return out;
}

TEST(key_files_round_trip)
{
    rune_sign_key k, pub, sec;
    rune_error err;
    CHECK_OK(rune_sign_keygen(&k, &err), &err);
    CHECK_EQ_INT(strlen(k.id), RUNE_KEY_ID_LEN);
    char dir[] = "/tmp/rune-keys-XXXXXX", ppath[128], spath[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ppath, sizeof ppath, "%s/k.pub", dir);
    snprintf(spath, sizeof spath, "%s/k.key", dir);
    CHECK_OK(rune_sign_key_save(ppath, &k, 0, &err), &err);
    CHECK_OK(rune_sign_key_save(spath, &k, 1, &err), &err);
    struct stat sb;
    CHECK(stat(spath, &sb) == 0 && (sb.st_mode & 077) == 0);
    CHECK_OK(rune_sign_key_load(ppath, &pub, &err), &err);
    CHECK_OK(rune_sign_key_load(spath, &sec, &err), &err);
    CHECK(!pub.has_secret && sec.has_secret);
    CHECK_STR(pub.id, k.id);
    CHECK_STR(sec.id, k.id);
    CHECK(memcmp(pub.pk, k.pk, 32) == 0 && memcmp(sec.sk, k.sk, 64) == 0);
    /* a public key cannot sign */
    char *text = NULL;
    CHECK_STATUS(rune_sign_key_format(&pub, 1, &text, &err), RUNE_E_ARG);
    unlink(ppath);
    unlink(spath);
    rmdir(dir);
}

static void expect_key_refused(const char *text, const char *msg)
{
    rune_sign_key k;
    rune_error err;
    CHECK(rune_sign_key_parse(text, strlen(text), &k, &err) != RUNE_OK);
    CHECK_CONTAINS(err.msg, msg);
    CHECK(!k.has_secret);
}

TEST(bad_key_files_refused)
{
    rune_sign_key k;
    rune_error err;
    char *text = NULL;
    CHECK_OK(rune_sign_keygen(&k, &err), &err);
    CHECK_OK(rune_sign_key_format(&k, 0, &text, &err), &err);
    expect_key_refused("", "missing header");
    expect_key_refused("ssh-ed25519 AAAA", "expected 'rune-key v1 ed25519");
    expect_key_refused("rune-key v1 ed25519 public\nkey AAAA\n", "not base64 of 32 bytes");
    expect_key_refused("rune-key v1 ed25519 public\nid 0000\n", "id must be 16 hex digits");
    expect_key_refused("rune-key v1 ed25519 public\n", "missing key line");
    expect_key_refused("rune-key v1 ed25519 public\ncolour blue\n", "unknown field");
    /* a valid key under another key's id */
    char *idline = text ? strstr(text, "id ") : NULL;
    if (idline) idline[3] = idline[3] == '0' ? '1' : '0';
    if (text) expect_key_refused(text, "does not match the key");
    /* comments and blank lines are fine */
    if (idline) idline[3] = k.id[0];
    char buf[512];
    snprintf(buf, sizeof buf, "# my key\n\n%s", text ? text : "");
    rune_sign_key p;
    CHECK_OK(rune_sign_key_parse(buf, strlen(buf), &p, &err), &err);
    rune_free(text);
}

TEST(signed_rune_verifies_and_keeps_its_digest)
{
    rune_sign_key k;
    rune_error err;
    CHECK_OK(rune_sign_keygen(&k, &err), &err);
    size_t len, ulen;
    uint8_t *rune = signed_rune(&k, &len);
    uint8_t *unsigned_rune = fixture_rune(SMALL_MODEL, "hw", &ulen, NULL, NULL);
    CHECK(rune && unsigned_rune);
    if (!rune || !unsigned_rune) return;
    rune_trust_policy p = {0};
    p.require_signature = 1;
    CHECK_OK(rune_trust_policy_add_key(&p, &k, &err), &err);
    rune_verify_result res;
    CHECK_OK(rune_sign_verify(rune, len, &p, &res, &err), &err);
    CHECK_EQ_INT(res.outcome, RUNE_VERIFY_SIGNED);
    CHECK_STR(res.key_id, k.id);
    /* the signed rune still opens, with the digest of the unsigned one */
    rune_container *c = NULL, *u = NULL;
    CHECK_OK(rune_container_open(rune, len, &c, &err), &err);
    CHECK_OK(rune_container_open(unsigned_rune, ulen, &u, &err), &err);
    CHECK(c && u && strcmp(c->digest, u->digest) == 0 && c->signature != NULL);
    if (c) CHECK_STR(res.digest, c->digest);
    rune_container_free(c);
    rune_container_free(u);
    rune_trust_policy_clear(&p);
    rune_free(rune);
    rune_free(unsigned_rune);
}

TEST(any_changed_byte_fails_verification)
{
    rune_sign_key k;
    rune_error err;
    CHECK_OK(rune_sign_keygen(&k, &err), &err);
    size_t len;
    uint8_t *rune = signed_rune(&k, &len);
    if (!rune) return;
    rune_trust_policy p = {0};
    p.require_signature = 1;
    rune_trust_policy_add_key(&p, &k, &err);
    size_t modified = 0;
    for (size_t i = 0; i < len; i++) {
        rune_verify_result res;
        rune[i] ^= 0x20;
        rune_status st = rune_sign_verify(rune, len, &p, &res, &err);
        CHECK_MSG_(st != RUNE_OK, "byte %zu changed, still verifies", i);
        if (res.outcome == RUNE_VERIFY_MODIFIED) {
            modified++;
            CHECK_CONTAINS(err.msg,
                           "signature does not match: the rune was modified after signing");
        }
        rune[i] ^= 0x20;
    }
    /* most changed bytes are outside the signature section and report "modified" */
    CHECK(modified > len / 2);
    rune_trust_policy_clear(&p);
    rune_free(rune);
}

TEST(wrong_revoked_and_missing_signatures_say_why)
{
    rune_sign_key a, b;
    rune_error err;
    CHECK_OK(rune_sign_keygen(&a, &err), &err);
    CHECK_OK(rune_sign_keygen(&b, &err), &err);
    size_t len, ulen;
    uint8_t *rune = signed_rune(&a, &len);
    uint8_t *unsigned_rune = fixture_rune(SMALL_MODEL, "hw", &ulen, NULL, NULL);
    if (!rune || !unsigned_rune) return;
    rune_verify_result res;
    char want[128];

    rune_trust_policy only_b = {0};
    rune_trust_policy_add_key(&only_b, &b, &err);
    CHECK_STATUS(rune_sign_verify(rune, len, &only_b, &res, &err), RUNE_E_DENIED);
    snprintf(want, sizeof want, "signed by key %s which is not trusted", a.id);
    CHECK_CONTAINS(err.msg, want);
    CHECK_EQ_INT(res.outcome, RUNE_VERIFY_UNTRUSTED_KEY);

    rune_trust_policy revoked = {0};
    rune_trust_policy_add_key(&revoked, &a, &err);
    CHECK_OK(rune_trust_policy_revoke(&revoked, a.id, &err), &err);
    CHECK_STATUS(rune_sign_verify(rune, len, &revoked, &res, &err), RUNE_E_DENIED);
    snprintf(want, sizeof want, "signed by key %s which is revoked", a.id);
    CHECK_CONTAINS(err.msg, want);

    rune_trust_policy lax = {0};
    CHECK_OK(rune_sign_verify(unsigned_rune, ulen, &lax, &res, &err), &err);
    CHECK_EQ_INT(res.outcome, RUNE_VERIFY_UNSIGNED_ALLOWED);
    lax.require_signature = 1;
    CHECK_STATUS(rune_sign_verify(unsigned_rune, ulen, &lax, &res, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "no signature but policy requires one");

    /* a signature moved onto another rune: modified */
    size_t olen, moved_len;
    uint8_t *other = fixture_rune(SMALL_MODEL, "other-name", &olen, NULL, NULL), *moved = NULL;
    const uint8_t *sig;
    size_t sl;
    CHECK_OK(rune_container_digest(rune, len, NULL, &sig, &sl, NULL, NULL, &err), &err);
    CHECK_OK(rune_container_replace_signature(other, olen, sig, sl, &moved, &moved_len, &err),
             &err);
    rune_trust_policy trust_a = {0};
    rune_trust_policy_add_key(&trust_a, &a, &err);
    CHECK_STATUS(rune_sign_verify(moved, moved_len, &trust_a, &res, &err), RUNE_E_VERIFY);
    CHECK_EQ_INT(res.outcome, RUNE_VERIFY_MODIFIED);
    /* garbage in the signature section */
    uint8_t *junk = NULL;
    size_t jl;
    CHECK_OK(rune_container_replace_signature(other, olen, (const uint8_t *)"{\"alg\":\"rsa\"}", 13,
                                              &junk, &jl, &err),
             &err);
    CHECK_STATUS(rune_sign_verify(junk, jl, &trust_a, &res, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "not a valid ed25519 rune signature");
    /* never sign a broken rune */
    uint8_t *out = NULL;
    size_t outl;
    other[olen - 1] ^= 1;
    CHECK(rune_sign_rune(other, olen, &a, &out, &outl, &err) != RUNE_OK);
    CHECK_CONTAINS(err.msg, "refusing to sign a broken rune");
    CHECK(out == NULL);

    rune_free(junk);
    rune_free(moved);
    rune_free(other);
    rune_trust_policy_clear(&trust_a);
    rune_trust_policy_clear(&only_b);
    rune_trust_policy_clear(&revoked);
    rune_trust_policy_clear(&lax);
    rune_free(rune);
    rune_free(unsigned_rune);
}

/* Rotation: old and new key trusted together, then the old one revoked, all from a policy file. */
TEST(rotation_with_two_trusted_keys)
{
    rune_sign_key old_k, new_k;
    rune_error err;
    CHECK_OK(rune_sign_keygen(&old_k, &err), &err);
    CHECK_OK(rune_sign_keygen(&new_k, &err), &err);
    size_t l1, l2;
    uint8_t *by_old = signed_rune(&old_k, &l1), *by_new = signed_rune(&new_k, &l2);
    if (!by_old || !by_new) return;
    char *po = NULL, *pn = NULL;
    rune_sign_key_format(&old_k, 0, &po, &err);
    rune_sign_key_format(&new_k, 0, &pn, &err);
    const char *ko = strstr(po, "\nkey ") + 5, *kn = strstr(pn, "\nkey ") + 5;
    char text[1024];
    snprintf(text, sizeof text,
             "# fleet policy\nrequire-signature yes\ntrust %s %.44s\ntrust %s %.44s\n", old_k.id,
             ko, new_k.id, kn);
    rune_trust_policy p = {0};
    rune_verify_result res;
    CHECK_OK(rune_trust_policy_parse(text, strlen(text), &p, &err), &err);
    CHECK_EQ_INT(p.ntrusted, 2);
    CHECK(p.require_signature);
    CHECK_OK(rune_sign_verify(by_old, l1, &p, &res, &err), &err);
    CHECK_OK(rune_sign_verify(by_new, l2, &p, &res, &err), &err);
    CHECK_STR(res.key_id, new_k.id);
    size_t tl = strlen(text);
    snprintf(text + tl, sizeof text - tl, "revoke %s\n", old_k.id);
    rune_trust_policy_clear(&p);
    CHECK_OK(rune_trust_policy_parse(text, strlen(text), &p, &err), &err);
    CHECK_STATUS(rune_sign_verify(by_old, l1, &p, &res, &err), RUNE_E_DENIED);
    CHECK_EQ_INT(res.outcome, RUNE_VERIFY_REVOKED_KEY);
    CHECK_OK(rune_sign_verify(by_new, l2, &p, &res, &err), &err);
    rune_trust_policy_clear(&p);
    /* bad policy lines */
    const char *bad[] = {"require-signature maybe\n", "trust 0011223344556677 AAAA\n",
                         "revoke 12\n", "allow everything\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(rune_trust_policy_parse(bad[i], strlen(bad[i]), &p, &err) != RUNE_OK);
        CHECK_CONTAINS(err.msg, "policy");
        rune_trust_policy_clear(&p);
    }
    snprintf(text, sizeof text, "trust %s %.44s\n", old_k.id, kn);
    CHECK_STATUS(rune_trust_policy_parse(text, strlen(text), &p, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "does not match the key");
    rune_trust_policy_clear(&p);
    rune_free(po);
    rune_free(pn);
    rune_free(by_old);
    rune_free(by_new);
}

/* Signing and verifying with every allocation able to fail: an error or success, never a leak. */
TEST(sign_and_verify_allocation_failures)
{
    rune_sign_key k;
    rune_error err;
    CHECK_OK(rune_sign_keygen(&k, &err), &err);
    size_t len;
    uint8_t *rune = fixture_rune(SMALL_MODEL, "hw", &len, NULL, NULL);
    if (!rune) return;
    rune_trust_policy p = {0};
    CHECK_OK(rune_trust_policy_add_key(&p, &k, &err), &err);
    long base = rune_alloc_live();
    int done = 0;
    for (long n = 0; n < 3000 && !done; n++) {
        uint8_t *out = NULL;
        size_t olen = 0;
        rune_verify_result res;
        rune_alloc_fail_after(n);
        rune_status st = rune_sign_rune(rune, len, &k, &out, &olen, &err);
        if (st == RUNE_OK) st = rune_sign_verify(out, olen, &p, &res, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            done = 1;
            CHECK_EQ_INT(res.outcome, RUNE_VERIFY_SIGNED);
        } else {
            CHECK_MSG_(st == RUNE_E_NOMEM || st == RUNE_E_MALFORMED, "n=%ld: %s", n, err.msg);
        }
        rune_free(out);
        CHECK_EQ_INT(rune_alloc_live(), base);
    }
    CHECK(done);
    rune_trust_policy_clear(&p);
    rune_free(rune);
}

int main(void)
{
    RUN(key_files_round_trip);
    RUN(bad_key_files_refused);
    RUN(signed_rune_verifies_and_keeps_its_digest);
    RUN(any_changed_byte_fails_verification);
    RUN(wrong_revoked_and_missing_signatures_say_why);
    RUN(rotation_with_two_trusted_keys);
    RUN(sign_and_verify_allocation_failures);
    return test_report();
}
