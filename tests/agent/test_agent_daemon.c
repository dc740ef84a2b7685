/*
 * runicosd as a process: --help, a bad profile (exit 1 with the key named), serving a cast over
 * UDP on a port it chose (--port-file), a SIGKILL while running (it restarts on its rune), and a
 * clean exit 0 on SIGTERM.
 */
#include "agent_fixture.h"

#include <signal.h>
#include <sys/wait.h>

static pid_t spawn(const char *profile, const char *port_file, const char *err_file)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *e = freopen(err_file, "w", stderr);
        (void)e;
        execl(RUNICOSD, "runicosd", "--profile", profile, "--udp", "127.0.0.1:0", "--port-file",
              port_file, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static uint16_t wait_port(const char *port_file)
{
    for (int i = 0; i < 500; i++) { /* 5 s: a loaded machine, a sanitizer build */
        size_t n = 0;
        unsigned char *b = test_read_file(port_file, &n);
        if (b && n > 0) {
            int port = atoi((const char *)b);
            free(b);
            if (port > 0) return (uint16_t)port;
        }
        free(b);
        fx_sleep_ms(10);
    }
    return 0;
}

static int run_cmd(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", RUNICOSD, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(help_and_bad_profiles)
{
    char out[4096];
    CHECK_EQ_INT(run_cmd("--help", out, sizeof out), 0);
    CHECK_CONTAINS(out, "--profile FILE");
    CHECK_EQ_INT(run_cmd("", out, sizeof out), 2);
    CHECK_CONTAINS(out, "--profile FILE is required");
    CHECK_EQ_INT(run_cmd("--profile /nonexistent/p.json", out, sizeof out), 1);
    CHECK_CONTAINS(out, "/nonexistent/p.json");
    fx_dev d;
    fx_dev_init(&d, "x");
    char path[256], args[512];
    snprintf(path, sizeof path, "%s/p.json", d.dir);
    const char *bad = "{\"name\":\"x\",\"store\":\"s\",\"policy\":{\"allow\":[\"smell\"]}}";
    fx_write(path, bad, strlen(bad));
    snprintf(args, sizeof args, "--profile %s", path);
    CHECK_EQ_INT(run_cmd(args, out, sizeof out), 1);
    CHECK_CONTAINS(out, "policy.allow");
    CHECK_EQ_INT(run_cmd("--bogus 1", out, sizeof out), 2);
    fx_rmtree(d.dir);
}

TEST(serve_kill_restart_and_terminate)
{
    fx_dev d;
    fx_dev_init(&d, "x");
    char profile[256], port_file[256], err_file[256], json[512];
    snprintf(profile, sizeof profile, "%s/device.json", d.dir);
    snprintf(port_file, sizeof port_file, "%s/port", d.dir);
    snprintf(err_file, sizeof err_file, "%s/stderr.txt", d.dir);
    snprintf(json, sizeof json,
             "{\"name\":\"daemon-1\",\"store\":\"store\",\"rate_hz\":50,\"probation_calls\":2,"
             "\"capabilities\":[{\"kind\":\"raw\",\"file\":\"raw.bin\"}]}");
    fx_write(profile, json, strlen(json));

    pid_t pid = spawn(profile, port_file, err_file);
    uint16_t port = wait_port(port_file);
    CHECK(port != 0);
    fx_cli c;
    if (!port || !fx_cli_open(&c, port)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return;
    }
    rune_error err;
    size_t len = 0;
    uint8_t *r = fx_hostile("1.0.0", &len);
    CHECK_OK(fx_upload(&c, r, len, &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 2000));
    fx_sleep_ms(100); /* past probation: confirmed */
    fx_cli_close(&c);

    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(port_file);
    pid = spawn(profile, port_file, err_file);
    port = wait_port(port_file);
    CHECK(port != 0);
    if (port && fx_cli_open(&c, port)) {
        CHECK(fx_wait_state(&c, "hostile", "running", 2000));
        fx_cli_close(&c);
    }
    kill(pid, SIGTERM);
    int ws = 0;
    waitpid(pid, &ws, 0);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    size_t n = 0;
    char *log = (char *)test_read_file(err_file, &n);
    if (log) {
        log = realloc(log, n + 1);
        log[n] = '\0';
    }
    CHECK_CONTAINS(log, "active rune: hostile");
    CHECK_CONTAINS(log, "shutting down");
    free(log);
    rune_free(r);
    fx_rmtree(d.dir);
}

int main(void)
{
    RUN(help_and_bad_profiles);
    RUN(serve_kill_restart_and_terminate);
    return test_report();
}
