/*
 * cmd_remote.c - `rune push` and `rune pull`: move runes between the local store and an OCI
 * registry. Credentials come from --user / $RUNE_REGISTRY_USER and $RUNE_REGISTRY_PASSWORD (never
 * from the command line, where other users could read them); the default host is $RUNE_REGISTRY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune_registry_cli.h"

static const char push_usage[] =
    "usage: rune push [--store DIR] [--plain-http] [--insecure] [--user U] [--json]\n"
    "                 SOURCE [HOST[:PORT]/]NAME[:TAG]\n"
    "SOURCE is a .rune file (stored locally under NAME:TAG first) or a stored image\n"
    "(NAME[:TAG] or NAME@DIGEST). A signed rune's signature is also pushed as an OCI referrer.\n"
    "HOST defaults to $RUNE_REGISTRY; password from $RUNE_REGISTRY_PASSWORD.\n";

static rune_status target_of(const char *arg, rune_oci_ref *t, rune_error *err)
{
    rune_status st = rune_oci_ref_parse(arg, t, err);
    if (st != RUNE_OK) return st;
    if (!t->host[0]) {
        const char *h = getenv("RUNE_REGISTRY");
        if (!h || !h[0])
            return RUNE_ERR(err, RUNE_E_ARG,
                            "'%s' names no registry host and $RUNE_REGISTRY is "
                            "unset",
                            arg);
        snprintf(t->host, sizeof t->host, "%s", h);
    }
    return RUNE_OK;
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

int rune_cmd_push(int argc, char **argv)
{
    cli_opts o;
    if (cli_parse(argc, argv, &o, NULL, NULL) != 0) return CLI_USAGE;
    if (o.help) return fputs(push_usage, stdout), CLI_OK;
    if (o.npos != 2) return fputs(push_usage, stderr), CLI_USAGE;
    rune_error err;
    rune_oci_ref t;
    rune_oci_store *s = NULL;
    rune_registry *r = NULL;
    uint8_t *rune = NULL;
    size_t len = 0;
    char local[600], digest[RUNE_DIGEST_STR_LEN], sig_digest[RUNE_DIGEST_STR_LEN] = "";
    rune_status st = target_of(o.pos[1], &t, &err);
    if (st == RUNE_OK && !t.tag[0])
        st = RUNE_ERR(&err, RUNE_E_ARG, "push needs a tag, not a digest");
    if (st == RUNE_OK) st = cli_open_store(&o, &s, &err);
    if (st == RUNE_OK && is_file(o.pos[0])) {
        snprintf(local, sizeof local, "%s:%s", t.name, t.tag);
        st = rune_file_read(o.pos[0], &rune, &len, &err);
        if (st == RUNE_OK) st = rune_oci_store_add_rune(s, rune, len, local, NULL, &err);
    } else if (st == RUNE_OK) {
        snprintf(local, sizeof local, "%s", o.pos[0]);
        st = rune_oci_store_get_rune(s, local, &rune, &len, &err);
    }
    if (st == RUNE_OK) st = cli_open_registry(&o, t.host, &r, &err);
    if (st == RUNE_OK) st = rune_registry_push(r, s, local, t.name, t.tag, digest, &err);
    const uint8_t *sig = NULL;
    size_t sig_len = 0;
    if (st == RUNE_OK)
        st = rune_container_digest(rune, len, NULL, &sig, &sig_len, NULL, NULL, &err);
    if (st == RUNE_OK && sig_len)
        st = rune_registry_push_signature(r, t.name, digest, sig, sig_len, sig_digest, &err);
    rune_registry_close(r);
    rune_oci_store_close(s);
    rune_free(rune);
    if (st != RUNE_OK) return cli_fail("push", &err);
    if (o.json) {
        printf("{\"ref\":");
        cli_json_str(stdout, o.pos[1]);
        printf(",\"digest\":\"%s\",\"signature\":", digest);
        if (sig_digest[0])
            printf("\"%s\"}\n", sig_digest);
        else
            printf("null}\n");
    } else {
        printf("pushed %s/%s:%s@%s%s\n", t.host, t.name, t.tag, digest,
               sig_digest[0] ? " (with signature)" : "");
    }
    return CLI_OK;
}

static const char pull_usage[] =
    "usage: rune pull [--store DIR] [--plain-http] [--insecure] [--user U] [--json] [-o FILE]\n"
    "                 [HOST[:PORT]/]NAME[:TAG|@DIGEST]\n"
    "Pull a rune into the local store as NAME:TAG (digests verified, rune checked); -o also "
    "writes\n"
    "the .rune file.\n";

int rune_cmd_pull(int argc, char **argv)
{
    cli_opts o;
    rune_trust_policy p = {0};
    rune_error err, perr;
    perr.msg[0] = 0;
    cli_policy_opts po = {&p, &perr, 0};
    int rc = cli_parse(argc, argv, &o, cli_policy_opt, &po);
    if (rc == 0 && po.failed)
        rc = cli_fail("pull", &perr);
    else if (rc != 0)
        rc = CLI_USAGE;
    else if (o.help)
        fputs(pull_usage, stdout);
    else if (o.npos != 1)
        rc = CLI_USAGE, fputs(pull_usage, stderr);
    int check = p.require_signature || p.ntrusted > 0;
    if (rc != 0 || o.help) {
        rune_trust_policy_clear(&p);
        return rc;
    }
    rune_oci_ref t;
    rune_oci_store *s = NULL;
    rune_registry *r = NULL;
    char digest[RUNE_DIGEST_STR_LEN], local[600];
    rune_status st = target_of(o.pos[0], &t, &err);
    const char *what = t.digest[0] ? t.digest : t.tag;
    if (st == RUNE_OK) st = cli_open_store(&o, &s, &err);
    if (st == RUNE_OK) st = cli_open_registry(&o, t.host, &r, &err);
    if (st == RUNE_OK) {
        if (t.tag[0])
            snprintf(local, sizeof local, "%s:%s", t.name, t.tag);
        else
            snprintf(local, sizeof local, "%s:sha256-%s", t.name, t.digest + 7);
        st = rune_registry_pull(r, s, t.name, what, local, digest, &err);
    }
    char verdict[RUNE_ERROR_MSG_MAX] = "";
    if (st == RUNE_OK && (o.output || check)) {
        uint8_t *rune = NULL;
        size_t len;
        st = rune_oci_store_get_rune(s, local, &rune, &len, &err);
        if (st == RUNE_OK && check) {
            rune_verify_result res;
            st = rune_sign_verify(rune, len, &p, &res, &err);
            snprintf(verdict, sizeof verdict, "%s", res.msg);
            if (st != RUNE_OK) {
                rune_error_prefix(&err, "refused %s", local);
                rune_oci_store_remove(s, local, NULL, NULL);
            }
        }
        if (st == RUNE_OK && o.output) st = rune_file_write_atomic(o.output, rune, len, &err);
        rune_free(rune);
    }
    rune_trust_policy_clear(&p);
    rune_registry_close(r);
    rune_oci_store_close(s);
    if (st != RUNE_OK) return cli_fail("pull", &err);
    if (o.json) {
        printf("{\"ref\":");
        cli_json_str(stdout, local);
        printf(",\"digest\":\"%s\",\"signature\":", digest);
        if (verdict[0])
            cli_json_str(stdout, verdict);
        else
            printf("null");
        printf("}\n");
    } else {
        printf("pulled %s as %s@%s%s%s\n", o.pos[0], local, digest, verdict[0] ? ": " : "",
               verdict);
    }
    return CLI_OK;
}
