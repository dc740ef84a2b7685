/*
 * rune_wasm_cmd.h - the `wasm` commands of the rune CLI, callable from any main:
 *   rune_cmd_wasm_run(argc, argv)   argv[0] is "run"; see rune_wasm_run.c for the options.
 * Returns the process exit code (the guest's exit code for run).
 */
#ifndef RUNE_WASM_CMD_H
#define RUNE_WASM_CMD_H

int rune_cmd_wasm_run(int argc, char **argv);

#endif
