/*
 * abi.h - the contract between a rune (a wasm32 guest) and the host that runs it.
 *
 * Plain C with no dependencies beyond <stdint.h>/<stddef.h>: the host (gcc, native) and the guest
 * (clang --target=wasm32-wasi) both include it, so every number below means the same on both sides.
 *
 * A rune is a wasm32 module that
 *   imports  "runic"             - capabilities (sensor input), outputs, resources and logs (below)
 *            "wasi_ephemeral_nn" - models, through the standard WASI-NN witx ABI (below)
 *            "wasi_snapshot_preview1" - only what wasi-libc needs for pure computation: a rune
 *                                   linked with the guest SDK imports fd_write (stdout/stderr
 *                                   text), fd_seek and fd_close (stdio plumbing; may fail with
 *                                   EBADF/ESPIPE), and clock_time_get / random_get if it uses them
 *   exports  "memory"            - its linear memory
 *            "_initialize"       - (optional, present when linked as a WASI reactor) call once
 * first
 *            "_manifest" : () -> i32   called once after instantiation (and _initialize): the guest
 *                                      opens its capabilities, outputs and models. 0 = ready,
 *                                      negative = a RUNE_ABI_E_* code (the rune cannot run).
 *            "_call"     : () -> i32   runs the pipeline once: reads every capability, runs the
 * proc blocks and models, writes outputs. 0 = ok, negative = error.
 *
 * All pointers are offsets into the guest's memory (i32); all lengths are bytes (i32). The host
 * must check every (ptr, len) range against the memory size and return RUNE_ABI_E_MEMORY when it
 * does not fit, never trap on a guest's bad pointer. Integers in memory are little-endian.
 */
#ifndef RUNE_ABI_H
#define RUNE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this contract; the manifest records it ("abi": 1). */
#define RUNE_ABI_VERSION 1

/* Import module names. */
#define RUNE_ABI_MODULE "runic"
#define RUNE_ABI_NN_MODULE "wasi_ephemeral_nn"

/* Export names. */
#define RUNE_ABI_EXPORT_MEMORY "memory"
#define RUNE_ABI_EXPORT_INITIALIZE "_initialize"
#define RUNE_ABI_EXPORT_MANIFEST "_manifest"
#define RUNE_ABI_EXPORT_CALL "_call"

/* ---- status codes returned by runic imports (>= 0 means success) ------------------------------
 */
typedef enum rune_abi_status {
    RUNE_ABI_OK = 0,
    RUNE_ABI_E_INVAL = -1,       /* a bad argument: unknown kind, malformed params, bad length */
    RUNE_ABI_E_DENIED = -2,      /* not declared in the manifest, or refused by device policy */
    RUNE_ABI_E_NOT_FOUND = -3,   /* no such resource / device */
    RUNE_ABI_E_BAD_HANDLE = -4,  /* handle not open (or of the wrong family) */
    RUNE_ABI_E_MEMORY = -5,      /* (ptr, len) does not lie inside the guest's memory */
    RUNE_ABI_E_IO = -6,          /* the device, file or stream failed */
    RUNE_ABI_E_UNSUPPORTED = -7, /* well-formed but this host cannot do it */
    RUNE_ABI_E_LIMIT = -8,       /* too many handles, buffer too small, output too large */
    RUNE_ABI_E_END = -9,         /* the input is exhausted (a file-fed capability ran out) */
} rune_abi_status;

/* Short name of a runic status ("denied"); "unknown" for anything else. */
static inline const char *rune_abi_status_name(int32_t st)
{
    switch (st) {
    case RUNE_ABI_OK: return "ok";
    case RUNE_ABI_E_INVAL: return "invalid argument";
    case RUNE_ABI_E_DENIED: return "denied";
    case RUNE_ABI_E_NOT_FOUND: return "not found";
    case RUNE_ABI_E_BAD_HANDLE: return "bad handle";
    case RUNE_ABI_E_MEMORY: return "bad memory range";
    case RUNE_ABI_E_IO: return "i/o error";
    case RUNE_ABI_E_UNSUPPORTED: return "unsupported";
    case RUNE_ABI_E_LIMIT: return "limit";
    case RUNE_ABI_E_END: return "end of input";
    default: return st > 0 ? "ok" : "unknown";
    }
}

/* ---- capabilities (inputs) --------------------------------------------------------------------
 */
typedef enum rune_abi_capability {
    RUNE_CAP_RAND = 1,  /* random bytes                                       -> u8[n]            */
    RUNE_CAP_SOUND = 2, /* audio samples, mono, little-endian                 -> i16[samples]     */
    RUNE_CAP_ACCEL = 3, /* accelerometer readings x,y,z                       -> f32[samples][3]  */
    RUNE_CAP_IMAGE =
        4,            /* one picture, rows top first, no padding            -> u8[h][w][channels] */
    RUNE_CAP_RAW = 5, /* opaque bytes (a file or a stream)                  -> u8[length]       */
} rune_abi_capability;
#define RUNE_CAP_COUNT 6 /* one past the last kind */

/* Lower-case name ("sound"), NULL for an unknown kind. The *_parse helpers take (s, n), accept any
 * case and return -1 if unknown ("audio" is accepted for SOUND, as the paper's Runefiles write it).
 */
static inline const char *rune_abi_capability_name(int32_t kind)
{
    switch (kind) {
    case RUNE_CAP_RAND: return "rand";
    case RUNE_CAP_SOUND: return "sound";
    case RUNE_CAP_ACCEL: return "accel";
    case RUNE_CAP_IMAGE: return "image";
    case RUNE_CAP_RAW: return "raw";
    default: return NULL;
    }
}

/* ASCII case-insensitive equality of a NUL-terminated a and (b, n); internal helper. */
static inline int rune_abi_name_eq_(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    for (; i < n && a[i]; i++) {
        char x = a[i], y = b[i];
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
    }
    return i == n && a[i] == 0;
}

static inline int32_t rune_abi_capability_parse(const char *s, size_t n)
{
    int32_t k;
    for (k = 1; k < RUNE_CAP_COUNT; k++)
        if (rune_abi_name_eq_(rune_abi_capability_name(k), s, n)) return k;
    if (rune_abi_name_eq_("audio", s, n)) return RUNE_CAP_SOUND;
    return -1;
}

/* ---- outputs ----------------------------------------------------------------------------------
 */
typedef enum rune_abi_output {
    RUNE_OUT_SERIAL = 1, /* each write is one JSON document; the host emits it as one line */
    RUNE_OUT_TENSOR = 2, /* each write is one tensor record (layout below) */
    RUNE_OUT_FILE = 3,   /* raw bytes appended to the file named by the "path" param */
} rune_abi_output;
#define RUNE_OUT_COUNT 4

static inline const char *rune_abi_output_name(int32_t kind)
{
    switch (kind) {
    case RUNE_OUT_SERIAL: return "serial";
    case RUNE_OUT_TENSOR: return "tensor";
    case RUNE_OUT_FILE: return "file";
    default: return NULL;
    }
}

static inline int32_t rune_abi_output_parse(const char *s, size_t n)
{
    int32_t k;
    for (k = 1; k < RUNE_OUT_COUNT; k++)
        if (rune_abi_name_eq_(rune_abi_output_name(k), s, n)) return k;
    return -1;
}

/* ---- element types ----------------------------------------------------------------------------
 */
typedef enum rune_abi_elem {
    RUNE_ELEM_U8 = 1,
    RUNE_ELEM_I8 = 2,
    RUNE_ELEM_U16 = 3,
    RUNE_ELEM_I16 = 4,
    RUNE_ELEM_U32 = 5,
    RUNE_ELEM_I32 = 6,
    RUNE_ELEM_F32 = 7,
    RUNE_ELEM_F64 = 8,
} rune_abi_elem;
#define RUNE_ELEM_COUNT 9

/* Size in bytes of one element; 0 for an unknown type. */
static inline size_t rune_abi_elem_size(int32_t t)
{
    switch (t) {
    case RUNE_ELEM_U8:
    case RUNE_ELEM_I8: return 1;
    case RUNE_ELEM_U16:
    case RUNE_ELEM_I16: return 2;
    case RUNE_ELEM_U32:
    case RUNE_ELEM_I32:
    case RUNE_ELEM_F32: return 4;
    case RUNE_ELEM_F64: return 8;
    default: return 0;
    }
}

/* Lower-case names as Runefiles write them ("u8", "i16", "f32"); NULL if unknown. */
static inline const char *rune_abi_elem_name(int32_t t)
{
    switch (t) {
    case RUNE_ELEM_U8: return "u8";
    case RUNE_ELEM_I8: return "i8";
    case RUNE_ELEM_U16: return "u16";
    case RUNE_ELEM_I16: return "i16";
    case RUNE_ELEM_U32: return "u32";
    case RUNE_ELEM_I32: return "i32";
    case RUNE_ELEM_F32: return "f32";
    case RUNE_ELEM_F64: return "f64";
    default: return NULL;
    }
}

static inline int32_t rune_abi_elem_parse(const char *s, size_t n)
{
    int32_t k;
    for (k = 1; k < RUNE_ELEM_COUNT; k++)
        if (rune_abi_name_eq_(rune_abi_elem_name(k), s, n)) return k;
    return -1;
}

/* ---- log levels -------------------------------------------------------------------------------
 */
typedef enum rune_abi_log_level {
    RUNE_LOG_ERROR = 1,
    RUNE_LOG_WARN = 2,
    RUNE_LOG_INFO = 3,
    RUNE_LOG_DEBUG = 4,
    RUNE_LOG_TRACE = 5,
} rune_abi_log_level;

/* ---- image pixel formats (IMAGE capability param "pixel_format") --------------------------------
 */
typedef enum rune_abi_pixel_format {
    RUNE_PIXEL_RGB8 = 1,  /* 3 bytes a pixel */
    RUNE_PIXEL_BGR8 = 2,  /* 3 bytes a pixel */
    RUNE_PIXEL_GRAY8 = 3, /* 1 byte a pixel */
    RUNE_PIXEL_RGBA8 = 4, /* 4 bytes a pixel */
} rune_abi_pixel_format;

static inline int rune_abi_pixel_channels(int32_t fmt)
{
    switch (fmt) {
    case RUNE_PIXEL_RGB8:
    case RUNE_PIXEL_BGR8: return 3;
    case RUNE_PIXEL_GRAY8: return 1;
    case RUNE_PIXEL_RGBA8: return 4;
    default: return 0;
    }
}

/*
 * ---- params byte strings ----------------------------------------------------------------------
 * capability_open and output_open take params as UTF-8 text: `key=value` pairs separated by '\n'
 * (a trailing '\n' is allowed; no escaping; keys are [a-z0-9_]+; values contain no '\n'). The host
 * ignores keys it does not know only if they start with "x_"; any other unknown key is
 * RUNE_ABI_E_INVAL. Numbers are decimal. Known keys:
 *   SOUND  hz=16000  samples=16000 (per read)  [sample_size=N: the paper's ring size, informative]
 *   ACCEL  samples=N (readings per read)
 *   IMAGE  width=W  height=H  pixel_format=<rgb8|bgr8|gray8|rgba8 or its number>
 *   RAND   n=N (bytes per read)
 *   RAW    length=N (bytes per read)
 *   every capability: source=<name> lets a host pick one of several devices or files.
 *   FILE output: path=<relative file name>
 */
#define RUNE_ABI_PARAM_SEP '\n'

/*
 * ---- TENSOR output record -----------------------------------------------------------------------
 *   u32 elem (rune_abi_elem) | u32 rank | u32 dims[rank] | data (product(dims) * elem size bytes)
 * all little-endian, packed; rank <= RUNE_ABI_MAX_RANK.
 */
#define RUNE_ABI_MAX_RANK 8

/*
 * ---- the "runic" imports ------------------------------------------------------------------------
 * Signatures as wasm types; "->" what the i32 result means.
 *
 *   capability_open(kind:i32, params_ptr:i32, params_len:i32) -> i32
 *       handle >= 0, or RUNE_ABI_E_INVAL (unknown kind, bad params), E_DENIED (not in the manifest
 *       or refused by policy), E_UNSUPPORTED (this device has none), E_LIMIT (too many handles).
 *   capability_read(handle:i32, buf_ptr:i32, buf_len:i32) -> i32
 *       bytes written (one reading of the declared shape, at most buf_len), or E_BAD_HANDLE,
 *       E_MEMORY, E_LIMIT (buf_len smaller than one reading), E_IO, E_END (input exhausted).
 *   capability_close(handle:i32) -> i32                0 or E_BAD_HANDLE
 *   output_open(kind:i32, params_ptr:i32, params_len:i32) -> i32    handle or error, as above
 *   output_write(handle:i32, ptr:i32, len:i32) -> i32  bytes accepted (== len), or E_BAD_HANDLE,
 *       E_MEMORY, E_INVAL (a TENSOR record that does not parse), E_LIMIT, E_IO
 *   output_close(handle:i32) -> i32                    0 or E_BAD_HANDLE
 *   resource_size(name_ptr:i32, name_len:i32) -> i32   size in bytes of the rune's resource NAME
 *       (custom section rune.resource.NAME), or E_NOT_FOUND, E_MEMORY
 *   resource_read(name_ptr:i32, name_len:i32, offset:i32, buf_ptr:i32, buf_len:i32) -> i32
 *       bytes copied from offset (0 at the end), or E_NOT_FOUND, E_MEMORY, E_INVAL (offset < 0)
 *   log(level:i32, ptr:i32, len:i32) -> ()             a UTF-8 message; never fails (a bad range
 *       or level is dropped by the host, which may record that it happened)
 */
#define RUNE_ABI_IMPORT_CAPABILITY_OPEN "capability_open"   /* "iii:i" */
#define RUNE_ABI_IMPORT_CAPABILITY_READ "capability_read"   /* "iii:i" */
#define RUNE_ABI_IMPORT_CAPABILITY_CLOSE "capability_close" /* "i:i"   */
#define RUNE_ABI_IMPORT_OUTPUT_OPEN "output_open"           /* "iii:i" */
#define RUNE_ABI_IMPORT_OUTPUT_WRITE "output_write"         /* "iii:i" */
#define RUNE_ABI_IMPORT_OUTPUT_CLOSE "output_close"         /* "i:i"   */
#define RUNE_ABI_IMPORT_RESOURCE_SIZE "resource_size"       /* "ii:i"  */
#define RUNE_ABI_IMPORT_RESOURCE_READ "resource_read"       /* "iiiii:i" */
#define RUNE_ABI_IMPORT_LOG "log"                           /* "iii:"  */

/* The same list as a table (name, signature in rune/wasm.h's letter notation), for hosts that
 * define or check every import in a loop. */
typedef struct rune_abi_import_desc {
    const char *name;
    const char *sig;
} rune_abi_import_desc;

#define RUNE_ABI_RUNIC_IMPORTS                                                                     \
    {                                                                                              \
        {RUNE_ABI_IMPORT_CAPABILITY_OPEN, "iii:i"}, {RUNE_ABI_IMPORT_CAPABILITY_READ, "iii:i"},    \
            {RUNE_ABI_IMPORT_CAPABILITY_CLOSE, "i:i"}, {RUNE_ABI_IMPORT_OUTPUT_OPEN, "iii:i"},     \
            {RUNE_ABI_IMPORT_OUTPUT_WRITE, "iii:i"}, {RUNE_ABI_IMPORT_OUTPUT_CLOSE, "i:i"},        \
            {RUNE_ABI_IMPORT_RESOURCE_SIZE, "ii:i"}, {RUNE_ABI_IMPORT_RESOURCE_READ, "iiiii:i"},   \
            {RUNE_ABI_IMPORT_LOG, "iii:"},                                                         \
    }
#define RUNE_ABI_RUNIC_IMPORT_COUNT 9

/*
 * ---- WASI-NN (module "wasi_ephemeral_nn", witx ABI) ---------------------------------------------
 * Every function returns an nn errno (i32, below); results go through out-pointers.
 *
 *   load(builders_ptr:i32, builders_len:i32, encoding:i32, target:i32, graph_out_ptr:i32) -> errno
 *       builders: array of builders_len graph_builder {u32 ptr; u32 len} (8 bytes each); for
 *       tensorflowlite exactly one: the .tflite bytes. Writes the u32 graph handle.
 *   load_by_name(name_ptr:i32, name_len:i32, graph_out_ptr:i32) -> errno
 *       a model the rune carries (custom section rune.model.NAME) or the host knows by name.
 *   init_execution_context(graph:i32, ctx_out_ptr:i32) -> errno       writes the u32 context
 *   set_input(ctx:i32, index:i32, tensor_ptr:i32) -> errno             tensor layout below
 *   compute(ctx:i32) -> errno
 *   get_output(ctx:i32, index:i32, out_ptr:i32, out_max_len:i32, bytes_written_ptr:i32) -> errno
 *
 * tensor (20 bytes on wasm32):
 *   +0  u32 dims_ptr   +4 u32 dims_len (count of u32 dims)
 *   +8  u8  type (rune_abi_nn_type), 3 bytes padding
 *   +12 u32 data_ptr   +16 u32 data_len (bytes)
 * int8 model tensors travel as RUNE_NN_TYPE_U8 bytes; the host checks byte length and shape against
 * the model's tensor (and that an int8 tensor was given u8 data).
 */
typedef enum rune_abi_nn_errno {
    RUNE_NN_SUCCESS = 0,
    RUNE_NN_INVALID_ARGUMENT = 1,
    RUNE_NN_INVALID_ENCODING = 2,
    RUNE_NN_MISSING_MEMORY = 3,
    RUNE_NN_BUSY = 4,
    RUNE_NN_RUNTIME_ERROR = 5,
    RUNE_NN_UNSUPPORTED_OPERATION = 6,
    RUNE_NN_TOO_LARGE = 7,
    RUNE_NN_NOT_FOUND = 8,
} rune_abi_nn_errno;

typedef enum rune_abi_nn_encoding {
    RUNE_NN_ENCODING_OPENVINO = 0,
    RUNE_NN_ENCODING_ONNX = 1,
    RUNE_NN_ENCODING_TENSORFLOW = 2,
    RUNE_NN_ENCODING_PYTORCH = 3,
    RUNE_NN_ENCODING_TENSORFLOWLITE = 4,
} rune_abi_nn_encoding;

typedef enum rune_abi_nn_target {
    RUNE_NN_TARGET_CPU = 0,
    RUNE_NN_TARGET_GPU = 1,
    RUNE_NN_TARGET_TPU = 2,
} rune_abi_nn_target;

typedef enum rune_abi_nn_type {
    RUNE_NN_TYPE_F16 = 0,
    RUNE_NN_TYPE_F32 = 1,
    RUNE_NN_TYPE_U8 = 2,
    RUNE_NN_TYPE_I32 = 3,
} rune_abi_nn_type;

#define RUNE_ABI_NN_IMPORT_LOAD "load"                           /* "iiiii:i" */
#define RUNE_ABI_NN_IMPORT_LOAD_BY_NAME "load_by_name"           /* "iii:i"   */
#define RUNE_ABI_NN_IMPORT_INIT_CONTEXT "init_execution_context" /* "ii:i" */
#define RUNE_ABI_NN_IMPORT_SET_INPUT "set_input"                 /* "iii:i"   */
#define RUNE_ABI_NN_IMPORT_COMPUTE "compute"                     /* "i:i"     */
#define RUNE_ABI_NN_IMPORT_GET_OUTPUT "get_output"               /* "iiiii:i" */

#define RUNE_ABI_NN_IMPORTS                                                                        \
    {                                                                                              \
        {RUNE_ABI_NN_IMPORT_LOAD, "iiiii:i"}, {RUNE_ABI_NN_IMPORT_LOAD_BY_NAME, "iii:i"},          \
            {RUNE_ABI_NN_IMPORT_INIT_CONTEXT, "ii:i"}, {RUNE_ABI_NN_IMPORT_SET_INPUT, "iii:i"},    \
            {RUNE_ABI_NN_IMPORT_COMPUTE, "i:i"}, {RUNE_ABI_NN_IMPORT_GET_OUTPUT, "iiiii:i"},       \
    }
#define RUNE_ABI_NN_IMPORT_COUNT 6

/* Byte offsets inside the 20-byte wasm32 tensor record. */
#define RUNE_ABI_NN_TENSOR_SIZE 20
#define RUNE_ABI_NN_TENSOR_DIMS_PTR 0
#define RUNE_ABI_NN_TENSOR_DIMS_LEN 4
#define RUNE_ABI_NN_TENSOR_TYPE 8
#define RUNE_ABI_NN_TENSOR_DATA_PTR 12
#define RUNE_ABI_NN_TENSOR_DATA_LEN 16

#ifdef __cplusplus
}
#endif
#endif
