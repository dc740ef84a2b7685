/*
 * commands.h - the subcommands of the `rune` CLI. Each lives in its own file (here or in the part that
 * owns it) as `int rune_cmd_NAME(int argc, char **argv)`, where argv[0] is the subcommand's name.
 * Exit codes for every command: 0 success, 1 the work failed (message on stderr), 2 usage error.
 */
#ifndef RUNE_TOOLS_COMMANDS_H
#define RUNE_TOOLS_COMMANDS_H

int rune_cmd_version(int argc, char **argv);
int rune_cmd_build(int argc, char **argv);
int rune_cmd_run(int argc, char **argv);
int rune_cmd_inspect(int argc, char **argv);
int rune_cmd_graph(int argc, char **argv);
int rune_cmd_model_info(int argc, char **argv);
int rune_cmd_model_run(int argc, char **argv);
int rune_cmd_wasm(int argc, char **argv);
int rune_cmd_images(int argc, char **argv);
int rune_cmd_tag(int argc, char **argv);
int rune_cmd_rm(int argc, char **argv);
int rune_cmd_push(int argc, char **argv);
int rune_cmd_pull(int argc, char **argv);
int rune_cmd_keygen(int argc, char **argv);
int rune_cmd_sign(int argc, char **argv);
int rune_cmd_verify(int argc, char **argv);

#endif
