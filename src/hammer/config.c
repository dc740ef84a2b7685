/*
 * config.c - Hammer's targets file and target lists.
 *
 * The file is a handful of lines written by hand (~/.config/rune/targets):
 *     # id      type    address            [baud]
 *     kitchen   udp     192.168.1.20:1337
 *     bench     serial  /dev/ttyUSB0       921600
 *     legacy    serial  /dev/ttyACM0       115200  console
 * ("console": keep MCUmgr's console framing, do not negotiate the binary one).
 * A line is split on blanks; errors name the file and line. Workload: tens of lines.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hammer_int.h"
#include "rune/alloc.h"
#include "rune/container.h"

const char *rune_hmr_type_name(rune_hmr_type t)
{
    return t == RUNE_HMR_UDP ? "udp" : t == RUNE_HMR_SERIAL ? "serial" : "?";
}

void rune_hmr_targets_free(rune_hmr_targets *ts)
{
    if (!ts) return;
    rune_free(ts->v);
    ts->v = NULL;
    ts->n = ts->cap = 0;
}

const rune_hmr_target *rune_hmr_targets_find(const rune_hmr_targets *ts, const char *id)
{
    for (size_t i = 0; ts && id && i < ts->n; i++)
        if (strcmp(ts->v[i].id, id) == 0) return &ts->v[i];
    return NULL;
}

rune_hmr_target *hmr_targets_push(rune_hmr_targets *ts, rune_error *err)
{
    if (ts->n >= RUNE_HMR_MAX_TARGETS) {
        RUNE_ERR(err, RUNE_E_LIMIT, "targets: more than %d targets", RUNE_HMR_MAX_TARGETS);
        return NULL;
    }
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 8;
        rune_hmr_target *v = rune_realloc_array(ts->v, cap, sizeof *v);
        if (!v) {
            RUNE_ERR(err, RUNE_E_NOMEM, "targets: out of memory");
            return NULL;
        }
        ts->v = v;
        ts->cap = cap;
    }
    rune_hmr_target *t = &ts->v[ts->n++];
    memset(t, 0, sizeof *t);
    return t;
}

rune_status hmr_split_hostport(const char *addr, char *host, size_t cap, uint16_t *port,
                               rune_error *err)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr)
        return RUNE_ERR(err, RUNE_E_INVALID, "address \"%s\" is not HOST:PORT", addr);
    const char *h = addr;
    size_t hlen = (size_t)(colon - addr);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= cap)
        return RUNE_ERR(err, RUNE_E_INVALID, "address \"%s\": bad host", addr);
    char *end = NULL;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || p == 0 || p > 65535)
        return RUNE_ERR(err, RUNE_E_INVALID, "address \"%s\": port must be 1..65535", addr);
    memcpy(host, h, hlen);
    host[hlen] = 0;
    *port = (uint16_t)p;
    return RUNE_OK;
}

uint64_t hmr_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t hmr_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void hmr_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Split a line into at most 5 blank-separated words (in place); returns the count. */
static int split_words(char *line, char **w, int max)
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        if (n == max) return max + 1;
        w[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p) *p++ = 0;
    }
    return n;
}

static rune_status parse_line(char *line, const char *path, int lineno, rune_hmr_targets *ts,
                              rune_error *err)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *w[5];
    int n = split_words(line, w, 5);
    if (n == 0) return RUNE_OK;
    bool console = n >= 4 && n <= 5 && strcmp(w[n - 1], "console") == 0;
    if (console) n--;
    if (n < 3 || n > 4)
        return RUNE_ERR(err, RUNE_E_MALFORMED,
                        "%s:%d: expected \"ID udp|serial ADDRESS [BAUD] [console]\", got %d words",
                        path, lineno, n > 4 ? 5 : n + console);
    if (strlen(w[0]) >= sizeof ts->v->id)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s:%d: id \"%s\" is too long", path, lineno, w[0]);
    if (rune_hmr_targets_find(ts, w[0]))
        return RUNE_ERR(err, RUNE_E_INVALID, "%s:%d: id \"%s\" is used twice", path, lineno, w[0]);
    rune_hmr_type type;
    if (strcmp(w[1], "udp") == 0)
        type = RUNE_HMR_UDP;
    else if (strcmp(w[1], "serial") == 0)
        type = RUNE_HMR_SERIAL;
    else
        return RUNE_ERR(err, RUNE_E_INVALID, "%s:%d: type \"%s\" is not udp or serial", path,
                        lineno, w[1]);
    if (strlen(w[2]) >= sizeof ts->v->address)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s:%d: address is too long", path, lineno);
    int baud = 0;
    if (type == RUNE_HMR_UDP) {
        char host[256];
        uint16_t port;
        if (n == 4 || console)
            return RUNE_ERR(err, RUNE_E_INVALID,
                            "%s:%d: a udp target takes no baud rate or framing", path, lineno);
        if (hmr_split_hostport(w[2], host, sizeof host, &port, err) != RUNE_OK)
            return rune_error_prefix(err, "%s:%d", path, lineno);
    } else if (n == 4) {
        char *end = NULL;
        long b = strtol(w[3], &end, 10);
        if (*end || b < 1200 || b > 4000000)
            return RUNE_ERR(err, RUNE_E_INVALID, "%s:%d: baud \"%s\" is not 1200..4000000", path,
                            lineno, w[3]);
        baud = (int)b;
    }
    rune_hmr_target *t = hmr_targets_push(ts, err);
    if (!t) return rune_error_prefix(err, "%s:%d", path, lineno);
    snprintf(t->id, sizeof t->id, "%s", w[0]);
    t->type = type;
    snprintf(t->address, sizeof t->address, "%s", w[2]);
    t->baud = baud;
    t->console = console;
    snprintf(t->source, sizeof t->source, "config");
    return RUNE_OK;
}

rune_status rune_hmr_config_parse(const char *text, size_t len, const char *path,
                                  rune_hmr_targets *ts, rune_error *err)
{
    if (!ts || (!text && len)) return RUNE_ERR(err, RUNE_E_ARG, "targets: no text");
    if (!path) path = "targets";
    char line[1024];
    size_t i = 0;
    int lineno = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        lineno++;
        if (j - i >= sizeof line)
            return RUNE_ERR(err, RUNE_E_MALFORMED, "%s:%d: line longer than %zu bytes", path,
                            lineno, sizeof line - 1);
        memcpy(line, text + i, j - i);
        line[j - i] = 0;
        if (memchr(line, 0, j - i))
            return RUNE_ERR(err, RUNE_E_MALFORMED, "%s:%d: NUL byte in the line", path, lineno);
        rune_status st = parse_line(line, path, lineno, ts, err);
        if (st != RUNE_OK) return st;
        i = j + 1;
    }
    return RUNE_OK;
}

rune_status rune_hmr_config_load(const char *path, rune_hmr_targets *ts, rune_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "targets file %s cannot be opened", path);
    fclose(f);
    uint8_t *text = NULL;
    size_t len = 0;
    rune_status st = rune_file_read(path, &text, &len, err);
    if (st == RUNE_OK) st = rune_hmr_config_parse((const char *)text, len, path, ts, err);
    rune_free(text);
    return st;
}

void rune_hmr_config_default_path(char *out, size_t cap)
{
    const char *env = getenv("RUNE_TARGETS");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (env && *env)
        snprintf(out, cap, "%s", env);
    else if (xdg && *xdg)
        snprintf(out, cap, "%s/rune/targets", xdg);
    else
        snprintf(out, cap, "%s/.config/rune/targets", home ? home : ".");
}
