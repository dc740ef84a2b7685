/*
 * install.c - the install and image-state transitions of the store: a checked, staged rune becomes
 * the active one on probation (the old active kept as previous), a switch to the previous rune
 * (test, manual or automatic rollback), and confirmation.
 *
 * Workload: rare, small writes. The order of the install steps is what makes a crash harmless:
 * the new rune file is complete and synced under its final name before state.json names it, and
 * state.json changes by one rename. A fault hook can stop the install before any step.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"

rune_status agent_install_staged(rune_agent *a, const char *staged_path, const agent_slot *slot,
                                 rune_error *err)
{
    char path[RUNE_AGENT_PATH_MAX + 96];
    if (agent_fault(a, RUNE_AGENT_STEP_STAGED))
        return RUNE_ERR(err, RUNE_E_IO, "install: fault injected at step %d",
                        RUNE_AGENT_STEP_STAGED);
    if (a->st.active.present && strcmp(a->st.active.hash, slot->hash) == 0) {
        unlink(staged_path);
        agent_log(a, RUNE_SAGA_INFO, "install: %s %s is already the active rune", slot->name,
                  slot->version);
        return RUNE_OK;
    }
    if (agent_fault(a, RUNE_AGENT_STEP_RUNE_FILE))
        return RUNE_ERR(err, RUNE_E_IO, "install: fault injected at step %d",
                        RUNE_AGENT_STEP_RUNE_FILE);
    agent_rune_path(a, slot->hash, path, sizeof path);
    if (rename(staged_path, path) != 0)
        return RUNE_ERR(err, RUNE_E_IO, "install: rename to %s failed", path);
    rune_status st = agent_fsync_dir(a->dir_runes, err);
    if (st != RUNE_OK) return st;

    agent_state next = a->st;
    next.previous = a->st.active;
    next.previous_bad = false;
    next.active = *slot;
    next.active.present = true;
    next.confirmed = false;
    next.stopped = false;
    /* A rune installed over the previous one: the old previous goes (gc below). */
    st = agent_state_save(a, &next, RUNE_AGENT_STEP_STATE_TMP, RUNE_AGENT_STEP_STATE, err);
    if (st != RUNE_OK) return st;
    a->st = next;
    agent_log(a, RUNE_SAGA_INFO, "install: %s %s (%.12s) is active on probation", slot->name,
              slot->version, slot->hash);
    if (agent_fault(a, RUNE_AGENT_STEP_CLEANUP))
        return RUNE_ERR(err, RUNE_E_IO, "install: fault injected at step %d",
                        RUNE_AGENT_STEP_CLEANUP);
    agent_store_gc(a);
    agent_sup_reload(a);
    return RUNE_OK;
}

rune_status agent_switch_previous(rune_agent *a, bool confirm, bool mark_bad, rune_error *err)
{
    if (!a->st.previous.present)
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "there is no previous rune to switch to");
    agent_state next = a->st;
    next.active = a->st.previous;
    next.previous = a->st.active;
    next.previous_bad = mark_bad;
    next.confirmed = confirm;
    next.stopped = false;
    rune_status st = agent_state_save(a, &next, -1, -1, err);
    if (st != RUNE_OK) return st;
    a->st = next;
    agent_sup_reload(a);
    return RUNE_OK;
}

rune_status agent_confirm(rune_agent *a, rune_error *err)
{
    if (!a->st.active.present) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "no rune is installed");
    if (a->st.confirmed) return RUNE_OK;
    agent_state next = a->st;
    next.confirmed = true;
    rune_status st = agent_state_save(a, &next, -1, -1, err);
    if (st != RUNE_OK) return st;
    a->st = next;
    a->probation_good = a->probation_failures = 0;
    agent_log(a, RUNE_SAGA_INFO, "confirmed: %s %s", a->st.active.name, a->st.active.version);
    return RUNE_OK;
}
