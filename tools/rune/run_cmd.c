/* run_cmd.c - `rune run FILE.rune|NAME:TAG --sound f.wav ...`: run a rune (a file, or a reference
 * in the local OCI store) with capabilities fed from files, optionally under a signature trust
 * policy. */
#include "commands.h"
#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/registry.h"
#include "rune/runicos.h"
#include "rune/sign.h"
#include "rune/source.h"

#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: rune run FILE.rune|NAME[:TAG]|NAME@sha256:HEX [inputs] [options]\n\n"
        "Runs a rune on this machine: a file, or else a rune in the local store. Each capability\n"
        "the rune declares must be fed; the rune can open nothing else. Serial outputs are JSON\n"
        "lines on stdout; logs go to stderr.\n\n"
        "inputs:\n"
        "  --sound FILE.wav    SOUND (audio) capability\n"
        "  --image FILE        IMAGE capability (PNG, JPEG, BMP, PGM/PPM; resized as declared)\n"
        "  --accel FILE.csv    ACCEL capability (x,y,z rows)\n"
        "  --random SEED       RAND capability (deterministic for a seed)\n"
        "  --raw FILE          RAW capability\n"
        "options:\n"
        "  --engine interp|aot WebAssembly engine (default interp)\n"
        "  --repeat N          run the pipeline N times (default 1)\n"
        "  --loop              restart file inputs at their end instead of stopping\n"
        "  --fuel N            instruction budget per call (stops runaway runes)\n"
        "  --max-pages N       linear memory limit in 64 KiB pages\n"
        "  --tensor-out FILE   write TENSOR outputs there (binary) instead of stdout\n"
        "  --output-dir DIR    where FILE outputs go (default .)\n"
        "  --json              end with a JSON summary line on stdout\n"
        "  --store DIR         local OCI store (default $RUNE_STORE, else ~/.rune/oci)\n"
        "trust (any of these turns signature checking on; refusals say why):\n"
        "  --trust POLICY      trust policy file (trust/revoke/require-signature lines)\n"
        "  --trusted-key KEY   trust this public key file (repeatable: key rotation)\n"
        "  --revoke KEY_ID     refuse runes signed by this key even if trusted (repeatable)\n"
        "  --require-signature refuse unsigned runes\n"
        "  -q, --quiet         no host notices on stderr\n"
        "  -h, --help          this text\n\n"
        "exit status: 0 ok, 1 the rune failed (trap, refused, error), 2 usage error\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A file if there is one of that name, else a reference in the local store. */
static rune_status read_rune(const char *path, const char *store_dir, uint8_t **bytes, size_t *len,
                             rune_error *err)
{
    rune_oci_ref ref;
    rune_error e2;
    if (access(path, F_OK) == 0 || rune_oci_ref_parse(path, &ref, &e2) != RUNE_OK || ref.host[0])
        return rune_file_read_max(path, 1u << 30, bytes, len, err);
    rune_oci_store *s = NULL;
    char local[600];
    if (ref.digest[0])
        snprintf(local, sizeof local, "%s@%s", ref.name, ref.digest);
    else
        rune_oci_ref_local(&ref, local, sizeof local);
    rune_status st = rune_oci_store_open(store_dir, &s, err);
    if (st == RUNE_OK) st = rune_oci_store_get_rune(s, local, bytes, len, err);
    if (st == RUNE_E_NOT_FOUND)
        RUNE_ERR(err, st, "%s: no such file, and no rune %s in the local store %s", path, local,
                 rune_oci_store_path(s));
    rune_oci_store_close(s);
    return st;
}

int rune_cmd_run(int argc, char **argv)
{
    const char *path = NULL, *sound = NULL, *image = NULL, *accel = NULL, *raw = NULL;
    const char *microphone = NULL, *camera = NULL;
    const char *seed = NULL, *engine = "interp", *tensor_out = NULL, *output_dir = NULL;
    unsigned long long repeat = 1, fuel = 0, pages = 0;
    const char *store_dir = NULL;
    int loop = 0, json = 0, quiet = 0, trust_on = 0;
    rune_trust_policy policy;
    memset(&policy, 0, sizeof policy);
    rune_error perr;
    rune_error_clear(&perr);
    rune_status pst = RUNE_OK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int nx = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
#define OPT(name, var) else if (!strcmp(a, name) && nx) var = argv[++i];
#define NUM(name, var)                                                                             \
    else if (!strcmp(a, name) && nx)                                                               \
    {                                                                                              \
        char *end = NULL;                                                                          \
        var = strtoull(argv[++i], &end, 10);                                                       \
        if (!*argv[i] || *end) {                                                                   \
            fprintf(stderr, "rune run: %s needs a number, got '%s'\n", name, argv[i]);             \
            return 2;                                                                              \
        }                                                                                          \
    }
        OPT("--sound", sound)
        OPT("--audio", sound)
        OPT("--image", image)
        OPT("--accel", accel)
        OPT("--raw", raw)
        OPT("--microphone", microphone)
        OPT("--camera", camera)
        OPT("--random", seed)
        OPT("--engine", engine)
        OPT("--tensor-out", tensor_out)
        OPT("--output-dir", output_dir)
        OPT("--store", store_dir)
        NUM("--repeat", repeat)
        NUM("--fuel", fuel)
        NUM("--max-pages", pages)
        else if (!strcmp(a, "--trust") && nx)
        {
            trust_on = 1;
            if (pst == RUNE_OK)
                pst = rune_trust_policy_load(argv[++i], &policy, &perr);
            else
                i++;
        }
        else if (!strcmp(a, "--trusted-key") && nx)
        {
            trust_on = 1;
            rune_sign_key k;
            if (pst == RUNE_OK) pst = rune_sign_key_load(argv[i + 1], &k, &perr);
            if (pst == RUNE_OK) pst = rune_trust_policy_add_key(&policy, &k, &perr);
            rune_sign_key_wipe(&k);
            i++;
        }
        else if (!strcmp(a, "--revoke") && nx)
        {
            trust_on = 1;
            if (pst == RUNE_OK) pst = rune_trust_policy_revoke(&policy, argv[i + 1], &perr);
            i++;
        }
        else if (!strcmp(a, "--require-signature"))
        {
            trust_on = 1;
            policy.require_signature = 1;
        }
        else if (!strcmp(a, "--loop")) loop = 1;
        else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) quiet = 1;
        else if (a[0] == '-')
        {
            fprintf(stderr, "rune run: unknown or incomplete option '%s' (try --help)\n", a);
            return 2;
        }
        else if (!path) path = a;
        else
        {
            fprintf(stderr, "rune run: more than one rune given\n");
            return 2;
        }
#undef OPT
#undef NUM
    }
    if (pst != RUNE_OK) {
        fprintf(stderr, "rune run: trust policy: %s\n", perr.msg);
        rune_trust_policy_clear(&policy);
        return 2;
    }
    if (!path) {
        fprintf(stderr, "rune run: which rune? (try --help)\n");
        rune_trust_policy_clear(&policy);
        return 2;
    }
    int kind = rune_wasm_engine_kind_parse(engine);
    if (kind < 0) {
        fprintf(stderr, "rune run: unknown engine '%s' (interp or aot)\n", engine);
        return 2;
    }
    int rc = 1;
    rune_error err;
    rune_error_clear(&err);
    rune_cap_provider *prov[8] = {0};
    size_t np = 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    FILE *tout = NULL;
    rune_host *h = NULL;
    rune_status st = RUNE_OK;
    if (sound && st == RUNE_OK) st = rune_cap_sound_file(sound, loop, &prov[np++], &err);
    if (image && st == RUNE_OK) st = rune_cap_image_file(image, &prov[np++], &err);
    if (accel && st == RUNE_OK) st = rune_cap_accel_csv(accel, loop, &prov[np++], &err);
    if (raw && st == RUNE_OK) st = rune_cap_raw_file(raw, loop, &prov[np++], &err);
    if (microphone && !sound && st == RUNE_OK)
        st = rune_cap_sound_alsa(microphone, &prov[np++], &err);
    if (camera && !image && st == RUNE_OK) st = rune_cap_image_v4l2(camera, &prov[np++], &err);
    if (seed && st == RUNE_OK) {
        char *end = NULL;
        unsigned long long s = strtoull(seed, &end, 0);
        if (!*seed || *end) {
            fprintf(stderr, "rune run: --random needs a number, got '%s'\n", seed);
            rc = 2;
            goto done;
        }
        st = rune_cap_random(s, &prov[np++], &err);
    }
    if (st != RUNE_OK) goto fail;
    st = read_rune(path, store_dir, &bytes, &len, &err);
    if (st != RUNE_OK) goto fail;
    if (tensor_out) {
        tout = fopen(tensor_out, "wb");
        if (!tout) {
            fprintf(stderr, "rune run: cannot write %s\n", tensor_out);
            goto done;
        }
    }
    rune_host_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.engine = (rune_wasm_engine_kind)kind;
    cfg.limits.max_memory_pages = (uint32_t)pages;
    cfg.fuel_per_call = fuel;
    cfg.providers = prov;
    cfg.nproviders = np;
    cfg.tensor_out = tout;
    cfg.output_dir = output_dir;
    cfg.quiet = quiet;
    cfg.trust = trust_on ? &policy : NULL;
    setvbuf(stdout, NULL, _IOLBF, 0); /* a line out as soon as the rune writes it */
    double t0 = now_s();
    st = rune_host_open(bytes, len, &cfg, &h, &err);
    if (st != RUNE_OK) goto fail;
    double t1 = now_s();
    unsigned long long done_calls = 0;
    for (; done_calls < repeat; done_calls++) {
        st = rune_host_call(h, &err);
        if (st != RUNE_OK) break;
    }
    double t2 = now_s();
    if (json) {
        const rune_host_stats *s = rune_host_stats_of(h);
        printf("{\"summary\":{\"rune\":\"%s\",\"engine\":\"%s\",\"calls\":%llu,\"ok\":%s,"
               "\"inferences\":%llu,\"denials\":%llu,\"traps\":%llu,\"open_seconds\":%.6f,"
               "\"call_seconds\":%.6f,\"nn_arena_bytes\":%llu,\"nn_model_bytes\":%llu}}\n",
               rune_host_rune_name(h), rune_wasm_engine_kind_name(cfg.engine), done_calls,
               st == RUNE_OK ? "true" : "false", (unsigned long long)s->inferences,
               (unsigned long long)s->denials, (unsigned long long)s->traps, t1 - t0,
               done_calls ? (t2 - t1) / (double)done_calls : 0.0,
               (unsigned long long)s->nn_arena_bytes, (unsigned long long)s->nn_model_bytes);
    }
    if (st != RUNE_OK) goto fail;
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "rune run: %s\n", err.msg);
done:
    rune_host_free(h);
    if (tout) fclose(tout);
    rune_free(bytes);
    for (size_t i = 0; i < np; i++)
        rune_cap_provider_free(prov[i]);
    rune_trust_policy_clear(&policy);
    return rc;
}
