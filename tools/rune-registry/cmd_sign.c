/*
 * cmd_sign.c - `rune keygen`, `rune sign`, `rune verify`: Ed25519 keys and rune signatures from the
 * command line (formats in rune/sign.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/sign.h"
#include "rune_registry_cli.h"

static const char keygen_usage[] =
    "usage: rune keygen [--json] -o PREFIX\n"
    "Make an Ed25519 key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub.\n";

int rune_cmd_keygen(int argc, char **argv)
{
    cli_opts o;
    if (cli_parse(argc, argv, &o, NULL, NULL) != 0) return CLI_USAGE;
    if (o.help) return fputs(keygen_usage, stdout), CLI_OK;
    if (o.npos != 0 || !o.output) return fputs(keygen_usage, stderr), CLI_USAGE;
    char sp[4096], pp[4096];
    snprintf(sp, sizeof sp, "%s.key", o.output);
    snprintf(pp, sizeof pp, "%s.pub", o.output);
    rune_error err;
    rune_sign_key k;
    rune_status st = rune_sign_keygen(&k, &err);
    if (st == RUNE_OK) st = rune_sign_key_save(sp, &k, 1, &err);
    if (st == RUNE_OK) st = rune_sign_key_save(pp, &k, 0, &err);
    rune_sign_key_wipe(&k);
    if (st != RUNE_OK) return cli_fail("keygen", &err);
    if (o.json) {
        printf("{\"key_id\":\"%s\",\"secret\":", k.id);
        cli_json_str(stdout, sp);
        printf(",\"public\":");
        cli_json_str(stdout, pp);
        printf("}\n");
    } else {
        printf("key %s: %s (secret), %s (public)\n", k.id, sp, pp);
    }
    return CLI_OK;
}

static const char sign_usage[] = "usage: rune sign --key KEY.key [-o OUT.rune] [--json] IN.rune\n"
                                 "Sign a rune (replacing any signature); writes IN.rune in place "
                                 "unless -o is given.\n";

int rune_cmd_sign(int argc, char **argv)
{
    cli_opts o;
    if (cli_parse(argc, argv, &o, NULL, NULL) != 0) return CLI_USAGE;
    if (o.help) return fputs(sign_usage, stdout), CLI_OK;
    if (o.npos != 1 || !o.key) return fputs(sign_usage, stderr), CLI_USAGE;
    rune_error err;
    rune_sign_key k;
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    char digest[RUNE_DIGEST_STR_LEN] = "";
    rune_status st = rune_sign_key_load(o.key, &k, &err);
    if (st == RUNE_OK && !k.has_secret)
        st = RUNE_ERR(&err, RUNE_E_ARG, "%s is a public key; signing needs the .key file", o.key);
    if (st == RUNE_OK) st = rune_file_read(o.pos[0], &in, &in_len, &err);
    if (st == RUNE_OK) st = rune_sign_rune(in, in_len, &k, &out, &out_len, &err);
    if (st == RUNE_OK) {
        rune_verify_result res;
        rune_sign_verify(out, out_len, NULL, &res, NULL);
        memcpy(digest, res.digest, sizeof digest);
        st = rune_file_write_atomic(o.output ? o.output : o.pos[0], out, out_len, &err);
    }
    rune_sign_key_wipe(&k);
    rune_free(in);
    rune_free(out);
    if (st != RUNE_OK) return cli_fail("sign", &err);
    if (o.json)
        printf("{\"key_id\":\"%s\",\"digest\":\"%s\"}\n", k.id, digest);
    else
        printf("signed %s with key %s (digest %s)\n", o.output ? o.output : o.pos[0], k.id, digest);
    return CLI_OK;
}

static const char verify_usage[] =
    "usage: rune verify [--key K.pub]... [--policy FILE] [--revoke KEYID]... [--require] [--json]\n"
    "                   [--store DIR] X.rune|NAME[:TAG]|NAME@DIGEST\n"
    "Check the rune (sections, model digests) and its signature against the trusted keys. An\n"
    "argument that is not a file names a rune in the local store. Exit 0 if accepted, 1 if "
    "refused.\n";

int rune_cmd_verify(int argc, char **argv)
{
    cli_opts o;
    rune_trust_policy p = {0};
    rune_error err, perr;
    perr.msg[0] = 0;
    cli_policy_opts v = {&p, &perr, 0};
    if (cli_parse(argc, argv, &o, cli_policy_opt, &v) != 0) {
        rune_trust_policy_clear(&p);
        return CLI_USAGE;
    }
    if (o.help) {
        rune_trust_policy_clear(&p);
        return fputs(verify_usage, stdout), CLI_OK;
    }
    if (v.failed) {
        rune_trust_policy_clear(&p);
        return cli_fail("verify", &perr);
    }
    if (o.npos != 1) {
        rune_trust_policy_clear(&p);
        return fputs(verify_usage, stderr), CLI_USAGE;
    }
    uint8_t *in = NULL;
    size_t len = 0;
    rune_verify_result res;
    memset(&res, 0, sizeof res);
    rune_container *c = NULL;
    rune_status st = rune_file_read(o.pos[0], &in, &len, &err);
    if (st == RUNE_E_NOT_FOUND) {
        /* not a file: a stored image? */
        rune_oci_store *s = NULL;
        rune_oci_ref ref;
        rune_error e2;
        if (rune_oci_ref_parse(o.pos[0], &ref, &e2) == RUNE_OK &&
            cli_open_store(&o, &s, &e2) == RUNE_OK &&
            rune_oci_store_get_rune(s, o.pos[0], &in, &len, &e2) == RUNE_OK)
            st = RUNE_OK;
        else if (s)
            err = e2; /* the store's reason is the better one when the name parses */
        rune_oci_store_close(s);
    }
    if (st == RUNE_OK) st = rune_container_open(in, len, &c, &err);
    if (st == RUNE_OK) st = rune_sign_verify(in, len, &p, &res, &err);
    rune_container_free(c);
    rune_free(in);
    rune_trust_policy_clear(&p);
    if (o.json) {
        printf("{\"accepted\":%s,\"key_id\":", st == RUNE_OK ? "true" : "false");
        if (res.key_id[0])
            cli_json_str(stdout, res.key_id);
        else
            printf("null");
        printf(",\"digest\":\"%s\",\"reason\":", res.digest);
        cli_json_str(stdout, st == RUNE_OK ? res.msg : err.msg);
        printf("}\n");
    }
    if (st != RUNE_OK) return o.json ? CLI_FAIL : cli_fail("verify", &err);
    if (!o.json) printf("%s: %s\n", o.pos[0], res.msg);
    return CLI_OK;
}
