/*
 * commands.h - the subcommands of the `rune` CLI. Each lives in its own file (here or in the part that
 * owns it) as `int rune_cmd_NAME(int argc, char **argv)`, where argv[0] is the subcommand's name.
 * Exit codes for every command: 0 success, 1 the work failed (message on stderr), 2 usage error.
 */
#ifndef RUNE_TOOLS_COMMANDS_H
#define RUNE_TOOLS_COMMANDS_H

int rune_cmd_version(int argc, char **argv);

#endif
