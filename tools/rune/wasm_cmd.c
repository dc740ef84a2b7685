/* wasm_cmd.c - `rune wasm run FILE.wasm [ARGS]`: the WASI runner (tools/rune-wasm) under the rune CLI. */
#include "commands.h"

#include <stdio.h>
#include <string.h>

int rune_cmd_wasm_run(int argc, char **argv);

int rune_cmd_wasm(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "run")) return rune_cmd_wasm_run(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: rune wasm run [--engine interp|aot] [--fuel N] [--max-pages N] FILE.wasm "
               "[ARGS...]\n\nRuns a WASI command module's _start on either engine.\n");
        return 0;
    }
    fprintf(stderr, "rune wasm: expected 'run' (try 'rune wasm --help')\n");
    return 2;
}
