/*
 * logsink.c - routes what the RunicOS host writes to its FILE streams (guest logs and host notices
 * on log_out, the rune's SERIAL output on serial_out) into LibSaga's log ring, one entry a line,
 * through glibc's fopencookie; and the agent's own notices (agent_log).
 *
 * Workload: a few lines per call. Lines longer than the ring's message size are cut by LibSaga.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent_int.h"
#include "rune/alloc.h"

typedef struct line_cookie {
    rune_agent *a;
    int level;
    const char *prefix;
    char line[RUNE_SAGA_LOG_MSG_MAX + 1];
    size_t n;
} line_cookie;

/* The host writes "[rune] level: message" (guest logs) and "[rune] host: message" (its notices,
 * e.g. denials): the ring gets the message at that level, without the name it already records. */
static const char *parse_level(const char *line, int *level)
{
    static const struct {
        const char *tag;
        int level;
    } tags[] = {{"error: ", RUNE_SAGA_ERROR}, {"warn: ", RUNE_SAGA_WARN},
                {"host: ", RUNE_SAGA_WARN},   {"info: ", RUNE_SAGA_INFO},
                {"debug: ", RUNE_SAGA_DEBUG}, {"trace: ", RUNE_SAGA_DEBUG}};
    const char *p = line;
    if (*p != '[') return line;
    p = strstr(p, "] ");
    if (!p) return line;
    p += 2;
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        size_t n = strlen(tags[i].tag);
        if (strncmp(p, tags[i].tag, n) == 0) {
            *level = tags[i].level;
            return tags[i].level == RUNE_SAGA_WARN && tags[i].tag[0] == 'h' ? p : p + n;
        }
    }
    return line;
}

static void emit(line_cookie *c)
{
    rune_agent *a = c->a;
    c->line[c->n] = '\0';
    int level = c->level;
    const char *msg = c->prefix[0] ? c->line : parse_level(c->line, &level);
    rune_saga_log(a->saga, a->saga_id, level, "%s%s", c->prefix, msg);
    if (a->opt.echo && a->opt.echo_runes)
        fprintf(a->opt.echo, "runicosd: [%s] %s%s\n", a->st.active.name, c->prefix, msg);
    c->n = 0;
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
    line_cookie *c = cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n') {
            emit(c);
        } else if (c->n < sizeof c->line - 1) {
            c->line[c->n++] = buf[i];
        }
    }
    return (ssize_t)size;
}

static int cookie_close(void *cookie)
{
    line_cookie *c = cookie;
    if (c->n) emit(c);
    rune_free(c);
    return 0;
}

static FILE *open_line_stream(rune_agent *a, int level, const char *prefix, rune_error *err)
{
    line_cookie *c = rune_calloc(1, sizeof *c);
    if (!c) {
        RUNE_ERR(err, RUNE_E_NOMEM, "agent: out of memory");
        return NULL;
    }
    c->a = a;
    c->level = level;
    c->prefix = prefix;
    cookie_io_functions_t io = {NULL, cookie_write, NULL, cookie_close};
    FILE *f = fopencookie(c, "w", io);
    if (!f) {
        rune_free(c);
        RUNE_ERR(err, RUNE_E_IO, "agent: fopencookie failed");
        return NULL;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    return f;
}

rune_status agent_logs_open(rune_agent *a, rune_error *err)
{
    a->log_file = open_line_stream(a, RUNE_SAGA_INFO, "", err);
    if (!a->log_file) return err ? err->status : RUNE_E_NOMEM;
    a->serial_file = open_line_stream(a, RUNE_SAGA_INFO, "out: ", err);
    if (!a->serial_file) return err ? err->status : RUNE_E_NOMEM;
    return RUNE_OK;
}

void agent_logs_close(rune_agent *a)
{
    if (a->log_file) fclose(a->log_file);
    if (a->serial_file) fclose(a->serial_file);
    a->log_file = a->serial_file = NULL;
}

void agent_log(rune_agent *a, int level, const char *fmt, ...)
{
    char msg[RUNE_SAGA_LOG_MSG_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (a->saga) rune_saga_log(a->saga, -1, level, "%s", msg);
    if (a->opt.echo) fprintf(a->opt.echo, "runicosd: %s\n", msg);
}
