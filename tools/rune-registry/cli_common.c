/*
 * cli_common.c - option scanning and shared setup for the registry commands (cli_common.h).
 */
#include "cli_common.h"

#include <stdlib.h>
#include <unistd.h>
#include <string.h>

int cli_parse(int argc, char **argv, cli_opts *o, cli_extra_fn extra, void *ud)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            o->help = 1;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--plain-http")) {
            o->plain_http = 1;
        } else if (!strcmp(a, "--insecure")) {
            o->insecure = 1;
        } else if (!strcmp(a, "--store") && has_val) {
            o->store = argv[++i];
        } else if (!strcmp(a, "--user") && has_val) {
            o->user = argv[++i];
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_val) {
            o->output = argv[++i];
        } else if (!strcmp(a, "--key") && has_val && !extra) {
            o->key = argv[++i];
        } else if (extra && a[0] == '-' && a[1]) {
            int n = extra(ud, argc, argv, i);
            if (n <= 0) {
                fprintf(stderr, "rune %s: unknown option '%s' (see --help)\n", argv[0], a);
                return -1;
            }
            i += n - 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "rune %s: unknown option '%s' (see --help)\n", argv[0], a);
            return -1;
        } else {
            if (o->npos == (int)(sizeof o->pos / sizeof *o->pos)) {
                fprintf(stderr, "rune %s: too many arguments\n", argv[0]);
                return -1;
            }
            o->pos[o->npos++] = a;
        }
    }
    return 0;
}

int cli_fail(const char *cmd, const rune_error *err)
{
    fprintf(stderr, "rune %s: %s\n", cmd, err->msg[0] ? err->msg : rune_status_name(err->status));
    return CLI_FAIL;
}

rune_status cli_open_store(const cli_opts *o, rune_oci_store **s, rune_error *err)
{
    return rune_oci_store_open(o->store, s, err);
}

/* A bar on stderr per blob, redrawn in place, when stdout is a terminal and the answer isn't
 * JSON: "  sha256:1a2b3c4d5e6f  [##########..........]  52%   1.3 MiB / 2.5 MiB". */
static void draw_progress(void *user, const char *digest, uint64_t done, uint64_t total)
{
    (void)user;
    char b[21];
    int pct = total ? (int)(done * 100 / total) : 100;
    for (int i = 0; i < 20; i++)
        b[i] = i < pct / 5 ? '#' : '.';
    b[20] = 0;
    fprintf(stderr, "\r  %.19s  [%s] %3d%%  %7.1f KiB / %.1f KiB%s", digest, b, pct,
            (double)done / 1024, (double)total / 1024, done == total ? "\n" : "");
    fflush(stderr);
}

rune_status cli_open_registry(const cli_opts *o, const char *host, rune_registry **r,
                              rune_error *err)
{
    rune_registry_opts ro = {0};
    if (!o->json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) ro.progress = draw_progress;
    ro.plain_http = o->plain_http;
    ro.insecure_tls = o->insecure;
    ro.username = o->user ? o->user : getenv("RUNE_REGISTRY_USER");
    ro.password = getenv("RUNE_REGISTRY_PASSWORD");
    if (ro.username && !ro.username[0]) ro.username = NULL;
    return rune_registry_open(host, &ro, r, err);
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int cli_policy_opt(void *ud, int argc, char **argv, int i)
{
    cli_policy_opts *v = ud;
    const char *a = argv[i];
    if (!strcmp(a, "--require")) {
        v->policy->require_signature = 1;
        return 1;
    }
    if (i + 1 >= argc) return 0;
    rune_status st;
    if (!strcmp(a, "--key")) {
        rune_sign_key k;
        st = rune_sign_key_load(argv[i + 1], &k, v->err);
        if (st == RUNE_OK) st = rune_trust_policy_add_key(v->policy, &k, v->err);
        rune_sign_key_wipe(&k);
    } else if (!strcmp(a, "--policy")) {
        st = rune_trust_policy_load(argv[i + 1], v->policy, v->err);
    } else if (!strcmp(a, "--revoke")) {
        st = rune_trust_policy_revoke(v->policy, argv[i + 1], v->err);
    } else {
        return 0;
    }
    if (st != RUNE_OK) v->failed = 1;
    return 2;
}
