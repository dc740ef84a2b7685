/*
 * test_runefile_errors.c - every kind of bad Runefile, text and YAML: the status, the exact
 * file:line:column and the words of the message (with the suggested name where one is close).
 * Nothing may leak on any of these paths.
 */
#include "rf_helpers.h"

typedef struct bad_case {
    const char *src;
    rune_status status;
    const char *where; /* the message must start with this */
    const char *says;  /* and contain this */
} bad_case;

static const bad_case text_cases[] = {
    /* unknown directive, with a suggestion */
    {"FROM x\nCAPABILTY AUDIO audio hz 1\n", RUNE_E_MALFORMED,
     "Runefile:2:1: ", "unknown directive 'CAPABILTY'"},
    {"FROM x\nCAPABILTY AUDIO audio hz 1\n", RUNE_E_MALFORMED,
     "Runefile:2:1: ", "(did you mean 'CAPABILITY'?)"},
    {"FROM x\nFOO bar\n", RUNE_E_MALFORMED, "Runefile:2:1: ", "expected FROM, CAPABILITY"},
    {"image: runicos/base\nversion: 1\n", RUNE_E_MALFORMED, "Runefile:1:1: ",
     "unknown directive 'image:': expected FROM, CAPABILITY, PROC_BLOCK, MODEL, RUN, OUT or "
     "RESOURCE (YAML? name the file Runefile.yml or start it with `version: 1`)"},
    /* capability kinds */
    {"FROM x\nCAPABILITY AUDO audio hz 16000\n", RUNE_E_MALFORMED, "Runefile:2:12: ",
     "expected a capability kind such as SOUND, IMAGE, ACCEL, RAND, RAW; got 'AUDO' (did you "
     "mean 'AUDIO'?)"},
    {"FROM x\nCAPABILITY<I16[1]> audio SOUDN\n", RUNE_E_MALFORMED,
     "Runefile:2:26: ", "got 'SOUDN' (did you mean 'SOUND'?)"},
    {"FROM x\nCAPABILITY audio microphone\n", RUNE_E_MALFORMED,
     "Runefile:2:18: ", "got 'microphone'"},
    /* output kinds */
    {"FROM x\nOUT serail\n", RUNE_E_MALFORMED, "Runefile:2:5: ",
     "expected an output kind such as serial, tensor, file; got 'serail' (did you mean 'serial'?)"},
    /* bad types and dims */
    {"FROM x\nCAPABILITY<I17[16000]> audio SOUND\n", RUNE_E_MALFORMED,
     "Runefile:2:12: ", "bad type 'I17[16000]': expected an element type such as U8"},
    {"FROM x\nCAPABILITY<I17[16000]> audio SOUND\n", RUNE_E_MALFORMED,
     "Runefile:2:12: ", "(did you mean 'I16'?)"},
    {"FROM x\nPROC_BLOCK<I16[16000],F23[3]> p q\n", RUNE_E_MALFORMED,
     "Runefile:2:23: ", "bad type 'F23[3]'"},
    {"FROM x\nCAPABILITY<I16[16x00]> audio SOUND\n", RUNE_E_MALFORMED,
     "Runefile:2:18: ", "bad dimensions in 'I16[16x00]'"},
    {"FROM x\nCAPABILITY<I16[0]> audio SOUND\n", RUNE_E_MALFORMED,
     "Runefile:2:16: ", "bad dimensions"},
    {"FROM x\nMODEL<I8[1],I8[1,,2]> m ./m.tflite\n", RUNE_E_MALFORMED,
     "Runefile:2:18: ", "bad dimensions in 'I8[1,,2]'"},
    {"FROM x\nMODEL ./m.tflite m input [150,x]\n", RUNE_E_MALFORMED,
     "Runefile:2:20: ", "bad input shape for model 'm'"},
    {"FROM x\nCAPABILITY<I16[1],I16[2]> a SOUND\n", RUNE_E_MALFORMED,
     "Runefile:2:12: ", "a capability has only outputs"},
    {"FROM x\nPROC_BLOCK<I16[1]> p q\n", RUNE_E_MALFORMED,
     "Runefile:2:12: ", "expected <INPUT,OUTPUT> types"},
    {"FROM x\nPROC_BLOCK<I16[1],I8[2] p q\n", RUNE_E_MALFORMED,
     "Runefile:2:11: ", "unterminated list: '<' has no matching '>'"},
    {"FROM x\nPROC_BLOCK<I8[4],I8[2],I8[3]> p q\n", RUNE_E_MALFORMED,
     "Runefile:2:24: ", "too many types"},
    {"FROM x\nPROC_BLOCK<I8[4], > p q\n", RUNE_E_MALFORMED, "Runefile:2:19: ", "missing type"},
    {"FROM x\nPROC_BLOCK<(I8[4] I8[2]),F32> p q\n", RUNE_E_MALFORMED,
     "Runefile:2:18: ", "bad dimensions in 'I8[4] I8[2]'"},
    /* unterminated lists and strings */
    {"FROM x\nPROC_BLOCK p q --labels [a, b\nRUN p\n", RUNE_E_MALFORMED,
     "Runefile:2:25: ", "unterminated list: '[' has no matching ']' before the end of the line"},
    {"FROM x\nPROC_BLOCK p q --name \"abc\n", RUNE_E_MALFORMED,
     "Runefile:2:23: ", "unterminated string"},
    {"FROM x\nPROC_BLOCK p q --labels a]\n", RUNE_E_MALFORMED,
     "Runefile:2:26: ", "']' without a matching opening bracket"},
    {"FROM x\nPROC_BLOCK p q --labels a,,b\n", RUNE_E_MALFORMED,
     "Runefile:2:27: ", "empty item in the list 'a,,b'"},
    {"FROM x\nCAPABILITY AUDIO audio hz\n", RUNE_E_MALFORMED,
     "Runefile:2:24: ", "argument 'hz' has no value"},
    {"FROM x\nCAPABILITY AUDIO audio --hz 1 --hz 2\n", RUNE_E_INVALID,
     "Runefile:2:31: ", "argument 'hz' given twice to 'audio'; first at Runefile:2:24"},
    /* missing FROM, FROM twice or late */
    {"CAPABILITY AUDIO audio hz 16000\nRUN audio\n", RUNE_E_INVALID,
     "Runefile:1:1: ", "missing FROM"},
    {"# only a comment\n\n", RUNE_E_INVALID, "Runefile:1:1: ", "missing FROM"},
    {"\n\n   OUT serial\n", RUNE_E_INVALID, "Runefile:3:4: ", "missing FROM"},
    {"FROM x\nFROM y\n", RUNE_E_INVALID,
     "Runefile:2:1: ", "a second FROM; the base image was given at Runefile:1:6"},
    {"FROM\n", RUNE_E_MALFORMED, "Runefile:1:1: ", "FROM takes one image name"},
    /* unknown stage, with a suggestion */
    {"FROM x\nCAPABILITY AUDIO audio hz 1\nPROC_BLOCK runicos/fft fft\nRUN audio ftt\n",
     RUNE_E_INVALID, "Runefile:4:11: ", "unknown stage 'ftt' (did you mean 'fft'?)"},
    {"FROM x\nCAPABILITY AUDIO audio hz 1\nRUN audio zebra\n", RUNE_E_INVALID,
     "Runefile:3:11: ", "unknown stage 'zebra': no stage of that name is declared"},
    /* the nearest of several close names */
    {"FROM x\nPROC_BLOCK a.c model1\nPROC_BLOCK b.c model\nRUN model1 modle\n", RUNE_E_INVALID,
     "Runefile:4:12: ", "unknown stage 'modle' (did you mean 'model'?)"},
    /* duplicate names, both places */
    {"FROM x\nCAPABILITY AUDIO audio hz 1\nPROC_BLOCK fft audio\n", RUNE_E_INVALID,
     "Runefile:3:1: ", "duplicate stage name 'audio'; first declared at Runefile:2:1"},
    {"FROM x\nOUT serial\nOUT serial\n", RUNE_E_INVALID,
     "Runefile:3:1: ", "duplicate stage name 'serial'; first declared at Runefile:2:1"},
    /* cycles, naming the stages */
    {"FROM x\nPROC_BLOCK a.c a\nPROC_BLOCK b.c b\nPROC_BLOCK c.c c\nRUN a b c a\n", RUNE_E_INVALID,
     "Runefile:5:", "cycle in the pipeline: "},
    {"FROM x\nPROC_BLOCK a.c a\nPROC_BLOCK b.c b\nRUN a b\nRUN b a\n", RUNE_E_INVALID,
     "Runefile:4:7: ", "cycle in the pipeline: b -> a -> b"},
    {"FROM x\nPROC_BLOCK a.c a\nRUN a a\n", RUNE_E_INVALID,
     "Runefile:3:7: ", "cycle in the pipeline: a -> a"},
    /* graph rules */
    {"FROM x\nCAPABILITY AUDIO audio hz 1\nPROC_BLOCK f.c f\nRUN f audio\n", RUNE_E_INVALID,
     "Runefile:4:7: ", "capability 'audio' (Runefile:2:1) takes no inputs"},
    {"FROM x\nCAPABILITY AUDIO audio hz 1\nPROC_BLOCK f.c f\nRUN audio serial\nRUN serial f\n"
     "OUT serial\n",
     RUNE_E_INVALID, "Runefile:5:5: ", "output 'serial' (Runefile:6:1) gives nothing"},
    {"FROM x\nCAPABILITY AUDIO a hz 1\nPROC_BLOCK f.c f\nRUN a f\nRUN a f\n", RUNE_E_INVALID,
     "Runefile:5:7: ", "a.0 already feeds 'f' (at Runefile:4:7)"},
    {"FROM x\nOUT serial\n", RUNE_E_INVALID, "Runefile:2:1: ", "output 'serial' is fed by nothing"},
    {"FROM x\nCAPABILITY AUDIO a hz 1\nRUN a.x serial\nOUT serial\n", RUNE_E_MALFORMED,
     "Runefile:3:7: ", "bad port in 'a.x'"},
    {"FROM x\nCAPABILITY AUDIO 9a hz 1\n", RUNE_E_MALFORMED,
     "Runefile:2:18: ", "bad stage name '9a'"},
    {"FROM x\nRESOURCE r --path a --inline b\n", RUNE_E_MALFORMED,
     "Runefile:2:1: ", "needs exactly one of --path and --inline"},
    {"FROM x\nRESOURCE r --url a\n", RUNE_E_MALFORMED, "Runefile:2:12: ", "got --url"},
    {"FROM x\nRESOURCE r --path a\nRESOURCE r --path b\n", RUNE_E_INVALID,
     "Runefile:3:1: ", "duplicate resource name 'r'; first declared at Runefile:2:1"},
    /* continuation keeps columns of the next physical line */
    {"FROM x\nCAPABILITY \\\n   AUDO a\n", RUNE_E_MALFORMED, "Runefile:3:4: ", "got 'AUDO'"},
};

static const bad_case yaml_cases[] = {
    /* bad indentation: libfyaml's own message and position */
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: SOUND\n   args: {}\n",
     RUNE_E_MALFORMED, "Runefile.yml:6:4: ",
     "YAML: did not find expected key (while parsing a block mapping at 4:3); check the "
     "indentation"},
    {"version: 1\nimage: x\npipeline:\n\ta: 1\n", RUNE_E_MALFORMED,
     "Runefile.yml:4:1: ", "YAML indents with spaces, not tabs"},
    {"version: 1\nimage: x\npipeline: {}\n---\nversion: 1\n", RUNE_E_MALFORMED,
     "Runefile.yml:4:1: ", "a second YAML document"},
    {"version: 1\nimage: [x\npipeline: {}\n", RUNE_E_MALFORMED, "Runefile.yml:", "YAML: "},
    /* duplicate keys (and so duplicate stage names) */
    {"version: 1\nimage: x\npipeline:\n  a: {capability: RAW}\n  a: {out: serial}\n",
     RUNE_E_INVALID,
     "Runefile.yml:5:3: ", "duplicate stage name 'a'; first declared at Runefile.yml:4:3"},
    {"version: 1\nimage: x\nimage: y\npipeline: {}\n", RUNE_E_MALFORMED,
     "Runefile.yml:3:1: ", "duplicate key 'image'; first at Runefile.yml:2:1"},
    /* the same key in another case (keywords match in any case): each leaked the first value
     * (found by fuzz_runefile_yml), now refused as duplicates wherever keywords are read */
    {"version: 1\nimage: x\niMage: y\npipeline: {}\n", RUNE_E_MALFORMED,
     "Runefile.yml:3:1: ", "duplicate key 'iMage'; first at Runefile.yml:2:1"},
    {"version: 1\nimage: x\npipeline: {}\nresources:\n  l: {patH: ./l.txt, path: x}\n",
     RUNE_E_MALFORMED, "Runefile.yml:5:22: ", "duplicate key 'path'; first at Runefile.yml:5:7"},
    {"version: 1\nimage: x\npipeline:\n  a: {capability: RAW, Capability: RAND}\n",
     RUNE_E_MALFORMED,
     "Runefile.yml:4:24: ", "duplicate key 'Capability'; first at Runefile.yml:4:7"},
    {"version: 1\nimage: x\npipeline:\n  a: {capability: RAW, args: {k: 1, k: 2}}\n",
     RUNE_E_INVALID,
     "Runefile.yml:4:37: ", "argument 'k' given twice to 'a'; first at Runefile.yml:4:31"},
    /* unknown keys, with suggestions */
    {"version: 1\nimage: x\npipelines: {}\n", RUNE_E_MALFORMED, "Runefile.yml:3:1: ",
     "unknown key 'pipelines' in a Runefile.yml: expected version, image, pipeline, resources "
     "(did you mean 'pipeline'?)"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: SOUND\n    input: [b]\n",
     RUNE_E_MALFORMED, "Runefile.yml:6:5: ", "unknown key 'input' in a stage"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: SOUND\n    input: [b]\n",
     RUNE_E_MALFORMED, "Runefile.yml:6:5: ", "(did you mean 'inputs'?)"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: SOUND\n    outputs:\n      - typ: "
     "i16\n",
     RUNE_E_MALFORMED, "Runefile.yml:7:9: ", "unknown key 'typ' in an output type"},
    {"version: 1\nimage: x\npipeline: {}\nresources:\n  r: {pth: a}\n", RUNE_E_MALFORMED,
     "Runefile.yml:5:7: ", "(did you mean 'path'?)"},
    /* kinds, types, dims */
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: AUDO\n", RUNE_E_MALFORMED,
     "Runefile.yml:5:17: ", "got 'AUDO' (did you mean 'AUDIO'?)"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    out: seria\n", RUNE_E_MALFORMED,
     "Runefile.yml:5:10: ", "(did you mean 'serial'?)"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: RAW\n    outputs:\n      - type: "
     "i61\n",
     RUNE_E_MALFORMED, "Runefile.yml:7:15: ", "bad type 'i61'"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: RAW\n    outputs:\n      - type: "
     "i16\n        dimensions: [1, -2]\n",
     RUNE_E_MALFORMED, "Runefile.yml:8:25: ", "bad dimension"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: RAW\n    model: m.tflite\n",
     RUNE_E_MALFORMED, "Runefile.yml:6:5: ", "stage 'a' has two kinds: capability and model"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    args: {x: 1}\n", RUNE_E_MALFORMED,
     "Runefile.yml:4:3: ", "stage 'a' needs one of capability, proc-block, model, out"},
    {"version: 1\nimage: x\npipeline:\n  a:\n    capability: RAW\n    args: {x: {y: 1}}\n",
     RUNE_E_MALFORMED, "Runefile.yml:6:15: ", "expected an argument value"},
    /* graph rules through YAML */
    {"version: 1\nimage: x\npipeline:\n  audio: {capability: SOUND}\n  fft:\n    proc-block: "
     "f\n    inputs: [adio]\n",
     RUNE_E_INVALID, "Runefile.yml:7:14: ", "unknown stage 'adio' (did you mean 'audio'?)"},
    {"version: 1\nimage: x\npipeline:\n  a: {proc-block: f, inputs: [b]}\n  b: {proc-block: g, "
     "inputs: [a]}\n",
     RUNE_E_INVALID, "Runefile.yml:", "cycle in the pipeline: "},
    {"version: 1\nimage: x\npipeline:\n  a: {capability: RAW, inputs: [b]}\n", RUNE_E_INVALID,
     "Runefile.yml:4:24: ", "a capability takes no inputs"},
    {"version: 1\nimage: x\npipeline:\n  a: {proc-block: f, inputs: [b.x]}\n", RUNE_E_MALFORMED,
     "Runefile.yml:4:31: ", "bad input 'b.x'"},
    /* document level */
    {"image: x\npipeline: {}\n", RUNE_E_MALFORMED, "Runefile.yml:1:1: ", "missing `version: 1`"},
    {"version: 2\nimage: x\npipeline: {}\n", RUNE_E_UNSUPPORTED,
     "Runefile.yml:1:10: ", "expected `version: 1`"},
    {"version: 1\npipeline: {}\n", RUNE_E_INVALID, "Runefile.yml:1:1: ", "missing image"},
    {"version: 1\nimage: x\n", RUNE_E_INVALID, "Runefile.yml:1:1: ", "missing pipeline"},
    {"- a\n- b\n", RUNE_E_MALFORMED, "Runefile.yml:1:1: ", "expected a map"},
    {"", RUNE_E_MALFORMED, "Runefile.yml:1:1: ", "expected a map"},
    {"version: 1\nimage: &i x\npipeline:\n  a: {capability: *i}\n", RUNE_E_UNSUPPORTED,
     "Runefile.yml:4:7: ",
     "aliases are not supported in a Runefile (the node at 2:8 is used again here)"},
    /* not UTF-8 (libfyaml 0.7.12 hangs on this one: found by fuzz_runefile_yml) */
    {"%v\xe9", RUNE_E_MALFORMED, "Runefile.yml:1:3: ", "not YAML text"},
    {"version: 1\nimage: \"x\xc0\xaf\"\n", RUNE_E_MALFORMED,
     "Runefile.yml:2:10: ", "not YAML text"},
    {"version: 1\nimage: \"\xed\xa0\x80\"\n", RUNE_E_MALFORMED,
     "Runefile.yml:2:9: ", "not YAML text"},
    {"version: 1\nimage: x\xe2\x82", RUNE_E_MALFORMED, "Runefile.yml:2:9: ", "not YAML text"},
    {"version: 1\nimage: b\xc3\xa9"
     "b\xc3\xa9\npipeline:\n  r: {capability: RAW}\n  \xc3\xa9: 1\n",
     RUNE_E_MALFORMED, "Runefile.yml:5:3: ", "bad stage name"},
    {"version: 1\nimage: x\npipeline: {}\nresources:\n  r: {path: a, type: text}\n",
     RUNE_E_MALFORMED, "Runefile.yml:5:22: ", "resource type must be string or binary"},
};

static void run_cases(const bad_case *cases, size_t n, int yaml)
{
    for (size_t i = 0; i < n; i++) {
        const bad_case *c = &cases[i];
        rune_runefile *g = NULL;
        rune_error err;
        rune_error_clear(&err);
        long live = rune_alloc_live();
        size_t len = strlen(c->src);
        rune_status st = yaml ? rune_runefile_parse_yaml(c->src, len, "Runefile.yml", &g, &err)
                              : rune_runefile_parse_text(c->src, len, "Runefile", &g, &err);
        CHECK_MSG_(st == c->status, "case %zu: status %s, want %s (%s)", i, rune_status_name(st),
                   rune_status_name(c->status), err.msg);
        CHECK_MSG_(g == NULL, "case %zu: a graph on error", i);
        CHECK_MSG_(strncmp(err.msg, c->where, strlen(c->where)) == 0,
                   "case %zu: message \"%s\" should start with \"%s\"", i, err.msg, c->where);
        CHECK_MSG_(strstr(err.msg, c->says) != NULL, "case %zu: message \"%s\" should say \"%s\"",
                   i, err.msg, c->says);
        CHECK_MSG_(rune_alloc_live() == live, "case %zu: %ld allocations leaked", i,
                   rune_alloc_live() - live);
        rune_runefile_free(g);
    }
}

TEST(text_errors)
{
    run_cases(text_cases, sizeof text_cases / sizeof text_cases[0], 0);
}
TEST(yaml_errors)
{
    run_cases(yaml_cases, sizeof yaml_cases / sizeof yaml_cases[0], 1);
}

/* A NUL byte inside (libfyaml 0.7.12 crashed on this one: found by fuzz_runefile_yml). */
TEST(yaml_nul_bytes)
{
    static const char src[] = "#s :\n? ge:\t\0\0\0i8";
    rune_runefile *g = NULL;
    rune_error err;
    CHECK_STATUS(rune_runefile_parse_yaml(src, sizeof src - 1, "Runefile.yml", &g, &err),
                 RUNE_E_MALFORMED);
    CHECK_STR(
        err.msg,
        "Runefile.yml:2:7: not YAML text: a Runefile.yml is UTF-8 without control characters");
    CHECK(g == NULL);
    /* And the explicit-key input that crashed it, printable this time: now a clean answer. */
    static const char src2[] = "? a:\t?i";
    CHECK(rune_runefile_parse_yaml(src2, sizeof src2 - 1, "Runefile.yml", &g, &err) != RUNE_OK);
    CHECK_CONTAINS(err.msg, "Runefile.yml:1:");
    CHECK(g == NULL);
}

TEST(cycle_names_every_stage)
{
    rune_error err;
    rune_runefile *g = rf_text("FROM x\nCAPABILITY<U8[1]> s RAW\nPROC_BLOCK a.c a\n"
                               "PROC_BLOCK b.c b\nPROC_BLOCK c.c c\nRUN s a b c\nRUN c a\n",
                               &err);
    CHECK(g == NULL);
    CHECK_CONTAINS(err.msg, "cycle in the pipeline: ");
    /* Whatever stage the walk starts from, the cycle is a -> b -> c -> a in some rotation. */
    CHECK_MSG_(strstr(err.msg, "a -> b -> c -> a") || strstr(err.msg, "b -> c -> a -> b") ||
                   strstr(err.msg, "c -> a -> b -> c"),
               "%s", err.msg);
    CHECK(strstr(err.msg, "s ->") == NULL);
    rune_runefile_free(g);
}

/* Hostile sizes stop at the documented limits with a clear message. */
TEST(limits)
{
    size_t cap = 64 * (RUNE_RF_MAX_STAGES + 2) + 64;
    char *src = malloc(cap);
    if (!src) return;
    size_t n = (size_t)snprintf(src, cap, "FROM x\n");
    for (int i = 0; i <= RUNE_RF_MAX_STAGES; i++)
        n += (size_t)snprintf(src + n, cap - n, "PROC_BLOCK p%d.c p%d\n", i, i);
    rune_runefile *g = NULL;
    rune_error err;
    CHECK_STATUS(rune_runefile_parse_text(src, n, "Runefile", &g, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "too many stages (at most 1024)");
    n = (size_t)snprintf(src, cap, "FROM x\nPROC_BLOCK p.c p");
    for (int i = 0; i <= RUNE_RF_MAX_ARGS; i++)
        n += (size_t)snprintf(src + n, cap - n, " --a%d 1", i);
    CHECK_STATUS(rune_runefile_parse_text(src, n, "Runefile", &g, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "too many arguments for 'p' (at most 256)");
    free(src);
    CHECK(g == NULL);
}

TEST(bad_api_use)
{
    rune_runefile *g = NULL;
    rune_error err;
    CHECK_STATUS(rune_runefile_parse_text(NULL, 3, "x", &g, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_runefile_parse_yaml("x", 1, "x", NULL, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_runefile_load("/nonexistent/Runefile", &g, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "/nonexistent/Runefile");
    CHECK_STATUS(rune_runefile_typecheck(NULL, NULL, &err), RUNE_E_ARG);
    const char nul[] = "FROM x\nOUT se\0rial\n";
    CHECK_STATUS(rune_runefile_parse_text(nul, sizeof nul - 1, "Runefile", &g, &err),
                 RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "Runefile:2:7: ");
    rune_runefile_free(NULL);
}

int main(void)
{
    RUN(text_errors);
    RUN(yaml_errors);
    RUN(yaml_nul_bytes);
    RUN(cycle_names_every_stage);
    RUN(limits);
    RUN(bad_api_use);
    CHECK_EQ_INT(rune_alloc_live(), 0);
    return test_report();
}
