/*
 * registry_fixture.h - start Debian's docker-registry on a free loopback port in a temp directory
 * for one test executable, and make sure it dies with the test: it runs in its own process group,
 * gets SIGKILL if the test process dies (PR_SET_PDEATHSIG), and is killed by an atexit handler and
 * by registry_fixture_stop.
 */
#ifndef RUNE_TEST_REGISTRY_FIXTURE_H
#define RUNE_TEST_REGISTRY_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REGISTRY_BIN "/usr/bin/docker-registry"

static pid_t registry_pid_ = 0;
static char registry_dir_[64];

static void registry_fixture_stop(void)
{
    if (registry_pid_ > 0) {
        kill(registry_pid_, SIGKILL);
        waitpid(registry_pid_, NULL, 0);
        registry_pid_ = 0;
    }
    if (registry_dir_[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", registry_dir_);
        if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", registry_dir_);
        registry_dir_[0] = 0;
    }
}

static void registry_on_signal(int sig)
{
    if (registry_pid_ > 0) kill(registry_pid_, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* Start the registry; returns its port, 0 if the binary is absent (skip), -1 on failure. extra is
 * appended to the config (e.g. an auth section). */
static int registry_fixture_start(const char *extra)
{
    if (access(REGISTRY_BIN, X_OK) != 0) return 0;
    snprintf(registry_dir_, sizeof registry_dir_, "/tmp/rune-registry-XXXXXX");
    if (!mkdtemp(registry_dir_)) return -1;
    atexit(registry_fixture_stop);
    signal(SIGINT, registry_on_signal);
    signal(SIGTERM, registry_on_signal);
    signal(SIGSEGV, registry_on_signal);
    signal(SIGABRT, registry_on_signal);
    int port = free_port();
    char cfg[128];
    snprintf(cfg, sizeof cfg, "%s/config.yml", registry_dir_);
    FILE *f = fopen(cfg, "w");
    if (!f || port <= 0) return -1;
    fprintf(f,
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            "storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n"
            "http:\n  addr: 127.0.0.1:%d\n%s",
            registry_dir_, port, extra ? extra : "");
    fclose(f);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        char logp[128];
        snprintf(logp, sizeof logp, "%s/registry.log", registry_dir_);
        FILE *lf = freopen(logp, "w", stderr);
        (void)lf;
        if (!freopen("/dev/null", "w", stdout)) _exit(1);
        execl(REGISTRY_BIN, REGISTRY_BIN, "serve", cfg, (char *)NULL);
        _exit(127);
    }
    registry_pid_ = pid;
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        if (port_open(port)) return port;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            registry_pid_ = 0;
            return -1;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

#endif
