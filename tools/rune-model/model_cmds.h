/*
 * model_cmds.h - the model subcommands, usable from any CLI main:
 *   rune_cmd_model_info(argc, argv)   argv[0] = command name, then FILE [--json]
 *   rune_cmd_model_run(argc, argv)    argv[0] = command name, then FILE --input N=F ... [--json]
 * Exit codes: 0 ok, 1 failure (message on stderr), 2 usage.
 * Helpers shared by the two live in model_util.c (prefix model_).
 */
#ifndef RUNE_TOOLS_MODEL_CMDS_H
#define RUNE_TOOLS_MODEL_CMDS_H

#include <stddef.h>
#include <stdio.h>

#include "rune/nn.h"

int rune_cmd_model_info(int argc, char **argv);
int rune_cmd_model_run(int argc, char **argv);

/* Read a whole file with rune_malloc (caller rune_frees); NULL with a message on stderr. */
unsigned char *model_read_file(const char *cmd, const char *path, size_t *len);
/* Print s as a JSON string (quoted, escaped). */
void model_json_str(FILE *f, const char *s);
/* "[1,96,96,1]" */
void model_print_shape(FILE *f, const rune_nn_tensor_info *t);

#endif
