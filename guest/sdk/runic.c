/*
 * runic.c - typed wrappers over the "runic" imports: capabilities, outputs, resources, logs.
 *
 * Workload: a few calls per pipeline run. Each wrapper checks its arguments (lengths must fit an
 * i32), calls the import, and turns a negative RUNE_ABI_E_* code into a rune_status with a message
 * naming the call; err->code keeps the ABI code (so callers can tell RUNE_ABI_E_END apart).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rune_guest.h"

rune_status rune_guest_status(int32_t abi, const char *what, rune_error *err)
{
    rune_status st;
    switch (abi) {
    case RUNE_ABI_E_INVAL:
    case RUNE_ABI_E_BAD_HANDLE:
    case RUNE_ABI_E_MEMORY: st = RUNE_E_ARG; break;
    case RUNE_ABI_E_DENIED: st = RUNE_E_DENIED; break;
    case RUNE_ABI_E_NOT_FOUND: st = RUNE_E_NOT_FOUND; break;
    case RUNE_ABI_E_IO:
    case RUNE_ABI_E_END: st = RUNE_E_IO; break;
    case RUNE_ABI_E_UNSUPPORTED: st = RUNE_E_UNSUPPORTED; break;
    case RUNE_ABI_E_LIMIT: st = RUNE_E_LIMIT; break;
    default: st = RUNE_E_INTERNAL; break;
    }
    RUNE_ERR(err, st, "%s: host returned %s (%d)", what, rune_abi_status_name(abi), (int)abi);
    if (err) err->code = abi;
    return st;
}

int32_t rune_guest_fail(rune_status st, const rune_error *err)
{
    rune_log(RUNE_LOG_ERROR, "%s", err && err->msg[0] ? err->msg : rune_status_name(st));
    switch (st) {
    case RUNE_OK: return RUNE_ABI_OK;
    case RUNE_E_DENIED: return RUNE_ABI_E_DENIED;
    case RUNE_E_NOT_FOUND: return RUNE_ABI_E_NOT_FOUND;
    case RUNE_E_IO: return RUNE_ABI_E_IO;
    case RUNE_E_UNSUPPORTED: return RUNE_ABI_E_UNSUPPORTED;
    case RUNE_E_LIMIT: return RUNE_ABI_E_LIMIT;
    default: return RUNE_ABI_E_INVAL;
    }
}

static int fits_i32(size_t n)
{
    return n <= 0x7fffffff;
}

static rune_status open_common(int is_cap, int32_t kind, const char *params, int32_t *handle,
                               rune_error *err)
{
    const char *what = is_cap ? "capability_open" : "output_open";
    const char *name = is_cap ? rune_abi_capability_name(kind) : rune_abi_output_name(kind);
    if (!handle) return RUNE_ERR(err, RUNE_E_ARG, "%s: no handle pointer", what);
    *handle = -1;
    if (!name) return RUNE_ERR(err, RUNE_E_ARG, "%s: unknown kind %d", what, (int)kind);
    size_t plen = params ? strlen(params) : 0;
    if (!fits_i32(plen)) return RUNE_ERR(err, RUNE_E_ARG, "%s: params too long", what);
    int32_t h = is_cap ? runic_capability_open(kind, params, (int32_t)plen)
                       : runic_output_open(kind, params, (int32_t)plen);
    if (h < 0) {
        rune_status st = rune_guest_status(h, what, err);
        rune_error_prefix(err, "%s %s", is_cap ? "capability" : "output", name);
        return st;
    }
    *handle = h;
    return RUNE_OK;
}

rune_status rune_capability_open(int32_t kind, const char *params, int32_t *handle, rune_error *err)
{
    return open_common(1, kind, params, handle, err);
}

rune_status rune_output_open(int32_t kind, const char *params, int32_t *handle, rune_error *err)
{
    return open_common(0, kind, params, handle, err);
}

rune_status rune_capability_read(int32_t handle, void *buf, size_t cap, size_t *n, rune_error *err)
{
    if (n) *n = 0;
    if (!buf && cap) return RUNE_ERR(err, RUNE_E_ARG, "capability_read: no buffer");
    if (!fits_i32(cap)) return RUNE_ERR(err, RUNE_E_ARG, "capability_read: buffer too large");
    int32_t r = runic_capability_read(handle, buf, (int32_t)cap);
    if (r < 0 || (size_t)r > cap) return rune_capability_read_error(r, cap, err);
    if (n) *n = (size_t)r;
    return RUNE_OK;
}

rune_status rune_capability_read_error(int32_t r, size_t want, rune_error *err)
{
    if (r < 0) return rune_guest_status(r, "capability_read", err);
    if ((size_t)r > want)
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "capability_read: host claims %d bytes of %zu",
                        (int)r, want);
    return RUNE_ERR(err, RUNE_E_IO, "capability_read: got %zu bytes, the declared shape needs %zu",
                    (size_t)r, want);
}

rune_status rune_capability_read_tensor(int32_t handle, rune_tensor *t, rune_error *err)
{
    size_t n = 0;
    if (!t) return RUNE_ERR(err, RUNE_E_ARG, "capability_read: no tensor");
    rune_status st = rune_capability_read(handle, t->data, t->len, &n, err);
    if (st != RUNE_OK) return st;
    return n == t->len ? RUNE_OK : rune_capability_read_error((int32_t)n, t->len, err);
}

rune_status rune_capability_close(int32_t handle, rune_error *err)
{
    int32_t r = runic_capability_close(handle);
    return r < 0 ? rune_guest_status(r, "capability_close", err) : RUNE_OK;
}

rune_status rune_output_write(int32_t handle, const void *data, size_t len, rune_error *err)
{
    if (!data && len) return RUNE_ERR(err, RUNE_E_ARG, "output_write: no data");
    if (!fits_i32(len))
        return RUNE_ERR(err, RUNE_E_ARG, "output_write: %zu bytes is too long", len);
    int32_t r = runic_output_write(handle, data, (int32_t)len);
    return r >= 0 && (size_t)r == len ? RUNE_OK : rune_output_write_error(r, len, err);
}

rune_status rune_output_write_error(int32_t r, size_t len, rune_error *err)
{
    if (r < 0) return rune_guest_status(r, "output_write", err);
    return RUNE_ERR(err, RUNE_E_IO, "output_write: host took %d of %zu bytes", (int)r, len);
}

rune_status rune_resource_size(const char *name, size_t *size, rune_error *err)
{
    if (!name || !size) return RUNE_ERR(err, RUNE_E_ARG, "resource_size: missing argument");
    int32_t r = runic_resource_size(name, (int32_t)strlen(name));
    if (r < 0) {
        rune_status st = rune_guest_status(r, "resource_size", err);
        rune_error_prefix(err, "resource \"%s\"", name);
        return st;
    }
    *size = (size_t)r;
    return RUNE_OK;
}

rune_status rune_resource_read(const char *name, size_t offset, void *buf, size_t cap, size_t *n,
                               rune_error *err)
{
    if (!name || !n || (!buf && cap))
        return RUNE_ERR(err, RUNE_E_ARG, "resource_read: missing argument");
    if (!fits_i32(offset) || !fits_i32(cap))
        return RUNE_ERR(err, RUNE_E_ARG, "resource_read: offset or length too large");
    int32_t r =
        runic_resource_read(name, (int32_t)strlen(name), (int32_t)offset, buf, (int32_t)cap);
    if (r < 0) {
        rune_status st = rune_guest_status(r, "resource_read", err);
        rune_error_prefix(err, "resource \"%s\"", name);
        return st;
    }
    if ((size_t)r > cap)
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "resource_read: host claims %d bytes of %zu", (int)r,
                        cap);
    *n = (size_t)r;
    return RUNE_OK;
}

void rune_log(int32_t level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    size_t len = (size_t)w < sizeof msg ? (size_t)w : sizeof msg - 1;
    runic_log(level, msg, (int32_t)len);
}
