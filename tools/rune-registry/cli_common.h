/*
 * cli_common.h - option handling shared by the registry commands: a tiny long-option scanner,
 * store and registry opening from flags and environment, JSON string output.
 */
#ifndef RUNE_CLI_COMMON_H
#define RUNE_CLI_COMMON_H

#include <stdio.h>

#include "rune/registry.h"
#include "rune/status.h"

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/* Options every registry command understands. */
typedef struct cli_opts {
    const char *store;  /* --store DIR */
    int json;           /* --json */
    int help;           /* --help / -h */
    int plain_http;     /* --plain-http */
    int insecure;       /* --insecure (skip TLS verification) */
    const char *user;   /* --user, else $RUNE_REGISTRY_USER */
    const char *output; /* -o / --output */
    const char *key;    /* --key (sign) */
    const char *pos[8]; /* positional arguments */
    int npos;
} cli_opts;

/* Extra per-command option: returns the number of argv entries consumed (0 = unknown). */
typedef int (*cli_extra_fn)(void *ud, int argc, char **argv, int i);

/* Parse argv[1..]; on an unknown option or too many positionals prints to stderr and returns -1. */
int cli_parse(int argc, char **argv, cli_opts *o, cli_extra_fn extra, void *ud);
/* Print "rune <cmd>: <msg>" for err to stderr; returns CLI_FAIL. */
int cli_fail(const char *cmd, const rune_error *err);
rune_status cli_open_store(const cli_opts *o, rune_oci_store **s, rune_error *err);
/* Registry for host with credentials from --user / $RUNE_REGISTRY_USER and
 * $RUNE_REGISTRY_PASSWORD. */
rune_status cli_open_registry(const cli_opts *o, const char *host, rune_registry **r,
                              rune_error *err);
/* Trust-policy options (--key FILE, --policy FILE, --revoke ID, --require) as a cli_extra_fn:
 * ud is a cli_policy_opts; a key or policy that fails to load sets failed and err. */
#include "rune/sign.h"
typedef struct cli_policy_opts {
    rune_trust_policy *policy;
    rune_error *err;
    int failed;
} cli_policy_opts;
int cli_policy_opt(void *ud, int argc, char **argv, int i);

/* Write s as a JSON string literal. */
void cli_json_str(FILE *f, const char *s);

#endif
