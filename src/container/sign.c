/*
 * sign.c - signing a rune and verifying its signature against a trust policy (formats in
 * rune/sign.h). libsodium does the cryptography; this file only frames it. Runes are whole files in
 * memory. Keys: sign_key.c; policies: sign_policy.c.
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

static void sig_message(const char *digest, uint8_t *msg, size_t *len)
{
    size_t c = strlen(SIG_CONTEXT);
    memcpy(msg, SIG_CONTEXT, c);
    memcpy(msg + c, digest, 71);
    *len = c + 71;
}

/* The signature section's one accepted form: written by signing, and compared byte for byte on
 * verification so that no byte of a signed rune, not even in its signature section, can change
 * unnoticed (JSON allows many spellings of the same object; base64 too). */
static size_t sig_payload(const char *digest, const char *key_id, const uint8_t sig[64], char *out,
                          size_t cap)
{
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, sig, 64, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, cap,
                     "{\"alg\":\"ed25519\",\"digest\":\"%s\",\"key_id\":\"%s\",\"sig\":\"%s\"}",
                     digest, key_id, b64);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

rune_status rune_sign_rune(const uint8_t *rune, size_t len, const rune_sign_key *key, uint8_t **out,
                           size_t *out_len, rune_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!key || !key->has_secret) return RUNE_ERR(err, RUNE_E_ARG, "sign: a secret key is needed");
    if (!rune_sign_sodium_ready())
        return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    rune_container *c;
    rune_status st = rune_container_open(rune, len, &c, err);
    if (st != RUNE_OK) return rune_error_prefix(err, "sign: refusing to sign a broken rune");
    uint8_t msg[128], sig[64];
    size_t mlen;
    sig_message(c->digest, msg, &mlen);
    crypto_sign_ed25519_detached(sig, NULL, msg, mlen, key->sk);
    char payload[256];
    size_t n = sig_payload(c->digest, key->id, sig, payload, sizeof payload);
    rune_container_free(c);
    return rune_container_replace_signature(rune, len, (const uint8_t *)payload, (size_t)n, out,
                                            out_len, err);
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
             rune_sign_b64_decode(s->valuestring, sig, 64);
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
    if (!rune_sign_sodium_ready())
        return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
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
    char canon[256];
    size_t clen = sig_payload(digest, res->key_id, sig, canon, sizeof canon);
    if (clen != plen || memcmp(canon, pay, plen) != 0)
        return outcome(res, RUNE_VERIFY_MALFORMED, RUNE_E_VERIFY, err,
                       "signature section was modified after signing (it is not in the form "
                       "`rune sign` writes)");
    if (strcmp(digest, res->digest) != 0)
        return outcome(res, RUNE_VERIFY_MODIFIED, RUNE_E_VERIFY, err,
                       "signature does not match: the rune was modified after signing (signed "
                       "%.19s..., now %.19s...)",
                       digest, res->digest);
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
    return outcome(res, RUNE_VERIFY_BAD_SIGNATURE, RUNE_E_VERIFY, err,
                   "signature does not match: the signature bytes are not key %s's signature of "
                   "this rune",
                   res->key_id);
}
