/*
 * aot_trap_loc.c - where an AOT trap happened: the wasm function and code offset, as the
 * interpreter reports them ("trap: <kind> (func N, offset 0xOFF)"), from the line of the generated
 * file (mi.c) the trap site is on.
 *
 * Lines to functions and offsets: aot_instrument.c appends rw_fn_lines (the wasm function of each C
 * definition) and aot_sites.c rw_trap_sites (line -> wasm offset, for every function whose wasm
 * and C trap sites were matched one to one; with each site's class: load, store, call_indirect,
 * direct call of function N, other).
 *
 * Where the line comes from, per kind of trap:
 *   - TRAP (divide, conversion, unreachable), call_indirect, explicit bounds checks: __LINE__ of
 *     the site, stored in the object's rw_trap_line by the glue; a bulk-memory or table helper's
 *     failure takes the line of its caller. Exact, with or without libdw.
 *   - Out-of-bounds accesses caught by the guard pages: only a code address (SIGSEGV). Objects are
 *     compiled with -g1 (line tables: no cost in the code, ~+60% object size), so libdw maps the
 *     address to a line even inside inlined code. The compiler may have folded the load into
 *     another statement's instruction (an add, a conversion, a read-modify-write store): the line
 *     is taken only if its site is an access of the fault's direction (x86 page-fault error code),
 *     else the trap names the function only. The glue turns off gcc's code hoisting, tail merging
 *     and cross-jumping, which merge identical accesses of different wasm instructions (the same
 *     load in both arms of an if). Known limit: two loads that can both fault may be reordered, so
 *     a fault may name the second one where the interpreter names the first.
 *   - Call-stack exhaustion (the depth check in the callee's entry): named, as on the interpreter,
 *     by the call that entered the callee: the DWARF scopes at the trap say whether the entry was
 *     inlined (the call is the line it was inlined from) or not (the call is where the frame
 *     returns, found by unwinding); that line must be a call of the callee or a call_indirect. When
 *     the compiler cloned the function (the scope's call line is its own definition) or libdw is
 *     missing, the trap names the callee only, where the interpreter names the caller.
 *   - Fuel: metered per loop back-edge and function entry in slices (aot_instrument.c), not per
 *     instruction, so it runs out elsewhere than on the interpreter: the function only.
 * Without libdw guard-page faults name no function ("func ?").
 * Workload: only on a trap; the object's DWARF is opened on its first use and kept until unload.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef RUNE_AOT_HAVE_DW
#include <dwarf.h>
#include <elfutils/libdw.h>
#endif

#include "aot_int.h"

const void *rw_aot_fault_pc(void *ucontext)
{
    const ucontext_t *uc = ucontext;
    if (!uc) return NULL;
#if defined(__x86_64__)
    return (const void *)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (const void *)uc->uc_mcontext.pc;
#else
    return NULL;
#endif
}

#ifdef RUNE_AOT_HAVE_DW
/* The line of mi.c that address addr (relative to the object's base) belongs to, or 0. */
static uint32_t line_of(rw_aot_object *obj, uintptr_t addr)
{
    if (!obj->dw) {
        if (obj->dw_failed || !obj->path) return 0;
        int fd = open(obj->path, O_RDONLY | O_CLOEXEC);
        Dwarf *dw = fd >= 0 ? dwarf_begin(fd, DWARF_C_READ) : NULL;
        if (!dw) {
            if (fd >= 0) close(fd);
            obj->dw_failed = 1;
            return 0;
        }
        obj->dw = dw;
        obj->dw_fd = fd;
    }
    Dwarf_Die cu;
    if (!dwarf_addrdie(obj->dw, (Dwarf_Addr)addr, &cu)) return 0;
    Dwarf_Line *l = dwarf_getsrc_die(&cu, (Dwarf_Addr)addr);
    int line = 0;
    if (!l || dwarf_lineno(l, &line) != 0 || line <= 0) return 0;
    const char *file = dwarf_linesrc(l, NULL, NULL);
    const char *slash = file ? strrchr(file, '/') : NULL;
    const char *base = slash ? slash + 1 : file;
    if (!base || strcmp(base, "mi.c") != 0) return 0;
    return (uint32_t)line;
}
#endif

long rw_aot_func_of_line(const struct rw_aot_module_info *info, uint32_t line)
{
    if (!info || !line) return -1;
    const uint32_t *fl = info->fn_lines;
    size_t lo = 0, hi = info->n_fn_lines; /* last definition starting at or before line */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fl[2 * mid] <= line)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || fl[2 * (lo - 1) + 1] == UINT32_MAX) return -1;
    return (long)fl[2 * (lo - 1) + 1];
}

int rw_aot_fault_access(void *ucontext)
{
#if defined(__x86_64__)
    const ucontext_t *uc = ucontext;
    if (!uc) return 3;
    /* the page-fault error code: bit 1 set for a write */
    return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? RW_AOT_SITE_STORE : RW_AOT_SITE_LOAD;
#else
    (void)ucontext;
    return 3;
#endif
}

/* The {line, offset, class} entry of rw_trap_sites for line (sorted by line), or NULL. */
static const uint32_t *site_at(const struct rw_aot_module_info *info, uint32_t line)
{
    const uint32_t *ts = info->trap_sites;
    size_t lo = 0, hi = info->n_trap_sites;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts[3 * mid] < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < info->n_trap_sites && ts[3 * lo] == line ? &ts[3 * lo] : NULL;
}

long rw_aot_offset_at(const struct rw_aot_module_info *info, long func, uint32_t line, int access)
{
    if (!info || !line || func < 0 || access < 0 || access > 3) return -1;
    if (rw_aot_func_of_line(info, line) != func) return -1;
    const uint32_t *e = site_at(info, line);
    if (!e) return -1;
    uint32_t cls = e[2];
    /* A fault's line comes from the line table, where the compiler may have folded a load into
     * the instruction of another statement (an x[i] += v read-modify-write sits on the store's
     * line, a load into a divide on the divide's): only an access of the fault's direction is
     * taken. */
    if (access == 3 ? cls != RW_AOT_SITE_LOAD && cls != RW_AOT_SITE_STORE
                    : access != 0 && cls != (uint32_t)access)
        return -1;
    return (long)e[1];
}

long rw_aot_call_site(rw_aot_object *obj, long callee, const void *pc, const void *ra, long *caller)
{
    *caller = -1;
#ifdef RUNE_AOT_HAVE_DW
    if (!obj || !obj->info || callee < 0 || !pc || !ra) return -1;
    Dl_info at, self;
    if (!dladdr(pc, &at) || !dladdr(obj->info, &self) || at.dli_fbase != self.dli_fbase) return -1;
    uintptr_t base = (uintptr_t)at.dli_fbase;
    uintptr_t addr = (uintptr_t)pc - base;
    if (addr) addr--;
    if (!line_of(obj, addr)) return -1; /* opens the DWARF */
    Dwarf_Die cu, *scopes = NULL;
    if (!dwarf_addrdie(obj->dw, (Dwarf_Addr)addr, &cu)) return -1;
    int n = dwarf_getscopes(&cu, (Dwarf_Addr)addr, &scopes);
    char want[32];
    snprintf(want, sizeof want, "w2c_f%ld", callee);
    uint32_t line = 0;
    int found = 0;
    for (int i = 0; i < n && !found; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
        const char *name = dwarf_diename(&scopes[i]);
        if (!name || strcmp(name, want) != 0) continue;
        found = 1;
        if (tag == DW_TAG_inlined_subroutine) {
            /* the callee's entry was inlined: its call is the statement it was inlined from */
            Dwarf_Attribute a;
            Dwarf_Word w = 0;
            if (dwarf_attr(&scopes[i], DW_AT_call_line, &a) && dwarf_formudata(&a, &w) == 0 &&
                w <= UINT32_MAX)
                line = (uint32_t)w;
        } else {
            /* a frame of its own: the call is where it returns to */
            uintptr_t r = (uintptr_t)ra;
            if (dladdr(ra, &at) && (uintptr_t)at.dli_fbase == base && r > base)
                line = line_of(obj, r - base - 1);
        }
    }
    free(scopes);
    if (!line) return -1;
    long f = rw_aot_func_of_line(obj->info, line);
    if (f < 0) return -1;
    const uint32_t *e = site_at(obj->info, line);
    if (!e) return -1;
    uint32_t cls = e[2];
    if (cls != RW_AOT_SITE_CALL_INDIRECT &&
        (cls < RW_AOT_SITE_CALL || cls - RW_AOT_SITE_CALL != (uint32_t)callee))
        return -1;
    *caller = f;
    return (long)e[1];
#else
    (void)obj;
    (void)callee;
    (void)pc;
    (void)ra;
    return -1;
#endif
}

long rw_aot_func_at(rw_aot_object *obj, const void *pc, int is_return, uint32_t *line)
{
    *line = 0;
#ifdef RUNE_AOT_HAVE_DW
    if (!obj || !obj->info || !pc) return -1;
    Dl_info at, self;
    if (!dladdr(pc, &at) || !dladdr(obj->info, &self) || at.dli_fbase != self.dli_fbase)
        return -1; /* not code of this object */
    uintptr_t addr = (uintptr_t)pc - (uintptr_t)at.dli_fbase;
    if (is_return && addr) addr--; /* inside the call instruction, not after it */
    *line = line_of(obj, addr);
    return rw_aot_func_of_line(obj->info, *line);
#else
    (void)obj;
    (void)pc;
    (void)is_return;
    return -1;
#endif
}

void rw_aot_trap_loc_close(rw_aot_object *obj)
{
#ifdef RUNE_AOT_HAVE_DW
    if (obj->dw) {
        dwarf_end(obj->dw);
        close(obj->dw_fd);
    }
#endif
    obj->dw = NULL;
    obj->dw_fd = -1;
    obj->dw_failed = 0;
}
