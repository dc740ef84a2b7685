/* model_util.c - file reading and JSON printing shared by the rune-model subcommands. */
#include "model_cmds.h"

#include <errno.h>
#include <string.h>

#include "rune/alloc.h"

unsigned char *model_read_file(const char *cmd, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s: %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *nb = rune_realloc(buf, ncap);
            if (!nb) {
                fprintf(stderr, "%s: out of memory reading %s\n", cmd, path);
                rune_free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: error reading %s\n", cmd, path);
        rune_free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

void model_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void model_print_shape(FILE *f, const rune_nn_tensor_info *t)
{
    fputc('[', f);
    for (int i = 0; i < t->ndims; i++)
        fprintf(f, "%s%d", i ? "," : "", (int)t->dims[i]);
    fputc(']', f);
}
