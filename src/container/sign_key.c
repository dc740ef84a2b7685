/*
 * sign_key.c - Ed25519 keys for rune signatures: generation (libsodium), key ids, and the text key
 * files of rune/sign.h. Key files are a few lines; secrets are wiped after use.
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

int rune_sign_sodium_ready(void)
{
    return sodium_init() >= 0;
}

void rune_sign_key_id_of(const uint8_t pk[32], char id[RUNE_KEY_ID_LEN + 1])
{
    uint8_t h[32];
    crypto_hash_sha256(h, pk, 32);
    sodium_bin2hex(id, RUNE_KEY_ID_LEN + 1, h, RUNE_KEY_ID_LEN / 2);
}

rune_status rune_sign_keygen(rune_sign_key *out, rune_error *err)
{
    memset(out, 0, sizeof *out);
    if (!rune_sign_sodium_ready())
        return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    crypto_sign_ed25519_keypair(out->pk, out->sk);
    out->has_secret = 1;
    rune_sign_key_id_of(out->pk, out->id);
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
int rune_sign_next_line(const char **p, const char *end, char *line, size_t cap, int *lineno)
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

int rune_sign_b64_decode(const char *s, uint8_t *out, size_t want)
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
    if (!rune_sign_sodium_ready())
        return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    const char *p = text, *end = text + len;
    char line[256], id[RUNE_KEY_ID_LEN + 1] = "";
    int lineno = 0, secret = -1, have_key = 0;
    rune_status st = RUNE_OK;
    while (st == RUNE_OK && rune_sign_next_line(&p, end, line, sizeof line, &lineno)) {
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
            int ok = secret ? rune_sign_b64_decode(line + 4, out->sk, 64)
                            : rune_sign_b64_decode(line + 4, out->pk, 32);
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
        rune_sign_key_id_of(out->pk, out->id);
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
