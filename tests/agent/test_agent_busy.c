/*
 * test_agent_busy.c - with the rune thread (options.rune_thread, what runicosd uses) the agent
 * answers SMP while a long rune call runs. The guest (guests/slow.wat) busy-loops for several
 * hundred ms a call. While a call runs (the agent's own counters: calls_started one ahead of
 * calls), echo, status, metrics and the first packet of an upload are sent and must all be
 * answered before that call ends: the counters are the same after the answers as before them.
 * (A loaded machine may stall this thread past the end of a call: the exchange is tried again, up
 * to 5 calls; an agent that answers only between calls never passes it.)
 * Then the call ends and is counted, the agent keeps running the rune, and it stops cleanly
 * (the thread is joined after the call it is in).
 */
#include "agent_fixture.h"

/* Wait until a call runs; fills info. */
static bool wait_in_call(rune_agent *a, rune_agent_info *in, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 2) {
        rune_agent_get_info(a, in);
        if (in->calls_started > in->calls) return true;
        fx_sleep_ms(2);
    }
    return false;
}

TEST(smp_answered_during_a_long_call)
{
    fx_dev d;
    fx_dev_init(&d, "dev-busy");
    d.prof.fuel_per_call = 0; /* the loop is long on purpose */
    d.prof.rate_hz = 100;     /* calls back to back */
    rune_agent_options opt = {0};
    opt.rune_thread = true;
    fx_srv s;
    if (!fx_srv_start(&s, &d.prof, &opt)) return;
    size_t len = 0, len2 = 0;
    uint8_t *slow = fx_rune("slow", "slow", "1.0.0", NULL, NULL, &len);
    uint8_t *other = fx_rune_pad("good", "other", "1.0.0", NULL, NULL, 20000, &len2);
    CHECK(slow && other);
    fx_cli c;
    rune_error err;
    if (slow && other && fx_cli_open(&c, s.port)) {
        CHECK_OK(fx_upload(&c, slow, len, &err), &err);
        rune_agent_info before, after;
        bool during = false;
        for (int attempt = 0; attempt < 5 && !during; attempt++) {
            CHECK(wait_in_call(s.a, &before, 60000));
            CHECK_EQ_INT(before.calls_started, before.calls + 1);

            /* all of these while that call runs */
            char out[64];
            CHECK_OK(rune_smp_echo(&c.c, "still here", out, sizeof out, &err), &err);
            CHECK_STR(out, "still here");
            fx_status st;
            CHECK_OK(fx_get_status(&c, &st, &err), &err);
            CHECK_EQ_INT(st.n, 1);
            if (st.n) CHECK_STR(st.r.name, "slow");
            CHECK_OK(rune_smp_rune_cmd(&c.c, RUNE_SMP_RUNE_METRICS, NULL, &err), &err);
            CHECK(rune_cbor_map_find(&c.c.rsp->doc, 0, "runes") >= 0);
            rune_smp_upload u;
            CHECK_OK(rune_smp_upload_begin(&u, &c.c, other, len2, 0, &err), &err);
            CHECK_OK(rune_smp_upload_step(&u, &c.c, &err), &err);
            CHECK(u.off > 0 && u.off < len2);

            rune_agent_get_info(s.a, &after);
            during = after.calls == before.calls && after.calls_started == before.calls_started;
        }
        CHECK_MSG_(
            during, "the answers waited for the call: calls %llu -> %llu, started %llu -> %llu",
            (unsigned long long)before.calls, (unsigned long long)after.calls,
            (unsigned long long)before.calls_started, (unsigned long long)after.calls_started);

        /* the call ends and is counted; the rune keeps running */
        for (int i = 0; i < 60000 && after.calls < before.calls_started + 1; i += 5) {
            fx_sleep_ms(5);
            rune_agent_get_info(s.a, &after);
        }
        CHECK(after.calls >= before.calls_started + 1);
        CHECK_EQ_INT(after.failures, 0);
        CHECK(after.good_calls == after.calls);
        fx_cli_close(&c);
    }
    fx_srv_stop(&s);
    rune_free(slow);
    rune_free(other);
    fx_rmtree(d.dir);
}

/* Replacing the running rune while a call runs waits for that call, then takes effect. */
TEST(install_waits_for_the_running_call)
{
    fx_dev d;
    fx_dev_init(&d, "dev-busy2");
    d.prof.fuel_per_call = 0;
    d.prof.rate_hz = 100;
    rune_agent_options opt = {0};
    opt.rune_thread = true;
    rune_agent *a = NULL;
    rune_error err;
    CHECK_OK(rune_agent_create(&d.prof, &opt, &a, &err), &err);
    if (!a) return;
    size_t len = 0, len2 = 0;
    uint8_t *slow = fx_rune("slow", "slow", "1.0.0", NULL, NULL, &len);
    uint8_t *good = fx_rune("good", "good", "2.0.0", NULL, NULL, &len2);
    CHECK_OK(rune_agent_install(a, slow, len, &err), &err);
    rune_agent_info in;
    CHECK(wait_in_call(a, &in, 60000));
    uint64_t started = in.calls_started;
    CHECK_OK(rune_agent_install(a, good, len2, &err), &err); /* returns after that call */
    rune_agent_get_info(a, &in);
    CHECK(in.calls >= started);
    CHECK_STR(in.active_name, "good");
    CHECK_STR(in.previous_name, "slow");
    for (int i = 0; i < 20000 && in.calls < started + 3; i += 5) { /* good runs now */
        fx_sleep_ms(5);
        rune_agent_get_info(a, &in);
    }
    CHECK(in.calls >= started + 3);
    rune_agent_stop_thread(a); /* back to calls in rune_agent_poll */
    rune_agent_get_info(a, &in);
    uint64_t calls = in.calls;
    for (int i = 0; i < 50; i++)
        rune_agent_poll(a, 5, NULL);
    rune_agent_get_info(a, &in);
    CHECK(in.calls > calls);
    rune_agent_destroy(a);
    rune_free(slow);
    rune_free(good);
    fx_rmtree(d.dir);
}

int main(void)
{
    RUN(smp_answered_during_a_long_call);
    RUN(install_waits_for_the_running_call);
    return test_report();
}
