/*
 * smp.h - the device protocol of Hammer and RunicOS: SMP (the MCUmgr Simple Management Protocol).
 *
 * A message is an 8-byte header followed by a CBOR map:
 *
 *     byte 0        byte 1   bytes 2-3        bytes 4-5        byte 6     byte 7
 *   +-------------+--------+----------------+----------------+----------+----------+
 *   |res:3|ver:2|op:3| flags | body length (BE) | group id (BE)  | sequence | command  |
 *   +-------------+--------+----------------+----------------+----------+----------+
 *   op: 0 read, 1 read response, 2 write, 3 write response.  ver: 0 = SMP v1, 1 = SMP v2.
 *
 * Errors travel in the body: "rc" (an RUNE_SMP_ERR_* code) for SMP-level errors in v1 and v2, and
 * in v2 "err": {"group": g, "rc": rc} for a group's own error codes; either may carry a "rsn" text.
 * A response without them succeeded.
 *
 * The groups spoken here (request -> response body; R = read, W = write):
 *   OS (0)
 *     echo 0     R/W  {"d": tstr} -> {"r": tstr}
 *     reset 5    W    {} or {"force": uint} -> {}
 *     params 6   R    {} -> {"buf_size": uint, "buf_count": uint}
 *     info 7     R    {"format": tstr} -> {"output": tstr}
 *   IMAGE (1)
 *     state 0    R    {} -> {"images": [{"image": uint, "slot": uint, "version": tstr,
 *                      "hash": bstr, "bootable", "pending", "confirmed", "active",
 *                      "permanent": bool}]}
 *                W    {"hash": bstr, "confirm": bool} -> as for R
 *     upload 1   W    {"off": uint, "data": bstr; in the packet with off 0 also "len": uint
 *                      (whole image), "sha": bstr (SHA-256 of the whole image), "image": uint}
 *                      -> {"rc": 0, "off": uint (bytes the device holds); on the last packet
 *                      also "match": bool (the SHA-256 matched)}; a chunk with off > 0 and no
 *                      session open: EBADSTATE (start again with a first packet)
 *   RUNE (64: our own group, in the user range that starts at 64)
 *     start 0    W    {"name": tstr} -> {"state": tstr}
 *     stop 1     W    {"name": tstr} -> {"state": tstr}
 *     status 2   R    {} or {"name": tstr} -> {"runes": [{"name": tstr, "version": tstr,
 *                      "state": tstr, "digest": bstr, "uptime_ms": uint}]}
 *     metrics 3  R    {} or {"name": tstr} -> LibSaga's snapshot (see saga.h)
 *     logs 4     R    {"since": uint, "max": uint, "name": tstr (optional)} -> {"next": uint,
 *                      "dropped": uint, "entries": [{"seq": uint, "t_ms": uint,
 *                      "level": uint, "rune": tstr, "msg": tstr}]}
 *     caps 5     R    {} -> {"caps": [{"kind": tstr, "name": tstr, "allowed": bool}]}
 *     framing 6  W    {"framing": "bin1", "mtu": uint} -> {"framing": "bin1", "mtu": uint}: may
 *                      the client speak the binary serial framing (below), and the largest message
 *                      the device takes in it. ENOTSUP for another framing; a device without the
 *                      command (any real MCUmgr device) answers ENOTSUP and the client stays on
 *                      the console framing.
 *   An unknown name is rc ENOENT, a bad argument EINVAL (with "rsn" saying which).
 *
 * CBOR is decoded by a small bounded decoder written here rather than libcbor: libcbor's cbor_load
 * builds a heap tree whose size follows the lengths the peer declares, while a device agent (and a
 * microcontroller build) needs a decoder that allocates nothing, refers to strings in place and
 * stops at a fixed item count and nesting depth. Decoding never reads past the input and never
 * allocates.
 *
 * Transports (UDP, serial) are structs of function pointers; one transport message is one whole SMP
 * message. The client side (request with timeout and retries, image upload) sits on top.
 */
#ifndef RUNE_SMP_H
#define RUNE_SMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tunables ---------------------------------------------------------------------------- */

/* Most CBOR items one decoded message may hold: a logs response of 100 entries needs ~600. */
#ifndef RUNE_CBOR_MAX_ITEMS
#define RUNE_CBOR_MAX_ITEMS 1024
#endif
/* Deepest nesting of arrays and maps accepted: SMP bodies nest 3 deep at most. */
#ifndef RUNE_CBOR_MAX_DEPTH
#define RUNE_CBOR_MAX_DEPTH 16
#endif
/* Largest SMP message (header + body) the header's 16-bit length allows. */
#define RUNE_SMP_MAX_MSG (8 + 65535)
/* How long a server treats a byte-identical repeat of the last request as a retry (answered from
 * its cache) rather than a new request: the default client gives up after 4 s. */
#ifndef RUNE_SMP_RETRY_WINDOW_MS
#define RUNE_SMP_RETRY_WINDOW_MS 5000
#endif
/* Handlers a server can hold. */
#ifndef RUNE_SMP_MAX_HANDLERS
#define RUNE_SMP_MAX_HANDLERS 48
#endif
/* Default UDP port of SMP. */
#define RUNE_SMP_UDP_PORT 1337
/* Default message size for UDP: one Ethernet-MTU datagram (1500 - 20 IPv4 - 8 UDP). */
#define RUNE_SMP_UDP_MTU 1472
/* Default message size for serial: what a small device buffers before the CRC check. */
#define RUNE_SMP_SERIAL_MTU 1024
/* Serial console framing: at most 127 bytes a line, marker and newline included. */
#define RUNE_SMP_SERIAL_LINE_MAX 127
/* Largest message in the binary serial framing (what our agent takes once it is negotiated). */
#ifndef RUNE_SMP_SERIAL_BIN_MTU
#define RUNE_SMP_SERIAL_BIN_MTU 4096
#endif
/* Bytes the binary framing adds to a message: sync 2, length 2, header check 1, CRC16 2. */
#define RUNE_SMP_BIN_OVERHEAD 7
/* Most upload chunks one client keeps in flight. */
#define RUNE_SMP_UPLOAD_MAX_WINDOW 16

/* ---- CBOR ----------------------------------------------------------------------------------- */

typedef enum rune_cbor_type {
    RUNE_CBOR_UINT = 1, /* u */
    RUNE_CBOR_NINT,     /* i: negative integer, -2^63 .. -1 (smaller ones are rejected) */
    RUNE_CBOR_BYTES,    /* s.p, s.len */
    RUNE_CBOR_TEXT,     /* s.p, s.len (UTF-8 not checked; not NUL-terminated) */
    RUNE_CBOR_ARRAY,    /* count elements follow */
    RUNE_CBOR_MAP,      /* count key/value pairs follow */
    RUNE_CBOR_BOOL,     /* b */
    RUNE_CBOR_NULL,
    RUNE_CBOR_UNDEF,
    RUNE_CBOR_FLOAT, /* f (half, single and double) */
} rune_cbor_type;

/* One decoded item. Items are stored in pre-order; `next` is the index just past this item's
 * subtree, so a reader can skip a value without walking it. */
typedef struct rune_cbor_item {
    uint8_t type;
    uint32_t count;
    uint32_t next;
    union {
        uint64_t u;
        int64_t i;
        double f;
        bool b;
        struct {
            const uint8_t *p;
            size_t len;
        } s;
    } v;
} rune_cbor_item;

/* A decoded document: items point into the input bytes, which must outlive it. */
typedef struct rune_cbor_doc {
    rune_cbor_item *items;
    uint32_t n, cap;
} rune_cbor_doc;

/* Decode exactly one CBOR item filling all of buf[0..len) into items[0..cap). Errors: MALFORMED
 * (truncated, a declared length past the end, reserved encodings, trailing bytes), LIMIT (more than
 * cap items or deeper than RUNE_CBOR_MAX_DEPTH), UNSUPPORTED (tags, indefinite-length strings). */
rune_status rune_cbor_decode(const uint8_t *buf, size_t len, rune_cbor_item *items, size_t cap,
                             rune_cbor_doc *doc, rune_error *err);

/* Index of the value for text key `key` in the map at index `map`, or -1 (also when `map` is not a
 * map). Integer keys are not used by SMP and never match. */
long rune_cbor_map_find(const rune_cbor_doc *doc, uint32_t map, const char *key);
/* Index of the i-th element of the array at `arr`, or -1. */
long rune_cbor_array_at(const rune_cbor_doc *doc, uint32_t arr, uint32_t i);
/* Typed map lookups: RUNE_OK, RUNE_E_NOT_FOUND when the key is missing, RUNE_E_INVALID (with a
 * message naming the key) when the value has another type. Strings point into the input. */
rune_status rune_cbor_get_uint(const rune_cbor_doc *doc, uint32_t map, const char *key,
                               uint64_t *out, rune_error *err);
rune_status rune_cbor_get_int(const rune_cbor_doc *doc, uint32_t map, const char *key, int64_t *out,
                              rune_error *err);
rune_status rune_cbor_get_bool(const rune_cbor_doc *doc, uint32_t map, const char *key, bool *out,
                               rune_error *err);
rune_status rune_cbor_get_text(const rune_cbor_doc *doc, uint32_t map, const char *key,
                               const char **p, size_t *len, rune_error *err);
rune_status rune_cbor_get_bytes(const rune_cbor_doc *doc, uint32_t map, const char *key,
                                const uint8_t **p, size_t *len, rune_error *err);
/* Copy a text value into out (NUL-terminated); LIMIT when it does not fit in cap. */
rune_status rune_cbor_get_textz(const rune_cbor_doc *doc, uint32_t map, const char *key, char *out,
                                size_t cap, rune_error *err);
/* Does item i hold this text? */
bool rune_cbor_text_eq(const rune_cbor_doc *doc, uint32_t i, const char *s);

/* Encoder into a caller's buffer. Writes never fail one by one: past the end the encoder only
 * counts, and rune_cbor_enc_finish reports LIMIT with the size that was needed. */
typedef struct rune_cbor_enc {
    uint8_t *buf;
    size_t cap, len;
    bool overflow;
} rune_cbor_enc;

void rune_cbor_enc_init(rune_cbor_enc *e, uint8_t *buf, size_t cap);
void rune_cbor_put_uint(rune_cbor_enc *e, uint64_t v);
void rune_cbor_put_int(rune_cbor_enc *e, int64_t v);
void rune_cbor_put_bytes(rune_cbor_enc *e, const void *p, size_t len);
void rune_cbor_put_text(rune_cbor_enc *e, const char *p, size_t len);
void rune_cbor_put_textz(rune_cbor_enc *e, const char *s); /* NUL-terminated */
void rune_cbor_put_bool(rune_cbor_enc *e, bool b);
void rune_cbor_put_null(rune_cbor_enc *e);
void rune_cbor_put_double(rune_cbor_enc *e, double f);
void rune_cbor_put_array(rune_cbor_enc *e, size_t n);
void rune_cbor_put_map(rune_cbor_enc *e, size_t n_pairs);
void rune_cbor_put_array_indef(rune_cbor_enc *e); /* close with rune_cbor_put_break */
void rune_cbor_put_map_indef(rune_cbor_enc *e);
void rune_cbor_put_break(rune_cbor_enc *e);
/* Raw bytes that already are CBOR (a nested document). */
void rune_cbor_put_raw(rune_cbor_enc *e, const void *p, size_t len);
/* RUNE_OK, or RUNE_E_LIMIT when the buffer was too small (err says how many bytes were needed). */
rune_status rune_cbor_enc_finish(const rune_cbor_enc *e, rune_error *err);

/* ---- messages ------------------------------------------------------------------------------- */

enum {
    RUNE_SMP_OP_READ = 0,
    RUNE_SMP_OP_READ_RSP = 1,
    RUNE_SMP_OP_WRITE = 2,
    RUNE_SMP_OP_WRITE_RSP = 3,
};
enum { RUNE_SMP_V1 = 0, RUNE_SMP_V2 = 1 };
enum { RUNE_SMP_HDR_LEN = 8 };

enum {
    RUNE_SMP_GROUP_OS = 0,
    RUNE_SMP_GROUP_IMAGE = 1,
    RUNE_SMP_GROUP_RUNE = 64,
};
enum {
    RUNE_SMP_OS_ECHO = 0,
    RUNE_SMP_OS_RESET = 5,
    RUNE_SMP_OS_PARAMS = 6,
    RUNE_SMP_OS_INFO = 7,
};
enum {
    RUNE_SMP_IMAGE_STATE = 0,
    RUNE_SMP_IMAGE_UPLOAD = 1,
};
enum {
    RUNE_SMP_RUNE_START = 0,
    RUNE_SMP_RUNE_STOP = 1,
    RUNE_SMP_RUNE_STATUS = 2,
    RUNE_SMP_RUNE_METRICS = 3,
    RUNE_SMP_RUNE_LOGS = 4,
    RUNE_SMP_RUNE_CAPS = 5,
    RUNE_SMP_RUNE_FRAMING = 6,
};

/* MCUmgr's MGMT_ERR_* codes as carried in "rc". */
enum {
    RUNE_SMP_ERR_OK = 0,
    RUNE_SMP_ERR_UNKNOWN = 1,
    RUNE_SMP_ERR_NOMEM = 2,
    RUNE_SMP_ERR_INVAL = 3,
    RUNE_SMP_ERR_TIMEOUT = 4,
    RUNE_SMP_ERR_NOENT = 5,
    RUNE_SMP_ERR_BADSTATE = 6,
    RUNE_SMP_ERR_MSGSIZE = 7,
    RUNE_SMP_ERR_NOTSUP = 8,
    RUNE_SMP_ERR_CORRUPT = 9,
    RUNE_SMP_ERR_BUSY = 10,
    RUNE_SMP_ERR_ACCESSDENIED = 11,
    RUNE_SMP_ERR_PERUSER = 256,
};
/* Short name of an rc ("ENOTSUP"); never NULL. */
const char *rune_smp_err_name(int rc);

typedef struct rune_smp_hdr {
    uint8_t op, version, flags;
    uint16_t len; /* body bytes */
    uint16_t group;
    uint8_t seq, id;
} rune_smp_hdr;

void rune_smp_hdr_encode(const rune_smp_hdr *h, uint8_t out[RUNE_SMP_HDR_LEN]);
/* MALFORMED when fewer than 8 bytes; INVALID when the reserved bits are set or the version is
 * not 1 or 2. Does not check the length against anything. */
rune_status rune_smp_hdr_decode(const uint8_t *buf, size_t len, rune_smp_hdr *h, rune_error *err);

/* A decoded message: the header and the body map (item 0 of doc). Points into the input bytes. */
typedef struct rune_smp_msg {
    rune_smp_hdr hdr;
    const uint8_t *body;
    size_t body_len;
    rune_cbor_doc doc;
    rune_cbor_item items[RUNE_CBOR_MAX_ITEMS];
} rune_smp_msg;

/* Decode a whole message: header, length equal to the bytes that follow, a body that is a CBOR map
 * (an empty body reads as an empty map). */
rune_status rune_smp_msg_decode(const uint8_t *buf, size_t len, rune_smp_msg *m, rune_error *err);

/* Build a message: header fields from h (h->len is filled in), body as given. */
rune_status rune_smp_msg_build(const rune_smp_hdr *h, const uint8_t *body, size_t body_len,
                               uint8_t *out, size_t cap, size_t *out_len, rune_error *err);

/* The error a response carries, 0 when none: an SMP-level rc ("rc", RUNE_SMP_ERR_*; *err_group =
 * -1) or an SMP v2 group error ("err": {group, rc}; *err_group = group, rc in that group's codes).
 * err_group may be NULL. A "rsn" text is copied into rsn when given. */
int rune_smp_msg_rc(const rune_smp_msg *m, int *err_group, char *rsn, size_t rsn_cap);

/* ---- server side: the dispatcher ------------------------------------------------------------ */

/* What a handler sees: the decoded request, room for a reason text sent with an error, and whether
 * its error rc is one of its group's own codes. */
typedef struct rune_smp_request {
    const rune_smp_msg *msg;
    char rsn[128];
    bool group_err; /* set by the handler: v2 answers carry the rc as "err" {group, rc} */
} rune_smp_request;

/* A handler writes the key/value pairs of its response into rsp (the dispatcher has opened the map
 * and closes it) and returns RUNE_SMP_ERR_OK, or an error rc: then its pairs are discarded and the
 * response carries "rc": rc (an SMP-level RUNE_SMP_ERR_* code), or for a v2 request with
 * req->group_err set "err": {"group", "rc"}, plus req->rsn when set. In the RUNE group the group
 * codes are the RUNE_SMP_ERR_* values too. Errors of the dispatcher itself (a body that does not
 * decode: EINVAL, no handler: ENOTSUP, an answer too large: EMSGSIZE) are always "rc". */
typedef int (*rune_smp_handler_fn)(void *ud, rune_smp_request *req, rune_cbor_enc *rsp);

/* A server is not thread-safe: one thread receives, handles and answers (handlers may hand work
 * to other threads, but answer before they return). An agent with several transports serves
 * them in turn from that thread with short timeouts (rune_smp_server_serve(s, udp, 10, ...),
 * then the serial one, ...); state such as an upload in progress is then shared safely. */
typedef struct rune_smp_server rune_smp_server;

/* A server with no handlers. Owns its buffers (about two maximum messages). */
rune_status rune_smp_server_create(rune_smp_server **out, rune_error *err);
void rune_smp_server_destroy(rune_smp_server *s); /* accepts NULL */
/* Route (group, id, op) to fn; op is RUNE_SMP_OP_READ or RUNE_SMP_OP_WRITE. A second registration
 * of the same triple replaces the first. LIMIT when the table is full. */
rune_status rune_smp_server_register(rune_smp_server *s, uint16_t group, uint8_t id, uint8_t op,
                                     rune_smp_handler_fn fn, void *ud, rune_error *err);
/* The OS echo, params (buf_size = mtu) and info (uname letters s n r v b m p i o, a = all)
 * handlers, which need nothing from the agent. Reset is the agent's. */
rune_status rune_smp_server_register_os(rune_smp_server *s, size_t mtu, rune_error *err);

struct rune_smp_transport;
/* Serve several transports from one thread: wait at most timeout_ms for input on any of them
 * (transports without pollfd are checked every 10 ms), then serve every request that is there
 * (at most 16 a transport a round). *served (may be NULL) counts the requests answered. Errors of
 * single requests are dropped (the client was answered or will retry); a transport that fails
 * (IO: a serial line gone) makes it return RUNE_E_IO naming it, after the others were served. */
rune_status rune_smp_server_serve_any(rune_smp_server *s, struct rune_smp_transport *const *ts,
                                      size_t n, int timeout_ms, size_t *served, rune_error *err);

/* Change the retry window (RUNE_SMP_RETRY_WINDOW_MS); 0 turns the retry cache off. */
void rune_smp_server_set_retry_window(rune_smp_server *s, unsigned ms);

/* Handle one request message. Writes the response to rsp (*rsp_len = 0 when nothing is to be sent:
 * a response op). A request equal byte for byte to the previous one (a client's retry) gets the
 * previous response again without running the handler, if it comes within the retry window. Unknown
 * (group, id, op): rc ENOTSUP. A request whose header is bad or whose body is not a CBOR map: the
 * error is returned and, when the header was readable, an EINVAL response is written as well. */
rune_status rune_smp_server_handle(rune_smp_server *s, const uint8_t *req, size_t req_len,
                                   uint8_t *rsp, size_t rsp_cap, size_t *rsp_len, rune_error *err);

/* Receive one message from t (waiting at most timeout_ms), handle it, send the response back; the
 * response is limited to t->mtu bytes (handlers see the room left in their encoder's cap).
 * TIMEOUT when nothing came; the handling error otherwise (a response, if any, was still sent). */
struct rune_smp_transport;
rune_status rune_smp_server_serve(rune_smp_server *s, struct rune_smp_transport *t, int timeout_ms,
                                  rune_error *err);

/* ---- transports ----------------------------------------------------------------------------- */

/* One transport message is one whole SMP message. mtu is the largest message this link carries;
 * the client sizes upload chunks to it. recv waits at most timeout_ms (TIMEOUT when nothing came).
 */
typedef struct rune_smp_transport rune_smp_transport;
struct rune_smp_transport {
    const char *name;
    size_t mtu;
    rune_status (*send)(rune_smp_transport *t, const uint8_t *msg, size_t len, rune_error *err);
    rune_status (*recv)(rune_smp_transport *t, uint8_t *buf, size_t cap, size_t *len,
                        int timeout_ms, rune_error *err);
    void (*close)(rune_smp_transport *t); /* frees t */
    /* Optional (NULL: not pollable): the fd that becomes readable when input arrives, and in
     * *buffered whether input already read is waiting (then do not wait on the fd). */
    int (*pollfd)(rune_smp_transport *t, bool *buffered);
    void *impl;
    /* Bytes a second the link carries each way (serial: baud / 10), 0 = unknown (fast). */
    size_t rate;
    /* Optional (NULL: one framing only): switch what send uses, see rune_smp_serial_framing. */
    rune_status (*set_framing)(rune_smp_transport *t, int framing, size_t mtu, rune_error *err);
};
void rune_smp_transport_close(rune_smp_transport *t); /* accepts NULL */

/* UDP client: talks to host:port (numeric IPv4/IPv6 or a name). */
rune_status rune_smp_udp_client(const char *host, uint16_t port, rune_smp_transport **out,
                                rune_error *err);
/* UDP server: bound to addr:port (addr NULL = any; port 0 = any free port, see bound_port); it
 * answers whoever sent the last request. */
rune_status rune_smp_udp_server(const char *addr, uint16_t port, rune_smp_transport **out,
                                rune_error *err);
uint16_t rune_smp_udp_bound_port(const rune_smp_transport *t);

/* Serial over a tty in raw mode at baud (9600 .. 921600). mtu 0 = RUNE_SMP_SERIAL_MTU. */
rune_status rune_smp_serial_open(const char *path, int baud, size_t mtu, rune_smp_transport **out,
                                 rune_error *err);
/* Serial over an open fd (a pty in tests); set_raw applies termios raw mode and baud; the
 * transport closes fd when own_fd (on failure too). */
rune_status rune_smp_serial_fdopen(int fd, bool own_fd, bool set_raw, int baud, size_t mtu,
                                   rune_smp_transport **out, rune_error *err);

/* Serial console framing of one SMP message into lines "\x06\x09<base64>\n", "\x04\x14<base64>\n"
 * (each at most 127 bytes): base64 of [u16 BE length = msg + 2][msg][CRC16-XMODEM(msg) BE]. */
size_t rune_smp_serial_frame_size(size_t msg_len);
rune_status rune_smp_serial_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
                                  size_t *out_len, rune_error *err);
uint16_t rune_smp_crc16(uint16_t crc, const uint8_t *p, size_t len); /* XMODEM: poly 0x1021 */

/* Framings of a serial transport. A serial transport always decodes both; it sends console frames
 * (RUNE_SMP_FRAMING_REPLY, the default) except that an answer goes out in the framing its request
 * came in, or binary frames only (RUNE_SMP_FRAMING_BINARY: a client after the device agreed). So
 * a device speaks binary only to a client that did, and a client only after the device's yes. */
enum { RUNE_SMP_FRAMING_REPLY = 0, RUNE_SMP_FRAMING_BINARY = 1 };
/* Switch t's framing (mtu: the largest message from now on, 0 = keep; for BINARY at most
 * RUNE_SMP_SERIAL_BIN_MTU). UNSUPPORTED for a transport without framings (UDP). */
rune_status rune_smp_serial_framing(rune_smp_transport *t, int framing, size_t mtu,
                                    rune_error *err);

/* Binary serial framing (negotiated, see the RUNE group's framing command): one message as
 *   0xA5 0x5A | u16 BE n | CRC-8 (poly 0x07) of those 2 bytes | n bytes of message | CRC16-XMODEM
 *   of the message, BE
 * The header check stops a damaged length from swallowing the frames after it; after a bad frame
 * the de-framer searches again from the byte after its sync, so a lost or garbled byte costs only
 * the frame it hit. Bytes outside binary frames are handed back as console bytes. */
size_t rune_smp_bin_frame_size(size_t msg_len); /* msg_len + RUNE_SMP_BIN_OVERHEAD */
rune_status rune_smp_bin_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
                               size_t *out_len, rune_error *err);
uint8_t rune_smp_crc8(const uint8_t *p, size_t len); /* poly 0x07, init 0 */

typedef struct rune_smp_bin_deframer {
    uint8_t *in; /* bytes pushed and not yet taken */
    size_t in_cap, pos, len;
    size_t cap;     /* largest message accepted */
    bool starved;   /* _next found a frame begun but not whole: it needs more bytes */
    uint64_t taken; /* bytes passed over so far (identifies the frame being waited for) */
} rune_smp_bin_deframer;

rune_status rune_smp_bin_deframer_init(rune_smp_bin_deframer *d, size_t cap, rune_error *err);
void rune_smp_bin_deframer_free(rune_smp_bin_deframer *d);
/* Append line bytes; returns how many were taken (all, unless the buffer is full: take events
 * with rune_smp_bin_deframer_next first). Moves earlier bytes, so pointers returned by _next are
 * valid until the next push. */
size_t rune_smp_bin_deframer_push(rune_smp_bin_deframer *d, const uint8_t *buf, size_t len);
/* Give up on the frame begun at the front (a line cut mid-frame: the bytes that would finish it
 * never come, and what comes next must not be swallowed as its rest): its sync byte is dropped
 * and the search goes on. The serial transport does this when a frame stays incomplete longer
 * than the line needs to carry it plus 200 ms. */
void rune_smp_bin_deframer_skip(rune_smp_bin_deframer *d);
/* The next event in the pushed bytes: a message (*msg, *msg_len set, RUNE_OK), a run of bytes
 * outside binary frames (*other, *other_len set, RUNE_OK: for the console de-framer), nothing
 * until more bytes come (RUNE_OK, both NULL), or a frame whose CRC failed (MALFORMED; dropped). */
rune_status rune_smp_bin_deframer_next(rune_smp_bin_deframer *d, const uint8_t **msg,
                                       size_t *msg_len, const uint8_t **other, size_t *other_len,
                                       rune_error *err);

/* De-framer: feed it the bytes read from the line; it skips console text that is not SMP. */
typedef struct rune_smp_deframer {
    uint8_t line[RUNE_SMP_SERIAL_LINE_MAX + 1];
    size_t line_len;
    bool line_skip; /* inside a non-SMP or overlong line: drop until '\n' */
    uint8_t *pkt;   /* decoded [length][msg][crc] */
    size_t pkt_cap, pkt_len;
    size_t want; /* total bytes expected (2 + length), 0 before the first frame */
    bool in_packet;
} rune_smp_deframer;

/* cap = largest message accepted (e.g. the transport mtu). Allocates one buffer. */
rune_status rune_smp_deframer_init(rune_smp_deframer *d, size_t cap, rune_error *err);
void rune_smp_deframer_free(rune_smp_deframer *d);
/* Consume bytes from buf until a whole message is ready or buf is used up; *used tells how many.
 * When a message is complete, *msg and *msg_len point to it (valid until the next call) and RUNE_OK
 * is returned with *msg != NULL. A bad frame (bad base64, bad CRC, a length over cap, a
 * continuation without a start, an overlong line) returns MALFORMED / LIMIT with a message; the
 * de-framer drops that packet and is ready for the next one. */
rune_status rune_smp_deframer_feed(rune_smp_deframer *d, const uint8_t *buf, size_t len,
                                   size_t *used, const uint8_t **msg, size_t *msg_len,
                                   rune_error *err);

/* ---- client side ----------------------------------------------------------------------------- */

/* A client sends one request at a time (the image upload excepted: it keeps several chunks in
 * flight, see rune_smp_upload) and is used from one thread; several clients may share a device
 * (each with its own sequence numbers). */

typedef struct rune_smp_client {
    rune_smp_transport *t; /* borrowed */
    uint8_t seq;
    uint8_t version;         /* RUNE_SMP_V1 or RUNE_SMP_V2 for requests; default V2 */
    int timeout_ms;          /* per try; default 1000 */
    int retries;             /* extra tries with the same sequence number; default 3 */
    size_t dev_mtu;          /* the device's largest message when known (framing negotiation);
                                0 = the upload asks OS params */
    unsigned long n_retries; /* statistics: tries that timed out */
    uint8_t *tx, *rx;
    rune_smp_msg *rsp; /* the last response (decoded) */
} rune_smp_client;

rune_status rune_smp_client_init(rune_smp_client *c, rune_smp_transport *t, rune_error *err);
void rune_smp_client_free(rune_smp_client *c);
/* Send a request (body: a CBOR map, or NULL for an empty map) and wait for its response: the same
 * sequence number, group and command. A timeout is retried with the same sequence number; replies
 * with another sequence (late duplicates) are skipped. On success c->rsp holds the response. A
 * response with an rc is an error: NOT_FOUND (ENOENT), UNSUPPORTED (ENOTSUP), DENIED
 * (EACCESSDENIED), INVALID (EINVAL) or PROTOCOL, with err->code = rc and the reason in the message.
 */
rune_status rune_smp_client_request(rune_smp_client *c, uint8_t op, uint16_t group, uint8_t id,
                                    const uint8_t *body, size_t body_len, rune_error *err);

rune_status rune_smp_echo(rune_smp_client *c, const char *text, char *out, size_t cap,
                          rune_error *err);
rune_status rune_smp_reset(rune_smp_client *c, rune_error *err);
rune_status rune_smp_os_info(rune_smp_client *c, const char *format, char *out, size_t cap,
                             rune_error *err);
rune_status rune_smp_params(rune_smp_client *c, uint64_t *buf_size, uint64_t *buf_count,
                            rune_error *err);
/* Ask the device (in the console framing) whether it takes the binary serial framing; on its yes
 * switch the transport to it (*binary = true, c->dev_mtu = the device's frame size). A device
 * that does not know the command, or a transport without framings, leaves everything as it was
 * (*binary = false, RUNE_OK). TIMEOUT / IO when the device does not answer. */
rune_status rune_smp_negotiate_framing(rune_smp_client *c, bool *binary, rune_error *err);

typedef struct rune_smp_image_slot {
    uint32_t image, slot;
    char version[32];
    uint8_t hash[32];
    size_t hash_len;
    bool bootable, pending, confirmed, active, permanent;
} rune_smp_image_slot;
/* Read (hash NULL) or write (test or confirm) the image state; the slots of the answer go to out.
 */
rune_status rune_smp_image_state(rune_smp_client *c, const uint8_t *hash, size_t hash_len,
                                 bool confirm, rune_smp_image_slot *out, size_t cap, size_t *n,
                                 rune_error *err);

/* Rune group: start/stop by name; other commands leave the decoded answer in c->rsp. */
rune_status rune_smp_rune_cmd(rune_smp_client *c, uint8_t cmd, const char *name, rune_error *err);
typedef struct rune_smp_log_entry {
    uint64_t seq, t_ms;
    unsigned level;
    const char *rune, *msg; /* point into c->rsp, not NUL-terminated */
    size_t rune_len, msg_len;
} rune_smp_log_entry;
/* Fetch log entries with seq >= since (at most max; rune NULL = all); calls fn for each; *next is
 * the seq to ask for next time, *dropped how many were lost to the ring's wrap-around. */
rune_status rune_smp_rune_logs(rune_smp_client *c, uint64_t since, uint32_t max, const char *rune,
                               void (*fn)(void *ud, const rune_smp_log_entry *e), void *ud,
                               uint64_t *next, uint64_t *dropped, rune_error *err);

/* ---- shared shapes of the image and rune groups: the agent writes them, hmr reads them ---- */

typedef struct rune_smp_rune_info {
    char name[64];
    char version[32];
    char state[16]; /* "running", "stopped", "failed", ... */
    uint8_t digest[32];
    size_t digest_len;
    uint64_t uptime_ms;
} rune_smp_rune_info;

typedef struct rune_smp_cap_info {
    char kind[24]; /* "sound", "image", "accel", "random", ... */
    char name[64];
    bool allowed; /* by the device's policy */
} rune_smp_cap_info;

/* Server side: write the "images" / "runes" / "caps" pair of an answer into the open map. */
void rune_smp_put_image_state(rune_cbor_enc *e, const rune_smp_image_slot *slots, size_t n);
void rune_smp_put_rune_status(rune_cbor_enc *e, const rune_smp_rune_info *runes, size_t n);
void rune_smp_put_caps(rune_cbor_enc *e, const rune_smp_cap_info *caps, size_t n);

/* Client side: ask for the status of one rune (name) or all (NULL) / the device's capabilities;
 * fn is called per entry. PROTOCOL when an answer does not have the shape above; texts longer than
 * the struct's fields are cut. */
rune_status rune_smp_rune_status(rune_smp_client *c, const char *name,
                                 void (*fn)(void *ud, const rune_smp_rune_info *r), void *ud,
                                 rune_error *err);
rune_status rune_smp_rune_caps(rune_smp_client *c,
                               void (*fn)(void *ud, const rune_smp_cap_info *cap), void *ud,
                               rune_error *err);

/* Image upload state machine. The image stays owned by the caller and must outlive the upload.
 * Chunks are pipelined: up to `window` requests in flight, each answer matched to its chunk by
 * sequence number, the device's "off" still the only truth (an answer short of its chunk's end
 * means a chunk before it was lost, or, for the first packet, that the device resumes elsewhere:
 * the client goes there and what was in flight is stale). The chunks after the first packet go
 * out before its answer; until that answer came, errors in answers to them are not taken (no
 * session yet) and a timeout sends the first packet again. */
typedef struct rune_smp_upload_flight {
    uint8_t seq;
    bool first; /* the first packet (len, sha): its answer says where the device is */
    size_t off, n;
} rune_smp_upload_flight;

typedef struct rune_smp_upload {
    const uint8_t *data;
    size_t len;
    uint32_t image;
    uint8_t sha[32];
    size_t off;   /* bytes the device acknowledged */
    size_t chunk; /* data bytes per request, from the transport mtu */
    bool synced;  /* false: the next request is a first packet (len, sha) asking where to go on */
    bool done, match;
    unsigned long n_requests, n_resyncs;
    unsigned window; /* chunks in flight at most (1 = stop-and-wait); from the link rate */
    size_t next;     /* offset of the next chunk to send */
    rune_smp_upload_flight fly[RUNE_SMP_UPLOAD_MAX_WINDOW]; /* sent, not answered, oldest first */
    unsigned nfly;
    uint64_t line_free_us;   /* when the link will have carried what was sent (rate known) */
    unsigned long n_rewinds; /* times the device's answer sent the client back */
} rune_smp_upload;

/* Hash the image and size the chunks: the transport mtu, or the device's buffer when its OS params
 * command reports a smaller one (one round trip; a device without the command is fine), or
 * c->dev_mtu when the framing negotiation told it. The window: enough chunks to keep the link
 * busy for 50 ms beyond two chunks (at t->rate; 4 when the rate is unknown). */
rune_status rune_smp_upload_begin(rune_smp_upload *u, rune_smp_client *c, const uint8_t *data,
                                  size_t len, uint32_t image, rune_error *err);
/* Send chunks until the window is full and take one answer (its acknowledged offset). A timeout
 * sends the newest chunk in flight again (same sequence number and bytes: the device answers it
 * where it is, from its retry cache if it was the last request). After any failure (a timeout
 * past the retries, a dropped link) call it again to resume: it first asks the device for its
 * offset. VERIFY when the device reports the SHA-256 did not match at the end. */
rune_status rune_smp_upload_step(rune_smp_upload *u, rune_smp_client *c, rune_error *err);
/* Steps until done or an error. */
rune_status rune_smp_upload_run(rune_smp_upload *u, rune_smp_client *c, rune_error *err);

/* ---- server side: image upload receiver ------------------------------------------------------ */

/* Where uploaded bytes go (the agent's staging file). begin starts a new image of len bytes;
 * write stores data at off (always the next offset); finish is called once all bytes are in and
 * says whether the SHA-256 matched. Each returns an RUNE_SMP_ERR_* rc. */
typedef struct rune_smp_img_sink {
    int (*begin)(void *ud, uint32_t image, size_t len, const uint8_t sha[32]);
    int (*write)(void *ud, size_t off, const uint8_t *data, size_t len);
    int (*finish)(void *ud, bool match);
    void *ud;
} rune_smp_img_sink;

/* Upload receiver state: keeps the session (len, sha, offset, running SHA-256) across requests, so
 * a client that lost its link resumes by sending the first packet again with the same sha. */
typedef struct rune_smp_img_recv {
    rune_smp_img_sink sink;
    size_t max_len;
    bool active;
    uint32_t image;
    size_t len, off;
    uint8_t sha[32];
    uint64_t hash_state[32]; /* room for libsodium's crypto_hash_sha256_state, kept opaque */
    /* A sink that refuses (returns an error rc) may write its reason here: it is sent as the
     * answer's "rsn" and cleared. */
    char rsn[128];
} rune_smp_img_recv;

void rune_smp_img_recv_init(rune_smp_img_recv *r, const rune_smp_img_sink *sink, size_t max_len);
/* Restore an upload in progress after a restart: the image (image, len, sha) of which the sink
 * already holds the first off bytes (held: those bytes, e.g. read back from the staging file;
 * off < len). A client that sends its first packet again with the same len and sha goes on from
 * off. ARG when off >= len or len > max_len. */
rune_status rune_smp_img_recv_restore(rune_smp_img_recv *r, uint32_t image, size_t len,
                                      const uint8_t sha[32], const uint8_t *held, size_t off,
                                      rune_error *err);
/* Register the upload handler (IMAGE group, command 1, write) with r as its state. */
rune_status rune_smp_img_recv_register(rune_smp_img_recv *r, rune_smp_server *s, rune_error *err);

/* Register the RUNE group's framing command: the device takes binary serial frames of up to mtu
 * bytes (the serial transports decode them always; this is what tells a client so). */
rune_status rune_smp_server_register_framing(rune_smp_server *s, size_t mtu, rune_error *err);

#ifdef __cplusplus
}
#endif
#endif
