/*
 * test_saga_export.c - LibSaga's exports: the Prometheus text checked line by line (HELP and TYPE
 * before each family's samples, values equal to the recorded data, label escaping, the summary's
 * quantiles), buffer sizing, and the CBOR metrics and logs answers served through the SMP
 * dispatcher and read back with the client helpers over an in-process transport.
 */
#include "rune/alloc.h"
#include "rune/saga.h"
#include "test.h"

static uint64_t fake_now;
static uint64_t fake_clock(void *ud)
{
    return fake_now;
}

/* Find the line that starts with prefix; NULL when absent. */
static const char *line_of(const char *text, const char *prefix, char *out, size_t cap)
{
    size_t pl = strlen(prefix);
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n >= pl && memcmp(p, prefix, pl) == 0) {
            snprintf(out, cap, "%.*s", (int)n, p);
            return out;
        }
        p += n + (e ? 1 : 0);
    }
    return NULL;
}

static double value_of(const char *text, const char *series)
{
    char buf[512], prefix[256];
    snprintf(prefix, sizeof prefix, "%s ", series);
    if (!line_of(text, prefix, buf, sizeof buf)) return -1;
    return strtod(buf + strlen(prefix), NULL);
}

static rune_saga *make_registry(int *a, int *b)
{
    rune_saga *s;
    rune_saga_config cfg = {.log_entries = 4, .now_ms = fake_clock};
    fake_now = 1000;
    CHECK_OK(rune_saga_create(&s, &cfg, NULL), NULL);
    CHECK_OK(rune_saga_rune_add(s, "sine", a, NULL), NULL);
    CHECK_OK(rune_saga_rune_add(s, "we\"ird\\na\nme", b, NULL), NULL);
    fake_now = 13500;
    for (int i = 1; i <= 1000; i++)
        rune_saga_inference(s, *a, (uint64_t)i * 100);
    rune_saga_trap(s, *a);
    rune_saga_cap_read(s, *a, 1000);
    rune_saga_memory(s, *a, 65536);
    for (int i = 0; i < 6; i++)
        rune_saga_log(s, *a, RUNE_SAGA_INFO, "inference %d done", i);
    return s;
}

TEST(prometheus_line_by_line)
{
    int a, b;
    rune_saga *s = make_registry(&a, &b);
    char *text = NULL;
    size_t len = 0;
    rune_error err;
    CHECK_OK(rune_saga_prometheus_alloc(s, &text, &len, &err), &err);
    if (!text) return;
    CHECK_EQ_INT(strlen(text), len);
    CHECK(len > 0 && text[len - 1] == '\n');
    /* every line is a comment or a sample; every sample's family was announced just before */
    char family[128] = "", type[32] = "";
    int samples = 0;
    for (char *p = text; *p;) {
        char *e = strchr(p, '\n');
        CHECK(e != NULL);
        if (!e) break;
        *e = 0;
        if (strncmp(p, "# HELP ", 7) == 0) {
            sscanf(p + 7, "%127s", family);
            type[0] = 0;
        } else if (strncmp(p, "# TYPE ", 7) == 0) {
            char fam[128];
            CHECK(sscanf(p + 7, "%127s %31s", fam, type) == 2);
            CHECK_STR(fam, family);
            CHECK(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                  strcmp(type, "summary") == 0);
        } else {
            CHECK(p[0] != '#');
            CHECK_MSG_(type[0] && strncmp(p, family, strlen(family)) == 0,
                       "sample outside its family: %s", p);
            /* name{labels} value, or name value */
            char *sp = strrchr(p, ' ');
            CHECK(sp != NULL);
            char *endp = NULL;
            if (sp) {
                double v = strtod(sp + 1, &endp);
                (void)v;
                CHECK(endp && *endp == 0);
            }
            samples++;
        }
        *e = '\n';
        p = e + 1;
    }
    /* 2 agent samples + 5 families x 2 runes + 5 summary lines x 2 runes */
    CHECK_EQ_INT(samples, 2 + 10 + 10);
    CHECK_NEAR(value_of(text, "rune_uptime_seconds{rune=\"sine\"}"), 12.5, 1e-9);
    CHECK_NEAR(value_of(text, "runicos_uptime_seconds"), 12.5, 1e-9);
    CHECK_NEAR(value_of(text, "runicos_log_dropped_total"), 2, 0);
    CHECK_NEAR(value_of(text, "rune_inferences_total{rune=\"sine\"}"), 1000, 0);
    CHECK_NEAR(value_of(text, "rune_traps_total{rune=\"sine\"}"), 1, 0);
    CHECK_NEAR(value_of(text, "rune_capability_reads_total{rune=\"sine\"}"), 1000, 0);
    CHECK_NEAR(value_of(text, "rune_memory_bytes{rune=\"sine\"}"), 65536, 0);
    /* latency in seconds: values 100 us .. 100 ms uniformly */
    CHECK_NEAR(value_of(text, "rune_inference_latency_seconds{rune=\"sine\",quantile=\"0.5\"}"),
               0.05, 0.05 / 64);
    CHECK_NEAR(value_of(text, "rune_inference_latency_seconds{rune=\"sine\",quantile=\"0.9\"}"),
               0.09, 0.09 / 64);
    CHECK_NEAR(value_of(text, "rune_inference_latency_seconds{rune=\"sine\",quantile=\"0.99\"}"),
               0.099, 0.099 / 64);
    CHECK_NEAR(value_of(text, "rune_inference_latency_seconds_sum{rune=\"sine\"}"), 50.05, 1e-9);
    CHECK_NEAR(value_of(text, "rune_inference_latency_seconds_count{rune=\"sine\"}"), 1000, 0);
    /* the odd name is escaped: " -> \", \ -> \\, newline -> \n */
    char buf[512];
    CHECK(line_of(text, "rune_inferences_total{rune=\"we\\\"ird\\\\na\\nme\"} 0", buf,
                  sizeof buf) != NULL);
    /* no samples yet: the quantiles are NaN */
    CHECK(line_of(text,
                  "rune_inference_latency_seconds{rune=\"we\\\"ird\\\\na\\nme\",quantile="
                  "\"0.5\"} NaN",
                  buf, sizeof buf) != NULL);
    /* a buffer too small says how much is needed */
    char small[100];
    size_t need = 0;
    CHECK_STATUS(rune_saga_prometheus(s, small, sizeof small, &need, &err), RUNE_E_LIMIT);
    CHECK_EQ_INT(need, len);
    rune_free(text);
    rune_saga_destroy(s);
}

/* ---- CBOR answers through the dispatcher, read with the client ---- */

typedef struct direct {
    rune_smp_transport base;
    rune_smp_server *srv;
    uint8_t rsp[RUNE_SMP_MAX_MSG];
    size_t rsp_len;
} direct;

static rune_status direct_send(rune_smp_transport *t, const uint8_t *msg, size_t len,
                               rune_error *err)
{
    direct *d = (direct *)t;
    rune_smp_server_handle(d->srv, msg, len, d->rsp, d->base.mtu, &d->rsp_len, err);
    return RUNE_OK;
}

static rune_status direct_recv(rune_smp_transport *t, uint8_t *buf, size_t cap, size_t *len,
                               int timeout_ms, rune_error *err)
{
    direct *d = (direct *)t;
    if (!d->rsp_len) return RUNE_ERR(err, RUNE_E_TIMEOUT, "nothing");
    memcpy(buf, d->rsp, d->rsp_len);
    *len = d->rsp_len;
    d->rsp_len = 0;
    return RUNE_OK;
}

static void copy_stats(void *ud, const rune_saga_stats *st)
{
    memcpy(ud, st, sizeof *st);
}

typedef struct logs_seen {
    int n;
    uint64_t first_seq;
    char first_msg[64];
} logs_seen;

static void on_log(void *ud, const rune_smp_log_entry *e)
{
    logs_seen *ls = ud;
    if (ls->n++ == 0) {
        ls->first_seq = e->seq;
        snprintf(ls->first_msg, sizeof ls->first_msg, "%.*s|%.*s", (int)e->rune_len, e->rune,
                 (int)e->msg_len, e->msg);
    }
}

TEST(cbor_through_smp)
{
    int a, b;
    rune_saga *s = make_registry(&a, &b);
    rune_error err;
    static direct d;
    memset(&d, 0, sizeof d);
    CHECK_OK(rune_smp_server_create(&d.srv, &err), &err);
    CHECK_OK(rune_saga_register_smp(s, d.srv, &err), &err);
    d.base.name = "direct";
    d.base.mtu = RUNE_SMP_UDP_MTU;
    d.base.send = direct_send;
    d.base.recv = direct_recv;
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, &d.base, &err), &err);
    c.retries = 0;

    CHECK_OK(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_METRICS, "sine", &err), &err);
    const rune_cbor_doc *doc = &c.rsp->doc;
    uint64_t v = 0;
    CHECK_OK(rune_cbor_get_uint(doc, 0, "uptime_ms", &v, &err), &err);
    CHECK_EQ_INT(v, 12500);
    CHECK_OK(rune_cbor_get_uint(doc, 0, "log_dropped", &v, &err), &err);
    CHECK_EQ_INT(v, 2);
    long runes = rune_cbor_map_find(doc, 0, "runes");
    CHECK(runes > 0 && doc->items[runes].count == 1);
    long r0 = rune_cbor_array_at(doc, (uint32_t)runes, 0);
    CHECK(r0 > 0 &&
          rune_cbor_text_eq(doc, (uint32_t)rune_cbor_map_find(doc, (uint32_t)r0, "name"), "sine"));
    CHECK_OK(rune_cbor_get_uint(doc, (uint32_t)r0, "inferences", &v, &err), &err);
    CHECK_EQ_INT(v, 1000);
    CHECK_OK(rune_cbor_get_uint(doc, (uint32_t)r0, "mem_bytes", &v, &err), &err);
    CHECK_EQ_INT(v, 65536);
    long lat = rune_cbor_map_find(doc, (uint32_t)r0, "latency_us");
    CHECK_OK(rune_cbor_get_uint(doc, (uint32_t)lat, "p90", &v, &err), &err);
    CHECK_NEAR(v, 90000, 90000.0 / 64);
    CHECK_OK(rune_cbor_get_uint(doc, (uint32_t)lat, "sum", &v, &err), &err);
    CHECK_EQ_INT(v, 50050000);
    /* the client-side reader gives the same numbers as the registry */
    rune_saga_stats want, got;
    CHECK_OK(rune_saga_stats_get(s, a, &want, &err), &err);
    memset(&got, 0, sizeof got);
    uint64_t up = 0;
    CHECK_OK(rune_saga_metrics_parse(doc, &up, copy_stats, &got, &err), &err);
    CHECK_EQ_INT(up, 12500);
    CHECK(memcmp(&want, &got, sizeof want) == 0);
    /* all runes */
    CHECK_OK(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_METRICS, NULL, &err), &err);
    runes = rune_cbor_map_find(&c.rsp->doc, 0, "runes");
    CHECK_EQ_INT(c.rsp->doc.items[runes].count, 2);
    /* an unknown rune: ENOENT comes back as NOT_FOUND */
    CHECK_STATUS(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_METRICS, "ghost", &err), RUNE_E_NOT_FOUND);

    /* logs: 6 written into a ring of 4 */
    logs_seen ls = {0};
    uint64_t next = 0, dropped = 0;
    CHECK_OK(rune_smp_rune_logs(&c, 0, 10, NULL, on_log, &ls, &next, &dropped, &err), &err);
    CHECK_EQ_INT(ls.n, 4);
    CHECK_EQ_INT(ls.first_seq, 3);
    CHECK_STR(ls.first_msg, "sine|inference 2 done");
    CHECK_EQ_INT(next, 7);
    CHECK_EQ_INT(dropped, 2);
    memset(&ls, 0, sizeof ls);
    CHECK_OK(rune_smp_rune_logs(&c, next, 10, NULL, on_log, &ls, &next, &dropped, &err), &err);
    CHECK_EQ_INT(ls.n, 0);
    CHECK_EQ_INT(dropped, 0);
    /* only one rune's lines; a bad "name" is EINVAL */
    memset(&ls, 0, sizeof ls);
    CHECK_OK(rune_smp_rune_logs(&c, 0, 10, "we\"ird\\na\nme", on_log, &ls, &next, &dropped, &err),
             &err);
    CHECK_EQ_INT(ls.n, 0);
    static const uint8_t bad_name[] = {0xa1, 0x64, 'n', 'a', 'm', 'e', 0x01};
    CHECK_STATUS(rune_smp_client_request(&c, RUNE_SMP_OP_READ, RUNE_SMP_GROUP_RUNE,
                                         RUNE_SMP_RUNE_LOGS, bad_name, sizeof bad_name, &err),
                 RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "\"name\" must be a text");
    /* metrics answers that are not: PROTOCOL */
    CHECK_OK(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_LOGS, NULL, &err), &err);
    CHECK_STATUS(rune_saga_metrics_parse(&c.rsp->doc, &up, NULL, NULL, &err), RUNE_E_PROTOCOL);

    rune_smp_client_free(&c);
    rune_smp_server_destroy(d.srv);
    rune_saga_destroy(s);
}

/* Long log lines over a 1 KB link: every answer fits, the client pages with "next" and gets every
 * entry exactly once, in order. */
static bool seen_seq[101];
static uint64_t last_seq;
static int order_errors;
static void on_page(void *ud, const rune_smp_log_entry *e)
{
    if (e->seq <= last_seq || e->seq > 100 || seen_seq[e->seq]) order_errors++;
    if (e->seq <= 100) seen_seq[e->seq] = true;
    last_seq = e->seq;
    if (e->msg_len != 150) order_errors++;
}

TEST(logs_paged_over_small_link)
{
    rune_error err;
    rune_saga *s;
    rune_saga_config cfg = {.log_entries = 200};
    CHECK_OK(rune_saga_create(&s, &cfg, &err), &err);
    int a;
    CHECK_OK(rune_saga_rune_add(s, "a-rune-with-a-rather-long-name-for-the-log", &a, &err), &err);
    char msg[151];
    memset(msg, 'z', 150);
    msg[150] = 0;
    for (int i = 0; i < 100; i++)
        rune_saga_log(s, a, RUNE_SAGA_WARN, "%s", msg);
    static direct d;
    memset(&d, 0, sizeof d);
    CHECK_OK(rune_smp_server_create(&d.srv, &err), &err);
    CHECK_OK(rune_saga_register_smp(s, d.srv, &err), &err);
    d.base.name = "direct";
    d.base.mtu = 1024;
    d.base.send = direct_send;
    d.base.recv = direct_recv;
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, &d.base, &err), &err);
    c.retries = 0;
    uint64_t next = 0, dropped = 0;
    int pages = 0;
    while (next < 101 && pages < 200) {
        CHECK_OK(rune_smp_rune_logs(&c, next, 64, NULL, on_page, NULL, &next, &dropped, &err),
                 &err);
        CHECK(c.rsp->hdr.len + 8 <= 1024);
        CHECK_EQ_INT(dropped, 0);
        pages++;
    }
    CHECK_EQ_INT(next, 101);
    CHECK_EQ_INT(order_errors, 0);
    for (int i = 1; i <= 100; i++)
        CHECK(seen_seq[i]);
    CHECK(pages >= 20); /* about 3 entries of ~270 bytes a page */
    /* a metrics answer that cannot fit is EMSGSIZE, not a broken message */
    for (int i = 0; i < 10; i++) {
        char name[64];
        int id;
        snprintf(name, sizeof name, "rune-number-%d-with-a-long-name-padding-padding", i);
        CHECK_OK(rune_saga_rune_add(s, name, &id, &err), &err);
    }
    CHECK_STATUS(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_METRICS, NULL, &err), RUNE_E_PROTOCOL);
    CHECK_EQ_INT(err.code, RUNE_SMP_ERR_MSGSIZE);
    CHECK_OK(rune_smp_rune_cmd(&c, RUNE_SMP_RUNE_METRICS,
                               "rune-number-3-with-a-long-name-padding-padding", &err),
             &err);
    rune_smp_client_free(&c);
    rune_smp_server_destroy(d.srv);
    rune_saga_destroy(s);
}

static long live_at_start;
TEST(nothing_leaked)
{
    CHECK_EQ_INT(rune_alloc_live(), live_at_start);
}

int main(void)
{
    live_at_start = rune_alloc_live();
    RUN(prometheus_line_by_line);
    RUN(cbor_through_smp);
    RUN(logs_paged_over_small_link);
    RUN(nothing_leaked);
    return test_report();
}
