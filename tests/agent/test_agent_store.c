/*
 * The agent's store across crashes: an install stopped before each of its steps (in process, and
 * by SIGKILL in a child process) restarts on the old or the new rune, never a broken one, with no
 * stray files; a damaged active rune falls back to the previous; a damaged state file starts empty;
 * a first rune that keeps trapping ends "failed" with nothing to roll back to; allocation failures
 * while creating the agent leak nothing.
 */
#include "agent_fixture.h"
#include "rune/sign.h"

#include <dirent.h>
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>

static int stop_at = -1;
static int fault_hook(void *ud, int step)
{
    (void)ud;
    if (step != stop_at) return 0;
    if (getenv("AGENT_KILL_CHILD")) raise(SIGKILL);
    return 1;
}

/* Poll the agent (no transports) until its rune made `calls` good calls or 2 s passed. */
static void run_calls(rune_agent *a, uint64_t calls)
{
    rune_agent_info in;
    for (int i = 0; i < 400; i++) {
        rune_agent_poll(a, 5, NULL);
        rune_agent_get_info(a, &in);
        if (in.good_calls >= calls || strcmp(in.state, "failed") == 0) break;
    }
}

static void hash_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t h[32];
    crypto_hash_sha256(h, p, n);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Only the active and previous rune files are left, and no temp or staging files. */
static void check_store_clean(const fx_dev *d, const rune_agent_info *in)
{
    char path[256];
    snprintf(path, sizeof path, "%s/store/runes", d->dir);
    DIR *dir = opendir(path);
    CHECK(dir != NULL);
    if (!dir) return;
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') continue;
        n++;
        CHECK_MSG_((in->has_active && strncmp(de->d_name, in->active_hash, 64) == 0) ||
                       (in->has_previous && strncmp(de->d_name, in->previous_hash, 64) == 0),
                   "stray file %s", de->d_name);
    }
    closedir(dir);
    CHECK_EQ_INT(n, (int)in->has_active + (int)in->has_previous);
    snprintf(path, sizeof path, "%s/store/state.json.tmp", d->dir);
    CHECK(access(path, F_OK) != 0);
}

/* Install A, then B with a crash before step k (in process, or SIGKILL in a child); restart. */
static void crash_at(int k, bool in_child)
{
    fx_dev d;
    fx_dev_init(&d, "dev-store");
    rune_error err;
    size_t la = 0, lb = 0;
    uint8_t *ra = fx_hostile("1.0.0", &la), *rb = fx_hostile("2.0.0", &lb);
    char ha[65], hb[65];
    hash_hex(ra, la, ha);
    hash_hex(rb, lb, hb);
    rune_agent *a = NULL;
    rune_agent_options opt = {0};
    opt.fault = fault_hook;
    CHECK_OK(rune_agent_create(&d.prof, &opt, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_install(a, ra, la, &err), &err);
    run_calls(a, 4);
    stop_at = k;
    if (in_child) {
        pid_t pid = fork();
        if (pid == 0) {
            setenv("AGENT_KILL_CHILD", "1", 1);
            rune_agent_install(a, rb, lb, &err);
            _exit(0); /* k past the last step: the install finished */
        }
        int ws = 0;
        waitpid(pid, &ws, 0);
        CHECK(k >= RUNE_AGENT_STEP_COUNT ? WIFEXITED(ws) : WIFSIGNALED(ws));
    } else {
        rune_status st = rune_agent_install(a, rb, lb, &err);
        if (k < RUNE_AGENT_STEP_COUNT) {
            CHECK_STATUS(st, RUNE_E_IO);
            CHECK_CONTAINS(err.msg, "fault injected");
        }
    }
    stop_at = -1;
    rune_agent_destroy(a); /* the "dead" agent's memory; its files stay as the crash left them */
    a = NULL;

    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    rune_agent_info in;
    rune_agent_get_info(a, &in);
    CHECK(in.has_active);
    bool old = strcmp(in.active_hash, ha) == 0, new = strcmp(in.active_hash, hb) == 0;
    CHECK_MSG_(old || new, "step %d: active is neither the old nor the new rune", k);
    /* the switch is the rename of state.json: before it the old rune, after it the new one */
    if (k <= RUNE_AGENT_STEP_STATE)
        CHECK_MSG_(old, "step %d: expected the old rune", k);
    else
        CHECK_MSG_(new, "step %d: expected the new rune", k);
    if (new) CHECK(in.has_previous && strcmp(in.previous_hash, ha) == 0 && !in.confirmed);
    check_store_clean(&d, &in);
    run_calls(a, 3);
    rune_agent_get_info(a, &in);
    CHECK_STR(in.state, "running");
    CHECK(in.good_calls >= 3);
    rune_agent_destroy(a);
    rune_free(ra);
    rune_free(rb);
    fx_rmtree(d.dir);
}

TEST(crash_before_each_install_step_in_process)
{
    for (int k = 0; k <= RUNE_AGENT_STEP_COUNT; k++)
        crash_at(k, false);
}

TEST(sigkill_before_each_install_step)
{
    for (int k = 0; k <= RUNE_AGENT_STEP_COUNT; k++)
        crash_at(k, true);
}

/* SIGKILL at random moments while a child agent installs A and B over and over: every restart
 * finds A or B active, intact and running, and nothing stray in the store. Seeded. */
TEST(sigkill_at_random_moments_during_installs)
{
    fx_dev d;
    fx_dev_init(&d, "dev-chaos");
    rune_error err;
    size_t la = 0, lb = 0;
    uint8_t *ra = fx_hostile("1.0.0", &la), *rb = fx_hostile("2.0.0", &lb);
    char ha[65], hb[65];
    hash_hex(ra, la, ha);
    hash_hex(rb, lb, hb);
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_install(a, ra, la, &err), &err);
    rune_agent_destroy(a);
    srand(1234);
    int faults = 0, broken = 0, on_a = 0, on_b = 0;
    for (int i = 0; i < 25; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            rune_agent *c = NULL;
            if (rune_agent_create(&d.prof, NULL, &c, NULL) != RUNE_OK) _exit(3);
            for (int k = 0;; k++) {
                rune_agent_install(c, k % 2 ? ra : rb, k % 2 ? la : lb, NULL);
                rune_agent_poll(c, 0, NULL);
            }
        }
        fx_sleep_ms(rand() % 40);
        kill(pid, SIGKILL);
        int ws = 0;
        waitpid(pid, &ws, 0);
        CHECK(WIFSIGNALED(ws));
        faults++;
        a = NULL;
        if (rune_agent_create(&d.prof, NULL, &a, &err) != RUNE_OK) {
            broken++;
            continue;
        }
        rune_agent_info in;
        rune_agent_get_info(a, &in);
        bool ok =
            in.has_active && (strcmp(in.active_hash, ha) == 0 || strcmp(in.active_hash, hb) == 0);
        on_a += strcmp(in.active_hash, ha) == 0;
        on_b += strcmp(in.active_hash, hb) == 0;
        check_store_clean(&d, &in);
        run_calls(a, 1);
        rune_agent_get_info(a, &in);
        ok = ok && strcmp(in.state, "running") == 0 && in.good_calls >= 1;
        if (!ok) broken++;
        rune_agent_destroy(a);
    }
    printf("sigkill during installs: faults injected: %d, devices broken: %d (restarted on A %d, "
           "on B %d)\n",
           faults, broken, on_a, on_b);
    CHECK_EQ_INT(broken, 0);
    rune_free(ra);
    rune_free(rb);
    fx_rmtree(d.dir);
}

TEST(damaged_active_rune_falls_back_to_previous)
{
    fx_dev d;
    fx_dev_init(&d, "dev-damage");
    rune_error err;
    size_t la = 0, lb = 0;
    uint8_t *ra = fx_hostile("1.0.0", &la), *rb = fx_hostile("2.0.0", &lb);
    char hb[65];
    hash_hex(rb, lb, hb);
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_install(a, ra, la, &err), &err);
    run_calls(a, 4);
    CHECK_OK(rune_agent_install(a, rb, lb, &err), &err);
    run_calls(a, 4);
    rune_agent_destroy(a);

    /* flip a byte of the active rune's file (a bad sector) */
    char path[512];
    snprintf(path, sizeof path, "%s/store/runes/%s.rune", d.dir, hb);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 20, SEEK_SET);
        fputc('Z', f);
        fclose(f);
    }
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    rune_agent_info in;
    rune_agent_get_info(a, &in);
    CHECK_STR(in.active_version, "1.0.0");
    CHECK(in.confirmed && !in.has_previous);
    check_store_clean(&d, &in);
    run_calls(a, 2);
    rune_agent_get_info(a, &in);
    CHECK_STR(in.state, "running");
    rune_agent_destroy(a);

    /* a state file that does not parse: the agent starts empty, and cleans up */
    snprintf(path, sizeof path, "%s/store/state.json", d.dir);
    fx_write(path, "{\"active\": tru", 14);
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (a) {
        rune_agent_get_info(a, &in);
        CHECK(!in.has_active);
        CHECK_STR(in.state, "none");
        check_store_clean(&d, &in);
    }
    rune_agent_destroy(a);
    rune_free(ra);
    rune_free(rb);
    fx_rmtree(d.dir);
}

TEST(first_rune_that_traps_ends_failed)
{
    fx_dev d;
    fx_dev_init(&d, "dev-trap");
    rune_error err;
    size_t lt = 0;
    uint8_t *rt = fx_rune("trap", "trapper", "1.0.0", NULL, NULL, &lt);
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_install(a, rt, lt, &err), &err);
    run_calls(a, 1000);
    rune_agent_info in;
    rune_agent_get_info(a, &in);
    CHECK_STR(in.state, "failed");
    CHECK_EQ_INT(in.failures, 3);
    CHECK_EQ_INT(in.good_calls, 0);
    CHECK_EQ_INT(in.rollbacks, 1);
    CHECK(in.restarts >= 2);
    rune_agent_destroy(a);
    rune_free(rt);
    fx_rmtree(d.dir);
}

typedef struct found {
    int level;
    char msg[RUNE_SAGA_LOG_MSG_MAX + 1];
} found;

static bool find_denial(void *ud, const rune_saga_log_entry *e)
{
    found *f = ud;
    if (strstr(e->msg, "denied: capability IMAGE") && strcmp(e->rune, "hostile") == 0) {
        f->level = e->level;
        snprintf(f->msg, sizeof f->msg, "%s", e->msg);
    }
    return true;
}

static bool find_fuel(void *ud, const rune_saga_log_entry *e)
{
    found *f = ud;
    if (strstr(e->msg, "fuel")) snprintf(f->msg, sizeof f->msg, "%s", e->msg);
    return true;
}

/* The hostile guest fed 'i' opens a capability it never declared: denied, logged as a warning
 * under the rune's name, and the failing rune (no previous one) ends failed. */
TEST(denials_are_logged_as_warnings)
{
    fx_dev d;
    fx_dev_init(&d, "dev-deny");
    fx_write(d.prof.caps[0].path, "i", 1);
    rune_error err;
    rune_agent *a = NULL;
    size_t lh = 0;
    uint8_t *h = fx_hostile("1.0.0", &lh);
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_install(a, h, lh, &err), &err);
    run_calls(a, 1000);
    rune_agent_info in;
    rune_agent_get_info(a, &in);
    CHECK_STR(in.state, "failed");
    found f = {-1, ""};
    uint64_t next = 0, dropped = 0;
    rune_saga_logs_read(rune_agent_saga(a), 0, 1000, NULL, find_denial, &f, &next, &dropped);
    CHECK_EQ_INT(f.level, RUNE_SAGA_WARN);
    CHECK_CONTAINS(f.msg, "host: denied: capability IMAGE");
    CHECK(f.msg[0] != '[');
    rune_agent_destroy(a);
    rune_free(h);
    fx_rmtree(d.dir);
}

/* A rune that never returns from _call is stopped by its fuel, and rolled back like a trap. */
TEST(endless_loop_runs_out_of_fuel)
{
    fx_dev d;
    fx_dev_init(&d, "dev-loop");
    CHECK(d.prof.fuel_per_call > 0); /* on by default */
    d.prof.fuel_per_call = 5u * 1000 * 1000;
    rune_error err;
    rune_agent *a = NULL;
    size_t l1 = 0, l2 = 0;
    uint8_t *good = fx_hostile("1.0.0", &l1);
    uint8_t *looping = fx_rune("spin", "spinner", "2.0.0", NULL, NULL, &l2);
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_install(a, good, l1, &err), &err);
    run_calls(a, 4);
    CHECK_OK(rune_agent_install(a, looping, l2, &err), &err);
    rune_agent_info in;
    for (int i = 0; i < 400; i++) {
        rune_agent_poll(a, 5, NULL);
        rune_agent_get_info(a, &in);
        if (in.rollbacks > 0) break;
    }
    CHECK_EQ_INT(in.rollbacks, 1);
    CHECK_STR(in.active_version, "1.0.0");
    CHECK(in.previous_bad);
    found f = {-1, ""};
    uint64_t next = 0, dropped = 0;
    rune_saga_logs_read(rune_agent_saga(a), 0, 1000, NULL, find_fuel, &f, &next, &dropped);
    CHECK_CONTAINS(f.msg, "fuel");
    rune_agent_destroy(a);
    rune_free(good);
    rune_free(looping);
    fx_rmtree(d.dir);
}

TEST(allocation_failures_while_creating_leak_nothing)
{
    fx_dev d;
    fx_dev_init(&d, "dev-nomem");
    size_t la = 0;
    uint8_t *ra = fx_hostile("1.0.0", &la);
    rune_error err;
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (a) CHECK_OK(rune_agent_install(a, ra, la, &err), &err);
    rune_agent_destroy(a);
    long live = rune_alloc_live();
    int ok = 0;
    for (long n = 0; n < 400 && !ok; n++) {
        a = NULL;
        rune_alloc_fail_after(n);
        rune_status st = rune_agent_create(&d.prof, NULL, &a, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK)
            ok = 1;
        else
            CHECK_MSG_(err.msg[0] != '\0', "n=%ld: no message", n);
        rune_agent_destroy(a);
        CHECK_EQ_INT(rune_alloc_live(), live);
    }
    CHECK(ok);
    rune_free(ra);
    fx_rmtree(d.dir);
}

/* Refusals at install leave the active rune and the store as they were. */
TEST(install_refusals_leave_the_store_untouched)
{
    fx_dev d;
    fx_dev_init(&d, "dev-refuse");
    d.prof.memory_pages = 2;
    d.prof.allowed_caps = 1u << 1; /* RAND only, though RAW is offered */
    rune_error err;
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    size_t lg = 0, lb = 0, lh = 0;
    static const char *const rand_args[] = {"count", "1", NULL};
    uint8_t *good = fx_rune("good", "good", "1.0.0", "RAND", rand_args, &lg);
    uint8_t *big = fx_rune("big", "big", "1.0.0", NULL, NULL, &lb);
    uint8_t *hostile = fx_hostile("1.0.0", &lh);
    CHECK_OK(rune_agent_install(a, good, lg, &err), &err);
    run_calls(a, 4);
    rune_agent_info before, after;
    rune_agent_get_info(a, &before);
    CHECK(before.confirmed);

    CHECK_STATUS(rune_agent_install(a, hostile, lh, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "rune needs RAW, which this device's policy does not allow");
    CHECK(rune_agent_install(a, big, lb, &err) != RUNE_OK);
    CHECK_CONTAINS(err.msg, "rune rejected");
    CHECK_CONTAINS(err.msg, "memory");
    CHECK(rune_agent_install(a, good, lg / 2, &err) != RUNE_OK); /* truncated */
    CHECK_CONTAINS(err.msg, "rune rejected");

    rune_agent_get_info(a, &after);
    CHECK_STR(after.active_hash, before.active_hash);
    CHECK(after.confirmed && !after.has_previous);
    check_store_clean(&d, &after);
    run_calls(a, before.good_calls + 2);
    rune_agent_get_info(a, &after);
    CHECK_STR(after.state, "running");
    rune_agent_destroy(a);
    rune_free(good);
    rune_free(big);
    rune_free(hostile);
    fx_rmtree(d.dir);
}

/* The period between calls: the profile's rate, else what the rune's capability sets. */
TEST(call_period_from_profile_or_capability)
{
    fx_dev d;
    fx_dev_init(&d, "dev-rate");
    d.prof.caps[0].kind = 2; /* SOUND from a real WAV */
    snprintf(d.prof.caps[0].path, sizeof d.prof.caps[0].path, "%s",
             SHARED("testdata/yes_1000ms.wav"));
    d.prof.rate_hz = 0;
    rune_error err;
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    static const char *const hz_args[] = {"hz", "16000", "samples", "4000", NULL};
    static const char *const plain_args[] = {"count", "1", NULL};
    size_t l1 = 0, l2 = 0;
    uint8_t *r1 = fx_rune("good", "listener", "1.0.0", "SOUND", hz_args, &l1);
    uint8_t *r2 = fx_rune("good", "dice", "1.0.0", "RAND", plain_args, &l2);
    rune_agent_info in;
    CHECK_OK(rune_agent_install(a, r1, l1, &err), &err);
    rune_agent_get_info(a, &in);
    CHECK_EQ_INT(in.period_ms, 250); /* 4000 samples at 16 kHz: four readings a second */
    CHECK_OK(rune_agent_install(a, r2, l2, &err), &err);
    rune_agent_get_info(a, &in);
    CHECK_EQ_INT(in.period_ms, 1000); /* nothing sets a rate: once a second */
    rune_agent_destroy(a);
    d.prof.rate_hz = 40;
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (a) {
        rune_agent_get_info(a, &in);
        CHECK_STR(in.active_name, "dice");
        CHECK_EQ_INT(in.period_ms, 25);
    }
    rune_agent_destroy(a);
    rune_free(r1);
    rune_free(r2);
    fx_rmtree(d.dir);
}

/* engine "aot": the rune runs compiled (the upload checks still use the interpreter). */
TEST(aot_engine_runs_the_rune)
{
    fx_dev d;
    fx_dev_init(&d, "dev-aot");
    d.prof.engine = RUNE_WASM_AOT;
    rune_error err;
    rune_agent *a = NULL;
    size_t lh = 0;
    uint8_t *h = fx_hostile("1.0.0", &lh);
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_install(a, h, lh, &err), &err);
    run_calls(a, 4);
    rune_agent_info in;
    rune_agent_get_info(a, &in);
    CHECK_STR(in.state, "running");
    CHECK(in.good_calls >= 4 && in.confirmed);
    rune_agent_destroy(a);
    /* the compiled object is cached under the store */
    char aot[256];
    snprintf(aot, sizeof aot, "%s/store/aot", d.dir);
    DIR *dir = opendir(aot);
    int n = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir)) != NULL)
        n += de->d_name[0] != '.';
    if (dir) closedir(dir);
    CHECK(n >= 1);
    rune_free(h);
    fx_rmtree(d.dir);
}

/* A trust policy file: signatures required, one key trusted, another revoked. */
TEST(trust_policy_file_with_revocation)
{
    fx_dev d;
    fx_dev_init(&d, "dev-trust");
    rune_error err;
    rune_sign_key good, gone;
    CHECK_OK(rune_sign_keygen(&good, &err), &err);
    CHECK_OK(rune_sign_keygen(&gone, &err), &err);
    char *pk_good = NULL, *pk_gone = NULL;
    CHECK_OK(rune_sign_key_format(&good, 0, &pk_good, &err), &err);
    CHECK_OK(rune_sign_key_format(&gone, 0, &pk_gone, &err), &err);
    /* the "key <base64>" line of a public key file */
    const char *b64_good = pk_good ? strstr(pk_good, "\nkey ") : NULL;
    const char *b64_gone = pk_gone ? strstr(pk_gone, "\nkey ") : NULL;
    char policy[1024];
    snprintf(policy, sizeof policy,
             "require-signature yes\ntrust %s %.*s\ntrust %s %.*s\nrevoke %s\n", good.id,
             b64_good ? (int)strcspn(b64_good + 5, "\n") : 0, b64_good ? b64_good + 5 : "", gone.id,
             b64_gone ? (int)strcspn(b64_gone + 5, "\n") : 0, b64_gone ? b64_gone + 5 : "",
             gone.id);
    snprintf(d.prof.trust_policy, sizeof d.prof.trust_policy, "%s/trust.txt", d.dir);
    fx_write(d.prof.trust_policy, policy, strlen(policy));
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    size_t len = 0, l1 = 0, l2 = 0;
    uint8_t *r = fx_hostile("1.0.0", &len), *by_good = NULL, *by_gone = NULL;
    CHECK_OK(rune_sign_rune(r, len, &good, &by_good, &l1, &err), &err);
    CHECK_OK(rune_sign_rune(r, len, &gone, &by_gone, &l2, &err), &err);
    if (a) {
        CHECK_STATUS(rune_agent_install(a, r, len, &err), RUNE_E_DENIED);
        CHECK_CONTAINS(err.msg, "signature");
        CHECK_STATUS(rune_agent_install(a, by_gone, l2, &err), RUNE_E_DENIED);
        CHECK_CONTAINS(err.msg, "revoked");
        rune_agent_info in;
        rune_agent_get_info(a, &in);
        CHECK(!in.has_active);
        CHECK_OK(rune_agent_install(a, by_good, l1, &err), &err);
        rune_agent_get_info(a, &in);
        CHECK(in.has_active);
    }
    rune_agent_destroy(a);
    rune_free(pk_good);
    rune_free(pk_gone);
    rune_free(r);
    rune_free(by_good);
    rune_free(by_gone);
    fx_rmtree(d.dir);
}

/* A confirmed rune that traps on every call is restarted with backoff for ever (never rolled back),
 * and the restarts leak nothing. The confirm goes through the agent's SMP server directly. */
TEST(confirmed_rune_that_traps_is_restarted_without_leaks)
{
    fx_dev d;
    fx_dev_init(&d, "dev-restart");
    d.prof.auto_confirm = false;
    d.prof.backoff_min_ms = 1;
    d.prof.backoff_max_ms = 2;
    rune_error err;
    rune_agent *a = NULL;
    size_t lt = 0;
    uint8_t *rt = fx_rune("trap", "trapper", "1.0.0", NULL, NULL, &lt);
    CHECK_OK(rune_agent_create(&d.prof, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_install(a, rt, lt, &err), &err);
    /* image state write {"confirm": true} */
    static const uint8_t req[] = {0x0a, 0,   0,   10,  0,   1,   1,   0,   0xa1,
                                  0x67, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 0xf5};
    static uint8_t rsp[1024];
    size_t n = 0;
    CHECK_OK(
        rune_smp_server_handle(rune_agent_server(a), req, sizeof req, rsp, sizeof rsp, &n, &err),
        &err);
    rune_agent_info in;
    rune_agent_get_info(a, &in);
    CHECK(in.confirmed);
    for (int i = 0; i < 40; i++)
        rune_agent_poll(a, 3, NULL);
    long live = rune_alloc_live();
    rune_agent_get_info(a, &in);
    uint64_t before = in.restarts;
    for (int i = 0; i < 200; i++)
        rune_agent_poll(a, 3, NULL);
    rune_agent_get_info(a, &in);
    CHECK(in.restarts >= before + 20);
    CHECK_EQ_INT(in.rollbacks, 0);
    CHECK_EQ_INT(in.good_calls, 0);
    CHECK(strcmp(in.state, "backoff") == 0 || strcmp(in.state, "running") == 0);
    CHECK_EQ_INT(rune_alloc_live(), live);
    rune_agent_destroy(a);
    rune_free(rt);
    fx_rmtree(d.dir);
}

TEST(bad_arguments)
{
    rune_error err;
    rune_agent *a = NULL;
    rune_agent_profile p;
    rune_agent_profile_defaults(&p);
    CHECK_STATUS(rune_agent_create(&p, NULL, &a, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "name and a store");
    CHECK_STATUS(rune_agent_create(NULL, NULL, &a, &err), RUNE_E_ARG);
    snprintf(p.name, sizeof p.name, "x");
    snprintf(p.store, sizeof p.store, "/proc/no-such-dir/store");
    CHECK_STATUS(rune_agent_create(&p, NULL, &a, &err), RUNE_E_IO);
    CHECK(a == NULL);
    rune_agent_destroy(NULL);
}

int main(void)
{
    long live = rune_alloc_live();
    RUN(crash_before_each_install_step_in_process);
    RUN(sigkill_before_each_install_step);
    RUN(sigkill_at_random_moments_during_installs);
    RUN(damaged_active_rune_falls_back_to_previous);
    RUN(first_rune_that_traps_ends_failed);
    RUN(denials_are_logged_as_warnings);
    RUN(endless_loop_runs_out_of_fuel);
    RUN(allocation_failures_while_creating_leak_nothing);
    RUN(install_refusals_leave_the_store_untouched);
    RUN(call_period_from_profile_or_capability);
    RUN(aot_engine_runs_the_rune);
    RUN(trust_policy_file_with_revocation);
    RUN(confirmed_rune_that_traps_is_restarted_without_leaks);
    RUN(bad_arguments);
    test_current_ = "leaks";
    CHECK_EQ_INT(rune_alloc_live(), live);
    return test_report();
}
