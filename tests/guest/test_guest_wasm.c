/*
 * test_guest_wasm.c - the wasm32 guest archive really makes runes: compile wasm/tiny_rune.c (a
 * generated-style micro_speech rune) with clang --target=wasm32-wasi against
 * librune_guest.a, link with wasm-ld, then read the module: it must export memory, _manifest and
 * _call, import only from runic / wasi_ephemeral_nn / wasi_snapshot_preview1, and every runic and
 * WASI-NN import must have exactly the signature rune/abi.h documents. Also checks that a rune
 * calling a function the SDK does not have fails to link with a message naming it.
 */
#include <stdint.h>
#include <sys/stat.h>

#include "rune/abi.h"
#include "test.h"

typedef struct rd {
    const unsigned char *p;
    size_t len, pos;
    int bad;
} rd;

static uint32_t leb(rd *r)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (r->pos >= r->len) {
            r->bad = 1;
            return 0;
        }
        unsigned char b = r->p[r->pos++];
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    r->bad = 1;
    return 0;
}

static void name(rd *r, char *out, size_t cap)
{
    uint32_t n = leb(r);
    if (r->bad || n > r->len - r->pos || n >= cap) {
        r->bad = 1;
        out[0] = 0;
        return;
    }
    memcpy(out, r->p + r->pos, n);
    out[n] = 0;
    r->pos += n;
}

#define MAXT 256
static char types[MAXT][32]; /* "iii:i" */

static char letter(unsigned char t)
{
    return t == 0x7f ? 'i' : t == 0x7e ? 'I' : t == 0x7d ? 'f' : t == 0x7c ? 'F' : '?';
}

static const char *expected_sig(const char *mod, const char *nm)
{
    static const rune_abi_import_desc runic[] = RUNE_ABI_RUNIC_IMPORTS;
    static const rune_abi_import_desc nn[] = RUNE_ABI_NN_IMPORTS;
    const rune_abi_import_desc *t = NULL;
    size_t n = 0;
    if (strcmp(mod, RUNE_ABI_MODULE) == 0) {
        t = runic;
        n = RUNE_ABI_RUNIC_IMPORT_COUNT;
    } else if (strcmp(mod, RUNE_ABI_NN_MODULE) == 0) {
        t = nn;
        n = RUNE_ABI_NN_IMPORT_COUNT;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, nm) == 0) return t[i].sig;
    return NULL;
}

TEST(tiny_rune_links)
{
    char cmd[4096], out[512];
    snprintf(out, sizeof out, "%s/tiny_rune.wasm", GUEST_TEST_DIR);
    remove(out);
    snprintf(cmd, sizeof cmd,
             "'%s' --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -Werror -I'%s' '%s' '%s' "
             "-Wl,--strip-debug -o '%s'",
             RUNE_WASM_CLANG, GUEST_WASM32_INCLUDE, TINY_RUNE_SRC, GUEST_WASM32_LIB, out);
    CHECK_EQ_INT(system(cmd), 0);
    size_t len = 0;
    unsigned char *m = test_read_file(out, &len);
    CHECK(m != NULL);
    if (!m) return;
    printf("tiny_rune.wasm: %zu bytes\n", len);
    CHECK(len > 8 && memcmp(m, "\0asm\1\0\0\0", 8) == 0);
    rd r = {m, len, 8, 0};
    int exports = 0, runic_imports = 0, nn_imports = 0, ntypes = 0;
    while (r.pos < r.len && !r.bad) {
        unsigned char id = r.p[r.pos++];
        uint32_t size = leb(&r);
        if (r.bad || size > r.len - r.pos) break;
        rd s = {r.p + r.pos, size, 0, 0};
        r.pos += size;
        if (id == 1) { /* types */
            uint32_t n = leb(&s);
            for (uint32_t i = 0; i < n && !s.bad && i < MAXT; i++) {
                char *t = types[i];
                size_t k = 0;
                if (s.pos >= s.len || s.p[s.pos++] != 0x60) s.bad = 1;
                uint32_t np = leb(&s);
                for (uint32_t j = 0; j < np && s.pos < s.len && k < 30; j++)
                    t[k++] = letter(s.p[s.pos++]);
                t[k++] = ':';
                uint32_t nr = leb(&s);
                for (uint32_t j = 0; j < nr && s.pos < s.len && k < 31; j++)
                    t[k++] = letter(s.p[s.pos++]);
                t[k] = 0;
                ntypes++;
            }
        } else if (id == 2) { /* imports */
            uint32_t n = leb(&s);
            for (uint32_t i = 0; i < n && !s.bad; i++) {
                char mod[64], nm[64];
                name(&s, mod, sizeof mod);
                name(&s, nm, sizeof nm);
                unsigned char kind = s.pos < s.len ? s.p[s.pos++] : 0xff;
                CHECK_EQ_INT(kind, 0); /* functions only: the rune owns its memory */
                uint32_t ti = leb(&s);
                const char *sig = ti < MAXT ? types[ti] : "?";
                int known_mod = strcmp(mod, "runic") == 0 ||
                                strcmp(mod, "wasi_ephemeral_nn") == 0 ||
                                strcmp(mod, "wasi_snapshot_preview1") == 0;
                CHECK_MSG_(known_mod, "import from unexpected module %s.%s", mod, nm);
                if (strcmp(mod, "wasi_snapshot_preview1") == 0) continue;
                const char *want = expected_sig(mod, nm);
                CHECK_MSG_(want != NULL, "import %s.%s is not in rune/abi.h", mod, nm);
                if (want)
                    CHECK_MSG_(strcmp(want, sig) == 0, "%s.%s: %s, abi.h says %s", mod, nm, sig,
                               want);
                runic_imports += strcmp(mod, "runic") == 0;
                nn_imports += strcmp(mod, "wasi_ephemeral_nn") == 0;
            }
        } else if (id == 7) { /* exports */
            uint32_t n = leb(&s);
            for (uint32_t i = 0; i < n && !s.bad; i++) {
                char nm[64];
                name(&s, nm, sizeof nm);
                unsigned char kind = s.pos < s.len ? s.p[s.pos++] : 0xff;
                uint32_t idx = leb(&s);
                (void)idx;
                if (strcmp(nm, "memory") == 0) exports += kind == 2;
                if (strcmp(nm, "_manifest") == 0 || strcmp(nm, "_call") == 0) exports += kind == 0;
            }
        }
        CHECK(!s.bad);
    }
    CHECK(!r.bad);
    CHECK(ntypes > 0);
    CHECK_EQ_INT(exports, 3);
    CHECK(runic_imports >= 6);   /* capability_open/read, output_open/write, log, ... */
    CHECK_EQ_INT(nn_imports, 5); /* load_by_name, init, set_input, compute, get_output */
    free(m);
}

TEST(unknown_function_does_not_link)
{
    char cmd[4096], src[512], out[512], log[512];
    snprintf(src, sizeof src, "%s/bad_rune.c", GUEST_TEST_DIR);
    snprintf(out, sizeof out, "%s/bad_rune.wasm", GUEST_TEST_DIR);
    snprintf(log, sizeof log, "%s/bad_rune.log", GUEST_TEST_DIR);
    FILE *f = fopen(src, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("#include \"rune_guest.h\"\nint rune_pb_fancy_transform(void);\n"
          "RUNE_EXPORT(\"_call\") int rune_call(void) { return rune_pb_fancy_transform(); }\n",
          f);
    fclose(f);
    snprintf(
        cmd, sizeof cmd,
        "'%s' --target=wasm32-wasi -O2 -mexec-model=reactor -I'%s' '%s' '%s' -o '%s' > '%s' 2>&1",
        RUNE_WASM_CLANG, GUEST_WASM32_INCLUDE, src, GUEST_WASM32_LIB, out, log);
    CHECK(system(cmd) != 0);
    size_t len = 0;
    unsigned char *msg = test_read_file(log, &len);
    CHECK(msg != NULL);
    if (msg) {
        msg[len ? len - 1 : 0] = 0;
        CHECK_CONTAINS((char *)msg, "undefined symbol: rune_pb_fancy_transform");
        free(msg);
    }
}

int main(void)
{
    mkdir(GUEST_TEST_DIR, 0755);
    RUN(tiny_rune_links);
    RUN(unknown_function_does_not_link);
    return test_report();
}
