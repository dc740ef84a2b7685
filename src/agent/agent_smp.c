/*
 * agent_smp.c - the agent's SMP handlers: the image upload sink (staging file, checks and install
 * on the last chunk, resume across a restart), image state (list / test / confirm), the rune group
 * (start, stop, status, caps, prometheus) and OS reset / info. What each answers is documented in
 * include/rune/agent.h.
 *
 * Workload: one client at a time, a request every few ms during an upload; handlers run on the
 * agent's only thread, so they touch the agent without locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent_int.h"
#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/container.h"

/* ---- upload sink ---- */

static void upload_paths(const rune_agent *a, char *part, char *meta, size_t cap)
{
    snprintf(part, cap, "%s/upload.part", a->prof.store);
    snprintf(meta, cap, "%s/upload.meta", a->prof.store);
}

static void upload_discard(rune_agent *a)
{
    char part[RUNE_AGENT_PATH_MAX + 32], meta[RUNE_AGENT_PATH_MAX + 32];
    upload_paths(a, part, meta, sizeof part);
    if (a->staging) fclose(a->staging);
    a->staging = NULL;
    unlink(part);
    unlink(meta);
}

static int set_rsn(rune_agent *a, int rc, const char *msg)
{
    snprintf(a->recv.rsn, sizeof a->recv.rsn, "%s", msg);
    return rc;
}

static int sink_begin(void *ud, uint32_t image, size_t len, const uint8_t sha[32])
{
    rune_agent *a = ud;
    char part[RUNE_AGENT_PATH_MAX + 32], meta[RUNE_AGENT_PATH_MAX + 32];
    upload_discard(a);
    upload_paths(a, part, meta, sizeof part);
    a->staging = fopen(part, "w+be");
    if (!a->staging) return set_rsn(a, RUNE_SMP_ERR_UNKNOWN, "cannot create the staging file");
    char hex[AGENT_HEX_LEN + 1], text[128];
    agent_hex(sha, 32, hex);
    int n = snprintf(text, sizeof text, "%zu %s %u\n", len, hex, (unsigned)image);
    FILE *f = fopen(meta, "wbe");
    if (!f || fwrite(text, 1, (size_t)n, f) != (size_t)n) {
        if (f) fclose(f);
        upload_discard(a);
        return set_rsn(a, RUNE_SMP_ERR_UNKNOWN, "cannot write the upload record");
    }
    fclose(f);
    agent_log(a, RUNE_SAGA_INFO, "upload: %zu bytes, sha256 %.12s", len, hex);
    return RUNE_SMP_ERR_OK;
}

static int sink_write(void *ud, size_t off, const uint8_t *data, size_t len)
{
    rune_agent *a = ud;
    if (!a->staging) return set_rsn(a, RUNE_SMP_ERR_BADSTATE, "no staging file open");
    if (fseeko(a->staging, (off_t)off, SEEK_SET) != 0 || fwrite(data, 1, len, a->staging) != len ||
        fflush(a->staging) != 0)
        return set_rsn(a, RUNE_SMP_ERR_UNKNOWN, "writing the staging file failed");
    return RUNE_SMP_ERR_OK;
}

static int sink_finish(void *ud, bool match)
{
    rune_agent *a = ud;
    char part[RUNE_AGENT_PATH_MAX + 32], meta[RUNE_AGENT_PATH_MAX + 32];
    upload_paths(a, part, meta, sizeof part);
    if (!match) {
        agent_log(a, RUNE_SAGA_WARN, "upload: SHA-256 mismatch, image dropped");
        upload_discard(a);
        return RUNE_SMP_ERR_OK;
    }
    if (!a->staging || fflush(a->staging) != 0 || fsync(fileno(a->staging)) != 0) {
        upload_discard(a);
        return set_rsn(a, RUNE_SMP_ERR_UNKNOWN, "syncing the staging file failed");
    }
    fclose(a->staging);
    a->staging = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error e;
    int rc = RUNE_SMP_ERR_OK, crc = RUNE_SMP_ERR_UNKNOWN;
    agent_slot slot = {0};
    agent_hex(a->recv.sha, 32, slot.hash);
    if (rune_file_read(part, &bytes, &len, &e) != RUNE_OK) {
        rc = set_rsn(a, RUNE_SMP_ERR_UNKNOWN, e.msg);
    } else if (agent_check_rune(a, bytes, len, &slot, &crc, &e) != RUNE_OK) {
        agent_log(a, RUNE_SAGA_WARN, "upload refused: %s", e.msg);
        rc = set_rsn(a, crc, e.msg);
    } else if (agent_install_staged(a, part, &slot, &e) != RUNE_OK) {
        agent_log(a, RUNE_SAGA_ERROR, "install failed: %s", e.msg);
        rc = set_rsn(a, RUNE_SMP_ERR_UNKNOWN, e.msg);
    }
    rune_free(bytes);
    if (rc != RUNE_SMP_ERR_OK) unlink(part);
    unlink(meta);
    /* The session ends here: casting the same image again (after a rollback, say) must install
     * it again, not be answered "you already sent that". */
    a->recv.active = false;
    return rc;
}

rune_status agent_upload_resume(rune_agent *a)
{
    char part[RUNE_AGENT_PATH_MAX + 32], meta[RUNE_AGENT_PATH_MAX + 32];
    upload_paths(a, part, meta, sizeof part);
    FILE *f = fopen(meta, "rbe");
    if (!f) {
        unlink(part);
        return RUNE_OK;
    }
    size_t len = 0;
    char hex[AGENT_HEX_LEN + 2];
    unsigned image = 0;
    int got = fscanf(f, "%zu %65s %u", &len, hex, &image);
    fclose(f);
    uint8_t sha[32];
    struct stat sb;
    if (got != 3 || agent_unhex32(hex, sha) != RUNE_OK || stat(part, &sb) != 0 ||
        (size_t)sb.st_size >= len || sb.st_size == 0 || len > a->prof.max_rune_bytes) {
        upload_discard(a); /* nothing to resume, or complete but never installed: cast again */
        return RUNE_OK;
    }
    uint8_t *bytes = NULL;
    size_t n = 0;
    rune_error e;
    if (rune_file_read(part, &bytes, &n, &e) != RUNE_OK) {
        upload_discard(a);
        return RUNE_OK;
    }
    a->staging = fopen(part, "r+be");
    if (!a->staging) {
        rune_free(bytes);
        upload_discard(a);
        return RUNE_OK;
    }
    rune_status st = rune_smp_img_recv_restore(&a->recv, image, len, sha, bytes, n, &e);
    rune_free(bytes);
    if (st != RUNE_OK) {
        upload_discard(a);
        return RUNE_OK;
    }
    agent_log(a, RUNE_SAGA_INFO, "upload: resumable at %zu of %zu bytes", n, len);
    return RUNE_OK;
}

/* ---- image state ---- */

static void fill_slot(rune_smp_image_slot *s, uint32_t slot, const agent_slot *as)
{
    memset(s, 0, sizeof *s);
    s->slot = slot;
    snprintf(s->version, sizeof s->version, "%s", as->version);
    agent_unhex32(as->hash, s->hash);
    s->hash_len = 32;
}

static int image_state_answer(rune_agent *a, rune_cbor_enc *rsp)
{
    rune_smp_image_slot slots[2];
    size_t n = 0;
    if (a->st.active.present) {
        fill_slot(&slots[n], 0, &a->st.active);
        slots[n].active = true;
        slots[n].bootable = true;
        slots[n].confirmed = a->st.confirmed;
        slots[n].pending = !a->st.confirmed;
        n++;
    }
    if (a->st.previous.present) {
        fill_slot(&slots[n], 1, &a->st.previous);
        slots[n].bootable = !a->st.previous_bad;
        slots[n].confirmed = true;
        n++;
    }
    rune_smp_put_image_state(rsp, slots, n);
    return RUNE_SMP_ERR_OK;
}

static int img_state_read(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    return image_state_answer(ud, rsp);
}

static int img_state_write(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    rune_agent *a = ud;
    const rune_cbor_doc *d = &req->msg->doc;
    rune_error e;
    bool confirm = false;
    const uint8_t *hash = NULL;
    size_t hash_len = 0;
    rune_status st = rune_cbor_get_bool(d, 0, "confirm", &confirm, &e);
    if (st == RUNE_E_INVALID) {
        snprintf(req->rsn, sizeof req->rsn, "%s", e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    st = rune_cbor_get_bytes(d, 0, "hash", &hash, &hash_len, &e);
    if (st == RUNE_E_INVALID || (st == RUNE_OK && hash_len != 32)) {
        snprintf(req->rsn, sizeof req->rsn, "\"hash\" must be a 32-byte SHA-256");
        return RUNE_SMP_ERR_INVAL;
    }
    char hex[AGENT_HEX_LEN + 1] = "";
    if (hash) agent_hex(hash, 32, hex);
    bool is_active = a->st.active.present && (!hash || strcmp(hex, a->st.active.hash) == 0);
    bool is_prev = hash && a->st.previous.present && strcmp(hex, a->st.previous.hash) == 0;
    if (!hash && !confirm) {
        snprintf(req->rsn, sizeof req->rsn, "test needs the \"hash\" of an image");
        return RUNE_SMP_ERR_INVAL;
    }
    if (!is_active && !is_prev) {
        snprintf(req->rsn, sizeof req->rsn, "no image with that hash on this device");
        return RUNE_SMP_ERR_NOENT;
    }
    if (is_active) {
        if (confirm) st = agent_confirm(a, &e);
    } else {
        agent_log(a, RUNE_SAGA_INFO, "%s: switching to %s %s", confirm ? "rollback" : "test",
                  a->st.previous.name, a->st.previous.version);
        st = agent_switch_previous(a, confirm, false, &e);
    }
    if (st != RUNE_OK) {
        snprintf(req->rsn, sizeof req->rsn, "%s", e.msg);
        return RUNE_SMP_ERR_UNKNOWN;
    }
    return image_state_answer(a, rsp);
}

/* ---- rune group ---- */

/* The optional "name" of a request must be the active rune's. */
static int check_name(rune_agent *a, rune_smp_request *req)
{
    char name[RUNE_SAGA_NAME_MAX + 1];
    rune_error e;
    rune_status st = rune_cbor_get_textz(&req->msg->doc, 0, "name", name, sizeof name, &e);
    if (st == RUNE_E_NOT_FOUND)
        name[0] = '\0';
    else if (st != RUNE_OK) {
        snprintf(req->rsn, sizeof req->rsn, "%s", e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    if (!a->st.active.present) {
        snprintf(req->rsn, sizeof req->rsn, "no rune is installed");
        return RUNE_SMP_ERR_NOENT;
    }
    if (name[0] && strcmp(name, a->st.active.name) != 0) {
        snprintf(req->rsn, sizeof req->rsn, "no rune named \"%s\" (the active rune is \"%s\")",
                 name, a->st.active.name);
        return RUNE_SMP_ERR_NOENT;
    }
    return RUNE_SMP_ERR_OK;
}

static int set_stopped(rune_agent *a, rune_smp_request *req, bool stopped)
{
    agent_state next = a->st;
    next.stopped = stopped;
    rune_error e;
    if (next.stopped != a->st.stopped && agent_state_save(a, &next, -1, -1, &e) != RUNE_OK) {
        snprintf(req->rsn, sizeof req->rsn, "%s", e.msg);
        return RUNE_SMP_ERR_UNKNOWN;
    }
    a->st = next;
    return RUNE_SMP_ERR_OK;
}

static int rune_start(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    rune_agent *a = ud;
    int rc = check_name(a, req);
    if (rc == RUNE_SMP_ERR_OK) rc = set_stopped(a, req, false);
    if (rc != RUNE_SMP_ERR_OK) return rc;
    if (a->run != AGENT_RUNNING && a->run != AGENT_BACKOFF) {
        agent_log(a, RUNE_SAGA_INFO, "start: %s", a->st.active.name);
        agent_sup_reload(a);
    }
    rune_cbor_put_textz(rsp, "state");
    rune_cbor_put_textz(rsp, agent_run_state_name(a->run));
    return RUNE_SMP_ERR_OK;
}

static int rune_stop(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    rune_agent *a = ud;
    int rc = check_name(a, req);
    if (rc == RUNE_SMP_ERR_OK) rc = set_stopped(a, req, true);
    if (rc != RUNE_SMP_ERR_OK) return rc;
    agent_sup_stop(a);
    a->run = AGENT_STOPPED;
    agent_log(a, RUNE_SAGA_INFO, "stop: %s", a->st.active.name);
    rune_cbor_put_textz(rsp, "state");
    rune_cbor_put_textz(rsp, agent_run_state_name(a->run));
    return RUNE_SMP_ERR_OK;
}

static void put_device(rune_agent *a, rune_cbor_enc *rsp)
{
    rune_cbor_put_textz(rsp, "device");
    rune_cbor_put_textz(rsp, a->prof.name);
    rune_cbor_put_textz(rsp, "provider");
    rune_cbor_put_textz(rsp, a->prof.provider);
}

static int rune_status_h(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    rune_agent *a = ud;
    rune_smp_rune_info info;
    size_t n = 0;
    if (rune_cbor_map_find(&req->msg->doc, 0, "name") >= 0) {
        int rc = check_name(a, req);
        if (rc != RUNE_SMP_ERR_OK) return rc;
    }
    if (a->st.active.present) {
        memset(&info, 0, sizeof info);
        snprintf(info.name, sizeof info.name, "%s", a->st.active.name);
        snprintf(info.version, sizeof info.version, "%s", a->st.active.version);
        snprintf(info.state, sizeof info.state, "%s", agent_run_state_name(a->run));
        agent_unhex32(a->st.active.hash, info.digest);
        info.digest_len = 32;
        uint64_t now = agent_now_ms();
        info.uptime_ms = (a->run == AGENT_RUNNING && now > a->started_ms) ? now - a->started_ms : 0;
        n = 1;
    }
    rune_smp_put_rune_status(rsp, &info, n);
    put_device(a, rsp);
    rune_cbor_put_textz(rsp, "probation");
    rune_cbor_put_bool(rsp, a->st.active.present && !a->st.confirmed);
    rune_cbor_put_textz(rsp, "previous");
    rune_cbor_put_textz(rsp, a->st.previous.present ? a->st.previous.name : "");
    return RUNE_SMP_ERR_OK;
}

static int rune_caps(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    rune_agent *a = ud;
    rune_smp_cap_info caps[RUNE_AGENT_MAX_CAPS];
    for (size_t i = 0; i < a->prof.ncaps; i++) {
        const rune_agent_cap *c = &a->prof.caps[i];
        memset(&caps[i], 0, sizeof caps[i]);
        snprintf(caps[i].kind, sizeof caps[i].kind, "%s", rune_abi_capability_name(c->kind));
        if (strcmp(c->source, "signal") == 0 && i < a->nproviders) {
            snprintf(caps[i].name, sizeof caps[i].name, "%s", a->providers[i]->source);
        } else if (strcmp(c->source, "device") == 0) {
            snprintf(caps[i].name, sizeof caps[i].name, "%s:%s",
                     c->kind == RUNE_CAP_SOUND ? "alsa" : "v4l2", c->path);
        } else if (strcmp(c->source, "seed") == 0) {
            snprintf(caps[i].name, sizeof caps[i].name, "seed:%llu", (unsigned long long)c->seed);
        } else {
            const char *base = strrchr(c->path, '/');
            snprintf(caps[i].name, sizeof caps[i].name, "file:%s", base ? base + 1 : c->path);
        }
        caps[i].allowed = !a->prof.allowed_caps || (a->prof.allowed_caps & (1u << c->kind));
    }
    rune_smp_put_caps(rsp, caps, a->prof.ncaps);
    put_device(a, rsp);
    return RUNE_SMP_ERR_OK;
}

static int rune_prometheus(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    rune_agent *a = ud;
    uint64_t off = 0;
    rune_error e;
    if (rune_cbor_get_uint(&req->msg->doc, 0, "off", &off, &e) == RUNE_E_INVALID) {
        snprintf(req->rsn, sizeof req->rsn, "%s", e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    char *text = NULL;
    size_t len = 0;
    if (rune_saga_prometheus_alloc(a->saga, &text, &len, &e) != RUNE_OK) {
        snprintf(req->rsn, sizeof req->rsn, "%s", e.msg);
        return RUNE_SMP_ERR_NOMEM;
    }
    if (off > len) off = len;
    size_t room = rsp->cap > rsp->len + 48 ? rsp->cap - rsp->len - 48 : 0;
    size_t n = len - (size_t)off < room ? len - (size_t)off : room;
    rune_cbor_put_textz(rsp, "text");
    rune_cbor_put_text(rsp, text + off, n);
    rune_cbor_put_textz(rsp, "off");
    rune_cbor_put_uint(rsp, off + n);
    rune_cbor_put_textz(rsp, "len");
    rune_cbor_put_uint(rsp, len);
    rune_free(text);
    return RUNE_SMP_ERR_OK;
}

/* ---- OS reset and info ---- */

/* A reset takes effect before the answer goes out, so the client's next request already sees the
 * agent as it is after the "reboot" (a real device would answer first and then drop the link). */
static int os_reset(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    agent_reset(ud);
    return RUNE_SMP_ERR_OK;
}

static int os_info(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    rune_agent *a = ud;
    char fmt[32] = "s", out[512] = "";
    rune_error e;
    rune_status st = rune_cbor_get_textz(&req->msg->doc, 0, "format", fmt, sizeof fmt, &e);
    if (st != RUNE_OK && st != RUNE_E_NOT_FOUND) {
        snprintf(req->rsn, sizeof req->rsn, "%s", e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    if (strchr(fmt, 'a')) snprintf(fmt, sizeof fmt, "snrvmo");
    struct utsname u;
    if (uname(&u) != 0) memset(&u, 0, sizeof u);
    size_t n = 0;
    for (const char *p = fmt; *p; p++) {
        const char *v = NULL;
        switch (*p) {
        case 's': v = u.sysname; break;
        case 'n': v = a->prof.name; break;
        case 'r': v = u.release; break;
        case 'v': v = u.version; break;
        case 'b': v = a->prof.provider; break;
        case 'm':
        case 'p':
        case 'i': v = u.machine; break;
        case 'o': v = "RunicOS"; break;
        default:
            snprintf(req->rsn, sizeof req->rsn, "unknown format letter '%c'", *p);
            return RUNE_SMP_ERR_INVAL;
        }
        int w = snprintf(out + n, sizeof out - n, "%s%s", n ? " " : "", v);
        if (w > 0 && (size_t)w < sizeof out - n) n += (size_t)w;
    }
    rune_cbor_put_textz(rsp, "output");
    rune_cbor_put_textz(rsp, out);
    return RUNE_SMP_ERR_OK;
}

rune_status agent_smp_register_os(rune_agent *a, size_t mtu, rune_error *err)
{
    rune_status st = rune_smp_server_register_os(a->srv, mtu, err);
    if (st == RUNE_OK)
        st = rune_smp_server_register(a->srv, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_INFO, RUNE_SMP_OP_READ,
                                      os_info, a, err);
    if (st == RUNE_OK)
        st = rune_smp_server_register(a->srv, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_RESET,
                                      RUNE_SMP_OP_WRITE, os_reset, a, err);
    return st;
}

rune_status agent_smp_register(rune_agent *a, rune_error *err)
{
    rune_smp_img_sink sink = {sink_begin, sink_write, sink_finish, a};
    rune_smp_img_recv_init(&a->recv, &sink, a->prof.max_rune_bytes);
    static const struct {
        uint16_t group;
        uint8_t id, op;
        rune_smp_handler_fn fn;
    } table[] = {
        {RUNE_SMP_GROUP_IMAGE, RUNE_SMP_IMAGE_STATE, RUNE_SMP_OP_READ, img_state_read},
        {RUNE_SMP_GROUP_IMAGE, RUNE_SMP_IMAGE_STATE, RUNE_SMP_OP_WRITE, img_state_write},
        {RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_START, RUNE_SMP_OP_WRITE, rune_start},
        {RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_STOP, RUNE_SMP_OP_WRITE, rune_stop},
        {RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_STATUS, RUNE_SMP_OP_READ, rune_status_h},
        {RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_CAPS, RUNE_SMP_OP_READ, rune_caps},
        {RUNE_SMP_GROUP_RUNE, RUNE_AGENT_SMP_PROMETHEUS, RUNE_SMP_OP_READ, rune_prometheus},
    };
    rune_status st = rune_smp_img_recv_register(&a->recv, a->srv, err);
    for (size_t i = 0; st == RUNE_OK && i < sizeof table / sizeof table[0]; i++)
        st = rune_smp_server_register(a->srv, table[i].group, table[i].id, table[i].op, table[i].fn,
                                      a, err);
    if (st == RUNE_OK) st = rune_saga_register_smp(a->saga, a->srv, err);
    if (st == RUNE_OK) st = agent_smp_register_os(a, RUNE_SMP_UDP_MTU, err);
    /* the serial transports decode binary frames of this size: say so to hmr */
    if (st == RUNE_OK) st = rune_smp_server_register_framing(a->srv, RUNE_SMP_SERIAL_BIN_MTU, err);
    return st;
}
