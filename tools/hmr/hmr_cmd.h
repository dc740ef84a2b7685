/*
 * hmr_cmd.h - the subcommands of `hmr targets` (commands.c) and how they print (render.c).
 */
#ifndef HMR_CMD_H
#define HMR_CMD_H

#include <stdbool.h>

#include "rune/hammer.h"

/* Run `hmr targets CMD args...`; returns the exit code (0, 1, 2). */
int hmr_cmd_run(const char *cmd, int argc, char **argv);

/* Cast progress drawing: bars on a terminal, one line per step otherwise, events kept for --json.
 */
typedef struct hmr_render {
    bool tty, json;
    int last_pct;
    void *events; /* cJSON array when json */
} hmr_render;

void hmr_render_init(hmr_render *r, bool json);
void hmr_render_event(void *ud, const rune_hmr_event *ev);
void hmr_render_free(hmr_render *r);

#endif
