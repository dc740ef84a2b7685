/*
 * toolchain.c - runs the external compiler (clang for wasm32, wasm-ld through it) for `rune build`.
 *
 * The child's stdout and stderr are captured through a pipe (bounded: the first 8 KiB kept) so a
 * failed compile reports the compiler's own words; with verbose the command line is echoed first.
 */
#include "compiler_int.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

rune_status rc_run(char *const argv[], int verbose, rune_error *err)
{
    if (verbose) {
        fprintf(stderr, "  $");
        for (size_t i = 0; argv[i]; i++) fprintf(stderr, " %s", argv[i]);
        fputc('\n', stderr);
    }
    int fds[2];
    if (pipe(fds) != 0) return RUNE_ERR(err, RUNE_E_IO, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return RUNE_ERR(err, RUNE_E_IO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    char out[8192];
    size_t used = 0;
    for (;;) {
        char tmp[4096];
        ssize_t n = read(fds[0], tmp, sizeof tmp);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t k = (size_t)n < sizeof out - 1 - used ? (size_t)n : sizeof out - 1 - used;
        memcpy(out + used, tmp, k);
        used += k;
    }
    out[used] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (verbose && used) fputs(out, stderr);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return RUNE_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "%s: not found (install clang and lld: scripts/deps.sh)",
                        argv[0]);
    /* Keep the first lines of the compiler's message. */
    if (used > 600) memcpy(out + 590, "[...]", 6);
    return RUNE_ERR(err, RUNE_E_IO, "%s failed:\n%s", argv[0], out);
}
