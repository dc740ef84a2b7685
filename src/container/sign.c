/*
 * sign.c - Ed25519 keys, rune signing and verification against a trust policy (formats in
 * rune/sign.h). libsodium does the cryptography; this file only frames it. Keys and policies are a
 * few lines of text; runes are whole files in memory.
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "container_int.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/sign.h"

#define SIG_CONTEXT "rune-signature-v1\n"

static int sodium_ready(void)
{
    return sodium_init() >= 0;
}

static void key_id_of(const uint8_t pk[32], char id[RUNE_KEY_ID_LEN + 1])
{
    uint8_t h[32];
    crypto_hash_sha256(h, pk, 32);
    sodium_bin2hex(id, RUNE_KEY_ID_LEN + 1, h, RUNE_KEY_ID_LEN / 2);
}

rune_status rune_sign_keygen(rune_sign_key *out, rune_error *err)
{
    memset(out, 0, sizeof *out);
    if (!sodium_ready()) return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    crypto_sign_ed25519_keypair(out->pk, out->sk);
    out->has_secret = 1;
    key_id_of(out->pk, out->id);
    return RUNE_OK;
}

void rune_sign_key_wipe(rune_sign_key *k)
{
    if (k) sodium_memzero(k->sk, sizeof k->sk), k->has_secret = 0;
}

rune_status rune_sign_key_format(const rune_sign_key *k, int secret, char **out, rune_error *err)
{
    *out = NULL;
    if (secret && !k->has_secret)
        return RUNE_ERR(err, RUNE_E_ARG, "sign: key %s has no secret part", k->id);
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, secret ? k->sk : k->pk, secret ? 64 : 32,
                      sodium_base64_VARIANT_ORIGINAL);
    size_t cap = 200 + sizeof b64;
    char *t = rune_malloc(cap);
    if (!t) return RUNE_ERR(err, RUNE_E_NOMEM, "sign: out of memory");
    snprintf(t, cap, "rune-key v1 ed25519 %s\nid %s\nkey %s\n", secret ? "secret" : "public", k->id,
             b64);
    sodium_memzero(b64, sizeof b64);
    *out = t;
    return RUNE_OK;
}

/* Next line of text into line (trimmed, comments dropped); 0 at the end. */
static int next_line(const char **p, const char *end, char *line, size_t cap, int *lineno)
{
    while (*p < end) {
        const char *s = *p, *e = memchr(s, '\n', (size_t)(end - s));
        if (!e) e = end;
        *p = e < end ? e + 1 : end;
        (*lineno)++;
        const char *hash = memchr(s, '#', (size_t)(e - s));
        if (hash) e = hash;
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (s == e) continue;
        size_t n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
        memcpy(line, s, n);
        line[n] = 0;
        return 1;
    }
    return 0;
}

static int b64_decode(const char *s, uint8_t *out, size_t want)
{
    size_t n = 0;
    if (sodium_base642bin(out, want, s, strlen(s), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return 0;
    return n == want;
}

rune_status rune_sign_key_parse(const char *text, size_t len, rune_sign_key *out, rune_error *err)
{
    memset(out, 0, sizeof *out);
    if (!sodium_ready()) return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    const char *p = text, *end = text + len;
    char line[256], id[RUNE_KEY_ID_LEN + 1] = "";
    int lineno = 0, secret = -1, have_key = 0;
    rune_status st = RUNE_OK;
    while (st == RUNE_OK && next_line(&p, end, line, sizeof line, &lineno)) {
        if (secret < 0) {
            if (strcmp(line, "rune-key v1 ed25519 public") == 0)
                secret = 0;
            else if (strcmp(line, "rune-key v1 ed25519 secret") == 0)
                secret = 1;
            else
                st = RUNE_ERR(err, RUNE_E_MALFORMED,
                              "key line %d: expected 'rune-key v1 ed25519 "
                              "public|secret'",
                              lineno);
        } else if (strncmp(line, "id ", 3) == 0) {
            if (strlen(line + 3) != RUNE_KEY_ID_LEN)
                st = RUNE_ERR(err, RUNE_E_MALFORMED, "key line %d: id must be %d hex digits",
                              lineno, RUNE_KEY_ID_LEN);
            else
                memcpy(id, line + 3, sizeof id);
        } else if (strncmp(line, "key ", 4) == 0) {
            int ok = secret ? b64_decode(line + 4, out->sk, 64) : b64_decode(line + 4, out->pk, 32);
            if (!ok)
                st = RUNE_ERR(err, RUNE_E_MALFORMED, "key line %d: key is not base64 of %d bytes",
                              lineno, secret ? 64 : 32);
            have_key = 1;
        } else {
            st = RUNE_ERR(err, RUNE_E_MALFORMED, "key line %d: unknown field", lineno);
        }
    }
    sodium_memzero(line, sizeof line);
    if (st == RUNE_OK && (secret < 0 || !have_key))
        st = RUNE_ERR(err, RUNE_E_MALFORMED, "key: missing %s", secret < 0 ? "header" : "key line");
    if (st == RUNE_OK && secret) {
        crypto_sign_ed25519_sk_to_pk(out->pk, out->sk);
        out->has_secret = 1;
    }
    if (st == RUNE_OK) {
        key_id_of(out->pk, out->id);
        if (id[0] && strcmp(id, out->id) != 0)
            st = RUNE_ERR(err, RUNE_E_INVALID, "key: id %s does not match the key (its id is %s)",
                          id, out->id);
    }
    if (st != RUNE_OK) rune_sign_key_wipe(out);
    return st;
}

rune_status rune_sign_key_load(const char *path, rune_sign_key *out, rune_error *err)
{
    uint8_t *buf;
    size_t n;
    memset(out, 0, sizeof *out);
    rune_status st = rune_file_read(path, &buf, &n, err);
    if (st != RUNE_OK) return st;
    st = rune_sign_key_parse((const char *)buf, n, out, err);
    sodium_memzero(buf, n);
    rune_free(buf);
    if (st != RUNE_OK) rune_error_prefix(err, "%s", path);
    return st;
}

rune_status rune_sign_key_save(const char *path, const rune_sign_key *k, int secret,
                               rune_error *err)
{
    char *text;
    rune_status st = rune_sign_key_format(k, secret, &text, err);
    if (st != RUNE_OK) return st;
    st = rune_file_write_atomic_mode(path, text, strlen(text), secret ? 0600 : 0644, err);
    sodium_memzero(text, strlen(text));
    rune_free(text);
    return st;
}

static void sig_message(const char *digest, uint8_t *msg, size_t *len)
{
    size_t c = strlen(SIG_CONTEXT);
    memcpy(msg, SIG_CONTEXT, c);
    memcpy(msg + c, digest, 71);
    *len = c + 71;
}

rune_status rune_sign_rune(const uint8_t *rune, size_t len, const rune_sign_key *key, uint8_t **out,
                           size_t *out_len, rune_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!key || !key->has_secret) return RUNE_ERR(err, RUNE_E_ARG, "sign: a secret key is needed");
    if (!sodium_ready()) return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    rune_container *c;
    rune_status st = rune_container_open(rune, len, &c, err);
    if (st != RUNE_OK) return rune_error_prefix(err, "sign: refusing to sign a broken rune");
    uint8_t msg[128], sig[64];
    size_t mlen;
    sig_message(c->digest, msg, &mlen);
    crypto_sign_ed25519_detached(sig, NULL, msg, mlen, key->sk);
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, sig, 64, sodium_base64_VARIANT_ORIGINAL);
    char payload[256];
    int n = snprintf(payload, sizeof payload,
                     "{\"alg\":\"ed25519\",\"digest\":\"%s\",\"key_id\":\"%s\",\"sig\":\"%s\"}",
                     c->digest, key->id, b64);
    rune_container_free(c);
    return rune_container_replace_signature(rune, len, (const uint8_t *)payload, (size_t)n, out,
                                            out_len, err);
}

/* ---- policy -------------------------------------------------------------------------------- */

rune_status rune_trust_policy_add_key(rune_trust_policy *p, const rune_sign_key *k, rune_error *err)
{
    for (size_t i = 0; i < p->ntrusted; i++)
        if (memcmp(p->trusted[i].pk, k->pk, 32) == 0) return RUNE_OK;
    rune_sign_key *a = rune_realloc_array(p->trusted, p->ntrusted + 1, sizeof *a);
    if (!a) return RUNE_ERR(err, RUNE_E_NOMEM, "policy: out of memory");
    p->trusted = a;
    memset(&a[p->ntrusted], 0, sizeof *a);
    memcpy(a[p->ntrusted].pk, k->pk, 32);
    key_id_of(k->pk, a[p->ntrusted].id);
    p->ntrusted++;
    return RUNE_OK;
}

rune_status rune_trust_policy_revoke(rune_trust_policy *p, const char *key_id, rune_error *err)
{
    if (!key_id || strlen(key_id) != RUNE_KEY_ID_LEN ||
        strspn(key_id, "0123456789abcdef") != RUNE_KEY_ID_LEN)
        return RUNE_ERR(err, RUNE_E_ARG, "policy: a key id is %d lowercase hex digits",
                        RUNE_KEY_ID_LEN);
    char(*a)[RUNE_KEY_ID_LEN + 1] = rune_realloc_array(p->revoked, p->nrevoked + 1, sizeof *a);
    if (!a) return RUNE_ERR(err, RUNE_E_NOMEM, "policy: out of memory");
    p->revoked = a;
    memcpy(a[p->nrevoked++], key_id, RUNE_KEY_ID_LEN + 1);
    return RUNE_OK;
}

void rune_trust_policy_clear(rune_trust_policy *p)
{
    if (!p) return;
    rune_free(p->trusted);
    rune_free(p->revoked);
    memset(p, 0, sizeof *p);
}

rune_status rune_trust_policy_parse(const char *text, size_t len, rune_trust_policy *p,
                                    rune_error *err)
{
    if (!sodium_ready()) return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    const char *cur = text, *end = text + len;
    char line[256];
    int lineno = 0;
    rune_status st = RUNE_OK;
    while (st == RUNE_OK && next_line(&cur, end, line, sizeof line, &lineno)) {
        char a[128] = "", b[128] = "", c[8];
        int n = sscanf(line, "%127s %127s %7s", a, b, c);
        if (strcmp(a, "require-signature") == 0 && n == 2 &&
            (strcmp(b, "yes") == 0 || strcmp(b, "no") == 0)) {
            p->require_signature = strcmp(b, "yes") == 0;
        } else if (strcmp(a, "revoke") == 0 && n == 2) {
            st = rune_trust_policy_revoke(p, b, err);
        } else if (strcmp(a, "trust") == 0 && n == 3) {
            char pk64[128];
            rune_sign_key k;
            memset(&k, 0, sizeof k);
            if (sscanf(line, "trust %127s %127s", a, pk64) != 2 || !b64_decode(pk64, k.pk, 32)) {
                st = RUNE_ERR(err, RUNE_E_MALFORMED,
                              "policy line %d: public key is not base64 of "
                              "32 bytes",
                              lineno);
                break;
            }
            key_id_of(k.pk, k.id);
            if (strcmp(k.id, a) != 0)
                st = RUNE_ERR(err, RUNE_E_INVALID,
                              "policy line %d: id %s does not match the key "
                              "(its id is %s)",
                              lineno, a, k.id);
            else
                st = rune_trust_policy_add_key(p, &k, err);
        } else {
            st = RUNE_ERR(err, RUNE_E_MALFORMED,
                          "policy line %d: expected 'require-signature "
                          "yes|no', 'trust ID KEY' or 'revoke ID'",
                          lineno);
        }
    }
    return st;
}

rune_status rune_trust_policy_load(const char *path, rune_trust_policy *p, rune_error *err)
{
    uint8_t *buf;
    size_t n;
    rune_status st = rune_file_read(path, &buf, &n, err);
    if (st != RUNE_OK) return st;
    st = rune_trust_policy_parse((const char *)buf, n, p, err);
    rune_free(buf);
    if (st != RUNE_OK) rune_error_prefix(err, "%s", path);
    return st;
}

/* ---- verify -------------------------------------------------------------------------------- */

static rune_status outcome(rune_verify_result *res, rune_verify_outcome o, rune_status st,
                           rune_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static rune_status outcome(rune_verify_result *res, rune_verify_outcome o, rune_status st,
                           rune_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->msg, sizeof res->msg, fmt, ap);
    va_end(ap);
    res->outcome = o;
    if (st != RUNE_OK) return RUNE_ERR(err, st, "%s", res->msg);
    return RUNE_OK;
}

/* Parse the signature payload; 0 if it is not the documented JSON. */
static int parse_sig(const uint8_t *pay, size_t len, char digest[RUNE_DIGEST_STR_LEN],
                     char id[RUNE_KEY_ID_LEN + 1], uint8_t sig[64])
{
    rune_json_use_rune_alloc();
    cJSON *j = cJSON_ParseWithLength((const char *)pay, len);
    if (!j) return 0;
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(j, "alg");
    const cJSON *dg = cJSON_GetObjectItemCaseSensitive(j, "digest");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(j, "key_id");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "sig");
    int ok = cJSON_IsString(alg) && strcmp(alg->valuestring, "ed25519") == 0 &&
             cJSON_IsString(dg) && rune_digest_valid(dg->valuestring) && cJSON_IsString(kid) &&
             strlen(kid->valuestring) == RUNE_KEY_ID_LEN &&
             strspn(kid->valuestring, "0123456789abcdef") == RUNE_KEY_ID_LEN && cJSON_IsString(s) &&
             b64_decode(s->valuestring, sig, 64);
    if (ok) {
        memcpy(digest, dg->valuestring, RUNE_DIGEST_STR_LEN);
        memcpy(id, kid->valuestring, RUNE_KEY_ID_LEN + 1);
    }
    cJSON_Delete(j);
    return ok;
}

rune_status rune_sign_verify(const uint8_t *rune, size_t len, const rune_trust_policy *p,
                             rune_verify_result *res, rune_error *err)
{
    static const rune_trust_policy none;
    memset(res, 0, sizeof *res);
    if (!p) p = &none;
    if (!sodium_ready()) return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    uint8_t raw[32];
    const uint8_t *pay;
    size_t plen, soff, ssize;
    rune_error e2;
    rune_status st = rune_container_digest(rune, len, raw, &pay, &plen, &soff, &ssize, &e2);
    if (st != RUNE_OK) return outcome(res, RUNE_VERIFY_MALFORMED, st, err, "%s", e2.msg);
    rune_digest_fmt(raw, res->digest);
    if (ssize == 0) {
        if (p->require_signature)
            return outcome(res, RUNE_VERIFY_UNSIGNED_REFUSED, RUNE_E_DENIED, err,
                           "no signature but policy requires one");
        return outcome(res, RUNE_VERIFY_UNSIGNED_ALLOWED, RUNE_OK, err,
                       "no signature (policy does not require one)");
    }
    char digest[RUNE_DIGEST_STR_LEN];
    uint8_t sig[64];
    if (!parse_sig(pay, plen, digest, res->key_id, sig))
        return outcome(res, RUNE_VERIFY_MALFORMED, RUNE_E_MALFORMED, err,
                       "signature section is not a valid ed25519 rune signature");
    const rune_sign_key *k = NULL;
    for (size_t i = 0; i < p->ntrusted && !k; i++)
        if (strcmp(p->trusted[i].id, res->key_id) == 0) k = &p->trusted[i];
    for (size_t i = 0; i < p->nrevoked; i++)
        if (strcmp(p->revoked[i], res->key_id) == 0)
            return outcome(res, RUNE_VERIFY_REVOKED_KEY, RUNE_E_DENIED, err,
                           "signed by key %s which is revoked", res->key_id);
    if (!k)
        return outcome(res, RUNE_VERIFY_UNTRUSTED_KEY, RUNE_E_DENIED, err,
                       "signed by key %s which is not trusted", res->key_id);
    uint8_t msg[128];
    size_t mlen;
    sig_message(res->digest, msg, &mlen);
    if (crypto_sign_ed25519_verify_detached(sig, msg, mlen, k->pk) == 0)
        return outcome(res, RUNE_VERIFY_SIGNED, RUNE_OK, err, "signed by trusted key %s",
                       res->key_id);
    if (strcmp(digest, res->digest) != 0)
        return outcome(res, RUNE_VERIFY_MODIFIED, RUNE_E_VERIFY, err,
                       "signature does not match: the rune was modified after signing (signed "
                       "%.19s..., now %.19s...)",
                       digest, res->digest);
    return outcome(res, RUNE_VERIFY_BAD_SIGNATURE, RUNE_E_VERIFY, err,
                   "signature does not match: the signature bytes are not key %s's signature of "
                   "this rune",
                   res->key_id);
}
