/*
 * model_info.c - `model-info FILE [--json]`: a TFLite model's operators (with names, counts and
 * MACs), tensors (type, shape, quantization), inputs/outputs, arena and persistent bytes, and any
 * ops the engine does not implement. Text for people, --json for tools.
 */
#include "model_cmds.h"

#include <inttypes.h>
#include <string.h>

#include "rune/alloc.h"

static void usage(FILE *f, const char *cmd)
{
    fprintf(f,
            "usage: %s FILE.tflite [--json]\n"
            "Shows a TensorFlow Lite model: operators with their names, counts and MACs,\n"
            "tensors with type, shape and quantization, inputs and outputs, the arena size the\n"
            "engine needs, and the ops it does not implement (exit 1 if there are any).\n",
            cmd);
}

static void quant_text(const rune_nn_tensor_info *t)
{
    if (t->n_channels == 1)
        printf(" scale %g zp %d", (double)t->scale, (int)t->zero_point);
    else if (t->n_channels > 1)
        printf(" per-channel x%d (axis %d)", t->n_channels, t->quant_axis);
}

static void tensor_json(const rune_nn_tensor_info *t)
{
    printf("{\"index\":%d,\"name\":", t->index);
    model_json_str(stdout, t->name);
    printf(",\"type\":\"%s\",\"shape\":", rune_nn_type_name(t->type));
    model_print_shape(stdout, t);
    printf(",\"bytes\":%zu,\"const\":%s", t->bytes, t->is_const ? "true" : "false");
    if (t->n_channels >= 1) {
        printf(",\"quantization\":{\"scale\":%.9g,\"zero_point\":%d,\"channels\":%d,\"axis\":%d}",
               (double)t->scale, (int)t->zero_point, t->n_channels, t->quant_axis);
    }
    printf("}");
}

static int print_unsupported(const char *cmd, const unsigned char *bytes, size_t len, int json)
{
    int codes[256];
    rune_error err = {0};
    int n = rune_nn_unsupported_ops(bytes, len, codes, 256, &err);
    if (n < 0) return 0;
    if (json) {
        printf("{\"file_ok\":false,\"error\":");
        model_json_str(stdout, err.msg);
        printf(",\"unsupported_ops\":[");
    } else {
        fprintf(stderr, "%s: unsupported ops:", cmd);
    }
    for (int i = 0; i < n && i < 256; i++) {
        if (json)
            printf("%s{\"code\":%d,\"name\":\"%s\"}", i ? "," : "", codes[i],
                   rune_nn_builtin_name(codes[i]));
        else
            fprintf(stderr, " %s (%d)", rune_nn_builtin_name(codes[i]), codes[i]);
    }
    if (json)
        printf("]}\n");
    else
        fprintf(stderr, "\n");
    return n;
}

int rune_cmd_model_info(int argc, char **argv)
{
    const char *cmd = argc > 0 ? argv[0] : "model-info";
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout, cmd);
            return 0;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", cmd, argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        usage(stderr, cmd);
        return 2;
    }
    size_t len = 0;
    unsigned char *bytes = model_read_file(cmd, path, &len);
    if (!bytes) return 1;
    rune_nn_model *m = NULL;
    rune_error err = {0};
    if (rune_nn_model_load(bytes, len, &m, &err)) {
        fprintf(stderr, "%s: %s: %s\n", cmd, path, err.msg);
        if (err.status == RUNE_E_UNSUPPORTED) print_unsupported(cmd, bytes, len, json);
        rune_free(bytes);
        return 1;
    }
    int n_ops = rune_nn_model_op_count(m), n_t = rune_nn_model_tensor_count(m);
    /* Op counts by code (codes are < 256 in TFLite's list; others counted apart). */
    int counts[256] = {0};
    for (int i = 0; i < n_ops; i++) {
        rune_nn_op_info op;
        rune_nn_model_op(m, i, &op, NULL);
        if (op.code >= 0 && op.code < 256) counts[op.code]++;
    }
    if (json) {
        printf("{\"file\":");
        model_json_str(stdout, path);
        printf(
            ",\"bytes\":%zu,\"version\":%u,\"subgraphs\":%d,\"macs\":%" PRIu64
            ",\"arena_bytes\":%zu,\"persistent_bytes\":%zu,\"unsupported_ops\":[],\"op_counts\":{",
            len, rune_nn_model_version(m), rune_nn_model_subgraph_count(m), rune_nn_model_macs(m),
            rune_nn_model_arena_size(m), rune_nn_model_persistent_bytes(m));
        int first = 1;
        for (int c = 0; c < 256; c++)
            if (counts[c]) {
                printf("%s\"%s\":%d", first ? "" : ",", rune_nn_builtin_name(c), counts[c]);
                first = 0;
            }
        printf("},\"ops\":[");
        for (int i = 0; i < n_ops; i++) {
            rune_nn_op_info op;
            rune_nn_model_op(m, i, &op, NULL);
            printf("%s{\"index\":%d,\"code\":%d,\"name\":\"%s\",\"inputs\":[", i ? "," : "", i,
                   op.code, op.name);
            for (int k = 0; k < op.n_inputs; k++)
                printf("%s%d", k ? "," : "", (int)op.inputs[k]);
            printf("],\"outputs\":[");
            for (int k = 0; k < op.n_outputs; k++)
                printf("%s%d", k ? "," : "", (int)op.outputs[k]);
            printf("],\"macs\":%" PRIu64 ",\"scratch_bytes\":%zu}", op.macs, op.scratch_bytes);
        }
        printf("],\"tensors\":[");
        for (int i = 0; i < n_t; i++) {
            rune_nn_tensor_info t;
            rune_nn_model_tensor(m, i, &t, NULL);
            if (i) printf(",");
            tensor_json(&t);
        }
        printf("],\"inputs\":[");
        for (int i = 0; i < rune_nn_model_input_count(m); i++) {
            rune_nn_tensor_info t;
            rune_nn_model_input(m, i, &t, NULL);
            if (i) printf(",");
            tensor_json(&t);
        }
        printf("],\"outputs\":[");
        for (int i = 0; i < rune_nn_model_output_count(m); i++) {
            rune_nn_tensor_info t;
            rune_nn_model_output(m, i, &t, NULL);
            if (i) printf(",");
            tensor_json(&t);
        }
        printf("]}\n");
    } else {
        printf("%s: %zu bytes, TFLite schema %u, %d subgraph(s)\n", path, len,
               rune_nn_model_version(m), rune_nn_model_subgraph_count(m));
        printf("\noperators (%d):\n", n_ops);
        for (int i = 0; i < n_ops; i++) {
            rune_nn_op_info op;
            rune_nn_model_op(m, i, &op, NULL);
            printf("  %3d %-20s in", i, op.name);
            for (int k = 0; k < op.n_inputs; k++)
                printf(" %d", (int)op.inputs[k]);
            printf(" -> out");
            for (int k = 0; k < op.n_outputs; k++)
                printf(" %d", (int)op.outputs[k]);
            if (op.macs) printf("  %" PRIu64 " MACs", op.macs);
            printf("\n");
        }
        printf("\nop counts:");
        for (int c = 0; c < 256; c++)
            if (counts[c]) printf(" %s x%d", rune_nn_builtin_name(c), counts[c]);
        printf("\n\ntensors (%d):\n", n_t);
        for (int i = 0; i < n_t; i++) {
            rune_nn_tensor_info t;
            rune_nn_model_tensor(m, i, &t, NULL);
            printf("  %3d %-8s ", i, rune_nn_type_name(t.type));
            model_print_shape(stdout, &t);
            printf(" %s%s", t.name, t.is_const ? " (const)" : "");
            quant_text(&t);
            printf("\n");
        }
        printf("\ninputs:");
        for (int i = 0; i < rune_nn_model_input_count(m); i++) {
            rune_nn_tensor_info t;
            rune_nn_model_input(m, i, &t, NULL);
            printf(" %d:%s %s ", i, t.name, rune_nn_type_name(t.type));
            model_print_shape(stdout, &t);
            quant_text(&t);
        }
        printf("\noutputs:");
        for (int i = 0; i < rune_nn_model_output_count(m); i++) {
            rune_nn_tensor_info t;
            rune_nn_model_output(m, i, &t, NULL);
            printf(" %d:%s %s ", i, t.name, rune_nn_type_name(t.type));
            model_print_shape(stdout, &t);
            quant_text(&t);
        }
        printf("\n\nMACs: %" PRIu64 "\narena bytes: %zu\npersistent bytes: %zu\n"
               "unsupported ops: none\n",
               rune_nn_model_macs(m), rune_nn_model_arena_size(m),
               rune_nn_model_persistent_bytes(m));
    }
    rune_nn_model_free(m);
    rune_free(bytes);
    return 0;
}
