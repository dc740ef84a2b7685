/* build_cmd.c - `rune build [RUNEFILE] [-o OUT] [-t NAME:TAG] ...`: compile a Runefile into a .rune
 * and, with -t, keep it in the local OCI store (what FROM and `rune run NAME:TAG` read). */
#include "commands.h"
#include "rune/compiler.h"
#include "rune/sign.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: rune build [RUNEFILE] [options]\n\n"
        "Builds NAME.rune from a Runefile (text) or Runefile.yml: parses it, type-checks every\n"
        "edge against the model files and proc blocks, generates the pipeline in C, compiles it\n"
        "to wasm32 and packages the rune. RUNEFILE defaults to ./Runefile, then ./Runefile.yml.\n"
        "An unchanged build is served from the cache. A FROM naming another rune (NAME:TAG or\n"
        "NAME@sha256:...) builds on that rune's pipeline: see include/rune/compiler.h.\n\n"
        "options:\n"
        "  -o, --output FILE   where to write the rune (default NAME.rune)\n"
        "  -n, --name NAME     rune name (default: the Runefile's directory name)\n"
        "  --version V         rune version (default 0.1.0)\n"
        "  --no-cache          compile even if a cached build exists\n"
        "  --keep-c            also write the generated C as OUTPUT.c\n"
        "  -t, --tag NAME[:TAG] also store the rune in the local store under NAME:TAG\n"
        "  --store DIR         local OCI store (default $RUNE_STORE, else ~/.rune/oci)\n"
        "  --registry HOST     pull FROM bases missing locally from HOST[:PORT]\n"
        "                      (default $RUNE_REGISTRY)\n"
        "  --plain-http        talk http:// to the registry (loopback hosts always do)\n"
        "  --trust POLICY, --trusted-key KEY (repeatable), --revoke KEY_ID, --require-signature\n"
        "                      the FROM base must pass this signature policy (as rune run)\n"
        "  -q, --quiet         print nothing on success\n"
        "  -v, --verbose       print each step and the compiler command lines\n"
        "  --json              print the result as JSON\n"
        "  -h, --help          this text\n\n"
        "exit status: 0 built, 1 the build failed, 2 usage error\n");
}

int rune_cmd_build(int argc, char **argv)
{
    rune_build_options o;
    memset(&o, 0, sizeof o);
    int quiet = 0, json = 0, trust_on = 0, rc = 2;
    rune_trust_policy policy;
    memset(&policy, 0, sizeof policy);
    rune_error perr;
    rune_error_clear(&perr);
    rune_status pst = RUNE_OK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_next = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_next) {
            o.output = argv[++i];
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--name")) && has_next) {
            o.name = argv[++i];
        } else if (!strcmp(a, "--version") && has_next) {
            o.version = argv[++i];
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--tag")) && has_next) {
            o.tag = argv[++i];
        } else if (!strcmp(a, "--store") && has_next) {
            o.store_dir = argv[++i];
        } else if (!strcmp(a, "--registry") && has_next) {
            o.registry = argv[++i];
        } else if (!strcmp(a, "--trust") && has_next) {
            trust_on = 1;
            if (pst == RUNE_OK) pst = rune_trust_policy_load(argv[i + 1], &policy, &perr);
            i++;
        } else if (!strcmp(a, "--trusted-key") && has_next) {
            trust_on = 1;
            rune_sign_key k;
            if (pst == RUNE_OK) pst = rune_sign_key_load(argv[i + 1], &k, &perr);
            if (pst == RUNE_OK) pst = rune_trust_policy_add_key(&policy, &k, &perr);
            rune_sign_key_wipe(&k);
            i++;
        } else if (!strcmp(a, "--revoke") && has_next) {
            trust_on = 1;
            if (pst == RUNE_OK) pst = rune_trust_policy_revoke(&policy, argv[i + 1], &perr);
            i++;
        } else if (!strcmp(a, "--require-signature")) {
            trust_on = 1;
            policy.require_signature = 1;
        } else if (!strcmp(a, "--plain-http")) {
            o.registry_plain_http = 1;
        } else if (!strcmp(a, "--no-cache")) {
            o.no_cache = 1;
        } else if (!strcmp(a, "--keep-c")) {
            o.keep_c = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o.verbose = 1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "rune build: unknown or incomplete option '%s' (try --help)\n", a);
            goto out;
        } else if (!o.runefile) {
            o.runefile = a;
        } else {
            fprintf(stderr, "rune build: more than one Runefile given\n");
            goto out;
        }
    }
    if (!o.runefile) {
        if (access("Runefile", R_OK) == 0)
            o.runefile = "Runefile";
        else if (access("Runefile.yml", R_OK) == 0)
            o.runefile = "Runefile.yml";
        else {
            fprintf(stderr, "rune build: no Runefile here (give its path; try --help)\n");
            goto out;
        }
    }
    if (pst != RUNE_OK) {
        fprintf(stderr, "rune build: trust policy: %s\n", perr.msg);
        goto out;
    }
    o.base_trust = trust_on ? &policy : NULL;
    int tty = isatty(1);
    if (tty && !quiet && !json && !o.verbose) fprintf(stderr, "building %s ...\r", o.runefile);
    rune_build_result r;
    rune_error err;
    rune_error_clear(&err);
    rune_status st = rune_build(&o, &r, &err);
    if (tty && !quiet && !json && !o.verbose) fprintf(stderr, "%*s\r", 60, "");
    if (st != RUNE_OK) {
        fprintf(stderr, "rune build: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    if (json) {
        printf("{\"output\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"cached\":%s,\"seconds\":%.3f",
               r.output, r.digest, r.size, r.cached ? "true" : "false", r.seconds);
        if (r.ref[0]) printf(",\"ref\":\"%s\",\"oci_digest\":\"%s\"", r.ref, r.oci_digest);
        if (r.base[0]) printf(",\"base\":\"%s\"", r.base);
        printf("}\n");
    } else if (!quiet) {
        printf("built %s (%zu bytes, %s, %.2f s%s)\n", r.output, r.size, r.digest, r.seconds,
               r.cached ? ", cached" : "");
        if (r.base[0]) printf("base %s\n", r.base);
        if (r.ref[0]) printf("stored %s (%s)\n", r.ref, r.oci_digest);
    }
    rc = 0;
out:
    rune_trust_policy_clear(&policy);
    return rc;
}
