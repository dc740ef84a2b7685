/*
 * render.c - how `hmr targets cast` shows its steps: on a terminal a progress bar redrawn in place
 * for the upload and a line per finished step; in a pipe only the step lines; with --json nothing
 * until the end, where the events are part of the answer.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hmr_cmd.h"

void hmr_render_init(hmr_render *r, bool json)
{
    memset(r, 0, sizeof *r);
    r->json = json;
    r->tty = !json && isatty(STDOUT_FILENO);
    r->last_pct = -1;
    if (json) r->events = cJSON_CreateArray();
}

void hmr_render_free(hmr_render *r)
{
    cJSON_Delete(r->events);
    r->events = NULL;
}

static void bar(int pct, size_t done, size_t total)
{
    char b[31];
    int fill = pct * 30 / 100;
    for (int i = 0; i < 30; i++)
        b[i] = i < fill ? '#' : '.';
    b[30] = 0;
    printf("\r  uploading        [%s] %3d%% %zu/%zu", b, pct, done, total);
    fflush(stdout);
}

void hmr_render_event(void *ud, const rune_hmr_event *ev)
{
    hmr_render *r = ud;
    if (r->json) {
        if (ev->kind != RUNE_HMR_EV_END) return;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "step", rune_hmr_step_name(ev->step));
        cJSON_AddBoolToObject(o, "ok", ev->ok);
        cJSON_AddStringToObject(o, "detail", ev->detail ? ev->detail : "");
        cJSON_AddItemToArray(r->events, o);
        return;
    }
    if (ev->kind == RUNE_HMR_EV_PROGRESS) {
        if (!r->tty || !ev->total) return;
        int pct = (int)((double)ev->done * 100.0 / (double)ev->total);
        if (pct != r->last_pct) bar(pct, ev->done, ev->total);
        r->last_pct = pct;
        return;
    }
    if (ev->kind == RUNE_HMR_EV_BEGIN) {
        if (r->tty && ev->step == RUNE_HMR_STEP_UPLOAD) {
            r->last_pct = 0;
            bar(0, 0, ev->total);
        }
        return;
    }
    if (r->tty && ev->step == RUNE_HMR_STEP_UPLOAD) printf("\r\033[K");
    const char *mark =
        ev->ok ? (r->tty ? "\033[32m✔\033[0m" : "ok") : (r->tty ? "\033[31m✘\033[0m" : "FAIL");
    printf("%s %-18s %s\n", mark, rune_hmr_step_name(ev->step), ev->detail ? ev->detail : "");
    fflush(stdout);
}
