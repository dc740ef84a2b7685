/*
 * test_runefile_parse.c - the three Runefile syntaxes: the paper's listing, the typed form and
 * Runefile.yml give the same graph; arguments, types, ports, fan-in/fan-out, comments and
 * continuations; the examples/ Runefiles; DOT output.
 */
#include "rf_helpers.h"

static const char *paper = "FROM runicos/base\n"
                           "CAPABILITY AUDIO audio hz 16000 samples 150 sample-size 1500\n"
                           "PROC_BLOCK runicos/fft fft\n"
                           "MODEL ./example.tflite model input [150,1] output 1\n"
                           "RUN audio fft model\n"
                           "OUT serial\n";

/* The paper's pipeline in the later form: name first, --args, an explicit chain to serial. */
static const char *paper_later = "from runicos/base   # directives are case-insensitive\n"
                                 "CAPABILITY audio SOUND --hz 16000 --samples=150 \\\n"
                                 "    --sample-size 1500\n"
                                 "PROC_BLOCK fft runicos/fft\n"
                                 "MODEL<[150,1],[1]> model ./example.tflite\n"
                                 "OUT serial\n"
                                 "RUN audio fft model serial\n";

static const char *paper_yaml = "version: 1\n"
                                "image: runicos/base\n"
                                "pipeline:\n"
                                "  audio:\n"
                                "    capability: AUDIO\n"
                                "    args: {hz: 16000, samples: 150, sample-size: 1500}\n"
                                "  fft:\n"
                                "    proc-block: runicos/fft\n"
                                "    inputs: audio\n"
                                "  model:\n"
                                "    model: ./example.tflite\n"
                                "    inputs: [fft]\n"
                                "    outputs:\n"
                                "      - dimensions: [1]\n"
                                "  serial:\n"
                                "    out: serial\n"
                                "    inputs: [model.0]\n";

TEST(paper_listing)
{
    rune_error err;
    rune_runefile *g = rf_text(paper, &err);
    CHECK_MSG_(g != NULL, "%s", err.msg);
    if (!g) return;
    CHECK_STR(g->image, "runicos/base");
    CHECK_EQ_INT(g->image_loc.line, 1);
    CHECK_EQ_INT(g->image_loc.col, 6);
    CHECK_EQ_INT(g->n_stages, 4);
    const rune_rf_stage *a = &g->stages[rune_runefile_find(g, "audio")];
    CHECK_EQ_INT(a->kind, RUNE_RF_CAPABILITY);
    CHECK_EQ_INT(a->subkind, RUNE_RF_CAP_SOUND);
    CHECK_STR(a->source, "SOUND");
    CHECK_EQ_INT(a->n_args, 3);
    CHECK_STR(a->args[0].key, "hz");
    CHECK_STR(a->args[0].values[0], "16000");
    CHECK_STR(a->args[2].key, "sample-size");
    CHECK_STR(a->args[2].values[0], "1500");
    CHECK_EQ_INT(a->loc.line, 2);
    CHECK_EQ_INT(a->args[1].loc.line, 2);
    CHECK_EQ_INT(a->args[1].loc.col, 33);
    const rune_rf_stage *f = &g->stages[rune_runefile_find(g, "fft")];
    CHECK_EQ_INT(f->kind, RUNE_RF_PROC_BLOCK);
    CHECK_STR(f->source, "runicos/fft");
    const rune_rf_stage *m = &g->stages[rune_runefile_find(g, "model")];
    CHECK_STR(m->source, "./example.tflite");
    CHECK_EQ_INT(m->n_args, 0); /* input/output became types */
    CHECK_EQ_INT(m->n_decl_in, 1);
    CHECK_EQ_INT(m->decl_in[0].elem, RUNE_RF_ANY);
    CHECK_EQ_INT(m->decl_in[0].rank, 2);
    CHECK_EQ_INT(m->decl_in[0].dims[0], 150);
    CHECK_EQ_INT(m->decl_in[0].dims[1], 1);
    CHECK_EQ_INT(m->n_decl_out, 1);
    CHECK_EQ_INT(m->decl_out[0].rank, 1);
    CHECK_EQ_INT(m->decl_out[0].dims[0], 1);
    long s = rune_runefile_find(g, "serial");
    CHECK(s >= 0);
    CHECK_EQ_INT(g->stages[s].kind, RUNE_RF_OUT);
    /* audio -> fft -> model -> serial (the OUT fed by the last RUN's tail). */
    CHECK_EQ_INT(g->n_edges, 3);
    CHECK_CONTAINS(rf_dump(g, 0), "edge model.0 -> serial.0\n");
    CHECK_CONTAINS(rf_dump(g, 0), "edge audio.0 -> fft.0\n");
    /* Topological order: producers first. */
    size_t pos[4];
    for (size_t i = 0; i < 4; i++)
        pos[g->order[i]] = i;
    CHECK(pos[rune_runefile_find(g, "audio")] < pos[rune_runefile_find(g, "fft")]);
    CHECK(pos[rune_runefile_find(g, "fft")] < pos[rune_runefile_find(g, "model")]);
    CHECK(pos[rune_runefile_find(g, "model")] < pos[s]);
    rune_runefile_free(g);
}

TEST(three_syntaxes_same_graph)
{
    rune_error err;
    rune_runefile *a = rf_text(paper, &err);
    CHECK_MSG_(a != NULL, "%s", err.msg);
    rune_runefile *b = rf_text(paper_later, &err);
    CHECK_MSG_(b != NULL, "%s", err.msg);
    rune_runefile *c = rf_yaml(paper_yaml, &err);
    CHECK_MSG_(c != NULL, "%s", err.msg);
    if (a && b) CHECK_STR(rf_dump(a, 0), rf_dump(b, 0));
    if (a && c) CHECK_STR(rf_dump(a, RUNE_RF_DUMP_NO_DECL_IN), rf_dump(c, RUNE_RF_DUMP_NO_DECL_IN));
    /* ...but not the same places. */
    if (a && b)
        CHECK(strcmp(rf_dump(a, RUNE_RF_DUMP_LOCATIONS), rf_dump(b, RUNE_RF_DUMP_LOCATIONS)) != 0);
    rune_runefile_free(a);
    rune_runefile_free(b);
    rune_runefile_free(c);
}

/* Each example's Runefile and Runefile.yml describe the same pipeline: the same stages, arguments
 * and edges, and once checked the same type on every port. */
TEST(examples_text_and_yaml_agree)
{
    static const char *const names[] = {"sine", "microspeech"};
    for (size_t i = 0; i < 2; i++) {
        char p1[512], p2[512];
        snprintf(p1, sizeof p1, "%s/Runefile", names[i]);
        snprintf(p2, sizeof p2, "%s/Runefile.yml", names[i]);
        rune_runefile *a = NULL, *b = NULL;
        rune_error err;
        CHECK_OK(rune_runefile_load(rf_example(p1), &a, &err), &err);
        CHECK_OK(rune_runefile_load(rf_example(p2), &b, &err), &err);
        if (a) CHECK_OK(rune_runefile_typecheck(a, &fake_resolver, &err), &err);
        if (b) CHECK_OK(rune_runefile_typecheck(b, &fake_resolver, &err), &err);
        const unsigned f = RUNE_RF_DUMP_NO_DECL | RUNE_RF_DUMP_CHECKED;
        if (a && b) CHECK_STR(rf_dump(a, f), rf_dump(b, f));
        if (a) CHECK_CONTAINS(rf_dump(a, f), "  gives 0 ");
        rune_runefile_free(a);
        rune_runefile_free(b);
    }
}

TEST(microspeech_example_details)
{
    rune_error err;
    rune_runefile *g = rf_text(RF_MICROSPEECH, &err);
    CHECK_MSG_(g != NULL, "%s", err.msg);
    if (!g) return;
    CHECK_EQ_INT(g->n_stages, 5);
    CHECK_EQ_INT(g->n_edges, 4);
    const rune_rf_stage *f = &g->stages[rune_runefile_find(g, "fft")];
    CHECK_EQ_INT(f->n_decl_in, 1);
    CHECK_EQ_INT(f->decl_in[0].elem, RUNE_RF_I16);
    CHECK_EQ_INT(f->decl_in[0].dims[0], 16000);
    CHECK_EQ_INT(f->decl_out[0].elem, RUNE_RF_I8);
    CHECK_EQ_INT(f->decl_out[0].dims[0], 1960);
    /* The continuation line's arguments belong to fft, the trailing comment is gone. */
    CHECK_EQ_INT(f->n_args, 2);
    CHECK_STR(rune_rf_stage_arg(f, "stride-ms")->values[0], "20");
    CHECK_EQ_INT(rune_rf_stage_arg(f, "stride-ms")->loc.line, 6);
    CHECK_EQ_INT(rune_rf_stage_arg(f, "stride-ms")->loc.col, 20);
    const rune_rf_stage *l = &g->stages[rune_runefile_find(g, "label")];
    const rune_rf_arg *labels = rune_rf_stage_arg(l, "labels");
    CHECK(labels && labels->is_list && labels->n == 4);
    if (labels && labels->n == 4) {
        CHECK_STR(labels->values[0], "silence");
        CHECK_STR(labels->values[3], "no");
    }
    CHECK_EQ_INT(l->decl_out[0].elem, RUNE_RF_UTF8);
    rune_runefile_free(g);
}

TEST(person_detection_example)
{
    rune_error err;
    rune_runefile *g = rf_text(RF_PERSON, &err);
    CHECK_MSG_(g != NULL, "%s", err.msg);
    if (!g) return;
    const rune_rf_stage *n = &g->stages[rune_runefile_find(g, "normalize")];
    CHECK_STR(rune_rf_stage_arg(n, "offset")->values[0], "-128");
    const rune_rf_arg *labels =
        rune_rf_stage_arg(&g->stages[rune_runefile_find(g, "label")], "labels");
    CHECK(labels && labels->is_list && labels->n == 2);
    if (labels && labels->n == 2) CHECK_STR(labels->values[1], "person");
    const rune_rf_stage *m = &g->stages[rune_runefile_find(g, "person_detect")];
    CHECK_EQ_INT(m->decl_in[0].rank, 4);
    CHECK_EQ_INT(m->decl_in[0].dims[2], 96);
    rune_runefile_free(g);
}

TEST(arguments_forms)
{
    rune_error err;
    rune_runefile *g =
        rf_text("FROM x\n"
                "PROC_BLOCK<[1],[1]> p ./mine.c --a 1 --b=2 --flag --c=[x, \"y z\", w] "
                "--d q,r --e \"quoted, not a list\" --f=[]\n"
                "CAPABILITY<U8[1]> r RAW\n"
                "RUN r p\n",
                &err);
    CHECK_MSG_(g != NULL, "%s", err.msg);
    if (!g) return;
    const rune_rf_stage *p = &g->stages[rune_runefile_find(g, "p")];
    CHECK_STR(p->source, "./mine.c");
    CHECK_STR(rune_rf_stage_arg(p, "a")->values[0], "1");
    CHECK_STR(rune_rf_stage_arg(p, "b")->values[0], "2");
    CHECK_STR(rune_rf_stage_arg(p, "flag")->values[0], "true");
    const rune_rf_arg *c = rune_rf_stage_arg(p, "c");
    CHECK(c->is_list && c->n == 3);
    if (c->n == 3) CHECK_STR(c->values[1], "y z");
    const rune_rf_arg *d = rune_rf_stage_arg(p, "d");
    CHECK(d->is_list && d->n == 2);
    const rune_rf_arg *e = rune_rf_stage_arg(p, "e");
    CHECK(!e->is_list);
    CHECK_STR(e->values[0], "quoted, not a list");
    const rune_rf_arg *f = rune_rf_stage_arg(p, "f");
    CHECK(f->is_list && f->n == 0);
    uint64_t v = 0;
    CHECK_OK(rune_rf_stage_arg_u64(p, "a", &v, &err), &err);
    CHECK_EQ_INT(v, 1);
    CHECK_STATUS(rune_rf_stage_arg_u64(p, "flag", &v, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "Runefile:2:");
    CHECK_STATUS(rune_rf_stage_arg_u64(p, "zz", &v, &err), RUNE_E_NOT_FOUND);
    rune_runefile_free(g);
}

TEST(fan_in_fan_out_and_ports)
{
    rune_error err;
    rune_runefile *g = rf_text("FROM x\n"
                               "CAPABILITY<F32[4]> a RAW\n"
                               "CAPABILITY<F32[4]> b RAW\n"
                               "PROC_BLOCK< (F32[4], F32[4]) , (F32[4],F32[2]) > sum runicos/add\n"
                               "OUT serial\n"
                               "OUT tensor t2\n"
                               "RUN a sum serial\n"
                               "RUN b sum\n"
                               "RUN sum.1 t2\n"
                               "RUN a t2\n",
                               &err);
    CHECK_MSG_(g != NULL, "%s", err.msg);
    if (!g) return;
    const char *d = rf_dump(g, 0);
    CHECK_CONTAINS(d, "edge a.0 -> sum.0\n");
    CHECK_CONTAINS(d, "edge b.0 -> sum.1\n");
    CHECK_CONTAINS(d, "edge sum.0 -> serial.0\n");
    CHECK_CONTAINS(d, "edge sum.1 -> t2.0\n");
    CHECK_CONTAINS(d, "edge a.0 -> t2.1\n");
    CHECK_CONTAINS(d, "stage t2 out tensor\n");
    const rune_rf_stage *s = &g->stages[rune_runefile_find(g, "sum")];
    CHECK_EQ_INT(s->n_decl_in, 2);
    CHECK_EQ_INT(s->n_decl_out, 2);
    CHECK_EQ_INT(s->decl_out[1].dims[0], 2);
    rune_runefile_free(g);
}

TEST(yaml_resources_and_parse_dispatch)
{
    const char *y = "version: 1\n"
                    "image: runicos/base\n"
                    "pipeline:\n"
                    "  r:\n"
                    "    capability: RAND\n"
                    "    args: {count: 4}\n"
                    "  o:\n"
                    "    out: serial\n"
                    "    inputs: [r]\n"
                    "resources:\n"
                    "  labels: {path: ./labels.txt}\n"
                    "  greeting:\n"
                    "    inline: \"hello\"\n"
                    "    type: binary\n";
    rune_runefile *g = NULL;
    rune_error err;
    /* Detected as YAML by content even with a plain name. */
    CHECK_OK(rune_runefile_parse(y, strlen(y), "Runefile", &g, &err), &err);
    if (!g) return;
    CHECK_EQ_INT(g->n_resources, 2);
    CHECK_STR(g->resources[0].path, "./labels.txt");
    CHECK(g->resources[1].binary);
    CHECK_STR(g->resources[1].data, "hello");
    CHECK_EQ_INT(g->resources[1].loc.line, 12);
    CHECK_EQ_INT(g->resources[1].loc.col, 3);
    CHECK_EQ_INT(g->stages[0].loc.line, 4);
    CHECK_EQ_INT(g->stages[0].loc.col, 3);
    CHECK_EQ_INT(g->edges[0].loc.line, 9);
    CHECK_EQ_INT(g->edges[0].loc.col, 14);
    rune_runefile *t = NULL;
    const char *txt = "FROM runicos/base\nCAPABILITY r RAND --count 4\nOUT serial o\nRUN r o\n"
                      "RESOURCE labels --path ./labels.txt\n"
                      "RESOURCE greeting --inline hello --type binary\n";
    CHECK_OK(rune_runefile_parse(txt, strlen(txt), "Runefile", &t, &err), &err);
    if (t) CHECK_STR(rf_dump(g, 0), rf_dump(t, 0));
    rune_runefile_free(g);
    rune_runefile_free(t);
}

TEST(dot_output)
{
    rune_error err;
    rune_runefile *g = rf_text(paper, &err);
    if (!g) {
        CHECK_MSG_(0, "%s", err.msg);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_OK(rune_runefile_to_dot(g, f, &err), &err);
    fclose(f);
    CHECK_CONTAINS(buf, "digraph pipeline {");
    CHECK_CONTAINS(buf, "label=\"audio\\ncapability SOUND\"");
    /* One arrow per edge. */
    int arrows = 0;
    for (const char *p = buf; (p = strstr(p, " -> ")); p++)
        arrows++;
    CHECK_EQ_INT(arrows, (long long)g->n_edges);
    free(buf);
    CHECK_OK(rune_runefile_typecheck(g, &fake_resolver, &err), &err);
    f = open_memstream(&buf, &len);
    CHECK_OK(rune_runefile_to_dot(g, f, &err), &err);
    fclose(f);
    CHECK_CONTAINS(buf, "[label=\"I16[150]\"]"); /* audio -> fft once typed */
    free(buf);
    rune_runefile_free(g);
}

TEST(types_and_rule)
{
    rune_rf_type a, b;
    CHECK_EQ_INT(rune_rf_type_parse("I16[16000]", 10, &a), 0);
    CHECK_EQ_INT(a.elem, RUNE_RF_I16);
    CHECK_EQ_INT(a.rank, 1);
    CHECK_EQ_INT(rune_rf_type_parse("i8[1, 96,96 ,1]", 15, &a), 0);
    CHECK_EQ_INT(a.rank, 4);
    CHECK_EQ_INT(rune_rf_type_parse("F32", 3, &a), 0);
    CHECK_EQ_INT(a.rank, -1);
    CHECK_EQ_INT(rune_rf_type_parse("F32[]", 5, &a), 0);
    CHECK_EQ_INT(a.rank, 0);
    CHECK_EQ_INT(rune_rf_type_parse("I17[3]", 6, &a), -1);
    CHECK_EQ_INT(rune_rf_type_parse("I16[0]", 6, &a), -1);
    CHECK_EQ_INT(rune_rf_type_parse("I16[3", 5, &a), -1);
    CHECK_EQ_INT(rune_rf_type_parse("I16[1,,2]", 9, &a), -1);
    CHECK_EQ_INT(rune_rf_type_parse("I16[2147483648]", 15, &a), -1);
    CHECK_EQ_INT(rune_rf_type_parse("I16[1,1,1,1,1,1,1,1,1]", 22, &a), -1);
    char s[64];
    rune_rf_type_parse("U8[1,96,96,1]", 13, &a);
    CHECK_STR(rune_rf_type_str(&a, s, sizeof s), "U8[1,96,96,1]");
    CHECK_EQ_INT(rune_rf_type_count(&a), 9216);
    /* The compatibility rule. */
    static const struct {
        const char *a, *b;
        int ok;
    } cases[] = {
        {"F32[1,256]", "F32[256]", 1},
        {"F32[256,1]", "F32[1,256]", 1},
        {"I8[1,49,40,1]", "I8[49,40]", 1},
        {"I8[49,40]", "I8[40,49]", 0},
        {"I8[49,40]", "I8[1960]", 0},
        {"I8[1960]", "U8[1960]", 0},
        {"[150,1]", "F32[150]", 1},
        {"F32", "F32[3,3]", 1},
        {"I8[1]", "I8[]", 1},
        {"I8[2]", "I8[]", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ_INT(rune_rf_type_parse(cases[i].a, strlen(cases[i].a), &a), 0);
        CHECK_EQ_INT(rune_rf_type_parse(cases[i].b, strlen(cases[i].b), &b), 0);
        CHECK_MSG_(rune_rf_type_compatible(&a, &b) == cases[i].ok, "%s vs %s", cases[i].a,
                   cases[i].b);
        CHECK_MSG_(rune_rf_type_compatible(&b, &a) == cases[i].ok, "%s vs %s", cases[i].b,
                   cases[i].a);
    }
    a = rf_t(RUNE_RF_ANY_INT, -1, 0, 0, 0, 0);
    b = rf_t(RUNE_RF_U16, 1, 3, 0, 0, 0);
    CHECK(rune_rf_type_compatible(&a, &b));
    b.elem = RUNE_RF_F32;
    CHECK(!rune_rf_type_compatible(&a, &b));
    a.elem = RUNE_RF_ANY_FLOAT;
    CHECK(rune_rf_type_compatible(&a, &b));
    a = rf_t(RUNE_RF_F32, 2, 0, 3, 0, 0); /* [?,3] */
    b = rf_t(RUNE_RF_F32, 2, 50, 3, 0, 0);
    CHECK(rune_rf_type_compatible(&a, &b));
    CHECK_STR(rune_rf_type_str(&a, s, sizeof s), "F32[?,3]");
}

int main(void)
{
    RUN(paper_listing);
    RUN(three_syntaxes_same_graph);
    RUN(examples_text_and_yaml_agree);
    RUN(microspeech_example_details);
    RUN(person_detection_example);
    RUN(arguments_forms);
    RUN(fan_in_fan_out_and_ports);
    RUN(yaml_resources_and_parse_dispatch);
    RUN(dot_output);
    RUN(types_and_rule);
    CHECK_EQ_INT(rune_alloc_live(), 0);
    return test_report();
}
