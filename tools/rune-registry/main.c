/*
 * main.c - `rune-registry`: a small front end dispatching to the registry and signature commands
 * (rune_registry_cli.h) until the unified `rune` tool links them.
 */
#include <stdio.h>
#include <string.h>

#include "rune_registry_cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} cmds[] = {
    {"push", rune_cmd_push, "push a rune to an OCI registry"},
    {"pull", rune_cmd_pull, "pull a rune from an OCI registry"},
    {"images", rune_cmd_images, "list the local store"},
    {"tag", rune_cmd_tag, "tag a stored rune"},
    {"rm", rune_cmd_rm, "remove stored runes"},
    {"keygen", rune_cmd_keygen, "make an Ed25519 key pair"},
    {"sign", rune_cmd_sign, "sign a rune"},
    {"verify", rune_cmd_verify, "verify a rune's signature"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: rune-registry COMMAND [options]   (COMMAND --help for more)\n");
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (!strcmp(argv[1], cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "rune-registry: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
