/*
 * utf8.c - checks that a Runefile.yml is YAML text (UTF-8, printable) before the YAML parser sees
 * it.
 *
 * YAML is UTF-8 text of printable characters. libfyaml 0.7.12 (used at first) hung and crashed on
 * bytes outside that set (found by fuzz_runefile_yml), and libyaml refuses them with a less precise
 * message, so such text is refused here first, with its line and column. Rules: RFC 3629 (no
 * overlong forms, no surrogates, nothing above U+10FFFF) and YAML 1.2's c-printable (tab, LF, CR,
 * 0x20-0x7E, U+0085, U+00A0-U+D7FF, U+E000-U+FFFD, U+10000 up).
 * Workload: one pass over a small file.
 */
#include "runefile_int.h"

int rf_utf8_check(const char *src, size_t len, uint32_t *line, uint32_t *col)
{
    const unsigned char *s = (const unsigned char *)src;
    uint32_t ln = 1, cl = 1;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min, cp;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') goto bad;
            if (c == 0x7f) goto bad;
            if (c == '\n') {
                ln++;
                cl = 1;
            } else {
                cl++;
            }
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            goto bad;
        }
        if (len - i <= n) goto bad;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) goto bad;
        if ((cp >= 0x80 && cp < 0xa0 && cp != 0x85) || cp == 0xfffe || cp == 0xffff) goto bad;
        i += n + 1;
        cl++;
    }
    return 0;
bad:
    *line = ln;
    *col = cl;
    return -1;
}
