/*
 * test_nn_tool.c - the rune-model tool as a user runs it: info (text and JSON) and run on the real
 * models, exit codes 0/1/2, messages on stderr for missing files, unsupported ops, wrong input
 * sizes.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "rune/alloc.h"
#include "rune/nn_writer.h"
#include "test.h"

static char out_path[256], err_path[256];

/* Run rune-model with args; returns the exit code; stdout/stderr in out/err (malloc'd). */
static int run(const char *args, char **out, char **err)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", RUNE_MODEL_EXE, args, out_path, err_path);
    int st = system(cmd);
    size_t n = 0;
    *out = (char *)test_read_file(out_path, &n);
    char *o = realloc(*out, n + 1);
    if (o) o[n] = 0;
    *out = o;
    n = 0;
    *err = (char *)test_read_file(err_path, &n);
    char *e = realloc(*err, n + 1);
    if (e) e[n] = 0;
    *err = e;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(test_info)
{
    char *o, *e, args[2048];
    snprintf(args, sizeof args, "info '%s' --json", SHARED("models/hello_world_int8.tflite"));
    CHECK_EQ_INT(run(args, &o, &e), 0);
    CHECK_CONTAINS(o, "\"op_counts\":{\"FULLY_CONNECTED\":3}");
    CHECK_CONTAINS(o, "\"macs\":288");
    CHECK_CONTAINS(o, "\"zero_point\":-128");
    free(o), free(e);
    snprintf(args, sizeof args, "info '%s'", SHARED("models/person_detect.tflite"));
    CHECK_EQ_INT(run(args, &o, &e), 0);
    CHECK_CONTAINS(o, "DEPTHWISE_CONV_2D x14");
    CHECK_CONTAINS(o, "CONV_2D x14");
    CHECK_CONTAINS(o, "MACs: 7157888");
    CHECK_CONTAINS(o, "per-channel x8 (axis 3)");
    CHECK_CONTAINS(o, "unsupported ops: none");
    free(o), free(e);
}

TEST(test_info_errors)
{
    char *o, *e;
    CHECK_EQ_INT(run("info /nonexistent/model.tflite", &o, &e), 1);
    CHECK_CONTAINS(e, "cannot open");
    free(o), free(e);
    CHECK_EQ_INT(run("info", &o, &e), 2);
    free(o), free(e);
    CHECK_EQ_INT(run("info --help", &o, &e), 0);
    CHECK_CONTAINS(o, "usage");
    free(o), free(e);
    CHECK_EQ_INT(run("frobnicate", &o, &e), 2);
    free(o), free(e);
    /* a model with LSTM: named on stderr, listed in JSON, exit 1 */
    static const int32_t s[] = {1, 4};
    rune_nnw *w = NULL;
    rune_error err = {0};
    CHECK_OK(rune_nnw_new(&w, &err), &err);
    if (!w) return;
    int a =
        rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "a", .type = 0, .rank = 2, .shape = s});
    int b =
        rune_nnw_add_tensor(w, &(rune_nnw_tensor){.name = "b", .type = 0, .rank = 2, .shape = s});
    rune_nnw_add_op(w, RUNE_NNW_OP_LSTM, (int[]){a}, 1, (int[]){b}, 1, NULL);
    rune_nnw_set_io(w, (int[]){a}, 1, (int[]){b}, 1);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK_OK(rune_nnw_finish(w, &bytes, &len, &err), &err);
    rune_nnw_free(w);
    char path[300], args[600];
    snprintf(path, sizeof path, "%s.lstm.tflite", out_path);
    FILE *f = fopen(path, "wb");
    if (f && bytes) fwrite(bytes, 1, len, f);
    if (f) fclose(f);
    rune_free(bytes);
    snprintf(args, sizeof args, "info '%s'", path);
    CHECK_EQ_INT(run(args, &o, &e), 1);
    CHECK_CONTAINS(e, "unsupported op LSTM (code 16) at operator 0");
    free(o), free(e);
    snprintf(args, sizeof args, "info '%s' --json", path);
    CHECK_EQ_INT(run(args, &o, &e), 1);
    CHECK_CONTAINS(o, "\"unsupported_ops\":[{\"code\":16,\"name\":\"LSTM\"}]");
    free(o), free(e);
    remove(path);
}

TEST(test_run)
{
    char *o, *e, args[2048], model[1024];
    snprintf(model, sizeof model, "%s", SHARED("models/micro_speech_quantized.tflite"));
    snprintf(args, sizeof args, "run '%s' --input 0='%s'", model,
             SHARED("testdata/yes_micro_features_1960_int8.bin"));
    CHECK_EQ_INT(run(args, &o, &e), 0);
    CHECK_CONTAINS(o, "\"type\":\"int8\",\"shape\":[1,4]");
    CHECK_CONTAINS(o, "\"dequantized\":[");
    /* top class is index 2 ("yes") */
    const char *v = o ? strstr(o, "\"values\":[") : NULL;
    CHECK(v != NULL);
    if (v) {
        int q[4] = {0};
        CHECK_EQ_INT(sscanf(v, "\"values\":[%d,%d,%d,%d]", &q[0], &q[1], &q[2], &q[3]), 4);
        CHECK(q[2] > q[0] && q[2] > q[1] && q[2] > q[3]);
    }
    free(o), free(e);
    /* input by name, timed */
    snprintf(args, sizeof args, "run '%s' --input Reshape_1='%s' --repeat 3 --json", model,
             SHARED("testdata/no_micro_features_1960_int8.bin"));
    CHECK_EQ_INT(run(args, &o, &e), 0);
    CHECK_CONTAINS(o, "\"name\":\"labels_softmax\"");
    CHECK_CONTAINS(o, "\"runs\":3,\"median_ms\":");
    free(o), free(e);
    /* --repeat gives the outputs of the input given, every run: the person detector lends its
     * input's memory to later tensors, so a tool that set it once reported garbage after run 1 */
    char zeros[256], *o1 = NULL;
    snprintf(zeros, sizeof zeros, "%s", out_path);
    strcat(zeros, ".in");
    FILE *zf = fopen(zeros, "wb");
    for (int i = 0; zf && i < 96 * 96; i++)
        fputc(i % 7 ? 0 : 0x40, zf);
    if (zf) fclose(zf);
    snprintf(args, sizeof args, "run '%s' --input 0='%s'", SHARED("models/person_detect.tflite"),
             zeros);
    CHECK_EQ_INT(run(args, &o1, &e), 0);
    free(e);
    strcat(args, " --repeat 3");
    CHECK_EQ_INT(run(args, &o, &e), 0);
    const char *v1 = o1 ? strstr(o1, "\"values\":[") : NULL,
               *v3 = o ? strstr(o, "\"values\":[") : NULL;
    CHECK(v1 && v3 && strncmp(v1, v3, strcspn(v1, "]")) == 0);
    unlink(zeros);
    free(o1), free(o), free(e);
    /* wrong size, missing input, bad syntax, unknown name */
    snprintf(args, sizeof args, "run '%s' --input 0='%s'", model, SHARED("testdata/yes_30ms.wav"));
    CHECK_EQ_INT(run(args, &o, &e), 1);
    CHECK_CONTAINS(e, "takes 1960 bytes");
    free(o), free(e);
    snprintf(args, sizeof args, "run '%s'", model);
    CHECK_EQ_INT(run(args, &o, &e), 1);
    CHECK_CONTAINS(e, "not given");
    free(o), free(e);
    snprintf(args, sizeof args, "run '%s' --input nofile", model);
    CHECK_EQ_INT(run(args, &o, &e), 2);
    free(o), free(e);
    snprintf(args, sizeof args, "run '%s' --input zz=/dev/null", model);
    CHECK_EQ_INT(run(args, &o, &e), 1);
    CHECK_CONTAINS(e, "no input 'zz'");
    free(o), free(e);
}

int main(void)
{
    snprintf(out_path, sizeof out_path, "/tmp/test_nn_tool.%d.out", (int)getpid());
    snprintf(err_path, sizeof err_path, "/tmp/test_nn_tool.%d.err", (int)getpid());
    RUN(test_info);
    RUN(test_info_errors);
    RUN(test_run);
    remove(out_path);
    remove(err_path);
    return test_report();
}
