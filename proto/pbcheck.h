/* pbcheck: checks the strings of an encoded protobuf message before it is
 * trusted. protobuf-c accepts any bytes in a string field and hands them out
 * as C strings, so a NUL would silently cut a value short and invalid UTF-8
 * would reach the database; proto3 requires valid UTF-8. Walks the wire
 * format with the message's descriptor (sub-messages included). Pure. */
#ifndef VIGIL_PBCHECK_H
#define VIGIL_PBCHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns true when every string field holds valid UTF-8 without NUL.
 * Otherwise writes "<field path>: <reason>" into err (e.g.
 * "entries[2].justification: contains a NUL byte"), the path as in
 * pbjson's messages. Malformed wire data is reported too (the caller has
 * usually unpacked the message successfully before). */
bool pbcheck_strings(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                     char *err, size_t cap);

/* Whether s[0..len) is valid UTF-8 (no overlong forms, no surrogates). */
bool pbcheck_utf8(const uint8_t *s, size_t len);

#endif
