/*
 * wasi_hello.c - a WASI command (clang --target=wasm32-wasi -O2) exercising the WASI subset through
 * wasi-libc: arguments, stdout/stderr, clocks, random, an empty environment, EBADF on other fds and
 * the exit code (argv[1] if given).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    printf("argc=%d", argc);
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    fprintf(stderr, "to stderr\n");
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec > 1600000000) printf("clock ok\n");
    struct timespec m1, m2;
    clock_gettime(CLOCK_MONOTONIC, &m1);
    clock_gettime(CLOCK_MONOTONIC, &m2);
    if (m2.tv_sec > m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec >= m1.tv_nsec))
        printf("monotonic ok\n");
    unsigned char r[32];
    memset(r, 0, sizeof r);
    int nz = 0;
    if (getentropy(r, sizeof r) == 0)
        for (size_t i = 0; i < sizeof r; i++)
            nz += r[i] != 0;
    if (nz > 8) printf("random ok\n");
    if (write(5, "x", 1) == -1 && errno == EBADF) printf("ebadf ok\n");
    if (getenv("HOME") == NULL) printf("env empty\n");
    for (int i = 0; i < 300; i++)
        printf("%d%c", i, i % 20 == 19 ? '\n' : ' ');
    fflush(stdout);
    return argc > 1 ? atoi(argv[1]) : 0;
}
