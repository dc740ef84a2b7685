/*
 * Device profiles: a full profile parses into every field, relative paths are taken from the
 * profile's directory, defaults apply, and every bad profile is refused with a message naming the
 * key; an agent refuses a profile whose capability file is missing or whose policy requires
 * signatures without a trusted key.
 */
#include "agent_fixture.h"
#include "rune/abi.h"

static rune_status parse(const char *json, rune_agent_profile *p, rune_error *err)
{
    return rune_agent_profile_parse(json, strlen(json), "/etc/rune", p, err);
}

TEST(full_profile)
{
    const char *json =
        "{\"name\": \"kitchen\", \"provider\": \"linux:aarch64\",\n"
        " \"capabilities\": [{\"kind\": \"sound\", \"file\": \"yes.wav\", \"loop\": false},\n"
        "                  {\"kind\": \"accel\", \"signal\": \"sine\", \"freq_hz\": 2,\n"
        "                   \"amplitude\": 0.25, \"seed\": 3},\n"
        "                  {\"kind\": \"rand\", \"seed\": 42},\n"
        "                  {\"kind\": \"accel\", \"file\": \"/data/a.csv\"}],\n"
        " \"memory_pages\": 32, \"engine\": \"aot\", \"rate_hz\": 2.5, \"fuel_per_call\": "
        "1000000,\n"
        " \"policy\": {\"allow\": [\"sound\", \"rand\"], \"require_signature\": true,\n"
        "            \"trusted_keys\": [\"keys/a.pub\"], \"trust_policy\": \"trust.txt\"},\n"
        " \"probation_calls\": 7, \"rollback_failures\": 2, \"auto_confirm\": false,\n"
        " \"backoff_min_ms\": 50, \"backoff_max_ms\": 800, \"max_rune_bytes\": 1000000,\n"
        " \"store\": \"store\", \"udp\": \"127.0.0.1:1337\", \"serial\": \"/dev/ttyUSB0\",\n"
        " \"baud\": 921600}";
    rune_agent_profile p;
    rune_error err;
    CHECK_OK(parse(json, &p, &err), &err);
    CHECK_STR(p.name, "kitchen");
    CHECK_STR(p.provider, "linux:aarch64");
    CHECK_EQ_INT(p.ncaps, 4);
    CHECK_EQ_INT(p.caps[0].kind, 2);
    CHECK_STR(p.caps[0].path, "/etc/rune/yes.wav");
    CHECK(!p.caps[0].loop);
    CHECK_STR(p.caps[1].source, "signal");
    CHECK_STR(p.caps[1].signal, "sine");
    CHECK_NEAR(p.caps[1].freq_hz, 2, 0);
    CHECK_NEAR(p.caps[1].amplitude, 0.25, 0);
    CHECK_EQ_INT(p.caps[1].seed, 3);
    CHECK_STR(p.caps[2].source, "seed");
    CHECK_EQ_INT(p.caps[2].seed, 42);
    CHECK_STR(p.caps[3].path, "/data/a.csv");
    CHECK(p.caps[3].loop);
    CHECK_EQ_INT(p.memory_pages, 32);
    CHECK_EQ_INT(p.engine, RUNE_WASM_AOT);
    CHECK_NEAR(p.rate_hz, 2.5, 1e-9);
    CHECK_EQ_INT(p.fuel_per_call, 1000000);
    CHECK_EQ_INT(p.allowed_caps, (1u << 2) | (1u << 1));
    CHECK(p.require_signature);
    CHECK_EQ_INT(p.ntrusted_keys, 1);
    CHECK_STR(p.trusted_keys[0], "/etc/rune/keys/a.pub");
    CHECK_STR(p.trust_policy, "/etc/rune/trust.txt");
    CHECK_EQ_INT(p.probation_calls, 7);
    CHECK_EQ_INT(p.rollback_failures, 2);
    CHECK(!p.auto_confirm);
    CHECK_EQ_INT(p.backoff_min_ms, 50);
    CHECK_EQ_INT(p.backoff_max_ms, 800);
    CHECK_EQ_INT(p.max_rune_bytes, 1000000);
    CHECK_STR(p.store, "/etc/rune/store");
    CHECK_STR(p.udp, "127.0.0.1:1337");
    CHECK_STR(p.serial, "/dev/ttyUSB0");
    CHECK_EQ_INT(p.baud, 921600);
}

/* Real devices: an ALSA PCM for sound and a V4L2 node for images, kept as named (not taken
 * relative to the profile), opened only when a rune opens the capability. */
TEST(device_sources)
{
    const char *json = "{\"name\": \"pi\", \"store\": \"s\", \"capabilities\": [\n"
                       "  {\"kind\": \"sound\", \"device\": \"hw:1,0\"},\n"
                       "  {\"kind\": \"image\", \"device\": \"/dev/video0\"}]}";
    rune_agent_profile p;
    rune_error err;
    CHECK_OK(parse(json, &p, &err), &err);
    CHECK_EQ_INT(p.ncaps, 2);
    CHECK_STR(p.caps[0].source, "device");
    CHECK_STR(p.caps[0].path, "hw:1,0");
    CHECK_EQ_INT(p.caps[0].kind, RUNE_CAP_SOUND);
    CHECK_STR(p.caps[1].source, "device");
    CHECK_STR(p.caps[1].path, "/dev/video0");
    CHECK_EQ_INT(p.caps[1].kind, RUNE_CAP_IMAGE);
}

TEST(defaults)
{
    rune_agent_profile p;
    rune_error err;
    CHECK_OK(parse("{\"name\":\"d\",\"store\":\"/s\"}", &p, &err), &err);
    CHECK_STR(p.provider, "linux:x86_64");
    CHECK_EQ_INT(p.engine, RUNE_WASM_INTERP);
    CHECK_EQ_INT(p.probation_calls, 5);
    CHECK_EQ_INT(p.rollback_failures, 3);
    CHECK(p.auto_confirm);
    CHECK_EQ_INT(p.allowed_caps, 0);
    CHECK_EQ_INT(p.ncaps, 0);
    CHECK_NEAR(p.rate_hz, 0, 0);
    CHECK_OK(parse("{\"name\":\"d\",\"store\":\"/s\",\"rate_hz\":\"capability\"}", &p, &err), &err);
}

TEST(bad_profiles_name_the_key)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"name\":\"d\",\"store\":\"/s\"", "not valid JSON"},
        {"[1]", "must be a JSON object"},
        {"{\"store\":\"/s\"}", "\"name\" is required"},
        {"{\"name\":\"d\"}", "\"store\""},
        {"{\"name\":\"d\",\"store\":\"/s\",\"colour\":1}", "unknown key \"colour\""},
        {"{\"name\":7,\"store\":\"/s\"}", "name must be a string"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"engine\":\"jit\"}", "engine must be"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"memory_pages\":-1}", "memory_pages must be"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"baud\":\"fast\"}", "baud must be"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"smell\"}]}",
         "capabilities[0].kind"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"sound\"}]}",
         "sound needs a \"file\""},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"rand\",\"file\":\"x\"}]}",
         "rand takes a seed"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"raw\",\"file\":\"x\","
         "\"speed\":1}]}",
         "unknown key \"speed\""},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":{}}", "capabilities must be an array"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"image\",\"signal\":"
         "\"sine\"}]}",
         "only sound and accel"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"sound\",\"signal\":"
         "\"square\"}]}",
         "sine, noise or silence"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"sound\",\"signal\":"
         "\"sine\",\"file\":\"a.wav\"}]}",
         "not several"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"accel\",\"device\":"
         "\"/dev/iio0\"}]}",
         "only sound (ALSA) and image (V4L2) can be a device"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"sound\",\"device\":"
         "\"hw:1,0\",\"file\":\"a.wav\"}]}",
         "not several"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"image\",\"device\":"
         "\"\"}]}",
         "device must not be empty"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"rand\",\"signal\":"
         "\"sine\"}]}",
         "rand takes a seed, not a signal"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"capabilities\":[{\"kind\":\"sound\",\"signal\":"
         "\"sine\",\"amplitude\":3}]}",
         "amplitude must be"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"policy\":{\"allow\":[\"x\"]}}", "policy.allow"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"policy\":{\"grant\":1}}", "unknown key \"grant\""},
        {"{\"name\":\"d\",\"store\":\"/s\",\"policy\":{\"require_signature\":1}}",
         "require_signature must be true or false"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"backoff_min_ms\":10,\"backoff_max_ms\":5}",
         "backoff_max_ms"},
        {"{\"name\":\"d\",\"store\":\"/s\",\"rollback_failures\":0}", "rollback_failures"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rune_agent_profile p;
        rune_error err;
        rune_error_clear(&err);
        rune_status st = parse(cases[i].json, &p, &err);
        CHECK_MSG_(st != RUNE_OK, "case %zu accepted", i);
        CHECK_CONTAINS(err.msg, cases[i].want);
    }
}

TEST(load_from_file_and_agent_refusals)
{
    fx_dev d;
    fx_dev_init(&d, "x");
    char path[256], json[512];
    snprintf(path, sizeof path, "%s/device.json", d.dir);
    snprintf(json, sizeof json,
             "{\"name\":\"bench\",\"store\":\"store\",\"capabilities\":[{\"kind\":\"raw\","
             "\"file\":\"raw.bin\"}]}");
    fx_write(path, json, strlen(json));
    rune_agent_profile p;
    rune_error err;
    CHECK_OK(rune_agent_profile_load(path, &p, &err), &err);
    char want[256];
    snprintf(want, sizeof want, "%s/raw.bin", d.dir);
    CHECK_STR(p.caps[0].path, want);
    long live = rune_alloc_live();
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&p, NULL, &a, &err), &err);
    rune_agent_destroy(a);

    snprintf(path, sizeof path, "%s/missing.json", d.dir);
    CHECK_STATUS(rune_agent_profile_load(path, &p, &err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "missing.json");

    /* a capability file that is not there */
    rune_agent_profile q = d.prof;
    snprintf(q.caps[0].path, sizeof q.caps[0].path, "%s/nope.bin", d.dir);
    a = NULL;
    CHECK(rune_agent_create(&q, NULL, &a, &err) != RUNE_OK);
    CHECK_CONTAINS(err.msg, "capability raw");
    CHECK(a == NULL);
    /* a device is opened when a rune asks for it, so an agent with a camera that is not
     * plugged in starts (and a rune needing IMAGE then fails its start, not the agent) */
    q = d.prof;
    q.caps[0].kind = RUNE_CAP_IMAGE;
    snprintf(q.caps[0].source, sizeof q.caps[0].source, "device");
    snprintf(q.caps[0].path, sizeof q.caps[0].path, "/dev/video-rune-test-absent");
    a = NULL;
    CHECK_OK(rune_agent_create(&q, NULL, &a, &err), &err);
    rune_agent_destroy(a);
    a = NULL;
    /* signatures required, nobody trusted */
    q = d.prof;
    q.require_signature = true;
    CHECK_STATUS(rune_agent_create(&q, NULL, &a, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "without any trusted key");
    /* a trusted key file that is not a key */
    snprintf(q.trusted_keys[0], sizeof q.trusted_keys[0], "%s/raw.bin", d.dir);
    q.ntrusted_keys = 1;
    CHECK(rune_agent_create(&q, NULL, &a, &err) != RUNE_OK);
    CHECK_CONTAINS(err.msg, "policy.trusted_keys");
    CHECK_EQ_INT(rune_alloc_live(), live);
    fx_rmtree(d.dir);
}

int main(void)
{
    RUN(full_profile);
    RUN(device_sources);
    RUN(defaults);
    RUN(bad_profiles_name_the_key);
    RUN(load_from_file_and_agent_refusals);
    return test_report();
}
