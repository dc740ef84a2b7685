/*
 * metrics_http.c - LibSaga's Prometheus text over HTTP on loopback (runicosd --metrics-port), for a
 * Prometheus server scraping the device directly: GET /metrics -> 200 text/plain; version=0.0.4,
 * anything else -> 404. HTTP/1.0, one request per connection.
 *
 * Workload: a scrape every few seconds. Served from the agent's poll loop between SMP requests, so
 * a client gets at most 200 ms to send its request line before it is dropped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent_int.h"
#include "rune/alloc.h"

rune_status rune_agent_metrics_listen(rune_agent *a, uint16_t port, rune_error *err)
{
    if (!a) return RUNE_ERR(err, RUNE_E_ARG, "agent: NULL");
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return RUNE_ERR(err, RUNE_E_IO, "metrics: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        int e = errno;
        close(fd);
        return RUNE_ERR(err, RUNE_E_IO, "metrics: 127.0.0.1:%u: %s", port, strerror(e));
    }
    if (a->http_fd >= 0) close(a->http_fd);
    a->http_fd = fd;
    a->http_port = ntohs(sa.sin_port);
    agent_log(a, RUNE_SAGA_INFO, "metrics on http://127.0.0.1:%u/metrics", a->http_port);
    return RUNE_OK;
}

uint16_t rune_agent_metrics_port(const rune_agent *a)
{
    return a && a->http_fd >= 0 ? a->http_port : 0;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static void serve_one(rune_agent *a, int fd)
{
    struct timeval tv = {0, 200 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char req[1024];
    size_t n = 0;
    while (n < sizeof req - 1) {
        ssize_t r = recv(fd, req + n, sizeof req - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
    }
    req[n] = '\0';
    char head[160];
    if (strncmp(req, "GET /metrics ", 13) != 0 && strncmp(req, "GET /metrics\r", 13) != 0) {
        static const char nf[] = "HTTP/1.0 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
        send_all(fd, nf, sizeof nf - 1);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    rune_error e;
    if (rune_saga_prometheus_alloc(a->saga, &text, &len, &e) != RUNE_OK) {
        static const char ise[] = "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
        send_all(fd, ise, sizeof ise - 1);
        return;
    }
    int h = snprintf(head, sizeof head,
                     "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     len);
    send_all(fd, head, (size_t)h);
    send_all(fd, text, len);
    rune_free(text);
}

void agent_http_poll(rune_agent *a)
{
    if (a->http_fd < 0) return;
    for (int i = 0; i < 4; i++) {
        int fd = accept4(a->http_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) return;
        serve_one(a, fd);
        close(fd);
    }
}

void agent_http_close(rune_agent *a)
{
    if (a->http_fd >= 0) close(a->http_fd);
    a->http_fd = -1;
}
