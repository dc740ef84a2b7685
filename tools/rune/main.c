/*
 * main.c - the `rune` command-line tool: a thin dispatcher over librune's subcommands.
 *
 * Subcommands from other parts of the tree are compiled in when those parts exist (the CMake file
 * defines RUNE_HAVE_<PART>); `rune --help` lists what this build has.
 */
#include "commands.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
#ifdef RUNE_HAVE_BUILD
    {"build", rune_cmd_build, "build a rune from a Runefile or Runefile.yml"},
    {"run", rune_cmd_run, "run a rune with capabilities fed from files"},
    {"inspect", rune_cmd_inspect, "show a rune's manifest, sections and requirements"},
    {"graph", rune_cmd_graph, "print a Runefile's or rune's pipeline as Graphviz DOT"},
#endif
#ifdef RUNE_HAVE_NN
    {"model-info", rune_cmd_model_info, "show a TFLite model's ops, tensors, MACs and arena size"},
    {"model-run", rune_cmd_model_run, "run one inference of a TFLite model on raw input files"},
#endif
#ifdef RUNE_HAVE_WASM_RUN
    {"wasm", rune_cmd_wasm, "wasm run FILE.wasm: run a WASI command module on either engine"},
#endif
#ifdef RUNE_HAVE_REGISTRY
    {"images", rune_cmd_images, "list runes in the local store"},
    {"tag", rune_cmd_tag, "give a stored rune another name"},
    {"rm", rune_cmd_rm, "remove a name from the local store"},
    {"push", rune_cmd_push, "push a rune to an OCI registry"},
    {"pull", rune_cmd_pull, "pull a rune from an OCI registry"},
    {"keygen", rune_cmd_keygen, "make an Ed25519 signing key"},
    {"sign", rune_cmd_sign, "sign a rune"},
    {"verify", rune_cmd_verify, "check a rune's signature against trusted keys"},
#endif
    {"version", rune_cmd_version, "print the toolchain version"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: rune COMMAND [ARGS...]\n\n"
                 "Rune packages TinyML models with their processing code into sandboxed WebAssembly\n"
                 "containers (runes) and runs them.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'rune COMMAND --help' tells more about each.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) return rune_cmd_version(1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "rune: unknown command '%s' (try 'rune --help')\n", argv[1]);
    return 2;
}
