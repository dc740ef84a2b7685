/*
 * store.c - the agent's rune store: content-addressed rune files and the state file that names the
 * active and previous rune, written so that a crash at any instant leaves the old or the new state.
 *
 * Workload: a handful of runes of a few KB to a few MB; an install every few minutes at most. All
 * writes go temp file -> fsync -> rename -> fsync(dir); recovery trusts only what it can re-hash.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_int.h"
#include "rune/alloc.h"
#include "rune/container.h"

int agent_fault(rune_agent *a, int step)
{
    return a->opt.fault && a->opt.fault(a->opt.fault_ud, step);
}

void agent_hex(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

rune_status agent_unhex32(const char *hex, uint8_t out[32])
{
    if (strlen(hex) != AGENT_HEX_LEN) return RUNE_E_MALFORMED;
    for (size_t i = 0; i < 32; i++) {
        int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
        if (h < 0 || l < 0) return RUNE_E_MALFORMED;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return RUNE_OK;
}

void agent_rune_path(const rune_agent *a, const char *hash, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.rune", a->dir_runes, hash);
}

rune_status agent_fsync_dir(const char *dir, rune_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return RUNE_ERR(err, RUNE_E_IO, "store: open %s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0) return RUNE_ERR(err, RUNE_E_IO, "store: fsync %s: %s", dir, strerror(e));
    return RUNE_OK;
}

static void dir_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *s = strrchr(out, '/');
    if (s && s != out)
        *s = '\0';
    else
        snprintf(out, cap, "%s", s ? "/" : ".");
}

rune_status agent_write_atomic(rune_agent *a, const char *path, const void *data, size_t len,
                               int step_tmp, int step_rename, rune_error *err)
{
    char tmp[RUNE_AGENT_PATH_MAX + 64], dir[RUNE_AGENT_PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return RUNE_ERR(err, RUNE_E_IO, "store: create %s: %s", tmp, strerror(errno));
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return RUNE_ERR(err, RUNE_E_IO, "store: write %s: %s", tmp, strerror(e));
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return RUNE_ERR(err, RUNE_E_IO, "store: fsync %s: %s", tmp, strerror(e));
    }
    close(fd);
    if (step_rename >= 0 && agent_fault(a, step_rename))
        return RUNE_ERR(err, RUNE_E_IO, "store: fault injected at step %d", step_rename);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return RUNE_ERR(err, RUNE_E_IO, "store: rename to %s: %s", path, strerror(e));
    }
    dir_of(path, dir, sizeof dir);
    return agent_fsync_dir(dir, err);
}

/* ---- state.json ---- */

static void state_path(const rune_agent *a, char *out, size_t cap)
{
    snprintf(out, cap, "%s/state.json", a->prof.store);
}

static void put_slot(cJSON *o, const char *key, const agent_slot *s)
{
    cJSON_AddStringToObject(o, key, s->present ? s->hash : "");
}

rune_status agent_state_save(rune_agent *a, const agent_state *st, int step_tmp, int step_rename,
                             rune_error *err)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return RUNE_ERR(err, RUNE_E_NOMEM, "store: out of memory");
    cJSON_AddNumberToObject(o, "version", 1);
    put_slot(o, "active", &st->active);
    put_slot(o, "previous", &st->previous);
    cJSON_AddBoolToObject(o, "confirmed", st->confirmed);
    cJSON_AddBoolToObject(o, "previous_bad", st->previous_bad);
    cJSON_AddBoolToObject(o, "stopped", st->stopped);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text) return RUNE_ERR(err, RUNE_E_NOMEM, "store: out of memory");
    if (step_tmp >= 0 && agent_fault(a, step_tmp)) {
        cJSON_free(text);
        return RUNE_ERR(err, RUNE_E_IO, "store: fault injected at step %d", step_tmp);
    }
    char path[RUNE_AGENT_PATH_MAX + 32];
    state_path(a, path, sizeof path);
    rune_status s = agent_write_atomic(a, path, text, strlen(text), step_tmp, step_rename, err);
    cJSON_free(text);
    return s;
}

rune_status agent_rune_load(rune_agent *a, const char *hash, uint8_t **bytes, size_t *len,
                            rune_error *err)
{
    char path[RUNE_AGENT_PATH_MAX + 96];
    uint8_t want[32], got[32];
    if (agent_unhex32(hash, want) != RUNE_OK)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "store: bad rune hash \"%s\"", hash);
    agent_rune_path(a, hash, path, sizeof path);
    rune_status st = rune_file_read(path, bytes, len, err);
    if (st != RUNE_OK) return st;
    crypto_hash_sha256(got, *bytes, *len);
    if (sodium_memcmp(got, want, 32) != 0) {
        rune_free(*bytes);
        *bytes = NULL;
        return RUNE_ERR(err, RUNE_E_VERIFY, "store: %s.rune is damaged (SHA-256 mismatch)", hash);
    }
    return RUNE_OK;
}

/* Check the slot's file and fill its name/version from the manifest; false when unusable. */
static bool slot_check(rune_agent *a, agent_slot *s)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error e;
    if (agent_rune_load(a, s->hash, &bytes, &len, &e) != RUNE_OK) {
        agent_log(a, RUNE_SAGA_ERROR, "store: %s", e.msg);
        return false;
    }
    rune_container *c = NULL;
    bool ok = rune_container_open(bytes, len, &c, &e) == RUNE_OK;
    if (ok) {
        snprintf(s->name, sizeof s->name, "%s", c->manifest->name);
        snprintf(s->version, sizeof s->version, "%s", c->manifest->version);
    } else {
        agent_log(a, RUNE_SAGA_ERROR, "store: %s.rune: %s", s->hash, e.msg);
    }
    rune_container_free(c);
    rune_free(bytes);
    return ok;
}

static void read_slot(const cJSON *o, const char *key, agent_slot *s)
{
    memset(s, 0, sizeof *s);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    uint8_t raw[32];
    if (cJSON_IsString(v) && agent_unhex32(v->valuestring, raw) == RUNE_OK) {
        s->present = true;
        snprintf(s->hash, sizeof s->hash, "%s", v->valuestring);
    }
}

static bool read_bool(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

void agent_store_gc(rune_agent *a)
{
    DIR *d = opendir(a->dir_runes);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.') continue;
            size_t n = strlen(de->d_name);
            bool keep = false;
            if (n == AGENT_HEX_LEN + 5 && strcmp(de->d_name + AGENT_HEX_LEN, ".rune") == 0) {
                keep = (a->st.active.present &&
                        strncmp(de->d_name, a->st.active.hash, AGENT_HEX_LEN) == 0) ||
                       (a->st.previous.present &&
                        strncmp(de->d_name, a->st.previous.hash, AGENT_HEX_LEN) == 0);
            }
            if (!keep) {
                char p[RUNE_AGENT_PATH_MAX + 300];
                snprintf(p, sizeof p, "%s/%s", a->dir_runes, de->d_name);
                unlink(p);
            }
        }
        closedir(d);
    }
    static const char *const leftovers[] = {"state.json.tmp", "install.part", "install.part.tmp"};
    for (size_t i = 0; i < sizeof leftovers / sizeof leftovers[0]; i++) {
        char p[RUNE_AGENT_PATH_MAX + 32];
        snprintf(p, sizeof p, "%s/%s", a->prof.store, leftovers[i]);
        unlink(p);
    }
}

rune_status agent_store_recover(rune_agent *a, rune_error *err)
{
    char path[RUNE_AGENT_PATH_MAX + 32];
    if (mkdir(a->prof.store, 0755) != 0 && errno != EEXIST)
        return RUNE_ERR(err, RUNE_E_IO, "store: mkdir %s: %s", a->prof.store, strerror(errno));
    if (mkdir(a->dir_runes, 0755) != 0 && errno != EEXIST)
        return RUNE_ERR(err, RUNE_E_IO, "store: mkdir %s: %s", a->dir_runes, strerror(errno));
    memset(&a->st, 0, sizeof a->st);
    state_path(a, path, sizeof path);
    uint8_t *text = NULL;
    size_t len = 0;
    rune_error e;
    if (rune_file_read(path, &text, &len, &e) == RUNE_OK) {
        cJSON *o = cJSON_ParseWithLength((const char *)text, len);
        if (o && cJSON_IsObject(o)) {
            read_slot(o, "active", &a->st.active);
            read_slot(o, "previous", &a->st.previous);
            a->st.confirmed = read_bool(o, "confirmed");
            a->st.previous_bad = read_bool(o, "previous_bad");
            a->st.stopped = read_bool(o, "stopped");
        } else {
            agent_log(a, RUNE_SAGA_ERROR, "store: state.json does not parse; starting empty");
        }
        cJSON_Delete(o);
        rune_free(text);
    }
    agent_state before = a->st;
    if (a->st.previous.present && !slot_check(a, &a->st.previous)) {
        memset(&a->st.previous, 0, sizeof a->st.previous);
        a->st.previous_bad = false;
    }
    if (a->st.active.present && !slot_check(a, &a->st.active)) {
        agent_log(a, RUNE_SAGA_ERROR, "store: active rune %.12s unusable, falling back",
                  a->st.active.hash);
        a->st.active = a->st.previous;
        memset(&a->st.previous, 0, sizeof a->st.previous);
        a->st.confirmed = a->st.active.present;
        a->st.previous_bad = false;
    }
    if (memcmp(&before, &a->st, sizeof before) != 0) {
        /* names and versions were filled in, compare only what is stored */
        bool changed = before.active.present != a->st.active.present ||
                       strcmp(before.active.hash, a->st.active.hash) != 0 ||
                       before.previous.present != a->st.previous.present ||
                       strcmp(before.previous.hash, a->st.previous.hash) != 0 ||
                       before.confirmed != a->st.confirmed;
        if (changed) {
            rune_status st = agent_state_save(a, &a->st, -1, -1, err);
            if (st != RUNE_OK) return st;
        }
    }
    agent_store_gc(a);
    return RUNE_OK;
}
