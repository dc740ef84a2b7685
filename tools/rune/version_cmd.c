/* version_cmd.c - `rune version [--json]`: the toolchain's version and what this build contains. */
#include "commands.h"
#include "rune/abi.h"
#include "rune/version.h"

#include <stdio.h>
#include <string.h>

int rune_cmd_version(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: rune version [--json]\n\nPrints the version of the rune toolchain.\n");
            return 0;
        } else {
            fprintf(stderr, "rune version: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (json)
        printf("{\"version\":\"%s\",\"abi\":%d}\n", RUNE_VERSION, RUNE_ABI_VERSION);
    else
        printf("rune %s (host ABI %d)\n", RUNE_VERSION, RUNE_ABI_VERSION);
    return 0;
}
