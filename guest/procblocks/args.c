/*
 * args.c - parsing of proc-block arguments: name/value strings as the Runefile wrote them.
 *
 * Workload: a handful of arguments per block, parsed once at init. Names compare with '-' and '_'
 * treated alike (Runefiles write --window-size-ms, the YAML form window_size_ms). Every refusal
 * names the block, the argument and the accepted range.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rune_procblocks.h"

static int name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y) return 0;
        if (!x) return 1;
    }
}

const char *rune_pb_arg_get(const rune_pb_arg *args, size_t nargs, const char *name)
{
    for (size_t i = 0; i < nargs; i++)
        if (args[i].name && name_eq(args[i].name, name)) return args[i].value ? args[i].value : "";
    return NULL;
}

rune_status rune_pb_args_check(const char *block, const rune_pb_arg *args, size_t nargs,
                               const char *const *known, rune_error *err)
{
    if (nargs && !args) return RUNE_ERR(err, RUNE_E_ARG, "%s: arguments missing", block);
    for (size_t i = 0; i < nargs; i++) {
        if (!args[i].name)
            return RUNE_ERR(err, RUNE_E_ARG, "%s: argument %zu has no name", block, i);
        int found = 0;
        for (size_t k = 0; known && known[k]; k++)
            if (name_eq(args[i].name, known[k])) found = 1;
        if (!found)
            return RUNE_ERR(err, RUNE_E_ARG, "%s: unknown argument \"%s\"", block, args[i].name);
        for (size_t j = 0; j < i; j++)
            if (name_eq(args[i].name, args[j].name))
                return RUNE_ERR(err, RUNE_E_ARG, "%s: argument \"%s\" given twice", block,
                                args[i].name);
    }
    return RUNE_OK;
}

rune_status rune_pb_arg_int(const char *block, const rune_pb_arg *args, size_t nargs,
                            const char *name, long dflt, long min, long max, long *out,
                            rune_error *err)
{
    const char *v = rune_pb_arg_get(args, nargs, name);
    if (!v) {
        *out = dflt;
        return RUNE_OK;
    }
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end != 0 || errno == ERANGE)
        return RUNE_ERR(err, RUNE_E_ARG, "%s: argument %s=\"%s\" is not an integer", block, name,
                        v);
    if (x < min || x > max)
        return RUNE_ERR(err, RUNE_E_ARG, "%s: argument %s=%ld is outside %ld..%ld", block, name, x,
                        min, max);
    *out = x;
    return RUNE_OK;
}

rune_status rune_pb_arg_float(const char *block, const rune_pb_arg *args, size_t nargs,
                              const char *name, double dflt, double min, double max, double *out,
                              rune_error *err)
{
    const char *v = rune_pb_arg_get(args, nargs, name);
    if (!v) {
        *out = dflt;
        return RUNE_OK;
    }
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end != 0 || errno == ERANGE || !isfinite(x))
        return RUNE_ERR(err, RUNE_E_ARG, "%s: argument %s=\"%s\" is not a number", block, name, v);
    if (x < min || x > max)
        return RUNE_ERR(err, RUNE_E_ARG, "%s: argument %s=%g is outside %g..%g", block, name, x,
                        min, max);
    *out = x;
    return RUNE_OK;
}

rune_status rune_pb_arg_bool(const char *block, const rune_pb_arg *args, size_t nargs,
                             const char *name, int dflt, int *out, rune_error *err)
{
    const char *v = rune_pb_arg_get(args, nargs, name);
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    if (!v) {
        *out = dflt;
        return RUNE_OK;
    }
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = 1;
            return RUNE_OK;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = 0;
            return RUNE_OK;
        }
    }
    return RUNE_ERR(err, RUNE_E_ARG, "%s: argument %s=\"%s\" is not a boolean (true/false)", block,
                    name, v);
}
