/*
 * main.c - runicosd, the RunicOS device agent: reads a device profile, opens its store and
 * transports, and serves Hammer over SMP while running the active rune, until SIGTERM or SIGINT.
 *
 *   runicosd --profile FILE [--udp ADDR:PORT] [--serial /dev/pts/N] [--baud N] [--store DIR]
 *            [--port-file FILE] [--metrics-port N] [--foreground]
 *
 * The agent's notices go to stderr (--foreground adds the rune's logs and output). --udp with port
 * 0 binds any free port; --port-file writes the bound port there (for tests that start many
 * agents).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rune/agent.h"
#include "rune/container.h"

static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: runicosd --profile FILE [options]\n"
               "  --profile FILE      device profile (JSON, see docs/device-profile.md)\n"
               "  --udp ADDR:PORT     listen for SMP on UDP (overrides the profile; port 0 = any)\n"
               "  --serial PATH       serve SMP on a tty (overrides the profile)\n"
               "  --baud N            serial speed (default: profile, else 115200)\n"
               "  --store DIR         rune store directory (overrides the profile)\n"
               "  --port-file FILE    write the bound UDP port to FILE\n"
               "  --metrics-port N    serve Prometheus text at http://127.0.0.1:N/metrics\n"
               "  --foreground        also echo the rune's logs and output to stderr\n"
               "  --help              this text\n");
}

static int copy_opt(char *dst, size_t cap, const char *v, const char *name)
{
    if (strlen(v) >= cap) {
        fprintf(stderr, "runicosd: %s: value too long\n", name);
        return 0;
    }
    snprintf(dst, cap, "%s", v);
    return 1;
}

int main(int argc, char **argv)
{
    const char *profile = NULL, *udp = NULL, *serial = NULL, *store = NULL, *port_file = NULL;
    int baud = 0, foreground = 0, metrics_port = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--foreground") == 0) {
            foreground = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "runicosd: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        if (strcmp(a, "--profile") == 0)
            profile = v;
        else if (strcmp(a, "--udp") == 0)
            udp = v;
        else if (strcmp(a, "--serial") == 0)
            serial = v;
        else if (strcmp(a, "--store") == 0)
            store = v;
        else if (strcmp(a, "--port-file") == 0)
            port_file = v;
        else if (strcmp(a, "--baud") == 0)
            baud = atoi(v);
        else {
            fprintf(stderr, "runicosd: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (!profile) {
        fprintf(stderr, "runicosd: --profile FILE is required\n");
        usage(stderr);
        return 2;
    }
    rune_agent_profile p;
    rune_error err;
    if (rune_agent_profile_load(profile, &p, &err) != RUNE_OK) {
        fprintf(stderr, "runicosd: %s\n", err.msg);
        return 1;
    }
    if ((udp && !copy_opt(p.udp, sizeof p.udp, udp, "--udp")) ||
        (serial && !copy_opt(p.serial, sizeof p.serial, serial, "--serial")) ||
        (store && !copy_opt(p.store, sizeof p.store, store, "--store")))
        return 2;
    if (baud) p.baud = baud;
    if (!p.udp[0] && !p.serial[0]) snprintf(p.udp, sizeof p.udp, "0.0.0.0:1337");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rune_agent_options opt = {0};
    opt.echo = stderr;
    opt.echo_runes = foreground != 0;
    opt.rune_thread = true; /* SMP is answered while a rune call runs */
    rune_agent *agent = NULL;
    if (rune_agent_create(&p, &opt, &agent, &err) != RUNE_OK ||
        rune_agent_open_transports(agent, &err) != RUNE_OK ||
        (metrics_port >= 0 && metrics_port <= 65535 &&
         rune_agent_metrics_listen(agent, (uint16_t)metrics_port, &err) != RUNE_OK)) {
        fprintf(stderr, "runicosd: %s\n", err.msg);
        rune_agent_destroy(agent);
        return 1;
    }
    if (port_file) {
        char text[16];
        int n = snprintf(text, sizeof text, "%u\n", rune_agent_udp_port(agent));
        if (rune_file_write_atomic(port_file, text, (size_t)n, &err) != RUNE_OK)
            fprintf(stderr, "runicosd: %s\n", err.msg);
    }
    rune_status st = rune_agent_run(agent, &stop_flag, &err);
    if (st != RUNE_OK) fprintf(stderr, "runicosd: %s\n", err.msg);
    rune_agent_destroy(agent);
    return st == RUNE_OK ? 0 : 1;
}
