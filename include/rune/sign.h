/*
 * sign.h - Ed25519 signatures over runes (libsodium), keys, and trust policies with rotation and
 * revocation.
 *
 * Key id: the first 8 bytes of SHA-256(public key), as 16 lowercase hex digits.
 *
 * Key files (text, one field a line, '#' comments allowed):
 *     rune-key v1 ed25519 public          or  rune-key v1 ed25519 secret
 *     id 1a2b3c4d5e6f7081
 *     key <base64 (RFC 4648, padded) of the 32-byte public key | the 64-byte libsodium secret key>
 * A secret key file also yields its public key; its id line must match the key.
 *
 * Signature section (custom section "rune.signature", see container.h), canonical JSON:
 *     {"alg":"ed25519","digest":"sha256:<hex>","key_id":"<16 hex>","sig":"<base64 64 bytes>"}
 * The signed message is the ASCII bytes "rune-signature-v1\n" followed by the rune digest string
 * ("sha256:<hex>", 71 bytes). The digest excludes the signature section itself (container.h), so a
 * rune is signed by appending, and re-signing replaces the section.
 *
 * Trust policy files (text, one directive a line, '#' comments):
 *     require-signature yes|no           default no
 *     trust <key-id> <base64 public key>  any number: several keys are trusted at once (rotation)
 *     revoke <key-id>                     revoked keys are refused even if also trusted
 * A signature, when present, must always check out: made by a trusted, unrevoked key over this
 * rune's digest. require-signature only decides whether an unsigned rune is accepted.
 */
#ifndef RUNE_SIGN_H
#define RUNE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "rune/manifest.h"
#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RUNE_KEY_ID_LEN 16

typedef struct rune_sign_key {
    char id[RUNE_KEY_ID_LEN + 1];
    uint8_t pk[32];
    uint8_t sk[64]; /* valid only if has_secret */
    int has_secret;
} rune_sign_key;

rune_status rune_sign_keygen(rune_sign_key *out, rune_error *err);
/* Key file text (see above); secret != 0 writes the secret key (the key must have one). *out is
 * rune_malloc'd. */
rune_status rune_sign_key_format(const rune_sign_key *k, int secret, char **out, rune_error *err);
rune_status rune_sign_key_parse(const char *text, size_t len, rune_sign_key *out, rune_error *err);
rune_status rune_sign_key_load(const char *path, rune_sign_key *out, rune_error *err);
/* Atomic write; secret files get mode 0600. */
rune_status rune_sign_key_save(const char *path, const rune_sign_key *k, int secret,
                               rune_error *err);
/* Wipe a key's secret bytes. */
void rune_sign_key_wipe(rune_sign_key *k);

/* Sign a rune (any existing signature is replaced): *out is the signed rune, rune_malloc'd.
 * The rune is opened and checked first (rune_container_open): a broken rune is never signed. */
rune_status rune_sign_rune(const uint8_t *rune, size_t len, const rune_sign_key *key, uint8_t **out,
                           size_t *out_len, rune_error *err);

typedef struct rune_trust_policy {
    rune_sign_key *trusted; /* public parts only */
    size_t ntrusted;
    char (*revoked)[RUNE_KEY_ID_LEN + 1];
    size_t nrevoked;
    int require_signature;
} rune_trust_policy;

/* A zeroed policy is valid (trusts nothing, does not require signatures). */
rune_status rune_trust_policy_add_key(rune_trust_policy *p, const rune_sign_key *k,
                                      rune_error *err);
rune_status rune_trust_policy_revoke(rune_trust_policy *p, const char *key_id, rune_error *err);
rune_status rune_trust_policy_parse(const char *text, size_t len, rune_trust_policy *p,
                                    rune_error *err);
rune_status rune_trust_policy_load(const char *path, rune_trust_policy *p, rune_error *err);
/* Frees the arrays and zeroes the struct (the struct itself is the caller's). Accepts NULL. */
void rune_trust_policy_clear(rune_trust_policy *p);

typedef enum rune_verify_outcome {
    RUNE_VERIFY_SIGNED = 0,       /* signed by a trusted, unrevoked key: accepted */
    RUNE_VERIFY_UNSIGNED_ALLOWED, /* no signature, policy does not require one: accepted */
    RUNE_VERIFY_UNSIGNED_REFUSED, /* "no signature but policy requires one" */
    RUNE_VERIFY_UNTRUSTED_KEY,    /* "signed by key ab12... which is not trusted" */
    RUNE_VERIFY_REVOKED_KEY,      /* "signed by key ab12... which is revoked" */
    RUNE_VERIFY_MODIFIED,      /* "signature does not match: the rune was modified after signing" */
    RUNE_VERIFY_BAD_SIGNATURE, /* signature bytes do not verify for the digest they name */
    RUNE_VERIFY_MALFORMED,     /* the rune or its signature section does not parse */
} rune_verify_outcome;

typedef struct rune_verify_result {
    rune_verify_outcome outcome;
    char key_id[RUNE_KEY_ID_LEN + 1]; /* signer, "" if unsigned */
    char digest[RUNE_DIGEST_STR_LEN]; /* the rune digest as computed */
    char msg[RUNE_ERROR_MSG_MAX];     /* the reason, same text as err->msg on refusal */
} rune_verify_result;

/*
 * Check a rune's signature against a policy. RUNE_OK when accepted (SIGNED or UNSIGNED_ALLOWED);
 * RUNE_E_DENIED for unsigned-but-required, untrusted or revoked keys; RUNE_E_VERIFY when the
 * signature does not match; RUNE_E_MALFORMED when it does not parse. res is always filled.
 * Only the signature and digest are checked here; rune_container_open checks the contents.
 */
rune_status rune_sign_verify(const uint8_t *rune, size_t len, const rune_trust_policy *p,
                             rune_verify_result *res, rune_error *err);

#ifdef __cplusplus
}
#endif
#endif
