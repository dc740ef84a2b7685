/* main.c - the rune-model tool: dispatches `info` and `run` to the model subcommands. */
#include "model_cmds.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: rune-model info FILE.tflite [--json]\n"
               "       rune-model run FILE.tflite --input NAME_OR_INDEX=FILE.bin ... [--json]\n"
               "                                  [--repeat N] [--reference]\n"
               "Shows a TensorFlow Lite model's ops, tensors, MACs and arena size, or runs one\n"
               "inference on raw input bytes and prints the outputs as JSON.\n");
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
    if (!strcmp(argv[1], "info")) return rune_cmd_model_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run")) return rune_cmd_model_run(argc - 1, argv + 1);
    fprintf(stderr, "rune-model: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
}
