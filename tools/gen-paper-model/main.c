/*
 * gen-paper-model - writes the Rune paper listing's model (paper_model.h) to a file:
 *
 *   gen-paper-model examples/paper/example.tflite
 *
 * The file is committed; tests/e2e/test_paper.c checks that this program's bytes equal it.
 */
#include <stdio.h>

#include "paper_model.h"
#include "rune/alloc.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen-paper-model OUT.tflite\n");
        return 2;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error err;
    rune_status st = paper_model_build(&bytes, &len, &err);
    if (st != RUNE_OK) {
        fprintf(stderr, "gen-paper-model: %s\n", err.msg);
        return 1;
    }
    FILE *f = fopen(argv[1], "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    rune_free(bytes);
    if (!ok) {
        perror(argv[1]);
        return 1;
    }
    printf("%s: %zu bytes\n", argv[1], len);
    return 0;
}
