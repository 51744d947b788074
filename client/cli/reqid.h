/* reqid: the request ids (idempotency keys) the CLI puts on every write:
 * random ones for a write that may legitimately be repeated with the same
 * content (a scope set back, a cycle reopened), and ids derived from the
 * content for writes that can happen only once (a methodology loaded, a cycle
 * or an office created), so that running the same command again is answered
 * with the original result instead of an error. Both fit the contract
 * (1-64 characters of [A-Za-z0-9._:-]). */
#ifndef VIGIL_CLI_REQID_H
#define VIGIL_CLI_REQID_H

#include <stdbool.h>
#include <stddef.h>

#define REQID_SIZE 65 /* longest id plus its NUL */

/* A random version 4 UUID in lower-case hex ("6f1c...-..."), from libuuid. */
void reqid_random(char out[REQID_SIZE]);

/* "PREFIX-" followed by 40 hex digits of the SHA-256 of the nparts strings
 * (each ended by a NUL byte, so ("ab","c") and ("a","bc") differ). prefix is
 * 1-16 characters of the allowed set. */
void reqid_derived(char out[REQID_SIZE], const char *prefix, const char *const parts[],
                   size_t nparts);

/* Lower-case hex SHA-256 of len bytes (out holds 65 bytes). Returns false
 * only when OpenSSL fails (out of memory). */
bool reqid_sha256_hex(const void *data, size_t len, char out[65])
    __attribute__((warn_unused_result));

#endif
