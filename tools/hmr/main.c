/*
 * main.c - hmr, Hammer's command line: list targets, cast runes onto them, watch and undo.
 *
 *   hmr targets ls [--config FILE] [--probe HOST:PORT]... [--scan HOST:LO-HI] [--no-serial]
 *   hmr targets cast -t ID FILE.rune [--force] [--no-wait] [--resumes N]
 *   hmr targets status|logs|metrics|rollback|stop|start -t ID
 * Every command takes --json, --config FILE, --timeout MS and --help. Exit codes: 0 done, 1 the
 * device or the operation failed, 2 bad usage. The commands themselves are in commands.c.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "hmr_cmd.h"
#include "rune/alloc.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: hmr targets COMMAND [options]\n"
               "commands:\n"
               "  ls                    list serial ports, devices answering on the network and\n"
               "                        the targets of the config file\n"
               "  cast -t ID FILE.rune  cast a rune onto a target: verify, upload, install, start\n"
               "  status -t ID          the device's runes and their state\n"
               "  logs -t ID            the device's log ring\n"
               "  metrics -t ID         LibSaga metrics (--prometheus: the Prometheus text)\n"
               "  rollback -t ID        go back to the previous rune\n"
               "  stop -t ID, start -t ID\n"
               "common options: --json, --config FILE (default ~/.config/rune/targets),\n"
               "  --timeout MS (per request try, default 1000), --help\n"
               "A target ID is a config id, HOST:PORT (UDP) or a tty path (serial).\n"
               "exit codes: 0 done, 1 failed, 2 bad usage\n");
}

int main(int argc, char **argv)
{
    cJSON_Hooks hooks = {rune_malloc, rune_free}; /* one allocator, also for the JSON answers */
    cJSON_InitHooks(&hooks);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "targets") != 0) {
        fprintf(stderr, "hmr: unknown command \"%s\"\n", argv[1]);
        usage(stderr);
        return 2;
    }
    if (argc < 3 || strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
        usage(argc < 3 ? stderr : stdout);
        return argc < 3 ? 2 : 0;
    }
    return hmr_cmd_run(argv[2], argc - 3, argv + 3);
}
