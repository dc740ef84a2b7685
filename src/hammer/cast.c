/*
 * cast.c - casting a rune onto a device: check it here, check the device can take it, upload it
 * (resuming from the device's acknowledged offset), let the device install it, and watch its
 * probation until the device confirms it or rolls it back.
 *
 * Every step is reported through the caller's event callback (a CLI draws it, tests count it).
 * The device's offset is the only truth about the upload, so a cast that broke off is finished by
 * the next cast of the same bytes. Workload: runes of tens of KB to a few MB, one cast at a time
 * per connection.
 */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "hammer_int.h"
#include "rune/abi.h"
#include "rune/container.h"
#include "rune/manifest.h"

const char *rune_hmr_step_name(rune_hmr_step s)
{
    static const char *const names[RUNE_HMR_STEP_COUNT] = {"reading rune",   "verifying provider",
                                                           "capability",     "uploading",
                                                           "verifying rune", "starting"};
    return (unsigned)s < RUNE_HMR_STEP_COUNT ? names[s] : "?";
}

typedef struct cast_ctx {
    const rune_hmr_cast_opts *o;
    char detail[256];
} cast_ctx;

static void emit(cast_ctx *x, rune_hmr_event_kind kind, rune_hmr_step step, bool ok, size_t done,
                 size_t total)
{
    if (!x->o || !x->o->on_event) return;
    rune_hmr_event ev = {kind, step, ok, x->detail, done, total};
    x->o->on_event(x->o->ud, &ev);
}

/* The device's capabilities as the caps answer lists them. */
typedef struct cap_list {
    rune_smp_cap_info v[16];
    size_t n;
} cap_list;

static void on_cap(void *ud, const rune_smp_cap_info *cap)
{
    cap_list *l = ud;
    if (l->n < sizeof l->v / sizeof l->v[0]) l->v[l->n++] = *cap;
}

static bool kind_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

/* Does the device offer (and allow) the capability kind the manifest names? */
static int check_cap(const cap_list *l, const char *kind, const char **source)
{
    const char *k = kind;
    int32_t id = rune_abi_capability_parse(kind, strlen(kind));
    if (id > 0) k = rune_abi_capability_name(id);
    int found = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!kind_eq(l->v[i].kind, k)) continue;
        *source = l->v[i].name;
        if (l->v[i].allowed) return 2;
        found = 1;
    }
    return found;
}

static rune_status device_caps(rune_hmr_conn *c, cap_list *caps, rune_hmr_cast_result *res,
                               rune_error *err)
{
    memset(caps, 0, sizeof *caps);
    rune_status st = rune_smp_rune_caps(&c->c, on_cap, caps, err);
    if (st != RUNE_OK) return st;
    rune_error e;
    rune_cbor_get_textz(&c->c.rsp->doc, 0, "device", res->device, sizeof res->device, &e);
    rune_cbor_get_textz(&c->c.rsp->doc, 0, "provider", res->provider, sizeof res->provider, &e);
    return RUNE_OK;
}

/* Where the rune with this hash sits in the device's image state: 0 active, 1 previous, -1 no. */
static int image_slot(rune_hmr_conn *c, const uint8_t sha[32], rune_smp_image_slot *out,
                      rune_error *err, rune_status *st)
{
    rune_smp_image_slot s[4];
    size_t n = 0;
    *st = rune_smp_image_state(&c->c, NULL, 0, false, s, 4, &n, err);
    if (*st != RUNE_OK) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i].hash_len == 32 && memcmp(s[i].hash, sha, 32) == 0) {
            *out = s[i];
            return s[i].active ? 0 : 1;
        }
    }
    return -1;
}

/* The device's latest warning or error log line (why it rolled back). */
typedef struct last_log {
    char msg[160];
} last_log;

static void on_log(void *ud, const rune_smp_log_entry *e)
{
    last_log *l = ud;
    if (e->level > 1) return;
    size_t n = e->msg_len < sizeof l->msg - 1 ? e->msg_len : sizeof l->msg - 1;
    memcpy(l->msg, e->msg, n);
    l->msg[n] = 0;
}

static void why_rolled_back(rune_hmr_conn *c, char *out, size_t cap)
{
    last_log l = {""};
    uint64_t next = 0, dropped = 0, since = 0;
    rune_error e;
    /* walk the ring to its end, a page at a time (bounded) */
    for (int page = 0; page < 32; page++) {
        uint64_t before = since;
        if (rune_smp_rune_logs(&c->c, since, 16, NULL, on_log, &l, &next, &dropped, &e) !=
                RUNE_OK ||
            next <= before)
            break;
        since = next;
    }
    snprintf(out, cap, "%s", l.msg[0] ? l.msg : "the rune failed its first runs");
}

/* Is this upload error the device's final word (no point resuming)? EACCESSDENIED (policy,
 * capabilities, signature), ENOMEM (too large), EINVAL in answer to the last chunk (the rune was
 * rejected), and our own argument errors. */
static bool refused(rune_status st, const rune_error *err, bool last_chunk)
{
    if (st == RUNE_E_DENIED || st == RUNE_E_ARG || st == RUNE_E_NOMEM || st == RUNE_E_LIMIT)
        return true;
    if (st == RUNE_E_PROTOCOL && err->code == RUNE_SMP_ERR_NOMEM) return true;
    return st == RUNE_E_INVALID && last_chunk;
}

static rune_status do_upload(rune_hmr_conn *c, cast_ctx *x, const uint8_t *rune, size_t len,
                             rune_hmr_cast_result *res, rune_error *err)
{
    const rune_hmr_cast_opts *o = x->o;
    rune_smp_upload u;
    snprintf(x->detail, sizeof x->detail, "%zu bytes", len);
    emit(x, RUNE_HMR_EV_BEGIN, RUNE_HMR_STEP_UPLOAD, true, 0, len);
    uint64_t t0 = hmr_now_us();
    rune_status st = RUNE_OK;
    snprintf(res->framing, sizeof res->framing, "%s",
             c->target.type == RUNE_HMR_SERIAL ? "console" : "udp");
    if (c->t->set_framing && !c->target.console && c->c.dev_mtu == 0) {
        bool bin = false;
        st = rune_smp_negotiate_framing(&c->c, &bin, err);
        if (bin) snprintf(res->framing, sizeof res->framing, "binary");
    } else if (c->c.dev_mtu) {
        snprintf(res->framing, sizeof res->framing, "binary");
    }
    if (st == RUNE_OK) st = rune_smp_upload_begin(&u, &c->c, rune, len, 0, err);
    int resumes = o ? o->resumes : 0;
    bool first = true, final = false;
    while (st == RUNE_OK && !u.done) {
        uint64_t ts = hmr_now_us();
        st = rune_smp_upload_step(&u, &c->c, err);
        if (u.done) res->finish_s = (double)(hmr_now_us() - ts) / 1e6;
        if (st == RUNE_OK && first) {
            first = false;
            size_t fresh = len < u.chunk ? len : u.chunk;
            res->resumed_from = u.off != fresh ? u.off : 0;
        }
        if (st == RUNE_OK) {
            emit(x, RUNE_HMR_EV_PROGRESS, RUNE_HMR_STEP_UPLOAD, true, u.off, len);
        } else if (refused(st, err, u.off + u.chunk >= len)) {
            final = true;
        } else if (st == RUNE_E_VERIFY && resumes > 0) {
            /* bytes were damaged on the way (a link without its own check): the device dropped
             * the session; send the image again from the start */
            resumes--;
            res->n_reuploads++;
            res->n_requests += u.n_requests;
            res->n_resyncs += u.n_resyncs;
            res->n_rewinds += u.n_rewinds;
            st = rune_smp_upload_begin(&u, &c->c, rune, len, 0, err);
        } else if (st != RUNE_E_VERIFY && resumes > 0) {
            /* a timeout, a dropped link, or an answer that makes no sense (a frame damaged on
             * the way): the next step asks the device where it is and goes on from there */
            resumes--;
            hmr_sleep_ms(st == RUNE_E_TIMEOUT || st == RUNE_E_IO ? 50 : 5);
            st = RUNE_OK;
        }
    }
    res->upload_s = (double)(hmr_now_us() - t0) / 1e6;
    res->n_requests += u.n_requests;
    res->n_resyncs += u.n_resyncs;
    res->n_rewinds += u.n_rewinds;
    res->n_retries = c->c.n_retries;
    if (final) {
        /* the last chunk's answer: the device's checks refused the whole image */
        snprintf(x->detail, sizeof x->detail, "%zu bytes received", len);
        emit(x, RUNE_HMR_EV_END, RUNE_HMR_STEP_UPLOAD, true, len, len);
        /* the device's own words: the text after the client's "...: rc N (NAME): " */
        const char *why = strstr(err->msg, "): ");
        snprintf(x->detail, sizeof x->detail, "refused by the device: %s",
                 why ? why + 3 : err->msg);
        emit(x, RUNE_HMR_EV_BEGIN, RUNE_HMR_STEP_VERIFY_RUNE, true, 0, 0);
        emit(x, RUNE_HMR_EV_END, RUNE_HMR_STEP_VERIFY_RUNE, false, 0, 0);
        return rune_error_prefix(err, "device %s refused the rune",
                                 res->device[0] ? res->device : c->target.id);
    }
    if (st != RUNE_OK) {
        snprintf(x->detail, sizeof x->detail, "broken off at %zu of %zu bytes: %s", u.off, len,
                 err->msg);
        emit(x, RUNE_HMR_EV_END, RUNE_HMR_STEP_UPLOAD, false, u.off, len);
        return st;
    }
    double kbs = res->upload_s > 0 ? (double)len / 1024.0 / res->upload_s : 0;
    bool serial = strcmp(res->framing, "udp") != 0;
    snprintf(x->detail, sizeof x->detail, "%zu bytes in %.2f s (%.1f KiB/s%s%s)%s", len,
             res->upload_s, kbs, serial ? ", framing " : "", serial ? res->framing : "",
             res->resumed_from ? ", resumed" : "");
    emit(x, RUNE_HMR_EV_END, RUNE_HMR_STEP_UPLOAD, true, len, len);
    return RUNE_OK;
}

static rune_status watch_probation(rune_hmr_conn *c, cast_ctx *x, rune_hmr_cast_result *res,
                                   rune_error *err)
{
    const rune_hmr_cast_opts *o = x->o;
    int wait_ms = o && o->confirm_wait_ms ? o->confirm_wait_ms : 10000;
    snprintf(x->detail, sizeof x->detail, "%s %s", res->name, res->version);
    emit(x, RUNE_HMR_EV_BEGIN, RUNE_HMR_STEP_START, true, 0, 0);
    uint64_t deadline = hmr_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    rune_status st = RUNE_OK;
    for (;;) {
        rune_smp_image_slot s;
        int where = image_slot(c, res->sha, &s, err, &st);
        if (st != RUNE_OK) break;
        rune_hmr_status stat;
        if ((st = rune_hmr_get_status(c, &stat, err)) != RUNE_OK) break;
        snprintf(res->state, sizeof res->state, "%s", stat.n ? stat.runes[0].state : "none");
        if (where != 0) {
            res->rolled_back = true;
            char why[160];
            why_rolled_back(c, why, sizeof why);
            snprintf(x->detail, sizeof x->detail, "rolled back to %s: %s",
                     stat.n ? stat.runes[0].name : "no rune", why);
            emit(x, RUNE_HMR_EV_END, RUNE_HMR_STEP_START, false, 0, 0);
            return RUNE_ERR(err, RUNE_E_TRAP, "%s", x->detail);
        }
        if (s.confirmed) {
            res->confirmed = true;
            snprintf(x->detail, sizeof x->detail, "%s, confirmed", res->state);
            emit(x, RUNE_HMR_EV_END, RUNE_HMR_STEP_START, true, 0, 0);
            return RUNE_OK;
        }
        if (wait_ms < 0) {
            snprintf(x->detail, sizeof x->detail, "%s, on probation", res->state);
            emit(x, RUNE_HMR_EV_END, RUNE_HMR_STEP_START, true, 0, 0);
            return RUNE_OK;
        }
        if (hmr_now_ms() >= deadline) {
            st = RUNE_ERR(err, RUNE_E_TIMEOUT, "the rune is still on probation after %d ms (%s)",
                          wait_ms, res->state);
            break;
        }
        hmr_sleep_ms(50);
    }
    snprintf(x->detail, sizeof x->detail, "%s", err->msg);
    emit(x, RUNE_HMR_EV_END, RUNE_HMR_STEP_START, false, 0, 0);
    return st;
}

rune_status rune_hmr_cast(rune_hmr_conn *c, const uint8_t *rune, size_t len,
                          const rune_hmr_cast_opts *opts, rune_hmr_cast_result *res,
                          rune_error *err)
{
    rune_hmr_cast_result dummy;
    rune_error local;
    if (!res) res = &dummy;
    if (!err) err = &local; /* the steps' details quote the messages */
    memset(res, 0, sizeof *res);
    if (!c || !c->t || !rune || !len) return RUNE_ERR(err, RUNE_E_ARG, "cast: no rune or target");
    cast_ctx x = {opts, ""};
    res->len = len;

    /* 1. the rune itself */
    snprintf(x.detail, sizeof x.detail, "%zu bytes", len);
    emit(&x, RUNE_HMR_EV_BEGIN, RUNE_HMR_STEP_READ_RUNE, true, 0, 0);
    rune_container *ct = NULL;
    rune_status st = rune_container_open(rune, len, &ct, err);
    if (st != RUNE_OK) {
        rune_error_prefix(err, "not a valid rune");
        snprintf(x.detail, sizeof x.detail, "%s", err->msg);
        emit(&x, RUNE_HMR_EV_END, RUNE_HMR_STEP_READ_RUNE, false, 0, 0);
        return st;
    }
    snprintf(res->name, sizeof res->name, "%s", ct->manifest->name);
    snprintf(res->version, sizeof res->version, "%s", ct->manifest->version);
    if (sodium_init() < 0) {
        st = RUNE_ERR(err, RUNE_E_INTERNAL, "cast: libsodium init failed");
        goto out;
    }
    crypto_hash_sha256(res->sha, rune, len);
    snprintf(x.detail, sizeof x.detail, "%s %s (%s)", res->name, res->version, ct->digest);
    emit(&x, RUNE_HMR_EV_END, RUNE_HMR_STEP_READ_RUNE, true, 0, 0);

    /* 2. the device */
    cap_list caps;
    snprintf(x.detail, sizeof x.detail, "%s", c->target.id[0] ? c->target.id : "device");
    emit(&x, RUNE_HMR_EV_BEGIN, RUNE_HMR_STEP_PROVIDER, true, 0, 0);
    if ((st = device_caps(c, &caps, res, err)) != RUNE_OK) {
        rune_error_prefix(err, "the device does not answer as RunicOS");
        snprintf(x.detail, sizeof x.detail, "%s", err->msg);
        emit(&x, RUNE_HMR_EV_END, RUNE_HMR_STEP_PROVIDER, false, 0, 0);
        goto out;
    }
    snprintf(x.detail, sizeof x.detail, "%s (%s)", res->device, res->provider);
    emit(&x, RUNE_HMR_EV_END, RUNE_HMR_STEP_PROVIDER, true, 0, 0);

    /* 3. one check per capability the rune declares */
    char missing[128] = "";
    for (size_t i = 0; i < ct->manifest->ncapabilities; i++) {
        const rune_manifest_stage *s = &ct->manifest->capabilities[i];
        const char *kind = s->kind ? s->kind : "?";
        snprintf(x.detail, sizeof x.detail, "%s %s", kind, s->name);
        emit(&x, RUNE_HMR_EV_BEGIN, RUNE_HMR_STEP_CAPABILITY, true, 0, 0);
        const char *source = "";
        int got = check_cap(&caps, kind, &source);
        if (got == 2)
            snprintf(x.detail, sizeof x.detail, "%s %s: offered (%s)", kind, s->name, source);
        else
            snprintf(x.detail, sizeof x.detail, "%s %s: %s", kind, s->name,
                     got ? "not allowed by the device's policy" : "not offered by the device");
        emit(&x, RUNE_HMR_EV_END, RUNE_HMR_STEP_CAPABILITY, got == 2, 0, 0);
        if (got != 2 && strlen(missing) + strlen(kind) + 3 < sizeof missing) {
            if (missing[0]) strcat(missing, ", ");
            strcat(missing, kind);
        }
    }
    if (missing[0] && !(opts && opts->force)) {
        st = RUNE_ERR(err, RUNE_E_DENIED, "rune %s needs %s, which device %s does not offer",
                      res->name, missing, res->device);
        goto out;
    }

    /* 4, 5. upload; the device installs on the last chunk */
    if ((st = do_upload(c, &x, rune, len, res, err)) != RUNE_OK) goto out;
    res->installed = true;
    snprintf(x.detail, sizeof x.detail, "checking the device's image state");
    emit(&x, RUNE_HMR_EV_BEGIN, RUNE_HMR_STEP_VERIFY_RUNE, true, 0, 0);
    rune_smp_image_slot slot;
    int where = image_slot(c, res->sha, &slot, err, &st);
    if (st != RUNE_OK || where < 0) {
        if (st == RUNE_OK)
            st = RUNE_ERR(err, RUNE_E_PROTOCOL, "the device took the image but does not list it");
        snprintf(x.detail, sizeof x.detail, "%s", err->msg);
        emit(&x, RUNE_HMR_EV_END, RUNE_HMR_STEP_VERIFY_RUNE, false, 0, 0);
        goto out;
    }
    snprintf(x.detail, sizeof x.detail, "digest matches, %s",
             where == 0 ? (slot.confirmed ? "active, confirmed" : "active, on probation")
                        : "already rolled back");
    emit(&x, RUNE_HMR_EV_END, RUNE_HMR_STEP_VERIFY_RUNE, true, 0, 0);

    /* 6. probation */
    st = watch_probation(c, &x, res, err);
out:
    rune_container_free(ct);
    return st;
}
