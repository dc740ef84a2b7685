/*
 * store.c - the local OCI image-layout store (layout in rune/registry.h). Workload: a developer's
 * or device's handful to hundreds of runes; index.json is re-read for every operation (it is small
 * and this keeps several short-lived processes consistent), every write is temp+fsync+rename, and
 * every blob read is checked against its digest. Removal and garbage collection: store_gc.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../container/container_int.h"
#include "registry_int.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/registry.h"

static rune_status mkdirs(const char *path, rune_error *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return RUNE_ERR(err, RUNE_E_ARG, "store: path too long");
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return RUNE_ERR(err, RUNE_E_IO, "store: cannot create %s: %s", buf,
                                strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    return RUNE_OK;
}

void rune_store_path_of(const rune_oci_store *s, const char *rel, char *out)
{
    if (snprintf(out, PATH_MAX, "%s/%s", s->dir, rel) >= PATH_MAX) out[PATH_MAX - 1] = 0;
}

static void blob_path(const rune_oci_store *s, const char *digest, char *out)
{
    if (snprintf(out, PATH_MAX, "%s/blobs/sha256/%s", s->dir, digest + 7) >= PATH_MAX)
        out[PATH_MAX - 1] = 0;
}

const char *rune_oci_store_path(const rune_oci_store *s)
{
    return s ? s->dir : NULL;
}

void rune_oci_store_close(rune_oci_store *s)
{
    if (!s) return;
    rune_free(s->dir);
    rune_free(s);
}

rune_status rune_oci_store_open(const char *dir, rune_oci_store **out, rune_error *err)
{
    *out = NULL;
    char def[PATH_MAX];
    if (!dir) dir = getenv("RUNE_STORE");
    if (!dir || !dir[0]) {
        const char *home = getenv("HOME");
        if (!home) return RUNE_ERR(err, RUNE_E_ARG, "store: no directory given and $HOME unset");
        snprintf(def, sizeof def, "%s/.rune/oci", home);
        dir = def;
    }
    rune_oci_store *s = rune_calloc(1, sizeof *s);
    if (!s || !(s->dir = rune_strdup(dir))) {
        rune_free(s);
        return RUNE_ERR(err, RUNE_E_NOMEM, "store: out of memory");
    }
    char p[PATH_MAX];
    rune_store_path_of(s, "blobs/sha256", p);
    rune_status st = mkdirs(p, err);
    struct stat sb;
    rune_store_path_of(s, "oci-layout", p);
    if (st == RUNE_OK && stat(p, &sb) != 0) {
        const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
        st = rune_file_write_atomic(p, layout, strlen(layout), err);
    }
    rune_store_path_of(s, "index.json", p);
    if (st == RUNE_OK && stat(p, &sb) != 0) {
        char *idx;
        size_t n;
        st = rune_oci_index_build(NULL, 0, &idx, &n, err);
        if (st == RUNE_OK) st = rune_file_write_atomic(p, idx, n, err);
        rune_free(idx);
    }
    if (st != RUNE_OK) {
        rune_oci_store_close(s);
        return st;
    }
    *out = s;
    return RUNE_OK;
}

/* ---- blobs ---------------------------------------------------------------------------------- */

int rune_oci_store_has_blob(rune_oci_store *s, const char *digest)
{
    char p[PATH_MAX];
    struct stat sb;
    if (!rune_digest_valid(digest)) return 0;
    blob_path(s, digest, p);
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

rune_status rune_oci_store_put_blob(rune_oci_store *s, const void *data, size_t len,
                                    char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err)
{
    char d[RUNE_DIGEST_STR_LEN], p[PATH_MAX];
    rune_digest_str(data, len, d);
    if (digest_out) memcpy(digest_out, d, sizeof d);
    blob_path(s, d, p);
    struct stat sb;
    if (stat(p, &sb) == 0 && (size_t)sb.st_size == len) return RUNE_OK;
    return rune_file_write_atomic(p, data, len, err);
}

rune_status rune_oci_store_get_blob(rune_oci_store *s, const char *digest, uint8_t **out,
                                    size_t *out_len, rune_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!rune_digest_valid(digest))
        return RUNE_ERR(err, RUNE_E_ARG, "store: '%.80s' is not a sha256 digest", digest);
    char p[PATH_MAX], d[RUNE_DIGEST_STR_LEN];
    blob_path(s, digest, p);
    rune_status st = rune_file_read(p, out, out_len, err);
    if (st == RUNE_E_NOT_FOUND)
        return RUNE_ERR(err, RUNE_E_NOT_FOUND, "store: blob %.19s... is missing", digest);
    if (st != RUNE_OK) return st;
    rune_digest_str(*out, *out_len, d);
    if (strcmp(d, digest) != 0) {
        rune_free(*out);
        *out = NULL;
        *out_len = 0;
        return RUNE_ERR(err, RUNE_E_VERIFY,
                        "store: blob %.19s... is corrupt (its content hashes "
                        "to %.19s...)",
                        digest, d);
    }
    return RUNE_OK;
}

/* ---- lock ----------------------------------------------------------------------------------- */

/* Writers of index.json and the garbage collector hold an exclusive flock on DIR/index.lock, so two
 * processes never lose each other's tags. Returns the fd to pass to unlock, or -1 with err set. */
int rune_store_lock_store(rune_oci_store *s, rune_error *err)
{
    char p[PATH_MAX];
    rune_store_path_of(s, "index.lock", p);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        RUNE_ERR(err, RUNE_E_IO, "store: cannot open %s: %s", p, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        RUNE_ERR(err, RUNE_E_IO, "store: cannot lock %s: %s", p, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void rune_store_unlock_store(int fd)
{
    if (fd >= 0) close(fd); /* closing releases the flock */
}

/* ---- index ---------------------------------------------------------------------------------- */

rune_status rune_store_read_index(rune_oci_store *s, rune_oci_desc **d, size_t *n, rune_error *err)
{
    char p[PATH_MAX];
    uint8_t *buf;
    size_t len;
    rune_store_path_of(s, "index.json", p);
    rune_status st = rune_file_read(p, &buf, &len, err);
    if (st != RUNE_OK) return st;
    st = rune_oci_index_parse((const char *)buf, len, d, n, err);
    rune_free(buf);
    if (st != RUNE_OK) rune_error_prefix(err, "%s", p);
    return st;
}

rune_status rune_store_write_index(rune_oci_store *s, const rune_oci_desc *d, size_t n,
                                   rune_error *err)
{
    char p[PATH_MAX], *json;
    size_t len;
    rune_status st = rune_oci_index_build(d, n, &json, &len, err);
    if (st != RUNE_OK) return st;
    rune_store_path_of(s, "index.json", p);
    st = rune_file_write_atomic(p, json, len, err);
    rune_free(json);
    return st;
}

/* NAME:TAG of a user reference that must carry a tag. */
static rune_status tag_ref(const char *ref, char *out, size_t cap, rune_error *err)
{
    rune_oci_ref r;
    rune_status st = rune_oci_ref_parse(ref, &r, err);
    if (st != RUNE_OK) return st;
    if (!r.tag[0]) return RUNE_ERR(err, RUNE_E_ARG, "store: '%s' needs a tag, not a digest", ref);
    snprintf(out, cap, "%s:%s", r.name, r.tag);
    return RUNE_OK;
}

rune_status rune_oci_store_set_tag(rune_oci_store *s, const char *ref, const char *digest,
                                   rune_error *err)
{
    char name[400];
    rune_status st = tag_ref(ref, name, sizeof name, err);
    if (st != RUNE_OK) return st;
    uint8_t *m;
    size_t mlen;
    st = rune_oci_store_get_blob(s, digest, &m, &mlen, err);
    if (st != RUNE_OK) return st;
    rune_oci_manifest *om = NULL;
    st = rune_oci_manifest_parse((const char *)m, mlen, &om, err);
    rune_oci_manifest_free(om);
    rune_free(m);
    if (st != RUNE_OK) return rune_error_prefix(err, "store: %.19s... is not a manifest", digest);

    rune_oci_desc *d;
    size_t n;
    int lk = rune_store_lock_store(s, err);
    if (lk < 0) return err ? err->status : RUNE_E_IO;
    if ((st = rune_store_read_index(s, &d, &n, err)) != RUNE_OK) {
        rune_store_unlock_store(lk);
        return st;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i].ref_name && strcmp(d[i].ref_name, name) == 0) {
            rune_free(d[i].media_type);
            rune_free(d[i].ref_name);
            rune_free(d[i].artifact_type);
            continue;
        }
        d[k++] = d[i];
    }
    n = k;
    rune_oci_desc nd = {0};
    nd.media_type = rune_strdup(RUNE_OCI_MANIFEST_TYPE);
    nd.ref_name = rune_strdup(name);
    memcpy(nd.digest, digest, RUNE_DIGEST_STR_LEN);
    nd.size = mlen;
    d[n] = nd; /* index_parse leaves one spare slot */
    n++;
    if (!nd.media_type || !nd.ref_name) st = RUNE_ERR(err, RUNE_E_NOMEM, "store: out of memory");
    if (st == RUNE_OK) st = rune_store_write_index(s, d, n, err);
    rune_store_unlock_store(lk);
    rune_oci_descs_free(d, n);
    return st;
}

rune_status rune_oci_store_resolve(rune_oci_store *s, const char *ref,
                                   char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err)
{
    rune_oci_ref r;
    rune_status st = rune_oci_ref_parse(ref, &r, err);
    if (st != RUNE_OK) return st;
    if (r.digest[0]) {
        if (!rune_oci_store_has_blob(s, r.digest))
            return RUNE_ERR(err, RUNE_E_NOT_FOUND, "store: no image %s@%.19s...", r.name, r.digest);
        /* A digest names an image only if the index lists it: every stored image has an index
         * entry (a manifest without one is garbage to collect), and layer or config blobs never
         * do. */
        rune_oci_desc *d;
        size_t n;
        if ((st = rune_store_read_index(s, &d, &n, err)) != RUNE_OK) return st;
        int found = 0;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(d[i].digest, r.digest) == 0;
        rune_oci_descs_free(d, n);
        if (!found)
            return RUNE_ERR(err, RUNE_E_NOT_FOUND,
                            "store: %s@%.19s... is a blob of the store but not an image in it (a "
                            "layer or config digest?)",
                            r.name, r.digest);
        memcpy(digest_out, r.digest, RUNE_DIGEST_STR_LEN);
        return RUNE_OK;
    }
    char name[400];
    snprintf(name, sizeof name, "%s:%s", r.name, r.tag);
    rune_oci_desc *d;
    size_t n;
    if ((st = rune_store_read_index(s, &d, &n, err)) != RUNE_OK) return st;
    st = RUNE_ERR(err, RUNE_E_NOT_FOUND, "store: no image named %s", name);
    for (size_t i = 0; i < n; i++) {
        if (d[i].ref_name && strcmp(d[i].ref_name, name) == 0) {
            memcpy(digest_out, d[i].digest, RUNE_DIGEST_STR_LEN);
            st = RUNE_OK;
            if (err) rune_error_clear(err);
            break;
        }
    }
    rune_oci_descs_free(d, n);
    return st;
}

rune_status rune_oci_store_add_rune(rune_oci_store *s, const uint8_t *rune, size_t len,
                                    const char *ref, char digest_out[RUNE_DIGEST_STR_LEN],
                                    rune_error *err)
{
    char *config = NULL, *manifest = NULL, md[RUNE_DIGEST_STR_LEN], name[400];
    size_t clen, mlen;
    rune_status st = tag_ref(ref, name, sizeof name, err);
    if (st == RUNE_OK)
        st = rune_oci_rune_manifest(rune, len, &config, &clen, &manifest, &mlen, err);
    if (st == RUNE_OK) st = rune_oci_store_put_blob(s, rune, len, NULL, err);
    if (st == RUNE_OK) st = rune_oci_store_put_blob(s, config, clen, NULL, err);
    if (st == RUNE_OK) st = rune_oci_store_put_blob(s, manifest, mlen, md, err);
    if (st == RUNE_OK) st = rune_oci_store_set_tag(s, name, md, err);
    if (st == RUNE_OK && digest_out) memcpy(digest_out, md, sizeof md);
    rune_free(config);
    rune_free(manifest);
    return st;
}

rune_status rune_oci_store_get_rune(rune_oci_store *s, const char *ref, uint8_t **out,
                                    size_t *out_len, rune_error *err)
{
    *out = NULL;
    *out_len = 0;
    char md[RUNE_DIGEST_STR_LEN];
    rune_status st = rune_oci_store_resolve(s, ref, md, err);
    uint8_t *m = NULL;
    size_t mlen;
    rune_oci_manifest *om = NULL;
    if (st == RUNE_OK) st = rune_oci_store_get_blob(s, md, &m, &mlen, err);
    if (st == RUNE_OK) st = rune_oci_manifest_parse((const char *)m, mlen, &om, err);
    rune_free(m);
    if (st != RUNE_OK) return st;
    const rune_oci_desc *layer = NULL;
    for (size_t i = 0; i < om->nlayers; i++)
        if (om->layers[i].media_type && strcmp(om->layers[i].media_type, RUNE_WASM_LAYER_TYPE) == 0)
            layer = &om->layers[i];
    if (!layer)
        st = RUNE_ERR(err, RUNE_E_INVALID, "store: %s has no %s layer: not a rune", ref,
                      RUNE_WASM_LAYER_TYPE);
    if (st == RUNE_OK) st = rune_oci_store_get_blob(s, layer->digest, out, out_len, err);
    if (st == RUNE_OK && *out_len != layer->size) {
        rune_free(*out);
        *out = NULL;
        *out_len = 0;
        st = RUNE_ERR(err, RUNE_E_VERIFY, "store: layer size differs from its descriptor");
    }
    rune_oci_manifest_free(om);
    return st;
}

rune_status rune_oci_store_tag(rune_oci_store *s, const char *src, const char *dst, rune_error *err)
{
    char md[RUNE_DIGEST_STR_LEN];
    rune_status st = rune_oci_store_resolve(s, src, md, err);
    if (st == RUNE_OK) st = rune_oci_store_set_tag(s, dst, md, err);
    return st;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const rune_oci_entry *)a)->ref, ((const rune_oci_entry *)b)->ref);
}

rune_status rune_oci_store_list(rune_oci_store *s, rune_oci_entry **out, size_t *n, rune_error *err)
{
    *out = NULL;
    *n = 0;
    rune_oci_desc *d;
    size_t nd;
    rune_status st = rune_store_read_index(s, &d, &nd, err);
    if (st != RUNE_OK) return st;
    rune_oci_entry *e = rune_calloc(nd + 1, sizeof *e);
    if (!e) st = RUNE_ERR(err, RUNE_E_NOMEM, "store: out of memory");
    for (size_t i = 0; e && i < nd; i++) {
        if (!d[i].ref_name) continue;
        snprintf(e[*n].ref, sizeof e[*n].ref, "%s", d[i].ref_name);
        memcpy(e[*n].digest, d[i].digest, RUNE_DIGEST_STR_LEN);
        e[*n].size = d[i].size;
        (*n)++;
    }
    rune_oci_descs_free(d, nd);
    if (e) qsort(e, *n, sizeof *e, cmp_entry);
    *out = e;
    return st;
}
