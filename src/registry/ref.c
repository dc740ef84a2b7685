/*
 * ref.c - parse image references ([HOST[:PORT]/]NAME[:TAG][@sha256:HEX]) with the grammar of the
 * OCI distribution spec; references are typed by users, so every part is checked and named in the
 * error.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../container/container_int.h"
#include "rune/registry.h"

/* NAME: components [a-z0-9]+ separated by '.', '_', '__', '-'(s), joined by '/'. */
static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 255) return 0;
    size_t i = 0;
    while (i < n) {
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))) return 0;
        while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
            i++;
        if (i == n) return 1;
        if (s[i] == '/') {
            i++;
        } else if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < n && s[i] == '_') i++;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return 0;
        }
        if (i == n) return 0;
    }
    return 1;
}

static int valid_tag(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128) return 0;
    if (!(isalnum((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-')) return 0;
    return 1;
}

rune_status rune_oci_ref_parse(const char *s, rune_oci_ref *out, rune_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s || !s[0]) return RUNE_ERR(err, RUNE_E_ARG, "reference: empty");
    char buf[800];
    if (strlen(s) >= sizeof buf) return RUNE_ERR(err, RUNE_E_ARG, "reference: too long");
    snprintf(buf, sizeof buf, "%s", s);
    char *at = strchr(buf, '@');
    if (at) {
        *at = 0;
        if (!rune_digest_valid(at + 1))
            return RUNE_ERR(err, RUNE_E_ARG, "reference '%s': digest must be sha256:<64 hex>", s);
        memcpy(out->digest, at + 1, RUNE_DIGEST_STR_LEN);
    }
    char *rest = buf, *slash = strchr(buf, '/');
    if (slash) {
        size_t hl = (size_t)(slash - buf);
        if (memchr(buf, '.', hl) || memchr(buf, ':', hl) ||
            (hl == 9 && !strncmp(buf, "localhost", 9))) {
            if (hl >= sizeof out->host)
                return RUNE_ERR(err, RUNE_E_ARG, "reference: host too long");
            memcpy(out->host, buf, hl);
            rest = slash + 1;
        }
    }
    char *colon = strrchr(rest, ':');
    if (colon) {
        *colon = 0;
        if (!valid_tag(colon + 1))
            return RUNE_ERR(err, RUNE_E_ARG, "reference '%s': bad tag '%s'", s, colon + 1);
        snprintf(out->tag, sizeof out->tag, "%s", colon + 1);
    } else if (!out->digest[0]) {
        snprintf(out->tag, sizeof out->tag, "latest");
    }
    if (!valid_name(rest, strlen(rest)))
        return RUNE_ERR(err, RUNE_E_ARG,
                        "reference '%s': bad name '%s' (lowercase letters, digits, . _ - /)", s,
                        rest);
    snprintf(out->name, sizeof out->name, "%s", rest);
    return RUNE_OK;
}

void rune_oci_ref_local(const rune_oci_ref *r, char *buf, size_t cap)
{
    if (r->tag[0])
        snprintf(buf, cap, "%s:%s", r->name, r->tag);
    else
        snprintf(buf, cap, "%s@%s", r->name, r->digest);
}
