/* grpcwire: gRPC message framing, timeouts, status names and grpc-message
 * escaping, shared by the daemon and libvigil (see grpcwire.h). */
#include "grpcwire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *grpcwire_code_name(int code)
{
    if (code < 0 || code > GRPC_UNAUTHENTICATED)
        return "UNKNOWN";
    return code_names[code];
}

void grpcwire_prefix_encode(uint8_t out[GRPCWIRE_PREFIX_LEN], uint32_t len)
{
    out[0] = 0;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
}

void grpcwire_reader_init(struct grpcwire_reader *r, size_t max_len)
{
    memset(r, 0, sizeof(*r));
    r->max_len = max_len;
}

void grpcwire_reader_clear(struct grpcwire_reader *r)
{
    free(r->body);
    grpcwire_reader_init(r, r->max_len);
}

/* Validates a complete prefix and allocates the body. The error, if any, is
 * remembered by leaving prefix_len at 5 with done false and body NULL, so it
 * is re-derived on every later feed. */
static enum grpcwire_read prefix_complete(struct grpcwire_reader *r)
{
    if (r->prefix[0] == 1)
        return GRPCWIRE_COMPRESSED;
    if (r->prefix[0] != 0)
        return GRPCWIRE_BAD_FLAG;
    uint32_t len = ((uint32_t)r->prefix[1] << 24) | ((uint32_t)r->prefix[2] << 16) |
                   ((uint32_t)r->prefix[3] << 8) | r->prefix[4];
    if (len > r->max_len)
        return GRPCWIRE_TOO_LARGE;
    r->body_len = len;
    if (r->body == NULL) {
        /* One spare byte so that an empty message still has a valid pointer. */
        r->body = malloc(len + 1);
        if (r->body == NULL)
            return GRPCWIRE_NOMEM;
    }
    return GRPCWIRE_NEED_MORE;
}

enum grpcwire_read grpcwire_reader_feed(struct grpcwire_reader *r, const uint8_t *data, size_t len,
                                        size_t *consumed)
{
    size_t used = 0;
    enum grpcwire_read res = GRPCWIRE_NEED_MORE;

    if (r->done) {
        *consumed = 0;
        return GRPCWIRE_MESSAGE;
    }
    while (r->prefix_len < GRPCWIRE_PREFIX_LEN && used < len)
        r->prefix[r->prefix_len++] = data[used++];
    if (r->prefix_len == GRPCWIRE_PREFIX_LEN) {
        res = prefix_complete(r);
        if (res != GRPCWIRE_NEED_MORE) {
            *consumed = used;
            return res;
        }
        size_t want = r->body_len - r->body_got;
        size_t take = len - used < want ? len - used : want;
        memcpy(r->body + r->body_got, data + used, take);
        r->body_got += take;
        used += take;
        if (r->body_got == r->body_len) {
            r->done = true;
            res = GRPCWIRE_MESSAGE;
        }
    }
    *consumed = used;
    return res;
}

const uint8_t *grpcwire_reader_message(const struct grpcwire_reader *r, size_t *len)
{
    if (!r->done) {
        *len = 0;
        return NULL;
    }
    *len = r->body_len;
    return r->body;
}

bool grpcwire_timeout_parse(const char *value, size_t len, int64_t *usec)
{
    if (len < 2 || len > 9)
        return false;
    int64_t n = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (value[i] < '0' || value[i] > '9')
            return false;
        n = n * 10 + (value[i] - '0');
    }
    switch (value[len - 1]) {
    case 'H':
        *usec = n * 3600 * 1000000;
        break;
    case 'M':
        *usec = n * 60 * 1000000;
        break;
    case 'S':
        *usec = n * 1000000;
        break;
    case 'm':
        *usec = n * 1000;
        break;
    case 'u':
        *usec = n;
        break;
    case 'n':
        *usec = (n + 999) / 1000;
        break;
    default:
        return false;
    }
    return true;
}

void grpcwire_timeout_format(int64_t usec, char out[16])
{
    if (usec <= 0)
        usec = 1;
    if (usec <= 99999999)
        snprintf(out, 16, "%lldu", (long long)usec);
    else if (usec / 1000 <= 99999999)
        snprintf(out, 16, "%lldm", (long long)((usec + 999) / 1000));
    else if (usec / 1000000 <= 99999999)
        snprintf(out, 16, "%lldS", (long long)((usec + 999999) / 1000000));
    else
        snprintf(out, 16, "99999999S");
}

size_t grpcwire_message_encode(const char *in, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c <= 0x7E && c != '%') {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)c;
        } else {
            if (o + 3 >= cap)
                break;
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return o;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t grpcwire_message_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;

    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        if (in[i] == '%' && i + 2 < len && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
            out[o++] = (char)(hexval(in[i + 1]) << 4 | hexval(in[i + 2]));
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
    return o;
}
