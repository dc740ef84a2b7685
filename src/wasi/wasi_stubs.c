/*
 * wasi_stubs.c - every other wasi_snapshot_preview1 function, answering ENOSYS, so a module that
 * imports (but does not need) files, sockets or polling still links. Signatures from the preview1
 * witx, lowered to core wasm types.
 */
#include "wasi_int.h"

static rune_status enosys(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                          rune_wasm_val *results, rune_error *err)
{
    results[0].i32 = RWASI_ENOSYS;
    return RUNE_OK;
}

rune_status rwasi_define_stubs(rune_wasm_linker *l, rune_error *err)
{
    static const char *const stubs[][2] = {
        {"fd_advise", "iIIi:i"},
        {"fd_allocate", "iII:i"},
        {"fd_datasync", "i:i"},
        {"fd_fdstat_set_flags", "ii:i"},
        {"fd_fdstat_set_rights", "iII:i"},
        {"fd_filestat_get", "ii:i"},
        {"fd_filestat_set_size", "iI:i"},
        {"fd_filestat_set_times", "iIIi:i"},
        {"fd_pread", "iiiIi:i"},
        {"fd_pwrite", "iiiIi:i"},
        {"fd_readdir", "iiiIi:i"},
        {"fd_renumber", "ii:i"},
        {"fd_sync", "i:i"},
        {"fd_tell", "ii:i"},
        {"path_create_directory", "iii:i"},
        {"path_filestat_get", "iiiii:i"},
        {"path_filestat_set_times", "iiiiIIi:i"},
        {"path_link", "iiiiiii:i"},
        {"path_open", "iiiiiIIii:i"},
        {"path_readlink", "iiiiii:i"},
        {"path_remove_directory", "iii:i"},
        {"path_rename", "iiiiii:i"},
        {"path_symlink", "iiiii:i"},
        {"path_unlink_file", "iii:i"},
        {"poll_oneoff", "iiii:i"},
        {"proc_raise", "i:i"},
        {"sock_accept", "iii:i"},
        {"sock_recv", "iiiiii:i"},
        {"sock_send", "iiiii:i"},
        {"sock_shutdown", "ii:i"},
    };
    for (size_t i = 0; i < sizeof stubs / sizeof stubs[0]; i++) {
        rune_status st = rune_wasm_linker_define_func(l, "wasi_snapshot_preview1", stubs[i][0],
                                                      stubs[i][1], enosys, NULL, err);
        if (st) return st;
    }
    return RUNE_OK;
}
