/*
 * status.c - names of status codes and the error record helpers declared in rune/status.h.
 */
#include "rune/status.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[RUNE_STATUS_COUNT] = {
    [RUNE_OK] = "ok",
    [RUNE_E_NOMEM] = "out of memory",
    [RUNE_E_ARG] = "bad argument",
    [RUNE_E_MALFORMED] = "malformed",
    [RUNE_E_INVALID] = "invalid",
    [RUNE_E_UNSUPPORTED] = "unsupported",
    [RUNE_E_LINK] = "link error",
    [RUNE_E_TRAP] = "trap",
    [RUNE_E_LIMIT] = "limit exceeded",
    [RUNE_E_IO] = "i/o error",
    [RUNE_E_NOT_FOUND] = "not found",
    [RUNE_E_DENIED] = "denied",
    [RUNE_E_VERIFY] = "verification failed",
    [RUNE_E_PROTOCOL] = "protocol error",
    [RUNE_E_TIMEOUT] = "timeout",
    [RUNE_E_EXIT] = "exit",
    [RUNE_E_INTERNAL] = "internal error",
};

const char *rune_status_name(rune_status st)
{
    if ((unsigned)st >= RUNE_STATUS_COUNT) return "unknown status";
    return status_names[st];
}

void rune_error_clear(rune_error *err)
{
    /* Field by field, not memset: engines clear an error record on every host call. */
    if (!err) return;
    err->status = RUNE_OK;
    err->code = 0;
    err->msg[0] = '\0';
    err->origin_file = NULL;
    err->origin_line = 0;
}

rune_status rune_error_vset_at(rune_error *err, rune_status st, const char *file, int line,
                               const char *fmt, va_list ap)
{
    if (!err) return st;
    err->status = st;
    err->origin_file = file;
    err->origin_line = line;
    if (fmt)
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    else
        snprintf(err->msg, sizeof err->msg, "%s", rune_status_name(st));
    return st;
}

rune_status rune_error_set_at(rune_error *err, rune_status st, const char *file, int line,
                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rune_error_vset_at(err, st, file, line, fmt, ap);
    va_end(ap);
    return st;
}

rune_status rune_error_prefix(rune_error *err, const char *fmt, ...)
{
    if (!err) return RUNE_OK;
    char prefix[RUNE_ERROR_MSG_MAX];
    char old[RUNE_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is acceptable: the message stays NUL-terminated and the start is the context. */
    size_t n = strlen(prefix);
    memcpy(err->msg, prefix, n);
    size_t at = n;
    if (at + 2 < sizeof err->msg) {
        err->msg[at++] = ':';
        err->msg[at++] = ' ';
    }
    size_t rest = strlen(old);
    if (rest > sizeof err->msg - 1 - at) rest = sizeof err->msg - 1 - at;
    memcpy(err->msg + at, old, rest);
    err->msg[at + rest] = '\0';
    return err->status;
}
