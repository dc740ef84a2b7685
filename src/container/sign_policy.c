/*
 * sign_policy.c - trust policies (rune/sign.h): trusted keys (several at once, for rotation),
 * revoked key ids, and whether a signature is required; built in code or parsed from a policy file.
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

rune_status rune_trust_policy_add_key(rune_trust_policy *p, const rune_sign_key *k, rune_error *err)
{
    for (size_t i = 0; i < p->ntrusted; i++)
        if (memcmp(p->trusted[i].pk, k->pk, 32) == 0) return RUNE_OK;
    rune_sign_key *a = rune_realloc_array(p->trusted, p->ntrusted + 1, sizeof *a);
    if (!a) return RUNE_ERR(err, RUNE_E_NOMEM, "policy: out of memory");
    p->trusted = a;
    memset(&a[p->ntrusted], 0, sizeof *a);
    memcpy(a[p->ntrusted].pk, k->pk, 32);
    rune_sign_key_id_of(k->pk, a[p->ntrusted].id);
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
    if (!rune_sign_sodium_ready())
        return RUNE_ERR(err, RUNE_E_INTERNAL, "sign: libsodium failed to start");
    const char *cur = text, *end = text + len;
    char line[256];
    int lineno = 0;
    rune_status st = RUNE_OK;
    while (st == RUNE_OK && rune_sign_next_line(&cur, end, line, sizeof line, &lineno)) {
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
            if (sscanf(line, "trust %127s %127s", a, pk64) != 2 ||
                !rune_sign_b64_decode(pk64, k.pk, 32)) {
                st = RUNE_ERR(err, RUNE_E_MALFORMED,
                              "policy line %d: public key is not base64 of "
                              "32 bytes",
                              lineno);
                break;
            }
            rune_sign_key_id_of(k.pk, k.id);
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
