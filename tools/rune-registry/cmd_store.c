/*
 * cmd_store.c - `rune images`, `rune tag`, `rune rm`: the local OCI store from the command line.
 */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "rune/alloc.h"
#include "rune_registry_cli.h"

static const char images_usage[] =
    "usage: rune images [--store DIR] [--json]\n"
    "List the runes in the local OCI store ($RUNE_STORE or ~/.rune/oci).\n";

int rune_cmd_images(int argc, char **argv)
{
    cli_opts o;
    if (cli_parse(argc, argv, &o, NULL, NULL) != 0) return CLI_USAGE;
    if (o.help) return fputs(images_usage, stdout), CLI_OK;
    if (o.npos != 0) return fputs(images_usage, stderr), CLI_USAGE;
    rune_error err;
    rune_oci_store *s = NULL;
    rune_oci_entry *e = NULL;
    size_t n = 0;
    if (cli_open_store(&o, &s, &err) != RUNE_OK ||
        rune_oci_store_list(s, &e, &n, &err) != RUNE_OK) {
        rune_oci_store_close(s);
        return cli_fail("images", &err);
    }
    if (o.json) {
        printf("{\"images\":[");
        for (size_t i = 0; i < n; i++) {
            printf("%s{\"ref\":", i ? "," : "");
            cli_json_str(stdout, e[i].ref);
            printf(",\"digest\":\"%s\",\"size\":%llu}", e[i].digest, (unsigned long long)e[i].size);
        }
        printf("]}\n");
    } else {
        printf("%-40s %s\n", "REF", "DIGEST");
        for (size_t i = 0; i < n; i++)
            printf("%-40s %.19s\n", e[i].ref, e[i].digest);
    }
    rune_free(e);
    rune_oci_store_close(s);
    return CLI_OK;
}

static const char tag_usage[] = "usage: rune tag [--store DIR] SOURCE TARGET\n"
                                "Give the stored image SOURCE (NAME[:TAG] or NAME@DIGEST) another "
                                "name TARGET (NAME[:TAG]).\n";

int rune_cmd_tag(int argc, char **argv)
{
    cli_opts o;
    if (cli_parse(argc, argv, &o, NULL, NULL) != 0) return CLI_USAGE;
    if (o.help) return fputs(tag_usage, stdout), CLI_OK;
    if (o.npos != 2) return fputs(tag_usage, stderr), CLI_USAGE;
    rune_error err;
    rune_oci_store *s = NULL;
    rune_status st = cli_open_store(&o, &s, &err);
    if (st == RUNE_OK) st = rune_oci_store_tag(s, o.pos[0], o.pos[1], &err);
    rune_oci_store_close(s);
    if (st != RUNE_OK) return cli_fail("tag", &err);
    if (o.json) {
        printf("{\"source\":");
        cli_json_str(stdout, o.pos[0]);
        printf(",\"target\":");
        cli_json_str(stdout, o.pos[1]);
        printf("}\n");
    }
    return CLI_OK;
}

static const char rm_usage[] = "usage: rune rm [--store DIR] [--json] REF...\n"
                               "Remove tags (NAME[:TAG]) or every tag of NAME@DIGEST, then delete "
                               "blobs nothing refers to.\n";

int rune_cmd_rm(int argc, char **argv)
{
    cli_opts o;
    if (cli_parse(argc, argv, &o, NULL, NULL) != 0) return CLI_USAGE;
    if (o.help) return fputs(rm_usage, stdout), CLI_OK;
    if (o.npos == 0) return fputs(rm_usage, stderr), CLI_USAGE;
    rune_error err;
    rune_oci_store *s = NULL;
    if (cli_open_store(&o, &s, &err) != RUNE_OK) return cli_fail("rm", &err);
    int rc = CLI_OK;
    size_t total = 0;
    for (int i = 0; i < o.npos; i++) {
        size_t freed = 0;
        if (rune_oci_store_remove(s, o.pos[i], &freed, &err) != RUNE_OK)
            rc = cli_fail("rm", &err);
        else if (!o.json)
            printf("removed %s (%zu blobs freed)\n", o.pos[i], freed);
        total += freed;
    }
    if (o.json) printf("{\"ok\":%s,\"blobs_freed\":%zu}\n", rc == CLI_OK ? "true" : "false", total);
    rune_oci_store_close(s);
    return rc;
}
