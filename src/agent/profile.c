/*
 * profile.c - the device profile of runicosd: a small JSON file (docs/device-profile.md) read with
 * cJSON into rune_agent_profile.
 *
 * Workload: read once at start; a few hundred bytes. Unknown keys are refused (a typo in a policy
 * key must not silently grant anything); every error names the key.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "agent_int.h"
#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/container.h"

void rune_agent_profile_defaults(rune_agent_profile *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->provider, sizeof p->provider, "linux:x86_64");
    p->engine = RUNE_WASM_INTERP;
    p->fuel_per_call = RUNE_AGENT_DEFAULT_FUEL;
    p->probation_calls = 5;
    p->rollback_failures = 3;
    p->auto_confirm = true;
    p->backoff_min_ms = 100;
    p->backoff_max_ms = 5000;
    p->max_rune_bytes = 16u << 20;
    p->baud = 115200;
}

static rune_status set_path(char *out, size_t cap, const char *base, const char *v, const char *key,
                            rune_error *err)
{
    int n;
    if (v[0] == '/' || !base || !base[0])
        n = snprintf(out, cap, "%s", v);
    else
        n = snprintf(out, cap, "%s/%s", base, v);
    if (n < 0 || (size_t)n >= cap)
        return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s: path too long", key);
    return RUNE_OK;
}

static rune_status get_str(const cJSON *o, const char *key, char *out, size_t cap, rune_error *err)
{
    if (!cJSON_IsString(o))
        return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s must be a string", key);
    if (strlen(o->valuestring) >= cap)
        return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s is too long (max %zu)", key, cap - 1);
    snprintf(out, cap, "%s", o->valuestring);
    return RUNE_OK;
}

static rune_status get_uint(const cJSON *o, const char *key, double max, double *out,
                            rune_error *err)
{
    if (!cJSON_IsNumber(o) || o->valuedouble < 0 || o->valuedouble > max)
        return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s must be a number from 0 to %.0f", key,
                        max);
    *out = o->valuedouble;
    return RUNE_OK;
}

static rune_status get_bool(const cJSON *o, const char *key, bool *out, rune_error *err)
{
    if (!cJSON_IsBool(o))
        return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s must be true or false", key);
    *out = cJSON_IsTrue(o);
    return RUNE_OK;
}

static int cap_kind(const char *s)
{
    return rune_abi_capability_parse(s, strlen(s));
}

static rune_status parse_cap(const cJSON *c, size_t i, const char *base, rune_agent_cap *cap,
                             rune_error *err)
{
    char key[48];
    snprintf(key, sizeof key, "capabilities[%zu]", i);
    if (!cJSON_IsObject(c))
        return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s must be an object", key);
    memset(cap, 0, sizeof *cap);
    cap->loop = true;
    cap->freq_hz = 440;
    cap->amplitude = 0.5;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(c, "kind");
    if (!cJSON_IsString(kind) || cap_kind(kind->valuestring) < 0)
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "profile: %s.kind must be one of sound, image, accel, rand, raw", key);
    cap->kind = cap_kind(kind->valuestring);
    const cJSON *it;
    cJSON_ArrayForEach(it, c)
    {
        const char *k = it->string;
        rune_status st = RUNE_OK;
        double d = 0;
        if (strcmp(k, "kind") == 0) {
            continue;
        } else if (strcmp(k, "file") == 0 || strcmp(k, "path") == 0) {
            if (!cJSON_IsString(it))
                return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s.%s must be a string", key, k);
            snprintf(cap->source, sizeof cap->source, "file");
            st = set_path(cap->path, sizeof cap->path, base, it->valuestring, key, err);
        } else if (strcmp(k, "device") == 0) {
            /* An ALSA PCM name ("default", "hw:1,0") or a V4L2 node ("/dev/video0"), as is. */
            st = get_str(it, "device", cap->path, sizeof cap->path, err);
            snprintf(cap->source, sizeof cap->source, "device");
        } else if (strcmp(k, "seed") == 0) {
            st = get_uint(it, "seed", 9007199254740991.0, &d, err);
            cap->seed = (uint64_t)d;
        } else if (strcmp(k, "loop") == 0) {
            st = get_bool(it, "loop", &cap->loop, err);
        } else if (strcmp(k, "signal") == 0) {
            st = get_str(it, "signal", cap->signal, sizeof cap->signal, err);
            snprintf(cap->source, sizeof cap->source, "signal");
        } else if (strcmp(k, "freq_hz") == 0) {
            st = get_uint(it, "freq_hz", 1e6, &cap->freq_hz, err);
        } else if (strcmp(k, "amplitude") == 0) {
            st = get_uint(it, "amplitude", 1, &cap->amplitude, err);
        } else {
            return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s: unknown key \"%s\"", key, k);
        }
        if (st != RUNE_OK) return st;
    }
    int sources = (cJSON_GetObjectItemCaseSensitive(c, "file") != NULL) +
                  (cJSON_GetObjectItemCaseSensitive(c, "path") != NULL) + (cap->signal[0] != 0) +
                  (cJSON_GetObjectItemCaseSensitive(c, "device") != NULL);
    if (sources > 1)
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "profile: %s: one source: a file, a signal or a device, not several", key);
    if (cap->kind == RUNE_CAP_RAND) {
        if (cap->source[0])
            return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s: rand takes a seed, not a %s", key,
                            cap->source);
        snprintf(cap->source, sizeof cap->source, "seed");
    } else if (strcmp(cap->source, "signal") == 0) {
        if (cap->kind != RUNE_CAP_SOUND && cap->kind != RUNE_CAP_ACCEL)
            return RUNE_ERR(err, RUNE_E_INVALID,
                            "profile: %s: only sound and accel can be a simulated signal", key);
        if (strcmp(cap->signal, "sine") != 0 && strcmp(cap->signal, "noise") != 0 &&
            strcmp(cap->signal, "silence") != 0)
            return RUNE_ERR(err, RUNE_E_INVALID,
                            "profile: %s.signal must be sine, noise or silence", key);
    } else if (strcmp(cap->source, "device") == 0) {
        if (cap->kind != RUNE_CAP_SOUND && cap->kind != RUNE_CAP_IMAGE)
            return RUNE_ERR(err, RUNE_E_INVALID,
                            "profile: %s: only sound (ALSA) and image (V4L2) can be a device", key);
        if (!cap->path[0])
            return RUNE_ERR(err, RUNE_E_INVALID, "profile: %s.device must not be empty", key);
    } else if (strcmp(cap->source, "file") != 0) {
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "profile: %s: %s needs a \"file\", a \"signal\" or a \"device\"", key,
                        kind->valuestring);
    }
    return RUNE_OK;
}

static rune_status parse_policy(const cJSON *pol, const char *base, rune_agent_profile *p,
                                rune_error *err)
{
    if (!cJSON_IsObject(pol))
        return RUNE_ERR(err, RUNE_E_INVALID, "profile: policy must be an object");
    const cJSON *it;
    cJSON_ArrayForEach(it, pol)
    {
        const char *k = it->string;
        rune_status st = RUNE_OK;
        if (strcmp(k, "allow") == 0) {
            if (!cJSON_IsArray(it))
                return RUNE_ERR(err, RUNE_E_INVALID, "profile: policy.allow must be an array");
            const cJSON *s;
            p->allowed_caps = 0;
            cJSON_ArrayForEach(s, it)
            {
                if (!cJSON_IsString(s) || cap_kind(s->valuestring) < 0)
                    return RUNE_ERR(err, RUNE_E_INVALID,
                                    "profile: policy.allow: unknown capability kind");
                p->allowed_caps |= 1u << cap_kind(s->valuestring);
            }
            if (p->allowed_caps == 0) p->allowed_caps = 1u << 31; /* allow nothing */
        } else if (strcmp(k, "require_signature") == 0) {
            st = get_bool(it, "policy.require_signature", &p->require_signature, err);
        } else if (strcmp(k, "trusted_keys") == 0) {
            if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) > 4)
                return RUNE_ERR(err, RUNE_E_INVALID,
                                "profile: policy.trusted_keys must be an array of at most 4 paths");
            const cJSON *s;
            p->ntrusted_keys = 0;
            cJSON_ArrayForEach(s, it)
            {
                if (!cJSON_IsString(s))
                    return RUNE_ERR(err, RUNE_E_INVALID,
                                    "profile: policy.trusted_keys: paths are strings");
                st = set_path(p->trusted_keys[p->ntrusted_keys++], RUNE_AGENT_PATH_MAX, base,
                              s->valuestring, "policy.trusted_keys", err);
                if (st != RUNE_OK) return st;
            }
        } else if (strcmp(k, "trust_policy") == 0) {
            if (!cJSON_IsString(it))
                return RUNE_ERR(err, RUNE_E_INVALID, "profile: policy.trust_policy must be a path");
            st = set_path(p->trust_policy, sizeof p->trust_policy, base, it->valuestring,
                          "policy.trust_policy", err);
        } else {
            return RUNE_ERR(err, RUNE_E_INVALID, "profile: policy: unknown key \"%s\"", k);
        }
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

static rune_status parse_key(const cJSON *it, const char *base, rune_agent_profile *p,
                             rune_error *err)
{
    const char *k = it->string;
    double d = 0;
    rune_status st;
    if (strcmp(k, "name") == 0) return get_str(it, k, p->name, sizeof p->name, err);
    if (strcmp(k, "provider") == 0) return get_str(it, k, p->provider, sizeof p->provider, err);
    if (strcmp(k, "udp") == 0) return get_str(it, k, p->udp, sizeof p->udp, err);
    if (strcmp(k, "serial") == 0) return get_str(it, k, p->serial, sizeof p->serial, err);
    if (strcmp(k, "store") == 0) {
        if (!cJSON_IsString(it))
            return RUNE_ERR(err, RUNE_E_INVALID, "profile: store must be a path");
        return set_path(p->store, sizeof p->store, base, it->valuestring, k, err);
    }
    if (strcmp(k, "engine") == 0) {
        if (cJSON_IsString(it) && strcmp(it->valuestring, "interp") == 0)
            p->engine = RUNE_WASM_INTERP;
        else if (cJSON_IsString(it) && strcmp(it->valuestring, "aot") == 0)
            p->engine = RUNE_WASM_AOT;
        else
            return RUNE_ERR(err, RUNE_E_INVALID, "profile: engine must be \"interp\" or \"aot\"");
        return RUNE_OK;
    }
    if (strcmp(k, "rate_hz") == 0) {
        if (cJSON_IsString(it) && strcmp(it->valuestring, "capability") == 0) {
            p->rate_hz = 0;
            return RUNE_OK;
        }
        st = get_uint(it, k, 10000, &d, err);
        p->rate_hz = d;
        return st;
    }
    struct {
        const char *key;
        double max;
        int which;
    } nums[] = {{"memory_pages", 65536, 0},      {"fuel_per_call", 1e15, 1},
                {"probation_calls", 1e6, 2},     {"rollback_failures", 1e6, 3},
                {"backoff_min_ms", 3600e3, 4},   {"backoff_max_ms", 3600e3, 5},
                {"max_rune_bytes", 1u << 30, 6}, {"baud", 921600, 7}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(k, nums[i].key) != 0) continue;
        st = get_uint(it, k, nums[i].max, &d, err);
        if (st != RUNE_OK) return st;
        switch (nums[i].which) {
        case 0: p->memory_pages = (uint32_t)d; break;
        case 1: p->fuel_per_call = (uint64_t)d; break;
        case 2: p->probation_calls = (uint32_t)d; break;
        case 3: p->rollback_failures = (uint32_t)d; break;
        case 4: p->backoff_min_ms = (uint32_t)d; break;
        case 5: p->backoff_max_ms = (uint32_t)d; break;
        case 6: p->max_rune_bytes = (size_t)d; break;
        default: p->baud = (int)d; break;
        }
        return RUNE_OK;
    }
    if (strcmp(k, "auto_confirm") == 0) return get_bool(it, k, &p->auto_confirm, err);
    if (strcmp(k, "policy") == 0) return parse_policy(it, base, p, err);
    if (strcmp(k, "capabilities") == 0) {
        if (!cJSON_IsArray(it))
            return RUNE_ERR(err, RUNE_E_INVALID, "profile: capabilities must be an array");
        if (cJSON_GetArraySize(it) > RUNE_AGENT_MAX_CAPS)
            return RUNE_ERR(err, RUNE_E_LIMIT, "profile: at most %d capabilities",
                            RUNE_AGENT_MAX_CAPS);
        const cJSON *c;
        p->ncaps = 0;
        cJSON_ArrayForEach(c, it)
        {
            st = parse_cap(c, p->ncaps, base, &p->caps[p->ncaps], err);
            if (st != RUNE_OK) return st;
            p->ncaps++;
        }
        return RUNE_OK;
    }
    return RUNE_ERR(err, RUNE_E_INVALID, "profile: unknown key \"%s\"", k);
}

rune_status rune_agent_profile_parse(const char *json, size_t len, const char *base_dir,
                                     rune_agent_profile *out, rune_error *err)
{
    if (!json || !out) return RUNE_ERR(err, RUNE_E_ARG, "profile: NULL argument");
    rune_agent_profile_defaults(out);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) return RUNE_ERR(err, RUNE_E_MALFORMED, "profile: not valid JSON");
    rune_status st = RUNE_OK;
    if (!cJSON_IsObject(root)) {
        st = RUNE_ERR(err, RUNE_E_INVALID, "profile: must be a JSON object");
        goto done;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, root)
    {
        st = parse_key(it, base_dir, out, err);
        if (st != RUNE_OK) goto done;
    }
    if (!out->name[0]) {
        st = RUNE_ERR(err, RUNE_E_INVALID, "profile: \"name\" is required");
    } else if (!out->store[0]) {
        st = RUNE_ERR(err, RUNE_E_INVALID, "profile: \"store\" (a directory) is required");
    } else if (out->backoff_max_ms < out->backoff_min_ms) {
        st = RUNE_ERR(err, RUNE_E_INVALID, "profile: backoff_max_ms is below backoff_min_ms");
    } else if (out->rollback_failures == 0) {
        st = RUNE_ERR(err, RUNE_E_INVALID, "profile: rollback_failures must be at least 1");
    }
done:
    cJSON_Delete(root);
    return st;
}

rune_status rune_agent_profile_load(const char *path, rune_agent_profile *out, rune_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    rune_status st = rune_file_read(path, &buf, &len, err);
    if (st != RUNE_OK) return rune_error_prefix(err, "profile %s", path);
    char base[RUNE_AGENT_PATH_MAX];
    snprintf(base, sizeof base, "%s", path);
    char *slash = strrchr(base, '/');
    if (slash)
        *slash = '\0';
    else
        base[0] = '\0';
    st = rune_agent_profile_parse((const char *)buf, len, base, out, err);
    rune_free(buf);
    if (st != RUNE_OK) rune_error_prefix(err, "%s", path);
    return st;
}
