/* grpcwire: the gRPC-over-HTTP/2 wire rules shared by the daemon and libvigil.
 * Pure code: buffers in, results out; no sockets, no event loop, no allocation
 * except where a function says so. Tested by feeding it bytes. */
#ifndef VIGIL_GRPCWIRE_H
#define VIGIL_GRPCWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Standard gRPC status codes (grpc/grpc doc/statuscodes.md). */
enum grpc_code {
    GRPC_OK = 0,
    GRPC_CANCELLED = 1,
    GRPC_UNKNOWN = 2,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_DEADLINE_EXCEEDED = 4,
    GRPC_NOT_FOUND = 5,
    GRPC_ALREADY_EXISTS = 6,
    GRPC_PERMISSION_DENIED = 7,
    GRPC_RESOURCE_EXHAUSTED = 8,
    GRPC_FAILED_PRECONDITION = 9,
    GRPC_ABORTED = 10,
    GRPC_OUT_OF_RANGE = 11,
    GRPC_UNIMPLEMENTED = 12,
    GRPC_INTERNAL = 13,
    GRPC_UNAVAILABLE = 14,
    GRPC_DATA_LOSS = 15,
    GRPC_UNAUTHENTICATED = 16,
};

#define GRPCWIRE_PREFIX_LEN 5

/* Upper-case name of a status code ("DEADLINE_EXCEEDED"); "UNKNOWN" for codes
 * outside 0..16. The string is static. */
const char *grpcwire_code_name(int code);

/* Writes the 5-byte message prefix: flag byte (0, uncompressed) and big-endian length. */
void grpcwire_prefix_encode(uint8_t out[GRPCWIRE_PREFIX_LEN], uint32_t len);

/* Incremental reader of one length-prefixed message that may arrive split over
 * any number of DATA frames. Embedded; grpcwire_reader_clear() frees the buffer. */
enum grpcwire_read {
    GRPCWIRE_NEED_MORE = 0, /* no complete message yet */
    GRPCWIRE_MESSAGE,       /* a complete message is available */
    GRPCWIRE_COMPRESSED,    /* flag byte 1: we only accept identity encoding */
    GRPCWIRE_TOO_LARGE,     /* declared length above the reader's maximum */
    GRPCWIRE_BAD_FLAG,      /* flag byte other than 0 or 1 */
    GRPCWIRE_NOMEM,
};

struct grpcwire_reader {
    uint8_t prefix[GRPCWIRE_PREFIX_LEN]; /* prefix bytes seen so far */
    size_t prefix_len;                   /* 0..5 */
    uint8_t *body;                       /* heap buffer of the declared length, owned */
    size_t body_len;                     /* declared length once the prefix is complete */
    size_t body_got;                     /* bytes of body received */
    size_t max_len;                      /* largest message accepted */
    bool done;                           /* a message was completed */
};

void grpcwire_reader_init(struct grpcwire_reader *r, size_t max_len);
void grpcwire_reader_clear(struct grpcwire_reader *r);

/* Feeds bytes. Returns GRPCWIRE_MESSAGE once a whole message has arrived;
 * *consumed tells how many of the fed bytes were used (bytes after the first
 * message are left to the caller, who treats them as a protocol error for
 * unary calls). An error result is sticky: later feeds return it again. */
enum grpcwire_read grpcwire_reader_feed(struct grpcwire_reader *r, const uint8_t *data, size_t len,
                                        size_t *consumed);

/* The completed message; borrowed from the reader until it is cleared. */
const uint8_t *grpcwire_reader_message(const struct grpcwire_reader *r, size_t *len);

/* Parses a grpc-timeout header value ("100m", "5S", "1H": 1–8 ASCII digits and
 * a unit of H M S m u n). On success stores the timeout in microseconds,
 * rounded up so that a non-zero timeout never becomes zero, and returns true. */
bool grpcwire_timeout_parse(const char *value, size_t len, int64_t *usec);

/* Formats a timeout (microseconds, > 0) as a grpc-timeout value into out
 * (at least 16 bytes), choosing the finest unit that fits in 8 digits. */
void grpcwire_timeout_format(int64_t usec, char out[16]);

/* Percent-encodes a grpc-message value: bytes outside 0x20..0x7E and '%' become
 * %XX. Writes at most cap-1 bytes and a NUL, never splitting an escape;
 * returns the length written. */
size_t grpcwire_message_encode(const char *in, size_t len, char *out, size_t cap);

/* Decodes a percent-encoded grpc-message into out (NUL-terminated, at most
 * cap-1 bytes). Malformed escapes are kept as they are, as the spec asks. */
size_t grpcwire_message_decode(const char *in, size_t len, char *out, size_t cap);

#endif
