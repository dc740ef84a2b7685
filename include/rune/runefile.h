/*
 * runefile.h - Runefiles: the three syntaxes, the pipeline graph they all produce, the type
 * checker.
 *
 * A Runefile describes a pipeline: capabilities (sensors) feed proc blocks and models, whose
 * results go to outputs. Three syntaxes are accepted and give the same graph:
 *
 *   1. The Rune paper's listing, exactly as printed:
 *        FROM runicos/base
 *        CAPABILITY AUDIO audio hz 16000 samples 150 sample-size 1500
 *        PROC_BLOCK runicos/fft fft
 *        MODEL ./example.tflite model input [150,1] output 1
 *        RUN audio fft model
 *        OUT serial
 *   2. The typed text form:
 *        FROM runicos/base
 *        CAPABILITY<I16[16000]> audio SOUND --hz 16000        # comments
 *        PROC_BLOCK<I16[16000],I8[1960]> fft runicos/fft \
 *            --window 30
 *        MODEL<I8[1960],I8[4]> model ./m.tflite
 *        PROC_BLOCK<I8[4],UTF8[1]> label runicos/label --labels silence,unknown,yes,no
 *        RUN audio fft model label serial
 *        OUT serial
 *   3. Runefile.yml (YAML, version 1): see src/runefile/yml.c for the schema.
 *
 * Text syntax in detail (src/runefile/text.c):
 *   One directive per line; directives are case-insensitive. `#` at the start of a word starts a
 *   comment to the end of the line; `\` at the end of a line continues it. Words are separated by
 *   blanks; a word may hold `[...]`, `<...>` and `"..."` groups with blanks, but no newline.
 *
 *   FROM IMAGE                         the base image: exactly one, before every other directive
 *   CAPABILITY KIND NAME [k v]...      paper form: kind first, bare `key value` pairs
 *   CAPABILITY[<OUT>] NAME KIND [args] later form: name first
 *       KIND, in capitals: SOUND (AUDIO is the paper's name for it), IMAGE, ACCEL, RAND, RAW
 *   PROC_BLOCK SOURCE NAME [args]      paper order, chosen when untyped and SOURCE has a `/`, `.`
 *   PROC_BLOCK[<IN,OUT>] NAME SOURCE   or `#` and NAME has none (two plain words: paper order)
 *       SOURCE: a proc block name (runicos/fft, fft) or a path to a C file (./mine.c)
 *   MODEL PATH NAME [input DIMS] [output DIMS] [args]   paper form
 *   MODEL[<IN,OUT>] NAME PATH [args]
 *   OUT KIND [NAME] [args]             KIND serial, tensor or file; NAME defaults to KIND
 *   RESOURCE NAME --path FILE | --inline TEXT [--type string|binary]
 *   RUN A B C ...                      a chain A.0 -> B, B.0 -> C, ...
 *
 *   RUN: an element may name an output port as `name.N` (that port feeds the next stage). Several
 *   RUN lines may share stages: a stage's input ports are numbered in the order edges into it
 *   appear (fan-in); an output port may feed any number of stages (fan-out). An OUT stage that no
 *   RUN line mentions is fed by the last stage of the last RUN line (the paper's convention:
 *   `RUN audio fft model` then `OUT serial`).
 *   Arguments: `--key value`, `--key=value`, `--flag` (value "true"), bare `key value` pairs.
 *   A value `[a, b]` or one holding commas outside quotes (`silence,unknown,yes,no`) is a list.
 *   Types: `<T>` for one port, `<IN,OUT>` for one input and one output; `(T,T)` groups ports:
 *   `PROC_BLOCK<(I8[4],I8[4]),F32[2]>`. T is ELEM[DIMS], ELEM one of U8 I8 U16 I16 U32 I32 F32
 *   F64 UTF8 (any case), DIMS like [1,96,96,1]; `[DIMS]` alone means any element type, ELEM alone
 *   any shape.
 *
 * The paper's implied types (so its listing checks against a FULLY_CONNECTED [150,1] -> [1] model):
 *   CAPABILITY AUDIO/SOUND: `hz` is the sample rate and `samples` the number of 16-bit samples
 *   delivered per run, so the output is I16[samples]; without `samples` it is I16[hz * seconds]
 *   (`seconds` defaults to 1; `ms` may be given instead). `sample-size` is the capture buffer in
 *   bytes the host reserves; it must hold the samples (>= 2 * samples).
 *   MODEL `input DIMS` / `output DIMS` declare the model's input and output shapes; a bare number
 *   N means [N]. The element type is whatever the model file says.
 * Other capabilities: IMAGE `width` `height` [`pixel-format` rgb8|bgr8|grayscale, default rgb8]
 * gives U8[1,height,width,channels]; ACCEL `samples` N gives F32[N,3]; RAND `count` N (or `n`)
 * gives U8[N] (or the declared element type); RAW has only its declared type.
 *
 * Ownership: a rune_runefile owns every string and array reachable from it; free it with
 * rune_runefile_free (accepts NULL). Fields are public for reading; do not modify them except
 * through rune_runefile_typecheck, which fills the checked types.
 */
#ifndef RUNE_RUNEFILE_H
#define RUNE_RUNEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RUNE_RF_MAX_RANK 8   /* dimensions of one tensor type */
#define RUNE_RF_MAX_PORTS 16 /* inputs or outputs of one stage */
/* Size limits (RUNE_E_LIMIT beyond them): far above any real pipeline, low enough that the
 * quadratic checks (duplicate names, edges) stay instant on hostile input. */
#define RUNE_RF_MAX_STAGES 1024
#define RUNE_RF_MAX_EDGES 4096
#define RUNE_RF_MAX_ARGS 256 /* arguments of one stage */

typedef enum rune_rf_stage_kind {
    RUNE_RF_CAPABILITY = 0,
    RUNE_RF_PROC_BLOCK,
    RUNE_RF_MODEL,
    RUNE_RF_OUT,
} rune_rf_stage_kind;

/* Element types. The first group are concrete; ANY* only appear in signatures and declarations. */
typedef enum rune_rf_elem {
    RUNE_RF_ANY =
        0, /* any element type (an untyped declaration such as the paper's `input [150,1]`) */
    RUNE_RF_U8,
    RUNE_RF_I8,
    RUNE_RF_U16,
    RUNE_RF_I16,
    RUNE_RF_U32,
    RUNE_RF_I32,
    RUNE_RF_F32,
    RUNE_RF_F64,
    RUNE_RF_UTF8,      /* a tensor of strings (labels); its dims count strings */
    RUNE_RF_ANY_INT,   /* any of U8..I32 (signatures only) */
    RUNE_RF_ANY_FLOAT, /* F32 or F64 (signatures only) */
    RUNE_RF_ELEM_COUNT
} rune_rf_elem;

typedef enum rune_rf_cap_kind {
    RUNE_RF_CAP_SOUND = 0,
    RUNE_RF_CAP_IMAGE,
    RUNE_RF_CAP_ACCEL,
    RUNE_RF_CAP_RAND,
    RUNE_RF_CAP_RAW,
} rune_rf_cap_kind;

typedef enum rune_rf_out_kind {
    RUNE_RF_OUT_SERIAL = 0,
    RUNE_RF_OUT_TENSOR,
    RUNE_RF_OUT_FILE,
} rune_rf_out_kind;

/*
 * A tensor type. rank < 0 means "any shape" (signatures only). A dim of 0 means "any extent" on
 * that axis (signatures only).
 *
 * Compatibility rule (rune_rf_type_compatible), used on every edge: element types are equal, or one
 * side is ANY, or one side is ANY_INT / ANY_FLOAT and the other an integer / float type; and the
 * shapes are equal after removing leading and trailing dims of 1 from both ([1,256], [256] and
 * [256,1] are the same shape; [1,49,40,1] and [49,40] too; [49,40] and [40,49] or [1960] are not),
 * where a 0 dim matches any extent and a rank < 0 matches any shape.
 */
typedef struct rune_rf_type {
    rune_rf_elem elem;
    int rank;
    uint32_t dims[RUNE_RF_MAX_RANK];
} rune_rf_type;

/* Where something was written: file name (owned by the graph), 1-based line and column. */
typedef struct rune_rf_loc {
    const char *file;
    uint32_t line, col;
} rune_rf_loc;

/* An argument: key -> one string (n == 1, is_list == 0) or a list of n strings (is_list == 1). */
typedef struct rune_rf_arg {
    char *key;
    int is_list;
    size_t n;
    char **values;
    rune_rf_loc loc;
} rune_rf_arg;

typedef struct rune_rf_stage {
    rune_rf_stage_kind kind;
    char *name;
    char *source;    /* capability kind ("SOUND"), proc block name or path, model path, out kind */
    int subkind;     /* rune_rf_cap_kind or rune_rf_out_kind for those stages, else 0 */
    rune_rf_loc loc; /* the directive (text) or the stage's key (YAML) */
    rune_rf_arg *args; /* in the order written */
    size_t n_args;
    /* Types as written (typed form, YAML outputs:, the paper's input/output); n_* == 0: none. */
    size_t n_decl_in, n_decl_out;
    rune_rf_type decl_in[RUNE_RF_MAX_PORTS], decl_out[RUNE_RF_MAX_PORTS];
    /* Filled by rune_runefile_typecheck: the type flowing into each input port (its producer's
     * output) and the type each output port gives. */
    size_t n_in, n_out;
    rune_rf_type in[RUNE_RF_MAX_PORTS], out[RUNE_RF_MAX_PORTS];
} rune_rf_stage;

/* from.from_port feeds to.to_port (indexes into graph->stages). */
typedef struct rune_rf_edge {
    size_t from, from_port, to, to_port;
    rune_rf_loc loc; /* the word naming the consumer (text) or the inputs entry (YAML) */
} rune_rf_edge;

typedef struct rune_rf_resource {
    char *name;
    char *path; /* NULL when inline */
    char *data; /* inline text, NULL when a path */
    int binary; /* type: binary (else string) */
    rune_rf_loc loc;
} rune_rf_resource;

typedef struct rune_runefile {
    char *file;  /* the name errors use */
    char *image; /* FROM / image: */
    rune_rf_loc image_loc;
    rune_rf_stage *stages;
    size_t n_stages;
    rune_rf_edge *edges;
    size_t n_edges;
    rune_rf_resource *resources;
    size_t n_resources;
    size_t
        *order; /* n_stages indexes: a topological order (producers first, ties by declaration) */
    int typed;  /* rune_runefile_typecheck succeeded */
} rune_runefile;

/* Parse the text syntax (1 and 2) or YAML (3). file names the source in messages ("Runefile").
 * Errors: RUNE_E_MALFORMED (syntax) or RUNE_E_INVALID (graph rules), message
 * "FILE:LINE:COL: what (hint)". On success *out is a new graph the caller frees. */
rune_status rune_runefile_parse_text(const char *src, size_t len, const char *file,
                                     rune_runefile **out, rune_error *err);
rune_status rune_runefile_parse_yaml(const char *src, size_t len, const char *file,
                                     rune_runefile **out, rune_error *err);
/* Chooses by name (*.yml, *.yaml) or, failing that, content (a first directive "version:"). */
rune_status rune_runefile_parse(const char *src, size_t len, const char *file, rune_runefile **out,
                                rune_error *err);
/* Reads a file and parses it (RUNE_E_IO if unreadable). */
rune_status rune_runefile_load(const char *path, rune_runefile **out, rune_error *err);
void rune_runefile_free(rune_runefile *g);

/* Lookups: index of a stage, or -1. An argument of a stage, or NULL. */
long rune_runefile_find(const rune_runefile *g, const char *name);
const rune_rf_arg *rune_rf_stage_arg(const rune_rf_stage *st, const char *key);
/* A scalar argument as an unsigned integer; RUNE_E_NOT_FOUND if absent (*out untouched),
 * RUNE_E_INVALID (with the argument's location) if not a number in range. */
rune_status rune_rf_stage_arg_u64(const rune_rf_stage *st, const char *key, uint64_t *out,
                                  rune_error *err);

/* Names: "I16", "SOUND", "serial", "capability". Never NULL. */
const char *rune_rf_elem_name(rune_rf_elem e);
const char *rune_rf_cap_kind_name(rune_rf_cap_kind k);
const char *rune_rf_out_kind_name(rune_rf_out_kind k);
const char *rune_rf_stage_kind_name(rune_rf_stage_kind k);
/* Byte size of one element (0 for UTF8 and the ANY kinds). */
size_t rune_rf_elem_size(rune_rf_elem e);
/* Writes "I16[16000]" ("any[150,1]", "I8[*]", "F32[?,3]") into buf; returns buf. */
char *rune_rf_type_str(const rune_rf_type *t, char *buf, size_t cap);
/* Parses "I16[16000]", "i8[1,96,96,1]", "[150,1]" (any element), "F32" (any shape), "F32[]" (a
 * scalar, rank 0). Dims are positive integers below 2^31. Returns 0, or -1 if malformed. */
int rune_rf_type_parse(const char *s, size_t len, rune_rf_type *out);
/* The rule above. Elements in a compatible pair may differ only by ANY kinds. */
int rune_rf_type_compatible(const rune_rf_type *a, const rune_rf_type *b);
/* Element count (product of dims; 1 for rank 0); 0 if any dim is unknown or rank < 0. */
uint64_t rune_rf_type_count(const rune_rf_type *t);

/*
 * Type checking. The caller provides what it knows of models and proc blocks through a resolver, so
 * this part depends on neither the model engine nor the proc-block catalog. A NULL callback (or a
 * proc_block answer RUNE_E_NOT_FOUND) means "unknown": the stage's declared output types are then
 * used as they are (and must exist); undeclared input types accept whatever flows in.
 *
 * model: fill sig with the model's input and output tensor types (path as written; the resolver
 *   resolves it against the Runefile's directory).
 * proc_block: given the stage (its source and args) and the types flowing into its input ports
 *   (in[0..n_in)), fill sig with the types each input port takes (may use ANY, ANY_INT, ANY_FLOAT,
 *   rank -1, 0 dims) and the types each output gives (concrete, or ANY when it cannot tell).
 *   Returning RUNE_E_NOT_FOUND means "not a known proc block"; any other error is reported with the
 *   stage's location as prefix.
 */
typedef struct rune_rf_sig {
    size_t n_in, n_out;
    rune_rf_type in[RUNE_RF_MAX_PORTS], out[RUNE_RF_MAX_PORTS];
} rune_rf_sig;

typedef struct rune_rf_resolver {
    void *ud;
    rune_status (*model)(void *ud, const rune_rf_stage *st, rune_rf_sig *sig, rune_error *err);
    rune_status (*proc_block)(void *ud, const rune_rf_stage *st, const rune_rf_type *in,
                              size_t n_in, rune_rf_sig *sig, rune_error *err);
} rune_rf_resolver;

/*
 * Checks every stage and edge in topological order and fills each stage's in/out types. Errors
 * (RUNE_E_INVALID) name both ends of a bad edge with their locations:
 *   "audio.0 (Runefile:2:1) gives I16[16000] but fft.0 (Runefile:3:1) takes F32[16000]"
 * resolver may be NULL (declared types only).
 */
rune_status rune_runefile_typecheck(rune_runefile *g, const rune_rf_resolver *resolver,
                                    rune_error *err);

/* Graphviz DOT of the pipeline (checked types on the edges when typed). */
rune_status rune_runefile_to_dot(const rune_runefile *g, FILE *f, rune_error *err);

/*
 * Canonical dump: one line per fact, stages sorted by name, so two graphs are the same pipeline iff
 * their dumps are equal. Locations, file names and resources' origins are left out unless asked.
 * Returns the length the dump needs (excluding NUL); writes at most cap bytes, NUL-terminated.
 */
#define RUNE_RF_DUMP_LOCATIONS 1u  /* add file:line:col to stages and edges */
#define RUNE_RF_DUMP_NO_DECL_IN 2u /* leave out declared input types (YAML cannot write them) */
#define RUNE_RF_DUMP_NO_DECL 4u    /* leave out all declared types */
#define RUNE_RF_DUMP_CHECKED 8u    /* add the checked types ("takes"/"gives") of a typed graph */
size_t rune_runefile_dump(const rune_runefile *g, unsigned flags, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
