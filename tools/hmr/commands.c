/*
 * commands.c - the subcommands of `hmr targets`: option parsing, target lookup, and printing each
 * answer as a table or as JSON (--json). Workload: one command per process.
 */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmr_cmd.h"
#include "rune/alloc.h"
#include "rune/container.h"

static uint64_t hmr_cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

typedef struct opts {
    bool json, force, no_wait, no_serial, prometheus, probe_serial, follow, since_given;
    bool no_broadcast, console;
    const char *target, *config, *file, *name;
    int timeout_ms, resumes, probe_ms, follow_ms;
    long since, max;
    const char *probes[64];
    int nprobes;
    const char *scans[8];
    int nscans;
    const char *ports[9]; /* NULL-terminated glob patterns */
    int nports;
} opts;

static void cmd_help(const char *cmd, FILE *f)
{
    if (strcmp(cmd, "ls") == 0)
        fprintf(f, "usage: hmr targets ls [--config FILE] [--probe HOST:PORT]... "
                   "[--scan HOST:LO-HI]... [--no-serial] [--ports GLOB]... [--probe-serial] "
                   "[--no-broadcast] [--probe-ms MS] [--json]\n"
                   "Lists serial ports (/dev/ttyUSB*, /dev/ttyACM*, or the --ports patterns), the\n"
                   "config file's targets, devices answering an SMP probe at the given addresses,\n"
                   "and devices answering one broadcast to port 1337 on each network interface\n"
                   "(not with --no-broadcast). --probe-serial also asks each serial port\n"
                   "(Available = answered).\n");
    else if (strcmp(cmd, "cast") == 0)
        fprintf(
            f, "usage: hmr targets cast -t ID FILE.rune [--force] [--no-wait] [--resumes N] "
               "[--console] [--json]\n"
               "Verifies the rune and the device, uploads (resuming a broken upload), lets the\n"
               "device install it and waits until it is confirmed or rolled back.\n"
               "  --force     upload even when a capability check fails (the device decides)\n"
               "  --no-wait   do not wait for the device to confirm the rune\n"
               "  --resumes N resume a broken upload up to N times within this cast (def. 3)\n"
               "  --console   serial: keep MCUmgr's console framing (by default hmr asks the\n"
               "              device for its binary framing, 4 KB frames, and uses it on a yes)\n");
    else if (strcmp(cmd, "logs") == 0)
        fprintf(f, "usage: hmr targets logs -t ID [--since SEQ] [--max N] [--name RUNE] "
                   "[--follow [--for MS]] [--json]\n"
                   "The latest N entries (default 100), or those from SEQ on; --follow keeps\n"
                   "printing new ones (JSON lines with --json) until Ctrl-C or MS have passed.\n");
    else if (strcmp(cmd, "metrics") == 0)
        fprintf(f, "usage: hmr targets metrics -t ID [--name RUNE] [--prometheus] [--json]\n");
    else
        fprintf(f, "usage: hmr targets %s -t ID [--name RUNE] [--json]\n", cmd);
    fprintf(f, "common: --config FILE, --timeout MS (per try), --json, --help\n");
}

/* 0 ok, 1 help printed, 2 usage error. */
static int parse(const char *cmd, int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->resumes = 3;
    o->max = 100;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cmd_help(cmd, stdout);
            return 1;
        }
        if (strcmp(a, "--json") == 0)
            o->json = true;
        else if (strcmp(a, "--force") == 0)
            o->force = true;
        else if (strcmp(a, "--no-wait") == 0)
            o->no_wait = true;
        else if (strcmp(a, "--no-serial") == 0)
            o->no_serial = true;
        else if (strcmp(a, "--prometheus") == 0)
            o->prometheus = true;
        else if (strcmp(a, "--probe-serial") == 0)
            o->probe_serial = true;
        else if (strcmp(a, "--no-broadcast") == 0)
            o->no_broadcast = true;
        else if (strcmp(a, "--console") == 0)
            o->console = true;
        else if (strcmp(a, "--follow") == 0 || strcmp(a, "-f") == 0)
            o->follow = true;
        else if (a[0] == '-' && a[1]) {
            if (!v) {
                fprintf(stderr, "hmr: %s needs a value\n", a);
                return 2;
            }
            i++;
            char *end = NULL;
            long n = strtol(v, &end, 10);
            bool num = *v && !*end && n >= 0;
            if (strcmp(a, "-t") == 0 || strcmp(a, "--target") == 0)
                o->target = v;
            else if (strcmp(a, "--config") == 0)
                o->config = v;
            else if (strcmp(a, "--name") == 0)
                o->name = v;
            else if (strcmp(a, "--probe") == 0 && o->nprobes < 64)
                o->probes[o->nprobes++] = v;
            else if (strcmp(a, "--scan") == 0 && o->nscans < 8)
                o->scans[o->nscans++] = v;
            else if (strcmp(a, "--ports") == 0 && o->nports < 8)
                o->ports[o->nports++] = v;
            else if (num && strcmp(a, "--timeout") == 0)
                o->timeout_ms = (int)(n > 600000 ? 600000 : n);
            else if (num && strcmp(a, "--probe-ms") == 0)
                o->probe_ms = (int)(n > 60000 ? 60000 : n);
            else if (num && strcmp(a, "--resumes") == 0)
                o->resumes = (int)(n > 1000 ? 1000 : n);
            else if (num && strcmp(a, "--since") == 0) {
                o->since = n;
                o->since_given = true;
            } else if (num && strcmp(a, "--for") == 0)
                o->follow_ms = (int)(n > 86400000 ? 86400000 : n);
            else if (num && strcmp(a, "--max") == 0)
                o->max = n > 1000 ? 1000 : n;
            else {
                fprintf(stderr, "hmr: bad option %s %s\n", a, v);
                return 2;
            }
        } else if (!o->file) {
            o->file = a;
        } else {
            fprintf(stderr, "hmr: unexpected argument \"%s\"\n", a);
            return 2;
        }
    }
    return 0;
}

static void print_json(cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (s) puts(s);
    cJSON_free(s);
    cJSON_Delete(j);
}

/* Report a failure: a message on stderr, and {"ok": false, "error": ...} on stdout with --json. */
static int fail(const opts *o, const rune_error *err)
{
    fprintf(stderr, "hmr: %s\n", err->msg);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "ok", false);
        cJSON_AddStringToObject(j, "error", err->msg);
        cJSON_AddStringToObject(j, "status", rune_status_name(err->status));
        print_json(j);
    }
    return 1;
}

/* The config file: the one given (must exist) or the default (may be missing). */
static rune_status load_config(const opts *o, rune_hmr_targets *ts, rune_error *err)
{
    char path[1024];
    if (o->config) return rune_hmr_config_load(o->config, ts, err);
    rune_hmr_config_default_path(path, sizeof path);
    rune_status st = rune_hmr_config_load(path, ts, err);
    return st == RUNE_E_NOT_FOUND ? RUNE_OK : st;
}

/* -t ID: a config id, else HOST:PORT, else a tty path. */
static rune_status resolve(const opts *o, rune_hmr_target *t, rune_error *err)
{
    memset(t, 0, sizeof *t);
    if (!o->target) return RUNE_ERR(err, RUNE_E_ARG, "no target: use -t ID");
    rune_hmr_targets ts = {0};
    rune_status st = load_config(o, &ts, err);
    if (st == RUNE_OK) {
        const rune_hmr_target *found = rune_hmr_targets_find(&ts, o->target);
        if (found) {
            *t = *found;
        } else if (o->target[0] == '/') {
            snprintf(t->id, sizeof t->id, "%s", o->target);
            snprintf(t->address, sizeof t->address, "%s", o->target);
            t->type = RUNE_HMR_SERIAL;
        } else if (strchr(o->target, ':')) {
            rune_hmr_targets one = {0};
            st = rune_hmr_add_udp(&one, o->target, 0, 0, err);
            if (st == RUNE_OK) *t = one.v[0];
            rune_hmr_targets_free(&one);
        } else {
            st = RUNE_ERR(err, RUNE_E_NOT_FOUND,
                          "no target \"%s\" (not in the config file, not HOST:PORT, not a path)",
                          o->target);
        }
    }
    rune_hmr_targets_free(&ts);
    return st;
}

static int cmd_ls(const opts *o)
{
    rune_error err;
    rune_hmr_targets ts = {0};
    rune_status st = load_config(o, &ts, &err);
    if (st == RUNE_OK && !o->no_serial)
        st = rune_hmr_scan_serial(o->nports ? o->ports : NULL, &ts, &err);
    for (int i = 0; st == RUNE_OK && i < o->nprobes; i++)
        st = rune_hmr_add_udp(&ts, o->probes[i], 0, 0, &err);
    for (int i = 0; st == RUNE_OK && i < o->nscans; i++) {
        char host[256];
        unsigned lo = 0, hi = 0;
        const char *colon = strrchr(o->scans[i], ':');
        if (!colon || (size_t)(colon - o->scans[i]) >= sizeof host ||
            sscanf(colon + 1, "%u-%u", &lo, &hi) != 2 || lo == 0 || hi > 65535 || hi < lo ||
            hi - lo > 1024) {
            fprintf(stderr, "hmr: --scan wants HOST:LO-HI (at most 1025 ports), got %s\n",
                    o->scans[i]);
            rune_hmr_targets_free(&ts);
            return 2;
        }
        memcpy(host, o->scans[i], (size_t)(colon - o->scans[i]));
        host[colon - o->scans[i]] = 0;
        st = rune_hmr_add_udp(&ts, host, (uint16_t)lo, (uint16_t)hi, &err);
    }
    if (st == RUNE_OK)
        st = rune_hmr_probe(
            &ts, o->probe_ms,
            RUNE_HMR_PROBE_DROP_SILENT | (o->probe_serial ? RUNE_HMR_PROBE_SERIAL_PORTS : 0), &err);
    if (st == RUNE_OK && !o->no_broadcast) st = rune_hmr_discover(&ts, NULL, 0, o->probe_ms, &err);
    if (st != RUNE_OK) {
        rune_hmr_targets_free(&ts);
        return fail(o, &err);
    }
    if (o->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < ts.n; i++) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "target", ts.v[i].id);
            cJSON_AddStringToObject(t, "type", rune_hmr_type_name(ts.v[i].type));
            cJSON_AddStringToObject(t, "address", ts.v[i].address);
            cJSON_AddStringToObject(t, "name", ts.v[i].name);
            cJSON_AddBoolToObject(t, "available", ts.v[i].available);
            cJSON_AddStringToObject(t, "source", ts.v[i].source);
            cJSON_AddItemToArray(a, t);
        }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToObject(j, "targets", a);
        print_json(j);
    } else {
        printf("%-24s %-8s %-20s %s\n", "Target", "Type", "Name", "Available");
        for (size_t i = 0; i < ts.n; i++)
            printf("%-24s %-8s %-20s %s\n", ts.v[i].id, rune_hmr_type_name(ts.v[i].type),
                   ts.v[i].name[0] ? ts.v[i].name : "-", ts.v[i].available ? "yes" : "no");
    }
    rune_hmr_targets_free(&ts);
    return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    out[2 * n] = 0;
}

static int cmd_cast(const opts *o, rune_hmr_conn *c)
{
    rune_error err;
    if (!o->file) {
        fprintf(stderr, "hmr: cast needs a FILE.rune\n");
        return 2;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (rune_file_read(o->file, &bytes, &len, &err) != RUNE_OK) return fail(o, &err);
    hmr_render r;
    hmr_render_init(&r, o->json);
    rune_hmr_cast_opts co = {hmr_render_event, &r, o->force, o->resumes, o->no_wait ? -1 : 0};
    rune_hmr_cast_result res;
    rune_status st = rune_hmr_cast(c, bytes, len, &co, &res, &err);
    rune_free(bytes);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        char sha[65];
        hex(res.sha, 32, sha);
        cJSON_AddBoolToObject(j, "ok", st == RUNE_OK);
        if (st != RUNE_OK) {
            cJSON_AddStringToObject(j, "error", err.msg);
            cJSON_AddStringToObject(j, "status", rune_status_name(st));
        }
        cJSON_AddStringToObject(j, "target", c->target.id);
        cJSON_AddStringToObject(j, "device", res.device);
        cJSON_AddStringToObject(j, "provider", res.provider);
        cJSON_AddStringToObject(j, "rune", res.name);
        cJSON_AddStringToObject(j, "version", res.version);
        cJSON_AddStringToObject(j, "sha256", sha);
        cJSON_AddNumberToObject(j, "bytes", (double)res.len);
        cJSON_AddNumberToObject(j, "resumed_from", (double)res.resumed_from);
        cJSON_AddNumberToObject(j, "requests", (double)res.n_requests);
        cJSON_AddNumberToObject(j, "retries", (double)res.n_retries);
        cJSON_AddNumberToObject(j, "upload_s", res.upload_s);
        cJSON_AddBoolToObject(j, "installed", res.installed);
        cJSON_AddBoolToObject(j, "confirmed", res.confirmed);
        cJSON_AddBoolToObject(j, "rolled_back", res.rolled_back);
        cJSON_AddStringToObject(j, "state", res.state);
        cJSON_AddItemToObject(j, "steps", (cJSON *)r.events);
        r.events = NULL;
        print_json(j);
    } else if (st != RUNE_OK) {
        fprintf(stderr, "hmr: %s\n", err.msg);
    }
    if (st == RUNE_E_TIMEOUT || st == RUNE_E_IO) {
        if (!res.installed)
            fprintf(stderr, "hmr: the device keeps what it received; run the same cast again to "
                            "resume\n");
    }
    hmr_render_free(&r);
    return st == RUNE_OK ? 0 : 1;
}

static int cmd_status(const opts *o, rune_hmr_conn *c)
{
    rune_error err;
    rune_hmr_status s;
    if (rune_hmr_get_status(c, &s, &err) != RUNE_OK) return fail(o, &err);
    if (o->json) {
        char *text = NULL;
        if (rune_hmr_cbor_to_json(&c->c.rsp->doc, 0, &text, &err) != RUNE_OK) return fail(o, &err);
        puts(text);
        rune_free(text);
        return 0;
    }
    printf("device %s (%s)%s\n", s.device, s.provider, s.probation ? ", rune on probation" : "");
    printf("%-20s %-10s %-10s %-12s %s\n", "Rune", "Version", "State", "Uptime", "Digest");
    for (size_t i = 0; i < s.n; i++) {
        char d[65];
        hex(s.runes[i].digest, s.runes[i].digest_len <= 32 ? s.runes[i].digest_len : 32, d);
        printf("%-20s %-10s %-10s %-12.1f %.16s\n", s.runes[i].name, s.runes[i].version,
               s.runes[i].state, (double)s.runes[i].uptime_ms / 1000.0, d);
    }
    if (s.n == 0) printf("(no rune installed)\n");
    if (s.previous[0]) printf("previous: %s\n", s.previous);
    return 0;
}

static void print_log(void *ud, const rune_smp_log_entry *e)
{
    cJSON *a = ud;
    if (a) {
        cJSON *o = cJSON_CreateObject();
        char buf[512];
        cJSON_AddNumberToObject(o, "seq", (double)e->seq);
        cJSON_AddNumberToObject(o, "t_ms", (double)e->t_ms);
        cJSON_AddNumberToObject(o, "level", e->level);
        snprintf(buf, sizeof buf, "%.*s", (int)e->rune_len, e->rune);
        cJSON_AddStringToObject(o, "rune", buf);
        snprintf(buf, sizeof buf, "%.*s", (int)e->msg_len, e->msg);
        cJSON_AddStringToObject(o, "msg", buf);
        cJSON_AddItemToArray(a, o);
        return;
    }
    static const char *const lv[] = {"error", "warn", "info", "debug"};
    printf("%6llu %10.3f %-5s %-16.*s %.*s\n", (unsigned long long)e->seq, (double)e->t_ms / 1000.0,
           e->level < 4 ? lv[e->level] : "?", (int)e->rune_len, e->rune, (int)e->msg_len, e->msg);
}

/* Entries from since on, a page at a time (at most left of them); *since moves on. */
static rune_status logs_pages(const opts *o, rune_hmr_conn *c, cJSON *a, uint64_t *since, long left,
                              uint64_t *dropped, rune_error *err)
{
    while (left > 0) {
        uint64_t before = *since, next = 0;
        rune_status st = rune_smp_rune_logs(&c->c, *since, (uint32_t)(left < 32 ? left : 32),
                                            o->name, print_log, a, &next, dropped, err);
        if (st != RUNE_OK) return st;
        if (next <= before) break;
        left -= (long)(next - before);
        *since = next;
    }
    return RUNE_OK;
}

static void skip_log(void *ud, const rune_smp_log_entry *e)
{
    (void)ud;
    (void)e;
}

static volatile sig_atomic_t follow_stop;
static void on_sigint(int sig)
{
    (void)sig;
    follow_stop = 1;
}

static int cmd_logs(const opts *o, rune_hmr_conn *c)
{
    rune_error err;
    uint64_t since = (uint64_t)o->since, dropped = 0;
    if (!o->since_given) {
        /* the latest max entries: ask where the ring ends, then start max before it */
        uint64_t next = 0;
        if (rune_smp_rune_logs(&c->c, UINT64_C(1) << 62, 1, o->name, skip_log, NULL, &next,
                               &dropped, &err) != RUNE_OK)
            return fail(o, &err);
        since = next > (uint64_t)o->max ? next - (uint64_t)o->max : 0;
    }
    if (o->follow) {
        /* one entry a line (JSON lines with --json) until Ctrl-C or --for MS */
        signal(SIGINT, on_sigint);
        uint64_t end = o->follow_ms ? hmr_cli_now_ms() + (uint64_t)o->follow_ms : 0;
        while (!follow_stop && (!end || hmr_cli_now_ms() < end)) {
            cJSON *a = o->json ? cJSON_CreateArray() : NULL;
            rune_status st = logs_pages(o, c, a, &since, 1000, &dropped, &err);
            cJSON *e;
            cJSON_ArrayForEach(e, a)
            {
                char *line = cJSON_PrintUnformatted(e);
                if (line) puts(line);
                cJSON_free(line);
            }
            cJSON_Delete(a);
            fflush(stdout);
            if (st != RUNE_OK && st != RUNE_E_TIMEOUT) return fail(o, &err);
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
        return 0;
    }
    cJSON *a = o->json ? cJSON_CreateArray() : NULL;
    if (logs_pages(o, c, a, &since, o->max, &dropped, &err) != RUNE_OK) {
        cJSON_Delete(a);
        return fail(o, &err);
    }
    if (a) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "next", (double)since);
        cJSON_AddNumberToObject(j, "dropped", (double)dropped);
        cJSON_AddItemToObject(j, "entries", a);
        print_json(j);
    } else if (dropped) {
        printf("(%llu older entries were dropped by the ring)\n", (unsigned long long)dropped);
    }
    return 0;
}

static int cmd_metrics(const opts *o, rune_hmr_conn *c)
{
    rune_error err;
    char *text = NULL;
    if (o->prometheus) {
        if (rune_hmr_metrics_prometheus(c, &text, &err) != RUNE_OK) return fail(o, &err);
        fputs(text, stdout);
        rune_free(text);
        return 0;
    }
    if (rune_hmr_metrics_json(c, o->name, &text, &err) != RUNE_OK) return fail(o, &err);
    if (o->json) {
        puts(text);
        rune_free(text);
        return 0;
    }
    cJSON *j = cJSON_Parse(text);
    rune_free(text);
    cJSON *runes = cJSON_GetObjectItem(j, "runes");
    cJSON *up = cJSON_GetObjectItem(j, "uptime_ms");
    printf("uptime %.1f s\n", cJSON_IsNumber(up) ? up->valuedouble / 1000.0 : 0.0);
    printf("%-20s %10s %6s %9s %9s %8s %8s %8s\n", "Rune", "Inferences", "Traps", "CapReads",
           "Memory", "p50 us", "p90 us", "p99 us");
    cJSON *r;
    cJSON_ArrayForEach(r, runes)
    {
        cJSON *lat = cJSON_GetObjectItem(r, "latency_us");
#define NUM(o_, k_)                                                                                \
    (cJSON_IsNumber(cJSON_GetObjectItem(o_, k_)) ? cJSON_GetObjectItem(o_, k_)->valuedouble : 0.0)
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(r, "name"));
        printf("%-20s %10.0f %6.0f %9.0f %9.0f %8.0f %8.0f %8.0f\n", name ? name : "?",
               NUM(r, "inferences"), NUM(r, "traps"), NUM(r, "cap_reads"), NUM(r, "mem_bytes"),
               NUM(lat, "p50"), NUM(lat, "p90"), NUM(lat, "p99"));
#undef NUM
    }
    cJSON_Delete(j);
    return 0;
}

static int cmd_simple(const char *cmd, const opts *o, rune_hmr_conn *c)
{
    rune_error err;
    char out[64] = "";
    rune_status st;
    if (strcmp(cmd, "rollback") == 0)
        st = rune_hmr_rollback(c, out, sizeof out, &err);
    else
        st = rune_hmr_start_stop(c, strcmp(cmd, "start") == 0, o->name, out, sizeof out, &err);
    if (st != RUNE_OK) return fail(o, &err);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "ok", true);
        cJSON_AddStringToObject(j, strcmp(cmd, "rollback") == 0 ? "active" : "state", out);
        print_json(j);
    } else if (strcmp(cmd, "rollback") == 0) {
        printf("rolled back: %s is the active rune\n", out[0] ? out : "(none)");
    } else {
        printf("%s\n", out);
    }
    return 0;
}

int hmr_cmd_run(const char *cmd, int argc, char **argv)
{
    static const char *const known[] = {"ls",      "cast",     "status", "logs",
                                        "metrics", "rollback", "stop",   "start"};
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok = ok || strcmp(cmd, known[i]) == 0;
    if (!ok) {
        fprintf(stderr, "hmr: unknown command \"targets %s\" (try hmr --help)\n", cmd);
        return 2;
    }
    opts o;
    int pr = parse(cmd, argc, argv, &o);
    if (pr == 1) return 0;
    if (pr == 2) {
        cmd_help(cmd, stderr);
        return 2;
    }
    if (strcmp(cmd, "ls") == 0) return cmd_ls(&o);
    if (!o.target) {
        fprintf(stderr, "hmr: targets %s needs -t ID\n", cmd);
        cmd_help(cmd, stderr);
        return 2;
    }
    if (o.file && strcmp(cmd, "cast") != 0) {
        fprintf(stderr, "hmr: unexpected argument \"%s\"\n", o.file);
        return 2;
    }
    rune_error err;
    rune_hmr_target t;
    if (resolve(&o, &t, &err) != RUNE_OK) return fail(&o, &err);
    if (o.console) t.console = true;
    rune_hmr_conn c;
    if (rune_hmr_connect(&t, o.timeout_ms, &c, &err) != RUNE_OK) return fail(&o, &err);
    int rc;
    if (strcmp(cmd, "cast") == 0)
        rc = cmd_cast(&o, &c);
    else if (strcmp(cmd, "status") == 0)
        rc = cmd_status(&o, &c);
    else if (strcmp(cmd, "logs") == 0)
        rc = cmd_logs(&o, &c);
    else if (strcmp(cmd, "metrics") == 0)
        rc = cmd_metrics(&o, &c);
    else
        rc = cmd_simple(cmd, &o, &c);
    rune_hmr_disconnect(&c);
    return rc;
}
