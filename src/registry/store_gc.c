/*
 * store_gc.c - removing tags from the local OCI store and garbage-collecting blobs that no index
 * entry reaches any more (mark from index.json through each manifest's config and layers, sweep
 * blobs/sha256). Stores hold up to hundreds of runes, so the live set is a plain array.
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

typedef struct digest_set {
    char (*d)[RUNE_DIGEST_STR_LEN];
    size_t n;
} digest_set;

static int set_add(digest_set *set, const char *digest)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->d[i], digest) == 0) return 1;
    void *p = rune_realloc_array(set->d, set->n + 1, sizeof *set->d);
    if (!p) return 0;
    set->d = p;
    memcpy(set->d[set->n++], digest, RUNE_DIGEST_STR_LEN);
    return 1;
}

static int set_has(const digest_set *set, const char *digest)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->d[i], digest) == 0) return 1;
    return 0;
}

static rune_status gc_locked(rune_oci_store *s, size_t *freed, rune_error *err)
{
    if (freed) *freed = 0;
    rune_oci_desc *d;
    size_t n;
    rune_status st = rune_store_read_index(s, &d, &n, err);
    if (st != RUNE_OK) return st;
    digest_set live = {0};
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) {
        ok = set_add(&live, d[i].digest);
        uint8_t *m;
        size_t mlen;
        rune_oci_manifest *om = NULL;
        /* an unreadable manifest keeps only itself; its blobs cannot be known */
        if (rune_oci_store_get_blob(s, d[i].digest, &m, &mlen, NULL) != RUNE_OK) continue;
        if (rune_oci_manifest_parse((const char *)m, mlen, &om, NULL) == RUNE_OK) {
            ok = ok && set_add(&live, om->config.digest);
            for (size_t k = 0; ok && k < om->nlayers; k++)
                ok = set_add(&live, om->layers[k].digest);
        }
        rune_oci_manifest_free(om);
        rune_free(m);
    }
    rune_oci_descs_free(d, n);
    if (!ok) {
        rune_free(live.d);
        return RUNE_ERR(err, RUNE_E_NOMEM, "store: out of memory");
    }
    char dir[PATH_MAX];
    rune_store_path_of(s, "blobs/sha256", dir);
    DIR *dh = opendir(dir);
    if (!dh) {
        rune_free(live.d);
        return RUNE_ERR(err, RUNE_E_IO, "store: cannot list %s: %s", dir, strerror(errno));
    }
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        char dg[RUNE_DIGEST_STR_LEN + 8], p[PATH_MAX];
        if (de->d_name[0] == '.') continue;
        snprintf(dg, sizeof dg, "sha256:%.64s", de->d_name);
        if (strlen(de->d_name) == 64 && rune_digest_valid(dg) && set_has(&live, dg)) continue;
        if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p) continue;
        if (unlink(p) == 0 && freed) (*freed)++;
    }
    closedir(dh);
    rune_free(live.d);
    return RUNE_OK;
}

rune_status rune_oci_store_gc(rune_oci_store *s, size_t *freed, rune_error *err)
{
    int lk = rune_store_lock_store(s, err);
    if (lk < 0) return err ? err->status : RUNE_E_IO;
    rune_status st = gc_locked(s, freed, err);
    rune_store_unlock_store(lk);
    return st;
}

rune_status rune_oci_store_remove(rune_oci_store *s, const char *ref, size_t *freed,
                                  rune_error *err)
{
    if (freed) *freed = 0;
    rune_oci_ref r;
    rune_status st = rune_oci_ref_parse(ref, &r, err);
    if (st != RUNE_OK) return st;
    char name[400];
    snprintf(name, sizeof name, "%s:%s", r.name, r.tag);
    rune_oci_desc *d;
    size_t n, k = 0, removed = 0;
    int lk = rune_store_lock_store(s, err);
    if (lk < 0) return err ? err->status : RUNE_E_IO;
    if ((st = rune_store_read_index(s, &d, &n, err)) != RUNE_OK) {
        rune_store_unlock_store(lk);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        int match = r.digest[0] ? strcmp(d[i].digest, r.digest) == 0
                                : d[i].ref_name && strcmp(d[i].ref_name, name) == 0;
        if (match) {
            rune_free(d[i].media_type);
            rune_free(d[i].ref_name);
            rune_free(d[i].artifact_type);
            removed++;
            continue;
        }
        d[k++] = d[i];
    }
    if (!removed)
        st = RUNE_ERR(err, RUNE_E_NOT_FOUND, "store: no image named %s", ref);
    else
        st = rune_store_write_index(s, d, k, err);
    rune_oci_descs_free(d, k);
    if (st == RUNE_OK) st = gc_locked(s, freed, err);
    rune_store_unlock_store(lk);
    return st;
}
