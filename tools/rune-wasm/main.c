/*
 * main.c - the rune-wasm tool: `rune-wasm run ...` (see rune_wasm_run.c).
 */
#include <stdio.h>
#include <string.h>

#include "rune_wasm_cmd.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0) return rune_cmd_wasm_run(argc - 1, argv + 1);
    FILE *f = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout
                                                                                          : stderr;
    fprintf(f, "usage: rune-wasm run [--engine interp|aot] [--fuel N] [--max-pages N] FILE.wasm "
               "[ARGS...]\n       rune-wasm run --help\n");
    return f == stdout ? 0 : 2;
}
