/*
 * status.h - status codes and error records shared by every part of librune.
 *
 * Every fallible function returns a rune_status and, where the caller passed one, fills a rune_error
 * with a human-readable message. Nothing in librune aborts or exits on bad input: the status is the
 * only way out. RUNE_ERR also records the source file and line where the error was born, so a
 * message can be traced to its origin.
 */
#ifndef RUNE_STATUS_H
#define RUNE_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rune_status {
    RUNE_OK = 0,
    RUNE_E_NOMEM,       /* an allocation failed */
    RUNE_E_ARG,         /* the caller passed something the API does not accept */
    RUNE_E_MALFORMED,   /* bytes that do not decode: truncated, bad magic, bad encoding */
    RUNE_E_INVALID,     /* decodes, but breaks a rule (validation, type check) */
    RUNE_E_UNSUPPORTED, /* well-formed, but uses a feature or op we do not implement */
    RUNE_E_LINK,        /* an import is missing or has the wrong type */
    RUNE_E_TRAP,        /* the guest trapped (see the part's trap kind for which trap) */
    RUNE_E_LIMIT,       /* a configured limit was hit: fuel, memory, stack, call depth */
    RUNE_E_IO,          /* a file, device or socket failed */
    RUNE_E_NOT_FOUND,   /* a name, file, export or key that is not there */
    RUNE_E_DENIED,      /* refused by policy: a capability, a signature, a permission */
    RUNE_E_VERIFY,      /* a digest or signature does not match */
    RUNE_E_PROTOCOL,    /* a peer spoke the protocol wrongly */
    RUNE_E_TIMEOUT,     /* no answer in time */
    RUNE_E_EXIT,        /* the guest asked to exit (WASI proc_exit); the code is in the error */
    RUNE_E_INTERNAL,    /* a bug in librune: please report */
    RUNE_STATUS_COUNT
} rune_status;

/* Short, stable name of a status ("malformed", "trap", ...). Never NULL. */
const char *rune_status_name(rune_status st);

#define RUNE_ERROR_MSG_MAX 256

typedef struct rune_error {
    rune_status status;
    int code;                      /* part-specific detail: trap kind, exit code, errno, ... */
    char msg[RUNE_ERROR_MSG_MAX];  /* "what went wrong, where": always NUL-terminated */
    const char *origin_file;       /* where in librune the error was born */
    int origin_line;
} rune_error;

/* Reset an error record to RUNE_OK with an empty message. Accepts NULL. */
void rune_error_clear(rune_error *err);

/* Fill err (may be NULL) and return st. Use through RUNE_ERR so the origin is recorded. */
rune_status rune_error_set_at(rune_error *err, rune_status st, const char *file, int line,
                              const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
rune_status rune_error_vset_at(rune_error *err, rune_status st, const char *file, int line,
                               const char *fmt, va_list ap);

/* Prefix the message already in err with more context: "ctx: old message". Returns err->status. */
rune_status rune_error_prefix(rune_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#define RUNE_ERR(err, st, ...) rune_error_set_at((err), (st), __FILE__, __LINE__, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
