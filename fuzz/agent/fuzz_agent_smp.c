/*
 * fuzz_agent_smp.c - any bytes as an SMP request to a live agent (every handler registered: image
 * upload and state, rune group, OS, LibSaga), then a poll round: no crash, no leak, and the agent
 * still answers an echo afterwards. The agent's store lives in a temporary directory for the run.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rune/agent.h"

static rune_agent *agent;
static char dir[64] = "/tmp/fuzz-agent-XXXXXX";
static uint8_t rsp[RUNE_SMP_MAX_MSG];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void cleanup(void)
{
    rune_agent_destroy(agent); /* the log streams' cookies are not visible to LeakSanitizer */
    agent = NULL;
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Before the first input, so the agent's own allocations are not taken for an input's leak. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(dir)) abort();
    rune_agent_profile p;
    rune_agent_profile_defaults(&p);
    snprintf(p.name, sizeof p.name, "fuzz");
    snprintf(p.store, sizeof p.store, "%s/store", dir);
    p.caps[0].kind = 1; /* RAND */
    snprintf(p.caps[0].source, sizeof p.caps[0].source, "seed");
    p.ncaps = 1;
    p.max_rune_bytes = 1 << 16;
    rune_error err;
    if (rune_agent_create(&p, NULL, &agent, &err) != RUNE_OK) {
        fprintf(stderr, "fuzz_agent_smp: %s\n", err.msg);
        abort();
    }
    /* every input is a new request, not a retry of the last one */
    rune_smp_server_set_retry_window(rune_agent_server(agent), 0);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    rune_error err;
    rune_smp_server_handle(rune_agent_server(agent), data, size, rsp, sizeof rsp, &n, &err);
    if (n > sizeof rsp) abort();
    rune_agent_poll(agent, 0, NULL);
    /* still alive: an echo gets its answer */
    static const uint8_t echo[] = {0x0a, 0,    0,   7,    0,   0,   0x42, 0,
                                   0xa1, 0x61, 'd', 0x63, 'h', 'i', '!'};
    n = 0;
    if (rune_smp_server_handle(rune_agent_server(agent), echo, sizeof echo, rsp, sizeof rsp, &n,
                               &err) != RUNE_OK ||
        n == 0)
        abort();
    return 0;
}
